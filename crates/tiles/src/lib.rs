//! The offline map of the cockpit: one read-only MBTiles basemap (built by `cargo xtask basemap`) plus an asset
//! folder (glyphs, districts), answered through a pure request handler, [`MapServer::handle`], which the
//! desktop's `citydeck-map` custom protocol and the `citydeck-tile-server` dev binary both call. Nothing here
//! touches the network.
//!
//! ## URL layout (relative to the base URL given to [`MapServer::open`])
//!
//! | path | answer |
//! |---|---|
//! | `/style.json` | 200 `application/json`: the dark command-hall style ([`style`]), every URL absolute |
//! | `/tiles/{z}/{x}/{y}.pbf` | 200 `application/x-protobuf`, the MVT **already gunzipped** (no `Content-Encoding`); 204 empty when the tile is inside the tileset's zooms but not stored (no data there); 404 when `z` is outside the tileset's `minzoom..=maxzoom`; 400 when `z`/`x`/`y` are not decimal numbers, `z` > 30 or `x`/`y` ≥ 2^z |
//! | `/glyphs/{fontstack}/{start}-{end}.pbf` | 200 `application/x-protobuf` (first font of a comma-separated stack that exists); 400 for a malformed range (`start` a multiple of 256, `end` = `start`+255, ≤ 65535) or font name; 404 for an unknown font |
//! | `/sprites/sprite{,@2x}.{json,png}` | 200: a valid empty sprite (`{}` and a 1×1 transparent PNG). The style uses no icons and names no sprite; these exist so a style that does name one still loads |
//! | `/districts.geojson` | 200 `application/geo+json`: the city's areas file when one is given ([`MapServer::with_districts`]: real districts and streets), else the asset folder's `districts.geojson` |
//! | `/district-labels.geojson` | 200 `application/geo+json`: one Point per district at its `label` property, with its properties ([`label_points`]: one name per area, however many parts and tiles it spans) |
//! | anything else | 404 for an unknown well-formed path; 400 for a malformed one |
//!
//! Every response carries `Access-Control-Allow-Origin: *` (MapLibre fetches tiles from web workers).
//!
//! **Paths are untrusted.** A path is split on `/`, each segment percent-decoded once; a segment that is empty,
//! `.`/`..`, starts with `.`, or holds `/`, `\`, `:` or a control character after decoding makes the request
//! 400 — before any file is touched. Files are then read only after canonicalising and checking that the
//! result is still inside the canonical asset folder (so a symlink pointing out is refused too, 400). Tiles are
//! read only from the MBTiles, by integer key.

pub mod mvt;
pub mod style;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context;
use rusqlite::{Connection, OpenFlags, OptionalExtension};

/// A handler's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
    /// Extra headers (always includes `Access-Control-Allow-Origin: *`); `Content-Type` is in `content_type`.
    pub headers: Vec<(String, String)>,
}

impl Response {
    fn new(status: u16, content_type: &str, body: Vec<u8>) -> Response {
        Response {
            status,
            content_type: content_type.to_owned(),
            body,
            headers: vec![
                ("Access-Control-Allow-Origin".into(), "*".into()),
                // lets a page check the CORS header itself (the e2e window test does)
                (
                    "Access-Control-Expose-Headers".into(),
                    "Access-Control-Allow-Origin".into(),
                ),
                ("Cache-Control".into(), "no-cache".into()),
            ],
        }
    }

    fn text(status: u16, msg: &str) -> Response {
        Response::new(
            status,
            "text/plain; charset=utf-8",
            format!("{msg}\n").into_bytes(),
        )
    }

    /// The value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        if name.eq_ignore_ascii_case("content-type") {
            return Some(&self.content_type);
        }
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the MBTiles `metadata` table says about the tileset.
#[derive(Debug, Clone, PartialEq)]
pub struct TilesetInfo {
    pub minzoom: u8,
    pub maxzoom: u8,
    /// min lon, min lat, max lon, max lat
    pub bounds: [f64; 4],
    /// lon, lat
    pub center: [f64; 2],
    pub attribution: String,
}

/// The basemap and assets, ready to answer requests. `Sync`: one SQLite connection behind a mutex (tiles are a
/// primary-key lookup; the lock is held for microseconds).
pub struct MapServer {
    db: Mutex<Connection>,
    assets: PathBuf,
    /// Served as `/districts.geojson` instead of the asset folder's.
    districts: Option<PathBuf>,
    base_url: String,
    info: TilesetInfo,
}

const EMPTY_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00,
    0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00,
    0x00, 0x00, 0x0b, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0x00, 0x02, 0x00, 0x00, 0x05, 0x00,
    0x01, 0x7a, 0x5e, 0xab, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// Highest zoom a tile address may have at all (beyond it the request is malformed, 400).
pub const MAX_ZOOM_ADDRESS: u8 = 30;

impl MapServer {
    /// Opens `mbtiles` read-only and the asset folder `assets`; `base_url` (e.g. `citydeck-map://localhost` or
    /// `http://127.0.0.1:8765`) is what the style's URLs are built from.
    pub fn open(mbtiles: &Path, assets: &Path, base_url: &str) -> anyhow::Result<MapServer> {
        if !mbtiles.is_file() {
            anyhow::bail!(
                "no basemap at {} (`cargo xtask data` builds it)",
                mbtiles.display()
            );
        }
        let db = Connection::open_with_flags(
            mbtiles,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .with_context(|| format!("opening {}", mbtiles.display()))?;
        let info =
            read_info(&db).with_context(|| format!("reading the metadata of {}", mbtiles.display()))?;
        let assets = assets
            .canonicalize()
            .with_context(|| format!("the map asset folder {} is missing", assets.display()))?;
        Ok(MapServer {
            db: Mutex::new(db),
            assets,
            districts: None,
            base_url: base_url.trim_end_matches('/').to_owned(),
            info,
        })
    }

    /// Serves `file` (a city's `areas.geojson`, `cargo xtask city`) as `/districts.geojson` instead of the asset
    /// folder's. The file is read on each request, like the assets; a missing one answers 404.
    pub fn with_districts(mut self, file: Option<PathBuf>) -> MapServer {
        self.districts = file;
        self
    }

    pub fn info(&self) -> &TilesetInfo {
        &self.info
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The tile at XYZ address `z/x/y` as stored (gzip-compressed MVT), if any.
    pub fn tile_raw(&self, z: u8, x: u32, y: u32) -> anyhow::Result<Option<Vec<u8>>> {
        let tms_y = (1u64 << z) - 1 - u64::from(y);
        let db = self.db.lock().unwrap_or_else(|e| e.into_inner());
        let mut stmt = db.prepare_cached(
            "SELECT tile_data FROM tiles WHERE zoom_level = ?1 AND tile_column = ?2 AND tile_row = ?3",
        )?;
        Ok(stmt
            .query_row((i64::from(z), i64::from(x), tms_y as i64), |r| {
                r.get::<_, Vec<u8>>(0)
            })
            .optional()?)
    }

    /// Number of tiles stored per zoom level.
    pub fn tile_counts(&self) -> anyhow::Result<Vec<(u8, u64)>> {
        let db = self.db.lock().unwrap_or_else(|e| e.into_inner());
        let mut stmt = db.prepare("SELECT zoom_level, COUNT(*) FROM tiles GROUP BY zoom_level ORDER BY 1")?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, i64>(0)? as u8, r.get::<_, i64>(1)? as u64))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Answers one request for `path` (the URL path, percent-encoded, optionally with `?query`).
    pub fn handle(&self, path: &str) -> Response {
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let segments = match decode_segments(path) {
            Ok(s) => s,
            Err(why) => return Response::text(400, &format!("bad path: {why}")),
        };
        let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
        match segs.as_slice() {
            ["style.json"] => Response::new(
                200,
                "application/json",
                serde_json::to_vec(&style::style(&self.base_url, &self.info)).unwrap_or_default(),
            ),
            ["tiles", z, x, y] => self.tile(z, x, y),
            ["glyphs", fontstack, range] => self.glyphs(fontstack, range),
            ["sprites", name] => sprite(name),
            ["districts.geojson"] => self.districts(),
            ["district-labels.geojson"] => {
                let r = self.districts();
                if r.status != 200 {
                    return r;
                }
                match label_points(&r.body) {
                    Some(body) => Response::new(200, "application/geo+json", body),
                    None => Response::text(500, "the districts are not a GeoJSON FeatureCollection"),
                }
            }
            _ => Response::text(404, "not found"),
        }
    }

    fn tile(&self, z: &str, x: &str, y: &str) -> Response {
        let Some(y) = y.strip_suffix(".pbf") else {
            return Response::text(404, "tiles are /tiles/{z}/{x}/{y}.pbf");
        };
        let (Some(z), Some(x), Some(y)) = (number(z), number(x), number(y)) else {
            return Response::text(400, "bad tile address: z, x and y must be decimal numbers");
        };
        if z > u64::from(MAX_ZOOM_ADDRESS) || x >= 1u64 << z || y >= 1u64 << z {
            return Response::text(400, "bad tile address: z ≤ 30 and x, y < 2^z");
        }
        let z = z as u8;
        if z < self.info.minzoom || z > self.info.maxzoom {
            return Response::text(404, "no such zoom level in this tileset");
        }
        match self.tile_raw(z, x as u32, y as u32) {
            Ok(Some(raw)) => match gunzip(&raw) {
                Ok(mvt) => Response::new(200, "application/x-protobuf", mvt),
                Err(e) => Response::text(500, &format!("corrupt tile: {e}")),
            },
            Ok(None) => Response::new(204, "application/x-protobuf", Vec::new()),
            Err(e) => Response::text(500, &format!("reading the basemap: {e:#}")),
        }
    }

    fn glyphs(&self, fontstack: &str, range: &str) -> Response {
        let Some(range) = range.strip_suffix(".pbf") else {
            return Response::text(404, "glyphs are /glyphs/{fontstack}/{start}-{end}.pbf");
        };
        let ok_range = range
            .split_once('-')
            .and_then(|(a, b)| Some((number(a)?, number(b)?)));
        match ok_range {
            Some((a, b)) if a % 256 == 0 && b == a + 255 && b <= 65535 => {}
            _ => {
                return Response::text(
                    400,
                    "bad glyph range: {start}-{end} with start a multiple of 256, end = start + 255 ≤ 65535",
                )
            }
        }
        let fonts: Vec<&str> = fontstack.split(',').map(str::trim).collect();
        if fonts.iter().any(|f| {
            f.is_empty()
                || !f
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        }) {
            return Response::text(400, "bad font name");
        }
        let file = format!("{range}.pbf");
        for font in fonts {
            let r = self.asset_file(&["glyphs", font, &file], "application/x-protobuf");
            if r.status != 404 {
                return r;
            }
        }
        Response::text(404, "no such font")
    }

    /// The districts: the city's areas file, else the asset folder's `districts.geojson`.
    fn districts(&self) -> Response {
        match &self.districts {
            Some(file) => match std::fs::read(file) {
                Ok(body) => Response::new(200, "application/geo+json", body),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Response::text(404, "not found"),
                Err(e) => Response::text(500, &format!("reading {}: {e}", file.display())),
            },
            None => self.asset_file(&["districts.geojson"], "application/geo+json"),
        }
    }

    /// Reads `assets/<segments…>` if it is a file inside the asset folder (after resolving symlinks).
    fn asset_file(&self, segments: &[&str], content_type: &str) -> Response {
        let mut p = self.assets.clone();
        for s in segments {
            if !safe_segment(s) {
                return Response::text(400, "bad path");
            }
            p.push(s);
        }
        let real = match p.canonicalize() {
            Ok(r) => r,
            Err(_) => return Response::text(404, "not found"),
        };
        if !real.starts_with(&self.assets) {
            return Response::text(400, "bad path: outside the map assets");
        }
        if !real.is_file() {
            return Response::text(404, "not found");
        }
        match std::fs::read(&real) {
            Ok(body) => Response::new(200, content_type, body),
            Err(e) => Response::text(500, &format!("reading {}: {e}", real.display())),
        }
    }
}

/// One Point feature per district at its `label` property (`[lon, lat]`, where the map writes its name), with
/// its properties; districts without one are left out. `None` when `geojson` is not a FeatureCollection.
pub fn label_points(geojson: &[u8]) -> Option<Vec<u8>> {
    let v: serde_json::Value = serde_json::from_slice(geojson).ok()?;
    if v["type"] != "FeatureCollection" {
        return None;
    }
    let points: Vec<serde_json::Value> = v["features"]
        .as_array()?
        .iter()
        .filter_map(|f| {
            let label = f["properties"]["label"].as_array()?;
            let (x, y) = (label.first()?.as_f64()?, label.get(1)?.as_f64()?);
            Some(serde_json::json!({
                "type": "Feature",
                "properties": f["properties"],
                "geometry": { "type": "Point", "coordinates": [x, y] },
            }))
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({ "type": "FeatureCollection", "features": points })).ok()
}

fn sprite(name: &str) -> Response {
    match name {
        "sprite.json" | "sprite@2x.json" => Response::new(200, "application/json", b"{}".to_vec()),
        "sprite.png" | "sprite@2x.png" => Response::new(200, "image/png", EMPTY_PNG.to_vec()),
        _ => Response::text(404, "no such sprite"),
    }
}

/// A decimal number of at most 10 digits (no sign, no spaces).
fn number(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 10 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn safe_segment(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('.')
        && !s.chars().any(|c| matches!(c, '/' | '\\' | ':') || c.is_control())
}

/// Splits an absolute URL path into percent-decoded segments, refusing anything that could name another
/// folder once decoded.
pub fn decode_segments(path: &str) -> Result<Vec<String>, &'static str> {
    let Some(rest) = path.strip_prefix('/') else {
        return Err("not an absolute path");
    };
    if rest.is_empty() {
        return Err("empty path");
    }
    rest.split('/')
        .map(|raw| {
            let decoded = percent_encoding::percent_decode_str(raw)
                .decode_utf8()
                .map_err(|_| "not UTF-8 after percent-decoding")?;
            // a stray '%' not followed by two hex digits is kept by the decoder; refuse it
            if raw.match_indices('%').any(|(i, _)| {
                raw.as_bytes()
                    .get(i + 1..i + 3)
                    .is_none_or(|h| !h.iter().all(u8::is_ascii_hexdigit))
            }) {
                return Err("bad percent-encoding");
            }
            if !safe_segment(&decoded) {
                return Err("empty, dot or separator segment");
            }
            Ok(decoded.into_owned())
        })
        .collect()
}

/// Gunzips a tile; a tile that is not gzip-compressed is returned as is.
pub fn gunzip(raw: &[u8]) -> std::io::Result<Vec<u8>> {
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(raw.len() * 4);
        std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(raw), &mut out)?;
        Ok(out)
    } else {
        Ok(raw.to_vec())
    }
}

fn read_info(db: &Connection) -> anyhow::Result<TilesetInfo> {
    let get = |name: &str| -> anyhow::Result<Option<String>> {
        Ok(db
            .query_row("SELECT value FROM metadata WHERE name = ?1", [name], |r| {
                r.get::<_, String>(0)
            })
            .optional()?)
    };
    let nums = |s: Option<String>| -> Vec<f64> {
        s.unwrap_or_default()
            .split(',')
            .filter_map(|v| v.trim().parse().ok())
            .collect()
    };
    let minzoom = get("minzoom")?.and_then(|v| v.parse().ok()).unwrap_or(0);
    let maxzoom = get("maxzoom")?.and_then(|v| v.parse().ok()).unwrap_or(14);
    let b = nums(get("bounds")?);
    let bounds = if b.len() == 4 {
        [b[0], b[1], b[2], b[3]]
    } else {
        [-180.0, -85.0511, 180.0, 85.0511]
    };
    let c = nums(get("center")?);
    let center = if c.len() >= 2 {
        [c[0], c[1]]
    } else {
        [(bounds[0] + bounds[2]) / 2.0, (bounds[1] + bounds[3]) / 2.0]
    };
    let attribution = get("attribution")?.unwrap_or_else(|| "© OpenStreetMap contributors".into());
    Ok(TilesetInfo {
        minzoom: minzoom.min(MAX_ZOOM_ADDRESS),
        maxzoom: maxzoom.min(MAX_ZOOM_ADDRESS),
        bounds,
        center,
        attribution,
    })
}

#[cfg(test)]
mod tests;

/// The XYZ tile column and row holding `lon`/`lat` at zoom `z` (Web Mercator; latitudes beyond ±85.05° clamp).
pub fn tile_of(lon: f64, lat: f64, z: u8) -> (u32, u32) {
    let n = f64::from(1u32 << z);
    let lat = lat.clamp(-85.051_128, 85.051_128).to_radians();
    let x = ((lon.clamp(-180.0, 180.0) + 180.0) / 360.0 * n).floor();
    let y = ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor();
    let max = n - 1.0;
    (x.clamp(0.0, max) as u32, y.clamp(0.0, max) as u32)
}

/// Copies the tiles of `src` that cover `bounds` (west, south, east, north in degrees), at every zoom, into a new
/// MBTiles file `out` (which must not exist), with the source's metadata and `bounds` narrowed to the area.
/// Returns the tiles copied per zoom.
pub fn extract_area(src: &Path, bounds: [f64; 4], out: &Path) -> anyhow::Result<Vec<(u8, u64)>> {
    let [west, south, east, north] = bounds;
    if !(west < east && south < north && bounds.iter().all(|v| v.is_finite())) {
        anyhow::bail!("the area {bounds:?} is empty: it must be west < east and south < north");
    }
    if out.exists() {
        anyhow::bail!("{} exists already", out.display());
    }
    let from = Connection::open_with_flags(src, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("opening {}", src.display()))?;
    let info = read_info(&from).with_context(|| format!("reading the metadata of {}", src.display()))?;
    let mut to = Connection::open(out).with_context(|| format!("creating {}", out.display()))?;
    let tx = to.transaction()?;
    tx.execute_batch(
        "CREATE TABLE metadata (name TEXT, value TEXT, UNIQUE (name));
         CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB,
                             UNIQUE (zoom_level, tile_column, tile_row));",
    )?;
    {
        let mut meta = from.prepare("SELECT name, value FROM metadata")?;
        let mut put = tx.prepare("INSERT INTO metadata (name, value) VALUES (?1, ?2)")?;
        let rows = meta.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        for row in rows {
            let (name, value) = row?;
            let value = if name == "bounds" {
                let [w, s, e, n] = info.bounds;
                format!(
                    "{},{},{},{}",
                    w.max(west),
                    s.max(south),
                    e.min(east),
                    n.min(north)
                )
            } else {
                value
            };
            put.execute((name, value))?;
        }
    }
    let mut counts = Vec::new();
    {
        let mut get = from.prepare(
            "SELECT tile_column, tile_row, tile_data FROM tiles
             WHERE zoom_level = ?1 AND tile_column BETWEEN ?2 AND ?3 AND tile_row BETWEEN ?4 AND ?5",
        )?;
        let mut put = tx.prepare(
            "INSERT INTO tiles (zoom_level, tile_column, tile_row, tile_data) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for z in info.minzoom..=info.maxzoom {
            let (x0, y0) = tile_of(west, north, z);
            let (x1, y1) = tile_of(east, south, z);
            let last = (1i64 << z) - 1;
            // MBTiles rows count from the south (TMS).
            let (r0, r1) = (last - i64::from(y1), last - i64::from(y0));
            let mut rows = get.query((i64::from(z), i64::from(x0), i64::from(x1), r0, r1))?;
            let mut n = 0u64;
            while let Some(r) = rows.next()? {
                put.execute((
                    i64::from(z),
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get_ref(2)?.as_bytes()?,
                ))?;
                n += 1;
            }
            counts.push((z, n));
        }
    }
    tx.commit()
        .with_context(|| format!("writing {}", out.display()))?;
    Ok(counts)
}
