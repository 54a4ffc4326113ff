//! The only module that talks to the Tauri shell (`window.__TAURI__`, enabled by `app.withGlobalTauri`), and to
//! what the page keeps outside the cockpit's state: its URL's query, `localStorage`, the user agent.
//!
//! Everything is looked up at call time with `Reflect`, so a page opened outside the desktop app (plain
//! browser, missing global) yields [`IpcError::NoShell`] instead of a panic or an uncaught exception.

use std::fmt;

use citydeck_protocol::ipc::{
    ChangeHint, CockpitSnapshot, CommandError, MapDelta, OutboxEntry, SwitchModeRequest, SwitchOutcome,
    CMD_ACK_MODE, CMD_COCKPIT_SNAPSHOT, CMD_CONFIRM_MODE, CMD_DROP_ACTION, CMD_MAP_DELTA, CMD_REAPPLY_ACTION,
    CMD_SUBMIT_ACTION, CMD_SWITCH_MODE, EVENT_COCKPIT_CHANGED,
};
use citydeck_protocol::{ModeState, Op};
use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[derive(Clone, Debug, PartialEq)]
pub enum IpcError {
    /// `window.__TAURI__` (or the `core` / `event` API in it) is not there.
    NoShell(String),
    /// The command or listener call failed on the shell side.
    Call(String),
    /// The shell refused: a coded refusal (`{code, message, args}`) the cockpit translates.
    Refused(CommandError),
    /// The shell answered with something that is not the expected type.
    Decode(String),
}

impl IpcError {
    /// The message alone (e.g. the shell's or the hub's refusal in its own words), for showing next to the
    /// control that caused it.
    pub fn message(&self) -> &str {
        match self {
            IpcError::NoShell(m) | IpcError::Call(m) | IpcError::Decode(m) => m,
            IpcError::Refused(e) => &e.message,
        }
    }
}

impl fmt::Display for IpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IpcError::NoShell(m) => write!(f, "shell unavailable: {m}"),
            IpcError::Call(m) => write!(f, "IPC call failed: {m}"),
            IpcError::Decode(m) => write!(f, "unexpected IPC payload: {m}"),
            IpcError::Refused(e) => write!(f, "{}", e.message),
        }
    }
}

fn js_to_string(v: &JsValue) -> String {
    if let Some(s) = v.as_string() {
        return s;
    }
    if let Some(e) = v.dyn_ref::<js_sys::Error>() {
        return String::from(e.message());
    }
    js_sys::JSON::stringify(v)
        .map(String::from)
        .unwrap_or_else(|_| format!("{v:?}"))
}

/// `window.__TAURI__[api][func]` as a callable, plus its `this`.
fn tauri_fn(api: &str, func: &str) -> Result<(Object, Function), IpcError> {
    let window = web_sys::window().ok_or_else(|| IpcError::NoShell("no window".into()))?;
    let tauri = Reflect::get(&window, &JsValue::from_str("__TAURI__"))
        .ok()
        .filter(|v| v.is_object())
        .ok_or_else(|| IpcError::NoShell("window.__TAURI__ is missing".into()))?;
    let api_obj = Reflect::get(&tauri, &JsValue::from_str(api))
        .ok()
        .filter(|v| v.is_object())
        .ok_or_else(|| IpcError::NoShell(format!("window.__TAURI__.{api} is missing")))?;
    let f = Reflect::get(&api_obj, &JsValue::from_str(func))
        .ok()
        .and_then(|v| v.dyn_into::<Function>().ok())
        .ok_or_else(|| IpcError::NoShell(format!("window.__TAURI__.{api}.{func} is not a function")))?;
    Ok((api_obj.unchecked_into(), f))
}

/// True when the global Tauri API is present.
pub fn shell_available() -> bool {
    tauri_fn("core", "invoke").is_ok()
}

async fn call_promise(this: &Object, f: &Function, args: &[JsValue]) -> Result<JsValue, IpcError> {
    let arr = js_sys::Array::new();
    for a in args {
        arr.push(a);
    }
    let ret = f
        .apply(this, &arr)
        .map_err(|e| IpcError::Call(js_to_string(&e)))?;
    let promise = Promise::resolve(&ret);
    JsFuture::from(promise).await.map_err(|e| call_error(&e))
}

/// A rejected command: the shell's `{code, message, args}` when it sent one, else its words.
fn call_error(e: &JsValue) -> IpcError {
    match serde_wasm_bindgen::from_value::<CommandError>(e.clone()) {
        Ok(refused) => IpcError::Refused(refused),
        Err(_) => IpcError::Call(js_to_string(e)),
    }
}

/// `invoke("cockpit_snapshot", { area })`: the incident list and counts of `area` (None: the whole city).
pub async fn cockpit_snapshot(area: Option<&str>) -> Result<CockpitSnapshot, IpcError> {
    let value = invoke_with(CMD_COCKPIT_SNAPSHOT, "area", &area).await?;
    decode(value)
}

/// `invoke("areas")`: the city's areas, their outlines and the account's scope, from the cache.
pub async fn areas() -> Result<citydeck_protocol::ipc::AreasView, IpcError> {
    let (this, invoke) = tauri_fn("core", "invoke")?;
    let value = call_promise(
        &this,
        &invoke,
        &[JsValue::from_str(citydeck_protocol::ipc::CMD_AREAS)],
    )
    .await?;
    decode(value)
}

/// `invoke("evaluation")`: 考核榜, the departments' scores over the last day (offline: the last answer, marked).
pub async fn evaluation() -> Result<citydeck_protocol::ipc::EvaluationView, IpcError> {
    let (this, invoke) = tauri_fn("core", "invoke")?;
    let value = call_promise(
        &this,
        &invoke,
        &[JsValue::from_str(citydeck_protocol::ipc::CMD_EVALUATION)],
    )
    .await?;
    decode(value)
}

/// `invoke("vitals", { scenario })`: the vital-sign panels of the scenario the wall shows (`scenario`: the one
/// picked in the header, None for the wall's default), from the cache.
pub async fn vitals(scenario: Option<&str>) -> Result<citydeck_protocol::ipc::VitalsView, IpcError> {
    let value = invoke_with(citydeck_protocol::ipc::CMD_VITALS, "scenario", &scenario).await?;
    decode(value)
}

/// `invoke("vital_series", { indicator, range })`: one indicator over a range for the large chart (offline: the
/// cached day, marked so).
pub async fn vital_series(
    indicator: &str,
    range: citydeck_protocol::ipc::VitalRange,
) -> Result<citydeck_protocol::ipc::VitalSeries, IpcError> {
    let (this, invoke) = tauri_fn("core", "invoke")?;
    let args = Object::new();
    let set = |k: &str, v: JsValue| {
        Reflect::set(&args, &JsValue::from_str(k), &v).map_err(|e| IpcError::Call(js_to_string(&e)))
    };
    set("indicator", JsValue::from_str(indicator))?;
    set("range", JsValue::from_str(range.as_str()))?;
    let value = call_promise(
        &this,
        &invoke,
        &[
            JsValue::from_str(citydeck_protocol::ipc::CMD_VITAL_SERIES),
            args.into(),
        ],
    )
    .await?;
    decode(value)
}

/// An answer the shell sends as JSON bytes (an `ArrayBuffer`: the snapshot and the map's diffs, several a
/// second), decoded with serde_json in one pass over the bytes; an answer sent as a value (a JavaScript
/// object: the development shell, `ui/dev/fake-tauri.js`) through serde-wasm-bindgen.
fn decode<T: serde::de::DeserializeOwned>(value: JsValue) -> Result<T, IpcError> {
    let bytes = if let Some(buf) = value.dyn_ref::<js_sys::ArrayBuffer>() {
        Some(js_sys::Uint8Array::new(buf).to_vec())
    } else if let Some(a) = value.dyn_ref::<js_sys::Uint8Array>() {
        Some(a.to_vec())
    } else if js_sys::Array::is_array(&value) {
        // Tauri's postMessage fallback (custom-protocol IPC blocked) hands raw bytes over as an array of numbers.
        Some(js_sys::Uint8Array::new(&value).to_vec())
    } else {
        None
    };
    match bytes {
        Some(bytes) => decode_json(&bytes),
        None => serde_wasm_bindgen::from_value(value).map_err(|e| IpcError::Decode(e.to_string())),
    }
}

/// Decodes an answer the shell sent as JSON bytes.
pub fn decode_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, IpcError> {
    serde_json::from_slice(bytes).map_err(|e| IpcError::Decode(e.to_string()))
}

/// `invoke("ack_mode", { epoch })`: this screen now shows mode epoch `epoch`.
pub async fn ack_mode(epoch: u64) -> Result<(), IpcError> {
    let (this, invoke) = tauri_fn("core", "invoke")?;
    let args = Object::new();
    Reflect::set(
        &args,
        &JsValue::from_str("epoch"),
        &JsValue::from_f64(epoch as f64),
    )
    .map_err(|e| IpcError::Call(js_to_string(&e)))?;
    call_promise(&this, &invoke, &[JsValue::from_str(CMD_ACK_MODE), args.into()])
        .await
        .map(|_| ())
}

/// `invoke(name, args)` where `args` is one object `{ key: value }` serialized with serde.
async fn invoke_with<T: serde::Serialize + ?Sized>(
    name: &str,
    key: &str,
    value: &T,
) -> Result<JsValue, IpcError> {
    let (this, invoke) = tauri_fn("core", "invoke")?;
    let args = Object::new();
    let value = value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| IpcError::Call(e.to_string()))?;
    Reflect::set(&args, &JsValue::from_str(key), &value).map_err(|e| IpcError::Call(js_to_string(&e)))?;
    call_promise(&this, &invoke, &[JsValue::from_str(name), args.into()]).await
}

/// `invoke("switch_mode", { request })`: ask the hub to switch the city's mode.
pub async fn switch_mode(request: &SwitchModeRequest) -> Result<SwitchOutcome, IpcError> {
    let v = invoke_with(CMD_SWITCH_MODE, "request", request).await?;
    serde_wasm_bindgen::from_value(v).map_err(|e| IpcError::Decode(e.to_string()))
}

/// `invoke("confirm_mode", { proposalId })`: confirm another commander's level-I switch.
pub async fn confirm_mode(proposal_id: uuid::Uuid) -> Result<ModeState, IpcError> {
    let v = invoke_with(CMD_CONFIRM_MODE, "proposalId", &proposal_id).await?;
    serde_wasm_bindgen::from_value(v).map_err(|e| IpcError::Decode(e.to_string()))
}

/// `invoke("submit_action", { op })`: put a user action into the local outbox (works offline). Rejects with the
/// shell's message when the action is invalid against what this desktop knows (empty note, stage not allowed).
pub async fn submit_action(op: &Op) -> Result<OutboxEntry, IpcError> {
    let v = invoke_with(CMD_SUBMIT_ACTION, "op", op).await?;
    serde_wasm_bindgen::from_value(v).map_err(|e| IpcError::Decode(e.to_string()))
}

/// `invoke("drop_action", { opId })`: give up a rejected action. True when there was one to drop.
pub async fn drop_action(op_id: uuid::Uuid) -> Result<bool, IpcError> {
    let v = invoke_with(CMD_DROP_ACTION, "opId", &op_id).await?;
    serde_wasm_bindgen::from_value(v).map_err(|e| IpcError::Decode(e.to_string()))
}

/// `invoke("reapply_action", { opId })`: queue a rejected (conflicting) action again against the hub's current
/// state; answers the new pending entry.
pub async fn reapply_action(op_id: uuid::Uuid) -> Result<OutboxEntry, IpcError> {
    let v = invoke_with(CMD_REAPPLY_ACTION, "opId", &op_id).await?;
    serde_wasm_bindgen::from_value(v).map_err(|e| IpcError::Decode(e.to_string()))
}

/// `invoke("incident", { id })`: one incident from the desktop's cache (None: it does not know it).
pub async fn incident(id: uuid::Uuid) -> Result<Option<citydeck_protocol::Incident>, IpcError> {
    let v = invoke_with(citydeck_protocol::ipc::CMD_INCIDENT, "id", &id).await?;
    serde_wasm_bindgen::from_value(v).map_err(|e| IpcError::Decode(e.to_string()))
}

/// `invoke("map_delta", { after })`: what the map must change since it drew the incidents as of `after`.
pub async fn map_delta(after: u64) -> Result<MapDelta, IpcError> {
    let v = invoke_with(CMD_MAP_DELTA, "after", &after).await?;
    decode(v)
}

/// `invoke("prepare_bundle", { area })`: write the field bundle for `area` (None: the whole basemap).
pub async fn prepare_bundle(area: Option<[f64; 4]>) -> Result<citydeck_protocol::ipc::BundleInfo, IpcError> {
    let v = invoke_with(citydeck_protocol::ipc::CMD_PREPARE_BUNDLE, "area", &area).await?;
    serde_wasm_bindgen::from_value(v).map_err(|e| IpcError::Decode(e.to_string()))
}

/// `listen("cockpit://changed", cb)`. The callback gets the hint when the payload parses, else None (the UI
/// re-fetches either way). The listener lives for the rest of the page's life.
pub async fn listen_cockpit_changed(cb: impl Fn(Option<ChangeHint>) + 'static) -> Result<(), IpcError> {
    let (this, listen) = tauri_fn("event", "listen")?;
    let handler = Closure::<dyn Fn(JsValue)>::new(move |event: JsValue| {
        let hint = Reflect::get(&event, &JsValue::from_str("payload"))
            .ok()
            .and_then(|p| serde_wasm_bindgen::from_value::<ChangeHint>(p).ok());
        cb(hint);
    });
    let result = call_promise(
        &this,
        &listen,
        &[JsValue::from_str(EVENT_COCKPIT_CHANGED), handler.as_ref().clone()],
    )
    .await;
    // The returned unlisten function is never called: the cockpit listens until the window closes.
    handler.forget();
    result.map(|_| ())
}

// ───────────────────────── the page ─────────────────────────

/// The page URL's query parameter `name`, decoded (`?map=schematic`, `?mapbase=…`), None when absent.
pub fn query_param(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    let search = search.trim_start_matches('?');
    search.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == name).then(|| {
            js_sys::decode_uri_component(v)
                .ok()
                .map(String::from)
                .unwrap_or_default()
        })
    })
}

/// The webview's user agent ("" when unknown).
pub fn user_agent() -> String {
    web_sys::window()
        .and_then(|w| w.navigator().user_agent().ok())
        .unwrap_or_default()
}

/// A setting this window saved earlier (`localStorage`), None when never saved or storage is unavailable.
pub fn saved_setting(key: &str) -> Option<String> {
    web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item(key).ok().flatten())
}

/// Save a setting for the next start (`localStorage`); without storage it is kept for this run only.
pub fn save_setting(key: &str, value: &str) {
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = storage.set_item(key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shells_json_bytes_decode_to_what_it_sent() {
        let mut incidents: Vec<_> = (0..3)
            .map(|k| crate::fixtures::incident(&format!("事件 #{k}")))
            .collect();
        incidents[1].description = Some("多行\n描述 \"引号\"".into());
        let snap = crate::fixtures::snapshot(incidents, ModeState::initial());
        // What the shell's `cockpit_snapshot` sends (serde_json::to_vec of the snapshot).
        let bytes = serde_json::to_vec(&snap).unwrap();
        assert_eq!(decode_json::<CockpitSnapshot>(&bytes), Ok(snap.clone()));
        let delta = MapDelta {
            seq: 42,
            removed: vec![snap.incidents[0].id],
            ..Default::default()
        };
        assert_eq!(
            decode_json::<MapDelta>(&serde_json::to_vec(&delta).unwrap()),
            Ok(delta)
        );
    }

    #[test]
    fn bytes_that_are_not_the_type_are_a_decode_error() {
        for bad in [&b"not json"[..], b"{\"incidents\": 5}", b"", b"{\"city\":"] {
            match decode_json::<CockpitSnapshot>(bad) {
                Err(IpcError::Decode(m)) => assert!(!m.is_empty()),
                other => panic!("{:?} decoded as {other:?}", String::from_utf8_lossy(bad)),
            }
        }
    }
}
