//! Shared helpers of the hub's HTTP tests: a hub on a real socket (port 0) and a small JSON client.
#![allow(dead_code)]

use citydeck_hub::{start, HubConfig, RunningHub};
use serde_json::{json, Value};

pub struct T {
    pub hub: RunningHub,
    pub _dir: tempfile::TempDir,
    pub http: reqwest::Client,
}

pub async fn hub() -> T {
    hub_with(None).await
}

pub async fn hub_with(confirm_window: Option<chrono::Duration>) -> T {
    let dir = tempfile::tempdir().unwrap();
    let hub = start(HubConfig {
        db_path: dir.path().join("hub.sqlite"),
        listen: "127.0.0.1:0".parse().unwrap(),
        demo: true,
        confirm_window,
    })
    .await
    .unwrap();
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
