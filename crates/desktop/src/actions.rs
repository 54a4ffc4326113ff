//! The user's actions: checked against this desktop's pending overlay, then queued in the outbox (durably,
//! before the shell answers); a rejected one re-based on the hub's current state and queued again.

use chrono::{DateTime, Utc};
use citydeck_domain::overlay::overlay;
use citydeck_protocol::ipc::{OutboxEntry, OutboxState};
use citydeck_protocol::{Incident, Op};
use citydeck_store::{Cache, StoreError};
use uuid::Uuid;

use crate::{DesktopError, Result};

/// Pending actions replayed for a precheck at most (the outbox drains long before this in practice).
const PRECHECK_PENDING: u32 = 10_000;

/// Refuses what the hub would certainly refuse, against what this desktop knows: a new incident with a bad
/// field; an update of an incident it neither has nor is creating; an update the rules refuse on the pending
/// overlay (the cache's incident with this desktop's pending actions replayed first, so a stage change queued
/// after another one starts where that one ends). The hub still decides.
pub fn precheck(c: &Cache, op: &Op, user: &str, now: DateTime<Utc>) -> Result<()> {
    if let Op::CreateIncident { incident, .. } = op {
        let raw = serde_json::to_value(incident).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        citydeck_domain::parse_new_incident(&raw)?;
        return Ok(());
    }
    let id = citydeck_domain::ops::target(op).unwrap_or_default();
    let pending = c.pending_ops(PRECHECK_PENDING)?;
    let confirmed = c.incident(&id.to_string())?;
    let mut inc = overlay(confirmed.as_ref(), id, pending.iter().map(|p| (&p.op, now)), user)
        .ok_or(DesktopError::UnknownIncident(id))?
        .incident;
    let mut check = op.clone();
    if let Op::ChangeStage { from, .. } = &mut check {
        *from = None; // `from` is what the user saw; the hub compares it, not this check
    }
    citydeck_domain::apply_update(&mut inc, &check, user, now)?;
    // 交办 to a department: one the hub listed, when this desktop has the list (without it the hub decides)
    let departments = c.cached_departments()?;
    if !departments.is_empty() {
        citydeck_domain::ops::check_department(op, |d| departments.iter().any(|x| x.id == d))?;
    }
    Ok(())
}

/// A rejected action made anew against the hub's current state: a stage change starts from the stage the
/// incident has now (`current`, when this desktop knows it); any other action is unchanged.
pub fn rebase(op: &Op, current: Option<&Incident>) -> Op {
    let mut op = op.clone();
    if let (Op::ChangeStage { from, .. }, Some(current)) = (&mut op, current) {
        *from = Some(current.status);
    }
    op
}

/// Checks `op` ([`precheck`]) and records it in the outbox, committed before this returns.
pub fn submit(c: &mut Cache, op: &Op, user: &str, now: DateTime<Utc>) -> Result<OutboxEntry> {
    precheck(c, op, user, now)?;
    let (op_id, _) = c.enqueue(op, now)?;
    entry(c, op_id)
}

/// Queues rejected action `op_id` again, [`rebase`]d on the incident as the cache has it now and checked like
/// a new action; the rejected one is dropped. Refused for an action that is not rejected.
pub fn reapply(c: &mut Cache, op_id: Uuid, user: &str, now: DateTime<Utc>) -> Result<OutboxEntry> {
    let old = c
        .outbox_entry(op_id)?
        .filter(|e| e.state == OutboxState::Rejected)
        .ok_or(DesktopError::NotRejected(op_id))?;
    let current = match citydeck_domain::ops::target(&old.op) {
        Some(id) => c.incident(&id.to_string())?,
        None => None,
    };
    let op = rebase(&old.op, current.as_ref());
    precheck(c, &op, user, now)?;
    c.drop_rejected(op_id)?;
    let (new_id, _) = c.enqueue(&op, now)?;
    entry(c, new_id)
}

fn entry(c: &Cache, op_id: Uuid) -> Result<OutboxEntry> {
    c.outbox_entry(op_id)?
        .ok_or_else(|| StoreError::Corrupt(format!("the outbox lost action {op_id}")).into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{cache_with, incident, now, reject, stale};
    use citydeck_protocol::Stage;

    fn stage(id: Uuid, from: Option<Stage>, to: Stage) -> Op {
        Op::ChangeStage {
            incident_id: id,
            from,
            to,
        }
    }

    #[test]
    fn an_assignment_to_a_department_the_hub_did_not_list_never_queues() {
        use citydeck_protocol::closed_loop::DepartmentView;
        use citydeck_protocol::indicators::LocalizedName;
        let inc = incident(1, Stage::Identified);
        let id = inc.id;
        let mut c = cache_with(vec![inc]);
        let assign = |d: &str| Op::Assign {
            incident_id: id,
            assignee: "team-1".into(),
            department: Some(d.into()),
        };
        // no list cached yet: the hub decides
        submit(&mut c, &assign("zoo"), "op", now()).unwrap();
        let fire = DepartmentView {
            id: "fire".into(),
            name: LocalizedName {
                zh: "消防救援支队".into(),
                en: "Fire and Rescue".into(),
            },
            parent: None,
            kinds: Vec::new(),
        };
        c.store_departments(&[fire], now()).unwrap();
        let e = submit(&mut c, &assign("zoo"), "op", now()).unwrap_err();
        assert_eq!(
            e.refusal(),
            citydeck_protocol::Refusal::UnknownDepartment {
                department: "zoo".into()
            }
        );
        submit(&mut c, &assign("fire"), "op", now()).unwrap();
        assert_eq!(c.outbox_counts().unwrap().pending, 2);
    }

    #[test]
    fn precheck_replays_pending_actions_before_judging_a_new_one() {
        let inc = incident(1, Stage::Collected);
        let id = inc.id;
        let mut c = cache_with(vec![inc]);
        // Straight to 交办 from 采集 skips 识别: refused as the loop forbids it.
        let e = submit(
            &mut c,
            &stage(id, Some(Stage::Collected), Stage::Assigned),
            "op",
            now(),
        )
        .unwrap_err();
        assert!(matches!(e, DesktopError::Rejected(_)), "{e:?}");
        assert_eq!(
            e.refusal(),
            citydeck_protocol::Refusal::InvalidTransition {
                from: Stage::Collected,
                to: Stage::Assigned
            }
        );
        assert_eq!(
            c.outbox_counts().unwrap().pending,
            0,
            "a refused action never queues"
        );
        // 采集 → 识别 queued; then 识别 → 交办 is judged on the overlay (识别), not on the cache (采集).
        submit(
            &mut c,
            &stage(id, Some(Stage::Collected), Stage::Identified),
            "op",
            now(),
        )
        .unwrap();
        let queued = submit(
            &mut c,
            &stage(id, Some(Stage::Identified), Stage::Assigned),
            "op",
            now(),
        )
        .unwrap();
        assert_eq!(queued.state, OutboxState::Pending);
        assert_eq!(c.outbox_counts().unwrap().pending, 2);
        // The same change once more is no longer allowed from the overlay's 交办.
        let again = submit(&mut c, &stage(id, None, Stage::Assigned), "op", now()).unwrap_err();
        assert!(matches!(again, DesktopError::Rejected(_)), "{again:?}");
    }

    #[test]
    fn precheck_knows_incidents_being_created_here_and_refuses_unknown_ones() {
        let mut c = cache_with(vec![]);
        let id = Uuid::from_u128(77);
        let unknown = submit(&mut c, &Op::Acknowledge { incident_id: id }, "op", now()).unwrap_err();
        assert!(
            matches!(unknown, DesktopError::UnknownIncident(u) if u == id),
            "{unknown:?}"
        );
        assert_eq!(
            unknown.refusal(),
            citydeck_protocol::Refusal::NotFound { id: Some(id) }
        );
        let mut create = crate::testing::create(id);
        submit(&mut c, &create, "op", now()).unwrap();
        submit(&mut c, &Op::Acknowledge { incident_id: id }, "op", now()).unwrap();
        // The provisional incident is at 采集: skipping to 处置 is refused.
        assert!(submit(&mut c, &stage(id, None, Stage::Handling), "op", now()).is_err());
        // A bad field of a new incident is named.
        if let Op::CreateIncident { incident, .. } = &mut create {
            incident.title = "  ".into();
        }
        match submit(&mut c, &create, "op", now()).unwrap_err() {
            DesktopError::Invalid(f) => assert_eq!(f.field, "title"),
            other => panic!("{other:?}"),
        }
        // A note without text is refused before it queues.
        let note = Op::AddNote {
            incident_id: id,
            text: " ".into(),
            photo_ref: None,
        };
        assert!(matches!(
            submit(&mut c, &note, "op", now()),
            Err(DesktopError::Rejected(_))
        ));
        assert_eq!(c.outbox_counts().unwrap().pending, 2);
    }

    #[test]
    fn a_rejected_stage_change_is_rebased_on_the_current_stage() {
        let inc = incident(1, Stage::Handling);
        let id = inc.id;
        let op = stage(id, Some(Stage::Assigned), Stage::Handling);
        assert_eq!(
            rebase(&op, Some(&inc)),
            stage(id, Some(Stage::Handling), Stage::Handling)
        );
        assert_eq!(
            rebase(&op, None),
            op,
            "an unknown incident leaves the action as it was"
        );
        let ack = Op::Acknowledge { incident_id: id };
        assert_eq!(rebase(&ack, Some(&inc)), ack);
    }

    #[test]
    fn reapply_queues_the_rebased_action_and_drops_the_rejected_one() {
        let inc = incident(1, Stage::Assigned);
        let id = inc.id;
        let mut c = cache_with(vec![inc]);
        // The user saw 识别 and moved to 交办; meanwhile someone else had already.
        let first = submit(
            &mut c,
            &stage(id, Some(Stage::Identified), Stage::Handling),
            "op",
            now(),
        )
        .unwrap();
        reject(&mut c, first.op_id, &stale(Stage::Assigned, Stage::Identified));
        let again = reapply(&mut c, first.op_id, "op", now()).unwrap();
        assert_ne!(again.op_id, first.op_id);
        assert_eq!(again.op, stage(id, Some(Stage::Assigned), Stage::Handling));
        assert_eq!(again.state, OutboxState::Pending);
        assert_eq!(
            c.outbox_entry(first.op_id).unwrap().unwrap().state,
            OutboxState::Dropped
        );
        // Only a rejected action can be re-applied.
        assert!(matches!(
            reapply(&mut c, again.op_id, "op", now()),
            Err(DesktopError::NotRejected(u)) if u == again.op_id
        ));
    }

    #[test]
    fn reapply_refuses_what_the_current_state_no_longer_allows_and_keeps_the_rejected_action() {
        let inc = incident(1, Stage::Closed);
        let id = inc.id;
        let mut c = cache_with(vec![inc]);
        let first = submit(&mut c, &Op::Acknowledge { incident_id: id }, "op", now()).unwrap();
        let change = c
            .enqueue(&stage(id, Some(Stage::Feedback), Stage::Closed), now())
            .unwrap()
            .0;
        reject(&mut c, change, &stale(Stage::Closed, Stage::Feedback));
        let e = reapply(&mut c, change, "op", now()).unwrap_err();
        assert!(
            matches!(e, DesktopError::Rejected(_)),
            "closed → closed is not a move: {e:?}"
        );
        assert_eq!(
            c.outbox_entry(change).unwrap().unwrap().state,
            OutboxState::Rejected,
            "still there to drop"
        );
        assert_eq!(first.state, OutboxState::Pending);
    }
}
