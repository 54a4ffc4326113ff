//! The drill-down's reads (三级贯通): the open incidents and the summary counts of one area, and the counts the
//! map shades every area by — all over `incident_areas` (schema 9), which holds each incident's `area_ids`.

use chrono::{DateTime, Duration, Utc};
use citydeck_protocol::ipc::{AreaMeasure, Summary};
use citydeck_protocol::{Incident, Stage};
use rusqlite::{params, Connection};

use crate::{summary_of, ts, Cache, Result, StoreError};

/// Records which areas `incident` lies in (replacing what was recorded for it).
pub(crate) fn index_areas(c: &Connection, incident: &Incident) -> Result<()> {
    let id = incident.id.to_string();
    c.prepare_cached("DELETE FROM incident_areas WHERE incident_id = ?1")?
        .execute([&id])?;
    let mut st =
        c.prepare_cached("INSERT OR IGNORE INTO incident_areas (incident_id, area_id) VALUES (?1, ?2)")?;
    for area in &incident.area_ids {
        st.execute([&id, area])?;
    }
    Ok(())
}

impl Cache {
    /// The open incidents lying in `area` (`None`: all of them), newest reported first, at most `limit`.
    pub fn open_incidents_in(&self, area: Option<&str>, limit: u32) -> Result<Vec<Incident>> {
        let Some(area) = area else {
            return self.open_incidents(limit);
        };
        let mut st = self.conn.prepare_cached(
            "SELECT i.body FROM incident_areas a JOIN incidents i ON i.id = a.incident_id
             WHERE a.area_id = ?1 AND i.status != 'closed'
             ORDER BY i.created_at DESC, i.seq DESC LIMIT ?2",
        )?;
        let rows = st.query_map(params![area, limit], |r| r.get::<_, String>(0))?;
        rows.map(|b| serde_json::from_str(&b?).map_err(|e| StoreError::Corrupt(e.to_string())))
            .collect()
    }

    /// The summary panels' counts of the incidents lying in `area` (`None`: all of them, [`Cache::summary`]).
    pub fn summary_in(&self, area: Option<&str>, now: DateTime<Utc>) -> Result<Summary> {
        let Some(area) = area else {
            return self.summary(now);
        };
        let mut st = self.conn.prepare_cached(
            "SELECT i.status, i.class, i.grade, COUNT(*) FROM incident_areas a
             JOIN incidents i ON i.id = a.incident_id
             WHERE a.area_id = ?1 AND i.status != 'closed' GROUP BY i.status, i.class, i.grade",
        )?;
        let rows = st.query([area])?;
        let last_hour: u64 = self.conn.query_row(
            "SELECT COUNT(*) FROM incident_areas a JOIN incidents i ON i.id = a.incident_id
             WHERE a.area_id = ?1 AND i.created_at >= ?2",
            params![area, ts(now - Duration::hours(1))],
            |r| r.get(0),
        )?;
        summary_of(rows, last_hour)
    }

    /// For every area holding open incidents, how many, how many under supervision (督办) and how many of grade I
    /// (by area id).
    pub fn area_measures(&self) -> Result<Vec<AreaMeasure>> {
        let mut st = self.conn.prepare_cached(
            "SELECT a.area_id, COUNT(*), COALESCE(SUM(i.status = ?1), 0), COALESCE(SUM(i.grade = 'I'), 0)
             FROM incident_areas a JOIN incidents i ON i.id = a.incident_id
             WHERE i.status != 'closed' GROUP BY a.area_id ORDER BY a.area_id",
        )?;
        let rows = st.query_map([Stage::Supervised.as_str()], |r| {
            Ok(AreaMeasure {
                area_id: r.get(0)?,
                open: r.get::<_, i64>(1)? as u64,
                overdue: r.get::<_, i64>(2)? as u64,
                grade_i: r.get::<_, i64>(3)? as u64,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use citydeck_protocol::{fixtures, Event, EventBody, Grade};

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
    }

    fn ev(seq: u64, incident: Incident) -> Event {
        Event {
            server_seq: seq,
            at: now(),
            actor: "test".into(),
            body: EventBody::IncidentUpdated { incident },
        }
    }

    fn inc(n: u64, areas: &[&str], grade: Grade, stage: Stage) -> Incident {
        let mut i = fixtures::incident(n).grade(grade).status(stage).at(now()).build();
        i.area_ids = areas.iter().map(|s| s.to_string()).collect();
        i
    }

    /// Vaduz and Triesen in the Oberland, Eschen in the Unterland, one incident outside every area.
    fn cache() -> Cache {
        let mut c = Cache::open_in_memory().unwrap();
        let events: Vec<Event> = [
            inc(1, &["city", "oberland", "vaduz"], Grade::I, Stage::Handling),
            inc(2, &["city", "oberland", "vaduz"], Grade::III, Stage::Supervised),
            inc(3, &["city", "oberland", "triesen"], Grade::II, Stage::Collected),
            inc(4, &["city", "unterland", "eschen"], Grade::I, Stage::Closed),
            inc(5, &["city", "unterland", "eschen"], Grade::IV, Stage::Assigned),
            inc(6, &[], Grade::II, Stage::Collected),
        ]
        .into_iter()
        .enumerate()
        .map(|(k, i)| ev(k as u64 + 1, i))
        .collect();
        c.apply_events(&events, now()).unwrap();
        c
    }

    fn titles(v: &[Incident]) -> Vec<String> {
        let mut t: Vec<String> = v.iter().map(|i| i.title.clone()).collect();
        t.sort();
        t
    }

    #[test]
    fn an_area_lists_and_counts_only_its_open_incidents() {
        let c = cache();
        assert_eq!(
            c.open_incidents_in(None, 100).unwrap().len(),
            5,
            "everything open"
        );
        let vaduz = c.open_incidents_in(Some("vaduz"), 100).unwrap();
        assert_eq!(titles(&vaduz), ["incident 1", "incident 2"]);
        let unterland = c.open_incidents_in(Some("unterland"), 100).unwrap();
        assert_eq!(titles(&unterland), ["incident 5"], "the closed one is not listed");
        assert!(c.open_incidents_in(Some("nowhere"), 100).unwrap().is_empty());
        assert_eq!(
            c.open_incidents_in(Some("oberland"), 2).unwrap().len(),
            2,
            "bounded"
        );

        let s = c.summary_in(Some("oberland"), now()).unwrap();
        assert_eq!(s.total_open, 3);
        let grade = |g: Grade| s.by_grade.iter().find(|x| x.0 == g).unwrap().1;
        assert_eq!((grade(Grade::I), grade(Grade::II), grade(Grade::III)), (1, 1, 1));
        assert_eq!(s.last_hour, 3);
        let all = c.summary_in(None, now()).unwrap();
        assert_eq!(all, c.summary(now()).unwrap());
        assert_eq!(
            all.total_open, 5,
            "the one outside every area counts for the whole"
        );
        assert_eq!(
            c.summary_in(Some("unterland"), now()).unwrap().last_hour,
            2,
            "closed ones too"
        );
    }

    #[test]
    fn the_measures_count_open_overdue_and_grade_i_per_area() {
        let c = cache();
        let m = c.area_measures().unwrap();
        let get = |id: &str| m.iter().find(|x| x.area_id == id).cloned();
        let row = |id: &str, open, overdue, grade_i| {
            Some(AreaMeasure {
                area_id: id.into(),
                open,
                overdue,
                grade_i,
            })
        };
        assert_eq!(get("city"), row("city", 4, 1, 1));
        assert_eq!(get("oberland"), row("oberland", 3, 1, 1));
        assert_eq!(get("vaduz"), row("vaduz", 2, 1, 1));
        assert_eq!(
            get("unterland"),
            row("unterland", 1, 0, 0),
            "its grade-I one is closed"
        );
        assert_eq!(get("eschen"), row("eschen", 1, 0, 0));
        assert_eq!(m.len(), 6, "city, 2 districts, 3 streets with open incidents");
    }

    #[test]
    fn an_update_moves_the_incident_between_areas_and_a_reset_forgets_them() {
        let mut c = cache();
        // A relocated incident (an operator corrected its position): it leaves Vaduz for Triesen.
        c.apply_events(
            &[ev(
                7,
                inc(1, &["city", "oberland", "triesen"], Grade::I, Stage::Handling),
            )],
            now(),
        )
        .unwrap();
        assert_eq!(
            titles(&c.open_incidents_in(Some("vaduz"), 10).unwrap()),
            ["incident 2"]
        );
        assert_eq!(
            titles(&c.open_incidents_in(Some("triesen"), 10).unwrap()),
            ["incident 1", "incident 3"]
        );
        c.bind_log("log-a").unwrap();
        assert!(
            c.bind_log("log-b").unwrap(),
            "another hub log: the cache starts over"
        );
        assert!(
            c.area_measures().unwrap().is_empty(),
            "a dropped cache keeps no area rows"
        );
    }

    #[test]
    fn a_version_8_cache_learns_the_areas_of_the_incidents_it_holds() {
        let mut conn = Connection::open_in_memory().unwrap();
        citydeck_migrate::sqlite::<StoreError>(&mut conn, &crate::MIGRATIONS[..8]).unwrap();
        let i = inc(1, &["city", "oberland", "vaduz"], Grade::I, Stage::Handling);
        conn.execute(
            "INSERT INTO incidents (id, seq, status, class, grade, created_at, body, source, assignee, lon, lat)
             VALUES (?1, 1, 'handling', 'accident', 'I', ?2, ?3, 'test', NULL, 9.52, 47.14)",
            params![i.id.to_string(), ts(now()), serde_json::to_string(&i).unwrap()],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO incidents (id, seq, status, class, grade, created_at, body, source, assignee, lon, lat)
             VALUES ('not-json', 2, 'handling', 'accident', 'I', ?1, '{broken', 'test', NULL, 9.52, 47.14)",
            [ts(now())],
        )
        .unwrap();
        let c = Cache::init(conn).unwrap();
        assert_eq!(c.schema_version().unwrap(), crate::latest_version());
        assert_eq!(c.open_incidents_in(Some("vaduz"), 10).unwrap().len(), 1);
        assert_eq!(
            c.area_measures().unwrap().len(),
            3,
            "a broken body is skipped, not fatal"
        );
    }
}
