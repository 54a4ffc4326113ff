//! Offline actions and crashes: 10,000 actions queued offline on a desktop are drained to a real hub by a real
//! sync process (`citydeck-sync-agent`) that is `kill -9`ed at 200 seeded random points on the way — and the
//! hub ends with every action applied exactly once. Also: the hub killed in the middle of pushes loses no acked
//! action. `CITYDECK_LONG_CRASH=1` runs 1,000 kill points.

use std::process::{Command, Stdio};
use std::time::Duration;

use citydeck_protocol::{Grade, IncidentClass, NewIncident, Op, Stage};
use citydeck_store::Cache;
use citydeck_sync::{Credentials, HubClient};
use citydeck_tests::{HubProcess, DEMO_PASSWORD};

const AGENT: &str = env!("CARGO_BIN_EXE_citydeck-sync-agent");

/// splitmix64: a seeded, dependency-free random sequence.
fn rand(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A field team's offline shift: per incident, create it (client-chosen id), note, acknowledge, identify.
fn shift(incidents: usize, tag: &str) -> Vec<Op> {
    let ids: Vec<uuid::Uuid> = (0..incidents).map(|_| uuid::Uuid::now_v7()).collect();
    let mut ops = Vec::with_capacity(incidents * 4);
    for (i, id) in ids.iter().enumerate() {
        ops.push(Op::CreateIncident {
            incident_id: Some(*id),
            incident: NewIncident {
                title: format!("{tag} 巡查发现积水点 #{i}"),
                class: IncidentClass::NaturalDisaster,
                grade: Grade::IV,
                lon: 24.94 + (i % 100) as f64 * 0.0001,
                lat: 60.17,
                source: tag.into(),
                description: None,
                address: None,
                external_id: None,
                occurred_at: None,
            },
        });
    }
    for id in &ids {
        ops.push(Op::AddNote {
            incident_id: *id,
            text: "已设置警示".into(),
            photo_ref: None,
        });
        ops.push(Op::Acknowledge { incident_id: *id });
        ops.push(Op::ChangeStage {
            incident_id: *id,
            from: Some(Stage::Collected),
            to: Stage::Identified,
        });
    }
    ops
}

fn spawn_agent(hub: &str, cache: &std::path::Path, batch: u32) -> std::process::Child {
    Command::new(AGENT)
        .args([hub, cache.to_str().unwrap(), "field", &batch.to_string()])
        .env("RUST_LOG", "off")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn citydeck-sync-agent")
}

fn kill9(child: &mut std::process::Child) {
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGKILL);
    }
    let _ = child.wait();
}

/// Runs the agent to the end and returns its `drained …` line.
fn drain(hub: &str, cache: &std::path::Path) -> String {
    let out = spawn_agent(hub, cache, 500).wait_with_output().unwrap();
    assert!(out.status.success(), "agent failed");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Every incident of `tag` on the hub, checked: exactly `n`, each identified, one note, one acknowledgement.
async fn check_hub(hub: &str, tag: &str, n: usize, events_expected: u64) {
    let leader = HubClient::new(
        hub,
        Credentials {
            username: "leader".into(),
            password: DEMO_PASSWORD.into(),
        },
    )
    .unwrap();
    let head = leader.events(0, 1).await.unwrap().head;
    assert_eq!(head, events_expected, "one event per action, none twice");
    let all = leader.incidents(5000).await.unwrap();
    let mine: Vec<_> = all.iter().filter(|i| i.source == tag).collect();
    assert_eq!(mine.len(), n, "0 lost, 0 duplicated");
    for i in mine {
        assert_eq!(i.status, Stage::Identified, "{}", i.title);
        assert_eq!(i.notes.len(), 1, "{}: {:?}", i.title, i.notes);
        assert_eq!(i.acknowledged_by, ["field"], "{}", i.title);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_the_sync_process_at_200_points_while_draining_10000_actions() {
    let kills: u64 = if std::env::var_os("CITYDECK_LONG_CRASH").is_some() {
        1000
    } else {
        200
    };
    let dir = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(&dir.path().join("hub.sqlite"));
    let cache_path = dir.path().join("desktop-cache.sqlite");
    let ops = shift(2500, "field-shift");
    assert_eq!(ops.len(), 10_000);
    Cache::open(&cache_path)
        .unwrap()
        .enqueue_batch(&ops, chrono::Utc::now())
        .unwrap();

    // Small pushes so the 200 kills land all along the drain (before login, mid-push, between pushes).
    let mut seed = 0x00C1_7D3C;
    let mut killed_mid_drain = 0;
    for _ in 0..kills {
        let mut agent = spawn_agent(&hub.url, &cache_path, 10);
        let wait = Duration::from_millis(10 + rand(&mut seed) % 80);
        std::thread::sleep(wait);
        if agent.try_wait().unwrap().is_some() {
            break; // drained before this kill point
        }
        kill9(&mut agent);
        killed_mid_drain += 1;
    }
    let left = Cache::open(&cache_path).unwrap().outbox_counts().unwrap().pending;
    eprintln!("{killed_mid_drain} kill -9 during the drain; {left} actions still pending after them");
    assert!(
        killed_mid_drain >= 100,
        "only {killed_mid_drain} kills landed during the drain"
    );
    let line = drain(&hub.url, &cache_path);
    assert_eq!(line, "drained 10000 0", "every action applied, none rejected");
    check_hub(&hub.url, "field-shift", 2500, 10_000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hub_killed_mid_push_loses_no_acknowledged_action() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hub.sqlite");
    let mut hub = HubProcess::start(&db);
    let addr = hub.addr();
    let cache_path = dir.path().join("desktop-cache.sqlite");
    let ops = shift(500, "hub-crash");
    Cache::open(&cache_path)
        .unwrap()
        .enqueue_batch(&ops, chrono::Utc::now())
        .unwrap();
    let mut agent = spawn_agent(&hub.url, &cache_path, 20);
    std::thread::sleep(Duration::from_millis(400));
    hub.kill9();
    let applied_before = Cache::open(&cache_path).unwrap().outbox_applied_count().unwrap();
    let hub = HubProcess::start_on(&db, &addr);
    // the same agent reconnects by itself and finishes
    let out = tokio::task::spawn_blocking(move || {
        let status = agent.wait().unwrap();
        let mut s = String::new();
        std::io::Read::read_to_string(agent.stdout.as_mut().unwrap(), &mut s).unwrap();
        (status, s)
    });
    let (status, line) = tokio::time::timeout(Duration::from_secs(120), out)
        .await
        .expect("agent did not finish after the hub came back")
        .unwrap();
    assert!(status.success());
    assert_eq!(
        line.trim(),
        "drained 2000 0",
        "acked before the kill: {applied_before}"
    );
    check_hub(&hub.url, "hub-crash", 500, 2000).await;
}
