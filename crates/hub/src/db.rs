//! Embedded SQLite backend: the append-only log and its projections.
//!
//! One writer connection behind a mutex assigns `server_seq = head + 1` inside the write transaction, so the
//! log is gap-free and totally ordered; the transaction commits with `synchronous=FULL` in WAL mode before the
//! caller is answered. Readers use their own connections (WAL lets them run beside the writer).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use citydeck_protocol::{Event, EventBody, Incident, NewIncident, Role, ServerSeq};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

const MIGRATIONS: &[(u32, &str)] = &[
    (1, include_str!("../migrations/0001_init.sql")),
    (2, include_str!("../migrations/0002_log_id.sql")),
];

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("database file {path}: {message}")]
    Open { path: PathBuf, message: String },
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

impl Db {
    pub fn open(path: &Path) -> DbResult<Db> {
        let mut writer = open_conn(path)?;
        migrate(&mut writer)?;
        writer.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('log_id', ?1)",
            [uuid::Uuid::new_v4().to_string()],
        )?;
        let log_id: String =
            writer.query_row("SELECT value FROM meta WHERE key = 'log_id'", [], |r| r.get(0))?;
        let readers = (0..4)
            .map(|_| open_conn(path).map(Mutex::new))
            .collect::<DbResult<Vec<_>>>()?;
        Ok(Db {
            inner: Arc::new(Inner {
                log_id,
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
                return Ok(Created::Existing(Box::new(inc)));
            }
        }
        let seq = head(&tx)? + 1;
        let now = Utc::now();
        let incident = Incident {
            id: uuid::Uuid::now_v7(),
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
        let ev_json = append_event(&tx, &event)?;
        tx.commit()?;
        publish(&event, &ev_json);
        Ok(Created::New(Box::new(event)))
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
        self.with_reader(|c| {
            let body: Option<String> = c
                .query_row(
                    "SELECT body FROM incidents WHERE id = ?1",
                    [id.to_string()],
                    |r| r.get(0),
                )
                .optional()?;
            body.map(|b| serde_json::from_str(&b).map_err(|e| DbError::Corrupt(format!("incident: {e}"))))
                .transpose()
        })
    }
}

fn head(c: &Connection) -> DbResult<ServerSeq> {
    Ok(
        c.query_row("SELECT COALESCE(MAX(server_seq), 0) FROM events", [], |r| {
            r.get(0)
        })?,
    )
}

fn append_event(tx: &Connection, event: &Event) -> DbResult<String> {
    let json = serde_json::to_string(event).map_err(|e| DbError::Corrupt(e.to_string()))?;
    tx.execute(
        "INSERT INTO events (server_seq, kind, at, actor, body) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![event.server_seq, event.kind(), ts(event.at), event.actor, json],
    )?;
    Ok(json)
}
