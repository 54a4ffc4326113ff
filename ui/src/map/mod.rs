//! The cockpit map behind a small seam ([`MapEngine`]): the cockpit tells an engine what to show (the incident
//! diff from `map_delta`, response units and sensors, the selection, the wartime focus, the report form's
//! pick mode, layer visibility) and the engine reports back through [`AppState`] (`selected`, `picked`) and
//! [`MapUi`] (hover tooltip, counts, readiness). The cockpit does not care which engine draws.
//!
//! Engines: [`maplibre::MapLibreEngine`] (MapLibre GL JS in the webview, the only code binding `maplibregl`),
//! and the schematic view [`schematic::SchematicMap`] when WebGL or the vendored script is missing (or
//! `?map=schematic`). Both are fed by [`start_feed`] and driven by [`drive`].
//!
//! Data flow: `map_delta { after: 0 }` on start, again after each `cockpit://changed` (one call in flight,
//! extra events coalesce into one follow-up) with the last `seq` → [`points::MapPoints`] (id → point) → once
//! per animation frame one `updateData({add, remove})` (or one `setData` after a full reload).

pub mod cluster;
pub mod donut;
pub mod layers;
pub mod maplibre;
pub mod points;
pub mod schematic;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use citydeck_protocol::ingest::Quality;
use citydeck_protocol::ipc::{MapDelta, MapPoint, WartimeFocus};
use citydeck_protocol::{Grade, IncidentClass, Stage};
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use crate::css::grade_css;
use crate::drill::{AreaPanel, Breadcrumb};
use crate::i18n::{self, cockpit_strings, map_strings, wartime_strings};
use crate::ipc;
use crate::state::AppState;
use crate::wartime::focus_memo;

/// Switchable layer groups (the layer switcher).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MapLayer {
    Incidents,
    Resources,
    Sensors,
    Districts,
    Heat,
}

impl MapLayer {
    pub const ALL: [MapLayer; 5] = [
        MapLayer::Incidents,
        MapLayer::Resources,
        MapLayer::Sensors,
        MapLayer::Districts,
        MapLayer::Heat,
    ];

    pub fn key(self) -> &'static str {
        match self {
            MapLayer::Incidents => "incidents",
            MapLayer::Resources => "resources",
            MapLayer::Sensors => "sensors",
            MapLayer::Districts => "districts",
            MapLayer::Heat => "heat",
        }
    }

    fn label(self, lang: i18n::Lang) -> &'static str {
        let s = map_strings(lang);
        match self {
            MapLayer::Incidents => s.layer_incidents,
            MapLayer::Resources => s.layer_resources,
            MapLayer::Sensors => s.layer_sensors,
            MapLayer::Districts => s.layer_districts,
            MapLayer::Heat => s.layer_heat,
        }
    }

    /// Shown when the cockpit opens (the heat layer is opt-in).
    pub fn default_on(self) -> bool {
        !matches!(self, MapLayer::Heat)
    }
}

/// What the cockpit asks of a map engine. Calls are cheap: an engine records the wish and applies it on its
/// next animation frame.
pub trait MapEngine {
    /// Take in one `map_delta` answer (incidents diff, whole lists of units and sensors).
    fn apply_delta(&self, delta: MapDelta);
    /// Ring the selected incident (None: nothing selected).
    fn set_selection(&self, id: Option<Uuid>, at: Option<(f64, f64)>);
    /// Bring a point into view (a feed row was clicked).
    fn fly_to(&self, lon: f64, lat: f64);
    /// Show the city (its bbox: west, south, east, north).
    fn fit_city(&self, bbox: [f64; 4]);
    /// Name the map's areas in `lang` (an engine that names none ignores it).
    fn set_lang(&self, lang: i18n::Lang) {
        let _ = lang;
    }
    /// Wartime: zoom onto the triggering incident, 500 m / 1 km rings, the nearby facilities (None: clear).
    fn set_focus(&self, focus: Option<&WartimeFocus>);
    /// Report form open: a click picks a location (drawn at `picked`) instead of selecting.
    fn set_picking(&self, picking: bool, picked: Option<(f64, f64)>);
    fn set_layer_visible(&self, layer: MapLayer, visible: bool);
    /// The drill-down: outline the area drilled into and shade the areas one level down (an engine that draws
    /// no areas ignores it; the camera is moved by [`MapEngine::fit_city`]).
    fn set_drill(&self, view: &crate::drill::DrillView) {
        let _ = view;
    }
    /// Incidents reported here that the hub has not confirmed yet (drawn apart, marked pending).
    fn set_pending(&self, points: &[MapPoint], tag: &str) {
        let _ = (points, tag);
    }
    /// Where an incident the map holds is (lon, lat).
    fn position_of(&self, id: Uuid) -> Option<(f64, f64)>;
    /// True when the last selection came from a click on the map itself (no need to fly).
    fn take_map_click(&self, id: Uuid) -> bool;
    /// Tear down (the component unmounts).
    fn destroy(&self);
}

/// Hover tooltip content, built by the engine from the feature under the pointer.
#[derive(Clone, Debug, PartialEq)]
pub enum HoverBody {
    Incident {
        title: String,
        grade: Grade,
        class: Option<IncidentClass>,
        stage: Option<Stage>,
    },
    Cluster {
        count: u64,
        worst: Grade,
    },
    Unit {
        name: String,
        group: String,
        status: String,
        kind: String,
    },
    Sensor {
        name: String,
        kind: String,
        reading: String,
        state: String,
    },
    Facility {
        name: String,
        kind: String,
        distance_m: f64,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Hover {
    /// Pointer position in the map container, px.
    pub x: f64,
    pub y: f64,
    pub body: HoverBody,
}

/// Signals the engine writes for the map's own overlays.
#[derive(Clone, Copy)]
pub struct MapUi {
    pub hover: RwSignal<Option<Hover>>,
    /// Open incidents on the map per grade (I…IV).
    pub counts: RwSignal<[usize; 4]>,
    /// Open incidents whose area (a CAP alert's outline) the map draws.
    pub outlines: RwSignal<usize>,
    pub ready: RwSignal<bool>,
    /// The desktop's base style did not load: overlays on a plain background.
    pub fallback_basemap: RwSignal<bool>,
    pub layers: RwSignal<HashMap<MapLayer, bool>>,
}

impl MapUi {
    fn new() -> Self {
        MapUi {
            hover: RwSignal::new(None),
            counts: RwSignal::new([0; 4]),
            outlines: RwSignal::new(0),
            ready: RwSignal::new(false),
            fallback_basemap: RwSignal::new(false),
            layers: RwSignal::new(MapLayer::ALL.into_iter().map(|l| (l, l.default_on())).collect()),
        }
    }
}

/// The map area: MapLibre when it can run here, the schematic view otherwise.
#[component]
pub fn MapView() -> impl IntoView {
    let schematic = ipc::query_param("map").as_deref() == Some("schematic");
    if !schematic && maplibre::available() {
        view! { <CockpitMap /> }.into_any()
    } else {
        maplibre::probe::install_schematic();
        view! { <schematic::SchematicMap /> }.into_any()
    }
}

/// The engine the cockpit drives, once it exists (MapLibre's is made when its container is in the page).
type EngineSlot = Rc<RefCell<Option<Rc<dyn MapEngine>>>>;

/// Tell the engine what the cockpit shows, whichever engine it is: the selection (ringed; flown to unless it
/// was clicked on the map), the wartime focus or else the city, the report form's pick mode, the layers, and
/// the incidents reported here that the hub has not confirmed.
fn drive(engine: EngineSlot, state: AppState, ui: MapUi) {
    let lang = state.lang;
    let focus = focus_memo(state);
    let with = move |f: &dyn Fn(&dyn MapEngine)| {
        if let Some(e) = engine.borrow().as_ref() {
            f(e.as_ref());
        }
    };

    // Selection: ring it; fly to it unless it was clicked on the map.
    {
        let with = with.clone();
        Effect::new(move |_| {
            let id = state.selected.get();
            let _ = ui.ready.get();
            with(&|e| {
                let at = id.and_then(|id| e.position_of(id).or_else(|| snapshot_position(state, id)));
                e.set_selection(id, at);
                if let (Some(id), Some((lon, lat))) = (id, at) {
                    if !e.take_map_click(id) {
                        e.fly_to(lon, lat);
                    }
                }
            });
        });
    }
    // The drill-down's outline and shades; no shades while the map shows the wartime focus (the area panel and
    // its legend are hidden then, and unexplained colour must not tint the response picture).
    {
        let with = with.clone();
        let view = drill_memo(state);
        Effect::new(move |_| {
            let _ = ui.ready.get();
            let focused = focus.with(Option::is_some);
            view.with(|v| {
                if focused {
                    let outline_only = crate::drill::DrillView {
                        shades: Vec::new(),
                        ..v.clone()
                    };
                    with(&|e| e.set_drill(&outline_only));
                } else {
                    with(&|e| e.set_drill(v));
                }
            });
        });
    }
    // Wartime focus, else the area drilled into, else the city (once per area / when the focus ends).
    {
        let with = with.clone();
        let fit = Memo::new(move |_| drill_memo_fit(state));
        Effect::new(move |prev: Option<(bool, Option<[u64; 4]>, bool)>| {
            let bbox = fit
                .get()
                .or_else(|| state.snapshot.with(|s| s.as_ref().map(|s| s.city.bbox)));
            let ready = ui.ready.get();
            let f = focus.get();
            let key = (f.is_some(), bbox.map(|b| b.map(f64::to_bits)), ready);
            with(&|e| {
                e.set_focus(f.as_ref());
                if f.is_none() && prev.as_ref() != Some(&key) {
                    if let Some(b) = bbox {
                        e.fit_city(b);
                    }
                }
            });
            key
        });
    }
    {
        let with = with.clone();
        Effect::new(move |_| {
            let l = lang.get();
            let _ = ui.ready.get();
            with(&|e| e.set_lang(l));
        });
    }
    {
        let with = with.clone();
        Effect::new(move |_| {
            let picking = state.form_open.get();
            let picked = state.picked.get();
            let _ = ui.ready.get();
            with(&|e| e.set_picking(picking, picked.filter(|_| picking)));
        });
    }
    {
        let with = with.clone();
        Effect::new(move |_| {
            let layers = ui.layers.get();
            let _ = ui.ready.get();
            with(&|e| {
                for (l, on) in &layers {
                    e.set_layer_visible(*l, *on);
                }
            });
        });
    }

    // Incidents reported on this desktop (offline too) that the hub has not confirmed: on the map at once,
    // marked pending, until the confirmed incident replaces them.
    {
        let with = with.clone();
        Effect::new(move |_| {
            let _ = ui.ready.get();
            let me = state.me().map(|m| m.username).unwrap_or_default();
            let pending: Vec<MapPoint> = state
                .pending_entries()
                .iter()
                .filter_map(|e| crate::overlay::provisional(e, &me))
                .map(|i| MapPoint::from(&i))
                .collect();
            let tag = match lang.get() {
                i18n::Lang::Zh => "待同步",
                i18n::Lang::En => "pending",
            };
            with(&|e| {
                let unconfirmed: Vec<_> = pending
                    .iter()
                    .filter(|p| e.position_of(p.id).is_none())
                    .cloned()
                    .collect();
                e.set_pending(&unconfirmed, tag);
            });
        });
    }
}

#[component]
fn CockpitMap() -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let ui = MapUi::new();
    let host = NodeRef::<leptos::html::Div>::new();
    let engine: EngineSlot = Rc::new(RefCell::new(None));
    let focus = focus_memo(state);

    {
        let engine = engine.clone();
        Effect::new(move |_| {
            let Some(el) = host.get() else { return };
            if engine.borrow().is_some() {
                return;
            }
            let e: Rc<dyn MapEngine> = Rc::new(maplibre::MapLibreEngine::new(el.into(), state, ui));
            *engine.borrow_mut() = Some(e.clone());
            start_feed(e);
        });
    }
    drive(engine, state, ui);

    let focused = move || focus.with(Option::is_some);
    let heading = Memo::new(move |_| focus.with(|f| heading(state, f.as_ref())));
    let title = move || heading.with(|h| h.0);
    let subtitle = move || heading.with(|h| h.1.clone());

    view! {
        <div
            class="mapx"
            class=("mapx--focus", focused)
            class=("mapx--picking", move || state.form_open.get())
            class=("mapx--hover", move || ui.hover.with(Option::is_some))
            data-map-engine="maplibre"
            data-map-ready=move || if ui.ready.get() { "true" } else { "false" }
        >
            <div class="mapx-canvas" id="map-canvas" node_ref=host></div>
            <div class="map-ph-title mapx-title">
                <div class="map-ph-title-main">{title}</div>
                <TitleSub text=Signal::derive(subtitle) focused=Signal::derive(focused) />
                <Show when=move || ui.fallback_basemap.get()>
                    <div class="map-ph-note">{move || map_strings(lang.get()).basemap_fallback}</div>
                </Show>
                <Show when=move || state.form_open.get()>
                    <div class="mapx-pick-hint">{move || map_strings(lang.get()).pick_hint}</div>
                </Show>
            </div>
            <LayerSwitcher ui=ui />
            <Show when=move || !focused()>
                <AreaPanel />
            </Show>
            <Show when=focused fallback=move || view! { <Legend ui=ui /> }>
                <FocusLegend class="mapx-focus-legend" />
            </Show>
            <Tooltip ui=ui />
        </div>
    }
}

/// Key to the focus view's symbols (top right of the map area); `class` adds the engine's own placement class.
#[component]
pub fn FocusLegend(#[prop(optional)] class: &'static str) -> impl IntoView {
    let lang = expect_context::<AppState>().lang;
    let item = move |icon: &'static str, label: fn(&'static i18n::WarStrings) -> &'static str| {
        view! {
            <div class="mfl-item">
                <span class=icon aria-hidden="true"></span>
                <span>{move || label(wartime_strings(lang.get()))}</span>
            </div>
        }
    };
    view! {
        <div class=format!("map-focus-legend {class}") id="map-focus-legend">
            {item("mfl-focus", |s| s.legend_focus)}
            {item("res-icon res-rescue", |s| s.legend_rescue)}
            {item("res-icon res-medical", |s| s.legend_medical)}
            {item("res-icon res-shelter", |s| s.legend_shelter)}
            {item("mfl-dot", |s| s.legend_other)}
            <div class="mfl-item">
                <span class="mfl-ring" aria-hidden="true"></span>
                <span>{move || format!("{} 500 m / 1 km", wartime_strings(lang.get()).legend_rings)}</span>
            </div>
        </div>
    }
}

/// The map title's second line: the drill-down's breadcrumb (全市 › 区 › 街道) once the cache holds the city's
/// areas, else `text` (the city's name); the wartime focus' `text` while the map shows the focus — with the
/// breadcrumb under it when the cockpit is drilled into an area, so a wall in wartime always says that its panels
/// show one area only.
#[component]
pub fn TitleSub(#[prop(into)] text: Signal<String>, #[prop(into)] focused: Signal<bool>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let has_areas = move || {
        state
            .areas
            .with(|v| v.as_ref().is_some_and(|v| !v.areas.is_empty()))
    };
    let drilled = move || state.drill.with(Option::is_some);
    view! {
        <Show when=move || !has_areas() || focused.get()>
            <div class="map-ph-title-sub">{move || text.get()}</div>
        </Show>
        <Show when=move || has_areas() && (!focused.get() || drilled())>
            <Breadcrumb />
        </Show>
    }
}

/// The map's title and subtitle: the wartime focus (its title and address) when the map shows it, else the city.
fn heading(state: AppState, focus: Option<&WartimeFocus>) -> (&'static str, String) {
    let lang = state.lang.get();
    match focus {
        Some(f) => (
            wartime_strings(lang).map_focus_title,
            match &f.incident.address {
                Some(a) => format!("{} · {a}", f.incident.title),
                None => f.incident.title.clone(),
            },
        ),
        None => (
            cockpit_strings(lang).map_title,
            state.snapshot.with(|s| {
                s.as_ref()
                    .map(|s| match lang {
                        i18n::Lang::Zh => format!("{} · {}", s.city.name_zh, s.city.name_en),
                        i18n::Lang::En => s.city.name_en.clone(),
                    })
                    .unwrap_or_default()
            }),
        ),
    }
}

/// What the map shows of the drill-down, as the areas, the area drilled into, the snapshot's measures and the
/// chosen measure make it.
fn drill_memo(state: AppState) -> Memo<crate::drill::DrillView> {
    Memo::new(move |_| {
        let drill = state.drill.get();
        let measure = state.measure.get();
        let measures = state
            .snapshot
            .with(|s| s.as_ref().map(|s| s.area_measures.clone()).unwrap_or_default());
        state.areas.with(|v| {
            v.as_ref()
                .map(|v| crate::drill::view_of(v, drill.as_deref(), &measures, measure))
                .unwrap_or_default()
        })
    })
}

/// The box of the area drilled into (None: the whole city).
fn drill_memo_fit(state: AppState) -> Option<[f64; 4]> {
    let drill = state.drill.get()?;
    state
        .areas
        .with(|v| v.as_ref()?.areas.iter().find(|a| a.id == drill).map(|a| a.bbox))
}

/// Where the snapshot has an incident (the feed's rows, the wartime focus).
fn snapshot_position(state: AppState, id: Uuid) -> Option<(f64, f64)> {
    state.snapshot.with(|s| {
        let s = s.as_ref()?;
        s.incidents
            .iter()
            .chain(s.focus.iter().map(|f| &f.incident))
            .find(|i| i.id == id)
            .map(|i| (i.location.lon, i.location.lat))
    })
}

#[component]
fn LayerSwitcher(ui: MapUi) -> impl IntoView {
    let lang = expect_context::<AppState>().lang;
    view! {
        <div class="mapx-layers" id="map-layers" role="group">
            <div class="mapx-panel-title">{move || map_strings(lang.get()).layers}</div>
            {MapLayer::ALL
                .into_iter()
                .map(|l| {
                    let on = move || ui.layers.with(|m| m.get(&l).copied().unwrap_or(false));
                    view! {
                        <button
                            class="mapx-layer"
                            class=("mapx-layer--on", on)
                            data-layer=l.key()
                            aria-pressed=move || if on() { "true" } else { "false" }
                            on:click=move |_| {
                                ui.layers
                                    .update(|m| {
                                        let v = m.entry(l).or_insert(false);
                                        *v = !*v;
                                    })
                            }
                        >
                            <span class=format!("mapx-swatch mapx-swatch--{}", l.key())></span>
                            <span>{move || l.label(lang.get())}</span>
                        </button>
                    }
                })
                .collect_view()}
            <QualityFilterControl />
        </div>
    }
}

/// 可信度: all / corroborated and official / official only (issue 22).
#[component]
fn QualityFilterControl() -> impl IntoView {
    let lang = expect_context::<AppState>().lang;
    let picked = RwSignal::new(QUALITY_FILTER.with(|q| q.get()));
    view! {
        <span class="map-quality-filter" id="map-quality-filter" data-quality-filter=move || picked.get().key()>
            <span class="mapx-panel-title">{move || i18n::source_strings(lang.get()).filter_label}</span>
            {QualityFilter::ALL
                .into_iter()
                .map(|f| {
                    let on = move || picked.get() == f;
                    view! {
                        <button
                            class="mapx-layer"
                            class=("mapx-layer--on", on)
                            data-quality-filter=f.key()
                            aria-pressed=move || if on() { "true" } else { "false" }
                            on:click=move |_| {
                                picked.set(f);
                                set_quality_filter(f);
                            }
                        >
                            <span>{move || f.label(lang.get())}</span>
                        </button>
                    }
                })
                .collect_view()}
        </span>
    }
}

#[component]
fn Legend(ui: MapUi) -> impl IntoView {
    let lang = expect_context::<AppState>().lang;
    view! {
        <div class="map-ph-legend mapx-legend" id="map-legend">
            <div class="map-ph-legend-title">{move || cockpit_strings(lang.get()).map_legend}</div>
            {Grade::ALL
                .into_iter()
                .enumerate()
                .map(|(k, g)| {
                    view! {
                        <div class=format!("legend-item {}", grade_css(g)) data-grade=g.as_str()>
                            <span class="legend-dot"></span>
                            <span class="legend-label">{move || i18n::grade_label(lang.get(), g)}</span>
                            <span class="legend-num">{move || ui.counts.with(|c| c[k])}</span>
                        </div>
                    }
                })
                .collect_view()}
            <span class="mapx-legend-sep"></span>
            <div class="legend-item">
                <span class="mapx-key mapx-key--unit"></span>
                <span class="legend-label">{move || map_strings(lang.get()).legend_resources}</span>
            </div>
            <div class="legend-item">
                <span class="mapx-key mapx-key--sensor"></span>
                <span class="legend-label">{move || map_strings(lang.get()).legend_sensors}</span>
            </div>
            <Show when=move || ui.outlines.with(|n| *n > 0)>
                <div class="legend-item" id="map-legend-alert-areas">
                    <span class="mapx-key mapx-key--area"></span>
                    <span class="legend-label">{move || map_strings(lang.get()).legend_alert_areas}</span>
                    <span class="legend-num">{move || ui.outlines.get()}</span>
                </div>
            </Show>
        </div>
    }
}

#[component]
fn Tooltip(ui: MapUi) -> impl IntoView {
    let lang = expect_context::<AppState>().lang;
    move || {
        let h = ui.hover.get()?;
        let l = lang.get();
        let (cls, head, lines): (String, String, Vec<String>) = match &h.body {
            HoverBody::Incident {
                title,
                grade,
                class,
                stage,
            } => (
                format!("mapx-tip--incident {}", grade_css(*grade)),
                title.clone(),
                vec![[
                    Some(i18n::grade_label(l, *grade)),
                    class.map(|c| i18n::class_label(l, c).to_string()),
                    stage.map(|s| i18n::stage_label(l, s).to_string()),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · ")],
            ),
            HoverBody::Cluster { count, worst } => (
                format!("mapx-tip--cluster {}", grade_css(*worst)),
                i18n::cluster_count(l, *count),
                vec![format!(
                    "{} {} · {}",
                    wartime_strings(l).legend_other,
                    i18n::grade_label(l, *worst),
                    map_strings(l).cluster_hint
                )],
            ),
            HoverBody::Unit {
                name,
                group,
                status,
                kind,
            } => (
                format!("mapx-tip--unit mapx-status--{status}"),
                name.clone(),
                vec![format!(
                    "{} {} · {}",
                    i18n::unit_group(l, group),
                    if kind == "vehicle" {
                        map_strings(l).vehicle
                    } else {
                        map_strings(l).team
                    },
                    i18n::unit_status(l, status)
                )],
            ),
            HoverBody::Sensor {
                name,
                kind,
                reading,
                state,
            } => (
                format!("mapx-tip--sensor mapx-state--{state}"),
                name.clone(),
                vec![format!(
                    "{} {reading} · {}",
                    i18n::sensor_kind(l, kind),
                    i18n::sensor_state(l, state)
                )],
            ),
            HoverBody::Facility {
                name,
                kind,
                distance_m,
            } => (
                "mapx-tip--facility".to_string(),
                name.clone(),
                vec![format!(
                    "{} · {}",
                    i18n::resource_kind(l, kind),
                    i18n::distance(*distance_m)
                )],
            ),
        };
        Some(view! {
            <div
                class=format!("mapx-tip {cls}")
                id="map-tooltip"
                style=format!("left:{:.0}px;top:{:.0}px", h.x, h.y)
            >
                <div class="mapx-tip-head">{head}</div>
                {lines.into_iter().map(|s| view! { <div class="mapx-tip-line">{s}</div> }).collect_view()}
            </div>
        })
    }
}

type Request = Rc<dyn Fn()>;

#[derive(Default)]
struct FeedCtl {
    in_flight: bool,
    pending: bool,
    after: u64,
    /// The last `map_delta` call failed (said once, retried on the next change or tick).
    failing: bool,
    /// The quality filter changed: the next call asks for everything again (`after` 0).
    reset: bool,
}

/// The map's quality filter (issue 22): the least quality an incident needs to be drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QualityFilter {
    All,
    Corroborated,
    Official,
}

impl QualityFilter {
    pub const ALL: [QualityFilter; 3] = [
        QualityFilter::All,
        QualityFilter::Corroborated,
        QualityFilter::Official,
    ];

    pub fn key(self) -> &'static str {
        match self {
            QualityFilter::All => "all",
            QualityFilter::Corroborated => "corroborated",
            QualityFilter::Official => "official",
        }
    }

    fn label(self, lang: i18n::Lang) -> &'static str {
        let s = i18n::source_strings(lang);
        match self {
            QualityFilter::All => s.filter_all,
            QualityFilter::Corroborated => s.filter_corroborated,
            QualityFilter::Official => s.filter_official,
        }
    }

    /// Whether an incident of quality `q` is drawn.
    pub fn passes(self, q: Quality) -> bool {
        match self {
            QualityFilter::All => true,
            QualityFilter::Corroborated => q != Quality::Unverified,
            QualityFilter::Official => q == Quality::Official,
        }
    }

    /// The delta as the filter lets it through: an incident below it is removed (it may have been drawn).
    pub fn apply(self, mut d: MapDelta) -> MapDelta {
        let (kept, hidden): (Vec<_>, Vec<_>) = d.upserts.into_iter().partition(|p| self.passes(p.quality));
        d.upserts = kept;
        d.removed.extend(hidden.into_iter().map(|p| p.id));
        d
    }
}

thread_local! {
    /// The filter every feed applies, and how to make each feed ask for everything again when it changes.
    static QUALITY_FILTER: std::cell::Cell<QualityFilter> = const { std::cell::Cell::new(QualityFilter::All) };
    static FEED_RELOADS: RefCell<Vec<Rc<dyn Fn()>>> = RefCell::new(Vec::new());
}

/// Sets the map's quality filter: every feed reloads its incidents through it.
pub fn set_quality_filter(f: QualityFilter) {
    if QUALITY_FILTER.with(|q| q.replace(f)) != f {
        let reloads: Vec<_> = FEED_RELOADS.with(|r| r.borrow().clone());
        for reload in reloads {
            reload();
        }
    }
}

/// Keep an engine fed: `map_delta` after every change event (coalesced) and every few seconds.
fn start_feed(engine: Rc<dyn MapEngine>) {
    let ctl = Rc::new(RefCell::new(FeedCtl::default()));
    let reset_ctl = ctl.clone();
    let request: Rc<dyn Fn()> = {
        let slot: Rc<RefCell<Option<Request>>> = Rc::new(RefCell::new(None));
        let me = slot.clone();
        let f: Rc<dyn Fn()> = Rc::new(move || {
            let after = {
                let mut c = ctl.borrow_mut();
                if c.in_flight {
                    c.pending = true;
                    return;
                }
                c.in_flight = true;
                if std::mem::take(&mut c.reset) {
                    0
                } else {
                    c.after
                }
            };
            let (ctl, engine, me) = (ctl.clone(), engine.clone(), me.clone());
            spawn_local(async move {
                let result = ipc::map_delta(after).await;
                let again = {
                    let mut c = ctl.borrow_mut();
                    c.in_flight = false;
                    match result {
                        Ok(d) => {
                            c.after = d.seq;
                            c.failing = false;
                            drop(c);
                            engine.apply_delta(QUALITY_FILTER.with(|q| q.get()).apply(d));
                            c = ctl.borrow_mut();
                        }
                        Err(e) => {
                            if !c.failing {
                                web_sys::console::warn_1(
                                    &format!("citydeck map: map_delta failed ({e}); asking again on the next change")
                                        .into(),
                                );
                            }
                            c.failing = true;
                        }
                    }
                    std::mem::take(&mut c.pending)
                };
                if again {
                    if let Some(f) = me.borrow().as_ref() {
                        f();
                    }
                }
            });
        });
        *slot.borrow_mut() = Some(f.clone());
        f
    };
    request();
    {
        let request = request.clone();
        let reload: Rc<dyn Fn()> = Rc::new(move || {
            reset_ctl.borrow_mut().reset = true;
            request();
        });
        FEED_RELOADS.with(|r| r.borrow_mut().push(reload));
    }
    {
        let request = request.clone();
        spawn_local(async move {
            let r = ipc::listen_cockpit_changed(move |_| request()).await;
            if let Err(e) = r {
                web_sys::console::warn_1(&format!("citydeck map: no change events: {e}").into());
            }
        });
    }
    set_interval(move || request(), Duration::from_secs(5));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(n: u128, quality: Quality) -> MapPoint {
        MapPoint {
            id: Uuid::from_u128(n),
            lon: 9.52,
            lat: 47.14,
            grade: Grade::III,
            class: IncidentClass::Accident,
            stage: Stage::Collected,
            title: String::new(),
            seq: n as u64,
            outline: None,
            quality,
        }
    }

    #[test]
    fn the_quality_filter_removes_what_is_below_it() {
        let delta = || MapDelta {
            seq: 3,
            full: false,
            upserts: vec![
                point(1, Quality::Unverified),
                point(2, Quality::Corroborated),
                point(3, Quality::Official),
            ],
            removed: vec![Uuid::from_u128(9)],
            ..Default::default()
        };
        let ids = |d: &MapDelta| d.upserts.iter().map(|p| p.id.as_u128()).collect::<Vec<_>>();
        let all = QualityFilter::All.apply(delta());
        assert_eq!((ids(&all), all.removed.len()), (vec![1, 2, 3], 1));
        let corroborated = QualityFilter::Corroborated.apply(delta());
        assert_eq!(ids(&corroborated), vec![2, 3]);
        assert_eq!(corroborated.removed, vec![Uuid::from_u128(9), Uuid::from_u128(1)]);
        let official = QualityFilter::Official.apply(delta());
        assert_eq!(ids(&official), vec![3]);
        assert_eq!(official.removed.len(), 3);
    }
}
