//! Live feed of open incidents, newest reported first (the snapshot's order; an update changes its row in place,
//! so a storm of updates does not reshuffle what the operator is reading): the right column in peacetime, below
//! the task board (compacted by CSS) in wartime. The column itself is `app.rs`'s.
//!
//! Incidents reported from this desktop that the hub has not confirmed yet lead the feed as "待同步" rows; rows
//! with pending actions show the expected stage and a "待同步" chip (the pending overlay, [`crate::overlay`]).
//! Clicking a row opens the incident detail panel; the selected row is highlighted.
//!
//! While the operator reads further down the column (scrolled away from the top), incidents reported since are
//! held back above what they read, counted on a pill ("↑ 12 起新事件"): rows pouring in at the top would push
//! the row being read out of view (WebKit has no scroll anchoring). Back at the top, or a click on the pill,
//! shows them all again. Updates of the rows drawn, closures and this desktop's own reports show at once.

use chrono::{DateTime, Utc};
use leptos::html;
use leptos::prelude::*;
use uuid::Uuid;

use crate::closed_loop::{self, DueChip};
use crate::css::{class_css, grade_css, stage_css};
use crate::i18n::{self, action_strings, cockpit_strings};
use crate::overlay::{self, IncidentView};
use crate::panel::Panel;
use crate::report::NewIncidentButton;
use crate::state::AppState;
use crate::time;

/// Rows the feed draws: the newest. A wall shows a few dozen; every row drawn costs style, layout and paint on
/// each refresh on WebKit's main thread, and the map holds every incident anyway.
pub const FEED_ROWS: usize = 100;

/// The feed with the pending overlay (shared with the map's dots).
pub fn feed_memo(state: AppState) -> Memo<Vec<IncidentView>> {
    Memo::new(move |_| {
        let pending = state.pending_entries();
        state.snapshot.with(|s| {
            s.as_deref()
                .map(|s| overlay::feed_views(s, &pending))
                .unwrap_or_default()
        })
    })
}

/// Scrolled further than this (px) from the top, the operator is reading: new arrivals are held.
const READING_PX: i32 = 8;

/// The rows the feed draws from `views` (newest reported first) while arrivals reported after `held_after` are
/// held back, at most `max`; and how many are held. This desktop's own unconfirmed reports are never held.
pub fn feed_rows(
    views: &[IncidentView],
    held_after: Option<DateTime<Utc>>,
    max: usize,
) -> (Vec<IncidentView>, usize) {
    let held = |v: &IncidentView| !v.unconfirmed() && held_after.is_some_and(|a| v.incident.created_at > a);
    let rows = views.iter().filter(|v| !held(v)).take(max).cloned().collect();
    (rows, views.iter().filter(|v| held(v)).count())
}

/// The newest report time among the confirmed rows (where a hold starts).
fn newest_confirmed(views: &[IncidentView]) -> Option<DateTime<Utc>> {
    views
        .iter()
        .filter(|v| !v.unconfirmed())
        .map(|v| v.incident.created_at)
        .max()
}

#[component]
pub fn IncidentFeed() -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let items = feed_memo(state);
    let count = move || {
        let n = state
            .snapshot
            .with(|s| s.as_ref().map(|s| s.summary.total_open).unwrap_or(0));
        format!("{n} {}", cockpit_strings(lang.get()).incidents_shown)
    };
    let empty = move || state.snapshot.with(Option::is_some) && items.with(Vec::is_empty);
    // Set while the operator reads down the column: the newest report time drawn when they left the top.
    let hold = RwSignal::new(None::<DateTime<Utc>>);
    let rows = Memo::new(move |_| items.with(|v| feed_rows(v, hold.get(), FEED_ROWS)));
    let held = move || rows.with(|r| r.1);
    let any_held = move || held() > 0;
    let feed_ref = NodeRef::<html::Div>::new();
    let on_scroll = move |_| {
        let Some(el) = feed_ref.get_untracked() else {
            return;
        };
        let reading = el.scroll_top() > READING_PX;
        if reading && hold.get_untracked().is_none() {
            // Hold from what is drawn now, so nothing drawn moves away.
            let from = rows.with_untracked(|r| newest_confirmed(&r.0));
            if from.is_some() {
                hold.set(from);
            }
        } else if !reading && hold.get_untracked().is_some() {
            hold.set(None);
        }
    };
    let back_to_newest = move |_| {
        if let Some(el) = feed_ref.get_untracked() {
            el.set_scroll_top(0);
        }
        hold.set(None);
    };

    // Bring the selected row into view (it may have been picked on the map or the task board).
    Effect::new(move |_| {
        if let Some(id) = state.selected.get() {
            let sel = format!("#incident-feed .feed-row[data-incident-id=\"{id}\"]");
            if let Ok(Some(el)) = document().query_selector(&sel) {
                let opts = web_sys::ScrollIntoViewOptions::new();
                opts.set_block(web_sys::ScrollLogicalPosition::Nearest);
                el.scroll_into_view_with_scroll_into_view_options(&opts);
            }
        }
    });

    view! {
        <Panel
            title=Signal::derive(move || cockpit_strings(lang.get()).panel_feed)
            class="panel-feed"
            aside=Signal::derive(count)
            age=true
            tools=|| view! { <NewIncidentButton /> }
        >
            <Show when=any_held>
                <button class="feed-held" data-held=move || held().to_string() on:click=back_to_newest>
                    {move || i18n::feed_held(lang.get(), held())}
                </button>
            </Show>
            <div class="feed" id="incident-feed" node_ref=feed_ref on:scroll=on_scroll>
                <Show when=empty>
                    <div class="feed-empty">{move || cockpit_strings(lang.get()).feed_empty}</div>
                </Show>
                {move || {
                    // A row out of view keeps the height it was last drawn with (content-visibility): the other
                    // layout (平战转换) draws its rows afresh.
                    state.mode.track();
                    view! {
                        <For
                            each=move || rows.with(|r| r.0.clone())
                            key=|v| (v.incident.id, v.incident.seq, v.pending_ops, v.incident.status, v.unconfirmed())
                            let:v
                        >
                            <FeedRow v=v />
                        </For>
                    }
                }}
            </div>
        </Panel>
    }
}

#[component]
fn FeedRow(v: IncidentView) -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let inc = v.incident.clone();
    let id: Uuid = inc.id;
    let is_new = state.fresh_ids.with_untracked(|f| f.contains(&id));
    let occurred = inc.occurred_at;
    let (grade, class, stage) = (inc.grade, inc.class, inc.status);
    let tooltip = inc.description.clone().unwrap_or_else(|| inc.title.clone());
    let address = inc.address.clone();
    // Where it came from (issue 22): its quality, and how many sources reported it.
    let quality = inc.quality;
    let sources = inc.reports.len();
    let unconfirmed = v.unconfirmed();
    let pending = v.pending_ops;
    let stage_pending = v.stage_pending;
    let selected = move || state.selected.get() == Some(id);
    // The clock ticks every second; the text (and the row's layout) changes only when the words do.
    let age = Memo::new(move |_| i18n::age_ago(lang.get(), time::age_secs(state.now_ms.get(), &occurred)));
    // The stage's deadline (the closed loop's clock): past it, the row is red (督办).
    let (due, hub_overdue, rung) = (inc.stage_due_at, inc.overdue, closed_loop::rung_of(&inc));
    let overdue = Memo::new(move |_| {
        closed_loop::due_of(due.as_ref(), hub_overdue, rung, state.now_ms.get()).is_some_and(|d| d.overdue)
    });

    view! {
        <div
            class=format!("feed-row {}", grade_css(grade))
            class=("feed-row--new", is_new)
            class=("feed-row--pending", pending > 0)
            class=("feed-row--unconfirmed", unconfirmed)
            class=("feed-row--selected", selected)
            class=("feed-row--overdue", move || overdue.get())
            data-incident-id=id.to_string()
            data-grade=grade.as_str()
            data-class=class.as_str()
            data-stage=stage.as_str()
            data-quality=quality.as_str()
            data-pending=pending.to_string()
            data-unconfirmed=if unconfirmed { "true" } else { "false" }
            data-selected=move || if selected() { "true" } else { "false" }
            data-overdue=move || if overdue.get() { "true" } else { "false" }
            data-rung=rung.to_string()
            title=tooltip
            role="button"
            tabindex="0"
            on:click=move |_| state.selected.set(Some(id))
            on:keydown=move |ev| {
                if ev.key() == "Enter" {
                    state.selected.set(Some(id));
                }
            }
        >
            <div class="feed-grade">
                <span class=format!("grade-badge {}", grade_css(grade))>
                    {move || i18n::grade_short(lang.get(), grade)}
                </span>
                <span class="feed-grade-name">{move || i18n::grade_name(lang.get(), grade)}</span>
            </div>
            <div class="feed-main">
                <div class="feed-line1">
                    <span class="feed-title">{inc.title.clone()}</span>
                    {(pending > 0)
                        .then(|| {
                            view! {
                                <span class="pending-chip feed-pending">
                                    {move || action_strings(lang.get()).chip_pending}
                                </span>
                            }
                        })}
                    <span class="feed-age">
                        {age}
                    </span>
                </div>
                <div class="feed-line2">
                    <span class=format!("feed-class {}", class_css(class))>
                        {move || i18n::class_label(lang.get(), class)}
                    </span>
                    {unconfirmed
                        .then(|| view! { <span class="feed-new-tag">{move || action_strings(lang.get()).unconfirmed_short}</span> })}
                    <span class="feed-source">{inc.source.clone()}</span>
                    <span class="quality-badge" data-quality=quality.as_str()>
                        {move || i18n::quality_label(lang.get(), quality)}
                    </span>
                    {(sources > 1)
                        .then(|| {
                            view! {
                                <span class="feed-sources num" data-sources=sources.to_string()>
                                    {move || i18n::source_count(lang.get(), sources)}
                                </span>
                            }
                        })}
                    <span class="feed-addr">{address}</span>
                    <DueChip due=due overdue=hub_overdue rung=rung />
                    <span
                        class=format!("stage-chip {}", stage_css(stage))
                        class=("stage-chip--pending", stage_pending)
                        data-pending=if stage_pending { "true" } else { "false" }
                    >
                        {move || i18n::stage_label(lang.get(), stage)}
                    </span>
                </div>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use citydeck_protocol::ModeState;

    /// Views of `n` confirmed incidents reported a minute apart, newest first (as the snapshot lists them).
    fn views(n: i64) -> Vec<IncidentView> {
        let t0 = Utc::now();
        let incidents = (0..n)
            .map(|k| {
                let mut i = crate::fixtures::incident(&format!("#{k}"));
                i.created_at = t0 - chrono::Duration::minutes(k);
                i
            })
            .collect();
        overlay::feed_views(&crate::fixtures::snapshot(incidents, ModeState::initial()), &[])
    }

    #[test]
    fn without_a_hold_the_newest_rows_are_drawn() {
        let v = views(10);
        let (rows, held) = feed_rows(&v, None, 4);
        assert_eq!(held, 0);
        assert_eq!(rows, v[..4]);
    }

    #[test]
    fn arrivals_after_the_hold_are_counted_not_drawn() {
        let v = views(10);
        // The operator left the top when row #3 was the newest: #0, #1 and #2 arrived since.
        let from = v[3].incident.created_at;
        let (rows, held) = feed_rows(&v, Some(from), 100);
        assert_eq!(held, 3);
        assert_eq!(rows, v[3..]);
        assert_eq!(newest_confirmed(&rows), Some(from));
        // The limit counts drawn rows only.
        assert_eq!(feed_rows(&v, Some(from), 2).0, v[3..5]);
    }

    #[test]
    fn this_desktops_own_reports_are_never_held() {
        let mut v = views(5);
        let mut mine = v[0].clone();
        mine.incident.id = Uuid::now_v7();
        mine.incident.created_at = Utc::now() + chrono::Duration::minutes(5);
        mine.confirmed_stage = None;
        v.insert(0, mine.clone());
        let (rows, held) = feed_rows(&v, Some(v[3].incident.created_at), 100);
        assert_eq!(held, 2, "#0 and #1 held, the unconfirmed report is not");
        assert_eq!(rows[0], mine);
        assert_eq!(newest_confirmed(&[mine]), None);
    }
}
