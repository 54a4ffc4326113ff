//! The hub's storage across schema versions and engines: a database of every earlier SQLite schema version
//! opens, upgrades in place and keeps its rows; a database written by a newer build is refused untouched; the
//! SQLite and PostgreSQL schemas describe the same tables and columns.

use std::collections::BTreeMap;
use std::path::Path;

use citydeck_hub::db::{Created, Db, DbError, PushItem, MIGRATIONS};
use citydeck_protocol::{Event, EventBody, Incident, NewIncident, PushOp, PushStatus, Role};
use rusqlite::Connection;
use serde_json::json;

fn new_incident(title: &str, external_id: Option<&str>) -> NewIncident {
    serde_json::from_value(json!({
        "title": title, "class": "accident", "grade": "III", "lon": 24.9384, "lat": 60.1699,
        "source": "operator", "external_id": external_id,
    }))
    .unwrap()
}

/// An incident and its `incident_created` event as the current hub writes them (put into an older file below).
fn current_incident(dir: &Path) -> (Event, Incident) {
    let db = Db::open(&dir.join("scratch.sqlite")).unwrap();
    let Ok(Created::New(event)) = db
        .create_incident(
            "operator",
            None,
            new_incident("Kamppi 地下通道积水", Some("ext-1")),
            |_, _| {},
        )
        .unwrap()
    else {
        panic!("a fresh database knows no incident")
    };
    let EventBody::IncidentCreated { incident } = &event.body else {
        panic!("not a create: {event:?}")
    };
    let incident = incident.clone();
    (*event, incident)
}

fn user_version(path: &Path) -> u32 {
    Connection::open(path)
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap()
}

/// The JSON an older build stored: before schema 7 an incident had no `area_ids`.
fn stored_json<T: serde::Serialize>(v: &T, version: u32) -> String {
    let mut json = serde_json::to_value(v).unwrap();
    if version < 7 {
        let inc = if json.get("incident").is_some() {
            &mut json["incident"]
        } else {
            &mut json
        };
        assert!(inc.as_object_mut().unwrap().remove("area_ids").is_some());
    }
    json.to_string()
}

/// A hub database at schema `version`: migrations 1..=version only, then a few rows of what that version holds.
fn database_at(path: &Path, version: u32, event: &Event, incident: &Incident) {
    let mut conn = Connection::open(path).unwrap();
    let reached =
        citydeck_migrate::sqlite::<citydeck_hub::db::DbError>(&mut conn, &MIGRATIONS[..version as usize])
            .unwrap();
    assert_eq!(reached, version);
    let at = "2026-01-02T03:04:05.000000Z";
    if version >= 1 {
        conn.execute(
            "INSERT INTO users (username, role, pw_hash, created_at) VALUES ('operator', 'operator', 'x', ?1)",
            [at],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO events (server_seq, kind, at, actor, body) VALUES (1, 'incident_created', ?1, 'operator', ?2)",
            [at, &stored_json(event, version)],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO incidents (id, source, external_id, status, seq, body) VALUES (?1, ?2, ?3, ?4, 1, ?5)",
            [
                incident.id.to_string(),
                incident.source.clone(),
                incident.external_id.clone().unwrap(),
                incident.status.as_str().to_string(),
                stored_json(incident, version),
            ],
        )
        .unwrap();
    }
    if version >= 2 {
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('log_id', ?1)",
            [format!("log-of-v{version}")],
        )
        .unwrap();
    }
    if version >= 3 {
        conn.execute(
            "INSERT INTO screen_acks (screen, epoch, by, at) VALUES ('hall-wall-1', 0, 'commander', ?1)",
            [at],
        )
        .unwrap();
    }
    if version >= 4 {
        // since schema 4 an acknowledged screen is a registered one too
        conn.execute_batch(&format!(
            "INSERT INTO screens (name, registered_at, registered_by) VALUES
             ('hall-wall-1', '{at}', 'commander'), ('leader-office', '{at}', 'admin')"
        ))
        .unwrap();
    }
    if version >= 7 {
        // since schema 7 an event knows the incident it is about, and the city has areas
        conn.execute(
            "UPDATE events SET incident_id = ?1 WHERE server_seq = 1",
            [incident.id.to_string()],
        )
        .unwrap();
        conn.execute_batch(
            r#"INSERT INTO areas (rid, id, name, level, parent, min_lon, min_lat, max_lon, max_lat, geometry)
               VALUES (1, 'city', 'Testland', 'city', NULL, 24, 60, 25, 61,
                       '{"type":"MultiPolygon","coordinates":[[[[24,60],[25,60],[25,61],[24,61],[24,60]]]]}');
               INSERT INTO areas_rtree (rid, min_lon, max_lon, min_lat, max_lat) VALUES (1, 24, 25, 60, 61);"#,
        )
        .unwrap();
    }
}

/// Every earlier schema version (0: a new empty file, 1..latest-1: written by older hubs) opens with today's
/// hub, upgrades to the latest version, keeps what it held, and works: a new incident follows the old log,
/// a push (schema 5) applies once, and a second open changes nothing.
#[test]
fn a_hub_database_of_every_earlier_schema_version_opens_and_upgrades() {
    let dir = tempfile::tempdir().unwrap();
    let (event, incident) = current_incident(dir.path());
    let latest = citydeck_migrate::latest(MIGRATIONS);
    assert_eq!(latest as usize, MIGRATIONS.len());
    for version in 0..latest {
        let path = dir.path().join(format!("hub-v{version}.sqlite"));
        database_at(&path, version, &event, &incident);
        assert_eq!(user_version(&path), version);

        let db = Db::open(&path).unwrap_or_else(|e| panic!("v{version}: {e}"));
        assert_eq!(user_version(&path), latest, "v{version}");
        let old = u64::from(version >= 1);
        assert_eq!(db.head().unwrap(), old, "v{version}");
        if version >= 1 {
            assert_eq!(
                db.incident(incident.id).unwrap().as_ref(),
                Some(&incident),
                "v{version}"
            );
            assert_eq!(db.user("operator").unwrap().unwrap().role, Role::Operator);
            let log = db.events_after_json(0, 10, None).unwrap();
            assert_eq!(log.len(), 1);
            // the event as it was stored, where schema 7 added that the older incident lies in no area
            assert_eq!(
                serde_json::from_str::<serde_json::Value>(&log[0].1).unwrap(),
                serde_json::to_value(&event).unwrap(),
                "v{version}"
            );
            // … and knows the old event is about an incident (so it reaches no scoped account)
            assert!(
                db.events_after_json(0, 10, Some("osm-r49")).unwrap().is_empty(),
                "v{version}"
            );
            assert_eq!(
                db.incidents(10, None).unwrap(),
                std::slice::from_ref(&incident),
                "v{version}"
            );
            assert!(
                db.incidents(10, Some("osm-r49")).unwrap().is_empty(),
                "v{version}"
            );
            // the same (source, external_id) is still recognised after the upgrade
            match db
                .create_incident("operator", None, new_incident("again", Some("ext-1")), |_, _| {})
                .unwrap()
            {
                Ok(Created::Existing(existing)) => assert_eq!(existing.id, incident.id),
                other => panic!("v{version}: duplicate not recognised: {:?}", other.is_ok()),
            }
        }
        if version >= 2 {
            assert_eq!(
                db.log_id(),
                format!("log-of-v{version}"),
                "the log keeps its identity"
            );
        } else {
            assert!(!db.log_id().is_empty());
        }
        let mode = db.mode().unwrap();
        if version >= 3 {
            // schema 4 turned every acknowledged screen into a registered one
            assert!(
                mode.screens.contains(&"hall-wall-1".to_string()),
                "v{version}: {mode:?}"
            );
            assert_eq!(mode.acks.len(), 1, "v{version}");
        }
        if version >= 4 {
            assert!(
                mode.screens.contains(&"leader-office".to_string()),
                "v{version}: {mode:?}"
            );
        }
        if version >= 7 {
            // schema 8 added the names in Chinese and English: none for the areas stored before
            let areas = db.areas().unwrap();
            assert_eq!(areas.len(), 1, "v{version}");
            assert_eq!(
                (areas[0].name.as_str(), &areas[0].name_zh, &areas[0].name_en),
                ("Testland", &None, &None),
                "v{version}"
            );
        }

        let Ok(Created::New(next)) = db
            .create_incident(
                "operator",
                None,
                new_incident("after the upgrade", None),
                |_, _| {},
            )
            .unwrap()
        else {
            panic!("v{version}: a new incident was not created")
        };
        assert_eq!(next.server_seq, old + 1, "v{version}: the log goes on gap-free");
        let EventBody::IncidentCreated { incident: created } = &next.body else {
            panic!("not a create: {next:?}")
        };
        // in the area an older hub stored (schema 7), found through its spatial index
        let want: &[&str] = if version >= 7 { &["city"] } else { &[] };
        assert_eq!(created.area_ids, want, "v{version}");
        let op: PushOp = serde_json::from_value(json!({
            "op_id": "0192f000-0000-7000-8000-000000000001", "client_seq": 1,
            "op": {"kind": "acknowledge", "incident_id": created.id},
        }))
        .unwrap();
        let client = uuid::Uuid::now_v7();
        for round in 0..2 {
            let r = db
                .push(
                    client,
                    "operator",
                    None,
                    vec![PushItem::Op(op.clone())],
                    |_| Ok(()),
                    true,
                    |_, _| {},
                )
                .unwrap();
            let want = if round == 0 {
                PushStatus::Applied
            } else {
                PushStatus::Duplicate
            };
            assert_eq!(r[0].status, want, "v{version} round {round}: {r:?}");
        }
        let head = db.head().unwrap();
        drop(db);

        let again = Db::open(&path).unwrap();
        assert_eq!(
            again.head().unwrap(),
            head,
            "v{version}: reopening changes nothing"
        );
        assert_eq!(user_version(&path), latest);
    }
}

/// A file from a newer build (schema beyond this build's migrations) is refused, and none of its tables
/// touched.
#[test]
fn a_hub_database_from_a_newer_build_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.sqlite");
    let newer = citydeck_migrate::latest(MIGRATIONS) + 1;
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE from_the_future (x TEXT);")
            .unwrap();
        conn.pragma_update(None, "user_version", newer).unwrap();
    }
    match Db::open(&path) {
        Err(DbError::TooNew(e)) => assert_eq!(e.found, newer),
        Err(e) => panic!("expected TooNew, got {e}"),
        Ok(_) => panic!("a newer database was opened"),
    }
    assert_eq!(user_version(&path), newer);
    let tables: Vec<String> = Connection::open(&path)
        .unwrap()
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(tables, ["from_the_future"]);
}

/// A column as both engines must agree on it.
#[derive(Debug, PartialEq, Eq)]
struct Column {
    /// `integer` or `text`.
    kind: String,
    not_null: bool,
    primary_key: bool,
}

type Schema = BTreeMap<String, BTreeMap<String, Column>>;

fn sqlite_schema(path: &Path) -> (Schema, Vec<String>) {
    let conn = Connection::open(path).unwrap();
    let tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut schema = Schema::new();
    for table in tables {
        let mut st = conn
            .prepare("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1)")
            .unwrap();
        let columns = st
            .query_map([&table], |r| {
                let kind: String = r.get(1)?;
                let primary_key = r.get::<_, i64>(3)? > 0;
                Ok((
                    r.get::<_, String>(0)?,
                    Column {
                        kind: match kind.to_ascii_uppercase().as_str() {
                            "INTEGER" => "integer".into(),
                            "REAL" => "real".into(),
                            "TEXT" => "text".into(),
                            other => format!("sqlite {other}"),
                        },
                        // a primary key column is never NULL here (the hub never writes one)
                        not_null: r.get::<_, i64>(2)? == 1 || primary_key,
                        primary_key,
                    },
                ))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        schema.insert(table, columns);
    }
    let indexes = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    (schema, sorted(indexes))
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn postgres_schema(url: &str) -> (Schema, Vec<String>) {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let keys: Vec<(String, String)> = c
        .query(
            "SELECT kcu.table_name::TEXT, kcu.column_name::TEXT
             FROM information_schema.table_constraints tc
             JOIN information_schema.key_column_usage kcu
               ON kcu.constraint_name = tc.constraint_name AND kcu.table_schema = tc.table_schema
             WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = current_schema()",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let mut schema = Schema::new();
    for r in c
        .query(
            "SELECT table_name::TEXT, column_name::TEXT, data_type::TEXT, is_nullable::TEXT
             FROM information_schema.columns WHERE table_schema = current_schema()",
            &[],
        )
        .unwrap()
    {
        let (table, column, ty, nullable): (String, String, String, String) =
            (r.get(0), r.get(1), r.get(2), r.get(3));
        let primary_key = keys.contains(&(table.clone(), column.clone()));
        schema.entry(table).or_default().insert(
            column,
            Column {
                kind: match ty.as_str() {
                    "bigint" => "integer".into(),
                    "double precision" => "real".into(),
                    "text" => "text".into(),
                    other => format!("postgres {other}"),
                },
                not_null: nullable == "NO",
                primary_key,
            },
        );
    }
    let indexes = c
        .query(
            "SELECT indexname::TEXT FROM pg_indexes
             WHERE schemaname = current_schema() AND indexname NOT LIKE '%\\_pkey' ORDER BY indexname",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    (schema, sorted(indexes))
}

/// Both engines' schemas (as the hub leaves them after migrating a new database) have the same tables, the same
/// columns with the same kind (integer / real / text), nullability and primary key, and the same named indexes;
/// the spatial indexes `areas_rtree` and `merge_rtree` are SQLite's R*Tree virtual tables (with their shadow
/// tables) and PostgreSQL's GiST indexes, each checked to be what it says.
/// Differences by design, not compared: SQLite's INTEGER is PostgreSQL's BIGINT (both 64-bit); PostgreSQL's
/// sorted or compared text columns use the "C" collation (byte order, as SQLite); `mode_audit.id` is
/// AUTOINCREMENT on SQLite and an identity column on PostgreSQL; SQLite records its schema version in
/// `PRAGMA user_version`, PostgreSQL in the table `hub_schema` (left out here).
#[test]
fn sqlite_and_postgres_schemas_describe_the_same_tables_and_columns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.sqlite");
    drop(Db::open(&path).unwrap());
    let (mut lite, lite_indexes) = sqlite_schema(&path);
    let rtree: String = Connection::open(&path)
        .unwrap()
        .query_row(
            "SELECT sql FROM sqlite_master WHERE name = 'areas_rtree'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(rtree.contains("USING rtree("), "{rtree}");
    for table in ["areas_rtree", "merge_rtree"] {
        for shadow in ["", "_node", "_parent", "_rowid"] {
            assert!(
                lite.remove(&format!("{table}{shadow}")).is_some(),
                "SQLite's R*Tree table {table}{shadow}"
            );
        }
    }

    let url = citydeck_hub::test_support::new_database();
    drop(Db::open_postgres(&url, false).unwrap());
    let (mut pg, mut pg_indexes) = postgres_schema(&url);
    let gist: String = postgres::Client::connect(&url, postgres::NoTls)
        .unwrap()
        .query_one(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'areas_rtree'",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(
        gist.contains("USING gist (box(point(min_lon, min_lat), point(max_lon, max_lat)))"),
        "{gist}"
    );
    let merge_gist: String = postgres::Client::connect(&url, postgres::NoTls)
        .unwrap()
        .query_one(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'merge_rtree'",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(
        merge_gist.contains("USING gist (box(point(lon, lat), point(lon, lat)))"),
        "{merge_gist}"
    );
    pg_indexes.retain(|i| i != "areas_rtree" && i != "merge_rtree");
    assert!(
        pg.remove("hub_schema").is_some(),
        "PostgreSQL records its migrations in hub_schema"
    );

    assert!(lite.len() >= 10, "{lite:?}");
    assert_eq!(
        lite.keys().collect::<Vec<_>>(),
        pg.keys().collect::<Vec<_>>(),
        "the same tables"
    );
    for (table, columns) in &lite {
        assert_eq!(
            columns, &pg[table],
            "table {table}: SQLite (left) vs PostgreSQL (right)"
        );
    }
    assert_eq!(lite_indexes, pg_indexes, "the same named indexes");
}
