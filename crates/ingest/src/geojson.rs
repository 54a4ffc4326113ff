//! GeoJSON feeds (issue 22): a city declares each feed it takes in its city file, and a posted FeatureCollection
//! becomes one incident per feature, by that declaration.
//!
//! ```toml
//! [[feeds]]
//! name = "usgs"                          # ?feed=usgs; also each incident's `source`
//! id_property = "code"                   # the property naming a feature (absent: the feature's own `id`)
//! title = "M{mag} 地震 · {place}"         # {property} is replaced by its value ({id} by the feature's id)
//! description = "{title} ({magType})"    # optional, same template form
//! class = "natural_disaster"
//! time_property = "time"                 # optional: epoch milliseconds (a number) or RFC 3339 (a string)
//! grade = { property = "mag", I = 7.0, II = 6.0, III = 5.0 }   # ≥ each bound; below III: IV
//! # grade = { property = "level", I = 1, II = 2, III = 3, direction = "below" }  # ≤ each bound
//! # grade = "III"                        # every feature the same
//! ```
//!
//! A feature is refused (the whole collection with it, naming `features[7]` and what is wrong there) when it
//! has no id, a geometry that is neither a Point, a Polygon nor a MultiPolygon with coordinates in range, a
//! grade property that is not a number, a time that is neither, or a title that comes out blank. A polygon's
//! feature is placed at a point inside it and keeps its rings as the incident's outline.

use chrono::{DateTime, Utc};
use citydeck_domain::areas::Area as Shape;
use citydeck_domain::incident::{MAX_SOURCE_CHARS, MAX_TEXT_CHARS, MAX_TITLE_CHARS};
use citydeck_protocol::{Grade, IncidentClass, NewIncident};
use serde_json::Value;

/// A feed the city declares.
#[derive(Clone, Debug, PartialEq)]
pub struct FeedSpec {
    pub name: String,
    /// The property naming a feature; `None`: the feature's `id` member.
    pub id_property: Option<String>,
    pub title: String,
    pub description: Option<String>,
    pub class: IncidentClass,
    pub time_property: Option<String>,
    pub grade: GradeRule,
}

/// How a feature's grade is found.
#[derive(Clone, Debug, PartialEq)]
pub enum GradeRule {
    Fixed(Grade),
    /// The property's value against the bounds of grades I, II and III: `≥` each (or `≤` with `below`); past
    /// none of them, IV.
    Bounds {
        property: String,
        bounds: [f64; 3],
        below: bool,
    },
}

impl GradeRule {
    pub fn grade(&self, value: f64) -> Grade {
        match self {
            GradeRule::Fixed(g) => *g,
            GradeRule::Bounds { bounds, below, .. } => {
                let past = |b: f64| if *below { value <= b } else { value >= b };
                [Grade::I, Grade::II, Grade::III]
                    .into_iter()
                    .zip(bounds)
                    .find(|(_, b)| past(**b))
                    .map_or(Grade::IV, |(g, _)| g)
            }
        }
    }
}

/// A city file's `[[feeds]]` that cannot be used: `key` names the entry (`feeds[1].grade.II`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {problem}")]
pub struct SpecError {
    pub key: String,
    pub problem: String,
}

fn spec_err(key: String, problem: impl Into<String>) -> SpecError {
    SpecError {
        key,
        problem: problem.into(),
    }
}

/// Reads a city file's `feeds` (absent: none). Names are unique, lowercase letters, digits, `-` and `_`.
pub fn parse_specs(value: Option<&toml::Value>) -> Result<Vec<FeedSpec>, SpecError> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let list = value
        .as_array()
        .ok_or_else(|| spec_err("feeds".into(), "must be an array of tables ([[feeds]])"))?;
    let mut specs: Vec<FeedSpec> = Vec::with_capacity(list.len());
    for (i, entry) in list.iter().enumerate() {
        let at = |k: &str| format!("feeds[{i}].{k}");
        let t = entry
            .as_table()
            .ok_or_else(|| spec_err(format!("feeds[{i}]"), "must be a table"))?;
        for k in t.keys() {
            if ![
                "name",
                "id_property",
                "title",
                "description",
                "class",
                "time_property",
                "grade",
            ]
            .contains(&k.as_str())
            {
                return Err(spec_err(at(k), "is not a key of a feed"));
            }
        }
        let text = |k: &str, required: bool| -> Result<Option<String>, SpecError> {
            match t.get(k) {
                None if required => Err(spec_err(at(k), "is required")),
                None => Ok(None),
                Some(toml::Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.clone())),
                Some(_) => Err(spec_err(at(k), "must be a non-blank string")),
            }
        };
        let name = text("name", true)?.unwrap_or_default();
        if name.len() > MAX_SOURCE_CHARS
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        {
            return Err(spec_err(
                at("name"),
                format!("{name:?} must be lowercase letters, digits, - and _ (at most {MAX_SOURCE_CHARS})"),
            ));
        }
        if specs.iter().any(|s| s.name == name) {
            return Err(spec_err(at("name"), format!("{name:?} is declared twice")));
        }
        let class_name = text("class", true)?.unwrap_or_default();
        let class = IncidentClass::parse(&class_name).ok_or_else(|| {
            spec_err(
                at("class"),
                format!(
                    "{class_name:?} is not one of {}",
                    IncidentClass::ALL.map(IncidentClass::as_str).join(", ")
                ),
            )
        })?;
        let grade = match t.get("grade") {
            None => return Err(spec_err(at("grade"), "is required")),
            Some(toml::Value::String(g)) => GradeRule::Fixed(
                Grade::parse(g)
                    .ok_or_else(|| spec_err(at("grade"), format!("{g:?} is not I, II, III or IV")))?,
            ),
            Some(toml::Value::Table(g)) => {
                let property = match g.get("property") {
                    Some(toml::Value::String(p)) if !p.trim().is_empty() => p.clone(),
                    _ => return Err(spec_err(at("grade.property"), "must name a numeric property")),
                };
                let below = match g.get("direction").map(|d| d.as_str()) {
                    None | Some(Some("above")) => false,
                    Some(Some("below")) => true,
                    Some(_) => return Err(spec_err(at("grade.direction"), "must be \"above\" or \"below\"")),
                };
                let mut bounds = [0.0; 3];
                for (n, g_name) in ["I", "II", "III"].iter().enumerate() {
                    bounds[n] = match g.get(*g_name) {
                        Some(toml::Value::Float(f)) if f.is_finite() => *f,
                        Some(toml::Value::Integer(n)) => *n as f64,
                        _ => return Err(spec_err(at(&format!("grade.{g_name}")), "must be a number")),
                    };
                }
                let ordered = if below {
                    bounds[0] <= bounds[1] && bounds[1] <= bounds[2]
                } else {
                    bounds[0] >= bounds[1] && bounds[1] >= bounds[2]
                };
                if !ordered {
                    return Err(spec_err(
                        at("grade"),
                        "the bounds must be ordered I, II, III from the most severe",
                    ));
                }
                for k in g.keys() {
                    if !["property", "direction", "I", "II", "III"].contains(&k.as_str()) {
                        return Err(spec_err(
                            at(&format!("grade.{k}")),
                            "is not a key of a grade rule",
                        ));
                    }
                }
                GradeRule::Bounds {
                    property,
                    bounds,
                    below,
                }
            }
            Some(_) => return Err(spec_err(at("grade"), "must be a grade or a table of bounds")),
        };
        specs.push(FeedSpec {
            name,
            id_property: text("id_property", false)?,
            title: text("title", true)?.unwrap_or_default(),
            description: text("description", false)?,
            class,
            time_property: text("time_property", false)?,
            grade,
        });
    }
    Ok(specs)
}

/// A feature at fault: `field` is `features[7]`, or deeper (`features[7].geometry`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct FeatureError {
    pub field: String,
    pub problem: String,
}

/// One feature as an incident.
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureIncident {
    pub new: NewIncident,
    /// A polygon feature's rings (`[lon, lat]`), else empty.
    pub outline: Vec<Vec<[f64; 2]>>,
}

/// A posted FeatureCollection as incidents, in feature order; the first bad feature refuses all of them.
pub fn incidents(spec: &FeedSpec, body: &Value) -> Result<Vec<FeatureIncident>, FeatureError> {
    let err = |field: String, problem: &str| FeatureError {
        field,
        problem: problem.to_string(),
    };
    if body.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(err("type".into(), "must be \"FeatureCollection\""));
    }
    let features = body
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| err("features".into(), "must be an array of features"))?;
    features
        .iter()
        .enumerate()
        .map(|(i, f)| feature(spec, f, &format!("features[{i}]")))
        .collect()
}

fn feature(spec: &FeedSpec, f: &Value, at: &str) -> Result<FeatureIncident, FeatureError> {
    let err = |sub: &str, problem: String| FeatureError {
        field: if sub.is_empty() {
            at.to_string()
        } else {
            format!("{at}.{sub}")
        },
        problem,
    };
    if f.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err(err("type", "must be \"Feature\"".into()));
    }
    let empty = serde_json::Map::new();
    let props = match f.get("properties") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(p)) => p,
        Some(_) => return Err(err("properties", "must be an object or null".into())),
    };
    let id = match &spec.id_property {
        None => scalar(f.get("id"))
            .ok_or_else(|| err("id", "must be a string or a number (the feature's id)".into()))?,
        Some(p) => scalar(props.get(p)).ok_or_else(|| {
            err(
                &format!("properties.{p}"),
                "must be a string or a number (the feature's id)".into(),
            )
        })?,
    };
    if id.trim().is_empty() || id.chars().count() > MAX_TITLE_CHARS {
        return Err(err("id", format!("must be 1 to {MAX_TITLE_CHARS} characters")));
    }
    let fill = |template: &str| -> String {
        let mut out = String::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}') else {
                break;
            };
            out.push_str(&rest[..open]);
            let key = &rest[open + 1..open + close];
            let value = if key == "id" && !props.contains_key("id") {
                Some(id.clone())
            } else {
                scalar(props.get(key))
            };
            out.push_str(value.as_deref().unwrap_or(""));
            rest = &rest[open + close + 1..];
        }
        out.push_str(rest);
        out
    };
    let title = cut(fill(&spec.title).trim(), MAX_TITLE_CHARS);
    if title.is_empty() {
        return Err(err(
            "properties",
            format!("give the title {:?} nothing to say", spec.title),
        ));
    }
    let description = spec
        .description
        .as_deref()
        .map(|d| cut(fill(d).trim(), MAX_TEXT_CHARS))
        .filter(|d| !d.is_empty());
    let grade = match &spec.grade {
        GradeRule::Fixed(g) => *g,
        rule @ GradeRule::Bounds { property, .. } => {
            let v = props
                .get(property)
                .and_then(Value::as_f64)
                .filter(|v| v.is_finite())
                .ok_or_else(|| {
                    err(
                        &format!("properties.{property}"),
                        "must be a number (it gives the grade)".into(),
                    )
                })?;
            rule.grade(v)
        }
    };
    let occurred_at = match &spec.time_property {
        None => None,
        Some(p) => match props.get(p) {
            None | Some(Value::Null) => None,
            Some(v) => Some(time(v).ok_or_else(|| {
                err(
                    &format!("properties.{p}"),
                    "must be epoch milliseconds or an RFC 3339 time".into(),
                )
            })?),
        },
    };
    let (point, outline) = geometry(f.get("geometry")).map_err(|why| err("geometry", why))?;
    Ok(FeatureIncident {
        new: NewIncident {
            title,
            class: spec.class,
            grade,
            lon: point.0,
            lat: point.1,
            source: spec.name.clone(),
            description,
            address: None,
            external_id: Some(id),
            occurred_at,
        },
        outline,
    })
}

/// A string, or a number written as JSON writes it.
fn scalar(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn time(v: &Value) -> Option<DateTime<Utc>> {
    match v {
        Value::Number(n) => DateTime::from_timestamp_millis(n.as_f64().filter(|t| t.is_finite())? as i64),
        Value::String(s) => DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.with_timezone(&Utc)),
        _ => None,
    }
}

fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => s[..at].to_string(),
        None => s.to_string(),
    }
}

type Ring = Vec<(f64, f64)>;

fn position(v: &Value) -> Result<(f64, f64), String> {
    let a = v.as_array().ok_or("a position must be [lon, lat]")?;
    let (Some(lon), Some(lat)) = (
        a.first().and_then(Value::as_f64),
        a.get(1).and_then(Value::as_f64),
    ) else {
        return Err("a position must be [lon, lat] numbers".into());
    };
    if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
        return Err(format!("[{lon}, {lat}] is outside longitude ±180, latitude ±90"));
    }
    Ok((lon, lat))
}

fn rings(v: &Value) -> Result<Vec<Ring>, String> {
    let polygon = v.as_array().ok_or("a polygon must be an array of rings")?;
    if polygon.is_empty() {
        return Err("a polygon needs its outer ring".into());
    }
    polygon
        .iter()
        .map(|ring| {
            let pts = ring
                .as_array()
                .ok_or("a ring must be an array of positions")?
                .iter()
                .map(position)
                .collect::<Result<Ring, _>>()?;
            if pts.len() < 4 || pts.first() != pts.last() {
                return Err("a ring needs at least 4 positions, the first repeated last".to_string());
            }
            Ok(pts)
        })
        .collect()
}

/// The incident's point and outline from a feature's geometry.
fn geometry(g: Option<&Value>) -> Result<((f64, f64), crate::Outline), String> {
    let g = g
        .filter(|g| !g.is_null())
        .ok_or("a feature needs a geometry (its place)")?;
    let coords = g.get("coordinates").ok_or("has no coordinates")?;
    let polygons: Vec<Vec<Ring>> = match g.get("type").and_then(Value::as_str) {
        Some("Point") => return Ok((position(coords)?, Vec::new())),
        Some("Polygon") => vec![rings(coords)?],
        Some("MultiPolygon") => coords
            .as_array()
            .ok_or("a MultiPolygon's coordinates are an array of polygons")?
            .iter()
            .map(rings)
            .collect::<Result<_, _>>()?,
        other => {
            return Err(format!(
                "{} is not a Point, Polygon or MultiPolygon",
                other.map_or("a geometry without a type".to_string(), |t| format!("{t:?}"))
            ))
        }
    };
    let (outers, inners): (Vec<Ring>, Vec<Ring>) =
        polygons.iter().fold((vec![], vec![]), |(mut o, mut i), p| {
            o.push(p[0].clone());
            i.extend(p[1..].iter().cloned());
            (o, i)
        });
    let outline = polygons
        .iter()
        .flatten()
        .map(|r| r.iter().map(|&(x, y)| [x, y]).collect())
        .collect();
    let point = Shape::from_rings(outers, inners)
        .interior_point()
        .ok_or("the polygon has no inside")?;
    Ok((point, outline))
}
