//! `citydeck-snapshot --bbox minlon,minlat,maxlon,maxlat --out map.png [--mbtiles X] [--incidents f.json]`
//!
//! Exit codes: 0 written, 1 failed (bad file, renderer error), 2 bad command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use citydeck_snapshot::{
    make_snapshot, read_incidents, save_png, Basemap, Bbox, MarkerStyle, Request, NO_RENDERER,
};

#[derive(Parser, Debug)]
#[command(
    name = "citydeck-snapshot",
    about = "Situation snapshot: a PNG of an area with the incident markers on top",
    after_help = "The basemap is drawn by the separate maplibre-rs renderer, \
                  crates/snapshot/maplibre-repro (citydeck-snapshot-maplibre); see crates/snapshot/REPRO.md."
)]
struct Args {
    /// Area as minlon,minlat,maxlon,maxlat (WGS84 degrees).
    #[arg(long, allow_hyphen_values = true)]
    bbox: String,
    /// PNG file to write.
    #[arg(long)]
    out: PathBuf,
    /// Offline basemap: not drawn by this binary (says how to run the maplibre-rs renderer instead).
    #[arg(long, conflicts_with = "no_basemap")]
    mbtiles: Option<PathBuf>,
    /// Draw the markers on a plain dark background instead of a basemap.
    #[arg(long)]
    no_basemap: bool,
    /// Incidents JSON: the hub's `GET /api/v1/incidents` answer, a cockpit snapshot, or [{grade, lon, lat}].
    #[arg(long)]
    incidents: Option<PathBuf>,
    /// Output width in pixels (the height follows from the area).
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u32).range(16..=8192))]
    width: u32,
    /// Marker radius in pixels.
    #[arg(long, default_value_t = 7.0)]
    marker_radius: f64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let bbox: Bbox = match args.bbox.parse() {
        Ok(b) => b,
        Err(e) => {
            eprintln!("citydeck-snapshot: {e}");
            return ExitCode::from(2);
        }
    };
    if !(args.marker_radius.is_finite() && (1.0..=100.0).contains(&args.marker_radius)) {
        eprintln!("citydeck-snapshot: --marker-radius must be between 1 and 100");
        return ExitCode::from(2);
    }
    let basemap = match (args.mbtiles, args.no_basemap) {
        (_, true) => Basemap::Plain,
        (Some(_), false) => {
            eprintln!("citydeck-snapshot: {NO_RENDERER}");
            return ExitCode::from(2);
        }
        (None, false) => {
            eprintln!(
                "citydeck-snapshot: pass --mbtiles <file> for a basemap, or --no-basemap for a plain background"
            );
            return ExitCode::from(2);
        }
    };
    match run(
        bbox,
        basemap,
        args.incidents,
        args.width,
        args.marker_radius,
        &args.out,
    ) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("citydeck-snapshot: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(
    bbox: Bbox,
    basemap: Basemap,
    incidents: Option<PathBuf>,
    width: u32,
    radius: f64,
    out: &std::path::Path,
) -> anyhow::Result<()> {
    let incidents = match incidents {
        Some(p) => read_incidents(&p)?,
        None => Vec::new(),
    };
    let req = Request {
        bbox,
        width,
        basemap,
        incidents,
        marker: MarkerStyle {
            radius,
            ..MarkerStyle::default()
        },
    };
    let snap = make_snapshot(req);
    save_png(&snap, out)?;
    println!(
        "wrote {} ({}x{}): {}; {} marker(s) drawn, {} outside the area",
        out.display(),
        snap.image.width(),
        snap.image.height(),
        snap.basemap_note,
        snap.markers.drawn,
        snap.markers.outside
    );
    Ok(())
}
