//! Issue 20 (三级贯通) end to end: a desktop signed in as a street-scoped account syncs from a real
//! `citydeck-hub --areas` process while incidents are reported inside its street and elsewhere in the city. Its
//! feed skips the other seqs; the cache takes those gaps (no `Gap` error, no restart loop), ends holding exactly
//! the street's incidents — from the initial pull and from the live stream —, follows the mode and reaches the
//! hub's head. A desktop of an unscoped account on the same hub still gets everything.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use citydeck_protocol::ipc::ConnectionState;
use citydeck_protocol::{fixtures, Grade, ModeKind, NewIncident, PushOp, ServerSeq};
use citydeck_store::Cache;
use citydeck_sync::{Backoff, HubClient, SyncEngine, SyncHandle};
use citydeck_tests::{demo_client, eventually, repo_root, HubProcess};
use uuid::Uuid;

/// The demo account `street` is scoped to Schellenberg (osm-r38), in Wahlkreis Unterland.
const SCHELLENBERG: &str = "osm-r38";
/// Points (lon, lat) from the hub's area tests, on the same areas file.
const IN_SCHELLENBERG: (f64, f64) = (9.558105, 47.238371);
/// In Unterland, outside Schellenberg.
const IN_GAMPRIN: (f64, f64) = (9.505425, 47.21256);
const IN_VADUZ: (f64, f64) = (9.520246, 47.142759);

fn fast() -> Backoff {
    Backoff {
        initial: Duration::from_millis(50),
        max: Duration::from_millis(500),
    }
}

fn at(i: usize, (lon, lat): (f64, f64)) -> NewIncident {
    NewIncident {
        title: format!("报警 #{i}"),
        grade: Grade::IV,
        lon,
        lat,
        ..fixtures::new_incident()
    }
}

/// Where the `i`th incident is reported: three in five inside Schellenberg, the others in Gamprin or Vaduz.
fn place(i: usize) -> (bool, (f64, f64)) {
    match i % 5 {
        0..=2 => (true, IN_SCHELLENBERG),
        3 => (false, IN_GAMPRIN),
        _ => (false, IN_VADUZ),
    }
}

/// Reports incidents `range` as the unscoped operator, up to 1,000 a push; returns the ids inside Schellenberg
/// and outside it.
async fn report(writer: &HubClient, range: std::ops::Range<usize>) -> (Vec<Uuid>, Vec<Uuid>) {
    let client_id = Uuid::now_v7();
    let (mut inside, mut outside) = (Vec::new(), Vec::new());
    let all: Vec<usize> = range.collect();
    for chunk in all.chunks(1000) {
        let ops: Vec<PushOp> = chunk
            .iter()
            .map(|&i| {
                let (is_in, p) = place(i);
                let id = Uuid::now_v7();
                if is_in {
                    inside.push(id);
                } else {
                    outside.push(id);
                }
                PushOp {
                    op_id: Uuid::now_v7(),
                    client_seq: i as u64,
                    op: fixtures::create(id, at(i, p)),
                }
            })
            .collect();
        let answer = writer.push(client_id, &ops).await.unwrap();
        assert!(
            answer
                .results
                .iter()
                .all(|r| r.status == citydeck_protocol::PushStatus::Applied),
            "{:?}",
            answer
                .results
                .iter()
                .find(|r| r.status != citydeck_protocol::PushStatus::Applied)
        );
    }
    (inside, outside)
}

async fn head(writer: &HubClient) -> ServerSeq {
    writer.events(0, 1).await.unwrap().head
}

/// Every connection state the engine reports after its first `Online`, as text: a refused page or batch would
/// show as `Reconnecting`.
fn watch_states(engine: &SyncHandle) -> Arc<Mutex<Vec<String>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut rx = engine.subscribe();
    let out = seen.clone();
    tokio::spawn(async move {
        let mut online = false;
        while rx.changed().await.is_ok() {
            let s = rx.borrow().state.clone();
            online |= s == ConnectionState::Online;
            if online && s != ConnectionState::Online {
                out.lock().unwrap().push(format!("{s:?}"));
            }
        }
    });
    seen
}

fn ids_in(cache: &Mutex<Cache>, ids: &[Uuid]) -> usize {
    let c = cache.lock().unwrap();
    ids.iter()
        .filter(|id| c.incident(&id.to_string()).unwrap().is_some())
        .count()
}

fn areas_file() -> String {
    repo_root()
        .join("crates/hub/tests/data/liechtenstein-areas.geojson")
        .to_str()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_street_desktop_keeps_exactly_its_street_from_the_pull_and_the_stream() {
    let dir = tempfile::tempdir().unwrap();
    let hub = HubProcess::start_with(
        &dir.path().join("hub.sqlite"),
        "127.0.0.1:0",
        &["--areas", &areas_file()],
    );
    street_and_city_desktops(&hub, dir.path()).await;
}

/// The same on a hub on PostgreSQL (its scoped reads are the other backend's SQL).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_street_desktop_of_a_hub_on_postgres_keeps_exactly_its_street() {
    let dir = tempfile::tempdir().unwrap();
    let url = citydeck_hub::test_support::new_database();
    let hub = HubProcess::start_postgres_with(&url, "127.0.0.1:0", &["--areas", &areas_file()]);
    street_and_city_desktops(&hub, dir.path()).await;
}

async fn street_and_city_desktops(hub: &HubProcess, dir: &std::path::Path) {
    let writer = demo_client(&hub.url, "operator");
    let commander = demo_client(&hub.url, "commander");

    // The backlog: 2,100 incidents in Schellenberg (more than one page of the scoped feed) among 3,500, and a
    // switch to wartime in the middle.
    let (mut inside, mut outside) = report(&writer, 0..2000).await;
    commander
        .switch_mode(ModeKind::Wartime, Some(Grade::III), "暴雨", &[])
        .await
        .unwrap();
    let (i2, o2) = report(&writer, 2000..3500).await;
    inside.extend(i2);
    outside.extend(o2);
    assert_eq!((inside.len(), outside.len()), (2100, 1400));
    let backlog_head = head(&writer).await;
    assert_eq!(backlog_head, 3501);

    let street_cache = Arc::new(Mutex::new(Cache::open(&dir.join("street.sqlite")).unwrap()));
    let city_cache = Arc::new(Mutex::new(Cache::open(&dir.join("city.sqlite")).unwrap()));
    let street = SyncEngine::spawn(demo_client(&hub.url, "street"), street_cache.clone(), fast());
    let city = SyncEngine::spawn(demo_client(&hub.url, "leader"), city_cache.clone(), fast());
    let street_states = watch_states(&street);
    let seq = |c: &Arc<Mutex<Cache>>| c.lock().unwrap().last_seq().unwrap();
    let count = |c: &Arc<Mutex<Cache>>| c.lock().unwrap().incident_count().unwrap() as usize;

    // 1. the initial pull: the street's incidents only, the position at the hub's head, the mode
    assert!(
        eventually(Duration::from_secs(60), || seq(&street_cache) == backlog_head).await,
        "street desktop's pull stopped at {} of {backlog_head} ({:?})",
        seq(&street_cache),
        street.status().state
    );
    assert!(
        eventually(Duration::from_secs(20), || street.status().state
            == ConnectionState::Online)
        .await,
        "street desktop not online: {:?}",
        street.status().state
    );
    assert_eq!(
        street_cache.lock().unwrap().scope().unwrap().as_deref(),
        Some(SCHELLENBERG)
    );
    assert_eq!(count(&street_cache), 2100);
    assert_eq!(ids_in(&street_cache, &inside), 2100);
    assert_eq!(ids_in(&street_cache, &outside), 0);
    let m = street_cache.lock().unwrap().mode().unwrap();
    assert_eq!((m.mode, m.epoch), (ModeKind::Wartime, 1));
    assert!(
        eventually(Duration::from_secs(5), || street.status().last_seq
            == backlog_head)
        .await,
        "status says {}",
        street.status().last_seq
    );

    // 2. live: more incidents inside and outside, then a switch (an event about no incident, the head)
    let (live_in, live_out) = report(&writer, 10_000..10_500).await;
    commander
        .switch_mode(ModeKind::Wartime, Some(Grade::II), "内涝扩大", &[])
        .await
        .unwrap();
    let live_head = head(&writer).await;
    assert_eq!(live_head, backlog_head + 501);
    assert!(
        eventually(Duration::from_secs(60), || seq(&street_cache) == live_head).await,
        "street desktop's stream stopped at {} of {live_head} ({:?})",
        seq(&street_cache),
        street.status().state
    );
    assert_eq!(count(&street_cache), 2100 + live_in.len());
    assert_eq!(ids_in(&street_cache, &live_in), live_in.len());
    assert_eq!(ids_in(&street_cache, &live_out), 0);
    let m = street_cache.lock().unwrap().mode().unwrap();
    assert_eq!(
        (m.mode, m.level, m.epoch),
        (ModeKind::Wartime, Some(Grade::II), 2)
    );
    // every cached incident is the street's, as the hub placed it
    {
        let c = street_cache.lock().unwrap();
        let all: HashSet<Uuid> = inside.iter().chain(&live_in).copied().collect();
        for id in &all {
            let i = c.incident(&id.to_string()).unwrap().unwrap();
            assert!(i.area_ids.iter().any(|a| a == SCHELLENBERG), "{:?}", i.area_ids);
        }
    }
    assert_eq!(street.status().state, ConnectionState::Online);
    assert!(
        street_states.lock().unwrap().is_empty(),
        "the street desktop dropped its session: {:?}",
        street_states.lock().unwrap()
    );

    // 3. the unscoped desktop got everything
    assert!(
        eventually(Duration::from_secs(60), || seq(&city_cache) == live_head).await,
        "city desktop at {} of {live_head}",
        seq(&city_cache)
    );
    assert_eq!(count(&city_cache), 3500 + 500);
    assert_eq!(ids_in(&city_cache, &outside), 1400);
    assert_eq!(city_cache.lock().unwrap().scope().unwrap(), None);

    // 4. a restart resumes from the head the street desktop reached: nothing pulled twice, nothing missed
    street.stop().await;
    let (late_in, late_out) = report(&writer, 20_000..20_010).await;
    let street = SyncEngine::spawn(demo_client(&hub.url, "street"), street_cache.clone(), fast());
    let late_head = head(&writer).await;
    assert!(
        eventually(Duration::from_secs(30), || seq(&street_cache) == late_head).await,
        "restarted street desktop at {} of {late_head}",
        seq(&street_cache)
    );
    assert_eq!(count(&street_cache), 2100 + live_in.len() + late_in.len());
    assert_eq!(ids_in(&street_cache, &late_out), 0);
    street.stop().await;
    city.stop().await;
}
