//! Offline-first actions (issue 6): the pending overlay, the outbox badge and drawer, the conflict view.
//!
//! Every action (acknowledge, stage change, assignment, note, new incident) goes through `submit_action` into the
//! desktop's outbox and is pushed to the hub exactly once, now or after reconnecting. Until the hub's result is
//! in the local cache, the cockpit shows the *pending overlay*: the confirmed incident with this desktop's
//! pending actions replayed on it (the same `citydeck_domain` rules the hub applies), each changed part marked
//! "待同步". The pure functions here compute it; they run natively in `cargo test -p ui`.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use citydeck_domain::{Action, Permission};
use citydeck_protocol::ipc::{CockpitSnapshot, Conflict, Me, OutboxEntry, OutboxState};
use citydeck_protocol::{GeoPoint, Incident, Op, Stage};
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use crate::i18n::{self, to, Lang};
use crate::state::AppState;
use crate::summary::stage_css;
use crate::time;

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

// ───────────────────────── pure logic ─────────────────────────

/// The incident an action is about: the one it changes, or for a new incident the id the client chose.
pub fn subject(op: &Op) -> Option<Uuid> {
    match op {
        Op::CreateIncident { incident_id, .. } => *incident_id,
        other => citydeck_domain::ops::target(other),
    }
}

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
    let Op::CreateIncident {
        incident_id: Some(id),
        incident: n,
    } = &entry.op
    else {
        return None;
    };
    Some(Incident {
        id: *id,
        title: n.title.clone(),
        class: n.class,
        grade: n.grade,
        location: GeoPoint {
            lon: n.lon,
            lat: n.lat,
        },
        source: n.source.clone(),
        status: Stage::Collected,
        description: n.description.clone(),
        address: n.address.clone(),
        external_id: n.external_id.clone(),
        occurred_at: n.occurred_at.unwrap_or(entry.created_at),
        created_at: entry.created_at,
        updated_at: entry.created_at,
        created_by: me.to_string(),
        seq: 0,
        assignee: None,
        acknowledged_by: Vec::new(),
        notes: Vec::new(),
    })
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
    let base = match confirmed {
        Some(i) => i.clone(),
        None => pending
            .iter()
            .find_map(|e| provisional(e, me).filter(|i| i.id == id))?,
    };
    let mut inc = base.clone();
    let mut ops = 0;
    for e in pending.iter().filter(|e| subject(&e.op) == Some(id)) {
        ops += 1;
        if !matches!(e.op, Op::CreateIncident { .. }) {
            let _ = citydeck_domain::apply_update(&mut inc, &e.op, me, e.created_at);
        }
    }
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

/// "0192f3a1" — how an incident without a known title is named.
pub fn short_id(id: Uuid) -> String {
    id.simple().to_string().chars().take(8).collect()
}

/// What the action does, without the incident: "添加备注", "推进环节 处置→反馈", "交办 消防救援支队".
pub fn op_label(lang: Lang, op: &Op) -> String {
    let s = to(lang);
    match op {
        Op::CreateIncident { .. } => s.op_create.to_string(),
        Op::ChangeStage { from, to: target, .. } => {
            let to_l = i18n::stage_label(lang, *target);
            match from {
                Some(f) => format!("{} {} → {}", s.op_stage, i18n::stage_label(lang, *f), to_l),
                None => format!("{} → {}", s.op_stage, to_l),
            }
        }
        Op::AddNote { photo_ref, .. } => {
            if photo_ref.as_deref().is_some_and(|p| !p.trim().is_empty()) {
                s.op_note_photo.to_string()
            } else {
                s.op_note.to_string()
            }
        }
        Op::Acknowledge { .. } => s.op_ack.to_string(),
        Op::Assign { assignee, .. } => format!("{} {}", s.op_assign, assignee.trim()),
    }
}

/// The action in words with its incident: "添加备注 · Kamppi 地铁站火灾". `title` is the incident's title when
/// known (a new incident names itself).
pub fn describe_op(lang: Lang, op: &Op, title: Option<&str>) -> String {
    let name = match op {
        Op::CreateIncident { incident, .. } => incident.title.clone(),
        other => match (title, subject(other)) {
            (Some(t), _) => t.to_string(),
            (None, Some(id)) => format!("{} {}", to(lang).incident_word, short_id(id)),
            (None, None) => String::new(),
        },
    };
    format!("{} · {name}", op_label(lang, op))
}

/// [`describe_op`] with the title from the session's title cache.
pub fn describe_entry(lang: Lang, entry: &OutboxEntry, titles: &HashMap<Uuid, String>) -> String {
    let title = subject(&entry.op)
        .and_then(|id| titles.get(&id))
        .map(String::as_str);
    describe_op(lang, &entry.op, title)
}

/// `data-state` and label of an outbox entry's chip.
pub fn state_key(state: OutboxState) -> &'static str {
    match state {
        OutboxState::Pending => "pending",
        OutboxState::Applied => "applied",
        OutboxState::Rejected => "rejected",
        OutboxState::Dropped => "dropped",
    }
}

pub fn state_label(lang: Lang, state: OutboxState) -> &'static str {
    let s = to(lang);
    match state {
        OutboxState::Pending => s.chip_pending,
        OutboxState::Applied => s.chip_applied,
        OutboxState::Rejected => s.chip_rejected,
        OutboxState::Dropped => s.chip_dropped,
    }
}

/// Seconds from `at` to `now_ms` (0 for a clock that is behind).
pub fn age_s(now_ms: f64, at: &DateTime<Utc>) -> i64 {
    ((now_ms - at.timestamp_millis() as f64) / 1000.0)
        .floor()
        .max(0.0) as i64
}

// ───────────────────────── submitting ─────────────────────────

/// Send an action to the outbox. `busy` is true while the shell answers; a refusal lands in `error` in the
/// shell's words; `done` runs with the pending entry.
pub fn submit(
    state: AppState,
    op: Op,
    busy: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    done: impl FnOnce(&OutboxEntry) + 'static,
) {
    if busy.get_untracked() {
        return;
    }
    busy.set(true);
    error.set(None);
    spawn_local(async move {
        let result = crate::ipc::submit_action(&op).await;
        busy.set(false);
        match result {
            Ok(entry) => {
                done(&entry);
                state.remember_submitted(entry);
            }
            Err(e) => error.set(Some(e.message().to_string())),
        }
    });
}

// ───────────────────────── header badge ─────────────────────────

/// "待同步 n" (amber when n > 0) and "被拒 m" (red, only when m > 0) in the header; opens the outbox drawer.
#[component]
pub fn OutboxBadge() -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let counts = move || {
        state
            .snapshot
            .with(|s| s.as_ref().map(|s| s.outbox).unwrap_or_default())
    };
    let pending = move || counts().pending;
    let rejected = move || counts().rejected;
    let level = move || {
        if rejected() > 0 {
            "rejected"
        } else if pending() > 0 {
            "pending"
        } else {
            "clear"
        }
    };
    view! {
        <button
            type="button"
            class="badge outbox-badge"
            id="outbox-badge"
            data-pending=move || pending().to_string()
            data-rejected=move || rejected().to_string()
            data-level=level
            aria-expanded=move || if state.drawer_open.get() { "true" } else { "false" }
            title=move || to(lang.get()).outbox_title
            on:click=move |_| state.drawer_open.update(|o| *o = !*o)
        >
            <span class="ob-part ob-pending" class=("ob-zero", move || pending() == 0)>
                <span class="badge-dot"></span>
                <span>{move || format!("{} {}", to(lang.get()).badge_pending, pending())}</span>
            </span>
            <Show when=move || rejected() != 0>
                <span class="ob-part ob-rejected">
                    {move || format!("{} {}", to(lang.get()).badge_rejected, rejected())}
                </span>
            </Show>
        </button>
    }
}

// ───────────────────────── drawer ─────────────────────────

/// `#outbox-drawer`: the conflicts first (what you did vs what the hub has), then every open action with its
/// age and state.
#[component]
pub fn OutboxDrawer() -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let rows = move || {
        state.snapshot.with(|s| {
            s.as_ref()
                .map(|s| {
                    s.outbox_open
                        .iter()
                        .filter(|e| !e.conflict)
                        .cloned()
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    let conflicts = move || {
        state
            .snapshot
            .with(|s| s.as_ref().map(|s| s.conflicts.clone()).unwrap_or_default())
    };
    let counts = move || {
        state
            .snapshot
            .with(|s| s.as_ref().map(|s| s.outbox).unwrap_or_default())
    };
    // Entries the counts include that the snapshot does not list (it lists a bounded number).
    let unlisted = move || {
        let listed = state
            .snapshot
            .with(|s| s.as_ref().map(|s| s.outbox_open.len() as u64).unwrap_or(0));
        let c = counts();
        (c.pending + c.rejected).saturating_sub(listed)
    };
    let empty = move || {
        state
            .snapshot
            .with(|s| s.as_ref().is_none_or(|s| s.outbox_open.is_empty()))
    };
    let offline = move || matches!(state.connection_key(), "offline" | "reconnecting");
    // What landed: the hub applied these (newest first).
    let landed = move || {
        state
            .snapshot
            .with(|s| s.as_ref().map(|s| s.outbox_applied.clone()).unwrap_or_default())
    };

    view! {
        <Show when=move || state.drawer_open.get()>
            <aside class="outbox-drawer" id="outbox-drawer" role="dialog" aria-label=move || to(lang.get()).outbox_title>
                <header class="od-head">
                    <span class="panel-mark" aria-hidden="true"></span>
                    <h2 class="od-title">{move || to(lang.get()).outbox_title}</h2>
                    <span class="od-counts">
                        <span class="od-count od-count-pending" data-n=move || counts().pending>
                            {move || format!("{} {}", to(lang.get()).badge_pending, counts().pending)}
                        </span>
                        <span class="od-count od-count-rejected" data-n=move || counts().rejected>
                            {move || format!("{} {}", to(lang.get()).badge_rejected, counts().rejected)}
                        </span>
                    </span>
                    <button
                        type="button"
                        class="x-btn"
                        id="outbox-close"
                        title=move || to(lang.get()).close
                        on:click=move |_| state.drawer_open.set(false)
                    >
                        "×"
                    </button>
                </header>
                <div class="od-body">
                    <Show when=offline>
                        <div class="od-offline" id="outbox-offline">{move || to(lang.get()).drawer_offline}</div>
                    </Show>
                    <Show when=move || !conflicts().is_empty()>
                        <section class="conflict-view" id="conflict-view">
                            <h3 class="od-section">
                                {move || format!("{} · {}", to(lang.get()).conflicts_title, conflicts().len())}
                            </h3>
                            <For each=conflicts key=|c| c.entry.op_id let:c>
                                <ConflictCard c=c />
                            </For>
                        </section>
                    </Show>
                    <Show when=move || !rows().is_empty()>
                        <h3 class="od-section">{move || to(lang.get()).queue_title}</h3>
                    </Show>
                    <div class="od-list" id="outbox-list">
                        <For each=rows key=|e| (e.op_id, state_key(e.state)) let:e>
                            <OutboxRow e=e />
                        </For>
                    </div>
                    <Show when=empty>
                        <div class="od-empty" id="outbox-empty">{move || to(lang.get()).outbox_empty}</div>
                    </Show>
                    <Show when=move || unlisted() != 0>
                        <div class="od-more">{move || i18n::outbox_unlisted(lang.get(), unlisted())}</div>
                    </Show>
                    <Show when=move || !landed().is_empty()>
                        <h3 class="od-section">
                            {move || match lang.get() {
                                Lang::Zh => "最近已送达中枢",
                                Lang::En => "Recently landed on the hub",
                            }}
                        </h3>
                    </Show>
                    <div class="od-list od-landed" id="outbox-landed">
                        <For each=landed key=|e| e.op_id let:e>
                            <OutboxRow e=e />
                        </For>
                    </div>
                    <crate::bundle::BundleSection />
                </div>
                <footer class="od-foot">{move || to(lang.get()).outbox_footer}</footer>
            </aside>
        </Show>
    }
}

#[component]
fn OutboxRow(e: OutboxEntry) -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let entry = e.clone();
    let text = move || state.titles.with(|t| describe_entry(lang.get(), &entry, t));
    let created = e.created_at;
    let target = subject(&e.op);
    let op_id = e.op_id;
    let st = e.state;
    let reason = e.reason.clone();
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let drop = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        spawn_local(async move {
            let r = crate::ipc::drop_action(op_id).await;
            busy.set(false);
            match r {
                Ok(_) => state.request_refresh(),
                Err(e) => error.set(Some(e.message().to_string())),
            }
        });
    };
    view! {
        <div
            class="outbox-row"
            data-state=state_key(st)
            data-op-id=op_id.to_string()
            data-kind=op_kind(&e.op)
            data-incident-id=target.map(|t| t.to_string()).unwrap_or_default()
        >
            <button
                type="button"
                class="or-main"
                on:click=move |_| {
                    if let Some(id) = target {
                        state.selected.set(Some(id));
                    }
                }
            >
                <span class="or-text">{text}</span>
                <span class="or-age">
                    {move || i18n::age_ago(lang.get(), age_s(state.now_ms.get(), &created))}
                </span>
            </button>
            <span class="ob-chip" data-state=state_key(st)>{move || state_label(lang.get(), st)}</span>
            {(st == OutboxState::Rejected)
                .then(|| {
                    view! {
                        <div class="or-reason">
                            {
                                let r = reason.clone().unwrap_or_default();
                                move || crate::reasons::hub_reason(lang.get(), &r)
                            }
                        </div>
                        <button
                            type="button"
                            class="sm-btn"
                            data-action="drop"
                            disabled=move || busy.get()
                            on:click=drop
                        >
                            {move || to(lang.get()).conflict_drop}
                        </button>
                    }
                })}
            <Show when=move || error.with(Option::is_some)>
                <div class="or-error">{move || error.get()}</div>
            </Show>
        </div>
    }
}

/// `data-kind` of an action.
pub fn op_kind(op: &Op) -> &'static str {
    match op {
        Op::CreateIncident { .. } => "create_incident",
        Op::ChangeStage { .. } => "change_stage",
        Op::AddNote { .. } => "add_note",
        Op::Acknowledge { .. } => "acknowledge",
        Op::Assign { .. } => "assign",
    }
}

/// One conflict: "你的操作" (the action, when, the hub's reason) against "中心现状" (the incident as the hub has
/// it now), with 重新提交 (queue again against the current state) and 放弃 (drop).
#[component]
fn ConflictCard(c: Conflict) -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let entry = c.entry.clone();
    let op_id = entry.op_id;
    let created = entry.created_at;
    let current = c.current.clone();
    let title = current.as_ref().map(|i| i.title.clone());
    let describe = {
        let entry = entry.clone();
        let title = title.clone();
        move || {
            let l = lang.get();
            match &title {
                Some(t) => describe_op(l, &entry.op, Some(t)),
                None => state.titles.with(|ts| describe_entry(l, &entry, ts)),
            }
        }
    };
    let reason = entry.reason.clone().unwrap_or_default();
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let reapply = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let r = crate::ipc::reapply_action(op_id).await;
            busy.set(false);
            match r {
                Ok(e) => state.remember_submitted(e),
                Err(e) => error.set(Some(e.message().to_string())),
            }
        });
    };
    let drop = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let r = crate::ipc::drop_action(op_id).await;
            busy.set(false);
            match r {
                Ok(_) => state.request_refresh(),
                Err(e) => error.set(Some(e.message().to_string())),
            }
        });
    };
    let target = subject(&entry.op);
    let hub_side = move || {
        let l = lang.get();
        let s = to(l);
        let now = state.now_ms.get();
        match &current {
            None => view! { <div class="cf-unknown">{s.conflict_unknown}</div> }.into_any(),
            Some(i) => {
                let last_note = i.notes.last().map(|n| format!("{} · {}", n.by, n.text));
                let acked = if i.acknowledged_by.is_empty() {
                    s.none.to_string()
                } else {
                    i.acknowledged_by.join("、")
                };
                view! {
                    <dl class="cf-facts">
                        <dt>{s.f_stage}</dt>
                        <dd>
                            <span class=format!("stage-chip {}", stage_css(i.status)) data-stage=i.status.as_str()>
                                {i18n::stage_label(l, i.status)}
                            </span>
                        </dd>
                        <dt>{s.f_assignee}</dt>
                        <dd>{i.assignee.clone().unwrap_or_else(|| s.unassigned.to_string())}</dd>
                        <dt>{s.f_acked}</dt>
                        <dd>{acked}</dd>
                        <dt>{s.f_updated}</dt>
                        <dd class="num">
                            {format!(
                                "{} · {}",
                                time::short_stamp(now, time::epoch_ms(&i.updated_at)),
                                i18n::age_ago(l, age_s(now, &i.updated_at)),
                            )}
                        </dd>
                        <dt>{s.f_version}</dt>
                        <dd class="num">{format!("#{}", i.seq)}</dd>
                        {last_note
                            .map(|n| {
                                view! {
                                    <dt>{s.last_note}</dt>
                                    <dd class="cf-note">{n}</dd>
                                }
                            })}
                    </dl>
                }
                    .into_any()
            }
        }
    };
    view! {
        <article class="conflict-card" data-op-id=op_id.to_string() data-kind=op_kind(&entry.op)>
            <div class="cf-cols">
                <div class="cf-side cf-mine">
                    <div class="cf-label">{move || to(lang.get()).conflict_yours}</div>
                    <button
                        type="button"
                        class="cf-what"
                        on:click=move |_| {
                            if let Some(id) = target {
                                state.selected.set(Some(id));
                            }
                        }
                    >
                        {describe}
                    </button>
                    <div class="cf-when num">
                        {move || {
                            let now = state.now_ms.get();
                            format!(
                                "{} · {}",
                                time::short_stamp(now, time::epoch_ms(&created)),
                                i18n::age_ago(lang.get(), age_s(now, &created)),
                            )
                        }}
                    </div>
                    <div class="cf-reason">
                        {move || crate::reasons::hub_reason(lang.get(), &reason)}
                    </div>
                </div>
                <div class="cf-side cf-hub">
                    <div class="cf-label">{move || to(lang.get()).conflict_hub}</div>
                    {hub_side}
                </div>
            </div>
            <div class="cf-actions">
                <Show when=move || error.with(Option::is_some)>
                    <div class="cf-error">{move || error.get()}</div>
                </Show>
                <button
                    type="button"
                    class="sm-btn sm-btn-primary"
                    data-action="reapply"
                    disabled=move || busy.get()
                    on:click=reapply
                >
                    {move || to(lang.get()).conflict_reapply}
                </button>
                <button type="button" class="sm-btn" data-action="drop" disabled=move || busy.get() on:click=drop>
                    {move || to(lang.get()).conflict_drop}
                </button>
            </div>
        </article>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use citydeck_protocol::ipc::OutboxCounts;
    use citydeck_protocol::{Grade, IncidentClass, IncidentNote, ModeState, NewIncident, Role};

    fn at(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + min * 60, 0).unwrap()
    }

    fn incident(n: u128, stage: Stage) -> Incident {
        Incident {
            id: Uuid::from_u128(n),
            title: format!("incident {n}"),
            class: IncidentClass::Accident,
            grade: Grade::II,
            location: GeoPoint {
                lon: 24.94,
                lat: 60.17,
            },
            source: "test".into(),
            status: stage,
            description: None,
            address: None,
            external_id: None,
            occurred_at: at(0),
            created_at: at(0),
            updated_at: at(0),
            created_by: "operator".into(),
            seq: n as u64,
            assignee: None,
            acknowledged_by: Vec::new(),
            notes: Vec::new(),
        }
    }

    fn entry(seq: u64, op: Op) -> OutboxEntry {
        OutboxEntry {
            client_seq: seq,
            op_id: Uuid::from_u128(1000 + u128::from(seq)),
            op,
            created_at: at(seq as i64),
            state: OutboxState::Pending,
            reason: None,
            conflict: false,
            server_seq: None,
        }
    }

    fn stage(n: u128, from: Option<Stage>, to: Stage) -> Op {
        Op::ChangeStage {
            incident_id: Uuid::from_u128(n),
            from,
            to,
        }
    }

    fn note(n: u128, text: &str, photo: Option<&str>) -> Op {
        Op::AddNote {
            incident_id: Uuid::from_u128(n),
            text: text.into(),
            photo_ref: photo.map(String::from),
        }
    }

    fn create(n: u128, title: &str) -> Op {
        Op::CreateIncident {
            incident_id: Some(Uuid::from_u128(n)),
            incident: NewIncident {
                title: title.into(),
                class: IncidentClass::NaturalDisaster,
                grade: Grade::III,
                lon: 24.95,
                lat: 60.18,
                source: "指挥舱上报".into(),
                description: None,
                address: Some("Hakaniemi".into()),
                external_id: None,
                occurred_at: None,
            },
        }
    }

    fn snap(incidents: Vec<Incident>, open: Vec<OutboxEntry>) -> CockpitSnapshot {
        let mut s = crate::fixtures::snapshot(incidents, ModeState::initial());
        s.city.bbox = [24.9, 60.15, 24.99, 60.19];
        s.me = Some(Me {
            username: "field1".into(),
            role: Role::Field,
            screen: "tablet".into(),
        });
        s.outbox = OutboxCounts {
            pending: open.iter().filter(|e| e.state == OutboxState::Pending).count() as u64,
            rejected: open.iter().filter(|e| e.state == OutboxState::Rejected).count() as u64,
        };
        s.outbox_open = open;
        s.generated_at = at(10);
        s
    }

    #[test]
    fn actions_read_as_words() {
        let t = Some("Kamppi 地铁站火灾");
        assert_eq!(
            describe_op(Lang::Zh, &note(1, "现场已封控", None), t),
            "添加备注 · Kamppi 地铁站火灾"
        );
        assert_eq!(
            describe_op(Lang::Zh, &note(1, "", Some("IMG_1.jpg")), t),
            "添加备注（附照片） · Kamppi 地铁站火灾"
        );
        assert_eq!(
            describe_op(Lang::Zh, &stage(1, Some(Stage::Handling), Stage::Feedback), t),
            "推进环节 处置 → 反馈 · Kamppi 地铁站火灾"
        );
        assert_eq!(
            describe_op(Lang::En, &stage(1, None, Stage::Closed), t),
            "Stage → Closed · Kamppi 地铁站火灾"
        );
        let assign = Op::Assign {
            incident_id: Uuid::from_u128(1),
            assignee: " 消防救援支队 ".into(),
        };
        assert_eq!(
            describe_op(Lang::Zh, &assign, t),
            "交办 消防救援支队 · Kamppi 地铁站火灾"
        );
        let ack = Op::Acknowledge {
            incident_id: Uuid::from_u128(0xabcdef12_0000_0000_0000_000000000000),
        };
        assert_eq!(
            describe_op(Lang::En, &ack, None),
            "Acknowledge · incident abcdef12"
        );
        assert_eq!(
            describe_op(Lang::Zh, &create(9, "Hakaniemi 积水"), None),
            "上报事件 · Hakaniemi 积水"
        );
        let mut titles = HashMap::new();
        titles.insert(Uuid::from_u128(1), "Kallio 起火".to_string());
        assert_eq!(
            describe_entry(
                Lang::Zh,
                &entry(
                    1,
                    Op::Acknowledge {
                        incident_id: Uuid::from_u128(1)
                    }
                ),
                &titles
            ),
            "确认 · Kallio 起火"
        );
    }

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
