//! Small views shared by the docked panels (incident detail, report form) and the outbox drawer: the close
//! button, the line that says what went wrong, the 待同步 chip, and the facts every incident view words alike.
//! They read only the language from [`AppState`]; no feature module is imported here.

use leptos::prelude::*;

use crate::i18n::{action_strings, Lang};
use crate::state::AppState;

/// "×" in a panel's title bar: closes the panel (`on_close`); `id` is what the window tests click.
#[component]
pub fn CloseButton(id: &'static str, on_close: impl Fn() + 'static) -> impl IntoView {
    let lang = expect_context::<AppState>().lang;
    view! {
        <button
            type="button"
            class="x-btn"
            id=id
            title=move || action_strings(lang.get()).close
            on:click=move |_| on_close()
        >
            "×"
        </button>
    }
}

/// What went wrong, shown while `error` holds something: `<div class={class} id={id}>`.
#[component]
pub fn ErrorLine(
    error: RwSignal<Option<String>>,
    class: &'static str,
    #[prop(optional)] id: Option<&'static str>,
) -> impl IntoView {
    view! {
        <Show when=move || error.with(Option::is_some)>
            <div class=class id=id>
                {move || error.get()}
            </div>
        </Show>
    }
}

/// The 待同步 chip beside what this desktop did and the hub has not confirmed yet.
pub fn pending_chip(lang: Lang) -> impl IntoView {
    view! { <span class="pending-chip">{action_strings(lang).chip_pending}</span> }
}

/// Who acknowledged an incident, in order, or "无" / "none".
pub fn acknowledged(lang: Lang, by: &[String]) -> String {
    if by.is_empty() {
        action_strings(lang).none.to_string()
    } else {
        by.join("、")
    }
}

/// Who an incident is assigned to, or "未交办" / "unassigned".
pub fn assignee(lang: Lang, who: Option<&str>) -> String {
    who.map_or_else(|| action_strings(lang).unassigned.to_string(), str::to_string)
}
