//! A city's administrative areas from an OpenStreetMap extract: the `boundary=administrative` relations at a
//! district admin level (and optionally a street level), their member ways joined into rings by
//! `citydeck_domain::areas`. A boundary whose ways are missing from the extract or do not close is reported
//! by name and left out, never guessed. Each street gets as parent the district holding a point inside it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use citydeck_domain::area_file::{self, AreaDef, AreaFileError};
use citydeck_domain::areas::{join_rings, Area, Pt};
use citydeck_protocol::AreaLevel;
use osmpbf::{Element, ElementReader, RelMemberType};
use serde_json::{json, Value};

use crate::places::PlacesError;

/// A `boundary=administrative` relation whose rings close.
#[derive(Debug, Clone)]
pub struct Boundary {
    /// `osm-r<relation id>`.
    pub id: String,
    /// The OSM `name` (the local script).
    pub name: String,
    pub name_zh: Option<String>,
    pub name_en: Option<String>,
    pub admin_level: u8,
    pub area: Area,
}

/// A boundary left out, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Broken {
    pub id: String,
    pub name: String,
    pub admin_level: u8,
    pub why: String,
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {:?} (admin_level {}): {}",
            self.id, self.name, self.admin_level, self.why
        )
    }
}

struct Rel {
    id: i64,
    tags: HashMap<String, String>,
    level: u8,
    /// (way id, is inner)
    ways: Vec<(i64, bool)>,
}

/// Every `boundary=administrative` relation of the extract with an `admin_level`, closed or not.
pub fn read_boundaries(path: &Path) -> Result<(Vec<Boundary>, Vec<Broken>), PlacesError> {
    let file = std::fs::File::open(path).map_err(|source| PlacesError::Io {
        path: path.into(),
        source,
    })?;
    let reader = ElementReader::new(std::io::BufReader::new(file));
    let mut coords: HashMap<i64, Pt> = HashMap::new();
    let mut way_nodes: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut rels: Vec<Rel> = Vec::new();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        reader.for_each(|element| match element {
            Element::Node(n) => {
                coords.insert(n.id(), (n.lon(), n.lat()));
            }
            Element::DenseNode(n) => {
                coords.insert(n.id(), (n.lon(), n.lat()));
            }
            Element::Way(w) => {
                way_nodes.insert(w.id(), w.refs().collect());
            }
            Element::Relation(r) => {
                let tags: HashMap<String, String> =
                    r.tags().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
                let level = tags.get("admin_level").and_then(|l| l.trim().parse::<u8>().ok());
                let (Some("administrative"), Some(level)) = (tags.get("boundary").map(String::as_str), level)
                else {
                    return;
                };
                let ways = r
                    .members()
                    .filter(|m| m.member_type == RelMemberType::Way)
                    .filter_map(|m| match m.role().unwrap_or("") {
                        "outer" | "" => Some((m.member_id, false)),
                        "inner" => Some((m.member_id, true)),
                        _ => None,
                    })
                    .collect();
                rels.push(Rel {
                    id: r.id(),
                    tags,
                    level,
                    ways,
                });
            }
        })
    }));
    let pbf_err = |message: String| PlacesError::Pbf {
        path: path.into(),
        message,
    };
    match result {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(pbf_err(e.to_string())),
        Err(_) => return Err(pbf_err("the PBF decoder panicked on this input".into())),
    }
    if coords.is_empty() {
        return Err(PlacesError::Empty { path: path.into() });
    }
    let mut good = Vec::new();
    let mut broken = Vec::new();
    for rel in rels {
        let id = format!("osm-r{}", rel.id);
        let name = rel
            .tags
            .get("name")
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| id.clone());
        match assemble(&rel, &way_nodes, &coords) {
            Ok(area) => good.push(Boundary {
                id,
                name,
                name_zh: rel.tags.get("name:zh").cloned(),
                name_en: rel.tags.get("name:en").cloned(),
                admin_level: rel.level,
                area,
            }),
            Err(why) => broken.push(Broken {
                id,
                name,
                admin_level: rel.level,
                why,
            }),
        }
    }
    Ok((good, broken))
}

fn assemble(
    rel: &Rel,
    way_nodes: &HashMap<i64, Vec<i64>>,
    coords: &HashMap<i64, Pt>,
) -> Result<Area, String> {
    let mut outer = Vec::new();
    let mut inner = Vec::new();
    for &(w, is_inner) in &rel.ways {
        let nodes = way_nodes
            .get(&w)
            .ok_or_else(|| format!("its way w{w} is not in the extract"))?;
        if is_inner {
            inner.push(nodes.clone());
        } else {
            outer.push(nodes.clone());
        }
    }
    if outer.is_empty() {
        return Err("it has no outer way in the extract".into());
    }
    let to_pts = |rings: Vec<Vec<i64>>| -> Result<Vec<Vec<Pt>>, String> {
        rings
            .into_iter()
            .map(|r| {
                r.iter()
                    .map(|n| {
                        coords
                            .get(n)
                            .copied()
                            .ok_or_else(|| format!("its node n{n} is not in the extract"))
                    })
                    .collect()
            })
            .collect()
    };
    let outers = join_rings(&outer).map_err(|e| format!("outer: {e}"))?;
    let inners = if inner.is_empty() {
        Vec::new()
    } else {
        join_rings(&inner).map_err(|e| format!("inner: {e}"))?
    };
    Ok(Area::from_rings(to_pts(outers)?, to_pts(inners)?))
}

/// What `cargo xtask city` makes of an extract's boundaries.
#[derive(Debug, Clone)]
pub struct CityAreas {
    pub districts: Vec<Boundary>,
    /// Streets with the id of the district holding them.
    pub streets: Vec<(Boundary, String)>,
    /// Left out: boundaries at the two levels that do not close, and streets in no district.
    pub left_out: Vec<Broken>,
    /// The closed boundary with the highest admin level below the districts' that holds the first district:
    /// the city's (or country's) own boundary, for its name. `None` when there is none.
    pub enclosing: Option<Boundary>,
}

/// Sorts an extract's boundaries into districts (`district_level`) and streets (`street_level`), each street
/// under the district holding a point inside it.
pub fn city_areas(
    boundaries: Vec<Boundary>,
    broken: Vec<Broken>,
    district_level: u8,
    street_level: Option<u8>,
) -> CityAreas {
    let mut left_out: Vec<Broken> = broken
        .into_iter()
        .filter(|b| b.admin_level == district_level || Some(b.admin_level) == street_level)
        .collect();
    let mut districts = Vec::new();
    let mut streets_flat = Vec::new();
    let mut above = Vec::new();
    for b in boundaries {
        if b.admin_level == district_level {
            districts.push(b);
        } else if Some(b.admin_level) == street_level {
            streets_flat.push(b);
        } else if b.admin_level < district_level {
            above.push(b);
        }
    }
    let mut streets = Vec::new();
    for s in streets_flat {
        match districts.iter().find(|d| d.area.holds(&s.area)) {
            Some(d) => {
                let parent = d.id.clone();
                streets.push((s, parent));
            }
            None => left_out.push(Broken {
                why: "it lies in none of the districts".into(),
                id: s.id,
                name: s.name,
                admin_level: s.admin_level,
            }),
        }
    }
    let enclosing = districts.first().and_then(|d| {
        above
            .into_iter()
            .filter(|a| a.area.holds(&d.area))
            .max_by_key(|a| a.admin_level)
    });
    CityAreas {
        districts,
        streets,
        left_out,
        enclosing,
    }
}

fn ring_json(ring: &[Pt]) -> Value {
    Value::Array(
        ring.iter()
            .map(|&(x, y)| json!([(x * 1e7).round() / 1e7, (y * 1e7).round() / 1e7]))
            .collect(),
    )
}

fn feature(b: &Boundary, level: &str, parent: Option<&str>) -> Value {
    let coords: Vec<Value> = b
        .area
        .polygons
        .iter()
        .map(|p| {
            Value::Array(
                std::iter::once(ring_json(&p.outer))
                    .chain(p.holes.iter().map(|h| ring_json(h)))
                    .collect(),
            )
        })
        .collect();
    let mut props = json!({
        "id": b.id,
        "name": b.name,
        "level": level,
        "parent": parent,
        "admin_level": b.admin_level,
    });
    // where the map writes its name: one point inside its largest part (`/district-labels.geojson`)
    if let Some((x, y)) = b.area.interior_point() {
        props["label"] = json!([(x * 1e7).round() / 1e7, (y * 1e7).round() / 1e7]);
    }
    if let Some(zh) = &b.name_zh {
        props["name_zh"] = json!(zh);
    }
    if let Some(en) = &b.name_en {
        props["name_en"] = json!(en);
    }
    json!({
        "type": "Feature",
        "id": b.id,
        "properties": props,
        "geometry": { "type": "MultiPolygon", "coordinates": coords },
    })
}

/// The areas as a GeoJSON FeatureCollection: districts (`parent` null), then streets (`parent` = district id).
/// Properties: `id`, `name` (local script), `level`, `parent`, `admin_level`, `label` (`[lon, lat]` inside the
/// largest part, where the map names it), `name_zh` / `name_en` where known.
/// The collection's top-level `name`, `name_zh`, `name_en` are the city's (the city is the union of its
/// districts).
pub fn areas_geojson(city: &CityAreas, name: &crate::config::CityName) -> String {
    let features: Vec<Value> = city
        .districts
        .iter()
        .map(|d| feature(d, "district", None))
        .chain(city.streets.iter().map(|(s, p)| feature(s, "street", Some(p))))
        .collect();
    let fc = json!({
        "type": "FeatureCollection",
        "name": name.local,
        "name_zh": name.zh,
        "name_en": name.en,
        "features": features,
    });
    format!("{fc}\n")
}

/// The city's names from the boundary enclosing its districts (OSM's `name`, `name:zh`, `name:en`), else `id`.
pub fn enclosing_name(city: &CityAreas, id: &str) -> crate::config::CityName {
    match &city.enclosing {
        Some(e) => crate::config::CityName {
            local: e.name.clone(),
            zh: e.name_zh.clone().unwrap_or_else(|| e.name.clone()),
            en: e.name_en.clone().unwrap_or_else(|| e.name.clone()),
        },
        None => crate::config::CityName {
            local: id.to_owned(),
            zh: id.to_owned(),
            en: id.to_owned(),
        },
    }
}

/// Writes the zh / en names a city file gives (by local name, [`crate::config::AreaSettings::names`]) over
/// those OSM has.
pub fn apply_names(
    city: &mut CityAreas,
    names: &std::collections::BTreeMap<String, crate::config::AreaName>,
) {
    let areas = city
        .districts
        .iter_mut()
        .chain(city.streets.iter_mut().map(|(s, _)| s))
        .chain(city.enclosing.as_mut());
    for b in areas {
        if let Some(n) = names.get(&b.name) {
            if n.zh.is_some() {
                b.name_zh = n.zh.clone();
            }
            if n.en.is_some() {
                b.name_en = n.en.clone();
            }
        }
    }
}

/// The union of the districts' bounding boxes.
pub fn districts_bbox(city: &CityAreas) -> Option<[f64; 4]> {
    city.districts
        .iter()
        .filter_map(|d| d.area.bbox())
        .reduce(|a, b| [a[0].min(b[0]), a[1].min(b[1]), a[2].max(b[2]), a[3].max(b[3])])
}

/// Why an areas file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum AreasFileError {
    #[error("cannot read areas file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("areas file {path} is not JSON: {source}")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("areas file {path}: {source}")]
    Invalid {
        path: PathBuf,
        #[source]
        source: AreaFileError,
    },
}

/// Reads an `areas.geojson` as [`areas_geojson`] writes it, checked by `domain::area_file` (as the hub reads
/// it): the city first, then the districts, then the streets.
pub fn read_areas_file(path: &Path) -> Result<Vec<AreaDef>, AreasFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| AreasFileError::Io {
        path: path.into(),
        source,
    })?;
    let v: Value = serde_json::from_str(&text).map_err(|source| AreasFileError::Json {
        path: path.into(),
        source,
    })?;
    area_file::parse(&v).map_err(|source| AreasFileError::Invalid {
        path: path.into(),
        source,
    })
}

/// The city's extent as its districts: whether a point lies in the city.
#[derive(Debug, Clone)]
pub struct CityExtent {
    districts: Vec<Area>,
}

impl CityExtent {
    /// The districts of an areas file (`None` when it has none).
    pub fn of(areas: &[AreaDef]) -> Option<CityExtent> {
        let districts: Vec<Area> = areas
            .iter()
            .filter(|a| a.level == AreaLevel::District)
            .map(|a| a.area.clone())
            .collect();
        (!districts.is_empty()).then_some(CityExtent { districts })
    }

    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        self.districts.iter().any(|d| d.contains((lon, lat)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x: f64, y: f64, d: f64) -> Value {
        json!([[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]])
    }

    /// `v` written to a file in `dir` and read back.
    fn read(dir: &Path, v: &Value) -> Result<Vec<AreaDef>, AreasFileError> {
        let p = dir.join("areas.geojson");
        std::fs::write(&p, v.to_string()).unwrap();
        read_areas_file(&p)
    }

    #[test]
    fn an_areas_file_reads_back_and_bounds_the_city() {
        let dir = tempfile::tempdir().unwrap();
        let fc = json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"id": "d1", "name": "D", "level": "district", "parent": null},
             "geometry": {"type": "MultiPolygon", "coordinates": [[square(0.0, 0.0, 2.0), square(0.5, 0.5, 0.5)],
                                                                  [square(5.0, 5.0, 1.0)]]}},
            {"type": "Feature", "properties": {"id": "s1", "name": "S", "level": "street", "parent": "d1"},
             "geometry": {"type": "Polygon", "coordinates": [square(0.0, 0.0, 0.4)]}},
        ]});
        let areas = read(dir.path(), &fc).unwrap();
        let ids: Vec<&str> = areas.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["city", "d1", "s1"], "the city added first");
        assert_eq!(areas[2].parent.as_deref(), Some("d1"));
        let city = CityExtent::of(&areas).unwrap();
        assert!(city.contains(1.5, 1.5) && city.contains(5.5, 5.5));
        assert!(!city.contains(0.7, 0.7), "in the district's hole");
        assert!(!city.contains(3.0, 3.0));
        assert!(CityExtent::of(&areas[2..]).is_none(), "no district, no extent");
    }

    #[test]
    fn a_bad_areas_file_is_an_error_naming_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            (json!([]), "type: must be \"FeatureCollection\""),
            (json!({"type": "FeatureCollection"}), "features: must be an array"),
            (
                json!({"type": "FeatureCollection", "features": [{"properties": {"id": "a", "name": "A"}}]}),
                "feature 0 (a): properties.level: ",
            ),
            (
                json!({"type": "FeatureCollection", "features": [{"properties": {"id": "a", "name": "A",
                   "level": "district"}, "geometry": {"type": "Point", "coordinates": [1, 2]}}]}),
                "\"Point\" is not an area",
            ),
            (
                json!({"type": "FeatureCollection", "features": [{"properties": {"id": "a", "name": "A",
                   "level": "district"}, "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1]]]}}]}),
                "feature 0 (a): geometry.coordinates[0]: a ring needs at least 4 positions",
            ),
            (
                json!({"type": "FeatureCollection", "features": [{"properties": {"id": "a", "name": "A",
                   "level": "district"}, "geometry": {"type": "Polygon", "coordinates": [[[0, "x"]]]}}]}),
                "[lon, lat]",
            ),
        ];
        for (v, want) in cases {
            let err = read(dir.path(), &v).unwrap_err();
            assert!(matches!(err, AreasFileError::Invalid { .. }), "{v}: {err}");
            let err = err.to_string();
            assert!(err.contains(want) && err.contains("areas.geojson"), "{v}: {err}");
        }
        let p = dir.path().join("areas.geojson");
        std::fs::write(&p, "{").unwrap();
        let err = read_areas_file(&p).unwrap_err();
        assert!(matches!(err, AreasFileError::Json { .. }) && err.to_string().contains("areas.geojson"));
        let err = read_areas_file(&dir.path().join("absent.geojson")).unwrap_err();
        assert!(matches!(err, AreasFileError::Io { .. }));
    }
}
