//! One conflict card of the outbox drawer.

use citydeck_protocol::ipc::Conflict;
use leptos::prelude::*;

use super::words::{describe_entry, describe_op, op_kind};
use crate::css::stage_css;
use crate::i18n::{self, action_strings};
use crate::overlay::subject;
use crate::state::AppState;
use crate::time;
use crate::widgets::{self, ActionButton, ErrorLine, SelectButton};

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
    let reapply = move || super::reapply(state, op_id, busy, error);
    let drop = move || super::drop(state, op_id, busy, error);
    let target = subject(&entry.op);
    let hub_side = move || {
        let l = lang.get();
        let s = action_strings(l);
        let now = state.now_ms.get();
        match &current {
            None => view! { <div class="cf-unknown">{s.conflict_unknown}</div> }.into_any(),
            Some(i) => {
                let last_note = i.notes.last().map(|n| format!("{} · {}", n.by, n.text));
                view! {
                    <dl class="cf-facts">
                        <dt>{s.f_stage}</dt>
                        <dd>
                            <span class=format!("stage-chip {}", stage_css(i.status)) data-stage=i.status.as_str()>
                                {i18n::stage_label(l, i.status)}
                            </span>
                        </dd>
                        <dt>{s.f_assignee}</dt>
                        <dd>{widgets::assignee(l, i.assignee.as_deref())}</dd>
                        <dt>{s.f_acked}</dt>
                        <dd>{widgets::acknowledged(l, &i.acknowledged_by)}</dd>
                        <dt>{s.f_updated}</dt>
                        <dd class="num">{time::stamp_and_age(l, now, &i.updated_at)}</dd>
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
                    <SelectButton class="cf-what" target=target>
                        {describe}
                    </SelectButton>
                    <div class="cf-when num">
                        {move || time::stamp_and_age(lang.get(), state.now_ms.get(), &created)}
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
                <ErrorLine error=error class="cf-error" />
                <ActionButton
                    class="sm-btn sm-btn-primary"
                    action="reapply"
                    busy=busy
                    label=|s| s.conflict_reapply
                    on_click=reapply
                />
                <ActionButton class="sm-btn" action="drop" busy=busy label=|s| s.conflict_drop on_click=drop />
            </div>
        </article>
    }
}
