//! The hub's storage: the append-only log and its projections, on embedded SQLite (default) or PostgreSQL
//! (several hub replicas on one database).
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

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use citydeck_protocol::{Event, EventBody, Incident, ModeState, NewIncident, Role, ScreenAck, ServerSeq};
use rusqlite::{Connection, TransactionBehavior};

use crate::sql::{p, Lite, PgConn, Row, Sql};

const MIGRATIONS: &[(u32, &str)] = &[
    (1, include_str!("../migrations/0001_init.sql")),
    (2, include_str!("../migrations/0002_log_id.sql")),
    (3, include_str!("../migrations/0003_mode.sql")),
    (4, include_str!("../migrations/0004_screens_realm.sql")),
    (5, include_str!("../migrations/0005_push.sql")),
];

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("postgres: {0}")]
    Postgres(#[from] postgres::Error),
    /// PostgreSQL unreachable or misconfigured (connect, pool); the message says which.
    #[error("{0}")]
    Pool(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("database file {path}: {message}")]
    Open { path: PathBuf, message: String },
    #[error(
        "database file {path} holds {found} data, but the hub was asked to serve {wanted} data; \
         a drill never runs on the real database (use another --db file for the exercise)"
    )]
    Realm {
        path: PathBuf,
        found: &'static str,
        wanted: &'static str,
    },
    #[error(
        "PostgreSQL database {database} holds {found} data, but the hub was asked to serve {wanted} data; \
         a drill never runs on the real database (use another database for the exercise)"
    )]
    RealmPostgres {
        database: String,
        found: &'static str,
        wanted: &'static str,
    },
}

impl DbError {
    /// True when the failure is the storage (disk full, read-only, I/O, database unreachable) rather than a
    /// bug: maps to 503.
    pub fn is_unavailable(&self) -> bool {
        use rusqlite::ErrorCode::*;
        match self {
            DbError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                matches!(
                    e.code,
                    DiskFull | ReadOnly | SystemIoFailure | DatabaseBusy | DatabaseLocked | CannotOpen
                )
            }
            DbError::Postgres(e) => crate::pg::is_unavailable(e),
            DbError::Open { .. } | DbError::Pool(_) => true,
            _ => false,
        }
    }
}

pub type DbResult<T> = Result<T, DbError>;

pub struct User {
    pub username: String,
    pub role: Role,
    pub pw_hash: String,
}

/// Result of an incident create.
pub enum Created {
    /// A new incident and the event that recorded it.
    New(Box<Event>),
    /// `(source, external_id)` was already known: the existing incident, nothing appended.
    Existing(Box<Incident>),
}

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

fn migrate(conn: &mut Connection) -> DbResult<()> {
    let version: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    for (v, sql) in MIGRATIONS {
        if *v > version {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive)?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", v)?;
            tx.commit()?;
        }
    }
    Ok(())
}

pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
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

    /// True for a drill database.
    pub fn is_exercise(&self) -> bool {
        self.inner.exercise
    }

    /// The identity of this database's log (created with the database, never changes).
    pub fn log_id(&self) -> &str {
        &self.inner.log_id
    }

    pub fn head(&self) -> DbResult<ServerSeq> {
        self.read(head)
    }

    pub fn user(&self, username: &str) -> DbResult<Option<User>> {
        self.read(|c| {
            c.row(
                "SELECT username, role, pw_hash FROM users WHERE username = ?1",
                p![username],
            )?
            .map(|mut r| {
                let role = r.text(1)?;
                let role = Role::parse(&role).ok_or_else(|| DbError::Corrupt(format!("role {role:?}")))?;
                Ok(User {
                    username: r.text(0)?,
                    role,
                    pw_hash: r.text(2)?,
                })
            })
            .transpose()
        })
    }

    /// Inserts the user if missing; returns whether it was inserted.
    pub fn ensure_user(
        &self,
        username: &str,
        role: Role,
        pw_hash: impl FnOnce() -> String,
    ) -> DbResult<bool> {
        self.write_plain(|c| {
            if c.row("SELECT 1 FROM users WHERE username = ?1", p![username])?
                .is_some()
            {
                return Ok(false);
            }
            let n = c.exec(
                "INSERT INTO users (username, role, pw_hash, created_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT DO NOTHING",
                p![username, role.as_str(), &pw_hash(), &ts(Utc::now())],
            )?;
            Ok(n == 1)
        })
    }

    pub fn put_session(
        &self,
        token_hash: &str,
        username: &str,
        role: Role,
        expires: DateTime<Utc>,
    ) -> DbResult<()> {
        self.write_plain(|c| {
            c.exec("DELETE FROM sessions WHERE expires_at < ?1", p![&ts(Utc::now())])?;
            c.exec(
                "INSERT INTO sessions (token_hash, username, role, expires_at) VALUES (?1, ?2, ?3, ?4)",
                p![token_hash, username, role.as_str(), &ts(expires)],
            )?;
            Ok(())
        })
    }

    pub fn session(&self, token_hash: &str) -> DbResult<Option<(String, Role, DateTime<Utc>)>> {
        self.read(|c| {
            c.row(
                "SELECT username, role, expires_at FROM sessions WHERE token_hash = ?1",
                p![token_hash],
            )?
            .map(|mut r| {
                let role = r.text(1)?;
                let role = Role::parse(&role).ok_or_else(|| DbError::Corrupt(format!("role {role:?}")))?;
                let exp = DateTime::parse_from_rfc3339(&r.text(2)?)
                    .map_err(|e| DbError::Corrupt(format!("expires_at: {e}")))?
                    .with_timezone(&Utc);
                Ok((r.text(0)?, role, exp))
            })
            .transpose()
        })
    }

    /// Appends `incident_created` for a new incident, or returns the existing one for a known
    /// `(source, external_id)`. `publish` runs while the writer lock is still held, so events are published in
    /// `server_seq` order.
    pub fn create_incident(
        &self,
        actor: &str,
        new: NewIncident,
        publish: impl FnOnce(&Event, &str),
    ) -> DbResult<Created> {
        let r = self.write(
            |tx| insert_incident(tx, actor, new, None),
            |r| {
                if let Ok((event, json)) = r {
                    publish(event, json);
                }
            },
        )?;
        Ok(match r {
            Ok((event, _)) => Created::New(Box::new(event)),
            Err(existing) => Created::Existing(Box::new(existing)),
        })
    }

    /// Events with `server_seq > after`, oldest first, at most `limit`, as stored JSON.
    pub fn events_after_json(&self, after: ServerSeq, limit: u32) -> DbResult<Vec<(ServerSeq, String)>> {
        self.read(|c| {
            c.rows(
                "SELECT server_seq, body FROM events WHERE server_seq > ?1 ORDER BY server_seq LIMIT ?2",
                p![after, limit],
            )?
            .into_iter()
            .map(|mut r| Ok((r.uint(0)?, r.text(1)?)))
            .collect()
        })
    }

    pub fn incidents(&self, limit: u32) -> DbResult<Vec<Incident>> {
        self.read(|c| {
            c.rows("SELECT body FROM incidents ORDER BY seq DESC LIMIT ?1", p![limit])?
                .into_iter()
                .map(|mut r| {
                    serde_json::from_str(&r.text(0)?).map_err(|e| DbError::Corrupt(format!("incident: {e}")))
                })
                .collect()
        })
    }

    pub fn incident(&self, id: uuid::Uuid) -> DbResult<Option<Incident>> {
        self.read(|c| read_incident(c, id))
    }
}

fn head(c: &mut dyn Sql) -> DbResult<ServerSeq> {
    c.row("SELECT COALESCE(MAX(server_seq), 0) FROM events", &[])?
        .ok_or_else(|| DbError::Corrupt("no head".into()))?
        .uint(0)
}

/// Inserts a new incident and appends its `incident_created` event inside `tx`; for a known
/// `(source, external_id)` returns the existing incident and appends nothing. `id`: the client's choice (outbox
/// creates), else a new UUIDv7.
fn insert_incident(
    tx: &mut dyn Sql,
    actor: &str,
    new: NewIncident,
    id: Option<uuid::Uuid>,
) -> DbResult<Result<(Event, String), Incident>> {
    if let Some(ext) = &new.external_id {
        let existing = tx.row(
            "SELECT body FROM incidents WHERE source = ?1 AND external_id = ?2",
            p![&new.source, ext],
        )?;
        if let Some(mut row) = existing {
            let inc: Incident = serde_json::from_str(&row.text(0)?)
                .map_err(|e| DbError::Corrupt(format!("incident: {e}")))?;
            return Ok(Err(inc));
        }
    }
    let seq = head(tx)? + 1;
    let now = Utc::now();
    let incident = Incident {
        id: id.unwrap_or_else(uuid::Uuid::now_v7),
        title: new.title,
        class: new.class,
        grade: new.grade,
        location: citydeck_protocol::GeoPoint {
            lon: new.lon,
            lat: new.lat,
        },
        source: new.source,
        status: citydeck_protocol::Stage::Collected,
        description: new.description,
        address: new.address,
        external_id: new.external_id,
        occurred_at: new.occurred_at.unwrap_or(now),
        created_at: now,
        updated_at: now,
        created_by: actor.to_string(),
        seq,
        assignee: None,
        acknowledged_by: Vec::new(),
        notes: Vec::new(),
    };
    let inc_json = serde_json::to_string(&incident).map_err(|e| DbError::Corrupt(e.to_string()))?;
    tx.exec(
        "INSERT INTO incidents (id, source, external_id, status, seq, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        p![
            &incident.id.to_string(),
            &incident.source,
            incident.external_id.as_ref(),
            incident.status.as_str(),
            seq,
            &inc_json
        ],
    )?;
    let event = Event {
        server_seq: seq,
        at: now,
        actor: actor.to_string(),
        body: EventBody::IncidentCreated { incident },
    };
    let ev_json = append_event(tx, &event)?;
    Ok(Ok((event, ev_json)))
}

fn read_incident(tx: &mut dyn Sql, id: uuid::Uuid) -> DbResult<Option<Incident>> {
    tx.row("SELECT body FROM incidents WHERE id = ?1", p![&id.to_string()])?
        .map(|mut r| {
            serde_json::from_str(&r.text(0)?).map_err(|e| DbError::Corrupt(format!("incident: {e}")))
        })
        .transpose()
}

/// Writes a changed incident with the next seq and appends its `incident_updated` event inside `tx`.
fn write_update(tx: &mut dyn Sql, actor: &str, mut incident: Incident) -> DbResult<(Event, String)> {
    let seq = head(tx)? + 1;
    let now = Utc::now();
    incident.seq = seq;
    incident.updated_at = now;
    let body = serde_json::to_string(&incident).map_err(|e| DbError::Corrupt(e.to_string()))?;
    tx.exec(
        "UPDATE incidents SET status = ?2, seq = ?3, body = ?4 WHERE id = ?1",
        p![&incident.id.to_string(), incident.status.as_str(), seq, &body],
    )?;
    let event = Event {
        server_seq: seq,
        at: now,
        actor: actor.to_string(),
        body: EventBody::IncidentUpdated { incident },
    };
    let json = append_event(tx, &event)?;
    Ok((event, json))
}

fn append_event(tx: &mut dyn Sql, event: &Event) -> DbResult<String> {
    let json = serde_json::to_string(event).map_err(|e| DbError::Corrupt(e.to_string()))?;
    tx.exec(
        "INSERT INTO events (server_seq, kind, at, actor, body) VALUES (?1, ?2, ?3, ?4, ?5)",
        p![event.server_seq, event.kind(), &ts(event.at), &event.actor, &json],
    )?;
    tx.appended(event.server_seq);
    Ok(json)
}

/// A level-I switch waiting for a second commander.
pub struct Proposal {
    pub id: uuid::Uuid,
    pub proposer: String,
    pub request: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub status: String,
}

const PROPOSAL_COLUMNS: &str = "id, proposer, request, created_at, expires_at, status";

/// A `mode_proposals` row as stored: (id, proposer, request, created_at, expires_at, status).
fn parse_proposal(mut r: Row) -> DbResult<Proposal> {
    let id = r.text(0)?;
    Ok(Proposal {
        id: uuid::Uuid::parse_str(&id).map_err(|e| DbError::Corrupt(format!("proposal id: {e}")))?,
        proposer: r.text(1)?,
        request: serde_json::from_str(&r.text(2)?).map_err(|e| DbError::Corrupt(format!("proposal: {e}")))?,
        created_at: parse_ts(&r.text(3)?)?,
        expires_at: parse_ts(&r.text(4)?)?,
        status: r.text(5)?,
    })
}

fn parse_ts(s: &str) -> DbResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| DbError::Corrupt(format!("timestamp {s:?}: {e}")))
}

fn read_mode(c: &mut dyn Sql) -> DbResult<ModeState> {
    let body = c.row("SELECT body FROM mode WHERE id = 1", &[])?;
    let mut mode = match body {
        Some(mut b) => {
            serde_json::from_str(&b.text(0)?).map_err(|e| DbError::Corrupt(format!("mode: {e}")))?
        }
        None => ModeState::initial(),
    };
    mode.acks = c
        .rows(
            "SELECT screen, epoch, \"by\", at FROM screen_acks ORDER BY screen",
            &[],
        )?
        .into_iter()
        .map(|mut r| {
            Ok(ScreenAck {
                screen: r.text(0)?,
                epoch: r.uint(1)?,
                by: r.text(2)?,
                at: parse_ts(&r.text(3)?)?,
            })
        })
        .collect::<DbResult<Vec<_>>>()?;
    mode.screens = c
        .rows("SELECT name FROM screens ORDER BY name", &[])?
        .into_iter()
        .map(|mut r| r.text(0))
        .collect::<DbResult<Vec<_>>>()?;
    Ok(mode)
}

/// What a mode write decided, computed inside the write transaction from the current state.
pub enum ModeDecision<T> {
    /// Write this new mode record (its epoch is set by the database: current + 1).
    Apply(ModeState),
    /// Nothing to write; answer with `T`.
    Answer(T),
    /// The mode stays; append this event (a proposal) and answer with `T`.
    Record(T, EventBody),
}

/// What a mode write transaction produced: the new mode or the answer, and the event it appended.
type ModeWrite<T> = (Result<ModeState, T>, Option<(Event, String)>);

impl Db {
    /// The current mode with every screen's latest acknowledgement.
    pub fn mode(&self) -> DbResult<ModeState> {
        let mut m = self.read(read_mode)?;
        m.exercise = self.inner.exercise;
        Ok(m)
    }

    /// Reads the current mode inside the write transaction, lets `decide` rule on it, and applies the result:
    /// a new record gets epoch + 1 and a `mode_changed` event. Concurrent switches are serialised (the SQLite
    /// writer lock; on PostgreSQL the advisory lock every replica's write transaction takes first), so `decide`
    /// always sees the state it changes.
    pub fn switch_mode<T, E: From<DbError>>(
        &self,
        actor: &str,
        decide: impl FnOnce(&mut dyn Sql, &ModeState) -> Result<ModeDecision<T>, E>,
        publish: impl FnOnce(&Event, &str),
    ) -> Result<Result<ModeState, T>, E> {
        let exercise = self.inner.exercise;
        let (outcome, _) = self.write(
            |tx| -> Result<ModeWrite<T>, E> {
                let mut current = read_mode(tx)?;
                current.exercise = exercise;
                let mut next = match decide(tx, &current)? {
                    ModeDecision::Answer(t) => return Ok((Err(t), None)),
                    ModeDecision::Record(t, body) => {
                        let event = Event {
                            server_seq: head(tx)? + 1,
                            at: Utc::now(),
                            actor: actor.to_string(),
                            body,
                        };
                        let json = append_event(tx, &event)?;
                        return Ok((Err(t), Some((event, json))));
                    }
                    ModeDecision::Apply(m) => m,
                };
                next.epoch = current.epoch + 1;
                next.exercise = exercise;
                next.acks = Vec::new();
                next.screens = Vec::new();
                let body = serde_json::to_string(&next).map_err(|e| DbError::Corrupt(e.to_string()))?;
                tx.exec(
                    "INSERT INTO mode (id, body) VALUES (1, ?1) ON CONFLICT(id) DO UPDATE SET body = excluded.body",
                    p![&body],
                )?;
                let seq = head(tx)? + 1;
                let event = Event {
                    server_seq: seq,
                    at: next.switched_at.unwrap_or_else(Utc::now),
                    actor: actor.to_string(),
                    body: EventBody::ModeChanged { mode: next.clone() },
                };
                let json = append_event(tx, &event)?;
                next.acks = current.acks;
                next.screens = current.screens;
                Ok((Ok(next), Some((event, json))))
            },
            |(_, appended)| {
                if let Some((event, json)) = appended {
                    publish(event, json);
                }
            },
        )?;
        Ok(outcome)
    }

    pub fn insert_proposal(
        tx: &mut dyn Sql,
        id: uuid::Uuid,
        proposer: &str,
        request: &serde_json::Value,
        created_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> DbResult<()> {
        tx.exec(
            "INSERT INTO mode_proposals (id, proposer, request, created_at, expires_at, status)
             VALUES (?1, ?2, ?3, ?4, ?5, 'pending')",
            p![
                &id.to_string(),
                proposer,
                &request.to_string(),
                &ts(created_at),
                &ts(expires_at)
            ],
        )?;
        Ok(())
    }

    pub fn proposal(tx: &mut dyn Sql, id: uuid::Uuid) -> DbResult<Option<Proposal>> {
        tx.row(
            &format!("SELECT {PROPOSAL_COLUMNS} FROM mode_proposals WHERE id = ?1"),
            p![&id.to_string()],
        )?
        .map(parse_proposal)
        .transpose()
    }

    pub fn set_proposal_status(tx: &mut dyn Sql, id: uuid::Uuid, status: &str) -> DbResult<()> {
        tx.exec(
            "UPDATE mode_proposals SET status = ?2 WHERE id = ?1",
            p![&id.to_string(), status],
        )?;
        Ok(())
    }

    /// Records a switch attempt. Written on its own (not in the switch's transaction) so refusals are kept too.
    pub fn audit(
        &self,
        username: &str,
        role: Role,
        action: &str,
        request: &serde_json::Value,
        outcome: &str,
        detail: &str,
    ) -> DbResult<()> {
        self.write_plain(|c| {
            c.exec(
                "INSERT INTO mode_audit (at, username, role, action, request, outcome, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                p![
                    &ts(Utc::now()),
                    username,
                    role.as_str(),
                    action,
                    &request.to_string(),
                    outcome,
                    detail
                ],
            )?;
            Ok(())
        })
    }

    /// The audit trail, newest first: (at, username, role, action, request, outcome, detail).
    pub fn audit_trail(&self, limit: u32) -> DbResult<Vec<serde_json::Value>> {
        self.read(|c| {
            c.rows(
                "SELECT at, username, role, action, request, outcome, detail FROM mode_audit ORDER BY id DESC LIMIT ?1",
                p![limit],
            )?
            .into_iter()
            .map(|mut r| {
                Ok(serde_json::json!({
                    "at": r.text(0)?,
                    "username": r.text(1)?,
                    "role": r.text(2)?,
                    "action": r.text(3)?,
                    "request": serde_json::from_str::<serde_json::Value>(&r.text(4)?)
                        .unwrap_or(serde_json::Value::Null),
                    "outcome": r.text(5)?,
                    "detail": r.text(6)?,
                }))
            })
            .collect()
        })
    }

    /// Records a screen's acknowledgement of `epoch` and appends a `screen_acked` event.
    pub fn ack_screen(&self, ack: ScreenAck, publish: impl FnOnce(&Event, &str)) -> DbResult<Event> {
        let (event, _) = self.write(
            |tx| {
                tx.exec(
                    "INSERT INTO screen_acks (screen, epoch, \"by\", at) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT(screen) DO UPDATE SET epoch = excluded.epoch, \"by\" = excluded.\"by\", at = excluded.at",
                    p![&ack.screen, ack.epoch, &ack.by, &ts(ack.at)],
                )?;
                tx.exec(
                    "INSERT INTO screens (name, registered_at, registered_by) VALUES (?1, ?2, ?3)
                     ON CONFLICT DO NOTHING",
                    p![&ack.screen, &ts(ack.at), &ack.by],
                )?;
                let seq = head(tx)? + 1;
                let event = Event {
                    server_seq: seq,
                    at: ack.at,
                    actor: ack.by.clone(),
                    body: EventBody::ScreenAcked { ack },
                };
                let json = append_event(tx, &event)?;
                DbResult::Ok((event, json))
            },
            |(event, json)| publish(event, json),
        )?;
        Ok(event)
    }
}

impl Db {
    /// Registers a screen the commander expects to follow the mode. Returns the `screen_registered` event, or
    /// None when the screen was known already (nothing appended).
    pub fn register_screen(
        &self,
        name: &str,
        by: &str,
        publish: impl FnOnce(&Event, &str),
    ) -> DbResult<Option<Event>> {
        let r = self.write(
            |tx| {
                let now = Utc::now();
                let added = tx.exec(
                    "INSERT INTO screens (name, registered_at, registered_by) VALUES (?1, ?2, ?3)
                     ON CONFLICT DO NOTHING",
                    p![name, &ts(now), by],
                )?;
                if added == 0 {
                    return DbResult::Ok(None);
                }
                let event = Event {
                    server_seq: head(tx)? + 1,
                    at: now,
                    actor: by.to_string(),
                    body: EventBody::ScreenRegistered {
                        screen: name.to_string(),
                    },
                };
                let json = append_event(tx, &event)?;
                Ok(Some((event, json)))
            },
            |r| {
                if let Some((event, json)) = r {
                    publish(event, json);
                }
            },
        )?;
        Ok(r.map(|(event, _)| event))
    }

    /// Level-I proposals still waiting for a second commander (pending and not expired), oldest first.
    pub fn pending_proposals(&self, now: DateTime<Utc>) -> DbResult<Vec<Proposal>> {
        self.read(|c| {
            c.rows(
                &format!(
                    "SELECT {PROPOSAL_COLUMNS} FROM mode_proposals
                     WHERE status = 'pending' AND expires_at > ?1 ORDER BY created_at"
                ),
                p![&ts(now)],
            )?
            .into_iter()
            .map(parse_proposal)
            .collect()
        })
    }
}

/// One op of a push batch as the handler parsed it: well-formed, or refused with a reason (still recorded, so
/// a retry gets the same answer).
pub enum PushItem {
    Op(citydeck_protocol::PushOp),
    Bad {
        op_id: uuid::Uuid,
        client_seq: u64,
        reason: String,
    },
}

impl PushItem {
    fn ids(&self) -> (uuid::Uuid, u64) {
        match self {
            PushItem::Op(p) => (p.op_id, p.client_seq),
            PushItem::Bad {
                op_id, client_seq, ..
            } => (*op_id, *client_seq),
        }
    }
}

/// What a push transaction produced: one result per op, and the events it appended.
type PushWrite = (Vec<citydeck_protocol::PushResult>, Vec<(Event, String)>);

impl Db {
    /// Applies a push batch exactly once per `(client_id, op_id)`: in one transaction (committed before the
    /// answer), each op either applied (its event appended), rejected by the rules (recorded with the reason)
    /// or recognised as a duplicate of an earlier push. `may` rules on the caller's permission per op.
    pub fn push(
        &self,
        client_id: uuid::Uuid,
        actor: &str,
        items: Vec<PushItem>,
        may: impl Fn(&citydeck_protocol::Op) -> Result<(), String>,
        publish: impl Fn(&Event, &str),
    ) -> DbResult<Vec<citydeck_protocol::PushResult>> {
        let (results, _) = self.write(
            |tx| push_in(tx, client_id, actor, items, may),
            |(_, events)| {
                for (event, json) in events {
                    publish(event, json);
                }
            },
        )?;
        Ok(results)
    }
}

fn push_in(
    tx: &mut dyn Sql,
    client_id: uuid::Uuid,
    actor: &str,
    items: Vec<PushItem>,
    may: impl Fn(&citydeck_protocol::Op) -> Result<(), String>,
) -> DbResult<PushWrite> {
    use citydeck_protocol::{Op, PushResult, PushStatus};
    let now = Utc::now();
    let client = client_id.to_string();
    let mut results = Vec::with_capacity(items.len());
    let mut events = Vec::new();
    for item in items {
        let (op_id, client_seq) = item.ids();
        let op = op_id.to_string();
        // One look-up (two index probes): this op seen before, or its client_seq taken by another op.
        let known = tx.rows(
            "SELECT op_id, status, reason, server_seq FROM client_ops WHERE client_id = ?1 AND op_id = ?2
             UNION ALL
             SELECT op_id, status, reason, server_seq FROM client_ops WHERE client_id = ?1 AND client_seq = ?3",
            p![&client, &op, client_seq],
        )?;
        let mut other = None;
        let mut seen = None;
        for mut r in known {
            let id = r.text(0)?;
            if id == op {
                seen = Some(r);
            } else {
                other = Some(id);
            }
        }
        // Seen before: repeat the first outcome, apply nothing.
        if let Some(mut r) = seen {
            let status = r.text(1)?;
            results.push(PushResult {
                op_id,
                status: PushStatus::Duplicate,
                reason: r.opt_text(2)?,
                server_seq: r.opt_uint(3)?,
                first_status: Some(if status == "applied" {
                    PushStatus::Applied
                } else {
                    PushStatus::Rejected
                }),
            });
            continue;
        }
        if let Some(other) = other {
            // Not recorded: the seq belongs to the other op.
            results.push(PushResult {
                op_id,
                status: PushStatus::Rejected,
                reason: Some(format!("client_seq {client_seq} is already used by op {other}")),
                server_seq: None,
                first_status: None,
            });
            continue;
        }
        let outcome: Result<Option<(Event, String)>, String> = match item {
            PushItem::Bad { reason, .. } => Err(reason),
            PushItem::Op(p) => match may(&p.op) {
                Err(e) => Err(e),
                Ok(()) => match p.op {
                    Op::CreateIncident {
                        incident_id,
                        incident,
                    } => {
                        let clash = match incident_id {
                            Some(id) => tx
                                .row("SELECT 1 FROM incidents WHERE id = ?1", p![&id.to_string()])?
                                .is_some(),
                            None => false,
                        };
                        if clash {
                            Err("an incident with this id exists already".to_string())
                        } else {
                            match insert_incident(tx, actor, incident, incident_id)? {
                                Ok(ev) => Ok(Some(ev)),
                                Err(existing) => Err(format!(
                                    "duplicate of incident {} (same source and external_id)",
                                    existing.id
                                )),
                            }
                        }
                    }
                    ref op => {
                        let id = citydeck_domain::ops::target(op).unwrap_or_default();
                        match read_incident(tx, id)? {
                            None => Err(format!("unknown incident {id}")),
                            Some(mut inc) => match citydeck_domain::apply_update(&mut inc, op, actor, now) {
                                Err(r) => Err(r.message),
                                Ok(false) => Ok(None),
                                Ok(true) => Ok(Some(write_update(tx, actor, inc)?)),
                            },
                        }
                    }
                },
            },
        };
        let (status, reason, server_seq) = match outcome {
            Ok(Some((event, json))) => {
                let seq = event.server_seq;
                events.push((event, json));
                (PushStatus::Applied, None, Some(seq))
            }
            // Applied, nothing to change (e.g. acknowledged twice): no event.
            Ok(None) => (PushStatus::Applied, None, None),
            Err(reason) => (PushStatus::Rejected, Some(reason), None),
        };
        tx.exec(
            "INSERT INTO client_ops (client_id, op_id, client_seq, status, reason, server_seq, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            p![
                &client,
                &op,
                client_seq,
                if status == PushStatus::Applied {
                    "applied"
                } else {
                    "rejected"
                },
                reason.as_ref(),
                server_seq,
                &ts(now)
            ],
        )?;
        results.push(PushResult {
            op_id,
            status,
            reason,
            server_seq,
            first_status: None,
        });
    }
    Ok((results, events))
}
