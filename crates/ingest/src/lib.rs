//! Many sources in (issue 22): what arrives from outside the city's own desktops, read, checked and mapped to
//! incidents. Pure: bytes in, values out; no I/O, no clock, no network (an alert's DOCTYPE, entities or
//! XIncludes are refused, never fetched).
//!
//! - [`cap`]: OASIS CAP 1.2 alerts, parsed and checked against the schema's and the specification's rules,
//!   errors naming the element (`info[0].certainty`).
//! - [`map`]: a checked alert as incidents: class, grade, title, place and outline, and the record the
//!   incident keeps (the mapping tables are in its documentation).
//! - [`geojson`]: the feeds a city file declares (`[[feeds]]`) and a posted FeatureCollection as incidents by
//!   one of them, a bad feature named (`features[7].geometry`).

pub mod cap;
pub mod geojson;
pub mod map;

pub use cap::{parse, Alert, CapError};

/// An incident's outline: closed rings of `[lon, lat]`.
pub type Outline = Vec<Vec<[f64; 2]>>;
