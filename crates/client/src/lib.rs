//! Typed client for the hub's `/api/v1` ([`HubClient`]): logs in with [`Credentials`], keeps the bearer token
//! and logs in again once when the hub refuses it. No cache, no engine: the sync engine, the simulator and the
//! tests build on it.

use std::sync::Arc;

use citydeck_protocol::{
    ApiError, AreaDetail, AreaList, EventsPage, Grade, Health, Incident, LoginRequest, LoginResponse,
    ModeKind, ModeState, NewIncident, PendingConfirmation, ServerSeq,
};
use tokio::sync::RwLock;

#[derive(Clone, Debug)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Could not reach the hub at all (refused, reset, timed out).
    #[error("hub unreachable: {0}")]
    Unreachable(String),
    /// The hub answered with an error.
    #[error("hub said {status}: {} ({})", .body.message, .body.error)]
    Api { status: u16, body: Box<ApiError> },
    #[error("unexpected answer from hub: {0}")]
    Protocol(String),
    #[error("bad hub URL {0:?}")]
    BadUrl(String),
}

impl ClientError {
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, ClientError::Api { status: 401, .. })
    }
}

impl From<reqwest::Error> for ClientError {
    fn from(e: reqwest::Error) -> Self {
        if e.is_decode() {
            ClientError::Protocol(e.to_string())
        } else {
            ClientError::Unreachable(e.to_string())
        }
    }
}

/// What `POST /api/v1/mode` did.
#[derive(Debug, Clone, PartialEq)]
pub enum ModeSwitch {
    Applied(Box<ModeState>),
    /// Level I: waits for a second commander's confirmation.
    Pending(PendingConfirmation),
}

#[derive(Clone)]
pub struct HubClient {
    base: String,
    http: reqwest::Client,
    creds: Credentials,
    token: Arc<RwLock<Option<String>>>,
    role: Arc<RwLock<Option<citydeck_protocol::Role>>>,
    /// The scope the hub gave this account at the last login: `None` before any login, `Some(None)` unscoped.
    scope: Arc<RwLock<Option<Option<String>>>>,
}

impl HubClient {
    /// `base` is the hub's root URL, e.g. `http://127.0.0.1:8640`.
    pub fn new(base: &str, creds: Credentials) -> Result<HubClient, ClientError> {
        let base = base.trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(ClientError::BadUrl(base));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(5))
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|e| ClientError::Protocol(e.to_string()))?;
        Ok(HubClient {
            base,
            http,
            creds,
            token: Arc::new(RwLock::new(None)),
            role: Arc::new(RwLock::new(None)),
            scope: Arc::new(RwLock::new(None)),
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn username(&self) -> &str {
        &self.creds.username
    }

    async fn check<T: serde::de::DeserializeOwned>(resp: reqwest::Response) -> Result<T, ClientError> {
        let status = resp.status();
        if status.is_success() {
            return Ok(resp.json::<T>().await?);
        }
        let text = resp.text().await.unwrap_or_default();
        let body = serde_json::from_str::<ApiError>(&text).unwrap_or(ApiError {
            error: "http".into(),
            message: text.chars().take(200).collect(),
            field: None,
            code: None,
            args: None,
        });
        Err(ClientError::Api {
            status: status.as_u16(),
            body: Box::new(body),
        })
    }

    pub async fn health(&self) -> Result<Health, ClientError> {
        Self::check(
            self.http
                .get(format!("{}/api/v1/health", self.base))
                .send()
                .await?,
        )
        .await
    }

    pub async fn login(&self) -> Result<LoginResponse, ClientError> {
        let req = LoginRequest {
            username: self.creds.username.clone(),
            password: self.creds.password.clone(),
        };
        let resp: LoginResponse = Self::check(
            self.http
                .post(format!("{}/api/v1/login", self.base))
                .json(&req)
                .send()
                .await?,
        )
        .await?;
        *self.token.write().await = Some(resp.token.clone());
        *self.role.write().await = Some(resp.role);
        *self.scope.write().await = Some(resp.scope.clone());
        Ok(resp)
    }

    /// The current token, logging in first if there is none.
    pub async fn token(&self) -> Result<String, ClientError> {
        if let Some(t) = self.token.read().await.clone() {
            return Ok(t);
        }
        Ok(self.login().await?.token)
    }

    /// Forget the token (after a 401) so the next call logs in again.
    pub async fn forget_token(&self) {
        *self.token.write().await = None;
    }

    async fn authed<T: serde::de::DeserializeOwned>(
        &self,
        build: impl Fn(&reqwest::Client, &str) -> reqwest::RequestBuilder,
    ) -> Result<T, ClientError> {
        let token = self.token().await?;
        match Self::check(build(&self.http, &token).send().await?).await {
            Err(e) if e.is_unauthorized() => {
                // Token expired or the hub lost its sessions: log in once more and retry once.
                self.forget_token().await;
                let token = self.token().await?;
                Self::check(build(&self.http, &token).send().await?).await
            }
            other => other,
        }
    }

    pub async fn events(&self, after: ServerSeq, limit: u32) -> Result<EventsPage, ClientError> {
        let url = format!("{}/api/v1/events?after={after}&limit={limit}", self.base);
        self.authed(|h, t| h.get(&url).bearer_auth(t)).await
    }

    pub async fn create_incident(&self, new: &NewIncident) -> Result<Incident, ClientError> {
        let url = format!("{}/api/v1/incidents", self.base);
        self.authed(|h, t| h.post(&url).bearer_auth(t).json(new)).await
    }

    /// Posts a GeoJSON FeatureCollection to one of the feeds the hub's city declares
    /// (`POST /api/v1/ingest/geojson?feed=`: operators, admins and feeds); a feature sent again is a duplicate.
    pub async fn ingest_geojson(
        &self,
        feed: &str,
        collection: &serde_json::Value,
    ) -> Result<citydeck_protocol::ingest::FeedIngestResult, ClientError> {
        let url = reqwest::Url::parse_with_params(
            &format!("{}/api/v1/ingest/geojson", self.base),
            [("feed", feed)],
        )
        .map_err(|e| ClientError::BadUrl(e.to_string()))?;
        self.authed(|h, t| h.post(url.clone()).bearer_auth(t).json(collection))
            .await
    }

    /// Posts an OASIS CAP 1.2 alert (`POST /api/v1/ingest/cap`, as `application/cap+xml`): what the hub did
    /// with it and its incidents.
    pub async fn ingest_cap(
        &self,
        xml: &[u8],
    ) -> Result<citydeck_protocol::ingest::CapIngestResult, ClientError> {
        let url = format!("{}/api/v1/ingest/cap", self.base);
        let body = xml.to_vec();
        self.authed(|h, t| {
            h.post(&url)
                .bearer_auth(t)
                .header(reqwest::header::CONTENT_TYPE, "application/cap+xml")
                .body(body.clone())
        })
        .await
    }

    /// Posts vital-sign readings (`POST /api/v1/readings`: operators, admins and feeds); the same
    /// `(indicator, at)` again is counted a duplicate, so a batch may always be sent again.
    pub async fn post_readings(
        &self,
        readings: &[citydeck_protocol::indicators::Reading],
    ) -> Result<citydeck_protocol::indicators::ReadingsResult, ClientError> {
        let url = format!("{}/api/v1/readings", self.base);
        let body = citydeck_protocol::indicators::PostReadings {
            readings: readings.to_vec(),
        };
        self.authed(|h, t| h.post(&url).bearer_auth(t).json(&body)).await
    }

    /// The vital signs' catalogue with each indicator's latest reading (`GET /api/v1/indicators`).
    pub async fn indicators(&self) -> Result<citydeck_protocol::indicators::IndicatorList, ClientError> {
        let url = format!("{}/api/v1/indicators", self.base);
        self.authed(|h, t| h.get(&url).bearer_auth(t)).await
    }

    /// One indicator's readings over `[from, to)` in steps of about `step_secs` seconds (the answer's `step` is
    /// the one the hub used: an hour or more is rounded to whole hours), one point per step holding readings
    /// (`GET /api/v1/indicators/{id}/series`).
    pub async fn series(
        &self,
        id: &str,
        from: chrono::DateTime<chrono::Utc>,
        to: chrono::DateTime<chrono::Utc>,
        step_secs: u64,
    ) -> Result<citydeck_protocol::indicators::IndicatorSeries, ClientError> {
        // indicator ids are lowercase letters, digits and `_` (domain::scenario); anything else names no
        // indicator, and the hub answers 404 for it
        let id: String = id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let url = format!("{}/api/v1/indicators/{id}/series", self.base);
        let query = [
            ("from", from.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
            ("to", to.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
            ("step", step_secs.to_string()),
        ];
        self.authed(|h, t| h.get(&url).query(&query).bearer_auth(t)).await
    }

    /// 考核 over `[from, to)`: each department's scores (`GET /api/v1/evaluation`).
    pub async fn evaluation(
        &self,
        from: chrono::DateTime<chrono::Utc>,
        to: chrono::DateTime<chrono::Utc>,
    ) -> Result<citydeck_protocol::closed_loop::Evaluation, ClientError> {
        let url = format!("{}/api/v1/evaluation", self.base);
        let query = [
            ("from", from.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
            ("to", to.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
        ];
        self.authed(|h, t| h.get(&url).query(&query).bearer_auth(t)).await
    }

    /// The city's departments (`GET /api/v1/departments`), parents before children: who 交办 routes an
    /// incident to and the tree 督办 climbs. A hub whose city declares none answers an empty list.
    pub async fn departments(&self) -> Result<citydeck_protocol::closed_loop::DepartmentList, ClientError> {
        let url = format!("{}/api/v1/departments", self.base);
        self.authed(|h, t| h.get(&url).bearer_auth(t)).await
    }

    pub async fn incidents(&self, limit: u32) -> Result<Vec<Incident>, ClientError> {
        let url = format!("{}/api/v1/incidents?limit={limit}", self.base);
        self.authed(|h, t| h.get(&url).bearer_auth(t)).await
    }

    /// The city's current mode (平战转换) with the screens' acknowledgements.
    pub async fn mode(&self) -> Result<ModeState, ClientError> {
        let url = format!("{}/api/v1/mode", self.base);
        self.authed(|h, t| h.get(&url).bearer_auth(t)).await
    }

    /// Asks the hub to switch the city's mode (commanders only). Level I comes back pending a second commander.
    pub async fn switch_mode(
        &self,
        mode: ModeKind,
        level: Option<Grade>,
        reason: &str,
        incident_ids: &[uuid::Uuid],
    ) -> Result<ModeSwitch, ClientError> {
        let url = format!("{}/api/v1/mode", self.base);
        let body = serde_json::json!({
            "mode": mode, "level": level, "reason": reason, "incident_ids": incident_ids,
        });
        let v: serde_json::Value = self
            .authed(|h, t| h.post(&url).bearer_auth(t).json(&body))
            .await?;
        let decode = |e: serde_json::Error| ClientError::Protocol(e.to_string());
        if v["status"] == "pending_confirmation" {
            Ok(ModeSwitch::Pending(serde_json::from_value(v).map_err(decode)?))
        } else {
            Ok(ModeSwitch::Applied(Box::new(
                serde_json::from_value(v).map_err(decode)?,
            )))
        }
    }

    /// Pushes outbox actions; the hub applies each `(client_id, op_id)` once and answers after commit.
    pub async fn push(
        &self,
        client_id: uuid::Uuid,
        ops: &[citydeck_protocol::PushOp],
    ) -> Result<citydeck_protocol::PushResponse, ClientError> {
        let url = format!("{}/api/v1/push", self.base);
        let body = serde_json::json!({ "client_id": client_id, "ops": ops });
        self.authed(|h, t| h.post(&url).bearer_auth(t).json(&body)).await
    }

    /// Confirms a pending level-I switch (a commander other than the proposer).
    pub async fn confirm_mode(&self, proposal_id: uuid::Uuid) -> Result<ModeState, ClientError> {
        let url = format!("{}/api/v1/mode/confirm", self.base);
        let body = serde_json::json!({ "proposal_id": proposal_id });
        self.authed(|h, t| h.post(&url).bearer_auth(t).json(&body)).await
    }

    /// Level-I switches waiting for a second commander.
    pub async fn proposals(&self) -> Result<Vec<citydeck_protocol::ModeProposal>, ClientError> {
        let url = format!("{}/api/v1/mode/proposals", self.base);
        self.authed(|h, t| h.get(&url).bearer_auth(t)).await
    }

    /// The role the hub gave this account at the last login (None before the first login).
    pub async fn role(&self) -> Option<citydeck_protocol::Role> {
        *self.role.read().await
    }

    /// The scope the hub gave this account at the last login: `None` before the first login, `Some(None)`
    /// for an account that sees the whole city, `Some(Some(id))` for one scoped to area `id`.
    pub async fn scope(&self) -> Option<Option<String>> {
        self.scope.read().await.clone()
    }

    /// The city's areas (`GET /api/v1/areas`): the city, its districts, their streets, without outlines.
    pub async fn areas(&self) -> Result<AreaList, ClientError> {
        let url = format!("{}/api/v1/areas", self.base);
        self.authed(|h, t| h.get(&url).bearer_auth(t)).await
    }

    /// One area with its outline (`GET /api/v1/areas/{id}`); an unknown id is the hub's 404.
    pub async fn area(&self, id: &str) -> Result<AreaDetail, ClientError> {
        let mut url = reqwest::Url::parse(&format!("{}/api/v1/areas/", self.base))
            .map_err(|_| ClientError::BadUrl(self.base.clone()))?;
        url.path_segments_mut()
            .map_err(|_| ClientError::BadUrl(self.base.clone()))?
            .pop_if_empty()
            .push(id);
        self.authed(|h, t| h.get(url.clone()).bearer_auth(t)).await
    }

    /// Tells the hub that screen `screen` now shows mode epoch `epoch`.
    pub async fn ack_screen(
        &self,
        screen: &str,
        epoch: u64,
    ) -> Result<citydeck_protocol::ScreenAck, ClientError> {
        let url = format!("{}/api/v1/screens/{screen}/ack", self.base);
        let body = serde_json::json!({ "epoch": epoch });
        self.authed(|h, t| h.post(&url).bearer_auth(t).json(&body)).await
    }

    /// WebSocket URL of the live stream after `after`.
    pub fn stream_url(&self, after: ServerSeq) -> String {
        let ws = if let Some(rest) = self.base.strip_prefix("https://") {
            format!("wss://{rest}")
        } else {
            format!("ws://{}", self.base.trim_start_matches("http://"))
        };
        format!("{ws}/api/v1/stream?after={after}")
    }
}
