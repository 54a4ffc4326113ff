//! Test fixtures shared by the UI's unit tests.

use chrono::Utc;
use citydeck_protocol::ipc::{CityInfo, CockpitSnapshot, ConnectionInfo, ConnectionState, Summary};
use citydeck_protocol::{fixtures, Incident, ModeState};

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
        area: None,
        area_measures: Vec::new(),
        departments: Vec::new(),
        overdue: Vec::new(),
        backlog: Vec::new(),
        alarms: Vec::new(),
        generated_at: Utc::now(),
    }
}

/// An open grade-II accident in central Helsinki, reported now, with a new id.
pub fn incident(title: &str) -> Incident {
    fixtures::incident(1)
        .id(uuid::Uuid::now_v7())
        .title(title)
        .grade(citydeck_protocol::Grade::II)
        .at(Utc::now())
        .build()
}

/// Incidents, outbox entries and snapshots for the tests of the pending overlay and the outbox's words.
pub mod outbox {
    use chrono::{DateTime, Utc};
    use citydeck_protocol::fixtures::{self, new_incident};
    use citydeck_protocol::ipc::{CockpitSnapshot, Me, OutboxCounts, OutboxEntry, OutboxState};
    use citydeck_protocol::{Grade, Incident, IncidentClass, ModeState, NewIncident, Op, Role, Stage};
    use uuid::Uuid;

    pub fn at(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + min * 60, 0).unwrap()
    }

    pub fn incident(n: u128, stage: Stage) -> Incident {
        fixtures::incident(n as u64)
            .grade(Grade::II)
            .status(stage)
            .at(at(0))
            .build()
    }

    pub fn entry(seq: u64, op: Op) -> OutboxEntry {
        OutboxEntry {
            code: None,
            args: None,
            client_seq: seq,
            op_id: Uuid::from_u128(1000 + u128::from(seq)),
            op,
            created_at: at(seq as i64),
            state: OutboxState::Pending,
            reason: None,
            conflict: false,
            server_seq: None,
        }
    }

    pub fn stage(n: u128, from: Option<Stage>, to: Stage) -> Op {
        Op::ChangeStage {
            incident_id: Uuid::from_u128(n),
            from,
            to,
        }
    }

    pub fn note(n: u128, text: &str, photo: Option<&str>) -> Op {
        Op::AddNote {
            incident_id: Uuid::from_u128(n),
            text: text.into(),
            photo_ref: photo.map(String::from),
        }
    }

    pub fn create(n: u128, title: &str) -> Op {
        fixtures::create(
            Uuid::from_u128(n),
            NewIncident {
                title: title.into(),
                class: IncidentClass::NaturalDisaster,
                grade: Grade::III,
                lon: 24.95,
                lat: 60.18,
                source: "指挥舱上报".into(),
                address: Some("Hakaniemi".into()),
                ..new_incident()
            },
        )
    }

    pub fn snap(incidents: Vec<Incident>, open: Vec<OutboxEntry>) -> CockpitSnapshot {
        let mut s = crate::fixtures::snapshot(incidents, ModeState::initial());
        s.city.bbox = [24.9, 60.15, 24.99, 60.19];
        s.me = Some(Me {
            username: "field1".into(),
            role: Role::Field,
            screen: "tablet".into(),
        });
        s.outbox = OutboxCounts {
            pending: open.iter().filter(|e| e.state == OutboxState::Pending).count() as u64,
            rejected: open.iter().filter(|e| e.state == OutboxState::Rejected).count() as u64,
        };
        s.outbox_open = open;
        s.generated_at = at(10);
        s
    }
}
