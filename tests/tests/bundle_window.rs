//! The field bundle (离线包) end to end, in the real `citydeck` window under Xvfb: a desktop online zooms the map
//! to its area and presses "prepare" in the outbox drawer; the hub then dies, and a second desktop that never
//! reached the hub starts from that bundle alone. It must show the incidents, say it is offline, and serve the
//! map from the bundle's tiles (a tile of the area is there; one outside the area is not).
//!
//! Needs a display, `tauri-driver`, `WebKitWebDriver`, the desktop built with the UI inside and the map data:
//! `cargo xtask test` runs it under `xvfb-run`.

use std::time::Duration;

use citydeck_protocol::{fixtures, NewIncident};
use citydeck_tests::window::{
    finish, js, open_app_env, open_window, save_screenshot, wait_for_text, wait_js, Window,
};
use citydeck_tests::{binary, helsinki_city, repo_root, HubProcess, DEMO_PASSWORD};

const TITLE: &str = "离线包测试 Senaatintori 燃气泄漏";

/// The z14 tiles (XYZ x, y) of an MBTiles file.
fn z14_tiles(mbtiles: &std::path::Path) -> Vec<(u32, u32)> {
    let db =
        rusqlite::Connection::open_with_flags(mbtiles, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut st = db
        .prepare("SELECT tile_column, tile_row FROM tiles WHERE zoom_level = 14 ORDER BY 1, 2")
        .unwrap();
    st.query_map([], |r| {
        Ok((r.get::<_, u32>(0)?, (1u32 << 14) - 1 - r.get::<_, u32>(1)?))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, tauri-driver and WebKitWebDriver: run by `cargo xtask test` under xvfb-run"]
async fn a_field_bundle_prepared_online_opens_the_cockpit_and_its_map_where_the_hub_was_never_reached() {
    let dir = tempfile::tempdir().unwrap();
    let mut hub = HubProcess::start(&dir.path().join("hub.sqlite"));
    let writer = citydeck_tests::demo_client(&hub.url, "operator");
    for (i, (lon, lat)) in [(24.9522, 60.1694), (24.9400, 60.1660), (24.9500, 60.1760)]
        .into_iter()
        .enumerate()
    {
        writer
            .create_incident(&NewIncident {
                title: if i == 0 {
                    TITLE.into()
                } else {
                    format!("背景事件 {i}")
                },
                lon,
                lat,
                ..fixtures::new_incident()
            })
            .await
            .unwrap();
    }

    // 1. Online: zoom the map to the south-west corner of the city and prepare the bundle from the drawer.
    let office = dir.path().join("office");
    let Window { c, _driver } = open_window(&hub.url, "field", "office", &office).await;
    let result: Result<(), String> = async {
        wait_for_text(&c, "#incident-feed", TITLE, Duration::from_secs(60)).await?;
        wait_js(
            &c,
            "window.citydeckMap && window.citydeckMap.engine === 'maplibre' && window.citydeckMap.ready()",
            "map ready",
            Duration::from_secs(60),
        )
        .await?;
        js(
            &c,
            "window.citydeckMap.map.jumpTo({ center: [24.9395, 60.1660], zoom: 17 }); return true;",
        )
        .await?;
        tokio::time::sleep(Duration::from_millis(800)).await;
        js(
            &c,
            "document.querySelector('#outbox-badge').click(); return true;",
        )
        .await?;
        wait_js(
            &c,
            "document.querySelector('#bundle-prepare')",
            "the bundle button",
            Duration::from_secs(10),
        )
        .await?;
        js(
            &c,
            "document.querySelector('#bundle-prepare').click(); return true;",
        )
        .await?;
        wait_js(
            &c,
            "(document.querySelector('#bundle-prepared')?.textContent || '').includes('已准备')",
            "the drawer shows the prepared bundle",
            Duration::from_secs(30),
        )
        .await?;
        save_screenshot(&c, "e2e-bundle-prepared.png").await
    }
    .await;
    finish(c, _driver, result).await;

    let bundle = office.join("field-bundle");
    let manifest = citydeck_bundle::verify(&bundle).expect("a complete, verified bundle");
    assert_eq!(manifest.incidents, 3);
    assert_eq!(manifest.hub, hub.url);
    // The area is the map's view: fewer z14 tiles than the whole basemap.
    let all = z14_tiles(&repo_root().join("data/cache/helsinki.mbtiles"));
    let inside = z14_tiles(&bundle.join(citydeck_bundle::BASEMAP));
    let outside: Vec<_> = all.iter().filter(|t| !inside.contains(t)).collect();
    assert!(
        !inside.is_empty() && !outside.is_empty(),
        "area {:?}: z14 tiles {inside:?} of {all:?}",
        manifest.area
    );

    // 2. The hub is gone. A field laptop that never reached it starts from the bundle alone.
    hub.kill9();
    let field = dir.path().join("field-laptop");
    let city = helsinki_city();
    let w = open_app_env(
        &binary("citydeck"),
        &[
            ("CITYDECK_CITY", city.as_os_str()),
            ("CITYDECK_BUNDLE", bundle.as_os_str()),
            ("CITYDECK_USER", "field".as_ref()),
            ("CITYDECK_PASSWORD", DEMO_PASSWORD.as_ref()),
            ("CITYDECK_DATA_DIR", field.as_os_str()),
            ("CITYDECK_SCREEN", "field-laptop".as_ref()),
        ],
        None,
    )
    .await;
    let c = &w.c;
    let (x_in, y_in) = inside[0];
    let (x_out, y_out) = *outside[0];
    let result: Result<(), String> = async {
        wait_for_text(c, "#incident-feed", TITLE, Duration::from_secs(60)).await?;
        wait_js(
            c,
            "['offline', 'reconnecting'].includes(document.querySelector('#cockpit').dataset.connection) && document.querySelector('.stale-banner')",
            "offline banner over the bundle's data",
            Duration::from_secs(30),
        )
        .await?;
        // The map is the bundle's: the area's tile is served, a tile outside it is not there (204).
        let statuses = c
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 Promise.all(arguments[0].map(u => fetch(u).then(r => r.status, e => String(e)))).then(done);",
                vec![serde_json::json!([
                    format!("citydeck-map://localhost/tiles/14/{x_in}/{y_in}.pbf"),
                    format!("citydeck-map://localhost/tiles/14/{x_out}/{y_out}.pbf"),
                ])],
            )
            .await
            .map_err(|e| e.to_string())?;
        if statuses != serde_json::json!([200, 204]) {
            return Err(format!("tiles in / outside the bundle's area answered {statuses}"));
        }
        wait_js(
            c,
            "window.citydeckMap && window.citydeckMap.engine === 'maplibre' && window.citydeckMap.ready() \
             && window.citydeckMap.featureCount() >= 3 && window.citydeckMap.stats().pending === 0 \
             && (r => r.points + r.clustered >= 3)(window.citydeckMap.renderedCount())",
            "the map draws the bundle's incidents",
            Duration::from_secs(60),
        )
        .await?;
        // Working offline: an incident reported here is on the map at once, marked pending (待同步).
        js(
            c,
            "window.__TAURI__.core.invoke('submit_action', { op: { kind: 'create_incident',
               incident_id: '0190a5e0-0000-7000-8000-00000000f1e1', title: '现场上报 管道破裂', class: 'accident',
               grade: 'III', lon: 24.9450, lat: 60.1700, source: 'operator' } }); return true;",
        )
        .await?;
        wait_js(
            c,
            "window.citydeckMap.map.querySourceFeatures('cd-pending')
               .some(f => f.properties.label === '待同步 · 现场上报 管道破裂')",
            "the offline report is on the map, marked pending",
            Duration::from_secs(15),
        )
        .await?;
        js(c, "document.querySelector('#outbox-badge').click(); return true;").await?;
        wait_js(
            c,
            "document.querySelector('#bundle-started')?.dataset.outcome === 'installed'",
            "the drawer says the desktop started from the bundle",
            Duration::from_secs(10),
        )
        .await?;
        save_screenshot(c, "e2e-bundle-field.png").await
    }
    .await;
    finish(w.c, w._driver, result).await;
}
