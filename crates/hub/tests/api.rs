//! The hub's HTTP/WebSocket contract, over a real socket on port 0.

mod common;

use citydeck_hub::start_with;
use common::{hub, next_event, open_stream, Ws, B, T};
use serde_json::{json, Value};

fn incident(title: &str) -> Value {
    json!({"title": title, "class": "accident", "grade": "III", "lon": 24.9384, "lat": 60.1699, "source": "operator"})
}

async fn health_and_openapi_need_no_token(b: B) {
    let t = hub(b).await;
    let h = t.get_open("/api/v1/health").await;
    assert_eq!(h["status"], "ok");
    assert_eq!(h["head"], 0);
    let backend = match b {
        B::Sqlite => "sqlite",
        B::Postgres => "postgres",
    };
    assert_eq!(h["backend"], backend, "{h}");
    assert!(h["replica"].is_string(), "{h}");
    assert_eq!(
        h["log_id"].as_str().map(str::len),
        Some(36),
        "log_id is a uuid: {h}"
    );
    let doc: Value = t
        .http
        .get(t.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for p in [
        "/api/v1/incidents",
        "/api/v1/events",
        "/api/v1/login",
        "/api/v1/stream",
        "/api/v1/mode",
        "/api/v1/mode/confirm",
        "/api/v1/mode/proposals",
        "/api/v1/mode/audit",
        "/api/v1/screens/{name}",
        "/api/v1/screens/{name}/ack",
    ] {
        assert!(doc["paths"][p].is_object(), "openapi lacks {p}");
    }
}

async fn login_rejects_wrong_password_and_unknown_user(b: B) {
    let t = hub(b).await;
    for (u, p) in [("operator", "nope"), ("nobody", "citydeck-demo")] {
        let r = t
            .http
            .post(t.url("/api/v1/login"))
            .json(&json!({"username": u, "password": p}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "bad_credentials");
    }
}

async fn every_demo_account_logs_in_with_its_role(b: B) {
    let t = hub(b).await;
    for (u, role) in [
        ("operator", "operator"),
        ("commander", "commander"),
        ("commander2", "commander"),
        ("leader", "leader"),
        ("field", "field"),
        ("admin", "admin"),
    ] {
        let r: Value = t
            .http
            .post(t.url("/api/v1/login"))
            .json(&json!({"username": u, "password": "citydeck-demo"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(r["role"], role, "{u}");
    }
}

async fn endpoints_require_a_valid_token(b: B) {
    let t = hub(b).await;
    for p in ["/api/v1/events", "/api/v1/incidents"] {
        let r = t.http.get(t.url(p)).send().await.unwrap();
        assert_eq!(r.status(), 401, "{p} without token");
        let r = t.http.get(t.url(p)).bearer_auth("forged").send().await.unwrap();
        assert_eq!(r.status(), 401, "{p} with a forged token");
    }
    let r = t
        .http
        .post(t.url("/api/v1/incidents"))
        .json(&incident("x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

async fn leader_is_read_only(b: B) {
    let t = hub(b).await;
    let tok = t.token("leader").await;
    let (status, body) = t
        .post(&tok, "/api/v1/incidents", incident("Kamppi 交通事故"))
        .await;
    assert_eq!(status, 403);
    assert_eq!(body["error"], "forbidden");
    let (status, _) = t.get(&tok, "/api/v1/events").await;
    assert_eq!(status, 200);
}

async fn create_returns_201_and_appends_a_gap_free_log(b: B) {
    let t = hub(b).await;
    let tok = t.token("operator").await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let (status, body) = t
            .post(&tok, "/api/v1/incidents", incident(&format!("事故 {i}")))
            .await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["status"], "collected");
        assert_eq!(body["class"], "accident");
        assert_eq!(body["grade"], "III");
        assert_eq!(body["location"]["lon"], 24.9384);
        assert_eq!(body["created_by"], "operator");
        assert!(body["created_at"].is_string() && body["updated_at"].is_string());
        ids.push(body["id"].as_str().unwrap().to_string());
    }
    let (_, page) = t.get(&tok, "/api/v1/events?after=0").await;
    let seqs: Vec<u64> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["server_seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, vec![1, 2, 3, 4, 5]);
    assert_eq!(page["events"][0]["kind"], "incident_created");
    assert_eq!(page["events"][0]["incident"]["id"], ids[0].as_str());
    assert_eq!(page["head"], 5);
    assert_eq!(page["has_more"], false);

    let (_, page) = t.get(&tok, "/api/v1/events?after=3&limit=1").await;
    assert_eq!(page["events"].as_array().unwrap().len(), 1);
    assert_eq!(page["events"][0]["server_seq"], 4);
    assert_eq!(page["has_more"], true);

    let (status, one) = t.get(&tok, &format!("/api/v1/incidents/{}", ids[2])).await;
    assert_eq!(status, 200);
    assert_eq!(one["title"], "事故 2");
}

async fn same_source_event_is_not_duplicated(b: B) {
    let t = hub(b).await;
    let tok = t.token("operator").await;
    let mut b = incident("M5.1 地震");
    b["source"] = json!("usgs");
    b["external_id"] = json!("ak0138esnzr7");
    let (s1, first) = t.post(&tok, "/api/v1/incidents", b.clone()).await;
    let (s2, again) = t.post(&tok, "/api/v1/incidents", b).await;
    assert_eq!((s1, s2), (201, 200));
    assert_eq!(first["id"], again["id"]);
    let (_, page) = t.get(&tok, "/api/v1/events").await;
    assert_eq!(page["events"].as_array().unwrap().len(), 1);
}

async fn invalid_input_is_a_4xx_naming_the_field_never_5xx(b: B) {
    let t = hub(b).await;
    let tok = t.token("operator").await;
    let cases = [
        ("class", json!("earthquake")),
        ("grade", json!("V")),
        ("lon", json!(200)),
        ("lat", json!(-91)),
        ("title", json!("")),
        ("source", json!(null)),
    ];
    for (field, v) in cases {
        let mut b = incident("x");
        b[field] = v;
        let (status, body) = t.post(&tok, "/api/v1/incidents", b).await;
        assert_eq!(status, 422, "{field}");
        assert_eq!(body["field"], field);
        assert_eq!(body["error"], "invalid_field");
    }
    // malformed JSON and wrong content type
    let r = t
        .http
        .post(t.url("/api/v1/incidents"))
        .bearer_auth(&tok)
        .header("content-type", "application/json")
        .body("{\"title\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.json::<Value>().await.unwrap()["message"].is_string());
    let r = t
        .http
        .post(t.url("/api/v1/incidents"))
        .bearer_auth(&tok)
        .body("title=x")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    let (status, _) = t.get(&tok, "/api/v1/events?after=minus-one").await;
    assert_eq!(status, 400);
    let (status, _) = t.get(&tok, "/api/v1/incidents/not-a-uuid").await;
    assert_eq!(status, 400);
    let (status, body) = t.get(&tok, "/api/v1/no-such-thing").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"], "not_found");
    let (_, page) = t.get(&tok, "/api/v1/events").await;
    assert_eq!(page["head"], 0, "nothing was appended by bad requests");
}

async fn next_seq(ws: &mut Ws) -> u64 {
    next_event(ws).await["server_seq"].as_u64().unwrap()
}

async fn stream_sends_backlog_then_live_events_in_order_without_gaps(b: B) {
    let t = hub(b).await;
    let tok = t.token("operator").await;
    for i in 0..3 {
        t.post(&tok, "/api/v1/incidents", incident(&format!("before {i}")))
            .await;
    }
    let mut ws = open_stream(&t, &tok, 1).await;
    assert_eq!(next_seq(&mut ws).await, 2);
    assert_eq!(next_seq(&mut ws).await, 3);
    // live, including a burst written concurrently
    let mut tasks = Vec::new();
    for i in 0..20 {
        let http = t.http.clone();
        let url = t.url("/api/v1/incidents");
        let tok = tok.clone();
        tasks.push(tokio::spawn(async move {
            http.post(url)
                .bearer_auth(tok)
                .json(&incident(&format!("live {i}")))
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), 201);
    }
    for expected in 4..=23 {
        assert_eq!(next_seq(&mut ws).await, expected);
    }
}

async fn stream_refuses_a_missing_token(b: B) {
    let t = hub(b).await;
    let url = format!("ws://{}/api/v1/stream?after=0", t.hub.addr);
    match tokio_tungstenite::connect_async(url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => assert_eq!(resp.status(), 401),
        other => panic!("expected 401, got {:?}", other.map(|_| ())),
    }
}

async fn state_survives_a_restart_on_the_same_file(b: B) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = common::config(dir.path());
    let backend = common::backend(b, dir.path());
    let hub1 = start_with(cfg.clone(), backend.clone()).await.unwrap();
    let t = T {
        hub: hub1,
        _dir: tempfile::tempdir().unwrap(),
        http: reqwest::Client::new(),
        backend: backend.clone(),
    };
    let tok = t.token("operator").await;
    t.post(&tok, "/api/v1/incidents", incident("persist me")).await;
    let health = |t: &T| {
        let url = t.url("/api/v1/health");
        let http = t.http.clone();
        async move { http.get(url).send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let log_id = health(&t).await["log_id"].clone();
    t.hub.shutdown().await.unwrap();
    let hub2 = start_with(cfg, backend.clone()).await.unwrap();
    let t = T {
        hub: hub2,
        _dir: tempfile::tempdir().unwrap(),
        http: reqwest::Client::new(),
        backend,
    };
    // the old token still works (sessions are stored), and the log continues at 2
    let (status, _) = t.post(&tok, "/api/v1/incidents", incident("after restart")).await;
    assert_eq!(status, 201);
    let (_, page) = t.get(&tok, "/api/v1/events").await;
    let seqs: Vec<u64> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["server_seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, vec![1, 2]);
    assert_eq!(
        health(&t).await["log_id"],
        log_id,
        "the log keeps its identity across restarts"
    );
}

crate::backends! {
    #[tokio::test] health_and_openapi_need_no_token;
    #[tokio::test] login_rejects_wrong_password_and_unknown_user;
    #[tokio::test] every_demo_account_logs_in_with_its_role;
    #[tokio::test] endpoints_require_a_valid_token;
    #[tokio::test] leader_is_read_only;
    #[tokio::test] create_returns_201_and_appends_a_gap_free_log;
    #[tokio::test] same_source_event_is_not_duplicated;
    #[tokio::test] invalid_input_is_a_4xx_naming_the_field_never_5xx;
    #[tokio::test] stream_sends_backlog_then_live_events_in_order_without_gaps;
    #[tokio::test] stream_refuses_a_missing_token;
    #[tokio::test] state_survives_a_restart_on_the_same_file;
}
