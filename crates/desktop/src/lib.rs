//! The desktop's core: what the Tauri shell does with the local cache, as plain functions over a
//! [`citydeck_store::Cache`], so every rule is unit-tested without a window, a hub or a runtime.
//!
//! - [`actions`]: a user action checked against this desktop's pending overlay before it is queued
//!   ([`actions::precheck`]), a rejected stage change re-based on the hub's current stage
//!   ([`actions::rebase`]) and queued again.
//! - [`areas`]: the city's areas, their outlines and the account's scope, for the drill-down (offline too).
//! - [`cockpit`]: the snapshot's parts: the wartime focus, the conflicts list, the role remembered across
//!   offline starts, the hub's name as the header shows it, the map's delta with the teams' positions.
//! - [`departments`]: the city's departments (分流交办) kept in the cache, and when the shell fetches them again.
//! - [`vitals`]: the vital-sign panels (城市运行数字体征): the scenario a wall shows (its default, the one
//!   picked, or in wartime the pack of the indicator that raised the focus), the panels and their last 24 h
//!   from the cache, which series the poller fetches when, the large chart's ranges online and offline.
//!
//! The shell (`src-tauri`) only wires: it holds the cache behind a mutex, runs these on a blocking thread and
//! answers the webview. No I/O here beyond the cache it is given; no clock (callers pass `now`).

pub mod actions;
pub mod areas;
pub mod cockpit;
pub mod departments;
mod error;
pub mod vitals;

pub use error::{hub_refusal, internal, DesktopError};

pub type Result<T> = std::result::Result<T, DesktopError>;

#[cfg(test)]
pub(crate) mod testing;
