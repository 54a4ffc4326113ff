//! Test fixtures: a cache holding given incidents.

use chrono::{DateTime, Utc};
use citydeck_protocol::{
    Event, EventBody, GeoPoint, Grade, Incident, IncidentClass, NewIncident, Op, PushResult, Refusal, Stage,
};
use citydeck_store::Cache;
use uuid::Uuid;

pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap()
}

/// Incident number `n` (id and seq `n`) at `status`, in Helsinki's centre.
pub fn incident(n: u64, status: Stage) -> Incident {
    let t = now() - chrono::Duration::seconds(600);
    Incident {
        id: Uuid::from_u128(n as u128),
        title: format!("incident {n}"),
        class: IncidentClass::Accident,
        grade: Grade::III,
        location: GeoPoint {
            lon: 24.94,
            lat: 60.17,
        },
        source: "test".into(),
        status,
        description: None,
        address: None,
        external_id: None,
        occurred_at: t,
        created_at: t,
        updated_at: t,
        created_by: "operator".into(),
        seq: n,
        assignee: None,
        acknowledged_by: Vec::new(),
        notes: Vec::new(),
        area_ids: Vec::new(),
    }
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
    Op::CreateIncident {
        incident_id: Some(id),
        incident: NewIncident {
            title: "Kamppi 火情".into(),
            class: IncidentClass::Accident,
            grade: Grade::II,
            lon: 24.93,
            lat: 60.17,
            source: "operator".into(),
            description: None,
            address: None,
            external_id: None,
            occurred_at: None,
        },
    }
}

/// The hub rejects pending action `op_id` with `refusal`.
pub fn reject(c: &mut Cache, op_id: Uuid, refusal: &Refusal) {
    c.settle(&[PushResult::rejected(op_id, refusal)], now()).unwrap();
}

pub fn stale(current: Stage, seen: Stage) -> Refusal {
    Refusal::StaleStage { current, seen }
}
