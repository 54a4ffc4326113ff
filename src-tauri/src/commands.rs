//! Tauri commands: one-line calls into the backend.

use citydeck_protocol::ipc::{
    BundleInfo, CockpitSnapshot, CommandError, MapDelta, OutboxEntry, SwitchModeRequest, SwitchOutcome,
};
use citydeck_protocol::ModeState;
use tauri::ipc::Response;

use crate::backend::Backend;

/// Everything the cockpit draws, from the local cache, as a [`CockpitSnapshot`] in JSON bytes (see [`json`]);
/// the incident list and the counts of the area `area` the cockpit is drilled into (None: the whole city).
/// Every command fails with a [`CommandError`] `{code, message, args}`: the UI shows the translated code.
#[tauri::command]
pub async fn cockpit_snapshot(
    backend: tauri::State<'_, Backend>,
    area: Option<String>,
) -> Result<Response, CommandError> {
    json::<CockpitSnapshot>(&backend.snapshot(area).await?)
}

/// A large answer as raw JSON bytes: the webview gets an `ArrayBuffer` that the cockpit decodes with serde_json
/// in wasm. Answered as a value instead, WebKit parses it into JavaScript objects that serde-wasm-bindgen then
/// walks field by field across the wasm boundary: the snapshot (500 incidents) and the map's diffs arrive
/// several times a second, and that walk was main-thread time taken from the map's frames.
fn json<T: serde::Serialize>(value: &T) -> Result<Response, CommandError> {
    serde_json::to_vec(value)
        .map(Response::new)
        .map_err(|e| citydeck_desktop::internal(format!("encoding the answer: {e}")))
}

/// The city's areas, their outlines and the account's scope, from the cache (the drill-down; works offline),
/// as the JSON bytes of an [`citydeck_protocol::ipc::AreasView`] (outlines are large).
#[tauri::command]
pub async fn areas(backend: tauri::State<'_, Backend>) -> Result<Response, CommandError> {
    json(&backend.areas().await?)
}

/// The window now shows mode epoch `epoch`: tell the hub (the commander sees which screens lag).
#[tauri::command]
pub async fn ack_mode(backend: tauri::State<'_, Backend>, epoch: u64) -> Result<(), CommandError> {
    backend.ack_mode(epoch).await
}

/// Switch the city's mode (commanders; the hub decides and may answer "pending confirmation" for level I).
#[tauri::command]
pub async fn switch_mode(
    backend: tauri::State<'_, Backend>,
    request: SwitchModeRequest,
) -> Result<SwitchOutcome, CommandError> {
    backend.switch_mode(request).await
}

/// Confirm another commander's level-I switch.
#[tauri::command]
pub async fn confirm_mode(
    backend: tauri::State<'_, Backend>,
    proposal_id: uuid::Uuid,
) -> Result<ModeState, CommandError> {
    backend.confirm_mode(proposal_id).await
}

/// Record a user action in the outbox (works offline); the sync engine delivers it exactly once.
#[tauri::command]
pub async fn submit_action(
    backend: tauri::State<'_, Backend>,
    op: citydeck_protocol::Op,
) -> Result<OutboxEntry, CommandError> {
    backend.submit_action(op).await
}

/// Drop a rejected action.
#[tauri::command]
pub async fn drop_action(
    backend: tauri::State<'_, Backend>,
    op_id: uuid::Uuid,
) -> Result<bool, CommandError> {
    backend.drop_action(op_id).await
}

/// Queue a rejected action again against the hub's current state.
#[tauri::command]
pub async fn reapply_action(
    backend: tauri::State<'_, Backend>,
    op_id: uuid::Uuid,
) -> Result<OutboxEntry, CommandError> {
    backend.reapply_action(op_id).await
}

/// One incident from the cache, if it knows it.
#[tauri::command]
pub async fn incident(
    backend: tauri::State<'_, Backend>,
    id: uuid::Uuid,
) -> Result<Option<citydeck_protocol::Incident>, CommandError> {
    backend.incident(id).await
}

/// What the map must change since it drew the cache as of `after` (0 = everything): a [`MapDelta`] in JSON
/// bytes (see [`json`]).
#[tauri::command]
pub async fn map_delta(backend: tauri::State<'_, Backend>, after: u64) -> Result<Response, CommandError> {
    json::<MapDelta>(&backend.map_delta(after).await?)
}

/// Prepare the field bundle (离线包) for `area` (west, south, east, north; None = the whole basemap).
#[tauri::command]
pub async fn prepare_bundle(
    backend: tauri::State<'_, Backend>,
    area: Option<[f64; 4]>,
) -> Result<BundleInfo, CommandError> {
    backend.prepare_bundle(area).await
}

/// The vital-sign panels of the scenario the wall shows (`scenario`: the one picked in the header, None for the
/// wall's default), from the cache: a [`citydeck_protocol::ipc::VitalsView`] in JSON bytes (see [`json`]).
#[tauri::command]
pub async fn vitals(
    backend: tauri::State<'_, Backend>,
    scenario: Option<String>,
) -> Result<Response, CommandError> {
    json(&backend.vitals(scenario).await?)
}

/// One indicator over `range` for the large chart (the hub's series; offline, the cached day marked so): a
/// [`citydeck_protocol::ipc::VitalSeries`] in JSON bytes.
#[tauri::command]
pub async fn vital_series(
    backend: tauri::State<'_, Backend>,
    indicator: String,
    range: citydeck_protocol::ipc::VitalRange,
) -> Result<Response, CommandError> {
    json(&backend.vital_series(indicator, range).await?)
}

/// 考核榜: the departments' scores over the last day, from the hub (offline, the last answer with `offline`):
/// a [`citydeck_protocol::ipc::EvaluationView`] in JSON bytes.
#[tauri::command]
pub async fn evaluation(backend: tauri::State<'_, Backend>) -> Result<Response, CommandError> {
    json(&backend.evaluation().await)
}
