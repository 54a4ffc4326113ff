//! The vital signs' readings (城市运行数字体征, issue 21): stored once per `(indicator, at)`, each indicator's
//! newest kept beside them, the hourly rollups the long series read, and each indicator's episode — all in the
//! one write transaction of the batch, which is stored whole or not at all.
//!
//! Episodes (`domain::indicators::step`): a reading newer than its indicator's newest steps the indicator's
//! episode; the effects are applied in the same transaction — a new incident when the episode opens (exactly
//! one per episode: the transaction is exclusive on both backends, so concurrent batches see each other's
//! state), `incident_regraded` when it rises, `indicator_episode_ended` when the pack's count of normal readings
//! ends it. A late reading (at or before the newest) is stored and counted in the series but steps nothing:
//! the episode follows the indicator's present, not its history.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use citydeck_domain::indicators::{self as vital, Agg, Episode, EpisodeEffect, Level, SeriesPlan};
use citydeck_domain::scenario::Indicator;
use citydeck_domain::stage_clock::StageLimits;
use citydeck_protocol::indicators::{Reading, ReadingsResult};
use citydeck_protocol::{Event, EventBody, Grade, IncidentNote};

use super::log::{insert_incident, read_incident, write_incident};
use super::Db;
use crate::error::{DbError, DbResult};
use crate::sql::{p, parse_ts, ts, Row, Sql};

/// What a batch of readings did: the answer, and the events it appended (to publish).
pub struct Stored {
    pub result: ReadingsResult,
    pub events: Vec<(Event, String)>,
}

impl Db {
    /// Stores `readings` in one write transaction: a reading whose `(indicator, at)` is already stored (or comes
    /// twice in the batch) is a duplicate and changes nothing; a newer reading becomes its indicator's latest
    /// and steps its episode (`rules`: the packs' indicators by id; incidents are created by `actor` at `site`).
    /// `publish` runs for each appended event, in order, while the writer lock is still held (SQLite).
    pub fn store_readings(
        &self,
        readings: &[Reading],
        rules: &HashMap<String, Indicator>,
        actor: &str,
        site: (f64, f64),
        publish: impl Fn(&Event, &str),
    ) -> DbResult<Stored> {
        self.write(
            |tx| store(tx, &self.limits(), readings, rules, actor, site),
            |stored: &Stored| {
                for (ev, json) in &stored.events {
                    publish(ev, json);
                }
            },
        )
    }

    /// Each indicator's newest reading (time, value), by indicator id.
    pub fn latest_readings(&self) -> DbResult<HashMap<String, (DateTime<Utc>, f64)>> {
        self.read(|c| {
            c.rows("SELECT indicator, at, value FROM indicator_latest", &[])?
                .iter_mut()
                .map(|r: &mut Row| Ok((r.text(0)?, (parse_ts(&r.text(1)?)?, r.real(2)?))))
                .collect()
        })
    }

    /// The series of `indicator` as `plan` says: the whole hours from the rollups, the rest from the readings.
    pub fn series(&self, indicator: &str, plan: &SeriesPlan) -> DbResult<Vec<vital::Bucket>> {
        self.read(|c| {
            let mut s = plan.series();
            for (from, to) in plan.raw_ranges() {
                for mut r in c.rows(
                    "SELECT at, value FROM readings WHERE indicator = ?1 AND at >= ?2 AND at < ?3",
                    p![indicator, &ts(from), &ts(to)],
                )? {
                    s.reading(parse_ts(&r.text(0)?)?, r.real(1)?);
                }
            }
            if let Some((h0, h1)) = plan.hours {
                for mut r in c.rows(
                    "SELECT hour, n, total, lo, hi FROM reading_rollups
                     WHERE indicator = ?1 AND hour >= ?2 AND hour < ?3",
                    p![indicator, h0, h1],
                )? {
                    let hour = r.int(0)?;
                    let agg = Agg {
                        n: r.uint(1)?,
                        sum: r.real(2)?,
                        min: r.real(3)?,
                        max: r.real(4)?,
                    };
                    s.rollup(hour, agg);
                }
            }
            Ok(s.finish())
        })
    }

    /// A point inside the city (the top area of `--areas`), where incidents raised by city-wide indicators are
    /// placed; `None` on a hub without areas.
    pub fn city_point(&self) -> DbResult<Option<(f64, f64)>> {
        self.read(|c| {
            let Some(mut r) = c.row(
                "SELECT id, geometry FROM areas WHERE parent IS NULL ORDER BY rid LIMIT 1",
                &[],
            )?
            else {
                return Ok(None);
            };
            let id = r.text(0)?;
            let geometry: serde_json::Value = serde_json::from_str(&r.text(1)?)
                .map_err(|e| DbError::Corrupt(format!("area {id} geometry: {e}")))?;
            let area = citydeck_domain::areas::Area::from_geojson(&geometry)
                .map_err(|e| DbError::Corrupt(format!("area {id}: {e}")))?;
            Ok(area.interior_point())
        })
    }
}

fn store(
    tx: &mut dyn Sql,
    limits: &StageLimits,
    readings: &[Reading],
    rules: &HashMap<String, Indicator>,
    actor: &str,
    site: (f64, f64),
) -> DbResult<Stored> {
    let mut result = ReadingsResult::default();
    // the stored ones, by indicator, in the batch's order
    let mut fresh: BTreeMap<&str, Vec<&Reading>> = BTreeMap::new();
    for r in readings {
        let n = tx.exec(
            "INSERT INTO readings (indicator, at, value) VALUES (?1, ?2, ?3)
             ON CONFLICT (indicator, at) DO NOTHING",
            p![&r.indicator, &ts(r.at), r.value],
        )?;
        if n == 0 {
            result.duplicates += 1;
        } else {
            result.accepted += 1;
            fresh.entry(r.indicator.as_str()).or_default().push(r);
        }
    }
    for ((indicator, hour), agg) in vital::rollups(
        fresh
            .values()
            .flatten()
            .map(|r| (r.indicator.as_str(), r.at, r.value)),
    ) {
        tx.exec(
            "INSERT INTO reading_rollups (indicator, hour, n, total, lo, hi) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (indicator, hour) DO UPDATE SET n = reading_rollups.n + excluded.n,
               total = reading_rollups.total + excluded.total,
               lo = CASE WHEN excluded.lo < reading_rollups.lo THEN excluded.lo ELSE reading_rollups.lo END,
               hi = CASE WHEN excluded.hi > reading_rollups.hi THEN excluded.hi ELSE reading_rollups.hi END",
            p![indicator, hour, agg.n, agg.sum, agg.min, agg.max],
        )?;
    }
    let mut events = Vec::new();
    for (indicator, mut stored) in fresh {
        let before = tx
            .row(
                "SELECT at FROM indicator_latest WHERE indicator = ?1",
                p![indicator],
            )?
            .map(|mut r| r.text(0).and_then(|t| parse_ts(&t)))
            .transpose()?;
        // only the readings newer than the newest step the episode, oldest first
        stored.retain(|r| before.is_none_or(|b| r.at > b));
        stored.sort_by_key(|r| r.at);
        let Some(newest) = stored.last() else {
            continue;
        };
        tx.exec(
            "INSERT INTO indicator_latest (indicator, at, value) VALUES (?1, ?2, ?3)
             ON CONFLICT (indicator) DO UPDATE SET at = excluded.at, value = excluded.value",
            p![indicator, &ts(newest.at), newest.value],
        )?;
        if let Some(rule) = rules.get(indicator) {
            step_episode(tx, limits, rule, &stored, actor, site, &mut events)?;
        }
    }
    Ok(Stored { result, events })
}

/// Steps `rule`'s episode through `readings` (newer than its newest, oldest first) and applies the effects.
fn step_episode(
    tx: &mut dyn Sql,
    limits: &StageLimits,
    rule: &Indicator,
    readings: &[&Reading],
    actor: &str,
    site: (f64, f64),
    events: &mut Vec<(Event, String)>,
) -> DbResult<()> {
    let (state0, id0) = match tx.row(
        "SELECT incident_id, level, normals FROM indicator_episodes WHERE indicator = ?1",
        p![&rule.id],
    )? {
        None => (Episode::Quiet, None),
        Some(mut r) => {
            let id = r.text(0)?;
            let level = r.text(1)?;
            let level = Level::ALL
                .into_iter()
                .find(|l| l.as_str() == level)
                .ok_or_else(|| DbError::Corrupt(format!("episode level {level:?}")))?;
            let normals = u32::try_from(r.uint(2)?).unwrap_or(u32::MAX);
            let id =
                uuid::Uuid::parse_str(&id).map_err(|e| DbError::Corrupt(format!("episode incident: {e}")))?;
            (Episode::Open { level, normals }, Some(id))
        }
    };
    let (mut state, mut incident_id) = (state0, id0);
    for r in readings {
        let (next, effect) = vital::step(rule, state, r.value);
        state = next;
        let Some(effect) = effect else { continue };
        match effect {
            EpisodeEffect::Open {
                level: _,
                grade,
                title,
                description,
            } => {
                let new = vital::new_incident(rule, grade, &title, &description, r.at, site);
                match insert_incident(tx, limits, actor, None, new, None)? {
                    Ok(Ok((event, json))) => {
                        incident_id = event.body.incident().map(|i| i.id);
                        events.push((event, json));
                    }
                    // the same opening reading's incident exists already (its readings were deleted and posted
                    // again): the episode goes on with it
                    Ok(Err(existing)) => incident_id = Some(existing.id),
                    Err(refusal) => {
                        return Err(DbError::Corrupt(format!(
                            "indicator incident refused: {refusal:?}"
                        )))
                    }
                }
            }
            EpisodeEffect::Raise { from, to, note, .. } => {
                if let Some(id) = incident_id {
                    if let Some(ev) = regrade(tx, limits, id, &rule.id, from, to, &note, actor, r.at)? {
                        events.push(ev);
                    }
                }
            }
            EpisodeEffect::End { note } => {
                if let Some(id) = incident_id.take() {
                    if let Some(ev) = end(tx, limits, id, &rule.id, &note, actor, r.at)? {
                        events.push(ev);
                    }
                }
            }
        }
    }
    if (state, incident_id) == (state0, id0) {
        return Ok(());
    }
    match (state, incident_id) {
        (Episode::Open { level, normals }, Some(id)) => {
            tx.exec(
                "INSERT INTO indicator_episodes (indicator, incident_id, level, normals) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (indicator) DO UPDATE SET incident_id = excluded.incident_id,
                   level = excluded.level, normals = excluded.normals",
                p![&rule.id, &id.to_string(), level.as_str(), normals],
            )?;
        }
        _ => {
            tx.exec(
                "DELETE FROM indicator_episodes WHERE indicator = ?1",
                p![&rule.id],
            )?;
        }
    }
    Ok(())
}

fn note(text: &citydeck_domain::scenario::Text, by: &str, at: DateTime<Utc>) -> IncidentNote {
    IncidentNote {
        at,
        by: by.to_string(),
        text: format!("{}\n{}", text.zh, text.en),
        photo_ref: None,
    }
}

#[allow(clippy::too_many_arguments)]
fn regrade(
    tx: &mut dyn Sql,
    limits: &StageLimits,
    id: uuid::Uuid,
    indicator: &str,
    from: Grade,
    to: Grade,
    text: &citydeck_domain::scenario::Text,
    actor: &str,
    at: DateTime<Utc>,
) -> DbResult<Option<(Event, String)>> {
    let Some(mut incident) = read_incident(tx, id)? else {
        return Ok(None);
    };
    // never lowered: the incident keeps a grade already above the episode's
    let from = incident.grade.max(from);
    incident.grade = from.max(to);
    incident.notes.push(note(text, actor, at));
    let to = incident.grade;
    write_incident(tx, limits, actor, incident, |incident| {
        EventBody::IncidentRegraded {
            incident,
            from,
            to,
            indicator: indicator.to_string(),
        }
    })
    .map(Some)
}

#[allow(clippy::too_many_arguments)]
fn end(
    tx: &mut dyn Sql,
    limits: &StageLimits,
    id: uuid::Uuid,
    indicator: &str,
    text: &citydeck_domain::scenario::Text,
    actor: &str,
    at: DateTime<Utc>,
) -> DbResult<Option<(Event, String)>> {
    let Some(mut incident) = read_incident(tx, id)? else {
        return Ok(None);
    };
    incident.notes.push(note(text, actor, at));
    write_incident(tx, limits, actor, incident, |incident| {
        EventBody::IndicatorEpisodeEnded {
            incident,
            indicator: indicator.to_string(),
        }
    })
    .map(Some)
}
