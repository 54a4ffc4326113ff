//! `citydeck-snapshot-maplibre --mbtiles X --bbox minlon,minlat,maxlon,maxlat --out map.png [--incidents f.json]`:
//! the basemap drawn headless by maplibre-rs 0.0.3, the incident markers composited on top by citydeck-snapshot.
//!
//! `--tile z/x/y` renders a single tile exactly as maplibre-rs draws it (the minimal reproduction, REPRO.md).
//! Exit codes: 0 written, 1 failed (bad bbox or file, renderer error), 2 bad command line (clap).

mod basemap;
mod mbtiles;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Parser;

use citydeck_snapshot::{make_snapshot, read_incidents, save_png, Basemap, Bbox, MarkerStyle, Request};

#[derive(Parser, Debug)]
#[command(
    name = "citydeck-snapshot-maplibre",
    about = "Situation snapshot with an offline basemap drawn by maplibre-rs 0.0.3 (headless, wgpu/Vulkan)"
)]
struct Args {
    /// Offline basemap: OpenMapTiles-schema vector MBTiles (e.g. data/cache/helsinki.mbtiles).
    #[arg(long)]
    mbtiles: PathBuf,
    /// Area as minlon,minlat,maxlon,maxlat (WGS84 degrees).
    #[arg(long, allow_hyphen_values = true, required_unless_present = "tile")]
    bbox: Option<String>,
    /// Render only this tile (z/x/y, XYZ), no markers: the minimal reproduction.
    #[arg(long, conflicts_with_all = ["bbox", "incidents"])]
    tile: Option<String>,
    /// PNG file to write.
    #[arg(long)]
    out: PathBuf,
    /// Incidents JSON: the hub's `GET /api/v1/incidents` answer, a cockpit snapshot, or [{grade, lon, lat}].
    #[arg(long)]
    incidents: Option<PathBuf>,
    /// Output width in pixels (the height follows from the area).
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u32).range(16..=8192))]
    width: u32,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("citydeck-snapshot-maplibre: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn parse_tile(s: &str) -> Result<(u8, u32, u32)> {
    let parts: Vec<&str> = s.split('/').collect();
    let [z, x, y] = parts[..] else {
        bail!("--tile {s:?}: expected z/x/y");
    };
    let z: u8 = z.parse().with_context(|| format!("--tile {s:?}: bad zoom"))?;
    if z > 24 {
        bail!("--tile {s:?}: zoom above 24");
    }
    Ok((
        z,
        x.parse().with_context(|| format!("--tile {s:?}: bad x"))?,
        y.parse().with_context(|| format!("--tile {s:?}: bad y"))?,
    ))
}

fn run(args: Args) -> Result<()> {
    if let Some(tile) = &args.tile {
        let (z, x, y) = parse_tile(tile)?;
        let img = basemap::render_one_tile(&args.mbtiles, z, x, y)?;
        img.save_with_format(&args.out, image::ImageFormat::Png)
            .with_context(|| format!("writing {}", args.out.display()))?;
        println!(
            "wrote {} ({}x{}): tile {z}/{x}/{y} as drawn by maplibre-rs 0.0.3",
            args.out.display(),
            img.width(),
            img.height()
        );
        return Ok(());
    }
    let bbox: Bbox = args
        .bbox
        .as_deref()
        .unwrap_or_default()
        .parse()
        .map_err(anyhow::Error::new)?;
    let incidents = match &args.incidents {
        Some(p) => read_incidents(p)?,
        None => Vec::new(),
    };
    let b = basemap::render_basemap(&args.mbtiles, &bbox, args.width)?;
    let note = format!(
        "basemap by maplibre-rs 0.0.3 on {} from {} at z{} ({} tile(s) drawn, {} not in the file)",
        b.adapter,
        args.mbtiles.display(),
        b.zoom,
        b.tiles_rendered,
        b.tiles_missing
    );
    let snap = make_snapshot(Request {
        bbox,
        width: args.width,
        basemap: Basemap::Image {
            image: b.image,
            viewport: b.viewport,
            note,
        },
        incidents,
        marker: MarkerStyle::default(),
    });
    save_png(&snap, &args.out)?;
    println!(
        "wrote {} ({}x{}): {}; {} marker(s) drawn, {} outside the area",
        args.out.display(),
        snap.image.width(),
        snap.image.height(),
        snap.basemap_note,
        snap.markers.drawn,
        snap.markers.outside
    );
    Ok(())
}
