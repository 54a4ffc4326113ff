//! The desktop's sync engine.
//!
//! [`HubClient`] speaks the hub's HTTP/WebSocket contract. [`SyncEngine`] keeps a [`citydeck_store::Cache`]
//! converging on the hub's log: pull pages from the last applied `server_seq` until caught up, then follow the
//! live stream; on any failure, back off (exponential with jitter, capped) and start again from the cache's
//! `last_seq`, so a hub restart or a network cut loses and duplicates nothing.

pub mod client;
pub mod engine;

pub use client::{ClientError, Credentials, HubClient, ModeSwitch};
pub use engine::{Backoff, SyncEngine, SyncHandle};
