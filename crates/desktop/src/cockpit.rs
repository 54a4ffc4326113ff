//! What the cockpit draws, read from the cache: the snapshot and the map's delta.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use citydeck_domain::resources::{nearby, Facility};
use citydeck_domain::teams::{positions, Team};
use citydeck_protocol::ipc::{
    BundleState, CityInfo, CockpitSnapshot, Conflict, ConnectionInfo, MapDelta, Me, OutboxEntry, WartimeFocus,
};
use citydeck_protocol::{ModeKind, ModeState, Role, ServerSeq};
use citydeck_store::Cache;

use crate::Result;

/// How many open incidents the cockpit receives at most (newest first).
pub const SNAPSHOT_INCIDENTS: u32 = 500;
/// Outbox actions listed in the snapshot at most (the counts are exact).
pub const SNAPSHOT_OUTBOX: u32 = 200;
/// At most this many overdue incidents in the snapshot's 督办 list.
pub const SNAPSHOT_OVERDUE: u32 = 100;
/// Recently applied actions listed in the outbox drawer.
pub const SNAPSHOT_APPLIED: u32 = 20;
/// Nearby response resources listed per group (rescue, medical, shelter) around the wartime focus.
pub const NEARBY_PER_GROUP: usize = 3;
/// Sensor sites on the map (the most recently reporting).
pub const SENSOR_SITES: u32 = 500;
/// Open grade-I incidents read for the alarm at most (newest first): a city has a handful at a time.
pub const SNAPSHOT_GRADE_ONE: u32 = 200;

/// What the header calls the hub: "embedded" for this desktop's own hub on loopback (its port changes every
/// run and means nothing to the user), else the URL as configured.
pub fn hub_label(url: &str, embedded: bool) -> String {
    if embedded && url.starts_with("http://127.0.0.1") {
        "embedded".into()
    } else {
        url.to_string()
    }
}

/// The role this window works as: the one from this run's login (remembered in the cache when it changed),
/// else the one remembered from the last login of the same user (a window opened offline). None before any
/// login of this user.
pub fn remember_role(c: &Cache, username: &str, live: Option<Role>) -> Result<Option<Role>> {
    let stored = c.account()?;
    Ok(match live {
        Some(role) => {
            if stored.as_ref() != Some(&(username.to_string(), role)) {
                c.set_account(username, role)?;
            }
            Some(role)
        }
        None => stored.filter(|(u, _)| u == username).map(|(_, r)| r),
    })
}

/// In wartime, the focus: the first of the mode's triggering incidents the cache knows, with the response
/// facilities nearest to it (`per_group` of each group). None in peacetime or when none is known.
pub fn wartime_focus(
    c: &Cache,
    mode: &ModeState,
    facilities: &[Facility],
    per_group: usize,
) -> Result<Option<WartimeFocus>> {
    if mode.mode != ModeKind::Wartime {
        return Ok(None);
    }
    for id in &mode.incident_ids {
        if let Some(incident) = c.incident(&id.to_string())? {
            return Ok(Some(WartimeFocus {
                nearby: nearby(
                    facilities,
                    incident.location.lon,
                    incident.location.lat,
                    per_group,
                ),
                incident,
            }));
        }
    }
    Ok(None)
}

/// The conflict view: each rejected action among `open` that conflicts with someone else's change, with the
/// incident as the cache has it now (None when it does not know it).
pub fn conflicts(c: &Cache, open: &[OutboxEntry]) -> Result<Vec<Conflict>> {
    let mut out = Vec::new();
    for entry in open.iter().filter(|e| e.conflict) {
        let current = match citydeck_domain::ops::target(&entry.op) {
            Some(id) => c.incident(&id.to_string())?,
            None => None,
        };
        out.push(Conflict {
            entry: entry.clone(),
            current,
        });
    }
    Ok(out)
}

/// The open incidents that sound the grade-I alarm, from the whole cache (not only the area drilled into).
pub fn alarms(c: &Cache) -> Result<Vec<citydeck_protocol::Incident>> {
    let mut list = c.open_grade_one(SNAPSHOT_GRADE_ONE)?;
    list.retain(citydeck_domain::ops::alarming);
    Ok(list)
}

/// What the snapshot is made of besides the cache.
#[derive(Clone, Debug)]
pub struct SnapshotInputs {
    pub city: CityInfo,
    pub username: String,
    pub screen: String,
    /// The role of this run's login, if the hub answered one.
    pub live_role: Option<Role>,
    /// The sync engine's status.
    pub connection: ConnectionInfo,
    /// This desktop runs its own hub.
    pub embedded: bool,
    pub bundle: BundleState,
    pub facilities: Arc<Vec<Facility>>,
    /// The area the cockpit is drilled into (None: the whole city, or all a scoped cache holds).
    pub area: Option<String>,
    pub now: DateTime<Utc>,
}

/// Everything the cockpit draws, from the cache as of now.
pub fn snapshot(c: &Cache, i: SnapshotInputs) -> Result<CockpitSnapshot> {
    let role = remember_role(c, &i.username, i.live_role)?;
    let mode = c.mode()?;
    let focus = wartime_focus(c, &mode, &i.facilities, NEARBY_PER_GROUP)?;
    let outbox_open = c.outbox_open(SNAPSHOT_OUTBOX)?;
    let mut connection = i.connection;
    connection.hub = hub_label(&connection.hub, i.embedded);
    // An area the cache does not know (areas not fetched yet, another city's) filters nothing.
    let area = match i.area {
        Some(a) if c.has_area(&a)? => Some(a),
        _ => None,
    };
    Ok(CockpitSnapshot {
        city: i.city,
        connection,
        incidents: c.open_incidents_in(area.as_deref(), SNAPSHOT_INCIDENTS)?,
        summary: c.summary_in(area.as_deref(), i.now)?,
        area_measures: c.area_measures()?,
        departments: c.cached_departments()?,
        overdue: c.overdue_incidents(area.as_deref(), SNAPSHOT_OVERDUE)?,
        backlog: c.backlog(area.as_deref())?,
        alarms: alarms(c)?,
        area,
        proposals: c.pending_proposals(i.now)?,
        me: role.map(|role| Me {
            username: i.username,
            role,
            screen: i.screen,
        }),
        focus,
        outbox: c.outbox_counts()?,
        conflicts: conflicts(c, &outbox_open)?,
        outbox_open,
        outbox_applied: c.outbox_recent_applied(SNAPSHOT_APPLIED)?,
        bundle: i.bundle,
        mode,
        generated_at: i.now,
    })
}

/// What the map must change since it drew the cache as of `after`, with every team's position (derived from
/// the incident it is assigned to) and the sensor sites as of now.
pub fn map_delta(c: &Cache, after: ServerSeq, teams: &[Team]) -> Result<MapDelta> {
    let mut delta = c.map_delta(after)?;
    let ids: Vec<&str> = teams.iter().map(|t| t.id.as_str()).collect();
    delta.resources = positions(teams, &c.current_jobs(&ids)?);
    delta.sensors = c.sensor_sites(SENSOR_SITES)?;
    Ok(delta)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{cache_with, incident, now, reject, stale};
    use citydeck_protocol::ipc::ConnectionState;
    use citydeck_protocol::{Grade, Op, Stage};

    #[test]
    fn only_the_embedded_hub_on_loopback_is_masked() {
        assert_eq!(hub_label("http://127.0.0.1:41234", true), "embedded");
        assert_eq!(
            hub_label("http://127.0.0.1:8080", false),
            "http://127.0.0.1:8080",
            "a hub the user configured on loopback is shown as configured"
        );
        assert_eq!(hub_label("http://hub.city:8080", true), "http://hub.city:8080");
    }

    #[test]
    fn the_role_is_remembered_for_offline_starts_of_the_same_user() {
        let c = cache_with(vec![]);
        assert_eq!(remember_role(&c, "li", None).unwrap(), None, "never logged in");
        assert_eq!(
            remember_role(&c, "li", Some(Role::Commander)).unwrap(),
            Some(Role::Commander)
        );
        assert_eq!(c.account().unwrap(), Some(("li".into(), Role::Commander)));
        // Offline: the remembered role of the same user.
        assert_eq!(remember_role(&c, "li", None).unwrap(), Some(Role::Commander));
        // Another user offline gets nothing of li's.
        assert_eq!(remember_role(&c, "wang", None).unwrap(), None);
        // A changed role replaces the remembered one.
        assert_eq!(
            remember_role(&c, "li", Some(Role::Leader)).unwrap(),
            Some(Role::Leader)
        );
        assert_eq!(remember_role(&c, "li", None).unwrap(), Some(Role::Leader));
    }

    fn wartime(ids: Vec<uuid::Uuid>) -> ModeState {
        ModeState {
            mode: ModeKind::Wartime,
            level: Some(Grade::II),
            epoch: 1,
            incident_ids: ids,
            ..ModeState::initial()
        }
    }

    fn facilities() -> Vec<Facility> {
        [
            Facility::of_place("Kamppi fire", "fire_station", 24.931, 60.169),
            Facility::of_place("Far fire", "fire_station", 25.2, 60.3),
            Facility::of_place("Clinic", "clinic", 24.95, 60.17),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    #[test]
    fn the_focus_is_the_first_triggering_incident_the_cache_knows() {
        let mut far = incident(1, Stage::Handling);
        far.location.lon = 25.2;
        far.location.lat = 60.3;
        let near = incident(2, Stage::Assigned);
        let c = cache_with(vec![far.clone(), near.clone()]);
        let unknown = uuid::Uuid::from_u128(99);
        let f = wartime_focus(&c, &wartime(vec![unknown, near.id, far.id]), &facilities(), 1)
            .unwrap()
            .unwrap();
        assert_eq!(
            f.incident.id, near.id,
            "the unknown one is skipped, the order kept"
        );
        let names: Vec<&str> = f.nearby.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["Kamppi fire", "Clinic"], "one per group, nearest first");
        let f = wartime_focus(&c, &wartime(vec![far.id, near.id]), &facilities(), 1)
            .unwrap()
            .unwrap();
        assert_eq!(f.incident.id, far.id);
        assert_eq!(f.nearby[0].name, "Far fire");
        assert!(wartime_focus(&c, &wartime(vec![unknown]), &facilities(), 3)
            .unwrap()
            .is_none());
        let mut peace = wartime(vec![near.id]);
        peace.mode = ModeKind::Peacetime;
        assert!(wartime_focus(&c, &peace, &facilities(), 3).unwrap().is_none());
    }

    #[test]
    fn the_conflicts_list_pairs_each_conflicting_rejection_with_the_current_incident() {
        let inc = incident(1, Stage::Handling);
        let id = inc.id;
        let mut c = cache_with(vec![inc.clone()]);
        let stale_change = Op::ChangeStage {
            incident_id: id,
            from: Some(Stage::Assigned),
            to: Stage::Handling,
        };
        let unknown = Op::Acknowledge {
            incident_id: uuid::Uuid::from_u128(5),
        };
        let note = Op::AddNote {
            incident_id: id,
            text: "x".into(),
            photo_ref: None,
        };
        let ids: Vec<uuid::Uuid> = c
            .enqueue_batch(&[stale_change, unknown.clone(), note], now())
            .unwrap()
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        reject(&mut c, ids[0], &stale(Stage::Handling, Stage::Assigned));
        reject(&mut c, ids[1], &stale(Stage::Closed, Stage::Handling));
        reject(
            &mut c,
            ids[2],
            &citydeck_protocol::Refusal::NoteTooLong { max: 2000 },
        );
        let open = c.outbox_open(10).unwrap();
        assert_eq!(open.len(), 3);
        let list = conflicts(&c, &open).unwrap();
        assert_eq!(list.len(), 2, "the invalid note is no conflict");
        assert_eq!(list[0].entry.op_id, ids[0]);
        assert_eq!(list[0].current.as_ref().map(|i| i.status), Some(Stage::Handling));
        assert_eq!(list[1].entry.op, unknown);
        assert_eq!(list[1].current, None, "the cache does not know that incident");
    }

    fn inputs(embedded: bool, live_role: Option<Role>) -> SnapshotInputs {
        SnapshotInputs {
            city: CityInfo {
                name_zh: "赫尔辛基".into(),
                name_en: "Helsinki".into(),
                center: [24.94, 60.17],
                bbox: [24.9, 60.1, 25.0, 60.2],
            },
            username: "li".into(),
            screen: "hall-1".into(),
            live_role,
            connection: ConnectionInfo {
                state: ConnectionState::Online,
                hub: "http://127.0.0.1:5000".into(),
                last_seq: 1,
                last_sync_at: None,
                hub_head: None,
            },
            embedded,
            bundle: BundleState::default(),
            facilities: Arc::new(facilities()),
            area: None,
            now: now(),
        }
    }

    #[test]
    fn the_snapshot_masks_the_embedded_hub_and_carries_role_focus_and_conflicts() {
        let inc = incident(1, Stage::Handling);
        let mut c = cache_with(vec![inc.clone()]);
        c.adopt_mode(&wartime(vec![inc.id])).unwrap();
        let s = snapshot(&c, inputs(true, Some(Role::Commander))).unwrap();
        assert_eq!(s.connection.hub, "embedded");
        assert_eq!(
            s.me.as_ref().map(|m| (m.role, m.screen.as_str())),
            Some((Role::Commander, "hall-1"))
        );
        assert_eq!(s.focus.as_ref().map(|f| f.incident.id), Some(inc.id));
        assert_eq!(s.incidents.len(), 1);
        let offline = snapshot(&c, inputs(false, None)).unwrap();
        assert_eq!(offline.connection.hub, "http://127.0.0.1:5000");
        assert_eq!(offline.me.map(|m| m.role), Some(Role::Commander), "remembered");
        let op = c
            .enqueue(
                &Op::ChangeStage {
                    incident_id: inc.id,
                    from: Some(Stage::Assigned),
                    to: Stage::Handling,
                },
                now(),
            )
            .unwrap()
            .0;
        reject(&mut c, op, &stale(Stage::Handling, Stage::Assigned));
        let s = snapshot(&c, inputs(true, None)).unwrap();
        assert_eq!(s.outbox.rejected, 1);
        assert_eq!(s.conflicts.len(), 1);
        assert_eq!(s.conflicts[0].current.as_ref().map(|i| i.id), Some(inc.id));
    }

    #[test]
    fn the_snapshot_filters_the_panels_to_the_area_drilled_into_when_the_cache_knows_it() {
        let in_area = |n: u64, ids: &[&str]| {
            let mut i = incident(n, Stage::Handling);
            i.area_ids = ids.iter().map(|s| s.to_string()).collect();
            i
        };
        let mut c = cache_with(vec![
            in_area(1, &["city", "oberland", "vaduz"]),
            in_area(2, &["city", "unterland", "eschen"]),
            in_area(3, &[]),
        ]);
        let area = |id: &str, level, parent: Option<&str>| citydeck_protocol::AreaDetail {
            area: citydeck_protocol::AreaSummary {
                id: id.into(),
                name: id.into(),
                level,
                parent: parent.map(str::to_string),
                bbox: [9.5, 47.0, 9.6, 47.3],
                name_zh: None,
                name_en: None,
            },
            geometry: serde_json::json!({"type": "MultiPolygon", "coordinates": []}),
        };
        use citydeck_protocol::AreaLevel::{City, District, Street};
        c.replace_areas(&[
            area("city", City, None),
            area("oberland", District, Some("city")),
            area("vaduz", Street, Some("oberland")),
        ])
        .unwrap();
        let at = |a: Option<&str>| {
            let mut i = inputs(false, None);
            i.area = a.map(str::to_string);
            snapshot(&c, i).unwrap()
        };
        let whole = at(None);
        assert_eq!(
            (whole.incidents.len(), whole.summary.total_open, whole.area),
            (3, 3, None)
        );
        let oberland = at(Some("oberland"));
        assert_eq!(oberland.area.as_deref(), Some("oberland"));
        assert_eq!(oberland.incidents.len(), 1);
        assert_eq!(oberland.incidents[0].id, uuid::Uuid::from_u128(1));
        assert_eq!(oberland.summary.total_open, 1);
        let unknown = at(Some("atlantis"));
        assert_eq!(
            unknown.area, None,
            "an area the cache does not hold filters nothing"
        );
        assert_eq!(unknown.incidents.len(), 3);
        let measure = |id: &str| {
            whole
                .area_measures
                .iter()
                .find(|m| m.area_id == id)
                .map(|m| m.open)
        };
        assert_eq!(
            (measure("city"), measure("eschen"), measure("vaduz")),
            (Some(2), Some(1), Some(1))
        );
        assert_eq!(
            oberland.area_measures, whole.area_measures,
            "the map shades every area at every depth"
        );
    }

    #[test]
    fn the_snapshot_carries_the_departments_the_overdue_list_and_the_backlog_offline() {
        use citydeck_protocol::closed_loop::{DepartmentList, DepartmentView};
        use citydeck_protocol::fixtures;
        use citydeck_protocol::indicators::LocalizedName;
        let due = now() - chrono::Duration::minutes(5);
        let case = |n: u64| {
            fixtures::incident(n)
                .status(Stage::Handling)
                .title(format!("case {n}"))
        };
        let mut c = cache_with(vec![
            case(1).department("fire").due(due, true).build(),
            case(2)
                .department("fire")
                .due(due - chrono::Duration::minutes(1), true)
                .escalated(2, Some("command"))
                .build(),
            case(3)
                .department("police")
                .due(now() + chrono::Duration::minutes(5), false)
                .build(),
        ]);
        let dept = |id: &str, parent: Option<&str>| DepartmentView {
            id: id.into(),
            name: LocalizedName {
                zh: format!("{id}局"),
                en: id.into(),
            },
            parent: parent.map(str::to_owned),
            kinds: Vec::new(),
        };
        let list = DepartmentList {
            departments: vec![
                dept("command", None),
                dept("police", Some("command")),
                dept("fire", Some("command")),
            ],
        };
        c.store_departments(&list.departments, now()).unwrap();
        // the hub gone: the snapshot is the cache's alone
        let mut i = inputs(false, None);
        i.connection.state = ConnectionState::Offline {
            since: None,
            last_error: "connection refused".into(),
        };
        let s = snapshot(&c, i).unwrap();
        assert_eq!(s.departments, list.departments);
        let titles: Vec<&str> = s.overdue.iter().map(|i| i.title.as_str()).collect();
        assert_eq!(titles, ["case 2", "case 1"], "the escalated one first");
        let backlog: Vec<(Option<&str>, u64, u64, u64)> = s
            .backlog
            .iter()
            .map(|b| (b.department.as_deref(), b.open, b.overdue, b.escalated))
            .collect();
        assert_eq!(backlog, [(Some("police"), 1, 0, 0), (Some("fire"), 2, 2, 1)]);
    }

    #[test]
    fn the_map_delta_places_teams_at_their_jobs() {
        let fac = facilities();
        let teams = citydeck_domain::teams::roster(&fac);
        let mut job = incident(1, Stage::Handling);
        job.assignee = Some(teams[0].id.clone());
        let c = cache_with(vec![job.clone(), incident(2, Stage::Collected)]);
        let d = map_delta(&c, 0, &teams).unwrap();
        assert_eq!(d.upserts.len(), 2);
        assert_eq!(d.resources.len(), teams.len());
        assert_eq!(d.resources[0].status, "on_scene");
        assert_eq!(d.resources[0].incident_id, Some(job.id));
        assert_eq!(d.resources[1].status, "available");
    }

    #[test]
    fn alarms_are_the_unacknowledged_open_grade_one_incidents_of_the_whole_cache() {
        let one = |n: u64, status: Stage| {
            let mut i = incident(n, status);
            i.grade = Grade::I;
            i
        };
        let mut acked = one(3, Stage::Handling);
        acked.alarm_acknowledged = Some(citydeck_protocol::AlarmAck {
            by: "op".into(),
            at: now(),
        });
        let c = cache_with(vec![
            one(1, Stage::Collected),
            incident(2, Stage::Collected),
            acked,
            one(4, Stage::Closed),
        ]);
        let ids: Vec<u64> = alarms(&c).unwrap().iter().map(|i| i.seq).collect();
        assert_eq!(ids, vec![1], "grade I, open, not acknowledged");
    }
}
