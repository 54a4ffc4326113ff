//! Issue 22, `citydeck-hub ingest watch`, against a local server on a real socket: a CAP Atom feed (one alert
//! linked, one inline), a folder of CAP files and a GeoJSON feed are each posted once — a second round posts
//! nothing new —, an invalid alert is counted refused, and a source that is down fails its round without stopping
//! the watcher.

mod common;

use std::time::Duration;

use axum::routing::get;
use citydeck_hub::watch::{self, Source, Watch};
use common::B;

const SAMPLE: &[u8] =
    include_bytes!("../../ingest/tests/samples/valid/02-valid-spec-a2-thunderstorm-polygon-geocode.xml");
const OTHER: &[u8] =
    include_bytes!("../../ingest/tests/samples/valid/01-valid-spec-a1-homeland-security.xml");

/// Serves `/feed.atom` (an entry linking `/alerts/1.xml`, an entry with an alert inline), `/alerts/1.xml`,
/// `/quakes.geojson` (two features); its base URL.
async fn source_server() -> String {
    let inline = std::str::from_utf8(OTHER).unwrap();
    let inline = &inline[inline.find("<alert").unwrap()..];
    let atom = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>alerts</title>
  <entry><id>urn:1</id><title>thunderstorm</title><link rel="alternate" type="application/cap+xml" href="alerts/1.xml"/></entry>
  <entry><id>urn:2</id><title>advisory</title><content type="text/xml">{inline}</content></entry>
</feed>"#
    );
    let quakes = serde_json::json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": "q1", "properties": {"mag": 4.1, "place": "Triesenberg", "time": 1_765_000_000_000i64},
         "geometry": {"type": "Point", "coordinates": [9.54, 47.12]}},
        {"type": "Feature", "id": "q2", "properties": {"mag": 6.2, "place": "Balzers", "time": 1_765_000_100_000i64},
         "geometry": {"type": "Point", "coordinates": [9.50, 47.06]}}]});
    let app = axum::Router::new()
        .route("/feed.atom", get(move || async move { atom }))
        .route("/alerts/1.xml", get(|| async { SAMPLE }))
        .route("/quakes.geojson", get(move || async move { axum::Json(quakes) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

fn watch(hub: &str, source: Source) -> Watch {
    Watch {
        hub: hub.to_string(),
        username: "feed".into(),
        password: citydeck_protocol::demo::demo_password(),
        source,
        every: Duration::from_millis(50),
    }
}

const CITY: &str = r#"
[[feeds]]
name = "quakes"
title = "M{mag} 地震 · {place}"
class = "natural_disaster"
time_property = "time"
grade = { property = "mag", I = 7.0, II = 6.0, III = 5.0 }
"#;

async fn the_watcher_posts_what_is_new_once(b: B) {
    let dir = tempfile::tempdir().unwrap();
    let city = dir.path().join("city.toml");
    std::fs::write(&city, CITY).unwrap();
    let t = common::hub_config(b, |c| c.city = Some(city.clone())).await;
    let hub = t.hub.url();
    let src = source_server().await;
    let op = t.token("operator").await;

    // the Atom feed: both entries, once over two rounds
    let posted = watch::run(watch(&hub, Source::CapAtom(format!("{src}/feed.atom"))), Some(2))
        .await
        .unwrap();
    assert_eq!(
        (posted.items, posted.refused, posted.failed_rounds),
        (2, 0, 0),
        "{posted:?}"
    );
    let (_, list) = t.get(&op, "/api/v1/incidents").await;
    let sources: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["source"].as_str().unwrap())
        .collect();
    assert!(sources.contains(&"cap:KSTO@NWS.NOAA.GOV"), "{sources:?}");
    assert!(sources.contains(&"cap:hsas@dhs.gov"), "{sources:?}");

    // a folder: two files, one not CAP (refused, counted), then nothing new
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(folder.path().join("a.xml"), SAMPLE).unwrap();
    std::fs::write(folder.path().join("b.cap"), b"<alert>not cap</alert>").unwrap();
    std::fs::write(folder.path().join("notes.txt"), b"ignored").unwrap();
    let posted = watch::run(watch(&hub, Source::CapDir(folder.path().into())), Some(2))
        .await
        .unwrap();
    assert_eq!((posted.items, posted.refused), (1, 1), "{posted:?}");

    // the GeoJSON feed: two features, once
    let before = t.get_open("/api/v1/health").await["head"].as_u64().unwrap();
    let posted = watch::run(
        watch(
            &hub,
            Source::GeoJson {
                url: format!("{src}/quakes.geojson"),
                feed: "quakes".into(),
            },
        ),
        Some(3),
    )
    .await
    .unwrap();
    assert_eq!((posted.items, posted.refused), (2, 0), "{posted:?}");
    assert_eq!(
        t.get_open("/api/v1/health").await["head"].as_u64().unwrap(),
        before + 2
    );

    // a source that is down: each round fails, the watcher goes on
    let posted = watch::run(
        watch(&hub, Source::CapAtom("http://127.0.0.1:9/feed.atom".into())),
        Some(2),
    )
    .await
    .unwrap();
    assert_eq!((posted.items, posted.failed_rounds), (0, 2));
}

/// The command line: `citydeck-hub ingest watch --hub URL --cap-dir DIR` posts and says what it posted; no source,
/// or two, is refused by the parser.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_watches_a_folder() {
    let t = common::hub(B::Sqlite).await;
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(folder.path().join("a.xml"), SAMPLE).unwrap();
    let hub = t.hub.url();
    let dir = folder.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_citydeck-hub"))
            .args([
                "ingest",
                "watch",
                "--hub",
                &hub,
                "--every",
                "0.05",
                "--rounds",
                "2",
                "--cap-dir",
            ])
            .arg(&dir)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.trim(), "posted 1 (refused 0, failed polls 0)");
    for args in [
        vec!["ingest", "watch", "--hub", "http://127.0.0.1:9"],
        vec![
            "ingest",
            "watch",
            "--hub",
            "http://127.0.0.1:9",
            "--cap-dir",
            "/tmp",
            "--cap-atom",
            "http://x/",
        ],
        vec![
            "ingest",
            "watch",
            "--hub",
            "http://127.0.0.1:9",
            "--geojson",
            "http://x/q.json",
        ],
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_citydeck-hub"))
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

crate::backends! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)] the_watcher_posts_what_is_new_once;
}
