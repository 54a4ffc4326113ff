//! `citydeck-hub simulate`: feeds a running hub with the demo city (real OSM places + the replayed USGS feed)
//! through the public HTTP API, as an operator account would.

use std::path::PathBuf;

use anyhow::Context;
use citydeck_sim::{CityConfig, SimOptions};
use citydeck_sync::{Credentials, HubClient};

#[derive(clap::Args, Debug)]
pub struct SimArgs {
    /// Hub base URL, e.g. http://127.0.0.1:8640
    #[arg(long)]
    pub hub: String,
    /// Incidents per second.
    #[arg(long, default_value_t = 1.0)]
    pub rate: f64,
    /// The city file.
    #[arg(long, default_value = "data/city/helsinki.toml")]
    pub city: PathBuf,
    /// Folder holding the city's data files (`cargo xtask data` fills data/cache).
    #[arg(long, default_value = "data/cache")]
    pub data: PathBuf,
    /// Seed for the operator-incident generator (default: the city file's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Stop after this many incidents.
    #[arg(long)]
    pub limit: Option<u64>,
    /// Account to report as.
    #[arg(long, default_value = "operator")]
    pub username: String,
    /// Its password (default: $CITYDECK_DEMO_PASSWORD or the demo default).
    #[arg(long)]
    pub password: Option<String>,
}

pub async fn run(args: SimArgs) -> anyhow::Result<()> {
    let city = CityConfig::load(&args.city).with_context(|| format!("city file {}", args.city.display()))?;
    let password = args.password.unwrap_or_else(citydeck_hub::auth::demo_password);
    let client = HubClient::new(
        &args.hub,
        Credentials {
            username: args.username,
            password,
        },
    )?;
    let mut opts = SimOptions::from_city(&city);
    opts.rate = args.rate;
    opts.limit = args.limit;
    if let Some(seed) = args.seed {
        opts.seed = seed;
    }
    tracing::info!(city = %city.id, rate = opts.rate, "simulating");
    let stats = citydeck_sim::run(&city, &args.data, &client, opts).await?;
    println!("simulated {} incidents ({} failed)", stats.sent, stats.failed);
    Ok(())
}
