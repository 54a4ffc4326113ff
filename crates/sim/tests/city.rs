//! `citydeck-city` (what `cargo xtask city` runs before the basemap) on real extracts fetched by
//! `cargo xtask data`: Liechtenstein, whose boundaries close at three levels; the same cut by a bounding box
//! (`osmium extract --strategy simple`), whose cut boundaries must be named and left out; and central Helsinki,
//! where no district boundary closes. A missing extract fails the test, naming the command that fetches it.

use std::path::{Path, PathBuf};
use std::process::Command;

use citydeck_domain::areas::{Area, Pt};
use citydeck_sim::CityConfig;
use serde_json::Value;

fn cache_file(name: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/cache")
        .join(name);
    assert!(
        p.is_file(),
        "{} is missing: run `cargo xtask data` first",
        p.display()
    );
    p
}

/// Runs `citydeck-city`; returns (exit code, stdout, stderr).
fn city(pbf: &Path, out: &Path, levels: &[&str]) -> (Option<i32>, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_citydeck-city"))
        .arg("--pbf")
        .arg(pbf)
        .arg("--out")
        .arg(out)
        .args(levels)
        .output()
        .expect("cannot run citydeck-city");
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn ring(v: &Value) -> Vec<Pt> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
        .collect()
}

/// A feature's MultiPolygon back as an area.
fn area(f: &Value) -> Area {
    assert_eq!(f["geometry"]["type"], "MultiPolygon");
    let mut outers = Vec::new();
    let mut inners = Vec::new();
    for poly in f["geometry"]["coordinates"].as_array().unwrap() {
        let rings = poly.as_array().unwrap();
        outers.push(ring(&rings[0]));
        inners.extend(rings[1..].iter().map(ring));
    }
    Area::from_rings(outers, inners)
}

/// Points of a grid over `a`'s bounding box that lie in `a`.
fn samples(a: &Area, n: usize) -> Vec<Pt> {
    let b = a.bbox().unwrap();
    let mut pts = Vec::new();
    for i in 0..n {
        for j in 0..n {
            let p = (
                b[0] + (b[2] - b[0]) * (i as f64 + 0.5) / n as f64,
                b[1] + (b[3] - b[1]) * (j as f64 + 0.5) / n as f64,
            );
            if a.contains(p) {
                pts.push(p);
            }
        }
    }
    pts
}

fn prop<'a>(f: &'a Value, k: &str) -> &'a str {
    f["properties"][k].as_str().unwrap_or("")
}

#[test]
fn liechtenstein_has_two_wahlkreise_holding_eleven_gemeinden_that_cover_them() {
    let pbf = cache_file("liechtenstein-2013-08-03.osm.pbf");
    let out = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = city(
        &pbf,
        out.path(),
        &["--district-level", "6", "--street-level", "8"],
    );
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    // the neighbours' boundaries are cut off at the extract's edge: named on stderr, left out
    for cut in [
        "Bezirk Feldkirch",
        "Wahlkreis Werdenberg",
        "Buchs (SG)",
        "Sevelen",
    ] {
        assert!(
            stderr.contains("left out") && stderr.contains(cut),
            "{cut}: {stderr}"
        );
    }

    let gj: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("areas.geojson")).unwrap()).unwrap();
    assert_eq!(gj["type"], "FeatureCollection");
    assert_eq!(
        gj["name"], "Liechtenstein",
        "the city's name, from the enclosing boundary"
    );
    let features = gj["features"].as_array().unwrap();
    let districts: Vec<&Value> = features
        .iter()
        .filter(|f| prop(f, "level") == "district")
        .collect();
    let streets: Vec<&Value> = features.iter().filter(|f| prop(f, "level") == "street").collect();
    assert_eq!(features.len(), districts.len() + streets.len());
    let mut names: Vec<&str> = districts.iter().map(|f| prop(f, "name")).collect();
    names.sort_unstable();
    assert_eq!(names, ["Wahlkreis Oberland", "Wahlkreis Unterland"]);
    let mut names: Vec<&str> = streets.iter().map(|f| prop(f, "name")).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "Balzers",
            "Eschen",
            "Gamprin",
            "Mauren",
            "Planken",
            "Ruggell",
            "Schaan",
            "Schellenberg",
            "Triesen",
            "Triesenberg",
            "Vaduz"
        ]
    );
    for f in &districts {
        assert!(f["properties"]["parent"].is_null(), "{f}");
        assert!(prop(f, "id").starts_with("osm-r"), "{f}");
    }
    let unterland = districts
        .iter()
        .find(|f| prop(f, "name") == "Wahlkreis Unterland")
        .unwrap();
    for (gemeinde, wahlkreis) in [("Vaduz", "Wahlkreis Oberland"), ("Eschen", "Wahlkreis Unterland")] {
        let g = streets.iter().find(|f| prop(f, "name") == gemeinde).unwrap();
        let w = districts.iter().find(|f| prop(f, "name") == wahlkreis).unwrap();
        assert_eq!(prop(g, "parent"), prop(w, "id"));
    }
    // several Gemeinden have detached parts, and Schaan and Planken have holes (Vaduz's exclaves)
    let parts = |name: &str| {
        let g = streets.iter().find(|f| prop(f, "name") == name).unwrap();
        area(g).polygons.len()
    };
    assert!(parts("Vaduz") > 1 && parts("Balzers") > 1 && parts("Gamprin") > 1);
    let schaan = area(streets.iter().find(|f| prop(f, "name") == "Schaan").unwrap());
    assert!(schaan.polygons.iter().any(|p| !p.holes.is_empty()));
    let vaduz = area(streets.iter().find(|f| prop(f, "name") == "Vaduz").unwrap());
    // a point of Vaduz's part inside Schaan's hole is in Vaduz and not in Schaan
    let hole = schaan.polygons.iter().flat_map(|p| &p.holes).next().unwrap();
    let in_hole = Area::from_rings(vec![hole.clone()], vec![])
        .interior_point()
        .unwrap();
    assert!(
        !schaan.contains(in_hole) && vaduz.contains(in_hole),
        "{in_hole:?}"
    );
    assert!(!area(unterland).contains(in_hole));

    for d in &districts {
        let da = area(d);
        let children: Vec<Area> = streets
            .iter()
            .filter(|s| prop(s, "parent") == prop(d, "id"))
            .map(|s| area(s))
            .collect();
        assert!(children.len() >= 5, "{}: {}", prop(d, "name"), children.len());
        // every Gemeinde lies inside its Wahlkreis …
        for c in &children {
            let pts = samples(c, 30);
            assert!(!pts.is_empty());
            let outside: Vec<&Pt> = pts.iter().filter(|p| !da.contains(**p)).collect();
            assert!(outside.is_empty(), "{}: {outside:?}", prop(d, "name"));
        }
        // … and together they cover it: every sample point of the Wahlkreis is in exactly one of them
        let pts = samples(&da, 60);
        assert!(pts.len() > 500, "{}", pts.len());
        for p in &pts {
            let n = children.iter().filter(|c| c.contains(*p)).count();
            assert_eq!(n, 1, "{} at {p:?}", prop(d, "name"));
        }
    }

    // the city file loads as the simulator reads it and points to the extract and the areas, by paths
    // relative to its folder
    let cfg = CityConfig::load(out.path().join("liechtenstein.toml")).unwrap();
    assert_eq!(cfg.id, "liechtenstein");
    assert_eq!(cfg.name.local, "Liechtenstein");
    assert_eq!(
        cfg.data.osm_pbf.canonicalize().unwrap(),
        pbf.canonicalize().unwrap()
    );
    assert_eq!(
        cfg.data.areas.as_deref().map(|a| a.canonicalize().unwrap()),
        Some(out.path().canonicalize().unwrap().join("areas.geojson"))
    );
    let text = std::fs::read_to_string(out.path().join("liechtenstein.toml")).unwrap();
    assert!(text.contains("areas = \"areas.geojson\""), "{text}");
    assert!(text.contains("basemap = \"basemap.mbtiles\""), "{text}");
    assert!(
        text.contains("osm_pbf = \"../"),
        "relative to the city's folder: {text}"
    );
    assert_eq!(
        cfg.areas.as_ref().map(|a| (a.district_level, a.street_level)),
        Some((6, Some(8)))
    );
    for f in &districts {
        let b = area(f).bbox().unwrap();
        assert!(cfg.bbox.contains(b[0], b[1]) && cfg.bbox.contains(b[2], b[3]));
    }
}

/// A city folder written by `citydeck-city` keeps working when it is moved together with its extract: no path
/// in it is absolute.
#[test]
fn a_city_folder_moves_with_its_extract() {
    let pbf = cache_file("liechtenstein-2013-08-03.osm.pbf");
    let dir = tempfile::tempdir().unwrap();
    let before = dir.path().join("before");
    std::fs::create_dir_all(before.join("extracts")).unwrap();
    std::fs::copy(&pbf, before.join("extracts/li.osm.pbf")).unwrap();
    let (code, stdout, stderr) = city(
        &before.join("extracts/li.osm.pbf"),
        &before.join("cities/li"),
        &["--district-level", "6", "--id", "liechtenstein"],
    );
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let after = dir.path().join("after");
    std::fs::rename(&before, &after).unwrap();
    let file = after.join("cities/li/liechtenstein.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        !text.contains(&*dir.path().to_string_lossy()),
        "an absolute path: {text}"
    );
    let cfg = CityConfig::load(&file).unwrap();
    assert!(cfg.data.osm_pbf.is_file(), "{}", cfg.data.osm_pbf.display());
    assert!(
        cfg.data.areas.as_deref().is_some_and(Path::is_file),
        "{:?}",
        cfg.data.areas
    );
    assert_eq!(cfg.data.basemap, Some(after.join("cities/li/basemap.mbtiles")));
}

/// The committed default demo city as `cargo xtask data` leaves it: every file its city file names exists, the
/// areas are the extract's at the city file's levels with its zh / en names, reproducibly, and each has a label
/// point inside it. (`cargo xtask data` first.)
#[test]
fn the_committed_liechtenstein_city_has_its_files_and_named_areas() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let file = root.join("data/city/liechtenstein.toml");
    let cfg = CityConfig::load(&file).unwrap();
    let areas_file = cfg.data.areas.clone().unwrap();
    let basemap = cfg.data.basemap.clone().unwrap();
    for f in [&cfg.data.osm_pbf, &areas_file, &basemap] {
        assert!(
            f.is_file(),
            "{} is missing: run `cargo xtask data` first",
            f.display()
        );
    }
    assert!(std::fs::metadata(&basemap).unwrap().len() > 100_000);
    let gj: Value = serde_json::from_str(&std::fs::read_to_string(&areas_file).unwrap()).unwrap();
    let features = gj["features"].as_array().unwrap();
    assert_eq!(features.len(), 2 + 11);
    let names = &cfg.areas.as_ref().unwrap().names;
    for f in features {
        let n = &names[prop(f, "name")];
        assert_eq!(Some(prop(f, "name_zh")), n.zh.as_deref(), "{}", prop(f, "name"));
        assert_eq!(Some(prop(f, "name_en")), n.en.as_deref(), "{}", prop(f, "name"));
        let l = &f["properties"]["label"];
        let p = (l[0].as_f64().unwrap(), l[1].as_f64().unwrap());
        assert!(
            area(f).contains(p),
            "{}'s label {p:?} is outside it",
            prop(f, "name")
        );
        assert!(cfg.bbox.contains(p.0, p.1));
    }
    let vaduz = features.iter().find(|f| prop(f, "name") == "Vaduz").unwrap();
    assert_eq!(
        (prop(vaduz, "name_zh"), prop(vaduz, "level")),
        ("瓦杜兹", "street")
    );
    // the city's own names at the top, and the file as the hub reads it (`--areas`): the city, then its 2
    // districts, then its 11 streets
    assert_eq!(
        (gj["name"].as_str(), gj["name_zh"].as_str()),
        (Some("Liechtenstein"), Some("列支敦士登"))
    );
    let defs = citydeck_domain::area_file::parse(&gj).unwrap();
    assert_eq!(defs.len(), 1 + 2 + 11);
    assert_eq!(
        (defs[0].id.as_str(), defs[0].name.as_str()),
        ("city", "Liechtenstein")
    );
    assert_eq!(
        (defs[0].name_zh.as_deref(), defs[0].name_en.as_deref()),
        (Some("列支敦士登"), Some("Liechtenstein"))
    );
    let vaduz = defs.iter().find(|a| a.name == "Vaduz").unwrap();
    assert_eq!(
        (vaduz.name_zh.as_deref(), vaduz.name_en.as_deref()),
        (Some("瓦杜兹"), Some("Vaduz"))
    );
    // the hub's tests read a committed copy of this file
    assert!(
        std::fs::read(root.join("crates/hub/tests/data/liechtenstein-areas.geojson")).unwrap()
            == std::fs::read(&areas_file).unwrap(),
        "crates/hub/tests/data/liechtenstein-areas.geojson is not what `cargo xtask data` builds: see the README there"
    );
    // `citydeck-city --city` on the same city file writes the same bytes
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("li.toml");
    let text = std::fs::read_to_string(&file).unwrap().replace(
        "osm_pbf = \"../cache/",
        &format!(
            "osm_pbf = \"{}/",
            root.join("data/cache").canonicalize().unwrap().display()
        ),
    );
    assert!(text.contains("areas = \"../cache/liechtenstein/areas.geojson\""));
    let text = text.replace(
        "areas = \"../cache/liechtenstein/areas.geojson\"",
        "areas = \"out/areas.geojson\"",
    );
    std::fs::write(&copy, text).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_citydeck-city"))
        .arg("--city")
        .arg(&copy)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read(dir.path().join("out/areas.geojson")).unwrap(),
        std::fs::read(&areas_file).unwrap(),
        "not reproducible"
    );
    // a city file without [areas] is refused by --city, naming it
    let helsinki = root.join("data/city/helsinki.toml");
    let o = Command::new(env!("CARGO_BIN_EXE_citydeck-city"))
        .arg("--city")
        .arg(&helsinki)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("has no [areas]"));
}

/// Helsinki, the second city: its files exist after `cargo xtask data` and it has no areas.
#[test]
fn the_committed_helsinki_city_has_its_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let cfg = CityConfig::load(root.join("data/city/helsinki.toml")).unwrap();
    for f in [
        Some(&cfg.data.osm_pbf),
        cfg.data.earthquakes.as_ref(),
        cfg.data.basemap.as_ref(),
    ] {
        let f = f.unwrap();
        assert!(
            f.is_file(),
            "{} is missing: run `cargo xtask data` first",
            f.display()
        );
    }
    assert_eq!(cfg.data.areas, None);
}

#[test]
fn a_cut_extract_names_its_broken_boundaries_and_keeps_the_closed_ones() {
    let pbf = cache_file("liechtenstein-2013-08-03.osm.pbf");
    let dir = tempfile::tempdir().unwrap();
    // the northern half: the Unterland and its Gemeinden are whole, the Oberland is cut
    let cut = dir.path().join("north.osm.pbf");
    let o = Command::new("osmium")
        .args([
            "extract",
            "--strategy",
            "simple",
            "--no-progress",
            "-b",
            "9.40,47.185,9.70,47.30",
            "-o",
        ])
        .arg(&cut)
        .arg(&pbf)
        .output()
        .expect("osmium (Debian osmium-tool) is needed: cargo xtask setup");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = dir.path().join("city");
    let (code, stdout, stderr) = city(&cut, &out, &["--district-level", "6", "--street-level", "8"]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    // Schaan and Planken reach into the box and are cut (the Oberland and Vaduz do not reach it: osmium keeps
    // no relation for them)
    for broken in ["Schaan", "Planken"] {
        assert!(
            stderr.contains("left out osm-r") && stderr.contains(&format!("{broken:?}")),
            "{broken} not named: {stderr}"
        );
    }
    let gj: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("areas.geojson")).unwrap()).unwrap();
    let mut names: Vec<&str> = gj["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| prop(f, "name"))
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "Eschen",
            "Gamprin",
            "Mauren",
            "Ruggell",
            "Schellenberg",
            "Wahlkreis Unterland"
        ]
    );
    for broken in ["Wahlkreis Oberland", "Vaduz", "Schaan", "Planken"] {
        assert!(!names.contains(&broken), "{names:?}");
    }

    // nothing closes at admin level 7: non-zero, nothing written
    let out7 = dir.path().join("none");
    let (code, _, stderr) = city(&cut, &out7, &["--district-level", "7"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("no boundary at admin_level 7 closes"), "{stderr}");
    assert!(!out7.join("areas.geojson").exists());
}

#[test]
fn helsinki_extract_has_no_closed_district_and_says_which_are_cut() {
    let pbf = cache_file("Helsinki.osm.pbf");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("helsinki");
    let (code, _, stderr) = city(&pbf, &out, &["--district-level", "10"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("Kluuvi") && stderr.contains("left out"),
        "{stderr}"
    );
    assert!(!out.join("areas.geojson").exists());
}

#[test]
fn bad_arguments_are_refused_with_the_usage() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = city(Path::new("x.pbf"), dir.path(), &[]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("--district-level"), "{stderr}");
    let (code, _, stderr) = city(
        &dir.path().join("missing.osm.pbf"),
        dir.path(),
        &["--district-level", "6"],
    );
    assert_eq!(code, Some(2));
    assert!(stderr.contains("missing.osm.pbf"), "{stderr}");
}

/// `cargo xtask city` as a user runs it: the areas, the city file and the basemap of the extract.
#[test]
fn cargo_xtask_city_writes_areas_city_file_and_basemap() {
    let pbf = cache_file("liechtenstein-2013-08-03.osm.pbf");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("liechtenstein");
    let o = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["run", "--quiet", "--package", "xtask", "--", "city", "--pbf"])
        .arg(&pbf)
        .arg("--out")
        .arg(&out)
        .args(["--district-level", "6", "--street-level", "8"])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .output()
        .expect("cannot run cargo");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(stderr.contains("\"Bezirk Feldkirch\""), "{stderr}");
    let gj: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("areas.geojson")).unwrap()).unwrap();
    assert_eq!(gj["features"].as_array().unwrap().len(), 2 + 11);
    CityConfig::load(out.join("liechtenstein.toml")).unwrap();
    let mbtiles = std::fs::metadata(out.join("basemap.mbtiles")).unwrap();
    assert!(mbtiles.len() > 100_000, "{}", mbtiles.len());
}
