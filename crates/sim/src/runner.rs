//! The simulator loop: the city's operator incidents with the earthquake feed replayed among them, paced in
//! real time and handed to a sink (the hub's HTTP API in production, a vector in tests).

use std::future::Future;
use std::time::Duration;

use anyhow::{bail, Context};
use citydeck_protocol::NewIncident;
use tokio::time::{Instant, MissedTickBehavior};

use crate::areas::CityExtent;
use crate::config::CityConfig;
use crate::generator::{Generator, Templates};
use crate::places::{city_extent, city_places};
use crate::quakes::load_earthquakes;

/// Where incidents go. Failures are logged and the run goes on (after [`ERROR_BACKOFF`]), so a hub that is
/// briefly down does not stop the simulator.
pub trait IncidentSink {
    fn create(&self, inc: NewIncident) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// A feature of the GeoJSON feed `feed` (`POST /api/v1/ingest/geojson?feed=`), or, where the feed is not
    /// taken, `fallback`: the same event as an incident. By default: `fallback`.
    fn ingest(
        &self,
        feed: &str,
        feature: serde_json::Value,
        fallback: NewIncident,
    ) -> impl Future<Output = anyhow::Result<()>> + Send {
        let _ = (feed, feature);
        self.create(fallback)
    }
}

/// The feed the replayed USGS week is posted to (the city file declares it: `[[feeds]] name = "usgs"`).
pub const QUAKE_FEED: &str = "usgs";

/// Pause after a failed create.
pub const ERROR_BACKOFF: Duration = Duration::from_secs(1);
/// A create that has not finished after this long counts as failed.
pub const SINK_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, PartialEq)]
pub struct SimOptions {
    /// Incidents per second (> 0).
    pub rate: f64,
    pub seed: u64,
    /// Stop after this many incidents (sent or failed); `None` runs until the future is dropped.
    pub limit: Option<u64>,
}

impl SimOptions {
    /// The city file's defaults, without a limit.
    pub fn from_city(city: &CityConfig) -> SimOptions {
        SimOptions {
            rate: city.sim.rate,
            seed: city.sim.seed,
            limit: None,
        }
    }

    fn period(&self) -> anyhow::Result<Duration> {
        if !(self.rate.is_finite() && self.rate > 0.0) {
            bail!(
                "rate must be a positive number of incidents per second, got {}",
                self.rate
            );
        }
        // At absurd rates the period rounds to zero, which tokio's interval does not accept.
        Ok(Duration::from_secs_f64(1.0 / self.rate).max(Duration::from_micros(1)))
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SimStats {
    /// Created by the sink.
    pub sent: u64,
    /// Refused by the sink (or timed out).
    pub failed: u64,
    /// Operator incidents among sent + failed.
    pub operator: u64,
    /// Replayed earthquakes among sent + failed.
    pub quakes: u64,
}

/// The interleaved, endless stream: one earthquake (oldest first) per `quake_every` incidents while the feed
/// lasts, operator incidents otherwise.
pub struct Feed {
    generator: Generator,
    quakes: std::vec::IntoIter<(NewIncident, serde_json::Value)>,
    quake_every: u32,
    position: u64,
    /// The city's districts: an operator incident moved out of them (by the jitter) is put back at its place.
    extent: Option<CityExtent>,
}

/// Which source an incident of the [`Feed`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Operator,
    Quake,
}

impl Feed {
    /// `quakes`: each replayed event as an incident and, where it came from a feed, its feature.
    pub fn new(
        generator: Generator,
        quakes: Vec<(NewIncident, serde_json::Value)>,
        quake_every: u32,
    ) -> Feed {
        Feed {
            generator,
            quakes: quakes.into_iter(),
            quake_every,
            position: 0,
            extent: None,
        }
    }

    /// Builds a city's feed from its data files (the city file's `[data]`, as [`CityConfig::load`] resolves
    /// them): its templates, the places inside the city (its districts, when it has areas) and the earthquake
    /// feed.
    pub fn load(city: &CityConfig, seed: u64) -> anyhow::Result<Feed> {
        let templates = match &city.data.templates {
            Some(file) => Templates::load(file)?,
            None => Templates::shipped()?,
        };
        let pbf = &city.data.osm_pbf;
        let (places, stats) = city_places(city)?;
        tracing::info!(city = %city.id, places = places.len(), ?stats, "places loaded from {}", pbf.display());
        let generator = Generator::new(&templates, places, city.bbox, city.sim.jitter_m, seed)
            .with_context(|| format!("{}", pbf.display()))?;
        let quakes = match (&city.data.earthquakes, city.sim.quake_every) {
            (Some(path), every) if every > 0 => {
                let q = load_earthquakes(path).with_context(|| format!("loading {}", path.display()))?;
                tracing::info!(
                    quakes = q.incidents.len(),
                    skipped = q.skipped,
                    "earthquake feed loaded"
                );
                q.incidents.into_iter().zip(q.features).collect()
            }
            _ => Vec::new(),
        };
        let mut feed = Feed::new(generator, quakes, city.sim.quake_every);
        feed.extent = city_extent(city)?;
        Ok(feed)
    }

    pub fn next_incident(&mut self) -> (Origin, NewIncident) {
        let (origin, incident, _) = self.next_item();
        (origin, incident)
    }

    /// The next event: where it came from, it as an incident and, for a replayed quake, its feature with the
    /// same replay rule (its `time` removed, so the hub stamps its arrival; the original time as
    /// `properties.origin_time`, which the city's feed puts in the description).
    pub fn next_item(&mut self) -> (Origin, NewIncident, Option<serde_json::Value>) {
        self.position += 1;
        if self.quake_every > 0 && self.position % u64::from(self.quake_every) == 0 {
            if let Some((mut q, mut feature)) = self.quakes.next() {
                if let (Some(t), Some(props)) = (q.occurred_at, feature["properties"].as_object_mut()) {
                    props.insert("time".into(), serde_json::Value::Null);
                    props.insert(
                        "origin_time".into(),
                        t.format("%Y-%m-%d %H:%M:%S UTC").to_string().into(),
                    );
                }
                // A replay reports the quake as news arriving now: the hub stamps it on arrival, and the
                // original USGS origin time stays in the description, so the cockpit's ages stay meaningful.
                if let Some(t) = q.occurred_at.take() {
                    let origin = format!("USGS 原始发震时间 {}。", t.format("%Y-%m-%d %H:%M:%S UTC"));
                    q.description = Some(match q.description.take() {
                        Some(d) => format!("{origin}{d}"),
                        None => origin,
                    });
                }
                return (Origin::Quake, q, Some(feature));
            }
        }
        let extent = self.extent.as_ref();
        let draw = self.generator.draw();
        let mut inc = draw.incident;
        if extent.is_some_and(|e| !e.contains(inc.lon, inc.lat)) {
            (inc.lon, inc.lat) = (draw.place.lon, draw.place.lat);
        }
        (Origin::Operator, inc, None)
    }

    /// Earthquakes not replayed yet.
    pub fn quakes_left(&self) -> usize {
        self.quakes.len()
    }
}

impl Iterator for Feed {
    type Item = NewIncident;
    fn next(&mut self) -> Option<NewIncident> {
        Some(self.next_incident().1)
    }
}

/// Runs the simulator for `city` (its data files as the city file names them).
pub async fn run<S: IncidentSink + Sync>(
    city: &CityConfig,
    sink: &S,
    opts: SimOptions,
) -> anyhow::Result<SimStats> {
    opts.period()?;
    let mut feed = Feed::load(city, opts.seed)?;
    run_feed(&mut feed, sink, &opts).await
}

/// Sends `feed` to `sink` at `opts.rate` (the seed in `opts` is not used: the feed is already seeded).
pub async fn run_feed<S: IncidentSink + Sync>(
    feed: &mut Feed,
    sink: &S,
    opts: &SimOptions,
) -> anyhow::Result<SimStats> {
    let period = opts.period()?;
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut stats = SimStats::default();
    let started = Instant::now();
    tracing::info!(rate = opts.rate, limit = ?opts.limit, "simulator started");
    while opts.limit.is_none_or(|l| stats.sent + stats.failed < l) {
        ticks.tick().await;
        let (origin, inc, feature) = feed.next_item();
        match origin {
            Origin::Operator => stats.operator += 1,
            Origin::Quake => stats.quakes += 1,
        }
        let title = inc.title.clone();
        let sent = async {
            match feature {
                Some(f) => sink.ingest(QUAKE_FEED, f, inc).await,
                None => sink.create(inc).await,
            }
        };
        let result = match tokio::time::timeout(SINK_TIMEOUT, sent).await {
            Ok(r) => r,
            Err(_) => Err(anyhow::anyhow!("no answer within {SINK_TIMEOUT:?}")),
        };
        match result {
            Ok(()) => {
                stats.sent += 1;
                tracing::debug!(%title, "incident sent");
                if stats.sent % 100 == 0 {
                    tracing::info!(?stats, elapsed = ?started.elapsed(), "simulator progress");
                }
            }
            Err(e) => {
                stats.failed += 1;
                tracing::warn!(%title, failed = stats.failed, "sink refused an incident, retrying in {ERROR_BACKOFF:?}: {e:#}");
                tokio::time::sleep(ERROR_BACKOFF).await;
            }
        }
    }
    tracing::info!(?stats, elapsed = ?started.elapsed(), "simulator finished");
    Ok(stats)
}

/// The production sink: the hub's public HTTP API, as the account the client logged in with.
impl IncidentSink for citydeck_client::HubClient {
    async fn create(&self, inc: NewIncident) -> anyhow::Result<()> {
        self.create_incident(&inc).await?;
        Ok(())
    }

    async fn ingest(
        &self,
        feed: &str,
        feature: serde_json::Value,
        fallback: NewIncident,
    ) -> anyhow::Result<()> {
        let collection = serde_json::json!({"type": "FeatureCollection", "features": [feature]});
        match self.ingest_geojson(feed, &collection).await {
            Ok(_) => Ok(()),
            // a hub whose city declares no such feed takes the event as an incident
            Err(citydeck_client::ClientError::Api { status: 404, body })
                if body.code.as_deref() == Some("unknown_feed") =>
            {
                tracing::debug!(feed, "the hub declares no such feed: sent as an incident");
                self.create_incident(&fallback).await?;
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::BBox;
    use crate::places::{Place, PlaceKind};
    use citydeck_protocol::{Grade, IncidentClass};
    use std::path::Path;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Mutex;

    /// Records what it gets; refuses the calls whose 1-based number is in `fail_calls`.
    #[derive(Default)]
    struct FakeSink {
        got: Mutex<Vec<NewIncident>>,
        /// The features `ingest` got, with their feed.
        features: Mutex<Vec<(String, serde_json::Value)>>,
        calls: AtomicU64,
        fail_calls: Vec<u64>,
    }

    impl IncidentSink for FakeSink {
        fn create(&self, inc: NewIncident) -> impl Future<Output = anyhow::Result<()>> + Send {
            let call = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            let fail = self.fail_calls.contains(&call);
            if !fail {
                self.got.lock().unwrap().push(inc);
            }
            async move {
                if fail {
                    bail!("connection refused (hub down)")
                }
                Ok(())
            }
        }

        fn ingest(
            &self,
            feed: &str,
            feature: serde_json::Value,
            fallback: NewIncident,
        ) -> impl Future<Output = anyhow::Result<()>> + Send {
            self.features.lock().unwrap().push((feed.to_string(), feature));
            // kept with the rest, as a hub declaring the feed would make much the same incident
            self.create(fallback)
        }
    }

    fn bbox() -> BBox {
        BBox {
            min_lon: 24.93,
            min_lat: 60.16,
            max_lon: 24.96,
            max_lat: 60.18,
        }
    }

    fn quake(id: &str) -> NewIncident {
        NewIncident {
            title: format!("M1.0 地震 — {id}"),
            class: IncidentClass::NaturalDisaster,
            grade: Grade::IV,
            lon: -150.0,
            lat: 61.0,
            source: "usgs".into(),
            description: None,
            address: None,
            external_id: Some(id.into()),
            occurred_at: None,
        }
    }

    fn feed(quakes: usize, every: u32) -> Feed {
        let places = vec![
            Place {
                name: "Mannerheimintie".into(),
                kind: PlaceKind::Street,
                lon: 24.94,
                lat: 60.17,
            },
            Place {
                name: "Ressun lukio".into(),
                kind: PlaceKind::School,
                lon: 24.935,
                lat: 60.165,
            },
        ];
        let g = Generator::new(&Templates::shipped().unwrap(), places, bbox(), 10.0, 1).unwrap();
        Feed::new(
            g,
            (0..quakes)
                .map(|i| {
                    (
                        quake(&format!("q{i}")),
                        serde_json::json!({"type": "Feature", "id": format!("q{i}")}),
                    )
                })
                .collect(),
            every,
        )
    }

    fn opts(rate: f64, limit: Option<u64>) -> SimOptions {
        SimOptions { rate, seed: 1, limit }
    }

    #[test]
    fn feed_interleaves_one_quake_per_n_until_the_feed_runs_out() {
        let mut f = feed(3, 4);
        let origins: Vec<Origin> = (0..20).map(|_| f.next_incident().0).collect();
        let quake_positions: Vec<usize> = origins
            .iter()
            .enumerate()
            .filter(|(_, o)| **o == Origin::Quake)
            .map(|(i, _)| i + 1)
            .collect();
        assert_eq!(quake_positions, [4, 8, 12]);
        assert_eq!(f.quakes_left(), 0);
        let mut none = feed(3, 0);
        assert!((0..20).all(|_| none.next_incident().0 == Origin::Operator));
    }

    #[tokio::test(start_paused = true)]
    async fn limit_and_pacing() {
        let sink = FakeSink::default();
        let start = Instant::now();
        let stats = run_feed(&mut feed(100, 5), &sink, &opts(2.0, Some(10)))
            .await
            .unwrap();
        assert_eq!(
            stats,
            SimStats {
                sent: 10,
                failed: 0,
                operator: 8,
                quakes: 2
            }
        );
        // First incident at once, then one per 0.5 s.
        assert_eq!(start.elapsed(), Duration::from_millis(4_500));
        let got = sink.got.lock().unwrap();
        assert_eq!(got.len(), 10);
        assert_eq!(got[4].external_id.as_deref(), Some("q0"));
        assert_eq!(got[9].external_id.as_deref(), Some("q1"));
    }

    #[tokio::test(start_paused = true)]
    async fn sink_failures_are_logged_backed_off_and_survived() {
        let sink = FakeSink {
            fail_calls: vec![2, 3],
            ..Default::default()
        };
        let start = Instant::now();
        let stats = run_feed(&mut feed(0, 0), &sink, &opts(10.0, Some(6)))
            .await
            .unwrap();
        assert_eq!(
            stats,
            SimStats {
                sent: 4,
                failed: 2,
                operator: 6,
                quakes: 0
            }
        );
        assert_eq!(sink.got.lock().unwrap().len(), 4);
        // Two 1 s back-offs dominate; the 0.1 s ticks after each resume at once (MissedTickBehavior::Delay).
        let e = start.elapsed();
        assert!(e >= Duration::from_secs(2) && e < Duration::from_secs(3), "{e:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_sink_that_never_answers_times_out_and_the_run_goes_on() {
        struct Hang;
        impl IncidentSink for Hang {
            #[allow(clippy::manual_async_fn)]
            fn create(&self, _: NewIncident) -> impl Future<Output = anyhow::Result<()>> + Send {
                async { std::future::pending().await }
            }
        }
        let stats = run_feed(&mut feed(0, 0), &Hang, &opts(1.0, Some(2)))
            .await
            .unwrap();
        assert_eq!(stats.failed, 2);
    }

    #[tokio::test(start_paused = true)]
    async fn bad_rates_are_errors() {
        let sink = FakeSink::default();
        for rate in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let err = run_feed(&mut feed(0, 0), &sink, &opts(rate, Some(1)))
                .await
                .unwrap_err();
            assert!(err.to_string().contains("rate"), "{err}");
        }
        // Checked before any data is loaded.
        let city = CityConfig::parse(crate::config::tests::GOOD, Path::new("t.toml")).unwrap();
        let err = run(&city, &sink, opts(f64::NAN, None)).await.unwrap_err();
        assert!(err.to_string().contains("rate"), "{err}");
        assert_eq!(sink.calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn zero_limit_sends_nothing() {
        let sink = FakeSink::default();
        let stats = run_feed(&mut feed(0, 0), &sink, &opts(1.0, Some(0)))
            .await
            .unwrap();
        assert_eq!(stats, SimStats::default());
    }

    #[tokio::test(start_paused = true)]
    async fn missing_data_is_a_clear_error() {
        let city = CityConfig::parse(crate::config::tests::GOOD, Path::new("/nonexistent/t.toml")).unwrap();
        let err = run(&city, &FakeSink::default(), opts(1.0, Some(1)))
            .await
            .unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("xtask data") && msg.contains("t.osm.pbf"), "{msg}");
        // a city whose areas file is missing says so too
        let with_areas = format!(
            "{}\nareas = \"areas.geojson\"\n",
            crate::config::tests::GOOD.trim_end()
        );
        let city = CityConfig::parse(&with_areas, Path::new("/nonexistent/t.toml")).unwrap();
        let err = run(&city, &FakeSink::default(), opts(1.0, Some(1)))
            .await
            .unwrap_err();
        let msg = format!("{err:#}");
        assert!(
            msg.contains("xtask data") && msg.contains("areas.geojson"),
            "{msg}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_city_uses_the_templates_it_names_and_a_bad_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let text = format!("{}templates = \"mine.toml\"\n", crate::config::tests::GOOD);
        // the templates file is found beside the city file, like its other data
        let city = CityConfig::parse(&text, &dir.path().join("t.toml")).unwrap();
        let sink = FakeSink::default();
        let run_it = || run(&city, &sink, opts(1.0, Some(1)));
        let msg = format!("{:#}", run_it().await.unwrap_err());
        assert!(msg.contains("mine.toml") && msg.contains("cannot read"), "{msg}");
        std::fs::write(
            dir.path().join("mine.toml"),
            "[[template]]\nclass = \"accident\"\nkinds = [\"stret\"]\ntitle = \"t\"\n\
             descriptions = [\"{place}\"]\nsources = [\"110\"]\nweight = 1\n",
        )
        .unwrap();
        let msg = format!("{:#}", run_it().await.unwrap_err());
        assert!(
            msg.contains("mine.toml") && msg.contains("template[1].kinds[1]") && msg.contains("stret"),
            "{msg}"
        );
        // A good file gets as far as the city's places.
        std::fs::write(
            dir.path().join("mine.toml"),
            std::fs::read_to_string(
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/city/templates.toml"),
            )
            .unwrap(),
        )
        .unwrap();
        let msg = format!("{:#}", run_it().await.unwrap_err());
        assert!(msg.contains("t.osm.pbf"), "{msg}");
    }

    /// The real city: Helsinki places and the USGS week, as `cargo xtask data` fetches them.
    #[tokio::test(start_paused = true)]
    async fn real_helsinki_run() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let data = root.join("data/cache");
        for file in ["Helsinki.osm.pbf", "earthquakes.json"] {
            assert!(
                data.join(file).is_file(),
                "{} is missing: run `cargo xtask data` first",
                data.join(file).display()
            );
        }
        let city = CityConfig::load(root.join("data/city/helsinki.toml")).unwrap();
        let sink = FakeSink::default();
        let o = SimOptions {
            limit: Some(50),
            ..SimOptions::from_city(&city)
        };
        let stats = run(&city, &sink, o.clone()).await.unwrap();
        assert_eq!(stats.sent, 50);
        assert_eq!(stats.quakes, 50 / u64::from(city.sim.quake_every));
        let got = sink.got.lock().unwrap().clone();
        // the quakes went to the feed endpoint as their features, replayed as news arriving now
        let features = sink.features.lock().unwrap().clone();
        assert_eq!(features.len() as u64, stats.quakes);
        for (feed, f) in &features {
            assert_eq!(feed, QUAKE_FEED);
            assert!(f["properties"]["time"].is_null(), "{f}");
            assert!(
                f["properties"]["origin_time"].as_str().unwrap().ends_with(" UTC"),
                "{f}"
            );
        }
        for inc in &got {
            if inc.source == "usgs" {
                // replayed as news arriving now; the origin time is kept in the description
                assert!(inc.external_id.is_some() && inc.occurred_at.is_none());
                assert!(
                    inc.description
                        .as_deref()
                        .unwrap()
                        .starts_with("USGS 原始发震时间"),
                    "{inc:?}"
                );
            } else {
                assert!(city.bbox.contains(inc.lon, inc.lat), "{inc:?}");
                assert!(inc.external_id.is_none());
            }
        }
        // The oldest quake of the week comes first.
        let first_quake = got.iter().find(|i| i.source == "usgs").unwrap();
        let all = crate::quakes::load_earthquakes(&data.join("earthquakes.json")).unwrap();
        assert_eq!(first_quake.external_id, all.incidents[0].external_id);
        assert_eq!(first_quake.title, all.incidents[0].title);
        // Same seed, same run.
        let again = FakeSink::default();
        run(&city, &again, o).await.unwrap();
        assert_eq!(*again.got.lock().unwrap(), got);
    }

    /// The default demo city: every incident inside Liechtenstein — its bbox and one of its Gemeinden — at
    /// places of many kinds, by the rate and seed of its city file (`cargo xtask data` builds its areas).
    #[tokio::test(start_paused = true)]
    async fn real_liechtenstein_run_stays_in_the_country() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let city = CityConfig::load(root.join("data/city/liechtenstein.toml")).unwrap();
        let areas_file = city.data.areas.clone().unwrap();
        let areas = crate::areas::read_areas_file(&areas_file)
            .unwrap_or_else(|e| panic!("{e} (run `cargo xtask data` first)"));
        let gemeinden: Vec<_> = areas
            .iter()
            .filter(|a| a.level == citydeck_protocol::AreaLevel::Street)
            .collect();
        assert_eq!(gemeinden.len(), 11);
        let sink = FakeSink::default();
        let o = SimOptions {
            limit: Some(400),
            ..SimOptions::from_city(&city)
        };
        let stats = run(&city, &sink, o.clone()).await.unwrap();
        assert_eq!(
            (stats.sent, stats.quakes),
            (400, 0),
            "no quake replay in Liechtenstein"
        );
        let got = sink.got.lock().unwrap().clone();
        let mut per_gemeinde = std::collections::BTreeMap::new();
        let mut classes = std::collections::BTreeSet::new();
        for inc in &got {
            assert!(city.bbox.contains(inc.lon, inc.lat), "{inc:?}");
            let g: Vec<&str> = gemeinden
                .iter()
                .filter(|a| a.area.contains((inc.lon, inc.lat)))
                .map(|a| a.name.as_str())
                .collect();
            assert_eq!(g.len(), 1, "{inc:?} in {g:?}");
            *per_gemeinde.entry(g[0]).or_insert(0) += 1;
            classes.insert(format!("{:?}", inc.class));
        }
        // spread over the country, not piled in one town: most Gemeinden have incidents, Vaduz among them
        assert!(per_gemeinde.len() >= 8, "{per_gemeinde:?}");
        assert!(per_gemeinde.contains_key("Vaduz"), "{per_gemeinde:?}");
        assert_eq!(classes.len(), 4, "every class: {classes:?}");
        let titles: std::collections::BTreeSet<&str> = got.iter().map(|i| i.title.as_str()).collect();
        assert!(titles.len() > 100, "{} distinct titles", titles.len());
    }
}
