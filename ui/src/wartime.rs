//! The wartime (战时) layout of the cockpit (issue 7, 平战转换).
//!
//! When the city's mode is wartime the cockpit shows, instead of the peacetime overview:
//! - [`WartimeBanner`]: a full-width strip under the header in the response level's colour;
//! - [`WartimeLeft`]: the response clock (the deadlines the level starts, counting down from the switch) and
//!   the command chain (who switched, who confirmed, which screens follow, why);
//! - [`TaskBoard`]: the triggering incident(s) and the other open grade I/II incidents by closed-loop stage;
//! - [`NearbyResources`]: the response resources nearest to the triggering incident, over the map (the map
//!   itself zooms onto the focus: `map/`).
//!
//! [`ExerciseStrip`] and [`ExerciseWatermark`] mark a drill hub in either mode. Every clock is computed from
//! [`AppState::now_ms`] and the mode record's `switched_at`, so each screen counts the same deadline.

use std::cmp::Reverse;
use std::collections::HashSet;

use chrono::{DateTime, Utc};
use citydeck_domain::{deadlines, Deadline};
use citydeck_protocol::ipc::{CockpitSnapshot, WartimeFocus};
use citydeck_protocol::{Grade, ModeKind, ModeState, Stage};
use leptos::prelude::*;
use uuid::Uuid;

use crate::closed_loop::{self, DueChip};
use crate::css::{grade_css, stage_css};
use crate::i18n::{self, wartime_strings, Lang};
use crate::panel::Panel;
use crate::state::{AppState, CockpitMode};
use crate::time;

/// A deadline turns amber this many seconds before it is due.
pub const SOON_S: i64 = 300;
/// Speed of the rough travel-time estimate to a nearby resource.
pub const ETA_KMH: f64 = 30.0;

// ───────────────────────── pure helpers ─────────────────────────

/// A countdown: "mm:ss" under an hour, "h:mm:ss" from an hour on (the sign is the caller's).
pub fn countdown(secs: i64) -> String {
    let s = secs.unsigned_abs();
    if s < 3600 {
        format!("{:02}:{:02}", s / 60, s % 60)
    } else {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    }
}

/// Time since the switch for the banner: "hh:mm:ss" (hours keep counting past 24).
pub fn elapsed_hms(secs: i64) -> String {
    let s = secs.max(0);
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// `ok` | `soon` (due within [`SOON_S`]) | `overdue`: the `data-state` of a deadline row.
pub fn deadline_state(remaining_s: i64) -> &'static str {
    if remaining_s < 0 {
        "overdue"
    } else if remaining_s < SOON_S {
        "soon"
    } else {
        "ok"
    }
}

/// Whole minutes to cover `distance_m` at [`ETA_KMH`], at least one.
pub fn eta_minutes(distance_m: f64) -> u32 {
    let per_min = ETA_KMH * 1000.0 / 60.0;
    let m = (distance_m.max(0.0) / per_min).ceil();
    if m.is_finite() {
        (m as u32).max(1)
    } else {
        1
    }
}

/// The length of the period a deadline's current occurrence counts down, in seconds.
fn period_s(d: &Deadline, occurrence: u32) -> i64 {
    let minutes = match d.repeat_min {
        Some(r) if occurrence > 1 => r,
        _ => d.due_min,
    };
    i64::from(minutes) * 60
}

/// Seconds since the switch (None before the first switch).
pub fn elapsed_s(now_ms: f64, mode: &ModeState) -> Option<i64> {
    mode.switched_at
        .map(|t| ((now_ms - t.timestamp_millis() as f64) / 1000.0).floor().max(0.0) as i64)
}

/// The task board's columns: 采集 and 识别 fold into one "to dispatch" column.
pub const BOARD_COLUMNS: [&str; 5] = ["unassigned", "assigned", "handling", "feedback", "supervised"];

/// Which board column an incident in `stage` goes to (None: closed).
pub fn board_column(stage: Stage) -> Option<usize> {
    match stage {
        Stage::Collected | Stage::Identified => Some(0),
        Stage::Assigned => Some(1),
        Stage::Handling => Some(2),
        Stage::Feedback => Some(3),
        Stage::Supervised => Some(4),
        Stage::Closed => None,
    }
}

fn column_label(lang: Lang, col: usize) -> &'static str {
    match col {
        0 => wartime_strings(lang).board_unassigned,
        1 => i18n::stage_label(lang, Stage::Assigned),
        2 => i18n::stage_label(lang, Stage::Handling),
        3 => i18n::stage_label(lang, Stage::Feedback),
        _ => i18n::stage_label(lang, Stage::Supervised),
    }
}

/// One card of the task board.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskCard {
    pub id: Uuid,
    pub seq: u64,
    pub title: String,
    pub grade: Grade,
    pub stage: Stage,
    pub occurred_at: DateTime<Utc>,
    /// Named by the switch (or the wartime focus).
    pub trigger: bool,
    /// The stage's deadline, the hub's overdue mark and the escalation rung (the closed loop's clock).
    pub due: Option<DateTime<Utc>>,
    pub overdue: bool,
    pub rung: u32,
}

/// The incidents the task board shows: the triggering ones (`mode.incident_ids`, and the focus incident) and
/// every other open grade I/II incident; triggering first, then by grade, then newest first. Closed ones are
/// left out.
pub fn board_cards(snap: &CockpitSnapshot) -> Vec<TaskCard> {
    let mut trigger: HashSet<Uuid> = snap.mode.incident_ids.iter().copied().collect();
    if let Some(f) = &snap.focus {
        trigger.insert(f.incident.id);
    }
    let mut seen = HashSet::new();
    let mut out: Vec<TaskCard> = snap
        .incidents
        .iter()
        .chain(snap.focus.iter().map(|f| &f.incident))
        .filter(|i| seen.insert(i.id))
        .filter(|i| i.status != Stage::Closed)
        .filter(|i| trigger.contains(&i.id) || matches!(i.grade, Grade::I | Grade::II))
        .map(|i| TaskCard {
            id: i.id,
            seq: i.seq,
            title: i.title.clone(),
            grade: i.grade,
            stage: i.status,
            occurred_at: i.occurred_at,
            trigger: trigger.contains(&i.id),
            due: i.stage_due_at,
            overdue: i.overdue,
            rung: closed_loop::rung_of(i),
        })
        .collect();
    out.sort_by_key(|c| (!c.trigger, Reverse(c.grade), Reverse(c.occurred_at)));
    out
}

/// (acknowledged, total, lagging screen names) for the current epoch.
pub fn ack_counts(mode: &ModeState) -> (usize, usize, Vec<String>) {
    let lagging: Vec<String> = mode.lagging_screens().into_iter().map(String::from).collect();
    let mut all: HashSet<&str> = mode.screens.iter().map(String::as_str).collect();
    all.extend(mode.acks.iter().map(|a| a.screen.as_str()));
    let total = all.len();
    (total.saturating_sub(lagging.len()), total, lagging)
}

// ───────────────────────── signals ─────────────────────────

/// The response level while the city is in wartime.
pub fn level_memo(state: AppState) -> Memo<Option<Grade>> {
    Memo::new(move |_| {
        state.snapshot.with(|s| {
            s.as_ref()
                .filter(|s| s.mode.mode == ModeKind::Wartime)
                .and_then(|s| s.mode.level)
        })
    })
}

/// Whether the hub runs a drill.
pub fn exercise_memo(state: AppState) -> Memo<bool> {
    Memo::new(move |_| {
        state
            .snapshot
            .with(|s| s.as_ref().is_some_and(|s| s.mode.exercise))
    })
}

/// The wartime focus (None in peacetime, or in wartime when the switch named no incident).
pub fn focus_memo(state: AppState) -> Memo<Option<WartimeFocus>> {
    Memo::new(move |_| {
        state.snapshot.with(|s| {
            s.as_ref()
                .filter(|s| s.mode.mode == ModeKind::Wartime)
                .and_then(|s| s.focus.clone())
        })
    })
}

fn with_mode<T>(state: AppState, f: impl FnOnce(&ModeState) -> T) -> Option<T> {
    state.snapshot.with(|s| s.as_ref().map(|s| f(&s.mode)))
}

fn switched_at_ms(state: AppState) -> Option<f64> {
    with_mode(state, |m| m.switched_at.map(|t| time::epoch_ms(&t))).flatten()
}

fn level_attr(level: Option<Grade>) -> &'static str {
    level.map(Grade::as_str).unwrap_or("")
}

// ───────────────────────── exercise ─────────────────────────

/// Solid strip under the header on a drill hub: "演习 EXERCISE — 非真实事件".
#[component]
pub fn ExerciseStrip() -> impl IntoView {
    let lang = expect_context::<AppState>().lang;
    view! {
        <div class="exercise-strip" id="exercise-strip" role="note">
            <span class="ex-hatch" aria-hidden="true"></span>
            <span class="ex-mark">{move || wartime_strings(lang.get()).exercise_strip}</span>
            <span class="ex-dash" aria-hidden="true">"—"</span>
            <span class="ex-sub">{move || wartime_strings(lang.get()).exercise_strip_sub}</span>
            <span class="ex-hatch" aria-hidden="true"></span>
        </div>
    }
}

/// Diagonal "演习 EXERCISE" repeated over the whole window; never takes a click.
#[component]
pub fn ExerciseWatermark() -> impl IntoView {
    view! {
        <div id="exercise-watermark" class="exercise-watermark" aria-hidden="true">
            <div class="ew-grid">
                {(0..108).map(|_| view! { <span class="ew-text">"演习 EXERCISE"</span> }).collect_view()}
            </div>
        </div>
    }
}

// ───────────────────────── banner ─────────────────────────

/// "Ⅰ级响应 · 特别重大 · {reason} · 启动 14:02 · 已持续 00:12:33 · 指挥长 commander / 确认 commander2".
#[component]
pub fn WartimeBanner() -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let level = level_memo(state);
    let reason = move || with_mode(state, |m| m.reason.clone()).unwrap_or_default();
    let switched_by = move || with_mode(state, |m| m.switched_by.clone()).flatten();
    let confirmed_by = move || with_mode(state, |m| m.confirmed_by.clone()).flatten();
    let started = move || {
        switched_at_ms(state)
            .map(|t| time::short_hm(state.now_ms.get(), t))
            .unwrap_or_else(|| "—".into())
    };
    let elapsed = move || {
        let now = state.now_ms.get();
        with_mode(state, |m| elapsed_s(now, m))
            .flatten()
            .map(elapsed_hms)
            .unwrap_or_else(|| "—".into())
    };
    view! {
        <div id="wartime-banner" class="wartime-banner" data-level=move || level_attr(level.get())>
            <div class="wb-level">
                <span class="wb-level-mark">
                    {move || level.get().map(|g| i18n::level_response(lang.get(), g)).unwrap_or_default()}
                </span>
                <span class="wb-level-name">
                    {move || level.get().map(|g| i18n::grade_name(lang.get(), g)).unwrap_or_default()}
                </span>
            </div>
            <div class="wb-reason" title=reason>{reason}</div>
            <div class="wb-facts">
                <span class="wb-fact">
                    <span class="wb-key">{move || wartime_strings(lang.get()).started}</span>
                    <span class="wb-val">{started}</span>
                </span>
                <span class="wb-fact">
                    <span class="wb-key">{move || wartime_strings(lang.get()).elapsed}</span>
                    <span class="wb-val wb-elapsed" id="wartime-elapsed">{elapsed}</span>
                </span>
                <span class="wb-fact wb-people">
                    <span class="wb-key">{move || wartime_strings(lang.get()).commander}</span>
                    <span class="wb-val">{move || switched_by().unwrap_or_else(|| "—".into())}</span>
                    {move || {
                        confirmed_by()
                            .map(|c| {
                                view! {
                                    <span class="wb-sep">"/"</span>
                                    <span class="wb-key">{move || wartime_strings(lang.get()).confirmed_by}</span>
                                    <span class="wb-val">{c}</span>
                                }
                            })
                    }}
                </span>
            </div>
        </div>
    }
}

// ───────────────────────── left column ─────────────────────────

/// The left column in wartime: response clock over command chain.
#[component]
pub fn WartimeLeft() -> impl IntoView {
    view! {
        <aside class="col col-left col-wartime">
            <ResponseClock />
            <CommandChain />
        </aside>
    }
}

/// One countdown per deadline of the response level.
#[component]
pub fn ResponseClock() -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let level = level_memo(state);
    let aside = Signal::derive(move || {
        level
            .get()
            .map(|g| i18n::level_response(lang.get(), g))
            .unwrap_or_default()
    });
    view! {
        <Panel title=Signal::derive(move || wartime_strings(lang.get()).panel_clock) class="panel-clock" aside=aside>
            <div id="response-clock" class="response-clock" data-level=move || level_attr(level.get())>
                {move || match level.get() {
                    Some(g) => deadlines(g).iter().map(|d| view! { <DeadlineRow d=*d /> }).collect_view().into_any(),
                    None => view! { <div class="dl-none">{move || wartime_strings(lang.get()).no_level}</div> }.into_any(),
                }}
            </div>
        </Panel>
    }
}

#[component]
fn DeadlineRow(d: Deadline) -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    // (elapsed since the switch, occurrence, remaining seconds)
    let status = move || {
        let now = state.now_ms.get();
        with_mode(state, |m| elapsed_s(now, m)).flatten().map(|e| {
            let s = d.status(e);
            (e, s.occurrence, s.remaining_s)
        })
    };
    let data_state = move || status().map(|(_, _, r)| deadline_state(r)).unwrap_or("ok");
    let label = move || {
        let l = lang.get();
        let name = i18n::deadline_label(l, d.id).to_string();
        match (d.repeat_min, status()) {
            (Some(_), Some((_, occ, _))) => format!("{name} {}", i18n::occurrence(l, occ)),
            _ => name,
        }
    };
    let meta = move || {
        let l = lang.get();
        let limit = match d.repeat_min {
            Some(r) => format!("{} {}", wartime_strings(l).limit, i18n::minutes_label(l, r)),
            None => format!(
                "{} {}",
                wartime_strings(l).limit,
                i18n::minutes_label(l, d.due_min)
            ),
        };
        let due = status().zip(switched_at_ms(state)).map(|((e, _, r), t0)| {
            let due_ms = t0 + ((e + r) * 1000) as f64;
            format!(
                " · {} {}",
                wartime_strings(l).due_at,
                time::short_hm(state.now_ms.get(), due_ms)
            )
        });
        format!("{limit}{}", due.unwrap_or_default())
    };
    let count = move || match status() {
        None => view! { <span class="dl-num">"—"</span> }.into_any(),
        Some((_, _, r)) if r < 0 => view! {
            <span class="dl-over">{move || wartime_strings(lang.get()).overdue}</span>
            <span class="dl-num">{format!("+{}", countdown(r))}</span>
        }
        .into_any(),
        Some((_, _, r)) => view! { <span class="dl-num">{countdown(r)}</span> }.into_any(),
    };
    let bar = move || {
        let pct = status()
            .map(|(_, occ, r)| {
                let p = period_s(&d, occ).max(1) as f64;
                ((p - r as f64) / p * 100.0).clamp(0.0, 100.0)
            })
            .unwrap_or(0.0);
        format!("width:{pct:.1}%")
    };
    view! {
        <div
            class="deadline-row"
            data-deadline-id=d.id
            data-state=data_state
            data-occurrence=move || status().map(|s| s.1).unwrap_or(1)
            data-remaining=move || status().map(|s| s.2.to_string()).unwrap_or_default()
        >
            <div class="dl-main">
                <div class="dl-label">{label}</div>
                <div class="dl-meta">{meta}</div>
            </div>
            <div class="dl-count">{count}</div>
            <div class="dl-bar">
                <span style=bar></span>
            </div>
        </div>
    }
}

/// Who switched, who confirmed, which screens follow, and why.
#[component]
pub fn CommandChain() -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let level = level_memo(state);
    let switched_by = move || with_mode(state, |m| m.switched_by.clone()).flatten();
    let confirmed_by = move || with_mode(state, |m| m.confirmed_by.clone()).flatten();
    let reason = move || with_mode(state, |m| m.reason.clone()).unwrap_or_default();
    let started = move || {
        switched_at_ms(state)
            .map(|t| time::short_hm(state.now_ms.get(), t))
            .unwrap_or_else(|| "—".into())
    };
    let acks = move || with_mode(state, ack_counts).unwrap_or((0, 0, Vec::new()));
    let me = move || {
        state.snapshot.with(|s| {
            s.as_ref()
                .and_then(|s| s.me.as_ref())
                .map(|m| format!("{} · {}", m.screen, m.username))
        })
    };
    let ack_state = move || {
        let (_, total, lagging) = acks();
        if total == 0 {
            "none"
        } else if lagging.is_empty() {
            "complete"
        } else {
            "lagging"
        }
    };
    let ack_detail = move || {
        let (_, _, lagging) = acks();
        let l = lang.get();
        if lagging.is_empty() {
            wartime_strings(l).chain_all_acked.to_string()
        } else {
            format!("{} {}", wartime_strings(l).chain_waiting, lagging.join(", "))
        }
    };
    view! {
        <Panel title=Signal::derive(move || wartime_strings(lang.get()).panel_chain) class="panel-chain">
            <dl class="chain" id="command-chain">
                <div class="chain-row chain-commander">
                    <dt>{move || wartime_strings(lang.get()).commander}</dt>
                    <dd class="chain-person">{move || switched_by().unwrap_or_else(|| "—".into())}</dd>
                </div>
                <Show when=move || level.get() == Some(Grade::I)>
                    <div
                        class="chain-row chain-confirmer"
                        data-state=move || if confirmed_by().is_some() { "confirmed" } else { "missing" }
                    >
                        <dt>{move || wartime_strings(lang.get()).confirmed_by}</dt>
                        <dd class="chain-person">
                            {move || confirmed_by().unwrap_or_else(|| wartime_strings(lang.get()).not_confirmed.to_string())}
                        </dd>
                    </div>
                </Show>
                <div class="chain-row">
                    <dt>{move || wartime_strings(lang.get()).chain_started}</dt>
                    <dd class="chain-num">{started}</dd>
                </div>
                <div class="chain-row chain-acks" id="chain-acks" data-state=ack_state>
                    <dt>{move || wartime_strings(lang.get()).chain_screens}</dt>
                    <dd>
                        <span class="chain-num">
                            {move || {
                                let (a, t, _) = acks();
                                format!("{a}/{t}")
                            }}
                        </span>
                        <span class="chain-ack-detail" title=ack_detail>{ack_detail}</span>
                    </dd>
                </div>
                <Show when=move || me().is_some()>
                    <div class="chain-row chain-me">
                        <dt>{move || wartime_strings(lang.get()).chain_this_screen}</dt>
                        <dd class="chain-person">{move || me().unwrap_or_default()}</dd>
                    </div>
                </Show>
                <div class="chain-row chain-reason">
                    <dt>{move || wartime_strings(lang.get()).chain_reason}</dt>
                    <dd>{reason}</dd>
                </div>
            </dl>
        </Panel>
    }
}

// ───────────────────────── task board ─────────────────────────

/// The triggering and other grade I/II incidents in columns by closed-loop stage.
#[component]
pub fn TaskBoard() -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let cards = Memo::new(move |_| {
        state
            .snapshot
            .with(|s| s.as_deref().map(board_cards).unwrap_or_default())
    });
    let aside = Signal::derive(move || {
        let n = cards.with(Vec::len);
        match lang.get() {
            Lang::Zh => format!("{n} 件"),
            Lang::En => format!("{n}"),
        }
    });
    view! {
        <Panel title=Signal::derive(move || wartime_strings(lang.get()).panel_board) class="panel-board" aside=aside age=true>
            <div class="task-board" id="task-board">
                {BOARD_COLUMNS
                    .iter()
                    .enumerate()
                    .map(|(col, key)| {
                        let in_col = move || {
                            cards
                                .get()
                                .into_iter()
                                .filter(|c| board_column(c.stage) == Some(col))
                                .collect::<Vec<_>>()
                        };
                        let n = move || cards.with(|v| v.iter().filter(|c| board_column(c.stage) == Some(col)).count());
                        view! {
                            <div class="task-col" data-col=*key>
                                <div class="task-col-head">
                                    <span class="task-col-name">{move || column_label(lang.get(), col)}</span>
                                    <span class="task-col-num" class=("zero", move || n() == 0)>{n}</span>
                                </div>
                                <div class="task-col-body">
                                    <For each=in_col key=|c| (c.id, c.seq, c.trigger) let:c>
                                        <TaskCardView c=c />
                                    </For>
                                </div>
                            </div>
                        }
                    })
                    .collect_view()}
            </div>
        </Panel>
    }
}

#[component]
fn TaskCardView(c: TaskCard) -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let occurred = c.occurred_at;
    let grade = c.grade;
    let id = c.id;
    let selected = move || state.selected.get() == Some(id);
    // This desktop has actions on it that the hub has not confirmed yet.
    let pending = move || {
        state
            .pending_entries()
            .iter()
            .any(|e| crate::overlay::subject(&e.op) == Some(id))
    };
    let (due, hub_overdue, rung) = (c.due, c.overdue, c.rung);
    let overdue = Memo::new(move |_| {
        closed_loop::due_of(due.as_ref(), hub_overdue, rung, state.now_ms.get()).is_some_and(|d| d.overdue)
    });
    view! {
        <div
            class=format!("task-card {} {}", grade_css(grade), stage_css(c.stage))
            class=("task-card--overdue", move || overdue.get())
            data-overdue=move || if overdue.get() { "true" } else { "false" }
            class=("task-card--trigger", c.trigger)
            class=("task-card--selected", selected)
            class=("task-card--pending", pending)
            data-incident-id=c.id.to_string()
            data-stage=c.stage.as_str()
            data-grade=grade.as_str()
            data-selected=move || if selected() { "true" } else { "false" }
            title=c.title.clone()
            role="button"
            tabindex="0"
            on:click=move |_| state.selected.set(Some(id))
        >
            <div class="tc-top">
                <span class=format!("grade-badge tc-grade {}", grade_css(grade))>
                    {move || i18n::grade_short(lang.get(), grade)}
                </span>
                <Show when=pending>
                    <span class="pending-chip tc-pending">{move || crate::i18n::action_strings(lang.get()).chip_pending}</span>
                </Show>
                <span class="tc-age">
                    {move || i18n::age_ago(lang.get(), time::age_secs(state.now_ms.get(), &occurred))}
                </span>
            </div>
            <div class="tc-title">{c.title.clone()}</div>
            <div class="tc-due">
                <DueChip due=due overdue=hub_overdue rung=rung />
            </div>
            {c.trigger.then(|| view! { <div class="tc-trigger">{move || wartime_strings(lang.get()).board_trigger}</div> })}
        </div>
    }
}

// ───────────────────────── nearby resources ─────────────────────────

/// Over the bottom-left of the map in wartime: the resources nearest to the triggering incident, or a note that
/// the switch named none.
#[component]
pub fn NearbyResources() -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let focus = focus_memo(state);
    let has_focus = move || focus.with(Option::is_some);
    let no_focus = move || {
        view! {
            <div class="no-focus-note" id="no-focus-note" role="note">
                <span class="no-focus-icon" aria-hidden="true">"!"</span>
                <div>
                    <div class="no-focus-title">{move || wartime_strings(lang.get()).no_focus_title}</div>
                    <div class="no-focus-body">{move || wartime_strings(lang.get()).no_focus_body}</div>
                </div>
            </div>
        }
    };
    let rows = move || {
        focus.with(|f| {
            f.as_ref()
                .map(|f| {
                    f.nearby
                        .iter()
                        .map(|r| (r.name.clone(), r.kind.clone(), r.group.clone(), r.distance_m))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    view! {
        <Show when=has_focus fallback=no_focus>
            <section class="nearby-card" id="nearby-resources">
                <header class="nearby-head">
                    <span class="panel-mark" aria-hidden="true"></span>
                    <span class="nearby-title">{move || wartime_strings(lang.get()).nearby_title}</span>
                    <span class="nearby-count">{move || rows().len()}</span>
                </header>
                <div class="nearby-list">
                    <Show when=move || rows().is_empty()>
                        <div class="nearby-empty">{move || wartime_strings(lang.get()).nearby_empty}</div>
                    </Show>
                    {move || {
                        rows()
                            .into_iter()
                            .map(|(name, kind, group, dist)| {
                                let k = kind.clone();
                                view! {
                                    <div class="nearby-row" data-group=group.clone() data-kind=kind.clone()>
                                        <span class=format!("res-icon res-{group}") aria-hidden="true"></span>
                                        <span class="nr-name" title=name.clone()>{name.clone()}</span>
                                        <span class="nr-kind">
                                            {move || i18n::resource_kind(lang.get(), &k).to_string()}
                                        </span>
                                        <span class="nr-dist">{i18n::distance(dist)}</span>
                                        <span class="nr-eta">{move || i18n::eta(lang.get(), eta_minutes(dist))}</span>
                                    </div>
                                }
                            })
                            .collect_view()
                    }}
                </div>
            </section>
        </Show>
    }
}

/// True while the cockpit shows the wartime layout.
pub fn wartime_signal(state: AppState) -> Signal<bool> {
    Signal::derive(move || state.mode.get() == CockpitMode::Wartime)
}

#[cfg(test)]
mod tests {
    use super::*;
    use citydeck_protocol::{fixtures, Incident, ScreenAck};

    #[test]
    fn countdowns_read_like_clocks() {
        assert_eq!(countdown(0), "00:00");
        assert_eq!(countdown(299), "04:59");
        assert_eq!(countdown(-1620), "27:00");
        assert_eq!(countdown(3600), "1:00:00");
        assert_eq!(countdown(86_399), "23:59:59");
        assert_eq!(elapsed_hms(753), "00:12:33");
        assert_eq!(elapsed_hms(90_061), "25:01:01");
    }

    #[test]
    fn deadline_states() {
        assert_eq!(deadline_state(301), "ok");
        assert_eq!(deadline_state(300), "ok");
        assert_eq!(deadline_state(299), "soon");
        assert_eq!(deadline_state(0), "soon");
        assert_eq!(deadline_state(-1), "overdue");
        // Level I, 57 minutes after the switch: the first report is late, the written report is close.
        let d = deadlines(Grade::I);
        let at = |id: &str| d.iter().find(|x| x.id == id).unwrap().status(57 * 60).remaining_s;
        assert_eq!(deadline_state(at("first_report")), "overdue");
        assert_eq!(deadline_state(at("written_report")), "soon");
        assert_eq!(deadline_state(at("info_release")), "ok");
    }

    #[test]
    fn periods_and_etas() {
        let d = deadlines(Grade::I).iter().find(|d| d.id == "follow_up").unwrap();
        assert_eq!(period_s(d, 1), 3600);
        assert_eq!(period_s(d, 3), 3600);
        assert_eq!(eta_minutes(0.0), 1);
        assert_eq!(eta_minutes(500.0), 1);
        assert_eq!(eta_minutes(501.0), 2);
        assert_eq!(eta_minutes(2400.0), 5);
    }

    #[test]
    fn collected_and_identified_share_a_column() {
        assert_eq!(board_column(Stage::Collected), Some(0));
        assert_eq!(board_column(Stage::Identified), Some(0));
        assert_eq!(board_column(Stage::Supervised), Some(4));
        assert_eq!(board_column(Stage::Closed), None);
    }

    fn incident(n: u64, grade: Grade, stage: Stage, minutes_ago: i64) -> Incident {
        fixtures::incident(n)
            .grade(grade)
            .status(stage)
            .at(Utc::now() - chrono::Duration::minutes(minutes_ago))
            .build()
    }

    fn snapshot(incidents: Vec<Incident>, mode: ModeState) -> CockpitSnapshot {
        crate::fixtures::snapshot(incidents, mode)
    }

    #[test]
    fn board_shows_triggers_first_then_grade_i_and_ii() {
        let trig = incident(1, Grade::III, Stage::Handling, 5);
        let mut mode = ModeState::initial();
        mode.mode = ModeKind::Wartime;
        mode.level = Some(Grade::I);
        mode.incident_ids = vec![trig.id];
        let snap = snapshot(
            vec![
                incident(2, Grade::II, Stage::Collected, 1),
                incident(3, Grade::IV, Stage::Handling, 1),
                incident(4, Grade::I, Stage::Supervised, 30),
                incident(5, Grade::I, Stage::Closed, 30),
                trig,
            ],
            mode,
        );
        let cards = board_cards(&snap);
        let ids: Vec<u64> = cards.iter().map(|c| c.seq).collect();
        assert_eq!(
            ids,
            vec![1, 4, 2],
            "trigger (even grade III) first, no IV, no closed"
        );
        assert!(cards[0].trigger && !cards[1].trigger);
    }

    #[test]
    fn acks_count_registered_screens_that_never_acked() {
        let mut mode = ModeState::initial();
        mode.epoch = 4;
        mode.screens = vec!["a".into(), "b".into(), "c".into()];
        let ack = |s: &str, e| ScreenAck {
            screen: s.into(),
            epoch: e,
            by: "x".into(),
            at: Utc::now(),
        };
        mode.acks = vec![ack("a", 4), ack("b", 3), ack("d", 4)];
        let (acked, total, lagging) = ack_counts(&mode);
        assert_eq!((acked, total), (2, 4));
        assert_eq!(lagging, vec!["b".to_string(), "c".to_string()]);
    }
}
