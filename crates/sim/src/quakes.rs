//! A USGS GeoJSON earthquake feed (e.g. `all_week.geojson`) turned into incidents to replay.
//!
//! Grade from magnitude (a demo mapping, loosely after the national earthquake plan's levels; the feed is
//! world-wide and mostly small events, so nearly all are IV):
//!
//! | magnitude | grade |
//! | --- | --- |
//! | M ≥ 7.0 | I 特别重大 |
//! | 6.0 ≤ M < 7.0 | II 重大 |
//! | 5.0 ≤ M < 6.0 | III 较大 |
//! | M < 5.0 | IV 一般 |
//!
//! Locations stay real (world-wide): the feed is replayed as an external source next to the city's own
//! incidents. A feature without a usable id, magnitude, time or point is skipped and counted, never a panic.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use citydeck_protocol::{Grade, IncidentClass, NewIncident};
use serde::Deserialize;

/// `source` of every replayed earthquake.
pub const SOURCE: &str = "usgs";

#[derive(Debug, thiserror::Error)]
pub enum QuakeError {
    #[error("cannot read earthquake feed {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("earthquake feed is not a GeoJSON FeatureCollection: {0}")]
    Json(#[from] serde_json::Error),
}

/// The incidents of one feed, oldest first, each with the GeoJSON feature it came from (the simulator posts the
/// feature to the hub's feed endpoint, `ingest/geojson?feed=usgs`, and the incident only to a hub that does not
/// declare the feed), and how many features could not be used.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Quakes {
    pub incidents: Vec<NewIncident>,
    pub features: Vec<serde_json::Value>,
    pub skipped: usize,
}

/// Grade for a magnitude (see the module docs).
pub fn grade_for_magnitude(mag: f64) -> Grade {
    if mag >= 7.0 {
        Grade::I
    } else if mag >= 6.0 {
        Grade::II
    } else if mag >= 5.0 {
        Grade::III
    } else {
        Grade::IV
    }
}

#[derive(Deserialize)]
struct Collection {
    features: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct Feature {
    id: Option<String>,
    properties: Properties,
    geometry: Geometry,
}

#[derive(Deserialize)]
struct Properties {
    mag: Option<f64>,
    place: Option<String>,
    /// Milliseconds since the epoch.
    time: Option<f64>,
    #[serde(rename = "magType")]
    mag_type: Option<String>,
    url: Option<String>,
    tsunami: Option<i64>,
}

#[derive(Deserialize)]
struct Geometry {
    coordinates: Vec<Option<f64>>,
}

pub fn load_earthquakes(path: &Path) -> Result<Quakes, QuakeError> {
    let text = std::fs::read_to_string(path).map_err(|source| QuakeError::Io {
        path: path.into(),
        source,
    })?;
    parse_earthquakes(&text)
}

/// Parses a feed. Malformed JSON (or no `features` array) is an error; a malformed feature is skipped with a
/// warning. The result is sorted by time, oldest first (USGS lists newest first).
pub fn parse_earthquakes(json: &str) -> Result<Quakes, QuakeError> {
    let collection: Collection = serde_json::from_str(json)?;
    let mut out = Quakes::default();
    let mut both: Vec<(NewIncident, serde_json::Value)> = Vec::new();
    for (i, value) in collection.features.into_iter().enumerate() {
        match serde_json::from_value::<Feature>(value.clone())
            .map_err(|e| e.to_string())
            .and_then(to_incident)
        {
            Ok(inc) => both.push((inc, value)),
            Err(why) => {
                tracing::warn!(feature = i, "skipping earthquake feature: {why}");
                out.skipped += 1;
            }
        }
    }
    if out.skipped > 0 {
        tracing::warn!(
            skipped = out.skipped,
            kept = both.len(),
            "earthquake feed had unusable features"
        );
    }
    both.sort_by_key(|(inc, _)| inc.occurred_at);
    (out.incidents, out.features) = both.into_iter().unzip();
    Ok(out)
}

fn to_incident(f: Feature) -> Result<NewIncident, String> {
    let id = f.id.filter(|s| !s.trim().is_empty()).ok_or("no id")?;
    let p = f.properties;
    let mag = p
        .mag
        .filter(|m| m.is_finite())
        .ok_or_else(|| format!("{id}: no magnitude"))?;
    let time_ms = p
        .time
        .filter(|t| t.is_finite())
        .ok_or_else(|| format!("{id}: no time"))?;
    let occurred_at: DateTime<Utc> = DateTime::from_timestamp_millis(time_ms as i64)
        .ok_or_else(|| format!("{id}: time {time_ms} out of range"))?;
    let (lon, lat, depth) = match f.geometry.coordinates.as_slice() {
        [Some(lon), Some(lat), rest @ ..] => (*lon, *lat, rest.first().copied().flatten()),
        _ => return Err(format!("{id}: no point coordinates")),
    };
    if !(lon.is_finite() && lat.is_finite() && lon.abs() <= 180.0 && lat.abs() <= 90.0) {
        return Err(format!("{id}: coordinates ({lon}, {lat}) out of range"));
    }
    let place = p.place.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let title = match &place {
        Some(place) => format!("M{mag:.1} 地震 — {place}"),
        None => format!("M{mag:.1} 地震 — {lat:.2}, {lon:.2}"),
    };
    let mut description = format!("USGS 地震速报：震级 {mag:.1}");
    if let Some(t) = &p.mag_type {
        description.push_str(&format!(" ({t})"));
    }
    if let Some(d) = depth.filter(|d| d.is_finite()) {
        description.push_str(&format!("，震源深度 {d:.1} km"));
    }
    if p.tsunami == Some(1) {
        description.push_str("，有海啸预警信息");
    }
    description.push('。');
    if let Some(url) = &p.url {
        description.push_str(&format!(" {url}"));
    }
    Ok(NewIncident {
        title,
        class: IncidentClass::NaturalDisaster,
        grade: grade_for_magnitude(mag),
        lon,
        lat,
        source: SOURCE.to_owned(),
        description: Some(description),
        address: place,
        external_id: Some(id),
        occurred_at: Some(occurred_at),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feature(id: &str, props: &str, coords: &str) -> String {
        format!(
            r#"{{"type":"Feature","id":"{id}","properties":{props},"geometry":{{"type":"Point","coordinates":{coords}}}}}"#
        )
    }

    fn collection(features: &[String]) -> String {
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            features.join(",")
        )
    }

    #[test]
    fn grade_mapping() {
        assert_eq!(grade_for_magnitude(7.3), Grade::I);
        assert_eq!(grade_for_magnitude(7.0), Grade::I);
        assert_eq!(grade_for_magnitude(6.4), Grade::II);
        assert_eq!(grade_for_magnitude(5.0), Grade::III);
        assert_eq!(grade_for_magnitude(4.99), Grade::IV);
        assert_eq!(grade_for_magnitude(-0.8), Grade::IV);
    }

    #[test]
    fn a_feature_becomes_an_incident() {
        let json = collection(&[feature(
            "hv70116556",
            r#"{"mag":4.6,"place":"10km SSW of Volcano, Hawaii","time":1517966773840,"magType":"ml","tsunami":0}"#,
            "[-155.27, 19.33, 2.1]",
        )]);
        let q = parse_earthquakes(&json).unwrap();
        assert_eq!(q.skipped, 0);
        let inc = &q.incidents[0];
        assert_eq!(inc.title, "M4.6 地震 — 10km SSW of Volcano, Hawaii");
        assert_eq!(inc.class, IncidentClass::NaturalDisaster);
        assert_eq!(inc.grade, Grade::IV);
        assert_eq!(inc.source, "usgs");
        assert_eq!(inc.external_id.as_deref(), Some("hv70116556"));
        assert_eq!(inc.address.as_deref(), Some("10km SSW of Volcano, Hawaii"));
        assert_eq!((inc.lon, inc.lat), (-155.27, 19.33));
        assert_eq!(inc.occurred_at.unwrap().timestamp_millis(), 1517966773840);
        assert!(inc.description.as_deref().unwrap().contains("2.1 km"));
    }

    #[test]
    fn unusable_features_are_skipped_and_counted() {
        let ok = r#"{"mag":2.0,"place":"x","time":1517966773840}"#;
        let json = collection(&[
            feature("a", ok, "[1.0, 2.0, 3.0]"),
            feature("no-mag", r#"{"mag":null,"place":"x","time":1517966773840}"#, "[1.0, 2.0]"),
            feature("no-mag-2", r#"{"place":"x","time":1517966773840}"#, "[1.0, 2.0]"),
            feature("no-time", r#"{"mag":1.0,"place":"x"}"#, "[1.0, 2.0]"),
            feature("str-mag", r#"{"mag":"big","place":"x","time":1}"#, "[1.0, 2.0]"),
            feature("bad-lat", ok, "[1.0, 200.0]"),
            feature("null-lon", ok, "[null, 2.0]"),
            feature("short", ok, "[1.0]"),
            r#"{"type":"Feature","properties":{"mag":1.0,"time":1},"geometry":{"type":"Point","coordinates":[1,2]}}"#
                .to_owned(),
            r#"{"type":"Feature","id":"no-geom","properties":{"mag":1.0,"time":1}}"#.to_owned(),
            "42".to_owned(),
            feature("b", r#"{"mag":5.5,"time":1517966000000}"#, "[1.0, 2.0]"),
        ]);
        let q = parse_earthquakes(&json).unwrap();
        assert_eq!(q.skipped, 10);
        let ids: Vec<_> = q
            .incidents
            .iter()
            .map(|i| i.external_id.clone().unwrap())
            .collect();
        assert_eq!(ids, ["b", "a"], "kept, oldest first");
        assert_eq!(
            q.incidents[0].title, "M5.5 地震 — 2.00, 1.00",
            "no place text: coordinates instead"
        );
        assert_eq!(q.incidents[0].grade, Grade::III);
    }

    #[test]
    fn malformed_json_is_an_error_not_a_panic() {
        for bad in [
            "",
            "{",
            "[]",
            r#"{"features": 3}"#,
            r#"{"features":[{"mag": NaN}]}"#,
            "\u{0}",
        ] {
            assert!(
                matches!(parse_earthquakes(bad), Err(QuakeError::Json(_))),
                "{bad:?}"
            );
        }
        assert!(matches!(
            load_earthquakes(Path::new("/nonexistent.json")),
            Err(QuakeError::Io { .. })
        ));
    }

    /// The real feed from the vega-datasets npm package (`cargo xtask data` puts it in `data/cache/`).
    #[test]
    fn real_usgs_feed() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/cache/earthquakes.json");
        assert!(
            path.is_file(),
            "{} is missing: run `cargo xtask data` first",
            path.display()
        );
        let q = load_earthquakes(&path).unwrap();
        assert_eq!(q.skipped, 0);
        assert_eq!(q.incidents.len(), 1707);
        assert!(q
            .incidents
            .windows(2)
            .all(|w| w[0].occurred_at <= w[1].occurred_at));
        let count = |g| q.incidents.iter().filter(|i| i.grade == g).count();
        assert_eq!(
            (
                count(Grade::I),
                count(Grade::II),
                count(Grade::III),
                count(Grade::IV)
            ),
            (0, 5, 34, 1668)
        );
        let mut ids: Vec<_> = q
            .incidents
            .iter()
            .map(|i| i.external_id.as_deref().unwrap())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 1707, "USGS ids are unique");
        let first = q
            .incidents
            .iter()
            .find(|i| i.external_id.as_deref() == Some("ci37868143"))
            .unwrap();
        assert_eq!(first.title, "M2.0 地震 — 4km W of Castaic, CA");
        assert_eq!((first.lon, first.lat), (-118.6671667, 34.4945));
    }
}
