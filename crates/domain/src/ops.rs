//! Offline actions (`Op`) applied to an incident: the rules a pushed op must pass on the hub, whatever the
//! client believed when it queued it. A refusal is a coded [`Refusal`] (the UI translates it) with its English
//! words for older clients.

use chrono::{DateTime, Utc};
use citydeck_protocol::{Incident, IncidentNote, Op, Refusal, Stage};

use crate::incident::can_transition;

pub const MAX_NOTE_CHARS: usize = 2000;
pub const MAX_ASSIGNEE_CHARS: usize = 64;
pub const MAX_COMMENT_CHARS: usize = 500;

/// Why an op is refused. `conflict` marks a refusal caused by someone else's change in the meantime (the
/// conflict view offers re-apply or drop); otherwise the op is invalid in itself. `message` is
/// `refusal.message()`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct OpRejection {
    pub conflict: bool,
    pub message: String,
    pub refusal: Refusal,
}

impl OpRejection {
    fn new(conflict: bool, refusal: Refusal) -> OpRejection {
        OpRejection {
            conflict,
            message: refusal.message(),
            refusal,
        }
    }
}

fn invalid(refusal: Refusal) -> OpRejection {
    OpRejection::new(false, refusal)
}

fn conflict(refusal: Refusal) -> OpRejection {
    OpRejection::new(true, refusal)
}

/// The incident an update op names (None for `create_incident`).
pub fn target(op: &Op) -> Option<uuid::Uuid> {
    match op {
        Op::CreateIncident { .. } => None,
        Op::ChangeStage { incident_id, .. }
        | Op::AddNote { incident_id, .. }
        | Op::Acknowledge { incident_id }
        | Op::Assign { incident_id, .. }
        | Op::Evaluate { incident_id, .. }
        | Op::Verify { incident_id }
        | Op::SplitReport { incident_id, .. } => Some(*incident_id),
    }
}

/// Whether `incident` sounds the grade-I alarm on every screen: grade I, open, and its alarm not acknowledged.
pub fn alarming(incident: &Incident) -> bool {
    incident.grade == citydeck_protocol::Grade::I
        && incident.status != Stage::Closed
        && incident.alarm_acknowledged.is_none()
}

/// An acknowledgement by `actor` — whose role may silence alarms (operator, commander, admin:
/// `roles::Action::AcknowledgeAlarm`) — of an alarming incident silences its alarm for every screen. Returns
/// whether it did (an incident not alarming is left as it is).
pub fn acknowledge_alarm(incident: &mut Incident, actor: &str, now: DateTime<Utc>) -> bool {
    if !alarming(incident) {
        return false;
    }
    incident.alarm_acknowledged = Some(citydeck_protocol::AlarmAck {
        by: actor.to_string(),
        at: now,
    });
    true
}

/// 交办 names a department the city declares (`known`), or none: checked apart from [`apply_update`] because
/// only the hub (and a desktop that has the list) knows the departments.
pub fn check_department(op: &Op, known: impl Fn(&str) -> bool) -> Result<(), OpRejection> {
    match op {
        Op::Assign {
            department: Some(d), ..
        } if !known(d.trim()) => Err(invalid(Refusal::UnknownDepartment {
            department: d.trim().to_string(),
        })),
        _ => Ok(()),
    }
}

/// Applies an update op to `incident` (the hub's current state) as `actor` at `now`. Returns whether anything
/// changed (acknowledging twice changes nothing). `create_incident` is not an update: refused here.
pub fn apply_update(
    incident: &mut Incident,
    op: &Op,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<bool, OpRejection> {
    match op {
        Op::CreateIncident { .. } => Err(invalid(Refusal::NotAnUpdate)),
        Op::ChangeStage { from, to, .. } => {
            if let Some(from) = from {
                if *from != incident.status {
                    return Err(conflict(Refusal::StaleStage {
                        current: incident.status,
                        seen: *from,
                    }));
                }
            }
            if !can_transition(incident.status, *to) {
                return Err(conflict(Refusal::InvalidTransition {
                    from: incident.status,
                    to: *to,
                }));
            }
            incident.status = *to;
            Ok(true)
        }
        Op::AddNote { text, photo_ref, .. } => {
            let text = text.trim();
            if text.is_empty() && photo_ref.as_deref().is_none_or(|p| p.trim().is_empty()) {
                return Err(invalid(Refusal::NoteEmpty));
            }
            if text.chars().count() > MAX_NOTE_CHARS {
                return Err(invalid(Refusal::NoteTooLong {
                    max: MAX_NOTE_CHARS as u32,
                }));
            }
            incident.notes.push(IncidentNote {
                at: now,
                by: actor.to_string(),
                text: text.to_string(),
                photo_ref: photo_ref.clone().filter(|p| !p.trim().is_empty()),
            });
            Ok(true)
        }
        Op::Acknowledge { .. } => {
            if incident.acknowledged_by.iter().any(|a| a == actor) {
                return Ok(false);
            }
            incident.acknowledged_by.push(actor.to_string());
            Ok(true)
        }
        Op::Assign {
            assignee, department, ..
        } => {
            let assignee = assignee.trim();
            if assignee.is_empty() || assignee.chars().count() > MAX_ASSIGNEE_CHARS {
                return Err(invalid(Refusal::AssigneeLength {
                    max: MAX_ASSIGNEE_CHARS as u32,
                }));
            }
            if incident.status == Stage::Closed {
                return Err(conflict(Refusal::IncidentClosed));
            }
            incident.assignee = Some(assignee.to_string());
            if let Some(d) = department {
                incident.department = Some(d.trim().to_string());
            }
            Ok(true)
        }
        Op::Evaluate {
            result,
            rating,
            comment,
            ..
        } => {
            if incident.status != Stage::Closed {
                return Err(conflict(Refusal::NotClosed));
            }
            if !(1..=5).contains(rating) {
                return Err(invalid(Refusal::FieldOutOfRange {
                    field: "rating".into(),
                    min: 1,
                    max: 5,
                }));
            }
            let comment = comment.as_deref().map(str::trim).filter(|c| !c.is_empty());
            if comment.is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS) {
                return Err(invalid(Refusal::FieldTooLong {
                    field: "comment".into(),
                    max: MAX_COMMENT_CHARS as u32,
                }));
            }
            incident.evaluation = Some(citydeck_protocol::HandlingEvaluation {
                result: *result,
                rating: *rating,
                comment: comment.map(str::to_owned),
                by: actor.to_string(),
                at: now,
            });
            Ok(true)
        }
        Op::Verify { .. } => {
            if incident.status == Stage::Closed {
                return Err(conflict(Refusal::IncidentClosed));
            }
            if incident.verified.is_some() {
                return Ok(false);
            }
            incident.verified = Some(citydeck_protocol::AlarmAck {
                by: actor.to_string(),
                at: now,
            });
            crate::merge::restamp(incident);
            Ok(true)
        }
        Op::SplitReport { report, .. } => {
            split_report(incident, *report)?;
            Ok(true)
        }
    }
}

/// Takes report number `report` (1 or later: the origin stays) out of the incident's reports, its quality
/// restamped; the report taken out. The hub makes it the new incident.
pub fn split_report(
    incident: &mut Incident,
    report: u32,
) -> Result<citydeck_protocol::ingest::Report, OpRejection> {
    let n = report as usize;
    if n == 0 || n >= incident.reports.len() {
        return Err(conflict(Refusal::ReportOutOfRange {
            report,
            reports: incident.reports.len() as u32,
        }));
    }
    let out = incident.reports.remove(n);
    crate::merge::restamp(incident);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use citydeck_protocol::fixtures;

    fn incident(status: Stage) -> Incident {
        fixtures::incident(1).status(status).build()
    }

    fn stage(from: Option<Stage>, to: Stage) -> Op {
        Op::ChangeStage {
            incident_id: uuid::Uuid::from_u128(1),
            from,
            to,
        }
    }

    #[test]
    fn stage_changes_follow_the_loop_and_a_stale_view_is_a_conflict() {
        let now = Utc::now();
        let mut i = incident(Stage::Collected);
        assert_eq!(
            apply_update(
                &mut i,
                &stage(Some(Stage::Collected), Stage::Identified),
                "op",
                now
            ),
            Ok(true)
        );
        assert_eq!(i.status, Stage::Identified);
        let e = apply_update(
            &mut i,
            &stage(Some(Stage::Collected), Stage::Identified),
            "op",
            now,
        )
        .unwrap_err();
        assert!(e.conflict && e.message.contains("identified"), "{e:?}");
        assert_eq!(
            e.refusal,
            Refusal::StaleStage {
                current: Stage::Identified,
                seen: Stage::Collected
            }
        );
        let e = apply_update(&mut i, &stage(None, Stage::Feedback), "op", now).unwrap_err();
        assert!(e.message.contains("not allowed"), "{e:?}");
        assert_eq!(e.refusal.code(), "invalid_transition");
        assert_eq!(i.status, Stage::Identified, "a refused op changes nothing");
    }

    #[test]
    fn notes_acks_and_assignment() {
        let now = Utc::now();
        let id = uuid::Uuid::from_u128(1);
        let mut i = incident(Stage::Assigned);
        let note = |text: &str, photo: Option<&str>| Op::AddNote {
            incident_id: id,
            text: text.into(),
            photo_ref: photo.map(String::from),
        };
        assert!(apply_update(&mut i, &note("  ", None), "f", now).is_err());
        assert_eq!(
            apply_update(&mut i, &note("  ", None), "f", now)
                .unwrap_err()
                .refusal,
            Refusal::NoteEmpty
        );
        assert_eq!(
            apply_update(&mut i, &note("", Some("IMG_0042.jpg")), "f", now),
            Ok(true)
        );
        assert_eq!(
            apply_update(&mut i, &note("现场已封控", None), "f", now),
            Ok(true)
        );
        assert_eq!(i.notes.len(), 2);
        assert_eq!(i.notes[1].text, "现场已封控");
        let long = "x".repeat(MAX_NOTE_CHARS + 1);
        assert!(apply_update(&mut i, &note(&long, None), "f", now).is_err());
        assert_eq!(
            apply_update(&mut i, &note(&long, None), "f", now)
                .unwrap_err()
                .message,
            "a note is at most 2000 characters"
        );
        let ack = Op::Acknowledge { incident_id: id };
        assert_eq!(apply_update(&mut i, &ack, "f", now), Ok(true));
        assert_eq!(
            apply_update(&mut i, &ack, "f", now),
            Ok(false),
            "twice changes nothing"
        );
        assert_eq!(i.acknowledged_by, ["f"]);
        let assign = |who: &str| Op::Assign {
            incident_id: id,
            assignee: who.into(),
            department: None,
        };
        assert!(apply_update(&mut i, &assign(" "), "op", now).is_err());
        assert_eq!(apply_update(&mut i, &assign("消防一中队"), "op", now), Ok(true));
        assert_eq!(i.assignee.as_deref(), Some("消防一中队"));
        // 交办 to a department: checked against the city's, recorded on the incident; absent keeps it
        let to_fire = Op::Assign {
            incident_id: id,
            assignee: "消防一中队".into(),
            department: Some(" fire ".into()),
        };
        let known = |d: &str| d == "fire";
        assert_eq!(check_department(&to_fire, known), Ok(()));
        assert_eq!(check_department(&assign("x"), known), Ok(()));
        let to_nowhere = Op::Assign {
            incident_id: id,
            assignee: "x".into(),
            department: Some("parks".into()),
        };
        assert_eq!(
            check_department(&to_nowhere, known).unwrap_err().refusal,
            Refusal::UnknownDepartment {
                department: "parks".into()
            }
        );
        assert_eq!(apply_update(&mut i, &to_fire, "op", now), Ok(true));
        assert_eq!(i.department.as_deref(), Some("fire"));
        assert_eq!(apply_update(&mut i, &assign("消防二中队"), "op", now), Ok(true));
        assert_eq!(i.department.as_deref(), Some("fire"));
    }

    #[test]
    fn a_closed_case_takes_no_assign() {
        let now = Utc::now();
        let assign = Op::Assign {
            incident_id: uuid::Uuid::from_u128(1),
            assignee: "x".into(),
            department: None,
        };
        let mut closed = incident(Stage::Closed);
        let e = apply_update(&mut closed, &assign, "op", now).unwrap_err();
        assert_eq!((e.conflict, e.refusal), (true, Refusal::IncidentClosed));
    }

    #[test]
    fn an_evaluation_is_for_a_closed_case_rated_one_to_five() {
        let now = Utc::now();
        let eval = |rating: u8, comment: Option<&str>| Op::Evaluate {
            incident_id: uuid::Uuid::from_u128(1),
            result: citydeck_protocol::HandlingResult::Resolved,
            rating,
            comment: comment.map(Into::into),
        };
        let mut open = incident(Stage::Feedback);
        let e = apply_update(&mut open, &eval(4, None), "op", now).unwrap_err();
        assert_eq!((e.refusal, e.conflict), (Refusal::NotClosed, true));
        let mut closed = incident(Stage::Closed);
        for bad in [0, 6] {
            assert!(matches!(
                apply_update(&mut closed, &eval(bad, None), "op", now)
                    .unwrap_err()
                    .refusal,
                Refusal::FieldOutOfRange { .. }
            ));
        }
        let long = "长".repeat(MAX_COMMENT_CHARS + 1);
        assert!(matches!(
            apply_update(&mut closed, &eval(3, Some(&long)), "op", now)
                .unwrap_err()
                .refusal,
            Refusal::FieldTooLong { .. }
        ));
        assert_eq!(closed.evaluation, None, "nothing half-applied");
        assert_eq!(
            apply_update(&mut closed, &eval(5, Some("  处置及时 ")), "cmd", now),
            Ok(true)
        );
        let e = closed.evaluation.clone().unwrap();
        assert_eq!(
            (e.rating, e.comment.as_deref(), e.by.as_str()),
            (5, Some("处置及时"), "cmd")
        );
    }

    #[test]
    fn a_grade_one_alarm_is_silenced_once_and_only_at_grade_one() {
        let now = Utc::now();
        let mut i = fixtures::incident(1).grade(citydeck_protocol::Grade::II).build();
        assert!(!alarming(&i));
        assert!(
            !acknowledge_alarm(&mut i, "op", now),
            "nothing to silence below grade I"
        );
        i.grade = citydeck_protocol::Grade::I;
        assert!(alarming(&i), "raised to grade I: it alarms");
        assert!(acknowledge_alarm(&mut i, "op", now));
        assert!(!alarming(&i));
        assert!(!acknowledge_alarm(&mut i, "cmd", now), "once");
        assert_eq!(i.alarm_acknowledged.as_ref().map(|a| a.by.as_str()), Some("op"));
        let mut closed = fixtures::incident(2)
            .grade(citydeck_protocol::Grade::I)
            .status(Stage::Closed)
            .build();
        assert!(!alarming(&closed) && !acknowledge_alarm(&mut closed, "op", now));
    }
}
