//! Offline-first actions (issue 6): sending an action to the outbox, and the three views of the outbox — the
//! header badge ([`badge`]), the drawer listing every open action ([`drawer`]) and its conflict cards
//! ([`conflict`]). Every action (acknowledge, stage change, assignment, note, new incident) goes through
//! `submit_action` into the desktop's outbox and is pushed to the hub exactly once, now or after reconnecting;
//! until the hub's result is in the local cache the cockpit shows the pending overlay ([`crate::overlay`]).

pub mod badge;
pub mod conflict;
pub mod drawer;
pub mod words;

use std::future::Future;

use citydeck_protocol::ipc::OutboxEntry;
use citydeck_protocol::Op;
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use crate::ipc::IpcError;
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
    command(
        state,
        busy,
        error,
        async move { crate::ipc::submit_action(&op).await },
        move |entry| {
            done(&entry);
            state.remember_submitted(entry);
        },
    );
}

/// 放弃: drop the open action `op_id` (a rejected one or a conflict) from the outbox.
pub fn drop(state: AppState, op_id: Uuid, busy: RwSignal<bool>, error: RwSignal<Option<String>>) {
    command(state, busy, error, crate::ipc::drop_action(op_id), move |_| {
        state.request_refresh()
    });
}

/// 重新提交: queue the conflicting action `op_id` again against the incident's current state.
pub fn reapply(state: AppState, op_id: Uuid, busy: RwSignal<bool>, error: RwSignal<Option<String>>) {
    command(
        state,
        busy,
        error,
        crate::ipc::reapply_action(op_id),
        move |entry| state.remember_submitted(entry),
    );
}

/// One shell command about the outbox, unless one is under way (`busy`): `error` cleared, then set to the
/// refusal in the UI's language, or `ok` with the answer.
fn command<T: 'static>(
    state: AppState,
    busy: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    call: impl Future<Output = Result<T, IpcError>> + 'static,
    ok: impl FnOnce(T) + 'static,
) {
    if busy.get_untracked() {
        return;
    }
    busy.set(true);
    error.set(None);
    spawn_local(async move {
        let result = call.await;
        busy.set(false);
        match result {
            Ok(answer) => ok(answer),
            Err(e) => error.set(Some(crate::reasons::ipc_error(state.lang.get_untracked(), &e))),
        }
    });
}
