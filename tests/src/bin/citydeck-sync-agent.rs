//! A headless desktop sync process for the crash tests: opens a cache file, runs the real `SyncEngine` against
//! a hub until the outbox has nothing pending, prints `drained <applied> <rejected>` and exits. The tests
//! `kill -9` it at random points and start it again on the same file.
//!
//! `citydeck-sync-agent <hub url> <cache file> <user> [push batch] [--follow <seq>]` (password: the demo
//! password). With `--follow`, it also waits until the cache has applied the hub's log up to `seq`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use citydeck_store::Cache;
use citydeck_sync::{Backoff, Credentials, HubClient, SyncEngine};

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (hub, cache_path, user, batch, follow) = match args.as_slice() {
        [h, c, u] => (h, c, u, 500, 0),
        [h, c, u, b] => (h, c, u, b.parse()?, 0),
        [h, c, u, b, f, seq] if f == "--follow" => (h, c, u, b.parse()?, seq.parse()?),
        _ => anyhow::bail!(
            "usage: citydeck-sync-agent <hub url> <cache file> <user> [push batch] [--follow <seq>]"
        ),
    };
    let cache = Arc::new(Mutex::new(Cache::open(std::path::Path::new(cache_path))?));
    let client = HubClient::new(
        hub,
        Credentials {
            username: user.clone(),
            password: citydeck_tests::DEMO_PASSWORD.into(),
        },
    )?;
    let engine = SyncEngine::spawn_with_push_batch(
        client,
        cache.clone(),
        Backoff {
            initial: Duration::from_millis(20),
            max: Duration::from_millis(200),
        },
        batch,
    );
    loop {
        let (counts, seq) = {
            let c = cache.lock().unwrap_or_else(|p| p.into_inner());
            (c.outbox_counts()?, c.last_seq()?)
        };
        if counts.pending == 0 && seq >= follow {
            let applied = cache
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .outbox_applied_count()?;
            println!("drained {applied} {}", counts.rejected);
            engine.stop().await;
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
