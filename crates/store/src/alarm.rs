//! The grade-I alarm's read (issue 24): every open grade-I incident the cache holds, whatever area the cockpit is
//! drilled into and however old, so no screen misses one that is still alarming (the caller keeps those whose
//! alarm nobody acknowledged, `citydeck_domain::ops::alarming`).

use citydeck_protocol::{Grade, Incident};

use crate::{Cache, Result, StoreError};

impl Cache {
    /// The open incidents of grade I, newest reported first, at most `limit`.
    pub fn open_grade_one(&self, limit: u32) -> Result<Vec<Incident>> {
        let mut st = self.conn.prepare_cached(
            "SELECT body FROM incidents WHERE grade = ?1 AND status != 'closed'
             ORDER BY created_at DESC, seq DESC LIMIT ?2",
        )?;
        let rows = st.query_map(rusqlite::params![Grade::I.as_str(), limit], |r| {
            r.get::<_, String>(0)
        })?;
        rows.map(|b| serde_json::from_str(&b?).map_err(|e| StoreError::Corrupt(e.to_string())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;
    use citydeck_protocol::{fixtures, Event, EventBody, Grade, Stage};

    use crate::Cache;

    #[test]
    fn every_open_grade_one_incident_newest_first() {
        let mut c = Cache::open_in_memory().unwrap();
        let grades = [
            (Grade::I, Stage::Collected),
            (Grade::II, Stage::Collected),
            (Grade::I, Stage::Closed),
            (Grade::I, Stage::Assigned),
        ];
        let evs: Vec<Event> = grades
            .iter()
            .enumerate()
            .map(|(n, (g, s))| {
                let seq = n as u64 + 1;
                let inc = fixtures::incident(seq)
                    .id(uuid::Uuid::now_v7())
                    .grade(*g)
                    .status(*s)
                    .at(DateTime::from_timestamp(1_700_000_000 + seq as i64, 0).unwrap())
                    .build();
                Event {
                    server_seq: seq,
                    at: inc.created_at,
                    actor: "operator".into(),
                    body: EventBody::IncidentCreated { incident: inc },
                }
            })
            .collect();
        let now = DateTime::from_timestamp(1_700_000_100, 0).unwrap();
        c.apply_events(&evs, now).unwrap();
        let got: Vec<u64> = c.open_grade_one(10).unwrap().iter().map(|i| i.seq).collect();
        assert_eq!(got, vec![4, 1], "open grade I only, newest first");
        assert_eq!(c.open_grade_one(1).unwrap().len(), 1, "bounded");
    }
}
