//! The vital signs' cache (schema 10): latest values, the last 24 h of points, pruning, and what stays offline.

use chrono::{DateTime, Duration, Utc};
use citydeck_protocol::indicators::{
    IndicatorDirection, IndicatorLevel, IndicatorSeries, IndicatorThresholds, IndicatorView, LatestReading,
    LocalizedName, SeriesPoint,
};

use crate::{Cache, SERIES_WINDOW};

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn view(id: &str, latest: Option<(DateTime<Utc>, f64, IndicatorLevel)>) -> IndicatorView {
    IndicatorView {
        id: id.into(),
        name: LocalizedName {
            zh: format!("指标 {id}"),
            en: format!("Indicator {id}"),
        },
        unit: "MW".into(),
        scenario: "lifeline".into(),
        direction: IndicatorDirection::Above,
        thresholds: IndicatorThresholds {
            blue: Some(1.0),
            yellow: 2.0,
            orange: 3.0,
            red: 4.0,
        },
        latest: latest.map(|(at, value, level)| LatestReading { at, value, level }),
    }
}

fn point(at: DateTime<Utc>, value: f64) -> SeriesPoint {
    SeriesPoint {
        at,
        value,
        min: value - 0.5,
        max: value + 0.5,
    }
}

/// A series of `indicator` with a point every `step_min` minutes from `from` to `to` (inclusive).
fn series(indicator: &str, from: DateTime<Utc>, to: DateTime<Utc>, step_min: i64) -> IndicatorSeries {
    let mut points = Vec::new();
    let mut at = from;
    while at <= to {
        points.push(point(at, points.len() as f64));
        at += Duration::minutes(step_min);
    }
    IndicatorSeries {
        indicator: indicator.into(),
        step: step_min as u64 * 60,
        points,
    }
}

#[test]
fn the_indicator_list_is_kept_in_the_hubs_order_with_its_latest_reading() {
    let mut c = Cache::open_in_memory().unwrap();
    assert!(
        c.cached_indicators().unwrap().is_empty(),
        "nothing before the first poll"
    );
    let t0 = t("2026-12-07T10:00:00Z");
    let latest = (t("2026-12-07T09:58:00Z"), 3.5, IndicatorLevel::Orange);
    c.store_indicators(&[view("b", Some(latest)), view("a", None)], t0)
        .unwrap();
    let got = c.cached_indicators().unwrap();
    let ids: Vec<&str> = got.iter().map(|i| i.view.id.as_str()).collect();
    assert_eq!(ids, ["b", "a"], "the hub's order, not the ids'");
    assert_eq!(
        got[0].view,
        view("b", Some(latest)),
        "thresholds and latest as listed"
    );
    assert_eq!(got[0].fetched_at, t0);
    assert_eq!(got[0].series_fetched_at, None);
    assert_eq!(got[1].view.latest, None);

    // The next poll: a new reading, and "b" is no longer served: it goes, with its points.
    c.store_series(
        &series("b", t0 - Duration::hours(1), t0, 30),
        t0 - Duration::hours(1),
        t0,
    )
    .unwrap();
    let t1 = t0 + Duration::seconds(5);
    let newer = (t("2026-12-07T10:00:04Z"), 4.2, IndicatorLevel::Red);
    c.store_indicators(&[view("a", Some(newer))], t1).unwrap();
    let got = c.cached_indicators().unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].view.latest.map(|l| l.level), Some(IndicatorLevel::Red));
    assert_eq!(got[0].fetched_at, t1);
    assert!(c
        .indicator_points("b", t0 - SERIES_WINDOW)
        .unwrap()
        .points
        .is_empty());
}

#[test]
fn a_series_keeps_the_last_24_hours_and_replaces_what_it_covers() {
    let mut c = Cache::open_in_memory().unwrap();
    let now = t("2026-12-07T12:00:00Z");
    c.store_indicators(&[view("p", None), view("q", None)], now)
        .unwrap();
    // The hub answers 30 h (more than asked): only the last 24 h are kept.
    let from = now - Duration::hours(30);
    c.store_series(&series("p", from, now, 60), from, now).unwrap();
    let got = c.indicator_points("p", now - Duration::days(10)).unwrap();
    assert_eq!(got.points.len(), 25, "24 h at one an hour, both ends included");
    assert_eq!(got.points[0].at, now - SERIES_WINDOW);
    assert_eq!(got.points.last().unwrap().at, now);
    assert_eq!(got.step, 3600);
    assert!(got.points.windows(2).all(|w| w[0].at < w[1].at), "oldest first");
    let fetched = c.cached_indicators().unwrap();
    assert_eq!(fetched[0].series_fetched_at, Some(now));
    assert_eq!(fetched[1].series_fetched_at, None, "only p's series was fetched");

    // A later fetch of the last 2 h at a finer step replaces the points it covers, and only those.
    let later = now + Duration::minutes(10);
    let from2 = later - Duration::hours(2);
    let mut s2 = series("p", from2, later, 5);
    s2.points.retain(|p| p.at != from2 + Duration::minutes(60)); // an empty step stays empty
    c.store_series(&s2, from2, later).unwrap();
    let got = c.indicator_points("p", later - SERIES_WINDOW).unwrap();
    let before: Vec<_> = got.points.iter().filter(|p| p.at < from2).collect();
    let after: Vec<_> = got.points.iter().filter(|p| p.at >= from2).collect();
    assert_eq!(
        before.len(),
        22,
        "the hourly points before the new fetch stay (10:00 and older)"
    );
    assert_eq!(
        after.len(),
        s2.points.len(),
        "the hourly points it covers are replaced"
    );
    assert!(after.iter().all(|p| (p.at - from2).num_minutes() % 5 == 0));
    assert_eq!(got.step, 300, "the newest point's step");
    assert!(
        c.indicator_points("q", now - SERIES_WINDOW)
            .unwrap()
            .points
            .is_empty(),
        "another indicator's points are its own"
    );
}

#[test]
fn old_points_are_pruned_on_every_write_and_on_demand() {
    let mut c = Cache::open_in_memory().unwrap();
    let now = t("2026-12-07T12:00:00Z");
    c.store_indicators(&[view("p", None), view("q", None)], now)
        .unwrap();
    c.store_series(
        &series("p", now - Duration::hours(23), now, 60),
        now - Duration::hours(23),
        now,
    )
    .unwrap();
    // q's series a day later: p's points older than 24 h before then go too.
    let later = now + Duration::hours(12);
    c.store_series(
        &series("q", later - Duration::hours(1), later, 60),
        later - Duration::hours(1),
        later,
    )
    .unwrap();
    let p = c.indicator_points("p", now - Duration::days(5)).unwrap();
    assert!(p.points.iter().all(|x| x.at >= later - SERIES_WINDOW), "{p:?}");
    assert_eq!(p.points.len(), 13, "00:00 (24 h before later) .. 12:00");
    assert_eq!(
        c.prune_indicator_points(now - Duration::hours(3)).unwrap(),
        9,
        "00:00 .. 08:00"
    );
    assert_eq!(
        c.indicator_points("p", now - Duration::days(5))
            .unwrap()
            .points
            .len(),
        4
    );
    assert_eq!(
        c.indicator_points("q", now - Duration::days(5))
            .unwrap()
            .points
            .len(),
        2
    );
}

#[test]
fn offline_the_cache_still_answers_the_latest_value_its_time_and_the_day() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite");
    let fetched = t("2026-12-07T12:00:00Z");
    let read_at = t("2026-12-07T11:57:00Z");
    {
        let mut c = Cache::open(&path).unwrap();
        c.store_indicators(
            &[view("p", Some((read_at, 2.5, IndicatorLevel::Yellow)))],
            fetched,
        )
        .unwrap();
        c.store_series(
            &series("p", fetched - Duration::hours(24), fetched, 30),
            fetched - Duration::hours(24),
            fetched,
        )
        .unwrap();
    }
    // The desktop restarts with the hub gone, two hours later: nothing is polled, the cache answers as it was.
    let c = Cache::open(&path).unwrap();
    let offline_now = fetched + Duration::hours(2);
    let got = c.cached_indicators().unwrap();
    let latest = got[0].view.latest.unwrap();
    assert_eq!((latest.value, latest.level), (2.5, IndicatorLevel::Yellow));
    assert_eq!((offline_now - latest.at).num_minutes(), 123, "the reading's age");
    assert_eq!(
        (offline_now - got[0].fetched_at).num_minutes(),
        120,
        "when the hub was last heard"
    );
    let day = c.indicator_points("p", offline_now - SERIES_WINDOW).unwrap();
    assert_eq!(
        day.points.len(),
        45,
        "the part of the cached day still within 24 h of now"
    );
}

#[test]
fn non_finite_points_are_not_kept() {
    let mut c = Cache::open_in_memory().unwrap();
    let now = t("2026-12-07T12:00:00Z");
    let mut s = series("p", now - Duration::hours(2), now, 60);
    s.points[1].value = f64::NAN;
    c.store_series(&s, now - Duration::hours(2), now).unwrap();
    assert_eq!(
        c.indicator_points("p", now - SERIES_WINDOW).unwrap().points.len(),
        2
    );
}
