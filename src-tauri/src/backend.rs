//! What runs behind the window: (optionally) the embedded hub and simulator, the cache, the sync engine.

use std::sync::{Arc, Mutex};

use anyhow::Context;
use chrono::Utc;
use citydeck_protocol::ipc::{
    BundleInfo, BundleOutcome, BundleStart, BundleState, CityInfo, CockpitSnapshot, Conflict, ConnectionInfo,
    MapDelta, Me, OutboxEntry, OutboxState, SwitchModeRequest, SwitchOutcome, WartimeFocus,
};
use citydeck_protocol::{ModeKind, ModeState, ServerSeq};
use citydeck_sim::CityConfig;
use citydeck_store::Cache;
use citydeck_sync::{Backoff, Credentials, HubClient, SyncEngine, SyncHandle};
use sha2::{Digest, Sha256};
use tokio::sync::watch;

use crate::settings::{MapSettings, Settings};

/// Where this desktop writes its field bundle (in its data dir).
const BUNDLE_DIR: &str = "field-bundle";

/// How many open incidents the cockpit receives at most (newest first).
const SNAPSHOT_INCIDENTS: u32 = 500;
/// Outbox actions listed in the snapshot at most (the counts are exact).
const SNAPSHOT_OUTBOX: u32 = 200;
/// Recently applied actions listed in the outbox drawer.
const SNAPSHOT_APPLIED: u32 = 20;
/// Nearby response resources listed per group (rescue, medical, shelter) around the wartime focus.
const NEARBY_PER_GROUP: usize = 3;
/// Sensor sites on the map (the most recently reporting).
const SENSOR_SITES: u32 = 500;

pub struct Backend {
    cache: Arc<Mutex<Cache>>,
    client: HubClient,
    screen: String,
    sync: SyncHandle,
    city: CityInfo,
    /// The city's response facilities (fire/police stations, medical, shelters) from its OSM extract.
    facilities: Arc<Vec<citydeck_sim::Place>>,
    /// The city's response teams (stationed at those facilities; where they are follows their assignments).
    teams: Arc<Vec<citydeck_sim::teams::Team>>,
    /// The prepared field bundle and what start-up did with a given one.
    bundle: Arc<Mutex<BundleState>>,
    data_dir: std::path::PathBuf,
    // Kept alive for the life of the window.
    _embedded: Option<citydeck_hub::RunningHub>,
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
                })
                .await
                .context("starting the embedded hub")?;
                tracing::info!(url = %hub.url(), db = %db_path.display(), "embedded hub");
                if settings.sim_rate > 0.0 {
                    spawn_simulator(&hub.url(), &city, &settings);
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
        let facilities = Arc::new(load_facilities(&city, &settings).await);
        let teams = Arc::new(citydeck_sim::teams::roster(&facilities));
        if embedded.is_some() && settings.sim_rate > 0.0 {
            spawn_dispatcher(&hub_url, &teams);
        }
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
            _embedded: embedded,
        })
    }

    /// Acknowledges to the hub that this screen now shows mode epoch `epoch`.
    pub async fn ack_mode(&self, epoch: u64) -> anyhow::Result<()> {
        self.client.ack_screen(&self.screen, epoch).await?;
        tracing::info!(screen = %self.screen, epoch, "mode acknowledged");
        Ok(())
    }

    /// Asks the hub to switch the city's mode. The hub decides (role, transition rules, two-person rule); its
    /// refusal comes back as the error, in its own words.
    pub async fn switch_mode(&self, req: SwitchModeRequest) -> anyhow::Result<SwitchOutcome> {
        let outcome = self
            .client
            .switch_mode(req.mode, req.level, &req.reason, &req.incident_ids)
            .await
            .map_err(hub_refusal)?;
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
    pub async fn confirm_mode(&self, proposal_id: uuid::Uuid) -> anyhow::Result<ModeState> {
        let mode = self.client.confirm_mode(proposal_id).await.map_err(hub_refusal)?;
        tracing::info!(%proposal_id, epoch = mode.epoch, "level-I switch confirmed");
        Ok(mode)
    }

    /// Records a user action in the outbox (durably, before answering) and wakes the sync engine. Obvious
    /// mistakes (an empty note, a stage change the loop does not allow from the state this desktop knows) are
    /// refused here so they never queue; the hub still decides.
    pub async fn submit_action(&self, op: citydeck_protocol::Op) -> anyhow::Result<OutboxEntry> {
        let cache = self.cache.clone();
        let user = self.client.username().to_string();
        let entry = tokio::task::spawn_blocking(move || -> anyhow::Result<OutboxEntry> {
            let mut c = cache.lock().unwrap_or_else(|p| p.into_inner());
            precheck(&c, &op, &user)?;
            let (op_id, _) = c.enqueue(&op, Utc::now())?;
            c.outbox_entry(op_id)?
                .ok_or_else(|| anyhow::anyhow!("the outbox lost action {op_id}"))
        })
        .await??;
        tracing::info!(op_id = %entry.op_id, client_seq = entry.client_seq, "action queued");
        self.sync.outbox_changed();
        Ok(entry)
    }

    /// The user drops a rejected action.
    pub async fn drop_action(&self, op_id: uuid::Uuid) -> anyhow::Result<bool> {
        let cache = self.cache.clone();
        Ok(tokio::task::spawn_blocking(move || {
            cache
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .drop_rejected(op_id)
        })
        .await??)
    }

    /// Queues a rejected action again against the hub's current state (a stage change starts from the stage
    /// the hub has now); the rejected one is dropped.
    pub async fn reapply_action(&self, op_id: uuid::Uuid) -> anyhow::Result<OutboxEntry> {
        let cache = self.cache.clone();
        let user = self.client.username().to_string();
        let entry = tokio::task::spawn_blocking(move || -> anyhow::Result<OutboxEntry> {
            let mut c = cache.lock().unwrap_or_else(|p| p.into_inner());
            let old = c
                .outbox_entry(op_id)?
                .filter(|e| e.state == OutboxState::Rejected)
                .ok_or_else(|| anyhow::anyhow!("action {op_id} is not a rejected action"))?;
            let mut op = old.op.clone();
            if let citydeck_protocol::Op::ChangeStage {
                incident_id, from, ..
            } = &mut op
            {
                if let Some(current) = c.incident(&incident_id.to_string())? {
                    *from = Some(current.status);
                }
            }
            precheck(&c, &op, &user)?;
            c.drop_rejected(op_id)?;
            let (new_id, _) = c.enqueue(&op, Utc::now())?;
            c.outbox_entry(new_id)?
                .ok_or_else(|| anyhow::anyhow!("the outbox lost action {new_id}"))
        })
        .await??;
        self.sync.outbox_changed();
        Ok(entry)
    }

    /// One incident from the cache.
    pub async fn incident(&self, id: uuid::Uuid) -> anyhow::Result<Option<citydeck_protocol::Incident>> {
        let cache = self.cache.clone();
        tokio::task::spawn_blocking(move || {
            let c = cache.lock().unwrap_or_else(|p| p.into_inner());
            Ok(c.incident(&id.to_string())?)
        })
        .await?
    }

    /// What the map must change since it drew the cache as of `after` (see [`MapDelta`]), with the teams'
    /// positions and the sensor sites as of now.
    pub async fn map_delta(&self, after: ServerSeq) -> anyhow::Result<MapDelta> {
        let cache = self.cache.clone();
        let teams = self.teams.clone();
        tokio::task::spawn_blocking(move || -> anyhow::Result<MapDelta> {
            let c = cache.lock().unwrap_or_else(|p| p.into_inner());
            let mut delta = c.map_delta(after)?;
            let ids: Vec<&str> = teams.iter().map(|t| t.id.as_str()).collect();
            delta.resources = citydeck_sim::teams::positions(&teams, &c.current_jobs(&ids)?);
            delta.sensors = c.sensor_sites(SENSOR_SITES)?;
            Ok(delta)
        })
        .await?
    }

    pub fn changes(&self) -> watch::Receiver<ConnectionInfo> {
        self.sync.subscribe()
    }

    pub async fn snapshot(&self) -> anyhow::Result<CockpitSnapshot> {
        let cache = self.cache.clone();
        let facilities = self.facilities.clone();
        let now = Utc::now();
        let username = self.client.username().to_string();
        let live_role = self.client.role().await;
        let (incidents, summary, mode, proposals, focus, outbox, role) =
            tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
                let c = cache.lock().unwrap_or_else(|p| p.into_inner());
                // The role from this run's login (remembered when it changes), else the one remembered from
                // the last login (a window opened offline).
                let stored = c.account()?;
                let role = match live_role {
                    Some(role) => {
                        if stored != Some((username.clone(), role)) {
                            c.set_account(&username, role)?;
                        }
                        Some(role)
                    }
                    None => stored.filter(|(u, _)| *u == username).map(|(_, r)| r),
                };
                let mode = c.mode()?;
                // The focus is the first triggering incident the cache knows.
                let focus = if mode.mode == ModeKind::Wartime {
                    let mut found = None;
                    for id in &mode.incident_ids {
                        if let Some(i) = c.incident(&id.to_string())? {
                            found = Some(i);
                            break;
                        }
                    }
                    found.map(|incident| WartimeFocus {
                        nearby: citydeck_sim::resources::nearby(
                            &facilities,
                            incident.location.lon,
                            incident.location.lat,
                            NEARBY_PER_GROUP,
                        ),
                        incident,
                    })
                } else {
                    None
                };
                let open = c.outbox_open(SNAPSHOT_OUTBOX)?;
                let mut conflicts = Vec::new();
                for entry in open.iter().filter(|e| e.conflict) {
                    let current = match citydeck_domain::ops::target(&entry.op) {
                        Some(id) => c.incident(&id.to_string())?,
                        None => None,
                    };
                    conflicts.push(Conflict {
                        entry: entry.clone(),
                        current,
                    });
                }
                Ok((
                    c.open_incidents(SNAPSHOT_INCIDENTS)?,
                    c.summary(now)?,
                    mode,
                    c.pending_proposals(now)?,
                    focus,
                    (
                        c.outbox_counts()?,
                        open,
                        conflicts,
                        c.outbox_recent_applied(SNAPSHOT_APPLIED)?,
                    ),
                    role,
                ))
            })
            .await??;
        let me = role.map(|role| Me {
            username: self.client.username().to_string(),
            role,
            screen: self.screen.clone(),
        });
        let mut connection = self.sync.status();
        if connection.hub.starts_with("http://127.0.0.1") && self._embedded.is_some() {
            connection.hub = "embedded".into();
        }
        Ok(CockpitSnapshot {
            city: self.city.clone(),
            connection,
            incidents,
            summary,
            mode,
            proposals,
            me,
            focus,
            outbox: outbox.0,
            outbox_open: outbox.1,
            conflicts: outbox.2,
            outbox_applied: outbox.3,
            bundle: self.bundle.lock().unwrap_or_else(|p| p.into_inner()).clone(),
            generated_at: Utc::now(),
        })
    }

    /// Writes the field bundle (the cache, the basemap of `area` or all of it, the map assets) into the data
    /// dir's `field-bundle/`, replacing the one there.
    pub async fn prepare_bundle(&self, area: Option<[f64; 4]>) -> anyhow::Result<BundleInfo> {
        let map = MapSettings::load()?;
        let out = self.data_dir.join(BUNDLE_DIR);
        let cache = self.cache.clone();
        let info = tokio::task::spawn_blocking(move || -> anyhow::Result<BundleInfo> {
            let manifest = citydeck_bundle::prepare(
                &cache,
                citydeck_bundle::MapSources {
                    mbtiles: &map.mbtiles,
                    assets: &map.assets,
                },
                area,
                &out,
                Utc::now(),
            )?;
            Ok(manifest.info(&out))
        })
        .await??;
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

/// Refuses what the hub would certainly refuse, against what this desktop knows (pending actions of its own
/// included: a stage change queued after another one starts where that one ends).
fn precheck(c: &Cache, op: &citydeck_protocol::Op, user: &str) -> anyhow::Result<()> {
    use citydeck_protocol::Op;
    match op {
        Op::CreateIncident { incident, .. } => {
            let raw = serde_json::to_value(incident)?;
            citydeck_domain::parse_new_incident(&raw).map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        other => {
            let id = citydeck_domain::ops::target(other).unwrap_or_default();
            let pending = c.pending_ops(10_000)?;
            let created_here = pending
                .iter()
                .any(|p| matches!(&p.op, Op::CreateIncident { incident_id: Some(i), .. } if *i == id));
            match c.incident(&id.to_string())? {
                Some(mut inc) => {
                    // Replay this desktop's pending actions on it first (the pending overlay).
                    for p in &pending {
                        if citydeck_domain::ops::target(&p.op) == Some(id) {
                            let _ = citydeck_domain::apply_update(&mut inc, &p.op, user, Utc::now());
                        }
                    }
                    let mut check = op.clone();
                    if let Op::ChangeStage { from, .. } = &mut check {
                        *from = None; // `from` is what the user saw; the hub compares it, not this check
                    }
                    citydeck_domain::apply_update(&mut inc, &check, user, Utc::now())
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                }
                None if created_here => {}
                None => anyhow::bail!("unknown incident {id}"),
            }
        }
    }
    Ok(())
}

/// The hub's refusal in its own words ("reason: is required", "only commanders …"), else the whole error.
fn hub_refusal(e: citydeck_sync::ClientError) -> anyhow::Error {
    match e {
        citydeck_sync::ClientError::Api { body, .. } => anyhow::anyhow!(body.message),
        other => anyhow::anyhow!("{other}"),
    }
}

/// The city's response facilities; none (with a warning) when the extract cannot be read: the cockpit still
/// works, it just lists no nearby resources.
async fn load_facilities(city: &CityConfig, settings: &Settings) -> Vec<citydeck_sim::Place> {
    let pbf = settings.data_root.join(&city.data.osm_pbf);
    let bbox = city.bbox;
    let loaded = tokio::task::spawn_blocking(move || citydeck_sim::load_places(&pbf, Some(&bbox))).await;
    match loaded {
        Ok(Ok((places, _))) => citydeck_sim::resources::response_facilities(&places),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "no response facilities: the city's OSM extract cannot be read");
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
    HubClient::new(
        hub_url,
        Credentials {
            username: "operator".into(),
            password: citydeck_hub::auth::demo_password(),
        },
    )
    .ok()
}

/// The demo city's duty dispatcher: moves the simulator's incidents round the closed loop and assigns them to
/// the city's teams, through the hub's push API like any operator.
fn spawn_dispatcher(hub_url: &str, teams: &[citydeck_sim::teams::Team]) {
    let Some(client) = operator_client(hub_url) else {
        return;
    };
    let teams = teams.to_vec();
    tauri::async_runtime::spawn(async move {
        citydeck_sim::teams::run_dispatcher(
            &client,
            teams,
            citydeck_sim::teams::Pace::default(),
            std::time::Duration::from_secs(5),
        )
        .await
    });
}

/// The demo city, fed into the embedded hub as the operator account would.
fn spawn_simulator(hub_url: &str, city: &CityConfig, settings: &Settings) {
    let Some(client) = operator_client(hub_url) else {
        return;
    };
    let city = city.clone();
    let data_root = settings.data_root.clone();
    let mut opts = citydeck_sim::SimOptions::from_city(&city);
    opts.rate = settings.sim_rate;
    tauri::async_runtime::spawn(async move {
        match citydeck_sim::run(&city, &data_root, &client, opts).await {
            Ok(stats) => tracing::info!(?stats, "simulator finished"),
            Err(e) => tracing::error!(error = %format!("{e:#}"), "simulator stopped"),
        }
    });
}
