//! A city's areas as `citydeck-city` writes them (`areas.geojson`: a FeatureCollection of districts and
//! streets, properties `id`, `name`, `level`, `parent` and, where known, `name_zh` / `name_en`), checked, with
//! the city itself added: level `city`, id [`CITY_ID`], the union (all parts) of the districts, named by the
//! collection's top-level `name` (else "City") and `name_zh` / `name_en` (else none). Every district's parent
//! becomes the city. A file that breaks a rule is an error naming the feature and the key, never a guess.

use std::collections::HashSet;

use citydeck_protocol::{AreaLevel, BBox};
use serde_json::Value;

use crate::areas::Area;

/// The id of the city area (reserved: no feature may use it).
pub const CITY_ID: &str = "city";
/// The city's name when the file has none.
pub const DEFAULT_CITY_NAME: &str = "City";
/// Longest area id and name taken.
pub const MAX_ID_CHARS: usize = 200;

/// One area of the city.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaDef {
    pub id: String,
    /// In the local script.
    pub name: String,
    /// The name in Chinese, where the file gives one.
    pub name_zh: Option<String>,
    /// The name in English, where the file gives one.
    pub name_en: Option<String>,
    pub level: AreaLevel,
    pub parent: Option<String>,
    pub area: Area,
    pub bbox: BBox,
}

/// Where an areas file breaks a rule: the feature (its index and, when known, id), the key and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreaFileError {
    pub feature: Option<(usize, Option<String>)>,
    pub key: String,
    pub problem: String,
}

impl std::fmt::Display for AreaFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.feature {
            Some((i, Some(id))) => write!(f, "feature {i} ({id}): ")?,
            Some((i, None)) => write!(f, "feature {i}: ")?,
            None => {}
        }
        write!(f, "{}: {}", self.key, self.problem)
    }
}

impl std::error::Error for AreaFileError {}

fn err(feature: Option<(usize, Option<String>)>, key: &str, problem: impl Into<String>) -> AreaFileError {
    AreaFileError {
        feature,
        key: key.into(),
        problem: problem.into(),
    }
}

/// Whether `s` can be an area's id or name: not blank, at most [`MAX_ID_CHARS`], no NUL, no surrounding space.
pub fn is_valid_text(s: &str) -> bool {
    !s.trim().is_empty() && s.trim() == s && s.chars().count() <= MAX_ID_CHARS && !s.contains('\0')
}

/// An optional name (`name_zh`, `name_en`): absent or null is none; anything else must be a valid name.
fn opt_name(
    at: impl Fn() -> Option<(usize, Option<String>)>,
    key: &str,
    v: Option<&Value>,
) -> Result<Option<String>, AreaFileError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        v => text(v).map(Some).ok_or_else(|| {
            err(
                at(),
                key,
                "must be a non-blank string of at most 200 characters (or absent)",
            )
        }),
    }
}

fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| is_valid_text(s))
        .map(String::from)
}

/// The city's areas from an `areas.geojson` document: the city first, then the file's districts, then its
/// streets, each level by id.
pub fn parse(doc: &Value) -> Result<Vec<AreaDef>, AreaFileError> {
    if doc.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(err(None, "type", "must be \"FeatureCollection\""));
    }
    let city_name = match doc.get("name") {
        None | Some(Value::Null) => DEFAULT_CITY_NAME.to_string(),
        v => text(v).ok_or_else(|| {
            err(
                None,
                "name",
                "must be a non-blank string of at most 200 characters",
            )
        })?,
    };
    let city_zh = opt_name(|| None, "name_zh", doc.get("name_zh"))?;
    let city_en = opt_name(|| None, "name_en", doc.get("name_en"))?;
    let features = doc
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| err(None, "features", "must be an array"))?;
    let mut areas = Vec::with_capacity(features.len() + 1);
    let mut ids = HashSet::new();
    for (i, f) in features.iter().enumerate() {
        let props = f
            .get("properties")
            .filter(|p| p.is_object())
            .ok_or_else(|| err(Some((i, None)), "properties", "must be an object"))?;
        let id = text(props.get("id")).ok_or_else(|| {
            err(
                Some((i, None)),
                "properties.id",
                "must be a non-blank string of at most 200 characters",
            )
        })?;
        let at = || Some((i, Some(id.clone())));
        if id == CITY_ID {
            return Err(err(
                at(),
                "properties.id",
                format!("{CITY_ID:?} is reserved for the city itself"),
            ));
        }
        if !ids.insert(id.clone()) {
            return Err(err(at(), "properties.id", "is used by an earlier feature"));
        }
        let name = text(props.get("name")).ok_or_else(|| {
            err(
                at(),
                "properties.name",
                "must be a non-blank string of at most 200 characters",
            )
        })?;
        let name_zh = opt_name(at, "properties.name_zh", props.get("name_zh"))?;
        let name_en = opt_name(at, "properties.name_en", props.get("name_en"))?;
        let level = match props
            .get("level")
            .and_then(Value::as_str)
            .and_then(AreaLevel::parse)
        {
            Some(l @ (AreaLevel::District | AreaLevel::Street)) => l,
            _ => {
                return Err(err(
                    at(),
                    "properties.level",
                    "must be \"district\" or \"street\"",
                ))
            }
        };
        let parent = match (level, props.get("parent")) {
            (AreaLevel::District, None | Some(Value::Null)) => Some(CITY_ID.to_string()),
            (AreaLevel::District, Some(_)) => {
                return Err(err(at(), "properties.parent", "must be null for a district"))
            }
            (_, p) => Some(text(p).ok_or_else(|| {
                err(
                    at(),
                    "properties.parent",
                    "must be the id of the district holding the street",
                )
            })?),
        };
        let geometry = f
            .get("geometry")
            .filter(|g| g.is_object())
            .ok_or_else(|| err(at(), "geometry", "must be a GeoJSON Polygon or MultiPolygon"))?;
        let area =
            Area::from_geojson(geometry).map_err(|e| err(at(), &format!("geometry.{}", e.at), e.problem))?;
        let bbox = area
            .bbox()
            .ok_or_else(|| err(at(), "geometry", "has no points"))?;
        areas.push(AreaDef {
            id,
            name,
            name_zh,
            name_en,
            level,
            parent,
            area,
            bbox,
        });
    }
    for (i, a) in areas.iter().enumerate() {
        if a.level == AreaLevel::Street {
            let parent = a.parent.as_deref().unwrap_or_default();
            if !areas
                .iter()
                .any(|d| d.level == AreaLevel::District && d.id == parent)
            {
                return Err(err(
                    Some((i, Some(a.id.clone()))),
                    "properties.parent",
                    format!("{parent:?} is not a district of this file"),
                ));
            }
        }
    }
    let districts: Vec<&AreaDef> = areas.iter().filter(|a| a.level == AreaLevel::District).collect();
    if districts.is_empty() {
        return Err(err(
            None,
            "features",
            "has no district: the city is the union of its districts",
        ));
    }
    let city_area = Area {
        polygons: districts
            .iter()
            .flat_map(|d| d.area.polygons.iter().cloned())
            .collect(),
    };
    let bbox = areas
        .iter()
        .map(|a| a.bbox)
        .reduce(|a, b| [a[0].min(b[0]), a[1].min(b[1]), a[2].max(b[2]), a[3].max(b[3])])
        .unwrap_or_default();
    areas.push(AreaDef {
        id: CITY_ID.into(),
        name: city_name,
        name_zh: city_zh,
        name_en: city_en,
        level: AreaLevel::City,
        parent: None,
        area: city_area,
        bbox,
    });
    areas.sort_by(|a, b| (a.level, &a.id).cmp(&(b.level, &b.id)));
    Ok(areas)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn square(x0: f64, y0: f64, s: f64) -> Value {
        json!({"type": "Polygon", "coordinates": [[[x0, y0], [x0 + s, y0], [x0 + s, y0 + s], [x0, y0 + s], [x0, y0]]]})
    }

    fn feature(id: &str, level: &str, parent: Option<&str>, geometry: Value) -> Value {
        json!({"type": "Feature", "properties": {"id": id, "name": format!("{id} name"), "level": level,
               "parent": parent}, "geometry": geometry})
    }

    fn doc(features: Vec<Value>) -> Value {
        json!({"type": "FeatureCollection", "name": "Testland", "features": features})
    }

    #[test]
    fn the_city_is_added_as_the_union_of_the_districts() {
        let areas = parse(&doc(vec![
            feature("s1", "street", Some("d2"), square(6.0, 0.0, 1.0)),
            feature("d2", "district", None, square(5.0, 0.0, 5.0)),
            feature("d1", "district", None, square(0.0, 0.0, 5.0)),
        ]))
        .unwrap();
        let ids: Vec<&str> = areas.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["city", "d1", "d2", "s1"]);
        let city = &areas[0];
        assert_eq!(
            (city.name.as_str(), city.level, city.parent.as_deref()),
            ("Testland", AreaLevel::City, None)
        );
        assert_eq!(city.bbox, [0.0, 0.0, 10.0, 5.0]);
        assert_eq!(city.area.polygons.len(), 2);
        assert!(city.area.contains((7.0, 1.0)) && !city.area.contains((11.0, 1.0)));
        assert_eq!(areas[1].parent.as_deref(), Some("city"));
        assert_eq!(areas[3].parent.as_deref(), Some("d2"));
        assert_eq!(areas[3].bbox, [6.0, 0.0, 7.0, 1.0]);
        // without a name: "City"
        let mut d = doc(vec![feature("d1", "district", None, square(0.0, 0.0, 5.0))]);
        d.as_object_mut().unwrap().remove("name");
        assert_eq!(parse(&d).unwrap()[0].name, DEFAULT_CITY_NAME);
    }

    #[test]
    fn names_in_chinese_and_english_are_read_where_given() {
        let mut d1 = feature("d1", "district", None, square(0.0, 0.0, 5.0));
        d1["properties"]["name_zh"] = json!("上区");
        d1["properties"]["name_en"] = json!("Oberland");
        let mut s1 = feature("s1", "street", Some("d1"), square(1.0, 1.0, 1.0));
        s1["properties"]["name_zh"] = json!("瓦杜兹");
        s1["properties"]["name_en"] = Value::Null;
        let d2 = feature("d2", "district", None, square(5.0, 0.0, 5.0));
        let names = |d: &Value| -> Vec<(String, Option<String>, Option<String>)> {
            parse(d)
                .unwrap()
                .into_iter()
                .map(|a| (a.id, a.name_zh, a.name_en))
                .collect()
        };
        let s = |x: &str| Some(x.to_string());
        let mut d = doc(vec![d1, d2, s1]);
        assert_eq!(
            names(&d),
            [
                ("city".into(), None, None),
                ("d1".into(), s("上区"), s("Oberland")),
                ("d2".into(), None, None),
                ("s1".into(), s("瓦杜兹"), None),
            ]
        );
        // the city's from the collection's top level
        d["name_zh"] = json!("测试国");
        d["name_en"] = json!("Testland");
        assert_eq!(names(&d)[0], ("city".into(), s("测试国"), s("Testland")));
    }

    #[test]
    fn a_bad_name_in_chinese_or_english_is_named_by_feature_and_key() {
        let e = |v: Value| parse(&v).unwrap_err().to_string();
        let d1 = || feature("d1", "district", None, square(0.0, 0.0, 5.0));
        for (key, bad) in [
            ("name_zh", json!(" ")),
            ("name_en", json!(7)),
            ("name_zh", json!("x".repeat(201))),
            ("name_zh", json!("a\0b")),
        ] {
            let mut f = d1();
            f["properties"][key] = bad.clone();
            assert!(
                e(doc(vec![d1_other(), f])).starts_with(&format!("feature 1 (d1): properties.{key}: ")),
                "{key} = {bad}"
            );
            let mut d = doc(vec![d1()]);
            d[key] = bad.clone();
            assert!(e(d).starts_with(&format!("{key}: ")), "top-level {key} = {bad}");
        }
        // trimmed, as names are
        let mut f = d1();
        f["properties"]["name_en"] = json!(" Vaduz ");
        assert_eq!(parse(&doc(vec![f])).unwrap()[1].name_en.as_deref(), Some("Vaduz"));
    }

    fn d1_other() -> Value {
        feature("d0", "district", None, square(5.0, 0.0, 5.0))
    }

    #[test]
    fn a_broken_file_is_named_by_feature_and_key() {
        let d1 = || feature("d1", "district", None, square(0.0, 0.0, 5.0));
        let e = |v: Value| parse(&v).unwrap_err().to_string();
        assert_eq!(e(json!([])), "type: must be \"FeatureCollection\"");
        assert_eq!(
            e(json!({"type": "FeatureCollection"})),
            "features: must be an array"
        );
        assert!(e(doc(vec![])).starts_with("features: has no district"));
        assert!(e(doc(vec![json!({"type": "Feature"})])).starts_with("feature 0: properties: "));
        assert!(e(doc(vec![
            d1(),
            feature("d1", "district", None, square(0.0, 0.0, 1.0))
        ]))
        .starts_with("feature 1 (d1): properties.id: is used"));
        assert!(e(doc(vec![feature(
            "city",
            "district",
            None,
            square(0.0, 0.0, 1.0)
        )]))
        .starts_with("feature 0 (city): properties.id: "));
        assert!(e(doc(vec![
            d1(),
            feature("x", "county", None, square(0.0, 0.0, 1.0))
        ]))
        .starts_with("feature 1 (x): properties.level: "));
        assert!(e(doc(vec![
            d1(),
            feature("s", "street", Some("nowhere"), square(0.0, 0.0, 1.0))
        ]))
        .starts_with("feature 1 (s): properties.parent: \"nowhere\" is not a district"));
        assert!(e(doc(vec![
            d1(),
            feature("s", "street", None, square(0.0, 0.0, 1.0))
        ]))
        .starts_with("feature 1 (s): properties.parent: "));
        let open = json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]});
        assert_eq!(
            e(doc(vec![d1(), feature("s", "street", Some("d1"), open)])),
            "feature 1 (s): geometry.coordinates[0]: the ring does not close (its last position is not its first)"
        );
        assert!(
            e(doc(vec![feature("d\0", "district", None, square(0.0, 0.0, 1.0))]))
                .starts_with("feature 0: properties.id: ")
        );
        assert!(is_valid_text("osm-r49") && !is_valid_text(" ") && !is_valid_text(&"x".repeat(201)));
        let mut no_name = doc(vec![d1()]);
        no_name["features"][0]["properties"]["name"] = json!("  ");
        assert!(e(no_name).starts_with("feature 0 (d1): properties.name: "));
    }
}
