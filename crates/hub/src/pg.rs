//! The PostgreSQL backend: several hub replicas on one database (`citydeck-hub --postgres <url>`).
//!
//! - Schema: its own numbered migrations (`migrations/postgres/`), applied under a session-wide advisory lock
//!   so replicas starting together migrate once.
//! - Writes: every transaction that may append to the log first takes [`WRITE_LOCK`] with
//!   `pg_advisory_xact_lock`, so the writes of all replicas are serialised (gap-free `head + 1`, push
//!   idempotency and the mode's two-person rule decided on the last committed state; unique keys on
//!   `events.server_seq` and `client_ops (client_id, op_id)` back this up). It `NOTIFY`s the new head in the
//!   same transaction; the caller is answered after the commit.
//! - Live events: each replica runs a feed thread that `LISTEN`s and reads committed events from the database
//!   into its local broadcast channel, in seq order, its own writes and the other replicas' alike (the stream
//!   also backfills any hole from the database).
//!
//! The `postgres` client is synchronous (it drives its own small runtime), like rusqlite: it is used from
//! `spawn_blocking` and from plain threads only, never on the async workers.

use std::time::{Duration, Instant};

use postgres::fallible_iterator::FallibleIterator;
use postgres::NoTls;
use r2d2_postgres::r2d2;
use r2d2_postgres::PostgresConnectionManager;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::error::{DbError, DbResult};
use crate::sql::PgTx;
use crate::Published;

/// The PostgreSQL schema: (version, SQL), append only; the same tables and columns as the SQLite one
/// (`crate::db::MIGRATIONS`).
pub const MIGRATIONS: &[(u32, &str)] = &[
    (1, include_str!("../migrations/postgres/0001_init.sql")),
    (2, include_str!("../migrations/postgres/0002_push_refusal.sql")),
    (3, include_str!("../migrations/postgres/0003_areas.sql")),
    (4, include_str!("../migrations/postgres/0004_area_names.sql")),
    (5, include_str!("../migrations/postgres/0005_readings.sql")),
    (
        6,
        include_str!("../migrations/postgres/0006_rollups_episodes.sql"),
    ),
    (7, include_str!("../migrations/postgres/0007_stage_due.sql")),
    (8, include_str!("../migrations/postgres/0008_loop_facts.sql")),
    (9, include_str!("../migrations/postgres/0009_cap_alerts.sql")),
    (10, include_str!("../migrations/postgres/0010_merge.sql")),
];

/// Advisory lock keys (arbitrary, fixed): the write lock every replica's write transaction takes, and the
/// migration lock.
pub const WRITE_LOCK: i64 = 0x6369_7479_6465_636b; // "citydeck"
const MIGRATION_LOCK: i64 = WRITE_LOCK + 1;
/// The `LISTEN/NOTIFY` channel; the payload is the highest `server_seq` the transaction appended.
pub const CHANNEL: &str = "citydeck_events";
/// Connections per replica (the feed has one more of its own).
const POOL_SIZE: u32 = 8;

type Pool = r2d2::Pool<PostgresConnectionManager<NoTls>>;
pub type PgClient = r2d2::PooledConnection<PostgresConnectionManager<NoTls>>;

pub struct PgStore {
    /// Always Some until dropped (taken in `drop`, see there).
    pool: Option<Pool>,
    config: postgres::Config,
    database: String,
    /// Set when the store is dropped: the feed threads stop.
    closed: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.closed.store(true, std::sync::atomic::Ordering::Relaxed);
        // Closing a `postgres::Client` blocks on its own runtime, which panics on an async worker thread (the
        // last clone of a Db may be dropped there): close the pool's connections on a plain thread.
        if let Some(pool) = self.pool.take() {
            let _ = std::thread::Builder::new()
                .name("citydeck-pg-close".into())
                .spawn(move || drop(pool));
        }
    }
}

/// The error and its cause (the client's own message is often just "error connecting to server").
fn with_cause(e: &postgres::Error) -> String {
    match std::error::Error::source(e) {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}

/// A readable name of the database a URL points to (for messages; no password).
fn database_name(config: &postgres::Config) -> String {
    let db = config.get_dbname().unwrap_or("(default)");
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            postgres::config::Host::Tcp(h) => h.clone(),
            #[cfg(unix)]
            postgres::config::Host::Unix(p) => p.display().to_string(),
        })
        .unwrap_or_default();
    format!("{db:?} on {host}")
}

impl PgStore {
    /// Connects (a small pool), and creates or migrates the schema.
    pub fn open(url: &str) -> DbResult<PgStore> {
        let mut config: postgres::Config = url
            .parse()
            .map_err(|e| DbError::Pool(format!("--postgres {url:?} is not a connection string: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        if config.get_application_name().is_none() {
            config.application_name("citydeck-hub");
        }
        let database = database_name(&config);
        // Fail with the server's own reason (auth, unknown database, not running) rather than a pool timeout.
        let mut first = config.connect(NoTls).map_err(|e| {
            DbError::Pool(format!(
                "cannot connect to PostgreSQL database {database}: {}",
                with_cause(&e)
            ))
        })?;
        migrate(&mut first)?;
        drop(first);
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(10))
            // A broken connection is noticed by `is_closed` when it comes back; no extra round trip per use.
            .test_on_check_out(false)
            .build(PostgresConnectionManager::new(config.clone(), NoTls))
            .map_err(|e| DbError::Pool(format!("PostgreSQL database {database}: connection pool: {e}")))?;
        Ok(PgStore {
            pool: Some(pool),
            config,
            database,
            closed: Default::default(),
        })
    }

    pub fn database(&self) -> &str {
        &self.database
    }

    pub fn conn(&self) -> DbResult<PgClient> {
        self.pool
            .as_ref()
            .expect("pool is taken only on drop")
            .get()
            .map_err(|e| DbError::Pool(format!("PostgreSQL connection pool: {e}")))
    }

    /// Runs `f` in a write transaction holding the hub's write lock, notifies the replicas of what it
    /// appended, and commits. An error from `f` rolls it back.
    pub fn write<R, E: From<DbError>>(
        &self,
        f: impl FnOnce(&mut dyn crate::sql::Sql) -> Result<R, E>,
    ) -> Result<R, E> {
        let mut conn = self.conn()?;
        let tx = conn.transaction().map_err(DbError::from)?;
        let mut w = PgTx { tx, last_seq: None };
        w.tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
            .map_err(DbError::from)?;
        let r = f(&mut w)?;
        if let Some(seq) = w.last_seq {
            w.tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &seq.to_string()])
                .map_err(DbError::from)?;
        }
        w.tx.commit().map_err(DbError::from)?;
        Ok(r)
    }

    /// Starts this replica's feed: a thread that `LISTEN`s for new events (of any replica) and sends them, read
    /// back from the database in seq order, to `events`. It stops when `shutdown` is cancelled or the store is
    /// dropped. Returns once it listens (or after 10 s), so no event committed after this call is missed.
    pub fn start_feed(&self, events: broadcast::Sender<Published>, shutdown: CancellationToken) {
        let config = self.config.clone();
        let closed = self.closed.clone();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("citydeck-pg-feed".into())
            .spawn(move || {
                let stop = || shutdown.is_cancelled() || closed.load(std::sync::atomic::Ordering::Relaxed);
                feed(&config, &events, &stop, ready_tx)
            });
        match spawned {
            Ok(_) => {
                if ready_rx.recv_timeout(Duration::from_secs(10)).is_err() {
                    tracing::warn!("the PostgreSQL event feed is not listening yet; live events may lag");
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot start the PostgreSQL event feed"),
        }
    }
}

fn migrate(c: &mut postgres::Client) -> DbResult<()> {
    let mut tx = c.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS hub_schema (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)",
    )?;
    let version: i64 = tx
        .query_one("SELECT COALESCE(MAX(version), 0)::BIGINT FROM hub_schema", &[])?
        .get(0);
    let version =
        u32::try_from(version).map_err(|_| DbError::Corrupt(format!("hub_schema version {version}")))?;
    citydeck_migrate::upgrade_from(version, MIGRATIONS, |v, sql| -> DbResult<()> {
        tx.batch_execute(sql)?;
        tx.execute(
            "INSERT INTO hub_schema (version, applied_at) VALUES ($1, $2)",
            &[&i64::from(v), &crate::sql::ts(chrono::Utc::now())],
        )?;
        Ok(())
    })?;
    tx.commit()?;
    Ok(())
}

/// The feed's life: (re)connect, listen, forward; back off on errors until told to stop.
fn feed(
    config: &postgres::Config,
    events: &broadcast::Sender<Published>,
    stop: &dyn Fn() -> bool,
    ready: std::sync::mpsc::Sender<()>,
) {
    let mut fed: Option<u64> = None;
    let mut backoff = Duration::from_millis(100);
    while !stop() {
        match feed_session(config, events, stop, &mut fed, &ready) {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(error = %e, "PostgreSQL event feed lost its connection; reconnecting");
                let until = Instant::now() + backoff;
                while Instant::now() < until && !stop() {
                    std::thread::sleep(Duration::from_millis(50));
                }
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// How often the feed looks at the log even without a notification (belt and braces; cheap).
const POLL: Duration = Duration::from_secs(1);

fn feed_session(
    config: &postgres::Config,
    events: &broadcast::Sender<Published>,
    stop: &dyn Fn() -> bool,
    fed: &mut Option<u64>,
    ready: &std::sync::mpsc::Sender<()>,
) -> Result<(), postgres::Error> {
    let mut client = config.connect(NoTls)?;
    client.batch_execute(&format!("LISTEN {CHANNEL}"))?;
    if fed.is_none() {
        // Listening from here on: events up to this head are in the database for any stream's backlog.
        let head: i64 = client
            .query_one("SELECT COALESCE(MAX(server_seq), 0)::BIGINT FROM events", &[])?
            .get(0);
        *fed = Some(head as u64);
    }
    let _ = ready.send(());
    let mut fed_to = fed.unwrap_or(0);
    catch_up(&mut client, events, &mut fed_to)?;
    *fed = Some(fed_to);
    let mut last_look = Instant::now();
    while !stop() {
        let mut notified: Option<u64> = None;
        {
            let mut n = client.notifications();
            if let Some(note) = n.timeout_iter(Duration::from_millis(200)).next()? {
                notified = note.payload().parse().ok().or(Some(0));
            }
            if notified.is_some() {
                let mut pending = n.iter();
                while let Some(note) = pending.next()? {
                    let s = note.payload().parse().unwrap_or(0);
                    notified = notified.max(Some(s));
                }
            }
        }
        if notified.is_none() && last_look.elapsed() < POLL {
            continue;
        }
        last_look = Instant::now();
        if events.receiver_count() == 0 {
            // Nobody streams from this replica: a stream that starts later reads these from the database.
            if let Some(s) = notified {
                fed_to = fed_to.max(s);
            }
        } else {
            catch_up(&mut client, events, &mut fed_to)?;
        }
        *fed = Some(fed_to);
    }
    Ok(())
}

/// Sends every committed event after `fed` to the live channel, in seq order.
fn catch_up(
    client: &mut postgres::Client,
    events: &broadcast::Sender<Published>,
    fed: &mut u64,
) -> Result<(), postgres::Error> {
    const PAGE: i64 = 1000;
    loop {
        let rows = client.query(
            "SELECT server_seq, body FROM events WHERE server_seq > $1 ORDER BY server_seq LIMIT $2",
            &[&(*fed as i64), &PAGE],
        )?;
        for r in &rows {
            let seq: i64 = r.get(0);
            let body: String = r.get(1);
            // No receivers is fine (nobody connected).
            let _ = events.send(Published::from_json(seq as u64, &body));
            *fed = seq as u64;
        }
        if (rows.len() as i64) < PAGE {
            return Ok(());
        }
    }
}
