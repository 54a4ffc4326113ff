//! The scenario packs of a folder (`data/scenarios/*.toml`), read from the file system and checked together by
//! `domain::scenario`, and the replays of the real series their indicators name.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use citydeck_domain::scenario::{parse_packs, Pack, PackFileError};

use crate::series::{load_series, Replay, SeriesError};

#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read scenario packs in {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no scenario packs (*.toml) in {0}")]
    None(PathBuf),
    /// A bad pack: names the file and the key.
    #[error("{0}")]
    Pack(#[from] PackFileError),
}

/// Every `*.toml` of `dir` (in file-name order) as a scenario pack, checked as a set. An error names the file
/// (its path) and the key at fault.
pub fn load_scenarios(dir: &Path) -> Result<Vec<Pack>, ScenarioError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| ScenarioError::Io { path, source }
    };
    let mut paths: Vec<PathBuf> = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let path = entry.map_err(io(dir))?.path();
        if path.extension().is_some_and(|e| e == "toml") && path.is_file() {
            paths.push(path);
        }
    }
    if paths.is_empty() {
        return Err(ScenarioError::None(dir.to_owned()));
    }
    paths.sort();
    let mut files: Vec<(String, String)> = Vec::new();
    for p in &paths {
        let text = std::fs::read_to_string(p).map_err(io(p))?;
        files.push((p.display().to_string(), text));
    }
    Ok(parse_packs(files.iter().map(|(n, t)| (n.as_str(), t.as_str())))?)
}

/// The replay of every indicator of `packs` that names a real series, from the files in `series_dir`.
pub fn replays(packs: &[Pack], series_dir: &Path, now: DateTime<Utc>) -> Result<Vec<Replay>, SeriesError> {
    let mut out = Vec::new();
    for ind in packs.iter().flat_map(|p| &p.indicators) {
        if let Some(r) = &ind.replay {
            let series = load_series(series_dir, &r.series, &r.column)?;
            out.push(Replay::new(&ind.id, series, now));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use citydeck_domain::indicators::{step, Episode, EpisodeEffect, Level};
    use std::collections::BTreeSet;

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    #[test]
    fn the_shipped_packs_load() {
        let packs = load_scenarios(&root().join("data/scenarios")).unwrap();
        let ids: Vec<&str> = packs.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["lifeline", "overview", "safety", "traffic", "weather"]);
        let overview = &packs[1];
        assert_eq!(overview.name.zh, "城市运行总览");
        assert!(overview.panels.len() >= 5);
        let n: usize = packs.iter().map(|p| p.indicators.len()).sum();
        assert_eq!(n, 9);
        assert!(packs
            .iter()
            .flat_map(|p| &p.indicators)
            .all(|i| i.replay.is_some()));
    }

    #[test]
    fn each_kind_of_bad_pack_is_named_by_file_and_key() {
        let good = std::fs::read_to_string(root().join("data/scenarios/lifeline.toml")).unwrap();
        let other = std::fs::read_to_string(root().join("data/scenarios/traffic.toml")).unwrap();
        let cases: [(&str, String, &str); 5] = [
            ("bad TOML", good.replace("unit = \"MW\"", "unit = MW"), ""),
            (
                "missing key",
                good.replace("unit = \"l/s\"\n", ""),
                "indicators[1].unit",
            ),
            (
                "unordered thresholds",
                good.replace("orange = 37300", "orange = 36000"),
                "indicators[0].thresholds.orange",
            ),
            (
                "unknown direction",
                good.replace("direction = \"below\"", "direction = \"sideways\""),
                "indicators[1].direction",
            ),
            (
                "duplicate indicator across packs",
                other.replace("id = \"traffic_accidents\"", "id = \"power_load\""),
                "indicators[0].id",
            ),
        ];
        for (what, text, key) in cases {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join("a-lifeline.toml"), &good).unwrap();
            std::fs::write(dir.path().join("b-pack.toml"), &text).unwrap();
            std::fs::write(dir.path().join("notes.txt"), "not a pack").unwrap();
            let e = match load_scenarios(dir.path()) {
                Err(ScenarioError::Pack(e)) => e,
                other => panic!("{what}: {other:?}"),
            };
            assert!(e.file.ends_with("b-pack.toml"), "{what}: {e}");
            assert_eq!(e.error.key, key, "{what}: {e}");
            assert!(e.to_string().contains("b-pack.toml"), "{what}: {e}");
            if key.is_empty() {
                assert!(e.error.problem.contains("not valid TOML"), "{what}: {e}");
            } else {
                assert!(
                    e.to_string().contains(&format!("b-pack.toml: {key}: ")),
                    "{what}: {e}"
                );
            }
        }
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(
            load_scenarios(empty.path()),
            Err(ScenarioError::None(_))
        ));
        assert!(matches!(
            load_scenarios(&empty.path().join("absent")),
            Err(ScenarioError::Io { .. })
        ));
    }

    /// Every indicator's real series, replayed over one loop through the episode rules, crosses yellow, orange
    /// and red and opens episodes (the thresholds are percentiles of these very series).
    #[test]
    fn the_real_series_replays_cross_every_warning_colour() {
        let dir = root().join("data/cache/series");
        assert!(
            dir.is_dir(),
            "{} is missing: run `cargo xtask data` first",
            dir.display()
        );
        let packs = load_scenarios(&root().join("data/scenarios")).unwrap();
        let now = Utc::now();
        let replays = replays(&packs, &dir, now).unwrap();
        assert_eq!(replays.len(), 9);
        for r in &replays {
            let ind = packs
                .iter()
                .flat_map(|p| &p.indicators)
                .find(|i| i.id == r.indicator)
                .unwrap();
            let period = r.series.cadence * r.series.values.len() as i32;
            let loop_ = r.readings(now - period, now).collect::<Vec<_>>();
            assert_eq!(
                loop_.len(),
                r.series.len(),
                "{}: one loop holds every point once",
                r.indicator
            );
            assert!(loop_.last().unwrap().at <= now && loop_.last().unwrap().at > now - r.series.cadence);
            let levels: BTreeSet<Level> = loop_.iter().map(|x| ind.level(x.value)).collect();
            for l in [Level::Yellow, Level::Orange, Level::Red] {
                assert!(levels.contains(&l), "{} never reaches {l:?}", r.indicator);
            }
            let (mut state, mut opened, mut ended) = (Episode::Quiet, 0, 0);
            for x in &loop_ {
                let (s, e) = step(ind, state, x.value);
                state = s;
                match e {
                    Some(EpisodeEffect::Open { .. }) => opened += 1,
                    Some(EpisodeEffect::End { .. }) => ended += 1,
                    _ => {}
                }
            }
            assert!(
                opened >= 1 && ended + 1 >= opened,
                "{}: {opened} opened, {ended} ended",
                r.indicator
            );
            eprintln!("{}: {} points, {opened} episodes", r.indicator, loop_.len());
        }
    }
}
