//! Live feed of open incidents, newest reported first (the snapshot's order; an update changes its row in place,
//! so a storm of updates does not reshuffle what the operator is reading): the right column in peacetime, below
//! the task board (compacted by CSS) in wartime. The column itself is `app.rs`'s.
//!
//! Incidents reported from this desktop that the hub has not confirmed yet lead the feed as "待同步" rows; rows
//! with pending actions show the expected stage and a "待同步" chip (the pending overlay, [`crate::outbox`]).
//! Clicking a row opens the incident detail panel; the selected row is highlighted.

use leptos::prelude::*;
use uuid::Uuid;

use crate::detail::NewIncidentButton;
use crate::i18n::{self, t, to};
use crate::outbox::{self, IncidentView};
use crate::panel::Panel;
use crate::state::AppState;
use crate::summary::{class_css, grade_css, stage_css};
use crate::time;

/// Rows the feed draws: the newest. A wall shows a few dozen; every row drawn costs style, layout and paint on
/// each refresh (500 rows stalled WebKit's main thread for seconds, `cargo xtask bench map`), and the map holds
/// every incident anyway.
pub const FEED_ROWS: usize = 100;

/// The feed with the pending overlay (shared with the map's dots).
pub fn feed_memo(state: AppState) -> Memo<Vec<IncidentView>> {
    Memo::new(move |_| {
        let pending = state.pending_entries();
        state.snapshot.with(|s| {
            s.as_deref()
                .map(|s| outbox::feed_views(s, &pending))
                .unwrap_or_default()
        })
    })
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
        format!("{n} {}", t(lang.get()).incidents_shown)
    };
    let empty = move || state.snapshot.with(Option::is_some) && items.with(Vec::is_empty);

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
            title=Signal::derive(move || t(lang.get()).panel_feed)
            class="panel-feed"
            aside=Signal::derive(count)
            age=true
            tools=|| view! { <NewIncidentButton /> }
        >
            <div class="feed" id="incident-feed">
                <Show when=empty>
                    <div class="feed-empty">{move || t(lang.get()).feed_empty}</div>
                </Show>
                <For
                    each=move || items.with(|v| v.iter().take(FEED_ROWS).cloned().collect::<Vec<_>>())
                    key=|v| (v.incident.id, v.incident.seq, v.pending_ops, v.incident.status, v.unconfirmed())
                    let:v
                >
                    <FeedRow v=v />
                </For>
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
    let unconfirmed = v.unconfirmed();
    let pending = v.pending_ops;
    let stage_pending = v.stage_pending;
    let selected = move || state.selected.get() == Some(id);
    // The clock ticks every second; the text (and the row's layout) changes only when the words do.
    let age = Memo::new(move |_| i18n::age_ago(lang.get(), time::age_secs(state.now_ms.get(), &occurred)));

    view! {
        <div
            class=format!("feed-row {}", grade_css(grade))
            class=("feed-row--new", is_new)
            class=("feed-row--pending", pending > 0)
            class=("feed-row--unconfirmed", unconfirmed)
            class=("feed-row--selected", selected)
            data-incident-id=id.to_string()
            data-grade=grade.as_str()
            data-class=class.as_str()
            data-stage=stage.as_str()
            data-pending=pending.to_string()
            data-unconfirmed=if unconfirmed { "true" } else { "false" }
            data-selected=move || if selected() { "true" } else { "false" }
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
                                    {move || to(lang.get()).chip_pending}
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
                        .then(|| view! { <span class="feed-new-tag">{move || to(lang.get()).unconfirmed_short}</span> })}
                    <span class="feed-source">{inc.source.clone()}</span>
                    <span class="feed-addr">{address}</span>
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
