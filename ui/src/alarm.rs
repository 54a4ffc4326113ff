//! The grade-I alarm (issue 24: "a grade-I alarm nobody misses"). While any open incident the cache holds is
//! alarming (`citydeck_domain::ops::alarming`: grade I, its alarm not acknowledged; the snapshot's `alarms`,
//! read from the whole cache whatever area is drilled into), every screen shows a full-width red banner under
//! the header — the newest one's title, place and time, the count when several — and sounds a siren made with
//! WebAudio (no audio file), until it is acknowledged.
//!
//! - An operator's, commander's or admin's screen (`roles::Action::AcknowledgeAlarm`) has 确认: the existing
//!   `Op::Acknowledge` through the outbox ([`crate::outbox::submit`]). Offline it waits in the outbox like any
//!   action, and the alarm goes on until the hub's acknowledgement reaches this cache (the banner says so).
//! - A leader's or field account's screen has only 静音: it silences this screen for the incidents alarming now
//!   (kept in memory, per incident); a new grade-I incident alarms again. The banner stays, calm, until someone
//!   acknowledges.
//! - A wall that was offline alarms on reconnect: the state is the cache's, not an event this screen had to see.
//!
//! The webview may start an `AudioContext` suspended (autoplay rules): it is resumed on the first pointer or key
//! of the session and tried again at alarm time and on every clock tick while the siren should sound. The
//! banner's `data-audio` says what the ear gets (`running`, `suspended`, `muted`, `off`, `unavailable`); with
//! the `probe` feature `window.citydeckAlarm.oscillators` counts the sirens started.

use std::collections::HashSet;

use citydeck_domain::roles::{Action, Permission};
use citydeck_protocol::ipc::{OutboxEntry, OutboxState};
use citydeck_protocol::{Incident, Op, Role};
use leptos::prelude::*;
use uuid::Uuid;

use crate::i18n::{self, alarm_strings};
use crate::state::AppState;
use crate::time;

// ───────────────────────── pure rules ─────────────────────────

/// The incidents sounding the alarm, newest first, as the snapshot lists them (kept to the domain rule once
/// more, so a stale list never alarms for an acknowledged or closed one).
pub fn alarming(list: &[Incident]) -> Vec<Incident> {
    list.iter()
        .filter(|i| citydeck_domain::ops::alarming(i))
        .cloned()
        .collect()
}

/// Whether the siren sounds on this screen: an alarming incident this screen has not muted.
pub fn sounding(alarms: &[Incident], muted: &HashSet<Uuid>) -> bool {
    alarms.iter().any(|i| !muted.contains(&i.id))
}

/// Whether this screen's user may silence the alarm for every screen (else it gets only the local mute). An
/// unknown user (before the first login) gets the mute.
pub fn may_acknowledge(role: Option<Role>) -> bool {
    role.is_some_and(|r| r.may(Action::AcknowledgeAlarm))
}

/// Whether this desktop's outbox holds an acknowledgement of `id` the hub has not applied yet.
pub fn ack_pending(entries: &[OutboxEntry], id: Uuid) -> bool {
    entries.iter().any(|e| {
        e.state == OutboxState::Pending
            && matches!(e.op, Op::Acknowledge { incident_id } if incident_id == id)
    })
}

/// Where the incident is, for the banner: its address, else the deepest area named, else its coordinates.
pub fn place(incident: &Incident, area_name: impl Fn(&str) -> Option<String>) -> String {
    if let Some(a) = incident.address.as_deref().filter(|a| !a.trim().is_empty()) {
        return a.to_string();
    }
    if let Some(name) = incident.area_ids.iter().rev().find_map(|id| area_name(id)) {
        return name;
    }
    format!("{:.4}, {:.4}", incident.location.lon, incident.location.lat)
}

// ───────────────────────── the siren ─────────────────────────

/// The WebAudio siren: one `AudioContext` for the session; while sounding, a square-wave tone swept 650–1,150 Hz
/// by a slow sine (the wail) and gated on and off by a square (1.5 s on, 1.5 s off).
mod siren {
    use std::cell::{Cell, RefCell};

    use wasm_bindgen::prelude::*;
    use web_sys::{AudioContext, AudioContextState, GainNode, OscillatorNode, OscillatorType};

    /// The loudness of the tone (0–1): clearly heard in a hall without drowning speech.
    const VOLUME: f32 = 0.18;

    struct Nodes {
        tone: OscillatorNode,
        sweep: OscillatorNode,
        gate: OscillatorNode,
        out: GainNode,
    }

    thread_local! {
        static CTX: RefCell<Option<AudioContext>> = const { RefCell::new(None) };
        static NODES: RefCell<Option<Nodes>> = const { RefCell::new(None) };
        static UNAVAILABLE: Cell<bool> = const { Cell::new(false) };
        static STARTED: Cell<u32> = const { Cell::new(0) };
    }

    fn context() -> Option<AudioContext> {
        if UNAVAILABLE.with(Cell::get) {
            return None;
        }
        CTX.with(|c| {
            let mut c = c.borrow_mut();
            if c.is_none() {
                match AudioContext::new() {
                    Ok(ctx) => *c = Some(ctx),
                    Err(e) => {
                        web_sys::console::warn_2(&"citydeck: no WebAudio for the alarm:".into(), &e);
                        UNAVAILABLE.with(|u| u.set(true));
                    }
                }
            }
            c.clone()
        })
    }

    /// Resume the context if the webview holds it suspended (a user gesture lets it).
    pub fn resume() {
        if let Some(ctx) = context() {
            if ctx.state() == AudioContextState::Suspended {
                let _ = ctx.resume();
            }
        }
    }

    fn build(ctx: &AudioContext) -> Result<Nodes, JsValue> {
        let out = ctx.create_gain()?;
        out.gain().set_value(VOLUME / 2.0);
        out.connect_with_audio_node(&ctx.destination())?;
        // gate: a square at 1/3 Hz added to the gain → VOLUME on, 0 off
        let gate = ctx.create_oscillator()?;
        gate.set_type(OscillatorType::Square);
        gate.frequency().set_value(1.0 / 3.0);
        let gate_depth = ctx.create_gain()?;
        gate_depth.gain().set_value(VOLUME / 2.0);
        gate.connect_with_audio_node(&gate_depth)?;
        gate_depth.connect_with_audio_param(&out.gain())?;
        // the tone, swept by a slow sine
        let tone = ctx.create_oscillator()?;
        tone.set_type(OscillatorType::Square);
        tone.frequency().set_value(900.0);
        let sweep = ctx.create_oscillator()?;
        sweep.set_type(OscillatorType::Sine);
        sweep.frequency().set_value(1.0 / 1.5);
        let sweep_depth = ctx.create_gain()?;
        sweep_depth.gain().set_value(250.0);
        sweep.connect_with_audio_node(&sweep_depth)?;
        sweep_depth.connect_with_audio_param(&tone.frequency())?;
        tone.connect_with_audio_node(&out)?;
        tone.start()?;
        sweep.start()?;
        gate.start()?;
        Ok(Nodes {
            tone,
            sweep,
            gate,
            out,
        })
    }

    /// Sound the siren (once; again after [`stop`]), resuming the context if it can.
    pub fn start() {
        let Some(ctx) = context() else { return };
        resume();
        NODES.with(|n| {
            let mut n = n.borrow_mut();
            if n.is_some() {
                return;
            }
            match build(&ctx) {
                Ok(nodes) => {
                    *n = Some(nodes);
                    STARTED.with(|s| s.set(s.get() + 1));
                    super::probe::publish(STARTED.with(Cell::get));
                }
                Err(e) => web_sys::console::warn_2(&"citydeck: the alarm's siren:".into(), &e),
            }
        });
    }

    /// Silence the siren.
    pub fn stop() {
        NODES.with(|n| {
            if let Some(nodes) = n.borrow_mut().take() {
                for osc in [&nodes.tone, &nodes.sweep, &nodes.gate] {
                    let _ = osc.stop();
                    let _ = osc.disconnect();
                }
                let _ = nodes.out.disconnect();
            }
        });
    }

    /// What the ear gets: `running` (a siren started and the context running), `suspended` (started, held by
    /// the webview), `off` (no siren), `unavailable` (no WebAudio).
    pub fn state() -> &'static str {
        if UNAVAILABLE.with(Cell::get) {
            return "unavailable";
        }
        if NODES.with(|n| n.borrow().is_none()) {
            return "off";
        }
        match CTX.with(|c| c.borrow().as_ref().map(|c| c.state())) {
            Some(AudioContextState::Running) => "running",
            _ => "suspended",
        }
    }
}

/// `window.citydeckAlarm = { oscillators }`: how many sirens this window started (window tests only).
#[cfg(feature = "probe")]
mod probe {
    use wasm_bindgen::JsValue;

    pub fn publish(started: u32) {
        let Some(w) = web_sys::window() else { return };
        let o = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&o, &"oscillators".into(), &JsValue::from(started));
        let _ = js_sys::Reflect::set(&w, &"citydeckAlarm".into(), &o);
    }
}

#[cfg(not(feature = "probe"))]
mod probe {
    pub fn publish(_started: u32) {}
}

// ───────────────────────── the banner ─────────────────────────

/// The alarm's state, made once for the window ([`Alarm::start`]) so the banner can come and go with the strip
/// row while the mutes and the siren stay.
#[derive(Clone, Copy)]
pub struct Alarm {
    /// The alarming incidents of the latest snapshot, newest first.
    pub alarms: Memo<Vec<Incident>>,
    /// Incidents muted on this screen.
    muted: RwSignal<HashSet<Uuid>>,
    /// The siren should sound.
    sounding: Memo<bool>,
    /// Bumped when the audio state may have changed (started, stopped, resumed).
    audio: RwSignal<u32>,
}

impl Alarm {
    /// The alarm of this window: follows the snapshot, sounds the siren while an unmuted incident alarms.
    pub fn start(state: AppState) -> Alarm {
        let alarms = Memo::new(move |_| {
            state
                .snapshot
                .with(|s| s.as_ref().map(|s| alarming(&s.alarms)).unwrap_or_default())
        });
        let muted = RwSignal::new(HashSet::<Uuid>::new());
        let audio = RwSignal::new(0u32);
        let sounding = Memo::new(move |_| alarms.with(|a| muted.with(|m| sounding(a, m))));
        install_unlock();
        Effect::new(move |_| {
            if sounding.get() {
                siren::start();
            } else {
                siren::stop();
            }
            audio.update(|n| *n = n.wrapping_add(1));
        });
        // While it should sound, keep asking a suspended context to run (the clock ticks every second).
        Effect::new(move |_| {
            state.now_ms.track();
            if sounding.get_untracked() && siren::state() == "suspended" {
                siren::resume();
            }
            audio.update(|n| *n = n.wrapping_add(1));
        });
        Alarm {
            alarms,
            muted,
            sounding,
            audio,
        }
    }

    /// Something alarms (the banner is up, sounding or muted).
    pub fn active(&self) -> bool {
        self.alarms.with(|a| !a.is_empty())
    }

    /// What the ear gets on this screen: `running`, `suspended` (held by the webview), `muted`, `off`,
    /// `unavailable` (the banner's and the cockpit's `data-audio` / `data-alarm-audio`).
    pub fn audio_state(&self) -> &'static str {
        self.audio.track();
        if self.active() && !self.sounding.get() {
            "muted"
        } else {
            siren::state()
        }
    }
}

/// Resume the audio context on the first pointer or key of the session (the webview's autoplay rule).
fn install_unlock() {
    // For the life of the window (dropping the handle keeps the listener): a context suspended again later
    // resumes too.
    _ = window_event_listener(leptos::ev::pointerdown, |_| siren::resume());
    _ = window_event_listener(leptos::ev::keydown, |_| siren::resume());
}

/// The full-width alarm strip under the header.
#[component]
pub fn AlarmBanner(alarm: Alarm) -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let Alarm {
        alarms,
        muted,
        sounding,
        ..
    } = alarm;
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);

    let shown = move || alarms.with(|a| a.first().cloned());
    let count = move || alarms.with(Vec::len);
    let all_muted = move || !sounding.get() && count() > 0;
    let audio_state = move || alarm.audio_state();
    let role = move || state.me().map(|m| m.role);
    let can_ack = move || may_acknowledge(role());
    let pending = move || {
        let Some(id) = shown().map(|i| i.id) else {
            return false;
        };
        ack_pending(&state.pending_entries(), id)
    };
    let offline = move || matches!(state.connection_key(), "offline" | "reconnecting");
    let area_name = move |id: &str| {
        state.areas.with(|v| {
            v.as_ref()
                .and_then(|v| v.areas.iter().find(|a| a.id == id))
                .map(|a| crate::drill::area_name(a, lang.get()))
        })
    };
    let headline = move || {
        shown()
            .map(|i| {
                let now = state.now_ms.get();
                let when = time::stamp_and_age(lang.get(), now, &i.created_at);
                (i.title.clone(), place(&i, area_name), when)
            })
            .unwrap_or_default()
    };
    let select = move |_| {
        if let Some(i) = shown() {
            state.selected.set(Some(i.id));
        }
    };
    let acknowledge = move |ev: leptos::ev::MouseEvent| {
        ev.stop_propagation();
        siren::resume();
        let Some(i) = shown() else { return };
        crate::outbox::submit(state, Op::Acknowledge { incident_id: i.id }, busy, error, |_| {});
    };
    let mute = move |ev: leptos::ev::MouseEvent| {
        ev.stop_propagation();
        let ids: Vec<Uuid> = alarms.with(|a| a.iter().map(|i| i.id).collect());
        muted.update(|m| m.extend(ids));
    };
    let note = move || {
        let s = alarm_strings(lang.get());
        if let Some(e) = error.get() {
            return Some(e);
        }
        if pending() {
            return Some(if offline() { s.ack_offline } else { s.ack_pending }.to_string());
        }
        if all_muted() {
            return Some(s.muted.to_string());
        }
        (audio_state() == "suspended").then(|| s.audio_blocked.to_string())
    };

    view! {
        <div
            id="alarm-banner"
            class="alarm-banner"
            class=("alarm-muted", all_muted)
            role="alert"
            aria-live="assertive"
            data-count=move || count().to_string()
            data-incident=move || shown().map(|i| i.id.to_string()).unwrap_or_default()
            data-audio=audio_state
            data-muted=move || if all_muted() { "true" } else { "false" }
            data-ack-pending=move || if pending() { "true" } else { "false" }
            title=move || alarm_strings(lang.get()).open_hint
            on:click=select
        >
            <span class="ab-mark">
                <span class="ab-icon" aria-hidden="true">"!"</span>
                <span class="ab-title">{move || alarm_strings(lang.get()).title}</span>
            </span>
            <span class="ab-body">
                <span class="ab-headline" id="alarm-title">{move || headline().0}</span>
                <span class="ab-facts">
                    <span class="ab-place">{move || headline().1}</span>
                    <span class="ab-time num">{move || headline().2}</span>
                    <Show when=move || { count() > 1 }>
                        <span class="ab-count" id="alarm-count">
                            {move || i18n::alarm_count(lang.get(), count())}
                        </span>
                    </Show>
                </span>
                {move || note().map(|n| view! { <span class="ab-note" id="alarm-note">{n}</span> })}
            </span>
            <span class="ab-actions">
                <Show
                    when=can_ack
                    fallback=move || {
                        view! {
                            <button
                                type="button"
                                id="alarm-mute"
                                class="ab-btn ab-mute"
                                disabled=all_muted
                                on:click=mute
                            >
                                {move || alarm_strings(lang.get()).mute}
                            </button>
                        }
                    }
                >
                    <button
                        type="button"
                        id="alarm-ack"
                        class="ab-btn ab-ack"
                        disabled=move || busy.get() || pending()
                        on:click=acknowledge
                    >
                        {move || alarm_strings(lang.get()).ack}
                    </button>
                </Show>
            </span>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use citydeck_protocol::{fixtures, AlarmAck, Grade, Stage};

    fn one(n: u64) -> Incident {
        fixtures::incident(n)
            .id(Uuid::now_v7())
            .grade(Grade::I)
            .status(Stage::Collected)
            .build()
    }

    #[test]
    fn only_open_unacknowledged_grade_one_incidents_alarm() {
        let a = one(1);
        let mut acked = one(2);
        acked.alarm_acknowledged = Some(AlarmAck {
            by: "op".into(),
            at: fixtures::t0(),
        });
        let mut closed = one(3);
        closed.status = Stage::Closed;
        let mut two = one(4);
        two.grade = Grade::II;
        let got = alarming(&[a.clone(), acked, closed, two]);
        assert_eq!(got.iter().map(|i| i.id).collect::<Vec<_>>(), vec![a.id]);
    }

    #[test]
    fn a_mute_silences_the_muted_incidents_only() {
        let (a, b) = (one(1), one(2));
        let mut muted = HashSet::new();
        assert!(sounding(std::slice::from_ref(&a), &muted));
        muted.insert(a.id);
        assert!(!sounding(std::slice::from_ref(&a), &muted), "muted here");
        assert!(
            sounding(&[b.clone(), a.clone()], &muted),
            "a new grade-I incident alarms again"
        );
        assert!(!sounding(&[], &muted), "nothing alarming");
    }

    #[test]
    fn only_roles_that_may_silence_every_screen_get_acknowledge() {
        assert!(may_acknowledge(Some(Role::Operator)));
        assert!(may_acknowledge(Some(Role::Commander)));
        assert!(may_acknowledge(Some(Role::Admin)));
        assert!(!may_acknowledge(Some(Role::Leader)), "read-only: mute only");
        assert!(!may_acknowledge(Some(Role::Field)));
        assert!(!may_acknowledge(None));
    }

    #[test]
    fn a_queued_acknowledgement_is_pending_until_the_hub_applies_it() {
        let a = one(1);
        let entry = |state| OutboxEntry {
            state,
            ..crate::fixtures::outbox::entry(1, Op::Acknowledge { incident_id: a.id })
        };
        assert!(ack_pending(&[entry(OutboxState::Pending)], a.id));
        assert!(!ack_pending(&[entry(OutboxState::Applied)], a.id));
        assert!(!ack_pending(&[entry(OutboxState::Pending)], Uuid::now_v7()));
    }

    #[test]
    fn the_place_is_the_address_else_the_area_else_coordinates() {
        let mut i = one(1);
        i.address = Some("Hakaniemi 1".into());
        assert_eq!(place(&i, |_| None), "Hakaniemi 1");
        i.address = None;
        i.area_ids = vec!["city".into(), "kallio".into()];
        let name = |id: &str| (id == "kallio").then(|| "卡利奥".to_string());
        assert_eq!(place(&i, name), "卡利奥");
        assert!(place(&i, |_| None).contains(", "));
    }
}
