//! The city's areas for the cockpit's drill-down (三级: city → district → street), from the cache only, so a
//! desktop opened offline drills down as well as one online.

use citydeck_protocol::ipc::AreasView;
use citydeck_store::Cache;

use crate::Result;

/// The areas the cache holds (the hub's order: the city, its districts, their streets), their outlines as one
/// GeoJSON `FeatureCollection` for the map, and the account's scope. A scope the cache names but does not hold
/// among its areas (areas not fetched yet) is still given: the cockpit must not open above it.
pub fn view(c: &Cache) -> Result<AreasView> {
    Ok(AreasView {
        scope: c.scope()?,
        areas: c.areas()?,
        outlines: c.area_outlines()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use citydeck_protocol::{AreaDetail, AreaLevel, AreaSummary};

    fn area(id: &str, level: AreaLevel, parent: Option<&str>) -> AreaDetail {
        AreaDetail {
            area: AreaSummary {
                id: id.into(),
                name: id.to_uppercase(),
                level,
                parent: parent.map(str::to_string),
                bbox: [9.5, 47.0, 9.75, 47.25],
                name_zh: None,
                name_en: None,
            },
            geometry: serde_json::json!({
                "type": "MultiPolygon",
                "coordinates": [[[[9.5, 47.0], [9.75, 47.0], [9.75, 47.25], [9.5, 47.0]]]],
            }),
        }
    }

    #[test]
    fn an_empty_cache_gives_no_areas_and_an_empty_collection() {
        let c = Cache::open_in_memory().unwrap();
        let v = view(&c).unwrap();
        assert_eq!(v.scope, None);
        assert!(v.areas.is_empty());
        assert_eq!(v.outlines["type"], "FeatureCollection");
        assert_eq!(v.outlines["features"].as_array().map(Vec::len), Some(0));
    }

    #[test]
    fn a_scoped_cache_gives_its_scope_and_every_area_with_its_outline_offline() {
        let mut c = Cache::open_in_memory().unwrap();
        c.replace_areas(&[
            area("city", AreaLevel::City, None),
            area("oberland", AreaLevel::District, Some("city")),
            area("vaduz", AreaLevel::Street, Some("oberland")),
        ])
        .unwrap();
        c.bind_scope(Some("vaduz")).unwrap();
        let v = view(&c).unwrap();
        assert_eq!(v.scope.as_deref(), Some("vaduz"));
        let ids: Vec<_> = v.areas.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["city", "oberland", "vaduz"]);
        let features = v.outlines["features"].as_array().unwrap();
        assert_eq!(features.len(), 3);
        assert_eq!(features[2]["properties"]["id"], "vaduz");
        assert_eq!(features[2]["properties"]["parent"], "oberland");
        assert_eq!(features[2]["geometry"]["type"], "MultiPolygon");
        // The view crosses to the webview as JSON and back.
        let back: AreasView = serde_json::from_value(serde_json::to_value(&v).unwrap()).unwrap();
        assert_eq!(back, v);
    }
}
