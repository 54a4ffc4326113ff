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
use citydeck_domain::stage_clock::LoopRules;
use citydeck_protocol::indicators::{Reading, ReadingsResult};
use citydeck_protocol::{Event, EventBody, Grade, IncidentNote};

use super::log::{insert_incident, read_incident, write_incident};
use super::Db;
use crate::error::{DbError, DbResult};
use crate::sql::{p, parse_ts, ts, Row, Sql, P};

/// Readings per `INSERT` statement (3 parameters each, far under both engines' limits).
const INSERT_ROWS: usize = 250;

/// Events appended in a write, each with its JSON (to publish).
type Events = Vec<(Event, String)>;

/// A validated batch waiting for the group commit ([`Db::store_queued_readings`]) and where its answer goes.
pub struct ReadingsJob {
    pub readings: Vec<Reading>,
    /// The posting account (the creator of the incidents its episodes raise).
    pub actor: String,
    pub reply: tokio::sync::oneshot::Sender<DbResult<ReadingsResult>>,
}

/// What a batch of readings did: the answer, and the events it appended (to publish).
pub struct Stored {
    pub result: ReadingsResult,
    pub events: Vec<(Event, String)>,
}

impl Db {
    /// Stores readings batches. A reading whose `(indicator, at)` is already stored (or comes twice in a batch)
    /// is a duplicate and changes nothing; a newer reading becomes its indicator's latest and steps its episode
    /// (`rules`: the packs' indicators by id; incidents are created by the batch's account at `site`); `publish`
    /// runs for each appended event, in order, while the writer lock is still held (SQLite).
    ///
    /// Group commit of the batches waiting in `queue` (each an HTTP request's, validated): whoever takes the
    /// writer next stores every batch queued by then in one write transaction, in arrival order — each batch
    /// whole, its answer its own — and answers each waiting request after the commit. One commit (one fsync)
    /// for the batches that arrived while the previous transaction was writing, instead of one per batch. If the
    /// transaction fails, no batch of it is stored and each is answered with the storage error (`503`).
    pub fn store_queued_readings(
        &self,
        queue: &std::sync::Mutex<Vec<ReadingsJob>>,
        rules: &HashMap<String, Indicator>,
        site: (f64, f64),
        publish: impl Fn(&Event, &str),
    ) {
        let mut taken: Vec<ReadingsJob> = Vec::new();
        let limits = self.limits();
        let r = self.write(
            |tx| -> DbResult<(Vec<ReadingsResult>, Events)> {
                taken = std::mem::take(&mut *queue.lock().unwrap_or_else(|p| p.into_inner()));
                let mut results = Vec::with_capacity(taken.len());
                let mut events = Vec::new();
                for job in &taken {
                    let stored = store(tx, &limits, &job.readings, rules, &job.actor, site)?;
                    results.push(stored.result);
                    events.extend(stored.events);
                }
                Ok((results, events))
            },
            |(_, events)| {
                for (ev, json) in events {
                    publish(ev, json);
                }
            },
        );
        match r {
            Ok((results, _)) => {
                for (job, result) in taken.into_iter().zip(results) {
                    let _ = job.reply.send(Ok(result));
                }
            }
            Err(e) => {
                let message = e.to_string();
                for job in taken {
                    let _ = job
                        .reply
                        .send(Err(DbError::Pool(format!("readings not stored: {message}"))));
                }
            }
        }
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
    limits: &LoopRules,
    readings: &[Reading],
    rules: &HashMap<String, Indicator>,
    actor: &str,
    site: (f64, f64),
) -> DbResult<Stored> {
    let mut result = ReadingsResult::default();
    // the stored ones, by indicator, in the batch's order
    let mut fresh: BTreeMap<&str, Vec<&Reading>> = BTreeMap::new();
    let times: Vec<String> = readings.iter().map(|r| ts(r.at)).collect();
    // Many rows per statement (a statement per row costs more than the row); `RETURNING` says which were
    // stored: the first of each `(indicator, at)` in the batch, none already stored.
    for (chunk, times) in readings.chunks(INSERT_ROWS).zip(times.chunks(INSERT_ROWS)) {
        let mut sql = String::from("INSERT INTO readings (indicator, at, value) VALUES ");
        let mut params = Vec::with_capacity(chunk.len() * 3);
        for (i, (r, at)) in chunk.iter().zip(times).enumerate() {
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!("(?{}, ?{}, ?{})", 3 * i + 1, 3 * i + 2, 3 * i + 3));
            params.extend([P::from(&r.indicator), P::from(at), P::from(r.value)]);
        }
        sql.push_str(" ON CONFLICT (indicator, at) DO NOTHING RETURNING indicator, at");
        let mut stored = std::collections::HashSet::new();
        for mut row in tx.rows(&sql, &params)? {
            stored.insert((row.text(0)?, row.text(1)?));
        }
        for (r, at) in chunk.iter().zip(times) {
            // taking the key out counts a second copy in the batch as the duplicate it is
            if stored.remove(&(r.indicator.clone(), at.clone())) {
                result.accepted += 1;
                fresh.entry(r.indicator.as_str()).or_default().push(r);
            } else {
                result.duplicates += 1;
            }
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
    limits: &LoopRules,
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
            EpisodeEffect::Raise {
                from,
                to,
                note,
                title,
                ..
            } => {
                if let Some(id) = incident_id {
                    if let Some(ev) =
                        regrade(tx, limits, id, &rule.id, (from, to), &title, &note, actor, r.at)?
                    {
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
    limits: &LoopRules,
    id: uuid::Uuid,
    indicator: &str,
    (from, to): (Grade, Grade),
    title: &citydeck_domain::scenario::Text,
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
    // the title says the level reached (it said the level the episode opened at)
    incident.title = title.zh.clone();
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
    limits: &LoopRules,
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
