//! The pending overlay: an incident as this desktop expects it once its own pending actions apply. The cockpit
//! draws it (marked 待同步) and the shell checks a new action against it, so an action queued after another one
//! starts where that one ends. One implementation for both: the UI (wasm) and the shell use this module.

use chrono::{DateTime, Utc};
use citydeck_protocol::{Incident, Op};
use uuid::Uuid;

use crate::ops::{apply_update, target};

/// The incident an action is about: the one it updates, or the one a `create_incident` with a client-chosen
/// id will make.
pub fn subject(op: &Op) -> Option<Uuid> {
    match op {
        Op::CreateIncident { incident_id, .. } => *incident_id,
        other => target(other),
    }
}

/// The incident a pending `create_incident` queued at `at` by `me` will make, as far as this desktop can tell
/// (stage 采集, seq 0). None for any other action, or a create without a client-chosen id.
pub fn provisional(op: &Op, at: DateTime<Utc>, me: &str) -> Option<Incident> {
    let Op::CreateIncident {
        incident_id: Some(id),
        incident: n,
    } = op
    else {
        return None;
    };
    Some(crate::incident::from_request(*id, n.clone(), me, at, 0))
}

/// Incident `id` with the pending actions about it replayed on it.
#[derive(Clone, Debug, PartialEq)]
pub struct Overlay {
    /// What the actions start from: the confirmed incident, or the provisional one a pending create makes.
    pub base: Incident,
    /// The expected state once the pending actions apply.
    pub incident: Incident,
    /// Pending actions about this incident (its creation included).
    pub ops: usize,
}

/// The pending overlay of incident `id`: `confirmed` (the cache's copy; None if the hub has not confirmed it)
/// with this desktop's pending actions (`(op, queued at)`, in queue order) about it replayed by the hub's own
/// rules, as `me`. An action the rules refuse against the state this desktop knows changes nothing (the hub
/// will decide). None when the incident is neither confirmed nor being created here.
pub fn overlay<'a>(
    confirmed: Option<&Incident>,
    id: Uuid,
    pending: impl IntoIterator<Item = (&'a Op, DateTime<Utc>)> + Clone,
    me: &str,
) -> Option<Overlay> {
    let base = match confirmed {
        Some(i) => i.clone(),
        None => pending
            .clone()
            .into_iter()
            .find_map(|(op, at)| provisional(op, at, me).filter(|i| i.id == id))?,
    };
    let mut incident = base.clone();
    let mut ops = 0;
    for (op, at) in pending.into_iter().filter(|(op, _)| subject(op) == Some(id)) {
        ops += 1;
        if !matches!(op, Op::CreateIncident { .. }) {
            let _ = apply_update(&mut incident, op, me, at);
        }
    }
    Some(Overlay { base, incident, ops })
}

#[cfg(test)]
mod tests {
    use super::*;
    use citydeck_protocol::{fixtures, Stage};

    fn at() -> DateTime<Utc> {
        fixtures::t0()
    }

    fn confirmed(id: Uuid, status: Stage) -> Incident {
        let mut i = provisional(&create(id), at(), "hub").unwrap();
        i.status = status;
        i.seq = 7;
        i
    }

    fn create(id: Uuid) -> Op {
        fixtures::create(id, fixtures::new_incident())
    }

    fn stage(id: Uuid, from: Stage, to: Stage) -> Op {
        Op::ChangeStage {
            incident_id: id,
            from: Some(from),
            to,
        }
    }

    #[test]
    fn pending_actions_replay_in_queue_order_on_the_confirmed_incident() {
        let id = Uuid::from_u128(1);
        let other = Uuid::from_u128(2);
        let ops = [
            stage(id, Stage::Collected, Stage::Identified),
            stage(other, Stage::Collected, Stage::Identified),
            stage(id, Stage::Identified, Stage::Assigned),
            Op::Acknowledge { incident_id: id },
        ];
        let pending: Vec<(&Op, DateTime<Utc>)> = ops.iter().map(|o| (o, at())).collect();
        let c = confirmed(id, Stage::Collected);
        let o = overlay(Some(&c), id, pending.iter().copied(), "op1").unwrap();
        assert_eq!(o.base.status, Stage::Collected);
        assert_eq!(
            o.incident.status,
            Stage::Assigned,
            "the second change starts where the first ends"
        );
        assert_eq!(o.incident.acknowledged_by, ["op1"]);
        assert_eq!(o.ops, 3, "the other incident's action is not counted");
    }

    #[test]
    fn a_refused_pending_action_changes_nothing_and_creates_are_provisional() {
        let id = Uuid::from_u128(3);
        let ops = [
            create(id),
            stage(id, Stage::Collected, Stage::Handling),
            stage(id, Stage::Collected, Stage::Identified),
        ];
        let pending: Vec<(&Op, DateTime<Utc>)> = ops.iter().map(|o| (o, at())).collect();
        let o = overlay(None, id, pending.iter().copied(), "op1").unwrap();
        assert_eq!(o.base.seq, 0, "provisional");
        assert_eq!(o.base.created_by, "op1");
        assert_eq!(
            o.incident.status,
            Stage::Identified,
            "the skipped stage was refused, the next applies"
        );
        assert_eq!(o.ops, 3);
        assert!(overlay(None, Uuid::from_u128(9), pending.iter().copied(), "op1").is_none());
        assert_eq!(subject(&create(id)), Some(id));
        assert!(provisional(&ops[1], at(), "op1").is_none());
    }
}
