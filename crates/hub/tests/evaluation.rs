//! Issue 24, 考核 over the real HTTP API on both backends: `GET /api/v1/evaluation` is recomputed here
//! independently from `GET /api/v1/events` — walking the log, not reading the hub's facts — and must agree on
//! every department and every number; a few numbers of the scenario are also checked by hand; a bad window is a
//! coded 400 naming the parameter.

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use common::{B, T};
use serde_json::{json, Value};

fn city_file() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/city/liechtenstein.toml")
}

fn at(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

struct Driver<'a> {
    t: &'a T,
    tok: String,
    client: uuid::Uuid,
    seq: u64,
}

impl Driver<'_> {
    async fn op(&mut self, op: Value) {
        self.seq += 1;
        let body = json!({"client_id": self.client, "ops": [{"op_id": uuid::Uuid::new_v4(),
            "client_seq": self.seq, "op": op}]});
        let (status, r) = self.t.post(&self.tok, "/api/v1/push", body).await;
        assert_eq!(
            (status, r["results"][0]["status"].clone()),
            (200, json!("applied")),
            "{r}"
        );
    }

    async fn stages(&mut self, id: &str, path: &[&str]) {
        for w in path.windows(2) {
            self.op(json!({"kind": "change_stage", "incident_id": id, "from": w[0], "to": w[1]}))
                .await;
        }
    }

    async fn assign(&mut self, id: &str, dept: &str) {
        self.op(
            json!({"kind": "assign", "incident_id": id, "assignee": format!("{dept}-duty"),
            "department": dept}),
        )
        .await;
    }

    async fn create(&mut self, title: &str, class: &str) -> String {
        let (status, i) = self
            .t
            .post(
                &self.tok,
                "/api/v1/incidents",
                json!({"title": title, "class": class, "grade": "III", "lon": 9.52, "lat": 47.14,
                       "source": "operator"}),
            )
            .await;
        assert_eq!(status, 201, "{i}");
        i["id"].as_str().unwrap().to_string()
    }
}

#[derive(Default, Debug)]
struct Tally {
    assigned: u64,
    closed: u64,
    on_time: u64,
    overdue: u64,
    reopened: u64,
    stays: BTreeMap<String, Vec<f64>>,
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let m = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    (m * 100.0).round() / 100.0
}

/// The scores recomputed from the log alone, by the definitions of `domain::evaluation`'s module doc.
fn recompute(events: &[Value], from: DateTime<Utc>, to: DateTime<Utc>) -> BTreeMap<String, Tally> {
    let mut last: HashMap<String, Value> = HashMap::new();
    let mut overdue_with: HashSet<(String, String)> = HashSet::new();
    let mut out: BTreeMap<String, Tally> = BTreeMap::new();
    for e in events {
        let Some(inc) = e.get("incident").filter(|i| i.is_object()) else {
            continue;
        };
        let id = inc["id"].as_str().unwrap().to_string();
        let when = at(&e["at"]);
        let inside = from <= when && when < to;
        if let (Some(prev), Some(dept)) = (last.get(&id), inc["department"].as_str()) {
            let tally = out.entry(dept.to_string()).or_default();
            if prev["department"].as_str() != Some(dept) && inside {
                tally.assigned += 1;
            }
            if prev["status"] != inc["status"] {
                if inside {
                    let minutes =
                        (when - at(&prev["stage_entered_at"])).num_milliseconds().max(0) as f64 / 60_000.0;
                    tally
                        .stays
                        .entry(prev["status"].as_str().unwrap().to_string())
                        .or_default()
                        .push(minutes);
                }
                if inc["status"] == "closed" && inside {
                    tally.closed += 1;
                    if !overdue_with.contains(&(id.clone(), dept.to_string())) {
                        tally.on_time += 1;
                    }
                }
                if prev["status"] == "feedback" && inc["status"] == "handling" && inside {
                    tally.reopened += 1;
                }
            }
            if e["kind"] == "incident_overdue" {
                overdue_with.insert((id.clone(), dept.to_string()));
                if inside {
                    tally.overdue += 1;
                }
            }
        }
        last.insert(id, inc.clone());
    }
    out
}

async fn the_scores_agree_with_the_log_recomputed(b: B) {
    let dir = tempfile::tempdir().unwrap();
    let deadlines = dir.path().join("d.toml");
    std::fs::write(&deadlines, "[stages]\nidentified = \"3s\"\n").unwrap();
    let t = common::hub_config(b, |c| {
        c.city = Some(city_file());
        c.deadlines = Some(deadlines);
    })
    .await;
    let start = Utc::now();
    let mut d = Driver {
        t: &t,
        tok: t.token("operator").await,
        client: uuid::Uuid::new_v4(),
        seq: 0,
    };
    // A: fire, handled, sent back once from feedback, closed on time
    let a = d.create("隧道车辆起火", "accident").await;
    d.stages(&a, &["collected", "identified"]).await;
    d.assign(&a, "fire").await;
    d.stages(
        &a,
        &[
            "identified",
            "assigned",
            "handling",
            "feedback",
            "handling",
            "feedback",
            "closed",
        ],
    )
    .await;
    // B: health, overdue in 识别 before it is routed on, closed late
    let b_id = d.create("食物中毒", "public_health").await;
    d.stages(&b_id, &["collected", "identified"]).await;
    d.assign(&b_id, "health").await;
    let mut marked = false;
    for _ in 0..100 {
        let (_, i) = t.get(&d.tok, &format!("/api/v1/incidents/{b_id}")).await;
        if i["overdue"] == true {
            marked = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(marked, "the clock marked B overdue");
    d.stages(
        &b_id,
        &["identified", "assigned", "handling", "feedback", "closed"],
    )
    .await;
    // C: police, police again (no new assignment), then fire, closed as a false alarm
    let c = d.create("聚集冲突", "social_security").await;
    d.stages(&c, &["collected", "identified"]).await;
    d.assign(&c, "police").await;
    d.assign(&c, "police").await;
    d.assign(&c, "fire").await;
    d.stages(&c, &["identified", "closed"]).await;
    // D: never routed: counts for nobody
    let dd = d.create("路灯不亮", "accident").await;
    d.stages(&dd, &["collected", "identified", "closed"]).await;

    let (_, page) = t.get(&d.tok, "/api/v1/events?after=0&limit=5000").await;
    let events = page["events"].as_array().unwrap().clone();
    let from = start - chrono::Duration::seconds(1);
    let to = Utc::now() + chrono::Duration::seconds(1);
    let q = |f: DateTime<Utc>, t: DateTime<Utc>| {
        format!(
            "/api/v1/evaluation?from={}&to={}",
            urlencode(&f.to_rfc3339()),
            urlencode(&t.to_rfc3339())
        )
    };
    let (status, got) = t.get(&t.token("leader").await, &q(from, to)).await;
    assert_eq!(status, 200, "{got}");
    let list = got["departments"].as_array().unwrap();
    let ids: Vec<&str> = list.iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["command", "emergency", "fire", "health", "police"],
        "declared order, zeros too"
    );
    let mut want = recompute(&events, from, to);
    for dep in list {
        let id = dep["id"].as_str().unwrap();
        let mut w = want.remove(id).unwrap_or_default();
        assert_eq!(dep["assigned"], w.assigned, "{id} assigned: {dep}");
        assert_eq!(dep["closed"], w.closed, "{id} closed: {dep}");
        assert_eq!(dep["closed_on_time"], w.on_time, "{id} on time: {dep}");
        assert_eq!(dep["overdue"], w.overdue, "{id} overdue: {dep}");
        assert_eq!(dep["reopened"], w.reopened, "{id} reopened: {dep}");
        let rate = (w.closed > 0).then(|| w.on_time as f64 / w.closed as f64);
        assert_eq!(dep["on_time_rate"].as_f64(), rate, "{id}: {dep}");
        let medians: BTreeMap<String, f64> =
            w.stays.iter_mut().map(|(s, v)| (s.clone(), median(v))).collect();
        let got: BTreeMap<String, f64> = serde_json::from_value(dep["median_minutes"].clone()).unwrap();
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            medians.keys().collect::<Vec<_>>(),
            "{id}: {dep}"
        );
        for (s, m) in &medians {
            assert!((got[s] - m).abs() < 0.011, "{id} {s}: {} vs {m}", got[s]);
        }
    }
    assert!(
        want.values().all(|w| w.assigned + w.closed + w.overdue == 0),
        "no other department: {want:?}"
    );
    // and by hand, the story above
    let by = |id: &str| list.iter().find(|d| d["id"] == id).unwrap().clone();
    let (fire, health, police) = (by("fire"), by("health"), by("police"));
    assert_eq!(
        (
            fire["assigned"].clone(),
            fire["closed"].clone(),
            fire["closed_on_time"].clone(),
            fire["reopened"].clone()
        ),
        (json!(2), json!(2), json!(2), json!(1))
    );
    assert_eq!(
        (
            health["assigned"].clone(),
            health["closed"].clone(),
            health["closed_on_time"].clone()
        ),
        (json!(1), json!(1), json!(0))
    );
    assert_eq!(health["overdue"], 1);
    assert_eq!(health["on_time_rate"], 0.0);
    assert!(
        health["median_minutes"]["identified"].as_f64().unwrap() >= 0.05,
        "{health}"
    );
    assert_eq!(
        (police["assigned"].clone(), police["closed"].clone()),
        (json!(1), json!(0))
    );
    assert_eq!(police["on_time_rate"], Value::Null);

    // a window before any of it: zeros
    let (_, early) = t.get(&d.tok, &q(from - chrono::Duration::hours(2), from)).await;
    assert!(early["departments"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["assigned"] == 0 && d["closed"] == 0));
    // a bad window: a coded 400 naming the parameter
    let (status, bad) = t.get(&d.tok, "/api/v1/evaluation?from=yesterday").await;
    assert_eq!(
        (status, bad["code"].clone(), bad["args"]["field"].clone()),
        (400, json!("invalid_field"), json!("from"))
    );
    assert_eq!(bad["error"], "bad_request");
    let (status, bad) = t.get(&d.tok, &q(to, from)).await;
    assert_eq!((status, bad["args"]["field"].clone()), (400, json!("to")));
    // the default window is the last day
    let (status, day) = t.get(&d.tok, "/api/v1/evaluation").await;
    assert_eq!(status, 200);
    assert_eq!((at(&day["to"]) - at(&day["from"])).num_hours(), 24);
    assert_eq!(day["departments"][2]["closed"], 2);
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

crate::backends! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)] the_scores_agree_with_the_log_recomputed;
}
