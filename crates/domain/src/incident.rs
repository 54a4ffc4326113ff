//! Incident rules: validation of new incidents and the closed-loop lifecycle
//! 采集 → 识别 → 交办 → 处置 → 反馈 → 督办 → 结案.

use chrono::{DateTime, Utc};
use citydeck_protocol::{GeoPoint, Grade, Incident, IncidentClass, NewIncident, Refusal, Stage};
use serde_json::Value;
use uuid::Uuid;

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_TEXT_CHARS: usize = 4000;
pub const MAX_SOURCE_CHARS: usize = 64;

/// A request field that is wrong, and why. Maps to HTTP 422 `{"error":"invalid_field","field":...}` with the
/// refusal's `code` and `args`. `message` is the English problem after the field's name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
    pub refusal: Refusal,
}

impl FieldError {
    /// A field problem in words only (code `invalid_field`).
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        FieldError {
            field: field.to_string(),
            refusal: Refusal::InvalidField {
                field: field.to_string(),
                detail: message.clone(),
            },
            message,
        }
    }

    /// A coded field refusal (`field_required`, `field_too_long`, …).
    pub fn coded(refusal: Refusal) -> Self {
        FieldError {
            field: refusal.field().unwrap_or("body").to_string(),
            message: refusal.problem(),
            refusal,
        }
    }

    pub fn required(field: &str) -> Self {
        Self::coded(Refusal::FieldRequired {
            field: field.to_string(),
        })
    }

    /// Of the wrong JSON type: `expected` is `string`, `number`, `object`, `timestamp`, `uuid`, ….
    pub fn wrong_type(field: &str, expected: &str) -> Self {
        Self::coded(Refusal::FieldType {
            field: field.to_string(),
            expected: expected.to_string(),
        })
    }

    pub fn empty(field: &str) -> Self {
        Self::coded(Refusal::FieldEmpty {
            field: field.to_string(),
        })
    }

    pub fn too_long(field: &str, max: usize) -> Self {
        Self::coded(Refusal::FieldTooLong {
            field: field.to_string(),
            max: max as u32,
        })
    }

    pub fn unknown(field: &str, value: &str, expected: &[&str]) -> Self {
        Self::coded(Refusal::FieldUnknown {
            field: field.to_string(),
            value: value.to_string(),
            expected: expected.iter().map(|e| e.to_string()).collect(),
        })
    }

    /// The same problem of the field named `prefix.field` (a field inside a nested object, e.g. `op.title`).
    pub fn nested(self, prefix: &str) -> Self {
        let mut refusal = self.refusal;
        let field = format!("{prefix}.{}", self.field);
        use Refusal::*;
        match &mut refusal {
            FieldRequired { field: f }
            | FieldType { field: f, .. }
            | FieldEmpty { field: f }
            | FieldTooLong { field: f, .. }
            | FieldOutOfRange { field: f, .. }
            | FieldUnknown { field: f, .. }
            | InvalidField { field: f, .. } => *f = field.clone(),
            _ => {
                refusal = InvalidField {
                    field: field.clone(),
                    detail: self.message.clone(),
                }
            }
        }
        FieldError {
            field,
            message: self.message,
            refusal,
        }
    }
}

/// Checks a free-text field as the API documents it: at most `max` characters as sent (before trimming) and no
/// NUL character (which no database text column can hold). Returns the text trimmed of Unicode white space.
pub fn check_text<'a>(field: &str, s: &'a str, max: usize) -> Result<&'a str, FieldError> {
    if s.chars().count() > max {
        return Err(FieldError::too_long(field, max));
    }
    if s.contains('\0') {
        return Err(FieldError::new(field, "must not contain the NUL character"));
    }
    Ok(s.trim())
}

/// The OpenAPI `pattern` of a text field that must not be blank: some character that is neither NUL nor white
/// space (exactly the characters `str::trim` removes: Unicode `White_Space`), so the document and
/// [`check_text`] agree on every string.
pub const NOT_BLANK_PATTERN: &str = "^[^\\u0000]*[^\\u0000\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\u0000]*$";
/// The OpenAPI `pattern` of a text field that may be blank: no NUL.
pub const NO_NUL_PATTERN: &str = "^[^\\u0000]*$";

fn req_str<'a>(obj: &'a serde_json::Map<String, Value>, field: &str) -> Result<&'a str, FieldError> {
    match obj.get(field) {
        None | Some(Value::Null) => Err(FieldError::required(field)),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(FieldError::wrong_type(field, "string")),
    }
}

fn opt_str(
    obj: &serde_json::Map<String, Value>,
    field: &str,
    max: usize,
) -> Result<Option<String>, FieldError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            let s = check_text(field, s, max)?;
            if s.is_empty() {
                Ok(None)
            } else {
                Ok(Some(s.to_string()))
            }
        }
        Some(_) => Err(FieldError::wrong_type(field, "string")),
    }
}

fn req_coord(obj: &serde_json::Map<String, Value>, field: &str, limit: i64) -> Result<f64, FieldError> {
    let v = match obj.get(field) {
        None | Some(Value::Null) => return Err(FieldError::required(field)),
        Some(Value::Number(n)) => n.as_f64(),
        Some(_) => None,
    };
    match v {
        Some(x) if x.is_finite() && (-(limit as f64)..=limit as f64).contains(&x) => Ok(x),
        Some(_) => Err(FieldError::coded(Refusal::FieldOutOfRange {
            field: field.to_string(),
            min: -limit,
            max: limit,
        })),
        None => Err(FieldError::wrong_type(field, "number")),
    }
}

/// Validates a `POST /incidents` body given as raw JSON, naming the first field at fault.
///
/// Raw JSON (not a typed struct) so that "unknown class" says `class`, not a serde position.
pub fn parse_new_incident(body: &Value) -> Result<NewIncident, FieldError> {
    let obj = body
        .as_object()
        .ok_or_else(|| FieldError::wrong_type("body", "object"))?;

    let title = check_text("title", req_str(obj, "title")?, MAX_TITLE_CHARS)?;
    if title.is_empty() {
        return Err(FieldError::empty("title"));
    }
    let class_s = req_str(obj, "class")?;
    let class = IncidentClass::parse(class_s).ok_or_else(|| {
        FieldError::unknown("class", class_s, &IncidentClass::ALL.map(IncidentClass::as_str))
    })?;
    let grade_s = req_str(obj, "grade")?;
    let grade = Grade::parse(grade_s)
        .ok_or_else(|| FieldError::unknown("grade", grade_s, &Grade::ALL.map(Grade::as_str)))?;
    let lon = req_coord(obj, "lon", 180)?;
    let lat = req_coord(obj, "lat", 90)?;
    let source = check_text("source", req_str(obj, "source")?, MAX_SOURCE_CHARS)?;
    if source.is_empty() {
        return Err(FieldError::empty("source"));
    }
    let description = opt_str(obj, "description", MAX_TEXT_CHARS)?;
    let address = opt_str(obj, "address", MAX_TITLE_CHARS)?;
    let external_id = opt_str(obj, "external_id", MAX_TITLE_CHARS)?;
    let occurred_at = match obj.get("occurred_at") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            serde_json::from_value(v.clone())
                .map_err(|_| FieldError::wrong_type("occurred_at", "timestamp"))?,
        ),
    };
    Ok(NewIncident {
        title: title.to_string(),
        class,
        grade,
        lon,
        lat,
        source: source.to_string(),
        description,
        address,
        external_id,
        occurred_at,
    })
}

/// The incident a new-incident request makes: stage 采集, reported by `actor` at `at` (also when it happened,
/// unless the request says), nobody assigned, no acknowledgements or notes, last changed at `seq`. The hub makes
/// it with the log's next seq; a desktop shows the one it queued (seq 0) until the hub's copy reaches its cache.
pub fn from_request(id: Uuid, new: NewIncident, actor: &str, at: DateTime<Utc>, seq: u64) -> Incident {
    // its origin, the first of its reports (the hub marks a trusted source's official: `merge::MergeRule`)
    let origin = citydeck_protocol::ingest::Report {
        source: new.source.clone(),
        external_id: new.external_id.clone(),
        received_at: at,
        quality: Default::default(),
    };
    Incident {
        id,
        title: new.title,
        class: new.class,
        grade: new.grade,
        location: GeoPoint {
            lon: new.lon,
            lat: new.lat,
        },
        source: new.source,
        status: Stage::Collected,
        description: new.description,
        address: new.address,
        external_id: new.external_id,
        occurred_at: new.occurred_at.unwrap_or(at),
        created_at: at,
        updated_at: at,
        created_by: actor.to_string(),
        seq,
        assignee: None,
        acknowledged_by: Vec::new(),
        notes: Vec::new(),
        area_ids: Vec::new(),
        stage_entered_at: None,
        stage_due_at: None,
        overdue: false,
        department: None,
        escalation: None,
        evaluation: None,
        alarm_acknowledged: None,
        alert: None,
        outline: None,
        reports: vec![origin],
        quality: Default::default(),
        verified: None,
    }
}

/// The stages an incident may move to from `from`. The loop goes forward one stage at a time; 督办
/// (supervision) can be entered from any open stage when a deadline is missed, and returns the case to
/// handling; a case can be closed after feedback (or straight away if it was a false alarm at identification).
pub fn allowed_next(from: Stage) -> &'static [Stage] {
    use Stage::*;
    match from {
        Collected => &[Identified, Closed],
        Identified => &[Assigned, Supervised, Closed],
        Assigned => &[Handling, Supervised],
        Handling => &[Feedback, Supervised],
        Feedback => &[Closed, Handling, Supervised],
        Supervised => &[Handling, Closed],
        Closed => &[],
    }
}

pub fn can_transition(from: Stage, to: Stage) -> bool {
    allowed_next(from).contains(&to)
}

pub fn is_open(stage: Stage) -> bool {
    stage != Stage::Closed
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn good() -> Value {
        json!({"title": "Kamppi 交通事故", "class": "accident", "grade": "III", "lon": 24.93, "lat": 60.17,
               "source": "operator"})
    }

    #[test]
    fn accepts_a_well_formed_incident() {
        let n = parse_new_incident(&good()).unwrap();
        assert_eq!(n.class, IncidentClass::Accident);
        assert_eq!(n.grade, Grade::III);
        assert_eq!(n.title, "Kamppi 交通事故");
    }

    #[test]
    fn each_bad_field_is_named() {
        let cases: Vec<(&str, Value)> = vec![
            ("title", json!("")),
            ("title", json!("   ")),
            ("title", json!(5)),
            ("class", json!("earthquake")),
            ("grade", json!("V")),
            ("grade", json!(1)),
            ("lon", json!(181.0)),
            ("lat", json!(-90.5)),
            ("lat", json!("60")),
            ("source", json!("")),
            ("occurred_at", json!("yesterday")),
        ];
        for (field, value) in cases {
            let mut body = good();
            body[field] = value.clone();
            let err = parse_new_incident(&body).unwrap_err();
            assert_eq!(err.field, field, "value {value}");
        }
        for field in ["title", "class", "grade", "lon", "lat", "source"] {
            let mut body = good();
            body.as_object_mut().unwrap().remove(field);
            assert_eq!(parse_new_incident(&body).unwrap_err().field, field);
        }
        assert_eq!(parse_new_incident(&json!([1, 2])).unwrap_err().field, "body");
    }

    #[test]
    fn a_request_makes_a_collected_incident_reported_by_its_actor() {
        let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let id = Uuid::from_u128(7);
        let mut body = good();
        body["address"] = json!(" Kamppi ");
        let i = from_request(id, parse_new_incident(&body).unwrap(), "operator", at, 42);
        assert_eq!((i.id, i.seq, i.status), (id, 42, Stage::Collected));
        assert_eq!((i.location.lon, i.location.lat), (24.93, 60.17));
        assert_eq!(
            (i.title.as_str(), i.source.as_str()),
            ("Kamppi 交通事故", "operator")
        );
        assert_eq!(i.address.as_deref(), Some("Kamppi"));
        assert_eq!((i.occurred_at, i.created_at, i.updated_at), (at, at, at));
        assert_eq!(i.created_by, "operator");
        assert!(i.assignee.is_none() && i.acknowledged_by.is_empty() && i.notes.is_empty());
        // When it happened, if the request says.
        let earlier = at - chrono::Duration::minutes(5);
        body["occurred_at"] = json!(earlier);
        let i = from_request(id, parse_new_incident(&body).unwrap(), "operator", at, 0);
        assert_eq!((i.occurred_at, i.created_at), (earlier, at));
    }

    #[test]
    fn each_bad_field_has_its_code_and_the_same_words() {
        let mut body = good();
        body["title"] = json!("");
        let e = parse_new_incident(&body).unwrap_err();
        assert_eq!(
            e.refusal,
            Refusal::FieldEmpty {
                field: "title".into()
            }
        );
        assert_eq!(e.to_string(), "title: must not be empty");
        let mut body = good();
        body["lon"] = json!(181.0);
        let e = parse_new_incident(&body).unwrap_err();
        assert_eq!(e.refusal.code(), "field_out_of_range");
        assert_eq!(e.to_string(), "lon: must be between -180 and 180");
        let mut body = good();
        body["class"] = json!("earthquake");
        let e = parse_new_incident(&body).unwrap_err();
        assert_eq!(
            e.to_string(),
            "class: unknown class \"earthquake\"; expected one of natural_disaster, accident, public_health, social_security"
        );
        let nested = e.nested("op");
        assert_eq!(nested.field, "op.class");
        assert_eq!(nested.refusal.field(), Some("op.class"));
        assert_eq!(nested.to_string().split_once(": ").map(|p| p.0), Some("op.class"));
        assert_eq!(FieldError::new("x", "is odd").refusal.code(), "invalid_field");
    }

    #[test]
    fn lifecycle_is_closed_loop() {
        use Stage::*;
        let path = [Collected, Identified, Assigned, Handling, Feedback, Closed];
        for w in path.windows(2) {
            assert!(can_transition(w[0], w[1]), "{:?} -> {:?}", w[0], w[1]);
        }
        assert!(!can_transition(Collected, Handling), "no skipping dispatch");
        assert!(!can_transition(Closed, Handling), "closed is final");
        assert!(can_transition(Handling, Supervised));
        assert!(!can_transition(Handling, Handling));
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_json(s in ".{0,200}") {
            if let Ok(v) = serde_json::from_str::<Value>(&s) {
                let _ = parse_new_incident(&v);
            }
        }

        #[test]
        fn coordinates_in_range_are_accepted(lon in -180.0f64..=180.0, lat in -90.0f64..=90.0) {
            let mut b = good();
            b["lon"] = json!(lon);
            b["lat"] = json!(lat);
            let n = parse_new_incident(&b).unwrap();
            prop_assert_eq!(n.lon, lon);
            prop_assert_eq!(n.lat, lat);
        }
    }
}
