//! The wire types of the closed loop's accountability (一件事, issue 24): the city's departments that 交办 routes
//! incidents to, and the evaluation (考核) computed from the log. Field names are the contract's, exactly.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

use crate::indicators::LocalizedName;
use crate::IncidentClass;

/// One department of `GET /api/v1/departments`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DepartmentView {
    pub id: String,
    pub name: LocalizedName,
    /// The department above it, where 督办 escalates (null at the top).
    pub parent: Option<String>,
    /// The incident classes it handles (the duty dispatcher routes by them).
    #[serde(default)]
    pub kinds: Vec<IncidentClass>,
}

/// `GET /api/v1/departments`: the city file's departments, parents before children.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DepartmentList {
    pub departments: Vec<DepartmentView>,
}

/// One department's scores of `GET /api/v1/evaluation` (考核), over the window asked for.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DepartmentScore {
    pub id: String,
    /// Incidents routed to it (an `assign` naming it) in the window.
    pub assigned: u64,
    /// Its incidents closed in the window.
    pub closed: u64,
    /// Of those, the ones never overdue while it held them.
    pub closed_on_time: u64,
    /// `closed_on_time / closed`; null when it closed none.
    pub on_time_rate: Option<f64>,
    /// `incident_overdue` events of its incidents in the window.
    pub overdue: u64,
    /// Its incidents taken out of 结案 again in the window.
    pub reopened: u64,
    /// Median minutes its incidents spent in each stage they left in the window, by stage name
    /// (`{"handling": 12.5}`; a stage none of them left is absent).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub median_minutes: BTreeMap<String, f64>,
}

/// `GET /api/v1/evaluation?from=&to=`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Evaluation {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub departments: Vec<DepartmentScore>,
}
