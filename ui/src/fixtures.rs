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
