//! `POST /api/v1/push` over the real HTTP API: a batch of offline actions applies exactly once — retried,
//! repeated concurrently, or after a hub restart — rules reject with a reason without blocking the rest, and a
//! malformed envelope is a 422 naming the field.

mod common;

use common::{hub, B, T};
use serde_json::{json, Value};

const CLIENT: &str = "0192f000-0000-7000-8000-0000000000c1";

fn uuid(n: u32) -> String {
    format!("0192f000-0000-7000-8000-{n:012x}")
}

fn create(incident_id: &str, title: &str) -> Value {
    json!({"kind": "create_incident", "incident_id": incident_id, "title": title, "class": "accident",
           "grade": "III", "lon": 24.9384, "lat": 60.1699, "source": "field"})
}

fn op(n: u32, op: Value) -> Value {
    json!({"op_id": uuid(1000 + n), "client_seq": n, "op": op})
}

async fn push(t: &T, tok: &str, client: &str, ops: Vec<Value>) -> (u16, Value) {
    t.post(tok, "/api/v1/push", json!({"client_id": client, "ops": ops}))
        .await
}

fn statuses(r: &Value) -> Vec<String> {
    r["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["status"].as_str().unwrap().to_string())
        .collect()
}

async fn head(t: &T, tok: &str) -> u64 {
    t.get(tok, "/api/v1/events?after=0&limit=1").await.1["head"]
        .as_u64()
        .unwrap()
}

/// A field worker's offline afternoon: create an incident, note, photo, acknowledge, assign, move it on.
fn afternoon(inc: &str) -> Vec<Value> {
    vec![
        op(1, create(inc, "Esplanadi 倒树阻断道路")),
        op(
            2,
            json!({"kind": "add_note", "incident_id": inc, "text": "两车道受阻"}),
        ),
        op(
            3,
            json!({"kind": "add_note", "incident_id": inc, "text": "", "photo_ref": "IMG_0042.jpg"}),
        ),
        op(4, json!({"kind": "acknowledge", "incident_id": inc})),
        op(
            5,
            json!({"kind": "change_stage", "incident_id": inc, "from": "collected", "to": "identified"}),
        ),
        op(
            6,
            json!({"kind": "assign", "incident_id": inc, "assignee": "园林抢修一队"}),
        ),
        op(
            7,
            json!({"kind": "change_stage", "incident_id": inc, "from": "identified", "to": "assigned"}),
        ),
    ]
}

async fn a_batch_applies_in_order_and_a_retry_applies_nothing_again(b: B) {
    let t = hub(b).await;
    let tok = t.token("field").await;
    let inc = uuid(1);
    let (status, r) = push(&t, &tok, CLIENT, afternoon(&inc)).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(statuses(&r), vec!["applied"; 7], "{r}");
    let seqs: Vec<u64> = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["server_seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, (1..=7).collect::<Vec<_>>(), "one event per op, in order");
    let (_, i) = t.get(&tok, &format!("/api/v1/incidents/{inc}")).await;
    assert_eq!(i["id"], inc.as_str(), "the client's id is kept");
    assert_eq!(i["status"], "assigned");
    assert_eq!(i["assignee"], "园林抢修一队");
    assert_eq!(i["acknowledged_by"], json!(["field"]));
    assert_eq!(i["notes"].as_array().unwrap().len(), 2);
    assert_eq!(i["notes"][1]["photo_ref"], "IMG_0042.jpg");

    // the network dropped the answer: the desktop pushes the same batch again
    let (status, r2) = push(&t, &tok, CLIENT, afternoon(&inc)).await;
    assert_eq!(status, 200);
    assert_eq!(statuses(&r2), vec!["duplicate"; 7], "{r2}");
    assert_eq!(r2["results"][4]["first_status"], "applied");
    assert_eq!(r2["results"][4]["server_seq"], 5, "the first outcome is repeated");
    assert_eq!(head(&t, &tok).await, 7, "nothing appended by the retry");
}

async fn the_same_batch_pushed_ten_times_at_once_applies_once(b: B) {
    let t = hub(b).await;
    let tok = t.token("field").await;
    let inc = uuid(2);
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (http, url, tok, ops) = (
                t.http.clone(),
                t.url("/api/v1/push"),
                tok.clone(),
                afternoon(&inc),
            );
            tokio::spawn(async move {
                let r = http
                    .post(url)
                    .bearer_auth(tok)
                    .json(&json!({"client_id": CLIENT, "ops": ops}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
                r.json::<Value>().await.unwrap()
            })
        })
        .collect();
    let mut applied = 0;
    for task in tasks {
        let r = task.await.unwrap();
        applied += statuses(&r).iter().filter(|s| *s == "applied").count();
    }
    assert_eq!(applied, 7, "each op applied by exactly one of the ten pushes");
    assert_eq!(head(&t, &tok).await, 7);
}

async fn a_bad_op_is_rejected_with_its_reason_and_the_good_ones_still_apply(b: B) {
    let t = hub(b).await;
    let tok = t.token("operator").await;
    let inc = uuid(3);
    let ops = vec![
        op(1, create(&inc, "Kauppatori 游客摔伤")),
        op(2, json!({"kind": "teleport", "incident_id": inc})),
        op(
            3,
            json!({"kind": "create_incident", "title": "x", "class": "accident", "grade": "V",
                     "lon": 24.9, "lat": 60.1, "source": "field"}),
        ),
        op(
            4,
            json!({"kind": "change_stage", "incident_id": inc, "to": "feedback"}),
        ),
        op(
            5,
            json!({"kind": "add_note", "incident_id": uuid(999), "text": "?"}),
        ),
        op(
            6,
            json!({"kind": "add_note", "incident_id": inc, "text": "救护车已到"}),
        ),
    ];
    let (status, r) = push(&t, &tok, CLIENT, ops).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(
        statuses(&r),
        ["applied", "rejected", "rejected", "rejected", "rejected", "applied"],
        "{r}"
    );
    let reason = |i: usize| r["results"][i]["reason"].as_str().unwrap().to_string();
    assert!(
        reason(1).contains("teleport") || reason(1).contains("unknown variant"),
        "{}",
        reason(1)
    );
    assert!(reason(2).contains("grade"), "names the field: {}", reason(2));
    assert!(reason(3).contains("not allowed"), "{}", reason(3));
    assert!(reason(4).contains("unknown incident"), "{}", reason(4));
    // each refusal also comes as a stable code with its arguments, beside the words
    let code = |i: usize| r["results"][i]["code"].as_str().unwrap_or("").to_string();
    assert_eq!(
        [code(1), code(2), code(3), code(4)],
        ["bad_op", "field_unknown", "invalid_transition", "not_found"],
        "{r}"
    );
    assert_eq!(r["results"][2]["args"]["field"], "op.grade", "{r}");
    assert_eq!(
        r["results"][3]["args"],
        json!({"from": "collected", "to": "feedback"}),
        "{r}"
    );
    assert_eq!(r["results"][4]["args"]["id"], json!(uuid(999)), "{r}");
    assert_eq!(r["results"][0].get("code"), None, "an applied op has no code");
    // a rejection is final: retried, it is a duplicate that repeats the reason
    let (_, r2) = push(
        &t,
        &tok,
        CLIENT,
        vec![op(
            4,
            json!({"kind": "change_stage", "incident_id": inc, "to": "feedback"}),
        )],
    )
    .await;
    assert_eq!(r2["results"][0]["status"], "duplicate");
    assert_eq!(r2["results"][0]["first_status"], "rejected");
    assert!(r2["results"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("not allowed"));
    assert_eq!(
        r2["results"][0]["code"], "invalid_transition",
        "the duplicate repeats the code"
    );
    assert_eq!(r2["results"][0]["args"], r["results"][3]["args"]);
    // a client_seq already used by another op is refused and does not take the op's place
    let (_, r3) = push(
        &t,
        &tok,
        CLIENT,
        vec![json!({"op_id": uuid(5000), "client_seq": 1,
        "op": {"kind": "acknowledge", "incident_id": inc}})],
    )
    .await;
    assert_eq!(r3["results"][0]["status"], "rejected");
    assert!(r3["results"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("client_seq 1"));
    assert_eq!(r3["results"][0]["code"], "client_seq_taken");
    assert_eq!(r3["results"][0]["args"]["client_seq"], 1);
}

async fn a_malformed_batch_is_a_422_naming_the_field_and_applies_nothing(b: B) {
    let t = hub(b).await;
    let tok = t.token("field").await;
    let cases = [
        (json!({"ops": []}), "client_id"),
        (json!({"client_id": "nope", "ops": []}), "client_id"),
        (json!({"client_id": CLIENT}), "ops"),
        (
            json!({"client_id": CLIENT, "ops": [op(1, create(&uuid(4), "a")), {"client_seq": 2, "op": {}}]}),
            "ops[1].op_id",
        ),
        (
            json!({"client_id": CLIENT, "ops": [{"op_id": uuid(7), "client_seq": -1, "op": {}}]}),
            "ops[0].client_seq",
        ),
    ];
    for (body, field) in cases {
        let (status, err) = t.post(&tok, "/api/v1/push", body.clone()).await;
        assert_eq!(
            (status, err["field"].as_str()),
            (422, Some(field)),
            "{body} → {err}"
        );
    }
    let r = t
        .http
        .post(t.url("/api/v1/push"))
        .bearer_auth(&tok)
        .header("content-type", "application/json")
        .body("{\"client_id\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(head(&t, &tok).await, 0, "nothing applied");
    // a read-only leader may not push at all
    let (status, _) = push(&t, &t.token("leader").await, CLIENT, vec![]).await;
    assert_eq!(status, 403);
}

async fn a_stage_change_made_stale_by_someone_else_is_a_conflict_not_an_overwrite(b: B) {
    let t = hub(b).await;
    let a = t.token("operator").await;
    let b = t.token("field").await;
    let inc = uuid(6);
    let (_, r) = push(&t, &a, CLIENT, vec![op(1, create(&inc, "Senaatintori 集会"))]).await;
    assert_eq!(statuses(&r), ["applied"]);
    // A (online) identifies it; B (offline, saw it collected) closes it as a false alarm
    let (_, r) = push(
        &t,
        &a,
        CLIENT,
        vec![op(
            2,
            json!({"kind": "change_stage", "incident_id": inc, "from": "collected", "to": "identified"}),
        )],
    )
    .await;
    assert_eq!(statuses(&r), ["applied"]);
    let other = "0192f000-0000-7000-8000-0000000000c2";
    let (_, r) = push(
        &t,
        &b,
        other,
        vec![op(
            1,
            json!({"kind": "change_stage", "incident_id": inc, "from": "collected", "to": "closed"}),
        )],
    )
    .await;
    assert_eq!(statuses(&r), ["rejected"]);
    let reason = r["results"][0]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("conflict") && reason.contains("identified"),
        "{reason}"
    );
    let (_, i) = t.get(&a, &format!("/api/v1/incidents/{inc}")).await;
    assert_eq!(i["status"], "identified", "not silently overwritten");
}

async fn an_applied_push_is_remembered_across_a_hub_restart(b: B) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = common::config(dir.path());
    let backend = common::backend(b, dir.path());
    let inc = uuid(8);
    let t = T {
        hub: citydeck_hub::start_with(cfg.clone(), backend.clone())
            .await
            .unwrap(),
        _dir: tempfile::tempdir().unwrap(),
        http: reqwest::Client::new(),
        backend: backend.clone(),
    };
    let tok = t.token("field").await;
    let (_, r) = push(&t, &tok, CLIENT, afternoon(&inc)).await;
    assert_eq!(statuses(&r), vec!["applied"; 7]);
    t.hub.shutdown().await.unwrap();
    let t = T {
        hub: citydeck_hub::start_with(cfg, backend.clone()).await.unwrap(),
        _dir: tempfile::tempdir().unwrap(),
        http: reqwest::Client::new(),
        backend,
    };
    let (_, r) = push(&t, &tok, CLIENT, afternoon(&inc)).await;
    assert_eq!(statuses(&r), vec!["duplicate"; 7], "{r}");
    assert_eq!(head(&t, &tok).await, 7);
}

crate::backends! {
    #[tokio::test] a_batch_applies_in_order_and_a_retry_applies_nothing_again;
    #[tokio::test] the_same_batch_pushed_ten_times_at_once_applies_once;
    #[tokio::test] a_bad_op_is_rejected_with_its_reason_and_the_good_ones_still_apply;
    #[tokio::test] a_malformed_batch_is_a_422_naming_the_field_and_applies_nothing;
    #[tokio::test] a_stage_change_made_stale_by_someone_else_is_a_conflict_not_an_overwrite;
    #[tokio::test] an_applied_push_is_remembered_across_a_hub_restart;
}
