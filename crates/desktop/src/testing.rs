//! Test fixtures: a cache holding given incidents.

use chrono::{DateTime, Utc};
use citydeck_protocol::fixtures::{self, new_incident};
use citydeck_protocol::{Event, EventBody, Incident, Op, PushResult, Refusal, Stage};
use citydeck_store::Cache;
use uuid::Uuid;

pub fn now() -> DateTime<Utc> {
    fixtures::t0()
}

/// Incident number `n` (id and seq `n`) at `status`, in Helsinki's centre, reported ten minutes ago.
pub fn incident(n: u64, status: Stage) -> Incident {
    fixtures::incident(n)
        .status(status)
        .ago(chrono::Duration::seconds(600))
        .build()
}

/// An in-memory cache that received `incidents` from the hub, in order (each its own event, seqs from 1).
pub fn cache_with(incidents: Vec<Incident>) -> Cache {
    let mut c = Cache::open_in_memory().unwrap();
    let events: Vec<Event> = incidents
        .into_iter()
        .enumerate()
        .map(|(i, incident)| Event {
            server_seq: i as u64 + 1,
            at: incident.created_at,
            actor: "operator".into(),
            body: EventBody::IncidentCreated { incident },
        })
        .collect();
    c.apply_events(&events, now()).unwrap();
    c
}

/// A new incident created here with client-chosen id `id`.
pub fn create(id: Uuid) -> Op {
    fixtures::create(id, new_incident())
}

/// The hub rejects pending action `op_id` with `refusal`.
pub fn reject(c: &mut Cache, op_id: Uuid, refusal: &Refusal) {
    c.settle(&[PushResult::rejected(op_id, refusal)], now()).unwrap();
}

pub fn stale(current: Stage, seen: Stage) -> Refusal {
    Refusal::StaleStage { current, seen }
}
