//! 平战转换 over the real HTTP API: roles, every transition kind, the two-person rule with its time window,
//! audit, and the broadcast reaching 20 connected screens that all acknowledge.

mod common;

use std::time::Duration;

use common::{hub, hub_with, next_event, open_stream, Ws, B, T};
use serde_json::{json, Value};

fn switch(mode: &str, level: Option<&str>, reason: &str) -> Value {
    json!({"mode": mode, "level": level, "reason": reason, "incident_ids": []})
}

/// Logs in both commanders and has the first propose level I: (commander token, commander2 token, the 202 body).
async fn propose_level_one(t: &T) -> (String, String, Value) {
    let c1 = t.token("commander").await;
    let c2 = t.token("commander2").await;
    let (status, p) = t
        .post(&c1, "/api/v1/mode", switch("wartime", Some("I"), "特大地震"))
        .await;
    assert_eq!(status, 202, "{p}");
    (c1, c2, p)
}

async fn initial_mode_is_peacetime_epoch_zero(b: B) {
    let t = hub(b).await;
    let tok = t.token("leader").await;
    let (status, m) = t.get(&tok, "/api/v1/mode").await;
    assert_eq!(status, 200);
    assert_eq!(m["mode"], "peacetime");
    assert_eq!(m["level"], Value::Null);
    assert_eq!(m["epoch"], 0);
    assert_eq!(m["exercise"], false);
    assert_eq!(m["acks"], json!([]));
}

async fn only_commanders_switch_and_refusals_are_audited(b: B) {
    let t = hub(b).await;
    for user in ["operator", "leader", "field"] {
        let tok = t.token(user).await;
        let (status, body) = t
            .post(&tok, "/api/v1/mode", switch("wartime", Some("III"), "暴雨"))
            .await;
        assert_eq!(status, 403, "{user}: {body}");
    }
    let cmd = t.token("commander").await;
    let (_, m) = t.get(&cmd, "/api/v1/mode").await;
    assert_eq!(m["epoch"], 0, "nothing switched");
    let (status, trail) = t.get(&cmd, "/api/v1/mode/audit").await;
    assert_eq!(status, 200);
    let trail = trail.as_array().unwrap();
    assert_eq!(trail.len(), 3);
    assert!(trail
        .iter()
        .all(|e| e["outcome"] == "refused" && e["action"] == "switch"));
    let users: Vec<&str> = trail.iter().map(|e| e["username"].as_str().unwrap()).collect();
    assert_eq!(users, vec!["field", "leader", "operator"], "newest first");
    let (status, _) = t.get(&t.token("leader").await, "/api/v1/mode/audit").await;
    assert_eq!(status, 403);
}

async fn raise_lower_and_stand_down_each_advance_the_epoch(b: B) {
    let t = hub(b).await;
    let cmd = t.token("commander").await;
    let (status, m) = t
        .post(
            &cmd,
            "/api/v1/mode",
            switch("wartime", Some("III"), "暴雨橙色预警"),
        )
        .await;
    assert_eq!(status, 200, "{m}");
    assert_eq!(
        (m["mode"].as_str(), m["level"].as_str(), m["epoch"].as_u64()),
        (Some("wartime"), Some("III"), Some(1))
    );
    assert_eq!(m["switched_by"], "commander");
    assert_eq!(m["reason"], "暴雨橙色预警");
    let (status, m) = t
        .post(&cmd, "/api/v1/mode", switch("wartime", Some("II"), "灾情扩大"))
        .await;
    assert_eq!(
        (status, m["level"].as_str(), m["epoch"].as_u64()),
        (200, Some("II"), Some(2))
    );
    let (status, m) = t
        .post(&cmd, "/api/v1/mode", switch("wartime", Some("IV"), "灾情缓解"))
        .await;
    assert_eq!(
        (status, m["level"].as_str(), m["epoch"].as_u64()),
        (200, Some("IV"), Some(3))
    );
    let (status, m) = t
        .post(&cmd, "/api/v1/mode", switch("peacetime", None, "响应结束"))
        .await;
    assert_eq!(
        (status, m["mode"].as_str(), m["epoch"].as_u64()),
        (200, Some("peacetime"), Some(4))
    );
    assert_eq!(m["level"], Value::Null);
    // every applied switch is in the log
    let (_, page) = t.get(&cmd, "/api/v1/events").await;
    let epochs: Vec<u64> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "mode_changed")
        .map(|e| e["mode"]["epoch"].as_u64().unwrap())
        .collect();
    assert_eq!(epochs, vec![1, 2, 3, 4]);
}

async fn bad_requests_name_their_field_and_change_nothing(b: B) {
    let t = hub(b).await;
    let cmd = t.token("commander").await;
    let cases = [
        (switch("wartime", Some("III"), ""), "reason"),
        (json!({"mode": "wartime", "level": "III"}), "reason"),
        (switch("war", Some("III"), "r"), "mode"),
        (switch("wartime", Some("V"), "r"), "level"),
        (switch("wartime", None, "r"), "level"),
        (
            json!({"mode": "wartime", "level": "III", "reason": "r", "incident_ids": ["nope"]}),
            "incident_ids",
        ),
        // absent means none, but null is not an array (schemathesis found the hub taking it)
        (
            json!({"mode": "wartime", "level": "III", "reason": "r", "incident_ids": null}),
            "incident_ids",
        ),
    ];
    let codes = [
        "reason_required",
        "field_required",
        "field_unknown",
        "field_unknown",
        "level_required",
        "invalid_field",
        "invalid_field",
    ];
    for ((body, field), code) in cases.into_iter().zip(codes) {
        let (status, err) = t.post(&cmd, "/api/v1/mode", body.clone()).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(err["field"], field, "{body}");
        assert_eq!(err["code"], code, "{body}: {err}");
    }
    // A well-formed switch to the mode the city is in already conflicts with the state: 409, naming the field.
    let body = switch("peacetime", None, "already peacetime");
    let (status, err) = t.post(&cmd, "/api/v1/mode", body.clone()).await;
    assert_eq!(
        (status, err["field"].as_str(), err["code"].as_str()),
        (409, Some("mode"), Some("already_in_mode")),
        "{body}: {err}"
    );
    let (_, m) = t.get(&cmd, "/api/v1/mode").await;
    assert_eq!(m["epoch"], 0);
}

async fn level_one_needs_a_second_commander(b: B) {
    let t = hub(b).await;
    let (c1, c2, p) = propose_level_one(&t).await;
    assert_eq!(p["status"], "pending_confirmation");
    let id = p["proposal_id"].as_str().unwrap().to_string();
    let (_, m) = t.get(&c1, "/api/v1/mode").await;
    assert_eq!(m["mode"], "peacetime", "not applied before confirmation");
    // the proposer cannot confirm their own proposal; an operator cannot confirm at all
    let (status, err) = t
        .post(&c1, "/api/v1/mode/confirm", json!({"proposal_id": id}))
        .await;
    assert_eq!(status, 403);
    assert_eq!(
        (err["error"].as_str(), err["code"].as_str()),
        (Some("forbidden"), Some("own_proposal")),
        "{err}"
    );
    let (status, err) = t
        .post(
            &t.token("operator").await,
            "/api/v1/mode/confirm",
            json!({"proposal_id": id}),
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(
        (err["code"].as_str(), err["args"]["role"].as_str()),
        (Some("forbidden"), Some("operator"))
    );
    // every screen can see what waits for confirmation (a leader too), and the log says so
    let (status, pending) = t.get(&t.token("leader").await, "/api/v1/mode/proposals").await;
    assert_eq!(status, 200);
    assert_eq!(pending.as_array().map(Vec::len), Some(1), "{pending}");
    assert_eq!(pending[0]["proposal_id"].as_str(), Some(id.as_str()));
    assert_eq!(
        (
            pending[0]["proposer"].as_str(),
            pending[0]["mode"].as_str(),
            pending[0]["level"].as_str()
        ),
        (Some("commander"), Some("wartime"), Some("I"))
    );
    assert_eq!(pending[0]["reason"], "特大地震");
    let (_, page) = t.get(&c1, "/api/v1/events?after=0").await;
    let proposed: Vec<&Value> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "mode_proposed")
        .collect();
    assert_eq!(proposed.len(), 1, "{page}");
    assert_eq!(proposed[0]["proposal"]["proposal_id"].as_str(), Some(id.as_str()));
    let (status, m) = t
        .post(&c2, "/api/v1/mode/confirm", json!({"proposal_id": id}))
        .await;
    assert_eq!(status, 200, "{m}");
    assert_eq!((m["level"].as_str(), m["epoch"].as_u64()), (Some("I"), Some(1)));
    assert_eq!(m["switched_by"], "commander");
    assert_eq!(m["confirmed_by"], "commander2");
    assert_eq!(m["proposal_id"].as_str(), Some(id.as_str()));
    let (_, pending) = t.get(&c1, "/api/v1/mode/proposals").await;
    assert_eq!(pending, json!([]), "an applied proposal no longer waits");
    // used up
    let (status, err) = t
        .post(&c2, "/api/v1/mode/confirm", json!({"proposal_id": id}))
        .await;
    assert_eq!(status, 409);
    assert_eq!(err["code"], "proposal_settled", "{err}");
    assert_eq!(err["args"]["status"], "applied", "{err}");
    let (status, _) = t
        .post(
            &c2,
            "/api/v1/mode/confirm",
            json!({"proposal_id": "0190a0a0-0000-7000-8000-000000000000"}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, err) = t.post(&c2, "/api/v1/mode/confirm", json!({})).await;
    assert_eq!((status, err["field"].as_str()), (422, Some("proposal_id")));
    let (_, trail) = t.get(&c1, "/api/v1/mode/audit").await;
    let outcomes: Vec<&str> = trail
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert!(
        outcomes.contains(&"pending_confirmation") && outcomes.contains(&"applied"),
        "{outcomes:?}"
    );
}

async fn an_expired_proposal_cannot_be_confirmed(b: B) {
    let t = hub_with(b, Some(chrono::Duration::milliseconds(300))).await;
    let (c1, c2, p) = propose_level_one(&t).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (status, err) = t
        .post(
            &c2,
            "/api/v1/mode/confirm",
            json!({"proposal_id": p["proposal_id"]}),
        )
        .await;
    assert_eq!(status, 409, "{err}");
    assert_eq!(err["code"], "proposal_expired", "{err}");
    assert_eq!(err["args"]["id"], p["proposal_id"], "{err}");
    let (_, m) = t.get(&c1, "/api/v1/mode").await;
    assert_eq!(m["epoch"], 0);
}

async fn a_proposal_overtaken_by_another_switch_is_refused(b: B) {
    let t = hub(b).await;
    let (c1, c2, p) = propose_level_one(&t).await;
    // meanwhile the city went to level I by another proposal that was confirmed first
    let (_, p2) = t
        .post(&c2, "/api/v1/mode", switch("wartime", Some("I"), "同一地震"))
        .await;
    let (status, _) = t
        .post(
            &c1,
            "/api/v1/mode/confirm",
            json!({"proposal_id": p2["proposal_id"]}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, err) = t
        .post(
            &c2,
            "/api/v1/mode/confirm",
            json!({"proposal_id": p["proposal_id"]}),
        )
        .await;
    assert_eq!(status, 409, "already at level I: {err}");
    assert_eq!(err["code"], "mode_changed", "{err}");
}

async fn next_mode_epoch(ws: &mut Ws) -> u64 {
    loop {
        let v = next_event(ws).await;
        if v["kind"] == "mode_changed" {
            return v["mode"]["epoch"].as_u64().unwrap();
        }
    }
}

async fn a_switch_reaches_twenty_screens_and_every_ack_is_collected(b: B) {
    let t = hub(b).await;
    let cmd = t.token("commander").await;
    let viewer = t.token("leader").await;
    let mut screens = Vec::new();
    for _ in 0..20 {
        screens.push(open_stream(&t, &viewer, 0).await);
    }
    let (status, _) = t
        .post(
            &cmd,
            "/api/v1/mode",
            switch("wartime", Some("III"), "暴雨橙色预警"),
        )
        .await;
    assert_eq!(status, 200);
    for (i, ws) in screens.iter_mut().enumerate() {
        let epoch = next_mode_epoch(ws).await;
        assert_eq!(epoch, 1);
        let (status, ack) = t
            .post(
                &viewer,
                &format!("/api/v1/screens/hall-wall-{i}/ack"),
                json!({"epoch": epoch}),
            )
            .await;
        assert_eq!(status, 200, "{ack}");
    }
    let (_, m) = t.get(&cmd, "/api/v1/mode").await;
    let acks = m["acks"].as_array().unwrap();
    assert_eq!(acks.len(), 20);
    assert!(acks.iter().all(|a| a["epoch"] == 1 && a["by"] == "leader"));
    // a screen cannot acknowledge an epoch that does not exist; names are checked
    let (status, _) = t
        .post(&viewer, "/api/v1/screens/hall-wall-0/ack", json!({"epoch": 9}))
        .await;
    assert_eq!(status, 409);
    let (status, err) = t
        .post(&viewer, "/api/v1/screens/bad%20name/ack", json!({"epoch": 1}))
        .await;
    assert_eq!((status, err["field"].as_str()), (422, Some("name")));
    let (status, err) = t.post(&viewer, "/api/v1/screens/wall/ack", json!({})).await;
    assert_eq!((status, err["field"].as_str()), (422, Some("epoch")));
}

async fn registered_screens_that_never_acked_are_listed(b: B) {
    let t = common::hub_config(b, |c| {
        c.screens = vec!["hall-wall-1".into(), "leader-office".into()]
    })
    .await;
    let c1 = t.token("commander").await;
    let (_, m) = t.get(&c1, "/api/v1/mode").await;
    assert_eq!(m["screens"], json!(["hall-wall-1", "leader-office"]), "{m}");
    assert_eq!(m["acks"], json!([]));
    // registering: commanders only, a bad name names the field, a known name is 200 and appends nothing
    let put = |tok: String, name: &'static str| {
        let http = t.http.clone();
        let url = t.url(&format!("/api/v1/screens/{name}"));
        async move {
            http.put(url)
                .bearer_auth(tok)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(put(t.token("operator").await, "ops-desk").await, 403);
    assert_eq!(put(t.token("leader").await, "ops-desk").await, 403);
    assert_eq!(put(c1.clone(), "ops-desk").await, 201);
    assert_eq!(put(c1.clone(), "ops-desk").await, 200);
    assert_eq!(put(c1.clone(), "bad%20name").await, 422);
    let (_, page) = t.get(&c1, "/api/v1/events?after=0").await;
    let registered: Vec<&str> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "screen_registered")
        .map(|e| e["screen"].as_str().unwrap())
        .collect();
    assert_eq!(registered, ["hall-wall-1", "leader-office", "ops-desk"]);
    // one screen acks the switch: the other two are the ones the commander must chase
    let (status, m) = t
        .post(&c1, "/api/v1/mode", switch("wartime", Some("III"), "暴雨内涝"))
        .await;
    assert_eq!(status, 200, "{m}");
    let (status, _) = t
        .post(&c1, "/api/v1/screens/hall-wall-1/ack", json!({"epoch": 1}))
        .await;
    assert_eq!(status, 200);
    // a screen nobody registered registers itself by acking
    let (status, _) = t
        .post(&c1, "/api/v1/screens/field-laptop-7/ack", json!({"epoch": 1}))
        .await;
    assert_eq!(status, 200);
    let (_, m) = t.get(&c1, "/api/v1/mode").await;
    let mode: citydeck_protocol::ModeState = serde_json::from_value(m.clone()).unwrap();
    assert_eq!(
        mode.screens,
        ["field-laptop-7", "hall-wall-1", "leader-office", "ops-desk"]
    );
    assert_eq!(mode.lagging_screens(), ["leader-office", "ops-desk"], "{m}");
}

/// A drill hub and the real hub side by side: the drill switches to level I and fills its log, the real hub
/// does not move; neither database can be opened as the other.
async fn a_drill_runs_the_same_switch_on_isolated_data(b: B) {
    let real = hub(b).await;
    let drill = common::hub_config(b, |c| c.exercise = true).await;
    let (_, health) = drill.get("", "/api/v1/health").await;
    assert_eq!(health["exercise"], true, "{health}");
    let (_, health) = real.get("", "/api/v1/health").await;
    assert_eq!(health["exercise"], false, "{health}");
    let rc = real.token("commander").await;
    let (_, before) = real.get(&rc, "/api/v1/mode").await;
    let (_, real_events_before) = real.get(&rc, "/api/v1/events?after=0").await;

    let (c1, c2, p) = propose_level_one(&drill).await;
    let (status, m) = drill
        .post(
            &c2,
            "/api/v1/mode/confirm",
            json!({"proposal_id": p["proposal_id"]}),
        )
        .await;
    assert_eq!(status, 200, "{m}");
    assert_eq!(
        (m["mode"].as_str(), m["level"].as_str()),
        (Some("wartime"), Some("I"))
    );
    assert_eq!(m["exercise"], true, "every drill state says so");
    let (status, _) = drill
        .post(
            &c1,
            "/api/v1/incidents",
            json!({"source": "drill", "class": "accident", "grade": "I",
                   "title": "演练：地铁站火灾", "lon": 24.94, "lat": 60.17}),
        )
        .await;
    assert_eq!(status, 201);
    let (_, page) = drill.get(&c1, "/api/v1/events?after=0").await;
    let changed: Vec<&Value> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "mode_changed")
        .collect();
    assert!(changed.iter().all(|e| e["mode"]["exercise"] == true), "{page}");

    let (_, after) = real.get(&rc, "/api/v1/mode").await;
    assert_eq!(after, before, "the real mode is untouched");
    assert_eq!(after["exercise"], false);
    let (_, real_events_after) = real.get(&rc, "/api/v1/events?after=0").await;
    assert_eq!(real_events_after, real_events_before, "the real log is untouched");

    // the stores are marked: a drill database cannot be served as real, nor the real one as a drill
    let err = common::open_store(&drill.backend, false)
        .await
        .expect_err("refused");
    assert!(err.contains("exercise"), "{err}");
    let err = common::open_store(&real.backend, true)
        .await
        .expect_err("refused");
    assert!(err.contains("real"), "{err}");
    assert_eq!(common::open_store(&real.backend, false).await, Ok(()));
}

crate::backends! {
    #[tokio::test] initial_mode_is_peacetime_epoch_zero;
    #[tokio::test] only_commanders_switch_and_refusals_are_audited;
    #[tokio::test] raise_lower_and_stand_down_each_advance_the_epoch;
    #[tokio::test] bad_requests_name_their_field_and_change_nothing;
    #[tokio::test] level_one_needs_a_second_commander;
    #[tokio::test] an_expired_proposal_cannot_be_confirmed;
    #[tokio::test] a_proposal_overtaken_by_another_switch_is_refused;
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)] a_switch_reaches_twenty_screens_and_every_ack_is_collected;
    #[tokio::test] registered_screens_that_never_acked_are_listed;
    #[tokio::test] a_drill_runs_the_same_switch_on_isolated_data;
}
