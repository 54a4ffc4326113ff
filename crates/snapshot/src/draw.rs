//! Compositing incident markers onto a picture of the area (the basemap, or a plain background).

use image::{Rgba, RgbaImage};

use crate::geo::Viewport;
use crate::incidents::{Grade, GradeColour, Incident};

/// The plain background used when there is no basemap: the cockpit's dark navy.
pub const BACKGROUND: [u8; 4] = [0x1b, 0x23, 0x30, 0xff];
/// The ring around every marker, so it reads on any basemap.
pub const RING: [u8; 4] = [0xff, 0xff, 0xff, 0xff];
/// The thin dark edge outside the ring.
pub const EDGE: [u8; 4] = [0x10, 0x10, 0x10, 0xff];

/// Marker geometry in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MarkerStyle {
    /// Radius of the coloured disc.
    pub radius: f64,
    /// Width of the white ring around it.
    pub ring: f64,
    /// Width of the dark edge outside the ring.
    pub edge: f64,
}

impl Default for MarkerStyle {
    fn default() -> Self {
        Self {
            radius: 7.0,
            ring: 2.0,
            edge: 1.0,
        }
    }
}

/// What [`draw_markers`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DrawReport {
    /// Markers whose centre is inside the image.
    pub drawn: usize,
    /// Incidents outside the area (not drawn).
    pub outside: usize,
}

/// A `width` × `height` image filled with [`BACKGROUND`].
pub fn plain_background(width: u32, height: u32) -> RgbaImage {
    RgbaImage::from_pixel(width.max(1), height.max(1), Rgba(BACKGROUND))
}

/// Draws one marker per incident whose position falls inside the image, most severe last (on top): a disc in
/// the grade colour, a white ring and a dark edge. A pixel belongs to a shape when its centre does (no
/// anti-aliasing, so colours are exact).
pub fn draw_markers(
    img: &mut RgbaImage,
    viewport: &Viewport,
    incidents: &[Incident],
    style: MarkerStyle,
) -> DrawReport {
    let mut order: Vec<&Incident> = incidents.iter().collect();
    // By severity, IV first … I last, so grade I is on top; stable, so the input order decides within a grade.
    order.sort_by_key(|i| i.grade);
    let mut report = DrawReport::default();
    let (w, h) = (img.width(), img.height());
    for inc in order {
        let (cx, cy) = viewport.project(inc.lon, inc.lat);
        if !(cx >= 0.0 && cy >= 0.0 && cx < f64::from(w) && cy < f64::from(h)) {
            report.outside += 1;
            continue;
        }
        report.drawn += 1;
        draw_marker(img, cx, cy, inc.grade, style);
    }
    report
}

/// Draws one marker centred at pixel coordinates (`cx`, `cy`).
pub fn draw_marker(img: &mut RgbaImage, cx: f64, cy: f64, grade: Grade, style: MarkerStyle) {
    let [r, g, b] = grade.rgb();
    let fill = [r, g, b, 0xff];
    let outer = style.radius + style.ring + style.edge;
    let (w, h) = (i64::from(img.width()), i64::from(img.height()));
    let x0 = ((cx - outer).floor() as i64).max(0);
    let x1 = ((cx + outer).ceil() as i64).min(w - 1);
    let y0 = ((cy - outer).floor() as i64).max(0);
    let y1 = ((cy + outer).ceil() as i64).min(h - 1);
    for y in y0..=y1 {
        for x in x0..=x1 {
            let dx = x as f64 + 0.5 - cx;
            let dy = y as f64 + 0.5 - cy;
            let d = (dx * dx + dy * dy).sqrt();
            let colour = if d <= style.radius {
                fill
            } else if d <= style.radius + style.ring {
                RING
            } else if d <= outer {
                EDGE
            } else {
                continue;
            };
            img.put_pixel(x as u32, y as u32, Rgba(colour));
        }
    }
}
