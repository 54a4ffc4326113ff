//! The desktop sync engine against a real `citydeck-hub` process: pull, live stream, and a `kill -9` of the
//! hub mid-stream with a restart on the same database — nothing lost, nothing duplicated.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use citydeck_protocol::ipc::ConnectionState;
use citydeck_protocol::{fixtures, Grade, NewIncident};
use citydeck_store::Cache;
use citydeck_sync::{Backoff, Credentials, HubClient, SyncEngine};
use citydeck_tests::{eventually, HubProcess, DEMO_PASSWORD};

fn new_incident(i: usize) -> NewIncident {
    NewIncident {
        title: format!("Mannerheimintie 交通事故 #{i}"),
        grade: Grade::IV,
        lon: 24.94,
        ..fixtures::new_incident()
    }
}

fn client(url: &str, user: &str) -> HubClient {
    HubClient::new(
        url,
        Credentials {
            username: user.into(),
            password: DEMO_PASSWORD.into(),
        },
    )
    .unwrap()
}

fn fast() -> Backoff {
    Backoff {
        initial: Duration::from_millis(50),
        max: Duration::from_millis(500),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pulls_backlog_then_follows_live_events() {
    let dir = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(&dir.path().join("hub.sqlite"));
    let writer = client(&hub.url, "operator");
    for i in 0..2500 {
        writer.create_incident(&new_incident(i)).await.unwrap();
    }
    let cache = Arc::new(Mutex::new(Cache::open(&dir.path().join("cache.sqlite")).unwrap()));
    let engine = SyncEngine::spawn(client(&hub.url, "leader"), cache.clone(), fast());
    let seq = || cache.lock().unwrap().last_seq().unwrap();
    assert!(
        eventually(Duration::from_secs(30), || seq() == 2500).await,
        "backlog: at {}",
        seq()
    );
    assert!(
        eventually(Duration::from_secs(10), || engine.status().state
            == ConnectionState::Online)
        .await
    );
    assert_eq!(
        engine.status().hub_head,
        Some(2500),
        "the pull reports the hub's head (the UI's bootstrap progress)"
    );
    for i in 0..50 {
        writer.create_incident(&new_incident(10_000 + i)).await.unwrap();
    }
    assert!(
        eventually(Duration::from_secs(10), || seq() == 2550).await,
        "live: at {}",
        seq()
    );
    assert_eq!(cache.lock().unwrap().incident_count().unwrap(), 2550);
    // The status channel is updated just after the cache commit: it catches up, it never runs ahead.
    assert!(
        eventually(Duration::from_secs(5), || engine.status().last_seq == 2550).await,
        "status says {}",
        engine.status().last_seq
    );
    assert!(engine.status().last_sync_at.is_some());
    engine.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hub_killed_mid_stream_and_restarted_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hub.sqlite");
    let mut hub = HubProcess::start(&db);
    let addr = hub.addr();
    let cache = Arc::new(Mutex::new(Cache::open(&dir.path().join("cache.sqlite")).unwrap()));
    let engine = SyncEngine::spawn(client(&hub.url, "leader"), cache.clone(), fast());
    let mut status = engine.subscribe();

    // Writes acknowledged before the kill must all survive it.
    let writer = client(&hub.url, "operator");
    let mut acked = Vec::new();
    for i in 0..200 {
        acked.push(writer.create_incident(&new_incident(i)).await.unwrap().id);
    }
    hub.kill9();
    // The engine notices and says so.
    let noticed = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            status.changed().await.unwrap();
            if !matches!(
                status.borrow().state,
                ConnectionState::Online | ConnectionState::Connecting
            ) {
                break;
            }
        }
    })
    .await;
    assert!(noticed.is_ok(), "engine did not notice the dead hub");

    // Same database, same port: the engine reconnects by itself.
    let hub2 = HubProcess::start_on(&db, &addr);
    let writer2 = client(&hub2.url, "operator");
    for i in 200..300 {
        acked.push(writer2.create_incident(&new_incident(i)).await.unwrap().id);
    }
    let seq = || cache.lock().unwrap().last_seq().unwrap();
    assert!(
        eventually(Duration::from_secs(30), || seq() == 300).await,
        "after restart: at {}",
        seq()
    );
    {
        let c = cache.lock().unwrap();
        assert_eq!(c.incident_count().unwrap(), 300, "no duplicates, nothing lost");
        for id in &acked {
            assert!(
                c.incident(&id.to_string()).unwrap().is_some(),
                "acked incident {id} missing"
            );
        }
    }
    engine.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cache_opens_and_reports_offline_when_the_hub_is_unreachable() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Arc::new(Mutex::new(Cache::open(&dir.path().join("cache.sqlite")).unwrap()));
    // A port nothing listens on.
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = probe.local_addr().unwrap().port();
    drop(probe);
    let engine = SyncEngine::spawn(
        client(&format!("http://127.0.0.1:{port}"), "leader"),
        cache,
        fast(),
    );
    let offline = eventually(Duration::from_secs(20), || {
        matches!(engine.status().state, ConnectionState::Offline { .. })
    })
    .await;
    assert!(offline, "state: {:?}", engine.status().state);
    engine.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_write_survives_kill_9_right_after_the_response() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hub.sqlite");
    let mut hub = HubProcess::start(&db);
    let writer = client(&hub.url, "operator");
    let inc = writer.create_incident(&new_incident(1)).await.unwrap();
    hub.kill9();
    let hub2 = HubProcess::start(&db);
    let reader = client(&hub2.url, "leader");
    let all = reader.incidents(10).await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].id, inc.id);
    let page = reader.events(0, 10).await.unwrap();
    assert_eq!(page.events.len(), 1);
    assert_eq!(page.head, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_hub_database_at_the_same_address_resets_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let mut hub = HubProcess::start(&dir.path().join("hub-a.sqlite"));
    let addr = hub.addr();
    let writer = client(&hub.url, "operator");
    for i in 0..5 {
        writer.create_incident(&new_incident(i)).await.unwrap();
    }
    let cache = Arc::new(Mutex::new(Cache::open(&dir.path().join("cache.sqlite")).unwrap()));
    let engine = SyncEngine::spawn(client(&hub.url, "leader"), cache.clone(), fast());
    let count = || cache.lock().unwrap().incident_count().unwrap();
    assert!(eventually(Duration::from_secs(20), || count() == 5).await);
    hub.kill9();
    // A different, fresh database behind the same address: its seqs 1..2 are other events.
    let hub2 = HubProcess::start_on(&dir.path().join("hub-b.sqlite"), &addr);
    let writer2 = client(&hub2.url, "operator");
    let a = writer2.create_incident(&new_incident(100)).await.unwrap();
    let b = writer2.create_incident(&new_incident(101)).await.unwrap();
    assert!(
        eventually(Duration::from_secs(30), || count() == 2).await,
        "cache holds {}",
        count()
    );
    {
        let c = cache.lock().unwrap();
        assert!(c.incident(&a.id.to_string()).unwrap().is_some());
        assert!(c.incident(&b.id.to_string()).unwrap().is_some());
        assert_eq!(c.last_seq().unwrap(), 2);
    }
    engine.stop().await;
}

/// The hub binary refuses to serve a real database as a drill (and a drill database as real) with a clear
/// message and a non-zero exit, instead of mixing exercise data into the real log.
#[test]
fn the_hub_binary_never_mixes_drill_and_real_databases() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.sqlite");
    let drill = dir.path().join("drill.sqlite");
    let mut hub = HubProcess::start(&real);
    hub.kill9();
    let mut hub = HubProcess::start_with(&drill, "127.0.0.1:0", &["--exercise"]);
    hub.kill9();
    for (db, flags, found) in [(&real, vec!["--exercise"], "real"), (&drill, vec![], "exercise")] {
        let out = std::process::Command::new(citydeck_tests::binary("citydeck-hub"))
            .args(["--db", db.to_str().unwrap(), "--listen", "127.0.0.1:0"])
            .args(&flags)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{db:?} {flags:?} was served: {err}");
        assert!(
            err.contains(&format!("holds {found} data")),
            "{db:?} {flags:?}: {err}"
        );
    }
}

/// A screen that was offline while the city switched (twice) shows the current epoch after it reconnects, and
/// its acknowledgement reaches the hub.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_screen_offline_during_switches_catches_up_with_the_current_epoch() {
    use citydeck_protocol::ModeKind;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hub.sqlite");
    let mut hub = HubProcess::start_with(&db, "127.0.0.1:0", &["--screen", "wall-9"]);
    let addr = hub.addr();
    let cache = Arc::new(Mutex::new(Cache::open(&dir.path().join("cache.sqlite")).unwrap()));
    let screen = client(&hub.url, "leader");
    let engine = SyncEngine::spawn(screen.clone(), cache.clone(), fast());
    let epoch = || cache.lock().unwrap().mode().unwrap().epoch;
    let online = || matches!(engine.status().state, ConnectionState::Online);
    assert!(eventually(Duration::from_secs(20), online).await, "never online");
    assert_eq!(epoch(), 0);

    // The hub goes away; meanwhile (after it is back, before the screen reconnects) the city switches twice.
    hub.kill9();
    assert!(
        eventually(Duration::from_secs(20), || !online()).await,
        "engine did not notice the dead hub"
    );
    let hub2 = HubProcess::start_on(&db, &addr);
    let commander = client(&hub2.url, "commander");
    commander
        .switch_mode(ModeKind::Wartime, Some(Grade::III), "暴雨", &[])
        .await
        .unwrap();
    commander
        .switch_mode(ModeKind::Wartime, Some(Grade::II), "内涝扩大", &[])
        .await
        .unwrap();
    assert!(
        eventually(Duration::from_secs(30), || epoch() == 2).await,
        "cache at epoch {}",
        epoch()
    );
    let m = cache.lock().unwrap().mode().unwrap();
    assert_eq!((m.mode, m.level), (ModeKind::Wartime, Some(Grade::II)));
    assert_eq!(m.reason, "内涝扩大");
    assert!(m.screens.contains(&"wall-9".to_string()), "{m:?}");
    // the screen acknowledges what it now shows; the hub lists only the never-acked wall-9 as lagging
    screen.ack_screen("leader-desk", 2).await.unwrap();
    let on_hub = commander.mode().await.unwrap();
    assert_eq!(on_hub.lagging_screens(), ["wall-9"]);
    engine.stop().await;
}
