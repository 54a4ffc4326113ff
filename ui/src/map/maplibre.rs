//! MapLibre GL JS engine: the ONLY module with bindings to `maplibregl` (the UMD script vendored from npm into
//! `dist/vendor/` at build time and loaded by `index.html`; nothing is fetched from the internet).
//!
//! Base map: `style.json`, tiles and glyphs from the desktop's map protocol ([`map_base`]: one place builds
//! every URL); if the style does not load, a plain dark background (the overlays still work). The cockpit's
//! sources and layers ([`super::layers`]) go on top. Every wish of the cockpit is recorded and applied in one
//! pass per animation frame ([`Inner::frame`]): the incident diff as one `updateData` (or one `setData` after a
//! full reload), the unit / sensor lists and the overlays as `setData` only when they changed.
//!
//! With the `probe` feature (the window tests and `cargo xtask bench map`, never the shipped cockpit): the hook
//! `window.citydeckMap` and the frame-time probe, see `probe.rs`.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use citydeck_protocol::ipc::{MapDelta, MapPoint, WartimeFocus};
use citydeck_protocol::{Grade, IncidentClass, Stage};
use js_sys::{Array, Function, Object, Promise, Reflect};
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

#[cfg(feature = "probe")]
pub(crate) mod probe;
/// Without the `probe` feature (the shipped cockpit): no `window.citydeckMap`, nothing counted.
#[cfg(not(feature = "probe"))]
pub(crate) mod probe {
    #[derive(Default)]
    pub(super) struct Probe {}

    impl Probe {
        pub(super) fn pushed(&self) {}
        pub(super) fn full_load(&self) {}
        pub(super) fn frame_done(&self, _ms: f64) {}
    }

    pub(super) fn install(_: &std::rc::Rc<super::Inner>) {}

    pub(crate) fn install_schematic() {}
}

use super::layers::{self, *};
use super::points::{self, Flush, MapPoints};
use super::{Hover, HoverBody, MapEngine, MapLayer, MapUi};
use crate::ipc;
use crate::state::AppState;
use crate::time;

#[wasm_bindgen(js_namespace = maplibregl)]
extern "C" {
    #[wasm_bindgen(js_name = Map)]
    pub type MlMap;
    #[wasm_bindgen(constructor, js_class = "Map", catch)]
    fn new(options: &JsValue) -> Result<MlMap, JsValue>;
    #[wasm_bindgen(method, catch, js_name = addSource)]
    fn add_source(this: &MlMap, id: &str, source: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(method, js_name = getSource)]
    fn get_source(this: &MlMap, id: &str) -> JsValue;
    #[wasm_bindgen(method, catch, js_name = addLayer)]
    fn add_layer(this: &MlMap, layer: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = setFilter)]
    fn set_filter(this: &MlMap, layer: &str, filter: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(method, js_name = getLayer)]
    fn get_layer(this: &MlMap, id: &str) -> JsValue;
    #[wasm_bindgen(method, catch, js_name = setLayoutProperty)]
    fn set_layout_property(this: &MlMap, layer: &str, name: &str, value: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = setPaintProperty)]
    fn set_paint_property(this: &MlMap, layer: &str, name: &str, value: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(method, js_name = hasImage)]
    fn has_image(this: &MlMap, id: &str) -> bool;
    #[wasm_bindgen(method, catch, js_name = addImage)]
    fn add_image(this: &MlMap, id: &str, image: &JsValue, options: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(method)]
    fn on(this: &MlMap, event: &str, cb: &Function);
    #[wasm_bindgen(method)]
    fn resize(this: &MlMap);
    #[wasm_bindgen(method, catch, js_name = queryRenderedFeatures)]
    fn query_rendered_features(this: &MlMap, geometry: &JsValue, options: &JsValue)
        -> Result<Array, JsValue>;
    #[wasm_bindgen(method, js_name = flyTo)]
    fn fly_to(this: &MlMap, options: &JsValue);
    #[wasm_bindgen(method, js_name = easeTo)]
    fn ease_to(this: &MlMap, options: &JsValue);
    #[wasm_bindgen(method, js_name = fitBounds)]
    fn fit_bounds(this: &MlMap, bounds: &JsValue, options: &JsValue);
    #[wasm_bindgen(method, js_name = getZoom)]
    fn get_zoom(this: &MlMap) -> f64;
    #[wasm_bindgen(method, js_name = getBounds)]
    fn get_bounds(this: &MlMap) -> JsValue;
    #[wasm_bindgen(method, js_name = addControl)]
    fn add_control(this: &MlMap, control: &JsValue, position: &str);
    #[wasm_bindgen(method)]
    fn remove(this: &MlMap);

    #[wasm_bindgen(js_name = GeoJSONSource)]
    pub type GeoJsonSource;
    #[wasm_bindgen(method, js_name = setData)]
    fn set_data(this: &GeoJsonSource, data: &JsValue);
    #[wasm_bindgen(method, js_name = updateData)]
    fn update_data(this: &GeoJsonSource, diff: &JsValue);

    pub type ScaleControl;
    #[wasm_bindgen(constructor)]
    fn new(options: &JsValue) -> ScaleControl;

    pub type NavigationControl;
    #[wasm_bindgen(constructor)]
    fn new(options: &JsValue) -> NavigationControl;
}

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn set(o: &Object, key: &str, v: impl Into<JsValue>) {
    let _ = Reflect::set(o, &JsValue::from_str(key), &v.into());
}

fn parse(json: &str) -> JsValue {
    js_sys::JSON::parse(json).unwrap_or(JsValue::NULL)
}

fn js(v: &serde_json::Value) -> JsValue {
    parse(&v.to_string())
}

fn warn(msg: &str) {
    web_sys::console::warn_1(&msg.into());
}

/// True when the vendored `maplibregl` script is loaded and this webview can give it WebGL.
pub fn available() -> bool {
    let Some(w) = web_sys::window() else { return false };
    if !get(&w, "maplibregl").is_object() {
        return false;
    }
    let Some(canvas) = w.document().and_then(|d| d.create_element("canvas").ok()) else {
        return false;
    };
    let Ok(get_context) = get(&canvas, "getContext").dyn_into::<Function>() else {
        return false;
    };
    ["webgl2", "webgl"].iter().any(|kind| {
        get_context
            .call1(&canvas, &JsValue::from_str(kind))
            .is_ok_and(|c| c.is_object())
    })
}

/// Where the desktop serves the base map: `?mapbase=` (dev harness), else the `citydeck-map` protocol
/// (`http://citydeck-map.localhost/` on Windows' WebView2, `citydeck-map://localhost/` elsewhere).
pub fn map_base() -> String {
    if let Some(mut b) = ipc::query_param("mapbase").filter(|b| !b.is_empty()) {
        if !b.ends_with('/') {
            b.push('/');
        }
        return b;
    }
    if ipc::user_agent().contains("Windows") {
        "http://citydeck-map.localhost/".into()
    } else {
        "citydeck-map://localhost/".into()
    }
}

/// Every URL of the base map (the single place they are made).
pub fn map_url(path: &str) -> String {
    format!("{}{path}", map_base())
}

/// The UI scale: root font size / 16 (1 at 1920×1080, 2 at 3840×2160).
fn ui_scale() -> f64 {
    let px = web_sys::window()
        .and_then(|w| {
            let root = w.document()?.document_element()?;
            let cs = w.get_computed_style(&root).ok()??;
            cs.get_property_value("font-size").ok()
        })
        .and_then(|s| s.trim_end_matches("px").parse::<f64>().ok())
        .unwrap_or(16.0);
    (px / 16.0).clamp(0.75, 3.0)
}

enum Camera {
    Fit([f64; 4], f64),
    Fly(f64, f64),
    /// An incident's area (west, south, east, north) framed beside the docked detail panel.
    FitArea([f64; 4]),
}

type FrameCallback = Closure<dyn FnMut(f64)>;

/// Shortest spacing of two pushes into the incident source while changes stream in (ms): twice a second...
const MIN_PUSH_GAP_MS: f64 = 500.0;
/// ... and once a second while a storm goes on (each of the last [`BUSY_PUSHES`] pushes came less than
/// [`BUSY_WITHIN_MS`] after the one before): then the panels and the feed move once a second as well
/// (`state.rs`), and each push costs MapLibre every tile in view (the bubbles all over the city change) plus the
/// symbol placement of their counts, work that a wall painted in software takes from the frames
/// (`cargo xtask bench map`). After a quiet spell the next change goes out in the next frame again.
const BUSY_PUSH_GAP_MS: f64 = 1000.0;
/// Longest spacing of two pushes, whatever the source's size or the last pass's time.
const MAX_PUSH_GAP_MS: f64 = 1000.0;
const _: () = assert!(MIN_PUSH_GAP_MS <= MAX_PUSH_GAP_MS && BUSY_PUSH_GAP_MS <= MAX_PUSH_GAP_MS);
const BUSY_PUSHES: u32 = 4;
const BUSY_WITHIN_MS: f64 = 1.5 * BUSY_PUSH_GAP_MS;

/// The spacing (ms) the next push into the incident source waits for after the last one, given the pushes in a
/// row that came in a stream (`busy`), the features the source holds and the last push's main-thread time: at
/// least [`MIN_PUSH_GAP_MS`] ([`BUSY_PUSH_GAP_MS`] in a storm), longer for a big source (zoomed in past the
/// bubbles, every incident single: `features / 40`) or a slow pass (3× it), at most a second.
pub fn push_gap(busy: u32, source_len: usize, flush_ms: f64) -> f64 {
    let min = if busy >= BUSY_PUSHES {
        BUSY_PUSH_GAP_MS
    } else {
        MIN_PUSH_GAP_MS
    };
    (source_len as f64 / 40.0)
        .max(3.0 * flush_ms)
        .clamp(min, MAX_PUSH_GAP_MS)
}

/// The count of pushes in a row that came in a stream, after a push `since_last` ms after the one before.
pub fn busy_after_push(busy: u32, since_last: f64) -> u32 {
    if since_last < BUSY_WITHIN_MS {
        busy.saturating_add(1)
    } else {
        0
    }
}

struct Inner {
    state: AppState,
    ui: MapUi,
    host: web_sys::Element,
    me: Weak<Inner>,
    map: RefCell<Option<MlMap>>,
    loaded: Cell<bool>,
    destroyed: Cell<bool>,
    scale: Cell<f64>,
    points: RefCell<MapPoints>,
    /// Overlay sources to set this frame (source id → FeatureCollection JSON).
    dirty: RefCell<HashMap<&'static str, String>>,
    /// What each overlay source was last set to.
    last: RefCell<HashMap<&'static str, String>>,
    visibility: RefCell<HashMap<MapLayer, bool>>,
    vis_dirty: Cell<bool>,
    filter_dirty: Cell<bool>,
    last_push: Cell<f64>,
    /// Pushes in a row that came in a stream ([`busy_after_push`]).
    busy_pushes: Cell<u32>,
    camera: RefCell<Option<Camera>>,
    focus_id: RefCell<Option<uuid::Uuid>>,
    /// The selected incident (its area, if it has one, is haloed).
    selected_id: Cell<Option<uuid::Uuid>>,
    has_focus: Cell<bool>,
    /// The last view fitted to bounds (city or wartime focus) while the user has not moved the map since: a
    /// window resized onto a wall (1080p → 4K) fits it again instead of showing it small in the middle.
    last_fit: Cell<Option<([f64; 4], f64)>>,
    map_click: Cell<Option<uuid::Uuid>>,
    /// The drill-down as last asked for (applied again after a rescale resets the layers' paint).
    drill: RefCell<crate::drill::DrillView>,
    /// The base style's label layers and their own `text-size`s, scaled with the wall ([`layers::scaled_size`]).
    base_text: RefCell<Vec<(String, serde_json::Value)>>,
    frame_scheduled: Cell<bool>,
    frame_cb: RefCell<Option<FrameCallback>>,
    /// Main-thread time of the last push's clustering and diff (ms): a slow one spaces the next push out.
    flush_ms: Cell<f64>,
    probe: probe::Probe,
    pulse_timer: Cell<Option<i32>>,
    warned: RefCell<Vec<String>>,
}

pub struct MapLibreEngine {
    inner: Rc<Inner>,
}

impl MapLibreEngine {
    /// Draw into `host` (the style is fetched first; the map appears when it has loaded).
    pub fn new(host: web_sys::Element, state: AppState, ui: MapUi) -> Self {
        let inner = Rc::new_cyclic(|me| Inner {
            state,
            ui,
            host,
            me: me.clone(),
            map: RefCell::new(None),
            loaded: Cell::new(false),
            destroyed: Cell::new(false),
            scale: Cell::new(ui_scale()),
            last_fit: Cell::new(None),
            points: RefCell::new(MapPoints::default()),
            dirty: RefCell::new(HashMap::new()),
            last: RefCell::new(HashMap::new()),
            visibility: RefCell::new(HashMap::new()),
            vis_dirty: Cell::new(false),
            filter_dirty: Cell::new(false),
            last_push: Cell::new(0.0),
            busy_pushes: Cell::new(0),
            camera: RefCell::new(None),
            focus_id: RefCell::new(None),
            selected_id: Cell::new(None),
            has_focus: Cell::new(false),
            map_click: Cell::new(None),
            drill: RefCell::new(Default::default()),
            base_text: RefCell::new(Vec::new()),
            frame_scheduled: Cell::new(false),
            frame_cb: RefCell::new(None),
            flush_ms: Cell::new(0.0),
            probe: probe::Probe::default(),
            pulse_timer: Cell::new(None),
            warned: RefCell::new(Vec::new()),
        });
        {
            let weak = inner.me.clone();
            *inner.frame_cb.borrow_mut() = Some(Closure::new(move |_t: f64| {
                if let Some(i) = weak.upgrade() {
                    i.frame();
                }
            }));
        }
        probe::install(&inner);
        let weak = inner.me.clone();
        leptos::task::spawn_local(async move {
            let (style, fallback) = load_style().await;
            if let Some(i) = weak.upgrade() {
                if fallback {
                    i.ui.fallback_basemap.set(true);
                }
                i.create_map(style);
            }
        });
        MapLibreEngine { inner }
    }
}

/// The desktop's style, or the fallback (true) when it cannot be fetched within a few seconds.
async fn load_style() -> (JsValue, bool) {
    let glyphs = map_url("glyphs/{fontstack}/{range}.pbf");
    let fallback = || (js(&layers::fallback_style(&glyphs)), true);
    let Some(w) = web_sys::window() else {
        return fallback();
    };
    let url = map_url("style.json");
    let (w2, url2) = (w.clone(), url.clone());
    let fetch = async move {
        let f = get(&w2, "fetch").dyn_into::<Function>().ok()?;
        let p = f.call1(&w2, &JsValue::from_str(&url2)).ok()?;
        let resp = JsFuture::from(Promise::resolve(&p)).await.ok()?;
        if !get(&resp, "ok").as_bool().unwrap_or(false) {
            return None;
        }
        let json = get(&resp, "json")
            .dyn_into::<Function>()
            .ok()?
            .call0(&resp)
            .ok()?;
        JsFuture::from(Promise::resolve(&json)).await.ok()
    };
    let timeout = Promise::new(&mut |resolve, _| {
        let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 4000);
    });
    let fetch =
        wasm_bindgen_futures::future_to_promise(async move { Ok(fetch.await.unwrap_or(JsValue::UNDEFINED)) });
    let race = Promise::race(&Array::of2(&fetch, &timeout));
    match JsFuture::from(race).await {
        Ok(style) if get(&style, "version").as_f64() == Some(8.0) => {
            if !get(&style, "glyphs").is_string() {
                let _ = Reflect::set(&style, &"glyphs".into(), &JsValue::from_str(&glyphs));
            }
            (style, false)
        }
        _ => {
            warn(&format!("citydeck map: no base style at {url}; plain background"));
            fallback()
        }
    }
}

impl Inner {
    fn map(&self) -> Option<std::cell::Ref<'_, MlMap>> {
        std::cell::Ref::filter_map(self.map.borrow(), Option::as_ref).ok()
    }

    fn listen(&self, map: &MlMap, event: &str, f: impl Fn(&Inner, JsValue) + 'static) {
        let weak = self.me.clone();
        let cb = Closure::<dyn Fn(JsValue)>::new(move |e: JsValue| {
            if let Some(i) = weak.upgrade() {
                if !i.destroyed.get() {
                    f(&i, e);
                }
            }
        });
        map.on(event, cb.as_ref().unchecked_ref());
        cb.forget();
    }

    fn create_map(&self, style: JsValue) {
        if self.destroyed.get() {
            return;
        }
        if let Some(text) = js_sys::JSON::stringify(&style).ok().and_then(|t| t.as_string()) {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
                *self.base_text.borrow_mut() = layers::base_text_sizes(&v);
            }
        }
        let opts = Object::new();
        set(&opts, "container", self.host.clone());
        set(&opts, "style", style);
        set(&opts, "center", Array::of2(&24.94.into(), &60.17.into()));
        set(&opts, "zoom", 12.0);
        set(&opts, "fadeDuration", 0.0);
        set(&opts, "dragRotate", false);
        set(&opts, "pitchWithRotate", false);
        set(&opts, "maxPitch", 0.0);
        set(
            &opts,
            "localIdeographFontFamily",
            "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', sans-serif",
        );
        let attribution = Object::new();
        set(&attribution, "compact", true);
        set(&opts, "attributionControl", attribution);
        let map = match MlMap::new(&opts) {
            Ok(m) => m,
            Err(e) => {
                warn(&format!("citydeck map: MapLibre failed to start: {e:?}"));
                return;
            }
        };
        self.listen(&map, "load", |i, _| i.on_load());
        self.listen(&map, "click", |i, e| i.on_click(&e));
        self.listen(&map, "mousemove", |i, e| i.on_move(&e));
        // Incidents are clustered for the zoom shown: a new zoom level re-clusters (next frame).
        self.listen(&map, "zoom", |i, _| i.follow_zoom());
        // The user moved the map: a resize keeps their view.
        self.listen(&map, "dragstart", |i, _| i.last_fit.set(None));
        self.listen(&map, "wheel", |i, _| i.last_fit.set(None));
        // The map's box changed (the wartime layout gives the map another panel size, a wall's resolution
        // changed): fit what was fitted again, unless the user has moved the map since.
        self.listen(&map, "resize", |i, _| {
            if let Some(fit) = i.last_fit.get() {
                i.camera_now(Camera::Fit(fit.0, fit.1));
            }
        });
        // What the map shows (the area a field bundle is prepared for).
        self.listen(&map, "moveend", |i, e| {
            let Ok(target) = Reflect::get(&e, &JsValue::from_str("target")) else {
                return;
            };
            let b = target.unchecked_into::<MlMap>().get_bounds();
            let call = |name: &str| -> Option<f64> {
                let f: Function = Reflect::get(&b, &JsValue::from_str(name)).ok()?.dyn_into().ok()?;
                f.call0(&b).ok()?.as_f64()
            };
            if let (Some(w), Some(s), Some(e), Some(n)) = (
                call("getWest"),
                call("getSouth"),
                call("getEast"),
                call("getNorth"),
            ) {
                i.state.view_bounds.set(Some([w, s, e, n]));
            }
        });
        self.listen(&map, "mouseout", |i, _| {
            if i.ui.hover.with_untracked(Option::is_some) {
                i.ui.hover.set(None);
            }
        });
        #[cfg(feature = "probe")]
        self.listen(&map, "render", |i, _| i.probe.rendered());
        self.listen(&map, "error", |i, e| {
            let msg = get(&get(&e, "error"), "message")
                .as_string()
                .unwrap_or_else(|| "map error".into());
            let mut w = i.warned.borrow_mut();
            if w.len() < 20 && !w.contains(&msg) {
                warn(&format!("citydeck map: {msg}"));
                w.push(msg);
            }
        });
        *self.map.borrow_mut() = Some(map);
        // Follow the wall's size (the root font size scales with the viewport).
        if let Some(w) = web_sys::window() {
            let weak = self.me.clone();
            let cb = Closure::<dyn Fn()>::new(move || {
                if let Some(i) = weak.upgrade() {
                    i.rescale();
                    if let (Some(fit), Some(map)) = (i.last_fit.get(), i.map()) {
                        map.resize();
                        i.camera_now(Camera::Fit(fit.0, fit.1));
                    }
                }
            });
            let _ = w.add_event_listener_with_callback("resize", cb.as_ref().unchecked_ref());
            cb.forget();
        }
    }

    fn on_load(&self) {
        let Some(map) = self.map() else { return };
        // The bubbles' rings of grades: each mix drawn the first time a bubble shows it (`donut.rs`).
        self.listen(&map, "styleimagemissing", |i, e| {
            let Some(name) = get(&e, "id").as_string() else {
                return;
            };
            let Some(seg) = super::donut::parse(&name) else {
                return;
            };
            let Some(map) = i.map() else { return };
            if map.has_image(&name) {
                return;
            }
            let img = Object::new();
            set(&img, "width", super::donut::SIZE);
            set(&img, "height", super::donut::SIZE);
            set(
                &img,
                "data",
                js_sys::Uint8Array::from(super::donut::rgba(seg).as_slice()),
            );
            let opts = Object::new();
            set(&opts, "pixelRatio", super::donut::PIXEL_RATIO);
            if let Err(e) = map.add_image(&name, &img, &opts) {
                warn(&format!("citydeck map: ring {name}: {e:?}"));
            }
        });
        for (name, size, data) in layers::sdf_icons() {
            let img = Object::new();
            set(&img, "width", size);
            set(&img, "height", size);
            set(&img, "data", js_sys::Uint8Array::from(data.as_slice()));
            let opts = Object::new();
            set(&opts, "sdf", true);
            set(&opts, "pixelRatio", 2);
            if let Err(e) = map.add_image(name, &img, &opts) {
                warn(&format!("citydeck map: icon {name}: {e:?}"));
            }
        }
        for (id, spec) in layers::sources(map_url) {
            if let Err(e) = map.add_source(id, &js(&spec)) {
                warn(&format!("citydeck map: source {id}: {e:?}"));
            }
        }
        for spec in layers::layers(self.scale.get(), self.state.lang.get_untracked()) {
            if let Err(e) = map.add_layer(&js(&spec)) {
                warn(&format!("citydeck map: layer {}: {e:?}", spec["id"]));
            }
        }
        let scale_opts = Object::new();
        set(&scale_opts, "maxWidth", 160.0 * self.scale.get());
        set(&scale_opts, "unit", "metric");
        map.add_control(&ScaleControl::new(&scale_opts), "bottom-right");
        let nav = Object::new();
        set(&nav, "showCompass", false);
        map.add_control(&NavigationControl::new(&nav), "bottom-right");
        drop(map);
        self.loaded.set(true);
        self.apply_drill();
        self.apply_base_text();
        self.follow_zoom();
        self.vis_dirty.set(true);
        self.filter_dirty.set(true);
        self.ui.ready.set(true);
        self.start_pulse();
        if let Some(c) = self.camera.borrow_mut().take() {
            self.camera_now(c);
        }
        self.schedule();
    }

    /// The base style's labels at the wall's scale.
    fn apply_base_text(&self) {
        let Some(map) = self.map().filter(|_| self.loaded.get()) else {
            return;
        };
        let s = self.scale.get();
        for (id, size) in self.base_text.borrow().iter() {
            let _ = map.set_layout_property(id, "text-size", &js(&layers::scaled_size(size, s)));
        }
    }

    /// Shades and outlines the areas as [`Inner::drill`] says (once the layers exist).
    fn apply_drill(&self) {
        let Some(map) = self.map().filter(|_| self.loaded.get()) else {
            return;
        };
        let view = self.drill.borrow();
        let (filter, color, outline) =
            layers::drill_style(&view.shades, view.focus.as_ref().map(|a| a.id.as_str()));
        let _ = map.set_filter(L_AREA_SHADE, &js(&filter));
        let _ = map.set_paint_property(L_AREA_SHADE, "fill-color", &js(&color));
        let _ = map.set_filter(L_AREA_FOCUS, &js(&outline));
    }

    fn rescale(&self) {
        let s = ui_scale();
        if (s - self.scale.get()).abs() < 0.01 {
            return;
        }
        self.scale.set(s);
        if !self.loaded.get() {
            return;
        }
        self.follow_zoom();
        let Some(map) = self.map() else { return };
        for spec in layers::layers(s, self.state.lang.get_untracked()) {
            let id = spec["id"].as_str().unwrap_or_default();
            type Setter = fn(&MlMap, &str, &str, &JsValue) -> Result<(), JsValue>;
            let setters: [(&str, Setter); 2] = [
                ("paint", MlMap::set_paint_property),
                ("layout", MlMap::set_layout_property),
            ];
            for (kind, setter) in setters {
                if let Some(props) = spec[kind].as_object() {
                    for (k, v) in props.iter().filter(|(k, _)| *k != "visibility") {
                        let _ = setter(&map, id, k, &js(v));
                    }
                }
            }
        }
        drop(map);
        // (the shade layer's colours were just reset to the spec's)
        self.apply_drill();
        self.apply_base_text();
    }

    /// Tell the incident points the zoom level (floored) and cluster parameters the map shows now.
    fn follow_zoom(&self) {
        let Some(z) = self.map().map(|m| m.get_zoom()) else {
            return;
        };
        let zoom = z.floor().clamp(0.0, 24.0) as u32;
        let mut points = self.points.borrow_mut();
        points.set_view(zoom, layers::cluster_params(self.scale.get()));
        let pending = points.pending() > 0;
        drop(points);
        if pending {
            self.schedule();
        }
    }

    fn schedule(&self) {
        if self.frame_scheduled.get() || self.destroyed.get() {
            return;
        }
        let Some(w) = web_sys::window() else { return };
        if let Some(cb) = self.frame_cb.borrow().as_ref() {
            if w.request_animation_frame(cb.as_ref().unchecked_ref()).is_ok() {
                self.frame_scheduled.set(true);
            }
        }
    }

    fn source(&self, map: &MlMap, id: &str) -> Option<GeoJsonSource> {
        let s = map.get_source(id);
        s.is_object().then(|| s.unchecked_into())
    }

    /// One pass per animation frame: everything the cockpit asked for since the last one.
    fn frame(&self) {
        self.frame_scheduled.set(false);
        if !self.loaded.get() || self.destroyed.get() {
            return;
        }
        let Some(map) = self.map() else { return };
        let t0 = time::monotonic_ms();
        // Each push costs MapLibre's worker an index update and the tiles it touches (under a stream of changes
        // all over the city: every tile in view), and costs this thread a re-clustering pass. A change after a
        // quiet spell goes out in the next frame; a stream is batched: at most one push per `push_gap` (twice a
        // second, once a second in a storm, longer for a big source or a slow pass).
        // A new zoom (the user zooming, a fly-to) re-clusters at once, and does not count as a stream.
        let view_change = self.points.borrow().view_pending();
        let flush = {
            let mut points = self.points.borrow_mut();
            let gap = push_gap(self.busy_pushes.get(), points.source_len(), self.flush_ms.get());
            if points.pending() > 0 && !points.resetting() && !view_change && t0 - self.last_push.get() < gap
            {
                self.frame_scheduled.set(false);
                drop(points);
                drop(map);
                self.schedule();
                return self.frame_rest(t0);
            }
            points.flush()
        };
        let flush_ms = time::monotonic_ms() - t0;
        if flush.is_some() {
            if !view_change {
                self.busy_pushes
                    .set(busy_after_push(self.busy_pushes.get(), t0 - self.last_push.get()));
            }
            self.last_push.set(t0);
            self.flush_ms.set(flush_ms);
            self.probe.pushed();
        }
        if let Some(flush) = flush {
            if let Some(src) = self.source(&map, SRC_INCIDENTS) {
                match flush {
                    Flush::Full(fc) => {
                        src.set_data(&parse(&fc));
                        self.probe.full_load();
                    }
                    Flush::Diff(diff) => src.update_data(&parse(&diff)),
                }
            }
            let (counts, n, seq) = {
                let s = self.points.borrow();
                (s.counts(), s.len(), s.seq)
            };
            if self.ui.counts.get_untracked() != counts {
                self.ui.counts.set(counts);
            }
            let _ = self.host.set_attribute("data-map-features", &n.to_string());
            let _ = self.host.set_attribute("data-map-seq", &seq.to_string());
        }
        drop(map);
        self.frame_rest(t0);
    }

    /// The overlays, visibility and filters part of [`Inner::frame`] (cheap: every frame).
    fn frame_rest(&self, t0: f64) {
        let Some(map) = self.map() else { return };
        let dirty: Vec<(&'static str, String)> = self.dirty.borrow_mut().drain().collect();
        for (id, json) in dirty {
            if let Some(src) = self.source(&map, id) {
                src.set_data(&parse(&json));
            }
        }
        if self.vis_dirty.replace(false) {
            let vis = self.visibility.borrow();
            for spec in layers::layers(1.0, self.state.lang.get_untracked()) {
                let id = spec["id"].as_str().unwrap_or_default();
                if let Some(group) = layers::group_of(id) {
                    let on = vis.get(&group).copied().unwrap_or(group.default_on());
                    let _ = map.set_layout_property(
                        id,
                        "visibility",
                        &JsValue::from_str(if on { "visible" } else { "none" }),
                    );
                }
            }
        }
        if self.filter_dirty.replace(false) {
            let focus = self.focus_id.borrow().map(|id| id.to_string());
            for (id, extra) in layers::point_layers() {
                let _ = map.set_filter(id, &js(&layers::point_filter(extra, focus.as_deref())));
            }
            let selected = self.selected_id.get().map(|id| id.to_string());
            let _ = map.set_filter(
                L_OUTLINE_SELECTED,
                &js(&layers::outline_selected_filter(selected.as_deref())),
            );
        }
        let dt = time::monotonic_ms() - t0;
        self.probe.frame_done(dt);
    }

    /// Record an overlay source's new content (pushed next frame if it changed).
    fn set_overlay(&self, id: &'static str, json: String) {
        if self.last.borrow().get(id) == Some(&json) {
            return;
        }
        self.last.borrow_mut().insert(id, json.clone());
        self.dirty.borrow_mut().insert(id, json);
        self.schedule();
    }

    /// Grade-I incidents and the wartime focus pulse (a ring growing and fading, ~14 updates a second).
    fn start_pulse(&self) {
        let Some(w) = web_sys::window() else { return };
        let weak = self.me.clone();
        let cb = Closure::<dyn Fn()>::new(move || {
            let Some(i) = weak.upgrade() else { return };
            if !i.loaded.get() || i.destroyed.get() {
                return;
            }
            // Only grade-I incidents drawn on their own pulse: with none (or all inside bubbles) the map can go
            // idle instead of repainting 14 times a second (on a wall painted in software, a core's worth).
            let grade1 = i.points.borrow().pulsing() > 0
                && i.visibility
                    .borrow()
                    .get(&MapLayer::Incidents)
                    .copied()
                    .unwrap_or(true);
            let focus = i.has_focus.get();
            if !grade1 && !focus {
                return;
            }
            let Some(map) = i.map() else { return };
            let s = i.scale.get();
            let phase = (time::monotonic_ms() % 1600.0) / 1600.0;
            let fade = JsValue::from_f64(0.9 * (1.0 - phase));
            if grade1 {
                let _ = map.set_paint_property(
                    L_PULSE,
                    "circle-radius",
                    &JsValue::from_f64((10.0 + 16.0 * phase) * s),
                );
                let _ = map.set_paint_property(L_PULSE, "circle-stroke-opacity", &fade);
            }
            if focus {
                let _ = map.set_paint_property(
                    L_FOCUS_PULSE,
                    "circle-radius",
                    &JsValue::from_f64((14.0 + 30.0 * phase) * s),
                );
                let _ = map.set_paint_property(L_FOCUS_PULSE, "circle-stroke-opacity", &fade);
            }
        });
        if let Ok(id) =
            w.set_interval_with_callback_and_timeout_and_arguments_0(cb.as_ref().unchecked_ref(), 70)
        {
            self.pulse_timer.set(Some(id));
        }
        cb.forget();
    }

    fn camera_now(&self, c: Camera) {
        let Some(map) = self.map() else {
            *self.camera.borrow_mut() = Some(c);
            return;
        };
        if !self.loaded.get() {
            drop(map);
            *self.camera.borrow_mut() = Some(c);
            return;
        }
        match c {
            Camera::Fit([w, s, e, n], pad) => {
                self.last_fit.set(Some(([w, s, e, n], pad)));
                let b = Array::of2(
                    &Array::of2(&w.into(), &s.into()),
                    &Array::of2(&e.into(), &n.into()),
                );
                let o = Object::new();
                set(&o, "padding", pad * self.scale.get());
                set(&o, "duration", 900);
                map.fit_bounds(&b, &o);
            }
            Camera::FitArea([w, s, e, n]) => {
                self.last_fit.set(None);
                let b = Array::of2(
                    &Array::of2(&w.into(), &s.into()),
                    &Array::of2(&e.into(), &n.into()),
                );
                // Clear of the map's own overlays: the title and the layer row over the top edge, the docked
                // detail panel over the left one.
                let pad = 40.0 * self.scale.get();
                let padding = Object::new();
                set(&padding, "top", pad.max(self.overlays_over_top() + 0.4 * pad));
                set(&padding, "right", pad);
                set(&padding, "bottom", pad);
                set(&padding, "left", self.docked_over() + pad);
                let o = Object::new();
                set(&o, "padding", padding);
                set(&o, "maxZoom", layers::fly_zoom(self.scale.get()));
                set(&o, "duration", 1200);
                set(&o, "essential", true);
                map.fit_bounds(&b, &o);
            }
            Camera::Fly(lon, lat) => {
                self.last_fit.set(None);
                let o = Object::new();
                set(&o, "center", Array::of2(&lon.into(), &lat.into()));
                set(&o, "zoom", map.get_zoom().max(layers::fly_zoom(self.scale.get())));
                set(&o, "duration", 1200);
                // Centre it in the part of the map the docked detail panel leaves visible.
                let pad = Object::new();
                set(&pad, "left", self.docked_over());
                set(&o, "padding", pad);
                set(&o, "essential", true);
                map.fly_to(&o);
            }
        }
    }

    /// How far the docked detail panel / report form reaches over the map's left edge, px.
    fn docked_over(&self) -> f64 {
        let Some(dock) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.query_selector(".cockpit > .detail").ok().flatten())
        else {
            return 0.0;
        };
        let (d, m) = (
            dock.get_bounding_client_rect(),
            self.host.get_bounding_client_rect(),
        );
        (d.right() - m.left()).clamp(0.0, m.width() * 0.6)
    }

    /// How far the map's title and layer row reach down over its top edge, px.
    fn overlays_over_top(&self) -> f64 {
        let Some(layers) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id("map-layers"))
        else {
            return 0.0;
        };
        let m = self.host.get_bounding_client_rect();
        (layers.get_bounding_client_rect().bottom() - m.top()).clamp(0.0, m.height() * 0.4)
    }

    /// Features under a pointer position (a small box, scaled), top layer first.
    fn features_at(&self, point: &JsValue) -> Vec<JsValue> {
        let Some(map) = self.map() else { return Vec::new() };
        let (x, y) = (
            get(point, "x").as_f64().unwrap_or(0.0),
            get(point, "y").as_f64().unwrap_or(0.0),
        );
        let r = 4.0 * self.scale.get();
        let bbox = Array::of2(
            &Array::of2(&(x - r).into(), &(y - r).into()),
            &Array::of2(&(x + r).into(), &(y + r).into()),
        );
        let opts = Object::new();
        let ids = Array::new();
        // (a layer the style refused would make the whole query throw)
        for l in INTERACTIVE.iter().filter(|l| map.get_layer(l).is_object()) {
            ids.push(&JsValue::from_str(l));
        }
        set(&opts, "layers", ids);
        let found = map
            .query_rendered_features(&bbox, &opts)
            .map(|a| a.to_vec())
            .unwrap_or_default();
        let rank = |f: &JsValue| {
            let id = get(&get(f, "layer"), "id").as_string().unwrap_or_default();
            INTERACTIVE.iter().position(|l| *l == id).unwrap_or(99)
        };
        let mut found: Vec<(usize, JsValue)> = found.into_iter().map(|f| (rank(&f), f)).collect();
        found.sort_by_key(|(r, _)| *r);
        found.into_iter().map(|(_, f)| f).collect()
    }

    fn on_click(&self, e: &JsValue) {
        if self.state.form_open.get_untracked() {
            let ll = get(e, "lngLat");
            if let (Some(lon), Some(lat)) = (get(&ll, "lng").as_f64(), get(&ll, "lat").as_f64()) {
                self.state.picked.set(Some((lon, lat)));
            }
            return;
        }
        let Some(f) = self.features_at(&get(e, "point")).into_iter().next() else {
            // Nothing to select there: a shaded area drills in.
            if let Some(id) = self.area_at(&get(e, "point")) {
                self.state.drill_to(Some(&id));
            }
            return;
        };
        let layer = get(&get(&f, "layer"), "id").as_string().unwrap_or_default();
        let props = get(&f, "properties");
        if layer == L_CLUSTERS {
            // Zoom to what the bubble holds (past the clusters if its incidents are all at one spot).
            let Some(key) = get(&props, "id").as_string() else {
                return;
            };
            let Some([w, so, e, n]) = self.points.borrow().bubble_bounds(&key) else {
                return;
            };
            let Some(map) = self.map() else { return };
            let b = Array::of2(
                &Array::of2(&w.into(), &so.into()),
                &Array::of2(&e.into(), &n.into()),
            );
            let o = Object::new();
            set(&o, "padding", 80.0 * self.scale.get());
            set(&o, "maxZoom", layers::fly_zoom(self.scale.get()));
            set(&o, "duration", 600);
            map.fit_bounds(&b, &o);
            return;
        }
        if layer == L_POINTS || layer == L_FOCUS_POINT {
            if let Some(id) = get(&props, "id")
                .as_string()
                .and_then(|s| uuid::Uuid::parse_str(&s).ok())
            {
                self.select_from_map(id);
            }
        }
    }

    /// The id of the shaded area (one level below the area drilled into) under `point`, if any.
    fn area_at(&self, point: &JsValue) -> Option<String> {
        let map = self.map()?;
        if !map.get_layer(L_AREA_SHADE).is_object() {
            return None;
        }
        let opts = Object::new();
        set(&opts, "layers", Array::of1(&JsValue::from_str(L_AREA_SHADE)));
        let found = map.query_rendered_features(point, &opts).ok()?;
        get(&get(&found.get(0), "properties"), "id").as_string()
    }

    fn select_from_map(&self, id: uuid::Uuid) {
        self.map_click.set(Some(id));
        self.state.selected.set(Some(id));
    }

    fn on_move(&self, e: &JsValue) {
        let point = get(e, "point");
        let hover = self.features_at(&point).into_iter().next().and_then(|f| {
            let body = hover_body(&f)?;
            Some(Hover {
                x: get(&point, "x").as_f64().unwrap_or(0.0),
                y: get(&point, "y").as_f64().unwrap_or(0.0),
                body,
            })
        });
        if self.ui.hover.with_untracked(|h| *h != hover) {
            self.ui.hover.set(hover);
        }
    }

    fn position(&self, id: uuid::Uuid) -> Option<(f64, f64)> {
        self.points.borrow().get(&id).map(|p| (p.lon, p.lat))
    }
}

fn hover_body(f: &JsValue) -> Option<HoverBody> {
    let layer = get(&get(f, "layer"), "id").as_string()?;
    let p = get(f, "properties");
    let s = |k: &str| get(&p, k).as_string().unwrap_or_default();
    Some(match layer.as_str() {
        L_POINTS | L_FOCUS_POINT => HoverBody::Incident {
            title: s("title"),
            grade: Grade::parse(&s("grade")).unwrap_or(Grade::IV),
            class: IncidentClass::parse(&s("class")),
            stage: Stage::parse(&s("stage")),
        },
        L_CLUSTERS => {
            let n = |k: &str| get(&p, k).as_f64().unwrap_or(0.0);
            let worst = if n("g1") > 0.0 {
                Grade::I
            } else if n("g2") > 0.0 {
                Grade::II
            } else if n("g3") > 0.0 {
                Grade::III
            } else {
                Grade::IV
            };
            HoverBody::Cluster {
                count: n("point_count") as u64,
                worst,
            }
        }
        L_RESOURCES => HoverBody::Unit {
            name: s("name"),
            group: s("group"),
            status: s("status"),
            kind: s("kind"),
        },
        L_SENSORS => {
            let v = get(&p, "value").as_f64().unwrap_or(f64::NAN);
            HoverBody::Sensor {
                name: s("name"),
                kind: s("kind"),
                reading: format!("{} {}", (v * 10.0).round() / 10.0, s("unit"))
                    .trim()
                    .to_string(),
                state: s("state"),
            }
        }
        L_FACILITIES => HoverBody::Facility {
            name: s("full_name"),
            kind: s("facility_kind"),
            distance_m: get(&p, "distance_m").as_f64().unwrap_or(0.0),
        },
        _ => return None,
    })
}

impl MapEngine for MapLibreEngine {
    fn apply_delta(&self, delta: MapDelta) {
        let i = &self.inner;
        if !delta.resources.is_empty() || delta.full {
            i.set_overlay(SRC_RESOURCES, points::resources_json(&delta.resources));
        }
        if !delta.sensors.is_empty() || delta.full {
            i.set_overlay(SRC_SENSORS, points::sensors_json(&delta.sensors));
        }
        let outlines = {
            let mut p = i.points.borrow_mut();
            p.apply(delta);
            p.take_outlines().map(|json| (json, p.outlined().count()))
        };
        // The alerts' areas: a small source, set whole when one came, changed or went (not spaced like the
        // markers: a new alert's area shows at once).
        if let Some((json, n)) = outlines {
            i.set_overlay(SRC_OUTLINES, json);
            let _ = i.host.set_attribute("data-map-outlines", &n.to_string());
            if i.ui.outlines.get_untracked() != n {
                i.ui.outlines.set(n);
            }
        }
        i.schedule();
    }

    fn set_selection(&self, id: Option<uuid::Uuid>, at: Option<(f64, f64)>) {
        let i = &self.inner;
        if i.selected_id.replace(id) != id {
            i.filter_dirty.set(true);
            i.schedule();
        }
        let at = id.and(at);
        i.set_overlay(SRC_SELECTED, points::single_point_json(at));
    }

    /// To the selected incident: its whole area when it has one (an alert's outline), else its point.
    fn fly_to(&self, lon: f64, lat: f64) {
        let i = &self.inner;
        let area = i.selected_id.get().and_then(|id| {
            let points = i.points.borrow();
            let p = points.get(&id).filter(|p| p.lon == lon && p.lat == lat)?;
            points::outline_bounds(p.outline.as_deref()?)
        });
        i.camera_now(match area {
            Some(b) => Camera::FitArea(b),
            None => Camera::Fly(lon, lat),
        });
    }

    fn fit_city(&self, bbox: [f64; 4]) {
        if bbox.iter().all(|v| v.is_finite()) && bbox[2] > bbox[0] && bbox[3] > bbox[1] {
            self.inner.camera_now(Camera::Fit(bbox, 36.0));
        }
    }

    fn set_lang(&self, lang: crate::i18n::Lang) {
        let Some(map) = self.inner.map().filter(|_| self.inner.loaded.get()) else {
            return;
        };
        let field = js(&layers::area_label(lang));
        for id in layers::AREA_LABEL_LAYERS {
            let _ = map.set_layout_property(id, "text-field", &field);
        }
    }

    fn set_focus(&self, focus: Option<&WartimeFocus>) {
        let i = &self.inner;
        i.has_focus.set(focus.is_some());
        i.set_overlay(
            SRC_FOCUS,
            focus
                .map(points::focus_json)
                .unwrap_or_else(|| points::single_point_json(None)),
        );
        let id = focus.map(|f| f.incident.id);
        if *i.focus_id.borrow() != id {
            *i.focus_id.borrow_mut() = id;
            i.filter_dirty.set(true);
            i.schedule();
            if let Some(b) = focus.and_then(super::schematic::focus_bounds) {
                i.camera_now(Camera::Fit(b, 24.0));
            }
        }
    }

    fn set_drill(&self, view: &crate::drill::DrillView) {
        *self.inner.drill.borrow_mut() = view.clone();
        self.inner.apply_drill();
    }

    fn set_pending(&self, points: &[MapPoint], tag: &str) {
        self.inner
            .set_overlay(SRC_PENDING, points::pending_json(points, tag));
    }

    fn set_picking(&self, picking: bool, picked: Option<(f64, f64)>) {
        let _ = self
            .inner
            .host
            .set_attribute("data-picking", if picking { "true" } else { "false" });
        self.inner
            .set_overlay(SRC_PICK, points::single_point_json(picked));
    }

    fn set_layer_visible(&self, layer: MapLayer, visible: bool) {
        let i = &self.inner;
        if i.visibility.borrow().get(&layer) != Some(&visible) {
            i.visibility.borrow_mut().insert(layer, visible);
            i.vis_dirty.set(true);
            i.schedule();
        }
    }

    fn position_of(&self, id: uuid::Uuid) -> Option<(f64, f64)> {
        self.inner.position(id)
    }

    fn take_map_click(&self, id: uuid::Uuid) -> bool {
        self.inner.map_click.take() == Some(id)
    }

    fn destroy(&self) {
        let i = &self.inner;
        i.destroyed.set(true);
        if let (Some(t), Some(w)) = (i.pulse_timer.take(), web_sys::window()) {
            w.clear_interval_with_handle(t);
        }
        if let Some(m) = i.map.borrow_mut().take() {
            m.remove();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_storm_slows_pushes_to_once_a_second_and_a_quiet_spell_ends_it() {
        // A change after a quiet spell: not busy, the short spacing.
        let mut busy = busy_after_push(0, 60_000.0);
        assert_eq!(busy, 0);
        assert_eq!(push_gap(busy, 300, 5.0), MIN_PUSH_GAP_MS);
        // A stream: pushes at the short spacing, until enough in a row make it a storm.
        for _ in 0..BUSY_PUSHES {
            assert_eq!(push_gap(busy, 300, 5.0), MIN_PUSH_GAP_MS);
            busy = busy_after_push(busy, MIN_PUSH_GAP_MS);
        }
        assert_eq!(push_gap(busy, 300, 5.0), BUSY_PUSH_GAP_MS);
        // Pushes once a second still count as the storm going on.
        busy = busy_after_push(busy, BUSY_PUSH_GAP_MS);
        assert_eq!(push_gap(busy, 300, 5.0), BUSY_PUSH_GAP_MS);
        // Quiet for longer than that: back to the short spacing.
        busy = busy_after_push(busy, BUSY_WITHIN_MS + 1.0);
        assert_eq!(push_gap(busy, 300, 5.0), MIN_PUSH_GAP_MS);
    }

    #[test]
    fn a_big_source_or_a_slow_pass_spaces_pushes_out_up_to_a_second() {
        assert_eq!(push_gap(0, 30_000, 1.0), 750.0);
        assert_eq!(push_gap(0, 300, 200.0), 600.0);
        assert_eq!(push_gap(0, 100_000, 900.0), 1000.0);
        assert_eq!(push_gap(BUSY_PUSHES, 100_000, 900.0), 1000.0);
    }
}
