//! The city's response teams and where they are.
//!
//! Teams are stationed at the city's response facilities (a rescue crew per fire station, an ambulance per
//! hospital, a medical team per clinic, a patrol car per police station). Who is where is never stored apart:
//! a team is *dispatched* while an open incident is assigned to it (交办) and *on scene* while that incident is
//! being handled (处置); otherwise it is available at its station. So every desktop derives the same picture
//! from the hub's log ([`positions`]).

use std::collections::HashMap;

use citydeck_protocol::ipc::MapResource;
use citydeck_protocol::{Incident, IncidentClass, Stage};

use crate::resources::{Facility, FacilityKind};

/// A response team or vehicle.
#[derive(Clone, Debug, PartialEq)]
pub struct Team {
    /// Stable id; incidents are assigned to it (`Incident::assignee`).
    pub id: String,
    pub name: String,
    /// `team` | `vehicle`.
    pub kind: &'static str,
    /// `rescue` | `medical` | `police`.
    pub group: &'static str,
    /// Its station.
    pub lon: f64,
    pub lat: f64,
}

/// The teams of a city: one per fire station, hospital, clinic and police station, in the facilities' order
/// (deterministic: every desktop and the dispatcher name the same teams).
pub fn roster(facilities: &[Facility]) -> Vec<Team> {
    let mut seen = HashMap::<String, usize>::new();
    facilities
        .iter()
        .filter_map(|p| {
            let (group, kind, prefix, suffix) = match p.kind {
                FacilityKind::FireStation => ("rescue", "vehicle", "rescue", "救援队"),
                FacilityKind::Hospital => ("medical", "vehicle", "ambulance", "救护车"),
                FacilityKind::Clinic => ("medical", "team", "medic", "医疗队"),
                FacilityKind::PoliceStation => ("police", "vehicle", "patrol", "巡逻车"),
                _ => return None,
            };
            let n = seen.entry(format!("{prefix}-{}", slug(&p.name))).or_default();
            *n += 1;
            Some(Team {
                id: format!("{prefix}-{}-{n}", slug(&p.name)),
                name: format!("{} {suffix}", p.name),
                kind,
                group,
                lon: p.lon,
                lat: p.lat,
            })
        })
        .collect()
}

fn slug(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    s.split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// Which team group answers an incident class first.
pub fn group_for(class: IncidentClass) -> &'static str {
    match class {
        IncidentClass::PublicHealth => "medical",
        IncidentClass::SocialSecurity => "police",
        IncidentClass::NaturalDisaster | IncidentClass::Accident => "rescue",
    }
}

/// Where every team is and what it is doing, from the incidents it is assigned to (open ones only). A team
/// assigned to several open incidents follows the most recently changed one.
pub fn positions(teams: &[Team], incidents: &[Incident]) -> Vec<MapResource> {
    let mut by_team: HashMap<&str, &Incident> = HashMap::new();
    for i in incidents.iter().filter(|i| i.status != Stage::Closed) {
        if let Some(a) = i.assignee.as_deref() {
            let e = by_team.entry(a).or_insert(i);
            if i.seq > e.seq {
                *e = i;
            }
        }
    }
    teams
        .iter()
        .map(|t| {
            let job = by_team.get(t.id.as_str()).copied();
            let halfway = |i: &Incident| ((t.lon + i.location.lon) / 2.0, (t.lat + i.location.lat) / 2.0);
            let (status, (lon, lat)) = match job {
                None => ("available", (t.lon, t.lat)),
                Some(i) => match i.status {
                    // On the way: drawn halfway between the station and the scene.
                    Stage::Collected | Stage::Identified | Stage::Assigned => ("dispatched", halfway(i)),
                    Stage::Handling | Stage::Supervised => ("on_scene", (i.location.lon, i.location.lat)),
                    Stage::Feedback => ("returning", halfway(i)),
                    Stage::Closed => ("available", (t.lon, t.lat)),
                },
            };
            MapResource {
                id: t.id.clone(),
                name: t.name.clone(),
                kind: t.kind.to_string(),
                group: t.group.to_string(),
                status: status.to_string(),
                lon,
                lat,
                incident_id: job.map(|i| i.id),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use citydeck_protocol::fixtures;

    fn place(name: &str, kind: &str, lon: f64, lat: f64) -> Option<Facility> {
        Facility::of_place(name, kind, lon, lat)
    }

    fn incident(n: u64, class: IncidentClass, status: Stage, now: DateTime<Utc>) -> Incident {
        fixtures::incident(n)
            .class(class)
            .status(status)
            .lon_lat(24.95, 60.17)
            .at(now)
            .build()
    }

    fn city() -> Vec<Team> {
        let f: Vec<Facility> = [
            place("Erottajan paloasema", "fire_station", 24.944, 60.165),
            place("Far Fire", "fire_station", 25.10, 60.30),
            place("Hospital", "hospital", 24.93, 60.18),
            place("Police", "police_station", 24.94, 60.17),
            place("Cafe", "restaurant", 24.94, 60.17),
            place("Metro", "metro_station", 24.94, 60.17),
        ]
        .into_iter()
        .flatten()
        .collect();
        roster(&f)
    }

    #[test]
    fn one_team_per_response_facility_with_stable_ids() {
        let teams = city();
        let ids: Vec<&str> = teams.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "rescue-erottajan-paloasema-1",
                "rescue-far-fire-1",
                "ambulance-hospital-1",
                "patrol-police-1"
            ]
        );
        assert_eq!(teams[0].name, "Erottajan paloasema 救援队");
        assert_eq!(teams, city(), "deterministic");
    }

    #[test]
    fn positions_follow_the_assigned_incident() {
        let now = Utc::now();
        let teams = city();
        let mut on_scene = incident(1, IncidentClass::Accident, Stage::Handling, now);
        on_scene.assignee = Some("rescue-erottajan-paloasema-1".into());
        let mut done = incident(2, IncidentClass::PublicHealth, Stage::Closed, now);
        done.assignee = Some("ambulance-hospital-1".into());
        let r = positions(&teams, &[on_scene.clone(), done]);
        assert_eq!(r.len(), 4);
        assert_eq!(r[0].status, "on_scene");
        assert_eq!((r[0].lon, r[0].lat), (24.95, 60.17));
        assert_eq!(r[0].incident_id, Some(on_scene.id));
        assert_eq!(r[2].status, "available", "its incident is closed");
        assert_eq!((r[2].lon, r[2].lat), (24.93, 60.18));
        assert_eq!(r[2].incident_id, None);
    }

    #[test]
    fn dispatched_teams_are_halfway_and_the_newest_job_wins() {
        let now = Utc::now();
        let teams = city();
        let mut older = incident(3, IncidentClass::Accident, Stage::Handling, now);
        older.assignee = Some("rescue-far-fire-1".into());
        let mut newer = incident(4, IncidentClass::Accident, Stage::Assigned, now);
        newer.assignee = Some("rescue-far-fire-1".into());
        let r = positions(&teams, &[older, newer.clone()]);
        assert_eq!(r[1].status, "dispatched");
        assert_eq!(r[1].incident_id, Some(newer.id));
        assert!((r[1].lon - (25.10 + 24.95) / 2.0).abs() < 1e-9);
        assert!((r[1].lat - (60.30 + 60.17) / 2.0).abs() < 1e-9);
        assert_eq!(group_for(IncidentClass::PublicHealth), "medical");
        assert_eq!(group_for(IncidentClass::SocialSecurity), "police");
    }
}
