//! `citydeck-hub`: run the hub (the demo city is fed into it by the separate `citydeck-simulate`).

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;

#[derive(Parser, Debug)]
#[command(
    name = "citydeck-hub",
    version,
    about = "citydeck hub: the command hall's authoritative event log",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// SQLite database file (created if missing; WAL mode).
    #[arg(long, value_name = "FILE")]
    db: Option<PathBuf>,
    /// Run on PostgreSQL instead of SQLite, as one of any number of replicas sharing that database (scale-out),
    /// e.g. `postgres://citydeck@localhost:5432/citydeck` or `host=/run/postgresql dbname=citydeck`.
    #[arg(long, value_name = "URL", conflicts_with = "db")]
    postgres: Option<String>,
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8640")]
    listen: SocketAddr,
    /// Create the demo accounts (operator, commander, commander2, leader, field, admin, feed; with --areas also district
    /// and street) if missing.
    #[arg(long)]
    demo: bool,
    /// Run a drill: this hub's data is exercise data (every screen shows an EXERCISE watermark). The database
    /// file is marked on first use; a real database is refused, and so is a drill database without this flag.
    #[arg(long)]
    exercise: bool,
    /// A screen expected to follow the mode (repeatable), e.g. `--screen hall-wall-1 --screen leader-office`;
    /// listed to the commander until it acknowledges the current mode.
    #[arg(long = "screen", value_name = "NAME")]
    screens: Vec<String>,
    /// The city's areas: an `areas.geojson` as `cargo xtask city` writes it (districts and streets; the city is
    /// their union). They replace the stored areas at start; every incident is placed in the areas holding it,
    /// and `--demo` adds the accounts `district` and `street` scoped to one of them.
    #[arg(long, value_name = "FILE")]
    areas: Option<PathBuf>,
    /// The scenario packs (城市运行数字体征: every `*.toml` in the folder; a bad pack stops the start naming the
    /// file and the key). Default `data/scenarios` when that folder exists here; without packs the hub serves no
    /// indicators.
    #[arg(long, value_name = "DIR")]
    scenarios: Option<PathBuf>,
    /// The closed loop's stage limits (issue 24): `[stages]` for every grade and `[grade.I]` … overrides, each
    /// a stage name = a duration ("90s", "10m", "2h"). An incident still in its stage after its limit is marked
    /// overdue (督办) by the hub's own clock. A bad file stops the start naming the key.
    #[arg(long, value_name = "FILE")]
    deadlines: Option<PathBuf>,
    /// The city file (`data/city/*.toml`): the hub takes its `[[departments]]` (交办 routes to them, 督办
    /// escalates up their tree; `GET /api/v1/departments`) and its `[deadlines]` (overridden by --deadlines). A
    /// bad file stops the start naming the key.
    #[arg(long, value_name = "FILE")]
    city: Option<PathBuf>,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Bring in what other sources publish (issue 22).
    Ingest {
        #[command(subcommand)]
        command: IngestCommand,
    },
}

#[derive(clap::Subcommand, Debug)]
enum IngestCommand {
    /// Poll a source and post what is new to a hub, for deployments that pull: a CAP Atom feed, a folder of CAP
    /// files or a GeoJSON feed. Signs in as `--user` (default `feed`) with the password in
    /// $CITYDECK_HUB_PASSWORD (default: the demo password). Runs until stopped (or `--rounds N`).
    Watch(WatchArgs),
}

#[derive(clap::Args, Debug)]
#[group(skip)]
#[command(group(clap::ArgGroup::new("source").required(true).multiple(false).args(["cap_atom", "cap_dir", "geojson"])))]
struct WatchArgs {
    /// The hub's base URL, e.g. http://127.0.0.1:8640.
    #[arg(long, value_name = "URL")]
    hub: String,
    /// A CAP Atom feed: each entry's alert (linked as application/cap+xml, or inline in its content).
    #[arg(long, value_name = "URL")]
    cap_atom: Option<String>,
    /// A folder of CAP alerts: every *.xml / *.cap file, each once (again when it changes).
    #[arg(long, value_name = "DIR")]
    cap_dir: Option<PathBuf>,
    /// A GeoJSON FeatureCollection, posted to the city's feed --feed: the features not posted yet.
    #[arg(long, value_name = "URL", requires = "feed")]
    geojson: Option<String>,
    /// The feed the GeoJSON goes to (the city file's `[[feeds]]` name).
    #[arg(long, value_name = "NAME", requires = "geojson")]
    feed: Option<String>,
    /// The account that posts (a feed, operator or admin).
    #[arg(long, default_value = "feed")]
    user: String,
    /// Seconds between two polls.
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    every: f64,
    /// Stop after this many polls (default: run until stopped).
    #[arg(long, value_name = "N")]
    rounds: Option<u64>,
}

/// Where the scenario packs are when `--scenarios` is not given (the repository's folder, from its root).
const DEFAULT_SCENARIOS: &str = "data/scenarios";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    citydeck_hub::init_logging();
    let cli = Cli::parse();
    if let Some(Command::Ingest {
        command: IngestCommand::Watch(w),
    }) = cli.command
    {
        return watch(w).await;
    }
    let backend = match (cli.postgres, cli.db) {
        (Some(url), _) => citydeck_hub::Backend::Postgres(url),
        (None, Some(path)) => citydeck_hub::Backend::Sqlite(path),
        (None, None) => anyhow::bail!("--db <FILE> (or --postgres <URL>) is required to run the hub"),
    };
    let db_path = match &backend {
        citydeck_hub::Backend::Sqlite(path) => path.clone(),
        citydeck_hub::Backend::Postgres(_) => PathBuf::new(),
    };
    let config = citydeck_hub::HubConfig {
        db_path,
        listen: cli.listen,
        demo: cli.demo,
        confirm_window: None,
        exercise: cli.exercise,
        screens: cli.screens,
        areas: cli.areas,
        scenarios: cli
            .scenarios
            .or_else(|| Some(PathBuf::from(DEFAULT_SCENARIOS)).filter(|d| d.is_dir())),
        deadlines: cli.deadlines,
        city: cli.city,
    };
    let hub = citydeck_hub::start_with(config, backend)
        .await
        .context("starting the hub")?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on http://{}", hub.addr)?;
        if cli.exercise {
            writeln!(out, "EXERCISE: drill data only")?;
        }
        out.flush()?;
    }
    let state = hub.state.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down");
        state.shutdown.cancel();
    });
    hub.wait().await.context("serving")?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing a SIGTERM handler");
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

async fn watch(w: WatchArgs) -> anyhow::Result<()> {
    use citydeck_hub::watch::{Source, Watch};
    let source = match (w.cap_atom, w.cap_dir, w.geojson, w.feed) {
        (Some(url), _, _, _) => Source::CapAtom(url),
        (_, Some(dir), _, _) => Source::CapDir(dir),
        (_, _, Some(url), Some(feed)) => Source::GeoJson { url, feed },
        _ => anyhow::bail!("give --cap-atom URL, --cap-dir DIR, or --geojson URL --feed NAME"),
    };
    if !(w.every.is_finite() && w.every > 0.0) {
        anyhow::bail!("--every must be a positive number of seconds");
    }
    let password = std::env::var("CITYDECK_HUB_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(citydeck_protocol::demo::demo_password);
    let posted = citydeck_hub::watch::run(
        Watch {
            hub: w.hub.trim_end_matches('/').to_string(),
            username: w.user,
            password,
            source,
            every: std::time::Duration::from_secs_f64(w.every),
        },
        w.rounds,
    )
    .await?;
    println!(
        "posted {} (refused {}, failed polls {})",
        posted.items, posted.refused, posted.failed_rounds
    );
    Ok(())
}
