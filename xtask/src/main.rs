//! `cargo xtask <task>` — every set-up, build and test step of citydeck, in Rust instead of shell scripts.
//!
//! - `setup`  install what a fresh Debian machine lacks (apt packages, wasm32 target, wasm-bindgen-cli at the
//!   Cargo.lock version, tauri-driver, cargo-nextest)
//! - `data`   fetch the demo city's real data into data/cache (pinned, sha256-checked), and build the offline
//!   basemap, glyphs and districts of the map from it
//! - `basemap --pbf <file.osm.pbf> --out <file.mbtiles>` build vector tiles (OpenMapTiles schema, z0–14)
//! - `city --pbf <file.osm.pbf> --out <dir> --district-level N [--street-level M] [--id ID]` a city from any
//!   OSM extract: `<dir>/areas.geojson` and `<dir>/<id>.toml` (the `citydeck-city` binary of `citydeck-sim`),
//!   then `<dir>/basemap.mbtiles` (as `basemap`)
//! - `ui`     build the Leptos cockpit to ui/dist (wasm32 + wasm-bindgen), as shipped: without the map probe
//! - `demo [--city FILE]` all of the above, then open the cockpit with an embedded hub and the simulator on the
//!   demo city (default `data/city/liechtenstein.toml`; `data/city/helsinki.toml` is the other one)
//! - `screenshots [--city FILE]` the cockpit (a hub fed by the simulator) on virtual screens of 1920×1080 and
//!   3840×2160, in each scene (with areas also as the district and the street account; `cap-alert`: a CAP alert's
//!   area and its detail panel; `CITYDECK_SCENES=a,b` takes only those), saved as
//!   `artifacts/cockpit-<scene>-<w>x<h>.png`
//! - `layering` what each crate must not depend on (ARCHITECTURE.md's code map) against `cargo metadata`
//! - `test`   all checks CI runs: fmt, layering (`layering.rs`), clippy, wasm build (as shipped, and with the map
//!   probe `ui/probe` for the window tests), unit + integration + end-to-end window tests

mod basemap;
mod data;
mod layering;
mod series;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::{bail, Context, Result};

const APT_PACKAGES: &[&str] = &[
    "build-essential",
    "pkg-config",
    "curl",
    "file",
    "libwebkit2gtk-4.1-dev",
    "libssl-dev",
    "libxdo-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
    "xvfb",
    "xauth",
    "imagemagick",
    "xdotool",
    "webkit2gtk-driver",
    "fonts-dejavu-core",
    "fonts-noto-cjk",
    // the zero-network window test traces every connect() of the desktop
    "strace",
    "osmium-tool",
    "tilemaker",
    // the hub's PostgreSQL backend tests start a throwaway server (initdb, pg_ctl)
    "postgresql",
    // the API conformance tools (schemathesis, openapi-spec-validator) live in a virtualenv
    "python3-venv",
    "python3-pip",
];
const TAURI_DRIVER_VERSION: &str = "2.1.0";
/// Every cargo invocation builds the desktop with the UI embedded, so no step rebuilds `target/debug/citydeck`
/// without it (a feature change would otherwise overwrite the binary the window test drives).
const FEATURES: &[&str] = &["--features", "citydeck/custom-protocol"];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = args.first().map(String::as_str).unwrap_or("help");
    let started = Instant::now();
    let result = match task {
        "setup" => setup(),
        "data" => data::ensure(&root()).map(|_| ()),
        "basemap" => basemap::task(&args[1..]),
        "city" => city(&args[1..]),
        "ui" => build_ui(Ui::Shipped),
        "demo" => city_arg(&args[1..]).and_then(|c| demo(&c)),
        "test" => test(),
        "layering" => layering::check(cargo().current_dir(root())),
        "screenshots" => city_arg(&args[1..]).and_then(|c| screenshots(&c)),
        "bench" => bench(args.get(1).map(String::as_str)),
        _ => {
            eprintln!("usage: cargo xtask <setup|data|basemap --pbf X --out Y|city --pbf X --out DIR --district-level N [--street-level M]|ui|demo [--city FILE]|screenshots [--city FILE]|test|layering|bench sync|bench map>");
            return ExitCode::from(if task == "help" { 0 } else { 2 });
        }
    };
    match result {
        Ok(()) => {
            eprintln!("xtask {task}: done in {:.0} s", started.elapsed().as_secs_f64());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!(
                "xtask {task}: FAILED after {:.0} s: {e:#}",
                started.elapsed().as_secs_f64()
            );
            ExitCode::FAILURE
        }
    }
}

/// The default demo city.
const DEMO_CITY: &str = "data/city/liechtenstein.toml";

/// `[--city FILE]` (relative to where `cargo xtask` was started), else the default demo city; made absolute.
fn city_arg(args: &[String]) -> Result<PathBuf> {
    let file = match args {
        [] => root().join(DEMO_CITY),
        [flag, file] if flag == "--city" => PathBuf::from(file),
        _ => bail!("expected [--city <city.toml>], got {args:?}"),
    };
    file.canonicalize()
        .with_context(|| format!("the city file {}", file.display()))
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repo root")
        .to_path_buf()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

fn step(name: &str) {
    eprintln!("\n==> {name}");
}

/// Runs a command in the repo root, failing with its command line when it fails.
fn run(cmd: &mut Command) -> Result<()> {
    cmd.current_dir(root());
    let shown = format!("{cmd:?}");
    let status = cmd.status().with_context(|| format!("cannot run {shown}"))?;
    if !status.success() {
        bail!("{shown} failed ({status})");
    }
    Ok(())
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// `cargo run … citydeck-city --`: the city builder (crates/sim), ready for its arguments.
pub(crate) fn city_tool() -> Command {
    let mut cmd = cargo();
    cmd.args([
        "run",
        "--quiet",
        "-p",
        "citydeck-sim",
        "--bin",
        "citydeck-city",
        "--",
    ]);
    cmd
}

fn have(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd} >/dev/null 2>&1")])
        .status()
        .is_ok_and(|s| s.success())
}

fn output(cmd: &mut Command) -> Option<String> {
    cmd.output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
}

/// The version of `package` recorded in Cargo.lock.
fn locked_version(package: &str) -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).context("reading Cargo.lock")?;
    let needle = format!("name = \"{package}\"\nversion = \"");
    let start = lock
        .find(&needle)
        .with_context(|| format!("{package} is not in Cargo.lock"))?
        + needle.len();
    let end = lock[start..].find('"').context("malformed Cargo.lock")?;
    Ok(lock[start..start + end].to_string())
}

/// `cargo xtask city …`: the areas and city file (`citydeck-city`, which names on stderr what it leaves out and
/// fails when no district closes), then the basemap of the extract.
fn city(args: &[String]) -> Result<()> {
    let mut pbf = None;
    let mut out = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--pbf" => pbf = it.next().map(PathBuf::from),
            "--out" => out = it.next().map(PathBuf::from),
            _ => {}
        }
    }
    let (Some(pbf), Some(out)) = (pbf, out) else {
        bail!("usage: cargo xtask city --pbf <file.osm.pbf> --out <dir> --district-level N [--street-level M] [--id ID]");
    };
    // paths as the caller gave them, relative to where cargo xtask was started (not the repo root)
    let status = city_tool()
        .args(args)
        .status()
        .context("cannot run cargo run -p citydeck-sim --bin citydeck-city")?;
    if !status.success() {
        bail!("citydeck-city failed ({status})");
    }
    basemap::build(&pbf, &out.join("basemap.mbtiles"))
}

fn setup() -> Result<()> {
    step("system packages (apt)");
    let missing: Vec<&str> = APT_PACKAGES
        .iter()
        .copied()
        .filter(|p| {
            !output(Command::new("dpkg-query").args(["-W", "-f=${Status}", p]))
                .is_some_and(|s| s.contains("install ok installed"))
        })
        .collect();
    if missing.is_empty() {
        eprintln!("all present");
    } else {
        eprintln!("installing: {}", missing.join(" "));
        let sudo: &[&str] = if output(Command::new("id").arg("-u")).is_some_and(|u| u.trim() == "0") {
            &[]
        } else {
            &["sudo"]
        };
        let apt = |args: &[&str]| -> Result<()> {
            let mut all: Vec<&str> = sudo.to_vec();
            all.push("apt-get");
            all.extend_from_slice(args);
            run(Command::new(all[0])
                .args(&all[1..])
                .env("DEBIAN_FRONTEND", "noninteractive"))
        };
        apt(&["update", "-qq"])?;
        let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
        args.extend(missing.iter().copied());
        apt(&args)?;
    }

    step("rust wasm32 target");
    let targets = output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if !targets.lines().any(|l| l.trim() == "wasm32-unknown-unknown") {
        run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    if !have("cargo-clippy") || !have("rustfmt") {
        run(Command::new("rustup").args(["component", "add", "clippy", "rustfmt"]))?;
    }

    step("wasm-bindgen-cli (same version as the wasm-bindgen crate in Cargo.lock)");
    let want = locked_version("wasm-bindgen")?;
    let have_v = output(Command::new("wasm-bindgen").arg("--version")).unwrap_or_default();
    if have_v.split_whitespace().nth(1) != Some(want.as_str()) {
        // Not --locked: the CLI's own lock file pins crates that no longer build (BUILD.md).
        run(cargo().args(["install", "wasm-bindgen-cli", "--version", &want]))?;
    } else {
        eprintln!("wasm-bindgen {want} present");
    }

    step("tauri-driver (WebDriver for the end-to-end window test)");
    let td = output(Command::new("tauri-driver").arg("--version")).unwrap_or_default();
    if !td.contains(TAURI_DRIVER_VERSION) {
        run(cargo().args([
            "install",
            "tauri-driver",
            "--version",
            TAURI_DRIVER_VERSION,
            "--locked",
        ]))?;
    } else {
        eprintln!("tauri-driver {TAURI_DRIVER_VERSION} present");
    }

    step("cargo-nextest");
    if output(cargo().args(["nextest", "--version"])).is_none() {
        run(cargo().args(["install", "cargo-nextest", "--locked"]))?;
    } else {
        eprintln!("present");
    }

    step("API conformance tools (schemathesis, openapi-spec-validator; pinned in xtask/api-tools.txt)");
    let venv = api_tools_venv();
    let pins = std::fs::read_to_string(root().join("xtask/api-tools.txt"))?;
    let installed = venv.join("citydeck-api-tools.txt");
    if std::fs::read_to_string(&installed).ok().as_deref() == Some(pins.as_str()) {
        eprintln!("present in {}", venv.display());
    } else {
        let _ = std::fs::remove_dir_all(&venv);
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
        run(Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(root().join("xtask/api-tools.txt")))?;
        std::fs::write(&installed, pins)?;
    }
    Ok(())
}

/// The virtualenv holding the API conformance tools (beside the build cache, outside the clone).
fn api_tools_venv() -> PathBuf {
    target_dir().join("api-tools")
}

/// Which cockpit UI to build.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ui {
    /// What users get: no test hook, no probe.
    Shipped,
    /// With the `probe` feature: `window.citydeckMap`, through which the window tests read the map and
    /// `bench map` measures its frames.
    Probe,
}

/// `cargo build` of the UI's wasm; checks the probe is in it exactly when asked for.
fn ui_wasm(ui: Ui) -> Result<()> {
    let mut cmd = cargo();
    cmd.args([
        "build",
        "-p",
        "ui",
        "--target",
        "wasm32-unknown-unknown",
        "--release",
    ]);
    if ui == Ui::Probe {
        cmd.args(["--features", "ui/probe"]);
    }
    run(&mut cmd)?;
    let wasm = target_dir().join("wasm32-unknown-unknown/release/ui.wasm");
    let bytes = std::fs::read(&wasm).with_context(|| format!("reading {}", wasm.display()))?;
    let hook = b"citydeckMap";
    let has_hook = bytes.windows(hook.len()).any(|w| w == hook);
    match (ui, has_hook) {
        (Ui::Shipped, true) => bail!("the shipped UI carries the map probe (window.citydeckMap)"),
        (Ui::Probe, false) => bail!("the UI built with ui/probe has no window.citydeckMap"),
        _ => Ok(()),
    }
}

fn build_ui(ui: Ui) -> Result<()> {
    step(match ui {
        Ui::Shipped => "cockpit UI (Leptos → wasm32)",
        Ui::Probe => "cockpit UI with the map probe (Leptos → wasm32, feature ui/probe)",
    });
    ui_wasm(ui)?;
    let wasm = target_dir().join("wasm32-unknown-unknown/release/ui.wasm");
    let dist = root().join("ui/dist");
    std::fs::create_dir_all(&dist)?;
    run(Command::new("wasm-bindgen")
        .args(["--target", "web", "--no-typescript", "--out-dir"])
        .arg(&dist)
        .arg(&wasm))?;
    for f in ["index.html", "style.css", "switch.css"] {
        std::fs::copy(root().join("ui").join(f), dist.join(f)).with_context(|| format!("copying ui/{f}"))?;
    }
    // MapLibre GL JS for the cockpit map (and ECharts for the vital signs), vendored from the npm registry at
    // build time (never a CDN at run time): `npm ci` when ui/vendor/node_modules is missing or older than the
    // committed lock.
    let vendor = root().join("ui/vendor");
    let mtime = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let installed = vendor.join("node_modules/.package-lock.json");
    let stale = !vendor
        .join("node_modules/maplibre-gl/dist/maplibre-gl.js")
        .exists()
        || !vendor.join("node_modules/echarts/dist/echarts.min.js").exists()
        || match (mtime(&vendor.join("package-lock.json")), mtime(&installed)) {
            (Some(lock), Some(done)) => lock > done,
            _ => true,
        };
    if stale {
        step("vendored front-end assets (npm ci --prefix ui/vendor)");
        run(Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--prefix"])
            .arg(&vendor))?;
    }
    let maplibre = vendor.join("node_modules/maplibre-gl");
    std::fs::create_dir_all(dist.join("vendor"))?;
    for (from, to) in [
        ("dist/maplibre-gl.js", "maplibre-gl.js"),
        ("dist/maplibre-gl.css", "maplibre-gl.css"),
        ("LICENSE.txt", "maplibre-gl.LICENSE.txt"),
    ] {
        std::fs::copy(maplibre.join(from), dist.join("vendor").join(to))
            .with_context(|| format!("copying maplibre-gl/{from}"))?;
    }
    // Apache ECharts for the vital-sign sparklines and charts (`ui/src/vitals/chart.rs`), the same way.
    let echarts = vendor.join("node_modules/echarts");
    for (from, to) in [
        ("dist/echarts.min.js", "echarts.min.js"),
        ("LICENSE", "echarts.LICENSE.txt"),
        ("NOTICE", "echarts.NOTICE.txt"),
    ] {
        std::fs::copy(echarts.join(from), dist.join("vendor").join(to))
            .with_context(|| format!("copying echarts/{from}"))?;
    }
    Ok(())
}

/// The hub, the desktop (UI inside), the sync agent and both benchmarks as users run them: release builds, in
/// one cargo invocation (one feature set, so `bench sync` and `bench map` never rebuild each other's binaries).
/// Returns their folder.
fn build_bench_bins() -> Result<PathBuf> {
    data::ensure(&root())?;
    build_ui(Ui::Probe)?;
    step("build: hub, desktop, sync agent and benchmarks (release)");
    run(cargo()
        .args([
            "build",
            "--release",
            "-p",
            "citydeck-hub",
            "-p",
            "citydeck",
            "-p",
            "citydeck-tests",
        ])
        .args([
            "--bin",
            "citydeck-hub",
            "--bin",
            "citydeck",
            "--bin",
            "citydeck-sync-agent",
        ])
        .args(["--bin", "citydeck-bench-sync", "--bin", "citydeck-bench-map"])
        .args([
            "--bin",
            "citydeck-bench-indicators",
            "--bin",
            "citydeck-bench-loop",
            "--bin",
            "citydeck-bench-ingest",
        ])
        .args(FEATURES))?;
    Ok(target_dir().join("release"))
}

fn build_desktop() -> Result<()> {
    step("hub, simulator and desktop binaries");
    run(cargo()
        .args([
            "build",
            "-p",
            "citydeck-hub",
            "-p",
            "citydeck-simulate",
            "-p",
            "citydeck",
        ])
        .args(FEATURES))
}

fn demo(city: &Path) -> Result<()> {
    setup()?;
    data::ensure(&root())?;
    build_ui(Ui::Shipped)?;
    build_desktop()?;
    let bin = target_dir().join("debug/citydeck");
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        eprintln!(
            "\nNo display found. The cockpit is built; run it on a virtual screen with:\n\n    \
             xvfb-run -a -s \"-screen 0 1920x1080x24\" {}\n\n\
             or run this command again from a desktop session.",
            bin.display()
        );
        return Ok(());
    }
    step(&format!(
        "citydeck (embedded hub + simulator of {})",
        city.display()
    ));
    let mut cmd = Command::new(bin);
    cmd.env("CITYDECK_CITY", city);
    // The demo signs in as the duty commander, so 平战转换 can be tried (CITYDECK_USER=leader for a
    // read-only leadership screen).
    if std::env::var_os("CITYDECK_USER").is_none() {
        cmd.env("CITYDECK_USER", "commander");
    }
    run(&mut cmd)
}

fn test() -> Result<()> {
    setup()?;
    data::ensure(&root())?;

    step("format");
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;

    step("layering (cargo metadata against the code map's \"must not depend on\")");
    layering::check(cargo().current_dir(root()))?;

    step("cockpit UI as shipped (wasm32, without the probe)");
    ui_wasm(Ui::Shipped)?;
    // The window tests read the map through `window.citydeckMap`: the desktop they drive embeds the UI with it.
    build_ui(Ui::Probe)?;

    step("clippy (native, all targets)");
    run(cargo()
        .args(["clippy", "--workspace", "--all-targets"])
        .args(FEATURES)
        .args(["--", "-D", "warnings"]))?;
    step("clippy (ui on wasm32, with the probe)");
    run(cargo().args([
        "clippy",
        "-p",
        "ui",
        "--target",
        "wasm32-unknown-unknown",
        "--features",
        "probe",
        "--",
        "-D",
        "warnings",
    ]))?;

    // The binaries the end-to-end tests start, built with the features the test build unifies (the tests crate
    // turns on `citydeck-hub/test-support`, dev-dependencies add theirs): a `-p`-only build would resolve other
    // features and compile the whole tokio/axum/GTK/Tauri stack a second time for nextest.
    step("hub, simulator and desktop binaries, with the test build's features");
    run(cargo()
        .args(["build", "--workspace", "--lib", "--bins", "--tests"])
        .args(FEATURES))?;

    step("unit and integration tests");
    run(cargo()
        .args(["nextest", "run", "--workspace", "--no-fail-fast"])
        .args(FEATURES))?;

    step("API conformance: openapi-spec-validator, then schemathesis (every check) on SQLite and PostgreSQL hubs");
    run(cargo()
        .args(["nextest", "run", "--workspace", "-E", "binary(api_conformance)"])
        .args(["--run-ignored", "only", "--no-fail-fast", "--no-capture"])
        .args(FEATURES)
        .env("CITYDECK_API_TOOLS", api_tools_venv().join("bin")))?;

    step("end-to-end: the real cockpit window under Xvfb (tauri-driver + WebKitWebDriver)");
    std::fs::create_dir_all(root().join("artifacts"))?;
    run(Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1920x1080x24"])
        .arg(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "nextest",
            "run",
            "--workspace",
            "--run-ignored",
            "only",
            "--no-fail-fast",
            // one window at a time: several WebKit windows on 2 cores only make each other slow
            "--test-threads",
            "1",
            // the API conformance step above ran these
            "-E",
            "not binary(api_conformance)",
        ])
        .args(FEATURES))?;
    Ok(())
}

/// `cargo xtask bench sync`: release builds of the hub and the headless sync process, then
/// `citydeck-bench-sync`, which prints each measurement with its same-run baseline and ratio.
fn bench(which: Option<&str>) -> Result<()> {
    match which {
        Some("sync") => {
            let bins = build_bench_bins()?;
            step("bench sync");
            run(Command::new(bins.join("citydeck-bench-sync"))
                .arg(&bins)
                .arg(std::env::temp_dir().join("citydeck-bench-sync")))?;
            // The whole desktop (shell + WebKit processes) with 100,000 incidents in its cache, in the real window,
            // against the empty desktop.
            step("bench sync: desktop memory with 100,000 cached incidents vs none (real window under Xvfb)");
            run(Command::new("xvfb-run")
                .args(["-a", "-s", "-screen 0 1920x1080x24"])
                .arg(bins.join("citydeck-bench-map"))
                .arg(&bins)
                .arg(std::env::temp_dir().join("citydeck-bench-memory"))
                .args(["memory", "100000"]))
        }
        Some("map") => {
            let bins = build_bench_bins()?;
            step(
                "bench map: the real window under Xvfb at 1920x1080, empty vs 10,000 markers + 100 updates/s",
            );
            run(Command::new("xvfb-run")
                .args(["-a", "-s", "-screen 0 1920x1080x24"])
                .arg(bins.join("citydeck-bench-map"))
                .arg(&bins)
                .arg(std::env::temp_dir().join("citydeck-bench-map")))
        }
        Some("indicators") => {
            let bins = build_bench_bins()?;
            step("bench indicators: ingest (8 clients × batches of 500) and a 90-day series, vs raw SQLite");
            run(Command::new(bins.join("citydeck-bench-indicators"))
                .arg(&bins)
                .arg(std::env::temp_dir().join("citydeck-bench-indicators")))?;
            step("bench indicators: the cockpit with 300 vital signs updating every second vs without (real window)");
            run(Command::new("xvfb-run")
                .args(["-a", "-s", "-screen 0 1920x1080x24"])
                .arg(bins.join("citydeck-bench-map"))
                .arg(&bins)
                .arg(std::env::temp_dir().join("citydeck-bench-vitals"))
                .args(["indicators", "300"]))
        }
        Some("loop") => {
            let bins = build_bench_bins()?;
            step("bench loop: the clock's tick among 100,000 open incidents and 考核 over 1,000,000 events");
            run(Command::new(bins.join("citydeck-bench-loop"))
                .arg(std::env::temp_dir().join("citydeck-bench-loop")))
        }
        Some("ingest") => {
            let bins = build_bench_bins()?;
            step(
                "bench ingest: CAP alerts vs JSON creates, and the merge lookup among 100,000 open incidents",
            );
            run(Command::new(bins.join("citydeck-bench-ingest"))
                .arg(std::env::temp_dir().join("citydeck-bench-ingest")))
        }
        other => anyhow::bail!("usage: cargo xtask bench <sync|map|indicators|loop|ingest> (got {other:?})"),
    }
}

/// Runs the real cockpit of `city` under Xvfb at both sizes the command hall uses and keeps a screenshot of each
/// scene. (Without a window manager the window keeps its configured size, so it is moved and resized with
/// xdotool.)
fn screenshots(city: &Path) -> Result<()> {
    let bbox = data::city_bbox(city)?;
    data::ensure(&root())?;
    build_ui(Ui::Shipped)?;
    build_desktop()?;
    let bins = target_dir().join("debug");
    let out = root().join("artifacts");
    std::fs::create_dir_all(&out)?;
    // The areas (when the city has them): the hub places incidents in them and the drill-down scenes open the
    // cockpit of an account scoped to a district and to a street (the demo accounts `district`, `street`).
    let areas = data::city_areas(city)?.filter(|a| a.exists());
    // `cap-alert`: a CAP alert's area on the map and its detail panel open (issue 22).
    let mut scenes = vec!["peacetime", "wartime-III", "wartime-I", "exercise", "cap-alert"];
    if areas.is_some() {
        scenes.extend(["district", "street"]);
    }
    // `CITYDECK_SCENES=peacetime,street` takes only those (a quick look at one change).
    if let Ok(only) = std::env::var("CITYDECK_SCENES") {
        scenes.retain(|s| only.split(',').any(|o| o.trim() == *s));
    }
    for (w, h) in [(1920, 1080), (3840, 2160)] {
        for &scene in &scenes {
            step(&format!("cockpit at {w}x{h}: {scene}"));
            let work = std::env::temp_dir().join(format!("citydeck-shot-{w}-{scene}"));
            let png = out.join(format!("cockpit-{scene}-{w}x{h}.png"));
            run(Command::new("xvfb-run")
                .args(["-a", "-s", &format!("-screen 0 {w}x{h}x24")])
                .arg(root().join("xtask/screenshot-scene.sh"))
                .arg(&bins)
                .arg(&work)
                .args([w.to_string(), h.to_string(), scene.to_string()])
                .arg(&png)
                .arg(city)
                .args(bbox.map(|v| v.to_string()))
                .args(areas.iter()))?;
            eprintln!("saved {}", png.display());
        }
    }
    Ok(())
}
