//! Refusals as stable codes with arguments.
//!
//! Every "no" the system says — an action the rules refuse, a request field at fault, a mode switch refused,
//! a desktop command that cannot be done — is a [`Refusal`]: a snake_case `code` the UI translates (zh-CN,
//! en) and the arguments its words need. On the wire it travels as `code` + `args` beside the English
//! `reason` / `message` that older clients and logs read ([`Refusal::message`]): `PushResult`, the outbox,
//! the hub's `ApiError` and the Tauri commands' [`crate::ipc::CommandError`]. A code this build does not know
//! decodes as [`Refusal::Unknown`], and then the English words are shown.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Role, Stage};

/// Why something was refused. Serialized adjacently tagged: `{"code": "stale_stage", "args": {...}}` (no
/// `args` for a code without arguments).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(tag = "code", content = "args", rename_all = "snake_case")]
pub enum Refusal {
    // ---- an action on an incident (domain `ops`) ----
    /// The incident is at another stage than the user saw: someone changed it meanwhile (a conflict).
    StaleStage {
        current: Stage,
        seen: Stage,
    },
    /// The closed loop does not allow this move.
    InvalidTransition {
        from: Stage,
        to: Stage,
    },
    /// The incident was closed meanwhile (a conflict).
    IncidentClosed,
    /// A note with neither text nor photo.
    NoteEmpty,
    NoteTooLong {
        max: u32,
    },
    /// An assignee of bad length.
    AssigneeLength {
        max: u32,
    },
    /// 评估反馈 of an incident that is not closed.
    NotClosed,
    /// 交办 to a department the city does not declare (`GET /api/v1/departments`).
    UnknownDepartment {
        department: String,
    },
    /// `split_report` naming the origin (0) or a report the incident does not have: it has `reports`.
    ReportOutOfRange {
        report: u32,
        reports: u32,
    },
    /// `POST /api/v1/ingest/geojson?feed=` naming a feed the city file does not declare (`[[feeds]]`).
    UnknownFeed {
        feed: String,
    },
    /// `create_incident` where an update was expected.
    NotAnUpdate,

    // ---- a pushed action (hub) ----
    /// No such thing; for an action, the incident `id` it names.
    NotFound {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<Uuid>,
    },
    /// A created incident's client-chosen id is taken.
    IncidentExists,
    /// The same source and external id as incident `id`.
    DuplicateIncident {
        id: Uuid,
    },
    /// This desktop's `client_seq` already names another action.
    ClientSeqTaken {
        client_seq: u64,
        op_id: Uuid,
    },
    /// The action's body cannot be read (`detail` in English).
    BadOp {
        detail: String,
    },
    /// The account's role may not do this.
    Forbidden {
        role: Role,
    },
    /// The incident (or the place of a new one) lies outside the area the account is scoped to (`scope`, an
    /// area id).
    OutOfScope {
        scope: String,
    },

    // ---- a request field (domain validation) ----
    FieldRequired {
        field: String,
    },
    /// `expected`: `string` | `number` | `object` | `timestamp` | `uuid` | `integer` | `uuid_array`.
    FieldType {
        field: String,
        expected: String,
    },
    FieldEmpty {
        field: String,
    },
    FieldTooLong {
        field: String,
        max: u32,
    },
    FieldOutOfRange {
        field: String,
        min: i64,
        max: i64,
    },
    /// A value outside a closed list (class, grade, mode, level).
    FieldUnknown {
        field: String,
        value: String,
        expected: Vec<String>,
    },
    /// Any other field problem (`detail` in English).
    InvalidField {
        field: String,
        detail: String,
    },

    // ---- 平战转换 (domain `mode`, the hub's confirmation rule) ----
    /// Nobody switches without saying why.
    ReasonRequired,
    /// Wartime needs a response level.
    LevelRequired,
    /// Peacetime takes no level.
    LevelNotAllowed,
    /// The city is already in that mode and level.
    AlreadyInMode,
    /// Level I needs a second commander: the proposer cannot confirm.
    OwnProposal {
        role: Role,
    },
    /// The proposal was applied (or otherwise settled) already.
    ProposalSettled {
        id: Uuid,
        status: String,
    },
    ProposalExpired {
        id: Uuid,
        expires_at: DateTime<Utc>,
    },
    /// The proposal no longer fits the city's mode (`detail` in English).
    ModeChanged {
        detail: String,
    },
    /// A screen acknowledged an epoch that does not exist yet.
    EpochAhead {
        epoch: u64,
        current: u64,
    },

    // ---- the hub's HTTP layer ----
    Unauthorized,
    BadCredentials,
    /// The request cannot be read (`detail` in English).
    BadRequest {
        detail: String,
    },
    StorageUnavailable,

    // ---- the desktop ----
    /// Re-apply or drop of an action that is not (or no longer) rejected.
    NotRejected {
        op_id: Uuid,
    },
    /// The hub could not be reached (a switch needs it).
    HubUnreachable {
        detail: String,
    },
    /// Anything else (`detail` in English).
    Internal {
        detail: String,
    },

    /// A code this build does not know (from a newer hub): show the English words.
    #[serde(other)]
    Unknown,
}

impl Refusal {
    /// The stable snake_case code.
    pub fn code(&self) -> String {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(m)) => m
                .get("code")
                .and_then(|c| c.as_str())
                .unwrap_or("unknown")
                .to_string(),
            _ => "unknown".into(),
        }
    }

    /// The arguments as a JSON object (None for a code without arguments).
    pub fn args(&self) -> Option<serde_json::Value> {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(mut m)) => m.remove("args"),
            _ => None,
        }
    }

    /// The refusal a `code` and its `args` name; None when the code is not known to this build or its
    /// arguments do not fit (then the English words are shown).
    pub fn from_parts(code: &str, args: Option<&serde_json::Value>) -> Option<Refusal> {
        let mut m = serde_json::Map::new();
        m.insert("code".into(), code.into());
        if let Some(a) = args.filter(|a| !a.is_null()) {
            m.insert("args".into(), a.clone());
        }
        match serde_json::from_value(serde_json::Value::Object(m)) {
            Ok(Refusal::Unknown) | Err(_) => None,
            Ok(r) => Some(r),
        }
    }

    /// A refusal caused by someone else's change in the meantime: the conflict view offers re-apply or drop.
    pub fn is_conflict(&self) -> bool {
        matches!(self, Refusal::StaleStage { .. })
    }

    /// The request field at fault, for field refusals.
    pub fn field(&self) -> Option<&str> {
        use Refusal::*;
        match self {
            FieldRequired { field }
            | FieldType { field, .. }
            | FieldEmpty { field }
            | FieldTooLong { field, .. }
            | FieldOutOfRange { field, .. }
            | FieldUnknown { field, .. }
            | InvalidField { field, .. } => Some(field),
            ReasonRequired => Some("reason"),
            LevelRequired | LevelNotAllowed => Some("level"),
            AlreadyInMode => Some("mode"),
            _ => None,
        }
    }

    /// The words after the field's name for a field refusal ("is required"), else the whole message.
    pub fn problem(&self) -> String {
        use Refusal::*;
        match self {
            FieldRequired { .. } => "is required".into(),
            FieldType { expected, .. } => match expected.as_str() {
                "string" => "must be a string".into(),
                "number" => "must be a number".into(),
                "object" => "must be a JSON object".into(),
                "timestamp" => "must be an RFC 3339 timestamp".into(),
                "uuid" => "must be a UUID".into(),
                "integer" => "must be a non-negative integer".into(),
                "uuid_array" => "must be an array of UUIDs".into(),
                other => format!("must be {other}"),
            },
            FieldEmpty { .. } => "must not be empty".into(),
            FieldTooLong { max, .. } => format!("must be at most {max} characters"),
            FieldOutOfRange { min, max, .. } => format!("must be between {min} and {max}"),
            FieldUnknown {
                field,
                value,
                expected,
            } => format!(
                "unknown {field} {value:?}; expected one of {}",
                expected.join(", ")
            ),
            InvalidField { detail, .. } => detail.clone(),
            ReasonRequired => "a reason is required for every switch".into(),
            LevelRequired => "wartime needs a response level I, II, III or IV".into(),
            LevelNotAllowed => "peacetime takes no level".into(),
            AlreadyInMode => "the city is already in that mode and level".into(),
            other => other.message(),
        }
    }

    /// The refusal in English: the `reason` / `message` older clients, logs and the audit trail read.
    pub fn message(&self) -> String {
        use Refusal::*;
        if let Some(field) = self.field() {
            return format!("{field}: {}", self.problem());
        }
        match self {
            StaleStage { current, seen } => format!(
                "conflict: the incident is now at stage {} (you saw {}); it was changed meanwhile",
                current.as_str(),
                seen.as_str()
            ),
            InvalidTransition { from, to } => {
                format!("stage change {} → {} is not allowed", from.as_str(), to.as_str())
            }
            IncidentClosed => "the incident was closed meanwhile".into(),
            NoteEmpty => "a note needs text or a photo reference".into(),
            NoteTooLong { max } => format!("a note is at most {max} characters"),
            AssigneeLength { max } => format!("assignee must be 1-{max} characters"),
            UnknownDepartment { department } => format!("unknown department {department:?}"),
            UnknownFeed { feed } => format!("the city declares no feed {feed:?}"),
            ReportOutOfRange { report, reports } => format!(
                "report {report} cannot be split out: the incident has {reports} (the first, its origin, stays)"
            ),
            NotClosed => "only a closed incident is evaluated".into(),
            NotAnUpdate => "create_incident is not an update".into(),
            NotFound { id: Some(id) } => format!("unknown incident {id}"),
            NotFound { id: None } => "not found".into(),
            IncidentExists => "an incident with this id exists already".into(),
            DuplicateIncident { id } => format!("duplicate of incident {id} (same source and external_id)"),
            ClientSeqTaken { client_seq, op_id } => {
                format!("client_seq {client_seq} is already used by op {op_id}")
            }
            BadOp { detail } | BadRequest { detail } | Internal { detail } => detail.clone(),
            Forbidden { role } => format!("role {} may not do this", role.as_str()),
            OutOfScope { scope } => format!("outside this account's area {scope}"),
            OwnProposal { role } => format!(
                "role {} may not confirm their own proposal (a second commander must)",
                role.as_str()
            ),
            ProposalSettled { id, status } => format!("proposal {id} was already {status}"),
            ProposalExpired { id, expires_at } => format!("proposal {id} expired at {expires_at}"),
            ModeChanged { detail } => format!("the city's mode changed since the proposal: {detail}"),
            EpochAhead { epoch, current } => {
                format!("epoch {epoch} does not exist yet (current {current})")
            }
            Unauthorized => "missing or invalid bearer token".into(),
            BadCredentials => "wrong username or password".into(),
            StorageUnavailable => "the hub's storage is unavailable".into(),
            NotRejected { op_id } => format!("action {op_id} is not a rejected action"),
            HubUnreachable { detail } => format!("the hub cannot be reached: {detail}"),
            Unknown => "refused".into(),
            // Field refusals returned above.
            FieldRequired { .. }
            | FieldType { .. }
            | FieldEmpty { .. }
            | FieldTooLong { .. }
            | FieldOutOfRange { .. }
            | FieldUnknown { .. }
            | InvalidField { .. }
            | ReasonRequired
            | LevelRequired
            | LevelNotAllowed
            | AlreadyInMode => self.problem(),
        }
    }

    /// Every code, with an example of each (for the UI's translation tables and their tests).
    pub fn examples() -> Vec<Refusal> {
        use Refusal::*;
        let id = Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0001);
        let f = || "title".to_string();
        vec![
            StaleStage {
                current: Stage::Handling,
                seen: Stage::Assigned,
            },
            InvalidTransition {
                from: Stage::Closed,
                to: Stage::Handling,
            },
            IncidentClosed,
            NoteEmpty,
            NoteTooLong { max: 2000 },
            AssigneeLength { max: 64 },
            UnknownDepartment {
                department: "fire".into(),
            },
            UnknownFeed { feed: "usgs".into() },
            ReportOutOfRange {
                report: 0,
                reports: 2,
            },
            NotClosed,
            NotAnUpdate,
            NotFound { id: Some(id) },
            NotFound { id: None },
            IncidentExists,
            DuplicateIncident { id },
            ClientSeqTaken {
                client_seq: 7,
                op_id: id,
            },
            BadOp {
                detail: "op.kind is required".into(),
            },
            Forbidden { role: Role::Leader },
            OutOfScope {
                scope: "osm-r49".into(),
            },
            FieldRequired { field: f() },
            FieldType {
                field: f(),
                expected: "string".into(),
            },
            FieldEmpty { field: f() },
            FieldTooLong { field: f(), max: 200 },
            FieldOutOfRange {
                field: "lon".into(),
                min: -180,
                max: 180,
            },
            FieldUnknown {
                field: "grade".into(),
                value: "V".into(),
                expected: vec!["I".into(), "II".into(), "III".into(), "IV".into()],
            },
            InvalidField {
                field: f(),
                detail: "is odd".into(),
            },
            ReasonRequired,
            LevelRequired,
            LevelNotAllowed,
            AlreadyInMode,
            OwnProposal {
                role: Role::Commander,
            },
            ProposalSettled {
                id,
                status: "applied".into(),
            },
            ProposalExpired {
                id,
                expires_at: DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default(),
            },
            ModeChanged {
                detail: "mode: the city is already in that mode and level".into(),
            },
            EpochAhead { epoch: 9, current: 3 },
            Unauthorized,
            BadCredentials,
            BadRequest {
                detail: "expected value".into(),
            },
            StorageUnavailable,
            NotRejected { op_id: id },
            HubUnreachable {
                detail: "connection refused".into(),
            },
            Internal {
                detail: "disk full".into(),
            },
        ]
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_through_code_and_args() {
        let examples = Refusal::examples();
        let mut codes: Vec<String> = examples.iter().map(Refusal::code).collect();
        for r in &examples {
            let code = r.code();
            assert!(
                code.chars().all(|c| c.is_ascii_lowercase() || c == '_') && code != "unknown",
                "{code}"
            );
            assert_eq!(
                Refusal::from_parts(&code, r.args().as_ref()),
                Some(r.clone()),
                "{code}"
            );
            assert!(!r.message().is_empty());
        }
        codes.dedup();
        assert!(codes.len() >= 35, "{codes:?}");
    }

    #[test]
    fn wire_form_and_english_words() {
        let r = Refusal::StaleStage {
            current: Stage::Handling,
            seen: Stage::Assigned,
        };
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            serde_json::json!({"code": "stale_stage", "args": {"current": "handling", "seen": "assigned"}})
        );
        assert_eq!(
            r.message(),
            "conflict: the incident is now at stage handling (you saw assigned); it was changed meanwhile"
        );
        assert!(r.is_conflict());
        assert_eq!(Refusal::NoteEmpty.code(), "note_empty");
        assert_eq!(Refusal::NoteEmpty.args(), None);
        let f = Refusal::FieldOutOfRange {
            field: "lon".into(),
            min: -180,
            max: 180,
        };
        assert_eq!(f.message(), "lon: must be between -180 and 180");
        assert_eq!(f.field(), Some("lon"));
    }

    #[test]
    fn unknown_codes_and_bad_arguments_are_none() {
        assert_eq!(Refusal::from_parts("drill_locked", None), None);
        assert_eq!(
            Refusal::from_parts("stale_stage", Some(&serde_json::json!({"current": "nowhere"}))),
            None
        );
        assert_eq!(
            Refusal::from_parts("note_empty", Some(&serde_json::Value::Null)),
            Some(Refusal::NoteEmpty)
        );
        let v: Refusal = serde_json::from_value(serde_json::json!({"code": "from_the_future"})).unwrap();
        assert_eq!(v, Refusal::Unknown);
    }
}
