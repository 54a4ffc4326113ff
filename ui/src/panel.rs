//! Framed panel with a title bar, the building block of the side columns.

use leptos::prelude::*;

use crate::i18n::{self, cockpit_strings};
use crate::state::AppState;
use crate::time;

#[component]
pub fn Panel(
    #[prop(into)] title: Signal<&'static str>,
    #[prop(optional)] class: &'static str,
    /// Small text at the right end of the title bar (e.g. a count).
    #[prop(optional, into)]
    aside: Option<Signal<String>>,
    /// Show the data age ([`DataAgeTag`]) in the title bar.
    #[prop(optional)]
    age: bool,
    /// Controls at the right end of the title bar (e.g. a button).
    #[prop(optional, into)]
    tools: Option<ViewFnOnce>,
    children: Children,
) -> impl IntoView {
    view! {
        <section class=format!("panel {class}")>
            <header class="panel-head">
                <span class="panel-mark" aria-hidden="true"></span>
                <h2 class="panel-title">{move || title.get()}</h2>
                {aside.map(|a| view! { <span class="panel-aside">{move || a.get()}</span> })}
                {age.then(|| view! { <DataAgeTag /> })}
                {tools.map(|f| f.run())}
            </header>
            <div class="panel-body">{children()}</div>
        </section>
    }
}

/// `fresh` (≤ 30 s), `stale` (≤ 5 min), `old`, or `none` (never synced): how old the cached data is.
pub fn age_level(age_s: Option<i64>) -> &'static str {
    match age_s {
        None => "none",
        Some(..=30) => "fresh",
        Some(31..=300) => "stale",
        Some(_) => "old",
    }
}

/// "数据时效 3 s" for a panel: now − `connection.last_sync_at` (the cache is one, so every panel shows the same
/// age; amber after 30 s, red after 5 min, like the header's).
#[component]
pub fn DataAgeTag() -> impl IntoView {
    let state = expect_context::<AppState>();
    let age = move || {
        let now = state.now_ms.get();
        state.snapshot.with(|s| {
            s.as_ref()
                .and_then(|s| s.connection.last_sync_at)
                .map(|at| time::age_secs(now, &at))
        })
    };
    view! {
        <span class="panel-age" data-level=move || age_level(age())>
            <span class="panel-age-label">{move || cockpit_strings(state.lang.get()).data_age}</span>
            <span class="panel-age-value">
                {move || match age() {
                    Some(a) => i18n::duration_short(a),
                    None => cockpit_strings(state.lang.get()).never.to_string(),
                }}
            </span>
        </span>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_levels() {
        assert_eq!(age_level(None), "none");
        assert_eq!(age_level(Some(3)), "fresh");
        assert_eq!(age_level(Some(30)), "fresh");
        assert_eq!(age_level(Some(31)), "stale");
        assert_eq!(age_level(Some(301)), "old");
    }
}
