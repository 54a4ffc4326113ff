//! The offline basemap built by `cargo xtask basemap` from the shipped extract (`data/cache/Helsinki.osm.pbf`,
//! fetched by `cargo xtask data`): tiles at every zoom 0..=14, the OpenMapTiles layers, tiles that gunzip and
//! decode as MVT, a reproducible file, and a clear error for a file that is not OSM PBF. Then the real
//! `data/cache` basemap and assets through the handler.

use std::path::{Path, PathBuf};
use std::process::Command;

use citydeck_tiles::{gunzip, mvt, MapServer};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn shipped_pbf() -> PathBuf {
    let pbf = repo_root().join("data/cache/Helsinki.osm.pbf");
    assert!(
        pbf.is_file(),
        "{} is missing: run `cargo xtask data` first",
        pbf.display()
    );
    pbf
}

/// `cargo xtask basemap --pbf <pbf> --out <out>`; returns (success, stderr).
fn xtask_basemap(pbf: &Path, out: &Path) -> (bool, String) {
    let o = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["run", "--quiet", "--package", "xtask", "--", "basemap", "--pbf"])
        .arg(pbf)
        .arg("--out")
        .arg(out)
        .current_dir(repo_root())
        .output()
        .expect("cannot run cargo");
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn basemap_of_the_shipped_extract_has_every_zoom_the_layers_and_decodable_tiles() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("helsinki.mbtiles");
    let (ok, err) = xtask_basemap(&shipped_pbf(), &out);
    assert!(ok, "cargo xtask basemap failed: {err}");
    assert!(err.contains("cut-off ways"), "{err}");
    // nothing but the output is left behind
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["helsinki.mbtiles"]);

    let server = MapServer::open(&out, dir.path(), "http://x").unwrap();
    let info = server.info().clone();
    assert_eq!((info.minzoom, info.maxzoom), (0, 14));
    // central Helsinki, ≈ 1 × 1.7 km
    assert!(info.bounds[0] > 24.9 && info.bounds[2] < 25.0 && info.bounds[1] > 60.1 && info.bounds[3] < 60.2);

    let counts = server.tile_counts().unwrap();
    let zooms: Vec<u8> = counts.iter().map(|c| c.0).collect();
    assert_eq!(zooms, (0..=14).collect::<Vec<u8>>(), "{counts:?}");
    for &(z, n) in &counts {
        // the extract spans at most 2 × 2 tiles at z14 and one tile up to z12
        let max = if z >= 13 { 4 << (z - 13) } else { 1 };
        assert!(n >= 1 && n <= max, "zoom {z}: {n} tiles");
    }
    assert!(counts.iter().map(|c| c.1).sum::<u64>() >= 16);

    // every tile gunzips and decodes; collect the layers of the z14 tiles
    let mut layers = std::collections::BTreeSet::new();
    let mut z14_bytes = 0;
    let n = 1u32 << 14;
    let (x0, x1) = (lon_to_x(info.bounds[0], n), lon_to_x(info.bounds[2], n));
    let (y0, y1) = (lat_to_y(info.bounds[3], n), lat_to_y(info.bounds[1], n));
    for x in x0..=x1 {
        for y in y0..=y1 {
            if let Some(raw) = server.tile_raw(14, x, y).unwrap() {
                assert!(raw.starts_with(&[0x1f, 0x8b]), "tiles are stored gzip-compressed");
                let tile = gunzip(&raw).unwrap();
                z14_bytes += tile.len();
                for l in mvt::layers(&tile).unwrap() {
                    assert!(l.features > 0 && l.extent > 0, "{l:?}");
                    if l.name == "transportation_name" || l.name == "place" {
                        assert!(
                            l.keys.contains(&"name".to_string()),
                            "labels are in `name`: {l:?}"
                        );
                        assert!(!l.keys.contains(&"name:latin".to_string()));
                    }
                    layers.insert(l.name);
                }
            }
        }
    }
    for want in [
        "water",
        "transportation",
        "building",
        "place",
        "transportation_name",
        "poi",
        "landuse",
    ] {
        assert!(layers.contains(want), "layer {want} missing from z14: {layers:?}");
    }
    assert!(z14_bytes > 100_000, "z14 holds {z14_bytes} bytes of MVT");
    // the handler answers the same tile gunzipped
    let r = server.handle(&format!("/tiles/14/{x0}/{y0}.pbf"));
    assert!(matches!(r.status, 200 | 204));
}

fn lon_to_x(lon: f64, n: u32) -> u32 {
    ((lon + 180.0) / 360.0 * n as f64).floor() as u32
}

fn lat_to_y(lat: f64, n: u32) -> u32 {
    let r = lat.to_radians();
    ((1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * n as f64).floor() as u32
}

#[test]
fn basemap_build_is_reproducible() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.mbtiles"), dir.path().join("b.mbtiles"));
    for out in [&a, &b] {
        let (ok, err) = xtask_basemap(&shipped_pbf(), out);
        assert!(ok, "{err}");
    }
    assert!(
        std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap(),
        "two builds differ"
    );
}

#[test]
fn basemap_refuses_a_file_that_is_not_osm_pbf_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("districts.geojson.osm.pbf");
    std::fs::write(&bad, br#"{"type":"FeatureCollection","features":[]}"#).unwrap();
    let out = dir.path().join("out.mbtiles");
    let (ok, err) = xtask_basemap(&bad, &out);
    assert!(!ok);
    assert!(
        err.contains("districts.geojson.osm.pbf") && err.contains("is not an OSM PBF file"),
        "{err}"
    );
    assert!(!out.exists());
}

/// The basemap and assets `cargo xtask data` put in data/cache, as the desktop serves them.
#[test]
fn data_cache_map_is_served() {
    let root = repo_root();
    let mbtiles = root.join("data/cache/helsinki.mbtiles");
    let assets = root.join("data/cache/map");
    assert!(
        mbtiles.is_file(),
        "{} missing: run `cargo xtask data`",
        mbtiles.display()
    );
    let server = MapServer::open(&mbtiles, &assets, "citydeck-map://localhost").unwrap();
    let style = server.handle("/style.json");
    assert_eq!(style.status, 200);
    let glyph = server.handle("/glyphs/Noto%20Sans%20Regular/0-255.pbf");
    assert_eq!(glyph.status, 200);
    assert!(glyph.body.len() > 10_000);
    // CJK range (统一汉字 starts at U+4E00 = 19968)
    assert_eq!(
        server
            .handle("/glyphs/Noto%20Sans%20Regular/19968-20223.pbf")
            .status,
        200
    );
    let d = server.handle("/districts.geojson");
    assert_eq!(d.status, 200);
    let gj: serde_json::Value = serde_json::from_slice(&d.body).unwrap();
    let names: Vec<&str> = gj["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Kluuvi") && names.contains(&"Kaartinkaupunki"),
        "{names:?}"
    );
    for f in gj["features"].as_array().unwrap() {
        assert_eq!(f["geometry"]["type"], "Polygon");
    }
    // a z14 tile in the middle of the extract
    let t = server.handle("/tiles/14/9326/4741.pbf");
    assert_eq!(t.status, 200, "{}", String::from_utf8_lossy(&t.body));
    assert!(mvt::layers(&t.body).unwrap().iter().any(|l| l.name == "building"));
    assert_eq!(server.handle("/tiles/14/0/0.pbf").status, 204);
}

/// The style passes MapLibre's own style validator (`gl-style-validate` of the pinned
/// `@maplibre/maplibre-gl-style-spec` in `ui/vendor`, run with node).
#[test]
fn style_passes_the_maplibre_style_validator() {
    let root = repo_root();
    let validator =
        root.join("ui/vendor/node_modules/@maplibre/maplibre-gl-style-spec/dist/gl-style-validate.cjs");
    assert!(
        validator.is_file(),
        "{} is missing: run `npm ci --prefix ui/vendor`",
        validator.display()
    );
    let server = MapServer::open(
        &root.join("data/cache/helsinki.mbtiles"),
        &root.join("data/cache/map"),
        "citydeck-map://localhost",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let style = dir.path().join("style.json");
    std::fs::write(&style, server.handle("/style.json").body).unwrap();
    let out = Command::new("node")
        .arg(&validator)
        .arg(&style)
        .output()
        .expect("node");
    assert!(
        out.status.success() && out.stdout.is_empty(),
        "style errors: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
