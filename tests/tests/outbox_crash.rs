//! Offline actions and crashes: 10,000 actions queued offline on a desktop are drained to a real hub by a real
//! sync process (`citydeck-sync-agent`) that is `kill -9`ed at 200 seeded random points on the way — and the
//! hub ends with every action applied exactly once. Also: the hub killed in the middle of pushes loses no acked
//! action. `CITYDECK_LONG_CRASH=1` runs 1,000 kill points.

use std::process::{Command, Stdio};
use std::time::Duration;

use citydeck_protocol::{fixtures, Grade, IncidentClass, NewIncident, Op, Stage};
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
        ops.push(fixtures::create(
            *id,
            NewIncident {
                title: format!("{tag} 巡查发现积水点 #{i}"),
                class: IncidentClass::NaturalDisaster,
                grade: Grade::IV,
                lon: 24.94 + (i % 100) as f64 * 0.0001,
                source: tag.into(),
                ..fixtures::new_incident()
            },
        ));
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

/// Ten desktops on a real hub, each cut off and reconnected at seeded random times while its staff keep
/// working on twenty shared incidents (notes, acknowledgements, stage changes that may conflict), plus one
/// `kill -9` of the hub for everybody: in the end every outbox is empty (nothing stuck; conflicts rejected
/// with a reason, not retried forever) and every cache equals the hub's state.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_desktops_with_partitions_converge_to_the_hub() {
    use std::sync::{Arc, Mutex};

    use citydeck_sync::{Backoff, SyncEngine, SyncHandle};

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hub.sqlite");
    let mut hub = HubProcess::start(&db);
    let addr = hub.addr();
    let url = hub.url.clone();
    let backoff = Backoff {
        initial: Duration::from_millis(20),
        max: Duration::from_millis(300),
    };
    let client = |user: &str| {
        HubClient::new(
            &url,
            Credentials {
                username: user.into(),
                password: DEMO_PASSWORD.into(),
            },
        )
        .unwrap()
    };
    // twenty shared incidents, reported by the operator
    let ops = shift(20, "shared");
    let seed_cache = Arc::new(Mutex::new(Cache::open(&dir.path().join("seed.sqlite")).unwrap()));
    seed_cache
        .lock()
        .unwrap()
        .enqueue_batch(&ops[..20], chrono::Utc::now())
        .unwrap();
    let seeder = SyncEngine::spawn(client("operator"), seed_cache.clone(), backoff);
    assert!(
        citydeck_tests::eventually(Duration::from_secs(30), || seed_cache
            .lock()
            .unwrap()
            .outbox_counts()
            .unwrap()
            .pending
            == 0)
        .await
    );
    seeder.stop().await;
    let ids: Vec<uuid::Uuid> = ops[..20]
        .iter()
        .map(|o| match o {
            Op::CreateIncident { incident_id, .. } => incident_id.unwrap(),
            _ => unreachable!(),
        })
        .collect();

    let users = ["field", "operator", "commander"];
    let caches: Vec<Arc<Mutex<Cache>>> = (0..10)
        .map(|i| {
            Arc::new(Mutex::new(
                Cache::open(&dir.path().join(format!("desk-{i}.sqlite"))).unwrap(),
            ))
        })
        .collect();
    let mut engines: Vec<Option<SyncHandle>> = (0..10)
        .map(|i| {
            Some(SyncEngine::spawn(
                client(users[i % 3]),
                caches[i].clone(),
                backoff,
            ))
        })
        .collect();
    let mut seed = 0x5EED_0010;
    for round in 0..6 {
        for (i, engine) in engines.iter_mut().enumerate() {
            // partition or heal this desktop
            let cut = rand(&mut seed).is_multiple_of(3);
            match (cut, engine.is_some()) {
                (true, true) => engine.take().unwrap().stop().await,
                (false, false) => {
                    *engine = Some(SyncEngine::spawn(
                        client(users[i % 3]),
                        caches[i].clone(),
                        backoff,
                    ))
                }
                _ => {}
            }
            // staff keep working, online or not
            let mut c = caches[i].lock().unwrap();
            for _ in 0..8 {
                let id = ids[(rand(&mut seed) % 20) as usize];
                let op = match rand(&mut seed) % 4 {
                    0 => Op::AddNote {
                        incident_id: id,
                        text: format!("desk {i} round {round}"),
                        photo_ref: None,
                    },
                    1 => Op::Acknowledge { incident_id: id },
                    _ => {
                        // move it on from the stage this desktop sees (stale views make conflicts)
                        let seen = c
                            .incident(&id.to_string())
                            .unwrap()
                            .map(|x| x.status)
                            .unwrap_or(Stage::Collected);
                        let next = citydeck_domain_next(seen);
                        Op::ChangeStage {
                            incident_id: id,
                            from: Some(seen),
                            to: next,
                        }
                    }
                };
                c.enqueue(&op, chrono::Utc::now()).unwrap();
            }
            drop(c);
            if let Some(e) = engine {
                e.outbox_changed();
            }
        }
        if round == 2 {
            hub.kill9();
            tokio::time::sleep(Duration::from_millis(300)).await;
            hub = HubProcess::start_on(&db, &addr);
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    // everybody back online
    for (i, engine) in engines.iter_mut().enumerate() {
        if engine.is_none() {
            *engine = Some(SyncEngine::spawn(
                client(users[i % 3]),
                caches[i].clone(),
                backoff,
            ));
        }
    }
    let leader = client("leader");
    let settled = citydeck_tests::eventually(Duration::from_secs(60), || {
        caches
            .iter()
            .all(|c| c.lock().unwrap().outbox_counts().unwrap().pending == 0)
    })
    .await;
    assert!(settled, "stuck outboxes");
    let head = leader.events(0, 1).await.unwrap().head;
    let caught_up = citydeck_tests::eventually(Duration::from_secs(30), || {
        caches
            .iter()
            .all(|c| c.lock().unwrap().last_seq().unwrap() == head)
    })
    .await;
    assert!(caught_up, "caches behind the hub head {head}");
    let mut on_hub = leader.incidents(5000).await.unwrap();
    on_hub.sort_by_key(|i| i.id);
    let mut rejected = 0;
    for (i, c) in caches.iter().enumerate() {
        let c = c.lock().unwrap();
        let mut mine: Vec<_> = ids
            .iter()
            .map(|id| c.incident(&id.to_string()).unwrap().expect("cached"))
            .collect();
        mine.sort_by_key(|x| x.id);
        assert_eq!(mine, on_hub, "desk {i} differs from the hub");
        rejected += c.outbox_counts().unwrap().rejected;
    }
    eprintln!("converged at head {head}; {rejected} actions rejected (conflicts) across 10 desktops");
    for e in engines.into_iter().flatten() {
        e.stop().await;
    }
}

fn citydeck_domain_next(s: Stage) -> Stage {
    match s {
        Stage::Collected => Stage::Identified,
        Stage::Identified => Stage::Assigned,
        Stage::Assigned => Stage::Handling,
        Stage::Handling => Stage::Feedback,
        Stage::Feedback => Stage::Closed,
        Stage::Supervised => Stage::Handling,
        Stage::Closed => Stage::Closed,
    }
}
