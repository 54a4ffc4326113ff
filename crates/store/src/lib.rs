//! The desktop's local cache (rusqlite).
//!
//! Holds the confirmed state received from the hub, so the cockpit opens and works with no network. Schema
//! changes are numbered `.sql` files in `migrations/`, applied in order inside a transaction and recorded in
//! `PRAGMA user_version`; a database from any older version upgrades in place without losing rows.
//!
//! Invariant: events are applied strictly in `server_seq` order, each once. An already-applied event is
//! skipped; in a cache following the whole city an event that would leave a hole is refused with
//! [`StoreError::Gap`] so the sync engine re-pulls. A cache bound to a scope ([`Cache::scope`]) follows a
//! filtered log whose gaps are expected (the hub skips the seqs outside the scope): it takes increasing seqs
//! with gaps, still refuses one out of order ([`StoreError::OutOfOrder`]), and moves its position to the seq a
//! page is known to cover ([`Cache::apply_page`]).

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use citydeck_protocol::ipc::{MapDelta, MapPoint, MapSensor, Summary};
use citydeck_protocol::{
    Event, EventBody, Grade, Incident, IncidentClass, ModeProposal, ModeState, ServerSeq, Stage,
};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

mod alarm;
mod areas;
mod departments;
mod drill;
mod outbox;
mod vitals;
pub use citydeck_protocol::ipc::{OutboxCounts, OutboxEntry, OutboxState};
pub use vitals::{CachedIndicator, CachedPoints, SERIES_WINDOW};

/// (version, SQL). Append only; never edit a released migration.
pub const MIGRATIONS: &[(u32, &str)] = &[
    (1, include_str!("../migrations/0001_init.sql")),
    (2, include_str!("../migrations/0002_outbox.sql")),
    (3, include_str!("../migrations/0003_incident_columns.sql")),
    (4, include_str!("../migrations/0004_feed_order.sql")),
    (5, include_str!("../migrations/0005_team_jobs.sql")),
    (6, include_str!("../migrations/0006_summary_counts.sql")),
    (7, include_str!("../migrations/0007_refusal_codes.sql")),
    (8, include_str!("../migrations/0008_areas.sql")),
    (9, include_str!("../migrations/0009_incident_areas.sql")),
    (10, include_str!("../migrations/0010_vital_signs.sql")),
    (11, include_str!("../migrations/0011_departments.sql")),
];

pub fn latest_version() -> u32 {
    citydeck_migrate::latest(MIGRATIONS)
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cache database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("cache row is corrupt: {0}")]
    Corrupt(String),
    #[error("event {got} does not follow the last applied event {last}: re-pull needed")]
    Gap { last: ServerSeq, got: ServerSeq },
    #[error("event {got} arrived after event {last} of the same batch: re-pull needed")]
    OutOfOrder { last: ServerSeq, got: ServerSeq },
    #[error("cache schema version {found} is newer than this build understands ({supported})")]
    TooNew { found: u32, supported: u32 },
}

pub type Result<T> = std::result::Result<T, StoreError>;

pub struct Cache {
    conn: Connection,
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Sets a `meta` key (insert or replace).
fn put_meta(c: &Connection, key: &str, value: &str) -> Result<()> {
    c.execute(
        "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}

fn read_mode(c: &Connection) -> Result<ModeState> {
    let v: Option<String> = c
        .query_row("SELECT value FROM meta WHERE key = 'mode'", [], |r| r.get(0))
        .optional()?;
    match v {
        None => Ok(ModeState::initial()),
        Some(b) => serde_json::from_str(&b).map_err(|e| StoreError::Corrupt(format!("mode: {e}"))),
    }
}

fn write_mode(c: &Connection, mode: &ModeState) -> Result<()> {
    let body = serde_json::to_string(mode).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    put_meta(c, "mode", &body)
}

fn read_proposals(c: &Connection) -> Result<Vec<ModeProposal>> {
    let v: Option<String> = c
        .query_row("SELECT value FROM meta WHERE key = 'proposals'", [], |r| r.get(0))
        .optional()?;
    match v {
        None => Ok(Vec::new()),
        Some(b) => serde_json::from_str(&b).map_err(|e| StoreError::Corrupt(format!("proposals: {e}"))),
    }
}

fn write_proposals(c: &Connection, p: &[ModeProposal]) -> Result<()> {
    let body = serde_json::to_string(p).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    put_meta(c, "proposals", &body)
}

fn parse_ts(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl From<citydeck_migrate::TooNew> for StoreError {
    fn from(e: citydeck_migrate::TooNew) -> Self {
        StoreError::TooNew {
            found: e.found,
            supported: e.supported,
        }
    }
}

/// Applies every migration newer than the database's `user_version` (the runner shared with the hub).
pub fn migrate(conn: &mut Connection) -> Result<u32> {
    citydeck_migrate::sqlite(conn, MIGRATIONS)
}

impl Cache {
    pub fn open(path: &Path) -> Result<Cache> {
        let conn = Connection::open(path)?;
        Self::init(conn)
    }

    pub fn open_in_memory() -> Result<Cache> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Cache> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // WAL + FULL: the confirmed state could be pulled again, but the outbox holds user actions that exist
        // nowhere else, so a commit must survive a power cut.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        migrate(&mut conn)?;
        Ok(Cache { conn })
    }

    pub fn schema_version(&self) -> Result<u32> {
        Ok(self.conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    /// Writes a consistent copy of the confirmed state to the new file `out`, for another desktop to start
    /// from (a field bundle): incidents, mode, log position and data age — but not this desktop's identity,
    /// account or outbox (its pending actions are its own and leave from here; a copy pushing them too would
    /// collide with this desktop's `client_seq`s).
    pub fn export_confirmed(&self, out: &Path) -> Result<()> {
        let target = out
            .to_str()
            .ok_or_else(|| StoreError::Corrupt(format!("{} is not a UTF-8 path", out.display())))?;
        self.conn.execute("VACUUM INTO ?1", [target])?;
        let copy = Connection::open(out)?;
        copy.execute_batch(
            "DELETE FROM outbox;
             DELETE FROM meta WHERE key IN ('client_id', 'account', 'last_push_at');
             VACUUM;",
        )?;
        Ok(())
    }

    pub fn last_seq(&self) -> Result<ServerSeq> {
        match self.meta("last_seq")? {
            None => Ok(0),
            Some(s) => s
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("last_seq {s:?}"))),
        }
    }

    pub fn last_sync_at(&self) -> Result<Option<DateTime<Utc>>> {
        self.meta("last_sync_at")?.map(|s| parse_ts(&s)).transpose()
    }

    /// Records that the hub was heard from at `at` (also when nothing new arrived).
    pub fn touch_sync(&self, at: DateTime<Utc>) -> Result<()> {
        put_meta(&self.conn, "last_sync_at", &ts(at))?;
        Ok(())
    }

    /// The hub this cache was filled from. A cache is bound to one hub's log: seqs mean nothing elsewhere.
    pub fn hub_identity(&self) -> Result<Option<String>> {
        self.meta("hub")
    }

    pub fn set_hub_identity(&self, hub: &str) -> Result<()> {
        put_meta(&self.conn, "hub", hub)?;
        Ok(())
    }

    /// Identity of the hub log this cache follows (see `Health::log_id`).
    pub fn log_id(&self) -> Result<Option<String>> {
        self.meta("log_id")
    }

    /// Binds the cache to `log_id`. If it was filled from a different log (the hub's database was replaced),
    /// the confirmed state is dropped so it can be pulled again from seq 0; returns whether that happened.
    /// The outbox is kept: pending actions are the user's and go to whatever hub this is.
    pub fn bind_log(&mut self, log_id: &str) -> Result<bool> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let old: Option<String> = tx
            .query_row("SELECT value FROM meta WHERE key = 'log_id'", [], |r| r.get(0))
            .optional()?;
        let reset = matches!(&old, Some(o) if o != log_id);
        if reset {
            drop_confirmed(&tx)?;
        }
        put_meta(&tx, "log_id", log_id)?;
        tx.commit()?;
        Ok(reset)
    }

    /// Applies events in one transaction. Returns how many were new. Events at or before the cache's position
    /// are skipped (a retried delivery). An unscoped cache stops with [`StoreError::Gap`] (having applied
    /// nothing of this batch) if the batch does not continue from the last applied seq; a scoped one takes any
    /// increasing seqs (its feed skips the events outside the scope) and stops with [`StoreError::OutOfOrder`]
    /// on a seq lower than one the batch applied before it.
    pub fn apply_events(&mut self, events: &[Event], received_at: DateTime<Utc>) -> Result<usize> {
        self.apply_page(events, 0, received_at)
    }

    /// [`Cache::apply_events`], then, for a scoped cache, moves its position on to `through` when that is
    /// further: the hub says the page held every event of the scope up to `through` (a short page of
    /// `GET /events`: its `head`), so the seqs skipped up to there are not the scope's and the next pull starts
    /// after them. In the same transaction as the events. Never moves back (`0`, or a `through` behind the
    /// position, changes nothing).
    ///
    /// An unscoped cache ignores `through`: its log is gap-free, so its position moves only with the events it
    /// applied — a `through` past them would claim events it has not got, and the next pull or the stream asks
    /// for them anyway.
    pub fn apply_page(
        &mut self,
        events: &[Event],
        through: ServerSeq,
        received_at: DateTime<Utc>,
    ) -> Result<usize> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut last: ServerSeq = tx
            .query_row("SELECT value FROM meta WHERE key = 'last_seq'", [], |r| {
                r.get::<_, String>(0)
            })
            .optional()?
            .map(|s| {
                s.parse()
                    .map_err(|_| StoreError::Corrupt(format!("last_seq {s:?}")))
            })
            .transpose()?
            .unwrap_or(0);
        let scoped = tx
            .query_row("SELECT 1 FROM meta WHERE key = 'scope'", [], |_| Ok(()))
            .optional()?
            .is_some();
        let before = last;
        let mut applied = 0;
        for ev in events {
            if ev.server_seq <= before || ev.server_seq == last {
                // Already applied: before this batch, or just now (a repeat).
                continue;
            }
            if ev.server_seq < last {
                if !scoped {
                    // As before scopes: the log is gap-free, so anything not after the last one was applied.
                    continue;
                }
                return Err(StoreError::OutOfOrder {
                    last,
                    got: ev.server_seq,
                });
            }
            if ev.server_seq != last + 1 && !scoped {
                return Err(StoreError::Gap {
                    last,
                    got: ev.server_seq,
                });
            }
            match &ev.body {
                EventBody::IncidentCreated { incident }
                | EventBody::IncidentUpdated { incident }
                | EventBody::IncidentRegraded { incident, .. }
                | EventBody::IndicatorEpisodeEnded { incident, .. }
                | EventBody::IncidentOverdue { incident, .. }
                | EventBody::IncidentEscalated { incident, .. }
                | EventBody::AlertUpdated { incident, .. }
                | EventBody::AlertCancelled { incident, .. }
                | EventBody::ReportMerged { incident, .. }
                | EventBody::IncidentVerified { incident, .. }
                | EventBody::ReportSplit { incident, .. } => {
                    let body =
                        serde_json::to_string(incident).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    tx.prepare_cached(
                        "INSERT INTO incidents
                           (id, seq, status, class, grade, created_at, body, source, assignee, lon, lat,
                            department, overdue, stage_due_at, rung)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
                         ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, status = excluded.status,
                           class = excluded.class, grade = excluded.grade, body = excluded.body,
                           source = excluded.source, assignee = excluded.assignee,
                           lon = excluded.lon, lat = excluded.lat, department = excluded.department,
                           overdue = excluded.overdue, stage_due_at = excluded.stage_due_at,
                           rung = excluded.rung",
                    )?
                    .execute(params![
                        incident.id.to_string(),
                        ev.server_seq,
                        incident.status.as_str(),
                        incident.class.as_str(),
                        incident.grade.as_str(),
                        ts(incident.created_at),
                        body,
                        incident.source,
                        incident.assignee,
                        incident.location.lon,
                        incident.location.lat,
                        incident.department,
                        incident.overdue,
                        incident.stage_due_at.map(ts),
                        incident.escalation.as_ref().map_or(0, |e| e.rung),
                    ])?;
                    drill::index_areas(&tx, incident)?;
                }
                EventBody::ModeChanged { mode } => {
                    // Screens keep their latest acknowledgement across switches (that is how a screen still
                    // showing the old epoch is seen to lag), as on the hub; the event carries neither.
                    let before = read_mode(&tx)?;
                    // The current mode may have been adopted ahead of the backlog (see `adopt_mode`): an older
                    // switch replayed later must not take it back.
                    if mode.epoch > before.epoch {
                        let mut mode = mode.clone();
                        mode.acks = before.acks;
                        mode.screens = before.screens;
                        write_mode(&tx, &mode)?;
                    }
                    if let Some(id) = mode.proposal_id {
                        let mut p = read_proposals(&tx)?;
                        p.retain(|p| p.proposal_id != id);
                        write_proposals(&tx, &p)?;
                    }
                }
                EventBody::ScreenAcked { ack } => {
                    let mut mode = read_mode(&tx)?;
                    merge_ack(&mut mode, ack);
                    write_mode(&tx, &mode)?;
                }
                EventBody::ScreenRegistered { screen } => {
                    let mut mode = read_mode(&tx)?;
                    add_screen(&mut mode, screen);
                    write_mode(&tx, &mode)?;
                }
                EventBody::ModeProposed { proposal } => {
                    let mut p = read_proposals(&tx)?;
                    // Bounded: drop proposals long expired so the list cannot grow without end.
                    p.retain(|p| p.expires_at > received_at - Duration::hours(1));
                    p.push(proposal.clone());
                    write_proposals(&tx, &p)?;
                }
                // A kind this build does not know: its seq still counts as seen.
                EventBody::Unknown => {}
            }
            last = ev.server_seq;
            applied += 1;
        }
        if scoped {
            last = last.max(through);
        }
        put_meta(&tx, "last_seq", &last.to_string())?;
        put_meta(&tx, "last_sync_at", &ts(received_at))?;
        tx.commit()?;
        Ok(applied)
    }

    /// The city's mode as last received (initial peacetime before any `mode_changed`). On a drill hub's cache
    /// it says `exercise` from the first contact, before any switch.
    pub fn mode(&self) -> Result<ModeState> {
        let mut m = read_mode(&self.conn)?;
        m.exercise |= self.meta("exercise")?.as_deref() == Some("true");
        Ok(m)
    }

    /// Adopts the hub's current mode record (`GET /api/v1/mode`) ahead of the event backlog, so a screen that was
    /// offline shows the current mode first thing on reconnect. Only a newer epoch replaces the cached one; acks
    /// and screens are merged. Returns whether the cached mode changed.
    pub fn adopt_mode(&mut self, current: &ModeState) -> Result<bool> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let before = read_mode(&tx)?;
        let mut next = if current.epoch > before.epoch {
            current.clone()
        } else {
            before.clone()
        };
        for ack in &current.acks {
            merge_ack(&mut next, ack);
        }
        for s in before.screens.iter().chain(&current.screens) {
            add_screen(&mut next, s);
        }
        let changed = next != before;
        if changed {
            write_mode(&tx, &next)?;
        }
        tx.commit()?;
        Ok(changed)
    }

    /// Remembers the account this desktop last signed in as, and its role, so a window opened offline still
    /// knows what its user may do (the hub checks again when the actions are pushed).
    pub fn set_account(&self, username: &str, role: citydeck_protocol::Role) -> Result<()> {
        put_meta(&self.conn, "account", &format!("{username}\t{}", role.as_str()))
    }

    /// The account and role last signed in as (see [`Cache::set_account`]).
    pub fn account(&self) -> Result<Option<(String, citydeck_protocol::Role)>> {
        Ok(self.meta("account")?.and_then(|v| {
            let (user, role) = v.split_once('\t')?;
            Some((user.to_string(), citydeck_protocol::Role::parse(role)?))
        }))
    }

    /// Records whether the hub this cache follows runs a drill (`Health::exercise`).
    pub fn set_exercise(&self, exercise: bool) -> Result<()> {
        put_meta(&self.conn, "exercise", if exercise { "true" } else { "false" })
    }

    /// Level-I proposals waiting for a second commander as of `now` (not applied, not expired), oldest first.
    pub fn pending_proposals(&self, now: DateTime<Utc>) -> Result<Vec<ModeProposal>> {
        let mut p = read_proposals(&self.conn)?;
        p.retain(|p| p.expires_at > now);
        Ok(p)
    }

    /// Incidents located inside `bounds` (west, south, east, north): (all, open).
    pub fn counts_in_area(&self, bounds: [f64; 4]) -> Result<(u64, u64)> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*), COALESCE(SUM(status != 'closed'), 0) FROM incidents
             WHERE lon BETWEEN ?1 AND ?3 AND lat BETWEEN ?2 AND ?4",
            params![bounds[0], bounds[1], bounds[2], bounds[3]],
            |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
        )?)
    }

    /// Open incidents, newest reported first (the hub's `created_at`; an update does not move an incident).
    pub fn open_incidents(&self, limit: u32) -> Result<Vec<Incident>> {
        let mut st = self.conn.prepare_cached(
            "SELECT body FROM incidents WHERE status != 'closed' ORDER BY created_at DESC, seq DESC LIMIT ?1",
        )?;
        let rows = st.query_map([limit], |r| r.get::<_, String>(0))?;
        rows.map(|b| serde_json::from_str(&b?).map_err(|e| StoreError::Corrupt(e.to_string())))
            .collect()
    }

    /// What the map must change since it drew the cache as of `after`: incidents changed after it (open ones as
    /// points with their outline — a CAP alert's area, read from the stored body: no query filters on it —,
    /// closed ones as removals), plus the cache's `last_seq` to ask from next time. `after` beyond the
    /// cache's head (the cache was reset onto another hub log) or 0 gives everything with `full = true`.
    pub fn map_delta(&self, after: ServerSeq) -> Result<MapDelta> {
        let last = self.last_seq()?;
        let full = after == 0 || after > last;
        let from = if full { 0 } else { after };
        let mut st = self
            .conn
            .prepare_cached("SELECT id, status, body FROM incidents WHERE seq > ?1 ORDER BY seq")?;
        let mut rows = st.query([from])?;
        let mut delta = MapDelta {
            seq: last,
            full,
            ..MapDelta::default()
        };
        while let Some(row) = rows.next()? {
            let id: String = row.get(0)?;
            let status: String = row.get(1)?;
            let corrupt = |e: String| StoreError::Corrupt(format!("incident {id}: {e}"));
            if status == Stage::Closed.as_str() {
                if !full {
                    delta
                        .removed
                        .push(id.parse().map_err(|e: uuid::Error| corrupt(e.to_string()))?);
                }
                continue;
            }
            let body: String = row.get(2)?;
            let i: Incident = serde_json::from_str(&body).map_err(|e| corrupt(e.to_string()))?;
            delta.upserts.push(MapPoint::from(&i));
        }
        Ok(delta)
    }

    /// For each of `assignees` (team ids), the open incident most recently assigned to it or changed while
    /// assigned, if any: what the map needs to place the teams. One index probe per team (cache schema 5), so
    /// it costs the same with ten or ten thousand open assignments.
    pub fn current_jobs<S: AsRef<str>>(&self, assignees: &[S]) -> Result<Vec<Incident>> {
        let mut st = self.conn.prepare_cached(
            "SELECT body FROM incidents WHERE assignee = ?1 AND status != 'closed' ORDER BY seq DESC LIMIT 1",
        )?;
        let mut out = Vec::new();
        for a in assignees {
            if let Some(body) = st.query_row([a.as_ref()], |r| r.get::<_, String>(0)).optional()? {
                out.push(serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(e.to_string()))?);
            }
        }
        Ok(out)
    }

    /// The city sensors that have reported (incidents from the `iot-sensor` source), one site per location,
    /// the `limit` most recently reporting: `alarm` while a report of the site is open (value = open reports),
    /// else `normal`.
    pub fn sensor_sites(&self, limit: u32) -> Result<Vec<MapSensor>> {
        let mut st = self.conn.prepare_cached(
            "SELECT lon, lat,
                    COALESCE(json_extract(body, '$.address'), json_extract(body, '$.title')),
                    class, SUM(status != 'closed'), MAX(seq) AS last
             FROM incidents WHERE source = 'iot-sensor'
             GROUP BY lon, lat ORDER BY last DESC LIMIT ?1",
        )?;
        let rows = st.query_map([limit], |r| {
            let lon: f64 = r.get(0)?;
            let lat: f64 = r.get(1)?;
            let open: u32 = r.get(4)?;
            Ok(MapSensor {
                id: format!("iot-{lon:.5}-{lat:.5}"),
                name: r.get(2)?,
                kind: r.get(3)?,
                value: f64::from(open),
                unit: "open alerts".into(),
                state: if open > 0 { "alarm" } else { "normal" }.into(),
                lon,
                lat,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn incident(&self, id: &str) -> Result<Option<Incident>> {
        let body: Option<String> = self
            .conn
            .query_row("SELECT body FROM incidents WHERE id = ?1", [id], |r| r.get(0))
            .optional()?;
        body.map(|b| serde_json::from_str(&b).map_err(|e| StoreError::Corrupt(e.to_string())))
            .transpose()
    }

    pub fn incident_count(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM incidents", [], |r| r.get(0))?)
    }

    /// Counts for the cockpit's summary panels (open incidents only).
    pub fn summary(&self, now: DateTime<Utc>) -> Result<Summary> {
        // One pass over the `incidents_counts` index (schema 6): every (stage, class, grade) with its count.
        let mut stmt = self.conn.prepare_cached(
            "SELECT status, class, grade, COUNT(*) FROM incidents \
             WHERE status != 'closed' GROUP BY status, class, grade",
        )?;
        let rows = stmt.query([])?;
        let last_hour: u64 = self.conn.query_row(
            "SELECT COUNT(*) FROM incidents WHERE created_at >= ?1",
            [ts(now - Duration::hours(1))],
            |r| r.get(0),
        )?;
        summary_of(rows, last_hour)
    }
}

/// The summary panels' counts from rows of (stage, class, grade, count) of open incidents.
fn summary_of(mut rows: rusqlite::Rows<'_>, last_hour: u64) -> Result<Summary> {
    let mut by_class: Vec<(IncidentClass, u64)> = IncidentClass::ALL.into_iter().map(|c| (c, 0)).collect();
    let mut by_grade: Vec<(Grade, u64)> = Grade::ALL.into_iter().map(|g| (g, 0)).collect();
    let mut by_stage: Vec<(Stage, u64)> = Stage::ALL
        .into_iter()
        .filter(|s| *s != Stage::Closed)
        .map(|s| (s, 0))
        .collect();
    while let Some(r) = rows.next()? {
        let (st, cl, gr): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
        let n: u64 = r.get(3)?;
        // A value this build does not know (a newer hub's) is counted nowhere rather than misfiled.
        if let Some(e) = by_stage.iter_mut().find(|(x, _)| x.as_str() == st) {
            e.1 += n;
        }
        if let Some(e) = by_class.iter_mut().find(|(x, _)| x.as_str() == cl) {
            e.1 += n;
        }
        if let Some(e) = by_grade.iter_mut().find(|(x, _)| x.as_str() == gr) {
            e.1 += n;
        }
    }
    let total_open = by_class.iter().map(|c| c.1).sum();
    Ok(Summary {
        total_open,
        by_class,
        by_grade,
        by_stage,
        last_hour,
    })
}

/// Drops the confirmed state (incidents, log position, mode, proposals) so it is pulled again from seq 0; the
/// outbox, the account and the areas stay.
fn drop_confirmed(c: &Connection) -> Result<()> {
    c.execute("DELETE FROM incidents", [])?;
    c.execute("DELETE FROM incident_areas", [])?;
    c.execute(
        "DELETE FROM meta WHERE key IN ('last_seq', 'mode', 'proposals')",
        [],
    )?;
    Ok(())
}

/// Keeps `ack` as its screen's latest unless the cache already has a newer epoch for that screen (an ack
/// replayed from the backlog must not take back one adopted ahead of it); the screen becomes known.
fn merge_ack(mode: &mut ModeState, ack: &citydeck_protocol::ScreenAck) {
    let newer = mode
        .acks
        .iter()
        .find(|a| a.screen == ack.screen)
        .is_none_or(|a| a.epoch <= ack.epoch);
    if newer {
        mode.acks.retain(|a| a.screen != ack.screen);
        mode.acks.push(ack.clone());
        mode.acks.sort_by(|a, b| a.screen.cmp(&b.screen));
    }
    add_screen(mode, &ack.screen);
}

fn add_screen(mode: &mut ModeState, screen: &str) {
    if let Err(at) = mode.screens.binary_search_by(|s| s.as_str().cmp(screen)) {
        mode.screens.insert(at, screen.to_string());
    }
}

#[cfg(test)]
mod departments_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod vitals_tests;
