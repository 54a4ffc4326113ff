//! Desktop settings: environment first, then `<data dir>/settings.json`, then defaults.
//!
//! | env | settings.json | meaning |
//! |---|---|---|
//! | `CITYDECK_HUB_URL` | `hub_url` | hub to sync with; unset → embedded hub + simulator |
//! | `CITYDECK_USER` / `CITYDECK_PASSWORD` | `username` / `password` | account (default `leader` / demo password) |
//! | `CITYDECK_DATA_DIR` | — | where the cache (and the embedded hub's database) live |
//! | `CITYDECK_CITY` | `city` | the city file (default `data/city/liechtenstein.toml` of the source tree; `data/city/helsinki.toml` is the other demo city): the simulator's places, the facilities, the map's view, basemap and districts |
//! | `CITYDECK_SIM_RATE` | `sim_rate` | embedded simulator rate, incidents/s (default 0.5; 0 = off) |
//! | `CITYDECK_SCREEN` | `screen` | this screen's name for mode acknowledgements (default `desktop-<host>`) |
//! | `CITYDECK_EXERCISE` | `exercise` | `1`: the embedded hub runs a drill on its own database (EXERCISE watermark) |
//! | `CITYDECK_MAP_MBTILES` | `map_mbtiles` | the offline basemap served on `citydeck-map:` (default: the city file's `[data] basemap`) |
//! | `CITYDECK_MAP_ASSETS` | `map_assets` | the map's glyphs and districts (default `data/cache/map` of the source tree); the districts are the city file's `[data] areas` when it names them |
//! | `CITYDECK_SCENARIO` | `scenario` | the scenario pack (`data/scenarios/*.toml` id) whose vital-sign panels the wall shows by default (default `overview`; the header's selector picks another) |
//! | `CITYDECK_BUNDLE` | `bundle` | a field bundle (离线包) folder to start from: its cache is installed if this desktop has none as new, its hub is the hub when none is set, and its basemap is the map when none is set |

use std::path::PathBuf;

use anyhow::Context;
use serde::Deserialize;

#[derive(Debug, Clone)]
pub struct Settings {
    pub hub_url: Option<String>,
    pub username: String,
    pub password: String,
    pub data_dir: PathBuf,
    pub city_file: PathBuf,
    pub sim_rate: f64,
    pub screen: String,
    /// Embedded hub only: run a drill (its own `embedded-exercise.sqlite`, never the real one).
    pub exercise: bool,
    /// A field bundle to start from.
    pub bundle: Option<PathBuf>,
    /// The scenario whose vital signs the wall shows by default.
    pub scenario: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    hub_url: Option<String>,
    username: Option<String>,
    password: Option<String>,
    city: Option<PathBuf>,
    sim_rate: Option<f64>,
    screen: Option<String>,
    exercise: Option<bool>,
    map_mbtiles: Option<PathBuf>,
    map_assets: Option<PathBuf>,
    bundle: Option<PathBuf>,
    scenario: Option<String>,
}

/// Where the offline map comes from (read by the `citydeck-map` protocol on its first request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapSettings {
    pub mbtiles: PathBuf,
    pub assets: PathBuf,
    /// Served as the districts instead of the asset folder's: the city's areas file (`None` for a city
    /// without areas, and when a field bundle brings the map, districts included).
    pub districts: Option<PathBuf>,
}

impl MapSettings {
    pub fn load() -> anyhow::Result<MapSettings> {
        let data_dir = env("CITYDECK_DATA_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(default_data_dir);
        let file = read_file_settings(&data_dir)?;
        let bundle = env("CITYDECK_BUNDLE").map(PathBuf::from).or(file.bundle.clone());
        let city_file = city_file(&file);
        let city = || {
            citydeck_sim::CityConfig::load(&city_file)
                .with_context(|| format!("city file {}", city_file.display()))
        };
        let from_bundle = |part: &str| bundle.as_ref().map(|b| b.join(part));
        let mbtiles = match env("CITYDECK_MAP_MBTILES")
            .map(PathBuf::from)
            .or(file.map_mbtiles)
            .or_else(|| from_bundle(citydeck_bundle::BASEMAP))
        {
            Some(p) => p,
            None => city()?.data.basemap.with_context(|| {
                format!(
                    "the city file {} names no [data] basemap (set CITYDECK_MAP_MBTILES)",
                    city_file.display()
                )
            })?,
        };
        let bundle_assets =
            env("CITYDECK_MAP_ASSETS").is_none() && file.map_assets.is_none() && bundle.is_some();
        let assets = env("CITYDECK_MAP_ASSETS")
            .map(PathBuf::from)
            .or(file.map_assets)
            .or_else(|| from_bundle(citydeck_bundle::MAP_ASSETS))
            .unwrap_or_else(|| source_data_dir().join("cache").join("map"));
        let districts = if bundle_assets { None } else { city()?.data.areas };
        Ok(MapSettings {
            mbtiles,
            assets,
            districts,
        })
    }
}

/// The city file: `CITYDECK_CITY`, else `city` of settings.json, else the source tree's default demo city.
fn city_file(file: &FileSettings) -> PathBuf {
    env("CITYDECK_CITY")
        .map(PathBuf::from)
        .or_else(|| file.city.clone())
        .unwrap_or_else(|| source_data_dir().join("city").join(DEFAULT_CITY))
}

/// The default demo city, in the source tree's `data/city/`.
pub const DEFAULT_CITY: &str = "liechtenstein.toml";

fn read_file_settings(data_dir: &std::path::Path) -> anyhow::Result<FileSettings> {
    let file_path = data_dir.join("settings.json");
    match std::fs::read_to_string(&file_path) {
        Ok(text) => serde_json::from_str(&text).with_context(|| format!("reading {}", file_path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(FileSettings::default()),
        Err(e) => Err(e).with_context(|| format!("reading {}", file_path.display())),
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn default_data_dir() -> PathBuf {
    if let Some(d) = env("XDG_DATA_HOME") {
        return PathBuf::from(d).join("citydeck");
    }
    match env("HOME") {
        Some(h) => PathBuf::from(h).join(".local/share/citydeck"),
        None => std::env::temp_dir().join("citydeck"),
    }
}

/// The source tree's `data/` folder (the demo build runs from the tree).
fn source_data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("data")
}

impl Settings {
    pub fn load() -> anyhow::Result<Settings> {
        let data_dir = env("CITYDECK_DATA_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(default_data_dir);
        std::fs::create_dir_all(&data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
        let file = read_file_settings(&data_dir)?;
        let city_file = city_file(&file);
        let sim_rate = match env("CITYDECK_SIM_RATE") {
            Some(s) => s
                .parse()
                .with_context(|| format!("CITYDECK_SIM_RATE={s:?} is not a number"))?,
            None => file.sim_rate.unwrap_or(0.5),
        };
        let host = std::fs::read_to_string("/etc/hostname")
            .ok()
            .or_else(|| env("HOSTNAME"))
            .unwrap_or_default();
        let screen = env("CITYDECK_SCREEN")
            .or(file.screen)
            .unwrap_or_else(|| format!("desktop-{}", host.trim()));
        // The hub accepts 1-64 of A-Z a-z 0-9 - _ .
        let screen: String = screen
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                    c
                } else {
                    '-'
                }
            })
            .take(64)
            .collect();
        let exercise = match env("CITYDECK_EXERCISE").as_deref() {
            Some("1" | "true" | "yes") => true,
            Some("0" | "false" | "no") => false,
            Some(other) => anyhow::bail!("CITYDECK_EXERCISE={other:?}: use 1 or 0"),
            None => file.exercise.unwrap_or(false),
        };
        Ok(Settings {
            scenario: env("CITYDECK_SCENARIO")
                .or(file.scenario)
                .map(|s| s.trim().to_string())
                .unwrap_or_else(|| citydeck_desktop::vitals::DEFAULT_SCENARIO.to_string()),
            bundle: env("CITYDECK_BUNDLE").map(PathBuf::from).or(file.bundle),
            exercise,
            screen,
            hub_url: env("CITYDECK_HUB_URL").or(file.hub_url),
            username: env("CITYDECK_USER")
                .or(file.username)
                .unwrap_or_else(|| "leader".into()),
            password: env("CITYDECK_PASSWORD")
                .or(file.password)
                .unwrap_or_else(citydeck_hub::auth::demo_password),
            data_dir,
            city_file,
            sim_rate,
        })
    }
}
