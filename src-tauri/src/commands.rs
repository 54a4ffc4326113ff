//! Tauri commands: one-line calls into the backend.

use citydeck_protocol::ipc::CockpitSnapshot;

use crate::backend::Backend;

/// Everything the cockpit draws, from the local cache. Errors are strings the UI shows as they are.
#[tauri::command]
pub async fn cockpit_snapshot(backend: tauri::State<'_, Backend>) -> Result<CockpitSnapshot, String> {
    backend.snapshot().await.map_err(|e| format!("{e:#}"))
}
