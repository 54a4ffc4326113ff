//! Issue 22 in the real window: reports of one event from two sources. A hub process on the Liechtenstein city
//! file, the desktop pointed at it signed in as the operator. The operator account posts the same accident in
//! Vaduz twice over HTTP (`POST /api/v1/incidents`), from `hotline` and then from `camera` ~80 m away a minute
//! later: the second answers 200 with the first's id (merged). The feed row says 多源印证 and "2 源"; the detail
//! panel's 来源 lists both reports (the first 首报); 核实 sends `Op::Verify` through the outbox and the hub's
//! `incident_verified` reaching the cache makes it 权威, with who verified it. The map's quality filter (official
//! only) hides it while corroborated and draws it once verified.

use std::time::Duration;

use chrono::Utc;
use citydeck_protocol::{Grade, Incident, IncidentClass, NewIncident};
use citydeck_tests::window::{click_css, finish, open_app_env, save_screenshot, wait_js_explained, Window};
use citydeck_tests::{binary, demo_client, repo_root, HubProcess, DEMO_PASSWORD};

/// Vaduz, Städtle.
const VADUZ: (f64, f64) = (9.5215, 47.1410);

const EXPLAIN: &str = "JSON.stringify({connection: document.querySelector('#cockpit')?.dataset.connection, \
    rows: [...document.querySelectorAll('#incident-feed .feed-row')].map(r => r.dataset.incidentId + ' ' + r.dataset.quality + ' ' + r.textContent).slice(0, 5), \
    detail: document.querySelector('#incident-detail')?.dataset?.incidentId, \
    sources: document.querySelector('#detail-sources')?.outerHTML?.slice(0, 3000), \
    local: document.querySelector('#detail-local-ops')?.textContent})";

async fn until(c: &fantoccini::Client, expr: &str, what: &str, secs: u64) -> Result<(), String> {
    wait_js_explained(c, expr, what, Duration::from_secs(secs), EXPLAIN).await
}

/// `POST /api/v1/incidents` as `token`'s account: the status and the incident answered.
async fn post(
    http: &reqwest::Client,
    hub: &str,
    token: &str,
    new: &NewIncident,
) -> Result<(u16, Incident), String> {
    let resp = http
        .post(format!("{hub}/api/v1/incidents"))
        .bearer_auth(token)
        .json(new)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let body = resp.text().await.map_err(|e| e.to_string())?;
    let inc = serde_json::from_str(&body).map_err(|e| format!("{status}: {e}: {body}"))?;
    Ok((status, inc))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, tauri-driver and WebKitWebDriver: run by `cargo xtask test` under xvfb-run"]
async fn two_sources_of_one_event_are_listed_corroborated_and_verify_makes_it_official() {
    let dir = tempfile::tempdir().unwrap();
    let city = repo_root().join("data/city/liechtenstein.toml");
    let hub = HubProcess::start_with(
        &dir.path().join("hub.sqlite"),
        "127.0.0.1:0",
        &["--city", city.to_str().unwrap()],
    );
    let data = dir.path().join("desktop");
    let env: [(&str, &std::ffi::OsStr); 6] = [
        ("CITYDECK_CITY", city.as_os_str()),
        ("CITYDECK_HUB_URL", hub.url.as_ref()),
        ("CITYDECK_USER", "operator".as_ref()),
        ("CITYDECK_PASSWORD", DEMO_PASSWORD.as_ref()),
        ("CITYDECK_DATA_DIR", data.as_os_str()),
        ("CITYDECK_SCREEN", "e2e-sources".as_ref()),
    ];
    let Window { c, _driver } = open_app_env(&binary("citydeck"), &env, None).await;
    let result = async {
        until(
            &c,
            "document.querySelector('#cockpit')?.dataset.connection === 'online' \
             && window.citydeckMap && window.citydeckMap.engine === 'maplibre' && window.citydeckMap.ready()",
            "the cockpit online with its map ready",
            60,
        )
        .await?;

        // The same accident from the hotline, then from a camera ~80 m north a minute later.
        let token = demo_client(&hub.url, "operator")
            .token()
            .await
            .map_err(|e| e.to_string())?;
        let http = reqwest::Client::new();
        let now = Utc::now();
        let report = |source: &str, lat: f64, ago: i64, ext: &str| NewIncident {
            title: "瓦杜兹城区两车相撞".into(),
            class: IncidentClass::Accident,
            grade: Grade::III,
            lon: VADUZ.0,
            lat,
            source: source.into(),
            description: None,
            address: Some("Vaduz, Städtle".into()),
            external_id: Some(ext.into()),
            occurred_at: Some(now - chrono::Duration::minutes(ago)),
        };
        let (first_status, first) =
            post(&http, &hub.url, &token, &report("hotline", VADUZ.1, 2, "HL-4711")).await?;
        if first_status != 201 {
            return Err(format!("the first report answered {first_status}"));
        }
        let (second_status, second) = post(
            &http,
            &hub.url,
            &token,
            &report("camera", VADUZ.1 + 0.00072, 1, "CAM-12"),
        )
        .await?;
        if second_status != 200 || second.id != first.id || second.reports.len() != 2 {
            return Err(format!(
                "the second report did not merge into the first ({second_status}, {} vs {}, {} reports)",
                second.id,
                first.id,
                second.reports.len()
            ));
        }
        let id = first.id.to_string();

        // The feed row: corroborated, two sources.
        let row = format!("#incident-feed .feed-row[data-incident-id=\"{id}\"]");
        until(
            &c,
            &format!(
                "document.querySelector('{row}')?.dataset.quality === 'corroborated' \
                 && document.querySelector('{row} .quality-badge')?.textContent === '多源印证' \
                 && document.querySelector('{row} .feed-sources')?.textContent === '2 源'"
            ),
            "the feed row says 多源印证 and 2 源",
            20,
        )
        .await?;

        // The map's quality filter: official only hides it, corroborated and up shows it again.
        let marker = format!("window.citydeckMap.markerPosition('{id}')");
        until(&c, &format!("{marker} !== null"), "the incident on the map", 20).await?;
        click_css(&c, "#map-quality-filter [data-quality-filter=\"official\"]").await?;
        until(
            &c,
            &format!("{marker} === null"),
            "official only: the corroborated incident hidden",
            20,
        )
        .await?;
        click_css(&c, "#map-quality-filter [data-quality-filter=\"corroborated\"]").await?;
        until(
            &c,
            &format!("{marker} !== null"),
            "corroborated and up: the incident drawn again",
            20,
        )
        .await?;
        click_css(&c, "#map-quality-filter [data-quality-filter=\"official\"]").await?;
        until(&c, &format!("{marker} === null"), "official only again", 20).await?;

        // The detail panel's 来源: both reports, the hotline's first (首报), the incident corroborated.
        click_css(&c, &row).await?;
        let list = "document.querySelectorAll('#detail-sources-list .dt-source-row')";
        until(
            &c,
            &format!(
                "document.querySelector('#incident-detail')?.dataset.incidentId === '{id}' \
                 && {list}.length === 2 \
                 && {list}[0].dataset.source === 'hotline' && {list}[0].textContent.includes('首报') \
                 && {list}[0].textContent.includes('HL-4711') \
                 && {list}[1].dataset.source === 'camera' && {list}[1].textContent.includes('CAM-12') \
                 && !!{list}[1].querySelector('[data-action=\"split\"]') \
                 && !{list}[0].querySelector('[data-action=\"split\"]') \
                 && document.querySelector('#detail-quality')?.textContent === '多源印证' \
                 && !!document.querySelector('#detail-sources [data-action=\"verify\"]')"
            ),
            "the 来源 section lists both reports, the first 首报, the incident 多源印证",
            20,
        )
        .await?;
        save_screenshot(&c, "e2e-sources.png").await?;

        // 核实: through the outbox to the hub, whose incident_verified reaches the cache.
        click_css(&c, "#detail-sources [data-action=\"verify\"]").await?;
        until(
            &c,
            &format!(
                "document.querySelector('#detail-quality')?.textContent === '权威' \
                 && document.querySelector('#detail-sources')?.dataset.quality === 'official' \
                 && (document.querySelector('#detail-verified-by')?.textContent ?? '').includes('operator') \
                 && !document.querySelector('#detail-sources [data-action=\"verify\"]') \
                 && document.querySelector('{row}')?.dataset.quality === 'official' \
                 && document.querySelector('{row} .quality-badge')?.textContent === '权威'"
            ),
            "verified: 权威 in the panel and the feed, 核实 gone",
            30,
        )
        .await?;
        until(
            &c,
            &format!("{marker} !== null"),
            "verified: drawn under official only",
            20,
        )
        .await?;
        click_css(&c, "#map-quality-filter [data-quality-filter=\"all\"]").await?;
        save_screenshot(&c, "e2e-sources-verified.png").await?;
        Ok(())
    }
    .await;
    finish(c, _driver, result).await;
    drop(hub);
}
