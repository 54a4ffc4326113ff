//! City configuration: everything that makes the demo city *Liechtenstein* (or *Helsinki*) rather than another
//! one is data in a TOML file (`data/city/<city>.toml`), never code.
//!
//! **Paths.** Every path in a city file's `[data]` is relative to the folder holding the city file (an absolute
//! path is taken as it is). [`CityConfig::load`] resolves them, so `data.osm_pbf` & co. of a loaded city are
//! ready to open, whatever the working directory. A city file and its data can thus be moved together: the
//! committed `data/city/*.toml` name `../cache/…`, and the city file `cargo xtask city --out DIR` writes beside
//! its areas and basemap names them by their file names.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Why a city file could not be used. Every variant names the file; `Invalid` also names the field at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read city config {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("city config {path} is not valid TOML for a city: {source}")]
    Parse {
        path: PathBuf,
        #[source]
        source: toml::de::Error,
    },
    #[error("city config {path}: field `{field}` {reason}")]
    Invalid {
        path: PathBuf,
        field: &'static str,
        reason: String,
    },
}

/// A city's names in the languages the UI shows.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CityName {
    /// The name in the city's own language ("Helsinki").
    pub local: String,
    /// Simplified Chinese ("赫尔辛基"); the UI's default language.
    pub zh: String,
    pub en: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LonLat {
    pub lon: f64,
    pub lat: f64,
}

/// A WGS84 bounding box.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BBox {
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
}

impl BBox {
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        lon >= self.min_lon && lon <= self.max_lon && lat >= self.min_lat && lat <= self.max_lat
    }

    /// The nearest point inside the box.
    pub fn clamp(&self, lon: f64, lat: f64) -> (f64, f64) {
        (
            lon.clamp(self.min_lon, self.max_lon),
            lat.clamp(self.min_lat, self.max_lat),
        )
    }
}

/// Data files, relative to the city file's folder (see the module docs); resolved by [`CityConfig::load`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataFiles {
    /// OpenStreetMap extract (`.osm.pbf`) covering `bbox`.
    pub osm_pbf: PathBuf,
    /// A USGS GeoJSON earthquake feed to replay among the city's own incidents. Optional.
    #[serde(default)]
    pub earthquakes: Option<PathBuf>,
    /// The city's administrative areas (`areas.geojson` written by `cargo xtask city`: districts and streets).
    /// Optional: a city without it has no official areas.
    #[serde(default)]
    pub areas: Option<PathBuf>,
    /// The simulator's incident templates. Optional: by default the shipped `data/city/templates.toml`.
    #[serde(default)]
    pub templates: Option<PathBuf>,
    /// The offline basemap (MBTiles, `cargo xtask basemap` of `osm_pbf`) the desktop's map shows. Optional: the
    /// desktop then falls back to its map setting.
    #[serde(default)]
    pub basemap: Option<PathBuf>,
    /// The scenario packs' folder (城市运行数字体征: `data/scenarios`), loaded by the embedded hub. Optional: a
    /// city without it has no vital signs.
    #[serde(default)]
    pub scenarios: Option<PathBuf>,
    /// The real series the packs' indicators replay (`cargo xtask data` fills `data/cache/series`). Optional:
    /// without it the simulator posts no readings.
    #[serde(default)]
    pub series: Option<PathBuf>,
}

impl DataFiles {
    /// Every path made relative to `dir` (absolute ones stay as they are).
    fn resolve(&mut self, dir: &Path) {
        let at = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = dir.join(&*p);
            }
        };
        at(&mut self.osm_pbf);
        for p in [
            &mut self.earthquakes,
            &mut self.areas,
            &mut self.templates,
            &mut self.basemap,
            &mut self.scenarios,
            &mut self.series,
        ]
        .into_iter()
        .flatten()
        {
            at(p);
        }
    }
}

/// How `cargo xtask data` builds the city's `data.areas` from its extract (`citydeck-city --city FILE`), and
/// the areas' names in the UI's languages.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreaSettings {
    /// The `admin_level` of the districts' `boundary=administrative` relations.
    pub district_level: u8,
    /// The `admin_level` of the streets' (the level below the districts), if the city has them.
    #[serde(default)]
    pub street_level: Option<u8>,
    /// Names of areas in the UI's languages, by the area's OSM `name` (its local-script name); written into
    /// the areas file as `name_zh` / `name_en`, over what OSM has.
    #[serde(default)]
    pub names: BTreeMap<String, AreaName>,
}

/// An area's name in the UI's languages, where known.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreaName {
    #[serde(default)]
    pub zh: Option<String>,
    #[serde(default)]
    pub en: Option<String>,
}

/// What the city file says about the extract's places.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaceSettings {
    /// Names for places, by OSM element — `n<id>` a node, `w<id>` a way, `r<id>` a relation (as
    /// openstreetmap.org/node/<id>) — taken over the element's own `name`: for a place the extract has without
    /// a name (a place without one is left out, so a city's only police station would have no team).
    #[serde(default)]
    pub names: BTreeMap<String, String>,
}

/// An OSM element as `[places.names]` keys it: `n<id>`, `w<id>` or `r<id>` (a positive id).
pub fn parse_osm_element(key: &str) -> Option<(crate::places::Shape, i64)> {
    use crate::places::Shape;
    let shape = match key.as_bytes().first()? {
        b'n' => Shape::Node,
        b'w' => Shape::Way,
        b'r' => Shape::Relation,
        _ => return None,
    };
    let digits = &key[1..];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.starts_with('0') {
        return None;
    }
    Some((shape, digits.parse().ok()?))
}

/// Simulator defaults for this city (the command line may override rate and seed).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimSettings {
    /// Incidents per second.
    #[serde(default = "default_rate")]
    pub rate: f64,
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// One replayed earthquake per this many incidents (0 = no earthquakes).
    #[serde(default = "default_quake_every")]
    pub quake_every: u32,
    /// Maximum distance, in metres, an operator incident is moved away from its place (so that incidents at the
    /// same place do not sit exactly on top of each other).
    #[serde(default = "default_jitter_m")]
    pub jitter_m: f64,
}

fn default_rate() -> f64 {
    1.0
}
fn default_seed() -> u64 {
    2024
}
fn default_quake_every() -> u32 {
    5
}
fn default_jitter_m() -> f64 {
    40.0
}

impl Default for SimSettings {
    fn default() -> Self {
        SimSettings {
            rate: default_rate(),
            seed: default_seed(),
            quake_every: default_quake_every(),
            jitter_m: default_jitter_m(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CityConfig {
    /// Short machine id ("helsinki").
    pub id: String,
    pub name: CityName,
    /// IANA time zone, for display.
    #[serde(default)]
    pub timezone: Option<String>,
    /// Where the map opens.
    pub centre: LonLat,
    /// Initial map zoom.
    #[serde(default = "default_zoom")]
    pub zoom: f64,
    /// The area the city's data covers; every generated city incident lies inside it.
    pub bbox: BBox,
    pub data: DataFiles,
    /// How the city's administrative areas are built and named (a city without official areas has none).
    #[serde(default)]
    pub areas: Option<AreaSettings>,
    /// Names for places the extract has without one (`[places.names]`).
    #[serde(default)]
    pub places: PlaceSettings,
    #[serde(default)]
    pub sim: SimSettings,
    /// The city's departments (`[[departments]]`, issue 24): read by the hub (`citydeck-hub --city`), checked
    /// here by `domain::departments` too; [`CityConfig::departments`] gives them.
    #[serde(default)]
    pub departments: Option<toml::Value>,
    /// The closed loop's stage limits (`[deadlines]`): read by the hub, checked here by `domain::stage_clock`.
    #[serde(default)]
    pub deadlines: Option<toml::Table>,
    /// The GeoJSON feeds the hub takes (`[[feeds]]`, issue 22): read and checked by the hub
    /// (`ingest::geojson`); the simulator posts the replayed USGS week to the one named `usgs`.
    #[serde(default)]
    pub feeds: Option<toml::Value>,
}

fn default_zoom() -> f64 {
    13.0
}

impl CityConfig {
    /// Reads and validates a city file; its `[data]` paths come back resolved against the file's folder.
    pub fn load(path: impl AsRef<Path>) -> Result<CityConfig, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.into(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses and validates city TOML as the file at `path` (named in errors; relative `[data]` paths are
    /// resolved against its folder).
    pub fn parse(text: &str, path: &Path) -> Result<CityConfig, ConfigError> {
        let mut cfg: CityConfig = toml::from_str(text).map_err(|source| ConfigError::Parse {
            path: path.into(),
            source,
        })?;
        cfg.validate(path)?;
        cfg.data.resolve(path.parent().unwrap_or(Path::new("")));
        Ok(cfg)
    }

    /// The city's departments (none when the file declares none). Checked on load, so never an error here.
    pub fn departments(&self) -> Vec<citydeck_domain::departments::Department> {
        citydeck_domain::departments::parse(self.departments.as_ref()).unwrap_or_default()
    }

    /// The zh / en names of the area whose local name is `local`, where the city file gives them.
    pub fn area_name(&self, local: &str) -> Option<&AreaName> {
        self.areas.as_ref().and_then(|a| a.names.get(local))
    }

    fn validate(&self, path: &Path) -> Result<(), ConfigError> {
        let bad = |field: &'static str, reason: String| ConfigError::Invalid {
            path: path.into(),
            field,
            reason,
        };
        if self.id.trim().is_empty() {
            return Err(bad("id", "must not be empty".into()));
        }
        for (field, v) in [
            ("name.local", &self.name.local),
            ("name.zh", &self.name.zh),
            ("name.en", &self.name.en),
        ] {
            if v.trim().is_empty() {
                return Err(bad(field, "must not be empty".into()));
            }
        }
        let b = &self.bbox;
        for (field, v, lim) in [
            ("bbox.min_lon", b.min_lon, 180.0),
            ("bbox.max_lon", b.max_lon, 180.0),
            ("bbox.min_lat", b.min_lat, 90.0),
            ("bbox.max_lat", b.max_lat, 90.0),
            ("centre.lon", self.centre.lon, 180.0),
            ("centre.lat", self.centre.lat, 90.0),
        ] {
            if !v.is_finite() || v.abs() > lim {
                return Err(bad(field, format!("must be a number within ±{lim}, got {v}")));
            }
        }
        if b.min_lon >= b.max_lon {
            return Err(bad(
                "bbox.min_lon",
                format!("must be less than bbox.max_lon ({} >= {})", b.min_lon, b.max_lon),
            ));
        }
        if b.min_lat >= b.max_lat {
            return Err(bad(
                "bbox.min_lat",
                format!("must be less than bbox.max_lat ({} >= {})", b.min_lat, b.max_lat),
            ));
        }
        if !b.contains(self.centre.lon, self.centre.lat) {
            return Err(bad(
                "centre",
                format!("({}, {}) lies outside bbox", self.centre.lon, self.centre.lat),
            ));
        }
        if !(0.0..=22.0).contains(&self.zoom) {
            return Err(bad("zoom", format!("must be within 0..=22, got {}", self.zoom)));
        }
        if self.data.osm_pbf.as_os_str().is_empty() {
            return Err(bad("data.osm_pbf", "must not be empty".into()));
        }
        if let Some(a) = &self.areas {
            if self.data.areas.is_none() {
                return Err(bad(
                    "areas",
                    "needs `data.areas`, the file the areas are built into".into(),
                ));
            }
            if a.street_level.is_some_and(|s| s <= a.district_level) {
                return Err(bad(
                    "areas.street_level",
                    format!("must be above areas.district_level ({})", a.district_level),
                ));
            }
            for (local, n) in &a.names {
                if local.trim().is_empty()
                    || [&n.zh, &n.en].into_iter().flatten().any(|v| v.trim().is_empty())
                {
                    return Err(bad("areas.names", format!("{local:?}: names must not be empty")));
                }
            }
        }
        citydeck_domain::departments::parse(self.departments.as_ref())
            .map_err(|e| bad("departments", e.to_string()))?;
        if let Some(t) = &self.deadlines {
            citydeck_domain::stage_clock::StageLimits::from_table("deadlines", t)
                .map_err(|e| bad("deadlines", e.to_string()))?;
        }
        for (key, name) in &self.places.names {
            if parse_osm_element(key).is_none() {
                return Err(bad(
                    "places.names",
                    format!("{key:?}: must be an OSM element, n<id>, w<id> or r<id>"),
                ));
            }
            if name.trim().is_empty() || name.trim() != name {
                return Err(bad(
                    "places.names",
                    format!("{key:?}: the name must not be empty or start or end with a space"),
                ));
            }
        }
        if !(self.sim.rate.is_finite() && self.sim.rate > 0.0) {
            return Err(bad(
                "sim.rate",
                format!(
                    "must be a positive number of incidents per second, got {}",
                    self.sim.rate
                ),
            ));
        }
        if !(self.sim.jitter_m.is_finite() && self.sim.jitter_m >= 0.0) {
            return Err(bad(
                "sim.jitter_m",
                format!(
                    "must be a non-negative number of metres, got {}",
                    self.sim.jitter_m
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const GOOD: &str = r#"
id = "testville"
timezone = "Europe/Helsinki"
[name]
local = "Testikylä"
zh = "测试村"
en = "Testville"
[centre]
lon = 24.94
lat = 60.17
[bbox]
min_lon = 24.90
min_lat = 60.15
max_lon = 24.98
max_lat = 60.19
[data]
osm_pbf = "t.osm.pbf"
"#;

    fn parse(s: &str) -> Result<CityConfig, ConfigError> {
        CityConfig::parse(s, Path::new("test.toml"))
    }

    #[test]
    fn minimal_config_gets_defaults() {
        let c = parse(GOOD).unwrap();
        assert_eq!(c.name.zh, "测试村");
        assert_eq!(c.sim, SimSettings::default());
        assert_eq!(c.data.earthquakes, None);
        assert_eq!(c.data.areas, None, "a city file without areas still loads");
        assert_eq!(c.zoom, 13.0);
    }

    #[test]
    fn shipped_helsinki_config_loads() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/city");
        let path = dir.join("helsinki.toml");
        let c = CityConfig::load(&path).unwrap();
        assert_eq!(c.id, "helsinki");
        assert_eq!(c.name.local, "Helsinki");
        assert_eq!(c.name.zh, "赫尔辛基");
        assert_eq!(c.name.en, "Helsinki");
        assert!(c.bbox.contains(c.centre.lon, c.centre.lat));
        assert!(c.data.earthquakes.is_some());
        // the data paths come back resolved against the city file's folder
        assert_eq!(c.data.osm_pbf, dir.join("../cache/Helsinki.osm.pbf"));
        assert_eq!(
            c.data.basemap.as_deref(),
            Some(dir.join("../cache/helsinki.mbtiles").as_path())
        );
        assert_eq!(c.data.areas, None, "no boundary closes in the Helsinki extract");
        assert_eq!(c.areas, None);
    }

    #[test]
    fn shipped_liechtenstein_config_loads_with_named_areas() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/city");
        let c = CityConfig::load(dir.join("liechtenstein.toml")).unwrap();
        assert_eq!(c.id, "liechtenstein");
        assert_eq!(
            (c.name.local.as_str(), c.name.zh.as_str(), c.name.en.as_str()),
            ("Liechtenstein", "列支敦士登", "Liechtenstein")
        );
        assert_eq!(c.timezone.as_deref(), Some("Europe/Vaduz"));
        // Vaduz, inside the extract's bounding box
        assert!(c.bbox.contains(c.centre.lon, c.centre.lat));
        assert!((c.centre.lon - 9.52).abs() < 0.01 && (c.centre.lat - 47.14).abs() < 0.01);
        assert_eq!(
            c.data.osm_pbf,
            dir.join("../cache/liechtenstein-2013-08-03.osm.pbf")
        );
        assert_eq!(
            c.data.areas.as_deref(),
            Some(dir.join("../cache/liechtenstein/areas.geojson").as_path())
        );
        let packs = c.data.scenarios.as_deref().expect("the shipped scenario packs");
        assert_eq!(packs, dir.join("../scenarios"));
        assert!(
            packs.join("lifeline.toml").is_file(),
            "the folder the embedded hub loads"
        );
        assert_eq!(
            c.data.basemap.as_deref(),
            Some(dir.join("../cache/liechtenstein/basemap.mbtiles").as_path())
        );
        assert_eq!(c.data.earthquakes, None);
        assert_eq!(c.sim.quake_every, 0);
        let areas = c.areas.as_ref().unwrap();
        assert_eq!((areas.district_level, areas.street_level), (6, Some(8)));
        assert_eq!(areas.names.len(), 2 + 11);
        assert!(areas.names.values().all(|n| n.zh.is_some() && n.en.is_some()));
        assert_eq!(c.area_name("Vaduz").and_then(|n| n.zh.as_deref()), Some("瓦杜兹"));
        assert_eq!(
            c.area_name("Wahlkreis Oberland").and_then(|n| n.en.as_deref()),
            Some("Oberland")
        );
        assert_eq!(c.area_name("Feldkirch"), None);
        // the police station the extract has without a name
        assert_eq!(
            c.places.names.get("n37949").map(String::as_str),
            Some("Landespolizei")
        );
    }

    #[test]
    fn data_paths_are_relative_to_the_city_file_and_absolute_ones_stay() {
        let text = format!(
            "{}\nareas = \"areas/areas.geojson\"\nbasemap = \"/srv/maps/t.mbtiles\"\nearthquakes = \"../q.json\"\n",
            GOOD.trim_end()
        );
        let c = CityConfig::parse(&text, Path::new("/cities/testville/city.toml")).unwrap();
        assert_eq!(c.data.osm_pbf, Path::new("/cities/testville/t.osm.pbf"));
        assert_eq!(
            c.data.areas.as_deref(),
            Some(Path::new("/cities/testville/areas/areas.geojson"))
        );
        assert_eq!(
            c.data.earthquakes.as_deref(),
            Some(Path::new("/cities/testville/../q.json"))
        );
        assert_eq!(c.data.basemap.as_deref(), Some(Path::new("/srv/maps/t.mbtiles")));

        // a city folder moved elsewhere still finds its files, whatever the working directory
        let dir = tempfile::tempdir().unwrap();
        let moved = dir.path().join("moved");
        std::fs::create_dir_all(&moved).unwrap();
        std::fs::write(moved.join("city.toml"), GOOD).unwrap();
        std::fs::write(moved.join("t.osm.pbf"), b"x").unwrap();
        let c = CityConfig::load(moved.join("city.toml")).unwrap();
        assert!(c.data.osm_pbf.is_file(), "{}", c.data.osm_pbf.display());
    }

    #[test]
    fn area_settings_are_checked() {
        let with_areas =
            |areas: &str| format!("{}\nareas = \"a.geojson\"\n[areas]\n{areas}\n", GOOD.trim_end());
        let c = parse(&with_areas(
            "district_level = 6\n[areas.names]\n\"Vaduz\" = { zh = \"瓦杜兹\" }",
        ))
        .unwrap();
        let vaduz = c.area_name("Vaduz").unwrap();
        assert_eq!((vaduz.zh.as_deref(), vaduz.en.as_deref()), (Some("瓦杜兹"), None));
        let cases = [
            (
                GOOD.replace("[data]", "[areas]\ndistrict_level = 6\n[data]"),
                "areas",
            ),
            (
                with_areas("district_level = 8\nstreet_level = 6"),
                "areas.street_level",
            ),
            (
                with_areas("district_level = 6\n[areas.names]\n\"Vaduz\" = { zh = \" \" }"),
                "areas.names",
            ),
        ];
        for (text, field) in cases {
            match parse(&text) {
                Err(ConfigError::Invalid { field: f, .. }) => assert_eq!(f, field, "{text}"),
                other => panic!("expected Invalid({field}), got {other:?}"),
            }
        }
    }

    #[test]
    fn place_names_are_keyed_by_osm_element_and_checked() {
        use crate::places::Shape;
        let with_names = |names: &str| format!("{}\n[places.names]\n{names}\n", GOOD.trim_end());
        let c = parse(&with_names("\"n37949\" = \"Landespolizei\"\n\"w12\" = \"Way\"")).unwrap();
        assert_eq!(c.places.names.len(), 2);
        assert_eq!(c.places.names["n37949"], "Landespolizei");
        assert_eq!(parse(GOOD).unwrap().places, PlaceSettings::default());
        assert_eq!(parse_osm_element("n37949"), Some((Shape::Node, 37949)));
        assert_eq!(parse_osm_element("w1"), Some((Shape::Way, 1)));
        assert_eq!(parse_osm_element("r49"), Some((Shape::Relation, 49)));
        for bad in [
            "",
            "n",
            "x1",
            "n0",
            "n01",
            "n-1",
            "n1a",
            "N1",
            " n1",
            "n99999999999999999999",
        ] {
            assert_eq!(parse_osm_element(bad), None, "{bad:?}");
        }
        for (names, words) in [
            (
                "\"37949\" = \"Landespolizei\"",
                "\"37949\": must be an OSM element",
            ),
            ("\"n1\" = \" \"", "\"n1\": the name must not be empty"),
            (
                "\"n1\" = \" Polizei\"",
                "\"n1\": the name must not be empty or start",
            ),
        ] {
            match parse(&with_names(names)) {
                Err(
                    e @ ConfigError::Invalid {
                        field: "places.names",
                        ..
                    },
                ) => {
                    assert!(e.to_string().contains(words), "{e}")
                }
                other => panic!("{names}: expected Invalid(places.names), got {other:?}"),
            }
        }
        // unknown keys in [places] are refused
        let text = format!("{}\n[places]\nnmes = {{}}\n", GOOD.trim_end());
        assert!(matches!(parse(&text), Err(ConfigError::Parse { .. })));
    }

    #[test]
    fn missing_file_is_io_error_naming_the_path() {
        let err = CityConfig::load("/nonexistent/city.toml").unwrap_err();
        assert!(matches!(err, ConfigError::Io { .. }));
        assert!(err.to_string().contains("/nonexistent/city.toml"), "{err}");
    }

    #[test]
    fn bad_toml_and_missing_fields_are_parse_errors() {
        let err = parse("id = ").unwrap_err();
        assert!(matches!(err, ConfigError::Parse { .. }), "{err}");
        let err = parse(&GOOD.replace("[centre]\nlon = 24.94\nlat = 60.17\n", "")).unwrap_err();
        assert!(matches!(err, ConfigError::Parse { .. }));
        assert!(err.to_string().contains("centre"), "{err}");
        let err = parse(&format!("{GOOD}\n[sim]\nrat = 2.0\n")).unwrap_err();
        assert!(
            err.to_string().contains("rat"),
            "unknown field should be named: {err}"
        );
    }

    #[test]
    fn invalid_values_name_the_field() {
        let cases = [
            (GOOD.replace("min_lon = 24.90", "min_lon = 25.90"), "bbox.min_lon"),
            (GOOD.replace("lat = 60.17", "lat = 61.17"), "centre"),
            (GOOD.replace("lon = 24.94", "lon = 240.94"), "centre.lon"),
            (format!("{GOOD}\n[sim]\nrate = 0.0\n"), "sim.rate"),
            (format!("{GOOD}\n[sim]\nrate = nan\n"), "sim.rate"),
            (format!("{GOOD}\n[sim]\njitter_m = -1.0\n"), "sim.jitter_m"),
            (GOOD.replace("zh = \"测试村\"", "zh = \" \""), "name.zh"),
        ];
        for (text, field) in cases {
            match parse(&text) {
                Err(ConfigError::Invalid { field: f, .. }) => assert_eq!(f, field),
                other => panic!("expected Invalid({field}), got {other:?}"),
            }
        }
    }
}
