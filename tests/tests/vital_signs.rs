//! The vital signs (城市运行数字体征, issue 21) end to end: the simulator replays the real series of the demo city's
//! scenario packs (`data/cache/series`, `cargo xtask data`) into a real hub process as the demo account `feed`;
//! every replayed indicator then has its latest reading and level in `GET /api/v1/indicators` and its series, and a second
//! start of the replay posts only duplicates for the day already sent.

use std::time::Duration;

use citydeck_tests::{demo_client, repo_root, HubProcess};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_replays_the_real_series_into_the_hub_as_the_feed_account() {
    let dir = tempfile::tempdir().unwrap();
    let scenarios = repo_root().join("data/scenarios");
    let hub = HubProcess::start_with(
        &dir.path().join("hub.sqlite"),
        "127.0.0.1:0",
        &["--scenarios", scenarios.to_str().unwrap()],
    );
    let city = citydeck_sim::CityConfig::load(repo_root().join("data/city/liechtenstein.toml")).unwrap();
    let feed = demo_client(&hub.url, "feed");
    let stats = citydeck_sim::feed::run_vital_signs(&city, &feed, Duration::from_millis(1), Some(1))
        .await
        .expect("the series are in data/cache/series (`cargo xtask data`)");
    assert_eq!(stats.failed_batches, 0, "{stats:?}");
    // a day of half-hourly power load alone is 48 readings
    assert!(stats.sent >= 48, "{stats:?}");

    let list = demo_client(&hub.url, "leader").indicators().await.unwrap();
    let packs = citydeck_sim::scenarios::load_scenarios(&scenarios).unwrap();
    let replayed: Vec<&str> = packs
        .iter()
        .flat_map(|p| &p.indicators)
        .filter(|i| i.replay.is_some())
        .map(|i| i.id.as_str())
        .collect();
    assert!(replayed.len() >= 5, "{replayed:?}");
    for id in &replayed {
        let v = list.indicators.iter().find(|i| i.id == *id).unwrap();
        let latest = v
            .latest
            .as_ref()
            .unwrap_or_else(|| panic!("{id}: no latest reading"));
        assert!(latest.value.is_finite(), "{id}: {latest:?}");
        assert!(
            latest.at <= chrono::Utc::now() && latest.at > chrono::Utc::now() - chrono::Duration::days(40),
            "{id}: the replay is shifted to now: {latest:?}"
        );
    }

    // the day sent is a series: hourly points whose extremes are the replayed readings' (the panels' sparkline)
    let leader = demo_client(&hub.url, "leader");
    let now = chrono::Utc::now();
    for id in &replayed {
        let latest = list
            .indicators
            .iter()
            .find(|i| i.id == *id)
            .and_then(|i| i.latest)
            .unwrap();
        let s = leader
            .series(
                id,
                now - chrono::Duration::days(40),
                now + chrono::Duration::minutes(1),
                3600,
            )
            .await
            .unwrap();
        assert_eq!((s.indicator.as_str(), s.step), (*id, 3600));
        let last = s.points.last().unwrap_or_else(|| panic!("{id}: an empty series"));
        assert!(
            last.min <= latest.value && latest.value <= last.max,
            "{id}: {last:?} vs {latest:?}"
        );
        assert!(
            s.points.windows(2).all(|w| w[0].at < w[1].at),
            "{id}: in time order"
        );
    }

    // the replay started again (a restarted simulator): the day it sends again is all duplicates
    let result = feed
        .post_readings(&[citydeck_protocol::indicators::Reading {
            indicator: "power_load".into(),
            at: list
                .indicators
                .iter()
                .find(|i| i.id == "power_load")
                .and_then(|i| i.latest.map(|l| l.at))
                .unwrap(),
            value: 1.0,
        }])
        .await
        .unwrap();
    assert_eq!((result.accepted, result.duplicates), (0, 1));
}
