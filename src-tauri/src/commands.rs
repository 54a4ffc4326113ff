//! Tauri commands: one-line calls into the backend.

use citydeck_protocol::ipc::CockpitSnapshot;

use crate::backend::Backend;

/// Everything the cockpit draws, from the local cache. Errors are strings the UI shows as they are.
#[tauri::command]
pub async fn cockpit_snapshot(backend: tauri::State<'_, Backend>) -> Result<CockpitSnapshot, String> {
    backend.snapshot().await.map_err(|e| format!("{e:#}"))
}

/// The window now shows mode epoch `epoch`: tell the hub (the commander sees which screens lag).
#[tauri::command]
pub async fn ack_mode(backend: tauri::State<'_, Backend>, epoch: u64) -> Result<(), String> {
    backend.ack_mode(epoch).await.map_err(|e| format!("{e:#}"))
}
