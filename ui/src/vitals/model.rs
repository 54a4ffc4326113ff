//! The vital-sign panels' pure helpers: the trend against the last hour, the threshold bands in the national
//! warning colours, the value axis, how a value is written, and the ECharts options of the sparkline and the
//! large chart (plain JSON; [`super::chart`] hands them to ECharts). No clock, no DOM: unit-tested natively.

use citydeck_protocol::indicators::{
    IndicatorDirection, IndicatorLevel, IndicatorThresholds, IndicatorView, LatestReading, SeriesPoint,
};
use serde_json::{json, Value};

use crate::i18n::{self, Lang};

/// The national warning colours, and the line's colour while normal.
pub fn level_colour(level: IndicatorLevel) -> &'static str {
    match level {
        IndicatorLevel::Normal => "#3fb4ff",
        IndicatorLevel::Blue => "#2f7fd6",
        IndicatorLevel::Yellow => "#f5c518",
        IndicatorLevel::Orange => "#f28c28",
        IndicatorLevel::Red => "#e5322d",
    }
}

/// `normal|blue|yellow|orange|red`: the panels' `data-level` and CSS.
pub fn level_key(level: IndicatorLevel) -> &'static str {
    match level {
        IndicatorLevel::Normal => "normal",
        IndicatorLevel::Blue => "blue",
        IndicatorLevel::Yellow => "yellow",
        IndicatorLevel::Orange => "orange",
        IndicatorLevel::Red => "red",
    }
}

/// Which way the indicator moved over the last hour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trend {
    Up,
    Down,
    Flat,
}

impl Trend {
    /// `up|down|flat`: the panels' `data-trend`.
    pub fn key(self) -> &'static str {
        match self {
            Trend::Up => "up",
            Trend::Down => "down",
            Trend::Flat => "flat",
        }
    }

    pub fn arrow(self) -> &'static str {
        match self {
            Trend::Up => "↑",
            Trend::Down => "↓",
            Trend::Flat => "→",
        }
    }

    /// Whether this way is towards the warning levels.
    pub fn worse(self, direction: IndicatorDirection) -> bool {
        matches!(
            (self, direction),
            (Trend::Up, IndicatorDirection::Above) | (Trend::Down, IndicatorDirection::Below)
        )
    }
}

/// The first warning threshold (blue, or yellow without one) and the red one: the span the indicator warns over.
fn warning_span(t: &IndicatorThresholds) -> (f64, f64) {
    (t.blue.unwrap_or(t.yellow), t.red)
}

/// The latest reading against the newest point at least an hour older: up, down, or flat when it moved less
/// than 2 % of the span between the first warning threshold and red (what a change means depends on the
/// indicator's scale, which its thresholds say). None without a reading or a point an hour before it.
pub fn trend(
    points: &[SeriesPoint],
    latest: Option<&LatestReading>,
    t: &IndicatorThresholds,
) -> Option<Trend> {
    let l = latest?;
    let hour_before = l.at - chrono::Duration::hours(1);
    let then = points.iter().rev().find(|p| p.at <= hour_before)?;
    let (first, red) = warning_span(t);
    let tolerance = ((red - first).abs() * 0.02).max(1e-9);
    let delta = l.value - then.value;
    Some(if delta.abs() < tolerance {
        Trend::Flat
    } else if delta > 0.0 {
        Trend::Up
    } else {
        Trend::Down
    })
}

/// One threshold band: the values between `from` and `to` (ascending) are at `level`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Band {
    pub level: IndicatorLevel,
    pub from: f64,
    pub to: f64,
}

/// The warning bands of an indicator within `[lo, hi]` (the value axis), lowest first: for `above` each level
/// from its threshold up to the next one (red up to `hi`), for `below` each level from the next one down to its
/// threshold (red down to `lo`). Bands outside the axis are left out, the others cut to it.
pub fn bands(direction: IndicatorDirection, t: &IndicatorThresholds, lo: f64, hi: f64) -> Vec<Band> {
    let levels: Vec<(IndicatorLevel, f64)> = t
        .blue
        .map(|b| (IndicatorLevel::Blue, b))
        .into_iter()
        .chain([
            (IndicatorLevel::Yellow, t.yellow),
            (IndicatorLevel::Orange, t.orange),
            (IndicatorLevel::Red, t.red),
        ])
        .collect();
    let mut out = Vec::new();
    for (k, &(level, at)) in levels.iter().enumerate() {
        let next = levels.get(k + 1).map(|n| n.1);
        let (from, to) = match direction {
            IndicatorDirection::Above => (at, next.unwrap_or(hi)),
            IndicatorDirection::Below => (next.unwrap_or(lo), at),
        };
        let (from, to) = (from.max(lo), to.min(hi));
        if from < to && from.is_finite() && to.is_finite() {
            out.push(Band { level, from, to });
        }
    }
    if direction == IndicatorDirection::Below {
        out.reverse();
    }
    out
}

/// The value axis of a chart: every value shown and the first warning threshold (so the nearest band is always
/// in sight; the further ones only when the values reach them), padded by 8 % of the span (a flat line gets
/// ±5 % of its value, or ±1).
pub fn extent(values: impl IntoIterator<Item = f64>, t: &IndicatorThresholds) -> (f64, f64) {
    let first = t.blue.unwrap_or(t.yellow);
    let (mut lo, mut hi) = (first, first);
    for v in values.into_iter().filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    let span = hi - lo;
    let pad = if span > 0.0 {
        span * 0.08
    } else if lo != 0.0 {
        lo.abs() * 0.05
    } else {
        1.0
    };
    (lo - pad, hi + pad)
}

/// A value as the panels write it: whole numbers without decimals and with thousands separators ("37,412"),
/// others with one decimal from 10 on ("1,016.2", "16.1") and up to two below ("4.23", "0.3").
pub fn format_value(v: f64) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    let decimals = if v.fract() == 0.0 || v.abs() >= 10_000.0 {
        0
    } else if v.abs() >= 10.0 {
        1
    } else {
        2
    };
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let frac = frac.trim_end_matches('0');
    let mut grouped = String::new();
    for (k, c) in int.chars().enumerate() {
        if k > 0 && (int.len() - k) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if v < 0.0 && s.chars().any(|c| c != '0' && c != '.') {
        "-"
    } else {
        ""
    };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac}")
    }
}

/// "3 分钟前" / "3 min ago": how old a reading is.
pub fn age_text(lang: Lang, age_secs: i64) -> String {
    i18n::age_ago(lang, age_secs)
}

/// Whether the desktop has not heard the hub's indicators for so long that the panels show cached values
/// (the poller asks every 5 s).
pub const STALE_AFTER_SECS: i64 = 60;

pub fn is_stale(fetched_age_secs: Option<i64>) -> bool {
    fetched_age_secs.is_none_or(|a| a > STALE_AFTER_SECS)
}

/// A colour with alpha, from `#rrggbb`.
fn rgba(hex: &str, alpha: f64) -> String {
    let h = hex.trim_start_matches('#');
    let c = |k: usize| u8::from_str_radix(h.get(k..k + 2).unwrap_or("00"), 16).unwrap_or(0);
    format!("rgba({},{},{},{alpha})", c(0), c(2), c(4))
}

fn mark_area(bands: &[Band], alpha: f64) -> Value {
    json!({
        "silent": true,
        "data": bands.iter().map(|b| json!([
            {"yAxis": b.from, "itemStyle": {"color": rgba(level_colour(b.level), alpha)}},
            {"yAxis": b.to}
        ])).collect::<Vec<_>>(),
    })
}

fn series_data(points: &[SeriesPoint]) -> Vec<Value> {
    points
        .iter()
        .filter(|p| p.value.is_finite())
        .map(|p| json!([p.at.timestamp_millis(), p.value]))
        .collect()
}

/// The sparkline of a panel: the last 24 h before `now_ms` (x from `now_ms` − 24 h), the threshold bands
/// behind the line, the line in the colour of the current level; a sparse series (three points or fewer: a
/// daily one) shows its points as dots. `rem` is the page's pixels per rem (the wall's scale).
pub fn sparkline_option(ind: &IndicatorView, points: &[SeriesPoint], now_ms: f64, rem: f64) -> Value {
    let (lo, hi) = extent(points.iter().map(|p| p.value), &ind.thresholds);
    let level = ind.latest.map(|l| l.level).unwrap_or(IndicatorLevel::Normal);
    let colour = level_colour(level);
    json!({
        "animation": false,
        "grid": {"left": 0, "right": 0, "top": rem * 0.15, "bottom": rem * 0.15},
        "xAxis": {"type": "time", "show": false, "min": now_ms - 86_400_000.0, "max": now_ms},
        "yAxis": {"type": "value", "show": false, "min": lo, "max": hi},
        "series": [{
            "type": "line",
            "data": series_data(points),
            "showSymbol": points.len() <= 3,
            "symbolSize": rem * 0.35,
            "silent": true,
            "lineStyle": {"width": rem * 0.12, "color": colour},
            "itemStyle": {"color": colour},
            "areaStyle": {"color": rgba(colour, 0.14), "origin": "start"},
            "markArea": mark_area(&bands(ind.direction, &ind.thresholds, lo, hi), 0.16),
        }],
    })
}

/// The large chart: the series from `from_ms` to `to_ms` (each step's mean), the threshold bands and a labelled
/// line at each threshold in sight, time and value axes with labels, a tooltip.
pub fn chart_option(
    lang: Lang,
    ind: &IndicatorView,
    points: &[SeriesPoint],
    from_ms: f64,
    to_ms: f64,
    rem: f64,
) -> Value {
    let (lo, hi) = extent(points.iter().map(|p| p.value), &ind.thresholds);
    let level = ind.latest.map(|l| l.level).unwrap_or(IndicatorLevel::Normal);
    let colour = level_colour(level);
    let font = rem * 0.85;
    let t = &ind.thresholds;
    let lines: Vec<Value> = t
        .blue
        .map(|b| (IndicatorLevel::Blue, b))
        .into_iter()
        .chain([
            (IndicatorLevel::Yellow, t.yellow),
            (IndicatorLevel::Orange, t.orange),
            (IndicatorLevel::Red, t.red),
        ])
        .filter(|(_, v)| *v >= lo && *v <= hi)
        .map(|(level, v)| {
            json!({
                "yAxis": v,
                "lineStyle": {"color": level_colour(level), "type": "dashed", "width": rem * 0.1},
                "label": {
                    "formatter": format!("{} {}", i18n::vital_level(lang, level), format_value(v)),
                    "color": level_colour(level), "fontSize": font * 0.9, "position": "insideEndTop",
                },
            })
        })
        .collect();
    let axis_label = json!({"color": "#8ea6c4", "fontSize": font});
    let split = json!({"lineStyle": {"color": "rgba(70,150,240,0.16)"}});
    json!({
        "animation": false,
        "textStyle": {"fontFamily": "Noto Sans CJK SC, Noto Sans SC, sans-serif"},
        "grid": {"left": rem * 4.5, "right": rem * 1.5, "top": rem * 1.5, "bottom": rem * 2.5},
        "tooltip": {
            "trigger": "axis",
            "backgroundColor": "rgba(7,19,41,0.95)",
            "borderColor": "rgba(90,175,255,0.6)",
            "textStyle": {"color": "#dbe8f7", "fontSize": font},
        },
        "xAxis": {
            "type": "time", "min": from_ms, "max": to_ms,
            "axisLabel": axis_label, "axisLine": {"lineStyle": {"color": "rgba(90,175,255,0.5)"}},
            "splitLine": {"show": false},
        },
        "yAxis": {
            "type": "value", "min": lo, "max": hi, "scale": true,
            "name": ind.unit, "nameTextStyle": {"color": "#8ea6c4", "fontSize": font},
            // The axis' ends are the padded extent, not round numbers: only the ticks between are labelled.
            "axisLabel": {"color": "#8ea6c4", "fontSize": font, "showMinLabel": false, "showMaxLabel": false},
            "splitLine": split,
        },
        "series": [
            {
                "name": i18n::name_of(lang, &ind.name),
                "type": "line",
                "data": series_data(points),
                "showSymbol": points.len() <= 3,
                "symbolSize": rem * 0.5,
                "lineStyle": {"width": rem * 0.14, "color": colour},
                "itemStyle": {"color": colour},
                "markArea": mark_area(&bands(ind.direction, t, lo, hi), 0.13),
                "markLine": {"silent": true, "symbol": "none", "data": lines},
            },
        ],
    })
}

/// At most this many tiles on a wall (three rows of the peacetime column's three); the wider wartime column
/// shows [`WARTIME_TILES`]. A scenario of hundreds of indicators shows its worst ones and counts the rest.
pub const MAX_TILES: usize = 9;
pub const WARTIME_TILES: usize = 12;

/// What the tiles show of a scenario's panels: the ids of the tiles — the wartime trigger first, then the worst
/// levels (red … normal, then those without a reading), each level in the pack's order — at most `limit`; and
/// how many of each level are left out (`None`: no reading yet).
pub fn shown_tiles(
    panels: &[citydeck_protocol::ipc::VitalPanel],
    trigger: Option<&str>,
    limit: usize,
) -> (Vec<String>, Vec<(Option<IndicatorLevel>, usize)>) {
    let mut order: Vec<(usize, &citydeck_protocol::ipc::VitalPanel)> = panels.iter().enumerate().collect();
    order.sort_by_key(|(i, p)| {
        let is_trigger = trigger == Some(p.indicator.id.as_str());
        let level = p.indicator.latest.map(|l| l.level);
        (!is_trigger, std::cmp::Reverse(level), *i)
    });
    let shown = order
        .iter()
        .take(limit)
        .map(|(_, p)| p.indicator.id.clone())
        .collect();
    let mut rest: Vec<(Option<IndicatorLevel>, usize)> = Vec::new();
    for (_, p) in order.iter().skip(limit) {
        let level = p.indicator.latest.map(|l| l.level);
        match rest.iter_mut().find(|(l, _)| *l == level) {
            Some((_, n)) => *n += 1,
            None => rest.push((level, 1)),
        }
    }
    (shown, rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn panel(id: &str, level: Option<IndicatorLevel>) -> citydeck_protocol::ipc::VitalPanel {
        serde_json::from_value(json!({
            "indicator": {"id": id, "name": {"zh": id, "en": id}, "unit": "", "scenario": "s",
                "direction": "above", "thresholds": {"yellow": 1.0, "orange": 2.0, "red": 3.0},
                "latest": level.map(|l| json!({"at": "2026-12-07T08:00:00Z", "value": 1.0, "level": l}))},
            "points": [], "step": 0, "series_fetched_at": null
        }))
        .unwrap()
    }

    #[test]
    fn the_worst_tiles_show_the_trigger_first_and_the_rest_are_counted() {
        use IndicatorLevel::*;
        let mut panels: Vec<_> = (0..300).map(|i| panel(&format!("n{i}"), Some(Normal))).collect();
        panels[7] = panel("y7", Some(Yellow));
        panels[250] = panel("r250", Some(Red));
        panels[20] = panel("none20", None);
        panels[42] = panel("o42", Some(Orange));
        panels[99] = panel("y99", Some(Yellow));
        let (shown, rest) = shown_tiles(&panels, Some("n5"), MAX_TILES);
        assert_eq!(
            shown,
            ["n5", "r250", "o42", "y7", "y99", "n0", "n1", "n2", "n3"],
            "trigger, then worst first, each level in the pack's order"
        );
        assert_eq!(rest, [(Some(Normal), 290), (None, 1)]);
        let (all, none_left) = shown_tiles(&panels[..4], None, MAX_TILES);
        assert_eq!(all.len(), 4);
        assert!(none_left.is_empty());
    }
    use chrono::{DateTime, Duration, Utc};

    fn at(mins_before: i64) -> DateTime<Utc> {
        "2026-12-07T12:00:00Z".parse::<DateTime<Utc>>().unwrap() - Duration::minutes(mins_before)
    }

    fn pt(mins_before: i64, v: f64) -> SeriesPoint {
        SeriesPoint {
            at: at(mins_before),
            value: v,
            min: v,
            max: v,
        }
    }

    fn latest(v: f64) -> LatestReading {
        LatestReading {
            at: at(0),
            value: v,
            level: IndicatorLevel::Normal,
        }
    }

    const ABOVE: IndicatorThresholds = IndicatorThresholds {
        blue: Some(35_880.0),
        yellow: 36_900.0,
        orange: 37_300.0,
        red: 37_700.0,
    };
    const BELOW: IndicatorThresholds = IndicatorThresholds {
        blue: Some(100.5),
        yellow: 100.0,
        orange: 60.0,
        red: 30.0,
    };

    #[test]
    fn the_trend_compares_with_the_newest_point_an_hour_back() {
        let points = [pt(120, 30_000.0), pt(65, 31_000.0), pt(30, 36_000.0)];
        // 36,000 now against 31,000 an hour back (the point 30 min ago is too recent).
        assert_eq!(trend(&points, Some(&latest(36_000.0)), &ABOVE), Some(Trend::Up));
        assert_eq!(trend(&points, Some(&latest(29_000.0)), &ABOVE), Some(Trend::Down));
        // Within 2 % of the warning span (37,700 − 35,880 = 1,820 → 36.4): flat.
        assert_eq!(trend(&points, Some(&latest(31_030.0)), &ABOVE), Some(Trend::Flat));
        assert_eq!(trend(&points, Some(&latest(31_040.0)), &ABOVE), Some(Trend::Up));
        assert_eq!(
            trend(&points[2..], Some(&latest(1.0)), &ABOVE),
            None,
            "nothing an hour back"
        );
        assert_eq!(trend(&points, None, &ABOVE), None, "no reading");
        assert!(Trend::Up.worse(IndicatorDirection::Above));
        assert!(Trend::Down.worse(IndicatorDirection::Below));
        assert!(!Trend::Up.worse(IndicatorDirection::Below));
        assert!(!Trend::Flat.worse(IndicatorDirection::Above));
        assert_eq!((Trend::Up.arrow(), Trend::Down.key()), ("↑", "down"));
    }

    #[test]
    fn bands_follow_the_direction_and_are_cut_to_the_axis() {
        let b = bands(IndicatorDirection::Above, &ABOVE, 30_000.0, 38_000.0);
        assert_eq!(
            b,
            [
                Band {
                    level: IndicatorLevel::Blue,
                    from: 35_880.0,
                    to: 36_900.0
                },
                Band {
                    level: IndicatorLevel::Yellow,
                    from: 36_900.0,
                    to: 37_300.0
                },
                Band {
                    level: IndicatorLevel::Orange,
                    from: 37_300.0,
                    to: 37_700.0
                },
                Band {
                    level: IndicatorLevel::Red,
                    from: 37_700.0,
                    to: 38_000.0
                },
            ]
        );
        // An axis below red: the bands above it are left out, the one it cuts is cut.
        let b = bands(IndicatorDirection::Above, &ABOVE, 30_000.0, 37_000.0);
        assert_eq!(b.len(), 2);
        assert_eq!(
            b[1],
            Band {
                level: IndicatorLevel::Yellow,
                from: 36_900.0,
                to: 37_000.0
            }
        );
        // Lower is worse: red from the axis' bottom up to 30, then orange, yellow, blue; lowest first.
        let b = bands(IndicatorDirection::Below, &BELOW, 20.0, 110.0);
        assert_eq!(
            b,
            [
                Band {
                    level: IndicatorLevel::Red,
                    from: 20.0,
                    to: 30.0
                },
                Band {
                    level: IndicatorLevel::Orange,
                    from: 30.0,
                    to: 60.0
                },
                Band {
                    level: IndicatorLevel::Yellow,
                    from: 60.0,
                    to: 100.0
                },
                Band {
                    level: IndicatorLevel::Blue,
                    from: 100.0,
                    to: 100.5
                },
            ]
        );
        let no_blue = IndicatorThresholds { blue: None, ..BELOW };
        let b = bands(IndicatorDirection::Below, &no_blue, 99.0, 106.0);
        assert_eq!(
            b,
            [Band {
                level: IndicatorLevel::Yellow,
                from: 99.0,
                to: 100.0
            }]
        );
    }

    #[test]
    fn the_axis_holds_the_values_and_the_first_threshold() {
        let (lo, hi) = extent([101.0, 104.0], &BELOW);
        assert!(
            lo < 100.5 && lo > 99.0 && hi > 104.0,
            "{lo} {hi}: blue is in sight, red is not"
        );
        let (lo, hi) = extent([30_000.0, 31_000.0], &ABOVE);
        assert!(lo < 30_000.0 && hi > 35_880.0 && hi < 36_900.0, "{lo} {hi}");
        let (lo, hi) = extent(
            [],
            &IndicatorThresholds {
                blue: None,
                yellow: 0.0,
                orange: 1.0,
                red: 2.0,
            },
        );
        assert_eq!((lo, hi), (-1.0, 1.0), "a flat zero");
        let (lo, hi) = extent(
            [f64::NAN, 4.0],
            &IndicatorThresholds {
                blue: None,
                yellow: 4.0,
                orange: 5.0,
                red: 6.0,
            },
        );
        assert!((lo - 3.8).abs() < 1e-9 && (hi - 4.2).abs() < 1e-9, "{lo} {hi}");
    }

    #[test]
    fn values_are_written_for_the_wall() {
        assert_eq!(format_value(37_412.0), "37,412");
        assert_eq!(format_value(37_412.46), "37,412");
        assert_eq!(format_value(1_016.23), "1,016.2");
        assert_eq!(format_value(16.1), "16.1");
        assert_eq!(format_value(4.23), "4.23");
        assert_eq!(format_value(0.3), "0.3");
        assert_eq!(format_value(0.0), "0");
        assert_eq!(format_value(-2.5), "-2.5");
        assert_eq!(format_value(-0.001), "0");
        assert_eq!(format_value(1_234_567.0), "1,234,567");
        assert_eq!(format_value(f64::NAN), "—");
    }

    #[test]
    fn ages_and_staleness() {
        assert_eq!(age_text(Lang::Zh, 185), "3 分钟前");
        assert_eq!(age_text(Lang::En, 185), "3 min ago");
        assert_eq!(age_text(Lang::Zh, 2 * 86_400), "2 天前");
        assert!(!is_stale(Some(5)));
        assert!(is_stale(Some(61)));
        assert!(is_stale(None), "never fetched");
    }

    fn view(level: IndicatorLevel) -> IndicatorView {
        IndicatorView {
            id: "power_load".into(),
            name: citydeck_protocol::indicators::LocalizedName {
                zh: "电力负荷".into(),
                en: "Power load".into(),
            },
            unit: "MW".into(),
            scenario: "lifeline".into(),
            direction: IndicatorDirection::Above,
            thresholds: ABOVE,
            latest: Some(LatestReading {
                level,
                ..latest(37_800.0)
            }),
        }
    }

    #[test]
    fn the_sparkline_draws_the_day_in_the_levels_colour_over_the_bands() {
        let points = [pt(120, 30_000.0), pt(60, 36_000.0), pt(0, 37_800.0)];
        let now = at(0).timestamp_millis() as f64;
        let o = sparkline_option(&view(IndicatorLevel::Red), &points, now, 16.0);
        assert_eq!(o["xAxis"]["min"], json!(now - 86_400_000.0));
        let s = &o["series"][0];
        assert_eq!(s["data"].as_array().unwrap().len(), 3);
        assert_eq!(s["data"][2], json!([at(0).timestamp_millis(), 37_800.0]));
        assert_eq!(s["lineStyle"]["color"], "#e5322d", "red now");
        assert_eq!(s["showSymbol"], true, "three points: dots");
        let areas = s["markArea"]["data"].as_array().unwrap();
        assert_eq!(
            areas.len(),
            4,
            "blue, yellow, orange and red are all within the axis"
        );
        assert_eq!(areas[3][0]["yAxis"], json!(37_700.0));
        assert!(o["yAxis"]["max"].as_f64().unwrap() > 37_800.0);
    }

    #[test]
    fn the_large_chart_marks_each_threshold_in_sight() {
        let points = [pt(120, 30_000.0), pt(60, 36_000.0), pt(0, 36_500.0)];
        let o = chart_option(Lang::Zh, &view(IndicatorLevel::Yellow), &points, 0.0, 1.0, 16.0);
        let lines = o["series"][0]["markLine"]["data"].as_array().unwrap();
        let labels: Vec<&str> = lines
            .iter()
            .map(|l| l["label"]["formatter"].as_str().unwrap())
            .collect();
        assert_eq!(
            labels,
            ["蓝色 35,880", "黄色 36,900"],
            "orange and red are off the axis"
        );
        assert_eq!(o["series"][0]["data"].as_array().unwrap().len(), 3);
        assert_eq!(o["yAxis"]["name"], "MW");
        let en = chart_option(Lang::En, &view(IndicatorLevel::Yellow), &points, 0.0, 1.0, 16.0);
        assert_eq!(
            en["series"][0]["markLine"]["data"][1]["label"]["formatter"],
            "Yellow 36,900"
        );
        assert_eq!(en["series"][0]["name"], "Power load");
    }
}
