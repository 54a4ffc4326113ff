//! The schematic map, the [`MapEngine`] used where MapLibre GL JS cannot run (no WebGL, no vendored script, or
//! `?map=schematic`): the city's bbox as a framed, true-aspect area with a graticule and range rings, and every
//! open incident the map feed holds as a dot placed by lon/lat in grade colour, over its area when it has one (a
//! CAP alert's outline, translucent in the grade's colour).
//!
//! In wartime with a focus, the view zooms onto the triggering incident instead: a square around it with 500 m /
//! 1 km range rings, the incident as a large pulsing marker, and the nearby response resources as small icons
//! (rescue: red square with a cross, medical: green, shelter: blue triangle).
//!
//! Clicking a dot (or the focus marker) selects its incident for the detail panel, and the selected one is
//! ringed; while the report form is open, a click picks the new incident's location instead. Incidents created
//! here and not yet confirmed by the hub are drawn hollow. Fed and driven like the MapLibre engine
//! ([`super::drive`]): `map_delta` diffs, the selection, the focus, the pick mode.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use citydeck_protocol::ipc::{MapDelta, MapPoint, WartimeFocus};
use citydeck_protocol::Grade;
use leptos::prelude::*;
use uuid::Uuid;
use wasm_bindgen::JsCast;

use super::points::{short_name, FOCUS_RINGS_KM, KM_PER_DEG_LAT};
use super::{drive, EngineSlot, FocusLegend, MapEngine, MapLayer, MapUi};
use crate::css::grade_css;
use crate::i18n::{self, cockpit_strings};
use crate::state::AppState;
use crate::wartime::focus_memo;

/// Dots drawn at most (most severe first, then the most recently changed): the schematic view is one DOM node
/// per dot, and it stands in for the map on a machine without WebGL.
pub const MAX_DOTS: usize = 2000;

/// The focus view shows at least the 1 km ring with a margin, and at most this far (farther resources are only
/// listed).
const FOCUS_MIN_HALF_KM: f64 = 1.1;
const FOCUS_MAX_HALF_KM: f64 = 3.0;
/// How much farther the focus view reaches to the south-west than to the north-east (see [`Frame::around`]).
const FOCUS_SW_STRETCH: f64 = 1.45;

/// Equirectangular projection of the city bbox, corrected for latitude.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Frame {
    west: f64,
    south: f64,
    east: f64,
    north: f64,
}

impl Frame {
    fn from_bbox([west, south, east, north]: [f64; 4]) -> Option<Self> {
        (east > west && north > south && [west, south, east, north].iter().all(|v| v.is_finite())).then_some(
            Frame {
                west,
                south,
                east,
                north,
            },
        )
    }

    fn cos_lat(&self) -> f64 {
        ((self.south + self.north) / 2.0).to_radians().cos().max(0.05)
    }

    fn width_km(&self) -> f64 {
        (self.east - self.west) * KM_PER_DEG_LAT * self.cos_lat()
    }

    fn height_km(&self) -> f64 {
        (self.north - self.south) * KM_PER_DEG_LAT
    }

    /// A square around a point: `half_km` to the north and east, `half_km * FOCUS_SW_STRETCH` to the south and
    /// west, so the point sits up and right of the centre and the nearby-resources card over the bottom-left of
    /// the map covers the far side (None for a point that is not a coordinate).
    fn around(lon: f64, lat: f64, half_km: f64) -> Option<Self> {
        if !(lon.is_finite() && lat.is_finite() && lat.abs() < 89.0 && half_km > 0.0) {
            return None;
        }
        let dlat = half_km / KM_PER_DEG_LAT;
        let dlon = half_km / (KM_PER_DEG_LAT * lat.to_radians().cos().max(0.05));
        Some(Frame {
            west: lon - dlon * FOCUS_SW_STRETCH,
            south: lat - dlat * FOCUS_SW_STRETCH,
            east: lon + dlon,
            north: lat + dlat,
        })
    }

    /// The square around a wartime focus: its 1 km ring and every nearby resource within [`FOCUS_MAX_HALF_KM`].
    fn around_focus(f: &WartimeFocus) -> Option<Self> {
        let (lon0, lat0) = (f.incident.location.lon, f.incident.location.lat);
        let cos = lat0.to_radians().cos().max(0.05);
        let far = f
            .nearby
            .iter()
            .filter(|r| r.lon.is_finite() && r.lat.is_finite())
            .map(|r| ((r.lon - lon0).abs() * KM_PER_DEG_LAT * cos).max((r.lat - lat0).abs() * KM_PER_DEG_LAT))
            .fold(0.0, f64::max);
        Frame::around(
            lon0,
            lat0,
            (far * 1.15).clamp(FOCUS_MIN_HALF_KM, FOCUS_MAX_HALF_KM),
        )
    }

    /// Width / height of the frame on screen.
    fn aspect(&self) -> f64 {
        self.width_km() / self.height_km()
    }

    /// The coordinate at a position in percent of the frame (the inverse of [`Frame::place`]).
    fn unplace(&self, x_pct: f64, y_pct: f64) -> (f64, f64) {
        (
            self.west + x_pct / 100.0 * (self.east - self.west),
            self.north - y_pct / 100.0 * (self.north - self.south),
        )
    }

    /// Position in percent of the frame (x from the west edge, y from the north edge), None outside the bbox.
    fn place(&self, lon: f64, lat: f64) -> Option<(f64, f64)> {
        let x = (lon - self.west) / (self.east - self.west) * 100.0;
        let y = (self.north - lat) / (self.north - self.south) * 100.0;
        ((0.0..=100.0).contains(&x) && (0.0..=100.0).contains(&y)).then_some((x, y))
    }
}

/// An outline ring as the SVG `points` of a polygon in a `vb_w` × `vb_h` view box over `frame` (the part
/// outside the frame is clipped by the SVG).
fn svg_points(frame: &Frame, ring: &[[f64; 2]], vb_w: f64, vb_h: f64) -> String {
    let mut out = String::with_capacity(ring.len() * 16);
    for (k, [lon, lat]) in ring.iter().enumerate() {
        let x = (lon - frame.west) / (frame.east - frame.west) * vb_w;
        let y = (frame.north - lat) / (frame.north - frame.south) * vb_h;
        if k > 0 {
            out.push(' ');
        }
        out.push_str(&format!("{x:.2},{y:.2}"));
    }
    out
}

/// A "nice" graticule step (1, 2 or 5 × 10ⁿ degrees) giving roughly `target` lines across `span`.
fn nice_step(span: f64, target: f64) -> f64 {
    let raw = span / target;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let nice = if norm < 1.5 {
        1.0
    } else if norm < 3.5 {
        2.0
    } else if norm < 7.5 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

fn ticks(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let mut v = Vec::new();
    let mut x = (lo / step).ceil() * step;
    while x <= hi + step * 1e-9 && v.len() < 64 {
        if x > lo + step * 1e-6 && x < hi - step * 1e-6 {
            v.push(x);
        }
        x += step;
    }
    v
}

fn decimals(step: f64) -> usize {
    (-step.log10().floor()).max(0.0) as usize
}

/// The area around a wartime focus the map shows (west, south, east, north): the 1 km ring and the nearby
/// resources, the incident up and right of the centre (the nearby-resources card covers the bottom left).
pub(crate) fn focus_bounds(f: &WartimeFocus) -> Option<[f64; 4]> {
    Frame::around_focus(f).map(|fr| [fr.west, fr.south, fr.east, fr.north])
}

/// What the map area shows: the city, or the square around a wartime focus.
#[derive(Clone, Copy, Debug, PartialEq)]
struct View {
    frame: Frame,
    /// The focus incident's lon/lat in the focus view.
    focus_at: Option<(f64, f64)>,
}

/// What the engine was told to show; the view draws from these.
#[derive(Clone, Copy)]
struct Shown {
    /// The open incidents of the map feed, by id.
    points: RwSignal<HashMap<Uuid, MapPoint>>,
    /// Incidents created here that the hub has not confirmed.
    pending: RwSignal<Vec<MapPoint>>,
    selected: RwSignal<Option<Uuid>>,
    focus: RwSignal<Option<WartimeFocus>>,
    /// The city's bbox (west, south, east, north).
    city: RwSignal<Option<[f64; 4]>>,
    /// The report form is open (a click picks), and the point picked.
    picking: RwSignal<(bool, Option<(f64, f64)>)>,
    incidents_on: RwSignal<bool>,
    /// The incident last selected by a click on this view.
    map_click: StoredValue<Option<Uuid>>,
}

impl Shown {
    fn new() -> Self {
        Shown {
            points: RwSignal::new(HashMap::new()),
            pending: RwSignal::new(Vec::new()),
            selected: RwSignal::new(None),
            focus: RwSignal::new(None),
            city: RwSignal::new(None),
            picking: RwSignal::new((false, None)),
            incidents_on: RwSignal::new(MapLayer::Incidents.default_on()),
            map_click: StoredValue::new(None),
        }
    }
}

/// Sets `signal` to `value` unless it holds it already (no redraw for a repeated wish).
fn set_if_changed<T: PartialEq + Send + Sync + 'static>(signal: RwSignal<T>, value: T) {
    if signal.with_untracked(|v| *v != value) {
        signal.set(value);
    }
}

/// One `map_delta` answer applied to the points held: a full answer replaces them all, an older copy of a point
/// never replaces a newer one, and a point without a position is left out.
fn apply(points: &mut HashMap<Uuid, MapPoint>, delta: MapDelta) {
    if delta.full {
        points.clear();
    }
    for p in delta.upserts {
        let placed = p.lon.is_finite() && p.lat.is_finite();
        if placed && points.get(&p.id).is_none_or(|old| old.seq <= p.seq) {
            points.insert(p.id, p);
        }
    }
    for id in &delta.removed {
        points.remove(id);
    }
}

/// The schematic view as a [`MapEngine`]: every wish becomes a signal the view draws from.
struct SchematicEngine {
    shown: Shown,
}

impl MapEngine for SchematicEngine {
    fn apply_delta(&self, delta: MapDelta) {
        self.shown.points.update(|p| apply(p, delta));
    }

    fn set_selection(&self, id: Option<Uuid>, _at: Option<(f64, f64)>) {
        set_if_changed(self.shown.selected, id);
    }

    /// The view always shows the whole city (or the square around a wartime focus): nothing to fly to.
    fn fly_to(&self, _lon: f64, _lat: f64) {}

    fn fit_city(&self, bbox: [f64; 4]) {
        set_if_changed(self.shown.city, Some(bbox));
    }

    fn set_focus(&self, focus: Option<&WartimeFocus>) {
        set_if_changed(self.shown.focus, focus.cloned());
    }

    fn set_picking(&self, picking: bool, picked: Option<(f64, f64)>) {
        set_if_changed(self.shown.picking, (picking, picked));
    }

    /// Only the incidents are drawn here; the other layers have nothing to hide.
    fn set_layer_visible(&self, layer: MapLayer, visible: bool) {
        if layer == MapLayer::Incidents {
            set_if_changed(self.shown.incidents_on, visible);
        }
    }

    fn set_pending(&self, points: &[MapPoint], _tag: &str) {
        set_if_changed(self.shown.pending, points.to_vec());
    }

    fn position_of(&self, id: Uuid) -> Option<(f64, f64)> {
        self.shown
            .points
            .with_untracked(|p| p.get(&id).map(|p| (p.lon, p.lat)))
    }

    fn take_map_click(&self, id: Uuid) -> bool {
        let clicked = self.shown.map_click.get_value() == Some(id);
        if clicked {
            self.shown.map_click.set_value(None);
        }
        clicked
    }

    fn destroy(&self) {}
}

/// A dot of the view: an incident of the feed, marked when this desktop has pending actions on it, hollow when
/// it was created here and is not confirmed yet.
#[derive(Clone, Debug, PartialEq)]
struct Dot {
    point: MapPoint,
    pending: bool,
    unconfirmed: bool,
}

/// The dots to draw, at most [`MAX_DOTS`] (the most severe, then the most recently changed), in drawing order:
/// the most severe last, so they are on top.
fn dots_to_draw(mut dots: Vec<Dot>) -> Vec<Dot> {
    dots.sort_by_key(|d| (std::cmp::Reverse(d.point.grade), std::cmp::Reverse(d.point.seq)));
    dots.truncate(MAX_DOTS);
    dots.reverse();
    dots
}

#[component]
pub fn SchematicMap() -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let shown = Shown::new();
    {
        let engine: Rc<dyn MapEngine> = Rc::new(SchematicEngine { shown });
        let slot: EngineSlot = Rc::new(std::cell::RefCell::new(Some(engine.clone())));
        let ui = MapUi::new();
        ui.ready.set(true);
        super::start_feed(engine);
        drive(slot, state, ui);
    }
    let focus = focus_memo(state);
    let view_memo = Memo::new(move |_| {
        let focused = shown.focus.with(|f| {
            f.as_ref().and_then(|f| {
                let at = (f.incident.location.lon, f.incident.location.lat);
                Frame::around_focus(f).map(|frame| View {
                    frame,
                    focus_at: Some(at),
                })
            })
        });
        focused.or_else(|| {
            shown.city.get().and_then(Frame::from_bbox).map(|frame| View {
                frame,
                focus_at: None,
            })
        })
    });
    let focused = move || view_memo.with(|v| v.is_some_and(|v| v.focus_at.is_some()));
    let heading = Memo::new(move |_| {
        let on_focus = focused();
        focus.with(|f| super::heading(state, f.as_ref().filter(|_| on_focus)))
    });
    let title = move || heading.with(|h| h.0);
    let subtitle = move || heading.with(|h| h.1.clone());
    let grade_count = move |g: Grade| shown.points.with(|p| p.values().filter(|p| p.grade == g).count());

    view! {
        <div class="map-ph" class=("map-ph--focus", focused)>
            <div class="map-ph-stage">
                {move || {
                    view_memo.get().map(|v| view! { <MapFrame shown=shown frame=v.frame focus_at=v.focus_at /> })
                }}
            </div>
            <div class="map-ph-title">
                <div class="map-ph-title-main">{title}</div>
                <super::TitleSub text=Signal::derive(subtitle) focused=Signal::derive(focused) />
                <div class="map-ph-note">{move || cockpit_strings(lang.get()).schematic_note}</div>
            </div>
            <Show when=move || !focused()>
                <crate::drill::AreaPanel />
            </Show>
            <Show
                when=focused
                fallback=move || {
                    view! {
                        <div class="map-ph-legend">
                            <div class="map-ph-legend-title">{move || cockpit_strings(lang.get()).map_legend}</div>
                            {Grade::ALL
                                .into_iter()
                                .map(|g| {
                                    view! {
                                        <div class=format!("legend-item {}", grade_css(g))>
                                            <span class="legend-dot"></span>
                                            <span class="legend-label">{move || i18n::grade_label(lang.get(), g)}</span>
                                            <span class="legend-num">{move || grade_count(g)}</span>
                                        </div>
                                    }
                                })
                                .collect_view()}
                        </div>
                    }
                }
            >
                <FocusLegend />
            </Show>
        </div>
    }
}

#[component]
fn MapFrame(shown: Shown, frame: Frame, focus_at: Option<(f64, f64)>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let focus = shown.focus;
    let focused = focus_at.is_some();
    // Where the rings are centred, in percent of the frame: the focus, or the frame's centre.
    let (cx_pct, cy_pct) = focus_at
        .and_then(|(lon, lat)| frame.place(lon, lat))
        .unwrap_or((50.0, 50.0));
    let vb_w = 1000.0;
    let vb_h = vb_w / frame.aspect();
    let lon_step = nice_step(frame.east - frame.west, 8.0);
    let lat_step = nice_step(frame.north - frame.south, 5.0);
    let lon_ticks = ticks(frame.west, frame.east, lon_step);
    let lat_ticks = ticks(frame.south, frame.north, lat_step);
    let (lon_dec, lat_dec) = (decimals(lon_step), decimals(lat_step));
    let px_per_km = vb_w / frame.width_km();
    // Range rings every 1, 2 or 5 km, up to the frame's half-diagonal; around a focus (which is the frame's
    // centre) 500 m and 1 km.
    let ring_step = nice_step(frame.width_km().min(frame.height_km()) / 2.0, 2.0);
    let half_diag = (frame.width_km().powi(2) + frame.height_km().powi(2)).sqrt() / 2.0;
    let rings: Vec<f64> = if focused {
        FOCUS_RINGS_KM.to_vec()
    } else {
        (1..=8)
            .map(|k| k as f64 * ring_step)
            .filter(|r| *r < half_diag)
            .collect()
    };
    let (cx, cy) = (vb_w * cx_pct / 100.0, vb_h * cy_pct / 100.0);
    let scale_km = if focused { FOCUS_RINGS_KM[0] } else { ring_step };
    let scale_pct = scale_km / frame.width_km() * 100.0;
    let km_label = |km: f64| {
        if km < 1.0 {
            format!("{:.0} m", km * 1000.0)
        } else {
            format!("{km} km")
        }
    };

    let grid = {
        let mut lines = Vec::new();
        for lon in &lon_ticks {
            let x = (lon - frame.west) / (frame.east - frame.west) * vb_w;
            lines.push(view! { <line class="grat" x1=x y1=0.0 x2=x y2=vb_h /> });
        }
        for lat in &lat_ticks {
            let y = (frame.north - lat) / (frame.north - frame.south) * vb_h;
            lines.push(view! { <line class="grat" x1=0.0 y1=y x2=vb_w y2=y /> });
        }
        lines
    };
    let ring_views = rings
        .iter()
        .map(|r| {
            let rr = r * px_per_km;
            view! { <circle class="ring" class=("ring--focus", focused) cx=cx cy=cy r=rr /> }
        })
        .collect_view();
    let ring_labels = rings
        .iter()
        .filter_map(|r| {
            let x = cx_pct + r * px_per_km / vb_w * 100.0;
            (x < 97.0).then(|| {
                view! {
                    <span
                        class="ring-label"
                        class=("ring-label--focus", focused)
                        style=format!("left:{x:.2}%;top:{cy_pct:.2}%")
                    >
                        {km_label(*r)}
                    </span>
                }
            })
        })
        .collect_view();
    let lon_labels = lon_ticks
        .iter()
        .map(|lon| {
            let x = (lon - frame.west) / (frame.east - frame.west) * 100.0;
            view! {
                <span class="grat-label grat-lon" style=format!("left:{x:.2}%")>
                    {format!("{lon:.lon_dec$}°E")}
                </span>
            }
        })
        .collect_view();
    let lat_labels = lat_ticks
        .iter()
        .map(|lat| {
            let y = (frame.north - lat) / (frame.north - frame.south) * 100.0;
            view! {
                <span class="grat-label grat-lat" style=format!("top:{y:.2}%")>
                    {format!("{lat:.lat_dec$}°N")}
                </span>
            }
        })
        .collect_view();

    // Incidents with pending actions of this desktop (drawn marked), created here and unconfirmed (hollow).
    let touched = Memo::new(move |_| {
        state
            .pending_entries()
            .iter()
            .filter_map(|e| crate::overlay::subject(&e.op))
            .collect::<HashSet<Uuid>>()
    });
    let focus_id = move || focus.with(|f| f.as_ref().filter(|_| focused).map(|f| f.incident.id));
    let dots = move || {
        if !shown.incidents_on.get() {
            return Vec::new();
        }
        let skip = focus_id();
        touched.with(|touched| {
            let confirmed = shown.points.with(|p| {
                p.values()
                    .filter(|p| Some(p.id) != skip)
                    .map(|p| Dot {
                        point: p.clone(),
                        pending: touched.contains(&p.id),
                        unconfirmed: false,
                    })
                    .collect::<Vec<_>>()
            });
            let created = shown.pending.with(|p| {
                p.iter()
                    .map(|p| Dot {
                        point: p.clone(),
                        pending: true,
                        unconfirmed: true,
                    })
                    .collect::<Vec<_>>()
            });
            dots_to_draw(confirmed.into_iter().chain(created).collect())
        })
    };
    // The incidents' areas (alerts' outlines), the least severe first so grade I is on top.
    let outlines = move || {
        if !shown.incidents_on.get() {
            return Vec::new();
        }
        let mut list: Vec<(Grade, u64, Uuid, Vec<String>)> = shown.points.with(|p| {
            p.values()
                .filter_map(|p| {
                    let rings: Vec<String> = super::points::drawable_rings(p.outline.as_deref()?)
                        .map(|r| svg_points(&frame, r, vb_w, vb_h))
                        .collect();
                    (!rings.is_empty()).then_some((p.grade, p.seq, p.id, rings))
                })
                .collect()
        });
        list.sort_by_key(|(g, seq, _, _)| (*g, *seq));
        list.into_iter()
            .flat_map(|(g, _, id, rings)| {
                rings.into_iter().map(move |pts| {
                    view! {
                        <polygon
                            class=format!("map-outline {}", grade_css(g))
                            data-outline-incident-id=id.to_string()
                            points=pts
                        />
                    }
                })
            })
            .collect_view()
    };
    // The focus marker and the nearby resources, farthest first so the nearest are drawn on top.
    let focus_layer = move || {
        if !focused {
            return None;
        }
        let f = focus.get()?;
        let fid = f.incident.id;
        let (x, y) = frame.place(f.incident.location.lon, f.incident.location.lat)?;
        let mut nearby = f.nearby.clone();
        nearby.sort_by(|a, b| b.distance_m.total_cmp(&a.distance_m));
        let resources = nearby
            .into_iter()
            .filter_map(|r| {
                let (rx, ry) = frame.place(r.lon, r.lat)?;
                // Labels point away from the focus (and stay inside the frame near its east edge).
                let side = if rx < x || rx > 82.0 { "map-res--west" } else { "" };
                Some(view! {
                    <div
                        class=format!("map-res map-res--{} {side}", r.group)
                        data-group=r.group.clone()
                        style=format!("left:{rx:.3}%;top:{ry:.3}%")
                        data-kind=r.kind.clone()
                        title=r.name.clone()
                    >
                        <span class=format!("res-icon res-{}", r.group)></span>
                        <span class="map-res-label">{short_name(&r.name)}</span>
                    </div>
                })
            })
            .collect_view();
        Some(view! {
            {resources}
            <div
                class=format!("map-focus {}", grade_css(f.incident.grade))
                class=("map-focus--selected", move || shown.selected.get() == Some(fid))
                style=format!("left:{x:.3}%;top:{y:.3}%")
                data-focus-incident-id=f.incident.id.to_string()
                title=f.incident.title.clone()
            >
                <span class="map-focus-ring"></span>
                <span class="map-focus-ring map-focus-ring--late"></span>
                <span class="map-focus-core"></span>
                <span class="map-focus-label">{f.incident.title.clone()}</span>
            </div>
        })
    };

    // A click on a dot selects its incident; with the report form open, a click picks a location.
    let on_click = move |ev: leptos::ev::MouseEvent| {
        if shown.picking.with_untracked(|p| p.0) {
            let Some(el) = target_closest(&ev, ".map-ph-frame") else {
                return;
            };
            let r = el.get_bounding_client_rect();
            if r.width() <= 0.0 || r.height() <= 0.0 {
                return;
            }
            let x = (f64::from(ev.client_x()) - r.left()) / r.width() * 100.0;
            let y = (f64::from(ev.client_y()) - r.top()) / r.height() * 100.0;
            state
                .picked
                .set(Some(frame.unplace(x.clamp(0.0, 100.0), y.clamp(0.0, 100.0))));
            return;
        }
        let id = target_closest(&ev, "[data-map-incident-id],[data-focus-incident-id]")
            .and_then(|el| {
                el.get_attribute("data-map-incident-id")
                    .or_else(|| el.get_attribute("data-focus-incident-id"))
            })
            .and_then(|s| Uuid::parse_str(&s).ok());
        if let Some(id) = id {
            shown.map_click.set_value(Some(id));
            state.selected.set(Some(id));
        }
    };
    let picked = move || {
        shown
            .picking
            .get()
            .1
            .and_then(|(lon, lat)| frame.place(lon, lat))
            .map(|(x, y)| {
                view! {
                    <div class="map-pick" id="map-pick" style=format!("left:{x:.3}%;top:{y:.3}%")>
                        <span class="map-pick-cross"></span>
                    </div>
                }
            })
    };

    view! {
        <div
            class="map-ph-frame"
            class=("map-ph-frame--picking", move || shown.picking.with(|p| p.0))
            style=format!("--ar:{:.5}", frame.aspect())
            on:click=on_click
        >
            <svg
                class="map-ph-svg"
                viewBox=format!("0 0 {vb_w} {vb_h:.3}")
                preserveAspectRatio="none"
                aria-hidden="true"
            >
                {grid}
                {outlines}
                {ring_views}
                <line class="axis" x1=cx - 14.0 y1=cy x2=cx + 14.0 y2=cy />
                <line class="axis" x1=cx y1=cy - 14.0 x2=cx y2=cy + 14.0 />
            </svg>
            <span class="corner tl"></span>
            <span class="corner tr"></span>
            <span class="corner bl"></span>
            <span class="corner br"></span>
            {lon_labels}
            {lat_labels}
            {ring_labels}
            <div class="map-scale" style=format!("width:{scale_pct:.2}%")>
                <span>{km_label(scale_km)}</span>
            </div>
            <For
                each=dots
                key=|d| (d.point.id, d.point.seq, d.unconfirmed, d.pending)
                let:d
            >
                {frame
                    .place(d.point.lon, d.point.lat)
                    .map(|(x, y)| {
                        let inc = &d.point;
                        let id = inc.id;
                        // Around a focus only the focus is labelled.
                        let label = (inc.grade == Grade::I && !focused).then(|| inc.title.clone());
                        let is_new = state.fresh_ids.with_untracked(|f| f.contains(&id));
                        let selected = move || shown.selected.get() == Some(id);
                        view! {
                            <div
                                class=format!("map-dot {}", grade_css(inc.grade))
                                class=("map-dot--new", is_new)
                                class=("map-dot--pending", d.pending)
                                class=("map-dot--unconfirmed", d.unconfirmed)
                                class=("map-dot--selected", selected)
                                style=format!("left:{x:.3}%;top:{y:.3}%")
                                data-map-incident-id=id.to_string()
                                data-selected=move || if selected() { "true" } else { "false" }
                                title=inc.title.clone()
                            >
                                <span class="map-dot-core"></span>
                                {label.map(|l| view! { <span class="map-dot-label">{l}</span> })}
                            </div>
                        }
                    })}
            </For>
            {picked}
            {focus_layer}
        </div>
    }
}

/// True when the event's target is inside an element matching `selector` (delegated clicks).
fn target_closest(ev: &web_sys::Event, selector: &str) -> Option<web_sys::Element> {
    ev.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .and_then(|el| el.closest(selector).ok().flatten())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helsinki_frame_is_wider_than_tall_and_places_points() {
        let f = Frame {
            west: 24.90,
            south: 60.15,
            east: 24.99,
            north: 60.19,
        };
        assert!(f.aspect() > 1.0 && f.aspect() < 1.3, "{}", f.aspect());
        let (x, y) = f.place(24.945, 60.17).unwrap();
        assert!((x - 50.0).abs() < 1e-6 && (y - 50.0).abs() < 1e-6);
        assert_eq!(f.place(25.5, 60.17), None);
    }

    #[test]
    fn focus_frame_is_a_square_with_the_incident_up_and_right() {
        let f = Frame::around(24.94, 60.17, 1.2).unwrap();
        assert!((f.aspect() - 1.0).abs() < 1e-3, "{}", f.aspect());
        let (x, y) = f.place(24.94, 60.17).unwrap();
        let share = FOCUS_SW_STRETCH / (1.0 + FOCUS_SW_STRETCH) * 100.0;
        assert!(
            (x - share).abs() < 1e-6 && (y - (100.0 - share)).abs() < 1e-6,
            "{x} {y}"
        );
        assert!((f.width_km() - 1.2 * (1.0 + FOCUS_SW_STRETCH)).abs() < 0.01);
        assert_eq!(Frame::around(f64::NAN, 60.17, 1.0), None);
    }

    #[test]
    fn a_click_position_maps_back_to_the_coordinate() {
        let f = Frame {
            west: 24.90,
            south: 60.15,
            east: 24.99,
            north: 60.19,
        };
        let (x, y) = f.place(24.9512, 60.179).unwrap();
        let (lon, lat) = f.unplace(x, y);
        assert!((lon - 24.9512).abs() < 1e-9 && (lat - 60.179).abs() < 1e-9);
        assert_eq!(f.unplace(0.0, 0.0), (24.90, 60.19));
    }

    #[test]
    fn an_outline_is_placed_in_the_view_box() {
        let f = Frame::from_bbox([9.5, 47.1, 9.6, 47.2]).unwrap();
        let ring = [[9.5, 47.2], [9.55, 47.15], [9.6, 47.1], [9.5, 47.2]];
        assert_eq!(
            svg_points(&f, &ring, 1000.0, 500.0),
            "0.00,0.00 500.00,250.00 1000.00,500.00 0.00,0.00"
        );
    }

    #[test]
    fn graticule_steps_are_round() {
        assert!((nice_step(0.09, 8.0) - 0.01).abs() < 1e-12);
        assert_eq!(ticks(24.90, 24.99, 0.01).len(), 8);
    }

    fn pt(n: u128, seq: u64, grade: Grade) -> MapPoint {
        MapPoint {
            id: Uuid::from_u128(n),
            lon: 24.94,
            lat: 60.17,
            grade,
            class: citydeck_protocol::IncidentClass::Accident,
            stage: citydeck_protocol::Stage::Collected,
            title: format!("incident {n}"),
            seq,
            outline: None,
            quality: Default::default(),
        }
    }

    #[test]
    fn the_feed_replaces_updates_and_removes_points() {
        let mut held = HashMap::new();
        let delta = |full, upserts, removed: Vec<u128>| MapDelta {
            full,
            upserts,
            removed: removed.into_iter().map(Uuid::from_u128).collect(),
            ..MapDelta::default()
        };
        apply(
            &mut held,
            delta(true, vec![pt(1, 1, Grade::IV), pt(2, 2, Grade::II)], vec![]),
        );
        assert_eq!(held.len(), 2);
        // An older copy never replaces a newer one; a point without a position is left out.
        let mut nowhere = pt(3, 3, Grade::I);
        nowhere.lon = f64::NAN;
        apply(
            &mut held,
            delta(false, vec![pt(2, 1, Grade::I), nowhere], vec![1]),
        );
        assert_eq!(held.len(), 1);
        assert_eq!(held[&Uuid::from_u128(2)].grade, Grade::II);
        apply(&mut held, delta(false, vec![pt(2, 5, Grade::I)], vec![]));
        assert_eq!(held[&Uuid::from_u128(2)].grade, Grade::I);
        // A full answer replaces everything.
        apply(&mut held, delta(true, vec![pt(9, 6, Grade::III)], vec![]));
        assert_eq!(held.keys().copied().collect::<Vec<_>>(), vec![Uuid::from_u128(9)]);
    }

    #[test]
    fn the_most_severe_dots_are_kept_and_drawn_last() {
        let dot = |n: u128, seq, grade| Dot {
            point: pt(n, seq, grade),
            pending: false,
            unconfirmed: false,
        };
        let drawn = dots_to_draw(vec![
            dot(1, 1, Grade::IV),
            dot(2, 2, Grade::I),
            dot(3, 3, Grade::III),
        ]);
        let ids: Vec<u128> = drawn.iter().map(|d| d.point.id.as_u128()).collect();
        assert_eq!(ids, vec![1, 3, 2]);
        let many: Vec<Dot> = (0..MAX_DOTS as u128 + 10)
            .map(|n| dot(n, n as u64, if n < 5 { Grade::I } else { Grade::IV }))
            .collect();
        let drawn = dots_to_draw(many);
        assert_eq!(drawn.len(), MAX_DOTS);
        assert!(drawn[MAX_DOTS - 5..].iter().all(|d| d.point.grade == Grade::I));
        // Of the rest, the most recently changed are kept.
        assert!(drawn
            .iter()
            .all(|d| d.point.grade == Grade::I || d.point.seq >= 15));
    }
}
