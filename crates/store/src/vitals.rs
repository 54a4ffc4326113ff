//! The vital signs (城市运行数字体征) as the hub last served them (schema 10): the indicator catalogue with each
//! indicator's thresholds and latest reading, and the last 24 h of each one's bucketed series. The desktop polls
//! the hub and writes here; the cockpit's panels read only this, so offline they still show the latest values
//! and the sparklines, and how old they are.

use chrono::{DateTime, Duration, Utc};
use citydeck_protocol::indicators::{IndicatorSeries, IndicatorView, SeriesPoint};
use rusqlite::{params, TransactionBehavior};

use crate::{parse_ts, ts, Cache, Result, StoreError};

/// How much of each series the cache keeps: the sparklines' day.
pub const SERIES_WINDOW: Duration = Duration::hours(24);

/// One cached indicator: as the hub listed it (latest reading included), and when.
#[derive(Clone, Debug, PartialEq)]
pub struct CachedIndicator {
    pub view: IndicatorView,
    /// When the hub last listed it.
    pub fetched_at: DateTime<Utc>,
    /// When its series was last fetched (None: never).
    pub series_fetched_at: Option<DateTime<Utc>>,
}

/// The cached points of one indicator.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct CachedPoints {
    /// Oldest first.
    pub points: Vec<SeriesPoint>,
    /// The step of the newest point's series (seconds; 0 when there is none).
    pub step: u64,
}

impl Cache {
    /// Takes the hub's indicator list as of `at`: every listed indicator is stored in the hub's order (its
    /// thresholds and latest reading as listed), and one no longer listed is dropped with its points. One
    /// transaction: the panels never see half a list.
    pub fn store_indicators(&mut self, list: &[IndicatorView], at: DateTime<Utc>) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut keep = tx.prepare("SELECT id FROM indicators")?;
            let old: Vec<String> = keep
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            for id in old.iter().filter(|id| !list.iter().any(|v| &v.id == *id)) {
                tx.execute("DELETE FROM indicators WHERE id = ?1", [id])?;
                tx.execute("DELETE FROM indicator_points WHERE indicator = ?1", [id])?;
            }
            let mut st = tx.prepare(
                "INSERT INTO indicators (id, ord, scenario, body, fetched_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(id) DO UPDATE SET ord = excluded.ord, scenario = excluded.scenario,
                   body = excluded.body, fetched_at = excluded.fetched_at",
            )?;
            for (ord, v) in list.iter().enumerate() {
                let body = serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                st.execute(params![v.id, ord as i64, v.scenario, body, ts(at)])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The cached indicators in the hub's order (empty before the first poll).
    pub fn cached_indicators(&self) -> Result<Vec<CachedIndicator>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT id, body, fetched_at, series_fetched_at FROM indicators ORDER BY ord")?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
            ))
        })?;
        rows.map(|row| {
            let (id, body, fetched, series) = row?;
            Ok(CachedIndicator {
                view: serde_json::from_str(&body)
                    .map_err(|e| StoreError::Corrupt(format!("indicator {id}: {e}")))?,
                fetched_at: parse_ts(&fetched)?,
                series_fetched_at: series.as_deref().map(parse_ts).transpose()?,
            })
        })
        .collect()
    }

    /// Takes a series of the hub fetched at `now` covering `from`..: the cached points of its indicator from
    /// `from` on are replaced by the series' (a step the hub no longer has goes too), its `series_fetched_at`
    /// becomes `now`, and every point older than [`SERIES_WINDOW`] before `now` is dropped (all indicators).
    /// Points of the series outside the window are not kept.
    pub fn store_series(
        &mut self,
        series: &IndicatorSeries,
        from: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let oldest = now - SERIES_WINDOW;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "DELETE FROM indicator_points WHERE indicator = ?1 AND at >= ?2",
            params![series.indicator, ts(from)],
        )?;
        {
            let mut st = tx.prepare(
                "INSERT INTO indicator_points (indicator, at, value, min, max, step) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(indicator, at) DO UPDATE SET value = excluded.value, min = excluded.min,
                   max = excluded.max, step = excluded.step",
            )?;
            let step = i64::try_from(series.step).unwrap_or(i64::MAX);
            for p in series.points.iter().filter(|p| p.at >= oldest && p.at <= now) {
                if !(p.value.is_finite() && p.min.is_finite() && p.max.is_finite()) {
                    continue;
                }
                st.execute(params![series.indicator, ts(p.at), p.value, p.min, p.max, step])?;
            }
        }
        tx.execute(
            "UPDATE indicators SET series_fetched_at = ?2 WHERE id = ?1",
            params![series.indicator, ts(now)],
        )?;
        tx.execute("DELETE FROM indicator_points WHERE at < ?1", [ts(oldest)])?;
        tx.commit()?;
        Ok(())
    }

    /// The cached points of `indicator` at or after `since`, oldest first.
    pub fn indicator_points(&self, indicator: &str, since: DateTime<Utc>) -> Result<CachedPoints> {
        let mut st = self.conn.prepare_cached(
            "SELECT at, value, min, max, step FROM indicator_points WHERE indicator = ?1 AND at >= ?2
             ORDER BY at",
        )?;
        let mut rows = st.query(params![indicator, ts(since)])?;
        let mut out = CachedPoints::default();
        while let Some(r) = rows.next()? {
            out.points.push(SeriesPoint {
                at: parse_ts(&r.get::<_, String>(0)?)?,
                value: r.get(1)?,
                min: r.get(2)?,
                max: r.get(3)?,
            });
            out.step = u64::try_from(r.get::<_, i64>(4)?).unwrap_or(0);
        }
        Ok(out)
    }

    /// Drops every cached point older than `before`; returns how many went.
    pub fn prune_indicator_points(&self, before: DateTime<Utc>) -> Result<usize> {
        Ok(self
            .conn
            .execute("DELETE FROM indicator_points WHERE at < ?1", [ts(before)])?)
    }
}
