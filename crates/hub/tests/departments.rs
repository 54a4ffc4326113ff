//! Issue 24, departments and the escalation ladder, over the real HTTP API on both backends: `--city FILE` (the
//! demo city's own file) gives the hub its `[[departments]]`, listed parents first by `GET /api/v1/departments`;
//! 交办 names one (an unknown one is refused with a code, nothing changed); an overdue case climbs one rung per
//! further limit — the department's parent and the area's parent — once per rung, up to the top and no further;
//! `--deadlines` overrides the city file's `[deadlines]`; a bad city file stops the start naming the key.

mod common;

use std::time::Duration;

use common::{B, T};
use serde_json::{json, Value};

/// The demo city's file, as the desktop's embedded hub reads it.
fn city_file() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/city/liechtenstein.toml")
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// An accident in Vaduz (inside the city, its district and its street).
fn accident(title: &str) -> Value {
    json!({"title": title, "class": "accident", "grade": "III", "lon": 9.5209, "lat": 47.1410,
           "source": "operator"})
}

fn op(n: u64, op: Value) -> Value {
    json!({"op_id": uuid::Uuid::new_v4(), "client_seq": n, "op": op})
}

async fn push(t: &T, tok: &str, ops: Vec<Value>) -> Vec<Value> {
    let (status, body) = t
        .post(
            tok,
            "/api/v1/push",
            json!({"client_id": uuid::Uuid::new_v4(), "ops": ops}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["results"].as_array().unwrap().clone()
}

async fn events_of(t: &T, tok: &str, kinds: &[&str]) -> Vec<Value> {
    let (_, page) = t.get(tok, "/api/v1/events?after=0&limit=5000").await;
    page["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| kinds.contains(&e["kind"].as_str().unwrap_or("")))
        .cloned()
        .collect()
}

async fn departments_are_listed_parents_first(b: B) {
    let t = common::hub_config(b, |c| c.city = Some(city_file())).await;
    let (status, _) = t.get("not-a-token", "/api/v1/departments").await;
    assert_eq!(status, 401);
    // every role reads them, the leader's wall too
    let (status, body) = t.get(&t.token("leader").await, "/api/v1/departments").await;
    assert_eq!(status, 200, "{body}");
    let list = body["departments"].as_array().unwrap();
    let ids: Vec<&str> = list.iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["command", "emergency", "fire", "health", "police"]);
    assert_eq!(list[0]["parent"], Value::Null);
    assert_eq!(list[2]["parent"], "emergency");
    assert_eq!(
        list[2]["name"],
        json!({"zh": "消防救援支队", "en": "Fire and Rescue Brigade"})
    );
    assert_eq!(list[2]["kinds"], json!(["accident"]));
    // a hub without a city file has none
    let bare = common::hub(b).await;
    let (_, body) = bare
        .get(&bare.token("operator").await, "/api/v1/departments")
        .await;
    assert_eq!(body, json!({"departments": []}));
}

async fn assign_names_a_department_and_an_unknown_one_is_refused_with_a_code(b: B) {
    let t = common::hub_config(b, |c| {
        c.city = Some(city_file());
        c.areas = Some(common::liechtenstein());
    })
    .await;
    let tok = t.token("operator").await;
    let (status, created) = t.post(&tok, "/api/v1/incidents", accident("车辆起火")).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    let assign = |dept: Value| json!({"kind": "assign", "incident_id": id, "assignee": "rescue-vaduz-1", "department": dept});
    let r = push(&t, &tok, vec![op(1, assign(json!("fire")))]).await;
    assert_eq!(r[0]["status"], "applied", "{r:?}");
    let (_, now) = t.get(&tok, &format!("/api/v1/incidents/{id}")).await;
    assert_eq!(
        (now["department"].clone(), now["assignee"].clone()),
        (json!("fire"), json!("rescue-vaduz-1"))
    );
    // an unknown department: a coded refusal, and nothing changed
    let r = push(&t, &tok, vec![op(2, assign(json!("parks")))]).await;
    assert_eq!(r[0]["status"], "rejected");
    assert_eq!(r[0]["code"], "unknown_department");
    assert_eq!(r[0]["args"], json!({"department": "parks"}));
    let (_, after) = t.get(&tok, &format!("/api/v1/incidents/{id}")).await;
    assert_eq!(after, now, "nothing half-applied");
    // an assign without a department keeps the one it has
    let plain = json!({"kind": "assign", "incident_id": id, "assignee": "rescue-schaan-1"});
    assert_eq!(push(&t, &tok, vec![op(3, plain)]).await[0]["status"], "applied");
    let (_, kept) = t.get(&tok, &format!("/api/v1/incidents/{id}")).await;
    assert_eq!(
        (kept["department"].clone(), kept["assignee"].clone()),
        (json!("fire"), json!("rescue-schaan-1"))
    );
    // a closed incident takes no assign
    let close = json!({"kind": "change_stage", "incident_id": id, "from": "collected", "to": "closed"});
    assert_eq!(push(&t, &tok, vec![op(4, close)]).await[0]["status"], "applied");
    let r = push(&t, &tok, vec![op(5, assign(json!("police")))]).await;
    assert_eq!(
        (r[0]["status"].clone(), r[0]["code"].clone()),
        (json!("rejected"), json!("incident_closed"))
    );
    // a leader may not 交办 at all
    let r = t
        .post(
            &t.token("leader").await,
            "/api/v1/push",
            json!({"client_id": uuid::Uuid::new_v4(), "ops": [op(1, assign(json!("fire")))]}),
        )
        .await;
    assert_ne!(r.0, 200, "{r:?}");
}

async fn an_overdue_case_climbs_the_ladder_once_per_rung_to_the_top(b: B) {
    let dir = tempfile::tempdir().unwrap();
    // 2 s to identify: overdue at 2 s, the department's and the street's parents at 4 s, the top at 6 s
    let short = write(dir.path(), "deadlines.toml", "[stages]\ncollected = \"2s\"\n");
    let t = common::hub_config(b, |c| {
        c.city = Some(city_file());
        c.areas = Some(common::liechtenstein());
        c.deadlines = Some(short);
    })
    .await;
    let tok = t.token("operator").await;
    let (_, created) = t.post(&tok, "/api/v1/incidents", accident("危化品泄漏")).await;
    let id = created["id"].as_str().unwrap().to_string();
    let areas: Vec<String> = serde_json::from_value(created["area_ids"].clone()).unwrap();
    assert_eq!(areas.len(), 3, "city, district, street: {created}");
    let assign =
        json!({"kind": "assign", "incident_id": id, "assignee": "rescue-vaduz-1", "department": "fire"});
    assert_eq!(push(&t, &tok, vec![op(1, assign)]).await[0]["status"], "applied");
    let mut ladder = Vec::new();
    for _ in 0..150 {
        ladder = events_of(&t, &tok, &["incident_overdue", "incident_escalated"]).await;
        if ladder.len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(ladder.len(), 3, "{ladder:?}");
    assert_eq!(ladder[0]["kind"], "incident_overdue");
    let rung = |e: &Value| {
        (
            e["kind"].as_str().unwrap().to_string(),
            e["rung"].as_u64(),
            e["department"].as_str().map(str::to_owned),
            e["area_id"].as_str().map(str::to_owned),
        )
    };
    assert_eq!(
        rung(&ladder[1]),
        (
            "incident_escalated".into(),
            Some(2),
            Some("emergency".into()),
            Some(areas[1].clone())
        )
    );
    assert_eq!(
        rung(&ladder[2]),
        (
            "incident_escalated".into(),
            Some(3),
            Some("command".into()),
            Some(areas[0].clone())
        )
    );
    assert_eq!(ladder[2]["actor"], "hub");
    assert_eq!(ladder[2]["stage"], "collected");
    assert_eq!(ladder[2]["incident"]["escalation"]["rung"], 3);
    assert_eq!(ladder[2]["incident"]["overdue"], true);
    // the top: nothing more however long it stays
    tokio::time::sleep(Duration::from_millis(4500)).await;
    assert_eq!(
        events_of(&t, &tok, &["incident_overdue", "incident_escalated"])
            .await
            .len(),
        3
    );
    // it moves on: a new stay, off the ladder
    let next = json!({"kind": "change_stage", "incident_id": id, "from": "collected", "to": "identified"});
    assert_eq!(push(&t, &tok, vec![op(2, next)]).await[0]["status"], "applied");
    let (_, moved) = t.get(&tok, &format!("/api/v1/incidents/{id}")).await;
    assert_eq!(
        (moved["overdue"].clone(), moved.get("escalation").cloned()),
        (json!(false), None)
    );
}

/// The city file's `[deadlines]` hold unless `--deadlines` is given.
async fn deadlines_come_from_the_city_file_unless_overridden(b: B) {
    let secs = |v: &Value| {
        (v["stage_due_at"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
            - v["stage_entered_at"]
                .as_str()
                .unwrap()
                .parse::<chrono::DateTime<chrono::Utc>>()
                .unwrap())
        .num_seconds()
    };
    let t = common::hub_config(b, |c| c.city = Some(city_file())).await;
    let (_, i) = t
        .post(
            &t.token("operator").await,
            "/api/v1/incidents",
            accident("路面塌陷"),
        )
        .await;
    assert_eq!(secs(&i), 60, "the city file's collected = \"1m\": {i}");
    let dir = tempfile::tempdir().unwrap();
    let other = write(dir.path(), "d.toml", "[stages]\ncollected = \"7m\"\n");
    let t = common::hub_config(b, |c| {
        c.city = Some(city_file());
        c.deadlines = Some(other);
    })
    .await;
    let (_, i) = t
        .post(
            &t.token("operator").await,
            "/api/v1/incidents",
            accident("路面塌陷"),
        )
        .await;
    assert_eq!(secs(&i), 420);
}

async fn a_bad_city_file_stops_the_start_naming_the_key(b: B) {
    let dir = tempfile::tempdir().unwrap();
    for (text, key) in [
        (
            "[[departments]]\nid = \"fire\"\nname = { zh = \"消防\", en = \"Fire\" }\nparent = \"nobody\"\n",
            "departments[0].parent",
        ),
        ("[[departments]]\nid = \"fire\"\n", "departments[0].name"),
        (
            "[deadlines.stages]\ncollected = \"-1m\"\n",
            "deadlines.stages.collected",
        ),
        ("deadlines = 5\n", "deadlines"),
        ("[[departments]\n", ""),
    ] {
        let file = write(dir.path(), "city.toml", text);
        let mut cfg = common::config(dir.path());
        cfg.city = Some(file.clone());
        let err = match citydeck_hub::start_with(cfg, common::backend(b, dir.path())).await {
            Ok(_) => panic!("{text:?} was accepted"),
            Err(e) => e.to_string(),
        };
        assert!(
            err.starts_with(&format!("--city {}: {key}", file.display())),
            "{err}"
        );
    }
}

#[test]
fn citydeck_hub_refuses_a_bad_city_file_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "city.toml",
        "[[departments]]\nid = \"Fire\"\nname = { zh = \"消防\", en = \"Fire\" }\n",
    );
    let stderr = common::hub_refuses(dir.path(), "--city", &file);
    assert!(stderr.contains("departments[0].id"), "{stderr}");
}

crate::backends! {
    #[tokio::test] departments_are_listed_parents_first;
    #[tokio::test] assign_names_a_department_and_an_unknown_one_is_refused_with_a_code;
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)] an_overdue_case_climbs_the_ladder_once_per_rung_to_the_top;
    #[tokio::test] deadlines_come_from_the_city_file_unless_overridden;
    #[tokio::test] a_bad_city_file_stops_the_start_naming_the_key;
}
