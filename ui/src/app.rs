//! Root component: one-screen grid (header / summary · map · feed / status bar). In wartime (平战转换) a banner
//! in the response level's colour runs under the header, the response clock and command chain replace the
//! summary, and the task board tops the feed (see [`crate::wartime`]); a drill hub adds the exercise marks.
//! The incident detail panel and the report form dock over the left column (the map moves over); the outbox
//! drawer slides over the right column (offline actions, [`crate::outbox`]). The vital-sign tiles of the shown
//! scenario top the right column in both modes ([`crate::vitals`]); a tile opens its large chart. Under the map,
//! in both modes, the 督办 list and the departments' backlog ([`crate::closed_loop`]).

use leptos::ev;
use leptos::prelude::*;

use crate::alarm::{Alarm, AlarmBanner};
use crate::closed_loop::LoopStrip;
use crate::detail::IncidentDetail;
use crate::feed::IncidentFeed;
use crate::header::Header;
use crate::i18n::{self, cockpit_strings};
use crate::ipc::IpcError;
use crate::map::MapView;
use crate::outbox::OutboxDrawer;
use crate::report::NewIncidentForm;
use crate::state::{self, AppState, CockpitMode};
use crate::summary::SummaryColumn;
use crate::time;
use crate::vitals::{VitalChartDialog, VitalsPanel};
use crate::wartime::{
    self, ExerciseStrip, ExerciseWatermark, NearbyResources, TaskBoard, WartimeBanner, WartimeLeft,
};

#[component]
pub fn App() -> impl IntoView {
    let state = AppState::new();
    provide_context(state);
    state::start(state);
    crate::vitals::VitalsState::provide(state);
    install_escape(state);
    // The detail panel and the report form share the dock over the left column: selecting an incident closes
    // the form.
    Effect::new(move |_| {
        if state.selected.get().is_some() && state.form_open.get_untracked() {
            state.form_open.set(false);
            state.picked.set(None);
        }
    });

    Effect::new(move |_| {
        let code = state.lang.get().code();
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("lang", code);
        }
    });

    let wartime = wartime::wartime_signal(state);
    let level = wartime::level_memo(state);
    let exercise = wartime::exercise_memo(state);
    let alarm = Alarm::start(state);
    let alarm_on = move || alarm.active();
    let strips = move || wartime.get() || exercise.get() || alarm_on();

    view! {
        <div
            id="cockpit"
            class="cockpit"
            class=("mode-wartime", move || state.mode.get() == CockpitMode::Wartime)
            class=("has-strips", strips)
            data-connection=move || state.connection_key()
            data-last-seq=move || state.last_seq().to_string()
            data-mode=move || state.mode.get().as_str()
            data-level=move || level.get().map(|g| g.as_str()).unwrap_or("")
            data-exercise=move || if exercise.get() { "true" } else { "false" }
            data-lang=move || state.lang.get().code()
            data-alarm-audio=move || alarm.audio_state()
            data-selected=move || state.selected.get().map(|id| id.to_string()).unwrap_or_default()
            data-area=move || state.drill.get().unwrap_or_default()
            data-snapshot-area=move || {
                state.snapshot.with(|s| s.as_ref().and_then(|s| s.area.clone()).unwrap_or_default())
            }
        >
            <Header />
            <Show when=strips>
                <div class="cockpit-strips">
                    <Show when=alarm_on>
                        <AlarmBanner alarm=alarm />
                    </Show>
                    <Show when=move || exercise.get()>
                        <ExerciseStrip />
                    </Show>
                    <Show when=move || wartime.get()>
                        <WartimeBanner />
                    </Show>
                </div>
            </Show>
            <Show when=move || wartime.get() fallback=|| view! { <SummaryColumn /> }>
                <WartimeLeft />
            </Show>
            // Docked over the left column (and the map's left edge) while open: the map and the feed stay visible.
            <IncidentDetail />
            <NewIncidentForm />
            <main class="col col-centre">
                <div id="map" class="map">
                    <MapView />
                </div>
                <Show when=move || wartime.get()>
                    <NearbyResources />
                </Show>
                <StaleBanner />
                <SyncProgress />
                <StatusOverlay />
            </main>
            // Under the map in both modes: the 督办 list and the departments' backlog (the closed loop's clock).
            <LoopStrip />
            <aside class="col col-right">
                <VitalsPanel />
                <Show when=move || wartime.get()>
                    <TaskBoard />
                </Show>
                <IncidentFeed />
            </aside>
            <StatusBar />
            <OutboxDrawer />
            <VitalChartDialog />
            <Show when=move || exercise.get()>
                <ExerciseWatermark />
            </Show>
        </div>
    }
}

/// Esc closes the topmost of: the outbox drawer, the report form, the detail panel (the mode switch dialog
/// handles its own keys).
fn install_escape(state: AppState) {
    // The cockpit listens for the life of the window (dropping the handle keeps the listener).
    _ = window_event_listener(ev::keydown, move |e| {
        if e.key() != "Escape" {
            return;
        }
        let modal = document()
            .query_selector(".modal-backdrop")
            .ok()
            .flatten()
            .is_some();
        if modal {
            return;
        }
        if state.drawer_open.get_untracked() {
            state.drawer_open.set(false);
        } else if state.form_open.get_untracked() {
            state.form_open.set(false);
            state.picked.set(None);
        } else if state.selected.get_untracked().is_some() {
            state.selected.set(None);
        }
    });
}

/// Shown over the map until the first snapshot arrives: loading, or why it cannot.
#[component]
fn StatusOverlay() -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let visible = move || state.snapshot.with(Option::is_none);
    view! {
        <Show when=visible>
            <div class="overlay" role="status">
                {move || match state.error.get() {
                    None => {
                        view! {
                            <div class="overlay-card">
                                <div class="spinner"></div>
                                <div class="overlay-title">{cockpit_strings(lang.get()).loading}</div>
                            </div>
                        }
                            .into_any()
                    }
                    Some(e) => {
                        let (title, body) = match &e {
                            IpcError::NoShell(_) => {
                                (cockpit_strings(lang.get()).err_no_shell_title, cockpit_strings(lang.get()).err_no_shell_body.to_string())
                            }
                            other => (cockpit_strings(lang.get()).err_fetch_title, other.to_string()),
                        };
                        view! {
                            <div class="overlay-card overlay-error" id="ipc-error">
                                <div class="overlay-icon">"!"</div>
                                <div class="overlay-title">{title}</div>
                                <div class="overlay-body">{body}</div>
                                <code class="overlay-detail">{e.to_string()}</code>
                            </div>
                        }
                            .into_any()
                    }
                }}
            </div>
        </Show>
    }
}

/// Over the map while the link to the hub is down: what the wall shows is the local cache, and actions keep
/// working (they wait in the outbox; the count of pending ones is shown).
#[component]
fn StaleBanner() -> impl IntoView {
    let state = expect_context::<AppState>();
    let key = move || state.connection_key();
    let pending = move || {
        state
            .snapshot
            .with(|s| s.as_ref().map(|s| s.outbox.pending).unwrap_or(0))
    };
    view! {
        <Show when=move || matches!(key(), "offline" | "reconnecting")>
            <div class="stale-banner" data-state=key data-pending=move || pending().to_string() role="alert">
                <span class="stale-icon">"!"</span>
                <span class="stale-text">
                    <span class="stale-main">{move || cockpit_strings(state.lang.get()).stale_banner}</span>
                    <span class="stale-sub" id="stale-outbox">
                        {move || i18n::offline_actions(state.lang.get(), pending())}
                    </span>
                </span>
            </div>
        </Show>
    }
}

/// Below this many events behind the hub, catching up is not worth a progress bar.
const PROGRESS_MIN_BEHIND: u64 = 500;

/// `(applied, head)` while the cache is far behind the hub's log (a cold bootstrap or a long absence).
pub fn catch_up(last_seq: u64, hub_head: Option<u64>) -> Option<(u64, u64)> {
    let head = hub_head?;
    (head > last_seq && head - last_seq >= PROGRESS_MIN_BEHIND).then_some((last_seq, head))
}

/// "正在从中枢同步 45,000 / 100,000": shown over the map while the cache catches up with the hub.
#[component]
fn SyncProgress() -> impl IntoView {
    let state = expect_context::<AppState>();
    let progress = move || {
        state.snapshot.with(|s| {
            s.as_ref()
                .and_then(|s| catch_up(s.connection.last_seq, s.connection.hub_head))
        })
    };
    view! {
        <Show when=move || progress().is_some()>
            <div class="sync-progress" id="sync-progress" role="status">
                {move || {
                    let (done, head) = progress().unwrap_or((0, 1));
                    let pct = done as f64 * 100.0 / head.max(1) as f64;
                    let text = match state.lang.get() {
                        crate::i18n::Lang::Zh => format!("正在从中枢同步 {done} / {head}（{pct:.0}%）"),
                        crate::i18n::Lang::En => format!("Syncing from the hub {done} / {head} ({pct:.0}%)"),
                    };
                    view! {
                        <span class="sync-progress-text">{text}</span>
                        <span class="sync-progress-bar">
                            <span class="sync-progress-fill" style=format!("width: {pct:.1}%")></span>
                        </span>
                    }
                }}
            </div>
        </Show>
    }
}

#[component]
fn StatusBar() -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let hub = move || {
        state
            .snapshot
            .with(|s| s.as_ref().map(|s| s.connection.hub.clone()).unwrap_or_default())
    };
    let generated = move || {
        let now = state.now_ms.get();
        state
            .snapshot
            .with(|s| {
                s.as_ref()
                    .map(|s| time::short_stamp(now, time::epoch_ms(&s.generated_at)))
            })
            .unwrap_or_default()
    };
    let error = move || state.error.get().map(|e| e.to_string());
    view! {
        <footer class="statusbar">
            <span class="sb-item">
                <span class="sb-key">{move || cockpit_strings(lang.get()).hub}</span>
                <span class="sb-val">{hub}</span>
            </span>
            <span class="sb-item">
                <span class="sb-key">{move || cockpit_strings(lang.get()).last_seq}</span>
                <span class="sb-val" id="last-seq">{move || state.last_seq()}</span>
            </span>
            <span class="sb-item">
                <span class="sb-key">{move || cockpit_strings(lang.get()).generated_at}</span>
                <span class="sb-val">{generated}</span>
            </span>
            <span class="sb-error">{error}</span>
            <span class="sb-brand">{concat!("citydeck ", env!("CARGO_PKG_VERSION"))}</span>
        </footer>
    }
}

#[cfg(test)]
mod tests {
    use super::catch_up;

    #[test]
    fn progress_only_while_far_behind_the_hub() {
        assert_eq!(catch_up(0, None), None, "head unknown");
        assert_eq!(catch_up(45_000, Some(100_000)), Some((45_000, 100_000)));
        assert_eq!(
            catch_up(99_800, Some(100_000)),
            None,
            "a few events behind: no bar"
        );
        assert_eq!(
            catch_up(100_200, Some(100_000)),
            None,
            "live events beyond the last page"
        );
    }
}
