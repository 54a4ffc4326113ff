//! The header's outbox badge.

use leptos::prelude::*;

use crate::i18n::action_strings;
use crate::state::AppState;

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
            title=move || action_strings(lang.get()).outbox_title
            on:click=move |_| state.drawer_open.update(|o| *o = !*o)
        >
            <span class="ob-part ob-pending" class=("ob-zero", move || pending() == 0)>
                <span class="badge-dot"></span>
                <span>{move || format!("{} {}", action_strings(lang.get()).badge_pending, pending())}</span>
            </span>
            <Show when=move || rejected() != 0>
                <span class="ob-part ob-rejected">
                    {move || format!("{} {}", action_strings(lang.get()).badge_rejected, rejected())}
                </span>
            </Show>
        </button>
    }
}
