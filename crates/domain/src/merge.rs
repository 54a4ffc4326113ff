//! Reports of one event merge (issue 22, 一数一源). A new report — an incident create from the hub's API, a CAP
//! alert, a feed's feature; not a desktop's offline queue, whose later actions name the incident it queued — of
//! the same class as an open incident, from a source none of that incident's reports came from, within
//! [`MergeRule::radius_m`] (default 300 m) and [`MergeRule::window`] (default 30 min between the report's time
//! and the incident's) joins that incident instead of making a new one: the nearest such incident, the older on
//! a tie. A report never joins an incident one of whose reports came from its own source (two calls to one
//! hotline are two events until someone says otherwise). An operator can split a joined report back out.
//!
//! Provenance and quality: every incident lists its reports, the first its origin ([`Report`]); its [`Quality`]
//! is `official` when one of its reports came from a trusted source (the city file's `[ingest] trusted`) or an
//! operator verified it, `corroborated` when its reports come from two or more sources, else `unverified`.
//!
//! The city file's `[ingest]`:
//! ```toml
//! [ingest]
//! trusted = ["cap:meteo@llv.li", "usgs"]   # sources whose reports are official
//! merge_radius_m = 300                     # optional
//! merge_window = "30m"                     # optional, a duration as in `[deadlines]`
//! ```

use chrono::{DateTime, Duration, Utc};
use citydeck_protocol::ingest::{Quality, Report};
use citydeck_protocol::{Incident, IncidentClass};

/// Within how far and how long a report joins an incident, and which sources are official.
#[derive(Clone, Debug, PartialEq)]
pub struct MergeRule {
    pub radius_m: f64,
    pub window: Duration,
    /// Sources whose reports are official (`cap:<sender>`, a feed's name, …).
    pub trusted: Vec<String>,
}

impl Default for MergeRule {
    fn default() -> Self {
        MergeRule {
            radius_m: DEFAULT_RADIUS_M,
            window: Duration::minutes(DEFAULT_WINDOW_MINUTES),
            trusted: Vec::new(),
        }
    }
}

pub const DEFAULT_RADIUS_M: f64 = 300.0;
pub const DEFAULT_WINDOW_MINUTES: i64 = 30;

/// A city file's `[ingest]` that cannot be used: `key` names it (`ingest.merge_window`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {problem}")]
pub struct RuleError {
    pub key: String,
    pub problem: String,
}

impl MergeRule {
    /// Reads a city file's `[ingest]` (absent: the defaults, nobody trusted).
    pub fn from_value(value: Option<&toml::Value>) -> Result<MergeRule, RuleError> {
        let mut rule = MergeRule::default();
        let Some(value) = value else {
            return Ok(rule);
        };
        let err = |key: &str, problem: String| RuleError {
            key: format!("ingest.{key}"),
            problem,
        };
        let t = value.as_table().ok_or_else(|| RuleError {
            key: "ingest".into(),
            problem: "must be a table".into(),
        })?;
        for (k, v) in t {
            match (k.as_str(), v) {
                ("trusted", toml::Value::Array(list)) => {
                    rule.trusted = list
                        .iter()
                        .enumerate()
                        .map(|(i, s)| match s.as_str() {
                            Some(s) if !s.trim().is_empty() => Ok(s.to_string()),
                            _ => Err(err(&format!("trusted[{i}]"), "must be a source's name".into())),
                        })
                        .collect::<Result<_, _>>()?;
                }
                ("merge_radius_m", v) => {
                    let r = v.as_float().or_else(|| v.as_integer().map(|i| i as f64));
                    rule.radius_m = r
                        .filter(|r| r.is_finite() && (0.0..=100_000.0).contains(r))
                        .ok_or_else(|| err(k, "must be a distance in metres, 0 to 100000".into()))?;
                }
                ("merge_window", toml::Value::String(s)) => {
                    rule.window = crate::stage_clock::parse_duration(s).map_err(|e| err(k, e))?;
                }
                ("trusted" | "merge_window", _) => {
                    return Err(err(k, "has the wrong type".into()));
                }
                _ => return Err(err(k, "is not a key of [ingest]".into())),
            }
        }
        Ok(rule)
    }

    /// Whether reports from `source` are official.
    pub fn trusts(&self, source: &str) -> bool {
        self.trusted.iter().any(|t| t == source)
    }

    /// A report from `source` as the incident lists it.
    pub fn report(&self, source: &str, external_id: Option<String>, received_at: DateTime<Utc>) -> Report {
        Report {
            source: source.to_string(),
            external_id,
            received_at,
            quality: if self.trusts(source) {
                Quality::Official
            } else {
                Quality::Unverified
            },
        }
    }
}

/// An incident's quality from its reports and whether an operator verified it (see the module's text).
pub fn quality(reports: &[Report], verified: bool) -> Quality {
    if verified || reports.iter().any(|r| r.quality == Quality::Official) {
        return Quality::Official;
    }
    let mut sources: Vec<&str> = reports.iter().map(|r| r.source.as_str()).collect();
    sources.sort_unstable();
    sources.dedup();
    if sources.len() >= 2 {
        Quality::Corroborated
    } else {
        Quality::Unverified
    }
}

/// Sets the incident's quality from its reports and verification.
pub fn restamp(incident: &mut Incident) {
    incident.quality = quality(&incident.reports, incident.verified.is_some());
}

/// Mean Earth radius (m).
const EARTH_M: f64 = 6_371_008.8;

/// Great-circle distance in metres between two `(lon, lat)` points (haversine).
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lon1, lat1) = (a.0.to_radians(), a.1.to_radians());
    let (lon2, lat2) = (b.0.to_radians(), b.1.to_radians());
    let h =
        ((lat2 - lat1) / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * EARTH_M * h.sqrt().min(1.0).asin()
}

/// A box `[min_lon, min_lat, max_lon, max_lat]` holding every point within `radius_m` of `p`, for the spatial
/// index (the exact test is [`distance_m`]).
pub fn search_box(p: (f64, f64), radius_m: f64) -> [f64; 4] {
    let dlat = (radius_m / EARTH_M).to_degrees() * 1.001;
    let cos = p.1.to_radians().cos().abs().max(1e-9);
    let dlon = (dlat / cos).min(360.0);
    [p.0 - dlon, p.1 - dlat, p.0 + dlon, p.1 + dlat]
}

/// An open incident as the merge sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub id: uuid::Uuid,
    pub class: IncidentClass,
    pub point: (f64, f64),
    pub at: DateTime<Utc>,
    /// The sources of its reports.
    pub sources: Vec<String>,
}

/// A new report as the merge sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Incoming<'a> {
    pub source: &'a str,
    pub class: IncidentClass,
    pub point: (f64, f64),
    pub at: DateTime<Utc>,
}

/// Whether `report` joins `c`: the same class, another source, near enough in space and time.
pub fn joins(rule: &MergeRule, report: &Incoming, c: &Candidate) -> bool {
    c.class == report.class
        && !c.sources.iter().any(|s| s == report.source)
        && (report.at - c.at).abs() <= rule.window
        && distance_m(report.point, c.point) <= rule.radius_m
}

/// The incident `report` joins, if any: the nearest of those it may join, the older on a tie.
pub fn best<'c>(rule: &MergeRule, report: &Incoming, candidates: &'c [Candidate]) -> Option<&'c Candidate> {
    candidates
        .iter()
        .filter(|c| joins(rule, report, c))
        .min_by(|a, b| {
            distance_m(report.point, a.point)
                .total_cmp(&distance_m(report.point, b.point))
                .then(a.at.cmp(&b.at))
                .then(a.id.cmp(&b.id))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_765_000_000 + min * 60, 0).unwrap()
    }

    fn cand(n: u128, point: (f64, f64), min: i64, sources: &[&str]) -> Candidate {
        Candidate {
            id: uuid::Uuid::from_u128(n),
            class: IncidentClass::Accident,
            point,
            at: at(min),
            sources: sources.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// `(lon, lat)` `metres` north of `p`.
    fn north(p: (f64, f64), metres: f64) -> (f64, f64) {
        (p.0, p.1 + (metres / EARTH_M).to_degrees())
    }

    const VADUZ: (f64, f64) = (9.5209, 47.1410);

    #[test]
    fn distances_are_great_circle_metres() {
        assert!((distance_m(VADUZ, north(VADUZ, 300.0)) - 300.0).abs() < 0.01);
        // one degree of longitude at the equator
        assert!((distance_m((0.0, 0.0), (1.0, 0.0)) - 111_195.08).abs() < 1.0);
        assert_eq!(distance_m(VADUZ, VADUZ), 0.0);
    }

    #[test]
    fn the_nearest_joinable_incident_wins() {
        let rule = MergeRule::default();
        let report = Incoming {
            source: "hotline",
            class: IncidentClass::Accident,
            point: VADUZ,
            at: at(0),
        };
        let far = cand(1, north(VADUZ, 250.0), 0, &["camera"]);
        let near = cand(2, north(VADUZ, 100.0), 0, &["camera"]);
        let own = cand(3, north(VADUZ, 10.0), 0, &["hotline", "camera"]);
        let mut other_class = cand(4, north(VADUZ, 5.0), 0, &["camera"]);
        other_class.class = IncidentClass::PublicHealth;
        let cands = [far.clone(), near.clone(), own, other_class];
        assert_eq!(best(&rule, &report, &cands).map(|c| c.id), Some(near.id));
        assert_eq!(
            best(&rule, &report, std::slice::from_ref(&far)).map(|c| c.id),
            Some(far.id)
        );
        assert!(best(&rule, &report, &[]).is_none());
    }

    #[test]
    fn quality_follows_the_reports() {
        let rule = MergeRule {
            trusted: vec!["cap:meteo@llv.li".into()],
            ..MergeRule::default()
        };
        let hotline = rule.report("hotline", None, at(0));
        let camera = rule.report("camera", Some("c1".into()), at(1));
        let meteo = rule.report("cap:meteo@llv.li", None, at(2));
        assert_eq!(hotline.quality, Quality::Unverified);
        assert_eq!(meteo.quality, Quality::Official);
        assert_eq!(
            quality(std::slice::from_ref(&hotline), false),
            Quality::Unverified
        );
        assert_eq!(
            quality(&[hotline.clone(), hotline.clone()], false),
            Quality::Unverified,
            "one source twice"
        );
        assert_eq!(quality(&[hotline.clone(), camera], false), Quality::Corroborated);
        assert_eq!(quality(&[hotline.clone(), meteo], false), Quality::Official);
        assert_eq!(
            quality(&[hotline], true),
            Quality::Official,
            "an operator verified it"
        );
    }

    #[test]
    fn the_city_file_sets_the_rule_and_names_a_bad_key() {
        let read = |text: &str| {
            let t: toml::Table = text.parse().unwrap();
            MergeRule::from_value(t.get("ingest"))
        };
        assert_eq!(read("").unwrap(), MergeRule::default());
        let r =
            read("[ingest]\ntrusted = [\"usgs\"]\nmerge_radius_m = 500\nmerge_window = \"1h\"\n").unwrap();
        assert_eq!(
            (r.radius_m, r.window, r.trusts("usgs")),
            (500.0, Duration::hours(1), true)
        );
        for (text, key) in [
            ("[ingest]\nmerge_window = \"soon\"", "ingest.merge_window"),
            ("[ingest]\nmerge_radius_m = -1", "ingest.merge_radius_m"),
            ("[ingest]\ntrusted = [\"\"]", "ingest.trusted[0]"),
            ("[ingest]\nradius = 3", "ingest.radius"),
            ("ingest = 3", "ingest"),
        ] {
            assert_eq!(read(text).unwrap_err().key, key, "{text}");
        }
    }

    proptest! {
        /// The rule, over distances and times: a report joins exactly when it is of another source, within the
        /// radius and within the window; the search box always holds what the radius does.
        #[test]
        fn merge_rule_over_distances_and_times(
            metres in 0.0f64..2_000.0,
            bearing in 0.0f64..std::f64::consts::TAU,
            minutes in -120i64..120,
            same_source in any::<bool>(),
            lat in -80.0f64..80.0,
            lon in -179.0f64..179.0,
        ) {
            let rule = MergeRule::default();
            let centre = (lon, lat);
            let dlat = (metres * bearing.cos() / EARTH_M).to_degrees();
            let dlon = (metres * bearing.sin() / EARTH_M).to_degrees() / lat.to_radians().cos();
            let p = (lon + dlon, lat + dlat);
            let c = cand(1, centre, 0, &[if same_source { "hotline" } else { "camera" }]);
            let report = Incoming { source: "hotline", class: IncidentClass::Accident, point: p, at: at(minutes) };
            let d = distance_m(p, centre);
            let expected = !same_source && d <= rule.radius_m && minutes.abs() <= 30;
            prop_assert_eq!(joins(&rule, &report, &c), expected, "d = {}", d);
            if d <= rule.radius_m {
                let b = search_box(centre, rule.radius_m);
                prop_assert!(b[0] <= p.0 && p.0 <= b[2] && b[1] <= p.1 && p.1 <= b[3], "{:?} outside {:?}", p, b);
            }
        }
    }
}
