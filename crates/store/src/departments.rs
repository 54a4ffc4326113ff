//! The closed loop's accountability as the cache holds it (schema 11, issue 24): the city's departments as the
//! hub last listed them (so the 交办 form names them offline too), the open overdue incidents for the 督办 list and
//! each department's backlog — read from the incidents' `department`, `overdue`, `stage_due_at` and `rung`
//! columns, which every write of an incident keeps.

use chrono::{DateTime, Utc};
use citydeck_protocol::closed_loop::DepartmentView;
use citydeck_protocol::ipc::DepartmentBacklog;
use citydeck_protocol::Incident;
use rusqlite::{params, TransactionBehavior};

use crate::{parse_ts, ts, Cache, Result, StoreError};

impl Cache {
    /// Takes the hub's department list as of `at`, replacing the cached one whole (one transaction: the form
    /// never sees half a list). The hub's order (parents first) is kept.
    pub fn store_departments(&mut self, list: &[DepartmentView], at: DateTime<Utc>) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute("DELETE FROM departments", [])?;
        {
            // the hub lists each id once; were one repeated, the first would stand
            let mut st = tx.prepare(
                "INSERT OR IGNORE INTO departments (id, ord, body, fetched_at) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (ord, d) in list.iter().enumerate() {
                let body = serde_json::to_string(d).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                st.execute(params![d.id, ord as i64, body, ts(at)])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The cached departments in the hub's order (empty before the first fetch).
    pub fn cached_departments(&self) -> Result<Vec<DepartmentView>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT id, body FROM departments ORDER BY ord")?;
        let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        rows.map(|row| {
            let (id, body) = row?;
            serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(format!("department {id}: {e}")))
        })
        .collect()
    }

    /// When the department list was last fetched (None: never).
    pub fn departments_fetched_at(&self) -> Result<Option<DateTime<Utc>>> {
        let at: Option<String> = self
            .conn
            .query_row("SELECT MAX(fetched_at) FROM departments", [], |r| r.get(0))?;
        at.as_deref().map(parse_ts).transpose()
    }

    /// 督办: the open overdue incidents lying in `area` (`None`: all), the most escalated first, then the longest
    /// overdue (the earliest deadline), at most `limit`.
    pub fn overdue_incidents(&self, area: Option<&str>, limit: u32) -> Result<Vec<Incident>> {
        let rows: Vec<String> = match area {
            None => {
                let mut st = self.conn.prepare_cached(
                    "SELECT body FROM incidents WHERE overdue = 1 AND status != 'closed'
                     ORDER BY rung DESC, stage_due_at, seq LIMIT ?1",
                )?;
                let rows = st.query_map([limit], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            }
            Some(area) => {
                let mut st = self.conn.prepare_cached(
                    "SELECT i.body FROM incident_areas a JOIN incidents i ON i.id = a.incident_id
                     WHERE a.area_id = ?1 AND i.overdue = 1 AND i.status != 'closed'
                     ORDER BY i.rung DESC, i.stage_due_at, i.seq LIMIT ?2",
                )?;
                let rows = st.query_map(params![area, limit], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            }
        };
        rows.iter()
            .map(|b| serde_json::from_str(b).map_err(|e| StoreError::Corrupt(e.to_string())))
            .collect()
    }

    /// The open incidents lying in `area` (`None`: all) per department, with how many of them are overdue and
    /// escalated: the cached departments in their order, then departments the list does not (yet) name, then
    /// the incidents routed to none. Departments without open incidents are absent.
    pub fn backlog(&self, area: Option<&str>) -> Result<Vec<DepartmentBacklog>> {
        const COLS: &str =
            "i.department, COUNT(*), COALESCE(SUM(i.overdue = 1), 0), COALESCE(SUM(i.rung >= 2), 0)";
        const ORDER: &str = "GROUP BY i.department
             ORDER BY i.department IS NULL, MIN(d.ord) IS NULL, MIN(d.ord), i.department";
        let map = |r: &rusqlite::Row<'_>| {
            Ok(DepartmentBacklog {
                department: r.get(0)?,
                open: r.get::<_, i64>(1)? as u64,
                overdue: r.get::<_, i64>(2)? as u64,
                escalated: r.get::<_, i64>(3)? as u64,
            })
        };
        Ok(match area {
            None => {
                let mut st = self.conn.prepare_cached(&format!(
                    "SELECT {COLS} FROM incidents i LEFT JOIN departments d ON d.id = i.department
                     WHERE i.status != 'closed' {ORDER}"
                ))?;
                let rows = st.query_map([], map)?;
                rows.collect::<rusqlite::Result<_>>()?
            }
            Some(area) => {
                let mut st = self.conn.prepare_cached(&format!(
                    "SELECT {COLS} FROM incident_areas a JOIN incidents i ON i.id = a.incident_id
                     LEFT JOIN departments d ON d.id = i.department
                     WHERE a.area_id = ?1 AND i.status != 'closed' {ORDER}"
                ))?;
                let rows = st.query_map([area], map)?;
                rows.collect::<rusqlite::Result<_>>()?
            }
        })
    }
}
