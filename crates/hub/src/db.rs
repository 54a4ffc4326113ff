//! The hub's storage: the append-only log and its projections, on embedded SQLite (default) or PostgreSQL
//! (several hub replicas on one database). By topic: [`log`] (events and incidents, scoped reads), [`areas`]
//! (the city's areas, spatial index, point lookup), [`auth`] (accounts, their scope, and sessions), [`mode`] (平战转换, proposals, screens, audit), [`push`] (desktop outbox pushes, exactly once).
//!
//! The logic is written once against [`Sql`] (`sql.rs`); what differs is how a write transaction is made
//! exclusive and how live events reach the streams:
//! - SQLite: one writer connection behind a mutex assigns `server_seq = head + 1` inside an IMMEDIATE
//!   transaction, so the log is gap-free and totally ordered; it commits with `synchronous=FULL` in WAL mode
//!   before the caller is answered, and the event is published to the local live channel under the writer
//!   lock (in seq order). Readers use their own connections (WAL lets them run beside the writer).
//! - PostgreSQL (`pg.rs`): every write transaction first takes the hub's transaction-scoped advisory lock, so
//!   writes of all replicas are serialised exactly like the SQLite writer (head + 1, push idempotency, the
//!   mode decision all see the last committed state); it `NOTIFY`s the new head in the same transaction, and
//!   each replica's feed thread reads committed events from the database into its local live channel.
//!
//! Schemas: numbered migrations (`migrations/*.sql` for SQLite, recorded in `PRAGMA user_version`;
//! `migrations/postgres/*.sql`, recorded in `hub_schema`), applied by the runner shared with the desktop cache
//! (`citydeck-migrate`); a database written by a newer build is refused, not touched.

pub mod areas;
pub mod auth;
pub mod ingest;
pub mod log;
pub mod merge;
pub mod mode;
pub mod push;
pub mod readings;

use std::path::Path;
use std::sync::{Arc, Mutex};

use citydeck_domain::stage_clock::LoopRules;
use rusqlite::{Connection, TransactionBehavior};

pub use crate::error::{DbError, DbResult};
use crate::sql::{p, Lite, PgConn, Sql};
pub use auth::{Session, User};
pub use log::Created;
pub use mode::{ModeDecision, Proposal};
pub use push::PushItem;

/// The SQLite schema: (version, SQL), append only; never edit a released migration.
pub const MIGRATIONS: &[(u32, &str)] = &[
    (1, include_str!("../migrations/0001_init.sql")),
    (2, include_str!("../migrations/0002_log_id.sql")),
    (3, include_str!("../migrations/0003_mode.sql")),
    (4, include_str!("../migrations/0004_screens_realm.sql")),
    (5, include_str!("../migrations/0005_push.sql")),
    (6, include_str!("../migrations/0006_push_refusal.sql")),
    (7, include_str!("../migrations/0007_areas.sql")),
    (8, include_str!("../migrations/0008_area_names.sql")),
    (9, include_str!("../migrations/0009_readings.sql")),
    (10, include_str!("../migrations/0010_rollups_episodes.sql")),
    (11, include_str!("../migrations/0011_stage_due.sql")),
    (12, include_str!("../migrations/0012_loop_facts.sql")),
    (13, include_str!("../migrations/0013_cap_alerts.sql")),
    (14, include_str!("../migrations/0014_merge.sql")),
];

#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

struct Inner {
    log_id: String,
    /// A drill database (`--exercise`): every mode it reports says so.
    exercise: bool,
    /// This process's identity among the replicas serving the same database.
    replica: String,
    store: Store,
    /// The closed loop's stage limits (`--deadlines`), stamped on every incident written.
    limits: std::sync::RwLock<Arc<LoopRules>>,
    /// When reports of one event merge, and whose are official (the city file's `[ingest]`, issue 22).
    merge: std::sync::RwLock<Arc<citydeck_domain::merge::MergeRule>>,
}

enum Store {
    Sqlite {
        writer: Mutex<Connection>,
        readers: Vec<Mutex<Connection>>,
        next_reader: std::sync::atomic::AtomicUsize,
    },
    Postgres(crate::pg::PgStore),
}

fn open_conn(path: &Path) -> DbResult<Connection> {
    let conn = Connection::open(path).map_err(|e| DbError::Open {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> DbResult<u32> {
    citydeck_migrate::sqlite(conn, MIGRATIONS)
}

fn realm_name(exercise: bool) -> &'static str {
    if exercise {
        "exercise"
    } else {
        "real"
    }
}

/// Marks a new database with a log id and its realm; returns `(log_id, realm)` as stored.
fn init_meta(c: &mut dyn Sql, exercise: bool) -> DbResult<(String, String)> {
    let new_id = uuid::Uuid::new_v4().to_string();
    c.exec(
        "INSERT INTO meta (key, value) VALUES ('log_id', ?1) ON CONFLICT DO NOTHING",
        p![&new_id],
    )?;
    c.exec(
        "INSERT INTO meta (key, value) VALUES ('realm', ?1) ON CONFLICT DO NOTHING",
        p![realm_name(exercise)],
    )?;
    let mut get = |key: &str| -> DbResult<String> {
        c.row("SELECT value FROM meta WHERE key = ?1", p![key])?
            .ok_or_else(|| DbError::Corrupt(format!("meta {key} missing")))?
            .text(0)
    };
    Ok((get("log_id")?, get("realm")?))
}

fn new_replica_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_string()
}

impl Db {
    /// Opens (creating and migrating) the real hub's database.
    pub fn open(path: &Path) -> DbResult<Db> {
        Db::open_realm(path, false)
    }

    /// Opens a database for the real hub (`exercise = false`) or for a drill. The first open marks the file;
    /// opening it later for the other realm fails with [`DbError::Realm`].
    pub fn open_realm(path: &Path, exercise: bool) -> DbResult<Db> {
        let mut writer = open_conn(path)?;
        migrate(&mut writer)?;
        let (log_id, realm) = init_meta(&mut Lite(&writer), exercise)?;
        if realm != realm_name(exercise) {
            return Err(DbError::Realm {
                path: path.to_path_buf(),
                found: realm_name(!exercise),
                wanted: realm_name(exercise),
            });
        }
        let readers = (0..4)
            .map(|_| open_conn(path).map(Mutex::new))
            .collect::<DbResult<Vec<_>>>()?;
        Ok(Db {
            inner: Arc::new(Inner {
                log_id,
                exercise,
                replica: new_replica_id(),
                limits: Default::default(),
                merge: Default::default(),
                store: Store::Sqlite {
                    writer: Mutex::new(writer),
                    readers,
                    next_reader: Default::default(),
                },
            }),
        })
    }

    /// Opens (creating the schema on first use) a PostgreSQL database shared by several hub replicas, e.g.
    /// `postgres://user@localhost:5432/citydeck` or `host=/run/postgresql dbname=citydeck`. Marked for a realm
    /// like a SQLite file. Blocking: call it off the async threads.
    pub fn open_postgres(url: &str, exercise: bool) -> DbResult<Db> {
        let store = crate::pg::PgStore::open(url)?;
        let (log_id, realm) = {
            let mut c = store.conn()?;
            init_meta(&mut PgConn(&mut c), exercise)?
        };
        if realm != realm_name(exercise) {
            return Err(DbError::RealmPostgres {
                database: store.database().to_string(),
                found: realm_name(!exercise),
                wanted: realm_name(exercise),
            });
        }
        Ok(Db {
            inner: Arc::new(Inner {
                log_id,
                exercise,
                replica: new_replica_id(),
                limits: Default::default(),
                merge: Default::default(),
                store: Store::Postgres(store),
            }),
        })
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend(&self) -> &'static str {
        match self.inner.store {
            Store::Sqlite { .. } => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    /// This process's replica id (random per open; several replicas share one PostgreSQL database).
    pub fn replica(&self) -> &str {
        &self.inner.replica
    }

    /// The PostgreSQL store, when this hub runs on PostgreSQL.
    pub(crate) fn postgres(&self) -> Option<&crate::pg::PgStore> {
        match &self.inner.store {
            Store::Postgres(pg) => Some(pg),
            Store::Sqlite { .. } => None,
        }
    }

    /// Runs reads on a reader connection.
    fn read<T>(&self, f: impl FnOnce(&mut dyn Sql) -> DbResult<T>) -> DbResult<T> {
        match &self.inner.store {
            Store::Sqlite {
                readers, next_reader, ..
            } => {
                let i = next_reader.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % readers.len();
                let conn = readers[i].lock().unwrap_or_else(|p| p.into_inner());
                f(&mut Lite(&conn))
            }
            Store::Postgres(pg) => {
                let mut c = pg.conn()?;
                f(&mut PgConn(&mut c))
            }
        }
    }

    /// Runs writes that append nothing to the log (accounts, sessions, audit), each statement on its own.
    fn write_plain<T>(&self, f: impl FnOnce(&mut dyn Sql) -> DbResult<T>) -> DbResult<T> {
        match &self.inner.store {
            Store::Sqlite { writer, .. } => {
                let conn = writer.lock().unwrap_or_else(|p| p.into_inner());
                f(&mut Lite(&conn))
            }
            Store::Postgres(pg) => {
                let mut c = pg.conn()?;
                f(&mut PgConn(&mut c))
            }
        }
    }

    /// Runs `f` in the exclusive write transaction (the only place events are appended) and commits it; an
    /// error from `f` rolls it back. On SQLite `published` runs after the commit while the writer lock is still
    /// held, so live events go out in `server_seq` order; on PostgreSQL the feed publishes them instead (also
    /// those of the other replicas), and `published` is not called.
    fn write<R, E: From<DbError>>(
        &self,
        f: impl FnOnce(&mut dyn Sql) -> Result<R, E>,
        published: impl FnOnce(&R),
    ) -> Result<R, E> {
        match &self.inner.store {
            Store::Sqlite { writer, .. } => {
                let mut conn = writer.lock().unwrap_or_else(|p| p.into_inner());
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(DbError::from)?;
                let r = f(&mut Lite(&tx))?;
                tx.commit().map_err(DbError::from)?;
                published(&r);
                Ok(r)
            }
            Store::Postgres(pg) => pg.write(f),
        }
    }

    /// The closed loop's rules every incident written from now on is stamped with, and the clock goes by: the
    /// stage limits and the departments (issue 24).
    pub fn set_loop_rules(&self, rules: LoopRules) {
        *self.inner.limits.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(rules);
    }

    /// The closed loop's rules in force.
    pub fn limits(&self) -> Arc<LoopRules> {
        self.inner
            .limits
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// When reports of one event merge from now on, and whose are official (issue 22).
    pub fn set_merge_rule(&self, rule: citydeck_domain::merge::MergeRule) {
        *self.inner.merge.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(rule);
    }

    /// The merge rule in force.
    pub fn merge_rule(&self) -> Arc<citydeck_domain::merge::MergeRule> {
        self.inner.merge.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// True for a drill database.
    pub fn is_exercise(&self) -> bool {
        self.inner.exercise
    }

    /// The identity of this database's log (created with the database, never changes).
    pub fn log_id(&self) -> &str {
        &self.inner.log_id
    }
}
