//! The vital-sign panels (城市运行数字体征): which scenario a wall shows, its panels from the cache, what the
//! poller asks the hub for and when, and the large chart's ranges (online from the hub, offline from the cache).
//!
//! A wall shows its default scenario (`CITYDECK_SCENARIO`, else [`DEFAULT_SCENARIO`]) or the one picked in the
//! header; in wartime, when the triggering incident was raised by an indicator's threshold crossing (its
//! `source` is [`INDICATOR_SOURCE`] and its `external_id` `<indicator id>@<time>`), the pack that indicator
//! belongs to, so the hall sees the sign that set it off. The panels are the pack's `panels`; a pack this
//! desktop does not know shows the hub's indicators of that scenario, and with no packs at all every indicator.

use std::collections::HashMap;

use chrono::{DateTime, Duration, DurationRound, Utc};
use citydeck_domain::scenario::Pack;
use citydeck_protocol::indicators::{IndicatorSeries, LocalizedName, SeriesPoint};
use citydeck_protocol::ipc::{ScenarioChoice, ScenarioInfo, VitalPanel, VitalRange, VitalSeries, VitalsView};
use citydeck_protocol::ModeKind;
use citydeck_store::{Cache, CachedIndicator, SERIES_WINDOW};

use crate::Result;

/// The scenario a wall shows when none is configured.
pub const DEFAULT_SCENARIO: &str = "overview";
/// The `source` of an incident raised by an indicator's threshold crossing.
pub const INDICATOR_SOURCE: &str = "indicator";
/// How often the poller asks the hub for the indicators and their latest readings.
pub const LATEST_EVERY: std::time::Duration = std::time::Duration::from_secs(5);
/// How often the shown indicators' 24 h series are fetched again.
pub const SERIES_EVERY: Duration = Duration::minutes(3);
/// The sparklines' step (seconds): 288 steps a day.
pub const SERIES_STEP: u64 = 300;

/// The packs as the header's selector lists them.
pub fn scenario_infos(packs: &[Pack]) -> Vec<ScenarioInfo> {
    packs
        .iter()
        .map(|p| ScenarioInfo {
            id: p.id.clone(),
            name: LocalizedName {
                zh: p.name.zh.clone(),
                en: p.name.en.clone(),
            },
            panels: p.panels.clone(),
        })
        .collect()
}

/// The indicator whose threshold crossing raised `incident` (its `external_id` up to the `@`), if it was.
pub fn trigger_indicator(incident: &citydeck_protocol::Incident) -> Option<&str> {
    if incident.source != INDICATOR_SOURCE {
        return None;
    }
    let id = incident.external_id.as_deref()?.split('@').next()?;
    (!id.is_empty()).then_some(id)
}

/// What the vitals view is made of besides the cache.
#[derive(Clone, Debug)]
pub struct VitalsInputs {
    /// The packs this desktop knows (the city file's `[data] scenarios`).
    pub scenarios: Vec<ScenarioInfo>,
    /// The wall's default scenario.
    pub default_scenario: String,
    /// The scenario picked in the header (None: the default).
    pub asked: Option<String>,
    pub now: DateTime<Utc>,
}

/// Which scenario to show, why, and the indicator that raised the wartime focus: the triggering indicator's
/// pack in wartime, else the one asked for when it is known, else the default.
pub fn choose_scenario(
    c: &Cache,
    i: &VitalsInputs,
    cached: &[CachedIndicator],
) -> Result<(String, ScenarioChoice, Option<String>)> {
    let known =
        |id: &str| i.scenarios.iter().any(|s| s.id == id) || cached.iter().any(|x| x.view.scenario == id);
    let mode = c.mode()?;
    if mode.mode == ModeKind::Wartime {
        // The first triggering incident the cache knows: the wartime focus the cockpit shows.
        for id in &mode.incident_ids {
            let Some(incident) = c.incident(&id.to_string())? else {
                continue;
            };
            let Some(ind) = trigger_indicator(&incident) else {
                break;
            };
            if let Some(x) = cached.iter().find(|x| x.view.id == ind) {
                return Ok((
                    x.view.scenario.clone(),
                    ScenarioChoice::Wartime,
                    Some(ind.to_string()),
                ));
            }
            break;
        }
    }
    match &i.asked {
        Some(s) if known(s) => Ok((s.clone(), ScenarioChoice::Chosen, None)),
        _ => Ok((i.default_scenario.clone(), ScenarioChoice::Default, None)),
    }
}

/// The indicator ids a scenario's panels show: its pack's `panels`; for a pack this desktop does not know, the
/// hub's indicators of that scenario; when that is none either, every indicator. `trigger` is shown first
/// when the list lacks it.
pub fn panel_ids(
    scenarios: &[ScenarioInfo],
    scenario: &str,
    cached: &[CachedIndicator],
    trigger: Option<&str>,
) -> Vec<String> {
    let mut ids: Vec<String> = match scenarios.iter().find(|s| s.id == scenario) {
        Some(s) => s.panels.clone(),
        None => cached
            .iter()
            .filter(|x| x.view.scenario == scenario)
            .map(|x| x.view.id.clone())
            .collect(),
    };
    if ids.is_empty() {
        ids = cached.iter().map(|x| x.view.id.clone()).collect();
    }
    if let Some(t) = trigger {
        if !ids.iter().any(|x| x == t) {
            ids.insert(0, t.to_string());
        }
    }
    ids
}

/// The last 24 h of one indicator for its sparkline: the cached series, with the latest reading appended as a
/// point of its own when it is past the last cached step (a reading newer than the last series fetch).
pub fn day_points(c: &Cache, x: &CachedIndicator, now: DateTime<Utc>) -> Result<(Vec<SeriesPoint>, u64)> {
    let cached = c.indicator_points(&x.view.id, now - SERIES_WINDOW)?;
    let mut points = cached.points;
    if let Some(l) = x.view.latest {
        let step = Duration::seconds(i64::try_from(cached.step).unwrap_or(0));
        let newer = points.last().is_none_or(|p| l.at >= p.at + step && l.at > p.at);
        if newer && l.at >= now - SERIES_WINDOW && l.value.is_finite() {
            points.push(SeriesPoint {
                at: l.at,
                value: l.value,
                min: l.value,
                max: l.value,
            });
        }
    }
    Ok((points, cached.step))
}

/// The vital-sign panels of the scenario the wall shows, from the cache as of `now` (see the module's rules).
/// The scenarios are listed with the default first.
pub fn view(c: &Cache, i: VitalsInputs) -> Result<VitalsView> {
    let cached = c.cached_indicators()?;
    let (scenario, because, trigger) = choose_scenario(c, &i, &cached)?;
    let mut panels = Vec::new();
    for id in panel_ids(&i.scenarios, &scenario, &cached, trigger.as_deref()) {
        let Some(x) = cached.iter().find(|x| x.view.id == id) else {
            continue;
        };
        let (points, step) = day_points(c, x, i.now)?;
        panels.push(VitalPanel {
            indicator: x.view.clone(),
            points,
            step,
            series_fetched_at: x.series_fetched_at,
        });
    }
    let mut scenarios = i.scenarios;
    if let Some(k) = scenarios.iter().position(|s| s.id == i.default_scenario) {
        let first = scenarios.remove(k);
        scenarios.insert(0, first);
    }
    Ok(VitalsView {
        scenarios,
        default_scenario: i.default_scenario,
        scenario,
        because,
        trigger,
        panels,
        fetched_at: cached.iter().map(|x| x.fetched_at).max(),
        generated_at: i.now,
    })
}

/// The indicators of `shown` whose 24 h series is due: never fetched nor tried, or fetched and tried longer than
/// [`SERIES_EVERY`] ago (`tried`: when the poller last asked the hub for each, answered or not).
pub fn series_due(
    cached: &[CachedIndicator],
    shown: &[String],
    tried: &HashMap<String, DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Vec<String> {
    shown
        .iter()
        .filter(|id| {
            let Some(x) = cached.iter().find(|x| &x.view.id == *id) else {
                return false;
            };
            let last = x.series_fetched_at.max(tried.get(*id).copied());
            last.is_none_or(|t| now - t >= SERIES_EVERY)
        })
        .cloned()
        .collect()
}

/// The sparklines' fetch: `(from, to, step)` for the last 24 h before `now`, `from` on a whole step so the
/// buckets of one fetch and the next line up.
pub fn day_request(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>, u64) {
    let from = now - SERIES_WINDOW;
    let step = Duration::seconds(SERIES_STEP as i64);
    (from.duration_trunc(step).unwrap_or(from), now, SERIES_STEP)
}

/// The large chart's step for `range` (seconds): 720 steps a day (2 min), 672 a week (15 min), 720 a month
/// (1 h) — between 300 and 1,000, and a multiple of 60 (of 3,600 for the month), as the hub may round to.
pub fn range_step(range: VitalRange) -> u64 {
    match range {
        VitalRange::Day => 120,
        VitalRange::Week => 900,
        VitalRange::Month => 3600,
    }
}

/// The large chart's fetch: `(from, to, step)` for `range` ending `now`, `from` on a whole step.
pub fn range_request(range: VitalRange, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>, u64) {
    let step = range_step(range);
    let from = now - Duration::seconds(range.secs() as i64);
    let whole = Duration::seconds(step as i64);
    (from.duration_trunc(whole).unwrap_or(from), now, step)
}

/// The hub's answer for the large chart.
pub fn online_series(
    range: VitalRange,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    s: IndicatorSeries,
) -> VitalSeries {
    VitalSeries {
        indicator: s.indicator,
        range,
        from,
        to,
        step: s.step,
        points: s.points,
        offline: false,
        cached_at: None,
    }
}

/// The large chart without the hub: the cached part of `range` (the last 24 h at most, with the latest
/// reading), marked offline, with when it was fetched.
pub fn offline_series(
    c: &Cache,
    indicator: &str,
    range: VitalRange,
    now: DateTime<Utc>,
) -> Result<VitalSeries> {
    let (from, to, _) = range_request(range, now);
    let cached = c.cached_indicators()?;
    let (points, step, cached_at) = match cached.iter().find(|x| x.view.id == indicator) {
        Some(x) => {
            let (points, step) = day_points(c, x, now)?;
            (points, step, x.series_fetched_at.or(Some(x.fetched_at)))
        }
        None => (Vec::new(), 0, None),
    };
    Ok(VitalSeries {
        indicator: indicator.to_string(),
        range,
        from,
        to,
        step,
        points: points.into_iter().filter(|p| p.at >= from).collect(),
        offline: true,
        cached_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{cache_with, incident, now};
    use citydeck_protocol::indicators::{
        IndicatorDirection, IndicatorLevel, IndicatorThresholds, IndicatorView, LatestReading,
    };
    use citydeck_protocol::{Grade, ModeState, Stage};

    fn ind(id: &str, scenario: &str, latest: Option<(DateTime<Utc>, f64)>) -> IndicatorView {
        IndicatorView {
            id: id.into(),
            name: LocalizedName {
                zh: id.into(),
                en: id.into(),
            },
            unit: "MW".into(),
            scenario: scenario.into(),
            direction: IndicatorDirection::Above,
            thresholds: IndicatorThresholds {
                blue: None,
                yellow: 10.0,
                orange: 20.0,
                red: 30.0,
            },
            latest: latest.map(|(at, value)| LatestReading {
                at,
                value,
                level: IndicatorLevel::Normal,
            }),
        }
    }

    fn pack(id: &str, panels: &[&str]) -> ScenarioInfo {
        ScenarioInfo {
            id: id.into(),
            name: LocalizedName {
                zh: format!("场景 {id}"),
                en: format!("Scenario {id}"),
            },
            panels: panels.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn packs() -> Vec<ScenarioInfo> {
        vec![
            pack("lifeline", &["power_load", "water_flow"]),
            pack("overview", &["water_flow", "rain", "unknown_one"]),
            pack("weather", &["rain"]),
        ]
    }

    fn catalogue() -> Vec<IndicatorView> {
        vec![
            ind("power_load", "lifeline", Some((now(), 5.0))),
            ind("water_flow", "lifeline", None),
            ind("rain", "weather", None),
        ]
    }

    fn inputs(asked: Option<&str>) -> VitalsInputs {
        VitalsInputs {
            scenarios: packs(),
            default_scenario: "overview".into(),
            asked: asked.map(str::to_string),
            now: now(),
        }
    }

    fn ids(v: &VitalsView) -> Vec<&str> {
        v.panels.iter().map(|p| p.indicator.id.as_str()).collect()
    }

    /// An incident raised by `indicator`'s crossing.
    fn raised_by(n: u64, indicator: &str) -> citydeck_protocol::Incident {
        let mut i = incident(n, Stage::Collected);
        i.source = INDICATOR_SOURCE.into();
        i.external_id = Some(format!("{indicator}@2026-03-21T09:30:00Z"));
        i
    }

    fn wartime(ids: Vec<uuid::Uuid>) -> ModeState {
        ModeState {
            mode: ModeKind::Wartime,
            level: Some(Grade::II),
            epoch: 1,
            incident_ids: ids,
            ..ModeState::initial()
        }
    }

    #[test]
    fn the_trigger_is_the_external_id_before_the_at_of_an_indicator_incident() {
        assert_eq!(trigger_indicator(&raised_by(1, "power_load")), Some("power_load"));
        let mut other = raised_by(1, "power_load");
        other.source = "hotline".into();
        assert_eq!(trigger_indicator(&other), None, "another source");
        let mut bare = raised_by(1, "x");
        bare.external_id = Some("water_flow".into());
        assert_eq!(trigger_indicator(&bare), Some("water_flow"), "no time part");
        bare.external_id = Some("@2026".into());
        assert_eq!(trigger_indicator(&bare), None);
        bare.external_id = None;
        assert_eq!(trigger_indicator(&bare), None);
    }

    #[test]
    fn the_wall_shows_its_default_the_one_picked_or_in_wartime_the_triggers_pack() {
        let mut c = cache_with(vec![raised_by(1, "rain"), incident(2, Stage::Handling)]);
        c.store_indicators(&catalogue(), now()).unwrap();
        let v = view(&c, inputs(None)).unwrap();
        assert_eq!(
            (v.scenario.as_str(), v.because),
            ("overview", ScenarioChoice::Default)
        );
        assert_eq!(
            ids(&v),
            ["water_flow", "rain"],
            "the pack's panels the hub serves, in its order"
        );
        let scen: Vec<&str> = v.scenarios.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(scen, ["overview", "lifeline", "weather"], "the default first");
        assert_eq!(v.fetched_at, Some(now()));

        let v = view(&c, inputs(Some("lifeline"))).unwrap();
        assert_eq!(
            (v.scenario.as_str(), v.because),
            ("lifeline", ScenarioChoice::Chosen)
        );
        assert_eq!(ids(&v), ["power_load", "water_flow"]);
        let v = view(&c, inputs(Some("atlantis"))).unwrap();
        assert_eq!(v.because, ScenarioChoice::Default, "an unknown pack is not shown");

        // Wartime on an incident of another source: the wall keeps its choice.
        c.adopt_mode(&wartime(vec![uuid::Uuid::from_u128(2)])).unwrap();
        let v = view(&c, inputs(Some("lifeline"))).unwrap();
        assert_eq!((v.scenario.as_str(), v.trigger), ("lifeline", None));
        // Wartime on the rain's incident: the weather pack, whatever was picked.
        let mut rain = wartime(vec![uuid::Uuid::from_u128(99), uuid::Uuid::from_u128(1)]);
        rain.epoch = 2; // a newer switch (the cache keeps the newest epoch)
        c.adopt_mode(&rain).unwrap();
        let v = view(&c, inputs(Some("lifeline"))).unwrap();
        assert_eq!(
            (v.scenario.as_str(), v.because, v.trigger.as_deref()),
            ("weather", ScenarioChoice::Wartime, Some("rain"))
        );
        assert_eq!(ids(&v), ["rain"]);
    }

    #[test]
    fn without_packs_the_hubs_scenarios_and_indicators_are_shown() {
        let mut c = cache_with(vec![]);
        c.store_indicators(&catalogue(), now()).unwrap();
        let cached = c.cached_indicators().unwrap();
        assert_eq!(
            panel_ids(&[], "lifeline", &cached, None),
            ["power_load", "water_flow"]
        );
        assert_eq!(
            panel_ids(&[], "overview", &cached, None),
            ["power_load", "water_flow", "rain"],
            "a scenario of no indicator: all of them"
        );
        assert_eq!(
            panel_ids(&packs(), "weather", &cached, Some("power_load")),
            ["power_load", "rain"],
            "the trigger is never left out"
        );
        let mut i = inputs(Some("weather"));
        i.scenarios.clear();
        let v = view(&c, i).unwrap();
        assert_eq!(
            (v.scenario.as_str(), v.because),
            ("weather", ScenarioChoice::Chosen)
        );
    }

    #[test]
    fn the_sparkline_is_the_cached_day_plus_a_newer_latest_reading() {
        let mut c = cache_with(vec![]);
        let t = now();
        let (from, to, step) = day_request(t);
        assert_eq!(step, SERIES_STEP);
        assert_eq!(from.timestamp() % SERIES_STEP as i64, 0, "on a whole step");
        assert!(t - from >= SERIES_WINDOW && t - from < SERIES_WINDOW + Duration::seconds(300));
        let pt = |mins: i64, v: f64| SeriesPoint {
            at: t - Duration::minutes(mins),
            value: v,
            min: v,
            max: v,
        };
        let series = IndicatorSeries {
            indicator: "power_load".into(),
            step: 300,
            points: vec![pt(60, 1.0), pt(30, 2.0), pt(10, 3.0)],
        };
        // The latest reading (at now) is past the last step (now - 10 min + 5 min): appended.
        c.store_indicators(&catalogue(), t).unwrap();
        c.store_series(&series, from, to).unwrap();
        let v = view(&c, inputs(Some("lifeline"))).unwrap();
        let p = &v.panels[0];
        assert_eq!(p.step, 300);
        assert_eq!(p.series_fetched_at, Some(to));
        let values: Vec<f64> = p.points.iter().map(|p| p.value).collect();
        assert_eq!(values, [1.0, 2.0, 3.0, 5.0]);
        // A latest reading inside the last step is already in it.
        let mut cat = catalogue();
        cat[0].latest.as_mut().unwrap().at = t - Duration::minutes(8);
        c.store_indicators(&cat, t).unwrap();
        let v = view(&c, inputs(Some("lifeline"))).unwrap();
        assert_eq!(v.panels[0].points.len(), 3);
        assert!(v.panels[1].points.is_empty(), "water_flow: no series, no reading");
    }

    #[test]
    fn a_series_is_due_when_never_fetched_or_older_than_the_period() {
        let mut c = cache_with(vec![]);
        let t = now();
        c.store_indicators(&catalogue(), t).unwrap();
        let shown: Vec<String> = ["power_load", "rain", "nope"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut tried = HashMap::new();
        assert_eq!(
            series_due(&c.cached_indicators().unwrap(), &shown, &tried, t),
            ["power_load", "rain"]
        );
        let s = IndicatorSeries {
            indicator: "power_load".into(),
            step: 300,
            points: vec![],
        };
        c.store_series(&s, t - SERIES_WINDOW, t).unwrap();
        tried.insert("rain".to_string(), t); // asked, the hub did not answer
        let cached = c.cached_indicators().unwrap();
        assert!(series_due(&cached, &shown, &tried, t + Duration::minutes(1)).is_empty());
        assert_eq!(
            series_due(&cached, &shown, &tried, t + SERIES_EVERY),
            ["power_load", "rain"]
        );
    }

    #[test]
    fn the_large_charts_ranges_hold_300_to_1000_steps_and_offline_the_cached_day() {
        let t = now();
        for r in VitalRange::ALL {
            let (from, to, step) = range_request(r, t);
            let n = (to - from).num_seconds() as u64 / step;
            assert!((300..=1000).contains(&n), "{r:?}: {n} steps");
            assert_eq!(step % 60, 0);
            assert_eq!(from.timestamp() % step as i64, 0);
        }
        assert_eq!(range_step(VitalRange::Month) % 3600, 0);

        let mut c = cache_with(vec![]);
        c.store_indicators(&catalogue(), t - Duration::hours(2)).unwrap();
        let s = IndicatorSeries {
            indicator: "power_load".into(),
            step: 300,
            points: vec![SeriesPoint {
                at: t - Duration::hours(3),
                value: 1.0,
                min: 1.0,
                max: 1.0,
            }],
        };
        c.store_series(&s, t - SERIES_WINDOW, t - Duration::hours(2))
            .unwrap();
        let off = offline_series(&c, "power_load", VitalRange::Week, t).unwrap();
        assert!(off.offline);
        assert_eq!(off.range, VitalRange::Week);
        assert_eq!(off.cached_at, Some(t - Duration::hours(2)));
        assert_eq!(off.points.len(), 2, "the cached point and the latest reading");
        assert_eq!(off.step, 300);
        let none = offline_series(&c, "nope", VitalRange::Day, t).unwrap();
        assert!(none.offline && none.points.is_empty() && none.cached_at.is_none());
    }
}
