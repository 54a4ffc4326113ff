//! citydeck cockpit UI: a Leptos (CSR) app compiled to wasm and loaded by the Tauri shell.
//!
//! Data flow: [`ipc`] (the only code touching `window.__TAURI__`) → [`state::AppState`] signals → components.

pub mod alarm;
pub mod app;
pub mod bundle;
pub mod closed_loop;
pub mod css;
pub mod detail;
pub mod drill;
pub mod feed;
#[cfg(test)]
mod fixtures;
pub mod header;
pub mod i18n;
pub mod ipc;
pub mod map;
pub mod mode_switch;
pub mod outbox;
pub mod overlay;
pub mod panel;
pub mod reasons;
pub mod report;
pub mod state;
pub mod summary;
pub mod time;
pub mod vitals;
pub mod wartime;
pub mod widgets;

use wasm_bindgen::prelude::*;

#[wasm_bindgen(start)]
pub fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
