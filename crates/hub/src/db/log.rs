//! The log and its incident projection: appending events (`head + 1`, inside the write transaction), creating
//! and updating incidents, reading the log back.

use chrono::Utc;
use citydeck_protocol::{Event, EventBody, Incident, NewIncident, ServerSeq};

use super::Db;
use crate::error::{DbError, DbResult};
use crate::sql::{p, ts, Sql};

/// Result of an incident create.
pub enum Created {
    /// A new incident and the event that recorded it.
    New(Box<Event>),
    /// `(source, external_id)` was already known: the existing incident, nothing appended.
    Existing(Box<Incident>),
}

impl Db {
    pub fn head(&self) -> DbResult<ServerSeq> {
        self.read(head)
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

pub(super) fn head(c: &mut dyn Sql) -> DbResult<ServerSeq> {
    c.row("SELECT COALESCE(MAX(server_seq), 0) FROM events", &[])?
        .ok_or_else(|| DbError::Corrupt("no head".into()))?
        .uint(0)
}

/// Inserts a new incident and appends its `incident_created` event inside `tx`; for a known
/// `(source, external_id)` returns the existing incident and appends nothing. `id`: the client's choice (outbox
/// creates), else a new UUIDv7.
pub(super) fn insert_incident(
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
    let id = id.unwrap_or_else(uuid::Uuid::now_v7);
    let incident = citydeck_domain::incident::from_request(id, new, actor, now, seq);
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

pub(super) fn read_incident(tx: &mut dyn Sql, id: uuid::Uuid) -> DbResult<Option<Incident>> {
    tx.row("SELECT body FROM incidents WHERE id = ?1", p![&id.to_string()])?
        .map(|mut r| {
            serde_json::from_str(&r.text(0)?).map_err(|e| DbError::Corrupt(format!("incident: {e}")))
        })
        .transpose()
}

/// Writes a changed incident with the next seq and appends its `incident_updated` event inside `tx`.
pub(super) fn write_update(
    tx: &mut dyn Sql,
    actor: &str,
    mut incident: Incident,
) -> DbResult<(Event, String)> {
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

pub(super) fn append_event(tx: &mut dyn Sql, event: &Event) -> DbResult<String> {
    let json = serde_json::to_string(event).map_err(|e| DbError::Corrupt(e.to_string()))?;
    tx.exec(
        "INSERT INTO events (server_seq, kind, at, actor, body) VALUES (?1, ?2, ?3, ?4, ?5)",
        p![event.server_seq, event.kind(), &ts(event.at), &event.actor, &json],
    )?;
    tx.appended(event.server_seq);
    Ok(json)
}
