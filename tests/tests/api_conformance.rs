//! The hub's OpenAPI document checked with tools nobody here wrote, against real hub processes:
//! `openapi-spec-validator` on the served document, then schemathesis with every check (all four phases, the
//! stateful one included; `tests/api/schemathesis.toml` turns every check on and names its one exception) against
//! a hub on SQLite and one on PostgreSQL. Any finding fails.
//!
//! Ignored by plain `cargo test`: the tools are pinned and installed into a virtualenv by `cargo xtask setup`,
//! and `cargo xtask test` runs this file as its own step with `CITYDECK_API_TOOLS` naming the virtualenv's
//! `bin/`. Bounded: a fixed seed and a time budget (`CITYDECK_SCHEMATHESIS_SECONDS`, default 60) per backend.

use std::path::{Path, PathBuf};
use std::process::Command;

use citydeck_tests::{HubProcess, DEMO_PASSWORD};
use serde_json::{json, Value};

fn tools() -> PathBuf {
    let dir = std::env::var_os("CITYDECK_API_TOOLS").map(PathBuf::from).expect(
        "CITYDECK_API_TOOLS is not set: it names the bin/ of the virtualenv holding the pinned \
         openapi-spec-validator and schemathesis (`cargo xtask setup` installs them; `cargo xtask test` sets it)",
    );
    for tool in ["openapi-spec-validator", "st"] {
        assert!(
            dir.join(tool).exists(),
            "{} is missing: run `cargo xtask setup`",
            dir.join(tool).display()
        );
    }
    dir
}

/// Liechtenstein's areas, so the areas operations answer with real areas.
fn areas() -> String {
    citydeck_tests::repo_root()
        .join("crates/hub/tests/data/liechtenstein-areas.geojson")
        .display()
        .to_string()
}

/// The repository's scenario packs, so the indicators operation answers with real indicators.
fn scenarios() -> String {
    citydeck_tests::repo_root()
        .join("data/scenarios")
        .display()
        .to_string()
}

async fn admin_token(url: &str) -> String {
    let r = reqwest::Client::new()
        .post(format!("{url}/api/v1/login"))
        .json(&json!({"username": "admin", "password": DEMO_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string()
}

fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().expect("run a checker");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Validates the served document, then runs schemathesis against the hub at `url`.
async fn conformance(url: &str, backend: &str, work: &Path) {
    let tools = tools();
    let doc = reqwest::get(format!("{url}/api/v1/openapi.json"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let doc_path = work.join("openapi.json");
    std::fs::write(&doc_path, &doc).unwrap();

    let (ok, out) = run(Command::new(tools.join("openapi-spec-validator")).arg(&doc_path));
    assert!(
        ok,
        "openapi-spec-validator rejects the served document ({backend}):\n{out}"
    );

    let token = admin_token(url).await;
    let seconds = std::env::var("CITYDECK_SCHEMATHESIS_SECONDS").unwrap_or_else(|_| "60".into());
    let (ok, out) = run(Command::new(tools.join("st"))
        .current_dir(work)
        .env("SCHEMATHESIS_HOOKS", "")
        // Every check: the file turns them all on and names its one exception, and why.
        .arg("--config-file")
        .arg(citydeck_tests::repo_root().join("tests/api/schemathesis.toml"))
        .args(["run", doc_path.to_str().unwrap(), "--url", url])
        .args(["--phases", "examples,coverage,fuzzing,stateful"])
        .args(["--seed", "20261207", "--max-time", &seconds, "--workers", "1"])
        // The WebSocket stream cannot be described by OpenAPI beyond its refusals; its HTTP answers and the
        // stream itself are tested in crates/hub/tests/api.rs.
        .args(["--exclude-path", "/api/v1/stream"])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args(["--no-color", "--output-truncate", "false"]));
    println!("schemathesis on {backend}:\n{out}");
    assert!(ok, "schemathesis found problems on {backend} (output above)");
}

#[tokio::test]
#[ignore = "API conformance: `cargo xtask test` runs it with the pinned tools (CITYDECK_API_TOOLS)"]
async fn the_document_is_valid_and_the_hub_keeps_it_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let hub = HubProcess::start_with(
        &dir.path().join("hub.sqlite"),
        "127.0.0.1:0",
        &["--areas", &areas(), "--scenarios", &scenarios()],
    );
    conformance(&hub.url, "SQLite", dir.path()).await;
}

#[tokio::test]
#[ignore = "API conformance: `cargo xtask test` runs it with the pinned tools (CITYDECK_API_TOOLS)"]
async fn the_document_is_valid_and_the_hub_keeps_it_on_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let hub = HubProcess::start_postgres_with(
        &citydeck_hub::test_support::new_database(),
        "127.0.0.1:0",
        &["--areas", &areas(), "--scenarios", &scenarios()],
    );
    conformance(&hub.url, "PostgreSQL", dir.path()).await;
}
