//! Test fixtures shared by the UI's unit tests.

use chrono::Utc;
use citydeck_protocol::ipc::{CityInfo, CockpitSnapshot, ConnectionInfo, ConnectionState, Summary};
use citydeck_protocol::{Incident, ModeState};

/// An online snapshot of central Helsinki with `incidents` and `mode`, nobody signed in, an empty outbox.
pub fn snapshot(incidents: Vec<Incident>, mode: ModeState) -> CockpitSnapshot {
    CockpitSnapshot {
        city: CityInfo {
            name_zh: "赫尔辛基".into(),
            name_en: "Helsinki".into(),
            center: [24.94, 60.17],
            bbox: [24.93, 60.16, 24.95, 60.18],
        },
        connection: ConnectionInfo {
            state: ConnectionState::Online,
            hub: "embedded".into(),
            last_seq: 1,
            last_sync_at: None,
            hub_head: None,
        },
        incidents,
        summary: Summary::default(),
        mode,
        proposals: Vec::new(),
        me: None,
        focus: None,
        outbox: Default::default(),
        outbox_open: Vec::new(),
        outbox_applied: Vec::new(),
        conflicts: Vec::new(),
        bundle: Default::default(),
        generated_at: Utc::now(),
    }
}

/// An open grade-II accident in central Helsinki, reported now, with a new id.
pub fn incident(title: &str) -> Incident {
    use citydeck_protocol::{GeoPoint, Grade, IncidentClass, Stage};
    let now = Utc::now();
    Incident {
        id: uuid::Uuid::now_v7(),
        title: title.into(),
        class: IncidentClass::Accident,
        grade: Grade::II,
        location: GeoPoint {
            lon: 24.94,
            lat: 60.17,
        },
        source: "test".into(),
        status: Stage::Collected,
        description: None,
        address: None,
        external_id: None,
        occurred_at: now,
        created_at: now,
        updated_at: now,
        created_by: "operator".into(),
        seq: 1,
        assignee: None,
        acknowledged_by: Vec::new(),
        notes: Vec::new(),
    }
}
