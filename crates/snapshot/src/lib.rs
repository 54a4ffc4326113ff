//! citydeck situation snapshots: a PNG of an area (Web Mercator, north up) with the incident markers
//! composited on top, for reports and briefings.
//!
//! This crate is the part that is always built and tested: the projection, the incidents JSON, the markers and
//! the PNG output, on a plain background or on a basemap image rendered elsewhere ([`Basemap::Image`]). The
//! basemap renderer (maplibre-rs 0.0.3 drawing the offline MBTiles headless) is the separate workspace
//! `maplibre-repro/`, kept out of the main workspace's Cargo.lock; see `REPRO.md` for what it does and does not
//! do on this machine.

pub mod draw;
pub mod geo;
pub mod incidents;

use std::path::Path;

use anyhow::{Context, Result};
use image::RgbaImage;

pub use draw::{draw_markers, plain_background, DrawReport, MarkerStyle};
pub use geo::{Bbox, BboxError, Viewport};
pub use incidents::{parse_incidents, Grade, GradeColour, Incident, IncidentsError};

/// The message shown when a basemap is asked of this binary.
pub const NO_RENDERER: &str = "this citydeck-snapshot has no basemap renderer: maplibre-rs 0.0.3 is kept out of \
the main workspace. The renderer is the separate workspace crates/snapshot/maplibre-repro (needs `protoc` from the \
Debian package protobuf-compiler and a Vulkan driver, e.g. Mesa's lavapipe from mesa-vulkan-drivers): \
`cargo run --manifest-path crates/snapshot/maplibre-repro/Cargo.toml -- --mbtiles <file> --bbox ... \
--out map.png [--incidents f.json]`; see crates/snapshot/REPRO.md for what it draws. \
Or pass --no-basemap here to draw the markers on a plain background.";

/// What is under the markers.
#[derive(Debug, Clone, PartialEq)]
pub enum Basemap {
    /// The cockpit's dark background, no map.
    Plain,
    /// A map image rendered elsewhere (the maplibre-rs renderer), with the viewport that places lon/lat on it.
    Image {
        image: RgbaImage,
        viewport: Viewport,
        /// A line about where it came from, for the user.
        note: String,
    },
}

/// One snapshot to make.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub bbox: Bbox,
    /// Output width in pixels for a plain background (the height follows from the bbox); a basemap image keeps
    /// its own size.
    pub width: u32,
    pub basemap: Basemap,
    pub incidents: Vec<Incident>,
    pub marker: MarkerStyle,
}

/// A finished snapshot.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub image: RgbaImage,
    /// How lon/lat map onto `image`.
    pub viewport: Viewport,
    pub markers: DrawReport,
    /// A line about the basemap, for the user.
    pub basemap_note: String,
}

/// Reads and parses an incidents file.
pub fn read_incidents(path: &Path) -> Result<Vec<Incident>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading incidents file {}", path.display()))?;
    parse_incidents(&text).with_context(|| format!("in {}", path.display()))
}

/// Puts the markers on the basemap (or a plain background).
pub fn make_snapshot(req: Request) -> Snapshot {
    let (mut image, viewport, basemap_note) = match req.basemap {
        Basemap::Plain => {
            let v = Viewport::fit_width(req.bbox, req.width);
            (
                plain_background(v.width, v.height),
                v,
                "plain background (no basemap)".to_string(),
            )
        }
        Basemap::Image {
            image,
            viewport,
            note,
        } => (image, viewport, note),
    };
    let markers = draw_markers(&mut image, &viewport, &req.incidents, req.marker);
    Snapshot {
        image,
        viewport,
        markers,
        basemap_note,
    }
}

/// Writes the snapshot as PNG.
pub fn save_png(snapshot: &Snapshot, out: &Path) -> Result<()> {
    snapshot
        .image
        .save_with_format(out, image::ImageFormat::Png)
        .with_context(|| format!("writing {}", out.display()))
}

#[cfg(test)]
mod tests;
