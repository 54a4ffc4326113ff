//! City configuration: everything that makes the demo city *Helsinki* rather than another one is data in a TOML
//! file (`data/city/<city>.toml`), never code.

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

/// Data files, relative to the data root (the repository's `data/cache/`, filled by `cargo xtask data`).
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
    #[serde(default)]
    pub sim: SimSettings,
}

fn default_zoom() -> f64 {
    13.0
}

impl CityConfig {
    /// Reads and validates a city file.
    pub fn load(path: impl AsRef<Path>) -> Result<CityConfig, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.into(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses and validates city TOML; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<CityConfig, ConfigError> {
        let cfg: CityConfig = toml::from_str(text).map_err(|source| ConfigError::Parse {
            path: path.into(),
            source,
        })?;
        cfg.validate(path)?;
        Ok(cfg)
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
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/city/helsinki.toml");
        let c = CityConfig::load(&path).unwrap();
        assert_eq!(c.id, "helsinki");
        assert_eq!(c.name.local, "Helsinki");
        assert_eq!(c.name.zh, "赫尔辛基");
        assert_eq!(c.name.en, "Helsinki");
        assert!(c.bbox.contains(c.centre.lon, c.centre.lat));
        assert!(c.data.earthquakes.is_some());
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
