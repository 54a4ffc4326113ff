//! Issue 24, the closed loop's clock, over the real HTTP API on both backends: `--deadlines FILE` gives every
//! incident its `stage_due_at`; the hub, on its own clock and with no client doing anything, appends exactly one
//! `incident_overdue` per stay in a stage past its limit — also across a restart and with two PostgreSQL
//! replicas ticking on one database — and a bad deadlines file stops the start naming the key.

mod common;

use std::time::Duration;

use citydeck_hub::start_with;
use common::{B, T};
use serde_json::{json, Value};

/// Limits short enough to pass during a test: 2 s to identify a new incident, 3 s more once identified.
const SHORT: &str = "[stages]\ncollected = \"2s\"\nidentified = \"3s\"\n[grade.I]\ncollected = \"1h\"\n";

fn deadlines(dir: &std::path::Path, text: &str) -> std::path::PathBuf {
    let p = dir.join("deadlines.toml");
    std::fs::write(&p, text).unwrap();
    p
}

fn incident(title: &str, grade: &str) -> Value {
    json!({"title": title, "class": "accident", "grade": grade, "lon": 24.94, "lat": 60.17, "source": "operator"})
}

async fn t_on(hub: citydeck_hub::RunningHub, backend: citydeck_hub::Backend) -> T {
    T {
        hub,
        _dir: tempfile::tempdir().unwrap(),
        http: reqwest::Client::new(),
        backend,
    }
}

/// The `incident_overdue` events of the log.
async fn overdue_events(t: &T, tok: &str) -> Vec<Value> {
    let (_, page) = t.get(tok, "/api/v1/events?after=0&limit=5000").await;
    page["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "incident_overdue")
        .cloned()
        .collect()
}

/// Waits (up to 15 s) until the log holds `n` overdue events.
async fn until_overdue(t: &T, tok: &str, n: usize) -> Vec<Value> {
    for _ in 0..150 {
        let ev = overdue_events(t, tok).await;
        if ev.len() >= n {
            return ev;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "fewer than {n} incident_overdue events after 15 s: {:?}",
        overdue_events(t, tok).await
    );
}

fn secs(v: &Value) -> chrono::DateTime<chrono::Utc> {
    v.as_str().unwrap().parse().unwrap()
}

async fn an_incident_past_its_stage_limit_is_marked_overdue_once_per_stay(b: B) {
    let dir = tempfile::tempdir().unwrap();
    let file = deadlines(dir.path(), SHORT);
    let t = common::hub_config(b, |c| c.deadlines = Some(file)).await;
    let op = t.token("operator").await;
    let (status, created) = t.post(&op, "/api/v1/incidents", incident("积水", "III")).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    // the clock: due two seconds after it entered 采集; a grade-I incident has an hour
    assert_eq!(
        (secs(&created["stage_due_at"]) - secs(&created["stage_entered_at"])).num_seconds(),
        2
    );
    assert_eq!(created["overdue"], false);
    let (_, grade_one) = t.post(&op, "/api/v1/incidents", incident("塌方", "I")).await;
    assert_eq!(
        (secs(&grade_one["stage_due_at"]) - secs(&grade_one["stage_entered_at"])).num_seconds(),
        3600
    );
    // nobody does anything: the hub marks it, once
    let ev = until_overdue(&t, &op, 1).await;
    assert_eq!(ev[0]["incident_id"], id.as_str());
    assert_eq!(ev[0]["incident"]["id"], id.as_str());
    assert_eq!(ev[0]["stage"], "collected");
    assert_eq!(ev[0]["due_at"], created["stage_due_at"]);
    assert_eq!(ev[0]["incident"]["overdue"], true);
    assert_eq!(ev[0]["actor"], "hub");
    let (_, now) = t.get(&op, &format!("/api/v1/incidents/{id}")).await;
    assert_eq!(now["overdue"], true);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(overdue_events(&t, &op).await.len(), 1, "one mark per stay");
    // it moves on: the clock restarts for 识别 (3 s) and the mark clears; that stay is marked once too
    let push = json!({"client_id": uuid::Uuid::new_v4(), "ops": [{"op_id": uuid::Uuid::new_v4(), "client_seq": 1,
        "op": {"kind": "change_stage", "incident_id": id, "from": "collected", "to": "identified"}}]});
    let (status, body) = t.post(&op, "/api/v1/push", push).await;
    assert_eq!(
        (status, body["results"][0]["status"].clone()),
        (200, json!("applied")),
        "{body}"
    );
    let (_, moved) = t.get(&op, &format!("/api/v1/incidents/{id}")).await;
    assert_eq!(moved["overdue"], false);
    assert_eq!(
        (secs(&moved["stage_due_at"]) - secs(&moved["stage_entered_at"])).num_seconds(),
        3
    );
    let ev = until_overdue(&t, &op, 2).await;
    assert_eq!(ev[1]["stage"], "identified");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let ev = overdue_events(&t, &op).await;
    assert_eq!(ev.len(), 2, "{ev:?}");
    // no limit for 交办: an assigned incident has no due time
    let push = json!({"client_id": uuid::Uuid::new_v4(), "ops": [{"op_id": uuid::Uuid::new_v4(), "client_seq": 1,
        "op": {"kind": "change_stage", "incident_id": id, "from": "identified", "to": "assigned"}}]});
    t.post(&op, "/api/v1/push", push).await;
    let (_, assigned) = t.get(&op, &format!("/api/v1/incidents/{id}")).await;
    assert_eq!(
        (assigned["stage_due_at"].clone(), assigned["overdue"].clone()),
        (Value::Null, json!(false))
    );
}

async fn the_mark_is_made_once_across_a_restart(b: B) {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = common::config(dir.path());
    cfg.deadlines = Some(deadlines(dir.path(), "[stages]\ncollected = \"3s\"\n"));
    let backend = common::backend(b, dir.path());
    let t = t_on(
        start_with(cfg.clone(), backend.clone()).await.unwrap(),
        backend.clone(),
    )
    .await;
    let op = t.token("operator").await;
    let (status, _) = t.post(&op, "/api/v1/incidents", incident("路灯", "IV")).await;
    assert_eq!(status, 201);
    // stopped before it is due, restarted after: the new process marks it (it is in the database, not in memory)
    t.hub.shutdown().await.unwrap();
    tokio::time::sleep(Duration::from_secs(4)).await;
    let t = t_on(
        start_with(cfg.clone(), backend.clone()).await.unwrap(),
        backend.clone(),
    )
    .await;
    assert_eq!(until_overdue(&t, &op, 1).await.len(), 1);
    // and a third process never marks it again
    t.hub.shutdown().await.unwrap();
    let t = t_on(start_with(cfg, backend.clone()).await.unwrap(), backend).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(overdue_events(&t, &op).await.len(), 1);
}

/// Two replicas on one PostgreSQL database tick on their own; each stay is marked once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_postgres_replicas_mark_each_stay_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = common::config(dir.path());
    cfg.deadlines = Some(deadlines(dir.path(), "[stages]\ncollected = \"2s\"\n"));
    let backend = common::backend(B::Postgres, dir.path());
    let a = t_on(
        start_with(cfg.clone(), backend.clone()).await.unwrap(),
        backend.clone(),
    )
    .await;
    let b = t_on(start_with(cfg, backend.clone()).await.unwrap(), backend).await;
    let op = a.token("operator").await;
    for i in 0..20 {
        let t = if i % 2 == 0 { &a } else { &b };
        let (status, _) = t
            .post(&op, "/api/v1/incidents", incident(&format!("井盖 {i}"), "III"))
            .await;
        assert_eq!(status, 201);
    }
    let ev = until_overdue(&a, &op, 20).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let ev_b = overdue_events(&b, &op).await;
    assert_eq!(ev_b.len(), 20, "each incident once, whichever replica marked it");
    let mut ids: Vec<&str> = ev.iter().map(|e| e["incident"]["id"].as_str().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 20);
}

async fn a_bad_deadlines_file_stops_the_start_naming_the_key(b: B) {
    let dir = tempfile::tempdir().unwrap();
    for (text, key) in [
        ("[stages]\nlunch = \"1h\"\n", "stages.lunch"),
        ("[stages]\ncollected = \"-5m\"\n", "stages.collected"),
        ("[grade.V]\ncollected = \"1h\"\n", "grade.V"),
    ] {
        let mut cfg = common::config(dir.path());
        let file = deadlines(dir.path(), text);
        cfg.deadlines = Some(file.clone());
        let err = match start_with(cfg, common::backend(b, dir.path())).await {
            Ok(_) => panic!("{text:?} was accepted"),
            Err(e) => e.to_string(),
        };
        assert!(
            err.starts_with(&format!("--deadlines {}: {key}: ", file.display())),
            "{err}"
        );
    }
}

#[test]
fn citydeck_hub_refuses_a_bad_deadlines_file_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let file = deadlines(dir.path(), "[stages]\ncollected = \"soon\"\n");
    let stderr = common::hub_refuses(dir.path(), "--deadlines", &file);
    assert!(stderr.contains("stages.collected"), "{stderr}");
    let stderr = common::hub_refuses(dir.path(), "--deadlines", &dir.path().join("missing.toml"));
    assert!(stderr.contains("--deadlines"), "{stderr}");
}

crate::backends! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)] an_incident_past_its_stage_limit_is_marked_overdue_once_per_stay;
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)] the_mark_is_made_once_across_a_restart;
    #[tokio::test] a_bad_deadlines_file_stops_the_start_naming_the_key;
}
