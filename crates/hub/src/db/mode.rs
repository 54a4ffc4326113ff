//! The city's mode (平战转换): the mode record, level-I proposals, registered screens and their acks, the audit
//! of every switch attempt. Switches are decided inside the write transaction.

use chrono::{DateTime, Utc};
use citydeck_protocol::{Event, EventBody, ModeState, Role, ScreenAck};

use super::log::{append_event, head};
use super::Db;
use crate::error::{DbError, DbResult};
use crate::sql::{p, parse_ts, ts, Row, Sql};

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
    Record(T, Box<EventBody>),
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
                            body: *body,
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
