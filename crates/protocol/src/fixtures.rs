//! Test builders of the wire types, for the tests of every crate (feature `test-fixtures`, enabled only as a
//! dev-dependency, never in a shipped build). One place to add a field: a test names only what it asserts on,
//! e.g. `incident(7).grade(Grade::I).status(Stage::Handling).build()`, or
//! `NewIncident { grade: Grade::IV, ..new_incident() }`.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::{GeoPoint, Grade, Incident, IncidentClass, NewIncident, Op, ServerSeq, Stage};

/// The fixtures' clock: 2027-01-15T08:00:00Z (1 800 000 000 s after the epoch).
pub fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).expect("a valid time")
}

/// Incident number `n` as the hub has it: id `Uuid::from_u128(n)`, `seq` `n`, titled `incident {n}`, an open
/// (采集) grade-III accident at Helsinki's centre (24.94, 60.17), reported by `operator` from source `test` at
/// [`t0`] (occurred, created and last changed then), in no area, nobody assigned, no acknowledgements or notes.
pub fn incident(n: u64) -> IncidentBuilder {
    IncidentBuilder(Incident {
        id: Uuid::from_u128(u128::from(n)),
        title: format!("incident {n}"),
        class: IncidentClass::Accident,
        grade: Grade::III,
        location: GeoPoint {
            lon: 24.94,
            lat: 60.17,
        },
        source: "test".into(),
        status: Stage::Collected,
        description: None,
        address: None,
        external_id: None,
        occurred_at: t0(),
        created_at: t0(),
        updated_at: t0(),
        created_by: "operator".into(),
        seq: n,
        assignee: None,
        acknowledged_by: Vec::new(),
        notes: Vec::new(),
        area_ids: Vec::new(),
        stage_entered_at: None,
        stage_due_at: None,
        overdue: false,
        department: None,
        escalation: None,
        evaluation: None,
        alarm_acknowledged: None,
        alert: None,
        outline: None,
        reports: Vec::new(),
        quality: Default::default(),
        verified: None,
    })
}

/// An [`Incident`] under construction; [`IncidentBuilder::build`] returns it.
#[derive(Clone, Debug)]
pub struct IncidentBuilder(Incident);

impl IncidentBuilder {
    pub fn id(mut self, id: Uuid) -> Self {
        self.0.id = id;
        self
    }

    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.0.title = title.into();
        self
    }

    pub fn class(mut self, class: IncidentClass) -> Self {
        self.0.class = class;
        self
    }

    pub fn grade(mut self, grade: Grade) -> Self {
        self.0.grade = grade;
        self
    }

    pub fn status(mut self, status: Stage) -> Self {
        self.0.status = status;
        self
    }

    pub fn lon_lat(mut self, lon: f64, lat: f64) -> Self {
        self.0.location = GeoPoint { lon, lat };
        self
    }

    pub fn source(mut self, source: impl Into<String>) -> Self {
        self.0.source = source.into();
        self
    }

    pub fn created_by(mut self, who: impl Into<String>) -> Self {
        self.0.created_by = who.into();
        self
    }

    /// Occurred, created and last changed at `t`.
    pub fn at(mut self, t: DateTime<Utc>) -> Self {
        (self.0.occurred_at, self.0.created_at, self.0.updated_at) = (t, t, t);
        self
    }

    /// Occurred, created and last changed `d` before [`t0`].
    pub fn ago(self, d: Duration) -> Self {
        self.at(t0() - d)
    }

    pub fn seq(mut self, seq: ServerSeq) -> Self {
        self.0.seq = seq;
        self
    }

    /// In these administrative areas (ids, the city's first).
    pub fn areas(mut self, ids: &[&str]) -> Self {
        self.0.area_ids = ids.iter().map(|id| id.to_string()).collect();
        self
    }

    pub fn assignee(mut self, who: impl Into<String>) -> Self {
        self.0.assignee = Some(who.into());
        self
    }

    /// Routed to department `id` (分流交办).
    pub fn department(mut self, id: impl Into<String>) -> Self {
        self.0.department = Some(id.into());
        self
    }

    /// Due to leave its stage at `at` (the closed loop's clock); `overdue` once the hub marked it past that.
    pub fn due(mut self, at: DateTime<Utc>, overdue: bool) -> Self {
        self.0.stage_due_at = Some(at);
        self.0.overdue = overdue;
        self
    }

    /// Escalated (督办升级) to `rung`, now answering to `department`.
    pub fn escalated(mut self, rung: u32, department: Option<&str>) -> Self {
        self.0.escalation = Some(crate::Escalation {
            rung,
            department: department.map(str::to_owned),
            area_id: None,
            at: self.0.stage_due_at.unwrap_or(self.0.updated_at),
        });
        self
    }

    pub fn build(self) -> Incident {
        self.0
    }
}

impl From<IncidentBuilder> for Incident {
    fn from(b: IncidentBuilder) -> Self {
        b.build()
    }
}

/// A valid report: a grade-II accident "Kamppi 火情" at (24.93, 60.17) from `operator`, nothing optional set.
/// Change fields with struct update: `NewIncident { grade: Grade::IV, ..new_incident() }`.
pub fn new_incident() -> NewIncident {
    NewIncident {
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
    }
}

/// This desktop reports `incident` with the client-chosen id `id`.
pub fn create(id: Uuid, incident: NewIncident) -> Op {
    Op::CreateIncident {
        incident_id: Some(id),
        incident,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builder_sets_what_it_is_told_and_defaults_the_rest() {
        let i = incident(3).build();
        assert_eq!(
            (i.id, i.seq, i.title.as_str()),
            (Uuid::from_u128(3), 3, "incident 3")
        );
        assert_eq!(
            (i.grade, i.class, i.status),
            (Grade::III, IncidentClass::Accident, Stage::Collected)
        );
        assert_eq!((i.occurred_at, i.created_at, i.updated_at), (t0(), t0(), t0()));
        let t = t0() - Duration::minutes(5);
        let j: Incident = incident(3)
            .grade(Grade::I)
            .status(Stage::Handling)
            .lon_lat(1.0, 2.0)
            .ago(Duration::minutes(5))
            .assignee("team-1")
            .into();
        assert_eq!((j.grade, j.status), (Grade::I, Stage::Handling));
        assert_eq!((j.location.lon, j.location.lat), (1.0, 2.0));
        assert_eq!((j.occurred_at, j.created_at, j.updated_at), (t, t, t));
        assert_eq!(j.assignee.as_deref(), Some("team-1"));
        let json = serde_json::to_value(new_incident()).unwrap();
        assert_eq!(json["grade"], "II");
        assert!(json.get("address").is_none());
    }
}
