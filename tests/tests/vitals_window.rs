//! Issue 21 in the real window: a wall showing the lifeline scenario (`CITYDECK_SCENARIO=lifeline`) against a real
//! hub process with the shipped scenario packs. A power-load reading in the normal band shows as a normal tile;
//! a reading past red turns the tile red and the incident the hub raised for that episode appears in the feed.

use std::time::Duration;

use citydeck_protocol::indicators::Reading;
use citydeck_tests::window::{finish, open_app_env, wait_for_text, wait_js, Window};
use citydeck_tests::{binary, demo_client, helsinki_city, repo_root, HubProcess, DEMO_PASSWORD};

fn tile(id: &str) -> String {
    format!("document.querySelector('#vitals .vital[data-indicator=\"{id}\"]')")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, tauri-driver and WebKitWebDriver: run by `cargo xtask test` under xvfb-run"]
async fn a_reading_past_red_turns_its_panel_red_and_raises_an_incident() {
    let dir = tempfile::tempdir().unwrap();
    let scenarios = repo_root().join("data/scenarios");
    let hub = HubProcess::start_with(
        &dir.path().join("hub.sqlite"),
        "127.0.0.1:0",
        &["--scenarios", scenarios.to_str().unwrap()],
    );
    let feed = demo_client(&hub.url, "feed");
    let now = chrono::Utc::now();
    let post = |at: chrono::DateTime<chrono::Utc>, value: f64| {
        let feed = &feed;
        async move {
            feed.post_readings(&[Reading {
                indicator: "power_load".into(),
                at,
                value,
            }])
            .await
            .map_err(|e| e.to_string())
        }
    };
    post(now - chrono::Duration::minutes(30), 30_000.0).await.unwrap();

    let city = helsinki_city();
    let data = dir.path().join("desktop");
    let env: [(&str, &std::ffi::OsStr); 7] = [
        ("CITYDECK_CITY", city.as_os_str()),
        ("CITYDECK_HUB_URL", hub.url.as_ref()),
        ("CITYDECK_USER", "leader".as_ref()),
        ("CITYDECK_PASSWORD", DEMO_PASSWORD.as_ref()),
        ("CITYDECK_DATA_DIR", data.as_os_str()),
        ("CITYDECK_SCREEN", "e2e-vitals".as_ref()),
        ("CITYDECK_SCENARIO", "lifeline".as_ref()),
    ];
    let Window { c, _driver } = open_app_env(&binary("citydeck"), &env, None).await;
    let result = async {
        wait_js(
            &c,
            &format!(
                "document.querySelector('#vitals')?.dataset.scenario === 'lifeline' && {}?.dataset.level === 'normal'",
                tile("power_load")
            ),
            "the lifeline scenario with power load in the normal band",
            Duration::from_secs(60),
        )
        .await?;
        // past red (37,700 MW): the panel turns red, the hub raises one grade-I incident
        post(chrono::Utc::now(), 38_100.0).await?;
        wait_js(
            &c,
            &format!("{}?.dataset.level === 'red'", tile("power_load")),
            "the power-load panel turned red",
            Duration::from_secs(30),
        )
        .await?;
        wait_for_text(&c, "#incident-feed", "电力负荷红色预警", Duration::from_secs(30)).await?;
        let incidents = demo_client(&hub.url, "leader")
            .incidents(100)
            .await
            .map_err(|e| e.to_string())?;
        let raised: Vec<_> = incidents.iter().filter(|i| i.source == "indicator").collect();
        if raised.len() != 1 || raised[0].grade != citydeck_protocol::Grade::I {
            return Err(format!("expected one grade-I incident from the indicator: {raised:?}"));
        }
        Ok(())
    }
    .await;
    finish(c, _driver, result).await;
}
