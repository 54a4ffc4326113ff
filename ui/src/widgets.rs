//! Small views shared by the docked panels (incident detail, report form) and the outbox drawer: the close
//! button, the text fields, the action buttons, the line that says what went wrong, the 待同步 chip, and the
//! facts every incident view words alike. They read only the language from [`AppState`] (and set the selected
//! incident); no feature module is imported here.

use leptos::prelude::*;
use uuid::Uuid;

use crate::i18n::{action_strings, ActionStrings, Lang};
use crate::state::AppState;

/// Which of the [`ActionStrings`] a widget shows (in the language of the moment).
pub type Words = fn(&ActionStrings) -> &'static str;

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

/// A one-line text field (`<input type="text" class="dt-input">`) bound to `value`. `invalid` marks it
/// `.invalid`; `axis` makes it a coordinate (`dt-input num`, a decimal keyboard, `aria-label` the axis). Event
/// listeners given to the component (`on:keydown`) go to the `<input>`.
#[component]
pub fn TextInput(
    id: &'static str,
    value: RwSignal<String>,
    #[prop(optional)] maxlength: Option<&'static str>,
    #[prop(optional)] placeholder: Option<Words>,
    #[prop(optional, into)] invalid: Option<Signal<bool>>,
    #[prop(optional)] axis: Option<&'static str>,
) -> impl IntoView {
    let lang = expect_context::<AppState>().lang;
    view! {
        <input
            id=id
            class=if axis.is_some() { "dt-input num" } else { "dt-input" }
            class=("invalid", move || invalid.is_some_and(|i| i.get()))
            type="text"
            inputmode=axis.map(|_| "decimal")
            aria-label=axis
            maxlength=maxlength
            placeholder=move || placeholder.map(|p| p(action_strings(lang.get())))
            prop:value=move || value.get()
            on:input=move |ev| value.set(event_target_value(&ev))
        />
    }
}

/// A text box of `rows` lines (`<textarea class="dt-input">`) bound to `value`.
#[component]
pub fn TextArea(
    id: &'static str,
    value: RwSignal<String>,
    rows: &'static str,
    maxlength: &'static str,
    #[prop(optional)] placeholder: Option<Words>,
) -> impl IntoView {
    let lang = expect_context::<AppState>().lang;
    view! {
        <textarea
            id=id
            class="dt-input"
            rows=rows
            maxlength=maxlength
            placeholder=move || placeholder.map(|p| p(action_strings(lang.get())))
            prop:value=move || value.get()
            on:input=move |ev| value.set(event_target_value(&ev))
        ></textarea>
    }
}

/// A button that starts an action (`data-action`, what the window tests click), disabled while one is under
/// way (`busy`).
#[component]
pub fn ActionButton(
    class: &'static str,
    action: &'static str,
    busy: RwSignal<bool>,
    label: Words,
    on_click: impl Fn() + 'static,
) -> impl IntoView {
    let lang = expect_context::<AppState>().lang;
    view! {
        <button
            type="button"
            class=class
            data-action=action
            disabled=move || busy.get()
            on:click=move |_| on_click()
        >
            {move || label(action_strings(lang.get()))}
        </button>
    }
}

/// A button that opens the incident `target` in the detail panel (nothing when the row is about none).
#[component]
pub fn SelectButton(class: &'static str, target: Option<Uuid>, children: Children) -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        <button
            type="button"
            class=class
            on:click=move |_| {
                if let Some(id) = target {
                    state.selected.set(Some(id));
                }
            }
        >
            {children()}
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
