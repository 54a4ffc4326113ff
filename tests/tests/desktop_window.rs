//! The real `citydeck` window (Tauri + WebKitGTK) under Xvfb, driven through tauri-driver / WebKitWebDriver:
//! it syncs from a real hub process, the cockpit shows the incidents live, and it follows a mode switch and
//! acknowledges the new epoch to the hub.
//!
//! Needs a display, `tauri-driver` and `WebKitWebDriver`: `cargo xtask test` runs it under `xvfb-run` after
//! building the desktop binary with the UI inside. A screenshot is kept in `artifacts/`.

use std::time::Duration;

use citydeck_protocol::{fixtures, Grade, IncidentClass, ModeKind, NewIncident};
use citydeck_sync::{HubClient, ModeSwitch};
use citydeck_tests::window::{
    click_css, finish, js, open_window, save_screenshot, wait_for_text, wait_js, Window,
};
use citydeck_tests::HubProcess;
use fantoccini::Locator;

fn incident(title: &str, class: IncidentClass, grade: Grade) -> NewIncident {
    NewIncident {
        title: title.into(),
        class,
        grade,
        lon: 24.9445,
        lat: 60.1710,
        address: Some("Rautatientori".into()),
        ..fixtures::new_incident()
    }
}

/// Opens the 平战转换 dialog, picks `target` (peacetime, I..IV) and types `reason` (unless empty).
async fn dialog_with(c: &fantoccini::Client, target: &str, reason: &str) -> Result<(), String> {
    js(
        c,
        "document.querySelector('#mode-switch-button').click(); return true;",
    )
    .await?;
    wait_js(
        c,
        "document.querySelector('#mode-dialog')",
        "dialog open",
        Duration::from_secs(5),
    )
    .await?;
    js(
        c,
        &format!("document.querySelector('.target-opt[data-target=\"{target}\"]').click(); return true;"),
    )
    .await?;
    wait_js(
        c,
        &format!(
            "document.querySelector('.target-opt[data-target=\"{target}\"]').classList.contains('selected')"
        ),
        "switch target picked",
        Duration::from_secs(10),
    )
    .await?;
    if reason.is_empty() {
        return Ok(());
    }
    c.find(Locator::Css("#switch-reason"))
        .await
        .map_err(|e| e.to_string())?
        .send_keys(reason)
        .await
        .map_err(|e| e.to_string())
}

fn client(hub: &HubProcess, user: &str) -> HubClient {
    citydeck_tests::demo_client(&hub.url, user)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, tauri-driver and WebKitWebDriver: run by `cargo xtask test` under xvfb-run"]
async fn cockpit_window_shows_live_incidents_from_the_hub() {
    let dir = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(&dir.path().join("hub.sqlite"));
    let writer = client(&hub, "operator");
    writer
        .create_incident(&incident(
            "Rautatientori 人群聚集",
            IncidentClass::SocialSecurity,
            Grade::II,
        ))
        .await
        .unwrap();
    let Window { c, _driver: driver } =
        open_window(&hub.url, "leader", "e2e-wall", &dir.path().join("desktop")).await;

    let result = async {
        // Backlog: the incident created before the window opened.
        wait_for_text(
            &c,
            "#incident-feed",
            "Rautatientori 人群聚集",
            Duration::from_secs(60),
        )
        .await?;
        // Live: one created while the window is open.
        writer
            .create_incident(&incident(
                "Mannerheimintie 交通事故",
                IncidentClass::Accident,
                Grade::I,
            ))
            .await
            .map_err(|e| e.to_string())?;
        wait_for_text(
            &c,
            "#incident-feed",
            "Mannerheimintie 交通事故",
            Duration::from_secs(30),
        )
        .await?;
        let root = c
            .find(Locator::Css("[data-connection]"))
            .await
            .map_err(|e| e.to_string())?;
        let conn = root.attr("data-connection").await.map_err(|e| e.to_string())?;
        if conn.as_deref() != Some("online") {
            return Err(format!("connection badge says {conn:?}, expected online"));
        }
        let rows = c
            .find_all(Locator::Css("#incident-feed .feed-row"))
            .await
            .map_err(|e| e.to_string())?;
        if rows.len() != 2 {
            return Err(format!("expected 2 feed rows, found {}", rows.len()));
        }
        // 平战转换: a commander switches; the window follows and acknowledges the new epoch to the hub.
        let commander = client(&hub, "commander");
        let switched = commander
            .switch_mode(ModeKind::Wartime, Some(Grade::III), "e2e: 暴雨", &[])
            .await
            .map_err(|e| e.to_string())?;
        if !matches!(switched, ModeSwitch::Applied(_)) {
            return Err(format!("mode switch answered {switched:?}"));
        }
        let start = std::time::Instant::now();
        loop {
            let mode = c
                .execute(
                    "return document.querySelector('[data-mode]').getAttribute('data-mode');",
                    vec![],
                )
                .await
                .map_err(|e| e.to_string())?;
            if mode.as_str() == Some("wartime") {
                break;
            }
            if start.elapsed() > Duration::from_secs(30) {
                return Err(format!("the window still shows {mode} 30 s after the switch"));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let start = std::time::Instant::now();
        loop {
            let mode = commander.mode().await.map_err(|e| e.to_string())?;
            let acked = mode.acks.iter().any(|a| a.screen == "e2e-wall" && a.epoch == 1);
            if acked {
                break;
            }
            if start.elapsed() > Duration::from_secs(30) {
                return Err(format!("the window did not acknowledge epoch 1: {:?}", mode.acks));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        // A leader's screen follows but cannot switch: the button is there, disabled, saying why.
        wait_js(
            &c,
            "document.querySelector('#mode-switch-button')?.disabled === true",
            "switch button disabled for a leader",
            Duration::from_secs(5),
        )
        .await?;
        tokio::time::sleep(Duration::from_millis(800)).await;
        save_screenshot(&c, "e2e-cockpit.png").await?;
        Ok::<(), String>(())
    }
    .await;
    finish(c, driver, result).await;
}

/// A commander switches through the dialog: sees the consequences, cannot send without a reason, raises to
/// level III with a triggering incident (the wartime layout shows its countdowns and nearby resources), then
/// proposes level I, which only a second commander's confirmation applies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, tauri-driver and WebKitWebDriver: run by `cargo xtask test` under xvfb-run"]
async fn commander_switches_through_the_dialog_and_level_one_needs_a_second_commander() {
    let dir = tempfile::tempdir().unwrap();
    let hub = HubProcess::start_with(
        &dir.path().join("hub.sqlite"),
        "127.0.0.1:0",
        &["--screen", "hall-wall-1"],
    );
    let fire = client(&hub, "operator")
        .create_incident(&incident("Kamppi 地铁站火灾", IncidentClass::Accident, Grade::II))
        .await
        .unwrap();
    let Window { c, _driver: driver } =
        open_window(&hub.url, "commander", "cmd-desk", &dir.path().join("desktop")).await;
    let result = async {
        wait_text_ok(&c, "#incident-feed", "Kamppi 地铁站火灾").await?;
        wait_js(
            &c,
            "document.querySelector('#mode-switch-button') && !document.querySelector('#mode-switch-button').disabled",
            "switch button enabled for a commander online",
            Duration::from_secs(30),
        )
        .await?;
        // no reason yet: nothing can be sent
        dialog_with(&c, "III", "").await?;
        wait_js(
            &c,
            "document.querySelector('#switch-submit').disabled === true",
            "submit disabled without a reason",
            Duration::from_secs(5),
        )
        .await?;
        c.find(Locator::Css("#switch-reason"))
            .await
            .map_err(|e| e.to_string())?
            .send_keys("地铁站火灾，多人被困")
            .await
            .map_err(|e| e.to_string())?;
        // A snapshot landing while the commander fills the form in keeps what they typed and picked (the dialog
        // once reset itself on every snapshot: a keystroke or a pick made just before one was lost).
        client(&hub, "operator")
            .create_incident(&incident("Kamppi 烟雾报警", IncidentClass::Accident, Grade::IV))
            .await
            .map_err(|e| e.to_string())?;
        wait_text_ok(&c, "#incident-feed", "Kamppi 烟雾报警").await?;
        let form = js(
            &c,
            "return [document.querySelector('#switch-reason').value,
                     document.querySelector('.target-opt.selected').dataset.target];",
        )
        .await?;
        if form != serde_json::json!(["地铁站火灾，多人被困", "III"]) {
            return Err(format!("the form after a snapshot: {form}"));
        }
        wait_text_ok(&c, "#switch-consequences", "首报").await?;
        wait_text_ok(&c, "#switch-consequences", "Ⅲ").await?;
        let pick = format!(
            "document.querySelector('.trigger-opt[data-incident-id=\"{}\"] input').click(); return true;",
            fire.id
        );
        js(&c, &pick).await?;
        wait_js(
            &c,
            "document.querySelector('#switch-submit').disabled === false",
            "submit enabled with a reason",
            Duration::from_secs(5),
        )
        .await?;
        js(&c, "document.querySelector('#switch-submit').click(); return true;").await?;
        wait_js(
            &c,
            "document.querySelector('#cockpit').dataset.mode === 'wartime' && document.querySelector('#cockpit').dataset.level === 'III'",
            "window in wartime level III",
            Duration::from_secs(30),
        )
        .await?;
        let mode = client(&hub, "leader").mode().await.map_err(|e| e.to_string())?;
        if mode.level != Some(Grade::III)
            || mode.switched_by.as_deref() != Some("commander")
            || mode.incident_ids != vec![fire.id]
            || mode.reason != "地铁站火灾，多人被困"
        {
            return Err(format!("the hub recorded {mode:?}"));
        }
        // the wartime layout: countdowns for level III, the fire in focus with real nearby resources
        wait_js(
            &c,
            "document.querySelectorAll('#response-clock .deadline-row').length >= 3",
            "response clock rows",
            Duration::from_secs(10),
        )
        .await?;
        wait_js(
            &c,
            "document.querySelectorAll('#nearby-resources .nearby-row').length >= 3",
            "nearby resources from the OSM extract",
            Duration::from_secs(10),
        )
        .await?;
        wait_text_ok(&c, "#task-board", "Kamppi 地铁站火灾").await?;
        // hall-wall-1 was registered and never acked: the commander sees it named after the grace time
        wait_js(
            &c,
            "document.querySelector('#ack-badge').title.includes('hall-wall-1')",
            "the never-acked screen is named",
            Duration::from_secs(20),
        )
        .await?;
        save_screenshot(&c, "e2e-wartime-III.png").await?;

        // level I from the dialog waits for a second commander
        dialog_with(&c, "I", "火势蔓延至隧道").await?;
        wait_text_ok(&c, "#switch-consequences", "双人规则").await?;
        js(&c, "document.querySelector('#switch-submit').click(); return true;").await?;
        wait_text_ok(&c, "#proposal-banner", "等待另一名指挥长确认").await?;
        let level = js(&c, "return document.querySelector('#cockpit').dataset.level;").await?;
        if level.as_str() != Some("III") {
            return Err(format!("level {level} before the second commander confirmed"));
        }
        let second = client(&hub, "commander2");
        let pending = second.proposals().await.map_err(|e| e.to_string())?;
        let [p] = pending.as_slice() else {
            return Err(format!("expected one proposal, hub has {pending:?}"));
        };
        second
            .confirm_mode(p.proposal_id)
            .await
            .map_err(|e| e.to_string())?;
        wait_js(
            &c,
            "document.querySelector('#cockpit').dataset.level === 'I'",
            "window in level I after confirmation",
            Duration::from_secs(30),
        )
        .await?;
        wait_js(
            &c,
            "document.querySelectorAll('#proposal-banner .proposal-row').length === 0",
            "proposal banner cleared",
            Duration::from_secs(10),
        )
        .await?;
        tokio::time::sleep(Duration::from_millis(800)).await;
        save_screenshot(&c, "e2e-wartime-I.png").await?;
        Ok::<(), String>(())
    }
    .await;
    finish(c, driver, result).await;
}

/// A window on a drill hub carries the EXERCISE watermark from the first snapshot, before any switch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, tauri-driver and WebKitWebDriver: run by `cargo xtask test` under xvfb-run"]
async fn a_window_on_a_drill_hub_shows_the_exercise_watermark() {
    let dir = tempfile::tempdir().unwrap();
    let hub = HubProcess::start_with(&dir.path().join("drill.sqlite"), "127.0.0.1:0", &["--exercise"]);
    let Window { c, _driver: driver } =
        open_window(&hub.url, "leader", "drill-wall", &dir.path().join("desktop")).await;
    let result = async {
        wait_js(
            &c,
            "document.querySelector('#cockpit')?.dataset.connection === 'online'",
            "online",
            Duration::from_secs(60),
        )
        .await?;
        wait_js(
            &c,
            "(() => { const w = document.querySelector('#exercise-watermark'); return w && w.getBoundingClientRect().width > 0 && w.textContent.includes('EXERCISE'); })()",
            "the EXERCISE watermark covers the screen",
            Duration::from_secs(20),
        )
        .await?;
        save_screenshot(&c, "e2e-exercise.png").await?;
        Ok::<(), String>(())
    }
    .await;
    finish(c, driver, result).await;
}

async fn wait_text_ok(c: &fantoccini::Client, css: &str, text: &str) -> Result<(), String> {
    wait_for_text(c, css, text, Duration::from_secs(30)).await
}

/// Never dark, and offline work lands once: a window that synced once reopens with the hub gone and shows the
/// cached incidents under an offline banner; a field worker adds a note there; when the hub is back the note
/// reaches it exactly once and the outbox empties.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, tauri-driver and WebKitWebDriver: run by `cargo xtask test` under xvfb-run"]
async fn offline_window_opens_from_the_cache_and_its_actions_land_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hub.sqlite");
    let mut hub = HubProcess::start(&db);
    let addr = hub.addr();
    let flood = client(&hub, "operator")
        .create_incident(&incident(
            "Kauppatori 积水",
            IncidentClass::NaturalDisaster,
            Grade::III,
        ))
        .await
        .unwrap();
    let desktop = dir.path().join("desktop");
    // 1. online once: the cache fills
    {
        let Window { c, _driver: driver } = open_window(&hub.url, "field", "field-laptop", &desktop).await;
        let r = wait_for_text(&c, "#incident-feed", "Kauppatori 积水", Duration::from_secs(60)).await;
        let _ = c.close().await;
        drop(driver);
        r.unwrap();
    }
    // 2. the hub is gone; the window still opens, from the cache
    hub.kill9();
    let Window { c, _driver: driver } = open_window(&hub.url, "field", "field-laptop", &desktop).await;
    let result = async {
        wait_text_ok(&c, "#incident-feed", "Kauppatori 积水").await?;
        wait_js(
            &c,
            "['offline', 'reconnecting'].includes(document.querySelector('#cockpit').dataset.connection) && document.querySelector('.stale-banner')",
            "offline banner over the cached cockpit",
            Duration::from_secs(30),
        )
        .await?;
        // 3. work offline: open the incident, add a note
        let row = format!(".feed-row[data-incident-id=\"{}\"]", flood.id);
        click_css(&c, &row).await?;
        wait_js(&c, "document.querySelector('#incident-detail')", "detail panel", Duration::from_secs(10)).await?;
        let input = c
            .find(Locator::Css("#note-text"))
            .await
            .map_err(|e| e.to_string())?;
        input.send_keys("沙袋已就位").await.map_err(|e| e.to_string())?;
        js(&c, "document.querySelector('[data-action=\"note\"]').click(); return true;").await?;
        wait_js(
            &c,
            "document.querySelector('#outbox-badge')?.dataset.pending === '1'",
            "one action pending in the outbox",
            Duration::from_secs(10),
        )
        .await?;
        save_screenshot(&c, "e2e-offline.png").await?;
        // 4. the hub is back: the note lands once, the outbox empties
        let hub2 = HubProcess::start_on(&db, &addr);
        wait_js(
            &c,
            "document.querySelector('#outbox-badge')?.dataset.pending === '0'",
            "outbox drained after reconnect",
            Duration::from_secs(60),
        )
        .await?;
        let on_hub = client(&hub2, "leader")
            .incidents(100)
            .await
            .map_err(|e| e.to_string())?;
        let inc = on_hub
            .iter()
            .find(|i| i.id == flood.id)
            .ok_or("incident gone")?;
        let notes: Vec<&str> = inc.notes.iter().map(|n| n.text.as_str()).collect();
        if notes != ["沙袋已就位"] || inc.notes[0].by != "field" {
            return Err(format!("the hub has notes {:?}", inc.notes));
        }
        Ok::<(), String>(())
    }
    .await;
    finish(c, driver, result).await;
}

/// An operator reading down the feed is not pushed off the row they read: incidents reported meanwhile are held
/// behind a pill counting them ("↑ 1 起新事件"), and the pill brings them in and returns to the top.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, tauri-driver and WebKitWebDriver: run by `cargo xtask test` under xvfb-run"]
async fn reading_down_the_feed_holds_new_arrivals_behind_a_pill() {
    let dir = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(&dir.path().join("hub.sqlite"));
    let writer = client(&hub, "operator");
    for k in 0..30 {
        writer
            .create_incident(&incident(
                &format!("积水点 #{k}"),
                IncidentClass::NaturalDisaster,
                Grade::IV,
            ))
            .await
            .unwrap();
    }
    let Window { c, _driver: driver } =
        open_window(&hub.url, "leader", "e2e-reader", &dir.path().join("desktop")).await;
    let result = async {
        wait_js(
            &c,
            "document.querySelectorAll('#incident-feed .feed-row').length === 30",
            "30 feed rows",
            Duration::from_secs(60),
        )
        .await?;
        // The operator scrolls down to read.
        let scrolled = js(
            &c,
            "const f = document.querySelector('#incident-feed'); f.scrollTop = 300; \
             f.dispatchEvent(new Event('scroll')); return f.scrollTop;",
        )
        .await?;
        if scrolled.as_f64().unwrap_or(0.0) < 100.0 {
            return Err(format!("the feed did not scroll (scrollTop {scrolled}): too few rows to read down?"));
        }
        let read = js(
            &c,
            "const f = document.querySelector('#incident-feed'); \
             const r = [...f.querySelectorAll('.feed-row')].find(r => r.offsetTop >= f.scrollTop); \
             return [r.dataset.incidentId, r.offsetTop - f.scrollTop];",
        )
        .await?;
        writer
            .create_incident(&incident("Kamppi 新到事件", IncidentClass::Accident, Grade::II))
            .await
            .map_err(|e| e.to_string())?;
        wait_js(
            &c,
            "document.querySelector('.feed-held')?.dataset.held === '1'",
            "the pill counting the one held arrival",
            Duration::from_secs(30),
        )
        .await?;
        let pill = js(&c, "return document.querySelector('.feed-held').textContent;").await?;
        if !pill.as_str().is_some_and(|t| t.contains("1 起新事件")) {
            return Err(format!("pill says {pill}"));
        }
        // Held: not drawn, and the row being read has not moved.
        let id = read[0].as_str().unwrap_or_default().to_string();
        let now = js(
            &c,
            &format!(
                "const f = document.querySelector('#incident-feed'); \
                 const r = f.querySelector('.feed-row[data-incident-id=\"{id}\"]'); \
                 return [f.textContent.includes('Kamppi 新到事件'), r.offsetTop - f.scrollTop, \
                         f.querySelectorAll('.feed-row').length];"
            ),
        )
        .await?;
        if now[0] != serde_json::json!(false) || now[1] != read[1] || now[2] != serde_json::json!(30) {
            return Err(format!(
                "while reading: [arrival drawn, read row's offset, rows] = {now}, the row was at {}",
                read[1]
            ));
        }
        save_screenshot(&c, "e2e-feed-held.png").await?;
        click_css(&c, ".feed-held").await?;
        wait_for_text(&c, "#incident-feed", "Kamppi 新到事件", Duration::from_secs(10)).await?;
        wait_js(
            &c,
            "!document.querySelector('.feed-held') && document.querySelector('#incident-feed').scrollTop === 0 \
             && document.querySelector('#incident-feed .feed-row .feed-title').textContent === 'Kamppi 新到事件'",
            "the arrival at the top, the pill gone, the feed back at the top",
            Duration::from_secs(10),
        )
        .await?;
        Ok::<(), String>(())
    }
    .await;
    finish(c, driver, result).await;
}
