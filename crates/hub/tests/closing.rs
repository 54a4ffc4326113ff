//! Issue 24 over the real HTTP API on both backends: 评估反馈 — the `evaluate` op records how a closed case's
//! handling went (result + rating), refused with a code on an open case or a rating outside 1..=5, kept in the
//! incident and in its history (the log); and the grade-I alarm's acknowledgement — an operator's or
//! commander's `acknowledge` of a grade-I incident silences it for every screen, a field account's
//! acknowledgement does not, a leader cannot act at all.

mod common;

use common::{B, T};
use serde_json::{json, Value};

async fn push(t: &T, tok: &str, op: Value) -> (u16, Value) {
    let (status, body) = t
        .post(
            tok,
            "/api/v1/push",
            json!({"client_id": uuid::Uuid::new_v4(), "ops": [{"op_id": uuid::Uuid::new_v4(),
                "client_seq": 1, "op": op}]}),
        )
        .await;
    (status, body["results"][0].clone())
}

async fn create(t: &T, tok: &str, grade: &str) -> String {
    let (status, i) = t
        .post(
            tok,
            "/api/v1/incidents",
            json!({"title": "化工厂爆炸", "class": "accident", "grade": grade, "lon": 24.94, "lat": 60.17,
                   "source": "operator"}),
        )
        .await;
    assert_eq!(status, 201, "{i}");
    i["id"].as_str().unwrap().to_string()
}

async fn alarm(t: &T, tok: &str, id: &str) -> Value {
    t.get(tok, &format!("/api/v1/incidents/{id}")).await.1["alarm_acknowledged"].clone()
}

async fn closing_records_an_evaluation_of_the_handling(b: B) {
    let t = common::hub(b).await;
    let op = t.token("operator").await;
    let id = create(&t, &op, "II").await;
    let eval = |rating: u64| {
        json!({"kind": "evaluate", "incident_id": id, "result": "resolved", "rating": rating,
               "comment": " 处置及时，群众满意 "})
    };
    let (_, r) = push(&t, &op, eval(4)).await;
    assert_eq!(
        (r["status"].clone(), r["code"].clone()),
        (json!("rejected"), json!("not_closed")),
        "{r}"
    );
    let close = json!({"kind": "change_stage", "incident_id": id, "from": "collected", "to": "closed"});
    assert_eq!(push(&t, &op, close).await.1["status"], "applied");
    let (_, r) = push(&t, &op, eval(9)).await;
    assert_eq!(
        (r["code"].clone(), r["args"]["field"].clone()),
        (json!("field_out_of_range"), json!("rating"))
    );
    let (_, r) = push(
        &t,
        &op,
        json!({"kind": "evaluate", "incident_id": id, "result": "great", "rating": 3}),
    )
    .await;
    assert_eq!(r["status"], "rejected", "an unknown result: {r}");
    let cmd = t.token("commander").await;
    let (_, r) = push(&t, &cmd, eval(4)).await;
    assert_eq!(r["status"], "applied", "{r}");
    let (_, inc) = t.get(&op, &format!("/api/v1/incidents/{id}")).await;
    let e = &inc["evaluation"];
    assert_eq!(
        (
            e["result"].clone(),
            e["rating"].clone(),
            e["comment"].clone(),
            e["by"].clone()
        ),
        (
            json!("resolved"),
            json!(4),
            json!("处置及时，群众满意"),
            json!("commander")
        )
    );
    // its history: the log holds the evaluation
    let (_, page) = t.get(&op, "/api/v1/events?after=0&limit=100").await;
    let last = page["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["incident"]["evaluation"]["rating"], 4);
    assert_eq!(last["actor"], "commander");
}

async fn an_operator_or_commander_silences_the_grade_one_alarm_for_everyone(b: B) {
    let t = common::hub(b).await;
    let op = t.token("operator").await;
    let id = create(&t, &op, "I").await;
    let ack = json!({"kind": "acknowledge", "incident_id": id});
    assert_eq!(
        alarm(&t, &op, &id).await,
        Value::Null,
        "a new grade-I incident alarms"
    );
    // field staff acknowledge it for themselves; the wall keeps alarming
    let (_, r) = push(&t, &t.token("field").await, ack.clone()).await;
    assert_eq!(r["status"], "applied");
    assert_eq!(alarm(&t, &op, &id).await, Value::Null);
    // a leader acts on nothing (their screen can only mute itself)
    let (status, _) = t
        .post(
            &t.token("leader").await,
            "/api/v1/push",
            json!({"client_id": uuid::Uuid::new_v4(), "ops": [{"op_id": uuid::Uuid::new_v4(), "client_seq": 1,
                "op": ack}]}),
        )
        .await;
    assert_eq!(status, 403);
    // the commander's acknowledgement silences it, once
    let (_, r) = push(&t, &t.token("commander").await, ack.clone()).await;
    assert_eq!(r["status"], "applied");
    let a = alarm(&t, &op, &id).await;
    assert_eq!(a["by"], "commander", "{a}");
    let (_, r) = push(&t, &op, ack.clone()).await;
    assert_eq!(r["status"], "applied");
    assert_eq!(alarm(&t, &op, &id).await["by"], "commander");
    // a grade-II incident has no alarm to silence
    let two = create(&t, &op, "II").await;
    push(&t, &op, json!({"kind": "acknowledge", "incident_id": two})).await;
    let (_, i) = t.get(&op, &format!("/api/v1/incidents/{two}")).await;
    assert_eq!(
        (i["acknowledged_by"].clone(), i.get("alarm_acknowledged").cloned()),
        (json!(["operator"]), None)
    );
}

crate::backends! {
    #[tokio::test] closing_records_an_evaluation_of_the_handling;
    #[tokio::test] an_operator_or_commander_silences_the_grade_one_alarm_for_everyone;
}
