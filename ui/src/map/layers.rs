//! The cockpit's own sources and layers, drawn over whatever base style loaded (pure data: MapLibre style-spec
//! JSON). Sizes are in CSS px at 1920×1080 and multiplied by the UI scale (the root font size / 16), so a
//! 3840×2160 wall draws markers twice as large, like the rest of the cockpit.

use serde_json::{json, Value};

use super::cluster::Params;
use super::MapLayer;
use crate::i18n::Lang;

pub const SRC_INCIDENTS: &str = "cd-incidents";
pub const SRC_RESOURCES: &str = "cd-resources";
pub const SRC_SENSORS: &str = "cd-sensors";
pub const SRC_DISTRICTS: &str = "cd-districts";
/// One point per district / street where its name is written (the map protocol's `district-labels.geojson`).
pub const SRC_DISTRICT_LABELS: &str = "cd-district-labels";
pub const SRC_FOCUS: &str = "cd-focus";
pub const SRC_SELECTED: &str = "cd-selected";
pub const SRC_PICK: &str = "cd-pick";
/// Incidents reported on this desktop that the hub has not confirmed yet (the outbox's pending creates).
pub const SRC_PENDING: &str = "cd-pending";
/// The areas of the open incidents that have one (a CAP alert's polygons and circles: `points::outlines_json`).
pub const SRC_OUTLINES: &str = "cd-outlines";

pub const L_POINTS: &str = "cd-points";
pub const L_CLUSTERS: &str = "cd-clusters";
/// The bubbles' rings of grades and their grade-I badges.
pub const L_CLUSTER_RING: &str = "cd-cluster-ring";
pub const L_CLUSTER_G1: &str = "cd-cluster-g1";
pub const L_PULSE: &str = "cd-pulse";
pub const L_FOCUS_PULSE: &str = "cd-focus-pulse";
pub const L_FOCUS_POINT: &str = "cd-focus-point";
pub const L_RESOURCES: &str = "cd-resources";
pub const L_SENSORS: &str = "cd-sensors";
pub const L_FACILITIES: &str = "cd-facilities";
/// The drill-down's shaded areas (a click on one drills into it) and the outline of the area drilled into.
pub const L_AREA_SHADE: &str = "cd-area-shade";
pub const L_AREA_FOCUS: &str = "cd-area-focus";
/// An incident's area (an alert's): a translucent fill and an edge in its grade's colour, under the markers; the
/// selected incident's area haloed.
pub const L_OUTLINE_FILL: &str = "cd-outline-fill";
pub const L_OUTLINE_LINE: &str = "cd-outline-line";
pub const L_OUTLINE_SELECTED: &str = "cd-outline-selected";
/// The incident's title written along its area's edge (a wall sees what the coloured area is).
pub const L_OUTLINE_LABEL: &str = "cd-outline-label";

/// Layers a pointer can hit (hover tooltip, click), top first.
pub const INTERACTIVE: [&str; 6] = [
    L_FOCUS_POINT,
    L_POINTS,
    L_CLUSTERS,
    L_FACILITIES,
    L_RESOURCES,
    L_SENSORS,
];

/// Incidents stop clustering above this zoom (one more on a 4K wall, which shows the same area one zoom level
/// deeper).
pub fn cluster_max_zoom(s: f64) -> u32 {
    14 + s.max(1.0).log2().round() as u32
}

/// How the cockpit clusters incidents ([`super::cluster`]): a 40 px radius (scaled with the wall), bubbles of 3
/// or more, none above [`cluster_max_zoom`].
pub fn cluster_params(s: f64) -> Params {
    Params {
        radius_px: (40.0 * s).round(),
        max_zoom: cluster_max_zoom(s),
        min_points: 3,
    }
}

/// Flying to an incident zooms at least this far in (past the clusters).
pub fn fly_zoom(s: f64) -> f64 {
    f64::from(cluster_max_zoom(s)) + 1.5
}

/// The filter of the single-incident layers: not a cluster, and not the wartime focus (drawn by its own layer).
pub fn point_filter(extra: Option<Value>, focus_id: Option<&str>) -> Value {
    let mut all = vec![json!("all"), json!(["!", ["has", "point_count"]])];
    all.extend(extra);
    if let Some(id) = focus_id {
        all.push(json!(["!=", ["get", "id"], id]));
    }
    Value::Array(all)
}

/// The single-incident layers and their own extra filter condition.
pub fn point_layers() -> [(&'static str, Option<Value>); 3] {
    let grade1 = || Some(json!(["==", ["get", "grade"], "I"]));
    [
        (L_POINTS, None),
        (L_PULSE, grade1()),
        ("cd-points-label", grade1()),
    ]
}

pub const FONT: &str = "Noto Sans Regular";

pub const G1: &str = "#ff3b30";
pub const G2: &str = "#ff8c1a";
pub const G3: &str = "#ffd21f";
pub const G4: &str = "#3d8bff";

/// The selected incident's area only (none: an id no feature has).
pub fn outline_selected_filter(id: Option<&str>) -> Value {
    json!(["==", ["get", "id"], id.unwrap_or("")])
}

/// Colour of an incident by its `grade` property.
fn grade_colour() -> Value {
    json!(["match", ["get", "grade"], "I", G1, "II", G2, "III", G3, G4])
}

/// Marker radius by grade (I largest).
fn grade_radius(s: f64) -> Value {
    json!([
        "match",
        ["get", "grade"],
        "I",
        9.5 * s,
        "II",
        8.0 * s,
        "III",
        6.5 * s,
        5.5 * s
    ])
}

/// The sources, empty (filled by the engine). The districts and their label points are fetched by MapLibre
/// from the map protocol (`map_url(file)` is the URL of a file of it).
pub fn sources(map_url: impl Fn(&str) -> String) -> Vec<(&'static str, Value)> {
    let empty = json!({"type": "FeatureCollection", "features": []});
    vec![
        (
            SRC_DISTRICTS,
            json!({"type": "geojson", "data": map_url("districts.geojson")}),
        ),
        (
            SRC_DISTRICT_LABELS,
            json!({"type": "geojson", "data": map_url("district-labels.geojson")}),
        ),
        (
            SRC_INCIDENTS,
            json!({
                "type": "geojson",
                "data": empty,
                // Not clustered by MapLibre: the cockpit sends the bubbles it clustered itself (`cluster_params`).
                "promoteId": "id",
                "buffer": 32,
            }),
        ),
        (SRC_RESOURCES, json!({"type": "geojson", "data": empty})),
        (SRC_SENSORS, json!({"type": "geojson", "data": empty})),
        (SRC_FOCUS, json!({"type": "geojson", "data": empty})),
        (SRC_SELECTED, json!({"type": "geojson", "data": empty})),
        (SRC_PICK, json!({"type": "geojson", "data": empty})),
        (SRC_PENDING, json!({"type": "geojson", "data": empty})),
        (SRC_OUTLINES, json!({"type": "geojson", "data": empty})),
    ]
}

/// Which switchable group a layer belongs to (None: always shown).
pub fn group_of(layer_id: &str) -> Option<MapLayer> {
    Some(match layer_id {
        "cd-district-fill" | "cd-district-line" | "cd-street-line" | "cd-district-label"
        | "cd-street-label" | L_AREA_SHADE | L_AREA_FOCUS => MapLayer::Districts,
        "cd-heat" => MapLayer::Heat,
        L_SENSORS => MapLayer::Sensors,
        L_RESOURCES => MapLayer::Resources,
        L_CLUSTERS | L_CLUSTER_RING | L_CLUSTER_G1 | "cd-cluster-count" | L_PULSE | L_POINTS
        | "cd-points-label" | "cd-pending" | "cd-pending-label" | L_OUTLINE_FILL | L_OUTLINE_LINE
        | L_OUTLINE_SELECTED | L_OUTLINE_LABEL => MapLayer::Incidents,
        _ => return None,
    })
}

/// The shaded areas' filter and `fill-color` for the drill-down's `shades` (area id → colour), and the
/// outline's filter for the area drilled into (`focus`).
pub fn drill_style(shades: &[(String, &str)], focus: Option<&str>) -> (Value, Value, Value) {
    let ids: Vec<&str> = shades.iter().map(|(id, _)| id.as_str()).collect();
    let filter = json!(["in", ["get", "id"], ["literal", ids]]);
    let color = if shades.is_empty() {
        json!("#000000")
    } else {
        let mut m = vec![json!("match"), json!(["get", "id"])];
        for (id, c) in shades {
            m.push(json!(id));
            m.push(json!(c));
        }
        m.push(json!("#000000"));
        Value::Array(m)
    };
    let outline = json!(["==", ["get", "id"], focus.unwrap_or("")]);
    (filter, color, outline)
}

/// A style's `text-size` with every size in it multiplied by `s` (a 4K wall draws the basemap's labels as large,
/// relative to the screen, as a 1080p one): a number, or a `interpolate` / `step` / `match` expression whose
/// outputs are numbers (inputs and stops are left alone). Anything else is returned as it is.
pub fn scaled_size(size: &Value, s: f64) -> Value {
    let times = |v: &Value| match v.as_f64() {
        Some(n) => json!(n * s),
        None => scaled_size(v, s),
    };
    match size {
        Value::Number(n) => json!(n.as_f64().unwrap_or(0.0) * s),
        Value::Array(a) => {
            let outputs = |first: usize, step: usize, last_too: bool| -> Value {
                let n = a.len();
                Value::Array(
                    a.iter()
                        .enumerate()
                        .map(|(i, v)| {
                            let out =
                                (i >= first && (i - first).is_multiple_of(step)) || (last_too && i + 1 == n);
                            if out {
                                times(v)
                            } else {
                                v.clone()
                            }
                        })
                        .collect(),
                )
            };
            match a.first().and_then(Value::as_str) {
                // ["interpolate", how, input, stop, out, stop, out, ...]
                Some("interpolate") => outputs(4, 2, false),
                // ["step", input, out0, stop, out, ...]
                Some("step") => outputs(2, 2, false),
                // ["match", input, label, out, label, out, ..., fallback]
                Some("match") => outputs(3, 2, true),
                _ => size.clone(),
            }
        }
        _ => size.clone(),
    }
}

/// The base style's label layers and their `text-size`s (the cockpit's own layers, `cd-…`, scale themselves).
pub fn base_text_sizes(style: &Value) -> Vec<(String, Value)> {
    style["layers"]
        .as_array()
        .map(|layers| {
            layers
                .iter()
                .filter_map(|l| {
                    let id = l["id"].as_str()?;
                    let size = l["layout"].get("text-size")?;
                    (!id.starts_with("cd-")).then(|| (id.to_string(), size.clone()))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The label layers of the areas (their `text-field` follows the UI's language, [`area_label`]).
pub const AREA_LABEL_LAYERS: [&str; 2] = ["cd-street-label", "cd-district-label"];

/// What an area's label says: in Chinese its `name_zh` over its local name (the local name alone when no
/// Chinese one is known); in English its `name_en`, else the local name.
pub fn area_label(lang: Lang) -> Value {
    match lang {
        Lang::Zh => json!(["case", ["has", "name_zh"],
            ["format", ["get", "name_zh"], {}, "\n", {}, ["get", "name"], {"font-scale": 0.78}],
            ["get", "name"]]),
        Lang::En => json!(["coalesce", ["get", "name_en"], ["get", "name"]]),
    }
}

/// An area (district or street) of the city's areas file; files without `level` (older Voronoi districts)
/// are districts.
fn is_street() -> Value {
    json!(["==", ["get", "level"], "street"])
}

/// Every cockpit layer, bottom to top, for UI scale `s`, labels in `lang`. The districts are drawn with
/// solid bright edges and a faint fill, their streets (e.g. Liechtenstein's Gemeinden) with thin dashed
/// edges; each area is named once, at its label point.
/// A bubble's radius in CSS px by how many incidents it holds (without the ring).
const BUBBLE_RADII: [(u64, f64); 4] = [(0, 13.0), (10, 16.0), (100, 20.0), (1000, 25.0)];

/// `["step", ["get", "point_count"], f(r0), 10, f(r1), …]` over [`BUBBLE_RADII`].
fn by_bubble_radius(f: impl Fn(f64) -> Value) -> Value {
    let mut e = vec![json!("step"), json!(["get", "point_count"]), f(BUBBLE_RADII[0].1)];
    for (n, r) in &BUBBLE_RADII[1..] {
        e.push(json!(n));
        e.push(f(*r));
    }
    Value::Array(e)
}

/// The bubble's fill radius at UI scale `s`.
fn cluster_radius(s: f64) -> Value {
    by_bubble_radius(|r| json!(r * s))
}

/// The ring image's `icon-size`: its outer edge 3 px (× `s`) outside the fill.
fn ring_size(s: f64) -> Value {
    by_bubble_radius(|r| json!((r + 3.0) * s / super::donut::RADIUS_PX))
}

/// The grade-I badge's offset to the bubble's upper right on its ring, in the unit `per_px` converts CSS px to
/// (`icon-offset`: px ÷ icon-size; `text-offset`: px ÷ text size, ems). Independent of `s`: both units scale with it.
fn badge_offset(per_px: f64) -> Value {
    by_bubble_radius(|r| {
        let d = 0.78 * (r + 3.0) * per_px;
        json!(["literal", [d, -d]])
    })
}

pub fn layers(s: f64, lang: Lang) -> Vec<Value> {
    let text = |size: f64| json!(size * s);
    let label_paint = |color: &str, opacity: f64| {
        json!({"text-color": color, "text-opacity": opacity, "text-halo-color": "#030913",
               "text-halo-width": 1.4 * s})
    };
    vec![
        json!({
            "id": "cd-district-fill", "type": "fill", "source": SRC_DISTRICTS,
            "filter": ["!", is_street()],
            "paint": {"fill-color": "#2a6fd1", "fill-opacity": 0.06},
        }),
        // The drill-down's choropleth: the areas one level below the one drilled into, shaded by the chosen
        // measure (filter and colours set by the engine from `drill::DrillView`).
        json!({
            "id": L_AREA_SHADE, "type": "fill", "source": SRC_DISTRICTS,
            "filter": ["==", ["get", "id"], ""],
            "paint": {"fill-color": "#000000", "fill-opacity": 0.24},
        }),
        json!({
            "id": "cd-street-line", "type": "line", "source": SRC_DISTRICTS,
            "filter": is_street(),
            "paint": {"line-color": "#5aafff", "line-opacity": 0.4, "line-width": 0.9 * s,
                      "line-dasharray": [3, 2]},
        }),
        json!({
            "id": "cd-district-line", "type": "line", "source": SRC_DISTRICTS,
            "filter": ["!", is_street()],
            "paint": {"line-color": "#5aafff", "line-opacity": 0.6, "line-width": 1.6 * s},
        }),
        // The area drilled into, outlined.
        json!({
            "id": L_AREA_FOCUS, "type": "line", "source": SRC_DISTRICTS,
            "filter": ["==", ["get", "id"], ""],
            "paint": {"line-color": "#2de2e6", "line-opacity": 0.95, "line-width": 3.0 * s},
        }),
        // The incidents' areas (an alert's): over the areas' lines, under their names and every marker; the most
        // severe on top (the source's order). The fill is faint enough that the basemap and the markers inside
        // read through it; the edge carries the grade.
        json!({
            "id": L_OUTLINE_FILL, "type": "fill", "source": SRC_OUTLINES,
            "paint": {"fill-color": grade_colour(), "fill-opacity": 0.16},
        }),
        json!({
            "id": L_OUTLINE_SELECTED, "type": "line", "source": SRC_OUTLINES,
            "filter": outline_selected_filter(None),
            "layout": {"line-join": "round"},
            "paint": {"line-color": "#ffffff", "line-opacity": 0.55, "line-width": 7.0 * s, "line-blur": 1.5 * s},
        }),
        json!({
            "id": L_OUTLINE_LINE, "type": "line", "source": SRC_OUTLINES,
            "layout": {"line-join": "round"},
            "paint": {"line-color": grade_colour(), "line-opacity": 0.95, "line-width": 2.4 * s},
        }),
        json!({
            "id": L_OUTLINE_LABEL, "type": "symbol", "source": SRC_OUTLINES,
            "layout": {"symbol-placement": "line", "symbol-spacing": 420.0 * s, "text-field": ["get", "title"],
                       "text-font": [FONT], "text-size": text(13.0), "text-max-angle": 35,
                       "text-keep-upright": true, "text-padding": 4.0 * s},
            "paint": {"text-color": grade_colour(), "text-halo-color": "rgba(3,9,19,0.92)",
                      "text-halo-width": 2.0 * s},
        }),
        json!({
            "id": "cd-street-label", "type": "symbol", "source": SRC_DISTRICT_LABELS,
            "filter": is_street(),
            "layout": {"text-field": area_label(lang), "text-font": [FONT], "text-size": text(12.0),
                       "text-letter-spacing": 0.04, "text-max-width": 8},
            "paint": label_paint("#8fb6e6", 0.8),
        }),
        json!({
            "id": "cd-district-label", "type": "symbol", "source": SRC_DISTRICT_LABELS,
            "filter": ["!", is_street()],
            "layout": {"text-field": area_label(lang), "text-font": [FONT], "text-size": text(14.0),
                       "text-letter-spacing": 0.08, "text-max-width": 10},
            "paint": label_paint("#b9d8ff", 0.85),
        }),
        json!({
            "id": "cd-heat", "type": "heatmap", "source": SRC_INCIDENTS, "maxzoom": 17,
            "layout": {"visibility": "none"},
            "paint": {
                // Zoomed out the source holds bubbles: a bubble weighs (sub-linearly) what it holds; wide kernels blend the
                // bubbles into one density surface.
                "heatmap-weight": ["case", ["has", "point_count"],
                    ["min", 3, ["*", 0.4, ["sqrt", ["get", "point_count"]]]],
                    ["match", ["get", "grade"], "I", 1.0, "II", 0.7, "III", 0.45, 0.3]],
                "heatmap-intensity": ["interpolate", ["linear"], ["zoom"], 10, 0.5, 15, 1.2],
                "heatmap-radius": ["interpolate", ["linear"], ["zoom"], 10, 45.0 * s, 15, 80.0 * s],
                "heatmap-opacity": 0.72,
                "heatmap-color": ["interpolate", ["linear"], ["heatmap-density"],
                    0, "rgba(0,0,0,0)", 0.15, "rgba(35,90,200,0.55)", 0.35, "#2de2e6", 0.55, "#f5c518",
                    0.8, "#ff8c1a", 1, "#ff3b30"],
            },
        }),
        json!({
            "id": L_SENSORS, "type": "symbol", "source": SRC_SENSORS,
            "layout": {"icon-image": "cd-diamond", "icon-size": 0.62 * s, "icon-allow-overlap": true,
                       "icon-ignore-placement": true},
            "paint": {
                "icon-color": ["match", ["get", "state"], "alarm", "#ff4d4f", "warning", "#f5a524", "#2de2e6"],
                "icon-halo-color": "#030913", "icon-halo-width": 1.5 * s,
                "icon-opacity": ["match", ["get", "state"], "normal", 0.75, 1.0],
            },
        }),
        json!({
            "id": L_RESOURCES, "type": "symbol", "source": SRC_RESOURCES,
            "layout": {"icon-image": "cd-square", "icon-size": 0.7 * s, "icon-allow-overlap": true,
                       "icon-ignore-placement": true,
                       "symbol-sort-key": ["match", ["get", "status"], "available", 1, 2]},
            "paint": {
                "icon-color": ["match", ["get", "group"], "rescue", "#ff6a3d", "medical", "#2fd38a",
                               "police", "#7aa2ff", "#c9a227"],
                "icon-halo-color": ["match", ["get", "status"], "available", "#030913",
                                    "out_of_service", "#030913", "#ffffff"],
                "icon-halo-width": ["match", ["get", "status"], "available", 1.5 * s,
                                    "out_of_service", 1.0 * s, 2.0 * s],
                "icon-opacity": ["match", ["get", "status"], "out_of_service", 0.35, 0.95],
            },
        }),
        json!({
            "id": L_CLUSTERS, "type": "circle", "source": SRC_INCIDENTS,
            "filter": ["has", "point_count"],
            "paint": {
                // A dark bubble, one colour whatever is inside (not crying wolf: the ring of grades says the mix).
                "circle-color": "#0c2148",
                "circle-opacity": 0.9,
                "circle-radius": cluster_radius(s),
                "circle-stroke-color": "rgba(3,9,19,0.9)",
                "circle-stroke-width": 1.0 * s,
            },
        }),
        json!({
            // The ring divided by the share of each grade (`donut.rs`; grade I red at twelve o'clock).
            "id": L_CLUSTER_RING, "type": "symbol", "source": SRC_INCIDENTS,
            "filter": ["has", "point_count"],
            "layout": {"icon-image": ["get", "mix"], "icon-size": ring_size(s), "icon-allow-overlap": true,
                       "icon-ignore-placement": true},
        }),
        json!({
            // Grade I stands out: a red badge with its count at the bubble's upper right.
            "id": L_CLUSTER_G1, "type": "symbol", "source": SRC_INCIDENTS,
            "filter": ["all", ["has", "point_count"], [">", ["get", "g1"], 0]],
            "layout": {"icon-image": "cd-dot", "icon-size": 1.4 * s, "icon-allow-overlap": true,
                       "icon-ignore-placement": true, "icon-offset": badge_offset(1.0 / 1.4),
                       "text-field": ["to-string", ["get", "g1"]], "text-font": [FONT], "text-size": text(11.0),
                       "text-offset": badge_offset(1.0 / 11.0), "text-allow-overlap": true,
                       "text-ignore-placement": true},
            "paint": {"icon-color": G1, "icon-halo-color": "#ffffff", "icon-halo-width": 1.5 * s,
                      "text-color": "#ffffff"},
        }),
        json!({
            "id": "cd-cluster-count", "type": "symbol", "source": SRC_INCIDENTS,
            "filter": ["has", "point_count"],
            "layout": {"text-field": ["get", "point_count_abbreviated"], "text-font": [FONT],
                       "text-size": text(14.0), "text-allow-overlap": true, "text-ignore-placement": true},
            "paint": {"text-color": "#ffffff", "text-halo-color": "rgba(3,9,19,0.85)",
                      "text-halo-width": 1.6 * s},
        }),
        json!({
            "id": L_PULSE, "type": "circle", "source": SRC_INCIDENTS,
            "filter": point_filter(point_layers()[1].1.clone(), None),
            "paint": {"circle-color": G1, "circle-opacity": 0.0, "circle-radius": 12.0 * s,
                      "circle-stroke-color": G1, "circle-stroke-width": 2.5 * s, "circle-stroke-opacity": 0.8,
                      "circle-pitch-alignment": "map"},
        }),
        json!({
            "id": L_POINTS, "type": "circle", "source": SRC_INCIDENTS,
            "filter": point_filter(None, None),
            "layout": {"circle-sort-key": ["-", 5, ["get", "g"]]},
            "paint": {"circle-color": grade_colour(), "circle-radius": grade_radius(s),
                      "circle-stroke-color": "rgba(255,255,255,0.9)", "circle-stroke-width": 1.6 * s},
        }),
        json!({
            "id": "cd-points-label", "type": "symbol", "source": SRC_INCIDENTS,
            "minzoom": f64::from(cluster_max_zoom(s)) - 1.0,
            "filter": point_filter(point_layers()[2].1.clone(), None),
            "layout": {"text-field": ["get", "title"], "text-font": [FONT], "text-size": text(13.0),
                       "text-anchor": "left", "text-offset": [1.1, 0], "text-max-width": 18,
                       "text-optional": true},
            "paint": {"text-color": "#ffffff", "text-halo-color": "rgba(120,10,10,0.9)",
                      "text-halo-width": 2.0 * s},
        }),
        json!({
            "id": "cd-selected", "type": "circle", "source": SRC_SELECTED,
            "paint": {"circle-color": "rgba(45,226,230,0.12)", "circle-radius": 17.0 * s,
                      "circle-stroke-color": "#2de2e6", "circle-stroke-width": 3.0 * s},
        }),
        json!({
            "id": "cd-focus-rings", "type": "line", "source": SRC_FOCUS,
            "filter": ["==", ["get", "kind"], "ring"],
            "paint": {"line-color": "#2de2e6", "line-opacity": 0.75, "line-width": 1.6 * s,
                      "line-dasharray": [4, 3]},
        }),
        json!({
            "id": "cd-focus-ring-labels", "type": "symbol", "source": SRC_FOCUS,
            "filter": ["==", ["get", "kind"], "ring_label"],
            "layout": {"text-field": ["get", "label"], "text-font": [FONT], "text-size": text(13.0),
                       "text-anchor": "bottom", "text-offset": [0, -0.3], "text-allow-overlap": true},
            "paint": {"text-color": "#2de2e6", "text-halo-color": "#030913", "text-halo-width": 1.4 * s},
        }),
        json!({
            "id": L_FACILITIES, "type": "symbol", "source": SRC_FOCUS,
            "filter": ["==", ["get", "kind"], "facility"],
            "layout": {
                "icon-image": ["match", ["get", "group"], "shelter", "cd-triangle", "cd-square"],
                "icon-size": 0.8 * s, "icon-allow-overlap": true,
                "text-field": ["get", "name"], "text-font": [FONT], "text-size": text(12.5),
                "text-anchor": "left", "text-offset": [1.0, 0], "text-optional": true,
            },
            "paint": {
                "icon-color": ["match", ["get", "group"], "rescue", "#ff5a4e", "medical", "#2fd38a", "#3fa0ff"],
                "icon-halo-color": "#ffffff", "icon-halo-width": 1.2 * s,
                "text-color": ["match", ["get", "group"], "rescue", "#ffb3ab", "medical", "#9ff0c8", "#a9d2ff"],
                "text-halo-color": "#030913", "text-halo-width": 1.5 * s,
            },
        }),
        json!({
            "id": L_FOCUS_PULSE, "type": "circle", "source": SRC_FOCUS,
            "filter": ["==", ["get", "kind"], "focus"],
            "paint": {"circle-opacity": 0.0, "circle-radius": 20.0 * s, "circle-stroke-color": G1,
                      "circle-stroke-width": 3.0 * s, "circle-stroke-opacity": 0.8},
        }),
        json!({
            "id": L_FOCUS_POINT, "type": "circle", "source": SRC_FOCUS,
            "filter": ["==", ["get", "kind"], "focus"],
            "paint": {"circle-color": grade_colour(), "circle-radius": 13.0 * s,
                      "circle-stroke-color": "#ffffff", "circle-stroke-width": 3.0 * s},
        }),
        json!({
            "id": "cd-focus-label", "type": "symbol", "source": SRC_FOCUS,
            "filter": ["==", ["get", "kind"], "focus"],
            "layout": {"text-field": ["get", "title"], "text-font": [FONT], "text-size": text(15.0),
                       "text-anchor": "left", "text-offset": [1.6, 0], "text-allow-overlap": true},
            "paint": {"text-color": "#ffffff", "text-halo-color": "rgba(140,12,12,0.95)",
                      "text-halo-width": 2.4 * s},
        }),
        // Reported here, not yet on the hub: the grade's colour, hollowed, and labelled 待同步 (the feed's
        // pending rows say the same).
        json!({
            "id": "cd-pending", "type": "circle", "source": SRC_PENDING,
            "paint": {"circle-color": grade_colour(), "circle-opacity": 0.35, "circle-radius": grade_radius(s),
                      "circle-stroke-color": grade_colour(), "circle-stroke-width": 2.5 * s},
        }),
        json!({
            "id": "cd-pending-label", "type": "symbol", "source": SRC_PENDING,
            "layout": {"text-field": ["get", "label"], "text-font": [FONT], "text-size": text(13.0),
                       "text-anchor": "left", "text-offset": [1.1, 0], "text-max-width": 18,
                       "text-allow-overlap": true},
            "paint": {"text-color": "#ffd591", "text-halo-color": "rgba(3,9,19,0.9)", "text-halo-width": 1.6 * s},
        }),
        json!({
            "id": "cd-pick", "type": "circle", "source": SRC_PICK,
            "paint": {"circle-color": "rgba(45,226,230,0.25)", "circle-radius": 11.0 * s,
                      "circle-stroke-color": "#2de2e6", "circle-stroke-width": 3.0 * s},
        }),
    ]
}

/// The style used when the desktop's map protocol does not answer: a dark background, the cockpit's glyphs.
pub fn fallback_style(glyphs_url: &str) -> Value {
    json!({
        "version": 8,
        "name": "citydeck-fallback",
        "glyphs": glyphs_url,
        "sources": {},
        "layers": [{"id": "cd-background", "type": "background", "paint": {"background-color": "#07142a"}}],
    })
}

/// Signed-distance-field icons (recoloured per feature with `icon-color`): `(name, size, rgba)`.
pub fn sdf_icons() -> Vec<(&'static str, u32, Vec<u8>)> {
    const N: u32 = 48;
    const BUF: f64 = 8.0;
    let half = (N as f64) / 2.0 - BUF;
    type Sdf = fn(f64, f64, f64) -> f64;
    let shapes: [(&str, Sdf); 4] = [
        ("cd-dot", |x, y, h| (x * x + y * y).sqrt() - h * 0.8),
        ("cd-square", |x, y, h| (x.abs().max(y.abs())) - h * 0.8),
        ("cd-diamond", |x, y, h| {
            (x.abs() + y.abs()) / std::f64::consts::SQRT_2 - h * 0.72
        }),
        ("cd-triangle", |x, y, h| {
            // Upward equilateral triangle (y grows downwards on screen).
            let k = 3f64.sqrt();
            let (x, y) = (x.abs(), -y + h * 0.25);
            let a = (k * x + y) / 2.0 - h * 0.55;
            a.max(-y - h * 0.55)
        }),
    ];
    shapes
        .iter()
        .map(|(name, sdf)| {
            let mut data = Vec::with_capacity((N * N * 4) as usize);
            for j in 0..N {
                for i in 0..N {
                    let x = i as f64 + 0.5 - N as f64 / 2.0;
                    let y = j as f64 + 0.5 - N as f64 / 2.0;
                    let d = sdf(x, y, half);
                    // TinySDF convention: 0.75 at the edge, falling off over `BUF` px.
                    let a = (255.0 * (0.75 - d / BUF * 0.75)).clamp(0.0, 255.0) as u8;
                    data.extend_from_slice(&[0, 0, 0, a]);
                }
            }
            (*name, N, data)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_layer_has_a_known_source_and_the_interactive_ones_exist() {
        let srcs: Vec<&str> = sources(|f| format!("x/{f}"))
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        let all = layers(2.0, Lang::Zh);
        for l in &all {
            assert!(srcs.contains(&l["source"].as_str().unwrap()), "{l}");
        }
        for id in INTERACTIVE {
            assert!(all.iter().any(|l| l["id"] == id), "{id}");
        }
        assert_eq!(group_of("cd-heat"), Some(MapLayer::Heat));
        // Data-driven layout properties must not sit in `paint` (the style would refuse the layer).
        for l in &all {
            for k in l["paint"].as_object().into_iter().flat_map(|m| m.keys()) {
                assert!(!k.ends_with("sort-key") && !k.starts_with("text-field"), "{k}");
            }
        }
        assert_eq!(cluster_max_zoom(1.0), 14);
        assert_eq!(cluster_max_zoom(2.0), 15);
        assert_eq!(
            point_filter(None, Some("x")),
            serde_json::json!(["all", ["!", ["has", "point_count"]], ["!=", ["get", "id"], "x"]])
        );
        assert_eq!(group_of("cd-selected"), None);
    }

    #[test]
    fn the_drill_down_shades_only_the_areas_given_and_outlines_the_focus() {
        let shades = vec![
            ("osm-r49".to_string(), "#111111"),
            ("osm-r50".to_string(), "#222222"),
        ];
        let (filter, color, outline) = drill_style(&shades, Some("city"));
        assert_eq!(
            filter,
            json!(["in", ["get", "id"], ["literal", ["osm-r49", "osm-r50"]]])
        );
        assert_eq!(
            color,
            json!([
                "match",
                ["get", "id"],
                "osm-r49",
                "#111111",
                "osm-r50",
                "#222222",
                "#000000"
            ])
        );
        assert_eq!(outline, json!(["==", ["get", "id"], "city"]));
        // nothing to shade: a valid style that shades nothing (a `match` needs at least one label)
        let (filter, color, outline) = drill_style(&[], None);
        assert_eq!(filter, json!(["in", ["get", "id"], ["literal", []]]));
        assert_eq!(color, json!("#000000"));
        assert_eq!(outline, json!(["==", ["get", "id"], ""]));
        let all = layers(1.0, Lang::Zh);
        let at = |id: &str| all.iter().position(|l| l["id"] == id).unwrap();
        assert!(at(L_AREA_SHADE) < at("cd-district-line") && at(L_AREA_FOCUS) < at("cd-street-label"));
        assert_eq!(group_of(L_AREA_SHADE), Some(MapLayer::Districts));
    }

    #[test]
    fn alert_areas_lie_under_every_marker_and_go_with_the_incidents() {
        let all = layers(2.0, Lang::Zh);
        let at = |id: &str| all.iter().position(|l| l["id"] == id).unwrap();
        for id in [
            L_OUTLINE_FILL,
            L_OUTLINE_SELECTED,
            L_OUTLINE_LINE,
            L_OUTLINE_LABEL,
        ] {
            assert!(at(id) > at(L_AREA_FOCUS), "{id} over the areas");
            assert!(at(id) < at("cd-district-label"), "{id} under the areas' names");
            for marker in [L_CLUSTERS, L_POINTS, "cd-heat", L_RESOURCES, "cd-pending"] {
                assert!(at(id) < at(marker), "{id} under {marker}");
            }
            assert_eq!(group_of(id), Some(MapLayer::Incidents));
        }
        assert!(at(L_OUTLINE_FILL) < at(L_OUTLINE_SELECTED) && at(L_OUTLINE_SELECTED) < at(L_OUTLINE_LINE));
        let fill = &all[at(L_OUTLINE_FILL)];
        assert_eq!(
            fill["paint"]["fill-color"],
            grade_colour(),
            "the markers' palette"
        );
        assert_eq!(
            all[at(L_OUTLINE_LINE)]["paint"]["line-width"],
            json!(4.8),
            "scaled with the wall"
        );
        assert_eq!(
            outline_selected_filter(Some("x")),
            json!(["==", ["get", "id"], "x"])
        );
        assert!(
            !INTERACTIVE.contains(&L_OUTLINE_FILL),
            "a click inside an area still drills in"
        );
    }

    #[test]
    fn the_basemap_labels_scale_with_the_wall() {
        assert_eq!(scaled_size(&json!(11), 2.0), json!(22.0));
        assert_eq!(
            scaled_size(&json!(["interpolate", ["linear"], ["zoom"], 13, 9, 18, 13]), 2.0),
            json!(["interpolate", ["linear"], ["zoom"], 13, 18.0, 18, 26.0])
        );
        assert_eq!(
            scaled_size(&json!(["match", ["get", "class"], ["city", "town"], 16, 12]), 2.0),
            json!(["match", ["get", "class"], ["city", "town"], 32.0, 24.0])
        );
        assert_eq!(
            scaled_size(&json!(["step", ["zoom"], 10, 14, 12]), 2.0),
            json!(["step", ["zoom"], 20.0, 14, 24.0])
        );
        assert_eq!(
            scaled_size(&json!(["get", "size"]), 2.0),
            json!(["get", "size"]),
            "not a size expression"
        );
        let style = json!({"layers": [
            {"id": "place", "type": "symbol", "layout": {"text-size": 12}},
            {"id": "water", "type": "fill"},
            {"id": "cd-points-label", "type": "symbol", "layout": {"text-size": 10}},
        ]});
        assert_eq!(base_text_sizes(&style), [("place".to_string(), json!(12))]);
        assert!(base_text_sizes(&json!({})).is_empty());
    }

    #[test]
    fn areas_are_named_once_each_in_the_ui_language() {
        let (srcs, all) = (sources(|f| format!("x/{f}")), layers(1.0, Lang::En));
        let url = |id: &str| {
            srcs.iter()
                .find(|(s, _)| *s == id)
                .map(|(_, v)| v["data"].clone())
        };
        assert_eq!(url(SRC_DISTRICTS), Some(json!("x/districts.geojson")));
        assert_eq!(url(SRC_DISTRICT_LABELS), Some(json!("x/district-labels.geojson")));
        for id in AREA_LABEL_LAYERS {
            let l = all.iter().find(|l| l["id"] == id).unwrap();
            assert_eq!(
                l["source"], SRC_DISTRICT_LABELS,
                "labels from the points, not the polygons"
            );
            assert_eq!(l["layout"]["text-field"], area_label(Lang::En));
            assert_eq!(group_of(id), Some(MapLayer::Districts));
        }
        assert_ne!(area_label(Lang::Zh), area_label(Lang::En));
        assert!(area_label(Lang::Zh).to_string().contains("name_zh"));
        assert!(area_label(Lang::En).to_string().contains("name_en"));
        // districts and streets are told apart by `level`
        let street = all.iter().find(|l| l["id"] == "cd-street-line").unwrap();
        assert_eq!(street["filter"], json!(["==", ["get", "level"], "street"]));
        assert_eq!(group_of("cd-street-line"), Some(MapLayer::Districts));
    }

    #[test]
    fn icons_are_opaque_inside_and_clear_outside() {
        for (name, n, data) in sdf_icons() {
            assert_eq!(data.len(), (n * n * 4) as usize);
            let at = |i: u32, j: u32| data[((j * n + i) * 4 + 3) as usize];
            assert!(at(n / 2, n / 2 + 2) > 200, "{name} centre");
            assert_eq!(at(0, 0), 0, "{name} corner");
        }
    }
}
