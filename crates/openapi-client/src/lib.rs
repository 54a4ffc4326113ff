//! A typed client of the citydeck hub's HTTP API, generated at build time by [progenitor] from the hub's own
//! OpenAPI document (`openapi.json` in this crate, kept identical to what `GET /api/v1/openapi.json` serves by a
//! hub test). It proves that a consumer can be generated from the document; the desktop's sync engine keeps its
//! hand-written client (`citydeck-sync`), which also speaks the WebSocket stream.
//!
//! [progenitor]: https://github.com/oxidecomputer/progenitor

#![allow(clippy::all, unused_imports, dead_code, missing_docs)]

include!(concat!(env!("OUT_DIR"), "/client.rs"));
