//! Framed panel with a title bar, the building block of the side columns.

use leptos::prelude::*;

#[component]
pub fn Panel(
    #[prop(into)] title: Signal<&'static str>,
    #[prop(optional)] class: &'static str,
    /// Small text at the right end of the title bar (e.g. a count).
    #[prop(optional, into)]
    aside: Option<Signal<String>>,
    children: Children,
) -> impl IntoView {
    view! {
        <section class=format!("panel {class}")>
            <header class="panel-head">
                <span class="panel-mark" aria-hidden="true"></span>
                <h2 class="panel-title">{move || title.get()}</h2>
                {aside.map(|a| view! { <span class="panel-aside">{move || a.get()}</span> })}
            </header>
            <div class="panel-body">{children()}</div>
        </section>
    }
}
