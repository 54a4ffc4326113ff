//! The desktop's sync engine.
//!
//! [`HubClient`] (from `citydeck-client`) speaks the hub's HTTP contract. [`SyncEngine`] keeps a
//! [`citydeck_store::Cache`] converging on the hub's log: pull pages from the last applied `server_seq` until
//! caught up, then follow the live WebSocket stream; on any failure, back off (exponential with jitter, capped) and start again from the cache's
//! `last_seq`, so a hub restart or a network cut loses and duplicates nothing.

pub mod engine;

/// The hub's HTTP client lives in `citydeck-client` (the simulator uses it without the cache); re-exported here.
pub use citydeck_client as client;
pub use citydeck_client::{ClientError, Credentials, HubClient, ModeSwitch};
pub use engine::{Backoff, SyncEngine, SyncHandle};
