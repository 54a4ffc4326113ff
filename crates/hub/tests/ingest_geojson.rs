//! Issue 22, GeoJSON feeds in, over the real HTTP API on both backends: the feeds a city file declares
//! (`[[feeds]]`), `POST /api/v1/ingest/geojson?feed=` taking the real USGS week once (a repeat is all
//! duplicates, nothing appended), an unknown feed a coded 404, a bad feature a 422 naming it with nothing of the
//! collection taken, a polygon feature kept as its incident's outline, and the roles.

mod common;

use common::{B, T};
use serde_json::{json, Value};

const CITY: &str = r#"
[[feeds]]
name = "usgs"
title = "M{mag} 地震 · {place}"
class = "natural_disaster"
time_property = "time"
grade = { property = "mag", I = 7.0, II = 6.0, III = 5.0 }

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
    let t = common::hub_config(b, |c| c.city = Some(city.clone())).await;
    // the city file is read at start
    drop(dir);
    t
}

fn usgs_week() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/cache/earthquakes.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run `cargo xtask data` first)", path.display()));
    serde_json::from_str(&text).unwrap()
}

async fn head(t: &T) -> u64 {
    t.get_open("/api/v1/health").await["head"].as_u64().unwrap()
}

async fn the_usgs_week_is_taken_once(b: B) {
    let t = hub(b).await;
    let feed = t.token("feed").await;
    // the feed account posts and reads nothing
    let reader = t.token("operator").await;
    let week = usgs_week();
    let n = week["features"].as_array().unwrap().len();
    let (status, body) = t
        .post(&feed, "/api/v1/ingest/geojson?feed=usgs", week.clone())
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["feed"], "usgs");
    assert_eq!(body["created"], n);
    assert_eq!(body["duplicates"], 0);
    let ids = body["incidents"].clone();
    assert_eq!(ids.as_array().unwrap().len(), n);
    let (_, first) = t
        .get(
            &reader,
            &format!("/api/v1/incidents/{}", ids[0].as_str().unwrap()),
        )
        .await;
    let f0 = &week["features"][0];
    assert_eq!(first["source"], "usgs");
    assert_eq!(first["external_id"], f0["id"]);
    assert_eq!(first["location"]["lon"], f0["geometry"]["coordinates"][0]);
    // again: every feature a duplicate, the same incidents, nothing appended
    let before = head(&t).await;
    let (status, body) = t.post(&feed, "/api/v1/ingest/geojson?feed=usgs", week).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["created"].as_u64(), body["duplicates"].as_u64()),
        (Some(0), Some(n as u64))
    );
    assert_eq!(body["incidents"], ids);
    assert_eq!(head(&t).await, before);
}

fn closure(reference: &str, geometry: Value) -> Value {
    json!({"type": "Feature", "properties": {"ref": reference, "road": "Landstrasse"}, "geometry": geometry})
}

async fn bad_input_is_refused_whole_and_named(b: B) {
    let t = hub(b).await;
    let op = t.token("operator").await;
    let square = json!({"type": "Polygon", "coordinates": [[[9.51, 47.13], [9.53, 47.13], [9.53, 47.15], [9.51, 47.15], [9.51, 47.13]]]});
    let good = closure("R1", square.clone());
    let before = head(&t).await;
    // an unknown feed is a coded 404
    let fc = json!({"type": "FeatureCollection", "features": [good.clone()]});
    let (status, body) = t.post(&op, "/api/v1/ingest/geojson?feed=radar", fc.clone()).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["code"], "unknown_feed");
    assert_eq!(body["args"]["feed"], "radar");
    // a bad third feature refuses all three
    let bad = json!({"type": "FeatureCollection", "features": [
        good.clone(), closure("R2", square.clone()), closure("R3", json!({"type": "Point", "coordinates": [200, 47]}))]});
    let (status, body) = t.post(&op, "/api/v1/ingest/geojson?feed=closures", bad).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["field"], "features[2].geometry");
    let mut no_ref = closure("R4", square.clone());
    no_ref["properties"].as_object_mut().unwrap().remove("ref");
    let (status, body) = t
        .post(
            &op,
            "/api/v1/ingest/geojson?feed=closures",
            json!({"type": "FeatureCollection", "features": [no_ref]}),
        )
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("features[0].properties.ref")),
        "{body}"
    );
    // roles: the leader's wall and field staff may not; no feed named is a 400
    for user in ["leader", "field"] {
        let (status, _) = t
            .post(
                &t.token(user).await,
                "/api/v1/ingest/geojson?feed=closures",
                fc.clone(),
            )
            .await;
        assert_eq!(status, 403, "{user}");
    }
    let (status, _) = t.post(&op, "/api/v1/ingest/geojson", fc.clone()).await;
    assert_eq!(status, 400);
    assert_eq!(head(&t).await, before, "nothing taken");
    // the good one: its polygon is the outline, its point inside it
    let (status, body) = t.post(&op, "/api/v1/ingest/geojson?feed=closures", fc).await;
    assert_eq!(status, 200, "{body}");
    let (_, inc) = t
        .get(
            &op,
            &format!("/api/v1/incidents/{}", body["incidents"][0].as_str().unwrap()),
        )
        .await;
    assert_eq!(inc["title"], "封闭 Landstrasse");
    assert_eq!(inc["external_id"], "R1");
    assert_eq!(inc["outline"], square["coordinates"]);
    let (lon, lat) = (
        inc["location"]["lon"].as_f64().unwrap(),
        inc["location"]["lat"].as_f64().unwrap(),
    );
    assert!(
        (9.51..9.53).contains(&lon) && (47.13..47.15).contains(&lat),
        "{lon} {lat}"
    );
}

crate::backends! {
    #[tokio::test] the_usgs_week_is_taken_once;
    #[tokio::test] bad_input_is_refused_whole_and_named;
}
