//! The test hook `window.citydeckMap` and the frame-time probe, built only with the `probe` feature: the window
//! tests (`cargo xtask test`) read the map through it and `cargo xtask bench map` measures frames with it; the
//! shipped cockpit (`cargo xtask ui`, `demo`) has neither.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect};
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::{get, parse, set, FrameCallback, Inner, MlMap};
use crate::map::layers::{self, L_CLUSTERS, L_OUTLINE_FILL, L_POINTS};

#[wasm_bindgen(js_namespace = maplibregl)]
extern "C" {
    #[wasm_bindgen(method)]
    fn once(this: &MlMap, event: &str, cb: &Function);
    #[wasm_bindgen(method)]
    fn project(this: &MlMap, lnglat: &JsValue) -> JsValue;
    #[wasm_bindgen(method, js_name = jumpTo)]
    fn jump_to(this: &MlMap, options: &JsValue);
}

/// What the engine counts for `stats()`, and the frame probe.
#[derive(Default)]
pub(super) struct Probe {
    /// Pushes into the incident source (`updateData` / `setData`), whole reloads among them.
    pushes: Cell<u64>,
    full_loads: Cell<u64>,
    /// Main-thread time of the last / the slowest per-frame pass (ms).
    last_frame_ms: Cell<f64>,
    max_frame_ms: Cell<f64>,
    frames: RefCell<Frames>,
    frame_cb: RefCell<Option<FrameCallback>>,
}

/// Animation-frame intervals between `startFrameProbe()` and `stopFrameProbe()`.
#[derive(Default)]
struct Frames {
    running: bool,
    last: Option<f64>,
    deltas: Vec<f64>,
    /// MapLibre repaints meanwhile.
    renders: u64,
}

impl Probe {
    pub(super) fn pushed(&self) {
        self.pushes.set(self.pushes.get() + 1);
    }

    pub(super) fn full_load(&self) {
        self.full_loads.set(self.full_loads.get() + 1);
    }

    pub(super) fn frame_done(&self, ms: f64) {
        self.last_frame_ms.set(ms);
        self.max_frame_ms.set(self.max_frame_ms.get().max(ms));
    }

    pub(super) fn rendered(&self) {
        let mut p = self.frames.borrow_mut();
        if p.running {
            p.renders += 1;
        }
    }
}

impl Inner {
    /// Client (viewport) position of an incident marker, and whether it is drawn on its own (not in a cluster).
    fn marker_position(&self, id: uuid::Uuid) -> Option<(f64, f64, bool, bool)> {
        let (lon, lat) = self.position(id)?;
        let map = self.map()?;
        let p = map.project(&Array::of2(&lon.into(), &lat.into()));
        let (x, y) = (get(&p, "x").as_f64()?, get(&p, "y").as_f64()?);
        let rect = self.host.get_bounding_client_rect();
        let inside = x >= 0.0 && y >= 0.0 && x <= rect.width() && y <= rect.height();
        drop(map);
        let single = inside
            && self
                .features_at(&parse(&format!(r#"{{"x":{x},"y":{y}}}"#)))
                .iter()
                .any(|f| get(&get(f, "properties"), "id").as_string() == Some(id.to_string()));
        Some((rect.left() + x, rect.top() + y, inside, single))
    }
}

/// `window.citydeckMap = { engine: "schematic" }` (the schematic view has no MapLibre to probe).
pub(crate) fn install_schematic() {
    if let Some(w) = web_sys::window() {
        let o = Object::new();
        set(&o, "engine", "schematic");
        let _ = Reflect::set(&w, &JsValue::from_str("citydeckMap"), &o);
    }
}

fn func<F>(f: F) -> JsValue
where
    F: Fn(JsValue) -> JsValue + 'static,
{
    Closure::<dyn Fn(JsValue) -> JsValue>::new(f).into_js_value()
}

fn position_js(p: Option<(f64, f64, bool, bool)>) -> JsValue {
    match p {
        None => JsValue::NULL,
        Some((x, y, inside, single)) => {
            let o = Object::new();
            set(&o, "x", x);
            set(&o, "y", y);
            set(&o, "visible", inside);
            set(&o, "unclustered", single);
            o.into()
        }
    }
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let k = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[k.min(sorted.len() - 1)]
}

/// `window.citydeckMap`, for the end-to-end test (WebDriver) and the frame-time benchmark:
///
/// - `engine` — `"maplibre"` (or `"schematic"` for the fallback), `map` — the `maplibregl.Map`
/// - `ready()` — the style and the cockpit layers are loaded
/// - `featureCount()` — incidents the map holds; `seq()` — the `map_delta` seq it has applied
/// - `renderedCount()` — `{points, clusters, clustered}` drawn now (single markers, cluster bubbles, incidents
///   inside those bubbles)
/// - `markerPosition(id)` — `{x, y, visible, unclustered}` in viewport px (WebDriver pointer coordinates), or null
/// - `revealMarker(id)` — jump to it zoomed in past the clusters; a Promise of `markerPosition(id)` once drawn
/// - `select(id)` — as a click on its marker; `selected()` — the selected incident id or null
/// - `outlines()` — `[{id, grade, rings, bbox}]`: the incidents whose area (an alert's outline) the map holds;
///   `renderedOutlines()` — the ids of the areas drawn now (the fill layer, in view)
/// - `startFrameProbe()` / `stopFrameProbe()` — animation-frame intervals in between:
///   `{frames, renders, meanMs, p50Ms, p95Ms, p99Ms, maxMs, fps}` (`renders`: MapLibre repaints)
/// - `stats()` — `{features, pending, pushes, fullLoads, sourceFeatures, flushMs, lastFrameMs, maxFrameMs}`:
///   incidents held, changes not yet pushed, pushes into the source (one per frame at most), whole reloads,
///   features the source holds (bubbles and single markers), main-thread time of the last push's clustering
///   and diff, of the last / slowest per-frame pass
pub(super) fn install(inner: &Rc<Inner>) {
    let Some(w) = web_sys::window() else { return };
    let o = Object::new();
    set(&o, "engine", "maplibre");
    let weak = Rc::downgrade(inner);
    let with = move |f: &dyn Fn(&Inner) -> JsValue| weak.upgrade().map(|i| f(&i)).unwrap_or(JsValue::NULL);
    let id_of = |v: &JsValue| v.as_string().and_then(|s| uuid::Uuid::parse_str(&s).ok());

    {
        let with = with.clone();
        set(&o, "ready", func(move |_| with(&|i| (i.loaded.get()).into())));
    }
    {
        let with = with.clone();
        set(
            &o,
            "featureCount",
            func(move |_| with(&|i| (i.points.borrow().len() as f64).into())),
        );
    }
    {
        let with = with.clone();
        set(
            &o,
            "seq",
            func(move |_| with(&|i| (i.points.borrow().seq as f64).into())),
        );
    }
    {
        let with = with.clone();
        set(
            &o,
            "renderedCount",
            func(move |_| {
                with(&|i| {
                    let Some(map) = i.map() else { return JsValue::NULL };
                    let opts = Object::new();
                    set(&opts, "layers", Array::of2(&L_POINTS.into(), &L_CLUSTERS.into()));
                    let found = map
                        .query_rendered_features(&JsValue::UNDEFINED, &opts)
                        .map(|a| a.to_vec())
                        .unwrap_or_default();
                    let (mut points, mut clusters, mut clustered) = (0u32, 0u32, 0f64);
                    for f in &found {
                        let n = get(&get(f, "properties"), "point_count").as_f64();
                        match n {
                            Some(n) => {
                                clusters += 1;
                                clustered += n;
                            }
                            None => points += 1,
                        }
                    }
                    let r = Object::new();
                    set(&r, "points", points);
                    set(&r, "clusters", clusters);
                    set(&r, "clustered", clustered);
                    r.into()
                })
            }),
        );
    }
    {
        let with = with.clone();
        set(
            &o,
            "markerPosition",
            func(move |id| with(&|i| position_js(id_of(&id).and_then(|id| i.marker_position(id))))),
        );
    }
    {
        let with = with.clone();
        set(
            &o,
            "revealMarker",
            func(move |id| {
                with(&|i| {
                    let Some(id) = id_of(&id) else {
                        return JsValue::NULL;
                    };
                    let (Some((lon, lat)), Some(map)) = (i.position(id), i.map()) else {
                        return JsValue::NULL;
                    };
                    let o = Object::new();
                    set(&o, "center", Array::of2(&lon.into(), &lat.into()));
                    set(
                        &o,
                        "zoom",
                        map.get_zoom().max(layers::fly_zoom(i.scale.get()) + 0.5),
                    );
                    map.jump_to(&o);
                    let weak = i.me.clone();
                    let map_ref: MlMap = (**map).clone().unchecked_into();
                    drop(map);
                    Promise::new(&mut |resolve, _| {
                        let weak = weak.clone();
                        let done = Closure::<dyn Fn()>::new(move || {
                            let pos = weak.upgrade().and_then(|i| i.marker_position(id));
                            let _ = resolve.call1(&JsValue::NULL, &position_js(pos));
                        })
                        .into_js_value();
                        let f: &Function = done.unchecked_ref();
                        map_ref.once("idle", f);
                        // Under a stream of updates the map may never be idle: answer after 1.5 s anyway.
                        if let Some(w) = web_sys::window() {
                            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(f, 1500);
                        }
                    })
                    .into()
                })
            }),
        );
    }
    {
        let with = with.clone();
        set(
            &o,
            "select",
            func(move |id| {
                with(&|i| match id_of(&id) {
                    Some(id) => {
                        i.select_from_map(id);
                        true.into()
                    }
                    None => false.into(),
                })
            }),
        );
    }
    {
        let with = with.clone();
        set(
            &o,
            "selected",
            func(move |_| {
                with(&|i| {
                    i.state
                        .selected
                        .get_untracked()
                        .map(|id| JsValue::from_str(&id.to_string()))
                        .unwrap_or(JsValue::NULL)
                })
            }),
        );
    }
    {
        let with = with.clone();
        set(
            &o,
            "outlines",
            func(move |_| {
                with(&|i| {
                    let list = Array::new();
                    for p in i.points.borrow().outlined() {
                        let r = Object::new();
                        set(&r, "id", p.id.to_string());
                        set(&r, "grade", p.grade.as_str());
                        set(&r, "rings", p.outline.as_ref().map_or(0, Vec::len) as f64);
                        if let Some(b) = p.outline.as_deref().and_then(crate::map::points::outline_bounds) {
                            set(&r, "bbox", b.iter().map(|v| JsValue::from(*v)).collect::<Array>());
                        }
                        list.push(&r);
                    }
                    list.into()
                })
            }),
        );
    }
    {
        let with = with.clone();
        set(
            &o,
            "renderedOutlines",
            func(move |_| {
                with(&|i| {
                    let Some(map) = i.map() else { return JsValue::NULL };
                    let opts = Object::new();
                    set(&opts, "layers", Array::of1(&L_OUTLINE_FILL.into()));
                    let ids: std::collections::BTreeSet<String> = map
                        .query_rendered_features(&JsValue::UNDEFINED, &opts)
                        .map(|a| a.to_vec())
                        .unwrap_or_default()
                        .iter()
                        .filter_map(|f| get(&get(f, "properties"), "id").as_string())
                        .collect();
                    ids.into_iter().map(JsValue::from).collect::<Array>().into()
                })
            }),
        );
    }
    {
        let with = with.clone();
        set(
            &o,
            "startFrameProbe",
            func(move |_| {
                with(&|i| {
                    *i.probe.frames.borrow_mut() = Frames {
                        running: true,
                        ..Frames::default()
                    };
                    if i.probe.frame_cb.borrow().is_none() {
                        let weak = i.me.clone();
                        *i.probe.frame_cb.borrow_mut() = Some(Closure::new(move |t: f64| {
                            let Some(i) = weak.upgrade() else { return };
                            let mut p = i.probe.frames.borrow_mut();
                            if !p.running {
                                return;
                            }
                            if let Some(last) = p.last {
                                p.deltas.push(t - last);
                            }
                            p.last = Some(t);
                            drop(p);
                            let cb = i.probe.frame_cb.borrow();
                            if let (Some(w), Some(cb)) = (web_sys::window(), cb.as_ref()) {
                                let _ = w.request_animation_frame(cb.as_ref().unchecked_ref());
                            }
                        }));
                    }
                    let cb = i.probe.frame_cb.borrow();
                    if let (Some(w), Some(cb)) = (web_sys::window(), cb.as_ref()) {
                        let _ = w.request_animation_frame(cb.as_ref().unchecked_ref());
                    }
                    true.into()
                })
            }),
        );
    }
    {
        let with = with.clone();
        set(
            &o,
            "stopFrameProbe",
            func(move |_| {
                with(&|i| {
                    let mut p = i.probe.frames.borrow_mut();
                    p.running = false;
                    let mut d = std::mem::take(&mut p.deltas);
                    d.sort_by(f64::total_cmp);
                    let n = d.len().max(1) as f64;
                    let mean = d.iter().sum::<f64>() / n;
                    let r = Object::new();
                    set(&r, "frames", d.len() as f64);
                    set(&r, "renders", p.renders as f64);
                    set(&r, "meanMs", mean);
                    set(&r, "p50Ms", percentile(&d, 0.5));
                    set(&r, "p95Ms", percentile(&d, 0.95));
                    set(&r, "p99Ms", percentile(&d, 0.99));
                    set(&r, "maxMs", d.last().copied().unwrap_or(0.0));
                    set(&r, "fps", if mean > 0.0 { 1000.0 / mean } else { 0.0 });
                    r.into()
                })
            }),
        );
    }
    {
        let with = with.clone();
        set(
            &o,
            "stats",
            func(move |_| {
                with(&|i| {
                    let s = i.points.borrow();
                    let r = Object::new();
                    set(&r, "features", s.len() as f64);
                    set(&r, "pending", s.pending() as f64);
                    set(&r, "pushes", i.probe.pushes.get() as f64);
                    set(&r, "fullLoads", i.probe.full_loads.get() as f64);
                    set(&r, "sourceFeatures", s.source_len() as f64);
                    set(&r, "flushMs", i.flush_ms.get());
                    set(&r, "lastFrameMs", i.probe.last_frame_ms.get());
                    set(&r, "maxFrameMs", i.probe.max_frame_ms.get());
                    r.into()
                })
            }),
        );
    }
    {
        let weak = Rc::downgrade(inner);
        // `map` as a getter: the map is created once the style has loaded.
        let getter = Closure::<dyn Fn() -> JsValue>::new(move || {
            weak.upgrade()
                .and_then(|i| {
                    i.map
                        .borrow()
                        .as_ref()
                        .map(|m| AsRef::<JsValue>::as_ref(m).clone())
                })
                .unwrap_or(JsValue::NULL)
        })
        .into_js_value();
        let desc = Object::new();
        set(&desc, "get", getter);
        let _ = Reflect::define_property(&o, &JsValue::from_str("map"), &desc);
    }
    let _ = Reflect::set(&w, &JsValue::from_str("citydeckMap"), &o);
}
