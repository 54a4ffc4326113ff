//! The departments' cache and the 督办 / backlog queries (schema 11).

use chrono::{DateTime, Duration, Utc};
use citydeck_protocol::closed_loop::DepartmentView;
use citydeck_protocol::indicators::LocalizedName;
use citydeck_protocol::ipc::DepartmentBacklog;
use citydeck_protocol::{fixtures, Event, EventBody, Grade, Incident, IncidentClass, ServerSeq, Stage};

use crate::{latest_version, Cache, MIGRATIONS};

fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap()
}

fn dept(id: &str, parent: Option<&str>) -> DepartmentView {
    DepartmentView {
        id: id.into(),
        name: LocalizedName {
            zh: format!("{id}局"),
            en: format!("{id} bureau"),
        },
        parent: parent.map(str::to_owned),
        kinds: vec![IncidentClass::Accident],
    }
}

fn ev(seq: ServerSeq, inc: Incident) -> Event {
    Event {
        server_seq: seq,
        at: t0(),
        actor: "operator".into(),
        body: EventBody::IncidentUpdated { incident: inc },
    }
}

fn inc(n: u64) -> fixtures::IncidentBuilder {
    fixtures::incident(n)
        .title(format!("case {n}"))
        .class(IncidentClass::Accident)
        .grade(Grade::III)
        .status(Stage::Handling)
}

fn titles(list: &[Incident]) -> Vec<String> {
    list.iter().map(|i| i.title.clone()).collect()
}

#[test]
fn the_department_list_is_replaced_whole_and_kept_in_the_hubs_order() {
    let mut c = Cache::open_in_memory().unwrap();
    assert!(c.cached_departments().unwrap().is_empty());
    assert_eq!(c.departments_fetched_at().unwrap(), None);
    let first = vec![
        dept("command", None),
        dept("police", Some("command")),
        dept("fire", Some("command")),
    ];
    c.store_departments(&first, t0()).unwrap();
    assert_eq!(c.cached_departments().unwrap(), first);
    assert_eq!(c.departments_fetched_at().unwrap(), Some(t0()));

    // the hub drops police and reorders: the cache follows, nothing of the old list stays
    let second = vec![
        dept("command", None),
        dept("fire", Some("command")),
        dept("health", None),
    ];
    c.store_departments(&second, t0() + Duration::seconds(60))
        .unwrap();
    assert_eq!(c.cached_departments().unwrap(), second);
    assert_eq!(
        c.departments_fetched_at().unwrap(),
        Some(t0() + Duration::seconds(60))
    );

    // an empty answer (a city without departments) empties it
    c.store_departments(&[], t0()).unwrap();
    assert!(c.cached_departments().unwrap().is_empty());
}

#[test]
fn the_department_list_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite");
    let list = vec![dept("command", None), dept("fire", Some("command"))];
    {
        let mut c = Cache::open(&path).unwrap();
        c.store_departments(&list, t0()).unwrap();
    }
    let c = Cache::open(&path).unwrap();
    assert_eq!(c.cached_departments().unwrap(), list);
}

#[test]
fn the_overdue_list_puts_the_most_escalated_then_the_longest_overdue_first() {
    let mut c = Cache::open_in_memory().unwrap();
    let due = |m: i64| t0() - Duration::minutes(m);
    let evs = vec![
        ev(1, inc(1).due(due(5), true).department("fire").build()),
        ev(2, inc(2).due(due(30), true).department("fire").build()),
        ev(
            3,
            inc(3)
                .due(due(1), true)
                .department("police")
                .escalated(3, Some("command"))
                .build(),
        ),
        ev(
            4,
            inc(4)
                .due(due(50), true)
                .department("police")
                .escalated(2, Some("command"))
                .build(),
        ),
        // not overdue yet, closed, or no longer overdue: not listed
        ev(5, inc(5).due(t0() + Duration::minutes(5), false).build()),
        ev(6, inc(6).due(due(60), true).status(Stage::Closed).build()),
        ev(7, inc(7).due(due(70), true).build()),
    ];
    c.apply_events(&evs, t0()).unwrap();
    // incident 7 moves on: no longer overdue
    let moved = inc(7).due(t0() + Duration::minutes(9), false).build();
    c.apply_events(&[ev(8, moved)], t0()).unwrap();
    assert_eq!(
        titles(&c.overdue_incidents(None, 10).unwrap()),
        ["case 3", "case 4", "case 2", "case 1"]
    );
    assert_eq!(
        titles(&c.overdue_incidents(None, 2).unwrap()),
        ["case 3", "case 4"]
    );
}

#[test]
fn the_overdue_list_and_the_backlog_keep_to_the_area_drilled_into() {
    let mut c = Cache::open_in_memory().unwrap();
    let due = t0() - Duration::minutes(3);
    let evs = vec![
        ev(
            1,
            inc(1)
                .areas(&["li", "vaduz"])
                .due(due, true)
                .department("fire")
                .build(),
        ),
        ev(
            2,
            inc(2)
                .areas(&["li", "schaan"])
                .due(due, true)
                .department("fire")
                .build(),
        ),
        ev(3, inc(3).areas(&["li", "vaduz"]).department("police").build()),
    ];
    c.apply_events(&evs, t0()).unwrap();
    assert_eq!(
        titles(&c.overdue_incidents(Some("vaduz"), 10).unwrap()),
        ["case 1"]
    );
    assert_eq!(
        c.backlog(Some("vaduz")).unwrap(),
        [
            DepartmentBacklog {
                department: Some("fire".into()),
                open: 1,
                overdue: 1,
                escalated: 0
            },
            DepartmentBacklog {
                department: Some("police".into()),
                open: 1,
                overdue: 0,
                escalated: 0
            },
        ]
    );
    assert_eq!(c.backlog(Some("li")).unwrap()[0].open, 2);
}

#[test]
fn the_backlog_counts_open_incidents_per_department_in_the_departments_order() {
    let mut c = Cache::open_in_memory().unwrap();
    c.store_departments(
        &[
            dept("command", None),
            dept("police", Some("command")),
            dept("fire", Some("command")),
        ],
        t0(),
    )
    .unwrap();
    let due = t0() - Duration::minutes(3);
    let evs = vec![
        ev(1, inc(1).department("fire").build()),
        ev(2, inc(2).department("fire").due(due, true).build()),
        ev(
            3,
            inc(3)
                .department("fire")
                .due(due, true)
                .escalated(2, Some("command"))
                .build(),
        ),
        ev(4, inc(4).department("fire").status(Stage::Closed).build()),
        ev(5, inc(5).department("police").build()),
        ev(6, inc(6).build()),
        ev(7, inc(7).department("zoo").build()),
    ];
    c.apply_events(&evs, t0()).unwrap();
    let row = |d: Option<&str>, open, overdue, escalated| DepartmentBacklog {
        department: d.map(str::to_owned),
        open,
        overdue,
        escalated,
    };
    assert_eq!(
        c.backlog(None).unwrap(),
        [
            row(Some("police"), 1, 0, 0),
            row(Some("fire"), 3, 2, 1),
            row(Some("zoo"), 1, 0, 0),
            row(None, 1, 0, 0),
        ]
    );
}

#[test]
fn migration_11_fills_the_new_columns_from_a_version_10_caches_incidents() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite");
    let due = t0() - Duration::minutes(3);
    let overdue = inc(1)
        .due(due, true)
        .department("fire")
        .escalated(2, Some("command"))
        .build();
    let calm = inc(2).department("police").build();
    {
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        let tx = conn.transaction().unwrap();
        for (v, sql) in &MIGRATIONS[..10] {
            tx.execute_batch(sql).unwrap();
            tx.pragma_update(None, "user_version", v).unwrap();
        }
        for (seq, i) in [&overdue, &calm].into_iter().enumerate() {
            tx.execute(
                "INSERT INTO incidents (id, seq, status, class, grade, created_at, body, source, assignee, lon, lat)
                 VALUES (?1, ?2, 'handling', 'accident', 'III', '2026-01-01T00:00:00.000000Z', ?3, 'test', NULL, 9.5, 47.1)",
                rusqlite::params![i.id.to_string(), seq as i64 + 1, serde_json::to_string(i).unwrap()],
            )
            .unwrap();
        }
        tx.commit().unwrap();
    }
    let c = Cache::open(&path).unwrap();
    assert_eq!(c.schema_version().unwrap(), latest_version());
    assert_eq!(titles(&c.overdue_incidents(None, 10).unwrap()), ["case 1"]);
    let backlog = c.backlog(None).unwrap();
    assert_eq!(backlog.len(), 2);
    assert_eq!(backlog.iter().map(|b| b.escalated).sum::<u64>(), 1);
    assert!(c.cached_departments().unwrap().is_empty());
}
