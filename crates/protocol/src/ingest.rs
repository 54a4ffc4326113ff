//! Many sources in (issue 22): the answer of `POST /api/v1/ingest/cap`, and what an incident raised by a CAP
//! alert keeps of it (`Incident::alert`, `Incident::outline`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// A CAP message's key: `sender`, `identifier`, and `sent` as the message wrote it (with its offset).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CapAlertKey {
    pub sender: String,
    pub identifier: String,
    pub sent: String,
}

/// What the hub did with a posted CAP alert.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CapIngestStatus {
    /// A new alert (201): `incidents` are the incidents it raised (none for one without an `info`).
    Created,
    /// This `(sender, identifier, sent)` was taken before (200): its incidents, nothing new.
    Duplicate,
    /// An `Update` of an alert taken before (200): its incidents, updated.
    Updated,
    /// A `Cancel` of an alert taken before (200): its incidents record it and leave the open picture.
    Cancelled,
    /// Nothing to do (200): a `Cancel` of an alert never seen, an `Ack` or `Error`, or a status other than
    /// `Actual` (`Exercise` on a hub holding an exercise, `Test`, `System`, `Draft`).
    Ignored,
}

impl CapIngestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CapIngestStatus::Created => "created",
            CapIngestStatus::Duplicate => "duplicate",
            CapIngestStatus::Updated => "updated",
            CapIngestStatus::Cancelled => "cancelled",
            CapIngestStatus::Ignored => "ignored",
        }
    }
}

/// `POST /api/v1/ingest/cap`'s answer.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CapIngestResult {
    pub status: CapIngestStatus,
    pub alert: CapAlertKey,
    pub incidents: Vec<Uuid>,
}

/// One `<info>` block's words, in its language.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AlertText {
    /// RFC 3066 tag (`zh-CN`, `en-US` …).
    pub language: String,
    pub event: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headline: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instruction: Option<String>,
}

/// A `valueName` / `value` pair of the alert (a geocode, an event code).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AlertCode {
    pub name: String,
    pub value: String,
}

/// A later message about the alert: an `Update` applied, or the `Cancel`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AlertFollowUp {
    pub alert: CapAlertKey,
    /// When the hub took it.
    pub at: DateTime<Utc>,
    /// The message's `note` (a Cancel's reason, usually).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What an incident raised by a CAP alert keeps of it: the alert's key and kind, the values its grade and class
/// came from, its words in every language it was sent in, the areas it names, whether it was signed, and the
/// updates and the cancellation that followed.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AlertRecord {
    pub alert: CapAlertKey,
    /// `status` (`Actual` …) and `msgType` (`Alert`, `Update`) of the message that raised or last updated it.
    pub status: String,
    pub msg_type: String,
    /// The `<info>` the incident follows: its categories, urgency, severity, certainty and expiry.
    pub categories: Vec<String>,
    pub urgency: String,
    pub severity: String,
    pub certainty: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_name: Option<String>,
    /// Every `<info>`'s words: the one the title came from first, then the others (other languages).
    pub texts: Vec<AlertText>,
    /// The `areaDesc` of every area.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub areas: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub geocodes: Vec<AlertCode>,
    /// The alert carried an XML signature (`ds:Signature`). It is not verified.
    pub signed: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub updates: Vec<AlertFollowUp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled: Option<AlertFollowUp>,
}

/// `POST /api/v1/ingest/geojson?feed=`'s answer: the incident of every feature, in feature order, new or found
/// by its id (a duplicate).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct FeedIngestResult {
    pub feed: String,
    /// Features that raised a new incident.
    pub created: u32,
    /// Features whose id the feed had sent before: their incident, nothing new.
    pub duplicates: u32,
    /// Features that joined an open incident of another source (reports of one event merge).
    #[serde(default)]
    pub merged: u32,
    pub incidents: Vec<Uuid>,
}

/// How far an incident, or one report of it, can be trusted (issue 22, 一数一源).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Quality {
    /// One source that is not an authority.
    #[default]
    Unverified,
    /// Reports from two or more independent sources (an incident only).
    Corroborated,
    /// From a trusted source (the city file's `[ingest] trusted`), or an operator verified it.
    Official,
}

impl Quality {
    pub fn as_str(self) -> &'static str {
        match self {
            Quality::Unverified => "unverified",
            Quality::Corroborated => "corroborated",
            Quality::Official => "official",
        }
    }
}

/// One report of an incident: the first is where it came from, the others joined it (reports of one event
/// merge: another source, the same class, near in space and time).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Report {
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// When the hub took it.
    pub received_at: DateTime<Utc>,
    /// `official` for a trusted source, else `unverified`.
    pub quality: Quality,
}
