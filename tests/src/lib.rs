//! Helpers for end-to-end tests over real processes.
//!
//! The binaries under test are the ones `cargo build` put next to this test executable
//! (`target/<profile>/citydeck-hub`, `target/<profile>/citydeck`); `cargo xtask test` builds them first.

pub mod window;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `target/<profile>/` — the folder holding this test binary's `deps/`.
pub fn target_profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let deps = exe.parent().expect("deps dir");
    deps.parent().expect("profile dir").to_path_buf()
}

/// Path to a workspace binary, with a clear message when it was not built.
pub fn binary(name: &str) -> PathBuf {
    let p = target_profile_dir().join(name);
    assert!(
        p.exists(),
        "{} is missing: build it first (`cargo build -p citydeck-hub`; `cargo xtask test` does this)",
        p.display()
    );
    p
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repo root")
        .to_path_buf()
}

pub const DEMO_PASSWORD: &str = "citydeck-demo";

/// The city the window tests and `bench map` show: central Helsinki (their incidents are placed there). Named
/// explicitly: the desktop's default demo city is Liechtenstein.
pub fn helsinki_city() -> PathBuf {
    repo_root().join("data/city/helsinki.toml")
}

/// A hub client signed in (lazily) as the demo account `user`.
pub fn demo_client(url: &str, user: &str) -> citydeck_sync::HubClient {
    citydeck_sync::HubClient::new(
        url,
        citydeck_sync::Credentials {
            username: user.into(),
            password: DEMO_PASSWORD.into(),
        },
    )
    .expect("a valid hub URL")
}

/// A real `citydeck-hub` process on a free loopback port.
pub struct HubProcess {
    pub child: Child,
    pub url: String,
    pub db: PathBuf,
}

impl HubProcess {
    /// Starts the hub on `db` (created if missing) with demo accounts, and waits for its `listening on` line.
    pub fn start(db: &Path) -> HubProcess {
        Self::start_on(db, "127.0.0.1:0")
    }

    pub fn start_on(db: &Path, listen: &str) -> HubProcess {
        Self::start_with(db, listen, &[])
    }

    /// Starts the hub with extra command-line flags (e.g. `--exercise`, `--screen hall-wall-1`).
    pub fn start_with(db: &Path, listen: &str, extra: &[&str]) -> HubProcess {
        Self::launch(&binary("citydeck-hub"), db, listen, extra)
    }

    /// Starts the hub binary at `bin` (e.g. a release build) and waits for its `listening on` line.
    pub fn launch(bin: &Path, db: &Path, listen: &str, extra: &[&str]) -> HubProcess {
        Self::spawn(bin, &["--db", db.to_str().unwrap()], db, listen, extra)
    }

    /// Starts a hub replica on the PostgreSQL database `url` (e.g. from
    /// `citydeck_hub::test_support::new_database`); any number of replicas may share it. `db` is empty.
    pub fn start_postgres(url: &str) -> HubProcess {
        Self::start_postgres_with(url, "127.0.0.1:0", &[])
    }

    /// [`HubProcess::start_postgres`] with a listen address and extra command-line flags.
    pub fn start_postgres_with(url: &str, listen: &str, extra: &[&str]) -> HubProcess {
        Self::spawn(
            &binary("citydeck-hub"),
            &["--postgres", url],
            Path::new(""),
            listen,
            extra,
        )
    }

    fn spawn(bin: &Path, storage: &[&str], db: &Path, listen: &str, extra: &[&str]) -> HubProcess {
        let mut child = Command::new(bin)
            .args(storage)
            .args(["--listen", listen, "--demo"])
            .args(extra)
            .env("CITYDECK_DEMO_PASSWORD", DEMO_PASSWORD)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn citydeck-hub");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            while let Some(Ok(line)) = lines.next() {
                if let Some(url) = line.strip_prefix("listening on ") {
                    let _ = tx.send(url.to_string());
                }
            }
        });
        let url = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("hub printed no `listening on` line in 60 s");
        HubProcess {
            child,
            url,
            db: db.to_path_buf(),
        }
    }

    /// The port the hub listens on.
    pub fn addr(&self) -> String {
        self.url.trim_start_matches("http://").to_string()
    }

    /// `kill -9`: no shutdown, no flush.
    pub fn kill9(&mut self) {
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGKILL);
        }
        let _ = self.child.wait();
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `f` until it returns true or `timeout` passes. Returns whether it became true.
pub async fn eventually(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    f()
}
