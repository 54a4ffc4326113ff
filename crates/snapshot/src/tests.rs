use image::Rgba;

use crate::draw::{BACKGROUND, EDGE, RING};
use crate::geo::{lonlat_to_world, tile_of, tile_range, world_to_lonlat, zoom_for_width, MAX_LAT};
use crate::*;

fn close(a: f64, b: f64, eps: f64) -> bool {
    (a - b).abs() <= eps
}

fn helsinki() -> Bbox {
    Bbox::new(24.90, 60.15, 24.98, 60.18).unwrap()
}

fn inc(lon: f64, lat: f64, grade: Grade) -> Incident {
    Incident {
        lon,
        lat,
        grade,
        label: None,
    }
}

// ---------------------------------------------------------------- projection

#[test]
fn world_coordinates_of_known_points() {
    let (x, y) = lonlat_to_world(0.0, 0.0);
    assert!(close(x, 0.5, 1e-12) && close(y, 0.5, 1e-12));
    let (x, y) = lonlat_to_world(-180.0, MAX_LAT);
    assert!(close(x, 0.0, 1e-12) && close(y, 0.0, 1e-9), "{x} {y}");
    let (x, y) = lonlat_to_world(180.0, -MAX_LAT);
    assert!(close(x, 1.0, 1e-12) && close(y, 1.0, 1e-9), "{x} {y}");
    // Beyond the Mercator limit the latitude is clamped, not turned into NaN/inf.
    let (_, y) = lonlat_to_world(0.0, 90.0);
    assert!(close(y, 0.0, 1e-9));
    // Helsinki railway station (24.9384, 60.1699).
    let (x, y) = lonlat_to_world(24.9384, 60.1699);
    assert!(
        close(x, 0.569_273_333, 1e-9) && close(y, 0.289_453_318, 1e-9),
        "{x} {y}"
    );
}

#[test]
fn world_roundtrip() {
    for (lon, lat) in [
        (24.9384, 60.1699),
        (-74.006, 40.7128),
        (151.2, -33.87),
        (0.0, 0.0),
    ] {
        let (x, y) = lonlat_to_world(lon, lat);
        let (lon2, lat2) = world_to_lonlat(x, y);
        assert!(close(lon, lon2, 1e-9) && close(lat, lat2, 1e-9));
    }
}

#[test]
fn xyz_tiles_of_known_points() {
    // Berlin at z10 is the well-known tile 10/550/335.
    assert_eq!(tile_of(13.405, 52.52, 10), (550, 335));
    assert_eq!(tile_of(24.9384, 60.1699, 14), (9326, 4742));
    assert_eq!(tile_of(-74.006, 40.7128, 12), (1205, 1540));
    assert_eq!(tile_of(0.0, 0.0, 0), (0, 0));
    // The east/south edges stay inside the grid.
    assert_eq!(tile_of(180.0, -MAX_LAT, 3), (7, 7));
    let (xs, ys) = tile_range(&helsinki(), 14);
    assert_eq!((*xs.start(), *ys.start()), tile_of(24.90, 60.18, 14));
    assert_eq!((*xs.end(), *ys.end()), tile_of(24.98, 60.15, 14));
}

#[test]
fn zoom_for_width_picks_a_sensible_level() {
    // The whole world 512 px wide with 512 px tiles is z0; 1024 px is z1.
    let world = Bbox::new(-180.0, -80.0, 180.0, 80.0).unwrap();
    assert_eq!(zoom_for_width(&world, 512, 512, 0, 14), 0);
    assert_eq!(zoom_for_width(&world, 1024, 512, 0, 14), 1);
    // 0.08° of longitude over 1024 px is about z13 with 512 px tiles; the set's max zoom caps it.
    assert_eq!(zoom_for_width(&helsinki(), 1024, 512, 0, 14), 13);
    assert_eq!(zoom_for_width(&helsinki(), 100_000, 512, 0, 14), 14);
    assert_eq!(zoom_for_width(&helsinki(), 1, 512, 5, 14), 5);
}

#[test]
fn viewport_maps_corners_and_centre() {
    let world = Bbox::new(-180.0, -MAX_LAT, 180.0, MAX_LAT).unwrap();
    let v = Viewport::new(world, 512, 512);
    let (x, y) = v.project(0.0, 0.0);
    assert!(close(x, 256.0, 1e-6) && close(y, 256.0, 1e-6));
    // One degree is 512/360 = 1.42 px at the equator (both axes: Mercator is conformal).
    assert_eq!(v.pixel(1.0, -1.0), Some((257, 257)));
    assert_eq!(v.pixel(-1.0, 1.0), Some((254, 254)));

    let b = helsinki();
    let v = Viewport::fit_width(b, 1000);
    // Mercator aspect of the box: 1000 px wide → 754 px high (1000 · Δy/Δx = 753.76).
    assert_eq!((v.width, v.height), (1000, 754));
    let (x, y) = v.project(b.min_lon, b.max_lat);
    assert!(close(x, 0.0, 1e-9) && close(y, 0.0, 1e-9));
    let (x, y) = v.project(b.max_lon, b.min_lat);
    assert!(close(x, 1000.0, 1e-9) && close(y, 754.0, 1e-9));
    // The middle longitude is the middle column; the middle latitude is *not* the middle row (Mercator
    // stretches the north): 60.165° lands at 377.09, not 377.
    let (x, y) = v.project(24.94, 60.165);
    assert!(close(x, 500.0, 1e-9), "{x}");
    assert!(close(y, 377.086, 1e-3), "{y}");
    assert_eq!(v.pixel(24.94, 60.165), Some((500, 377)));
    // Outside the box: no pixel.
    assert_eq!(v.pixel(25.5, 60.165), None);
    assert_eq!(v.pixel(24.94, 60.0), None);
    // unproject is the inverse.
    let (lon, lat) = v.unproject(x, y);
    assert!(close(lon, 24.94, 1e-9) && close(lat, 60.165, 1e-9));
}

// ---------------------------------------------------------------- bbox parsing

#[test]
fn bbox_parses_and_refuses_bad_input() {
    let b: Bbox = " 24.90, 60.15 ,24.98,60.18".parse().unwrap();
    assert_eq!(b, helsinki());
    let b: Bbox = "-74.1,40.6,-73.9,40.8".parse().unwrap();
    assert!(b.contains(-74.0, 40.7));

    for (s, expect) in [
        ("24.9,60.1,25.0", "4 numbers"),
        ("24.9,60.1,25.0,60.2,1", "4 numbers"),
        ("", "4 numbers"),
        ("a,60.1,25.0,60.2", "minlon \"a\" is not a number"),
        ("24.9,60.1,25.0,", "maxlat \"\" is not a number"),
        ("NaN,60.1,25.0,60.2", "minlon = NaN"),
        ("24.9,60.1,inf,60.2", "maxlon = inf"),
        ("190,60.1,195,60.2", "minlon = 190"),
        ("24.9,60.1,25.0,89", "maxlat = 89"),
        ("25.0,60.1,24.9,60.2", "minlon 25 must be less than maxlon 24.9"),
        ("24.9,60.2,25.0,60.2", "minlat 60.2 must be less than maxlat 60.2"),
    ] {
        let err = s.parse::<Bbox>().unwrap_err().to_string();
        assert!(err.starts_with("bad bbox: "), "{s:?}: {err}");
        assert!(err.contains(expect), "{s:?}: {err} (expected {expect:?})");
    }
}

// ---------------------------------------------------------------- incidents JSON

#[test]
fn incidents_parse_in_all_accepted_shapes() {
    // The hub's GET /api/v1/incidents answer (extra fields ignored).
    let hub = r#"[{"id":"0b8a","title":"Fire","class":"accident","grade":"II",
        "location":{"lon":24.94,"lat":60.17},"status":"collected"}]"#;
    let v = parse_incidents(hub).unwrap();
    assert_eq!(
        v,
        vec![Incident {
            lon: 24.94,
            lat: 60.17,
            grade: Grade::II,
            label: Some("Fire".into())
        }]
    );
    // The cockpit snapshot: an object with an `incidents` array.
    let cockpit = r#"{"city":{}, "incidents":[{"grade":"I","location":{"lon":1,"lat":2}}]}"#;
    assert_eq!(parse_incidents(cockpit).unwrap()[0].grade, Grade::I);
    // Flat hand-written entries.
    let flat = r#"[{"grade":"III","lon":24.9,"lat":60.1},{"grade":"IV","lon":-3,"lat":-4,"id":"x"}]"#;
    let v = parse_incidents(flat).unwrap();
    assert_eq!(v.len(), 2);
    assert_eq!(v[1].label.as_deref(), Some("x"));
    assert!(parse_incidents("[]").unwrap().is_empty());
}

#[test]
fn incidents_errors_name_the_bad_field() {
    for (json, expect) in [
        ("{", "EOF"),
        ("not json", "expected"),
        ("42", "expected an array"),
        (r#"{"incidents": 3}"#, "`incidents` is not an array"),
        (r#"{"other": []}"#, "expected an array"),
        ("[1]", "incidents[0]: is not an object"),
        (r#"[{"lon":1,"lat":2}]"#, "incidents[0]: missing field `grade`"),
        (r#"[{"grade":"V","lon":1,"lat":2}]"#, "grade \"V\" is not one of"),
        (r#"[{"grade":2,"lon":1,"lat":2}]"#, "grade 2 is not a string"),
        (
            r#"[{"grade":"I","lon":1,"lat":2},{"grade":"I","location":{"lon":1}}]"#,
            "incidents[1]: missing field `location.lat`",
        ),
        (
            r#"[{"grade":"I","location":[1,2]}]"#,
            "`location` is not an object",
        ),
        (
            r#"[{"grade":"I","lon":"1","lat":2}]"#,
            "lon \"1\" is not a number",
        ),
        (r#"[{"grade":"I","lon":1,"lat":95}]"#, "lat = 95 is outside"),
        (r#"[{"grade":"I","lon":-181,"lat":5}]"#, "lon = -181 is outside"),
    ] {
        let err = parse_incidents(json).unwrap_err().to_string();
        assert!(err.starts_with("bad incidents JSON: "), "{json}: {err}");
        assert!(err.contains(expect), "{json}: {err} (expected {expect:?})");
    }
}

// ---------------------------------------------------------------- markers

#[test]
fn grade_colours_are_the_cockpit_colours() {
    assert_eq!(Grade::I.rgb(), [0xe5, 0x32, 0x2d]);
    assert_eq!(Grade::II.rgb(), [0xf0, 0x8c, 0x00]);
    assert_eq!(Grade::III.rgb(), [0xf5, 0xc4, 0x00]);
    assert_eq!(Grade::IV.rgb(), [0x2f, 0x7f, 0xe0]);
}

fn rgba(g: Grade) -> Rgba<u8> {
    let [r, gg, b] = g.rgb();
    Rgba([r, gg, b, 255])
}

#[test]
fn markers_are_drawn_at_the_projected_pixels_in_grade_colours() {
    let b = helsinki();
    let v = Viewport::fit_width(b, 1000);
    let mut img = plain_background(v.width, v.height);
    let incidents = vec![
        inc(24.94, 60.165, Grade::I),  // → pixel (500, 377)
        inc(24.92, 60.175, Grade::II), // → pixel (250, 124): x = 0.25·1000
        inc(24.96, 60.155, Grade::III),
        inc(24.975, 60.17, Grade::IV),
        inc(25.5, 60.165, Grade::I), // east of the box
        inc(24.94, 59.0, Grade::IV), // south of the box
    ];
    let report = draw_markers(&mut img, &v, &incidents, MarkerStyle::default());
    assert_eq!(report, DrawReport { drawn: 4, outside: 2 });

    for i in &incidents[..4] {
        let (px, py) = v.pixel(i.lon, i.lat).unwrap();
        assert_eq!(*img.get_pixel(px, py), rgba(i.grade), "{i:?} at {px},{py}");
    }
    let (px, _) = v.pixel(24.92, 60.175).unwrap();
    assert_eq!(px, 250);
    // Radius 7: 6 px from the centre is still fill; 8 px is the white ring; 9.5 the dark edge; 12 untouched.
    let (cx, cy) = v.project(24.94, 60.165); // (500.0, 377.086)
    assert!(close(cx, 500.0, 1e-9));
    let at = |dx: f64| *img.get_pixel((cx + dx - 0.5) as u32, cy.floor() as u32);
    assert_eq!(at(6.0), rgba(Grade::I));
    assert_eq!(at(8.0), Rgba(RING));
    assert_eq!(at(9.5), Rgba(EDGE));
    assert_eq!(at(12.0), Rgba(BACKGROUND));
    // Far from every marker: background.
    assert_eq!(*img.get_pixel(5, 5), Rgba(BACKGROUND));
    assert_eq!(*img.get_pixel(999, 753), Rgba(BACKGROUND));
}

#[test]
fn the_most_severe_marker_is_on_top() {
    let v = Viewport::fit_width(helsinki(), 200);
    for order in [
        vec![Grade::I, Grade::IV, Grade::III, Grade::II],
        vec![Grade::IV, Grade::II, Grade::III, Grade::I],
    ] {
        let mut img = plain_background(v.width, v.height);
        let incs: Vec<Incident> = order.iter().map(|g| inc(24.94, 60.165, *g)).collect();
        draw_markers(&mut img, &v, &incs, MarkerStyle::default());
        let (px, py) = v.pixel(24.94, 60.165).unwrap();
        assert_eq!(*img.get_pixel(px, py), rgba(Grade::I));
    }
}

#[test]
fn markers_at_the_image_edge_are_clipped_not_panicking() {
    let b = helsinki();
    let v = Viewport::fit_width(b, 64);
    let mut img = plain_background(v.width, v.height);
    let corners = [
        inc(b.min_lon, b.max_lat, Grade::I),
        inc(b.max_lon - 1e-9, b.min_lat + 1e-9, Grade::II),
    ];
    let r = draw_markers(
        &mut img,
        &v,
        &corners,
        MarkerStyle {
            radius: 30.0,
            ..MarkerStyle::default()
        },
    );
    assert_eq!(r.drawn, 2);
    assert_eq!(*img.get_pixel(0, 0), rgba(Grade::I));
    assert_eq!(*img.get_pixel(v.width - 1, v.height - 1), rgba(Grade::II));
}

// ---------------------------------------------------------------- whole snapshot

#[test]
fn plain_snapshot_roundtrips_through_png() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("map.png");
    let req = Request {
        bbox: helsinki(),
        width: 400,
        basemap: Basemap::Plain,
        incidents: vec![inc(24.94, 60.165, Grade::III), inc(30.0, 60.0, Grade::I)],
        marker: MarkerStyle::default(),
    };
    let snap = make_snapshot(req);
    assert_eq!(snap.markers, DrawReport { drawn: 1, outside: 1 });
    save_png(&snap, &out).unwrap();
    let back = image::open(&out).unwrap().to_rgba8();
    assert_eq!((back.width(), back.height()), (400, 302));
    let (px, py) = snap.viewport.pixel(24.94, 60.165).unwrap();
    assert_eq!(*back.get_pixel(px, py), rgba(Grade::III));
    assert_eq!(*back.get_pixel(0, 0), Rgba(BACKGROUND));
}

#[test]
fn saving_to_an_unwritable_path_is_an_error() {
    let req = Request {
        bbox: helsinki(),
        width: 32,
        basemap: Basemap::Plain,
        incidents: vec![],
        marker: MarkerStyle::default(),
    };
    let snap = make_snapshot(req);
    let err = save_png(&snap, std::path::Path::new("/nonexistent-dir/x/map.png")).unwrap_err();
    assert!(format!("{err:#}").contains("writing /nonexistent-dir/x/map.png"));
}

#[test]
fn reading_a_missing_incidents_file_names_it() {
    let err = read_incidents(std::path::Path::new("/nonexistent/incidents.json")).unwrap_err();
    assert!(format!("{err:#}").contains("reading incidents file /nonexistent/incidents.json"));
}

#[test]
fn a_basemap_image_keeps_its_size_and_viewport() {
    // What the maplibre-rs renderer hands over: an image and the area it shows.
    let v = Viewport::new(helsinki(), 300, 200);
    let map = image::RgbaImage::from_pixel(300, 200, Rgba([0xee, 0xee, 0xee, 0xff]));
    let snap = make_snapshot(Request {
        bbox: helsinki(),
        width: 999,
        basemap: Basemap::Image {
            image: map,
            viewport: v,
            note: "test map".into(),
        },
        incidents: vec![inc(24.94, 60.165, Grade::IV)],
        marker: MarkerStyle::default(),
    });
    assert_eq!((snap.image.width(), snap.image.height()), (300, 200));
    assert_eq!(snap.basemap_note, "test map");
    let (px, py) = v.pixel(24.94, 60.165).unwrap();
    assert_eq!(*snap.image.get_pixel(px, py), rgba(Grade::IV));
    assert_eq!(*snap.image.get_pixel(0, 0), Rgba([0xee, 0xee, 0xee, 0xff]));
}

#[test]
fn the_no_renderer_message_says_how_to_get_a_basemap() {
    assert!(NO_RENDERER.contains("crates/snapshot/maplibre-repro"));
    assert!(NO_RENDERER.contains("--no-basemap"));
    assert!(NO_RENDERER.contains("protobuf-compiler"));
}
