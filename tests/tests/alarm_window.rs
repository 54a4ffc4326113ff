//! The grade-I alarm (issue 24) in two real `citydeck` windows under Xvfb — an operator's and a leader's, two
//! desktop processes each with its own cache and its own tauri-driver session — against one hub process: a
//! grade-I incident reported at the hub puts the banner up and the siren's oscillator running on both; the
//! leader's 静音 silences the leader's screen only (the leader has no 确认: read-only); the operator's 确认 goes
//! through the outbox to the hub, which records the acknowledgement, and both screens stop.
//!
//! Needs a display, `tauri-driver` and `WebKitWebDriver`: `cargo xtask test` runs it under `xvfb-run`.

use std::time::{Duration, Instant};

use citydeck_protocol::{fixtures, Grade, IncidentClass, NewIncident};
use citydeck_tests::window::{finish, js, open_window, wait_js_explained, Window};
use citydeck_tests::HubProcess;
use fantoccini::Locator;

/// What a window shows of the alarm, for the failure message.
const EXPLAIN: &str = "JSON.stringify({connection: document.querySelector('#cockpit')?.dataset.connection, \
    lastSeq: document.querySelector('#cockpit')?.dataset.lastSeq, \
    alarmAudio: document.querySelector('#cockpit')?.dataset.alarmAudio, \
    banner: document.querySelector('#alarm-banner') && Object.assign({}, document.querySelector('#alarm-banner').dataset), \
    note: document.querySelector('#alarm-note')?.textContent, \
    buttons: [...document.querySelectorAll('#alarm-banner button')].map(b => b.id)})";

async fn until(c: &fantoccini::Client, expr: &str, what: &str, secs: u64) -> Result<(), String> {
    wait_js_explained(c, expr, what, Duration::from_secs(secs), EXPLAIN).await
}

fn banner_for(id: &str) -> String {
    format!("document.querySelector('#alarm-banner')?.dataset.incident === '{id}'")
}

const AUDIO_RUNNING: &str = "document.querySelector('#alarm-banner')?.dataset.audio === 'running'";
const NO_BANNER: &str = "document.querySelector('#alarm-banner') === null \
    && document.querySelector('#cockpit')?.dataset.alarmAudio === 'off'";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, tauri-driver and WebKitWebDriver: run by `cargo xtask test` under xvfb-run"]
async fn a_grade_one_alarm_sounds_on_every_screen_until_an_operator_acknowledges_it() {
    let dir = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(&dir.path().join("hub.sqlite"));
    let (op_dir, leader_dir) = (dir.path().join("operator"), dir.path().join("leader"));
    let (op, leader) = tokio::join!(
        open_window(&hub.url, "operator", "alarm-desk", &op_dir),
        open_window(&hub.url, "leader", "alarm-wall", &leader_dir),
    );
    let Window {
        c: op,
        _driver: op_driver,
    } = op;
    let Window {
        c: leader,
        _driver: leader_driver,
    } = leader;
    let result = async {
        for (c, who) in [(&op, "operator"), (&leader, "leader")] {
            until(
                c,
                "document.querySelector('#cockpit')?.dataset.connection === 'online'",
                &format!("the {who}'s window online"),
                60,
            )
            .await?;
            until(
                c,
                "document.querySelector('#alarm-banner') === null",
                "no alarm yet",
                5,
            )
            .await?;
        }

        // A grade-I incident reaches the hub (and a grade-II one, which does not alarm).
        let client = citydeck_tests::demo_client(&hub.url, "commander");
        let new = |title: &str, grade| NewIncident {
            title: title.into(),
            class: IncidentClass::Accident,
            grade,
            lon: 24.9414,
            lat: 60.1717,
            ..fixtures::new_incident()
        };
        client
            .create_incident(&new("Kamppi 燃气管道破裂", Grade::II))
            .await
            .map_err(|e| e.to_string())?;
        let created = Instant::now();
        let one = client
            .create_incident(&new("Hakaniemi 化工仓库爆炸", Grade::I))
            .await
            .map_err(|e| e.to_string())?;
        let id = one.id.to_string();

        // Both screens put the banner up (the hub → cache → screen path: a few seconds at most), its title on.
        for (c, who) in [(&op, "operator"), (&leader, "leader")] {
            until(c, &banner_for(&id), &format!("the {who}'s banner"), 10).await?;
            eprintln!(
                "{who}: banner up {:?} after the hub accepted the incident",
                created.elapsed()
            );
            let title = js(c, "return document.querySelector('#alarm-title')?.textContent").await?;
            if title.as_str() != Some("Hakaniemi 化工仓库爆炸") {
                return Err(format!("the {who}'s banner names {title}"));
            }
        }
        // The siren: the webview may hold the audio context until a user gesture (the banner says so); a real
        // click on the page (WebDriver's, trusted) lets it run.
        for (c, who) in [(&op, "operator"), (&leader, "leader")] {
            if until(c, AUDIO_RUNNING, "the siren running without a gesture", 3)
                .await
                .is_err()
            {
                eprintln!("{who}: the siren waits for a gesture; clicking the status bar");
                c.find(Locator::Css(".statusbar"))
                    .await
                    .map_err(|e| e.to_string())?
                    .click()
                    .await
                    .map_err(|e| e.to_string())?;
            }
            until(c, AUDIO_RUNNING, &format!("the {who}'s siren running"), 10).await?;
        }
        // Who may do what: the operator acknowledges, the read-only leader only mutes.
        until(
            &op,
            "!!document.querySelector('#alarm-ack') && !document.querySelector('#alarm-mute')",
            "the operator's 确认 (and no mute)",
            5,
        )
        .await?;
        until(
            &leader,
            "!!document.querySelector('#alarm-mute') && !document.querySelector('#alarm-ack')",
            "the leader's 静音 (and no acknowledge)",
            5,
        )
        .await?;

        // The leader mutes: the leader's screen is silent (the banner stays, calm), the operator's still sounds.
        leader
            .find(Locator::Css("#alarm-mute"))
            .await
            .map_err(|e| e.to_string())?
            .click()
            .await
            .map_err(|e| e.to_string())?;
        until(
            &leader,
            "document.querySelector('#alarm-banner')?.dataset.audio === 'muted' \
             && document.querySelector('#cockpit')?.dataset.alarmAudio === 'muted'",
            "the leader's screen muted",
            5,
        )
        .await?;
        until(&op, AUDIO_RUNNING, "the operator's siren still running", 2).await?;

        // The operator acknowledges: through the outbox to the hub, and back to both caches.
        op.find(Locator::Css("#alarm-ack"))
            .await
            .map_err(|e| e.to_string())?
            .click()
            .await
            .map_err(|e| e.to_string())?;
        until(&op, NO_BANNER, "the operator's alarm over", 15).await?;
        until(&leader, NO_BANNER, "the leader's alarm over", 15).await?;
        let at_hub = client.incidents(100).await.map_err(|e| e.to_string())?;
        let acked = at_hub
            .iter()
            .find(|i| i.id == one.id)
            .and_then(|i| i.alarm_acknowledged.clone())
            .ok_or("the hub has no acknowledgement of the alarm")?;
        if acked.by != "operator" {
            return Err(format!("acknowledged by {}", acked.by));
        }
        Ok(())
    }
    .await;
    let _ = leader.close().await;
    drop(leader_driver);
    finish(op, op_driver, result).await;
    drop(hub);
}
