//! Issue 24 in the real window: the closed loop's clock and departments. A hub process started with the
//! Liechtenstein city file (its five departments) and a short deadlines file (20 s to leave 采集), the desktop
//! pointed at it. A new incident's feed row counts down to its stage deadline (`剩余 00:1x`), then turns red with
//! the 督办 tag once past it, and appears in the 督办 list once the hub marked it overdue; a click there opens its
//! detail panel with the overdue deadline, and the 交办 form offers the city's departments (the class's default
//! picked).

use std::time::Duration;

use citydeck_tests::window::{click_css, finish, open_app_env, wait_js, wait_js_explained, Window};
use citydeck_tests::{binary, demo_client, repo_root, HubProcess, DEMO_PASSWORD};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, tauri-driver and WebKitWebDriver: run by `cargo xtask test` under xvfb-run"]
async fn a_case_counts_down_then_turns_overdue_and_joins_the_supervision_list() {
    let dir = tempfile::tempdir().unwrap();
    let city = repo_root().join("data/city/liechtenstein.toml");
    let deadlines = dir.path().join("deadlines.toml");
    std::fs::write(&deadlines, "[stages]\ncollected = \"20s\"\n").unwrap();
    let hub = HubProcess::start_with(
        &dir.path().join("hub.sqlite"),
        "127.0.0.1:0",
        &[
            "--city",
            city.to_str().unwrap(),
            "--deadlines",
            deadlines.to_str().unwrap(),
        ],
    );
    let data = dir.path().join("desktop");
    let env: [(&str, &std::ffi::OsStr); 6] = [
        ("CITYDECK_CITY", city.as_os_str()),
        ("CITYDECK_HUB_URL", hub.url.as_ref()),
        ("CITYDECK_USER", "commander".as_ref()),
        ("CITYDECK_PASSWORD", DEMO_PASSWORD.as_ref()),
        ("CITYDECK_DATA_DIR", data.as_os_str()),
        ("CITYDECK_SCREEN", "e2e-closed-loop".as_ref()),
    ];
    let Window { c, _driver } = open_app_env(&binary("citydeck"), &env, None).await;
    let result = async {
        // the window is up, online, and holds the city's departments (fetched into its cache)
        wait_js(
            &c,
            "document.querySelector('#cockpit')?.dataset.connection === 'online' \
             && document.querySelector('#backlog-table') !== null",
            "the cockpit online with its backlog table",
            Duration::from_secs(60),
        )
        .await?;
        let operator = demo_client(&hub.url, "operator");
        let new = citydeck_protocol::NewIncident {
            title: "闭环时限测试".into(),
            class: citydeck_protocol::IncidentClass::Accident,
            ..citydeck_protocol::fixtures::new_incident()
        };
        let inc = operator.create_incident(&new).await.map_err(|e| e.to_string())?;
        let due = inc.stage_due_at.ok_or("the hub gave the new case no deadline")?;
        let row = format!("document.querySelector('#incident-feed .feed-row[data-incident-id=\"{}\"]')", inc.id);
        let explain = format!(
            "JSON.stringify({{row: {row}?.outerHTML?.slice(0, 1500), sup: document.querySelector('#supervision-list')?.outerHTML?.slice(0, 1500)}})"
        );
        // counting down: the row shows the time left to the deadline, not overdue
        wait_js_explained(
            &c,
            &format!(
                "{row}?.querySelector('.due-chip')?.dataset.state !== 'overdue' \
                 && {row}?.querySelector('.due-chip')?.dataset.due === '{}' \
                 && /剩余 00:[01][0-9]/.test({row}?.querySelector('.due-chip')?.textContent ?? '') \
                 && {row}?.dataset.overdue === 'false'",
                due.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
            "the new case's row counts down to its 20 s deadline",
            Duration::from_secs(15),
            &explain,
        )
        .await?;
        // past the deadline: red, with the 督办 tag and the time over
        wait_js_explained(
            &c,
            &format!(
                "{row}?.dataset.overdue === 'true' && {row}.classList.contains('feed-row--overdue') \
                 && {row}.querySelector('.due-chip .due-tag')?.textContent === '督办' \
                 && /超时 00:/.test({row}.querySelector('.due-chip')?.textContent ?? '')"
            ),
            "the row turned red and overdue",
            Duration::from_secs(40),
            &explain,
        )
        .await?;
        // the hub marked it (incident_overdue): it is in the 督办 list
        let sup = format!("#supervision-list .sup-row[data-incident-id=\"{}\"]", inc.id);
        wait_js_explained(
            &c,
            &format!(
                "document.querySelector('{sup}')?.textContent?.includes('闭环时限测试') \
                 && document.querySelector('{sup}').textContent.includes('超时')"
            ),
            "the case in the 督办 list",
            Duration::from_secs(30),
            &explain,
        )
        .await?;
        // a click there opens its detail: the deadline overdue, and the 交办 form names the city's departments
        // with the accident's department (消防救援支队, the deepest declaring accidents) picked
        click_css(&c, &sup).await?;
        wait_js_explained(
            &c,
            &format!(
                "document.querySelector('#incident-detail')?.dataset.incidentId === '{}' \
                 && document.querySelector('#detail-deadline')?.dataset.overdue === 'true' \
                 && document.querySelectorAll('#assign-department option').length === 6 \
                 && document.querySelector('#assign-department').value === 'fire' \
                 && document.querySelector('#assign-department').selectedOptions[0].textContent.includes('消防救援支队')",
                inc.id
            ),
            "the detail panel shows the overdue deadline and the department selector",
            Duration::from_secs(20),
            "JSON.stringify({detail: document.querySelector('#incident-detail')?.outerHTML?.slice(0, 3000)})",
        )
        .await?;
        Ok(())
    }
    .await;
    finish(c, _driver, result).await;
}
