//! The pending overlay (issue 6), pure logic: the confirmed incident with this desktop's pending actions
//! replayed on it (the same `citydeck_domain` rules the hub applies), each changed part marked "待同步", and
//! which actions the overlay still carries after a new snapshot. No Leptos, no browser: it runs natively in
//! `cargo test -p ui`. The feed, the detail panel, the map and the outbox show it.

use std::collections::{HashMap, HashSet};

use citydeck_domain::{Action, Permission};
use citydeck_protocol::ipc::{CockpitSnapshot, Me, OutboxEntry, OutboxState};
use citydeck_protocol::{Incident, Op, Stage};
use uuid::Uuid;

/// How long an action the snapshot no longer lists (applied, result not yet in the cache) or does not list yet
/// (just submitted) stays in the overlay at most.
pub const CARRY_MS: f64 = 30_000.0;

/// A pending action kept in the overlay although the latest snapshot does not list it.
#[derive(Clone, Debug, PartialEq)]
pub struct Carried {
    pub entry: OutboxEntry,
    /// When this window first missed it from the snapshot's list (or submitted it).
    pub since_ms: f64,
}

/// The incident an action is about: the one it changes, or for a new incident the id the client chose (the
/// domain's, shared with the shell's precheck).
pub use citydeck_domain::overlay::subject;

/// Roles that may act on incidents (operator, commander, field, admin); leaders read only. Before the first
/// login of this run (`me` None: a desktop that opened offline) the role is unknown: the controls stay, the
/// actions wait in the outbox as always, and the hub checks the role when they arrive (a refusal shows in the
/// outbox). Offline-first work must not depend on having reached the hub once this run.
pub fn may_update(me: Option<&Me>) -> bool {
    me.is_none_or(|m| m.role.may(Action::UpdateIncident))
}

pub fn may_create(me: Option<&Me>) -> bool {
    me.is_none_or(|m| m.role.may(Action::CreateIncident))
}

/// The confirmed incident already shows what `op` does (so the hub's result has reached the cache).
fn shows_effect(inc: &Incident, op: &Op, me: &str) -> bool {
    match op {
        Op::CreateIncident { .. } => true,
        Op::ChangeStage { to, .. } => inc.status == *to,
        Op::AddNote { text, photo_ref, .. } => {
            let photo = photo_ref.as_deref().map(str::trim).filter(|p| !p.is_empty());
            inc.notes
                .iter()
                .any(|n| n.by == me && n.text == text.trim() && n.photo_ref.as_deref() == photo)
        }
        Op::Acknowledge { .. } => inc.acknowledged_by.iter().any(|a| a == me),
        Op::Assign { assignee, .. } => inc.assignee.as_deref() == Some(assignee.trim()),
        Op::Evaluate { rating, result, .. } => inc
            .evaluation
            .as_ref()
            .is_some_and(|e| e.by == me && e.rating == *rating && e.result == *result),
        Op::Verify { .. } => inc.verified.is_some(),
        // settled once the split-off incident is in the cache, which the snapshot does not say here: when the
        // confirmed reports no longer hold more than the origin and what stayed
        Op::SplitReport { report, .. } => inc.reports.len() <= *report as usize,
    }
}

/// The action's result is visible in `snap` (or can no longer be: its incident left the open list).
fn settled(entry: &OutboxEntry, snap: &CockpitSnapshot, me: &str, creating: &HashSet<Uuid>) -> bool {
    let Some(id) = subject(&entry.op) else {
        return true;
    };
    match snap.incidents.iter().find(|i| i.id == id) {
        Some(inc) => shows_effect(inc, &entry.op, me),
        // An update of an incident created here and still on its way is not settled; any other incident that
        // is not among the open ones was closed (or is unknown): nothing left to overlay.
        None => !matches!(entry.op, Op::CreateIncident { .. }) && !creating.contains(&id),
    }
}

/// The carried actions after a new snapshot: those this window carried before and the pending ones the previous
/// snapshot listed, minus what the new snapshot lists (pending or rejected), shows the effect of, or what has
/// been carried for [`CARRY_MS`].
pub fn carry_forward(
    carried: &[Carried],
    prev_open: &[OutboxEntry],
    snap: &CockpitSnapshot,
    now_ms: f64,
) -> Vec<Carried> {
    let me = snap.me.as_ref().map(|m| m.username.as_str()).unwrap_or("");
    let listed: HashSet<Uuid> = snap.outbox_open.iter().map(|e| e.op_id).collect();
    let mut known: Vec<Carried> = carried.to_vec();
    for e in prev_open.iter().filter(|e| e.state == OutboxState::Pending) {
        if !known.iter().any(|c| c.entry.op_id == e.op_id) {
            known.push(Carried {
                entry: e.clone(),
                since_ms: now_ms,
            });
        }
    }
    let creating: HashSet<Uuid> = snap
        .outbox_open
        .iter()
        .filter(|e| e.state == OutboxState::Pending)
        .chain(known.iter().map(|c| &c.entry))
        .filter(|e| matches!(e.op, Op::CreateIncident { .. }))
        .filter_map(|e| subject(&e.op))
        .filter(|id| !snap.incidents.iter().any(|i| i.id == *id))
        .collect();
    known
        .into_iter()
        .filter(|c| c.entry.state == OutboxState::Pending)
        .filter(|c| !listed.contains(&c.entry.op_id))
        .filter(|c| now_ms - c.since_ms < CARRY_MS)
        .filter(|c| !settled(&c.entry, snap, me, &creating))
        .collect()
}

/// The pending actions in queue order: the snapshot's pending entries and the carried ones.
pub fn pending_entries(snap: &CockpitSnapshot, carried: &[Carried]) -> Vec<OutboxEntry> {
    let mut out: Vec<OutboxEntry> = snap
        .outbox_open
        .iter()
        .filter(|e| e.state == OutboxState::Pending)
        .cloned()
        .collect();
    for c in carried {
        if !out.iter().any(|e| e.op_id == c.entry.op_id) {
            out.push(c.entry.clone());
        }
    }
    out.sort_by_key(|e| e.client_seq);
    out
}

/// The incident a pending `create_incident` will make, as far as this desktop can tell (stage 采集, seq 0).
pub fn provisional(entry: &OutboxEntry, me: &str) -> Option<Incident> {
    citydeck_domain::overlay::provisional(&entry.op, entry.created_at, me)
}

/// An incident as the cockpit shows it: confirmed by the hub, with this desktop's pending actions on top.
#[derive(Clone, Debug, PartialEq)]
pub struct IncidentView {
    /// The expected state once the pending actions apply.
    pub incident: Incident,
    /// The stage the hub has confirmed; None for an incident created here that the hub has not confirmed.
    pub confirmed_stage: Option<Stage>,
    pub stage_pending: bool,
    pub assignee_pending: bool,
    /// This user's acknowledgement is pending.
    pub ack_pending: bool,
    /// The last `pending_notes` notes are pending.
    pub pending_notes: usize,
    /// Pending actions about this incident (its creation included).
    pub pending_ops: usize,
}

impl IncidentView {
    pub fn unconfirmed(&self) -> bool {
        self.confirmed_stage.is_none()
    }

    pub fn is_pending(&self) -> bool {
        self.pending_ops > 0
    }
}

/// The pending overlay of incident `id`: `confirmed` (the cache's copy; None if the hub has not confirmed it)
/// with the pending actions about it replayed in queue order by the hub's own rules. An action the rules refuse
/// against the state this desktop knows changes nothing here (the hub will decide). None when the incident is
/// neither confirmed nor being created here.
pub fn incident_view(
    confirmed: Option<&Incident>,
    id: Uuid,
    pending: &[OutboxEntry],
    me: &str,
) -> Option<IncidentView> {
    // The one overlay implementation (the shell's precheck replays the same), on this window's pending list.
    let citydeck_domain::overlay::Overlay {
        base,
        incident: inc,
        ops,
    } = citydeck_domain::overlay::overlay(confirmed, id, pending.iter().map(|e| (&e.op, e.created_at)), me)?;
    if confirmed.is_some() && ops == 0 {
        return Some(IncidentView {
            incident: inc,
            confirmed_stage: Some(base.status),
            stage_pending: false,
            assignee_pending: false,
            ack_pending: false,
            pending_notes: 0,
            pending_ops: 0,
        });
    }
    let mine = |i: &Incident| !me.is_empty() && i.acknowledged_by.iter().any(|a| a == me);
    Some(IncidentView {
        confirmed_stage: confirmed.map(|c| c.status),
        stage_pending: confirmed.is_none_or(|c| c.status != inc.status),
        assignee_pending: inc.assignee != base.assignee,
        ack_pending: mine(&inc) && !mine(&base),
        pending_notes: inc.notes.len().saturating_sub(base.notes.len()),
        pending_ops: ops,
        incident: inc,
    })
}

/// The feed: incidents created here and not yet confirmed (newest first), then the snapshot's incidents, each
/// with the pending overlay.
pub fn feed_views(snap: &CockpitSnapshot, pending: &[OutboxEntry]) -> Vec<IncidentView> {
    let me = snap.me.as_ref().map(|m| m.username.as_str()).unwrap_or("");
    let known: HashSet<Uuid> = snap.incidents.iter().map(|i| i.id).collect();
    let touched: HashSet<Uuid> = pending.iter().filter_map(|e| subject(&e.op)).collect();
    let mut out: Vec<IncidentView> = pending
        .iter()
        .rev()
        .filter_map(|e| provisional(e, me))
        .filter(|i| !known.contains(&i.id))
        .filter_map(|i| incident_view(None, i.id, pending, me))
        .collect();
    out.extend(snap.incidents.iter().filter_map(|i| {
        if touched.contains(&i.id) {
            incident_view(Some(i), i.id, pending, me)
        } else {
            Some(IncidentView {
                incident: i.clone(),
                confirmed_stage: Some(i.status),
                stage_pending: false,
                assignee_pending: false,
                ack_pending: false,
                pending_notes: 0,
                pending_ops: 0,
            })
        }
    }));
    out
}

/// Remember the title of every incident the snapshot names (open ones, conflicts, the focus, pending creates).
/// True when anything was new.
pub fn learn_titles(titles: &mut HashMap<Uuid, String>, snap: &CockpitSnapshot) -> bool {
    let mut changed = false;
    let mut learn = |id: Uuid, title: &str| {
        if titles.get(&id).is_none_or(|t| t != title) {
            titles.insert(id, title.to_string());
            changed = true;
        }
    };
    for i in &snap.incidents {
        learn(i.id, &i.title);
    }
    for c in &snap.conflicts {
        if let Some(i) = &c.current {
            learn(i.id, &i.title);
        }
    }
    if let Some(f) = &snap.focus {
        learn(f.incident.id, &f.incident.title);
    }
    for e in snap.outbox_open.iter().chain(&snap.outbox_applied) {
        if let Op::CreateIncident {
            incident_id: Some(id),
            incident,
        } = &e.op
        {
            learn(*id, &incident.title);
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::outbox::*;
    use citydeck_protocol::ipc::Conflict;
    use citydeck_protocol::{IncidentNote, Role};

    #[test]
    fn overlay_replays_pending_actions_with_the_hub_rules() {
        let base = incident(1, Stage::Assigned);
        let pending = vec![
            entry(1, stage(1, Some(Stage::Assigned), Stage::Handling)),
            entry(2, note(1, "已到场", Some("IMG_7.jpg"))),
            entry(
                3,
                Op::Acknowledge {
                    incident_id: Uuid::from_u128(1),
                },
            ),
            // Not allowed from handling: changes nothing here, the hub will refuse it.
            entry(4, stage(1, Some(Stage::Handling), Stage::Closed)),
            entry(5, note(2, "other incident", None)),
        ];
        let v = incident_view(Some(&base), base.id, &pending, "field1").unwrap();
        assert_eq!(v.incident.status, Stage::Handling);
        assert_eq!(v.confirmed_stage, Some(Stage::Assigned));
        assert!(v.stage_pending && v.ack_pending && !v.assignee_pending);
        assert_eq!(v.pending_notes, 1);
        assert_eq!(v.incident.notes[0].photo_ref.as_deref(), Some("IMG_7.jpg"));
        assert_eq!(v.pending_ops, 4);
        assert!(!v.unconfirmed());

        // Nothing pending: the confirmed incident as it is.
        let v = incident_view(Some(&base), base.id, &[], "field1").unwrap();
        assert!(!v.is_pending() && !v.stage_pending && v.incident == base);
    }

    #[test]
    fn incidents_created_here_lead_the_feed_until_confirmed() {
        let a = incident(1, Stage::Handling);
        let pending = vec![
            entry(1, create(50, "first")),
            entry(2, create(51, "second")),
            entry(3, note(51, "on the way", None)),
        ];
        let s = snap(vec![a.clone()], pending.clone());
        let feed = feed_views(&s, &pending);
        let ids: Vec<u128> = feed.iter().map(|v| v.incident.id.as_u128()).collect();
        assert_eq!(ids, vec![51, 50, 1], "newest created first, then the cache's");
        assert!(feed[0].unconfirmed() && feed[0].stage_pending);
        assert_eq!((feed[0].pending_ops, feed[0].pending_notes), (2, 1));
        assert_eq!(feed[0].incident.created_by, "field1");
        assert!(!feed[2].is_pending());

        // Confirmed by the hub: it arrives in the cache with the same id and leads no more.
        let mut confirmed = incident(51, Stage::Collected);
        confirmed.title = "second".into();
        let s = snap(vec![confirmed, a], vec![entry(1, create(50, "first"))]);
        let pending = pending_entries(&s, &[]);
        let feed = feed_views(&s, &pending);
        let ids: Vec<u128> = feed.iter().map(|v| v.incident.id.as_u128()).collect();
        assert_eq!(ids, vec![50, 51, 1]);
        assert!(!feed[1].unconfirmed());
    }

    #[test]
    fn carried_actions_stay_until_the_cache_shows_them() {
        let base = incident(1, Stage::Handling);
        let op = entry(7, stage(1, Some(Stage::Handling), Stage::Feedback));
        // The previous snapshot listed it as pending; the hub applied it but its event is not cached yet.
        let s = snap(vec![base.clone()], vec![]);
        let carried = carry_forward(&[], std::slice::from_ref(&op), &s, 1_000.0);
        assert_eq!(carried.len(), 1);
        let pending = pending_entries(&s, &carried);
        let v = incident_view(Some(&base), base.id, &pending, "field1").unwrap();
        assert!(v.stage_pending && v.incident.status == Stage::Feedback);

        // Still not cached a moment later: kept, with the time it was first missed.
        let carried = carry_forward(&carried, &[], &s, 5_000.0);
        assert_eq!(carried.len(), 1);
        assert_eq!(carried[0].since_ms, 1_000.0);
        // Given up after CARRY_MS.
        assert!(carry_forward(&carried, &[], &s, 1_000.0 + CARRY_MS).is_empty());

        // The cache has the result: dropped.
        let mut done = base.clone();
        done.status = Stage::Feedback;
        let s2 = snap(vec![done], vec![]);
        assert!(carry_forward(&carried, &[], &s2, 6_000.0).is_empty());

        // The snapshot lists it (pending, or rejected by the hub): no longer carried.
        let mut rejected = op.clone();
        rejected.state = OutboxState::Rejected;
        let s3 = snap(vec![base.clone()], vec![rejected]);
        assert!(carry_forward(&carried, &[], &s3, 6_000.0).is_empty());
        assert!(
            pending_entries(&s3, &[]).is_empty(),
            "a rejected action is no overlay"
        );

        // Closed meanwhile (left the open list): nothing left to overlay.
        let s4 = snap(vec![], vec![]);
        assert!(carry_forward(&carried, &[], &s4, 6_000.0).is_empty());
    }

    #[test]
    fn a_just_submitted_note_on_an_incident_created_here_is_kept() {
        let created = entry(1, create(60, "new"));
        let s = snap(vec![], vec![created.clone()]);
        let carried = vec![Carried {
            entry: entry(2, note(60, "x", None)),
            since_ms: 0.0,
        }];
        assert_eq!(carry_forward(&carried, &[], &s, 10.0).len(), 1);
        // A note already in the cache (same text by me) is settled.
        let mut inc = incident(1, Stage::Collected);
        inc.notes.push(IncidentNote {
            at: at(1),
            by: "field1".into(),
            text: "x".into(),
            photo_ref: None,
        });
        let carried = vec![Carried {
            entry: entry(3, note(1, " x ", Some(" "))),
            since_ms: 0.0,
        }];
        assert!(carry_forward(&carried, &[], &snap(vec![inc], vec![]), 10.0).is_empty());
    }

    #[test]
    fn leaders_read_only_and_an_unknown_role_is_left_to_the_hub() {
        let me = |role| Me {
            username: "u".into(),
            role,
            screen: "s".into(),
        };
        assert!(!may_update(Some(&me(Role::Leader))));
        assert!(!may_create(Some(&me(Role::Leader))));
        // Opened offline, not signed in yet: the hub checks the role when the actions arrive.
        assert!(may_update(None) && may_create(None));
        for r in [Role::Operator, Role::Commander, Role::Field, Role::Admin] {
            assert!(may_update(Some(&me(r))) && may_create(Some(&me(r))), "{r:?}");
        }
    }

    #[test]
    fn titles_are_learned_from_every_part_of_the_snapshot() {
        let mut s = snap(
            vec![incident(1, Stage::Handling)],
            vec![entry(1, create(70, "made here"))],
        );
        s.conflicts.push(Conflict {
            entry: entry(
                2,
                Op::Acknowledge {
                    incident_id: Uuid::from_u128(3),
                },
            ),
            current: Some(incident(3, Stage::Closed)),
        });
        let mut t = HashMap::new();
        assert!(learn_titles(&mut t, &s));
        assert!(!learn_titles(&mut t, &s), "nothing new the second time");
        assert_eq!(t.get(&Uuid::from_u128(1)).map(String::as_str), Some("incident 1"));
        assert_eq!(t.get(&Uuid::from_u128(3)).map(String::as_str), Some("incident 3"));
        assert_eq!(t.get(&Uuid::from_u128(70)).map(String::as_str), Some("made here"));
    }
}
