//! The basemap of a snapshot, drawn headless by maplibre-rs 0.0.3.
//!
//! What 0.0.3 offers for this and how it is used (see REPRO.md for what works on this machine):
//! - `HeadlessMap` renders exactly one tile per frame: `render_tile` spawns the tessellated layers at tile
//!   0/0/0 and the camera of a new `HeadlessMap` looks at that tile, so a `TILE_PX`-square window shows one tile.
//!   A bbox is drawn tile by tile, stitched, cropped to the bbox and scaled to the requested width.
//! - Tiles cannot come from the crate's source seam: `HeadlessEnvironment` fixes `HttpClient =
//!   ReqwestHttpClient` (HTTP only, no MBTiles), so the tile bytes are read from the MBTiles here ([`MbTiles`])
//!   and passed to `HeadlessMap::process_tile`, which tessellates them with the built-in style's source layers
//!   (OpenMapTiles names: park, landuse, landcover, transportation, building, water, waterway, boundary).
//! - The frame is read back by a small plugin of ours ([`CapturePlugin`]) from the headless surface buffer,
//!   instead of `HeadlessPlugin::new(true)`, which writes `frame_N.png` into the working directory.
//! - 0.0.3 panics (`expect`/`unwrap`) on a missing GPU device or a tile it cannot decode; the panic is caught
//!   and reported as an error ([`catch_panics`]).

use std::borrow::Cow;
use std::cell::RefCell;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use anyhow::{anyhow, bail, Context, Result};
use image::{imageops, RgbaImage};
use maplibre::{
    context::MapContext,
    headless::{
        create_headless_renderer, environment::HeadlessEnvironment, map::HeadlessMap, HeadlessPlugin,
    },
    kernel::Kernel,
    platform::run_multithreaded,
    plugin::Plugin,
    render::{graph::RenderGraph, resource::Head, RenderPlugin, RenderStageLabel},
    schedule::Schedule,
    style::{
        layer::{LayerPaint, LinePaint},
        Style,
    },
    tcs::{
        system::{System, SystemContainer},
        world::World,
    },
    vector::{DefaultVectorTransferables, VectorPlugin},
};

use crate::mbtiles::MbTiles;
use citydeck_snapshot::geo::{lonlat_to_world, tile_range, world_to_lonlat, zoom_for_width, Bbox, Viewport};

/// Pixel size of one rendered tile (maplibre-rs's `TILE_SIZE`).
pub const TILE_PX: u32 = 512;
/// At most this many tiles are rendered for one snapshot (the zoom is lowered until the bbox fits).
pub const MAX_TILES: usize = 36;

/// A rendered basemap and the viewport that maps lon/lat onto it.
pub struct Basemap {
    pub image: RgbaImage,
    pub viewport: Viewport,
    pub zoom: u8,
    pub tiles_rendered: usize,
    pub tiles_missing: usize,
    /// The GPU adapter wgpu picked, e.g. `llvmpipe (LLVM 15.0.6, 256 bits) (Vulkan)`.
    pub adapter: String,
}

/// Renders the MBTiles' vector tiles covering `bbox` to an image `width` pixels wide.
pub fn render_basemap(mbtiles: &Path, bbox: &Bbox, width: u32) -> Result<Basemap> {
    let mb = MbTiles::open(mbtiles)?;
    let mut z = zoom_for_width(bbox, width, TILE_PX, mb.min_zoom, mb.max_zoom);
    let count = |z: u8| {
        let (xs, ys) = tile_range(bbox, z);
        xs.count() * ys.count()
    };
    while count(z) > MAX_TILES && z > mb.min_zoom {
        z -= 1;
    }
    let (xs, ys) = tile_range(bbox, z);

    let (mosaic, rendered, missing, adapter) =
        catch_panics(|| run_multithreaded(render_tiles(&mb, z, xs.clone(), ys.clone())))??;

    // Crop the mosaic to the bbox (whole pixels), then scale to the requested width.
    let n = f64::from(1u32 << z);
    let to_px = |lon: f64, lat: f64| {
        let (wx, wy) = lonlat_to_world(lon, lat);
        (
            (wx * n - f64::from(*xs.start())) * f64::from(TILE_PX),
            (wy * n - f64::from(*ys.start())) * f64::from(TILE_PX),
        )
    };
    let (px0, py0) = to_px(bbox.min_lon, bbox.max_lat);
    let (px1, py1) = to_px(bbox.max_lon, bbox.min_lat);
    let left = px0.floor().max(0.0) as u32;
    let top = py0.floor().max(0.0) as u32;
    let right = (px1.ceil() as u32).clamp(left + 1, mosaic.width());
    let bottom = (py1.ceil() as u32).clamp(top + 1, mosaic.height());
    let crop = imageops::crop_imm(&mosaic, left, top, right - left, bottom - top).to_image();
    let from_px = |px: u32, py: u32| {
        world_to_lonlat(
            (f64::from(*xs.start()) + f64::from(px) / f64::from(TILE_PX)) / n,
            (f64::from(*ys.start()) + f64::from(py) / f64::from(TILE_PX)) / n,
        )
    };
    let (min_lon, max_lat) = from_px(left, top);
    let (max_lon, min_lat) = from_px(right, bottom);
    let shown =
        Bbox::new(min_lon, min_lat, max_lon, max_lat).map_err(|e| anyhow!("area actually drawn: {e}"))?;
    let height =
        ((f64::from(crop.height()) * f64::from(width) / f64::from(crop.width())).round() as u32).max(1);
    let image = imageops::resize(&crop, width, height, imageops::FilterType::Triangle);
    Ok(Basemap {
        image,
        viewport: Viewport::new(shown, width, height),
        zoom: z,
        tiles_rendered: rendered,
        tiles_missing: missing,
        adapter,
    })
}

/// Minimal reproduction: renders one tile of the MBTiles (or an empty tile) exactly as 0.0.3 draws it.
pub fn render_one_tile(mbtiles: &Path, z: u8, x: u32, y: u32) -> Result<RgbaImage> {
    let mb = MbTiles::open(mbtiles)?;
    if x >= 1u32 << z || y >= 1u32 << z {
        bail!("tile {z}/{x}/{y} does not exist (x and y must be below 2^z)");
    }
    let (img, _, _, adapter) = catch_panics(|| run_multithreaded(render_tiles(&mb, z, x..=x, y..=y)))??;
    eprintln!("maplibre-rs rendered on: {adapter}");
    Ok(img)
}

/// Runs `f`, turning a panic into an error naming the message and where it happened. maplibre-rs 0.0.3 reports
/// many failures by panicking (`expect("Failed to initialize renderer")` without a usable adapter,
/// `expect("Failed to process!")` on a tile it cannot decode); the default hook is silenced meanwhile so the
/// user sees one line, not a backtrace.
fn catch_panics<T>(f: impl FnOnce() -> T) -> Result<T> {
    let location: Arc<Mutex<Option<String>>> = Arc::default();
    let seen = location.clone();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if let (Ok(mut l), Some(at)) = (seen.lock(), info.location()) {
            *l = Some(at.to_string());
        }
    }));
    let result = std::panic::catch_unwind(AssertUnwindSafe(f));
    std::panic::set_hook(previous);
    result.map_err(|panic| {
        let msg = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "unknown panic".into());
        let at = location
            .lock()
            .ok()
            .and_then(|l| l.clone())
            .unwrap_or_else(|| "?".into());
        anyhow!("maplibre-rs panicked while rendering: {msg} (at {at})")
    })
}

async fn render_tiles(
    mb: &MbTiles,
    z: u8,
    xs: std::ops::RangeInclusive<u32>,
    ys: std::ops::RangeInclusive<u32>,
) -> Result<(RgbaImage, usize, usize, String)> {
    let frame: Rc<RefCell<Option<RgbaImage>>> = Rc::default();
    let style = snapshot_style()?;
    let source_layers: Vec<String> = style
        .layers
        .iter()
        .filter_map(|l| l.source_layer.clone())
        .collect();
    let source_layers: Vec<&str> = source_layers.iter().map(String::as_str).collect();

    let (kernel, renderer) = create_headless_renderer(TILE_PX, None).await;
    let info = renderer.adapter.get_info();
    let adapter = format!("{} ({:?})", info.name, info.backend);
    let plugins: Vec<Box<dyn Plugin<HeadlessEnvironment>>> = vec![
        Box::new(RenderPlugin),
        Box::new(VectorPlugin::<DefaultVectorTransferables>::default()),
        Box::new(HeadlessPlugin::new(false)),
        Box::new(CapturePlugin(frame.clone())),
    ];
    let mut map = HeadlessMap::new(style, renderer, kernel, plugins)
        .map_err(|e| anyhow!("maplibre-rs HeadlessMap::new: {e:?}"))?;

    let nx = xs.clone().count() as u32;
    let ny = ys.clone().count() as u32;
    let mut mosaic = RgbaImage::new(nx * TILE_PX, ny * TILE_PX);
    let (mut rendered, mut missing) = (0, 0);
    for (j, y) in ys.clone().enumerate() {
        for (i, x) in xs.clone().enumerate() {
            let layers = match mb.tile(z, x, y)? {
                Some(bytes) => {
                    rendered += 1;
                    map.process_tile(bytes.into_boxed_slice(), &source_layers).await
                }
                None => {
                    missing += 1;
                    Vec::new()
                }
            };
            map.render_tile(layers);
            let tile = frame
                .borrow_mut()
                .take()
                .with_context(|| format!("no frame captured for tile {z}/{x}/{y}"))?;
            imageops::replace(
                &mut mosaic,
                &tile,
                i64::from(i as u32 * TILE_PX),
                i64::from(j as u32 * TILE_PX),
            );
        }
    }
    Ok((mosaic, rendered, missing, adapter))
}

/// maplibre-rs's built-in style (OpenMapTiles source layers, one colour each), with the roads grey instead of
/// white: the frame is cleared to white, so `#ffffff` roads only show over parks.
fn snapshot_style() -> Result<Style> {
    let mut style = Style::default();
    let grey: LinePaint =
        serde_json::from_value(serde_json::json!({"line-color": ROAD_COLOUR})).context("road colour")?;
    for layer in &mut style.layers {
        if layer.source_layer.as_deref() == Some("transportation") {
            layer.paint = Some(LayerPaint::Line(grey.clone()));
        }
    }
    Ok(style)
}

/// Road colour in snapshots.
pub const ROAD_COLOUR: &str = "#a3a8ad";

/// Reads the headless surface back into an image after every frame.
struct CapturePlugin(Rc<RefCell<Option<RgbaImage>>>);

impl Plugin<HeadlessEnvironment> for CapturePlugin {
    fn build(
        &self,
        schedule: &mut Schedule,
        _kernel: Rc<Kernel<HeadlessEnvironment>>,
        _world: &mut World,
        _graph: &mut RenderGraph,
    ) {
        schedule.add_system_to_stage(
            RenderStageLabel::Cleanup,
            SystemContainer::new(CaptureSystem(self.0.clone())),
        );
    }
}

struct CaptureSystem(Rc<RefCell<Option<RgbaImage>>>);

impl System for CaptureSystem {
    fn name(&self) -> Cow<'static, str> {
        "citydeck_capture_frame".into()
    }

    fn run(&mut self, context: &mut MapContext) {
        let renderer = &context.renderer;
        let surface = renderer.state().surface();
        let Head::Headless(texture) = surface.head() else {
            return;
        };
        let (w, h) = (surface.size().width(), surface.size().height());
        let stride = texture.bytes_per_row().get() as usize;
        let slice = texture.map_async(&renderer.device);
        let view = slice.get_mapped_range();
        let row = w as usize * 4;
        let mut pixels = Vec::with_capacity(row * h as usize);
        for r in 0..h as usize {
            pixels.extend_from_slice(&view[r * stride..r * stride + row]);
        }
        drop(view);
        texture.unmap();
        *self.0.borrow_mut() = RgbaImage::from_raw(w, h, pixels);
    }
}
