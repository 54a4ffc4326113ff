//! The real `citydeck` window (Tauri + WebKitGTK) under Xvfb, driven through tauri-driver / WebKitWebDriver:
//! it syncs from a real hub process, the cockpit shows the incidents live, and it follows a mode switch and
//! acknowledges the new epoch to the hub.
//!
//! Needs a display, `tauri-driver` and `WebKitWebDriver`: `cargo xtask test` runs it under `xvfb-run` after
//! building the desktop binary with the UI inside. A screenshot is kept in `artifacts/`.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use citydeck_protocol::{Grade, IncidentClass, ModeKind, NewIncident};
use citydeck_sync::{Credentials, HubClient, ModeSwitch};
use citydeck_tests::{binary, repo_root, HubProcess, DEMO_PASSWORD};
use fantoccini::{ClientBuilder, Locator};

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        // SIGTERM, not SIGKILL: after SIGKILL WebKitWebDriver keeps the pipes open and the run hangs (BUILD.md).
        unsafe {
            libc::kill(self.0.id() as libc::pid_t, libc::SIGTERM);
        }
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn incident(title: &str, class: IncidentClass, grade: Grade) -> NewIncident {
    NewIncident {
        title: title.into(),
        class,
        grade,
        lon: 24.9445,
        lat: 60.1710,
        source: "operator".into(),
        description: None,
        address: Some("Rautatientori".into()),
        external_id: None,
        occurred_at: None,
    }
}

async fn wait_for_text(
    c: &fantoccini::Client,
    css: &str,
    text: &str,
    timeout: Duration,
) -> Result<(), String> {
    let start = std::time::Instant::now();
    let mut last = String::new();
    while start.elapsed() < timeout {
        // textContent, not the WebDriver "visible text": a long title is ellipsized on screen but is there.
        let script = "const e = document.querySelector(arguments[0]); return e ? e.textContent : '';";
        if let Ok(v) = c.execute(script, vec![serde_json::json!(css)]).await {
            last = v.as_str().unwrap_or_default().to_string();
            if last.contains(text) {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Err(format!(
        "{text:?} did not appear in {css} within {timeout:?}; it showed: {last:.400}"
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, tauri-driver and WebKitWebDriver: run by `cargo xtask test` under xvfb-run"]
async fn cockpit_window_shows_live_incidents_from_the_hub() {
    let dir = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(&dir.path().join("hub.sqlite"));
    let writer = HubClient::new(
        &hub.url,
        Credentials {
            username: "operator".into(),
            password: DEMO_PASSWORD.into(),
        },
    )
    .unwrap();
    writer
        .create_incident(&incident(
            "Rautatientori 人群聚集",
            IncidentClass::SocialSecurity,
            Grade::II,
        ))
        .await
        .unwrap();

    let port = free_port();
    let native_port = free_port();
    let app = binary("citydeck");
    let driver = Driver(
        Command::new("tauri-driver")
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env("CITYDECK_HUB_URL", &hub.url)
            .env("CITYDECK_USER", "leader")
            .env("CITYDECK_PASSWORD", DEMO_PASSWORD)
            .env("CITYDECK_DATA_DIR", dir.path().join("desktop"))
            .env("CITYDECK_SCREEN", "e2e-wall")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tauri-driver not found: `cargo xtask setup` installs it"),
    );
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), "wry".into());
    caps.insert("tauri:options".into(), serde_json::json!({ "application": app }));
    let mut client = None;
    for _ in 0..100 {
        match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    let c = client.expect("could not open a WebDriver session on the citydeck window");

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
        let commander = HubClient::new(
            &hub.url,
            Credentials {
                username: "commander".into(),
                password: DEMO_PASSWORD.into(),
            },
        )
        .map_err(|e| e.to_string())?;
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
        tokio::time::sleep(Duration::from_millis(800)).await;
        let png = c.screenshot().await.map_err(|e| e.to_string())?;
        let out = repo_root().join("artifacts");
        std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
        std::fs::write(out.join("e2e-cockpit.png"), png).map_err(|e| e.to_string())?;
        Ok::<(), String>(())
    }
    .await;
    let _ = c.close().await;
    drop(driver);
    if let Err(e) = result {
        panic!("{e}");
    }
}
