//! The citydeck wire contract.
//!
//! Every type that crosses a process boundary (hub HTTP/WS API, Tauri IPC to the UI) lives here, so the hub,
//! the desktop sync engine and the wasm UI cannot disagree about a field name. This crate does no I/O and must
//! build for `wasm32-unknown-unknown`.
//!
//! Compatibility rule: fields are only ever added (with `#[serde(default)]` on the reading side), never renamed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub mod closed_loop;
pub mod demo;
#[cfg(any(test, feature = "test-fixtures"))]
pub mod fixtures;
pub mod indicators;
pub mod ingest;
pub mod ipc;
pub mod refusal;

pub use refusal::Refusal;

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// Sequence number of an accepted change in the hub's single append-only log. Gap-free, starting at 1.
pub type ServerSeq = u64;

/// The largest integer the API takes where it documents an unsigned number (`client_seq`, `after`, `epoch`):
/// 2^53 − 1, exact in every JSON parser (JavaScript's `Number.MAX_SAFE_INTEGER`) and in the hub's signed 64-bit
/// columns. A larger number is refused as a bad request, never wrapped.
pub const MAX_JSON_INT: u64 = (1 << 53) - 1;

/// The four classes of the national emergency plan (国家突发公共事件总体应急预案).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum IncidentClass {
    /// 自然灾害
    NaturalDisaster,
    /// 事故灾难
    Accident,
    /// 公共卫生事件
    PublicHealth,
    /// 社会安全事件
    SocialSecurity,
}

impl IncidentClass {
    pub const ALL: [IncidentClass; 4] = [
        IncidentClass::NaturalDisaster,
        IncidentClass::Accident,
        IncidentClass::PublicHealth,
        IncidentClass::SocialSecurity,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IncidentClass::NaturalDisaster => "natural_disaster",
            IncidentClass::Accident => "accident",
            IncidentClass::PublicHealth => "public_health",
            IncidentClass::SocialSecurity => "social_security",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Response grade: I 特别重大 (red), II 重大 (orange), III 较大 (yellow), IV 一般 (blue).
///
/// Ordered by severity, the one order every rule and view uses: `IV < III < II < I`. So `a > b` means `a` is
/// more severe (a wartime level raised from `b` to `a`), `max` is the most severe, an ascending sort puts the
/// most severe last (drawn on top) and `sort_by_key(|g| Reverse(g))` puts it first (lists, queues).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub enum Grade {
    I,
    II,
    III,
    IV,
}

impl Grade {
    pub const ALL: [Grade; 4] = [Grade::I, Grade::II, Grade::III, Grade::IV];

    pub fn as_str(self) -> &'static str {
        match self {
            Grade::I => "I",
            Grade::II => "II",
            Grade::III => "III",
            Grade::IV => "IV",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == s)
    }

    /// Its place in [`Grade::ALL`]: I = 0 … IV = 3 (an index into per-grade arrays, not an order).
    pub fn index(self) -> usize {
        self as usize
    }
}

impl Ord for Grade {
    /// Severity: I is the greatest, IV the least.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other.index().cmp(&self.index())
    }
}

impl PartialOrd for Grade {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The closed loop 采集→识别→交办→处置→反馈→督办, then closed (结案).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// 采集: reported / collected, not yet verified.
    Collected,
    /// 识别: verified and classified.
    Identified,
    /// 交办: routed to a responsible department.
    Assigned,
    /// 处置: being handled.
    Handling,
    /// 反馈: handling reported back, awaiting evaluation.
    Feedback,
    /// 督办: overdue or contested, under supervision.
    Supervised,
    /// 结案
    Closed,
}

impl Stage {
    pub const ALL: [Stage; 7] = [
        Stage::Collected,
        Stage::Identified,
        Stage::Assigned,
        Stage::Handling,
        Stage::Feedback,
        Stage::Supervised,
        Stage::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Collected => "collected",
            Stage::Identified => "identified",
            Stage::Assigned => "assigned",
            Stage::Handling => "handling",
            Stage::Feedback => "feedback",
            Stage::Supervised => "supervised",
            Stage::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct GeoPoint {
    pub lon: f64,
    pub lat: f64,
}

/// `POST /api/v1/incidents` body.
///
/// Kept as loose JSON on the hub side first (so that a bad field gets an error naming it); this is the typed form
/// clients send.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct NewIncident {
    /// At most 200 characters, not blank (leading and trailing spaces are trimmed).
    pub title: String,
    pub class: IncidentClass,
    pub grade: Grade,
    pub lon: f64,
    pub lat: f64,
    /// Who reported it (a feed name, `operator`, …): at most 64 characters, not blank.
    pub source: String,
    /// At most 4000 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Place name or street address, at most 200 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The source's own id for this event (e.g. a USGS event id), at most 200 characters. Together with `source`
    /// it identifies the event across re-deliveries: a second create with the same pair returns the existing
    /// incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// When the event happened according to the source (defaults to the time the hub accepted it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurred_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Incident {
    pub id: Uuid,
    pub title: String,
    pub class: IncidentClass,
    pub grade: Grade,
    pub location: GeoPoint,
    pub source: String,
    pub status: Stage,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Who created it (account name).
    pub created_by: String,
    /// `server_seq` of the last change to this incident.
    pub seq: ServerSeq,
    /// Who the incident is assigned to (交办), if anyone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    /// Accounts that acknowledged the incident, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acknowledged_by: Vec<String>,
    /// Notes and photo references added by operators and field staff, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<IncidentNote>,
    /// The ids of every area containing the incident's location, fixed when the hub accepted it: the city
    /// first, then its district, then its street (`GET /api/v1/areas`); empty outside every area (or on a hub
    /// without areas). Always sent; absent from incidents stored before areas existed (read as empty).
    #[serde(default)]
    pub area_ids: Vec<String>,
    /// When the incident entered its current stage (the closed loop's clock, issue 24); absent from incidents
    /// stored before the clock existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage_entered_at: Option<DateTime<Utc>>,
    /// When it must have moved on from its stage (the stage's limit for its grade); null when the stage has no
    /// limit or the incident is closed. Always sent.
    #[serde(default)]
    pub stage_due_at: Option<DateTime<Utc>>,
    /// Still in its stage after `stage_due_at` (督办): true from the hub's `incident_overdue` event until it moves
    /// on. Always sent.
    #[serde(default)]
    pub overdue: bool,
    /// The department the incident is assigned to (分流交办: `GET /api/v1/departments`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// Where 督办 has taken the case in this stay, once it is overdue twice its limit or more (the escalation
    /// ladder, issue 24); cleared when it moves on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalation: Option<Escalation>,
    /// 评估反馈: how the handling went, recorded when it is closed (the `evaluate` op; the latest one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluation: Option<HandlingEvaluation>,
    /// Who acknowledged the grade-I alarm (an operator, commander or admin acknowledging the incident while it
    /// is grade I): every screen stops alarming for it. Absent: a grade-I incident alarms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarm_acknowledged: Option<AlarmAck>,
    /// The CAP alert that raised it (issue 22), with its updates and cancellation; absent for other sources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<ingest::AlertRecord>,
    /// The outline the source gave the event (a CAP alert's polygons, its circles as polygons of 48 sides):
    /// rings of `[lon, lat]`, each closed. Drawn on the map around the incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<Vec<Vec<f64>>>>))]
    pub outline: Option<Vec<Vec<[f64; 2]>>>,
    /// Where it came from (issue 22): its reports, the first its origin, the others reports of the same event
    /// from other sources that joined it. Absent from incidents stored before provenance (read as none).
    #[serde(default)]
    pub reports: Vec<ingest::Report>,
    /// `unverified` (one unofficial source), `corroborated` (two or more sources) or `official` (a trusted
    /// source, or an operator verified it).
    #[serde(default)]
    pub quality: ingest::Quality,
    /// An operator's verification (核实): the incident is `official` from then on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<AlarmAck>,
}

/// The grade-I alarm's acknowledgement (issue 24).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AlarmAck {
    pub by: String,
    pub at: DateTime<Utc>,
}

/// How a closed case's handling ended (评估反馈).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HandlingResult {
    /// 已妥善处置.
    Resolved,
    /// 部分解决.
    PartlyResolved,
    /// 误报 / 不属实.
    FalseAlarm,
    /// 移交其他部门.
    Transferred,
}

impl HandlingResult {
    pub const ALL: [HandlingResult; 4] = [
        HandlingResult::Resolved,
        HandlingResult::PartlyResolved,
        HandlingResult::FalseAlarm,
        HandlingResult::Transferred,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HandlingResult::Resolved => "resolved",
            HandlingResult::PartlyResolved => "partly_resolved",
            HandlingResult::FalseAlarm => "false_alarm",
            HandlingResult::Transferred => "transferred",
        }
    }
}

/// 评估反馈 of a closed case: the result, a rating 1 (poor) … 5 (excellent) of the handling, a short comment.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct HandlingEvaluation {
    pub result: HandlingResult,
    pub rating: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// How far up the escalation ladder (督办升级) an overdue case has gone: rung 2 at twice its stage's limit,
/// one more per further limit, up the departments' tree and the areas' levels until both are at the top.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Escalation {
    /// 2 and up (1 is "overdue", with its own department).
    pub rung: u32,
    /// The department now answering for it: the assigned one's ancestor on this rung (null when the case has no
    /// department).
    pub department: Option<String>,
    /// The area now answering for it: the incident's street's ancestor on this rung (null outside every area).
    pub area_id: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct IncidentNote {
    pub at: DateTime<Utc>,
    pub by: String,
    pub text: String,
    /// A reference to a photo kept elsewhere (file name or URL); the hub stores the reference only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo_ref: Option<String>,
}

/// One user action, queued offline in the desktop's outbox and pushed to `POST /api/v1/push`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Op {
    /// `incident_id` is chosen by the client (UUIDv7) so its later offline ops can name the new incident.
    CreateIncident {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        incident_id: Option<Uuid>,
        #[serde(flatten)]
        incident: NewIncident,
    },
    /// Move an incident along the closed loop; `from` is the stage the user saw (a conflict if the hub's differs).
    ChangeStage {
        incident_id: Uuid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<Stage>,
        to: Stage,
    },
    AddNote {
        incident_id: Uuid,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        photo_ref: Option<String>,
    },
    Acknowledge {
        incident_id: Uuid,
    },
    Assign {
        incident_id: Uuid,
        /// The team or person who handles it.
        assignee: String,
        /// The department it is routed to (分流交办): one of `GET /api/v1/departments`, else refused
        /// `unknown_department`. Absent: the incident keeps the department it had.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        department: Option<String>,
    },
    /// 评估反馈: how the handling of a closed incident went (only on a closed one, else `not_closed`); a later one
    /// replaces it, the log keeps both.
    Evaluate {
        incident_id: Uuid,
        result: HandlingResult,
        /// 1 ..= 5.
        rating: u8,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    /// 核实 (issue 22): an operator, commander or admin confirms the incident is real: its `quality` is
    /// `official` from then on (`verified`). On a closed incident: `incident_closed`.
    Verify {
        incident_id: Uuid,
    },
    /// A report that joined the wrong incident, split back out (issue 22): report number `report` of the
    /// incident's `reports` (1 or later: the origin stays; else `report_out_of_range`) leaves it and becomes the
    /// new incident `new_incident_id` (the client's choice, as for a create; taken → `incident_exists`).
    SplitReport {
        incident_id: Uuid,
        report: u32,
        new_incident_id: Uuid,
    },
}

/// An outbox entry as pushed: `{"op_id", "client_seq", "op": {...}}`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PushOp {
    pub op_id: Uuid,
    /// This desktop's own order of its actions, 0 ..= 2^53 − 1 ([`MAX_JSON_INT`]).
    pub client_seq: u64,
    /// The action: an [`Op`] object (`kind` says which). The hub judges each op on its own: an op it cannot
    /// apply is answered `rejected` with a reason in its result and does not fail the push.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub op: Op,
}

/// `POST /api/v1/push`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PushRequest {
    pub client_id: Uuid,
    /// At most 1000 ops per push; a client with more sends several pushes.
    pub ops: Vec<PushOp>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PushStatus {
    /// Applied now, in the event with `server_seq`.
    Applied,
    /// Seen before (same client and op_id): not applied again; the first outcome is repeated.
    Duplicate,
    /// Refused by the rules (`reason`); it will never apply. The ops after it are not blocked.
    Rejected,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PushResult {
    pub op_id: Uuid,
    pub status: PushStatus,
    /// Why it was rejected, in English (older clients show it as it is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Why it was rejected, as a stable [`Refusal`] code (`stale_stage`, `invalid_transition`, `not_found`,
    /// `forbidden`, …) the UI translates; absent from older hubs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The code's arguments (e.g. `{"current": "handling", "seen": "assigned"}`), when it has any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub args: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_seq: Option<ServerSeq>,
    /// For a duplicate: what the first push of this op did (`applied` or `rejected`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_status: Option<PushStatus>,
}

impl PushResult {
    /// A rejection for `refusal`: its English words as `reason`, its code and arguments.
    pub fn rejected(op_id: Uuid, refusal: &Refusal) -> PushResult {
        PushResult {
            op_id,
            status: PushStatus::Rejected,
            reason: Some(refusal.message()),
            code: Some(refusal.code()),
            args: refusal.args(),
            server_seq: None,
            first_status: None,
        }
    }

    /// The coded refusal, when the hub sent a code this build knows.
    pub fn refusal(&self) -> Option<Refusal> {
        Refusal::from_parts(self.code.as_deref()?, self.args.as_ref())
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PushResponse {
    pub results: Vec<PushResult>,
}

/// One entry of the hub's log as clients see it: `{"server_seq", "kind", "at", "actor", ...payload}`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Event {
    pub server_seq: ServerSeq,
    pub at: DateTime<Utc>,
    pub actor: String,
    #[serde(flatten)]
    pub body: EventBody,
}

impl Event {
    pub fn kind(&self) -> &'static str {
        self.body.kind()
    }
}

/// What happened. Serialized with a `kind` tag; a kind this build does not know deserializes as `Unknown` so an
/// older client keeps working against a newer hub.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventBody {
    IncidentCreated {
        incident: Incident,
    },
    IncidentUpdated {
        incident: Incident,
    },
    /// The city's mode changed (平战转换): the full new state.
    ModeChanged {
        mode: ModeState,
    },
    /// A screen acknowledged that it shows mode epoch `ack.epoch`.
    ScreenAcked {
        ack: ScreenAck,
    },
    /// A level-I switch waits for a second commander (two-person rule).
    ModeProposed {
        proposal: ModeProposal,
    },
    /// A screen the commander expects to follow the mode was registered (it has not acknowledged yet).
    ScreenRegistered {
        screen: String,
    },
    /// A vital sign rose further in the episode that raised this incident (issue 21): its grade went from
    /// `from` to `to` and a note says why. The incident as it is now.
    IncidentRegraded {
        incident: Incident,
        from: Grade,
        to: Grade,
        /// The indicator whose reading raised it.
        indicator: String,
    },
    /// The vital sign that raised this incident is back to normal for its pack's count of readings: the episode
    /// is over (a note on the incident says so; the incident stays where the loop has it).
    IndicatorEpisodeEnded {
        incident: Incident,
        indicator: String,
    },
    /// The incident is still in `stage` after its limit (`due_at`): 督办. Appended by the hub on its own clock,
    /// exactly once per stay in a stage (issue 24). The incident as it now is (`overdue: true`).
    IncidentOverdue {
        incident_id: Uuid,
        incident: Incident,
        stage: Stage,
        due_at: DateTime<Utc>,
    },
    /// The case climbed the escalation ladder (督办升级): still in `stage` at `rung` times its limit, it now
    /// answers to `department` / `area_id` (issue 24). Appended by the hub's clock once per rung of a stay.
    IncidentEscalated {
        incident_id: Uuid,
        incident: Incident,
        stage: Stage,
        rung: u32,
        department: Option<String>,
        area_id: Option<String>,
    },
    /// A CAP `Update` of the alert that raised this incident (issue 22): the incident as the update leaves it
    /// (title, grade, text, outline; its `alert.updates` names `alert`).
    AlertUpdated {
        incident_id: Uuid,
        incident: Incident,
        alert: ingest::CapAlertKey,
    },
    /// A CAP `Cancel` of the alert that raised this incident: it records the cancellation (`alert.cancelled`)
    /// and is closed, out of the open picture.
    AlertCancelled {
        incident_id: Uuid,
        incident: Incident,
        alert: ingest::CapAlertKey,
    },
    /// A report of the same event from another source joined this incident (issue 22): `report` is it, the
    /// incident as it now is (its `reports` end with it, its `quality` follows).
    ReportMerged {
        incident_id: Uuid,
        incident: Incident,
        report: ingest::Report,
    },
    /// An operator verified the incident (核实, issue 22): `verified` set, `quality` official.
    IncidentVerified {
        incident_id: Uuid,
        incident: Incident,
    },
    /// A report split back out of this incident (issue 22): the incident as it now is, without it; the report is
    /// the incident `new_incident_id` (its `incident_created` follows).
    ReportSplit {
        incident_id: Uuid,
        incident: Incident,
        report: ingest::Report,
        new_incident_id: Uuid,
    },
    #[serde(other)]
    Unknown,
}

impl EventBody {
    pub fn kind(&self) -> &'static str {
        match self {
            EventBody::IncidentCreated { .. } => "incident_created",
            EventBody::IncidentUpdated { .. } => "incident_updated",
            EventBody::ModeChanged { .. } => "mode_changed",
            EventBody::ScreenAcked { .. } => "screen_acked",
            EventBody::ModeProposed { .. } => "mode_proposed",
            EventBody::ScreenRegistered { .. } => "screen_registered",
            EventBody::IncidentRegraded { .. } => "incident_regraded",
            EventBody::IndicatorEpisodeEnded { .. } => "indicator_episode_ended",
            EventBody::IncidentOverdue { .. } => "incident_overdue",
            EventBody::IncidentEscalated { .. } => "incident_escalated",
            EventBody::AlertUpdated { .. } => "alert_updated",
            EventBody::AlertCancelled { .. } => "alert_cancelled",
            EventBody::ReportMerged { .. } => "report_merged",
            EventBody::IncidentVerified { .. } => "incident_verified",
            EventBody::ReportSplit { .. } => "report_split",
            EventBody::Unknown => "unknown",
        }
    }

    /// The incident as this event leaves it, for every kind that carries one.
    pub fn incident(&self) -> Option<&Incident> {
        match self {
            EventBody::IncidentCreated { incident }
            | EventBody::IncidentUpdated { incident }
            | EventBody::IncidentRegraded { incident, .. }
            | EventBody::IndicatorEpisodeEnded { incident, .. }
            | EventBody::IncidentOverdue { incident, .. }
            | EventBody::IncidentEscalated { incident, .. }
            | EventBody::AlertUpdated { incident, .. }
            | EventBody::AlertCancelled { incident, .. }
            | EventBody::ReportMerged { incident, .. }
            | EventBody::IncidentVerified { incident, .. }
            | EventBody::ReportSplit { incident, .. } => Some(incident),
            EventBody::ModeChanged { .. }
            | EventBody::ScreenAcked { .. }
            | EventBody::ModeProposed { .. }
            | EventBody::ScreenRegistered { .. }
            | EventBody::Unknown => None,
        }
    }
}

/// Peacetime (平时) or wartime (战时).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ModeKind {
    Peacetime,
    Wartime,
}

/// `GET /api/v1/mode`: the one server-authoritative mode record.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ModeState {
    pub mode: ModeKind,
    /// Response level in wartime; null in peacetime.
    pub level: Option<Grade>,
    /// Increases by one with every applied switch; 0 is the initial peacetime.
    pub epoch: u64,
    pub reason: String,
    #[serde(default)]
    pub incident_ids: Vec<Uuid>,
    pub switched_by: Option<String>,
    /// The second commander who confirmed a level-I switch.
    #[serde(default)]
    pub confirmed_by: Option<String>,
    pub switched_at: Option<DateTime<Utc>>,
    /// Drill (exercise) mode: true on a hub that runs a drill (`citydeck-hub --exercise`), whose data is kept
    /// apart from the real hub's. Always false for the real mode.
    #[serde(default)]
    pub exercise: bool,
    /// The latest acknowledgement of each screen that has acknowledged anything.
    #[serde(default)]
    pub acks: Vec<ScreenAck>,
    /// Every screen the hub knows: registered ones (expected to follow the mode) and any that ever acknowledged.
    /// A screen here whose ack is missing or older than `epoch` has not switched yet.
    #[serde(default)]
    pub screens: Vec<String>,
    /// The level-I proposal this state applied, when it was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposal_id: Option<Uuid>,
}

impl ModeState {
    pub fn initial() -> ModeState {
        ModeState {
            mode: ModeKind::Peacetime,
            level: None,
            epoch: 0,
            reason: String::new(),
            incident_ids: Vec::new(),
            switched_by: None,
            confirmed_by: None,
            switched_at: None,
            exercise: false,
            acks: Vec::new(),
            screens: Vec::new(),
            proposal_id: None,
        }
    }

    /// Screens that do not show this epoch yet: registered but never acked, or acked an older epoch.
    pub fn lagging_screens(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .screens
            .iter()
            .map(String::as_str)
            .filter(|s| !self.acks.iter().any(|a| a.screen == *s))
            .collect();
        out.extend(
            self.acks
                .iter()
                .filter(|a| a.epoch < self.epoch)
                .map(|a| a.screen.as_str()),
        );
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// A level-I switch waiting for a second commander (`GET /api/v1/mode/proposals`, `mode_proposed` events).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ModeProposal {
    pub proposal_id: Uuid,
    pub proposer: String,
    pub mode: ModeKind,
    pub level: Option<Grade>,
    pub reason: String,
    #[serde(default)]
    pub incident_ids: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ScreenAck {
    /// Screen name, e.g. "hall-wall-1", "leader-office".
    pub screen: String,
    pub epoch: u64,
    /// Account the screen is logged in as.
    pub by: String,
    pub at: DateTime<Utc>,
}

/// `POST /api/v1/mode` answer for a switch that needs a second commander (level I).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PendingConfirmation {
    /// Always "pending_confirmation".
    pub status: String,
    pub proposal_id: Uuid,
    pub expires_at: DateTime<Utc>,
}

/// `GET /api/v1/events?after=&limit=`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct EventsPage {
    pub events: Vec<Event>,
    /// The newest `server_seq` in the log when the page was read.
    pub head: ServerSeq,
    /// True when more events follow the last one in this page.
    pub has_more: bool,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 值班员: triage and dispatch.
    Operator,
    /// 指挥长: may switch peacetime/wartime.
    Commander,
    /// 领导: read-only.
    Leader,
    /// Field / emergency staff.
    Field,
    Admin,
    /// A machine feed (sensors, the simulator's series): posts readings, nothing else.
    Feed,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Commander => "commander",
            Role::Leader => "leader",
            Role::Field => "field",
            Role::Admin => "admin",
            Role::Feed => "feed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Role::Operator,
            Role::Commander,
            Role::Leader,
            Role::Field,
            Role::Admin,
            Role::Feed,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// Longest username or password `POST /api/v1/login` takes (a longer one is a 422 naming the field).
pub const MAX_CREDENTIAL_CHARS: usize = 256;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct LoginResponse {
    pub token: String,
    pub username: String,
    pub role: Role,
    pub expires_at: DateTime<Utc>,
    /// The area this account is scoped to (an area id of `GET /api/v1/areas`): it sees and acts only on the
    /// incidents whose `area_ids` contain it. `null` for an account that sees the whole city. Always sent.
    #[serde(default)]
    pub scope: Option<String>,
}

/// The levels of the city's areas (三级): the city, its districts (区), their streets (街道).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AreaLevel {
    City,
    District,
    Street,
}

impl AreaLevel {
    pub const ALL: [AreaLevel; 3] = [AreaLevel::City, AreaLevel::District, AreaLevel::Street];

    pub fn as_str(self) -> &'static str {
        match self {
            AreaLevel::City => "city",
            AreaLevel::District => "district",
            AreaLevel::Street => "street",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

/// A bounding box `[west, south, east, north]` in degrees (WGS 84).
pub type BBox = [f64; 4];

/// One area of `GET /api/v1/areas`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AreaSummary {
    /// `city` for the city itself, else the source's id (e.g. `osm-r49` for an OSM relation).
    pub id: String,
    /// In the local script.
    pub name: String,
    pub level: AreaLevel,
    /// The area one level up (a street's district, a district's city); `null` for the city.
    pub parent: Option<String>,
    /// `[west, south, east, north]` in degrees.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<f64>, min_items = 4, max_items = 4))]
    pub bbox: BBox,
    /// The name in Chinese, where the city's areas file gives one (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_zh: Option<String>,
    /// The name in English, where the city's areas file gives one (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
}

/// `GET /api/v1/areas`: the city, then its districts, then their streets (each level by id).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AreaList {
    pub areas: Vec<AreaSummary>,
}

/// `GET /api/v1/areas/{id}`: the area and its outline.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AreaDetail {
    #[serde(flatten)]
    pub area: AreaSummary,
    /// A GeoJSON `MultiPolygon` (lon, lat): each part an outer ring and its holes. The city's is the union of
    /// its districts' parts.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub geometry: serde_json::Value,
}

/// `POST /api/v1/mode`: switch peacetime/wartime or change the response level.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ModeSwitchRequest {
    pub mode: ModeKind,
    /// Required in wartime, absent (or null) in peacetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<Grade>,
    /// Why: at most 1000 characters, not blank.
    pub reason: String,
    /// The incidents that triggered the switch.
    #[serde(default)]
    pub incident_ids: Vec<Uuid>,
}

/// `POST /api/v1/mode/confirm`: a second commander confirms a level-I proposal.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ModeConfirmRequest {
    pub proposal_id: Uuid,
}

/// `POST /api/v1/screens/{name}/ack`: the mode epoch this screen now shows.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ScreenAckRequest {
    /// 0 ..= 2^53 − 1; an epoch the hub has not reached yet is a 409.
    pub epoch: u64,
}

/// `PUT /api/v1/screens/{name}` answer.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ScreenRegistration {
    /// True when the screen was new (201), false when it was known already (200).
    pub registered: bool,
}

/// One entry of `GET /api/v1/mode/audit`: a switch attempt, accepted or refused.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ModeAuditEntry {
    pub at: String,
    pub username: String,
    pub role: String,
    /// `switch` or `confirm`.
    pub action: String,
    /// The request as sent (any JSON; null when it was not JSON).
    #[cfg_attr(feature = "openapi", schema(value_type = Object, nullable = true))]
    pub request: serde_json::Value,
    /// `applied`, `pending_confirmation` or `refused`.
    pub outcome: String,
    /// Why it was refused (empty otherwise).
    pub detail: String,
}

/// Every error the hub returns: `{"error": "<kind>", "message": "...", "field": "...", "code": "...", "args": {...}}`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ApiError {
    /// Stable machine-readable kind: `invalid_field`, `bad_json`, `unauthorized`, `forbidden`, `not_found`, ...
    pub error: String,
    pub message: String,
    /// The request field at fault, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The refusal as a stable [`Refusal`] code (finer than `error`: `reason_required`, `own_proposal`, …);
    /// absent from older hubs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The code's arguments, when it has any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub args: Option<serde_json::Value>,
}

impl ApiError {
    /// The coded refusal, when the hub sent a code this build knows.
    pub fn refusal(&self) -> Option<Refusal> {
        Refusal::from_parts(self.code.as_deref()?, self.args.as_ref())
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Health {
    pub status: String,
    pub version: String,
    pub head: ServerSeq,
    pub backend: String,
    /// Identity of this hub's log, fixed when its database was created. A client whose cache was filled from
    /// another log (a replaced or different hub at the same URL) must start its cache over.
    #[serde(default)]
    pub log_id: String,
    /// True on a drill hub (`--exercise`): everything it holds is exercise data.
    #[serde(default)]
    pub exercise: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grades_are_ordered_by_severity() {
        assert!(Grade::I > Grade::II && Grade::II > Grade::III && Grade::III > Grade::IV);
        let mut v = vec![Grade::II, Grade::IV, Grade::I, Grade::III];
        v.sort();
        assert_eq!(
            v,
            [Grade::IV, Grade::III, Grade::II, Grade::I],
            "ascending: the most severe last"
        );
        assert_eq!(v.iter().max(), Some(&Grade::I));
        let index: Vec<usize> = Grade::ALL.iter().map(|g| g.index()).collect();
        assert_eq!(index, [0, 1, 2, 3], "the index follows ALL, I first");
    }

    #[test]
    fn event_serializes_flat_with_kind_tag() {
        let ev = Event {
            server_seq: 7,
            at: DateTime::from_timestamp(0, 0).unwrap(),
            actor: "operator".into(),
            body: EventBody::Unknown,
        };
        let v = serde_json::to_value(&ev).unwrap();
        assert_eq!(v["server_seq"], 7);
        assert_eq!(v["kind"], "unknown");
    }

    #[test]
    fn unknown_event_kind_from_newer_hub_is_tolerated() {
        let json =
            r#"{"server_seq":3,"at":"2026-01-01T00:00:00Z","actor":"x","kind":"drill_started","drill":4}"#;
        let ev: Event = serde_json::from_str(json).unwrap();
        assert_eq!(ev.server_seq, 3);
        assert_eq!(ev.body, EventBody::Unknown);
    }

    #[test]
    fn class_grade_and_stage_names_round_trip() {
        for c in IncidentClass::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
            assert_eq!(IncidentClass::parse(c.as_str()), Some(c));
        }
        for g in Grade::ALL {
            assert_eq!(serde_json::to_value(g).unwrap(), g.as_str());
            assert_eq!(Grade::parse(g.as_str()), Some(g));
        }
        for s in Stage::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert_eq!(Grade::parse("V"), None);
        for l in AreaLevel::ALL {
            assert_eq!(serde_json::to_value(l).unwrap(), l.as_str());
            assert_eq!(AreaLevel::parse(l.as_str()), Some(l));
        }
        assert!(AreaLevel::City < AreaLevel::District && AreaLevel::District < AreaLevel::Street);
    }

    #[test]
    fn area_ids_and_scope_are_always_sent_and_may_be_missing_from_older_json() {
        let json = r#"{"id":"0193a000-0000-7000-8000-000000000001","title":"t","class":"accident","grade":"IV",
            "location":{"lon":9.52,"lat":47.14},"source":"operator","status":"collected",
            "occurred_at":"2026-01-01T00:00:00Z","created_at":"2026-01-01T00:00:00Z",
            "updated_at":"2026-01-01T00:00:00Z","created_by":"operator","seq":1}"#;
        let old: Incident = serde_json::from_str(json).unwrap();
        assert!(old.area_ids.is_empty());
        let v = serde_json::to_value(&old).unwrap();
        assert_eq!(v["area_ids"], serde_json::json!([]));

        let login: LoginResponse = serde_json::from_str(
            r#"{"token":"t","username":"u","role":"operator","expires_at":"2026-01-01T00:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(login.scope, None);
        assert_eq!(
            serde_json::to_value(&login).unwrap()["scope"],
            serde_json::Value::Null
        );

        let detail = AreaDetail {
            area: AreaSummary {
                id: "osm-r49".into(),
                name: "Unterland".into(),
                level: AreaLevel::District,
                parent: Some("city".into()),
                bbox: [9.47, 47.17, 9.64, 47.27],
                name_zh: None,
                name_en: None,
            },
            geometry: serde_json::json!({"type": "MultiPolygon", "coordinates": []}),
        };
        let v = serde_json::to_value(&detail).unwrap();
        assert_eq!(v["id"], "osm-r49");
        assert_eq!(v["level"], "district");
        assert_eq!(v["bbox"], serde_json::json!([9.47, 47.17, 9.64, 47.27]));
        assert_eq!(v["geometry"]["type"], "MultiPolygon");
        assert_eq!(serde_json::from_value::<AreaDetail>(v).unwrap(), detail);
    }
}
