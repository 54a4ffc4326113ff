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

use chrono::{DateTime, Duration, Utc};
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
    /// Raise the episode's incident from one grade to a more severe one.
    Raise {
        level: Level,
        from: Grade,
        to: Grade,
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

/// Why a series range cannot be bucketed (a 400 on the series endpoint, naming the parameter).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    #[error("step: must be at least 1 second")]
    Step,
    #[error("to: must be after from")]
    Empty,
    #[error("step: the range holds more than {MAX_BUCKETS} steps")]
    TooManyBuckets,
}

impl RangeError {
    /// The query parameter at fault.
    pub fn parameter(&self) -> &'static str {
        match self {
            RangeError::Step | RangeError::TooManyBuckets => "step",
            RangeError::Empty => "to",
        }
    }
}

/// The number of buckets of `[from, to)` in steps of `step_secs` (the last one may be cut short by `to`).
pub fn bucket_count(from: DateTime<Utc>, to: DateTime<Utc>, step_secs: i64) -> Result<i64, RangeError> {
    if step_secs < 1 {
        return Err(RangeError::Step);
    }
    let span = (to - from).num_milliseconds();
    if span <= 0 {
        return Err(RangeError::Empty);
    }
    let step_ms = step_secs.checked_mul(1000).ok_or(RangeError::TooManyBuckets)?;
    let n = (span + step_ms - 1) / step_ms;
    if n > MAX_BUCKETS {
        return Err(RangeError::TooManyBuckets);
    }
    Ok(n)
}

/// Buckets `points` of `[from, to)` into steps of `step_secs` from `from`: one [`Bucket`] per step holding at
/// least one point, in time order, `at` the step's start. Points outside the range and values that are not
/// finite numbers are left out; the points may come in any order.
pub fn bucket(
    points: &[(DateTime<Utc>, f64)],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    step_secs: i64,
) -> Result<Vec<Bucket>, RangeError> {
    let n = bucket_count(from, to, step_secs)?;
    let step_ms = step_secs * 1000;
    // (sum, count, min, max) per step; `n` is bounded by MAX_BUCKETS
    let mut acc: Vec<Option<(f64, u64, f64, f64)>> = vec![None; n as usize];
    for &(at, v) in points {
        if !v.is_finite() || at < from || at >= to {
            continue;
        }
        let k = ((at - from).num_milliseconds() / step_ms) as usize;
        let Some(slot) = acc.get_mut(k) else { continue };
        *slot = Some(match *slot {
            None => (v, 1, v, v),
            Some((s, c, lo, hi)) => (s + v, c + 1, lo.min(v), hi.max(v)),
        });
    }
    Ok(acc
        .into_iter()
        .enumerate()
        .filter_map(|(k, a)| {
            a.map(|(s, c, lo, hi)| Bucket {
                at: from + Duration::milliseconds(k as i64 * step_ms),
                // the mean can drift outside [min, max] by a rounding error; keep it inside
                value: (s / c as f64).clamp(lo, hi),
                min: lo,
                max: hi,
            })
        })
        .collect())
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
                ..
            })
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
            let got = bucket(&points, from, to, step_s).unwrap();
            // naive: walk the steps, filter every point for each
            let mut want = Vec::new();
            let mut start = from;
            while start < to {
                let end = start + Duration::seconds(step_s);
                let vals: Vec<f64> = points
                    .iter()
                    .filter(|(at, v)| *at >= start && *at < end && *at < to && v.is_finite())
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
        assert_eq!(bucket_count(t, t + Duration::days(90), 7776).unwrap(), 1000);
        assert_eq!(bucket_count(t, t + Duration::seconds(61), 60).unwrap(), 2);
        assert!(bucket(&[], t, t + Duration::seconds(1), i64::MAX).is_err());
        // 90 days of per-minute data into 1,000 buckets
        let points: Vec<_> = (0..129_600)
            .map(|m| (t + Duration::minutes(m), m as f64))
            .collect();
        let b = bucket(&points, t, t + Duration::days(90), 7776).unwrap();
        assert_eq!(b.len(), 1000);
        assert_eq!((b[0].min, b[0].max, b[0].value), (0.0, 129.0, 64.5));
    }
}
