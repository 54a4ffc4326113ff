//! Unit tests of the handler over a small MBTiles made here (two tiles) and an asset folder with a secret file
//! next to it that no request may reach.

use std::io::Write;
use std::path::Path;

use super::*;

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// An MVT with one layer "water" and one feature.
fn water_tile() -> Vec<u8> {
    let feature = [0x18, 0x03, 0x22, 0x03, 0x09, 0x00, 0x00];
    let mut layer = vec![0x78, 0x02, 0x0a, 0x05];
    layer.extend_from_slice(b"water");
    layer.push(0x12);
    layer.push(feature.len() as u8);
    layer.extend_from_slice(&feature);
    layer.extend_from_slice(&[0x28, 0x80, 0x20]);
    let mut tile = vec![0x1a, layer.len() as u8];
    tile.extend_from_slice(&layer);
    tile
}

struct Fixture {
    _dir: tempfile::TempDir,
    server: MapServer,
    root: std::path::PathBuf,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let mbtiles = root.join("city.mbtiles");
    let db = Connection::open(&mbtiles).unwrap();
    db.execute_batch(
        "CREATE TABLE metadata (name TEXT, value TEXT);
         CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
         CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);
         INSERT INTO metadata VALUES ('minzoom','0'),('maxzoom','14'),
           ('bounds','24.935176,60.164155,24.953415,60.179113'),('center','24.944295,60.171634,7');",
    )
    .unwrap();
    // XYZ 14/9326/4741 is TMS row 2^14-1-4741 = 11642
    db.execute(
        "INSERT INTO tiles VALUES (14, 9326, 11642, ?1)",
        [gz(&water_tile())],
    )
    .unwrap();
    db.execute("INSERT INTO tiles VALUES (0, 0, 0, ?1)", [water_tile()])
        .unwrap();
    drop(db);
    let assets = root.join("map");
    std::fs::create_dir_all(assets.join("glyphs/Noto Sans Regular")).unwrap();
    std::fs::write(assets.join("glyphs/Noto Sans Regular/0-255.pbf"), b"glyphs-0").unwrap();
    std::fs::write(
        assets.join("glyphs/Noto Sans Regular/19968-20223.pbf"),
        b"glyphs-cjk",
    )
    .unwrap();
    std::fs::write(
        assets.join("districts.geojson"),
        br#"{"type":"FeatureCollection","features":[]}"#,
    )
    .unwrap();
    std::fs::write(root.join("secret.txt"), b"SECRET").unwrap();
    std::fs::create_dir_all(root.join("Evil Font")).unwrap();
    std::fs::write(root.join("Evil Font/0-255.pbf"), b"SECRET").unwrap();
    let server = MapServer::open(&mbtiles, &assets, "citydeck-map://localhost/").unwrap();
    Fixture {
        _dir: dir,
        server,
        root,
    }
}

fn get(f: &Fixture, path: &str) -> Response {
    let r = f.server.handle(path);
    assert_eq!(r.header("Access-Control-Allow-Origin"), Some("*"), "{path}");
    assert!(
        !r.body.windows(6).any(|w| w == b"SECRET"),
        "{path} leaked the secret"
    );
    r
}

#[test]
fn tile_hit_is_served_gunzipped_with_tms_flip() {
    let f = fixture();
    let r = get(&f, "/tiles/14/9326/4741.pbf");
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type, "application/x-protobuf");
    assert_eq!(r.header("Content-Encoding"), None);
    assert_eq!(r.body, water_tile());
    assert_eq!(mvt::layers(&r.body).unwrap()[0].name, "water");
    // an uncompressed tile is passed through
    assert_eq!(get(&f, "/tiles/0/0/0.pbf").body, water_tile());
    // a query string is ignored
    assert_eq!(get(&f, "/tiles/14/9326/4741.pbf?v=1").status, 200);
    // the TMS row itself, read as XYZ, is another (missing) tile
    assert_eq!(get(&f, "/tiles/14/9326/11642.pbf").status, 204);
}

#[test]
fn tile_miss_is_204_and_bad_addresses_are_400_or_404() {
    let f = fixture();
    let miss = get(&f, "/tiles/14/9327/4741.pbf");
    assert_eq!((miss.status, miss.body.len()), (204, 0));
    assert_eq!(
        get(&f, "/tiles/15/0/0.pbf").status,
        404,
        "zoom beyond the tileset"
    );
    for bad in [
        "/tiles/a/0/0.pbf",
        "/tiles/1/-1/0.pbf",
        "/tiles/1/2/0.pbf",
        "/tiles/1/0/2.pbf",
        "/tiles/0/1/0.pbf",
        "/tiles/31/0/0.pbf",
        "/tiles/1/0/+1.pbf",
        "/tiles/1/0/ 1.pbf",
        "/tiles/99999999999/0/0.pbf",
        "/tiles/1/0/0x1.pbf",
    ] {
        assert_eq!(get(&f, bad).status, 400, "{bad}");
    }
    assert_eq!(get(&f, "/tiles/1/0/0.png").status, 404);
    assert_eq!(get(&f, "/tiles/1/0").status, 404);
}

#[test]
fn style_is_dark_uses_local_names_and_absolute_urls() {
    let f = fixture();
    let r = get(&f, "/style.json");
    assert_eq!((r.status, r.content_type.as_str()), (200, "application/json"));
    let s: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(s["version"], 8);
    assert_eq!(
        s["glyphs"],
        "citydeck-map://localhost/glyphs/{fontstack}/{range}.pbf"
    );
    assert_eq!(
        s["sources"]["openmaptiles"]["tiles"][0],
        "citydeck-map://localhost/tiles/{z}/{x}/{y}.pbf"
    );
    assert_eq!(s["sources"]["openmaptiles"]["maxzoom"], 14);
    assert_eq!(
        s["sources"]["citydeck-districts"]["data"],
        "citydeck-map://localhost/districts.geojson"
    );
    assert!(s.get("sprite").is_none());
    let text = String::from_utf8(r.body).unwrap();
    assert!(text.contains(r#"["get","name"]"#) && !text.contains("name:latin") && !text.contains("name_en"));
    assert!(text.contains(style::FONT));
    let layers = s["layers"].as_array().unwrap();
    assert_eq!(layers[0]["paint"]["background-color"], style::BACKGROUND);
    let ids: Vec<&str> = layers.iter().map(|l| l["id"].as_str().unwrap()).collect();
    for id in [
        "water",
        "building",
        "road-major",
        "road-label",
        "place-label",
        "district-outline",
    ] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
    // other platforms' base URL
    let http = MapServer::open(
        &f.root.join("city.mbtiles"),
        &f.root.join("map"),
        "http://citydeck-map.localhost",
    )
    .unwrap();
    let s: serde_json::Value = serde_json::from_slice(&http.handle("/style.json").body).unwrap();
    assert_eq!(
        s["glyphs"],
        "http://citydeck-map.localhost/glyphs/{fontstack}/{range}.pbf"
    );
}

#[test]
fn glyphs_sprites_and_districts() {
    let f = fixture();
    let r = get(&f, "/glyphs/Noto%20Sans%20Regular/0-255.pbf");
    assert_eq!((r.status, r.body.as_slice()), (200, b"glyphs-0".as_slice()));
    assert_eq!(r.content_type, "application/x-protobuf");
    // a font stack: the first font that exists answers
    let r = get(
        &f,
        "/glyphs/Open%20Sans%20Bold,Noto%20Sans%20Regular/19968-20223.pbf",
    );
    assert_eq!((r.status, r.body.as_slice()), (200, b"glyphs-cjk".as_slice()));
    assert_eq!(get(&f, "/glyphs/Noto%20Sans%20Regular/256-511.pbf").status, 404);
    assert_eq!(get(&f, "/glyphs/Comic%20Sans/0-255.pbf").status, 404);
    for bad in [
        "/glyphs/Noto%20Sans%20Regular/1-256.pbf",
        "/glyphs/Noto%20Sans%20Regular/0-256.pbf",
        "/glyphs/Noto%20Sans%20Regular/65536-65791.pbf",
        "/glyphs/Noto%20Sans%20Regular/x-255.pbf",
        "/glyphs/Noto%20Sans%20Regular/0-255",
    ] {
        assert!(matches!(get(&f, bad).status, 400 | 404), "{bad}");
    }
    assert_eq!(get(&f, "/glyphs/Noto%20Sans%20Regular/1-256.pbf").status, 400);
    assert_eq!(get(&f, "/sprites/sprite.json").body, b"{}");
    let png = get(&f, "/sprites/sprite@2x.png");
    assert_eq!((png.status, png.content_type.as_str()), (200, "image/png"));
    assert!(png.body.starts_with(b"\x89PNG"));
    assert_eq!(get(&f, "/sprites/other.png").status, 404);
    let d = get(&f, "/districts.geojson");
    assert_eq!((d.status, d.content_type.as_str()), (200, "application/geo+json"));
    assert!(d.body.starts_with(b"{\"type\":\"FeatureCollection\""));
    assert_eq!(get(&f, "/nothing-here").status, 404);
}

#[test]
fn a_city_areas_file_is_served_as_the_districts() {
    let f = fixture();
    let areas = f.root.join("areas.geojson");
    let body = br#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"osm-r48","name":"Vaduz","level":"street","label":[9.52,47.14]}},{"type":"Feature","properties":{"id":"x","name":"No label"}}]}"#;
    std::fs::write(&areas, body).unwrap();
    let mbtiles = f.root.join("city.mbtiles");
    let server = MapServer::open(&mbtiles, &f.root.join("map"), "citydeck-map://localhost")
        .unwrap()
        .with_districts(Some(areas.clone()));
    let d = server.handle("/districts.geojson");
    assert_eq!((d.status, d.content_type.as_str()), (200, "application/geo+json"));
    assert_eq!(d.body, body);
    assert_eq!(d.header("Access-Control-Allow-Origin"), Some("*"));
    // one label point per area that has one, with its properties
    let l = server.handle("/district-labels.geojson");
    assert_eq!((l.status, l.content_type.as_str()), (200, "application/geo+json"));
    let v: serde_json::Value = serde_json::from_slice(&l.body).unwrap();
    let features = v["features"].as_array().unwrap();
    assert_eq!(features.len(), 1, "{v}");
    assert_eq!(
        features[0]["geometry"]["coordinates"],
        serde_json::json!([9.52, 47.14])
    );
    assert_eq!(features[0]["properties"]["name"], "Vaduz");
    std::fs::write(&areas, b"not json").unwrap();
    assert_eq!(server.handle("/district-labels.geojson").status, 500);
    std::fs::write(&areas, body).unwrap();
    // the rest still comes from the asset folder
    assert_eq!(
        server.handle("/glyphs/Noto%20Sans%20Regular/0-255.pbf").body,
        b"glyphs-0"
    );
    std::fs::remove_file(&areas).unwrap();
    assert_eq!(server.handle("/districts.geojson").status, 404);
    // without one, the asset folder's districts
    let plain = MapServer::open(&mbtiles, &f.root.join("map"), "citydeck-map://localhost")
        .unwrap()
        .with_districts(None);
    assert!(plain
        .handle("/districts.geojson")
        .body
        .starts_with(b"{\"type\":\"FeatureCollection\",\"features\":[]"));
}

#[test]
fn traversal_never_reads_outside_the_assets() {
    let f = fixture();
    // the secret is at <root>/secret.txt and <root>/Evil Font/0-255.pbf, the assets at <root>/map
    for bad in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/secret.txt",
        "/glyphs/..%2f..%2fEvil%20Font/0-255.pbf",
        "/glyphs/%2e%2e/..%2fsecret.txt",
        "/glyphs/..%5c..%5cEvil%20Font/0-255.pbf",
        "/glyphs/..\\..\\Evil Font/0-255.pbf",
        "/glyphs/Noto%20Sans%20Regular/..%2f..%2f..%2fsecret.txt",
        "/glyphs/%2fetc%2fpasswd/0-255.pbf",
        "/glyphs/C:%5cWindows/0-255.pbf",
        "//etc/passwd",
        "/./style.json",
        "/glyphs//0-255.pbf",
        "/districts.geojson/../../secret.txt",
        "/%00/0-255.pbf",
        "/%zz",
        "/glyphs/%ff%fe/0-255.pbf",
        "/.hidden",
        "etc/passwd",
        "",
        "/",
    ] {
        assert_eq!(get(&f, bad).status, 400, "{bad:?}");
    }
    // a symlink inside the assets pointing out of them is refused too
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(f.root.join("Evil Font"), f.root.join("map/glyphs/Evil Font")).unwrap();
        assert_eq!(get(&f, "/glyphs/Evil%20Font/0-255.pbf").status, 400);
    }
    // a well-formed but unknown file is a plain 404
    assert_eq!(get(&f, "/glyphs/Noto%20Sans%20Regular/512-767.pbf").status, 404);
}

#[test]
fn decode_segments_rules() {
    assert_eq!(
        decode_segments("/glyphs/Noto%20Sans/0-255.pbf").unwrap(),
        ["glyphs", "Noto Sans", "0-255.pbf"]
    );
    assert!(decode_segments("/a/%2e%2e").is_err());
    assert!(decode_segments("/a/%").is_err());
    assert!(decode_segments("/a/%4").is_err());
    assert!(decode_segments("/a/b:c").is_err());
}

#[test]
fn open_fails_clearly_without_the_basemap() {
    let dir = tempfile::tempdir().unwrap();
    let Err(err) = MapServer::open(&dir.path().join("none.mbtiles"), dir.path(), "x") else {
        panic!("opened a missing basemap");
    };
    assert!(format!("{err:#}").contains("none.mbtiles"));
    let _ = Path::new("");
}
