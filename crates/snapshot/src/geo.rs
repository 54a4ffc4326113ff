//! Web Mercator (EPSG:3857) arithmetic: the bounding box of a snapshot, the pixel viewport it is drawn into, and
//! the XYZ tile grid the basemap tiles come from. Pure functions, no I/O.

use std::fmt;
use std::str::FromStr;

/// The latitude limit of Web Mercator (the square world): `atan(sinh(pi))` in degrees.
pub const MAX_LAT: f64 = 85.051_128_779_806_59;

/// Why a bounding box was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum BboxError {
    /// Not four comma-separated numbers.
    Format(String),
    /// A value is not a finite number in range (names it).
    Range(String),
    /// min is not strictly below max on an axis.
    Empty(String),
}

impl fmt::Display for BboxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BboxError::Format(m) | BboxError::Range(m) | BboxError::Empty(m) => {
                write!(f, "bad bbox: {m}")
            }
        }
    }
}

impl std::error::Error for BboxError {}

/// A geographic bounding box in WGS84 degrees, `minlon,minlat,maxlon,maxlat` (the order of `--bbox`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bbox {
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
}

impl Bbox {
    /// Checks the ranges (lon −180..180, lat within Web Mercator's ±85.0511) and that the box is not empty.
    pub fn new(min_lon: f64, min_lat: f64, max_lon: f64, max_lat: f64) -> Result<Self, BboxError> {
        for (name, v, lim) in [
            ("minlon", min_lon, 180.0),
            ("minlat", min_lat, MAX_LAT),
            ("maxlon", max_lon, 180.0),
            ("maxlat", max_lat, MAX_LAT),
        ] {
            if !v.is_finite() || v.abs() > lim {
                return Err(BboxError::Range(format!("{name} = {v} is outside -{lim}..{lim}")));
            }
        }
        if min_lon >= max_lon {
            return Err(BboxError::Empty(format!(
                "minlon {min_lon} must be less than maxlon {max_lon}"
            )));
        }
        if min_lat >= max_lat {
            return Err(BboxError::Empty(format!(
                "minlat {min_lat} must be less than maxlat {max_lat}"
            )));
        }
        Ok(Self {
            min_lon,
            min_lat,
            max_lon,
            max_lat,
        })
    }

    /// Whether a point lies inside (edges included).
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        (self.min_lon..=self.max_lon).contains(&lon) && (self.min_lat..=self.max_lat).contains(&lat)
    }
}

impl FromStr for Bbox {
    type Err = BboxError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        if parts.len() != 4 {
            return Err(BboxError::Format(format!(
                "expected minlon,minlat,maxlon,maxlat (4 numbers), got {} part(s) in {s:?}",
                parts.len()
            )));
        }
        let mut v = [0.0f64; 4];
        for (i, (p, name)) in parts
            .iter()
            .zip(["minlon", "minlat", "maxlon", "maxlat"])
            .enumerate()
        {
            v[i] = p
                .parse::<f64>()
                .map_err(|_| BboxError::Format(format!("{name} {p:?} is not a number")))?;
        }
        Bbox::new(v[0], v[1], v[2], v[3])
    }
}

/// Longitude/latitude to normalised Web Mercator world coordinates: x and y in 0..1, (0,0) the north-west corner
/// of the world square, y growing southwards (the XYZ tile convention). Latitude is clamped to ±[`MAX_LAT`].
pub fn lonlat_to_world(lon: f64, lat: f64) -> (f64, f64) {
    let lat = lat.clamp(-MAX_LAT, MAX_LAT).to_radians();
    let x = (lon + 180.0) / 360.0;
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0;
    (x, y)
}

/// The inverse of [`lonlat_to_world`].
pub fn world_to_lonlat(x: f64, y: f64) -> (f64, f64) {
    let lon = x * 360.0 - 180.0;
    let n = std::f64::consts::PI * (1.0 - 2.0 * y);
    let lat = n.sinh().atan().to_degrees();
    (lon, lat)
}

/// The XYZ tile (x, y) containing a point at zoom `z` (y from the north, as in `/{z}/{x}/{y}` URLs).
pub fn tile_of(lon: f64, lat: f64, z: u8) -> (u32, u32) {
    let n = f64::from(1u32 << z);
    let (x, y) = lonlat_to_world(lon, lat);
    let max = (1u32 << z) - 1;
    (
        ((x * n).floor().max(0.0) as u32).min(max),
        ((y * n).floor().max(0.0) as u32).min(max),
    )
}

/// The XYZ tiles covering a bbox at zoom `z`: inclusive ranges of x and y.
pub fn tile_range(b: &Bbox, z: u8) -> (std::ops::RangeInclusive<u32>, std::ops::RangeInclusive<u32>) {
    let (x0, y0) = tile_of(b.min_lon, b.max_lat, z);
    let (x1, y1) = tile_of(b.max_lon, b.min_lat, z);
    (x0..=x1, y0..=y1)
}

/// The zoom at which the bbox is about `width_px` wide with tiles of `tile_px` pixels, clamped to
/// `min_zoom..=max_zoom` (the zoom levels the tile set has).
pub fn zoom_for_width(b: &Bbox, width_px: u32, tile_px: u32, min_zoom: u8, max_zoom: u8) -> u8 {
    let (x0, _) = lonlat_to_world(b.min_lon, 0.0);
    let (x1, _) = lonlat_to_world(b.max_lon, 0.0);
    let span = (x1 - x0).max(1e-12);
    // width_px = span * 2^z * tile_px  =>  z = log2(width_px / (span * tile_px))
    let z = (f64::from(width_px) / (span * f64::from(tile_px))).log2().round();
    (z.clamp(0.0, 30.0) as u8).clamp(min_zoom, max_zoom.max(min_zoom))
}

/// A bbox drawn into a `width` × `height` pixel image (Web Mercator, north up). Pixel (0,0) is the top-left
/// corner of the top-left pixel; a point at pixel coordinates (px, py) falls in pixel
/// (`px.floor()`, `py.floor()`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Viewport {
    pub bbox: Bbox,
    pub width: u32,
    pub height: u32,
    // World coordinates of the corners.
    wx0: f64,
    wy0: f64,
    wx1: f64,
    wy1: f64,
}

impl Viewport {
    /// A viewport of exactly `width` × `height` pixels (the image may be stretched if their ratio is not that of
    /// the bbox; see [`Viewport::fit_width`]).
    pub fn new(bbox: Bbox, width: u32, height: u32) -> Self {
        let (wx0, wy0) = lonlat_to_world(bbox.min_lon, bbox.max_lat);
        let (wx1, wy1) = lonlat_to_world(bbox.max_lon, bbox.min_lat);
        Self {
            bbox,
            width: width.max(1),
            height: height.max(1),
            wx0,
            wy0,
            wx1,
            wy1,
        }
    }

    /// A viewport `width` pixels wide whose height keeps the bbox's Mercator aspect ratio (no distortion).
    pub fn fit_width(bbox: Bbox, width: u32) -> Self {
        let v = Self::new(bbox, width, 1);
        let aspect = (v.wy1 - v.wy0) / (v.wx1 - v.wx0);
        let height = (f64::from(width) * aspect).round().clamp(1.0, 16_384.0) as u32;
        Self::new(bbox, width, height)
    }

    /// Lon/lat to pixel coordinates (fractional; may lie outside the image for points outside the bbox).
    pub fn project(&self, lon: f64, lat: f64) -> (f64, f64) {
        let (x, y) = lonlat_to_world(lon, lat);
        (
            (x - self.wx0) / (self.wx1 - self.wx0) * f64::from(self.width),
            (y - self.wy0) / (self.wy1 - self.wy0) * f64::from(self.height),
        )
    }

    /// Pixel coordinates back to lon/lat.
    pub fn unproject(&self, px: f64, py: f64) -> (f64, f64) {
        let x = self.wx0 + px / f64::from(self.width) * (self.wx1 - self.wx0);
        let y = self.wy0 + py / f64::from(self.height) * (self.wy1 - self.wy0);
        world_to_lonlat(x, y)
    }

    /// The pixel a point falls in, if it is inside the image.
    pub fn pixel(&self, lon: f64, lat: f64) -> Option<(u32, u32)> {
        let (px, py) = self.project(lon, lat);
        if px < 0.0 || py < 0.0 || px >= f64::from(self.width) || py >= f64::from(self.height) {
            return None;
        }
        Some((px.floor() as u32, py.floor() as u32))
    }
}
