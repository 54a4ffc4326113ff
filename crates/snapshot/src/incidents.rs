//! The incidents drawn on a snapshot, read from loose JSON so an error names the bad field.
//!
//! Accepted shapes: the hub's `GET /api/v1/incidents` answer (an array of `Incident`, position in
//! `location: {lon, lat}`), the desktop's cockpit snapshot (an object with an `incidents` array), or hand-written
//! entries with top-level `lon`/`lat`. Each entry needs a `grade` of `"I"`, `"II"`, `"III"` or `"IV"`.

use std::fmt;

use serde_json::Value;

pub use citydeck_protocol::Grade;

/// The cockpit's marker colours per grade.
pub trait GradeColour {
    /// Opaque sRGB: I `#e5322d` red, II `#f08c00` orange, III `#f5c400` yellow, IV `#2f7fe0` blue.
    fn rgb(self) -> [u8; 3];
}

impl GradeColour for Grade {
    fn rgb(self) -> [u8; 3] {
        match self {
            Grade::I => [0xe5, 0x32, 0x2d],
            Grade::II => [0xf0, 0x8c, 0x00],
            Grade::III => [0xf5, 0xc4, 0x00],
            Grade::IV => [0x2f, 0x7f, 0xe0],
        }
    }
}

/// One marker: where and how severe.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    pub lon: f64,
    pub lat: f64,
    pub grade: Grade,
    /// `id` or `title` when the entry has one (for messages only).
    pub label: Option<String>,
}

/// Why an incidents file was refused.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentsError(pub String);

impl fmt::Display for IncidentsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad incidents JSON: {}", self.0)
    }
}

impl std::error::Error for IncidentsError {}

/// Parses incidents from JSON text (see the module docs for the accepted shapes).
pub fn parse_incidents(text: &str) -> Result<Vec<Incident>, IncidentsError> {
    let v: Value = serde_json::from_str(text).map_err(|e| IncidentsError(e.to_string()))?;
    let items = match &v {
        Value::Array(a) => a,
        Value::Object(o) => match o.get("incidents") {
            Some(Value::Array(a)) => a,
            Some(_) => return Err(IncidentsError("`incidents` is not an array".into())),
            None => {
                return Err(IncidentsError(
                    "expected an array of incidents or an object with an `incidents` array".into(),
                ))
            }
        },
        _ => {
            return Err(IncidentsError(
                "expected an array of incidents or an object with an `incidents` array".into(),
            ))
        }
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| parse_one(i, item))
        .collect()
}

fn parse_one(i: usize, item: &Value) -> Result<Incident, IncidentsError> {
    let err = |m: String| IncidentsError(format!("incidents[{i}]: {m}"));
    let obj = item.as_object().ok_or_else(|| err("is not an object".into()))?;
    let grade = match obj.get("grade") {
        Some(Value::String(s)) => {
            Grade::parse(s).ok_or_else(|| err(format!("grade {s:?} is not one of I, II, III, IV")))?
        }
        Some(other) => return Err(err(format!("grade {other} is not a string"))),
        None => return Err(err("missing field `grade`".into())),
    };
    let (pos, prefix) = match obj.get("location") {
        Some(Value::Object(loc)) => (loc, "location."),
        Some(_) => return Err(err("`location` is not an object".into())),
        None => (obj, ""),
    };
    let coord = |name: &str, lim: f64| -> Result<f64, IncidentsError> {
        match pos.get(name) {
            Some(Value::Number(n)) => {
                let v = n
                    .as_f64()
                    .ok_or_else(|| err(format!("{prefix}{name} is not a number")))?;
                if v.is_finite() && v.abs() <= lim {
                    Ok(v)
                } else {
                    Err(err(format!("{prefix}{name} = {v} is outside -{lim}..{lim}")))
                }
            }
            Some(other) => Err(err(format!("{prefix}{name} {other} is not a number"))),
            None => Err(err(format!("missing field `{prefix}{name}`"))),
        }
    };
    let lon = coord("lon", 180.0)?;
    let lat = coord("lat", 90.0)?;
    let label = ["title", "id"]
        .iter()
        .find_map(|k| obj.get(*k).and_then(Value::as_str).map(str::to_string));
    Ok(Incident {
        lon,
        lat,
        grade,
        label,
    })
}
