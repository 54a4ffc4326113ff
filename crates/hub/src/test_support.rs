//! A throwaway PostgreSQL server for tests (feature `test-support`): used by the hub's own tests and by the
//! end-to-end crate.
//!
//! One cluster per test process, started on first use (under cargo-nextest, which runs each test in its own
//! process, one per run: the first test process starts it, the others of the run wait for it): `initdb` into a
//! fresh temp dir, then the server on a unix socket in that dir only (no TCP port, so parallel test binaries
//! never clash), trust auth, fsync off (only hub processes are killed in tests, never the server). A watchdog
//! shell stops the server and removes the dir as soon as the test process (or the nextest runner) exits,
//! however it exits (a `static` is never dropped). Each test gets its own database
//! ([`PgCluster::new_database`]).
//!
//! The server binaries come from `CITYDECK_PG_BIN`, else the newest `/usr/lib/postgresql/*/bin`, else `PATH`.
//! When they are missing this panics with what to install: PostgreSQL tests fail, they never skip. PostgreSQL
//! refuses to run as root; as root the server runs as the `postgres` OS user (Debian's package creates it).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

/// A running throwaway PostgreSQL server (see the module doc).
pub struct PgCluster {
    root: PathBuf,
    /// The user the server runs as when the tests run as root.
    run_as: Option<String>,
}

const PORT: u16 = 5432;

static CLUSTER: OnceLock<PgCluster> = OnceLock::new();
static NEXT_DB: AtomicU32 = AtomicU32::new(1);

/// The test process's cluster (started on first call).
pub fn cluster() -> &'static PgCluster {
    CLUSTER.get_or_init(PgCluster::start)
}

/// A fresh, empty database on the test process's cluster: its connection string for `--postgres`.
pub fn new_database() -> String {
    cluster().new_database()
}

fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CITYDECK_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    found.sort();
    if let Some((_, bin)) = found.pop() {
        return bin;
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths).find(|p| p.join("initdb").exists() && p.join("pg_ctl").exists())
    });
    on_path.unwrap_or_else(|| {
        panic!(
            "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in /usr/lib/postgresql/*/bin or \
             PATH: the PostgreSQL backend tests need a real server. Install Debian's `postgresql` package \
             (`cargo xtask setup` does) or point CITYDECK_PG_BIN at the bin directory."
        )
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

impl PgCluster {
    /// Under cargo-nextest (one process per test) the processes of one run share a cluster: the first creates
    /// it, the others wait until it is ready, and it is stopped when the nextest runner (their parent) exits.
    /// Otherwise the cluster is this process's own.
    fn start() -> PgCluster {
        let bin = bin_dir();
        let run_as = is_root().then(|| "postgres".to_string());
        let run = std::env::var("NEXTEST_RUN_ID").unwrap_or_default();
        if run.is_empty() || !run.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            let root = tempfile::Builder::new()
                .prefix("citydeck-pg-")
                .tempdir()
                .expect("temp dir for the PostgreSQL test cluster")
                .keep();
            return PgCluster::init(&bin, root, run_as, std::process::id());
        }
        let root = std::env::temp_dir().join(format!("citydeck-pg-nextest-{run}"));
        let (ready, failed) = (root.join("ready"), root.join("failed"));
        match std::fs::create_dir(&root) {
            Ok(()) => {
                let parent = std::os::unix::process::parent_id();
                let started =
                    std::panic::catch_unwind(|| PgCluster::init(&bin, root.clone(), run_as, parent));
                match started {
                    Ok(cluster) => {
                        std::fs::write(&ready, b"").expect("mark the shared test cluster ready");
                        cluster
                    }
                    Err(e) => {
                        let msg = e
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_else(|| "unknown failure".into());
                        let _ = std::fs::write(&failed, &msg);
                        panic!("{msg}");
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
                loop {
                    if ready.exists() {
                        return PgCluster { root, run_as };
                    }
                    if let Ok(msg) = std::fs::read_to_string(&failed) {
                        panic!("the shared PostgreSQL test cluster did not start: {msg}");
                    }
                    assert!(
                        std::time::Instant::now() < deadline,
                        "the shared PostgreSQL test cluster in {} was not ready within 180 s",
                        root.display()
                    );
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
            }
            Err(e) => panic!("cannot create {}: {e}", root.display()),
        }
    }

    /// initdb + start in `root`; a watchdog stops it and removes `root` once process `watch` is gone.
    fn init(bin: &Path, root: PathBuf, run_as: Option<String>, watch: u32) -> PgCluster {
        let data = root.join("data");
        if let Some(user) = &run_as {
            let ok = Command::new("chown")
                .args([&format!("{user}:"), root.to_str().unwrap()])
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            assert!(
                ok,
                "cannot hand {} to the `{user}` OS user (PostgreSQL refuses to run as root; Debian's \
                 `postgresql` package creates that user)",
                root.display()
            );
        }
        let cluster = PgCluster { root, run_as };
        // The watchdog first, so nothing is left behind even if the start below fails half-way.
        cluster.spawn_watchdog(bin, watch);
        let out = cluster
            .command(&bin.join("initdb"))
            .args(["-D", data.to_str().unwrap(), "-U", "postgres", "--auth=trust"])
            .args(["--encoding=UTF8", "--locale=C", "--no-sync"])
            .output()
            .expect("run initdb");
        assert!(
            out.status.success(),
            "initdb failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let opts = format!(
            "-c listen_addresses='' -k {} -p {PORT} -c fsync=off -c full_page_writes=off \
             -c synchronous_commit=on -c max_connections=300 -c shared_buffers=32MB",
            cluster.root.display()
        );
        let log = cluster.root.join("server.log");
        let out = cluster
            .command(&bin.join("pg_ctl"))
            .args([
                "-D",
                data.to_str().unwrap(),
                "-o",
                &opts,
                "-l",
                log.to_str().unwrap(),
            ])
            .args(["-w", "-t", "60", "start"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .expect("run pg_ctl start");
        assert!(
            out.status.success(),
            "the PostgreSQL test server did not start: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        cluster
    }

    /// `cmd` as the server's OS user.
    fn command(&self, program: &Path) -> Command {
        match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(program);
                c
            }
            None => Command::new(program),
        }
    }

    /// A detached shell that waits for process `watch` to end, then stops the server and removes its files.
    #[allow(clippy::zombie_processes)] // never waited for on purpose: it outlives this process
    fn spawn_watchdog(&self, bin: &Path, watch: u32) {
        let pg_ctl = bin.join("pg_ctl");
        let stop = match &self.run_as {
            Some(user) => format!("runuser -u {user} -- {}", sh_quote(pg_ctl.to_str().unwrap())),
            None => sh_quote(pg_ctl.to_str().unwrap()),
        };
        let root = self.root.to_str().unwrap();
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; \
             if [ -f {data}/postmaster.pid ]; then {stop} -D {data} -m immediate -w -t 30 stop; fi; \
             rm -rf {root}",
            pid = watch,
            data = sh_quote(&format!("{root}/data")),
            root = sh_quote(root),
        );
        Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the PostgreSQL test cluster's watchdog");
    }

    /// The connection string of database `db` on this cluster.
    pub fn url(&self, db: &str) -> String {
        format!(
            "host={} port={PORT} user=postgres dbname={db}",
            self.root.display()
        )
    }

    /// Creates a fresh database and returns its connection string. Safe to call from async code (it does its
    /// blocking work on a plain thread).
    pub fn new_database(&self) -> String {
        // Unique across the processes sharing a cluster.
        let name = format!(
            "citydeck_p{}_{}",
            std::process::id(),
            NEXT_DB.fetch_add(1, Ordering::Relaxed)
        );
        let admin = self.url("postgres");
        let create = format!("CREATE DATABASE {name}");
        std::thread::spawn(move || {
            let mut c = postgres::Client::connect(&admin, postgres::NoTls)
                .unwrap_or_else(|e| panic!("connect to the PostgreSQL test cluster: {e}"));
            c.batch_execute(&create)
                .unwrap_or_else(|e| panic!("{create}: {e}"));
        })
        .join()
        .expect("create a test database");
        self.url(&name)
    }
}
