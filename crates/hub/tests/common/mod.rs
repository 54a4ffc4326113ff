//! Shared helpers of the hub's HTTP tests: a hub on a real socket (port 0) and a small JSON client.
#![allow(dead_code)]

use citydeck_hub::{start_with, Backend, HubConfig, RunningHub};
use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// The storage a test hub runs on. Every behaviour test runs on both (see [`backends!`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum B {
    Sqlite,
    Postgres,
}

pub struct T {
    pub hub: RunningHub,
    pub _dir: tempfile::TempDir,
    pub http: reqwest::Client,
    /// Where this hub keeps its log (a restart on the same backend reopens it).
    pub backend: Backend,
}

pub async fn hub(b: B) -> T {
    hub_with(b, None).await
}

pub async fn hub_with(b: B, confirm_window: Option<chrono::Duration>) -> T {
    hub_config(b, |c| c.confirm_window = confirm_window).await
}

/// The config of a demo hub on `dir/hub.sqlite`, on a free loopback port.
pub fn config(dir: &std::path::Path) -> HubConfig {
    HubConfig {
        db_path: dir.join("hub.sqlite"),
        listen: "127.0.0.1:0".parse().unwrap(),
        demo: true,
        confirm_window: None,
        exercise: false,
        screens: Vec::new(),
        areas: None,
        scenarios: None,
        deadlines: None,
        city: None,
    }
}

/// Runs the `citydeck-hub` binary on a fresh database in `dir` with `flag value` and expects it to refuse to
/// start: exit code 1, no panic. Its stderr.
pub fn hub_refuses(dir: &std::path::Path, flag: &str, value: &std::path::Path) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_citydeck-hub"))
        .arg("--db")
        .arg(dir.join("hub.sqlite"))
        .args(["--listen", "127.0.0.1:0", flag])
        .arg(value)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

/// The repository's scenario packs (`data/scenarios`).
pub fn scenarios() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/scenarios")
}

/// Liechtenstein's areas as `citydeck-city` writes them (`tests/data/README.md`).
pub fn liechtenstein() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/liechtenstein-areas.geojson")
}

/// A demo hub on a fresh store of kind `b` with Liechtenstein's areas.
pub async fn hub_with_areas(b: B) -> T {
    hub_config(b, |c| c.areas = Some(liechtenstein())).await
}

/// A fresh store of kind `b`: `dir/hub.sqlite`, or a new database on the test process's PostgreSQL cluster.
pub fn backend(b: B, dir: &std::path::Path) -> Backend {
    match b {
        B::Sqlite => Backend::Sqlite(dir.join("hub.sqlite")),
        B::Postgres => Backend::Postgres(citydeck_hub::test_support::new_database()),
    }
}

/// A demo hub on a fresh store of kind `b`, with `tweak` applied to its config.
pub async fn hub_config(b: B, tweak: impl FnOnce(&mut HubConfig)) -> T {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    tweak(&mut config);
    let backend = backend(b, dir.path());
    let hub = start_with(config, backend.clone()).await.unwrap();
    T {
        hub,
        _dir: dir,
        http: reqwest::Client::new(),
        backend,
    }
}

/// Opens `backend` for the real hub or a drill, as a second process would (off the async threads).
pub async fn open_store(backend: &Backend, exercise: bool) -> Result<(), String> {
    let backend = backend.clone();
    tokio::task::spawn_blocking(move || {
        match &backend {
            Backend::Sqlite(path) => citydeck_hub::Db::open_realm(path, exercise),
            Backend::Postgres(url) => citydeck_hub::Db::open_postgres(url, exercise),
        }
        .map(drop)
        .map_err(|e| e.to_string())
    })
    .await
    .unwrap()
}

/// Runs each listed `async fn name(b: B)` as two tests, `sqlite::name` and `postgres::name`, each with its
/// `#[tokio::test…]` attribute: `backends! { #[tokio::test] name; … }`.
#[macro_export]
macro_rules! backends {
    ($( #[$attr:meta] $name:ident; )*) => {
        mod sqlite {
            $( #[$attr] async fn $name() { super::$name($crate::common::B::Sqlite).await } )*
        }
        mod postgres {
            $( #[$attr] async fn $name() { super::$name($crate::common::B::Postgres).await } )*
        }
    };
}

/// Signs in as the demo account `user` at the hub `base`: the login answer.
pub async fn login(base: &str, user: &str) -> Value {
    let r = reqwest::Client::new()
        .post(format!("{base}/api/v1/login"))
        .json(&json!({"username": user, "password": "citydeck-demo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "login {user}");
    r.json().await.unwrap()
}

impl T {
    pub fn url(&self, p: &str) -> String {
        format!("{}{p}", self.hub.url())
    }
    pub async fn token(&self, user: &str) -> String {
        login(&self.hub.url(), user).await["token"]
            .as_str()
            .unwrap()
            .to_string()
    }
    /// GET without a token (health, the OpenAPI document): the JSON answer.
    pub async fn get_open(&self, p: &str) -> Value {
        self.http
            .get(self.url(p))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
    pub async fn post(&self, token: &str, p: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(self.url(p))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }
    pub async fn get(&self, token: &str, p: &str) -> (u16, Value) {
        let r = self
            .http
            .get(self.url(p))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }
}

pub type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens `/api/v1/stream?after=<after>` with a bearer token.
pub async fn open_stream(t: &T, token: &str, after: u64) -> Ws {
    let url = format!("ws://{}/api/v1/stream?after={after}", t.hub.addr);
    let mut req = url.into_client_request().unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    tokio_tungstenite::connect_async(req).await.unwrap().0
}

/// The next event on the stream (fails the test after 10 s of silence).
pub async fn next_event(ws: &mut Ws) -> Value {
    loop {
        let msg = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
            .await
            .expect("no event within 10 s")
            .expect("stream ended")
            .expect("stream error");
        if let tokio_tungstenite::tungstenite::Message::Text(t) = msg {
            return serde_json::from_str(&t).unwrap();
        }
    }
}
