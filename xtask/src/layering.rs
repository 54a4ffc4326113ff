//! `cargo xtask test`'s layering step: what each crate must not depend on (ARCHITECTURE.md's code map, last
//! column), checked against `cargo metadata`: normal dependencies, followed transitively; dev- and
//! build-dependencies do not count (they never end up in the crate's code).

use std::collections::{BTreeMap, HashMap, VecDeque};

use anyhow::{bail, Context, Result};
use serde_json::Value;

/// Crate → crates it must not depend on, directly or through others. One row per workspace member, the same
/// rows as ARCHITECTURE.md's code map ("must not depend on"); a test keeps the two equal.
pub const RULES: &[(&str, &[&str])] = &[
    (
        "citydeck-protocol",
        &["tokio", "reqwest", "rusqlite", "postgres", "axum"],
    ),
    (
        "citydeck-domain",
        &[
            "citydeck-store",
            "citydeck-hub",
            "citydeck-sync",
            "citydeck-client",
            "citydeck-sim",
            "tokio",
            "rusqlite",
            "reqwest",
        ],
    ),
    (
        "citydeck-ingest",
        &[
            "citydeck-store",
            "citydeck-hub",
            "citydeck-sync",
            "citydeck-client",
            "citydeck-sim",
            "tokio",
            "rusqlite",
            "reqwest",
            "postgres",
            "axum",
        ],
    ),
    (
        "citydeck-migrate",
        &[
            "citydeck-protocol",
            "citydeck-domain",
            "citydeck-store",
            "citydeck-hub",
            "tokio",
        ],
    ),
    (
        "citydeck-store",
        &["citydeck-hub", "citydeck-sync", "citydeck-client", "tokio", "ui"],
    ),
    (
        "citydeck-client",
        &["citydeck-store", "citydeck-sync", "citydeck-hub", "ui"],
    ),
    (
        "citydeck-openapi-client",
        &[
            "citydeck-protocol",
            "citydeck-domain",
            "citydeck-store",
            "citydeck-client",
            "citydeck-sync",
            "citydeck-hub",
            "ui",
        ],
    ),
    ("citydeck-sync", &["citydeck-hub", "ui"]),
    (
        "citydeck-hub",
        &[
            "citydeck-sync",
            "citydeck-client",
            "citydeck-store",
            "citydeck-sim",
            "ui",
        ],
    ),
    (
        "citydeck-sim",
        &["citydeck-hub", "citydeck-store", "citydeck-sync"],
    ),
    (
        "citydeck-simulate",
        &["citydeck-hub", "citydeck-store", "citydeck-sync"],
    ),
    (
        "citydeck-tiles",
        &["citydeck-store", "citydeck-hub", "citydeck-sync", "ui"],
    ),
    (
        "citydeck-snapshot",
        &[
            "maplibre",
            "wgpu",
            "citydeck-hub",
            "citydeck-store",
            "citydeck-sync",
            "ui",
        ],
    ),
    ("citydeck-bundle", &["citydeck-hub", "citydeck-sync", "ui"]),
    (
        "citydeck-desktop",
        &[
            "citydeck-hub",
            "citydeck-sync",
            "citydeck-client",
            "citydeck-sim",
            "tauri",
            "tokio",
        ],
    ),
    ("citydeck", &[]),
    (
        "ui",
        &[
            "citydeck-hub",
            "citydeck-store",
            "citydeck-sync",
            "citydeck-client",
        ],
    ),
    ("citydeck-tests", &[]),
    (
        "xtask",
        &[
            "citydeck-protocol",
            "citydeck-domain",
            "citydeck-ingest",
            "citydeck-migrate",
            "citydeck-store",
            "citydeck-client",
            "citydeck-openapi-client",
            "citydeck-sync",
            "citydeck-hub",
            "citydeck-sim",
            "citydeck-simulate",
            "citydeck-tiles",
            "citydeck-snapshot",
            "citydeck-bundle",
            "citydeck-desktop",
            "citydeck",
            "ui",
            "citydeck-tests",
        ],
    ),
];

/// Runs `cargo metadata` and fails with every forbidden dependency found (and the path that brings it in).
pub fn check(cargo: &mut std::process::Command) -> Result<()> {
    let out = cargo
        .args(["metadata", "--format-version", "1"])
        .output()
        .context("running cargo metadata")?;
    if !out.status.success() {
        bail!("cargo metadata failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let meta: Value = serde_json::from_slice(&out.stdout).context("parsing cargo metadata")?;
    let found = violations(&meta, RULES)?;
    if !found.is_empty() {
        bail!(
            "the crate graph breaks the code map (ARCHITECTURE.md, xtask/src/layering.rs):\n  {}",
            found.join("\n  ")
        );
    }
    eprintln!("{} crates checked: no forbidden dependency", RULES.len());
    Ok(())
}

/// Every forbidden dependency in `meta` (`cargo metadata --format-version 1`), as
/// "a must not depend on c: a → b → c"; a workspace member without a row, or a row naming no member, is also
/// reported (the table must keep up with the workspace).
pub fn violations(meta: &Value, rules: &[(&str, &[&str])]) -> Result<Vec<String>> {
    let names: HashMap<&str, &str> = meta["packages"]
        .as_array()
        .context("metadata without packages")?
        .iter()
        .filter_map(|p| Some((p["id"].as_str()?, p["name"].as_str()?)))
        .collect();
    let name = |id: &str| names.get(id).copied().unwrap_or(id).to_string();
    // package id → its normal dependencies (ids)
    let mut normal: HashMap<String, Vec<String>> = HashMap::new();
    for node in meta["resolve"]["nodes"]
        .as_array()
        .context("metadata without resolve.nodes (was --no-deps given?)")?
    {
        let id = node["id"].as_str().context("node without id")?.to_string();
        let deps = node["deps"]
            .as_array()
            .map(|deps| {
                deps.iter()
                    .filter(|d| {
                        d["dep_kinds"]
                            .as_array()
                            .is_some_and(|kinds| kinds.iter().any(|k| k["kind"].is_null()))
                    })
                    .filter_map(|d| d["pkg"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        normal.insert(id, deps);
    }
    let members: BTreeMap<String, String> = meta["workspace_members"]
        .as_array()
        .context("metadata without workspace_members")?
        .iter()
        .filter_map(|m| m.as_str())
        .map(|id| (name(id), id.to_string()))
        .collect();

    let mut found = Vec::new();
    for member in members.keys() {
        if !rules.iter().any(|(c, _)| c == member) {
            found.push(format!(
                "{member} has no row: add what it must not depend on to ARCHITECTURE.md and xtask/src/layering.rs"
            ));
        }
    }
    for (krate, forbidden) in rules {
        let Some(start) = members.get(*krate) else {
            found.push(format!("{krate} has a row but is not a workspace member"));
            continue;
        };
        // breadth-first over normal dependencies, remembering how each package was reached
        let mut via: HashMap<&str, &str> = HashMap::new();
        let mut queue = VecDeque::from([start.as_str()]);
        while let Some(id) = queue.pop_front() {
            for dep in normal.get(id).into_iter().flatten() {
                if dep != start && !via.contains_key(dep.as_str()) {
                    via.insert(dep, id);
                    queue.push_back(dep);
                }
            }
        }
        let mut reached: Vec<&str> = via.keys().copied().collect();
        reached.sort();
        for id in reached {
            let dep_name = name(id);
            if !forbidden.contains(&dep_name.as_str()) {
                continue;
            }
            let mut path = vec![dep_name.clone()];
            let mut at = id;
            while let Some(&from) = via.get(at) {
                path.push(name(from));
                at = from;
            }
            path.reverse();
            found.push(format!(
                "{krate} must not depend on {dep_name}: {}",
                path.join(" → ")
            ));
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Metadata of a workspace `a`, `b` with `a → x → y` (normal), `a → z` (dev only), `b → y` (build only).
    fn meta() -> Value {
        let normal = json!([{ "kind": null, "target": null }]);
        let dev = json!([{ "kind": "dev", "target": null }]);
        let build = json!([{ "kind": "build", "target": null }]);
        let pkg = |n: &str| json!({ "name": n, "id": format!("{n} 0.1.0"), "version": "0.1.0" });
        let dep =
            |n: &str, kinds: &Value| json!({ "name": n, "pkg": format!("{n} 0.1.0"), "dep_kinds": kinds });
        json!({
            "packages": [pkg("a"), pkg("b"), pkg("x"), pkg("y"), pkg("z")],
            "workspace_members": ["a 0.1.0", "b 0.1.0"],
            "resolve": { "nodes": [
                { "id": "a 0.1.0", "deps": [dep("x", &normal), dep("z", &dev)] },
                { "id": "b 0.1.0", "deps": [dep("y", &build)] },
                { "id": "x 0.1.0", "deps": [dep("y", &normal)] },
                { "id": "y 0.1.0", "deps": [] },
                { "id": "z 0.1.0", "deps": [] },
            ] }
        })
    }

    #[test]
    fn a_forbidden_edge_fails_direct_or_transitive() {
        let found = violations(&meta(), &[("a", &["y", "x"]), ("b", &[])]).unwrap();
        assert_eq!(
            found,
            [
                "a must not depend on x: a → x",
                "a must not depend on y: a → x → y"
            ]
        );
    }

    #[test]
    fn dev_and_build_dependencies_do_not_count() {
        let found = violations(&meta(), &[("a", &["z"]), ("b", &["y"])]).unwrap();
        assert!(found.is_empty(), "{found:?}");
        // the same edge as a normal dependency does count
        let mut m = meta();
        m["resolve"]["nodes"][1]["deps"][0]["dep_kinds"] = json!([{ "kind": null }, { "kind": "build" }]);
        let found = violations(&m, &[("a", &[]), ("b", &["y"])]).unwrap();
        assert_eq!(found, ["b must not depend on y: b → y"]);
    }

    #[test]
    fn every_member_needs_a_row_and_every_row_a_member() {
        let found = violations(&meta(), &[("a", &[]), ("c", &[])]).unwrap();
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].starts_with("b has no row"), "{found:?}");
        assert!(found[1].starts_with("c has a row but"), "{found:?}");
    }

    /// The table above and ARCHITECTURE.md's code map say the same: each row's crate (second column) and the
    /// crate names in backticks of its last column ("must not depend on").
    #[test]
    fn rules_mirror_the_code_map() {
        let doc = std::fs::read_to_string(crate::root().join("ARCHITECTURE.md")).unwrap();
        let mut documented: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for line in doc.lines().filter(|l| l.starts_with("| `")) {
            let cells: Vec<&str> = line.trim_matches('|').split(" | ").collect();
            let krate = cells[1].trim().trim_matches('`').to_string();
            let last = cells[cells.len() - 1];
            let names = last.split('`').skip(1).step_by(2).map(str::to_string).collect();
            documented.insert(krate, names);
        }
        let table: BTreeMap<String, Vec<String>> = RULES
            .iter()
            .map(|(c, f)| (c.to_string(), f.iter().map(|s| s.to_string()).collect()))
            .collect();
        assert_eq!(documented, table);
    }
}
