//! Apache ECharts: the ONLY module with bindings to `echarts` (the UMD build vendored from npm into
//! `dist/vendor/echarts.min.js` at build time and loaded by `index.html`; nothing is fetched at run time). The
//! options are plain JSON built by [`super::model`]; a chart is made for an element, given options, resized and
//! disposed of.

use js_sys::Reflect;
use serde_json::Value;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(js_namespace = echarts)]
extern "C" {
    type EChart;
    #[wasm_bindgen(catch, js_name = init)]
    fn echarts_init(el: &web_sys::Element, theme: &JsValue, opts: &JsValue) -> Result<EChart, JsValue>;
    #[wasm_bindgen(method, catch, js_name = setOption)]
    fn set_option(this: &EChart, option: &JsValue, not_merge: bool) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch)]
    fn resize(this: &EChart) -> Result<(), JsValue>;
    #[wasm_bindgen(method)]
    fn dispose(this: &EChart);
}

/// Whether the page loaded ECharts (a page without the vendored script draws no charts, and says nothing).
pub fn available() -> bool {
    web_sys::window()
        .and_then(|w| Reflect::get(&w, &JsValue::from_str("echarts")).ok())
        .is_some_and(|e| e.is_object())
}

/// One chart in one element; disposed of when dropped.
pub struct Chart {
    inner: EChart,
    /// The options last set, so an unchanged refresh costs nothing.
    last: Option<String>,
}

impl Chart {
    /// A canvas chart filling `el` (None without ECharts or when it refuses the element).
    pub fn new(el: &web_sys::Element) -> Option<Chart> {
        if !available() {
            return None;
        }
        let opts = js_sys::Object::new();
        let _ = Reflect::set(&opts, &"renderer".into(), &"canvas".into());
        match echarts_init(el, &JsValue::NULL, &opts) {
            Ok(inner) => Some(Chart { inner, last: None }),
            Err(e) => {
                web_sys::console::warn_1(&e);
                None
            }
        }
    }

    /// Replaces the chart's options (not merged with the previous ones); nothing when they are the same.
    pub fn set(&mut self, option: &Value) {
        let text = option.to_string();
        if self.last.as_deref() == Some(text.as_str()) {
            return;
        }
        match js_sys::JSON::parse(&text) {
            Ok(v) => {
                if let Err(e) = self.inner.set_option(&v, true) {
                    web_sys::console::warn_1(&e);
                }
                self.last = Some(text);
            }
            Err(e) => web_sys::console::warn_1(&e),
        }
    }

    /// Fits the chart to its element again (the wall's scale or the layout changed).
    pub fn resize(&self) {
        let _ = self.inner.resize();
    }
}

impl Drop for Chart {
    fn drop(&mut self) {
        self.inner.dispose();
    }
}

/// The page's pixels per rem (the cockpit scales with the wall: 16 at 1920×1080, 32 at 3840×2160).
pub fn rem_px() -> f64 {
    web_sys::window()
        .and_then(|w| {
            let root = w.document()?.document_element()?;
            let style = w.get_computed_style(&root).ok()??;
            style.get_property_value("font-size").ok()
        })
        .and_then(|s| s.trim_end_matches("px").parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v > 0.0)
        .unwrap_or(16.0)
}
