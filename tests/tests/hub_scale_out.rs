//! Scale-out: three real `citydeck-hub` processes (replicas) on one PostgreSQL database, from a throwaway
//! cluster this test process starts (`citydeck_hub::test_support`). Concurrent writes through all replicas
//! keep one gap-free log; a stream on one replica sees the writes made on another; a push repeated on two
//! replicas applies once; the two-person rule holds across replicas; tokens work everywhere; a replica killed
//! with `kill -9` mid-writes loses no acknowledged write.

use std::collections::HashSet;
use std::time::Duration;

use citydeck_tests::{HubProcess, DEMO_PASSWORD};
use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

fn replicas(n: usize) -> Vec<HubProcess> {
    let url = citydeck_hub::test_support::new_database();
    // The first one creates the schema; the others start together (they must agree on it).
    let first = HubProcess::start_postgres(&url);
    let rest: Vec<HubProcess> = std::thread::scope(|s| {
        let handles: Vec<_> = (1..n)
            .map(|_| s.spawn(|| HubProcess::start_postgres(&url)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    std::iter::once(first).chain(rest).collect()
}

async fn login(http: &reqwest::Client, hub: &HubProcess, user: &str) -> String {
    let r = http
        .post(format!("{}/api/v1/login", hub.url))
        .json(&json!({"username": user, "password": DEMO_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "login {user} on {}", hub.url);
    r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn get(http: &reqwest::Client, hub: &HubProcess, tok: &str, path: &str) -> (u16, Value) {
    let r = http
        .get(format!("{}{path}", hub.url))
        .bearer_auth(tok)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn post(http: &reqwest::Client, url: &str, tok: &str, path: &str, body: Value) -> (u16, Value) {
    let r = http
        .post(format!("{url}{path}"))
        .bearer_auth(tok)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

fn incident(title: &str) -> Value {
    json!({"title": title, "class": "accident", "grade": "III", "lon": 24.9384, "lat": 60.1699,
           "source": "operator"})
}

/// The whole log as read through `hub`: (seqs, events).
async fn log(http: &reqwest::Client, hub: &HubProcess, tok: &str) -> (Vec<u64>, Vec<Value>) {
    let mut events = Vec::new();
    let mut after = 0;
    loop {
        let (status, page) = get(
            http,
            hub,
            tok,
            &format!("/api/v1/events?after={after}&limit=5000"),
        )
        .await;
        assert_eq!(status, 200, "{page}");
        let batch = page["events"].as_array().unwrap().clone();
        if let Some(last) = batch.last() {
            after = last["server_seq"].as_u64().unwrap();
        }
        events.extend(batch);
        if page["has_more"] != true {
            break;
        }
    }
    let seqs = events.iter().map(|e| e["server_seq"].as_u64().unwrap()).collect();
    (seqs, events)
}

fn one_to(n: u64) -> Vec<u64> {
    (1..=n).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_share_one_gap_free_log_under_concurrent_writes() {
    let hubs = replicas(3);
    let http = reqwest::Client::new();
    let mut healths = Vec::new();
    for h in &hubs {
        let (_, health) = get(&http, h, "", "/api/v1/health").await;
        assert_eq!(health["backend"], "postgres", "{health}");
        healths.push(health);
    }
    assert!(
        healths.iter().all(|h| h["log_id"] == healths[0]["log_id"]),
        "one log: {healths:?}"
    );
    let ids: HashSet<&str> = healths.iter().map(|h| h["replica"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 3, "three distinct replicas: {healths:?}");

    const PER_REPLICA: usize = 40;
    let mut tasks = Vec::new();
    for (r, h) in hubs.iter().enumerate() {
        let tok = login(&http, h, "operator").await;
        for i in 0..PER_REPLICA {
            let (http, url, tok) = (http.clone(), h.url.clone(), tok.clone());
            tasks.push(tokio::spawn(async move {
                let (status, body) = post(
                    &http,
                    &url,
                    &tok,
                    "/api/v1/incidents",
                    incident(&format!("replica {r} #{i}")),
                )
                .await;
                assert_eq!(status, 201, "{body}");
                (
                    body["id"].as_str().unwrap().to_string(),
                    body["seq"].as_u64().unwrap(),
                )
            }));
        }
    }
    let mut acked = Vec::new();
    for t in tasks {
        acked.push(t.await.unwrap());
    }
    let n = (3 * PER_REPLICA) as u64;
    let seqs: HashSet<u64> = acked.iter().map(|a| a.1).collect();
    assert_eq!(seqs.len() as u64, n, "every write got its own seq");
    let tok = login(&http, &hubs[0], "leader").await;
    let mut logs = Vec::new();
    for h in &hubs {
        let (seqs, events) = log(&http, h, &tok).await;
        assert_eq!(seqs, one_to(n), "gap-free, no duplicate, read through {}", h.url);
        logs.push(events);
    }
    assert!(
        logs.iter().all(|l| *l == logs[0]),
        "every replica serves the same log"
    );
    let logged: HashSet<&str> = logs[0]
        .iter()
        .map(|e| e["incident"]["id"].as_str().unwrap())
        .collect();
    for (id, seq) in &acked {
        assert!(
            logged.contains(id.as_str()),
            "acknowledged {id} (seq {seq}) is in the log"
        );
    }
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open_stream(hub: &HubProcess, tok: &str, after: u64) -> Ws {
    let mut req = format!("ws://{}/api/v1/stream?after={after}", hub.addr())
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {tok}").parse().unwrap());
    tokio_tungstenite::connect_async(req).await.unwrap().0
}

async fn next_event(ws: &mut Ws) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(15), ws.next())
            .await
            .expect("no event within 15 s")
            .expect("stream ended")
            .expect("stream error");
        if let tokio_tungstenite::tungstenite::Message::Text(t) = msg {
            return serde_json::from_str(&t).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_on_one_replica_sees_writes_made_on_the_others_in_order() {
    let hubs = replicas(3);
    let http = reqwest::Client::new();
    let tok_a = login(&http, &hubs[0], "operator").await;
    let tok_c = login(&http, &hubs[2], "operator").await;
    for i in 0..3 {
        post(
            &http,
            &hubs[0].url,
            &tok_a,
            "/api/v1/incidents",
            incident(&format!("before {i}")),
        )
        .await;
    }
    let mut ws = open_stream(&hubs[1], &tok_a, 1).await;
    assert_eq!(next_event(&mut ws).await["server_seq"], 2);
    assert_eq!(next_event(&mut ws).await["server_seq"], 3);
    // live: a concurrent burst on A and C, none on B
    let mut tasks = Vec::new();
    for i in 0..40 {
        let (url, tok) = if i % 2 == 0 {
            (hubs[0].url.clone(), tok_a.clone())
        } else {
            (hubs[2].url.clone(), tok_c.clone())
        };
        let http = http.clone();
        tasks.push(tokio::spawn(async move {
            post(
                &http,
                &url,
                &tok,
                "/api/v1/incidents",
                incident(&format!("live {i}")),
            )
            .await
        }));
    }
    let mut written = HashSet::new();
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert_eq!(status, 201, "{body}");
        written.insert(body["id"].as_str().unwrap().to_string());
    }
    let mut seen = HashSet::new();
    for expected in 4..=43 {
        let ev = next_event(&mut ws).await;
        assert_eq!(ev["server_seq"], expected, "in order, no gap, no repeat: {ev}");
        seen.insert(ev["incident"]["id"].as_str().unwrap().to_string());
    }
    assert_eq!(seen, written, "B streamed exactly the writes made on A and C");
    // and nothing more
    let extra = tokio::time::timeout(Duration::from_millis(1500), ws.next()).await;
    assert!(extra.is_err(), "no repeated event: {extra:?}");
}

fn push_batch(client: &str, inc: &str) -> Value {
    let op_id = |n: u32| format!("0192f000-0000-7000-8000-{:012x}", 5000 + n);
    json!({"client_id": client, "ops": [
        {"op_id": op_id(1), "client_seq": 1, "op": {"kind": "create_incident", "incident_id": inc,
            "title": "Esplanadi 倒树阻断道路", "class": "accident", "grade": "III", "lon": 24.95, "lat": 60.167,
            "source": "field"}},
        {"op_id": op_id(2), "client_seq": 2, "op": {"kind": "add_note", "incident_id": inc, "text": "两车道受阻"}},
        {"op_id": op_id(3), "client_seq": 3, "op": {"kind": "acknowledge", "incident_id": inc}},
        {"op_id": op_id(4), "client_seq": 4,
         "op": {"kind": "change_stage", "incident_id": inc, "from": "collected", "to": "identified"}},
    ]})
}

fn statuses(r: &Value) -> Vec<String> {
    r["results"]
        .as_array()
        .unwrap_or_else(|| panic!("no results: {r}"))
        .iter()
        .map(|x| x["status"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_push_sent_to_two_replicas_at_once_applies_once() {
    let hubs = replicas(3);
    let http = reqwest::Client::new();
    let tok = login(&http, &hubs[0], "field").await;
    for round in 0..3 {
        let client = format!("0192f000-0000-7000-8000-0000000c1{round:03}");
        let inc = format!("0192f000-0000-7000-8000-00000000a{round:03}");
        let batch = push_batch(&client, &inc);
        // the same batch, 3 times to A and 3 times to B, all at once
        let mut tasks = Vec::new();
        for i in 0..6 {
            let (http, url, tok, batch) = (http.clone(), hubs[i % 2].url.clone(), tok.clone(), batch.clone());
            tasks.push(tokio::spawn(async move {
                post(&http, &url, &tok, "/api/v1/push", batch).await
            }));
        }
        let mut applied = 0;
        for t in tasks {
            let (status, r) = t.await.unwrap();
            assert_eq!(status, 200, "{r}");
            let s = statuses(&r);
            if s == vec!["applied"; 4] {
                applied += 1;
            } else {
                assert_eq!(s, vec!["duplicate"; 4], "{r}");
            }
        }
        assert_eq!(applied, 1, "round {round}: exactly one push applied the batch");
        let (_, i) = get(&http, &hubs[2], &tok, &format!("/api/v1/incidents/{inc}")).await;
        assert_eq!(i["status"], "identified", "{i}");
        assert_eq!(i["notes"].as_array().map(Vec::len), Some(1), "the note once: {i}");
    }
    let (seqs, _) = log(&http, &hubs[2], &tok).await;
    // per round: created, note, acknowledged, stage = 4 events
    assert_eq!(seqs, one_to(12));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_level_one_proposal_made_on_one_replica_is_confirmed_on_another() {
    let hubs = replicas(3);
    let http = reqwest::Client::new();
    let c1 = login(&http, &hubs[0], "commander").await;
    let c2 = login(&http, &hubs[1], "commander2").await;
    let req = json!({"mode": "wartime", "level": "I", "reason": "地铁隧道坍塌", "incident_ids": []});
    let (status, p) = post(&http, &hubs[0].url, &c1, "/api/v1/mode", req).await;
    assert_eq!(status, 202, "{p}");
    let id = p["proposal_id"].as_str().unwrap().to_string();
    let (_, listed) = get(&http, &hubs[1], &c2, "/api/v1/mode/proposals").await;
    assert_eq!(
        listed[0]["proposal_id"],
        id.as_str(),
        "B lists A's proposal: {listed}"
    );
    // the proposer cannot confirm it on another replica either
    let (status, _) = post(
        &http,
        &hubs[2].url,
        &c1,
        "/api/v1/mode/confirm",
        json!({"proposal_id": id}),
    )
    .await;
    assert_eq!(status, 403);
    // the second commander confirms on B and on C at the same time: one wins, the other is told it is used
    let mut tasks = Vec::new();
    for h in [&hubs[1], &hubs[2]] {
        let (http, url, c2, id) = (http.clone(), h.url.clone(), c2.clone(), id.clone());
        tasks.push(tokio::spawn(async move {
            post(
                &http,
                &url,
                &c2,
                "/api/v1/mode/confirm",
                json!({"proposal_id": id}),
            )
            .await
        }));
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap());
    }
    outcomes.sort_by_key(|o| o.0);
    assert_eq!(
        outcomes.iter().map(|o| o.0).collect::<Vec<_>>(),
        vec![200, 409],
        "{outcomes:?}"
    );
    let m = &outcomes[0].1;
    assert_eq!(
        (m["mode"].as_str(), m["level"].as_str()),
        (Some("wartime"), Some("I"))
    );
    assert_eq!(m["epoch"], 1);
    assert_eq!(m["switched_by"], "commander");
    assert_eq!(m["confirmed_by"], "commander2");
    for h in &hubs {
        let (_, mode) = get(&http, h, &c1, "/api/v1/mode").await;
        assert_eq!(
            (mode["level"].as_str(), mode["epoch"].as_u64()),
            (Some("I"), Some(1)),
            "{} serves the confirmed mode: {mode}",
            h.url
        );
    }
    let (_, log_events) = log(&http, &hubs[0], &c1).await;
    let kinds: Vec<&str> = log_events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, vec!["mode_proposed", "mode_changed"], "applied once");
}

#[tokio::test]
async fn a_token_from_one_replica_works_on_the_others() {
    let hubs = replicas(3);
    let http = reqwest::Client::new();
    let tok = login(&http, &hubs[0], "operator").await;
    for (i, h) in hubs.iter().enumerate() {
        let (status, body) = post(
            &http,
            &h.url,
            &tok,
            "/api/v1/incidents",
            incident(&format!("via {i}")),
        )
        .await;
        assert_eq!(status, 201, "{} accepts A's token: {body}", h.url);
        let (status, _) = get(&http, h, "forged", "/api/v1/events").await;
        assert_eq!(status, 401);
    }
    let (seqs, _) = log(&http, &hubs[2], &tok).await;
    assert_eq!(seqs, one_to(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_mid_writes_loses_no_acknowledged_write() {
    let mut hubs = replicas(3);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let tok = login(&http, &hubs[0], "operator").await;
    // writers on every replica, each until its replica stops answering or 300 writes
    let mut writers = Vec::new();
    for (r, h) in hubs.iter().enumerate() {
        for w in 0..2 {
            let (http, url, tok) = (http.clone(), h.url.clone(), tok.clone());
            writers.push(tokio::spawn(async move {
                let mut acked = Vec::new();
                for i in 0..150 {
                    let sent = http
                        .post(format!("{url}/api/v1/incidents"))
                        .bearer_auth(&tok)
                        .json(&incident(&format!("replica {r} writer {w} #{i}")))
                        .send()
                        .await;
                    match sent {
                        Ok(resp) if resp.status() == 201 => {
                            let body: Value = resp.json().await.unwrap();
                            acked.push(body["id"].as_str().unwrap().to_string());
                        }
                        Ok(resp) => panic!("replica {r}: unexpected {}", resp.status()),
                        Err(_) => break, // the replica is gone
                    }
                }
                (r, acked)
            }));
        }
    }
    // let them write, then kill -9 replica C in the middle of it
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (_, page) = get(&http, &hubs[0], &tok, "/api/v1/events?after=0&limit=1").await;
        if page["head"].as_u64().unwrap_or(0) >= 60 || std::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    hubs[2].kill9();
    let mut acked = Vec::new();
    let mut acked_on_c = 0;
    for w in writers {
        let (r, ids) = w.await.unwrap();
        if r == 2 {
            acked_on_c += ids.len();
            assert!(ids.len() < 150, "C was killed mid-writes");
        } else {
            assert_eq!(ids.len(), 150, "A and B kept writing");
        }
        acked.extend(ids);
    }
    assert!(acked_on_c > 0, "C acknowledged writes before it died");
    let (seqs, events) = log(&http, &hubs[1], &tok).await;
    let n = seqs.len() as u64;
    assert_eq!(seqs, one_to(n), "gap-free after the kill");
    let logged: HashSet<&str> = events
        .iter()
        .map(|e| e["incident"]["id"].as_str().unwrap())
        .collect();
    for id in &acked {
        assert!(
            logged.contains(id.as_str()),
            "acknowledged {id} survived the kill"
        );
    }
    // at most the writes in flight at the kill were committed without an answer
    assert!(
        n as usize - acked.len() <= 2,
        "{n} logged, {} acknowledged",
        acked.len()
    );
    // the survivors go on, gap-free
    let (status, _) = post(
        &http,
        &hubs[0].url,
        &tok,
        "/api/v1/incidents",
        incident("after the kill"),
    )
    .await;
    assert_eq!(status, 201);
    let (seqs, _) = log(&http, &hubs[1], &tok).await;
    assert_eq!(seqs, one_to(n + 1));
}
