//! The drill-down (三级贯通) in the real `citydeck` window under Xvfb: a hub process with Liechtenstein's areas
//! (2 Wahlkreise, 11 Gemeinden), the cockpit of the demo city. An unscoped commander drills from the country
//! into a district through the area panel, the panels follow, the choropleth's measure changes, and the
//! breadcrumb goes back up; an account scoped to a street opens at its street, holds only its incidents and cannot
//! go above it.
//!
//! Needs a display, `tauri-driver` and `WebKitWebDriver`: `cargo xtask test` runs it under `xvfb-run`.

use std::ffi::OsStr;
use std::time::Duration;

use citydeck_protocol::{fixtures, Grade, IncidentClass, NewIncident};
use citydeck_tests::window::{
    click_css, finish, js, open_app_env, save_screenshot, wait_js_explained, Window,
};
use citydeck_tests::{binary, repo_root, HubProcess, DEMO_PASSWORD};

const OBERLAND: &str = "osm-r50";
const UNTERLAND: &str = "osm-r49";
const SCHELLENBERG: &str = "osm-r38";
const ESCHEN: &str = "osm-r41";

/// Points inside the Gemeinden (their label points, as `cargo xtask city` placed them).
const VADUZ_AT: (f64, f64) = (9.5202457, 47.1427592);
const SCHELLENBERG_AT: (f64, f64) = (9.5581049, 47.2383711);
const ESCHEN_AT: (f64, f64) = (9.5211621, 47.2083692);

fn incident(title: &str, grade: Grade, at: (f64, f64)) -> NewIncident {
    NewIncident {
        title: title.into(),
        class: IncidentClass::Accident,
        grade,
        lon: at.0,
        lat: at.1,
        ..fixtures::new_incident()
    }
}

/// A hub with the demo accounts and Liechtenstein's areas, holding two incidents in Vaduz (Oberland), one in
/// Schellenberg and one grade-I one in Eschen (both Unterland).
async fn hub_with_incidents(dir: &std::path::Path) -> HubProcess {
    let areas = repo_root().join("crates/hub/tests/data/liechtenstein-areas.geojson");
    let hub = HubProcess::start_with(
        &dir.join("hub.sqlite"),
        "127.0.0.1:0",
        &["--areas", areas.to_str().unwrap()],
    );
    let op = citydeck_tests::demo_client(&hub.url, "operator");
    for n in [
        incident("Vaduz Städtle 交通事故", Grade::III, VADUZ_AT),
        incident("Vaduz Rathaus 人群聚集", Grade::II, VADUZ_AT),
        incident("Schellenberg 山体滑坡", Grade::II, SCHELLENBERG_AT),
        incident("Eschen 化工厂泄漏", Grade::I, ESCHEN_AT),
    ] {
        op.create_incident(&n).await.expect("creating an incident");
    }
    hub
}

async fn open(hub: &HubProcess, user: &str, data_dir: &std::path::Path) -> Window {
    let city = repo_root().join("data/city/liechtenstein.toml");
    let env: [(&str, &OsStr); 6] = [
        ("CITYDECK_CITY", city.as_os_str()),
        ("CITYDECK_HUB_URL", hub.url.as_ref()),
        ("CITYDECK_USER", user.as_ref()),
        ("CITYDECK_PASSWORD", DEMO_PASSWORD.as_ref()),
        ("CITYDECK_DATA_DIR", data_dir.as_os_str()),
        ("CITYDECK_SCREEN", "drill-wall".as_ref()),
    ];
    open_app_env(&binary("citydeck"), &env, None).await
}

/// What the window shows of the drill-down, for the failure message.
const EXPLAIN: &str = "JSON.stringify({area: document.querySelector('#cockpit')?.dataset.area, \
    snapshot: document.querySelector('#cockpit')?.dataset.snapshotArea, \
    crumbs: [...document.querySelectorAll('#breadcrumb .crumb')].map(b => b.dataset.areaId + (b.disabled ? ':off' : '')), \
    rows: [...document.querySelectorAll('#area-list .area-row')].map(r => r.dataset.areaId + '=' + r.dataset.value), \
    total: document.querySelector('#summary-total .kpi-num')?.dataset.value, \
    feed: [...document.querySelectorAll('#incident-feed .feed-title')].map(t => t.textContent)})";

async fn until(c: &fantoccini::Client, expr: &str, what: &str) -> Result<(), String> {
    wait_js_explained(c, expr, what, Duration::from_secs(60), EXPLAIN).await
}

fn rows_are(rows: &[(&str, u64)]) -> String {
    let want: Vec<String> = rows.iter().map(|(id, v)| format!("'{id}={v}'")).collect();
    format!(
        "JSON.stringify([...document.querySelectorAll('#area-list .area-row')].map(r => r.dataset.areaId + '=' + r.dataset.value)) === JSON.stringify([{}])",
        want.join(",")
    )
}

const TOTAL: &str = "document.querySelector('#summary-total .kpi-num')?.dataset.value";
const FEED: &str =
    "[...document.querySelectorAll('#incident-feed .feed-title')].map(t => t.textContent).sort().join('|')";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, tauri-driver and WebKitWebDriver: run by `cargo xtask test` under xvfb-run"]
async fn a_commander_drills_into_a_district_and_back_up_and_the_panels_follow() {
    let dir = tempfile::tempdir().unwrap();
    let hub = hub_with_incidents(dir.path()).await;
    let Window { c, _driver: driver } = open(&hub, "commander", &dir.path().join("desktop")).await;
    let result = async {
        // The whole country: one crumb, its two districts shaded by open incidents, most first.
        until(&c, &format!("{TOTAL} === '4'"), "all four incidents counted").await?;
        until(
            &c,
            &rows_are(&[(OBERLAND, 2), (UNTERLAND, 2)]),
            "the districts listed with their open incidents",
        )
        .await?;
        until(
            &c,
            "document.querySelectorAll('#breadcrumb .crumb').length === 1 \
             && document.querySelector('#breadcrumb .crumb--current').dataset.areaId === 'city'",
            "the breadcrumb at the country",
        )
        .await?;
        until(
            &c,
            "[...document.querySelectorAll('#area-legend .area-legend-item')].map(i => i.textContent).join(',') === '1,2'",
            "a shade for each count up to 2",
        )
        .await?;

        // Into the Unterland: the map, the counts, the feed and the list follow.
        click_css(&c, &format!(".area-row[data-area-id='{UNTERLAND}']")).await?;
        until(
            &c,
            &format!("document.querySelector('#cockpit').dataset.snapshotArea === '{UNTERLAND}'"),
            "the snapshot of the Unterland",
        )
        .await?;
        until(&c, &format!("{TOTAL} === '2'"), "the Unterland's two incidents counted").await?;
        until(
            &c,
            &format!("{FEED} === 'Eschen 化工厂泄漏|Schellenberg 山体滑坡'"),
            "the feed lists only the Unterland's incidents",
        )
        .await?;
        until(
            &c,
            &format!(
                "[...document.querySelectorAll('#breadcrumb .crumb')].map(b => b.dataset.areaId).join('>') === 'city>{UNTERLAND}'"
            ),
            "the breadcrumb 全市 › 下区",
        )
        .await?;
        // Its five Gemeinden, the two with an incident first (by name: Eschen, Schellenberg), the rest at 0.
        until(
            &c,
            &format!(
                "document.querySelectorAll('#area-list .area-row').length === 5 \
                 && document.querySelectorAll('#area-list .area-row')[0].dataset.areaId === '{ESCHEN}' \
                 && document.querySelectorAll('#area-list .area-row')[1].dataset.areaId === '{SCHELLENBERG}' \
                 && document.querySelectorAll('#area-list .area-row')[2].dataset.value === '0'"
            ),
            "the Unterland's Gemeinden",
        )
        .await?;
        save_screenshot(&c, "e2e-drill-district.png").await?;

        // Shade by grade I: only Eschen counts.
        click_css(&c, ".area-measure[data-measure='grade_i']").await?;
        until(
            &c,
            &format!(
                "document.querySelector('#area-panel').dataset.measure === 'grade_i' \
                 && document.querySelectorAll('#area-list .area-row')[0].dataset.areaId === '{ESCHEN}' \
                 && document.querySelectorAll('#area-list .area-row')[0].dataset.value === '1' \
                 && document.querySelectorAll('#area-list .area-row')[1].dataset.value === '0'"
            ),
            "the grade-I measure",
        )
        .await?;

        // Back up through the breadcrumb: the whole country again.
        click_css(&c, "#breadcrumb .crumb[data-area-id='city']").await?;
        until(&c, "document.querySelector('#cockpit').dataset.area === ''", "back at the country").await?;
        until(&c, &format!("{TOTAL} === '4'"), "all four counted again").await?;
        until(
            &c,
            &rows_are(&[(UNTERLAND, 1), (OBERLAND, 0)]),
            "the districts by grade I",
        )
        .await?;
        Ok(())
    }
    .await;
    finish(c, driver, result).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, tauri-driver and WebKitWebDriver: run by `cargo xtask test` under xvfb-run"]
async fn a_street_account_opens_at_its_street_holding_only_its_incidents() {
    let dir = tempfile::tempdir().unwrap();
    let hub = hub_with_incidents(dir.path()).await;
    let Window { c, _driver: driver } = open(&hub, "street", &dir.path().join("desktop")).await;
    let result = async {
        until(
            &c,
            &format!("document.querySelector('#cockpit').dataset.area === '{SCHELLENBERG}'"),
            "opened at Schellenberg",
        )
        .await?;
        until(&c, &format!("{TOTAL} === '1'"), "Schellenberg's one incident").await?;
        until(
            &c,
            &format!("{FEED} === 'Schellenberg 山体滑坡'"),
            "the feed holds only Schellenberg's incident",
        )
        .await?;
        // The breadcrumb shows where the street lies, but the levels above it are locked.
        until(
            &c,
            &format!(
                "[...document.querySelectorAll('#breadcrumb .crumb')].map(b => b.dataset.areaId + (b.disabled ? ':off' : '')).join('>') \
                 === 'city:off>{UNTERLAND}:off>{SCHELLENBERG}:off'"
            ),
            "the levels above the street locked",
        )
        .await?;
        // A click on a locked crumb does nothing.
        js(&c, "document.querySelector('#breadcrumb .crumb[data-area-id=\"city\"]').click(); return true;").await?;
        tokio::time::sleep(Duration::from_millis(800)).await;
        until(
            &c,
            &format!("document.querySelector('#cockpit').dataset.area === '{SCHELLENBERG}'"),
            "still at Schellenberg",
        )
        .await?;
        // A new incident elsewhere never reaches this desktop; one in Schellenberg does.
        let op = citydeck_tests::demo_client(&hub.url, "operator");
        op.create_incident(&incident("Vaduz 停电", Grade::II, VADUZ_AT))
            .await
            .map_err(|e| e.to_string())?;
        op.create_incident(&incident("Schellenberg 道路结冰", Grade::III, SCHELLENBERG_AT))
            .await
            .map_err(|e| e.to_string())?;
        until(
            &c,
            &format!("{FEED} === 'Schellenberg 山体滑坡|Schellenberg 道路结冰'"),
            "the live stream brings only Schellenberg's incident",
        )
        .await?;
        until(&c, "document.querySelector('#cockpit').dataset.connection === 'online'", "online").await?;
        save_screenshot(&c, "e2e-drill-street.png").await?;
        Ok(())
    }
    .await;
    finish(c, driver, result).await;
}
