//! Issue 22, reports of one event merge, over the real HTTP API on both backends: a report from another source of
//! the same class within 300 m and 30 min of an open incident joins it (the create answers 200 with that
//! incident, which lists both reports and is `corroborated`); the same source, another class, farther, earlier
//! or a closed incident make a new one; a joined report delivered again changes nothing; a trusted source's
//! report (the city file's `[ingest] trusted`) makes its incident `official`; a CAP alert and a feed's feature
//! join like any report.

mod common;

use common::{B, T};
use serde_json::{json, Value};

const CITY: &str = r#"
[ingest]
trusted = ["cap:meteo@llv.li"]

[[feeds]]
name = "closures"
id_property = "ref"
title = "封闭 {road}"
class = "accident"
grade = "IV"
"#;

async fn hub(b: B) -> T {
    let dir = tempfile::tempdir().unwrap();
    let city = dir.path().join("city.toml");
    std::fs::write(&city, CITY).unwrap();
    common::hub_config(b, |c| {
        c.city = Some(city.clone());
        c.areas = Some(common::liechtenstein());
    })
    .await
}

/// Vaduz, and a point `metres` north of it.
fn north(metres: f64) -> (f64, f64) {
    (9.5209, 47.1410 + metres / 111_195.0)
}

fn report(source: &str, class: &str, metres: f64, external_id: Option<&str>) -> Value {
    let (lon, lat) = north(metres);
    let mut r = json!({"title": format!("{source} report"), "class": class, "grade": "III", "lon": lon, "lat": lat,
                       "source": source});
    if let Some(e) = external_id {
        r["external_id"] = json!(e);
    }
    r
}

async fn head(t: &T) -> u64 {
    t.get_open("/api/v1/health").await["head"].as_u64().unwrap()
}

async fn reports_of_one_event_join_and_others_stay_apart(b: B) {
    let t = hub(b).await;
    let op = t.token("operator").await;
    let (status, first) = t
        .post(
            &op,
            "/api/v1/incidents",
            report("hotline", "accident", 0.0, Some("h1")),
        )
        .await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["quality"], "unverified");
    assert_eq!(first["reports"][0]["source"], "hotline");
    let id = first["id"].clone();

    // a camera 120 m away: joins, 200 with the same incident
    let (status, joined) = t
        .post(
            &op,
            "/api/v1/incidents",
            report("camera", "accident", 120.0, Some("c1")),
        )
        .await;
    assert_eq!(status, 200, "{joined}");
    assert_eq!(joined["id"], id);
    let sources: Vec<&str> = joined["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["hotline", "camera"]);
    assert_eq!(joined["quality"], "corroborated");
    assert_eq!(
        joined["location"], first["location"],
        "the incident stays where its origin put it"
    );

    // the camera's report delivered again: the same incident, nothing appended
    let before = head(&t).await;
    let (status, again) = t
        .post(
            &op,
            "/api/v1/incidents",
            report("camera", "accident", 120.0, Some("c1")),
        )
        .await;
    assert_eq!((status, &again["id"]), (200, &id));
    assert_eq!(again["reports"].as_array().unwrap().len(), 2);
    assert_eq!(head(&t).await, before);

    // apart: the same source again, another class, 400 m away, two hours earlier
    let mut earlier = report("drone", "accident", 10.0, None);
    earlier["occurred_at"] = json!((chrono::Utc::now() - chrono::Duration::hours(2)).to_rfc3339());
    for (r, why) in [
        (report("hotline", "accident", 30.0, Some("h2")), "the same source"),
        (report("camera", "public_health", 10.0, None), "another class"),
        (report("radio", "accident", 400.0, None), "400 m away"),
        (earlier, "two hours before"),
    ] {
        let (status, body) = t.post(&op, "/api/v1/incidents", r).await;
        assert_eq!(status, 201, "{why}: {body}");
        assert_ne!(body["id"], id, "{why}");
    }

    // the log says so
    let (_, page) = t.get(&op, "/api/v1/events?after=0&limit=5000").await;
    let merged: Vec<&Value> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "report_merged")
        .collect();
    assert_eq!(merged.len(), 1);
    assert_eq!(merged[0]["incident_id"], id);
    assert_eq!(merged[0]["report"]["source"], "camera");
}

/// When the test's alerts are sent: now (a report joins an incident of its own time).
fn sent() -> String {
    static SENT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SENT.get_or_init(|| chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S+00:00").to_string())
        .clone()
}

fn cap_alert(identifier: &str, msg_type: &str, references: Option<&str>, metres: f64) -> String {
    let sent = sent();
    let (lon, lat) = north(metres);
    let (w, e, s, n) = (lon - 0.001, lon + 0.001, lat - 0.001, lat + 0.001);
    let info = if msg_type == "Cancel" {
        String::new()
    } else {
        format!(
            "<info><language>zh-CN</language><category>Met</category><event>暴雨</event><urgency>Immediate</urgency>\
             <severity>Severe</severity><certainty>Observed</certainty><headline>暴雨橙色预警</headline>\
             <area><areaDesc>瓦杜兹</areaDesc><polygon>{s},{w} {s},{e} {n},{e} {n},{w} {s},{w}</polygon></area></info>"
        )
    };
    let refs = references
        .map(|r| format!("<references>{r}</references>"))
        .unwrap_or_default();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>{identifier}</identifier><sender>meteo@llv.li</sender>
<sent>{sent}</sent><status>Actual</status><msgType>{msg_type}</msgType><scope>Public</scope>{refs}{info}</alert>"#
    )
}

async fn post_cap(t: &T, token: &str, xml: String) -> (u16, Value) {
    let r = t
        .http
        .post(t.url("/api/v1/ingest/cap"))
        .bearer_auth(token)
        .header("content-type", "application/cap+xml")
        .body(xml)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn a_trusted_alert_and_a_feed_join_like_any_report(b: B) {
    let t = hub(b).await;
    let op = t.token("operator").await;
    // a hotline call about flooding, then the weather service's alert over it: official, with the alert's record
    let (_, call) = t
        .post(
            &op,
            "/api/v1/incidents",
            report("hotline", "natural_disaster", 0.0, None),
        )
        .await;
    let (status, body) = post_cap(&t, &op, cap_alert("LI-1", "Alert", None, 50.0)).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body["incidents"],
        json!([call["id"]]),
        "the alert joined the call"
    );
    let (_, inc) = t
        .get(
            &op,
            &format!("/api/v1/incidents/{}", call["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(inc["quality"], "official");
    assert_eq!(inc["reports"][1]["source"], "cap:meteo@llv.li");
    assert_eq!(inc["reports"][1]["quality"], "official");
    assert_eq!(inc["alert"]["alert"]["identifier"], "LI-1");
    assert!(inc["outline"].is_array());

    // a feed's feature near an accident joins it
    let (_, crash) = t
        .post(
            &op,
            "/api/v1/incidents",
            report("hotline", "accident", 2000.0, None),
        )
        .await;
    let (lon, lat) = north(2050.0);
    let fc = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"ref": "R1", "road": "Landstrasse"},
         "geometry": {"type": "Point", "coordinates": [lon, lat]}}]});
    let (status, body) = t.post(&op, "/api/v1/ingest/geojson?feed=closures", fc).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["created"].as_u64(), body["merged"].as_u64()),
        (Some(0), Some(1))
    );
    assert_eq!(body["incidents"], json!([crash["id"]]));

    // a closed incident is joined by nothing: the alert of its own, cancelled, then a call at the same place
    let (_, own) = post_cap(&t, &op, cap_alert("LI-9", "Alert", None, 5000.0)).await;
    let (status, _) = post_cap(
        &t,
        &op,
        cap_alert(
            "LI-10",
            "Cancel",
            Some(&format!("meteo@llv.li,LI-9,{}", sent())),
            5000.0,
        ),
    )
    .await;
    assert_eq!(status, 200);
    let (status, late) = t
        .post(
            &op,
            "/api/v1/incidents",
            report("hotline", "natural_disaster", 5000.0, None),
        )
        .await;
    assert_eq!(status, 201, "{late}");
    assert_ne!(json!([late["id"]]), own["incidents"]);
}

async fn push(t: &T, token: &str, n: u64, op: Value) -> Value {
    let (status, body) = t
        .post(
            token,
            "/api/v1/push",
            json!({"client_id": uuid::Uuid::new_v4(), "ops": [{"op_id": uuid::Uuid::new_v4(), "client_seq": n, "op": op}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["results"][0].clone()
}

async fn incident(t: &T, token: &str, id: &Value) -> Value {
    t.get(token, &format!("/api/v1/incidents/{}", id.as_str().unwrap()))
        .await
        .1
}

async fn an_operator_verifies_and_splits_a_wrongly_merged_report(b: B) {
    let t = hub(b).await;
    let op = t.token("operator").await;
    let (_, first) = t
        .post(
            &op,
            "/api/v1/incidents",
            report("hotline", "accident", 0.0, Some("h1")),
        )
        .await;
    let (status, joined) = t
        .post(
            &op,
            "/api/v1/incidents",
            report("camera", "accident", 80.0, Some("c1")),
        )
        .await;
    assert_eq!((status, &joined["id"]), (200, &first["id"]));
    let id = first["id"].clone();

    // the camera saw another crash: split it back out as its own incident
    let new_id = uuid::Uuid::now_v7();
    let r = push(
        &t,
        &op,
        1,
        json!({"kind": "split_report", "incident_id": id, "report": 1, "new_incident_id": new_id}),
    )
    .await;
    assert_eq!(r["status"], "applied", "{r}");
    let stayed = incident(&t, &op, &id).await;
    assert_eq!(stayed["reports"].as_array().unwrap().len(), 1);
    assert_eq!(stayed["quality"], "unverified");
    let split = incident(&t, &op, &json!(new_id)).await;
    assert_eq!(split["source"], "camera");
    assert_eq!(split["external_id"], "c1");
    assert_eq!(split["title"], "camera report");
    assert_eq!(split["reports"][0]["source"], "camera");
    let (lon, lat) = north(80.0);
    assert_eq!(
        (
            split["location"]["lon"].as_f64(),
            split["location"]["lat"].as_f64()
        ),
        (Some(lon), Some(lat))
    );
    // the camera's report again finds its own incident now
    let (status, again) = t
        .post(
            &op,
            "/api/v1/incidents",
            report("camera", "accident", 80.0, Some("c1")),
        )
        .await;
    assert_eq!((status, &again["id"]), (200, &json!(new_id)));
    // the origin stays; a report it does not have is out of range
    for (n, report) in [(2, 0), (3, 1)] {
        let r = push(
            &t,
            &op,
            n,
            json!({"kind": "split_report", "incident_id": id, "report": report,
                                         "new_incident_id": uuid::Uuid::now_v7()}),
        )
        .await;
        assert_eq!(
            (r["status"].as_str(), r["code"].as_str()),
            (Some("rejected"), Some("report_out_of_range")),
            "{r}"
        );
    }

    // 核实: field staff may not; an operator's makes it official, once
    let field = t.token("field").await;
    let r = push(&t, &field, 1, json!({"kind": "verify", "incident_id": id})).await;
    assert_eq!(
        (r["status"].as_str(), r["code"].as_str()),
        (Some("rejected"), Some("forbidden")),
        "{r}"
    );
    let r = push(&t, &op, 4, json!({"kind": "verify", "incident_id": id})).await;
    assert_eq!(r["status"], "applied", "{r}");
    let verified = incident(&t, &op, &id).await;
    assert_eq!(verified["quality"], "official");
    assert_eq!(verified["verified"]["by"], "operator");
    let before = t.get_open("/api/v1/health").await["head"].clone();
    let r = push(&t, &op, 5, json!({"kind": "verify", "incident_id": id})).await;
    assert_eq!(r["status"], "applied");
    assert_eq!(
        t.get_open("/api/v1/health").await["head"],
        before,
        "verified once"
    );

    let (_, page) = t.get(&op, "/api/v1/events?after=0&limit=5000").await;
    let kinds: Vec<&str> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    let at = kinds
        .iter()
        .position(|k| *k == "report_split")
        .expect("report_split");
    assert_eq!(kinds[at + 1], "incident_created", "{kinds:?}");
    assert!(kinds.contains(&"incident_verified"), "{kinds:?}");
}

crate::backends! {
    #[tokio::test] an_operator_verifies_and_splits_a_wrongly_merged_report;
    #[tokio::test] reports_of_one_event_join_and_others_stay_apart;
    #[tokio::test] a_trusted_alert_and_a_feed_join_like_any_report;
}
