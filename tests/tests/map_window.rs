//! The cockpit map in the real `citydeck` window (Tauri + WebKitGTK, MapLibre GL JS, basemap from the offline
//! MBTiles through the `citydeck-map` custom protocol) under Xvfb, driven through tauri-driver:
//! a click on a marker opens its detail panel and selects its feed row; a click on a feed row flies the map
//! to it; and nothing the desktop does leaves the machine (every socket it opens is traced with strace).
//!
//! Run by `cargo xtask test` under xvfb-run, after building the desktop with the UI inside.

use std::time::Duration;

use fantoccini::actions::InputSource;

use citydeck_protocol::{fixtures, Grade, NewIncident, Op, PushOp};
use citydeck_sync::HubClient;
use citydeck_tests::window::{
    finish, js, open_app_traced, open_window, save_screenshot, wait_for_text, wait_js, wait_js_explained,
};
use citydeck_tests::{binary, HubProcess};

fn writer(hub: &HubProcess) -> HubClient {
    citydeck_tests::demo_client(&hub.url, "operator")
}

fn incident(title: &str, grade: Grade, lon: f64, lat: f64) -> NewIncident {
    NewIncident {
        title: title.into(),
        grade,
        lon,
        lat,
        ..fixtures::new_incident()
    }
}

/// The incident the test clicks, then `n` more spread over central Helsinki (deterministic, pushed in one batch):
/// with more than the snapshot's 500 newest, the clicked one is only on the map, not in the snapshot's list.
async fn seed(hub: &HubProcess, n: usize) -> uuid::Uuid {
    let w = writer(hub);
    let target = w
        .create_incident(&incident("地图点击目标 Kauppatori", Grade::I, 24.9525, 60.1675))
        .await
        .unwrap()
        .id;
    let ops: Vec<PushOp> = (0..n)
        .map(|i| {
            let lon = 24.925 + 0.035 * ((i * 37 % 100) as f64 / 100.0);
            let lat = 60.160 + 0.018 * ((i * 61 % 100) as f64 / 100.0);
            PushOp {
                op_id: uuid::Uuid::now_v7(),
                client_seq: i as u64 + 1,
                op: Op::CreateIncident {
                    incident_id: Some(uuid::Uuid::now_v7()),
                    incident: incident(&format!("背景事件 {i}"), Grade::ALL[i % 4], lon, lat),
                },
            }
        })
        .collect();
    w.push(uuid::Uuid::new_v4(), &ops).await.unwrap();
    target
}

/// What the map is showing, for a failure message: the source layers and layer types on screen, whether the
/// style and tiles are loaded, the view, and whether WebGL lost its context.
const BASEMAP_STATE: &str = "(() => {
    const cm = window.citydeckMap;
    if (!cm) return { citydeckMap: 'missing', href: location.href };
    const m = cm.map;
    const f = m.queryRenderedFeatures({ layers: m.getStyle().layers.map(l => l.id).filter(id => !id.startsWith('cd-')) });
    const gl = m.painter && m.painter.context && m.painter.context.gl;
    return { sourceLayers: [...new Set(f.map(x => x.sourceLayer).filter(Boolean))],
             layerTypes: [...new Set(f.map(x => x.layer.type))], features: f.length,
             loaded: m.loaded(), styleLoaded: m.isStyleLoaded(), tilesLoaded: m.areTilesLoaded(),
             zoom: m.getZoom(), center: m.getCenter(), canvas: [m.getCanvas().width, m.getCanvas().height],
             contextLost: gl ? gl.isContextLost() : 'no gl', stats: cm.stats() };
})()";

const MAP_READY: &str = "window.citydeckMap && window.citydeckMap.engine === 'maplibre' \
    && window.citydeckMap.ready() && window.citydeckMap.stats().pending === 0";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, tauri-driver and WebKitWebDriver: run by `cargo xtask test` under xvfb-run"]
async fn clicking_a_marker_opens_its_detail_and_a_feed_row_flies_the_map_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(&dir.path().join("hub.sqlite"));
    let target = seed(&hub, 520).await;
    let w = open_window(&hub.url, "operator", "map-test", &dir.path().join("desktop")).await;
    let c = &w.c;
    let result: Result<(), String> = async {
        wait_js(
            c,
            &format!("{MAP_READY} && window.citydeckMap.featureCount() >= 521"),
            "the map drew every incident",
            Duration::from_secs(60),
        )
        .await?;
        // A click on a cluster bubble zooms in to what it holds (the bubbles are the cockpit's own, not
        // MapLibre's: the map looks up the bubble's extent).
        const BUBBLE: &str = "(() => {
             const m = window.citydeckMap.map; const r = m.getCanvas().getBoundingClientRect();
             const inside = (p) => p.x > 60 && p.y > 60 && p.x < r.width - 60 && p.y < r.height - 60;
             if (m.isMoving()) return null;
             const f = m.queryRenderedFeatures({ layers: ['cd-clusters'] })
               .filter(f => inside(m.project(f.geometry.coordinates)))
               .sort((a, b) => b.properties.point_count - a.properties.point_count)[0];
             if (!f) return null;
             const p = m.project(f.geometry.coordinates);
             return { x: r.left + p.x, y: r.top + p.y, zoom: m.getZoom(), count: f.properties.point_count };
           })()";
        // (the map may still be fitting the city and loading its tiles)
        let _ = wait_js(c, BUBBLE, "a cluster bubble drawn", Duration::from_secs(20)).await;
        let bubble = js(c, &format!("return {BUBBLE};")).await?;
        let (Some(bx), Some(by), Some(bz)) = (
            bubble["x"].as_f64(),
            bubble["y"].as_f64(),
            bubble["zoom"].as_f64(),
        ) else {
            let state = js(
                c,
                &format!(
                    "return {{ map: {BASEMAP_STATE}, source: window.citydeckMap.map.querySourceFeatures('cd-incidents').length, \
                       rendered: window.citydeckMap.renderedCount() }};"
                ),
            )
            .await?;
            return Err(format!("no cluster bubble drawn with 521 incidents: {bubble}; {state}"));
        };
        let click_at = |x: f64, y: f64| {
            fantoccini::actions::MouseActions::new("mouse".into())
                .then(fantoccini::actions::PointerAction::MoveTo {
                    duration: None,
                    x,
                    y,
                })
                .then(fantoccini::actions::PointerAction::Down {
                    button: fantoccini::actions::MOUSE_BUTTON_LEFT,
                })
                .then(fantoccini::actions::PointerAction::Up {
                    button: fantoccini::actions::MOUSE_BUTTON_LEFT,
                })
        };
        c.perform_actions(click_at(bx, by)).await.map_err(|e| e.to_string())?;
        let zoomed = format!(
            "window.citydeckMap.map.getZoom() > {bz} + 0.5 && !window.citydeckMap.map.isMoving() \
             && window.citydeckMap.selected() === null"
        );
        // On a loaded machine WebKit has been seen to drop the first click on a busy map (the bubble's tooltip
        // shows, nothing zooms): a user clicks again, and so does the test, once, on the bubble now under the
        // pointer.
        if wait_js(c, &zoomed, "the map zoomed in", Duration::from_secs(10)).await.is_err() {
            let again = js(c, &format!("return {BUBBLE};")).await?;
            if let (Some(x), Some(y)) = (again["x"].as_f64(), again["y"].as_f64()) {
                c.perform_actions(click_at(x, y)).await.map_err(|e| e.to_string())?;
            }
            wait_js(
                c,
                &zoomed,
                &format!("the map zoomed in to the clicked bubble ({bubble}, clicked twice)"),
                Duration::from_secs(20),
            )
            .await?;
        }

        // Bring the marker out of its cluster, then click it where WebKit drew it, as a user would.
        let pos = c
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 window.citydeckMap.revealMarker(arguments[0]).then(done, e => done({ error: String(e) }));",
                vec![serde_json::json!(target.to_string())],
            )
            .await
            .map_err(|e| e.to_string())?;
        // Wait until it is drawn as a single marker (not inside a cluster bubble) and has stopped moving.
        // In about one run in four MapLibre 5.24 draws the reveal zoom from an empty GeoJSON tile (its feature
        // index throws "Out of bounds" on query; cause not found yet, also with no data change after the first
        // load): the markers of that tile are missing at that zoom. A user zooming once more gets other tiles; so
        // does this test, once, and says so. A marker that is missing at both zooms fails.
        let mut pos = pos;
        for attempt in 0..2 {
            let mut last = serde_json::Value::Null;
            for _ in 0..40 {
                if pos["visible"] == true && pos["unclustered"] == true && pos == last {
                    break;
                }
                last = pos;
                tokio::time::sleep(Duration::from_millis(200)).await;
                pos = js(c, &format!("return window.citydeckMap.markerPosition('{target}');")).await?;
            }
            if pos["visible"] == true && pos["unclustered"] == true || attempt == 1 {
                break;
            }
            eprintln!("the marker was missing at the reveal zoom (empty MapLibre tile): zooming in once more");
            pos = c
                .execute_async(
                    "const done = arguments[arguments.length - 1]; const m = window.citydeckMap;
                     m.map.jumpTo({ zoom: Math.floor(m.map.getZoom()) + 1 });
                     m.revealMarker(arguments[0]).then(done, e => done({ error: String(e) }));",
                    vec![serde_json::json!(target.to_string())],
                )
                .await
                .map_err(|e| e.to_string())?;
        }
        let (x, y) = match (pos["x"].as_f64(), pos["y"].as_f64()) {
            (Some(x), Some(y)) if pos["visible"] == true && pos["unclustered"] == true => (x, y),
            _ => {
                let state = js(
                    c,
                    &format!(
                        "const m = window.citydeckMap; const id = '{target}';
                         const t = (f) => {{ try {{ return f(); }} catch (e) {{ return 'threw: ' + e; }} }};
                         const drawn = t(() => m.map.queryRenderedFeatures().filter(f => f.properties && f.properties.id === id)
                           .map(f => f.layer.id + '@' + JSON.stringify(f.geometry.coordinates)));
                         const inSource = t(() => m.map.querySourceFeatures('cd-incidents').filter(f => f.properties.id === id).length);
                         return {{ zoom: m.map.getZoom(), rendered: m.renderedCount(), tiles: m.map.areTilesLoaded(),
                                   stats: m.stats(), drawn, inSource, center: m.map.getCenter(), selected: m.selected() }};"
                    ),
                )
                .await?;
                return Err(format!("the marker was not drawn on its own: {pos}; map {state}"));
            }
        };
        c.perform_actions(click_at(x, y)).await.map_err(|e| e.to_string())?;
        if let Err(e) =
            wait_for_text(c, "#incident-detail", "地图点击目标 Kauppatori", Duration::from_secs(10)).await
        {
            let diag = js(
                c,
                &format!(
                    "const m = window.citydeckMap; return JSON.stringify({{ selected: m.selected(), now: m.markerPosition('{target}'),
                       at: (() => {{ const r = m.map.getCanvas().getBoundingClientRect(); return m.map.queryRenderedFeatures([{x} - r.left, {y} - r.top]); }})().map(f => f.layer.id + ':' + (f.properties.id || '')),
                       dpr: window.devicePixelRatio, canvas: m.map.getCanvas().getBoundingClientRect() }});"
                ),
            )
            .await?;
            return Err(format!("{e}; clicked at {x},{y} ({pos}); map: {diag}"));
        }
        wait_js(
            c,
            &format!(
                "(() => {{ const row = document.querySelector('.feed-row[data-incident-id=\"{target}\"]');
                   // older than the feed's newest 500: not listed there, only on the map
                   return (!row || row.dataset.selected === 'true') && window.citydeckMap.selected() === '{target}'; }})()"
            ),
            "the feed row and the map agree on the selection",
            Duration::from_secs(5),
        )
        .await?;
        wait_js(
            c,
            "(() => { const d = document.querySelector('#incident-detail');
                      const r = d && d.getBoundingClientRect();
                      return r && r.width > 100 && r.height > 100; })()",
            "the detail panel is on screen",
            Duration::from_secs(5),
        )
        .await?;
        save_screenshot(c, "e2e-map-selected.png").await?;

        // A feed row picked in the feed: the map selects it and flies there.
        let other = js(
            c,
            "const r = [...document.querySelectorAll('.feed-row')].find(r => r.dataset.selected !== 'true');
             r.click(); return r.dataset.incidentId;",
        )
        .await?;
        let other = other.as_str().unwrap_or_default().to_string();
        wait_js(
            c,
            &format!(
                "window.citydeckMap.selected() === '{other}' && (() => {{
                   const p = window.citydeckMap.markerPosition('{other}');
                   const r = window.citydeckMap.map.getCanvas().getBoundingClientRect();
                   return p && p.visible && Math.abs(p.x - (r.left + r.width / 2)) < r.width / 4
                     && Math.abs(p.y - (r.top + r.height / 2)) < r.height / 4;
                 }})()"
            ),
            "the map flew to the incident picked in the feed",
            Duration::from_secs(10),
        )
        .await
    }
    .await;
    finish(w.c, w._driver, result).await;
}

/// Where a traced `connect()` went, if it left this machine: `None` for loopback, Unix and netlink sockets.
fn remote(line: &str) -> Option<String> {
    if !line.contains("connect(") || line.contains("AF_UNIX") || line.contains("AF_NETLINK") {
        return None;
    }
    let local = [
        "inet_addr(\"127.",
        "inet_pton(AF_INET6, \"::1\"",
        "inet_pton(AF_INET6, \"::ffff:127.",
    ];
    if local.iter().any(|l| line.contains(l)) {
        return None;
    }
    // A connect without an address (e.g. AF_UNSPEC to disconnect a UDP socket) goes nowhere.
    if line.contains("AF_UNSPEC") {
        return None;
    }
    Some(line.to_string())
}

#[test]
fn the_trace_parser_tells_loopback_from_the_outside_world() {
    let lines = [
        r#"1234 connect(5, {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("127.0.0.1")}, 16) = 0"#,
        r#"1234 connect(7, {sa_family=AF_UNIX, sun_path="/tmp/.X11-unix/X99"}, 20) = 0"#,
        r#"1234 connect(9, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = 0"#,
        r#"1234 connect(5, {sa_family=AF_UNSPEC, sa_data="\0\0\0\0\0\0\0\0\0\0\0\0\0\0"}, 16) = 0"#,
    ];
    assert!(lines.iter().all(|l| remote(l).is_none()));
    let out = [
        r#"99 connect(12, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("151.101.1.140")}, 16) = -1 ENETUNREACH"#,
        r#"99 connect(3, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.0.0.2")}, 16) = 0"#,
    ];
    assert!(out.iter().all(|l| remote(l).is_some()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, tauri-driver, WebKitWebDriver and strace: run by `cargo xtask test` under xvfb-run"]
async fn the_cockpit_and_its_map_make_no_request_beyond_this_machine() {
    let dir = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(&dir.path().join("hub.sqlite"));
    seed(&hub, 20).await;
    let trace = dir.path().join("connect.trace");
    let w = open_app_traced(
        &binary("citydeck"),
        &hub.url,
        "leader",
        "no-network",
        &dir.path().join("desktop"),
        Some(&trace),
    )
    .await;
    let c = &w.c;
    let result: Result<(), String> = async {
        wait_js(c, MAP_READY, "map ready", Duration::from_secs(60)).await?;
        // The basemap really drew from the offline tiles: features of the OpenMapTiles layers are on screen,
        // with labels (glyphs) among them. (Asked of the basemap's layers only: MapLibre 5.24 sometimes holds an
        // empty GeoJSON tile of a cockpit overlay whose feature index throws "Out of bounds" on a query of every
        // layer; see the marker test.)
        wait_js_explained(
            c,
            "(() => { const m = window.citydeckMap.map;
                      const f = m.queryRenderedFeatures({ layers: m.getStyle().layers.map(l => l.id).filter(id => !id.startsWith('cd-')) });
                      const layers = new Set(f.map(x => x.sourceLayer).filter(Boolean));
                      return layers.has('transportation') && layers.has('building') && f.some(x => x.layer.type === 'symbol'); })()",
            "the offline basemap is drawn (roads, buildings, labels)",
            Duration::from_secs(60),
            BASEMAP_STATE,
        )
        .await?;
        // Zoom and pan around so every zoom level's tiles and glyph ranges are asked for.
        js(c, "const m = window.citydeckMap.map; m.jumpTo({ zoom: 11 }); setTimeout(() => m.jumpTo({ zoom: 16 }), 1500); return true;").await?;
        tokio::time::sleep(Duration::from_secs(5)).await;
        // What the page itself fetched: only the app's own schemes.
        let foreign = js(
            c,
            "return performance.getEntriesByType('resource').map(e => e.name)
               .filter(u => !/^(tauri|citydeck-map|ipc|data|blob):/.test(u)
                 && !/^https?:\\/\\/(tauri|citydeck-map|ipc)\\.localhost\\//.test(u));",
        )
        .await?;
        if foreign.as_array().is_none_or(|a| !a.is_empty()) {
            return Err(format!("the page fetched from outside the app: {foreign}"));
        }
        Ok(())
    }
    .await;
    finish(w.c, w._driver, result).await;
    let traced = std::fs::read_to_string(&trace).expect("strace wrote its trace");
    let connects = traced.lines().filter(|l| l.contains("connect(")).count();
    assert!(
        connects > 0,
        "strace saw no connect() at all: the trace is not working"
    );
    let left: Vec<String> = traced.lines().filter_map(remote).collect();
    assert!(
        left.is_empty(),
        "{} of {connects} connections left the machine:\n{}",
        left.len(),
        left.join("\n")
    );
}
