//! Embedded SQLite backend: the append-only log and its projections.
//!
//! One writer connection behind a mutex assigns `server_seq = head + 1` inside the write transaction, so the
//! log is gap-free and totally ordered; the transaction commits with `synchronous=FULL` in WAL mode before the
//! caller is answered. Readers use their own connections (WAL lets them run beside the writer).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use citydeck_protocol::{Event, EventBody, Incident, ModeState, NewIncident, Role, ScreenAck, ServerSeq};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

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
}

impl DbError {
    /// True when the failure is the disk (full, read-only, I/O) rather than a bug: maps to 503.
    pub fn is_unavailable(&self) -> bool {
        use rusqlite::ErrorCode::*;
        match self {
            DbError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                matches!(
                    e.code,
                    DiskFull | ReadOnly | SystemIoFailure | DatabaseBusy | DatabaseLocked | CannotOpen
                )
            }
            DbError::Open { .. } => true,
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
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: std::sync::atomic::AtomicUsize,
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

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn realm_name(exercise: bool) -> &'static str {
    if exercise {
        "exercise"
    } else {
        "real"
    }
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
        writer.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('log_id', ?1)",
            [uuid::Uuid::new_v4().to_string()],
        )?;
        writer.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('realm', ?1)",
            [realm_name(exercise)],
        )?;
        let realm: String =
            writer.query_row("SELECT value FROM meta WHERE key = 'realm'", [], |r| r.get(0))?;
        if realm != realm_name(exercise) {
            return Err(DbError::Realm {
                path: path.to_path_buf(),
                found: realm_name(!exercise),
                wanted: realm_name(exercise),
            });
        }
        let log_id: String =
            writer.query_row("SELECT value FROM meta WHERE key = 'log_id'", [], |r| r.get(0))?;
        let readers = (0..4)
            .map(|_| open_conn(path).map(Mutex::new))
            .collect::<DbResult<Vec<_>>>()?;
        Ok(Db {
            inner: Arc::new(Inner {
                log_id,
                exercise,
                writer: Mutex::new(writer),
                readers,
                next_reader: Default::default(),
            }),
        })
    }

    fn with_reader<T>(&self, f: impl FnOnce(&Connection) -> DbResult<T>) -> DbResult<T> {
        let i = self
            .inner
            .next_reader
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            % self.inner.readers.len();
        let conn = self.inner.readers[i].lock().unwrap_or_else(|p| p.into_inner());
        f(&conn)
    }

    fn writer(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.inner.writer.lock().unwrap_or_else(|p| p.into_inner())
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
        self.with_reader(head)
    }

    pub fn user(&self, username: &str) -> DbResult<Option<User>> {
        self.with_reader(|c| {
            c.query_row(
                "SELECT username, role, pw_hash FROM users WHERE username = ?1",
                [username],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                },
            )
            .optional()?
            .map(|(username, role, pw_hash)| {
                let role = Role::parse(&role).ok_or_else(|| DbError::Corrupt(format!("role {role:?}")))?;
                Ok(User {
                    username,
                    role,
                    pw_hash,
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
        let conn = self.writer();
        let exists: bool = conn.query_row(
            "SELECT EXISTS(SELECT 1 FROM users WHERE username = ?1)",
            [username],
            |r| r.get(0),
        )?;
        if exists {
            return Ok(false);
        }
        conn.execute(
            "INSERT INTO users (username, role, pw_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![username, role.as_str(), pw_hash(), ts(Utc::now())],
        )?;
        Ok(true)
    }

    pub fn put_session(
        &self,
        token_hash: &str,
        username: &str,
        role: Role,
        expires: DateTime<Utc>,
    ) -> DbResult<()> {
        let conn = self.writer();
        conn.execute("DELETE FROM sessions WHERE expires_at < ?1", [ts(Utc::now())])?;
        conn.execute(
            "INSERT INTO sessions (token_hash, username, role, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![token_hash, username, role.as_str(), ts(expires)],
        )?;
        Ok(())
    }

    pub fn session(&self, token_hash: &str) -> DbResult<Option<(String, Role, DateTime<Utc>)>> {
        self.with_reader(|c| {
            let row = c
                .query_row(
                    "SELECT username, role, expires_at FROM sessions WHERE token_hash = ?1",
                    [token_hash],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                        ))
                    },
                )
                .optional()?;
            row.map(|(u, role, exp)| {
                let role = Role::parse(&role).ok_or_else(|| DbError::Corrupt(format!("role {role:?}")))?;
                let exp = DateTime::parse_from_rfc3339(&exp)
                    .map_err(|e| DbError::Corrupt(format!("expires_at: {e}")))?
                    .with_timezone(&Utc);
                Ok((u, role, exp))
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
        let mut conn = self.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        match insert_incident(&tx, actor, new, None)? {
            Err(existing) => Ok(Created::Existing(Box::new(existing))),
            Ok((event, json)) => {
                tx.commit()?;
                publish(&event, &json);
                Ok(Created::New(Box::new(event)))
            }
        }
    }

    /// Events with `server_seq > after`, oldest first, at most `limit`, as stored JSON.
    pub fn events_after_json(&self, after: ServerSeq, limit: u32) -> DbResult<Vec<(ServerSeq, String)>> {
        self.with_reader(|c| {
            let mut st = c.prepare_cached(
                "SELECT server_seq, body FROM events WHERE server_seq > ?1 ORDER BY server_seq LIMIT ?2",
            )?;
            let rows = st.query_map(params![after, limit], |r| {
                Ok((r.get::<_, u64>(0)?, r.get::<_, String>(1)?))
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    pub fn incidents(&self, limit: u32) -> DbResult<Vec<Incident>> {
        self.with_reader(|c| {
            let mut st = c.prepare_cached("SELECT body FROM incidents ORDER BY seq DESC LIMIT ?1")?;
            let rows = st.query_map([limit], |r| r.get::<_, String>(0))?;
            rows.map(|b| {
                let b = b?;
                serde_json::from_str(&b).map_err(|e| DbError::Corrupt(format!("incident: {e}")))
            })
            .collect()
        })
    }

    pub fn incident(&self, id: uuid::Uuid) -> DbResult<Option<Incident>> {
        self.with_reader(|c| read_incident(c, id))
    }
}

fn head(c: &Connection) -> DbResult<ServerSeq> {
    Ok(
        c.query_row("SELECT COALESCE(MAX(server_seq), 0) FROM events", [], |r| {
            r.get(0)
        })?,
    )
}

/// Inserts a new incident and appends its `incident_created` event inside `tx`; for a known
/// `(source, external_id)` returns the existing incident and appends nothing. `id`: the client's choice (outbox
/// creates), else a new UUIDv7.
fn insert_incident(
    tx: &Connection,
    actor: &str,
    new: NewIncident,
    id: Option<uuid::Uuid>,
) -> DbResult<Result<(Event, String), Incident>> {
    if let Some(ext) = &new.external_id {
        let existing: Option<String> = tx
            .query_row(
                "SELECT body FROM incidents WHERE source = ?1 AND external_id = ?2",
                params![new.source, ext],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(body) = existing {
            let inc: Incident =
                serde_json::from_str(&body).map_err(|e| DbError::Corrupt(format!("incident: {e}")))?;
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
    tx.execute(
        "INSERT INTO incidents (id, source, external_id, status, seq, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            incident.id.to_string(),
            incident.source,
            incident.external_id,
            incident.status.as_str(),
            seq,
            inc_json
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

fn read_incident(tx: &Connection, id: uuid::Uuid) -> DbResult<Option<Incident>> {
    let body: Option<String> = tx
        .query_row(
            "SELECT body FROM incidents WHERE id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )
        .optional()?;
    body.map(|b| serde_json::from_str(&b).map_err(|e| DbError::Corrupt(format!("incident: {e}"))))
        .transpose()
}

/// Writes a changed incident with the next seq and appends its `incident_updated` event inside `tx`.
fn write_update(tx: &Connection, actor: &str, mut incident: Incident) -> DbResult<(Event, String)> {
    let seq = head(tx)? + 1;
    let now = Utc::now();
    incident.seq = seq;
    incident.updated_at = now;
    let body = serde_json::to_string(&incident).map_err(|e| DbError::Corrupt(e.to_string()))?;
    tx.execute(
        "UPDATE incidents SET status = ?2, seq = ?3, body = ?4 WHERE id = ?1",
        params![incident.id.to_string(), incident.status.as_str(), seq, body],
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

fn append_event(tx: &Connection, event: &Event) -> DbResult<String> {
    let json = serde_json::to_string(event).map_err(|e| DbError::Corrupt(e.to_string()))?;
    tx.execute(
        "INSERT INTO events (server_seq, kind, at, actor, body) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![event.server_seq, event.kind(), ts(event.at), event.actor, json],
    )?;
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

/// A `mode_proposals` row as stored: (id, proposer, request, created_at, expires_at, status).
struct ProposalRow([String; 6]);

fn proposal_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ProposalRow> {
    Ok(ProposalRow([
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ]))
}

impl ProposalRow {
    fn parse(self) -> DbResult<Proposal> {
        let [id, proposer, request, created_at, expires_at, status] = self.0;
        Ok(Proposal {
            id: uuid::Uuid::parse_str(&id).map_err(|e| DbError::Corrupt(format!("proposal id: {e}")))?,
            proposer,
            request: serde_json::from_str(&request)
                .map_err(|e| DbError::Corrupt(format!("proposal: {e}")))?,
            created_at: parse_ts(&created_at)?,
            expires_at: parse_ts(&expires_at)?,
            status,
        })
    }
}

fn parse_ts(s: &str) -> DbResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| DbError::Corrupt(format!("timestamp {s:?}: {e}")))
}

fn read_mode(c: &Connection) -> DbResult<ModeState> {
    let body: Option<String> = c
        .query_row("SELECT body FROM mode WHERE id = 1", [], |r| r.get(0))
        .optional()?;
    let mut mode = match body {
        Some(b) => serde_json::from_str(&b).map_err(|e| DbError::Corrupt(format!("mode: {e}")))?,
        None => ModeState::initial(),
    };
    let mut st = c.prepare_cached("SELECT screen, epoch, by, at FROM screen_acks ORDER BY screen")?;
    let rows = st.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, u64>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    mode.acks = rows
        .map(|row| {
            let (screen, epoch, by, at) = row?;
            Ok(ScreenAck {
                screen,
                epoch,
                by,
                at: parse_ts(&at)?,
            })
        })
        .collect::<DbResult<Vec<_>>>()?;
    let mut st = c.prepare_cached("SELECT name FROM screens ORDER BY name")?;
    mode.screens = st
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
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

impl Db {
    /// The current mode with every screen's latest acknowledgement.
    pub fn mode(&self) -> DbResult<ModeState> {
        let mut m = self.with_reader(read_mode)?;
        m.exercise = self.inner.exercise;
        Ok(m)
    }

    /// Reads the current mode inside the write transaction, lets `decide` rule on it, and applies the result:
    /// a new record gets epoch + 1 and a `mode_changed` event. Concurrent switches are serialised by the writer
    /// lock, so `decide` always sees the state it changes.
    pub fn switch_mode<T, E: From<DbError>>(
        &self,
        actor: &str,
        decide: impl FnOnce(&Connection, &ModeState) -> Result<ModeDecision<T>, E>,
        publish: impl FnOnce(&Event, &str),
    ) -> Result<Result<ModeState, T>, E> {
        let mut conn = self.writer();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(DbError::from)?;
        let mut current = read_mode(&tx)?;
        current.exercise = self.inner.exercise;
        let mut next = match decide(&tx, &current)? {
            ModeDecision::Answer(t) => {
                tx.commit().map_err(DbError::from)?;
                return Ok(Err(t));
            }
            ModeDecision::Record(t, body) => {
                let event = Event {
                    server_seq: head(&tx)? + 1,
                    at: Utc::now(),
                    actor: actor.to_string(),
                    body,
                };
                let json = append_event(&tx, &event)?;
                tx.commit().map_err(DbError::from)?;
                publish(&event, &json);
                return Ok(Err(t));
            }
            ModeDecision::Apply(m) => m,
        };
        next.epoch = current.epoch + 1;
        next.exercise = self.inner.exercise;
        next.acks = Vec::new();
        next.screens = Vec::new();
        let body = serde_json::to_string(&next).map_err(|e| DbError::Corrupt(e.to_string()))?;
        tx.execute(
            "INSERT INTO mode (id, body) VALUES (1, ?1) ON CONFLICT(id) DO UPDATE SET body = excluded.body",
            [&body],
        )
        .map_err(DbError::from)?;
        let seq = head(&tx)? + 1;
        let event = Event {
            server_seq: seq,
            at: next.switched_at.unwrap_or_else(Utc::now),
            actor: actor.to_string(),
            body: EventBody::ModeChanged { mode: next.clone() },
        };
        let json = append_event(&tx, &event)?;
        tx.commit().map_err(DbError::from)?;
        publish(&event, &json);
        next.acks = current.acks;
        next.screens = current.screens;
        Ok(Ok(next))
    }

    pub fn insert_proposal(
        tx: &Connection,
        id: uuid::Uuid,
        proposer: &str,
        request: &serde_json::Value,
        created_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> DbResult<()> {
        tx.execute(
            "INSERT INTO mode_proposals (id, proposer, request, created_at, expires_at, status)
             VALUES (?1, ?2, ?3, ?4, ?5, 'pending')",
            params![
                id.to_string(),
                proposer,
                request.to_string(),
                ts(created_at),
                ts(expires_at)
            ],
        )?;
        Ok(())
    }

    pub fn proposal(tx: &Connection, id: uuid::Uuid) -> DbResult<Option<Proposal>> {
        tx.query_row(
            "SELECT id, proposer, request, created_at, expires_at, status FROM mode_proposals WHERE id = ?1",
            [id.to_string()],
            proposal_row,
        )
        .optional()?
        .map(ProposalRow::parse)
        .transpose()
    }

    pub fn set_proposal_status(tx: &Connection, id: uuid::Uuid, status: &str) -> DbResult<()> {
        tx.execute(
            "UPDATE mode_proposals SET status = ?2 WHERE id = ?1",
            params![id.to_string(), status],
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
        self.writer().execute(
            "INSERT INTO mode_audit (at, username, role, action, request, outcome, detail)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                ts(Utc::now()),
                username,
                role.as_str(),
                action,
                request.to_string(),
                outcome,
                detail
            ],
        )?;
        Ok(())
    }

    /// The audit trail, newest first: (at, username, role, action, request, outcome, detail).
    pub fn audit_trail(&self, limit: u32) -> DbResult<Vec<serde_json::Value>> {
        self.with_reader(|c| {
            let mut st = c.prepare_cached(
                "SELECT at, username, role, action, request, outcome, detail FROM mode_audit ORDER BY id DESC LIMIT ?1",
            )?;
            let rows = st.query_map([limit], |r| {
                Ok(serde_json::json!({
                    "at": r.get::<_, String>(0)?,
                    "username": r.get::<_, String>(1)?,
                    "role": r.get::<_, String>(2)?,
                    "action": r.get::<_, String>(3)?,
                    "request": serde_json::from_str::<serde_json::Value>(&r.get::<_, String>(4)?)
                        .unwrap_or(serde_json::Value::Null),
                    "outcome": r.get::<_, String>(5)?,
                    "detail": r.get::<_, String>(6)?,
                }))
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// Records a screen's acknowledgement of `epoch` and appends a `screen_acked` event.
    pub fn ack_screen(&self, ack: ScreenAck, publish: impl FnOnce(&Event, &str)) -> DbResult<Event> {
        let mut conn = self.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO screen_acks (screen, epoch, by, at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(screen) DO UPDATE SET epoch = excluded.epoch, by = excluded.by, at = excluded.at",
            params![ack.screen, ack.epoch, ack.by, ts(ack.at)],
        )?;
        tx.execute(
            "INSERT OR IGNORE INTO screens (name, registered_at, registered_by) VALUES (?1, ?2, ?3)",
            params![ack.screen, ts(ack.at), ack.by],
        )?;
        let seq = head(&tx)? + 1;
        let event = Event {
            server_seq: seq,
            at: ack.at,
            actor: ack.by.clone(),
            body: EventBody::ScreenAcked { ack },
        };
        let json = append_event(&tx, &event)?;
        tx.commit()?;
        publish(&event, &json);
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
        let mut conn = self.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let now = Utc::now();
        let added = tx.execute(
            "INSERT OR IGNORE INTO screens (name, registered_at, registered_by) VALUES (?1, ?2, ?3)",
            params![name, ts(now), by],
        )?;
        if added == 0 {
            return Ok(None);
        }
        let event = Event {
            server_seq: head(&tx)? + 1,
            at: now,
            actor: by.to_string(),
            body: EventBody::ScreenRegistered {
                screen: name.to_string(),
            },
        };
        let json = append_event(&tx, &event)?;
        tx.commit()?;
        publish(&event, &json);
        Ok(Some(event))
    }

    /// Level-I proposals still waiting for a second commander (pending and not expired), oldest first.
    pub fn pending_proposals(&self, now: DateTime<Utc>) -> DbResult<Vec<Proposal>> {
        self.with_reader(|c| {
            let mut st = c.prepare_cached(
                "SELECT id, proposer, request, created_at, expires_at, status FROM mode_proposals
                 WHERE status = 'pending' AND expires_at > ?1 ORDER BY created_at",
            )?;
            let rows = st.query_map([ts(now)], proposal_row)?;
            rows.map(|row| row?.parse()).collect()
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
        use citydeck_protocol::{Op, PushResult, PushStatus};
        let mut conn = self.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let now = Utc::now();
        let client = client_id.to_string();
        let mut results = Vec::with_capacity(items.len());
        let mut events = Vec::new();
        for item in items {
            let (op_id, client_seq) = item.ids();
            // Seen before: repeat the first outcome, apply nothing.
            let seen: Option<(String, Option<String>, Option<u64>)> = tx
                .query_row(
                    "SELECT status, reason, server_seq FROM client_ops WHERE client_id = ?1 AND op_id = ?2",
                    params![client, op_id.to_string()],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            if let Some((status, reason, server_seq)) = seen {
                results.push(PushResult {
                    op_id,
                    status: PushStatus::Duplicate,
                    reason,
                    server_seq,
                    first_status: Some(if status == "applied" {
                        PushStatus::Applied
                    } else {
                        PushStatus::Rejected
                    }),
                });
                continue;
            }
            let taken: Option<String> = tx
                .query_row(
                    "SELECT op_id FROM client_ops WHERE client_id = ?1 AND client_seq = ?2",
                    params![client, client_seq],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(other) = taken {
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
                                Some(id) => read_incident(&tx, id)?.is_some(),
                                None => false,
                            };
                            if clash {
                                Err("an incident with this id exists already".to_string())
                            } else {
                                match insert_incident(&tx, actor, incident, incident_id)? {
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
                            match read_incident(&tx, id)? {
                                None => Err(format!("unknown incident {id}")),
                                Some(mut inc) => {
                                    match citydeck_domain::apply_update(&mut inc, op, actor, now) {
                                        Err(r) => Err(r.message),
                                        Ok(false) => Ok(None),
                                        Ok(true) => Ok(Some(write_update(&tx, actor, inc)?)),
                                    }
                                }
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
            tx.execute(
                "INSERT INTO client_ops (client_id, op_id, client_seq, status, reason, server_seq, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    client,
                    op_id.to_string(),
                    client_seq,
                    if status == PushStatus::Applied {
                        "applied"
                    } else {
                        "rejected"
                    },
                    reason,
                    server_seq,
                    ts(now)
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
        tx.commit()?;
        for (event, json) in &events {
            publish(event, json);
        }
        Ok(results)
    }
}
