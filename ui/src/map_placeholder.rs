//! Stand-in for the real map (MapLibre GL JS goes into `#map` later): the city's bbox as a framed, true-aspect
//! area with a graticule and range rings, and every open incident as a dot placed by lon/lat in grade colour.
//!
//! Self-contained: swapping it out means replacing `<MapPlaceholder/>` inside `#map` in `app.rs`.

use citydeck_protocol::ipc::CityInfo;
use citydeck_protocol::{Grade, Incident};
use leptos::prelude::*;

use crate::i18n::{self, t};
use crate::state::AppState;
use crate::summary::grade_css;

const KM_PER_DEG_LAT: f64 = 111.32;

/// Equirectangular projection of the city bbox, corrected for latitude.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Frame {
    west: f64,
    south: f64,
    east: f64,
    north: f64,
}

impl Frame {
    fn from_city(c: &CityInfo) -> Option<Self> {
        let [west, south, east, north] = c.bbox;
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

    /// Width / height of the frame on screen.
    fn aspect(&self) -> f64 {
        self.width_km() / self.height_km()
    }

    /// Position in percent of the frame (x from the west edge, y from the north edge), None outside the bbox.
    fn place(&self, lon: f64, lat: f64) -> Option<(f64, f64)> {
        let x = (lon - self.west) / (self.east - self.west) * 100.0;
        let y = (self.north - lat) / (self.north - self.south) * 100.0;
        ((0.0..=100.0).contains(&x) && (0.0..=100.0).contains(&y)).then_some((x, y))
    }
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

#[component]
pub fn MapPlaceholder() -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let frame = Memo::new(move |_| {
        state
            .snapshot
            .with(|s| s.as_ref().and_then(|s| Frame::from_city(&s.city)))
    });
    let city_name = move || {
        state.snapshot.with(|s| {
            s.as_ref()
                .map(|s| match lang.get() {
                    i18n::Lang::Zh => format!("{} · {}", s.city.name_zh, s.city.name_en),
                    i18n::Lang::En => s.city.name_en.clone(),
                })
                .unwrap_or_default()
        })
    };
    let grade_count = move |g: Grade| {
        state.snapshot.with(|s| {
            s.as_ref()
                .map(|s| s.incidents.iter().filter(|i| i.grade == g).count())
                .unwrap_or(0)
        })
    };

    view! {
        <div class="map-ph">
            <div class="map-ph-stage">
                {move || frame.get().map(|f| view! { <MapFrame frame=f /> })}
            </div>
            <div class="map-ph-title">
                <div class="map-ph-title-main">{move || t(lang.get()).map_title}</div>
                <div class="map-ph-title-sub">{city_name}</div>
                <div class="map-ph-note">{move || t(lang.get()).map_placeholder_note}</div>
            </div>
            <div class="map-ph-legend">
                <div class="map-ph-legend-title">{move || t(lang.get()).map_legend}</div>
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
        </div>
    }
}

#[component]
fn MapFrame(frame: Frame) -> impl IntoView {
    let state = expect_context::<AppState>();
    let vb_w = 1000.0;
    let vb_h = vb_w / frame.aspect();
    let lon_step = nice_step(frame.east - frame.west, 8.0);
    let lat_step = nice_step(frame.north - frame.south, 5.0);
    let lon_ticks = ticks(frame.west, frame.east, lon_step);
    let lat_ticks = ticks(frame.south, frame.north, lat_step);
    let (lon_dec, lat_dec) = (decimals(lon_step), decimals(lat_step));
    let px_per_km = vb_w / frame.width_km();
    // Range rings every 1, 2 or 5 km, up to the frame's half-diagonal.
    let ring_step = nice_step(frame.width_km().min(frame.height_km()) / 2.0, 2.0);
    let half_diag = (frame.width_km().powi(2) + frame.height_km().powi(2)).sqrt() / 2.0;
    let rings: Vec<f64> = (1..=8)
        .map(|k| k as f64 * ring_step)
        .filter(|r| *r < half_diag)
        .collect();
    let (cx, cy) = (vb_w / 2.0, vb_h / 2.0);
    let scale_km = ring_step;
    let scale_pct = scale_km / frame.width_km() * 100.0;

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
            view! { <circle class="ring" cx=cx cy=cy r=rr /> }
        })
        .collect_view();
    let ring_labels = rings
        .iter()
        .filter_map(|r| {
            let x = 50.0 + r * px_per_km / vb_w * 100.0;
            (x < 97.0).then(|| {
                view! {
                    <span class="ring-label" style=format!("left:{x:.2}%;top:50%")>
                        {format!("{r} km")}
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

    // Most severe last so they are drawn on top.
    let dots = move || {
        state.snapshot.with(|s| {
            let mut v: Vec<Incident> = s.as_ref().map(|s| s.incidents.clone()).unwrap_or_default();
            v.sort_by_key(|i| std::cmp::Reverse(i.grade));
            v
        })
    };

    view! {
        <div class="map-ph-frame" style=format!("--ar:{:.5}", frame.aspect())>
            <svg
                class="map-ph-svg"
                viewBox=format!("0 0 {vb_w} {vb_h:.3}")
                preserveAspectRatio="none"
                aria-hidden="true"
            >
                {grid}
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
                <span>{format!("{scale_km} km")}</span>
            </div>
            <For each=dots key=|i| (i.id, i.seq) let:inc>
                {frame
                    .place(inc.location.lon, inc.location.lat)
                    .map(|(x, y)| {
                        let label = (inc.grade == Grade::I).then(|| inc.title.clone());
                        let is_new = state.fresh_ids.with_untracked(|f| f.contains(&inc.id));
                        view! {
                            <div
                                class=format!("map-dot {}", grade_css(inc.grade))
                                class=("map-dot--new", is_new)
                                style=format!("left:{x:.3}%;top:{y:.3}%")
                                data-map-incident-id=inc.id.to_string()
                                title=inc.title.clone()
                            >
                                <span class="map-dot-core"></span>
                                {label.map(|l| view! { <span class="map-dot-label">{l}</span> })}
                            </div>
                        }
                    })}
            </For>
        </div>
    }
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
    fn graticule_steps_are_round() {
        assert!((nice_step(0.09, 8.0) - 0.01).abs() < 1e-12);
        assert_eq!(ticks(24.90, 24.99, 0.01).len(), 8);
    }
}
