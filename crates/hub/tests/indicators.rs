//! Issue 21 (城市运行数字体征), first slice, over the real HTTP API on both backends: the hub loads the scenario
//! packs of `--scenarios DIR` and lists their indicators at `GET /api/v1/indicators`; a bad pack stops the start
//! naming the file and the key; readings are posted in batches (all or nothing, each `(indicator, at)` once) by
//! operators, admins and the machine role `feed`, and give each indicator its latest reading and level.

mod common;

use common::{hub, hub_config, scenarios, B};
use serde_json::json;

async fn indicators_are_listed_from_the_packs_for_every_role(b: B) {
    let t = hub_config(b, |c| c.scenarios = Some(scenarios())).await;
    for role in ["leader", "commander", "operator", "field", "admin"] {
        let tok = t.token(role).await;
        let (status, body) = t.get(&tok, "/api/v1/indicators").await;
        assert_eq!(status, 200, "{role}: {body}");
        let list = body["indicators"].as_array().unwrap();
        // as many as the shipped packs declare
        let declared: usize = std::fs::read_dir(scenarios())
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .map(|t| t.matches("[[indicators]]").count())
            .sum();
        assert_eq!(list.len(), declared);
        // pack by pack in file-name order (the overview pack shows other packs' indicators and owns none)
        let mut packs: Vec<&str> = list.iter().map(|i| i["scenario"].as_str().unwrap()).collect();
        packs.dedup();
        assert_eq!(packs, ["lifeline", "safety", "traffic", "weather"]);
        let power = list.iter().find(|i| i["id"] == "power_load").unwrap();
        assert_eq!(
            *power,
            json!({
                "id": "power_load", "name": {"zh": "电力负荷", "en": "Power load"}, "unit": "MW",
                "scenario": "lifeline", "direction": "above",
                "thresholds": {"blue": 35880.0, "yellow": 36900.0, "orange": 37300.0, "red": 37700.0},
                "latest": null,
            })
        );
        let water = list.iter().find(|i| i["id"] == "water_flow").unwrap();
        assert_eq!(water["direction"], "below");
        let ids: Vec<&str> = list.iter().map(|i| i["id"].as_str().unwrap()).collect();
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), ids.len(), "each indicator once");
    }
    let (status, _) = t
        .http
        .get(t.url("/api/v1/indicators"))
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .unwrap();
    assert_eq!(status, 401, "no token, no indicators");
}

async fn the_document_offers_exactly_the_indicators_the_hub_takes(b: B) {
    let t = hub_config(b, |c| c.scenarios = Some(scenarios())).await;
    let doc = t.get_open("/api/v1/openapi.json").await;
    let offered = &doc["components"]["schemas"]["Reading"]["properties"]["indicator"]["enum"];
    let tok = t.token("leader").await;
    let (_, list) = t.get(&tok, "/api/v1/indicators").await;
    let ids: Vec<serde_json::Value> = list["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].clone())
        .collect();
    assert_eq!(*offered, serde_json::Value::Array(ids));
    // without packs: the document as blessed, no enum (the hub takes no reading)
    let bare = hub(b).await;
    let doc = bare.get_open("/api/v1/openapi.json").await;
    assert!(doc["components"]["schemas"]["Reading"]["properties"]["indicator"]
        .get("enum")
        .is_none());
}

async fn a_hub_without_packs_lists_none(b: B) {
    let t = hub(b).await;
    let tok = t.token("leader").await;
    let (status, body) = t.get(&tok, "/api/v1/indicators").await;
    assert_eq!((status, body), (200, json!({"indicators": []})));
}

async fn a_bad_pack_stops_the_start_naming_the_file_and_the_key(b: B) {
    let dir = tempfile::tempdir().unwrap();
    let packs = dir.path().join("packs");
    std::fs::create_dir(&packs).unwrap();
    for f in ["lifeline.toml", "overview.toml"] {
        std::fs::copy(scenarios().join(f), packs.join(f)).unwrap();
    }
    // red below orange for an `above` indicator
    let text = std::fs::read_to_string(scenarios().join("lifeline.toml"))
        .unwrap()
        .replace("red = 37700", "red = 37000");
    std::fs::write(packs.join("lifeline.toml"), text).unwrap();
    let mut config = common::config(dir.path());
    config.scenarios = Some(packs.clone());
    let err = match citydeck_hub::start_with(config, common::backend(b, dir.path())).await {
        Ok(_) => panic!("a bad pack was accepted"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.starts_with(&format!(
            "--scenarios {}: lifeline.toml: indicators[0].thresholds.red",
            packs.display()
        )),
        "{err}"
    );
    // an empty folder is refused too (a typo in the path must not start a hub with no vital signs)
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let mut config = common::config(dir.path());
    config.scenarios = Some(empty);
    let err = match citydeck_hub::start_with(config, common::backend(b, dir.path())).await {
        Ok(_) => panic!("an empty scenarios folder was accepted"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("no scenario pack"), "{err}");
}

fn reading(indicator: &str, at: &str, value: f64) -> serde_json::Value {
    json!({"indicator": indicator, "at": at, "value": value})
}

async fn readings_are_stored_once_and_give_each_indicator_its_latest(b: B) {
    let t = hub_config(b, |c| c.scenarios = Some(scenarios())).await;
    let feed = t.token("feed").await;
    let batch = json!({"readings": [
        reading("power_load", "2026-06-01T10:00:00Z", 36000.0),
        reading("power_load", "2026-06-01T10:30:00Z", 37800.0),
        reading("water_flow", "2026-06-01T10:00:00Z", 101.5),
    ]});
    let (status, body) = t.post(&feed, "/api/v1/readings", batch.clone()).await;
    assert_eq!((status, body), (200, json!({"accepted": 3, "duplicates": 0})));
    // the same again: duplicates, nothing stored twice
    let (status, body) = t.post(&feed, "/api/v1/readings", batch).await;
    assert_eq!((status, body), (200, json!({"accepted": 0, "duplicates": 3})));
    // an older reading is stored but is not the latest; a reading twice in one batch counts once
    let older = reading("power_load", "2026-06-01T09:00:00Z", 20000.0);
    let (status, body) = t
        .post(
            &feed,
            "/api/v1/readings",
            json!({"readings": [older.clone(), older]}),
        )
        .await;
    assert_eq!((status, body), (200, json!({"accepted": 1, "duplicates": 1})));
    let leader = t.token("leader").await;
    let (_, list) = t.get(&leader, "/api/v1/indicators").await;
    let get = |id: &str| {
        list["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(
        get("power_load")["latest"],
        json!({"at": "2026-06-01T10:30:00Z", "value": 37800.0, "level": "red"}),
        "the newest, past red (37,700)"
    );
    assert_eq!(get("water_flow")["latest"]["level"], "normal");
    assert_eq!(get("traffic_accidents")["latest"], json!(null), "no reading yet");
}

async fn a_bad_item_refuses_the_whole_batch_naming_it(b: B) {
    let t = hub_config(b, |c| c.scenarios = Some(scenarios())).await;
    let op = t.token("operator").await;
    let good = reading("power_load", "2026-06-01T10:00:00Z", 30000.0);
    for (bad, field) in [
        (
            json!({"indicator": "nope", "at": "2026-06-01T10:00:00Z", "value": 1.0}),
            "readings[1].indicator",
        ),
        (
            json!({"indicator": "power_load", "at": "yesterday", "value": 1.0}),
            "readings[1].at",
        ),
        (
            json!({"indicator": "power_load", "at": "2026-06-01T11:00:00Z", "value": "NaN"}),
            "readings[1].value",
        ),
        (
            json!({"indicator": "power_load", "at": "2026-06-01T11:00:00Z"}),
            "readings[1].value",
        ),
        (json!("power_load"), "readings[1]"),
    ] {
        let (status, body) = t
            .post(&op, "/api/v1/readings", json!({"readings": [good.clone(), bad]}))
            .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["field"], field, "{body}");
    }
    let (status, body) = t.post(&op, "/api/v1/readings", json!({"items": []})).await;
    assert_eq!((status, body["field"].clone()), (422, json!("readings")));
    // nothing of the refused batches was stored
    let (status, body) = t.post(&op, "/api/v1/readings", json!({"readings": [good]})).await;
    assert_eq!((status, body), (200, json!({"accepted": 1, "duplicates": 0})));
}

async fn only_operators_admins_and_feeds_post_readings_and_a_feed_does_nothing_else(b: B) {
    let t = hub_config(b, |c| c.scenarios = Some(scenarios())).await;
    let batch = || json!({"readings": [reading("water_flow", "2026-06-01T10:00:00Z", 101.0)]});
    for role in ["operator", "admin", "feed"] {
        let tok = t.token(role).await;
        let (status, body) = t.post(&tok, "/api/v1/readings", batch()).await;
        assert_eq!(status, 200, "{role}: {body}");
    }
    for role in ["leader", "commander", "field"] {
        let tok = t.token(role).await;
        let (status, body) = t.post(&tok, "/api/v1/readings", batch()).await;
        assert_eq!(
            (status, body["code"].clone()),
            (403, json!("forbidden")),
            "{role}: {body}"
        );
    }
    let feed = t.token("feed").await;
    let (status, _) = t.get(&feed, "/api/v1/indicators").await;
    assert_eq!(status, 200, "a feed reads the catalogue");
    for path in ["/api/v1/incidents", "/api/v1/events", "/api/v1/mode"] {
        let (status, body) = t.get(&feed, path).await;
        assert_eq!(status, 403, "{path}: {body}");
    }
    let (status, _) = t
        .post(
            &feed,
            "/api/v1/incidents",
            json!({"title": "x", "class": "accident", "grade": "IV",
            "lon": 9.52, "lat": 47.14, "source": "feed"}),
        )
        .await;
    assert_eq!(status, 403, "a feed reports no incident");
}

#[test]
fn citydeck_hub_refuses_a_bad_pack_on_stderr_and_a_missing_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x.toml"), "id = \"x\"\nname = 3\n").unwrap();
    for arg in [dir.path().to_path_buf(), dir.path().join("missing")] {
        let stderr = common::hub_refuses(dir.path(), "--scenarios", &arg);
        assert!(
            stderr.contains(&format!("--scenarios {}: ", arg.display())),
            "{stderr}"
        );
    }
}

/// A deterministic scatter of readings: `n` times in `[t0, t0 + span)` (seconds), values around `base`.
fn scatter(n: usize, t0: i64, span: i64, base: f64) -> Vec<(i64, f64)> {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let at = t0 + (x % span as u64) as i64;
            let v = base + ((x >> 20) % 10_000) as f64 / 100.0 - 50.0;
            (at, v)
        })
        .collect()
}

fn rfc(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The series endpoint's answer recomputed here from the readings themselves: epoch-aligned steps of the
/// answered `step`, readings in `[from, to)`, the first stored of each `(indicator, at)`.
fn reference(points: &[(i64, f64)], from: i64, to: i64, step: i64) -> Vec<(i64, f64, f64, f64)> {
    let mut seen = std::collections::HashSet::new();
    let mut buckets: std::collections::BTreeMap<i64, Vec<f64>> = Default::default();
    for &(at, v) in points {
        if !seen.insert(at) || at < from || at >= to {
            continue;
        }
        buckets.entry(at.div_euclid(step) * step).or_default().push(v);
    }
    buckets
        .into_iter()
        .map(|(k, vs)| {
            let mean = vs.iter().sum::<f64>() / vs.len() as f64;
            let lo = vs.iter().cloned().fold(f64::INFINITY, f64::min);
            let hi = vs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            (k, mean, lo, hi)
        })
        .collect()
}

async fn series_match_a_reference_computed_from_the_readings(b: B) {
    let t = hub_config(b, |c| c.scenarios = Some(scenarios())).await;
    let feed = t.token("feed").await;
    // three days of irregular power-load readings (normal values: no incident noise), posted in batches, some
    // times twice (duplicates are not counted again)
    let t0 = 1_780_000_000 - 1_780_000_000 % 3600 + 1234;
    let points = scatter(6000, t0, 3 * 86_400, 25_000.0);
    for chunk in points.chunks(1000) {
        let batch: Vec<_> = chunk
            .iter()
            .map(|&(at, v)| reading("power_load", &rfc(at), v))
            .collect();
        let (status, body) = t
            .post(&feed, "/api/v1/readings", json!({ "readings": batch }))
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let leader = t.token("leader").await;
    for (from, to, step, answered) in [
        (t0, t0 + 3 * 86_400, 60, 60),
        (t0 + 17, t0 + 86_400 - 5, 900, 900),
        (t0, t0 + 3 * 86_400, 3600, 3600),
        (t0 - 7200, t0 + 3 * 86_400 + 7200, 7776, 7200),
        (t0 + 1000, t0 + 2 * 86_400 + 333, 86_400, 86_400),
        (t0 + 100, t0 + 1900, 3600, 3600),
    ] {
        let q = format!(
            "/api/v1/indicators/power_load/series?from={}&to={}&step={step}",
            rfc(from),
            rfc(to)
        );
        let (status, body) = t.get(&leader, &q).await;
        assert_eq!(status, 200, "{q}: {body}");
        assert_eq!(body["indicator"], "power_load");
        assert_eq!(body["step"], answered, "{q}");
        let want = reference(&points, from, to, answered);
        let got = body["points"].as_array().unwrap();
        assert_eq!(got.len(), want.len(), "{q}");
        assert!(!want.is_empty());
        for (g, (at, mean, lo, hi)) in got.iter().zip(want) {
            assert_eq!(g["at"], rfc(at), "{q}");
            assert_eq!(
                (g["min"].as_f64().unwrap(), g["max"].as_f64().unwrap()),
                (lo, hi),
                "{q}"
            );
            let v = g["value"].as_f64().unwrap();
            assert!((v - mean).abs() <= 1e-6 * mean.abs(), "{q}: {v} vs {mean}");
        }
    }
    // refusals: unknown indicator 404; a bad range, time or step 400 naming the parameter; no token 401
    let (status, _) = t
        .get(
            &leader,
            &format!(
                "/api/v1/indicators/nope/series?from={}&to={}&step=60",
                rfc(t0),
                rfc(t0 + 60)
            ),
        )
        .await;
    assert_eq!(status, 404);
    for (q, param) in [
        (format!("from={}&to={}&step=60", rfc(t0), rfc(t0)), "to"),
        (format!("from={}&to={}&step=60", rfc(t0 + 60), rfc(t0)), "to"),
        (format!("from=yesterday&to={}&step=60", rfc(t0)), "from"),
        (format!("from={}&to={}&step=0", rfc(t0), rfc(t0 + 60)), "step"),
        (format!("from={}&to={}&step=abc", rfc(t0), rfc(t0 + 60)), "step"),
        (format!("from={}&to={}&step=1", rfc(t0), rfc(t0 + 86_400)), "step"),
    ] {
        let (status, body) = t
            .get(&leader, &format!("/api/v1/indicators/power_load/series?{q}"))
            .await;
        assert_eq!(status, 400, "{q}: {body}");
        assert!(body.to_string().contains(param), "{q}: {body}");
    }
    let (status, _) = t
        .get(&leader, "/api/v1/indicators/power_load/series?step=60")
        .await;
    assert_eq!(status, 400, "from and to are required");
    let r = t
        .http
        .get(t.url(&format!(
            "/api/v1/indicators/power_load/series?from={}&to={}&step=60",
            rfc(t0),
            rfc(t0 + 60)
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

/// The incidents the vital signs raised, oldest first.
async fn indicator_incidents(t: &common::T, token: &str) -> Vec<serde_json::Value> {
    let (_, list) = t.get(token, "/api/v1/incidents?limit=5000").await;
    let mut v: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["source"] == "indicator")
        .cloned()
        .collect();
    v.sort_by_key(|i| i["created_at"].as_str().unwrap().to_string());
    v
}

async fn event_kinds(t: &common::T, token: &str) -> Vec<String> {
    let (_, page) = t.get(token, "/api/v1/events?after=0&limit=5000").await;
    page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}

async fn a_crossing_raises_one_incident_per_episode_raised_never_twice_and_ended_by_normals(b: B) {
    let t = hub_config(b, |c| c.scenarios = Some(scenarios())).await;
    let feed = t.token("feed").await;
    let leader = t.token("leader").await;
    let post = |batch: Vec<serde_json::Value>| {
        let (t, feed) = (&t, &feed);
        async move {
            let (status, body) = t
                .post(feed, "/api/v1/readings", json!({ "readings": batch }))
                .await;
            assert_eq!(status, 200, "{body}");
        }
    };
    let at = |m: i64| rfc(1_780_000_000 + m * 60);
    // water flow: lower is worse (blue 100.5, yellow 100, orange 60, red 30); 3 normal readings end an episode
    post(vec![
        reading("water_flow", &at(0), 102.0),
        reading("water_flow", &at(1), 100.3),
    ])
    .await;
    assert!(
        indicator_incidents(&t, &leader).await.is_empty(),
        "normal and blue raise nothing"
    );
    post(vec![reading("water_flow", &at(2), 99.5)]).await;
    let inc = indicator_incidents(&t, &leader).await;
    assert_eq!(inc.len(), 1, "yellow opens the episode: one incident");
    assert_eq!(inc[0]["grade"], "III");
    assert_eq!(inc[0]["class"], "accident");
    assert_eq!(
        inc[0]["external_id"],
        format!("water_flow@{}", at(2).replace('Z', ".000000Z"))
    );
    let desc = inc[0]["description"].as_str().unwrap();
    for part in ["供水管网流量", "99.5", "100", "Water main flow", "yellow"] {
        assert!(desc.contains(part), "{part} in {desc}");
    }
    // yellow again, then orange, then red in one batch, then orange: the same incident, raised twice
    post(vec![
        reading("water_flow", &at(3), 99.0),
        reading("water_flow", &at(5), 25.0),
        reading("water_flow", &at(4), 50.0),
        reading("water_flow", &at(6), 55.0),
    ])
    .await;
    let inc = indicator_incidents(&t, &leader).await;
    assert_eq!(inc.len(), 1, "rising never makes a second incident");
    assert_eq!(
        inc[0]["grade"], "I",
        "red raised it to I and orange after it does not lower it"
    );
    // two normal readings: still open; a late red reading (older than the newest) is stored, steps nothing
    post(vec![
        reading("water_flow", &at(7), 101.0),
        reading("water_flow", &at(8), 102.0),
    ])
    .await;
    post(vec![reading("water_flow", &rfc(1_780_000_000 + 90), 10.0)]).await;
    let kinds = event_kinds(&t, &leader).await;
    assert!(
        !kinds.contains(&"indicator_episode_ended".to_string()),
        "{kinds:?}"
    );
    // the third normal reading in a row ends it: a note; the next crossing opens a second episode
    post(vec![reading("water_flow", &at(9), 101.5)]).await;
    let kinds = event_kinds(&t, &leader).await;
    let count = |k: &str| kinds.iter().filter(|x| *x == k).count();
    assert_eq!(
        (
            count("incident_created"),
            count("incident_regraded"),
            count("indicator_episode_ended")
        ),
        (1, 2, 1),
        "{kinds:?}"
    );
    let (_, ended) = t
        .get(
            &leader,
            &format!("/api/v1/incidents/{}", inc[0]["id"].as_str().unwrap()),
        )
        .await;
    let notes = ended["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 3, "two raises and the end: {notes:?}");
    assert!(
        notes[2]["text"].as_str().unwrap().contains("连续 3 次读数正常"),
        "{notes:?}"
    );
    assert_eq!(
        ended["status"], "collected",
        "the end of the episode leaves the loop to the operators"
    );
    post(vec![reading("water_flow", &at(10), 45.0)]).await;
    let inc = indicator_incidents(&t, &leader).await;
    assert_eq!(inc.len(), 2, "a new episode, a new incident");
    assert_eq!(inc[1]["grade"], "II");
    // the events carry the incident as it is now and say which indicator
    let (_, page) = t.get(&leader, "/api/v1/events?after=0&limit=5000").await;
    let regraded: Vec<_> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "incident_regraded")
        .collect();
    assert_eq!(
        regraded
            .iter()
            .map(|e| (e["from"].clone(), e["to"].clone()))
            .collect::<Vec<_>>(),
        [(json!("III"), json!("II")), (json!("II"), json!("I"))]
    );
    assert_eq!(regraded[1]["indicator"], "water_flow");
    assert_eq!(regraded[1]["incident"]["grade"], "I");
    let title = regraded[1]["incident"]["title"].as_str().unwrap();
    assert!(
        title.ends_with("红色预警"),
        "the title says the level reached: {title}"
    );
    assert_eq!(regraded[1]["actor"], "feed");
}

async fn concurrent_batches_of_one_episode_raise_exactly_one_incident(b: B) {
    let t = hub_config(b, |c| c.scenarios = Some(scenarios())).await;
    let feed = t.token("feed").await;
    // eight feeds post red power-load readings at once, each its own minutes
    let mut tasks = Vec::new();
    for k in 0..8i64 {
        let (http, url, feed) = (t.http.clone(), t.url("/api/v1/readings"), feed.clone());
        tasks.push(tokio::spawn(async move {
            let batch: Vec<_> = (0..50)
                .map(|m| {
                    reading(
                        "power_load",
                        &rfc(1_780_000_000 + (m * 8 + k) * 60),
                        38_000.0 + m as f64,
                    )
                })
                .collect();
            let r = http
                .post(url)
                .bearer_auth(feed)
                .json(&json!({ "readings": batch }))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let leader = t.token("leader").await;
    let inc = indicator_incidents(&t, &leader).await;
    assert_eq!(inc.len(), 1, "one episode, one incident: {inc:?}");
    assert_eq!(inc[0]["grade"], "I");
    let kinds = event_kinds(&t, &leader).await;
    assert_eq!(
        kinds.iter().filter(|k| *k == "incident_regraded").count(),
        0,
        "opened at red: nothing to raise"
    );
}

crate::backends! {
    #[tokio::test] indicators_are_listed_from_the_packs_for_every_role;
    #[tokio::test] a_hub_without_packs_lists_none;
    #[tokio::test] a_bad_pack_stops_the_start_naming_the_file_and_the_key;
    #[tokio::test] readings_are_stored_once_and_give_each_indicator_its_latest;
    #[tokio::test] the_document_offers_exactly_the_indicators_the_hub_takes;
    #[tokio::test] a_bad_item_refuses_the_whole_batch_naming_it;
    #[tokio::test] only_operators_admins_and_feeds_post_readings_and_a_feed_does_nothing_else;
    #[tokio::test] series_match_a_reference_computed_from_the_readings;
    #[tokio::test] a_crossing_raises_one_incident_per_episode_raised_never_twice_and_ended_by_normals;
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)] concurrent_batches_of_one_episode_raise_exactly_one_incident;
}
