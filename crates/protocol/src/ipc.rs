//! The Tauri IPC contract between the desktop shell (`src-tauri`) and the wasm cockpit (`ui`).
//!
//! Commands (invoked from the UI with `window.__TAURI__.core.invoke(name, args)`):
//! - `cockpit_snapshot` `{ area? }` → [`CockpitSnapshot`], as JSON bytes (an `ArrayBuffer` in the webview; see
//!   `map_delta`); `area` (an area id, absent or null for the whole city) is the area the cockpit is drilled
//!   into: the incident list and the counts hold only the incidents in it (`CockpitSnapshot::area` says which
//!   area they were filtered to)
//! - `ack_mode` `{ epoch }` → the hub has recorded that this screen shows mode epoch `epoch`
//! - `switch_mode` `{ request: SwitchModeRequest }` → [`SwitchOutcome`] (commanders; online only: the hub decides)
//! - `confirm_mode` `{ proposalId }` → the new [`crate::ModeState`] (a second commander confirms level I)
//!
//! - `submit_action` `{ op: Op }` → [`OutboxEntry`] (pending): the action is in the outbox, durably, before
//!   this answers; the sync engine pushes it (now if online, first thing on reconnect otherwise)
//! - `drop_action` `{ opId }` → bool: the user drops a rejected action
//! - `reapply_action` `{ opId }` → [`OutboxEntry`]: a rejected (conflicting) action queued again against the
//!   hub's current state (a stage change takes the incident's current stage as its `from`)
//!
//! - `incident` `{ id }` → `Option<Incident>`: one incident from the cache (the detail panel of a marker that is
//!   not among the snapshot's bounded list)
//! - `map_delta` `{ after }` → [`MapDelta`]: what the map must change since it last drew the incidents as of
//!   `server_seq` `after` (0 = everything); the map applies it as a diff instead of reloading its sources.
//!   Like the snapshot it is sent as the serde_json bytes of the type: both are asked for several times a
//!   second, and decoding bytes in wasm costs the webview's main thread far less than JavaScript objects
//!   walked field by field (a client may still get either: the UI decodes both)
//! - `prepare_bundle` `{ area }` → [`BundleInfo`]: writes the field bundle (离线包: the cache, the basemap tiles
//!   of `area` — west, south, east, north, or null for the whole basemap — and the map assets) into the data
//!   dir's `field-bundle/` folder, for a desktop that will work with no network
//! - `areas` → [`AreasView`]: the city's areas as the cache holds them (works offline): the summaries, their
//!   outlines as one GeoJSON FeatureCollection for the map, and the account's scope
//!
//! - `vitals` `{ scenario }` → [`VitalsView`], as JSON bytes: the vital-sign panels (城市运行数字体征) of the
//!   scenario pack the wall shows, from the cache (works offline): `scenario` is the one picked in the header
//!   (absent or null: the wall's default, `CITYDECK_SCENARIO`); in wartime with a focus raised by an indicator
//!   the triggering indicator's pack is shown instead ([`VitalsView::because`])
//! - `vital_series` `{ indicator, range }` → [`VitalSeries`], as JSON bytes: the large chart of one indicator
//!   over a [`VitalRange`] (day / week / month), asked of the hub; with the hub unreachable, the cached last
//!   24 h marked `offline`
//!
//! A command that fails rejects with a [`CommandError`] `{code, message, args}`: a stable refusal code the UI
//! translates (the hub's own code when it refused), the English words and the code's arguments.
//!
//! Events (emitted by the shell, `window.__TAURI__.event.listen(name, cb)`):
//! - [`EVENT_COCKPIT_CHANGED`]: the cache or the connection changed; the payload is a [`ChangeHint`]. The UI
//!   then asks for a fresh snapshot (coalesced, at most a few times a second).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{Grade, Incident, IncidentClass, ModeKind, ModeProposal, Role, ServerSeq, Stage};

pub const CMD_COCKPIT_SNAPSHOT: &str = "cockpit_snapshot";
pub const CMD_ACK_MODE: &str = "ack_mode";
pub const CMD_SWITCH_MODE: &str = "switch_mode";
pub const CMD_CONFIRM_MODE: &str = "confirm_mode";
pub const CMD_SUBMIT_ACTION: &str = "submit_action";
pub const CMD_DROP_ACTION: &str = "drop_action";
pub const CMD_REAPPLY_ACTION: &str = "reapply_action";
pub const CMD_MAP_DELTA: &str = "map_delta";
pub const CMD_INCIDENT: &str = "incident";
pub const CMD_PREPARE_BUNDLE: &str = "prepare_bundle";
pub const CMD_AREAS: &str = "areas";
pub const CMD_VITALS: &str = "vitals";
pub const CMD_VITAL_SERIES: &str = "vital_series";
/// `invoke("evaluation")` → [`EvaluationView`] (考核榜: the departments' scores over the last day).
pub const CMD_EVALUATION: &str = "evaluation";

/// 考核榜: the hub's evaluation of the last day as this desktop last fetched it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct EvaluationView {
    /// None until the hub first answered.
    pub evaluation: Option<crate::closed_loop::Evaluation>,
    /// When it was fetched.
    pub fetched_at: Option<DateTime<Utc>>,
    /// The hub could not be asked this time (the last answer, if any, is shown with its age).
    pub offline: bool,
}
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
    /// The hub's log head as of the last page pulled: while `last_seq < hub_head` the cache is catching up
    /// (the UI shows the progress of a cold bootstrap).
    #[serde(default)]
    pub hub_head: Option<ServerSeq>,
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
    /// Open incidents, newest reported first (bounded); an update changes an incident in place.
    pub incidents: Vec<Incident>,
    pub summary: Summary,
    /// The city's mode (平战转换) as last received from the hub.
    #[serde(default = "crate::ModeState::initial")]
    pub mode: crate::ModeState,
    /// Level-I switches waiting for a second commander.
    #[serde(default)]
    pub proposals: Vec<ModeProposal>,
    /// Who this window is logged in as (None until the first login succeeded).
    #[serde(default)]
    pub me: Option<Me>,
    /// In wartime: the triggering incident and the response resources nearest to it.
    #[serde(default)]
    pub focus: Option<WartimeFocus>,
    /// This desktop's outbox: counts, and the actions that need an eye (pending, then rejected), oldest first.
    #[serde(default)]
    pub outbox: OutboxCounts,
    #[serde(default)]
    pub outbox_open: Vec<OutboxEntry>,
    /// The actions of this desktop the hub applied most recently, newest first (what landed).
    #[serde(default)]
    pub outbox_applied: Vec<OutboxEntry>,
    /// Rejected actions that conflict with someone else's change: what you did and what the hub has now.
    #[serde(default)]
    pub conflicts: Vec<Conflict>,
    /// The field bundle: the one prepared on this desktop, and what start-up did with a bundle it was given.
    #[serde(default)]
    pub bundle: BundleState,
    /// The area `incidents` and `summary` were filtered to (the drill-down, 三级贯通): the one asked for when the
    /// cache knows it, else `None` (the whole of what the cache holds).
    #[serde(default)]
    pub area: Option<String>,
    /// Per area with open incidents in it, the counts the map shades the areas by (areas with none are absent).
    #[serde(default)]
    pub area_measures: Vec<AreaMeasure>,
    /// The city's departments (分流交办, `GET /api/v1/departments`) as last fetched, parents first (empty before
    /// the first fetch, or when the city declares none).
    #[serde(default)]
    pub departments: Vec<crate::closed_loop::DepartmentView>,
    /// 督办: the open overdue incidents of the area (as `incidents`), the most escalated first, then the longest
    /// overdue (bounded).
    #[serde(default)]
    pub overdue: Vec<Incident>,
    /// The open incidents of the area per department (the backlog), in the departments' order, those routed to
    /// no department last; a department without open incidents is absent.
    #[serde(default)]
    pub backlog: Vec<DepartmentBacklog>,
    /// The grade-I alarm (issue 24): every open incident the cache holds that alarms
    /// (`citydeck_domain::ops::alarming`: grade I, its alarm not acknowledged), newest reported first, whatever
    /// area the cockpit is drilled into.
    #[serde(default)]
    pub alarms: Vec<Incident>,
    pub generated_at: DateTime<Utc>,
}

/// One department's open incidents (its backlog).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct DepartmentBacklog {
    /// The department id (None: routed to no department).
    pub department: Option<String>,
    /// Open incidents.
    pub open: u64,
    /// Of those, the overdue ones (督办).
    pub overdue: u64,
    /// Of those, the escalated ones (rung 2 and up).
    pub escalated: u64,
}

/// The open incidents in one area, counted the ways the cockpit's choropleth can shade it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct AreaMeasure {
    pub area_id: String,
    /// Open incidents.
    pub open: u64,
    /// Open incidents under supervision (督办: overdue or contested).
    pub overdue: u64,
    /// Open incidents of grade I.
    pub grade_i: u64,
}

/// A prepared field bundle (离线包), as its manifest describes it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct BundleInfo {
    /// The bundle folder.
    pub path: String,
    pub created_at: DateTime<Utc>,
    /// When the preparing desktop last heard from the hub.
    pub data_as_of: Option<DateTime<Utc>>,
    pub last_seq: ServerSeq,
    pub incidents: u64,
    pub open_incidents: u64,
    pub area_incidents: u64,
    /// west, south, east, north
    pub area: [f64; 4],
    pub tiles: u64,
    pub bytes: u64,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct BundleState {
    /// The bundle in this desktop's data dir, if one was prepared.
    pub prepared: Option<BundleInfo>,
    /// This desktop was started from a bundle (`CITYDECK_BUNDLE`): what start-up did with it.
    pub started_from: Option<BundleStart>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct BundleStart {
    pub path: String,
    pub outcome: BundleOutcome,
    /// The reason, in words (why the desktop's own cache was kept, or why the bundle was refused).
    pub detail: Option<String>,
    /// The bundle's data age and counts, when it could be read.
    pub info: Option<BundleInfo>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BundleOutcome {
    /// The bundle's cache became this desktop's cache.
    Installed,
    /// This desktop's own cache was as new, or held actions not yet on the hub: it was kept.
    Kept,
    /// The bundle is damaged, not a bundle, or for another hub: it was not used.
    Refused,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Me {
    pub username: String,
    pub role: Role,
    /// This window's screen name (what it acknowledges mode epochs as).
    pub screen: String,
}

/// `areas`: the city's areas (三级: city, districts, streets) from the cache, for the drill-down.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct AreasView {
    /// The scope of the account this cache follows (an area id), `None` for the whole city. A scoped cockpit
    /// opens at it and cannot go above it.
    pub scope: Option<String>,
    /// The city first, then its districts, then their streets, as `GET /api/v1/areas` lists them. Empty until
    /// the first session with a hub that serves areas.
    pub areas: Vec<crate::AreaSummary>,
    /// A GeoJSON `FeatureCollection`: one feature per area (same order), its `geometry` the area's outline and
    /// its properties `id`, `name`, `level`, `parent`.
    pub outlines: serde_json::Value,
}

/// A scenario pack (业务场景) as the header's selector lists it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ScenarioInfo {
    pub id: String,
    pub name: crate::indicators::LocalizedName,
    /// The indicator ids its panels show, in order (of this pack or another).
    pub panels: Vec<String>,
}

/// Why the wall shows the scenario it shows.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum ScenarioChoice {
    /// The wall's default (`CITYDECK_SCENARIO`, else `overview`).
    #[default]
    Default,
    /// Picked in the header.
    Chosen,
    /// Wartime: the pack of the indicator whose threshold crossing raised the triggering incident.
    Wartime,
}

/// `vitals`: the vital-sign panels of one scenario, from the desktop's cache.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct VitalsView {
    /// Every scenario pack this desktop knows, for the selector (empty: the desktop has none; the panels then
    /// show every indicator the hub lists).
    pub scenarios: Vec<ScenarioInfo>,
    /// The wall's default scenario.
    pub default_scenario: String,
    /// The scenario whose panels these are.
    pub scenario: String,
    pub because: ScenarioChoice,
    /// In wartime: the indicator whose crossing raised the triggering incident (its panel is marked).
    #[serde(default)]
    pub trigger: Option<String>,
    /// One per indicator of the scenario the cache knows, in the pack's order.
    pub panels: Vec<VitalPanel>,
    /// When the hub last listed the indicators to this desktop (None: never; the panels are empty then).
    pub fetched_at: Option<DateTime<Utc>>,
    pub generated_at: DateTime<Utc>,
}

/// One vital-sign panel: the indicator with its thresholds and latest reading, and its last 24 h.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct VitalPanel {
    pub indicator: crate::indicators::IndicatorView,
    /// The last 24 h before `generated_at`, oldest first: the hub's bucketed series as cached (one point per
    /// non-empty step), with the latest reading appended as a point of its own when it is newer.
    pub points: Vec<crate::indicators::SeriesPoint>,
    /// The series' step in seconds (0: no series cached yet).
    pub step: u64,
    /// When the cached series was fetched from the hub.
    pub series_fetched_at: Option<DateTime<Utc>>,
}

/// The large chart's span.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum VitalRange {
    Day,
    Week,
    Month,
}

impl VitalRange {
    pub const ALL: [VitalRange; 3] = [VitalRange::Day, VitalRange::Week, VitalRange::Month];

    pub fn as_str(self) -> &'static str {
        match self {
            VitalRange::Day => "day",
            VitalRange::Week => "week",
            VitalRange::Month => "month",
        }
    }

    /// The span in seconds (a month is 30 days).
    pub fn secs(self) -> u64 {
        match self {
            VitalRange::Day => 86_400,
            VitalRange::Week => 7 * 86_400,
            VitalRange::Month => 30 * 86_400,
        }
    }
}

/// `vital_series`: one indicator over a range, for the large chart.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct VitalSeries {
    pub indicator: String,
    pub range: VitalRange,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// The step the hub answered (seconds); the cached series' step when offline.
    pub step: u64,
    pub points: Vec<crate::indicators::SeriesPoint>,
    /// The hub could not be asked: `points` are what the cache holds (the last 24 h at most).
    pub offline: bool,
    /// Offline: when the cached points were fetched.
    #[serde(default)]
    pub cached_at: Option<DateTime<Utc>>,
}

/// `switch_mode` arguments: the same fields as `POST /api/v1/mode`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SwitchModeRequest {
    pub mode: ModeKind,
    pub level: Option<Grade>,
    pub reason: String,
    #[serde(default)]
    pub incident_ids: Vec<uuid::Uuid>,
}

/// What `switch_mode` did.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SwitchOutcome {
    Applied {
        mode: Box<crate::ModeState>,
    },
    /// Level I: waits for a second commander until `expires_at`.
    PendingConfirmation {
        proposal_id: uuid::Uuid,
        expires_at: DateTime<Utc>,
    },
}

/// The wartime focus: the triggering incident and what can respond near it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct WartimeFocus {
    pub incident: Incident,
    /// Nearest first.
    pub nearby: Vec<NearbyResource>,
}

/// A response resource near the focus incident: a facility from the city's OpenStreetMap extract.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct NearbyResource {
    pub name: String,
    /// `fire_station`, `police_station`, `hospital`, `clinic`, `pharmacy`, `metro_station` (civil-defence
    /// shelter), `railway_station`, `park` / `square` (assembly area), `school`.
    pub kind: String,
    /// `rescue` | `medical` | `shelter`.
    pub group: String,
    pub lon: f64,
    pub lat: f64,
    pub distance_m: f64,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ChangeHint {
    pub last_seq: ServerSeq,
}

/// Where an action stands.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    /// Written here, not yet confirmed by the hub.
    Pending,
    /// The hub applied it (now or in an earlier push).
    Applied,
    /// The hub refused it; `reason` says why.
    Rejected,
    /// Rejected, and the user chose to drop it (kept for the record, no longer shown as needing attention).
    Dropped,
}

/// One action as the UI lists it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct OutboxEntry {
    pub client_seq: u64,
    pub op_id: uuid::Uuid,
    pub op: crate::Op,
    pub created_at: DateTime<Utc>,
    pub state: OutboxState,
    pub reason: Option<String>,
    pub conflict: bool,
    pub server_seq: Option<crate::ServerSeq>,
    /// The refusal's code (see [`crate::Refusal`]); None for actions rejected before codes existed (then
    /// `reason` is shown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<serde_json::Value>,
}

impl OutboxEntry {
    /// The coded refusal, when there is one this build knows.
    pub fn refusal(&self) -> Option<crate::Refusal> {
        crate::Refusal::from_parts(self.code.as_deref()?, self.args.as_ref())
    }
}

/// How a command fails: `{code, message, args}`. The UI shows the translated code ([`crate::Refusal`]);
/// `message` is the English words (logs, and the fallback for a code the UI does not know).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct CommandError {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<serde_json::Value>,
}

impl CommandError {
    pub fn refusal(&self) -> Option<crate::Refusal> {
        crate::Refusal::from_parts(&self.code, self.args.as_ref())
    }
}

impl From<crate::Refusal> for CommandError {
    fn from(r: crate::Refusal) -> Self {
        CommandError {
            code: r.code(),
            message: r.message(),
            args: r.args(),
        }
    }
}

/// Counts for the outbox badge.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct OutboxCounts {
    pub pending: u64,
    pub rejected: u64,
}

/// A conflict for the conflict view: the rejected action and the incident as the hub has it now (None if the
/// desktop has not received it).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Conflict {
    pub entry: OutboxEntry,
    pub current: Option<Incident>,
}

/// One incident as the map draws it: just what a marker, its colour/size, its cluster, its tooltip and its area
/// need (the detail panel reads the full [`Incident`] from the snapshot or the cache).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct MapPoint {
    pub id: uuid::Uuid,
    pub lon: f64,
    pub lat: f64,
    pub grade: Grade,
    pub class: IncidentClass,
    pub stage: Stage,
    pub title: String,
    /// `server_seq` of the last change.
    pub seq: ServerSeq,
    /// The area the source gave it ([`Incident::outline`]: a CAP alert's polygons and circles, a feed's
    /// polygon), closed rings of `[lon, lat]`; absent for a point-only incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outline: Option<Vec<Vec<[f64; 2]>>>,
    /// The incident's quality (issue 22): the map's quality filter hides the ones below its choice.
    #[serde(default)]
    pub quality: crate::ingest::Quality,
}

impl From<&Incident> for MapPoint {
    /// The incident as the map draws it (the one place the map's point is made from an incident).
    fn from(i: &Incident) -> Self {
        MapPoint {
            id: i.id,
            lon: i.location.lon,
            lat: i.location.lat,
            grade: i.grade,
            class: i.class,
            stage: i.status,
            title: i.title.clone(),
            seq: i.seq,
            outline: i.outline.clone().filter(|o| !o.is_empty()),
            quality: i.quality,
        }
    }
}

/// `map_delta { after }`: the incidents changed since `after`. `full` = the map must drop everything it has
/// and take `upserts` as the whole set (first call, or the cache was reset). Closed incidents come as
/// `removed`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct MapDelta {
    /// Pass this as `after` next time.
    pub seq: ServerSeq,
    pub full: bool,
    pub upserts: Vec<MapPoint>,
    pub removed: Vec<uuid::Uuid>,
    /// Response teams and vehicles with their status (whole list each time: tens to hundreds).
    pub resources: Vec<MapResource>,
    /// Sensors with their latest reading (whole list each time).
    pub sensors: Vec<MapSensor>,
}

/// A response team or vehicle.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct MapResource {
    pub id: String,
    pub name: String,
    /// `team` | `vehicle`.
    pub kind: String,
    /// `rescue` | `medical` | `police` | `utility`.
    pub group: String,
    /// `available` | `dispatched` | `on_scene` | `returning` | `out_of_service`.
    pub status: String,
    pub lon: f64,
    pub lat: f64,
    /// The incident it is dispatched to, if any.
    #[serde(default)]
    pub incident_id: Option<uuid::Uuid>,
}

/// A sensor and its latest reading.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct MapSensor {
    pub id: String,
    pub name: String,
    /// e.g. `water_level`, `air_quality`, `traffic_flow`, `gas`.
    pub kind: String,
    pub value: f64,
    pub unit: String,
    /// `normal` | `warning` | `alarm` (over its threshold).
    pub state: String,
    pub lon: f64,
    pub lat: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_incident_becomes_the_point_the_map_draws() {
        let i: Incident = serde_json::from_value(serde_json::json!({
            "id": uuid::Uuid::from_u128(9), "title": "Kamppi 地铁站火灾", "class": "accident", "grade": "I",
            "location": {"lon": 24.93, "lat": 60.17}, "source": "s", "status": "handling",
            "occurred_at": "2026-03-21T10:00:00Z", "created_at": "2026-03-21T10:00:00Z",
            "updated_at": "2026-03-21T10:05:00Z", "created_by": "x", "seq": 12
        }))
        .unwrap();
        assert_eq!(
            MapPoint::from(&i),
            MapPoint {
                id: i.id,
                lon: 24.93,
                lat: 60.17,
                grade: Grade::I,
                class: IncidentClass::Accident,
                stage: Stage::Handling,
                title: "Kamppi 地铁站火灾".into(),
                seq: 12,
                outline: None,
                quality: crate::ingest::Quality::Unverified,
            }
        );
        // an alert's area comes along; an empty one is no area
        let ring = vec![[9.51, 47.13], [9.53, 47.13], [9.53, 47.15], [9.51, 47.13]];
        let alerted = Incident {
            outline: Some(vec![ring.clone()]),
            ..i.clone()
        };
        assert_eq!(MapPoint::from(&alerted).outline, Some(vec![ring]));
        let json = serde_json::to_value(MapPoint::from(&i)).unwrap();
        assert!(json.get("outline").is_none(), "absent, not null: {json}");
        let empty = Incident {
            outline: Some(Vec::new()),
            ..i
        };
        assert_eq!(MapPoint::from(&empty).outline, None);
    }
}
