//! The demo city's duty dispatcher, which drives incidents round the closed loop.
//!
//! The teams themselves, and where they are, are product rules (`citydeck_domain::teams`): this module only
//! plays the duty operator who moves incidents along 采集→识别→交办→处置→反馈→结案 ([`plan`],
//! [`run_dispatcher`]) through the hub's ordinary `push` API.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use citydeck_domain::departments::{self, Department};
use citydeck_domain::resources::distance_m;
pub use citydeck_domain::teams::{group_for, roster, Team};
use citydeck_protocol::{Incident, Op, PushOp, Stage};

/// How long an incident stays in a stage before the demo dispatcher moves it on.
#[derive(Clone, Debug)]
pub struct Pace {
    pub identify_after: chrono::Duration,
    pub dispatch_after: chrono::Duration,
    pub arrive_after: chrono::Duration,
    pub handle_for: chrono::Duration,
    pub close_after: chrono::Duration,
}

impl Pace {
    /// How long `incident` takes to handle: `handle_for` scaled by 0.5 … 2.95 by its id (deterministic), so
    /// some cases outlast their stage's limit and the demo city has 督办 to show.
    pub fn handling_time(&self, incident: uuid::Uuid) -> chrono::Duration {
        let percent = 50 + (incident.as_u128() % 8) as i32 * 35;
        self.handle_for * percent / 100
    }
}

impl Default for Pace {
    fn default() -> Self {
        Pace {
            identify_after: chrono::Duration::seconds(20),
            dispatch_after: chrono::Duration::seconds(40),
            arrive_after: chrono::Duration::seconds(60),
            handle_for: chrono::Duration::seconds(150),
            close_after: chrono::Duration::seconds(60),
        }
    }
}

/// The dispatcher's next actions for the open `incidents` at `now`: each incident that has been long enough in
/// its stage moves one stage on (handling takes [`Pace::handling_time`]). 交办: an identified incident is assigned to the nearest available team of the
/// group its class needs, and routed to the department that team belongs to (else the department its class
/// goes to, `domain::departments::for_class`). With no free team, a city with departments still routes it to
/// its department, whose duty desk (`<department>-duty`) takes it — so the loop keeps pace and the department's
/// backlog grows instead of 识别; a city without departments lets it wait, unassigned. Every stage change
/// names the stage it saw (`from`), so a change someone else made meanwhile is a conflict on the hub, never
/// overwritten.
pub fn plan(
    now: DateTime<Utc>,
    incidents: &[Incident],
    teams: &[Team],
    departments: &[Department],
    pace: &Pace,
) -> Vec<Op> {
    let mut busy: HashSet<&str> = incidents
        .iter()
        .filter(|i| i.status != Stage::Closed)
        .filter_map(|i| i.assignee.as_deref())
        .collect();
    let mut ops = Vec::new();
    let mut open: Vec<&Incident> = incidents.iter().filter(|i| i.status != Stage::Closed).collect();
    // Most urgent first: grade I before IV, then oldest.
    open.sort_by_key(|i| (std::cmp::Reverse(i.grade), i.created_at));
    for i in open {
        let waited = now - i.updated_at;
        let stage = |to| Op::ChangeStage {
            incident_id: i.id,
            from: Some(i.status),
            to,
        };
        match i.status {
            Stage::Collected if waited >= pace.identify_after => ops.push(stage(Stage::Identified)),
            Stage::Identified if waited >= pace.dispatch_after => {
                let group = group_for(i.class);
                let nearest = teams
                    .iter()
                    .filter(|t| t.group == group && !busy.contains(t.id.as_str()))
                    .min_by(|a, b| {
                        distance_m(a.lon, a.lat, i.location.lon, i.location.lat).total_cmp(&distance_m(
                            b.lon,
                            b.lat,
                            i.location.lon,
                            i.location.lat,
                        ))
                    });
                let routed = departments::of_team_group(departments, group)
                    .filter(|d| d.kinds.contains(&i.class))
                    .or_else(|| departments::for_class(departments, i.class))
                    .or_else(|| departments::of_team_group(departments, group));
                let assignee = match (nearest, routed) {
                    (Some(t), _) => {
                        busy.insert(t.id.as_str());
                        Some(t.id.clone())
                    }
                    (None, Some(d)) => Some(format!("{}-duty", d.id)),
                    (None, None) => None,
                };
                if let Some(assignee) = assignee {
                    ops.push(Op::Assign {
                        incident_id: i.id,
                        assignee,
                        department: routed.map(|d| d.id.clone()),
                    });
                    ops.push(stage(Stage::Assigned));
                }
            }
            Stage::Assigned if waited >= pace.arrive_after => ops.push(stage(Stage::Handling)),
            Stage::Handling if waited >= pace.handling_time(i.id) => ops.push(stage(Stage::Feedback)),
            Stage::Feedback | Stage::Supervised if waited >= pace.close_after => {
                ops.push(stage(Stage::Closed))
            }
            _ => {}
        }
    }
    ops
}

/// Runs the duty dispatcher against the hub until the future is dropped: every `every`, read the open
/// incidents, [`plan`], push the actions (as client `client_id`). Errors are logged and retried next round.
pub async fn run_dispatcher(
    client: &citydeck_client::HubClient,
    teams: Vec<Team>,
    departments: Vec<Department>,
    pace: Pace,
    every: Duration,
) {
    let client_id = uuid::Uuid::now_v7();
    let mut seq = 0u64;
    loop {
        tokio::time::sleep(every).await;
        let incidents = match client.incidents(2_000).await {
            Ok(i) => i,
            Err(e) => {
                tracing::debug!(error = %e, "dispatcher: cannot read incidents");
                continue;
            }
        };
        let ops = plan(Utc::now(), &incidents, &teams, &departments, &pace);
        if ops.is_empty() {
            continue;
        }
        let batch: Vec<PushOp> = ops
            .into_iter()
            .map(|op| {
                seq += 1;
                PushOp {
                    op_id: uuid::Uuid::now_v7(),
                    client_seq: seq,
                    op,
                }
            })
            .collect();
        if let Err(e) = client.push(client_id, &batch).await {
            tracing::debug!(error = %e, "dispatcher: push failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::places::{Place, PlaceKind};
    use citydeck_protocol::{fixtures, IncidentClass};

    fn place(name: &str, kind: PlaceKind, lon: f64, lat: f64) -> Place {
        Place {
            name: name.into(),
            kind,
            lon,
            lat,
        }
    }

    fn incident(n: u64, class: IncidentClass, status: Stage, age_s: i64, now: DateTime<Utc>) -> Incident {
        fixtures::incident(n)
            .class(class)
            .status(status)
            .lon_lat(24.95, 60.17)
            .at(now - chrono::Duration::seconds(age_s))
            .build()
    }

    fn city() -> Vec<Team> {
        roster(&crate::places::facilities(&[
            place("Erottajan paloasema", PlaceKind::FireStation, 24.944, 60.165),
            place("Far Fire", PlaceKind::FireStation, 25.10, 60.30),
            place("Hospital", PlaceKind::Hospital, 24.93, 60.18),
            place("Police", PlaceKind::PoliceStation, 24.94, 60.17),
            place("Cafe", PlaceKind::Restaurant, 24.94, 60.17),
        ]))
    }

    #[test]
    fn the_loop_goes_one_stage_at_a_time_and_waits_its_turn() {
        let now = Utc::now();
        let teams = city();
        let pace = Pace::default();
        let fresh = incident(1, IncidentClass::Accident, Stage::Collected, 5, now);
        let old = incident(2, IncidentClass::Accident, Stage::Collected, 30, now);
        let ops = plan(now, &[fresh, old.clone()], &teams, &[], &pace);
        assert_eq!(
            ops,
            vec![Op::ChangeStage {
                incident_id: old.id,
                from: Some(Stage::Collected),
                to: Stage::Identified
            }]
        );
        let handled = incident(3, IncidentClass::Accident, Stage::Handling, 450, now);
        let fed = incident(4, IncidentClass::Accident, Stage::Feedback, 61, now);
        let ops = plan(now, &[handled.clone(), fed.clone()], &teams, &[], &pace);
        assert!(ops.contains(&Op::ChangeStage {
            incident_id: handled.id,
            from: Some(Stage::Handling),
            to: Stage::Feedback
        }));
        assert!(ops.contains(&Op::ChangeStage {
            incident_id: fed.id,
            from: Some(Stage::Feedback),
            to: Stage::Closed
        }));
    }

    #[test]
    fn dispatch_takes_the_nearest_free_team_of_the_right_group() {
        let now = Utc::now();
        let teams = city();
        let pace = Pace::default();
        let mut busy = incident(1, IncidentClass::Accident, Stage::Handling, 1, now);
        busy.assignee = Some("rescue-erottajan-paloasema-1".into());
        let fire = incident(2, IncidentClass::Accident, Stage::Identified, 60, now);
        let sick = incident(3, IncidentClass::PublicHealth, Stage::Identified, 60, now);
        let ops = plan(now, &[busy, fire.clone(), sick.clone()], &teams, &[], &pace);
        assert!(
            ops.contains(&Op::Assign {
                incident_id: fire.id,
                assignee: "rescue-far-fire-1".into(),
                department: None,
            }),
            "{ops:?}"
        );
        assert!(ops.contains(&Op::Assign {
            incident_id: sick.id,
            assignee: "ambulance-hospital-1".into(),
            department: None,
        }));
        assert!(ops.contains(&Op::ChangeStage {
            incident_id: fire.id,
            from: Some(Stage::Identified),
            to: Stage::Assigned
        }));

        // No free rescue team left: the next accident waits unassigned.
        let mut all_busy = incident(4, IncidentClass::Accident, Stage::Assigned, 1, now);
        all_busy.assignee = Some("rescue-far-fire-1".into());
        let mut first = incident(1, IncidentClass::Accident, Stage::Handling, 1, now);
        first.assignee = Some("rescue-erottajan-paloasema-1".into());
        let waiting = incident(5, IncidentClass::Accident, Stage::Identified, 60, now);
        let (first2, all_busy2, waiting2) = (first.clone(), all_busy.clone(), waiting.clone());
        assert!(plan(now, &[first, all_busy, waiting], &teams, &[], &pace).is_empty());

        // With departments, the same accident goes to the department of the rescue teams, whose duty desk takes
        // it; a free team is routed with the department it belongs to.
        let t: toml::Table = r#"
[[departments]]
id = "emergency"
name = { zh = "应急管理局", en = "Emergency Management" }
kinds = ["natural_disaster", "accident"]

[[departments]]
id = "fire"
name = { zh = "消防救援支队", en = "Fire and Rescue" }
parent = "emergency"
kinds = ["accident"]
teams = ["rescue"]

[[departments]]
id = "health"
name = { zh = "卫健委", en = "Health Commission" }
kinds = ["public_health"]
teams = ["medical"]
"#
        .parse()
        .unwrap();
        let deps = departments::parse(t.get("departments")).unwrap();
        let ops = plan(now, &[first2, all_busy2, waiting2.clone()], &teams, &deps, &pace);
        assert_eq!(
            ops,
            vec![
                Op::Assign {
                    incident_id: waiting2.id,
                    assignee: "fire-duty".into(),
                    department: Some("fire".into()),
                },
                Op::ChangeStage {
                    incident_id: waiting2.id,
                    from: Some(Stage::Identified),
                    to: Stage::Assigned
                }
            ]
        );
        let sick = incident(6, IncidentClass::PublicHealth, Stage::Identified, 60, now);
        assert!(
            plan(now, std::slice::from_ref(&sick), &teams, &deps, &pace).contains(&Op::Assign {
                incident_id: sick.id,
                assignee: "ambulance-hospital-1".into(),
                department: Some("health".into()),
            })
        );
    }
}
