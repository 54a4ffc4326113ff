//! Desktop outbox pushes: each `(client_id, op_id)` applied exactly once, in the transaction of its effect.

use chrono::Utc;
use citydeck_protocol::Event;

use super::log::{insert_incident, read_incident, write_update};
use super::Db;
use crate::error::DbResult;
use crate::sql::{p, ts, Sql};

/// One op of a push batch as the handler parsed it: well-formed, or refused with a reason (still recorded, so
/// a retry gets the same answer).
pub enum PushItem {
    Op(citydeck_protocol::PushOp),
    Bad {
        op_id: uuid::Uuid,
        client_seq: u64,
        refusal: citydeck_protocol::Refusal,
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
    /// or recognised as a duplicate of an earlier push. `may` rules on the caller's permission per op; an op on
    /// an incident outside `scope` (the caller's area, if scoped) is refused `out_of_scope`.
    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &self,
        client_id: uuid::Uuid,
        actor: &str,
        scope: Option<&str>,
        items: Vec<PushItem>,
        may: impl Fn(&citydeck_protocol::Op) -> Result<(), citydeck_protocol::Refusal>,
        silences_alarm: bool,
        publish: impl Fn(&Event, &str),
    ) -> DbResult<Vec<citydeck_protocol::PushResult>> {
        let (results, _) = self.write(
            |tx| {
                push_in(
                    tx,
                    &self.limits(),
                    Caller {
                        client_id,
                        actor,
                        scope,
                        silences_alarm,
                    },
                    items,
                    may,
                )
            },
            |(_, events)| {
                for (event, json) in events {
                    publish(event, json);
                }
            },
        )?;
        Ok(results)
    }
}

/// Who pushes: their desktop, account, scope, and whether their acknowledgement silences a grade-I alarm.
struct Caller<'a> {
    client_id: uuid::Uuid,
    actor: &'a str,
    scope: Option<&'a str>,
    silences_alarm: bool,
}

fn push_in(
    tx: &mut dyn Sql,
    limits: &citydeck_domain::stage_clock::LoopRules,
    caller: Caller<'_>,
    items: Vec<PushItem>,
    may: impl Fn(&citydeck_protocol::Op) -> Result<(), citydeck_protocol::Refusal>,
) -> DbResult<PushWrite> {
    let Caller {
        client_id,
        actor,
        scope,
        silences_alarm,
    } = caller;
    use citydeck_protocol::{Op, PushResult, PushStatus, Refusal};
    let now = Utc::now();
    let client = client_id.to_string();
    let mut results = Vec::with_capacity(items.len());
    let mut events = Vec::new();
    for item in items {
        let (op_id, client_seq) = item.ids();
        let op = op_id.to_string();
        // One look-up (two index probes): this op seen before, or its client_seq taken by another op.
        let known = tx.rows(
            "SELECT op_id, status, reason, server_seq, refusal FROM client_ops WHERE client_id = ?1 AND op_id = ?2
             UNION ALL
             SELECT op_id, status, reason, server_seq, refusal FROM client_ops
             WHERE client_id = ?1 AND client_seq = ?3",
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
            // The first answer's refusal (none for an op answered before codes were recorded).
            let refusal: Option<Refusal> = r
                .opt_text(4)?
                .and_then(|j| serde_json::from_str(&j).ok())
                .filter(|r| *r != Refusal::Unknown);
            results.push(PushResult {
                op_id,
                status: PushStatus::Duplicate,
                reason: r.opt_text(2)?,
                code: refusal.as_ref().map(Refusal::code),
                args: refusal.as_ref().and_then(Refusal::args),
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
            let other = uuid::Uuid::parse_str(&other).unwrap_or_default();
            results.push(PushResult::rejected(
                op_id,
                &Refusal::ClientSeqTaken {
                    client_seq,
                    op_id: other,
                },
            ));
            continue;
        }
        let outcome: Result<Option<(Event, String)>, Refusal> = match item {
            PushItem::Bad { refusal, .. } => Err(refusal),
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
                            Err(Refusal::IncidentExists)
                        } else {
                            match insert_incident(tx, limits, actor, scope, incident, incident_id)? {
                                Ok(Ok(ev)) => Ok(Some(ev)),
                                Ok(Err(existing)) => Err(Refusal::DuplicateIncident { id: existing.id }),
                                Err(refusal) => Err(refusal),
                            }
                        }
                    }
                    Op::SplitReport {
                        incident_id,
                        report,
                        new_incident_id,
                    } => match super::merge::split_out(
                        tx,
                        limits,
                        actor,
                        scope,
                        incident_id,
                        report,
                        new_incident_id,
                    )? {
                        Ok((split, created)) => {
                            events.push(split);
                            Ok(Some(created))
                        }
                        Err(refusal) => Err(refusal),
                    },
                    ref op => {
                        let id = citydeck_domain::ops::target(op).unwrap_or_default();
                        match read_incident(tx, id)? {
                            None => Err(Refusal::NotFound { id: Some(id) }),
                            Some(mut inc) => match citydeck_domain::scope::check(scope, &inc.area_ids) {
                                Err(refusal) => Err(refusal),
                                Ok(()) => match citydeck_domain::ops::check_department(op, |d| {
                                    limits.departments.iter().any(|k| k.id == d)
                                })
                                .and_then(|()| citydeck_domain::apply_update(&mut inc, op, actor, now))
                                .map(|changed| {
                                    // an operator's or commander's acknowledgement silences the grade-I alarm
                                    let silenced = matches!(op, Op::Acknowledge { .. })
                                        && silences_alarm
                                        && citydeck_domain::ops::acknowledge_alarm(&mut inc, actor, now);
                                    changed || silenced
                                }) {
                                    Err(r) => Err(r.refusal),
                                    Ok(false) => Ok(None),
                                    Ok(true) if matches!(op, Op::Verify { .. }) => Ok(Some(
                                        super::log::write_incident(tx, limits, actor, inc, |incident| {
                                            citydeck_protocol::EventBody::IncidentVerified {
                                                incident_id: incident.id,
                                                incident,
                                            }
                                        })?,
                                    )),
                                    Ok(true) => Ok(Some(write_update(tx, limits, actor, inc)?)),
                                },
                            },
                        }
                    }
                },
            },
        };
        let (status, refusal, server_seq) = match outcome {
            Ok(Some((event, json))) => {
                let seq = event.server_seq;
                events.push((event, json));
                (PushStatus::Applied, None, Some(seq))
            }
            // Applied, nothing to change (e.g. acknowledged twice): no event.
            Ok(None) => (PushStatus::Applied, None, None),
            Err(refusal) => (PushStatus::Rejected, Some(refusal), None),
        };
        let reason = refusal.as_ref().map(Refusal::message);
        let refusal_json = refusal
            .as_ref()
            .map(|r| serde_json::to_string(r).unwrap_or_default());
        tx.exec(
            "INSERT INTO client_ops (client_id, op_id, client_seq, status, reason, server_seq, at, refusal)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
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
                &ts(now),
                refusal_json.as_ref()
            ],
        )?;
        results.push(PushResult {
            op_id,
            status,
            reason,
            code: refusal.as_ref().map(Refusal::code),
            args: refusal.as_ref().and_then(Refusal::args),
            server_seq,
            first_status: None,
        });
    }
    Ok((results, events))
}
