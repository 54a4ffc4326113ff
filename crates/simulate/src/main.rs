//! `citydeck-simulate`: feeds a running hub with the demo city (real OSM places + the replayed USGS feed)
//! through the public HTTP API, as an operator account would. Its own binary, so the hub does not link the
//! simulator or an HTTP client.

use std::path::PathBuf;

use anyhow::Context;
use citydeck_client::{Credentials, HubClient};
use citydeck_protocol::demo::demo_password;
use citydeck_sim::{CityConfig, SimOptions};
use clap::Parser;

#[derive(Parser, Debug)]
#[command(
    name = "citydeck-simulate",
    version,
    about = "Replay the demo city into a running citydeck hub"
)]
struct SimArgs {
    /// Hub base URL, e.g. http://127.0.0.1:8640
    #[arg(long)]
    hub: String,
    /// Incidents per second.
    #[arg(long, default_value_t = 1.0)]
    rate: f64,
    /// The city file (its data files are named in it, relative to its folder; `cargo xtask data` fills
    /// data/cache for the committed cities).
    #[arg(long, default_value = "data/city/liechtenstein.toml")]
    city: PathBuf,
    /// Seed for the operator-incident generator (default: the city file's).
    #[arg(long)]
    seed: Option<u64>,
    /// Stop after this many incidents.
    #[arg(long)]
    limit: Option<u64>,
    /// Account to report as.
    #[arg(long, default_value = "operator")]
    username: String,
    /// Its password (default: $CITYDECK_DEMO_PASSWORD or the demo default).
    #[arg(long)]
    password: Option<String>,
    /// Also post the city's vital signs (its scenario packs' real series, replayed shifted to now: the last day
    /// first, then as they fall due) until stopped — the process then runs until killed.
    #[arg(long)]
    vital_signs: bool,
    /// The account the readings are posted as (it must be allowed to: the demo's `feed`).
    #[arg(long, default_value = "feed")]
    feed_user: String,
}

/// How often the vital signs' replay posts what fell due.
const VITAL_SIGNS_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = SimArgs::parse();
    let city = CityConfig::load(&args.city).with_context(|| format!("city file {}", args.city.display()))?;
    let password = args.password.unwrap_or_else(demo_password);
    let client = HubClient::new(
        &args.hub,
        Credentials {
            username: args.username,
            password: password.clone(),
        },
    )?;
    let vital_signs = if args.vital_signs {
        let feed = HubClient::new(
            &args.hub,
            Credentials {
                username: args.feed_user,
                password,
            },
        )?;
        let city = city.clone();
        Some(tokio::spawn(async move {
            citydeck_sim::feed::run_vital_signs(&city, &feed, VITAL_SIGNS_EVERY, None).await
        }))
    } else {
        None
    };
    let mut opts = SimOptions::from_city(&city);
    opts.rate = args.rate;
    opts.limit = args.limit;
    if let Some(seed) = args.seed {
        opts.seed = seed;
    }
    tracing::info!(city = %city.id, rate = opts.rate, "simulating");
    let stats = citydeck_sim::run(&city, &client, opts).await?;
    println!("simulated {} incidents ({} failed)", stats.sent, stats.failed);
    if let Some(task) = vital_signs {
        let stats = task.await??;
        println!("posted {} readings", stats.sent);
    }
    Ok(())
}
