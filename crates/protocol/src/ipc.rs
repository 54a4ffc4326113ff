//! The Tauri IPC contract between the desktop shell (`src-tauri`) and the wasm cockpit (`ui`).
//!
//! Commands (invoked from the UI with `window.__TAURI__.core.invoke(name, args)`):
//! - `cockpit_snapshot` → [`CockpitSnapshot`]
//! - `ack_mode` `{ epoch }` → the hub has recorded that this screen shows mode epoch `epoch`
//!
//! Events (emitted by the shell, `window.__TAURI__.event.listen(name, cb)`):
//! - [`EVENT_COCKPIT_CHANGED`]: the cache or the connection changed; the payload is a [`ChangeHint`]. The UI
//!   then asks for a fresh snapshot (coalesced, at most a few times a second).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{Grade, Incident, IncidentClass, ServerSeq, Stage};

pub const CMD_COCKPIT_SNAPSHOT: &str = "cockpit_snapshot";
pub const CMD_ACK_MODE: &str = "ack_mode";
pub const EVENT_COCKPIT_CHANGED: &str = "cockpit://changed";

/// State of the desktop's link to the hub.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ConnectionState {
    /// Not yet tried.
    Connecting,
    /// Live stream open.
    Online,
    /// Lost the link; trying again. `since` is when it was last online (None: never this run).
    Reconnecting {
        since: Option<DateTime<Utc>>,
        attempt: u32,
        last_error: String,
    },
    /// Hub unreachable for long enough that the cockpit shows cached data only.
    Offline {
        since: Option<DateTime<Utc>>,
        last_error: String,
    },
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ConnectionInfo {
    pub state: ConnectionState,
    /// Hub URL, or "embedded" when the desktop runs its own hub.
    pub hub: String,
    /// Last `server_seq` applied to the local cache.
    pub last_seq: ServerSeq,
    /// When the cache last received anything from the hub (data age is now − this).
    pub last_sync_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct Summary {
    pub total_open: u64,
    pub by_class: Vec<(IncidentClass, u64)>,
    pub by_grade: Vec<(Grade, u64)>,
    /// Open incidents per closed-loop stage (采集 … 督办).
    #[serde(default)]
    pub by_stage: Vec<(Stage, u64)>,
    /// Incidents created in the last hour.
    pub last_hour: u64,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct CityInfo {
    /// Name in the local language and in zh-CN / English for the header.
    pub name_zh: String,
    pub name_en: String,
    pub center: [f64; 2],
    pub bbox: [f64; 4],
}

/// Everything the cockpit draws, read from the local cache (never straight from the hub).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct CockpitSnapshot {
    pub city: CityInfo,
    pub connection: ConnectionInfo,
    /// Open incidents, newest first (bounded).
    pub incidents: Vec<Incident>,
    pub summary: Summary,
    /// The city's mode (平战转换) as last received from the hub.
    #[serde(default = "crate::ModeState::initial")]
    pub mode: crate::ModeState,
    pub generated_at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ChangeHint {
    pub last_seq: ServerSeq,
}
