//! Offline-first actions (issue 6): sending an action to the outbox, and the three views of the outbox — the
//! header badge ([`badge`]), the drawer listing every open action ([`drawer`]) and its conflict cards
//! ([`conflict`]). Every action (acknowledge, stage change, assignment, note, new incident) goes through
//! `submit_action` into the desktop's outbox and is pushed to the hub exactly once, now or after reconnecting;
//! until the hub's result is in the local cache the cockpit shows the pending overlay ([`crate::overlay`]).

pub mod badge;
pub mod conflict;
pub mod drawer;
pub mod words;

use citydeck_protocol::ipc::OutboxEntry;
use citydeck_protocol::Op;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::state::AppState;

pub use badge::OutboxBadge;
pub use drawer::OutboxDrawer;

/// Send an action to the outbox. `busy` is true while the shell answers; a refusal lands in `error` in the
/// shell's words; `done` runs with the pending entry.
pub fn submit(
    state: AppState,
    op: Op,
    busy: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    done: impl FnOnce(&OutboxEntry) + 'static,
) {
    if busy.get_untracked() {
        return;
    }
    busy.set(true);
    error.set(None);
    spawn_local(async move {
        let result = crate::ipc::submit_action(&op).await;
        busy.set(false);
        match result {
            Ok(entry) => {
                done(&entry);
                state.remember_submitted(entry);
            }
            Err(e) => error.set(Some(crate::reasons::ipc_error(state.lang.get_untracked(), &e))),
        }
    });
}
