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

crate::backends! {
    #[tokio::test] indicators_are_listed_from_the_packs_for_every_role;
    #[tokio::test] a_hub_without_packs_lists_none;
    #[tokio::test] a_bad_pack_stops_the_start_naming_the_file_and_the_key;
    #[tokio::test] readings_are_stored_once_and_give_each_indicator_its_latest;
    #[tokio::test] the_document_offers_exactly_the_indicators_the_hub_takes;
    #[tokio::test] a_bad_item_refuses_the_whole_batch_naming_it;
    #[tokio::test] only_operators_admins_and_feeds_post_readings_and_a_feed_does_nothing_else;
}
