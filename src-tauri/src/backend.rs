//! What runs behind the window: (optionally) the embedded hub and simulator, the cache, the sync engine.

use std::sync::{Arc, Mutex};

use anyhow::Context;
use chrono::Utc;
use citydeck_desktop::cockpit::SnapshotInputs;
use citydeck_domain::resources::Facility;
use citydeck_domain::teams::Team;
use citydeck_protocol::ipc::{
    BundleInfo, BundleOutcome, BundleStart, BundleState, CityInfo, CockpitSnapshot, CommandError,
    ConnectionInfo, MapDelta, OutboxEntry, ScenarioInfo, SwitchModeRequest, SwitchOutcome, VitalRange,
    VitalSeries, VitalsView,
};
use citydeck_protocol::{ModeState, Refusal, ServerSeq};
use citydeck_sim::CityConfig;
use citydeck_store::Cache;
use citydeck_sync::{Backoff, Credentials, HubClient, SyncEngine, SyncHandle};
use sha2::{Digest, Sha256};
use tokio::sync::watch;

use crate::settings::{MapSettings, Settings};

/// Where this desktop writes its field bundle (in its data dir).
const BUNDLE_DIR: &str = "field-bundle";

pub struct Backend {
    cache: Arc<Mutex<Cache>>,
    client: HubClient,
    screen: String,
    sync: SyncHandle,
    city: CityInfo,
    /// The city's response facilities (fire/police stations, medical, shelters) from its OSM extract.
    facilities: Arc<Vec<Facility>>,
    /// The city's response teams (stationed at those facilities; where they are follows their assignments).
    teams: Arc<Vec<Team>>,
    /// The prepared field bundle and what start-up did with a given one.
    bundle: Arc<Mutex<BundleState>>,
    data_dir: std::path::PathBuf,
    /// The vital signs: the city's scenario packs, the wall's default, and what the panels show now (the
    /// poller fetches those indicators' series).
    vitals: Vitals,
    /// 考核榜's last answer from the hub (shown, marked offline, when the hub cannot be reached).
    last_evaluation: Mutex<Option<citydeck_protocol::ipc::EvaluationView>>,
    // Kept alive for the life of the window.
    _embedded: Option<citydeck_hub::RunningHub>,
}

/// The vital-sign panels' side of the backend.
struct Vitals {
    scenarios: Arc<Vec<ScenarioInfo>>,
    default_scenario: String,
    /// The indicator ids the panels showed last (the poller keeps their 24 h series fresh).
    shown: Arc<Mutex<Vec<String>>>,
    /// Wakes the poller when the panels show other indicators.
    wake: Arc<tokio::sync::Notify>,
}

/// The city's scenario packs as the header lists them; none (with a warning) when the city names none or they
/// cannot be read: the panels then show the hub's indicators.
fn load_scenarios(city: &CityConfig) -> Vec<ScenarioInfo> {
    let Some(dir) = &city.data.scenarios else {
        return Vec::new();
    };
    match citydeck_sim::scenarios::load_scenarios(dir) {
        Ok(packs) => citydeck_desktop::vitals::scenario_infos(&packs),
        Err(e) => {
            tracing::warn!(error = %e, "no scenario packs: the vital-sign panels show the hub's indicators");
            Vec::new()
        }
    }
}

fn city_info(city: &CityConfig) -> CityInfo {
    CityInfo {
        name_zh: city.name.zh.clone(),
        name_en: city.name.en.clone(),
        center: [city.centre.lon, city.centre.lat],
        bbox: [
            city.bbox.min_lon,
            city.bbox.min_lat,
            city.bbox.max_lon,
            city.bbox.max_lat,
        ],
    }
}

impl Backend {
    pub async fn start(settings: Settings) -> anyhow::Result<Backend> {
        let city = CityConfig::load(&settings.city_file)
            .with_context(|| format!("city file {}", settings.city_file.display()))?;
        // A field bundle to start from: checked before anything uses it; its hub is the hub when none is set.
        let given = settings
            .bundle
            .as_ref()
            .map(|dir| (dir.clone(), citydeck_bundle::verify(dir)));
        let bundle_hub = match &given {
            Some((_, Ok(m))) if settings.hub_url.is_none() && m.hub.starts_with("http") => {
                Some(m.hub.clone())
            }
            _ => None,
        };
        let (hub_url, identity, embedded) = match settings.hub_url.as_ref().or(bundle_hub.as_ref()) {
            Some(url) => (url.clone(), url.clone(), None),
            None => {
                // A drill never touches the real embedded database (the hub also refuses a mismatched file).
                let db_path = settings.data_dir.join(if settings.exercise {
                    "embedded-exercise.sqlite"
                } else {
                    "embedded-hub.sqlite"
                });
                let hub = citydeck_hub::start(citydeck_hub::HubConfig {
                    db_path: db_path.clone(),
                    listen: "127.0.0.1:0".parse().expect("loopback address"),
                    demo: true,
                    confirm_window: None,
                    exercise: settings.exercise,
                    screens: Vec::new(),
                    areas: city.data.areas.clone(),
                    scenarios: city.data.scenarios.clone(),
                    deadlines: None,
                    city: Some(settings.city_file.clone()),
                })
                .await
                .context("starting the embedded hub")?;
                tracing::info!(url = %hub.url(), db = %db_path.display(), "embedded hub");
                if settings.sim_rate > 0.0 {
                    spawn_simulator(&hub.url(), &city, settings.sim_rate);
                }
                (hub.url(), format!("embedded:{}", db_path.display()), Some(hub))
            }
        };
        // One cache file per hub: server_seq numbers of one hub mean nothing to another.
        let tag = hex::encode(&Sha256::digest(identity.as_bytes())[..6]);
        let cache_path = settings.data_dir.join(format!("cache-{tag}.sqlite"));
        let started_from =
            given.map(|(dir, verified)| start_from_bundle(&dir, verified, &cache_path, &identity));
        let cache =
            Cache::open(&cache_path).with_context(|| format!("opening cache {}", cache_path.display()))?;
        cache.set_hub_identity(&identity)?;
        let cache = Arc::new(Mutex::new(cache));
        let client = HubClient::new(
            &hub_url,
            Credentials {
                username: settings.username.clone(),
                password: settings.password.clone(),
            },
        )?;
        let sync = SyncEngine::spawn(client.clone(), cache.clone(), Backoff::default());
        let facilities = Arc::new(load_facilities(&city).await);
        let teams = Arc::new(citydeck_domain::teams::roster(&facilities));
        if embedded.is_some() && settings.sim_rate > 0.0 {
            spawn_dispatcher(&hub_url, &teams, city.departments());
        }
        let scenarios = load_scenarios(&city);
        if !scenarios.is_empty() && !scenarios.iter().any(|s| s.id == settings.scenario) {
            tracing::warn!(scenario = %settings.scenario, "CITYDECK_SCENARIO names no scenario pack of this city");
        }
        let vitals = Vitals {
            scenarios: Arc::new(scenarios),
            default_scenario: settings.scenario.clone(),
            shown: Arc::new(Mutex::new(Vec::new())),
            wake: Arc::new(tokio::sync::Notify::new()),
        };
        spawn_vitals_poller(client.clone(), cache.clone(), &vitals);
        spawn_departments_poller(client.clone(), cache.clone());
        let prepared = citydeck_bundle::read_manifest(&settings.data_dir.join(BUNDLE_DIR))
            .ok()
            .map(|m| m.info(&settings.data_dir.join(BUNDLE_DIR)));
        Ok(Backend {
            bundle: Arc::new(Mutex::new(BundleState {
                prepared,
                started_from,
            })),
            data_dir: settings.data_dir.clone(),
            cache,
            client,
            screen: settings.screen.clone(),
            sync,
            city: city_info(&city),
            facilities,
            teams,
            vitals,
            last_evaluation: Mutex::new(None),
            _embedded: embedded,
        })
    }

    /// The vital-sign panels of the scenario the wall shows ([`citydeck_desktop::vitals::view`]; `scenario` is
    /// the one picked in the header, None for the wall's default). The poller then keeps the shown
    /// indicators' series fresh (at once when they changed).
    pub async fn vitals(&self, scenario: Option<String>) -> Result<VitalsView, CommandError> {
        let inputs = citydeck_desktop::vitals::VitalsInputs {
            scenarios: self.vitals.scenarios.as_ref().clone(),
            default_scenario: self.vitals.default_scenario.clone(),
            asked: scenario,
            now: Utc::now(),
        };
        let view = self
            .with_cache(move |c| citydeck_desktop::vitals::view(c, inputs))
            .await?;
        let ids: Vec<String> = view.panels.iter().map(|p| p.indicator.id.clone()).collect();
        let changed = {
            let mut shown = self.vitals.shown.lock().unwrap_or_else(|p| p.into_inner());
            let changed = *shown != ids;
            *shown = ids;
            changed
        };
        if changed {
            self.vitals.wake.notify_one();
        }
        Ok(view)
    }

    /// One indicator over `range` for the large chart: asked of the hub; when it cannot be reached (or
    /// refuses), the cached last 24 h marked offline.
    pub async fn vital_series(
        &self,
        indicator: String,
        range: VitalRange,
    ) -> Result<VitalSeries, CommandError> {
        let now = Utc::now();
        let (from, to, step) = citydeck_desktop::vitals::range_request(range, now);
        match self.client.series(&indicator, from, to, step).await {
            Ok(s) => Ok(citydeck_desktop::vitals::online_series(range, from, to, s)),
            Err(e) => {
                tracing::info!(%indicator, ?range, error = %e, "series from the hub failed: the cached day");
                self.with_cache(move |c| citydeck_desktop::vitals::offline_series(c, &indicator, range, now))
                    .await
            }
        }
    }

    /// 考核榜: the departments' scores over the last day from the hub; when it cannot be reached, the last answer
    /// (kept in memory) marked offline.
    pub async fn evaluation(&self) -> citydeck_protocol::ipc::EvaluationView {
        let to = Utc::now();
        let from = to - chrono::Duration::days(1);
        match self.client.evaluation(from, to).await {
            Ok(e) => {
                let view = citydeck_protocol::ipc::EvaluationView {
                    evaluation: Some(e),
                    fetched_at: Some(to),
                    offline: false,
                };
                *self.last_evaluation.lock().unwrap_or_else(|p| p.into_inner()) = Some(view.clone());
                view
            }
            Err(e) => {
                tracing::debug!(error = %e, "evaluation from the hub failed: the last answer");
                let mut view = self
                    .last_evaluation
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone()
                    .unwrap_or(citydeck_protocol::ipc::EvaluationView {
                        evaluation: None,
                        fetched_at: None,
                        offline: true,
                    });
                view.offline = true;
                view
            }
        }
    }

    /// Acknowledges to the hub that this screen now shows mode epoch `epoch`.
    pub async fn ack_mode(&self, epoch: u64) -> Result<(), CommandError> {
        self.client
            .ack_screen(&self.screen, epoch)
            .await
            .map_err(hub_error)?;
        tracing::info!(screen = %self.screen, epoch, "mode acknowledged");
        Ok(())
    }

    /// Asks the hub to switch the city's mode. The hub decides (role, transition rules, two-person rule); its
    /// refusal comes back as the error, with its code.
    pub async fn switch_mode(&self, req: SwitchModeRequest) -> Result<SwitchOutcome, CommandError> {
        let outcome = self
            .client
            .switch_mode(req.mode, req.level, &req.reason, &req.incident_ids)
            .await
            .map_err(hub_error)?;
        tracing::info!(?req.mode, ?req.level, ?outcome, "mode switch requested");
        Ok(match outcome {
            citydeck_sync::ModeSwitch::Applied(mode) => SwitchOutcome::Applied { mode },
            citydeck_sync::ModeSwitch::Pending(p) => SwitchOutcome::PendingConfirmation {
                proposal_id: p.proposal_id,
                expires_at: p.expires_at,
            },
        })
    }

    /// Confirms another commander's level-I proposal.
    pub async fn confirm_mode(&self, proposal_id: uuid::Uuid) -> Result<ModeState, CommandError> {
        let mode = self.client.confirm_mode(proposal_id).await.map_err(hub_error)?;
        tracing::info!(%proposal_id, epoch = mode.epoch, "level-I switch confirmed");
        Ok(mode)
    }

    /// Runs `f` on the cache on a blocking thread.
    async fn with_cache<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Cache) -> citydeck_desktop::Result<T> + Send + 'static,
    ) -> Result<T, CommandError> {
        let cache = self.cache.clone();
        tokio::task::spawn_blocking(move || f(&mut cache.lock().unwrap_or_else(|p| p.into_inner())))
            .await
            .map_err(citydeck_desktop::internal)?
            .map_err(CommandError::from)
    }

    /// Records a user action in the outbox (durably, before answering) and wakes the sync engine. What the
    /// hub would certainly refuse is refused here so it never queues ([`citydeck_desktop::actions::submit`]).
    pub async fn submit_action(&self, op: citydeck_protocol::Op) -> Result<OutboxEntry, CommandError> {
        let user = self.client.username().to_string();
        let entry = self
            .with_cache(move |c| citydeck_desktop::actions::submit(c, &op, &user, Utc::now()))
            .await?;
        tracing::info!(op_id = %entry.op_id, client_seq = entry.client_seq, "action queued");
        self.sync.outbox_changed();
        Ok(entry)
    }

    /// The user drops a rejected action.
    pub async fn drop_action(&self, op_id: uuid::Uuid) -> Result<bool, CommandError> {
        self.with_cache(move |c| Ok(c.drop_rejected(op_id)?)).await
    }

    /// Queues a rejected action again against the hub's current state ([`citydeck_desktop::actions::reapply`]).
    pub async fn reapply_action(&self, op_id: uuid::Uuid) -> Result<OutboxEntry, CommandError> {
        let user = self.client.username().to_string();
        let entry = self
            .with_cache(move |c| citydeck_desktop::actions::reapply(c, op_id, &user, Utc::now()))
            .await?;
        self.sync.outbox_changed();
        Ok(entry)
    }

    /// One incident from the cache.
    pub async fn incident(
        &self,
        id: uuid::Uuid,
    ) -> Result<Option<citydeck_protocol::Incident>, CommandError> {
        self.with_cache(move |c| Ok(c.incident(&id.to_string())?)).await
    }

    /// What the map must change since it drew the cache as of `after` (see [`MapDelta`]), with the teams'
    /// positions and the sensor sites as of now.
    pub async fn map_delta(&self, after: ServerSeq) -> Result<MapDelta, CommandError> {
        let teams = self.teams.clone();
        self.with_cache(move |c| citydeck_desktop::cockpit::map_delta(c, after, &teams))
            .await
    }

    /// The areas for the drill-down ([`citydeck_desktop::areas::view`]).
    pub async fn areas(&self) -> Result<citydeck_protocol::ipc::AreasView, CommandError> {
        self.with_cache(|c| citydeck_desktop::areas::view(c)).await
    }

    pub fn changes(&self) -> watch::Receiver<ConnectionInfo> {
        self.sync.subscribe()
    }

    pub async fn snapshot(&self, area: Option<String>) -> Result<CockpitSnapshot, CommandError> {
        let inputs = SnapshotInputs {
            city: self.city.clone(),
            username: self.client.username().to_string(),
            screen: self.screen.clone(),
            live_role: self.client.role().await,
            connection: self.sync.status(),
            embedded: self._embedded.is_some(),
            bundle: self.bundle.lock().unwrap_or_else(|p| p.into_inner()).clone(),
            facilities: self.facilities.clone(),
            area,
            now: Utc::now(),
        };
        self.with_cache(move |c| citydeck_desktop::cockpit::snapshot(c, inputs))
            .await
    }

    /// Writes the field bundle (the cache, the basemap of `area` or all of it, the map assets) into the data
    /// dir's `field-bundle/`, replacing the one there.
    pub async fn prepare_bundle(&self, area: Option<[f64; 4]>) -> Result<BundleInfo, CommandError> {
        let map = MapSettings::load().map_err(|e| citydeck_desktop::internal(format!("{e:#}")))?;
        let out = self.data_dir.join(BUNDLE_DIR);
        let cache = self.cache.clone();
        let info = tokio::task::spawn_blocking(move || -> anyhow::Result<BundleInfo> {
            let manifest = citydeck_bundle::prepare(
                &cache,
                citydeck_bundle::MapSources {
                    mbtiles: &map.mbtiles,
                    assets: &map.assets,
                    districts: map.districts.as_deref(),
                },
                area,
                &out,
                Utc::now(),
            )?;
            Ok(manifest.info(&out))
        })
        .await
        .map_err(citydeck_desktop::internal)?
        .map_err(|e| citydeck_desktop::internal(format!("{e:#}")))?;
        tracing::info!(path = %info.path, incidents = info.incidents, tiles = info.tiles, bytes = info.bytes, "field bundle prepared");
        self.bundle.lock().unwrap_or_else(|p| p.into_inner()).prepared = Some(info.clone());
        Ok(info)
    }
}

/// Installs a verified bundle as the cache at `cache_path` (unless this desktop's own is as new or holds
/// undelivered actions) and says what happened. The window opens either way: a bundle that cannot be used is
/// reported, not fatal.
fn start_from_bundle(
    dir: &std::path::Path,
    verified: Result<citydeck_bundle::Manifest, citydeck_bundle::BundleError>,
    cache_path: &std::path::Path,
    identity: &str,
) -> BundleStart {
    let path = dir.display().to_string();
    let refused = |e: citydeck_bundle::BundleError| {
        tracing::error!(bundle = %path, "field bundle not used: {e}");
        BundleStart {
            path: path.clone(),
            outcome: BundleOutcome::Refused,
            detail: Some(e.to_string()),
            info: None,
        }
    };
    if let Err(e) = verified {
        return refused(e);
    }
    match citydeck_bundle::install(dir, cache_path, identity) {
        Err(e) => refused(e),
        Ok((manifest, installed)) => {
            let (outcome, detail) = match installed {
                citydeck_bundle::Installed::Installed { .. } => (BundleOutcome::Installed, None),
                citydeck_bundle::Installed::Kept { why } => (BundleOutcome::Kept, Some(why)),
            };
            tracing::info!(bundle = %path, ?outcome, ?detail, last_seq = manifest.last_seq, "field bundle");
            BundleStart {
                path: path.clone(),
                outcome,
                detail,
                info: Some(manifest.info(dir)),
            }
        }
    }
}

/// Polls the hub's vital signs into the cache: the indicators with their latest readings every
/// [`citydeck_desktop::vitals::LATEST_EVERY`], and the last 24 h of the indicators the panels show when due
/// ([`citydeck_desktop::vitals::series_due`]: every few minutes, at once for a newly shown one). A hub that
/// cannot be reached changes nothing: the panels keep the cached values and say how old they are.
fn spawn_vitals_poller(client: HubClient, cache: Arc<Mutex<Cache>>, vitals: &Vitals) {
    use citydeck_desktop::vitals as v;
    let (shown, wake) = (vitals.shown.clone(), vitals.wake.clone());
    tauri::async_runtime::spawn(async move {
        let mut tried: std::collections::HashMap<String, chrono::DateTime<Utc>> = Default::default();
        loop {
            match client.indicators().await {
                Ok(list) => {
                    let now = Utc::now();
                    on_cache(&cache, move |c| c.store_indicators(&list.indicators, now)).await;
                }
                Err(e) => tracing::debug!(error = %e, "vital signs: indicators not fetched"),
            }
            let cached = on_cache(&cache, |c| c.cached_indicators())
                .await
                .unwrap_or_default();
            let ids = shown.lock().unwrap_or_else(|p| p.into_inner()).clone();
            for id in v::series_due(&cached, &ids, &tried, Utc::now()) {
                let now = Utc::now();
                tried.insert(id.clone(), now);
                let (from, to, step) = v::day_request(now);
                match client.series(&id, from, to, step).await {
                    Ok(series) => {
                        on_cache(&cache, move |c| c.store_series(&series, from, now)).await;
                    }
                    Err(e) => tracing::debug!(indicator = %id, error = %e, "vital signs: series not fetched"),
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(v::LATEST_EVERY) => {}
                _ = wake.notified() => {}
            }
        }
    });
}

/// Keeps the city's departments (分流交办) in the cache: fetched at start, then again every few minutes, sooner
/// after a failure ([`citydeck_desktop::departments::next_fetch`]). Offline the cached list stands.
fn spawn_departments_poller(client: HubClient, cache: Arc<Mutex<Cache>>) {
    use citydeck_desktop::departments as d;
    tauri::async_runtime::spawn(async move {
        loop {
            let fetched = match client.departments().await {
                Ok(list) => {
                    let now = Utc::now();
                    on_cache(&cache, move |c| c.store_departments(&list.departments, now))
                        .await
                        .is_some()
                }
                Err(e) => {
                    tracing::debug!(error = %e, "departments not fetched");
                    false
                }
            };
            tokio::time::sleep(d::next_fetch(fetched)).await;
        }
    });
}

/// Runs `f` on the cache on a blocking thread; a failure is logged (the poller tries again next round).
async fn on_cache<T: Send + 'static>(
    cache: &Arc<Mutex<Cache>>,
    f: impl FnOnce(&mut Cache) -> citydeck_store::Result<T> + Send + 'static,
) -> Option<T> {
    let cache = cache.clone();
    match tokio::task::spawn_blocking(move || f(&mut cache.lock().unwrap_or_else(|p| p.into_inner()))).await {
        Ok(Ok(t)) => Some(t),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "vital signs: cache failed");
            None
        }
        Err(e) => {
            tracing::warn!(error = %e, "vital signs: cache task failed");
            None
        }
    }
}

/// The hub's refusal with its code and words; a hub that cannot be reached is `hub_unreachable`.
fn hub_error(e: citydeck_sync::ClientError) -> CommandError {
    match e {
        citydeck_sync::ClientError::Api { body, .. } => citydeck_desktop::hub_refusal(&body),
        other => Refusal::HubUnreachable {
            detail: other.to_string(),
        }
        .into(),
    }
}

/// The city's response facilities (its own: inside its districts when it has areas); none (with a warning)
/// when the extract cannot be read: the cockpit still works, it just lists no nearby resources.
async fn load_facilities(city: &CityConfig) -> Vec<Facility> {
    let city = city.clone();
    let loaded = tokio::task::spawn_blocking(move || citydeck_sim::city_places(&city)).await;
    match loaded {
        Ok(Ok((places, _))) => citydeck_sim::facilities(&places),
        Ok(Err(e)) => {
            tracing::warn!(error = %format!("{e:#}"), "no response facilities: the city's OSM extract cannot be read");
            Vec::new()
        }
        Err(e) => {
            tracing::warn!(error = %e, "no response facilities");
            Vec::new()
        }
    }
}

/// The embedded hub's demo operator account, as the simulator and the dispatcher use it.
fn operator_client(hub_url: &str) -> Option<HubClient> {
    demo_client(hub_url, "operator")
}

/// A client of the embedded hub signed in (lazily) as the demo account `user`.
fn demo_client(hub_url: &str, user: &str) -> Option<HubClient> {
    HubClient::new(
        hub_url,
        Credentials {
            username: user.into(),
            password: citydeck_hub::auth::demo_password(),
        },
    )
    .ok()
}

/// The demo city's duty dispatcher: moves the simulator's incidents round the closed loop and assigns them to
/// the city's departments and their teams, through the hub's push API like any operator.
fn spawn_dispatcher(
    hub_url: &str,
    teams: &[Team],
    departments: Vec<citydeck_domain::departments::Department>,
) {
    let Some(client) = operator_client(hub_url) else {
        return;
    };
    let teams = teams.to_vec();
    tauri::async_runtime::spawn(async move {
        citydeck_sim::teams::run_dispatcher(
            &client,
            teams,
            departments,
            citydeck_sim::teams::Pace::default(),
            std::time::Duration::from_secs(5),
        )
        .await
    });
}

/// The demo city, fed into the embedded hub as the operator account would.
fn spawn_simulator(hub_url: &str, city: &CityConfig, rate: f64) {
    let Some(client) = operator_client(hub_url) else {
        return;
    };
    let city = city.clone();
    let mut opts = citydeck_sim::SimOptions::from_city(&city);
    opts.rate = rate;
    if let Some(feed) = demo_client(hub_url, "feed") {
        let city = city.clone();
        tauri::async_runtime::spawn(async move {
            let every = std::time::Duration::from_secs(5);
            match citydeck_sim::feed::run_vital_signs(&city, &feed, every, None).await {
                Ok(stats) => tracing::info!(?stats, "vital signs finished"),
                Err(e) => tracing::error!(error = %format!("{e:#}"), "vital signs stopped"),
            }
        });
    }
    tauri::async_runtime::spawn(async move {
        match citydeck_sim::run(&city, &client, opts).await {
            Ok(stats) => tracing::info!(?stats, "simulator finished"),
            Err(e) => tracing::error!(error = %format!("{e:#}"), "simulator stopped"),
        }
    });
}
