//! What runs behind the window: (optionally) the embedded hub and simulator, the cache, the sync engine.

use std::sync::{Arc, Mutex};

use anyhow::Context;
use chrono::Utc;
use citydeck_protocol::ipc::{CityInfo, CockpitSnapshot, ConnectionInfo};
use citydeck_sim::CityConfig;
use citydeck_store::Cache;
use citydeck_sync::{Backoff, Credentials, HubClient, SyncEngine, SyncHandle};
use sha2::{Digest, Sha256};
use tokio::sync::watch;

use crate::settings::Settings;

/// How many open incidents the cockpit receives at most (newest first).
const SNAPSHOT_INCIDENTS: u32 = 500;

pub struct Backend {
    cache: Arc<Mutex<Cache>>,
    client: HubClient,
    screen: String,
    sync: SyncHandle,
    city: CityInfo,
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
        let (hub_url, identity, embedded) = match &settings.hub_url {
            Some(url) => (url.clone(), url.clone(), None),
            None => {
                let db_path = settings.data_dir.join("embedded-hub.sqlite");
                let hub = citydeck_hub::start(citydeck_hub::HubConfig {
                    db_path: db_path.clone(),
                    listen: "127.0.0.1:0".parse().expect("loopback address"),
                    demo: true,
                    confirm_window: None,
                    exercise: false,
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
        Ok(Backend {
            cache,
            client,
            screen: settings.screen.clone(),
            sync,
            city: city_info(&city),
            _embedded: embedded,
        })
    }

    /// Acknowledges to the hub that this screen now shows mode epoch `epoch`.
    pub async fn ack_mode(&self, epoch: u64) -> anyhow::Result<()> {
        self.client.ack_screen(&self.screen, epoch).await?;
        tracing::info!(screen = %self.screen, epoch, "mode acknowledged");
        Ok(())
    }

    pub fn changes(&self) -> watch::Receiver<ConnectionInfo> {
        self.sync.subscribe()
    }

    pub async fn snapshot(&self) -> anyhow::Result<CockpitSnapshot> {
        let cache = self.cache.clone();
        let (incidents, summary, mode) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
            let c = cache.lock().unwrap_or_else(|p| p.into_inner());
            Ok((
                c.open_incidents(SNAPSHOT_INCIDENTS)?,
                c.summary(Utc::now())?,
                c.mode()?,
            ))
        })
        .await??;
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
            generated_at: Utc::now(),
        })
    }
}

/// The demo city, fed into the embedded hub as the operator account would.
fn spawn_simulator(hub_url: &str, city: &CityConfig, settings: &Settings) {
    let Ok(client) = HubClient::new(
        hub_url,
        Credentials {
            username: "operator".into(),
            password: citydeck_hub::auth::demo_password(),
        },
    ) else {
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
