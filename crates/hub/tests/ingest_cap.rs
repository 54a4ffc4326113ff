//! Issue 22, CAP 1.2 in, over the real HTTP API on both backends: `POST /api/v1/ingest/cap` creates (201), finds
//! duplicates by `(sender, identifier, sent)` (200, nothing appended), applies an Update to the incidents of the
//! alert it references and a Cancel likewise, takes an Update of an unknown alert as new and ignores a Cancel of
//! one; every kind of bad input has its 4xx (role, media type, size, not XML, refused markup, invalid CAP naming
//! the element); an XXE / XInclude probe pointed at a local listener never reaches it; the same alert posted
//! many times at once is taken once.

mod common;

use std::time::Duration;

use common::{B, T};
use serde_json::Value;

const SAMPLE: &str =
    include_str!("../../ingest/tests/samples/valid/02-valid-spec-a2-thunderstorm-polygon-geocode.xml");

/// An alert in Vaduz with `identifier`, `sent`, `msg_type`, `severity` and, for updates and cancels, the
/// `references` line.
fn alert(identifier: &str, sent: &str, msg_type: &str, severity: &str, references: Option<&str>) -> String {
    let refs = references
        .map(|r| format!("<references>{r}</references>"))
        .unwrap_or_default();
    let info = if msg_type == "Cancel" {
        String::new()
    } else {
        format!(
            r#"<info>
    <language>zh-CN</language>
    <category>Met</category>
    <event>暴雨</event>
    <urgency>Immediate</urgency>
    <severity>{severity}</severity>
    <certainty>Observed</certainty>
    <headline>暴雨预警 {severity}</headline>
    <description>瓦杜兹城区出现强降雨</description>
    <area>
      <areaDesc>瓦杜兹</areaDesc>
      <polygon>47.13,9.51 47.13,9.53 47.15,9.53 47.15,9.51 47.13,9.51</polygon>
    </area>
  </info>
  <info>
    <language>en-US</language>
    <category>Met</category>
    <event>Heavy rain</event>
    <urgency>Immediate</urgency>
    <severity>{severity}</severity>
    <certainty>Observed</certainty>
    <headline>Heavy rain warning</headline>
  </info>"#
        )
    };
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{identifier}</identifier>
  <sender>meteo@llv.li</sender>
  <sent>{sent}</sent>
  <status>Actual</status>
  <msgType>{msg_type}</msgType>
  <scope>Public</scope>
  <note>test</note>
  {refs}
  {info}
</alert>"#
    )
}

async fn post_cap(t: &T, token: &str, content_type: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
    let r = t
        .http
        .post(t.url("/api/v1/ingest/cap"))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn post(t: &T, token: &str, xml: &str) -> (u16, Value) {
    post_cap(t, token, "application/cap+xml", xml.to_string()).await
}

async fn head(t: &T) -> u64 {
    t.get_open("/api/v1/health").await["head"].as_u64().unwrap()
}

async fn incident(t: &T, token: &str, id: &Value) -> Value {
    let (status, body) = t
        .get(token, &format!("/api/v1/incidents/{}", id.as_str().unwrap()))
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn an_alert_is_created_once_updated_and_cancelled(b: B) {
    let t = common::hub_with_areas(b).await;
    let feed = t.token("feed").await;
    // the feed account posts and reads nothing
    let reader = t.token("operator").await;
    let sent = "2026-12-07T14:30:00+08:00";
    let first = alert("LI-RAIN-1", sent, "Alert", "Severe", None);
    let (status, body) = post(&t, &feed, &first).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["status"], "created");
    assert_eq!(
        body["alert"],
        serde_json::json!({"sender": "meteo@llv.li", "identifier": "LI-RAIN-1", "sent": sent})
    );
    let ids = body["incidents"].as_array().unwrap().clone();
    assert_eq!(ids.len(), 1, "the Chinese info, the English one kept in it");
    let inc = incident(&t, &reader, &ids[0]).await;
    assert_eq!(inc["title"], "暴雨预警 Severe");
    assert_eq!(inc["grade"], "II");
    assert_eq!(inc["class"], "natural_disaster");
    assert_eq!(inc["source"], "cap:meteo@llv.li");
    assert_eq!(inc["alert"]["texts"][1]["headline"], "Heavy rain warning");
    assert_eq!(inc["alert"]["signed"], false);
    assert_eq!(inc["outline"][0].as_array().unwrap().len(), 5);
    assert!(
        inc["area_ids"].as_array().unwrap().len() >= 2,
        "placed inside its polygon, in Vaduz: {}",
        inc["area_ids"]
    );

    // the same message again, also with its sent written at another offset: a duplicate, nothing appended
    let before = head(&t).await;
    for again in [first.clone(), first.replace(sent, "2026-12-07T06:30:00+00:00")] {
        let (status, body) = post(&t, &feed, &again).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["status"], "duplicate");
        assert_eq!(body["incidents"], Value::Array(ids.clone()));
    }
    assert_eq!(head(&t).await, before);

    // an Update raises the same incident to grade I
    let update = alert(
        "LI-RAIN-2",
        "2026-12-07T15:00:00+08:00",
        "Update",
        "Extreme",
        Some(&format!("meteo@llv.li,LI-RAIN-1,{sent}")),
    );
    let (status, body) = post(&t, &feed, &update).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "updated");
    assert_eq!(body["incidents"], Value::Array(ids.clone()));
    let inc = incident(&t, &reader, &ids[0]).await;
    assert_eq!(inc["grade"], "I");
    assert_eq!(
        inc["alert"]["alert"]["identifier"], "LI-RAIN-1",
        "the original alert"
    );
    assert_eq!(inc["alert"]["updates"][0]["alert"]["identifier"], "LI-RAIN-2");
    assert_ne!(inc["status"], "closed");

    // a Cancel naming the update closes it, recorded
    let cancel = alert(
        "LI-RAIN-3",
        "2026-12-07T16:00:00+08:00",
        "Cancel",
        "",
        Some("meteo@llv.li,LI-RAIN-2,2026-12-07T15:00:00+08:00"),
    );
    let (status, body) = post(&t, &feed, &cancel).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "cancelled");
    assert_eq!(body["incidents"], Value::Array(ids.clone()));
    let inc = incident(&t, &reader, &ids[0]).await;
    assert_eq!(inc["status"], "closed");
    assert_eq!(inc["alert"]["cancelled"]["alert"]["identifier"], "LI-RAIN-3");
    assert_eq!(inc["alert"]["cancelled"]["note"], "test");

    // the log holds one event of each
    let (_, page) = t.get(&reader, "/api/v1/events?after=0&limit=5000").await;
    let kinds: Vec<&str> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["incident_id"] == ids[0] || e["incident"]["id"] == ids[0])
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["incident_created", "alert_updated", "alert_cancelled"]);

    // an Update of an alert never seen is new; a Cancel of one is ignored; so is a Test message
    let orphan_update = alert(
        "LI-X-2",
        sent,
        "Update",
        "Moderate",
        Some(&format!("meteo@llv.li,LI-X-1,{sent}")),
    );
    let (status, body) = post(&t, &feed, &orphan_update).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (201, Some("created")),
        "{body}"
    );
    let orphan_cancel = alert(
        "LI-Y-2",
        sent,
        "Cancel",
        "",
        Some(&format!("meteo@llv.li,LI-Y-1,{sent}")),
    );
    let before = head(&t).await;
    let (status, body) = post(&t, &feed, &orphan_cancel).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("ignored")),
        "{body}"
    );
    assert_eq!(body["incidents"], serde_json::json!([]));
    let test = alert("LI-T-1", sent, "Alert", "Extreme", None).replace("<status>Actual", "<status>Test");
    let (status, body) = post(&t, &feed, &test).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("ignored")),
        "{body}"
    );
    assert_eq!(head(&t).await, before, "nothing appended for what is ignored");

    // a real sample, in text/xml
    let (status, body) = post_cap(&t, &feed, "text/xml; charset=utf-8", SAMPLE).await;
    assert_eq!(status, 201, "{body}");
}

async fn bad_input_gets_its_status_and_changes_nothing(b: B) {
    let t = common::hub(b).await;
    let op = t.token("operator").await;
    let ok = alert("LI-1", "2026-12-07T14:30:00+08:00", "Alert", "Minor", None);
    let before = head(&t).await;
    // roles: leader and field may not; no token is 401
    for user in ["leader", "field", "commander"] {
        let (status, body) = post(&t, &t.token(user).await, &ok).await;
        assert_eq!(status, 403, "{user}: {body}");
        assert_eq!(body["error"], "forbidden");
    }
    let (status, _) = post(&t, "nope", &ok).await;
    assert_eq!(status, 401);
    // media type
    let (status, body) = post_cap(&t, &op, "application/json", ok.clone()).await;
    assert_eq!(status, 415, "{body}");
    // size: over 1 MiB
    let big = ok.replace(
        "<note>test</note>",
        &format!("<note>{}</note>", "x".repeat(1 << 20)),
    );
    let (status, body) = post(&t, &op, &big).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"], "too_large");
    // not XML
    let (status, body) = post(&t, &op, "{\"alert\": true}").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "bad_request");
    // invalid CAP names the element
    for (xml, field) in [
        (
            ok.replace("<certainty>Observed", "<certainty>Sure"),
            "info[0].certainty",
        ),
        (
            ok.replace("<sent>2026-12-07T14:30:00+08:00", "<sent>yesterday"),
            "sent",
        ),
        (
            ok.replace("<note>test</note>", "<references></references>"),
            "references",
        ),
        (ok.replace("cap:1.2", "cap:1.1"), "alert"),
        (
            ok.replace(
                "47.13,9.51 47.13,9.53 47.15,9.53 47.15,9.51 47.13,9.51",
                "47.13,9.51 47.13,9.53",
            ),
            "info[0].area[0].polygon[0]",
        ),
    ] {
        let (status, body) = post(&t, &op, &xml).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"], "invalid_field");
        assert_eq!(body["field"], field, "{body}");
    }
    assert_eq!(head(&t).await, before, "nothing written");
}

/// A listener that counts the connections made to it.
async fn probe_listener() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = hits.clone();
    tokio::spawn(async move {
        while let Ok((_, _)) = listener.accept().await {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
    (format!("http://{addr}/probe"), hits)
}

async fn an_xxe_or_xinclude_probe_never_reaches_its_listener(b: B) {
    let t = common::hub(b).await;
    let op = t.token("operator").await;
    let (url, hits) = probe_listener().await;
    let ok = alert("LI-XXE", "2026-12-07T14:30:00+08:00", "Alert", "Minor", None);
    let probes = [
        ok.replace(
            "<alert xmlns",
            &format!("<!DOCTYPE alert [<!ENTITY xxe SYSTEM \"{url}\">]>\n<alert xmlns"),
        )
        .replace("<note>test</note>", "<note>&xxe;</note>"),
        ok.replace(
            "<alert xmlns",
            &format!("<!DOCTYPE alert SYSTEM \"{url}\">\n<alert xmlns"),
        ),
        ok.replace(
            "<alert xmlns",
            &format!("<!DOCTYPE alert [<!ENTITY % p SYSTEM \"{url}\"> %p;]>\n<alert xmlns"),
        ),
        ok.replace(
            "<note>test</note>",
            &format!(
                "<note>test</note><xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" href=\"{url}\"/>"
            ),
        ),
    ];
    for probe in probes {
        let (status, body) = post(&t, &op, &probe).await;
        assert_eq!(status, 400, "{body}");
        assert!(body["message"].as_str().unwrap().contains("refused"), "{body}");
    }
    // give a fetch, had there been one, time to arrive
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        hits.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the hub made a request"
    );
}

async fn one_alert_posted_many_times_at_once_is_taken_once(b: B) {
    let t = common::hub(b).await;
    let feed = t.token("feed").await;
    // the feed account posts and reads nothing
    let reader = t.token("operator").await;
    let xml = alert("LI-RACE", "2026-12-07T14:30:00+08:00", "Alert", "Severe", None);
    let answers = futures_util::future::join_all((0..8).map(|_| post(&t, &feed, &xml))).await;
    let created: Vec<&(u16, Value)> = answers.iter().filter(|(s, _)| *s == 201).collect();
    assert_eq!(created.len(), 1, "{answers:?}");
    let ids = &created[0].1["incidents"];
    for (status, body) in &answers {
        assert!(*status == 201 || body["status"] == "duplicate", "{body}");
        assert_eq!(&body["incidents"], ids);
    }
    let (_, list) = t.get(&reader, "/api/v1/incidents").await;
    let cap: Vec<&Value> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["source"] == "cap:meteo@llv.li")
        .collect();
    assert_eq!(cap.len(), 1);
}

crate::backends! {
    #[tokio::test] an_alert_is_created_once_updated_and_cancelled;
    #[tokio::test] bad_input_gets_its_status_and_changes_nothing;
    #[tokio::test] an_xxe_or_xinclude_probe_never_reaches_its_listener;
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)] one_alert_posted_many_times_at_once_is_taken_once;
}
