//! Live feed of open incidents, newest first (the snapshot's order): the right column in peacetime, below the
//! task board (compacted by CSS) in wartime. The column itself is `app.rs`'s.

use citydeck_protocol::Incident;
use leptos::prelude::*;

use crate::i18n::{self, t};
use crate::panel::Panel;
use crate::state::AppState;
use crate::summary::{class_css, grade_css, stage_css};
use crate::time;

#[component]
pub fn IncidentFeed() -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let incidents = move || {
        state
            .snapshot
            .with(|s| s.as_ref().map(|s| s.incidents.clone()).unwrap_or_default())
    };
    let count = move || {
        let n = state
            .snapshot
            .with(|s| s.as_ref().map(|s| s.incidents.len()).unwrap_or(0));
        format!("{n} {}", t(lang.get()).incidents_shown)
    };
    let empty = move || {
        state
            .snapshot
            .with(|s| s.as_ref().is_some_and(|s| s.incidents.is_empty()))
    };

    view! {
        <Panel title=Signal::derive(move || t(lang.get()).panel_feed) class="panel-feed" aside=Signal::derive(count)>
            <div class="feed" id="incident-feed">
                <Show when=empty>
                    <div class="feed-empty">{move || t(lang.get()).feed_empty}</div>
                </Show>
                <For each=incidents key=|i| (i.id, i.seq) let:inc>
                    <FeedRow inc=inc />
                </For>
            </div>
        </Panel>
    }
}

#[component]
fn FeedRow(inc: Incident) -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let is_new = state.fresh_ids.with_untracked(|f| f.contains(&inc.id));
    let occurred = inc.occurred_at;
    let (grade, class, stage) = (inc.grade, inc.class, inc.status);
    let tooltip = inc.description.clone().unwrap_or_else(|| inc.title.clone());
    let address = inc.address.clone();

    view! {
        <div
            class=format!("feed-row {}", grade_css(grade))
            class=("feed-row--new", is_new)
            data-incident-id=inc.id.to_string()
            data-grade=grade.as_str()
            data-class=class.as_str()
            data-stage=stage.as_str()
            title=tooltip
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
                    <span class="feed-age">
                        {move || i18n::age_ago(lang.get(), time::age_secs(state.now_ms.get(), &occurred))}
                    </span>
                </div>
                <div class="feed-line2">
                    <span class=format!("feed-class {}", class_css(class))>
                        {move || i18n::class_label(lang.get(), class)}
                    </span>
                    <span class="feed-source">{inc.source.clone()}</span>
                    <span class="feed-addr">{address}</span>
                    <span class=format!("stage-chip {}", stage_css(stage))>
                        {move || i18n::stage_label(lang.get(), stage)}
                    </span>
                </div>
            </div>
        </div>
    }
}
