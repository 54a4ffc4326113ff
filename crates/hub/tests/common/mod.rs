//! Shared helpers of the hub's HTTP tests: a hub on a real socket (port 0) and a small JSON client.
#![allow(dead_code)]

use citydeck_hub::{start, HubConfig, RunningHub};
use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

pub struct T {
    pub hub: RunningHub,
    pub _dir: tempfile::TempDir,
    pub http: reqwest::Client,
}

pub async fn hub() -> T {
    hub_with(None).await
}

pub async fn hub_with(confirm_window: Option<chrono::Duration>) -> T {
    hub_config(|c| c.confirm_window = confirm_window).await
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
    }
}

/// A demo hub on a fresh database in a temp dir, with `tweak` applied to its config.
pub async fn hub_config(tweak: impl FnOnce(&mut HubConfig)) -> T {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    tweak(&mut config);
    let hub = start(config).await.unwrap();
    T {
        hub,
        _dir: dir,
        http: reqwest::Client::new(),
    }
}

impl T {
    pub fn url(&self, p: &str) -> String {
        format!("{}{p}", self.hub.url())
    }
    pub async fn token(&self, user: &str) -> String {
        let r = self
            .http
            .post(self.url("/api/v1/login"))
            .json(&json!({"username": user, "password": "citydeck-demo"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "login {user}");
        r.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_string()
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
