//! GeoJSON feeds: the city file's `[[feeds]]` checked (each bad key named), the real USGS week (vega-datasets'
//! `earthquakes.json`, fetched by `cargo xtask data`) read through a declared feed, and each kind of bad feature
//! refused naming it.

use citydeck_ingest::geojson::{self, GradeRule};
use citydeck_protocol::{Grade, IncidentClass};
use serde_json::json;

const USGS: &str = r#"
[[feeds]]
name = "usgs"
title = "M{mag} 地震 · {place}"
description = "{type}, magnitude type {magType}: {url}"
class = "natural_disaster"
time_property = "time"
grade = { property = "mag", I = 7.0, II = 6.0, III = 5.0 }
"#;

fn specs(text: &str) -> Result<Vec<geojson::FeedSpec>, geojson::SpecError> {
    let table: toml::Table = text.parse().unwrap();
    geojson::parse_specs(table.get("feeds"))
}

#[test]
fn a_feed_declaration_is_read_and_each_mistake_named() {
    let usgs = &specs(USGS).unwrap()[0];
    assert_eq!(usgs.name, "usgs");
    assert_eq!(usgs.class, IncidentClass::NaturalDisaster);
    assert_eq!(usgs.grade.grade(7.1), Grade::I);
    assert_eq!(usgs.grade.grade(6.0), Grade::II);
    assert_eq!(usgs.grade.grade(5.5), Grade::III);
    assert_eq!(usgs.grade.grade(2.0), Grade::IV);
    let below = GradeRule::Bounds {
        property: "level".into(),
        bounds: [1.0, 2.0, 3.0],
        below: true,
    };
    assert_eq!(
        (below.grade(1.0), below.grade(2.5), below.grade(9.0)),
        (Grade::I, Grade::III, Grade::IV)
    );
    assert!(specs("").unwrap().is_empty());
    for (text, key) in [
        (
            USGS.replace("name = \"usgs\"", "name = \"USGS feed\""),
            "feeds[0].name",
        ),
        (USGS.replace("natural_disaster", "weather"), "feeds[0].class"),
        (
            USGS.replace("I = 7.0, II = 6.0", "I = 5.0, II = 6.0"),
            "feeds[0].grade",
        ),
        (USGS.replace("III = 5.0", "III = \"5\""), "feeds[0].grade.III"),
        (
            USGS.replace("property = \"mag\", ", ""),
            "feeds[0].grade.property",
        ),
        (USGS.replace("grade = {", "grade = \"V\"\n#"), "feeds[0].grade"),
        (USGS.replace("title = ", "titel = "), "feeds[0].titel"),
        (format!("{USGS}\n{USGS}"), "feeds[1].name"),
        ("feeds = 3".to_string(), "feeds"),
    ] {
        assert_eq!(specs(&text).unwrap_err().key, key, "{text}");
    }
}

#[test]
fn the_real_usgs_week_reads_through_its_feed() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/cache/earthquakes.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run `cargo xtask data` first)", path.display()));
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    let spec = &specs(USGS).unwrap()[0];
    let got = geojson::incidents(spec, &body).unwrap();
    assert_eq!(got.len(), 1707, "every feature of the week");
    let first = &body["features"][0];
    let inc = &got[0].new;
    assert_eq!(inc.external_id.as_deref(), first["id"].as_str());
    assert_eq!(inc.source, "usgs");
    assert_eq!(inc.lon, first["geometry"]["coordinates"][0].as_f64().unwrap());
    assert_eq!(
        inc.title,
        format!(
            "M{} 地震 · {}",
            first["properties"]["mag"],
            first["properties"]["place"].as_str().unwrap()
        )
    );
    assert_eq!(
        inc.occurred_at.unwrap().timestamp_millis(),
        first["properties"]["time"].as_i64().unwrap()
    );
    // the grades follow the magnitudes
    for (f, i) in body["features"].as_array().unwrap().iter().zip(&got) {
        assert_eq!(
            i.new.grade,
            spec.grade.grade(f["properties"]["mag"].as_f64().unwrap())
        );
        citydeck_domain::parse_new_incident(&serde_json::to_value(&i.new).unwrap()).unwrap();
    }
}

fn point(id: serde_json::Value, lon: f64, lat: f64) -> serde_json::Value {
    json!({"type": "Feature", "id": id, "properties": {"mag": 5.2, "place": "Vaduz", "time": 1_700_000_000_000i64},
           "geometry": {"type": "Point", "coordinates": [lon, lat]}})
}

#[test]
fn each_bad_feature_is_named() {
    let spec = &specs(USGS).unwrap()[0];
    let good = point(json!("q1"), 9.52, 47.14);
    let mut cases = vec![];
    let with = |f: serde_json::Value| json!({"type": "FeatureCollection", "features": [good.clone(), good.clone(), f]});
    let mut no_id = good.clone();
    no_id.as_object_mut().unwrap().remove("id");
    cases.push((with(no_id), "features[2].id"));
    cases.push((with(point(json!("q2"), 190.0, 47.0)), "features[2].geometry"));
    let mut no_geometry = good.clone();
    no_geometry["geometry"] = serde_json::Value::Null;
    cases.push((with(no_geometry), "features[2].geometry"));
    let mut line = good.clone();
    line["geometry"] = json!({"type": "LineString", "coordinates": [[9.5, 47.1], [9.6, 47.2]]});
    cases.push((with(line), "features[2].geometry"));
    let mut open_ring = good.clone();
    open_ring["geometry"] =
        json!({"type": "Polygon", "coordinates": [[[9.5, 47.1], [9.6, 47.1], [9.6, 47.2]]]});
    cases.push((with(open_ring), "features[2].geometry"));
    let mut no_mag = good.clone();
    no_mag["properties"]["mag"] = json!("strong");
    cases.push((with(no_mag), "features[2].properties.mag"));
    let mut bad_time = good.clone();
    bad_time["properties"]["time"] = json!("last tuesday");
    cases.push((with(bad_time), "features[2].properties.time"));
    let mut not_feature = good.clone();
    not_feature["type"] = json!("Point");
    cases.push((with(not_feature), "features[2].type"));
    cases.push((json!({"type": "Feature"}), "type"));
    cases.push((json!({"type": "FeatureCollection"}), "features"));
    for (body, field) in cases {
        assert_eq!(
            geojson::incidents(spec, &body).unwrap_err().field,
            field,
            "{body}"
        );
    }
    // numbers are ids too; a polygon is placed inside itself and kept as the outline
    let mut area = point(json!(42), 0.0, 0.0);
    area["geometry"] = json!({"type": "Polygon", "coordinates": [
        [[9.50, 47.10], [9.56, 47.10], [9.56, 47.16], [9.50, 47.16], [9.50, 47.10]],
        [[9.52, 47.12], [9.54, 47.12], [9.54, 47.14], [9.52, 47.14], [9.52, 47.12]]]});
    let got = geojson::incidents(spec, &json!({"type": "FeatureCollection", "features": [area]})).unwrap();
    assert_eq!(got[0].new.external_id.as_deref(), Some("42"));
    assert_eq!(got[0].outline.len(), 2);
    let (lon, lat) = (got[0].new.lon, got[0].new.lat);
    assert!((9.50..9.56).contains(&lon) && (47.10..47.16).contains(&lat));
    assert!(
        !((9.52..=9.54).contains(&lon) && (47.12..=47.14).contains(&lat)),
        "not in the hole"
    );
}
