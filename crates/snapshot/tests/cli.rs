//! The binary on bad and good input: clear messages, non-zero exits, never a panic.

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_citydeck-snapshot");
const BBOX: &str = "24.90,60.15,24.98,60.18";

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("run citydeck-snapshot")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn assert_no_panic(o: &Output) {
    let e = stderr(o);
    assert!(!e.contains("panicked"), "{e}");
}

#[test]
fn bad_bbox_is_a_usage_error() {
    for bbox in ["1,2,3", "a,b,c,d", "25,60,24,61", "24,60,25,91", "-200,0,10,10"] {
        let o = run(&["--bbox", bbox, "--out", "/tmp/never.png", "--no-basemap"]);
        assert_eq!(o.status.code(), Some(2), "{bbox}: {}", stderr(&o));
        assert!(stderr(&o).contains("bad bbox"), "{bbox}: {}", stderr(&o));
        assert_no_panic(&o);
    }
}

#[test]
fn missing_and_malformed_incidents_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("map.png");
    let out = out.to_str().unwrap();

    let o = run(&[
        "--bbox",
        BBOX,
        "--out",
        out,
        "--no-basemap",
        "--incidents",
        "/nonexistent/i.json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("reading incidents file /nonexistent/i.json"),
        "{}",
        stderr(&o)
    );

    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"[{"grade":"I","location":{"lon":24.9}}]"#).unwrap();
    let o = run(&[
        "--bbox",
        BBOX,
        "--out",
        out,
        "--no-basemap",
        "--incidents",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("missing field `location.lat`"),
        "{}",
        stderr(&o)
    );

    std::fs::write(&bad, "{not json").unwrap();
    let o = run(&[
        "--bbox",
        BBOX,
        "--out",
        out,
        "--no-basemap",
        "--incidents",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("bad incidents JSON"), "{}", stderr(&o));
    assert_no_panic(&o);
    assert!(!Path::new(out).exists(), "nothing is written on error");
}

#[test]
fn a_basemap_needs_mbtiles_or_no_basemap() {
    let o = run(&["--bbox", BBOX, "--out", "/tmp/never.png"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--no-basemap"), "{}", stderr(&o));
}

#[test]
fn mbtiles_says_how_to_run_the_maplibre_renderer() {
    let o = run(&[
        "--bbox",
        BBOX,
        "--out",
        "/tmp/never.png",
        "--mbtiles",
        "data/cache/helsinki.mbtiles",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("has no basemap renderer"), "{e}");
    assert!(e.contains("crates/snapshot/maplibre-repro"), "{e}");
}

#[test]
fn plain_snapshot_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let inc = dir.path().join("incidents.json");
    std::fs::write(
        &inc,
        r#"[{"grade":"I","location":{"lon":24.94,"lat":60.165}},{"grade":"IV","lon":30,"lat":60}]"#,
    )
    .unwrap();
    let out = dir.path().join("map.png");
    let o = run(&[
        "--bbox",
        BBOX,
        "--out",
        out.to_str().unwrap(),
        "--no-basemap",
        "--width",
        "500",
        "--incidents",
        inc.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("1 marker(s) drawn, 1 outside the area"),
        "{stdout}"
    );
    let img = image::open(&out).unwrap().to_rgba8();
    assert_eq!(img.width(), 500);
    assert_eq!(img.get_pixel(250, 188).0, [0xe5, 0x32, 0x2d, 0xff]);
}
