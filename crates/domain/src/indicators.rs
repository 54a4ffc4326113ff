//! Vital-sign rules (数字体征): the warning level of a reading, the episode a crossing opens (exactly one incident
//! per episode, raised but never lowered, ended by consecutive normal readings), and the series bucketing the
//! charts ask for. Pure: the hub keeps the episode state beside the readings and applies the effects in the
//! reading's transaction.
//!
//! Levels are the national warning colours. A reading has reached a threshold when it is at or beyond it in the
//! indicator's direction (`above`: `value >= threshold`; `below`: `value <= threshold`). Yellow, orange and
//! red raise an incident (grade III, II, I); blue is shown, never raised.
//!
//! The episode machine, per indicator:
//!
//! | state | reading | next | effect |
//! |---|---|---|---|
//! | quiet | normal, blue | quiet | — |
//! | quiet | yellow+ | open at that level | [`EpisodeEffect::Open`]: one incident |
//! | open at L | above L | open at the new level | [`EpisodeEffect::Raise`]: the incident's grade goes up |
//! | open at L | yellow+ up to L | open at L, normal count 0 | — |
//! | open | blue | open, normal count 0 | — (blue is not normal: the indicator is still in warning) |
//! | open | normal, the N-th in a row | quiet | [`EpisodeEffect::End`]: a note on the incident |
//! | open | normal, fewer than N in a row | open, normal count + 1 | — |
//!
//! A reading that is not a finite number changes nothing (the hub refuses it before).

use chrono::{DateTime, Utc};
use citydeck_protocol::Grade;

use crate::scenario::{Indicator, Text};

/// Which way an indicator gets worse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Higher is worse (load, rain, accidents).
    Above,
    /// Lower is worse (water flow, pressure).
    Below,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Above => "above",
            Direction::Below => "below",
        }
    }
}

/// A reading's warning level, in increasing severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Normal,
    Blue,
    Yellow,
    Orange,
    Red,
}

impl Level {
    pub const ALL: [Level; 5] = [
        Level::Normal,
        Level::Blue,
        Level::Yellow,
        Level::Orange,
        Level::Red,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Normal => "normal",
            Level::Blue => "blue",
            Level::Yellow => "yellow",
            Level::Orange => "orange",
            Level::Red => "red",
        }
    }

    /// The grade of the incident this level raises: red → I, orange → II, yellow → III; none for blue and
    /// normal.
    pub fn grade(self) -> Option<Grade> {
        match self {
            Level::Red => Some(Grade::I),
            Level::Orange => Some(Grade::II),
            Level::Yellow => Some(Grade::III),
            Level::Blue | Level::Normal => None,
        }
    }

    /// The level as the wire says it (`latest.level` of `GET /api/v1/indicators`).
    pub fn wire(self) -> citydeck_protocol::indicators::IndicatorLevel {
        use citydeck_protocol::indicators::IndicatorLevel as W;
        match self {
            Level::Normal => W::Normal,
            Level::Blue => W::Blue,
            Level::Yellow => W::Yellow,
            Level::Orange => W::Orange,
            Level::Red => W::Red,
        }
    }

    fn zh(self) -> &'static str {
        match self {
            Level::Normal => "正常",
            Level::Blue => "蓝色",
            Level::Yellow => "黄色",
            Level::Orange => "橙色",
            Level::Red => "红色",
        }
    }
}

impl Indicator {
    /// The level of a reading (normal for a value that is not a finite number).
    pub fn level(&self, value: f64) -> Level {
        if !value.is_finite() {
            return Level::Normal;
        }
        let reached = |t: f64| match self.direction {
            Direction::Above => value >= t,
            Direction::Below => value <= t,
        };
        [Level::Red, Level::Orange, Level::Yellow, Level::Blue]
            .into_iter()
            .find(|&l| self.thresholds.of(l).is_some_and(reached))
            .unwrap_or(Level::Normal)
    }
}

/// An indicator's episode state: quiet, or open since a crossing into yellow or worse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Episode {
    #[default]
    Quiet,
    Open {
        /// The highest level reached in this episode (yellow, orange or red): the incident's grade.
        level: Level,
        /// Consecutive normal readings so far.
        normals: u32,
    },
}

/// What the hub must do for a reading, in the reading's transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum EpisodeEffect {
    /// Create the episode's incident (`source: "indicator"`) of this grade.
    Open {
        level: Level,
        grade: Grade,
        title: Text,
        description: Text,
    },
    /// Raise the episode's incident from one grade to a more severe one; its title follows the level
    /// (`电力负荷红色预警`, no longer the orange it opened with).
    Raise {
        level: Level,
        from: Grade,
        to: Grade,
        title: Text,
        note: Text,
    },
    /// The episode is over: a note on its incident.
    End { note: Text },
}

/// The next state of `indicator`'s episode after a reading of `value`, and what that reading makes happen.
pub fn step(indicator: &Indicator, state: Episode, value: f64) -> (Episode, Option<EpisodeEffect>) {
    if !value.is_finite() {
        return (state, None);
    }
    let level = indicator.level(value);
    match (state, level.grade()) {
        (Episode::Quiet, None) => (Episode::Quiet, None),
        (Episode::Quiet, Some(grade)) => (
            Episode::Open { level, normals: 0 },
            Some(EpisodeEffect::Open {
                level,
                grade,
                title: title(indicator, level),
                description: crossing(indicator, level, value),
            }),
        ),
        (Episode::Open { level: peak, .. }, Some(grade)) if level > peak => {
            let from = peak.grade().unwrap_or(Grade::III);
            (
                Episode::Open { level, normals: 0 },
                Some(EpisodeEffect::Raise {
                    level,
                    from,
                    to: grade,
                    title: title(indicator, level),
                    note: raise_note(indicator, level, value, from, grade),
                }),
            )
        }
        (Episode::Open { level: peak, .. }, Some(_)) => (
            Episode::Open {
                level: peak,
                normals: 0,
            },
            None,
        ),
        (Episode::Open { level: peak, .. }, None) if level == Level::Blue => (
            Episode::Open {
                level: peak,
                normals: 0,
            },
            None,
        ),
        (Episode::Open { level: peak, normals }, None) => {
            let normals = normals.saturating_add(1);
            if normals >= indicator.normal_readings_to_end {
                (
                    Episode::Quiet,
                    Some(EpisodeEffect::End {
                        note: end_note(indicator),
                    }),
                )
            } else {
                (Episode::Open { level: peak, normals }, None)
            }
        }
    }
}

/// A number as people write it: no `.0` on whole numbers, the shortest exact decimal otherwise.
fn num(v: f64) -> String {
    format!("{v}")
}

fn title(ind: &Indicator, level: Level) -> Text {
    Text {
        zh: format!("{}{}预警", ind.name.zh, level.zh()),
        en: format!("{}: {} alert", ind.name.en, level.as_str()),
    }
}

/// The threshold `level` stands for, and how a reading reaches it.
fn reached(ind: &Indicator, level: Level) -> (f64, &'static str) {
    let threshold = ind.thresholds.of(level).unwrap_or(f64::NAN);
    let op = match ind.direction {
        Direction::Above => "≥",
        Direction::Below => "≤",
    };
    (threshold, op)
}

fn crossing(ind: &Indicator, level: Level, value: f64) -> Text {
    let (t, op) = reached(ind, level);
    let u = &ind.unit;
    Text {
        zh: format!(
            "{}读数 {} {u}，达到{}阈值（{} {} {u}）。",
            ind.name.zh,
            num(value),
            level.zh(),
            op,
            num(t)
        ),
        en: format!(
            "{} reading {} {u} reached the {} threshold ({} {} {u}).",
            ind.name.en,
            num(value),
            level.as_str(),
            op,
            num(t)
        ),
    }
}

fn raise_note(ind: &Indicator, level: Level, value: f64, from: Grade, to: Grade) -> Text {
    let c = crossing(ind, level, value);
    Text {
        zh: format!(
            "{} 事件等级由 {} 级升为 {} 级。",
            c.zh,
            from.as_str(),
            to.as_str()
        ),
        en: format!(
            "{} Incident grade raised from {} to {}.",
            c.en,
            from.as_str(),
            to.as_str()
        ),
    }
}

fn end_note(ind: &Indicator) -> Text {
    let n = ind.normal_readings_to_end;
    Text {
        zh: format!("{}连续 {n} 次读数正常，本次越限结束。", ind.name.zh),
        en: format!(
            "{} back to normal for {n} consecutive reading{}; the episode is over.",
            ind.name.en,
            if n == 1 { "" } else { "s" }
        ),
    }
}

/// The `source` of the incidents vital signs raise.
pub const INCIDENT_SOURCE: &str = "indicator";

/// The incident an episode of `ind` opens with a reading at `at`: `source: "indicator"`, `external_id`
/// `"<indicator id>@<the reading's time, RFC 3339>"` (so a re-delivered opening finds it), the pack's class, the
/// title in Chinese and the description in both languages, at `site` (the hub's point for the indicator).
pub fn new_incident(
    ind: &Indicator,
    grade: Grade,
    title: &Text,
    description: &Text,
    at: DateTime<Utc>,
    site: (f64, f64),
) -> citydeck_protocol::NewIncident {
    citydeck_protocol::NewIncident {
        title: title.zh.clone(),
        class: ind.class,
        grade,
        lon: site.0,
        lat: site.1,
        source: INCIDENT_SOURCE.to_string(),
        description: Some(format!("{}\n{}", description.zh, description.en)),
        address: None,
        external_id: Some(format!(
            "{}@{}",
            ind.id,
            at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
        )),
        occurred_at: Some(at),
    }
}

/// The indicator whose episode raised `incident`, if a vital sign raised it.
pub fn raised_by(incident: &citydeck_protocol::Incident) -> Option<&str> {
    if incident.source != INCIDENT_SOURCE {
        return None;
    }
    incident.external_id.as_deref()?.split_once('@').map(|(id, _)| id)
}

/// One point of a bucketed series: the bucket's start, the mean, least and greatest value in it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    pub at: DateTime<Utc>,
    pub value: f64,
    pub min: f64,
    pub max: f64,
}

/// The most buckets one series query may ask for.
pub const MAX_BUCKETS: i64 = 10_000;

/// The width of the hub's rollups (one row per indicator and hour: count, sum, least, greatest), in seconds.
pub const ROLLUP_SECS: i64 = 3600;

const MICROS: i64 = 1_000_000;

/// The longest step a series query may ask for: a year, in seconds.
pub const MAX_STEP: i64 = 31_536_000;

/// Why a series range cannot be bucketed (a 400 on the series endpoint, naming the parameter).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    #[error("step: must be a whole number of seconds, 1 ..= {MAX_STEP}")]
    Step,
    #[error("to: must be after from")]
    Empty,
    #[error("step: the range holds more than {MAX_BUCKETS} steps")]
    TooManyBuckets,
    #[error("{0}: must be a time in RFC 3339 (2026-12-07T08:00:00Z)")]
    Time(&'static str),
}

impl RangeError {
    /// The query parameter at fault.
    pub fn parameter(&self) -> &'static str {
        match self {
            RangeError::Step | RangeError::TooManyBuckets => "step",
            RangeError::Empty => "to",
            RangeError::Time(p) => p,
        }
    }
}

/// The series query `?from=&to=&step=` as the endpoint takes it: times in RFC 3339, the step in whole seconds
/// (1 ..= [`MAX_STEP`]), planned by [`SeriesPlan::new`].
pub fn series_query(from: &str, to: &str, step: &str) -> Result<SeriesPlan, RangeError> {
    let time = |s: &str, name| {
        DateTime::parse_from_rfc3339(s.trim())
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| RangeError::Time(name))
    };
    let (from, to) = (time(from, "from")?, time(to, "to")?);
    let step: i64 = step.trim().parse().map_err(|_| RangeError::Step)?;
    if !(1..=MAX_STEP).contains(&step) {
        return Err(RangeError::Step);
    }
    SeriesPlan::new(from, to, step)
}

/// A reading's time in microseconds since the epoch (the stored precision).
pub fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// The start (seconds since the epoch) of the rollup hour holding `t`.
pub fn rollup_hour(t: DateTime<Utc>) -> i64 {
    micros(t).div_euclid(ROLLUP_SECS * MICROS) * ROLLUP_SECS
}

/// How a series query over `[from, to)` is answered.
///
/// Buckets are aligned to the epoch (a bucket starts at a multiple of `step` seconds since 1970-01-01 UTC), so
/// the same step always cuts time the same way. A step of an hour or more is rounded to the nearest whole
/// number of hours and the hours wholly inside the range are read from the hourly rollups (a year of per-minute
/// readings is 8,760 rollup rows, not 525,600 readings); the parts of the range before the first and after the
/// last whole hour, and every query with a shorter step, read the readings themselves. The answer says which
/// step it used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeriesPlan {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// The step used, in seconds.
    pub step: i64,
    /// The whole rollup hours `[start, end)` (seconds since the epoch) read from the rollups, if any.
    pub hours: Option<(i64, i64)>,
}

impl SeriesPlan {
    /// Plans a query for `step_secs` (as asked) over `[from, to)`.
    pub fn new(from: DateTime<Utc>, to: DateTime<Utc>, step_secs: i64) -> Result<SeriesPlan, RangeError> {
        if step_secs < 1 {
            return Err(RangeError::Step);
        }
        if to <= from {
            return Err(RangeError::Empty);
        }
        let step = if step_secs >= ROLLUP_SECS {
            // nearest whole number of hours (at least one)
            (step_secs.saturating_add(ROLLUP_SECS / 2) / ROLLUP_SECS).max(1) * ROLLUP_SECS
        } else {
            step_secs
        };
        let step_us = step.checked_mul(MICROS).ok_or(RangeError::TooManyBuckets)?;
        let first = micros(from).div_euclid(step_us);
        let last = (micros(to) - 1).div_euclid(step_us);
        if last - first + 1 > MAX_BUCKETS {
            return Err(RangeError::TooManyBuckets);
        }
        let hours = (step >= ROLLUP_SECS).then(|| {
            let h = ROLLUP_SECS * MICROS;
            let start = (micros(from) + h - 1).div_euclid(h) * ROLLUP_SECS;
            let end = micros(to).div_euclid(h) * ROLLUP_SECS;
            (start, end)
        });
        Ok(SeriesPlan {
            from,
            to,
            step,
            hours: hours.filter(|(s, e)| s < e),
        })
    }

    /// The parts of the range read from the readings themselves, `[from, to)` each.
    pub fn raw_ranges(&self) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        match self.hours {
            None => vec![(self.from, self.to)],
            Some((s, e)) => {
                let s = DateTime::from_timestamp(s, 0).unwrap_or(self.from);
                let e = DateTime::from_timestamp(e, 0).unwrap_or(self.to);
                [(self.from, s), (e, self.to)]
                    .into_iter()
                    .filter(|(a, b)| a < b)
                    .collect()
            }
        }
    }

    /// An empty accumulator for this plan's buckets.
    pub fn series(&self) -> Series {
        Series {
            step: self.step,
            from: micros(self.from),
            to: micros(self.to),
            buckets: Default::default(),
        }
    }
}

/// Count, sum, least and greatest of some readings: what a bucket, and a rollup row, holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Agg {
    pub n: u64,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
}

impl Agg {
    pub fn of(v: f64) -> Agg {
        Agg {
            n: 1,
            sum: v,
            min: v,
            max: v,
        }
    }

    pub fn merge(&mut self, o: Agg) {
        self.n += o.n;
        self.sum += o.sum;
        self.min = self.min.min(o.min);
        self.max = self.max.max(o.max);
    }
}

/// The rollup rows a batch of readings adds to: per `(indicator, hour)`, the batch's [`Agg`].
pub fn rollups<'a>(
    readings: impl IntoIterator<Item = (&'a str, DateTime<Utc>, f64)>,
) -> std::collections::BTreeMap<(&'a str, i64), Agg> {
    let mut out = std::collections::BTreeMap::<(&str, i64), Agg>::new();
    for (id, at, v) in readings {
        if !v.is_finite() {
            continue;
        }
        out.entry((id, rollup_hour(at)))
            .and_modify(|a| a.merge(Agg::of(v)))
            .or_insert_with(|| Agg::of(v));
    }
    out
}

/// A series being accumulated from readings and rollup rows (see [`SeriesPlan`]).
#[derive(Debug, Clone)]
pub struct Series {
    step: i64,
    from: i64,
    to: i64,
    buckets: std::collections::BTreeMap<i64, Agg>,
}

impl Series {
    fn add_at(&mut self, at_us: i64, agg: Agg) {
        let k = at_us.div_euclid(self.step * MICROS);
        self.buckets.entry(k).and_modify(|a| a.merge(agg)).or_insert(agg);
    }

    /// Adds a reading; one outside the range or not a finite number is left out.
    pub fn reading(&mut self, at: DateTime<Utc>, v: f64) {
        let t = micros(at);
        if v.is_finite() && t >= self.from && t < self.to {
            self.add_at(t, Agg::of(v));
        }
    }

    /// Adds a rollup row: the hour starting at `hour` (seconds since the epoch); the plan reads only hours
    /// wholly inside the range, and a step of whole hours holds each hour in one bucket.
    pub fn rollup(&mut self, hour: i64, agg: Agg) {
        if agg.n > 0 {
            self.add_at(hour.saturating_mul(MICROS), agg);
        }
    }

    /// The buckets holding at least one reading, in time order.
    pub fn finish(self) -> Vec<Bucket> {
        self.buckets
            .into_iter()
            .filter_map(|(k, a)| {
                Some(Bucket {
                    at: DateTime::from_timestamp(k.checked_mul(self.step)?, 0)?,
                    // the mean can drift outside [min, max] by a rounding error; keep it inside
                    value: (a.sum / a.n as f64).clamp(a.min, a.max),
                    min: a.min,
                    max: a.max,
                })
            })
            .collect()
    }
}

/// Buckets `points` of `[from, to)` as the hub does with no rollups (see [`SeriesPlan`]): one [`Bucket`] per
/// step holding at least one point, in time order. Points outside the range and values that are not finite
/// numbers are left out; the points may come in any order. Returns the step used.
pub fn bucket(
    points: &[(DateTime<Utc>, f64)],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    step_secs: i64,
) -> Result<(i64, Vec<Bucket>), RangeError> {
    let plan = SeriesPlan::new(from, to, step_secs)?;
    let mut s = plan.series();
    for &(at, v) in points {
        s.reading(at, v);
    }
    Ok((plan.step, s.finish()))
}

impl From<Level> for citydeck_protocol::indicators::IndicatorLevel {
    fn from(l: Level) -> Self {
        use citydeck_protocol::indicators::IndicatorLevel as W;
        match l {
            Level::Normal => W::Normal,
            Level::Blue => W::Blue,
            Level::Yellow => W::Yellow,
            Level::Orange => W::Orange,
            Level::Red => W::Red,
        }
    }
}

impl From<Direction> for citydeck_protocol::indicators::IndicatorDirection {
    fn from(d: Direction) -> Self {
        use citydeck_protocol::indicators::IndicatorDirection as W;
        match d {
            Direction::Above => W::Above,
            Direction::Below => W::Below,
        }
    }
}

impl From<crate::scenario::Thresholds> for citydeck_protocol::indicators::IndicatorThresholds {
    fn from(t: crate::scenario::Thresholds) -> Self {
        citydeck_protocol::indicators::IndicatorThresholds {
            blue: t.blue,
            yellow: t.yellow,
            orange: t.orange,
            red: t.red,
        }
    }
}

impl From<Bucket> for citydeck_protocol::indicators::SeriesPoint {
    fn from(b: Bucket) -> Self {
        citydeck_protocol::indicators::SeriesPoint {
            at: b.at,
            value: b.value,
            min: b.min,
            max: b.max,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Thresholds;
    use chrono::Duration;
    use citydeck_protocol::IncidentClass;
    use proptest::prelude::*;

    fn indicator(direction: Direction, n: u32) -> Indicator {
        let thresholds = match direction {
            Direction::Above => Thresholds {
                blue: Some(10.0),
                yellow: 20.0,
                orange: 30.0,
                red: 40.0,
            },
            Direction::Below => Thresholds {
                blue: Some(40.0),
                yellow: 30.0,
                orange: 20.0,
                red: 10.0,
            },
        };
        Indicator {
            id: "power_load".into(),
            name: Text {
                zh: "电力负荷".into(),
                en: "Power load".into(),
            },
            unit: "MW".into(),
            direction,
            thresholds,
            class: IncidentClass::Accident,
            normal_readings_to_end: n,
            replay: None,
        }
    }

    #[test]
    fn levels_in_both_directions_with_and_without_blue() {
        let up = indicator(Direction::Above, 3);
        let got: Vec<Level> = [0.0, 9.99, 10.0, 19.0, 20.0, 30.0, 39.9, 40.0, 1e9, f64::NAN]
            .iter()
            .map(|&v| up.level(v))
            .collect();
        use Level::*;
        assert_eq!(
            got,
            [Normal, Normal, Blue, Blue, Yellow, Orange, Orange, Red, Red, Normal]
        );
        let down = indicator(Direction::Below, 3);
        let got: Vec<Level> = [100.0, 40.0, 30.5, 30.0, 20.0, 10.0, -5.0, f64::INFINITY]
            .iter()
            .map(|&v| down.level(v))
            .collect();
        assert_eq!(got, [Normal, Blue, Blue, Yellow, Orange, Red, Red, Normal]);
        let mut no_blue = indicator(Direction::Above, 3);
        no_blue.thresholds.blue = None;
        assert_eq!(no_blue.level(15.0), Normal);
        assert_eq!(Level::Red.grade(), Some(Grade::I));
        assert_eq!(Level::Orange.grade(), Some(Grade::II));
        assert_eq!(Level::Yellow.grade(), Some(Grade::III));
        assert_eq!(Level::Blue.grade(), None);
        use citydeck_protocol::indicators::{IndicatorDirection, IndicatorLevel};
        let wire: Vec<IndicatorLevel> = Level::ALL.iter().map(|&l| l.into()).collect();
        assert_eq!(
            wire,
            [
                IndicatorLevel::Normal,
                IndicatorLevel::Blue,
                IndicatorLevel::Yellow,
                IndicatorLevel::Orange,
                IndicatorLevel::Red
            ]
        );
        assert_eq!(
            IndicatorDirection::from(Direction::Below),
            IndicatorDirection::Below
        );
    }

    #[test]
    fn the_episode_incident_names_its_indicator_and_is_found_again() {
        let ind = indicator(Direction::Above, 2);
        let at = DateTime::from_timestamp(1_700_000_000, 5_000).unwrap();
        let (
            _,
            Some(EpisodeEffect::Open {
                grade,
                title,
                description,
                ..
            }),
        ) = step(&ind, Episode::Quiet, 45.0)
        else {
            panic!("red opens an episode")
        };
        let new = new_incident(&ind, grade, &title, &description, at, (9.5, 47.1));
        assert_eq!((new.grade, new.source.as_str()), (Grade::I, "indicator"));
        assert_eq!(new.title, "电力负荷红色预警");
        assert_eq!(
            new.external_id.as_deref(),
            Some("power_load@2023-11-14T22:13:20.000005Z")
        );
        assert!(new.description.as_deref().unwrap().contains("45 MW"));
        assert_eq!((new.lon, new.lat, new.occurred_at), (9.5, 47.1, Some(at)));
        let incident = crate::incident::from_request(uuid::Uuid::nil(), new, "feed", at, 1);
        assert_eq!(raised_by(&incident), Some("power_load"));
        let other = citydeck_protocol::Incident {
            source: "operator".into(),
            ..incident
        };
        assert_eq!(raised_by(&other), None);
    }

    #[test]
    fn an_episode_opens_once_rises_and_ends_after_n_normals() {
        let ind = indicator(Direction::Above, 2);
        let mut s = Episode::Quiet;
        let mut effects = Vec::new();
        for v in [
            5.0, 12.0, 25.0, 22.0, 35.0, 21.0, 45.0, 5.0, 12.0, 5.0, 5.0, 5.0, 25.0,
        ] {
            let (next, e) = step(&ind, s, v);
            s = next;
            effects.push(e);
        }
        assert!(
            effects[0].is_none() && effects[1].is_none(),
            "normal and blue raise nothing"
        );
        let Some(EpisodeEffect::Open {
            grade,
            title,
            description,
            ..
        }) = &effects[2]
        else {
            panic!("{:?}", effects[2])
        };
        assert_eq!(*grade, Grade::III);
        assert_eq!(title.zh, "电力负荷黄色预警");
        assert_eq!(title.en, "Power load: yellow alert");
        assert_eq!(description.zh, "电力负荷读数 25 MW，达到黄色阈值（≥ 20 MW）。");
        assert_eq!(
            description.en,
            "Power load reading 25 MW reached the yellow threshold (≥ 20 MW)."
        );
        assert!(effects[3].is_none());
        assert!(matches!(
            &effects[4],
            Some(EpisodeEffect::Raise { from: Grade::III, to: Grade::II, note, .. })
                if note.en.contains("35 MW") && note.en.contains("≥ 30 MW") && note.en.contains("from III to II")
        ));
        assert!(effects[5].is_none(), "falling back to yellow lowers nothing");
        assert!(matches!(
            &effects[6],
            Some(EpisodeEffect::Raise {
                from: Grade::II,
                to: Grade::I,
                title,
                ..
            }) if title.zh == "电力负荷红色预警"
        ));
        // one normal, then blue resets the count, then two normals end it
        assert!(effects[7].is_none() && effects[8].is_none() && effects[9].is_none());
        assert!(
            matches!(&effects[10], Some(EpisodeEffect::End { note }) if note.zh == "电力负荷连续 2 次读数正常，本次越限结束。")
        );
        assert!(effects[11].is_none());
        assert!(
            matches!(
                &effects[12],
                Some(EpisodeEffect::Open {
                    grade: Grade::III,
                    ..
                })
            ),
            "a new episode"
        );
        // a value that is not a number changes nothing
        assert_eq!(step(&ind, s, f64::NAN), (s, None));
        // straight to red: grade I at once
        let (_, e) = step(&ind, Episode::Quiet, 40.0);
        assert!(matches!(
            e,
            Some(EpisodeEffect::Open {
                grade: Grade::I,
                level: Level::Red,
                ..
            })
        ));
        // below: the threshold is named with ≤
        let down = indicator(Direction::Below, 1);
        let (s, e) = step(&down, Episode::Quiet, 24.24);
        let Some(EpisodeEffect::Open { description, .. }) = e else {
            panic!()
        };
        assert_eq!(
            description.en,
            "Power load reading 24.24 MW reached the yellow threshold (≤ 30 MW)."
        );
        assert!(matches!(
            step(&down, s, 100.0),
            (Episode::Quiet, Some(EpisodeEffect::End { .. }))
        ));
    }

    fn reading() -> impl Strategy<Value = f64> {
        prop_oneof![
            4 => 0.0..50.0f64,
            1 => Just(5.0),
            1 => Just(f64::NAN),
        ]
    }

    proptest! {
        #[test]
        fn one_incident_per_episode_grade_never_lowered_ends_after_exactly_n_normals(
            up in any::<bool>(),
            n in 1u32..5,
            values in proptest::collection::vec(reading(), 0..200),
        ) {
            let ind = indicator(if up { Direction::Above } else { Direction::Below }, n);
            let mut s = Episode::Quiet;
            let mut open: Option<Grade> = None;
            // levels of the finite readings so far, to check the end rule against
            let mut levels: Vec<Level> = Vec::new();
            for v in values {
                let before = s;
                let (next, e) = step(&ind, s, v);
                s = next;
                if !v.is_finite() {
                    prop_assert_eq!((before, &e), (next, &None));
                    continue;
                }
                let level = ind.level(v);
                levels.push(level);
                match e {
                    Some(EpisodeEffect::Open { grade, level: l, .. }) => {
                        prop_assert!(open.is_none(), "a second incident in one episode");
                        prop_assert_eq!(Some(grade), level.grade());
                        prop_assert_eq!(l, level);
                        open = Some(grade);
                    }
                    Some(EpisodeEffect::Raise { from, to, .. }) => {
                        prop_assert_eq!(open, Some(from));
                        // Grade is ordered by severity (IV < … < I): a raise goes to a greater one
                        prop_assert!(to > from, "grade lowered or kept: {:?} -> {:?}", from, to);
                        open = Some(to);
                    }
                    Some(EpisodeEffect::End { .. }) => {
                        prop_assert!(open.is_some());
                        let k = n as usize;
                        prop_assert!(levels.len() > k, "ended before any warning");
                        let tail = &levels[levels.len() - k..];
                        prop_assert!(tail.iter().all(|l| *l == Level::Normal), "ended without {} normals: {:?}", n, tail);
                        prop_assert!(levels[levels.len() - k - 1] != Level::Normal, "ended later than the {}th normal", n);
                        open = None;
                    }
                    None => {
                        // no effect: no new warning above the episode's grade, and no missed end
                        if let Some(g) = open {
                            if let Some(lg) = level.grade() { prop_assert!(lg <= g, "a reading more severe than the episode's grade"); }
                            let k = n as usize;
                            let run = levels.iter().rev().take_while(|l| **l == Level::Normal).count();
                            prop_assert!(run < k, "{} normals in a row and the episode still open", run);
                        } else {
                            prop_assert!(level.grade().is_none(), "a warning without an incident");
                        }
                    }
                }
                prop_assert_eq!(open.is_some(), matches!(s, Episode::Open { .. }));
                if let (Some(g), Episode::Open { level, .. }) = (open, s) {
                    prop_assert_eq!(level.grade(), Some(g));
                }
            }
        }

        #[test]
        fn bucketing_matches_a_naive_reference(
            raw in proptest::collection::vec((-5_000i64..200_000, prop_oneof![9 => -1e6..1e6f64, 1 => Just(f64::NAN)]), 0..300),
            from_ms in -1000i64..1000,
            span_s in 1i64..180,
            step_s in 1i64..60,
        ) {
            let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
            let from = t0 + Duration::milliseconds(from_ms);
            let to = from + Duration::seconds(span_s);
            let points: Vec<(DateTime<Utc>, f64)> =
                raw.iter().map(|&(ms, v)| (t0 + Duration::milliseconds(ms), v)).collect();
            let (step, got) = bucket(&points, from, to, step_s).unwrap();
            prop_assert_eq!(step, step_s);
            // naive: walk the epoch-aligned steps, filter every point for each
            let mut want = Vec::new();
            let mut start = DateTime::from_timestamp(from.timestamp().div_euclid(step_s) * step_s, 0).unwrap();
            while start < to {
                let end = start + Duration::seconds(step_s);
                let vals: Vec<f64> = points
                    .iter()
                    .filter(|(at, v)| *at >= start && *at < end && *at >= from && *at < to && v.is_finite())
                    .map(|(_, v)| *v)
                    .collect();
                if !vals.is_empty() {
                    let mean = vals.iter().sum::<f64>() / vals.len() as f64;
                    let min = vals.iter().cloned().fold(f64::INFINITY, f64::min);
                    let max = vals.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                    want.push((start, mean, min, max));
                }
                start = end;
            }
            prop_assert_eq!(got.len(), want.len());
            for (g, (at, mean, min, max)) in got.iter().zip(want) {
                prop_assert_eq!(g.at, at);
                prop_assert_eq!((g.min, g.max), (min, max));
                prop_assert!((g.value - mean).abs() <= 1e-6 * (1.0 + mean.abs()), "{} vs {}", g.value, mean);
                prop_assert!(g.min <= g.value && g.value <= g.max);
            }
        }

        /// What the hub does (rollups for the whole hours, readings for the edges) gives the same buckets as
        /// bucketing every reading.
        #[test]
        fn rollups_and_edges_equal_bucketing_every_reading(
            raw in proptest::collection::vec((0i64..40 * 3600, -1e4..1e4f64), 0..400),
            from_s in 0i64..(6 * 3600),
            span_s in 1i64..(30 * 3600),
            step_h in 1i64..8,
            odd in -1799i64..1800,
        ) {
            let t0 = DateTime::from_timestamp(1_700_000_000 - 1_700_000_000 % 3600 + 1234, 0).unwrap();
            let at = |s: i64| t0 + Duration::seconds(s);
            let points: Vec<(DateTime<Utc>, f64)> = raw.iter().map(|&(s, v)| (at(s), v)).collect();
            let (from, to) = (at(from_s), at(from_s + span_s));
            let plan = SeriesPlan::new(from, to, (step_h * 3600 + odd).max(3600)).unwrap();
            prop_assert_eq!(plan.step % ROLLUP_SECS, 0);
            let mut s = plan.series();
            let ranges = plan.raw_ranges();
            for &(t, v) in &points {
                if ranges.iter().any(|&(a, b)| t >= a && t < b) {
                    s.reading(t, v);
                }
            }
            if let Some((h0, h1)) = plan.hours {
                let rows = rollups(points.iter().map(|&(t, v)| ("x", t, v)));
                for ((_, h), agg) in rows {
                    if h >= h0 && h < h1 {
                        s.rollup(h, agg);
                    }
                }
            }
            let got = s.finish();
            let mut every = plan.series();
            for &(t, v) in &points {
                every.reading(t, v);
            }
            let want = every.finish();
            prop_assert_eq!(got.len(), want.len());
            for (g, w) in got.iter().zip(&want) {
                prop_assert_eq!((g.at, g.min, g.max), (w.at, w.min, w.max));
                prop_assert!((g.value - w.value).abs() <= 1e-9 * (1.0 + w.value.abs()));
            }
        }
    }

    #[test]
    fn bad_ranges_are_refused_naming_the_parameter() {
        let t = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        assert_eq!(bucket(&[], t, t, 60).unwrap_err(), RangeError::Empty);
        assert_eq!(RangeError::Empty.parameter(), "to");
        assert_eq!(
            bucket(&[], t, t + Duration::hours(1), 0).unwrap_err(),
            RangeError::Step
        );
        assert_eq!(
            bucket(&[], t, t + Duration::days(365), 60).unwrap_err(),
            RangeError::TooManyBuckets
        );
        assert!(bucket(&[], t, t + Duration::seconds(1), i64::MAX).is_err());
        let q = |f, t, s| series_query(f, t, s).map(|p| p.step).map_err(|e| e.parameter());
        assert_eq!(
            q("2026-12-07T00:00:00Z", "2026-12-08T00:00:00+08:00", "600"),
            Ok(600)
        );
        assert_eq!(q("yesterday", "2026-12-08T00:00:00Z", "600"), Err("from"));
        assert_eq!(q("2026-12-07T00:00:00Z", "", "600"), Err("to"));
        assert_eq!(
            q("2026-12-07T00:00:00Z", "2026-12-06T00:00:00Z", "600"),
            Err("to")
        );
        for bad in ["0", "-5", "1.5", "x", "31536001", "99999999999999999999"] {
            assert_eq!(
                q("2026-12-07T00:00:00Z", "2026-12-08T00:00:00Z", bad),
                Err("step"),
                "{bad}"
            );
        }
        assert_eq!(
            q("2026-01-01T00:00:00Z", "2026-12-31T00:00:00Z", "60"),
            Err("step")
        );
    }

    #[test]
    fn steps_of_an_hour_or_more_round_to_whole_hours_and_read_the_rollups() {
        let t = DateTime::from_timestamp(1_700_000_000, 0).unwrap(); // 22:13:20 UTC
                                                                     // 90 days into 1,000 buckets asks 7,776 s: answered in steps of 2 h, the whole hours from the rollups
        let plan = SeriesPlan::new(t, t + Duration::days(90), 7776).unwrap();
        assert_eq!(plan.step, 7200);
        let (h0, h1) = plan.hours.unwrap();
        assert_eq!((h0 % 3600, h1 % 3600), (0, 0));
        assert_eq!(h0 - t.timestamp(), 3600 - 800);
        assert_eq!(plan.raw_ranges().len(), 2);
        assert_eq!(
            SeriesPlan::new(t, t + Duration::days(1), 5399).unwrap().step,
            3600
        );
        assert_eq!(
            SeriesPlan::new(t, t + Duration::days(1), 5400).unwrap().step,
            7200
        );
        // shorter steps are kept and read the readings
        let p = SeriesPlan::new(t, t + Duration::days(1), 300).unwrap();
        assert_eq!((p.step, p.hours), (300, None));
        // a range inside one hour has no whole hour
        let p = SeriesPlan::new(t, t + Duration::minutes(30), 3600).unwrap();
        assert_eq!(p.hours, None);
        assert_eq!(p.raw_ranges(), vec![(t, t + Duration::minutes(30))]);
        // 90 days of per-minute data, 2-hour buckets aligned to the epoch: the first one is cut by `from`
        let points: Vec<_> = (0..129_600)
            .map(|m| (t + Duration::minutes(m), m as f64))
            .collect();
        let (step, b) = bucket(&points, t, t + Duration::days(90), 7776).unwrap();
        assert_eq!(step, 7200);
        assert_eq!(b.len(), 1081);
        assert_eq!(b[0].at.timestamp() % 7200, 0);
        // 22:13:20 → the bucket 22:00–24:00 holds minutes 0 ..= 106
        assert_eq!((b[0].min, b[0].max, b[0].value), (0.0, 106.0, 53.0));
    }
}
