//! Top bar: mode and link state on the left, city + product title in the middle, data age, clock and language
//! switch on the right.

use citydeck_protocol::ipc::ConnectionState;
use leptos::prelude::*;

use crate::i18n::{self, cockpit_strings, Lang};
use crate::mode_switch::{ProposalBanner, SwitchButton, SwitchDialog, SwitchNotice, SwitchUi};
use crate::state::{AppState, CockpitMode};
use crate::time;

#[component]
pub fn Header() -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;

    let city = move || {
        state.snapshot.with(|s| {
            s.as_ref()
                .map(|s| match lang.get() {
                    Lang::Zh => s.city.name_zh.clone(),
                    Lang::En => s.city.name_en.clone(),
                })
                .unwrap_or_default()
        })
    };

    SwitchUi::provide();

    view! {
        <header class="hdr">
            <div class="hdr-side hdr-left">
                <ModeBadge mode=state.mode.into() />
                <SwitchButton />
                <ConnectionBadge />
                <crate::vitals::ScenarioSelect />
                <AckBadge />
            </div>
            <div class="hdr-title">
                <h1>
                    <span class="hdr-city">{city}</span>
                    <span class="hdr-product">{move || cockpit_strings(lang.get()).product}</span>
                </h1>
                <div class="hdr-sub">{move || cockpit_strings(lang.get()).product_sub}</div>
            </div>
            <div class="hdr-side hdr-right">
                <crate::outbox::OutboxBadge />
                <DataAge />
                <Clock />
                <LangSwitch />
            </div>
            <ProposalBanner />
            <SwitchNotice />
            <SwitchDialog />
        </header>
    }
}

/// 平时 / 战时 badge. Takes the mode as a signal so the wartime feature can drive it.
#[component]
pub fn ModeBadge(mode: Signal<CockpitMode>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let level = move || state.snapshot.with(|s| s.as_ref().and_then(|s| s.mode.level));
    let label = move || {
        let lang = state.lang.get();
        let (zh, en) = match mode.get() {
            CockpitMode::Peacetime => (
                cockpit_strings(Lang::Zh).mode_peacetime,
                cockpit_strings(Lang::En).mode_peacetime,
            ),
            CockpitMode::Wartime => (
                cockpit_strings(Lang::Zh).mode_wartime,
                cockpit_strings(Lang::En).mode_wartime,
            ),
        };
        // Bilingual in peacetime; in wartime the level follows and space in the header is short.
        let base = match (lang, mode.get()) {
            (Lang::Zh, CockpitMode::Peacetime) => format!("{zh} {en}"),
            (Lang::Zh, CockpitMode::Wartime) => zh.to_string(),
            (Lang::En, _) => en.to_string(),
        };
        // In wartime the response level is part of the mode: "战时 Wartime · Ⅱ级响应".
        match level() {
            Some(g) if mode.get() == CockpitMode::Wartime => match lang {
                Lang::Zh => format!("{base} · {}响应", i18n::grade_short(lang, g)),
                Lang::En => format!("{base} · level {} response", i18n::grade_short(lang, g)),
            },
            _ => base,
        }
    };
    view! {
        <div
            class="badge mode-badge"
            data-mode=move || mode.get().as_str()
            data-level=move || level().map(|g| g.as_str()).unwrap_or("")
        >
            <span class="badge-dot"></span>
            <span>{label}</span>
        </div>
    }
}

/// After a switch has had this long to reach every screen, the ones that have not acknowledged it are named.
const ACK_GRACE_MS: f64 = 15_000.0;

/// How many screens have acknowledged the current mode epoch, naming those still behind after the grace time.
/// Hidden before the first switch.
#[component]
fn AckBadge() -> impl IntoView {
    let state = expect_context::<AppState>();
    // (acked, total, lagging names, ms since the switch). Total counts every screen the hub knows, so a
    // registered screen that never acknowledged anything is lagging too.
    let info = move || {
        let now = state.now_ms.get();
        state.snapshot.with(|s| {
            let m = &s.as_ref()?.mode;
            if m.epoch == 0 {
                return None;
            }
            let lagging: Vec<String> = m.lagging_screens().into_iter().map(String::from).collect();
            let mut total = m.screens.len();
            // Older hubs list no screens: count the acks.
            if total == 0 {
                total = m.acks.len();
            }
            let acked = total.saturating_sub(lagging.len());
            let since = m
                .switched_at
                .map(|t| now - t.timestamp_millis() as f64)
                .unwrap_or(0.0);
            Some((acked, total, lagging, since))
        })
    };
    let text = move || {
        let lang = state.lang.get();
        info()
            .map(|(acked, total, lagging, since)| {
                let late = !lagging.is_empty() && since > ACK_GRACE_MS;
                let names = lagging.iter().take(2).cloned().collect::<Vec<_>>().join(", ");
                let more = if lagging.len() > 2 {
                    format!(" +{}", lagging.len() - 2)
                } else {
                    String::new()
                };
                match (lang, late) {
                    (Lang::Zh, false) => format!("屏幕确认 {acked}/{total}"),
                    (Lang::Zh, true) => format!("屏幕确认 {acked}/{total} · 未确认 {names}{more}"),
                    (Lang::En, false) => format!("Screens acked {acked}/{total}"),
                    (Lang::En, true) => format!("Screens acked {acked}/{total} · waiting for {names}{more}"),
                }
            })
            .unwrap_or_default()
    };
    let data_state = move || match info() {
        None => "none",
        Some((_, _, lagging, since)) if !lagging.is_empty() && since > ACK_GRACE_MS => "lagging",
        Some((_, _, lagging, _)) if !lagging.is_empty() => "pending",
        Some(_) => "complete",
    };
    view! {
        <div
            class="badge ack-badge"
            id="ack-badge"
            data-state=data_state
            title=move || info().map(|i| i.2.join(", ")).unwrap_or_default()
        >
            <span class="badge-dot"></span>
            <span>{text}</span>
        </div>
    }
}

#[component]
fn ConnectionBadge() -> impl IntoView {
    let state = expect_context::<AppState>();
    let text = move || {
        let lang = state.lang.get();
        let now = state.now_ms.get();
        state
            .snapshot
            .with(|s| match s.as_deref().map(|s| &s.connection.state) {
                None | Some(ConnectionState::Connecting) => cockpit_strings(lang).conn_connecting.to_string(),
                Some(ConnectionState::Online) => cockpit_strings(lang).conn_online.to_string(),
                Some(ConnectionState::Reconnecting { attempt, .. }) => {
                    i18n::conn_reconnecting(lang, *attempt)
                }
                Some(ConnectionState::Offline { since, .. }) => {
                    let since = since.as_ref().map(|t| time::short_stamp(now, time::epoch_ms(t)));
                    i18n::conn_offline(lang, since.as_deref())
                }
            })
    };
    let tooltip = move || {
        state.snapshot.with(|s| {
            s.as_deref()
                .map(|s| match &s.connection.state {
                    ConnectionState::Reconnecting { last_error, .. }
                    | ConnectionState::Offline { last_error, .. } => {
                        format!("{} — {}", s.connection.hub, last_error)
                    }
                    _ => s.connection.hub.clone(),
                })
                .unwrap_or_default()
        })
    };
    view! {
        <div class="badge conn-badge" data-state=move || state.connection_key() title=tooltip>
            <span class="badge-dot"></span>
            <span>{text}</span>
        </div>
    }
}

/// "数据时效 3 s": now − `connection.last_sync_at`. Turns amber after 30 s and red after 5 min.
#[component]
fn DataAge() -> impl IntoView {
    let state = expect_context::<AppState>();
    let age = move || {
        let now = state.now_ms.get();
        state.snapshot.with(|s| {
            s.as_ref()
                .and_then(|s| s.connection.last_sync_at)
                .map(|at| time::age_secs(now, &at))
        })
    };
    let level = move || match age() {
        None => "none",
        Some(0..=30) => "fresh",
        Some(31..=300) => "stale",
        Some(_) => "old",
    };
    view! {
        <div class="badge age-badge" data-level=level>
            <span class="age-label">{move || cockpit_strings(state.lang.get()).data_age}</span>
            <span class="age-value">
                {move || match age() {
                    Some(a) => i18n::duration_short(a),
                    None => cockpit_strings(state.lang.get()).never.to_string(),
                }}
            </span>
        </div>
    }
}

#[component]
fn Clock() -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        <div class="clock">
            <span class="clock-time">{move || time::hms(state.now_ms.get())}</span>
            <span class="clock-date">{move || time::ymd_weekday(state.lang.get(), state.now_ms.get())}</span>
        </div>
    }
}

#[component]
fn LangSwitch() -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let choose = move |l: Lang| {
        lang.set(l);
        l.save();
    };
    view! {
        <div class="lang-switch" role="group" title=move || cockpit_strings(lang.get()).lang_switch_title>
            <button
                type="button"
                class=("active", move || lang.get() == Lang::Zh)
                on:click=move |_| choose(Lang::Zh)
            >
                "中文"
            </button>
            <button
                type="button"
                class=("active", move || lang.get() == Lang::En)
                on:click=move |_| choose(Lang::En)
            >
                "EN"
            </button>
        </div>
    }
}
