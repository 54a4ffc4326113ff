//! The citydeck hub: the single authority of a command hall.
//!
//! It keeps one append-only event log (gap-free `server_seq`), projects it into current state, authenticates
//! callers, and serves the HTTP/WebSocket API under `/api/v1`. [`router`] builds the whole API from an
//! [`AppState`] so tests can drive it without a socket; [`start`] binds a real socket.

pub mod api;
pub mod auth;
pub mod db;
pub mod error;
pub mod mode;
pub mod openapi;
pub mod pg;
pub mod push;
pub mod sql;
pub mod stream;
#[cfg(feature = "test-support")]
pub mod test_support;
pub mod watch;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;
use citydeck_protocol::ServerSeq;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

pub use db::Db;

/// An event as published to live subscribers: its seq and its JSON, serialized once for all of them, and the
/// areas of the incident it is about (`None` for an event about no incident), so a scoped stream can filter it.
#[derive(Clone, Debug)]
pub struct Published {
    pub seq: ServerSeq,
    pub json: Arc<str>,
    pub areas: Option<Arc<[String]>>,
}

impl Published {
    pub fn new(event: &citydeck_protocol::Event, json: &str) -> Published {
        let areas = event.body.incident().map(|i| i.area_ids.as_slice().into());
        Published {
            seq: event.server_seq,
            json: json.into(),
            areas,
        }
    }

    /// From a stored event's JSON (PostgreSQL's feed reads them back); an event this build cannot read counts as
    /// one about no incident.
    pub fn from_json(seq: ServerSeq, json: &str) -> Published {
        #[derive(serde::Deserialize)]
        struct About {
            incident: Option<Areas>,
        }
        #[derive(serde::Deserialize)]
        struct Areas {
            #[serde(default)]
            area_ids: Vec<String>,
        }
        let areas = serde_json::from_str::<About>(json)
            .ok()
            .and_then(|a| a.incident)
            .map(|i| i.area_ids.into());
        Published {
            seq,
            json: json.into(),
            areas,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    /// How long a level-I proposal waits for a second commander.
    pub confirm_window: chrono::Duration,
    pub events: broadcast::Sender<Published>,
    pub shutdown: CancellationToken,
    /// The vital signs' catalogue: every indicator of the scenario packs loaded at start (`--scenarios`).
    pub indicators: Arc<Vec<citydeck_protocol::indicators::IndicatorView>>,
    /// The packs' indicators by id (their thresholds give a reading's level).
    pub indicator_rules: Arc<HashMap<String, citydeck_domain::scenario::Indicator>>,
    /// The OpenAPI document this hub serves (`openapi::served`: the loaded indicators' ids in it).
    pub document: Arc<String>,
    /// Where incidents raised by the vital signs are placed (lon, lat): a point inside the city's top area;
    /// `(0, 0)` on a hub without areas.
    pub indicator_site: (f64, f64),
    /// Readings batches waiting for the group commit (`Db::store_queued_readings`).
    pub readings_queue: Arc<std::sync::Mutex<Vec<db::readings::ReadingsJob>>>,
    /// The GeoJSON feeds the city file declares, by name (`POST /api/v1/ingest/geojson?feed=`).
    pub feeds: Arc<HashMap<String, citydeck_ingest::geojson::FeedSpec>>,
}

/// Default time a level-I proposal waits for the second commander.
pub const DEFAULT_CONFIRM_WINDOW: chrono::Duration = chrono::Duration::seconds(120);

/// Live fan-out buffer per subscriber; a subscriber further behind than this re-reads from the database.
const LIVE_BUFFER: usize = 4096;

impl AppState {
    /// On PostgreSQL this also starts the replica's event feed (events of every replica, read back from the
    /// database into `events`); it stops with `shutdown` or when the database is dropped.
    pub fn new(db: Db) -> AppState {
        let (events, _) = broadcast::channel(LIVE_BUFFER);
        let shutdown = CancellationToken::new();
        if let Some(pg) = db.postgres() {
            pg.start_feed(events.clone(), shutdown.clone());
        }
        AppState {
            db,
            events,
            shutdown,
            confirm_window: DEFAULT_CONFIRM_WINDOW,
            indicators: Arc::new(Vec::new()),
            indicator_rules: Arc::new(HashMap::new()),
            document: Arc::new(openapi::DOCUMENT.clone()),
            indicator_site: (0.0, 0.0),
            readings_queue: Default::default(),
            feeds: Default::default(),
        }
    }
}

/// Logs to stderr, filtered by `RUST_LOG` (default: info, without per-request noise). For the binaries that
/// embed or run a hub (`citydeck-hub`, `citydeck`).
pub fn init_logging() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/v1/health", get(api::health))
        .route("/api/v1/openapi.json", get(api::openapi))
        .route("/api/v1/login", post(api::login))
        .route(
            "/api/v1/incidents",
            post(api::create_incident).get(api::list_incidents),
        )
        .route("/api/v1/incidents/{id}", get(api::get_incident))
        .route("/api/v1/events", get(api::events))
        .route("/api/v1/areas", get(api::list_areas))
        .route("/api/v1/areas/{id}", get(api::get_area))
        .route("/api/v1/indicators", get(api::list_indicators))
        .route("/api/v1/indicators/{id}/series", get(api::indicator_series))
        .route("/api/v1/readings", post(api::post_readings))
        .route(
            "/api/v1/ingest/cap",
            post(api::ingest_cap).layer(axum::extract::DefaultBodyLimit::max(
                citydeck_ingest::cap::MAX_BYTES,
            )),
        )
        .route("/api/v1/ingest/geojson", post(api::ingest_geojson))
        .route("/api/v1/departments", get(api::list_departments))
        .route("/api/v1/evaluation", get(api::evaluation))
        .route("/api/v1/stream", get(stream::stream))
        .route("/api/v1/mode", get(mode::get_mode).post(mode::post_mode))
        .route("/api/v1/mode/confirm", post(mode::confirm_mode))
        .route("/api/v1/mode/audit", get(mode::mode_audit))
        .route("/api/v1/mode/proposals", get(mode::proposals))
        .route("/api/v1/push", post(push::push))
        .route(
            "/api/v1/screens/{name}",
            axum::routing::put(mode::register_screen),
        )
        .route("/api/v1/screens/{name}/ack", post(mode::ack_screen))
        .fallback(|| async { error::AppError::NotFound })
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// Where the hub keeps its log.
#[derive(Clone, Debug)]
pub enum Backend {
    /// Embedded SQLite: one process, this file (the default: [`HubConfig::db_path`]).
    Sqlite(PathBuf),
    /// PostgreSQL: any number of hub replicas share this database (a connection string:
    /// `postgres://user@host:5432/db` or `host=/run/postgresql dbname=citydeck`).
    Postgres(String),
}

#[derive(Clone, Debug)]
pub struct HubConfig {
    pub db_path: PathBuf,
    pub listen: SocketAddr,
    /// Create the demo accounts if missing.
    pub demo: bool,
    /// How long a level-I proposal waits for a second commander (None: [`DEFAULT_CONFIRM_WINDOW`]).
    pub confirm_window: Option<chrono::Duration>,
    /// Serve a drill (exercise) on this database: every mode says `exercise: true`, and the file can never be
    /// opened as the real hub's (nor a real one as a drill's).
    pub exercise: bool,
    /// Screens expected to follow the mode (registered at start; listed as lagging until they acknowledge).
    pub screens: Vec<String>,
    /// The city's areas (`areas.geojson` as `citydeck-city` writes it): they replace the stored ones at start.
    pub areas: Option<PathBuf>,
    /// The scenario packs' folder (`data/scenarios`: every `*.toml` in it, checked together by
    /// `domain::scenario`); None: no vital signs.
    pub scenarios: Option<PathBuf>,
    /// The closed loop's stage limits (`--deadlines FILE`, `domain::stage_clock`); None: the city file's
    /// `[deadlines]`, else no stage is ever due.
    pub deadlines: Option<PathBuf>,
    /// The city file (`--city FILE`, `data/city/*.toml`): the hub reads its `[[departments]]` and `[deadlines]`
    /// (the simulator and the desktop read the rest).
    pub city: Option<PathBuf>,
}

/// A hub serving on a real socket.
pub struct RunningHub {
    pub addr: SocketAddr,
    pub state: AppState,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningHub {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, closes live streams, waits for in-flight requests.
    pub async fn shutdown(self) -> std::io::Result<()> {
        self.state.shutdown.cancel();
        match self.task.await {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(e)),
        }
    }

    /// Resolves when the server stops (after [`RunningHub::shutdown`] from elsewhere or on a fatal error).
    pub async fn wait(self) -> std::io::Result<()> {
        match self.task.await {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(e)),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Db(#[from] db::DbError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("{0}")]
    Join(#[from] tokio::task::JoinError),
    #[error("{0}")]
    Config(String),
}

/// The areas of an areas file (`--areas`), checked by `domain::area_file`; an error names the file, and the
/// feature and key at fault.
pub fn read_areas(path: &std::path::Path) -> Result<Vec<citydeck_domain::area_file::AreaDef>, StartError> {
    let fail = |problem: String| StartError::Config(format!("--areas {}: {problem}", path.display()));
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    let doc: serde_json::Value = serde_json::from_str(&text).map_err(|e| fail(format!("not JSON: {e}")))?;
    citydeck_domain::area_file::parse(&doc).map_err(|e| fail(e.to_string()))
}

/// The stage limits of a deadlines file (`--deadlines`); an error names the file and the key.
pub fn read_deadlines(
    path: &std::path::Path,
) -> Result<citydeck_domain::stage_clock::StageLimits, StartError> {
    let fail = |problem: String| StartError::Config(format!("--deadlines {}: {problem}", path.display()));
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    citydeck_domain::stage_clock::StageLimits::parse(&text).map_err(|e| fail(e.to_string()))
}

/// What the hub takes from a city file (`--city`).
#[derive(Clone, Debug, Default)]
pub struct CityFile {
    /// `[[departments]]`, checked by `domain::departments`.
    pub departments: Vec<citydeck_domain::departments::Department>,
    /// `[deadlines]`, when it has them.
    pub deadlines: Option<citydeck_domain::stage_clock::StageLimits>,
    /// `[[feeds]]`: the GeoJSON feeds `POST /api/v1/ingest/geojson?feed=` takes (`ingest::geojson`).
    pub feeds: Vec<citydeck_ingest::geojson::FeedSpec>,
    /// `[ingest]`: when reports of one event merge and which sources are trusted (`domain::merge`).
    pub merge: citydeck_domain::merge::MergeRule,
}

/// Reads a city file (`--city`): its departments, stage limits and feeds. An error names the file and the key.
pub fn read_city(path: &std::path::Path) -> Result<CityFile, StartError> {
    let fail = |problem: String| StartError::Config(format!("--city {}: {problem}", path.display()));
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| fail(e.to_string()))?;
    let departments =
        citydeck_domain::departments::parse(table.get("departments")).map_err(|e| fail(e.to_string()))?;
    let deadlines = match table.get("deadlines") {
        None => None,
        Some(toml::Value::Table(t)) => Some(
            citydeck_domain::stage_clock::StageLimits::from_table("deadlines", t)
                .map_err(|e| fail(e.to_string()))?,
        ),
        Some(v) => {
            return Err(fail(format!(
                "deadlines: must be a table, found {}",
                v.type_str()
            )))
        }
    };
    let feeds = citydeck_ingest::geojson::parse_specs(table.get("feeds")).map_err(|e| fail(e.to_string()))?;
    let merge = citydeck_domain::merge::MergeRule::from_value(table.get("ingest"))
        .map_err(|e| fail(e.to_string()))?;
    Ok(CityFile {
        departments,
        deadlines,
        feeds,
        merge,
    })
}

/// How often the hub's clock looks for incidents past their stage's limit.
pub const CLOCK_TICK: std::time::Duration = std::time::Duration::from_secs(1);

/// The closed loop's clock: every [`CLOCK_TICK`] marks the incidents past their stage's limit (`incident_overdue`,
/// once per stay) and climbs the escalation ladder (`incident_escalated`, once per rung), with no client connected, until `state.shutdown`. On several replicas each ticks; the write
/// transaction makes each stay's mark happen once.
fn start_clock(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(CLOCK_TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = state.shutdown.cancelled() => break,
                _ = tick.tick() => {}
            }
            let db = state.db.clone();
            let tx = state.events.clone();
            let r = tokio::task::spawn_blocking(move || {
                db.mark_overdue(chrono::Utc::now(), 1000, |ev, json| {
                    let _ = tx.send(Published::new(ev, json));
                })
            })
            .await;
            match r {
                Ok(Ok(events)) if !events.is_empty() => {
                    tracing::info!(
                        overdue = events.len(),
                        "incidents past their stage's limit (督办)"
                    )
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "the closed loop's clock could not tick"),
                Err(e) => tracing::warn!(error = %e, "the closed loop's clock task failed"),
            }
        }
    });
}

/// The scenario packs of a folder (`--scenarios`): every `*.toml` in it, in name order, checked together by
/// `domain::scenario::parse_packs`; an error names the folder, the file and the key at fault.
pub fn read_scenarios(dir: &std::path::Path) -> Result<Vec<citydeck_domain::scenario::Pack>, StartError> {
    let fail = |problem: String| StartError::Config(format!("--scenarios {}: {problem}", dir.display()));
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| fail(e.to_string()))? {
        let path = entry.map_err(|e| fail(e.to_string()))?.path();
        if path.extension().is_some_and(|e| e == "toml") {
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let text = std::fs::read_to_string(&path).map_err(|e| fail(format!("{name}: {e}")))?;
            files.push((name, text));
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(fail("no scenario pack (*.toml) in it".into()));
    }
    citydeck_domain::scenario::parse_packs(files.iter().map(|(n, t)| (n.as_str(), t.as_str())))
        .map_err(|e| fail(e.to_string()))
}

/// Opens (and migrates) the SQLite database `config.db_path`, creates demo accounts if asked, binds, and
/// serves in a task.
pub async fn start(config: HubConfig) -> Result<RunningHub, StartError> {
    let backend = Backend::Sqlite(config.db_path.clone());
    start_with(config, backend).await
}

/// [`start`] on the given backend (`config.db_path` is not used for [`Backend::Postgres`]).
pub async fn start_with(config: HubConfig, backend: Backend) -> Result<RunningHub, StartError> {
    let demo = config.demo;
    let exercise = config.exercise;
    let screens = config.screens.clone();
    let areas = config.areas.as_deref().map(read_areas).transpose()?;
    let packs = config.scenarios.as_deref().map(read_scenarios).transpose()?;
    let CityFile {
        departments,
        deadlines: city_limits,
        feeds,
        merge,
    } = match config.city.as_deref() {
        Some(path) => read_city(path)?,
        None => CityFile::default(),
    };
    // `--deadlines` overrides the city file's `[deadlines]`
    let limits = match config.deadlines.as_deref().map(read_deadlines).transpose()? {
        Some(l) => Some(l),
        None => city_limits,
    };
    let db = tokio::task::spawn_blocking(move || -> Result<Db, StartError> {
        let db = match &backend {
            Backend::Sqlite(path) => Db::open_realm(path, exercise)?,
            Backend::Postgres(url) => Db::open_postgres(url, exercise)?,
        };
        if let Some(areas) = &areas {
            db.replace_areas(areas)?;
            tracing::info!(areas = areas.len(), "areas loaded");
        }
        if demo {
            let n = auth::ensure_demo_accounts(&db)?;
            if n > 0 {
                tracing::info!(created = n, "demo accounts created");
            }
        }
        for name in &screens {
            mode::check_screen_name(name)
                .map_err(|e| StartError::Config(format!("--screen {name:?}: {e}")))?;
            db.register_screen(name, "config", |_, _| {})?;
        }
        Ok(db)
    })
    .await??;
    tracing::info!(backend = db.backend(), replica = db.replica(), "storage open");
    if exercise {
        tracing::warn!("EXERCISE hub: this is drill data, kept apart from the real hub");
    }
    if !departments.is_empty() {
        tracing::info!(departments = departments.len(), "departments loaded");
    }
    db.set_loop_rules(citydeck_domain::stage_clock::LoopRules {
        limits: limits.unwrap_or_default(),
        departments,
    });
    db.set_merge_rule(merge);
    let mut state = AppState::new(db);
    // where what has no place of its own goes (a vital sign's incident, a CAP alert with geocodes only)
    let db = state.db.clone();
    if let Some(site) = tokio::task::spawn_blocking(move || db.city_point()).await?? {
        state.indicator_site = site;
    }
    if !feeds.is_empty() {
        tracing::info!(feeds = feeds.len(), "GeoJSON feeds declared");
    }
    state.feeds = Arc::new(feeds.into_iter().map(|f| (f.name.clone(), f)).collect());
    if let Some(packs) = &packs {
        state.indicators = Arc::new(citydeck_domain::scenario::catalogue(packs));
        state.indicator_rules = Arc::new(
            packs
                .iter()
                .flat_map(|p| p.indicators.iter().map(|i| (i.id.clone(), i.clone())))
                .collect(),
        );
        let ids: Vec<String> = state.indicators.iter().map(|i| i.id.clone()).collect();
        state.document = Arc::new(openapi::served(&ids));
        if !state.indicators.is_empty() && state.indicator_site == (0.0, 0.0) {
            tracing::warn!("no areas (--areas): incidents raised by the vital signs are placed at 0, 0")
        }
        tracing::info!(
            packs = packs.len(),
            indicators = state.indicators.len(),
            "scenario packs loaded"
        );
    }
    if let Some(w) = config.confirm_window {
        state.confirm_window = w;
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: config.listen,
        source,
    })?;
    let app = router(state.clone());
    let token = state.shutdown.clone();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move { token.cancelled().await })
            .await
    });
    start_clock(state.clone());
    Ok(RunningHub { addr, state, task })
}
