//! The city's areas (三级: city, districts, streets) with a spatial index, and which areas hold a point.
//!
//! The areas are replaced from the areas file at start (in one write transaction, so replicas starting together
//! on PostgreSQL each leave the same set). A point is looked up by bounding box in the spatial index — SQLite's
//! R*Tree `areas_rtree`, PostgreSQL's GiST index `areas_rtree` — and the candidates are then tested exactly
//! against their outlines by `domain::areas` (holes, detached parts).

use citydeck_domain::area_file::AreaDef;
use citydeck_domain::areas::{containing, Area};
use citydeck_protocol::{AreaDetail, AreaLevel, AreaSummary};

use super::Db;
use crate::error::{DbError, DbResult};
use crate::sql::{p, Row, Sql};

const SUMMARY: &str = "SELECT id, name, level, parent, min_lon, min_lat, max_lon, max_lat, name_zh, name_en";
/// The city first, then districts, then streets, each by id.
const ORDER: &str = "ORDER BY CASE level WHEN 'city' THEN 0 WHEN 'district' THEN 1 ELSE 2 END, id";

fn summary(r: &mut Row) -> DbResult<AreaSummary> {
    let level = r.text(2)?;
    Ok(AreaSummary {
        id: r.text(0)?,
        name: r.text(1)?,
        level: AreaLevel::parse(&level).ok_or_else(|| DbError::Corrupt(format!("area level {level:?}")))?,
        parent: r.opt_text(3)?,
        bbox: [r.real(4)?, r.real(5)?, r.real(6)?, r.real(7)?],
        name_zh: r.opt_text(8)?,
        name_en: r.opt_text(9)?,
    })
}

fn outline(json: &str) -> DbResult<serde_json::Value> {
    serde_json::from_str(json).map_err(|e| DbError::Corrupt(format!("area geometry: {e}")))
}

impl Db {
    /// Replaces every area with `areas` (as `domain::area_file::parse` made them), in one write transaction.
    pub fn replace_areas(&self, areas: &[AreaDef]) -> DbResult<()> {
        self.write(
            |tx| -> DbResult<()> {
                if !tx.is_postgres() {
                    tx.exec("DELETE FROM areas_rtree", &[])?;
                }
                tx.exec("DELETE FROM areas", &[])?;
                for (i, a) in areas.iter().enumerate() {
                    let rid = i as i64 + 1;
                    let [w, s, e, n] = a.bbox;
                    let geometry = a.area.to_geojson().to_string();
                    tx.exec(
                        "INSERT INTO areas (rid, id, name, level, parent, min_lon, min_lat, max_lon, max_lat, geometry,
                                            name_zh, name_en)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                        p![
                            rid,
                            &a.id,
                            &a.name,
                            a.level.as_str(),
                            a.parent.as_ref(),
                            w,
                            s,
                            e,
                            n,
                            &geometry,
                            a.name_zh.as_ref(),
                            a.name_en.as_ref()
                        ],
                    )?;
                    if !tx.is_postgres() {
                        tx.exec(
                            "INSERT INTO areas_rtree (rid, min_lon, max_lon, min_lat, max_lat)
                             VALUES (?1, ?2, ?3, ?4, ?5)",
                            p![rid, w, e, s, n],
                        )?;
                    }
                }
                Ok(())
            },
            |_| {},
        )
    }

    /// Every area: the city, then districts, then streets.
    pub fn areas(&self) -> DbResult<Vec<AreaSummary>> {
        self.read(|c| {
            c.rows(&format!("{SUMMARY} FROM areas {ORDER}"), &[])?
                .iter_mut()
                .map(summary)
                .collect()
        })
    }

    /// One area with its outline.
    pub fn area(&self, id: &str) -> DbResult<Option<AreaDetail>> {
        self.read(|c| {
            c.row(&format!("{SUMMARY}, geometry FROM areas WHERE id = ?1"), p![id])?
                .map(|mut r| {
                    Ok(AreaDetail {
                        area: summary(&mut r)?,
                        geometry: outline(&r.text(10)?)?,
                    })
                })
                .transpose()
        })
    }
}

/// The ids of the areas holding `(lon, lat)`, the city first (`domain::areas::containing` on the candidates
/// the spatial index gives).
pub(super) fn areas_at(c: &mut dyn Sql, lon: f64, lat: f64) -> DbResult<Vec<String>> {
    let sql = if c.is_postgres() {
        "SELECT id, level, geometry FROM areas
         WHERE box(point(min_lon, min_lat), point(max_lon, max_lat)) && box(point(?1, ?2), point(?1, ?2))"
    } else {
        "SELECT a.id, a.level, a.geometry FROM areas_rtree r JOIN areas a ON a.rid = r.rid
         WHERE r.min_lon <= ?1 AND r.max_lon >= ?1 AND r.min_lat <= ?2 AND r.max_lat >= ?2"
    };
    let mut candidates = Vec::new();
    for mut r in c.rows(sql, p![lon, lat])? {
        let id = r.text(0)?;
        let level = r.text(1)?;
        let level =
            AreaLevel::parse(&level).ok_or_else(|| DbError::Corrupt(format!("area level {level:?}")))?;
        let area = Area::from_geojson(&outline(&r.text(2)?)?)
            .map_err(|e| DbError::Corrupt(format!("area {id}: {e}")))?;
        candidates.push((id, level, area));
    }
    Ok(containing(
        (lon, lat),
        candidates
            .iter()
            .map(|(id, level, area)| (id.as_str(), *level, area)),
    ))
}
