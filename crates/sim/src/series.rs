//! The real series behind the vital signs (数字体征), replayed as readings shifted to now.
//!
//! `cargo xtask data` puts the files in `data/cache/series/` (provenance in README's data section). Each file's
//! time column is read the way that file writes it ([`time_kind`]); the series keeps its cadence and its gaps
//! (an hour missing from the water-flow record, a day without an ozone reading stay missing). A [`Replay`] puts
//! the series' last point on the last tick of its cadence at or before `now` and loops it: the tick after that
//! carries the first point again, so the replay continues for ever at the series' own pace.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};

/// One reading of an indicator: the wire type of `POST /api/v1/readings`.
pub use citydeck_protocol::indicators::Reading;

#[derive(Debug, thiserror::Error)]
pub enum SeriesError {
    #[error("cannot read series {path}: {source} (run `cargo xtask data`)")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("series {file}: not one of the real series this simulator knows how to read")]
    UnknownFile { file: String },
    #[error("series {file}: no column `{column}` (columns: {columns})")]
    NoColumn {
        file: String,
        column: String,
        columns: String,
    },
    #[error("series {file}, line {line}: {problem}")]
    Row {
        file: String,
        line: usize,
        problem: String,
    },
    #[error("series {file}: no readings in column `{column}`")]
    Empty { file: String, column: String },
}

/// How a series file says when each row was measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TimeKind {
    /// A column of RFC 3339 times, `YYYY-MM-DDTHH:MM:SS` (taken as UTC) or dates `YYYY-MM-DD` (midnight UTC),
    /// at a fixed cadence (rows may be missing).
    Column { name: &'static str, cadence_secs: i64 },
    /// Columns `Month` and `Day` of a known year, one row a day (R's `airquality`: 1973).
    MonthDay { year: i32 },
    /// One row a day, in order (MASS's `Traffic`: 92 days of 1961 then the matched 92 days of 1962, replayed as
    /// 184 consecutive days).
    DailyRows,
    /// A column of decimal years, one row a month (R's `USAccDeaths`: 1973, 1973.0833, …), replayed at the mean
    /// Gregorian month (30.436875 days).
    MonthlyDecimalYear { name: &'static str },
}

/// The mean Gregorian month in seconds.
pub const MEAN_MONTH_SECS: i64 = 2_629_746;

/// How each real series file gives its times (`None` for a file this simulator does not know).
pub fn time_kind(file: &str) -> Option<TimeKind> {
    Some(match file {
        "seattle-weather-hourly-normals.csv" => TimeKind::Column {
            name: "date",
            cadence_secs: 3600,
        },
        "seattle-weather.csv" => TimeKind::Column {
            name: "date",
            cadence_secs: 86_400,
        },
        "water-flow.csv" => TimeKind::Column {
            name: "Time",
            cadence_secs: 3600,
        },
        "load-taylor.csv" => TimeKind::Column {
            name: "time",
            cadence_secs: 1800,
        },
        "airquality.csv" => TimeKind::MonthDay { year: 1973 },
        "Traffic.csv" => TimeKind::DailyRows,
        "USAccDeaths.csv" => TimeKind::MonthlyDecimalYear { name: "time" },
        _ => return None,
    })
}

/// One column of a real series: a value (or a gap) per tick of its cadence from its first point.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub file: String,
    pub column: String,
    pub cadence: Duration,
    /// When the first point was measured (in the original record).
    pub start: DateTime<Utc>,
    /// `values[k]` was measured at `start + k * cadence`; `None` is a gap. The first and last are `Some`.
    pub values: Vec<Option<f64>>,
}

impl Series {
    /// The points with a value.
    pub fn len(&self) -> usize {
        self.values.iter().filter(|v| v.is_some()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Reads `column` of the series file `dir/file`.
pub fn load_series(dir: &Path, file: &str, column: &str) -> Result<Series, SeriesError> {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).map_err(|source| SeriesError::Io { path, source })?;
    parse_series(file, &text, column)
}

/// Splits a CSV line of these files (no quoted commas in them) into fields without their quotes.
fn fields(line: &str) -> Vec<&str> {
    line.split(',').map(|f| f.trim().trim_matches('"')).collect()
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S") {
        return Some(t.and_utc());
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// Parses `column` of a series file's text; `file` says how its times are written ([`time_kind`]).
pub fn parse_series(file: &str, text: &str, column: &str) -> Result<Series, SeriesError> {
    let kind = time_kind(file).ok_or_else(|| SeriesError::UnknownFile {
        file: file.to_owned(),
    })?;
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let header: Vec<&str> = lines.next().map(|(_, l)| fields(l)).unwrap_or_default();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .ok_or_else(|| SeriesError::NoColumn {
                file: file.to_owned(),
                column: name.to_owned(),
                columns: header.join(", "),
            })
    };
    let value_col = col(column)?;
    let row_err = |line: usize, problem: String| SeriesError::Row {
        file: file.to_owned(),
        line: line + 1,
        problem,
    };
    let cadence_secs = match kind {
        TimeKind::Column { cadence_secs, .. } => cadence_secs,
        TimeKind::MonthDay { .. } | TimeKind::DailyRows => 86_400,
        TimeKind::MonthlyDecimalYear { .. } => MEAN_MONTH_SECS,
    };
    let cadence = Duration::seconds(cadence_secs);
    // (tick index from the first row, value); the index comes from the row's time
    let mut points: Vec<(i64, f64)> = Vec::new();
    let mut start: Option<DateTime<Utc>> = None;
    let (time_col, month_col, day_col) = match kind {
        TimeKind::Column { name, .. } | TimeKind::MonthlyDecimalYear { name } => {
            (Some(col(name)?), None, None)
        }
        TimeKind::MonthDay { .. } => (None, Some(col("Month")?), Some(col("Day")?)),
        TimeKind::DailyRows => (None, None, None),
    };
    for (row, (line_no, line)) in lines.enumerate() {
        let f = fields(line);
        let get = |i: usize| {
            f.get(i)
                .copied()
                .ok_or_else(|| row_err(line_no, format!("{} fields, expected {}", f.len(), header.len())))
        };
        let raw = get(value_col)?;
        let at: DateTime<Utc> = match kind {
            TimeKind::Column { .. } => {
                let s = get(time_col.unwrap_or(0))?;
                parse_time(s).ok_or_else(|| row_err(line_no, format!("`{s}` is not a time")))?
            }
            TimeKind::MonthDay { year } => {
                let (m, d) = (get(month_col.unwrap_or(0))?, get(day_col.unwrap_or(0))?);
                m.parse::<u32>()
                    .ok()
                    .zip(d.parse::<u32>().ok())
                    .and_then(|(m, d)| NaiveDate::from_ymd_opt(year, m, d))
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .map(|t| t.and_utc())
                    .ok_or_else(|| row_err(line_no, format!("month {m}, day {d} is not a date")))?
            }
            TimeKind::DailyRows => {
                let first = NaiveDate::from_ymd_opt(1961, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0));
                first.map(|t| t.and_utc()).unwrap_or_default() + Duration::days(row as i64)
            }
            TimeKind::MonthlyDecimalYear { .. } => {
                let s = get(time_col.unwrap_or(0))?;
                let y: f64 = s
                    .parse()
                    .ok()
                    .filter(|y: &f64| y.is_finite() && (1000.0..3000.0).contains(y))
                    .ok_or_else(|| row_err(line_no, format!("`{s}` is not a decimal year")))?;
                let months = (y * 12.0).round() as i64;
                let (year, month) = (months.div_euclid(12) as i32, months.rem_euclid(12) as u32 + 1);
                NaiveDate::from_ymd_opt(year, month, 1)
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .map(|t| t.and_utc())
                    .ok_or_else(|| row_err(line_no, format!("`{s}` is not a month")))?
            }
        };
        if raw == "NA" || raw.is_empty() {
            continue;
        }
        let value: f64 = raw
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| row_err(line_no, format!("`{raw}` in column `{column}` is not a number")))?;
        let first = *start.get_or_insert(at);
        let index = match kind {
            // months are counted, not timed: the replay's month is a mean one
            TimeKind::MonthlyDecimalYear { .. } => {
                use chrono::Datelike;
                (at.year() as i64 - first.year() as i64) * 12 + at.month() as i64 - first.month() as i64
            }
            _ => {
                let secs = (at - first).num_seconds();
                if secs % cadence_secs != 0 {
                    return Err(row_err(
                        line_no,
                        format!("{at} is off the series' cadence of {cadence_secs} s"),
                    ));
                }
                secs / cadence_secs
            }
        };
        if index < 0 || points.last().is_some_and(|&(last, _)| index <= last) {
            return Err(row_err(line_no, format!("{at} is not after the row before")));
        }
        points.push((index, value));
    }
    let (Some(start), Some(&(last, _))) = (start, points.last()) else {
        return Err(SeriesError::Empty {
            file: file.to_owned(),
            column: column.to_owned(),
        });
    };
    let mut values = vec![None; last as usize + 1];
    for (k, v) in points {
        values[k as usize] = Some(v);
    }
    Ok(Series {
        file: file.to_owned(),
        column: column.to_owned(),
        cadence,
        start,
        values,
    })
}

/// A series replayed for one indicator: its last point on the last tick at or before `now`, looped.
#[derive(Debug, Clone)]
pub struct Replay {
    pub indicator: String,
    pub series: Series,
    /// When the series' first point is replayed (in the current loop).
    pub anchor: DateTime<Utc>,
}

impl Replay {
    pub fn new(indicator: &str, series: Series, now: DateTime<Utc>) -> Self {
        let step = series.cadence.num_seconds().max(1);
        let t = now.timestamp();
        let last_tick = t - t.rem_euclid(step);
        let last_index = series.values.len() as i64 - 1;
        let anchor = DateTime::from_timestamp(last_tick - last_index * step, 0).unwrap_or(now);
        Replay {
            indicator: indicator.to_owned(),
            series,
            anchor,
        }
    }

    /// The readings replayed in `(from, to]`, oldest first (lazily: a long range costs nothing until read).
    pub fn readings(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> impl Iterator<Item = Reading> + '_ {
        let step = self.series.cadence.num_seconds().max(1);
        let period = self.series.values.len() as i64;
        let a = self.anchor.timestamp();
        // ticks k with from < anchor + k*step <= to
        let first = (from.timestamp() - a).div_euclid(step) + 1;
        let last = (to.timestamp() - a).div_euclid(step);
        (first..=last).filter_map(move |k| {
            let value = self.series.values[k.rem_euclid(period) as usize]?;
            let at = DateTime::from_timestamp(a + k * step, 0)?;
            Some(Reading {
                indicator: self.indicator.clone(),
                at,
                value,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-07T04:50:12Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn gaps_and_offsets_are_kept_and_bad_rows_named() {
        let text = "Time,Water flow [l/s]\n\
                    2022-03-27T00:00:00+01:00,100.5\n\
                    2022-03-27T01:00:00+01:00,101\n\
                    2022-03-27T03:00:00+02:00,99\n\
                    2022-03-27T06:00:00+02:00,24.24\n";
        let s = parse_series("water-flow.csv", text, "Water flow [l/s]").unwrap();
        // the clocks went forward: 01:00+01 → 03:00+02 is one hour
        assert_eq!(
            s.values,
            [Some(100.5), Some(101.0), Some(99.0), None, None, Some(24.24)]
        );
        assert_eq!(s.len(), 4);
        let e = parse_series("water-flow.csv", &text.replace("101", "lots"), "Water flow [l/s]").unwrap_err();
        assert!(
            e.to_string().contains("line 3") && e.to_string().contains("`lots`"),
            "{e}"
        );
        let e = parse_series(
            "water-flow.csv",
            &text.replace("03:00:00+02", "03:30:00+02"),
            "Water flow [l/s]",
        )
        .unwrap_err();
        assert!(e.to_string().contains("cadence"), "{e}");
        let e = parse_series(
            "water-flow.csv",
            &text.replace("06:00:00", "02:00:00"),
            "Water flow [l/s]",
        )
        .unwrap_err();
        assert!(e.to_string().contains("not after"), "{e}");
        assert!(matches!(
            parse_series("water-flow.csv", text, "flow"),
            Err(SeriesError::NoColumn { .. })
        ));
        assert!(matches!(
            parse_series("other.csv", text, "flow"),
            Err(SeriesError::UnknownFile { .. })
        ));
        assert!(matches!(
            parse_series("water-flow.csv", "Time,Water flow [l/s]\n", "Water flow [l/s]"),
            Err(SeriesError::Empty { .. })
        ));
        let e = parse_series(
            "water-flow.csv",
            "Time,Water flow [l/s]\n2022-03-27T00:00:00Z\n",
            "Water flow [l/s]",
        )
        .unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
    }

    #[test]
    fn a_replay_ends_at_now_keeps_its_cadence_and_loops() {
        let text = "time,demand_mw\n2000-06-05T00:00:00+01:00,1\n2000-06-05T00:30:00+01:00,2\n\
                    2000-06-05T01:00:00+01:00,3\n";
        let s = parse_series("load-taylor.csv", text, "demand_mw").unwrap();
        let r = Replay::new("power_load", s, now());
        let last_tick = DateTime::parse_from_rfc3339("2026-12-07T04:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let got: Vec<(DateTime<Utc>, f64)> = r
            .readings(now() - Duration::hours(2), now() + Duration::hours(1))
            .map(|x| (x.at, x.value))
            .collect();
        // ticks after 02:50:12 up to 05:50:12: 03:00 … 05:30
        let want: Vec<(DateTime<Utc>, f64)> = (-3..=2)
            .map(|k| {
                (
                    last_tick + Duration::minutes(30 * k),
                    [1.0, 2.0, 3.0][(k + 2).rem_euclid(3) as usize],
                )
            })
            .collect();
        assert_eq!(got, want);
        // the point at now's tick is the series' last; the next one starts the loop again
        assert_eq!(got[3], (last_tick, 3.0));
        assert_eq!(got[4], (last_tick + Duration::minutes(30), 1.0));
        assert!(got.iter().all(|x| x.0 > now() - Duration::hours(2)));
        assert_eq!(r.readings(now(), now()).count(), 0);
        assert_eq!(r.readings(now(), now() - Duration::hours(1)).count(), 0);
    }
}

/// The real files fetched by `cargo xtask data` (absent data fails loudly).
#[cfg(test)]
mod real {
    use super::*;

    fn dir() -> PathBuf {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/cache/series");
        assert!(
            dir.is_dir(),
            "{} is missing: run `cargo xtask data` first",
            dir.display()
        );
        dir
    }

    fn at(s: &str) -> DateTime<Utc> {
        parse_time(s).unwrap()
    }

    /// (file, column, points with a value, ticks incl. gaps, cadence s, first time, first value, last value)
    type Case = (
        &'static str,
        &'static str,
        usize,
        usize,
        i64,
        &'static str,
        f64,
        f64,
    );

    #[test]
    fn every_real_series_has_its_rows_cadence_and_ends() {
        let cases: [Case; 10] = [
            (
                "seattle-weather-hourly-normals.csv",
                "temperature",
                8759,
                8759,
                3600,
                "2010-01-01T01:00:00Z",
                4.0,
                4.3,
            ),
            (
                "seattle-weather-hourly-normals.csv",
                "pressure",
                8759,
                8759,
                3600,
                "2010-01-01T01:00:00Z",
                1016.6,
                1016.7,
            ),
            (
                "seattle-weather-hourly-normals.csv",
                "wind",
                8759,
                8759,
                3600,
                "2010-01-01T01:00:00Z",
                3.8,
                4.0,
            ),
            (
                "seattle-weather.csv",
                "precipitation",
                1461,
                1461,
                86_400,
                "2012-01-01T00:00:00Z",
                0.0,
                0.0,
            ),
            // 1,268 hours over 1,379: the gaps of the record stay gaps
            (
                "water-flow.csv",
                "Water flow [l/s]",
                1268,
                1379,
                3600,
                "2022-03-20T10:00:00Z",
                100.59,
                104.1,
            ),
            (
                "load-taylor.csv",
                "demand_mw",
                4032,
                4032,
                1800,
                "2000-06-04T23:00:00Z",
                22262.0,
                23132.0,
            ),
            // 116 days with an ozone reading; the first of May is the first, the 30th of September the last
            (
                "airquality.csv",
                "Ozone",
                116,
                153,
                86_400,
                "1973-05-01T00:00:00Z",
                41.0,
                20.0,
            ),
            (
                "airquality.csv",
                "Temp",
                153,
                153,
                86_400,
                "1973-05-01T00:00:00Z",
                67.0,
                68.0,
            ),
            (
                "Traffic.csv",
                "y",
                184,
                184,
                86_400,
                "1961-01-01T00:00:00Z",
                9.0,
                9.0,
            ),
            (
                "USAccDeaths.csv",
                "USAccDeaths",
                72,
                72,
                MEAN_MONTH_SECS,
                "1973-01-01T00:00:00Z",
                9007.0,
                9240.0,
            ),
        ];
        for (file, column, points, ticks, cadence, first, v0, vn) in cases {
            let s = load_series(&dir(), file, column).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(s.len(), points, "{file} {column}");
            assert_eq!(s.values.len(), ticks, "{file} {column}");
            assert_eq!(s.cadence.num_seconds(), cadence, "{file}");
            assert_eq!(s.start, at(first), "{file}");
            assert_eq!(s.values.first().copied().flatten(), Some(v0), "{file} {column}");
            assert_eq!(s.values.last().copied().flatten(), Some(vn), "{file} {column}");
        }
    }

    #[test]
    fn a_real_replay_continues_at_now_at_its_own_pace() {
        let s = load_series(&dir(), "water-flow.csv", "Water flow [l/s]").unwrap();
        let now = at("2026-12-07T04:50:12Z");
        let r = Replay::new("water_flow", s.clone(), now);
        let day: Vec<Reading> = r.readings(now - Duration::hours(24), now).collect();
        // the last 24 hours of the record, gaps (3 hours missing on 16 May 2022) and all
        let tail = s.values[s.values.len() - 24..].iter().flatten().count();
        assert_eq!((day.len(), tail), (21, 21));
        assert!(day
            .windows(2)
            .all(|w| (w[1].at - w[0].at).num_seconds() % 3600 == 0));
        assert_eq!(
            day.last().map(|x| (x.at, x.value)),
            Some((at("2026-12-07T04:00:00Z"), 104.1))
        );
        let next: Vec<Reading> = r.readings(now, now + Duration::hours(2)).collect();
        assert_eq!(next.iter().map(|x| x.value).collect::<Vec<_>>(), [100.59, 100.89]);
        // a long range is lazy and loops
        let two_loops = r
            .readings(now, now + s.cadence * (2 * s.values.len() as i32))
            .count();
        assert_eq!(two_loops, 2 * 1268);
    }
}
