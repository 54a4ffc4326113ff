//! The city's areas (city, districts, streets) with their outlines, and the account's scope.
//!
//! The areas change rarely: the sync engine compares the hub's list with [`Cache::areas`] at each session and
//! replaces them whole ([`Cache::replace_areas`]) only when it differs. The scope is the one the hub gave the
//! account at login; the cache's confirmed state belongs to one scope, so a different one starts it afresh
//! ([`Cache::bind_scope`]).

use citydeck_protocol::{AreaDetail, AreaSummary};
use rusqlite::{params, OptionalExtension, TransactionBehavior};

use crate::{drop_confirmed, put_meta, Cache, Result, StoreError};

impl Cache {
    /// Replaces the cached areas with `areas` (in the hub's order) in one transaction.
    pub fn replace_areas(&mut self, areas: &[AreaDetail]) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute("DELETE FROM areas", [])?;
        {
            let mut st = tx.prepare(
                "INSERT INTO areas (id, ord, level, parent, summary, geometry) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(id) DO UPDATE SET ord = excluded.ord, level = excluded.level,
                   parent = excluded.parent, summary = excluded.summary, geometry = excluded.geometry",
            )?;
            for (ord, a) in areas.iter().enumerate() {
                let summary =
                    serde_json::to_string(&a.area).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let geometry =
                    serde_json::to_string(&a.geometry).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                st.execute(params![
                    a.area.id,
                    ord as i64,
                    a.area.level.as_str(),
                    a.area.parent,
                    summary,
                    geometry
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Whether the cache holds exactly `list` (the hub's `GET /api/v1/areas`, in its order): compared as the
    /// JSON this build writes for each summary, so a list read again from the same hub always matches.
    pub fn areas_match(&self, list: &[AreaSummary]) -> Result<bool> {
        let mut st = self
            .conn
            .prepare_cached("SELECT summary FROM areas ORDER BY ord")?;
        let cached = st
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        if cached.len() != list.len() {
            return Ok(false);
        }
        for (c, a) in cached.iter().zip(list) {
            if *c != serde_json::to_string(a).map_err(|e| StoreError::Corrupt(e.to_string()))? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The cached areas in the hub's order (the city, its districts, their streets); empty before any.
    pub fn areas(&self) -> Result<Vec<AreaSummary>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT id, summary FROM areas ORDER BY ord")?;
        let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        rows.map(|row| {
            let (id, body) = row?;
            serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(format!("area {id}: {e}")))
        })
        .collect()
    }

    /// Whether the cache holds the area `id`.
    pub fn has_area(&self, id: &str) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM areas WHERE id = ?1")?
            .exists([id])?)
    }

    /// One cached area with its outline.
    pub fn area(&self, id: &str) -> Result<Option<AreaDetail>> {
        let row: Option<(String, String)> = self
            .conn
            .query_row("SELECT summary, geometry FROM areas WHERE id = ?1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        row.map(|(summary, geometry)| {
            let corrupt = |e: serde_json::Error| StoreError::Corrupt(format!("area {id}: {e}"));
            Ok(AreaDetail {
                area: serde_json::from_str(&summary).map_err(corrupt)?,
                geometry: serde_json::from_str(&geometry).map_err(corrupt)?,
            })
        })
        .transpose()
    }

    /// Every cached area's outline as one GeoJSON `FeatureCollection` (the hub's order), each feature's
    /// properties `id`, `name`, `level`, `parent`: what the map draws and the drill-down clicks.
    pub fn area_outlines(&self) -> Result<serde_json::Value> {
        let mut st = self
            .conn
            .prepare_cached("SELECT id, summary, geometry FROM areas ORDER BY ord")?;
        let mut rows = st.query([])?;
        let mut features = Vec::new();
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let corrupt = |e: serde_json::Error| StoreError::Corrupt(format!("area {id}: {e}"));
            let a: AreaSummary = serde_json::from_str(&r.get::<_, String>(1)?).map_err(corrupt)?;
            let geometry: serde_json::Value =
                serde_json::from_str(&r.get::<_, String>(2)?).map_err(corrupt)?;
            features.push(serde_json::json!({
                "type": "Feature",
                "id": features.len(),
                "geometry": geometry,
                "properties": {
                    "id": a.id, "name": a.name, "level": a.level.as_str(), "parent": a.parent,
                },
            }));
        }
        Ok(serde_json::json!({ "type": "FeatureCollection", "features": features }))
    }

    /// The scope of the account this cache follows (`None`: the whole city; also a cache from before scopes,
    /// when every account saw everything).
    pub fn scope(&self) -> Result<Option<String>> {
        self.meta("scope")
    }

    /// Binds the cache to the scope the hub gave the account at login. The confirmed state of another scope
    /// is dropped (incidents, log position, mode) so it is pulled again from seq 0 for this one — a cache never
    /// keeps incidents the account may not see, nor misses ones it now may; returns whether that happened.
    /// The outbox is kept (the user's actions; the hub judges them), and so are the areas (the same city).
    pub fn bind_scope(&mut self, scope: Option<&str>) -> Result<bool> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let old: Option<String> = tx
            .query_row("SELECT value FROM meta WHERE key = 'scope'", [], |r| r.get(0))
            .optional()?;
        let reset = old.as_deref() != scope;
        if reset {
            drop_confirmed(&tx)?;
            match scope {
                Some(s) => put_meta(&tx, "scope", s)?,
                None => {
                    tx.execute("DELETE FROM meta WHERE key = 'scope'", [])?;
                }
            }
        }
        tx.commit()?;
        Ok(reset)
    }
}
