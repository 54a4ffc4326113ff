//! CAP alerts in (issue 22): each message taken once, by its `(sender, identifier, sent)`; an `Update` or a
//! `Cancel` acting on the incidents of the messages its `references` name. Everything of one message — the
//! incidents it raises or changes, their events and its row in `cap_alerts` — is one write transaction (exclusive
//! on both engines), so a message posted twice at once, to two replicas, is taken once.

use chrono::Utc;
use citydeck_ingest::cap::{Alert, MsgType, Status};
use citydeck_ingest::map::{self, Mapped};
use citydeck_protocol::ingest::CapIngestStatus;
use citydeck_protocol::{Event, EventBody};
use uuid::Uuid;

use super::log::{head, read_incident, write_incident};
use super::merge::{take_report, Taken};
use super::Db;
use crate::error::{DbError, DbResult};
use crate::sql::{p, ts, Sql};

/// Events appended in a write, with their JSON, to publish after the commit.
type Appended = Vec<(Event, String)>;

impl Db {
    /// Takes a checked CAP alert from `actor`: what the hub did with it and the incidents concerned (see
    /// [`CapIngestStatus`]). Incidents without geometry of their own are placed at `site` (the city's point).
    /// `publish` runs for each event appended, in order, after the commit.
    pub fn ingest_cap(
        &self,
        actor: &str,
        alert: &Alert,
        site: (f64, f64),
        publish: impl Fn(&Event, &str),
    ) -> DbResult<(CapIngestStatus, Vec<Uuid>)> {
        let limits = self.limits();
        let rule = self.merge_rule();
        let exercise = self.is_exercise();
        let (status, ids, _events) = self.write(
            |tx| -> DbResult<(CapIngestStatus, Vec<Uuid>, Appended)> {
                let sent_utc = ts(alert.sent.with_timezone(&Utc));
                if let Some(mut row) = tx.row(
                    "SELECT incidents FROM cap_alerts WHERE sender = ?1 AND identifier = ?2 AND sent_utc = ?3",
                    p![&alert.sender, &alert.identifier, &sent_utc],
                )? {
                    return Ok((CapIngestStatus::Duplicate, ids_of(&row.text(0)?)?, Vec::new()));
                }
                let acts = match alert.status {
                    Status::Actual => true,
                    Status::Exercise => exercise,
                    Status::Test | Status::System | Status::Draft => false,
                };
                let mapped = map::incidents(alert);
                let mut events = Vec::new();
                let now = Utc::now();
                let (status, ids) = if !acts {
                    (CapIngestStatus::Ignored, Vec::new())
                } else {
                    match alert.msg_type {
                        MsgType::Alert => {
                            (CapIngestStatus::Created, create(tx, &limits, &rule, actor, &mapped, site, &mut events)?)
                        }
                        MsgType::Update => {
                            let targets = referenced(tx, alert)?;
                            if targets.is_empty() {
                                (CapIngestStatus::Created, create(tx, &limits, &rule, actor, &mapped, site, &mut events)?)
                            } else {
                                let mut ids = Vec::new();
                                for (target, m) in targets.iter().zip(&mapped) {
                                    let Some(mut incident) = read_incident(tx, *target)? else {
                                        continue;
                                    };
                                    map::apply_update(&mut incident, m, now);
                                    let alert_key = m.record.alert.clone();
                                    events.push(write_incident(tx, &limits, actor, incident, |incident| {
                                        EventBody::AlertUpdated {
                                            incident_id: incident.id,
                                            incident,
                                            alert: alert_key,
                                        }
                                    })?);
                                    ids.push(*target);
                                }
                                // an update telling of more events than the alert it updates raises the others
                                let extra = mapped.get(targets.len()..).unwrap_or_default();
                                ids.extend(create(tx, &limits, &rule, actor, extra, site, &mut events)?);
                                // the incidents it did not retell are still the updated alert's: name them too
                                ids.extend(targets.iter().skip(mapped.len()).copied());
                                (CapIngestStatus::Updated, ids)
                            }
                        }
                        MsgType::Cancel => {
                            let targets = referenced(tx, alert)?;
                            let mut ids = Vec::new();
                            for target in targets {
                                let Some(mut incident) = read_incident(tx, target)? else {
                                    continue;
                                };
                                map::apply_cancel(&mut incident, alert, now);
                                let alert_key = map::key(alert);
                                events.push(write_incident(tx, &limits, actor, incident, |incident| {
                                    EventBody::AlertCancelled {
                                        incident_id: incident.id,
                                        incident,
                                        alert: alert_key,
                                    }
                                })?);
                                ids.push(target);
                            }
                            if ids.is_empty() {
                                (CapIngestStatus::Ignored, ids)
                            } else {
                                (CapIngestStatus::Cancelled, ids)
                            }
                        }
                        MsgType::Ack | MsgType::Error => (CapIngestStatus::Ignored, Vec::new()),
                    }
                };
                let seq = head(tx)?;
                let ids_json = serde_json::to_string(&ids).map_err(|e| DbError::Corrupt(e.to_string()))?;
                tx.exec(
                    "INSERT INTO cap_alerts (sender, identifier, sent_utc, sent, msg_type, outcome, incidents, seq)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    p![
                        &alert.sender,
                        &alert.identifier,
                        &sent_utc,
                        &alert.sent.to_rfc3339(),
                        alert.msg_type.as_str(),
                        status.as_str(),
                        &ids_json,
                        seq
                    ],
                )?;
                Ok((status, ids, events))
            },
            |(_, _, events)| {
                for (ev, json) in events {
                    publish(ev, json);
                }
            },
        )?;
        Ok((status, ids))
    }
}

fn ids_of(json: &str) -> DbResult<Vec<Uuid>> {
    serde_json::from_str(json).map_err(|e| DbError::Corrupt(format!("cap_alerts.incidents: {e}")))
}

/// The incidents of the messages `alert` references (those taken before), in order, each once.
fn referenced(tx: &mut dyn Sql, alert: &Alert) -> DbResult<Vec<Uuid>> {
    let mut ids: Vec<Uuid> = Vec::new();
    for r in &alert.references {
        let sent_utc = ts(r.sent.with_timezone(&Utc));
        if let Some(mut row) = tx.row(
            "SELECT incidents FROM cap_alerts WHERE sender = ?1 AND identifier = ?2 AND sent_utc = ?3",
            p![&r.sender, &r.identifier, &sent_utc],
        )? {
            for id in ids_of(&row.text(0)?)? {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
    }
    Ok(ids)
}

/// Inserts the incidents of `mapped` (an incident already known by its `(source, external_id)` is reused, not
/// duplicated), returning their ids in order.
fn create(
    tx: &mut dyn Sql,
    limits: &citydeck_domain::stage_clock::LoopRules,
    rule: &citydeck_domain::merge::MergeRule,
    actor: &str,
    mapped: &[Mapped],
    site: (f64, f64),
    events: &mut Appended,
) -> DbResult<Vec<Uuid>> {
    let mut ids = Vec::with_capacity(mapped.len());
    for m in mapped {
        let record = m.record.clone();
        let outline = (!m.outline.is_empty()).then(|| m.outline.clone());
        let taken = take_report(
            tx,
            limits,
            rule,
            actor,
            None,
            m.new_incident(site),
            |incident, joined| {
                // an alert joining an incident of another source gives it its record and outline if it has none
                if !joined || incident.alert.is_none() {
                    incident.alert = Some(record);
                }
                if !joined || incident.outline.is_none() {
                    incident.outline = outline;
                }
            },
        )?
        .map_err(|refusal| DbError::Corrupt(format!("an unscoped insert was refused: {refusal}")))?;
        if let Some(incident) = taken.incident() {
            ids.push(incident.id);
        }
        match taken {
            Taken::New(e) | Taken::Joined(e) => events.push(*e),
            Taken::Existing(_) => {}
        }
    }
    Ok(ids)
}

/// What a feed's feature became.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeatureTaken {
    New,
    /// Its `(feed, id)` was taken before.
    Duplicate,
    /// It joined an open incident of another source.
    Joined,
}

impl Db {
    /// Takes a feed's features (`ingest::geojson`) in one write transaction: a new incident for each feature
    /// whose `(feed, id)` is new, unless it joins an open incident of another source (reports of one event
    /// merge), the existing one for the others (a duplicate). Each incident's id in feature order, with what the
    /// feature became.
    pub fn ingest_features(
        &self,
        actor: &str,
        features: Vec<citydeck_ingest::geojson::FeatureIncident>,
        publish: impl Fn(&Event, &str),
    ) -> DbResult<Vec<(Uuid, FeatureTaken)>> {
        let limits = self.limits();
        let rule = self.merge_rule();
        let (out, _events) = self.write(
            |tx| -> DbResult<(Vec<(Uuid, FeatureTaken)>, Appended)> {
                let mut out = Vec::with_capacity(features.len());
                let mut events = Vec::new();
                for f in features {
                    let outline = (!f.outline.is_empty()).then_some(f.outline);
                    let taken = take_report(tx, &limits, &rule, actor, None, f.new, |incident, joined| {
                        if !joined || incident.outline.is_none() {
                            incident.outline = outline;
                        }
                    })?
                    .map_err(|refusal| {
                        DbError::Corrupt(format!("an unscoped insert was refused: {refusal}"))
                    })?;
                    let what = match &taken {
                        Taken::New(_) => FeatureTaken::New,
                        Taken::Joined(_) => FeatureTaken::Joined,
                        Taken::Existing(_) => FeatureTaken::Duplicate,
                    };
                    if let Some(incident) = taken.incident() {
                        out.push((incident.id, what));
                    }
                    match taken {
                        Taken::New(e) | Taken::Joined(e) => events.push(*e),
                        Taken::Existing(_) => {}
                    }
                }
                Ok((out, events))
            },
            |(_, events)| {
                for (ev, json) in events {
                    publish(ev, json);
                }
            },
        )?;
        Ok(out)
    }
}
