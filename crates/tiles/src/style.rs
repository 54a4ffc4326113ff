//! The cockpit's dark command-hall basemap style (MapLibre style spec v8) over the OpenMapTiles-schema tiles
//! that `cargo xtask basemap` writes: deep navy ground, muted blocks and parks, water a shade darker, roads in
//! steel blue with the major ones brighter, buildings as low-contrast slabs, and labels from `{name}` — the
//! OSM `name` tag, i.e. the local script — in Noto Sans Regular (the only glyph set shipped). No icons, so no
//! `sprite`. One extra GeoJSON source, `citydeck-districts` (`/districts.geojson`), drawn as faint dashed
//! outlines (`district-outline`); district names come from the tiles' `place` layer (`class` suburb /
//! neighbourhood / quarter, layer `district-label`), one label per place node.
//!
//! Note: the extract has no coastline polygons, so the sea is drawn as ground (only inland water polygons and
//! harbour basins are in the `water` layer).

use serde_json::{json, Value};

use crate::TilesetInfo;

/// The font stack every label uses.
pub const FONT: &str = "Noto Sans Regular";
/// Background colour (also the sea, see the module docs).
pub const BACKGROUND: &str = "#0b1220";

fn label_paint(color: &str) -> Value {
    json!({ "text-color": color, "text-halo-color": "#05080f", "text-halo-width": 1.4, "text-halo-blur": 0.5 })
}

/// The style, with every URL absolute under `base_url` (no trailing slash).
pub fn style(base_url: &str, info: &TilesetInfo) -> Value {
    let font = json!([FONT]);
    let road = |id: &str, classes: Value, color: &str, (w10, w18): (f64, f64), minzoom: u8| {
        json!({
            "id": id, "type": "line", "source": "openmaptiles", "source-layer": "transportation",
            "minzoom": minzoom,
            "filter": ["all", ["match", ["get", "class"], classes, true, false],
                       ["!=", ["get", "brunnel"], "tunnel"]],
            "layout": { "line-cap": "round", "line-join": "round" },
            "paint": { "line-color": color,
                       "line-width": ["interpolate", ["exponential", 1.5], ["zoom"], 10, w10, 18, w18] }
        })
    };
    json!({
        "version": 8,
        "name": "citydeck command hall (dark)",
        "metadata": { "citydeck:generated": "citydeck-tiles style.rs" },
        "center": info.center,
        "zoom": 14.5,
        "glyphs": format!("{base_url}/glyphs/{{fontstack}}/{{range}}.pbf"),
        "sources": {
            "openmaptiles": {
                "type": "vector",
                "tiles": [format!("{base_url}/tiles/{{z}}/{{x}}/{{y}}.pbf")],
                "minzoom": info.minzoom,
                "maxzoom": info.maxzoom,
                "bounds": info.bounds,
                "attribution": info.attribution,
            },
            "citydeck-districts": {
                "type": "geojson",
                "data": format!("{base_url}/districts.geojson"),
            }
        },
        "layers": [
            { "id": "background", "type": "background", "paint": { "background-color": BACKGROUND } },
            { "id": "landcover", "type": "fill", "source": "openmaptiles", "source-layer": "landcover",
              "paint": { "fill-color": "#0f1d24", "fill-opacity": 0.9 } },
            { "id": "landuse", "type": "fill", "source": "openmaptiles", "source-layer": "landuse",
              "paint": { "fill-color": ["match", ["get", "class"],
                            ["hospital", "school", "university", "college", "kindergarten"], "#161a2e",
                            ["railway", "industrial", "commercial", "retail"], "#111827",
                            "#0e1726"] } },
            { "id": "park", "type": "fill", "source": "openmaptiles", "source-layer": "park",
              "paint": { "fill-color": "#0f2420", "fill-opacity": 0.9 } },
            { "id": "water", "type": "fill", "source": "openmaptiles", "source-layer": "water",
              "paint": { "fill-color": "#06182b" } },
            { "id": "waterway", "type": "line", "source": "openmaptiles", "source-layer": "waterway",
              "paint": { "line-color": "#0b2a45", "line-width": 1.2 } },
            { "id": "aeroway", "type": "line", "source": "openmaptiles", "source-layer": "aeroway",
              "paint": { "line-color": "#1c2740", "line-width": 2 } },
            { "id": "building", "type": "fill", "source": "openmaptiles", "source-layer": "building",
              "minzoom": 13,
              "paint": { "fill-color": "#172236", "fill-outline-color": "#22324d",
                         "fill-opacity": ["interpolate", ["linear"], ["zoom"], 13, 0.4, 16, 0.9] } },
            { "id": "tunnel", "type": "line", "source": "openmaptiles", "source-layer": "transportation",
              "filter": ["==", ["get", "brunnel"], "tunnel"],
              "paint": { "line-color": "#1b2538", "line-width": 1, "line-dasharray": [2, 2] } },
            road("path", json!(["path", "track"]), "#1d2a3f", (0.3, 1.5), 14),
            road("rail", json!(["rail", "transit"]), "#2a3350", (0.5, 2.0), 12),
            road("road-minor", json!(["minor", "service"]), "#22334d", (0.4, 8.0), 12),
            road("road-tertiary", json!(["tertiary"]), "#2b4266", (0.6, 12.0), 10),
            road("road-secondary", json!(["secondary"]), "#34537f", (0.8, 14.0), 8),
            road("road-major", json!(["primary", "trunk", "motorway"]), "#3f6ea8", (1.0, 18.0), 4),
            { "id": "boundary", "type": "line", "source": "openmaptiles", "source-layer": "boundary",
              "paint": { "line-color": "#3a4a6b", "line-width": 1, "line-dasharray": [3, 2] } },
            { "id": "district-outline", "type": "line", "source": "citydeck-districts",
              "paint": { "line-color": "#4fd1ff", "line-opacity": 0.35, "line-width": 1.5,
                         "line-dasharray": [4, 3] } },
            { "id": "housenumber", "type": "symbol", "source": "openmaptiles", "source-layer": "housenumber",
              "minzoom": 17,
              "layout": { "text-field": ["to-string", ["get", "housenumber"]], "text-font": font, "text-size": 9 },
              "paint": label_paint("#4b5d78") },
            { "id": "road-label", "type": "symbol", "source": "openmaptiles", "source-layer": "transportation_name",
              "minzoom": 13,
              "layout": { "symbol-placement": "line", "text-field": ["coalesce", ["get", "name"], ""],
                          "text-font": font, "text-size": ["interpolate", ["linear"], ["zoom"], 13, 9, 18, 13],
                          "text-rotation-alignment": "map" },
              "paint": label_paint("#8aa4c4") },
            { "id": "water-label", "type": "symbol", "source": "openmaptiles", "source-layer": "water_name",
              "layout": { "text-field": ["coalesce", ["get", "name"], ""], "text-font": font, "text-size": 11 },
              "paint": label_paint("#3f7fb5") },
            { "id": "poi-label", "type": "symbol", "source": "openmaptiles", "source-layer": "poi",
              "minzoom": 16,
              "filter": ["<=", ["coalesce", ["get", "rank"], 99], 20],
              "layout": { "text-field": ["coalesce", ["get", "name"], ""], "text-font": font, "text-size": 10,
                          "text-max-width": 8 },
              "paint": label_paint("#6b7f9c") },
            { "id": "place-label", "type": "symbol", "source": "openmaptiles", "source-layer": "place",
              "filter": ["!", ["match", ["get", "class"], ["suburb", "neighbourhood", "quarter"], true, false]],
              "layout": { "text-field": ["coalesce", ["get", "name"], ""], "text-font": font,
                          "text-size": ["match", ["get", "class"], ["city", "town"], 16, 12],
                          "text-max-width": 8 },
              "paint": label_paint("#c7d5e8") },
            { "id": "district-label", "type": "symbol", "source": "openmaptiles", "source-layer": "place",
              "filter": ["match", ["get", "class"], ["suburb", "neighbourhood", "quarter"], true, false],
              "layout": { "text-field": ["coalesce", ["get", "name"], ""], "text-font": font,
                          "text-size": ["interpolate", ["linear"], ["zoom"], 12, 11, 17, 16],
                          "text-transform": "uppercase", "text-letter-spacing": 0.15, "text-max-width": 10 },
              "paint": label_paint("#4fd1ff") }
        ]
    })
}
