//! One conflict card of the outbox drawer.

use citydeck_protocol::ipc::Conflict;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::words::{describe_entry, describe_op, op_kind};
use crate::css::stage_css;
use crate::i18n::{self, action_strings};
use crate::overlay::subject;
use crate::state::AppState;
use crate::time;

/// One conflict: "你的操作" (the action, when, the hub's reason) against "中心现状" (the incident as the hub has
/// it now), with 重新提交 (queue again against the current state) and 放弃 (drop).
#[component]
pub fn ConflictCard(c: Conflict) -> impl IntoView {
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
    let refused = entry.clone();
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
                Err(e) => error.set(Some(crate::reasons::ipc_error(lang.get_untracked(), &e))),
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
                Err(e) => error.set(Some(crate::reasons::ipc_error(lang.get_untracked(), &e))),
            }
        });
    };
    let target = subject(&entry.op);
    let hub_side = move || {
        let l = lang.get();
        let s = action_strings(l);
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
                                i18n::age_ago(l, time::age_secs(now, &i.updated_at)),
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
                    <div class="cf-label">{move || action_strings(lang.get()).conflict_yours}</div>
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
                                i18n::age_ago(lang.get(), time::age_secs(now, &created)),
                            )
                        }}
                    </div>
                    <div class="cf-reason">
                        {move || crate::reasons::entry_reason(lang.get(), &refused).unwrap_or_default()}
                    </div>
                </div>
                <div class="cf-side cf-hub">
                    <div class="cf-label">{move || action_strings(lang.get()).conflict_hub}</div>
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
                    {move || action_strings(lang.get()).conflict_reapply}
                </button>
                <button type="button" class="sm-btn" data-action="drop" disabled=move || busy.get() on:click=drop>
                    {move || action_strings(lang.get()).conflict_drop}
                </button>
            </div>
        </article>
    }
}
