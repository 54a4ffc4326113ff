//! `#outbox-drawer`: the conflicts, every open action with its age and state, what recently landed on the hub,
//! and the field bundle section.

use citydeck_protocol::ipc::{OutboxEntry, OutboxState};
use leptos::prelude::*;

use super::conflict::ConflictCard;
use super::words::{describe_entry, op_kind, state_key, state_label};
use crate::i18n::{self, action_strings, Lang};
use crate::overlay::subject;
use crate::state::AppState;
use crate::time;
use crate::widgets::{ActionButton, CloseButton, ErrorLine, SelectButton};

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
            <aside class="outbox-drawer" id="outbox-drawer" role="dialog" aria-label=move || action_strings(lang.get()).outbox_title>
                <header class="od-head">
                    <span class="panel-mark" aria-hidden="true"></span>
                    <h2 class="od-title">{move || action_strings(lang.get()).outbox_title}</h2>
                    <span class="od-counts">
                        <span class="od-count od-count-pending" data-n=move || counts().pending>
                            {move || format!("{} {}", action_strings(lang.get()).badge_pending, counts().pending)}
                        </span>
                        <span class="od-count od-count-rejected" data-n=move || counts().rejected>
                            {move || format!("{} {}", action_strings(lang.get()).badge_rejected, counts().rejected)}
                        </span>
                    </span>
                    <CloseButton id="outbox-close" on_close=move || state.drawer_open.set(false) />
                </header>
                <div class="od-body">
                    <Show when=offline>
                        <div class="od-offline" id="outbox-offline">{move || action_strings(lang.get()).drawer_offline}</div>
                    </Show>
                    <Show when=move || !conflicts().is_empty()>
                        <section class="conflict-view" id="conflict-view">
                            <h3 class="od-section">
                                {move || format!("{} · {}", action_strings(lang.get()).conflicts_title, conflicts().len())}
                            </h3>
                            <For each=conflicts key=|c| c.entry.op_id let:c>
                                <ConflictCard c=c />
                            </For>
                        </section>
                    </Show>
                    <Show when=move || !rows().is_empty()>
                        <h3 class="od-section">{move || action_strings(lang.get()).queue_title}</h3>
                    </Show>
                    <div class="od-list" id="outbox-list">
                        <For each=rows key=|e| (e.op_id, state_key(e.state)) let:e>
                            <OutboxRow e=e />
                        </For>
                    </div>
                    <Show when=empty>
                        <div class="od-empty" id="outbox-empty">{move || action_strings(lang.get()).outbox_empty}</div>
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
                <footer class="od-foot">{move || action_strings(lang.get()).outbox_footer}</footer>
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
    let refused = e.clone();
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let drop = move || super::drop(state, op_id, busy, error);
    view! {
        <div
            class="outbox-row"
            data-state=state_key(st)
            data-op-id=op_id.to_string()
            data-kind=op_kind(&e.op)
            data-incident-id=target.map(|t| t.to_string()).unwrap_or_default()
        >
            <SelectButton class="or-main" target=target>
                <span class="or-text">{text}</span>
                <span class="or-age">
                    {move || i18n::age_ago(lang.get(), time::age_secs(state.now_ms.get(), &created))}
                </span>
            </SelectButton>
            <span class="ob-chip" data-state=state_key(st)>{move || state_label(lang.get(), st)}</span>
            {(st == OutboxState::Rejected)
                .then(|| {
                    view! {
                        <div class="or-reason">
                            {
                                let r = refused.clone();
                                move || crate::reasons::entry_reason(lang.get(), &r).unwrap_or_default()
                            }
                        </div>
                        <ActionButton class="sm-btn" action="drop" busy=busy label=|s| s.conflict_drop on_click=drop />
                    }
                })}
            <ErrorLine error=error class="or-error" />
        </div>
    }
}
