//! The log and its incident projection: appending events (`head + 1`, inside the write transaction), creating
//! and updating incidents, reading the log back.

use chrono::Utc;
use citydeck_protocol::{Event, EventBody, Incident, NewIncident, Refusal, ServerSeq};

use super::Db;
use crate::error::{DbError, DbResult};
use crate::sql::{p, ts, Sql};
use citydeck_domain::stage_clock::{LoopRules, Tick};

/// Result of an incident create.
pub enum Created {
    /// A new incident and the event that recorded it.
    New(Box<Event>),
    /// `(source, external_id)` was already known: the existing incident, nothing appended.
    Existing(Box<Incident>),
    /// A report of an open incident's event from another source: it joined that incident (`report_merged`,
    /// issue 22).
    Joined(Box<Event>),
}

impl Db {
    pub fn head(&self) -> DbResult<ServerSeq> {
        self.read(head)
    }

    /// Appends `incident_created` for a new incident (in the areas holding its location), or returns the
    /// existing one for a known `(source, external_id)`; refused `out_of_scope` when the account is scoped to an
    /// area (`scope`) that does not hold it. `publish` runs while the writer lock is still held, so events are
    /// published in `server_seq` order.
    pub fn create_incident(
        &self,
        actor: &str,
        scope: Option<&str>,
        new: NewIncident,
        publish: impl FnOnce(&Event, &str),
    ) -> DbResult<Result<Created, Refusal>> {
        let rule = self.merge_rule();
        let r = self.write(
            |tx| super::merge::take_report(tx, &self.limits(), &rule, actor, scope, new, |_, _| {}),
            |r| match r {
                Ok(super::merge::Taken::New(e)) | Ok(super::merge::Taken::Joined(e)) => publish(&e.0, &e.1),
                _ => {}
            },
        )?;
        Ok(r.map(|taken| match taken {
            super::merge::Taken::New(e) => Created::New(Box::new(e.0)),
            super::merge::Taken::Joined(e) => Created::Joined(Box::new(e.0)),
            super::merge::Taken::Existing(existing) => Created::Existing(existing),
        }))
    }

    /// Events with `server_seq > after`, oldest first, at most `limit`, as stored JSON; for an account scoped to
    /// an area (`scope`), only those about incidents in it and those about no incident.
    pub fn events_after_json(
        &self,
        after: ServerSeq,
        limit: u32,
        scope: Option<&str>,
    ) -> DbResult<Vec<(ServerSeq, String)>> {
        self.read(|c| {
            let rows = match scope {
                None => c.rows(
                    "SELECT server_seq, body FROM events WHERE server_seq > ?1 ORDER BY server_seq LIMIT ?2",
                    p![after, limit],
                )?,
                // Two ordered index ranges (the area's events, the events about no incident), each cut to the
                // page, merged.
                Some(area) => c.rows(
                    "SELECT server_seq, body FROM events WHERE server_seq IN (
                         SELECT server_seq FROM (SELECT server_seq FROM event_areas
                             WHERE area_id = ?3 AND server_seq > ?1 ORDER BY server_seq LIMIT ?2) AS scoped
                         UNION ALL
                         SELECT server_seq FROM (SELECT server_seq FROM events
                             WHERE incident_id IS NULL AND server_seq > ?1 ORDER BY server_seq LIMIT ?2) AS global)
                     ORDER BY server_seq LIMIT ?2",
                    p![after, limit, area],
                )?,
            };
            rows.into_iter().map(|mut r| Ok((r.uint(0)?, r.text(1)?))).collect()
        })
    }

    /// The incidents most recently changed first, at most `limit`; for an account scoped to an area (`scope`),
    /// only those in it.
    pub fn incidents(&self, limit: u32, scope: Option<&str>) -> DbResult<Vec<Incident>> {
        self.read(|c| {
            let rows = match scope {
                None => c.rows("SELECT body FROM incidents ORDER BY seq DESC LIMIT ?1", p![limit])?,
                Some(area) => c.rows(
                    "SELECT i.body FROM incident_areas a JOIN incidents i ON i.id = a.incident_id
                     WHERE a.area_id = ?2 ORDER BY a.seq DESC LIMIT ?1",
                    p![limit, area],
                )?,
            };
            rows.into_iter()
                .map(|mut r| {
                    serde_json::from_str(&r.text(0)?).map_err(|e| DbError::Corrupt(format!("incident: {e}")))
                })
                .collect()
        })
    }

    /// The closed loop's clock (督办, issue 24): every incident still in its stage at `now` after its
    /// `stage_due_at` and not yet marked for this stay is marked `overdue` with one `incident_overdue` event;
    /// one still there a whole limit later climbs the escalation ladder with one `incident_escalated` event per
    /// rung (`domain::stage_clock::tick`). At most `limit` per call, in one write transaction (exclusive on both engines: a stay is marked once however
    /// many replicas tick). Returns the events appended; `publish` runs for each as for any write.
    pub fn mark_overdue(
        &self,
        now: chrono::DateTime<Utc>,
        limit: u32,
        publish: impl Fn(&Event, &str),
    ) -> DbResult<Vec<(Event, String)>> {
        let limits = self.limits();
        // Most ticks find nothing due: a read of the index says so without taking the writer.
        let stamp = ts(now);
        let any = self.read(|c| {
            c.row(
                "SELECT 1 FROM incidents WHERE due_at IS NOT NULL AND due_at <= ?1 LIMIT 1",
                p![&stamp],
            )
        })?;
        if any.is_none() {
            return Ok(Vec::new());
        }
        self.write(
            |tx| -> DbResult<Vec<(Event, String)>> {
                let due = tx.rows(
                    "SELECT id FROM incidents WHERE due_at IS NOT NULL AND due_at <= ?1 ORDER BY due_at LIMIT ?2",
                    p![&ts(now), limit],
                )?;
                let mut events = Vec::with_capacity(due.len());
                for mut row in due {
                    let id = row.text(0)?;
                    let id = uuid::Uuid::parse_str(&id).map_err(|e| DbError::Corrupt(format!("incident id: {e}")))?;
                    let Some(mut incident) = read_incident(tx, id)? else {
                        continue;
                    };
                    let stage = incident.status;
                    // the limits in force now (a restart may have brought others), then the ladder
                    citydeck_domain::stage_clock::stamp(&mut incident, Some(stage), &limits.limits, now);
                    let tick = citydeck_domain::stage_clock::tick(&mut incident, &limits, now);
                    events.push(write_incident(tx, &limits, "hub", incident, |incident| match tick {
                        Tick::Overdue => EventBody::IncidentOverdue {
                            incident_id: incident.id,
                            due_at: incident.stage_due_at.unwrap_or(now),
                            incident,
                            stage,
                        },
                        Tick::Escalate(e) => EventBody::IncidentEscalated {
                            incident_id: incident.id,
                            incident,
                            stage,
                            rung: e.rung,
                            department: e.department,
                            area_id: e.area_id,
                        },
                        // due by the index but not by its incident (its limits changed since): its next look is
                        // written, said as an update
                        Tick::Nothing => EventBody::IncidentUpdated { incident },
                    })?);
                }
                Ok(events)
            },
            |events| {
                for (ev, json) in events {
                    publish(ev, json);
                }
            },
        )
    }

    /// 考核 over `[from, to)`: every department's scores from the facts the writes kept (`loop_facts`,
    /// `domain::evaluation`), the city's departments first in their listed order.
    pub fn evaluation(
        &self,
        from: chrono::DateTime<Utc>,
        to: chrono::DateTime<Utc>,
    ) -> DbResult<Vec<citydeck_protocol::closed_loop::DepartmentScore>> {
        use citydeck_domain::evaluation::{scores, FactKind, Tally};
        let order: Vec<String> = citydeck_domain::departments::views(&self.limits().departments)
            .into_iter()
            .map(|d| d.id)
            .collect();
        let (from, to) = (ts(from), ts(to));
        self.read(|c| {
            let mut tallies: std::collections::BTreeMap<String, Tally> = Default::default();
            for mut r in c.rows(
                "SELECT department, kind, COUNT(*) FROM loop_facts
                 WHERE at >= ?1 AND at < ?2 AND kind <> 'left' GROUP BY department, kind",
                p![&from, &to],
            )? {
                let (dept, kind, n) = (r.text(0)?, r.text(1)?, r.uint(2)?);
                if let Some(kind) = FactKind::parse(&kind) {
                    *tallies.entry(dept).or_default().counts.entry(kind).or_default() += n;
                }
            }
            for mut r in c.rows(
                "SELECT department, stage, minutes FROM loop_facts WHERE at >= ?1 AND at < ?2 AND kind = 'left'",
                p![&from, &to],
            )? {
                let (dept, stage, minutes) = (r.text(0)?, r.opt_text(1)?, r.real(2)?);
                tallies.entry(dept).or_default().add(
                    FactKind::Left,
                    stage.as_deref().and_then(citydeck_protocol::Stage::parse),
                    Some(minutes),
                );
            }
            Ok(scores(&order, tallies))
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

/// An incident inserted (with its event and the event's JSON), or the existing one with the same
/// `(source, external_id)`.
pub(super) type Inserted = Result<(Event, String), Box<Incident>>;

/// Inserts a new incident, in the areas holding its location, and appends its `incident_created` event inside
/// `tx`; for a known `(source, external_id)` returns the existing incident and appends nothing. Refused
/// `out_of_scope` (nothing written) when `scope` holds neither the new location nor the existing incident.
/// `id`: the client's choice (outbox creates), else a new UUIDv7.
pub(super) fn insert_incident(
    tx: &mut dyn Sql,
    limits: &LoopRules,
    actor: &str,
    scope: Option<&str>,
    new: NewIncident,
    id: Option<uuid::Uuid>,
) -> DbResult<Result<Inserted, Refusal>> {
    insert_incident_with(tx, limits, actor, scope, new, id, |_| {})
}

/// [`insert_incident`], with `extra` filling in what a new-incident request cannot say (a CAP alert's record
/// and outline) before the incident is written.
pub(super) fn insert_incident_with(
    tx: &mut dyn Sql,
    limits: &LoopRules,
    actor: &str,
    scope: Option<&str>,
    new: NewIncident,
    id: Option<uuid::Uuid>,
    extra: impl FnOnce(&mut Incident),
) -> DbResult<Result<Inserted, Refusal>> {
    let area_ids = super::areas::areas_at(tx, new.lon, new.lat)?;
    if let Err(refusal) = citydeck_domain::scope::check(scope, &area_ids) {
        return Ok(Err(refusal));
    }
    if let Some(ext) = &new.external_id {
        let existing = tx.row(
            "SELECT body FROM incidents WHERE source = ?1 AND external_id = ?2",
            p![&new.source, ext],
        )?;
        if let Some(mut row) = existing {
            let inc: Incident = serde_json::from_str(&row.text(0)?)
                .map_err(|e| DbError::Corrupt(format!("incident: {e}")))?;
            return Ok(citydeck_domain::scope::check(scope, &inc.area_ids).map(|()| Err(Box::new(inc))));
        }
    }
    let seq = head(tx)? + 1;
    let now = Utc::now();
    let id = id.unwrap_or_else(uuid::Uuid::now_v7);
    let mut incident = citydeck_domain::incident::from_request(id, new, actor, now, seq);
    incident.area_ids = area_ids;
    extra(&mut incident);
    citydeck_domain::stage_clock::stamp(&mut incident, None, &limits.limits, now);
    let inc_json = serde_json::to_string(&incident).map_err(|e| DbError::Corrupt(e.to_string()))?;
    let inc_id = incident.id.to_string();
    tx.exec(
        "INSERT INTO incidents (id, source, external_id, status, seq, body, due_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        p![
            &inc_id,
            &incident.source,
            incident.external_id.as_ref(),
            incident.status.as_str(),
            seq,
            &inc_json,
            citydeck_domain::stage_clock::pending(&incident, limits)
                .map(ts)
                .as_ref()
        ],
    )?;
    for area in &incident.area_ids {
        tx.exec(
            "INSERT INTO incident_areas (incident_id, area_id, seq) VALUES (?1, ?2, ?3)",
            p![&inc_id, area, seq],
        )?;
    }
    super::merge::sync_candidate(tx, &incident)?;
    let event = Event {
        server_seq: seq,
        at: now,
        actor: actor.to_string(),
        body: EventBody::IncidentCreated { incident },
    };
    let ev_json = append_event(tx, &event)?;
    Ok(Ok(Ok((event, ev_json))))
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
    limits: &LoopRules,
    actor: &str,
    incident: Incident,
) -> DbResult<(Event, String)> {
    write_incident(tx, limits, actor, incident, |incident| {
        EventBody::IncidentUpdated { incident }
    })
}

/// Writes a changed incident with the next seq and appends the event `body` makes of it inside `tx`.
pub(super) fn write_incident(
    tx: &mut dyn Sql,
    limits: &LoopRules,
    actor: &str,
    mut incident: Incident,
    body: impl FnOnce(Incident) -> EventBody,
) -> DbResult<(Event, String)> {
    let seq = head(tx)? + 1;
    let now = Utc::now();
    incident.seq = seq;
    incident.updated_at = now;
    let id = incident.id.to_string();
    let (before, before_dept) =
        match tx.row("SELECT status, department FROM incidents WHERE id = ?1", p![&id])? {
            Some(mut r) => (citydeck_protocol::Stage::parse(&r.text(0)?), r.opt_text(1)?),
            None => (None, None),
        };
    let entered_before = incident.stage_entered_at;
    citydeck_domain::stage_clock::stamp(&mut incident, before, &limits.limits, now);
    let json = serde_json::to_string(&incident).map_err(|e| DbError::Corrupt(e.to_string()))?;
    tx.exec(
        "UPDATE incidents SET status = ?2, seq = ?3, body = ?4, due_at = ?5, department = ?6 WHERE id = ?1",
        p![
            &id,
            incident.status.as_str(),
            seq,
            &json,
            citydeck_domain::stage_clock::pending(&incident, limits)
                .map(ts)
                .as_ref(),
            incident.department.as_ref()
        ],
    )?;
    tx.exec(
        "UPDATE incident_areas SET seq = ?2 WHERE incident_id = ?1",
        p![&id, seq],
    )?;
    super::merge::sync_candidate(tx, &incident)?;
    let event = Event {
        server_seq: seq,
        at: now,
        actor: actor.to_string(),
        body: body(incident),
    };
    let json = append_event(tx, &event)?;
    if let (Some(incident), Some(stage)) = (event.body.incident(), before) {
        record_facts(
            tx,
            &event,
            incident,
            citydeck_domain::evaluation::Before {
                stage,
                department: before_dept.as_deref(),
                entered: entered_before,
            },
        )?;
    }
    Ok((event, json))
}

/// Keeps what `event`'s write of `incident` made true for 考核 (`domain::evaluation::facts`) in `loop_facts`.
fn record_facts(
    tx: &mut dyn Sql,
    event: &Event,
    incident: &Incident,
    before: citydeck_domain::evaluation::Before<'_>,
) -> DbResult<()> {
    let overdue_event = matches!(event.body, EventBody::IncidentOverdue { .. });
    let id = incident.id.to_string();
    // asked only when the write closes the case
    let mut looked: DbResult<bool> = Ok(false);
    let facts = citydeck_domain::evaluation::facts(Some(before), incident, event.at, overdue_event, |dept| {
        looked = tx
            .row(
                "SELECT 1 FROM loop_facts WHERE incident_id = ?1 AND kind = 'overdue' AND department = ?2 LIMIT 1",
                p![&id, dept],
            )
            .map(|r| r.is_some());
        *looked.as_ref().unwrap_or(&true)
    });
    looked?;
    for f in facts {
        tx.exec(
            "INSERT INTO loop_facts (seq, at, incident_id, department, kind, stage, minutes)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            p![
                event.server_seq,
                &ts(event.at),
                &id,
                &f.department,
                f.kind.as_str(),
                f.stage.map(|s| s.as_str()),
                f.minutes
            ],
        )?;
    }
    Ok(())
}

/// Appends `event`; an event about an incident is recorded under the incident and each of its areas (for
/// scoped reads).
pub(super) fn append_event(tx: &mut dyn Sql, event: &Event) -> DbResult<String> {
    let json = serde_json::to_string(event).map_err(|e| DbError::Corrupt(e.to_string()))?;
    let incident = event.body.incident();
    tx.exec(
        "INSERT INTO events (server_seq, kind, at, actor, body, incident_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        p![
            event.server_seq,
            event.kind(),
            &ts(event.at),
            &event.actor,
            &json,
            incident.map(|i| i.id.to_string()).as_ref()
        ],
    )?;
    for area in incident.iter().flat_map(|i| &i.area_ids) {
        tx.exec(
            "INSERT INTO event_areas (area_id, server_seq) VALUES (?1, ?2)",
            p![area, event.server_seq],
        )?;
    }
    tx.appended(event.server_seq);
    Ok(json)
}
