//! HTTP handlers of `/api/v1`. Each one is a thin translation between HTTP and [`crate::db::Db`] plus the
//! domain rules; all of them are reachable through [`crate::router`] without a socket.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use citydeck_domain::{parse_new_incident, Action, FieldError};
use citydeck_protocol::{
    ApiError, AreaDetail, AreaList, AreaSummary, Event, EventsPage, Health, Incident, LoginRequest,
    LoginResponse, NewIncident, ServerSeq, MAX_CREDENTIAL_CHARS, MAX_JSON_INT,
};
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};

use crate::auth::{self, Caller};
use crate::db::Created;
use crate::error::AppError;
use crate::AppState;

pub const MAX_PAGE: u32 = 5000;
pub const DEFAULT_PAGE: u32 = 500;

#[derive(OpenApi)]
#[openapi(
    info(title = "citydeck hub", description = "The authoritative event log of a citydeck command hall."),
    paths(health, login, create_incident, list_incidents, get_incident, events, list_areas, get_area,
          list_indicators, post_readings, indicator_series, list_departments, evaluation, ingest_cap, ingest_geojson,
          crate::stream::stream,
          crate::mode::get_mode, crate::mode::post_mode, crate::mode::confirm_mode, crate::mode::ack_screen,
          crate::mode::mode_audit, crate::mode::proposals, crate::mode::register_screen,
          crate::push::push),
    components(schemas(
        Health, LoginRequest, LoginResponse, NewIncident, Incident, Event, EventsPage, ApiError,
        AreaList, AreaSummary, AreaDetail, citydeck_protocol::AreaLevel,
        citydeck_protocol::indicators::IndicatorList, citydeck_protocol::indicators::IndicatorView,
        citydeck_protocol::indicators::LocalizedName, citydeck_protocol::indicators::IndicatorDirection,
        citydeck_protocol::indicators::IndicatorThresholds, citydeck_protocol::indicators::LatestReading,
        citydeck_protocol::indicators::IndicatorLevel, citydeck_protocol::indicators::PostReadings,
        citydeck_protocol::indicators::Reading, citydeck_protocol::indicators::ReadingsResult,
        citydeck_protocol::indicators::IndicatorSeries, citydeck_protocol::indicators::SeriesPoint,
        citydeck_protocol::ModeState, citydeck_protocol::ScreenAck, citydeck_protocol::PendingConfirmation,
        citydeck_protocol::ModeProposal, citydeck_protocol::PushRequest, citydeck_protocol::PushResponse,
        citydeck_protocol::Op, citydeck_protocol::ModeSwitchRequest, citydeck_protocol::ModeConfirmRequest,
        citydeck_protocol::ScreenAckRequest, citydeck_protocol::ScreenRegistration,
        citydeck_protocol::ModeAuditEntry, citydeck_protocol::Escalation,
        citydeck_protocol::closed_loop::DepartmentList, citydeck_protocol::closed_loop::DepartmentView,
        citydeck_protocol::closed_loop::Evaluation, citydeck_protocol::closed_loop::DepartmentScore,
        citydeck_protocol::ingest::CapIngestResult, citydeck_protocol::ingest::CapIngestStatus,
        citydeck_protocol::ingest::CapAlertKey, citydeck_protocol::ingest::AlertRecord,
        citydeck_protocol::ingest::AlertText, citydeck_protocol::ingest::AlertCode,
        citydeck_protocol::ingest::AlertFollowUp, citydeck_protocol::ingest::FeedIngestResult
    )),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The OpenAPI 3.0.3 document ([`crate::openapi`]).
pub async fn openapi(State(state): State<AppState>) -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        state.document.as_str().to_owned(),
    )
        .into_response()
}

/// Liveness and the log head.
#[utoipa::path(get, path = "/api/v1/health", responses((status = 200, body = Health)))]
/// Besides [`Health`]: `replica`, this process's id among the replicas serving one PostgreSQL database.
pub async fn health(State(state): State<AppState>) -> Result<Json<serde_json::Value>, AppError> {
    let db = state.db.clone();
    let head = tokio::task::spawn_blocking(move || db.head()).await??;
    let health = Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        head,
        backend: state.db.backend().into(),
        log_id: state.db.log_id().to_string(),
        exercise: state.db.is_exercise(),
    };
    let mut body = serde_json::to_value(health).map_err(|e| AppError::Internal(e.to_string()))?;
    body["replica"] = state.db.replica().into();
    Ok(Json(body))
}

/// Exchange a username and password for a bearer token.
#[utoipa::path(post, path = "/api/v1/login", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ApiError)))]
pub async fn login(
    State(state): State<AppState>,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<Json<LoginResponse>, AppError> {
    let Json(raw) = body?;
    let req = parse_login(&raw)?;
    let db = state.db.clone();
    let resp = tokio::task::spawn_blocking(move || -> Result<LoginResponse, AppError> {
        let user = db.user(&req.username)?;
        // Verify against a dummy hash for unknown users too, so timing does not reveal which names exist.
        let (ok, user) = match user {
            Some(u) => (auth::verify_password(&req.password, &u.pw_hash), Some(u)),
            None => {
                let _ = auth::verify_password(&req.password, &DUMMY_HASH);
                (false, None)
            }
        };
        let user = match (ok, user) {
            (true, Some(u)) => u,
            _ => return Err(AppError::BadCredentials),
        };
        let token = auth::new_token();
        let expires_at = auth::token_expiry(Utc::now());
        db.put_session(&auth::token_hash(&token), &user.username, user.role, expires_at)?;
        Ok(LoginResponse {
            token,
            username: user.username,
            role: user.role,
            expires_at,
            scope: user.scope,
        })
    })
    .await??;
    tracing::info!(user = %resp.username, "login");
    Ok(Json(resp))
}

fn parse_login(raw: &serde_json::Value) -> Result<LoginRequest, FieldError> {
    let obj = raw
        .as_object()
        .ok_or_else(|| FieldError::new("body", "must be a JSON object {username, password}"))?;
    let field = |name: &str| -> Result<String, FieldError> {
        match obj.get(name) {
            Some(serde_json::Value::String(s)) => {
                // Not trimmed: a password may start or end with a space.
                citydeck_domain::incident::check_text(name, s, MAX_CREDENTIAL_CHARS)?;
                Ok(s.clone())
            }
            None | Some(serde_json::Value::Null) => Err(FieldError::new(name, "is required")),
            Some(_) => Err(FieldError::new(name, "must be a string")),
        }
    };
    Ok(LoginRequest {
        username: field("username")?,
        password: field("password")?,
    })
}

/// A real argon2 hash (of a random secret) to verify against for unknown users, so a login for a name that
/// does not exist costs the same as one with a wrong password.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| auth::hash_password(&auth::new_token()));

/// Report an incident; it lies in the areas holding its location (`area_ids`). A known `(source, external_id)`
/// returns the existing incident with 200. An account scoped to an area reports only inside it (else 403
/// `out_of_scope`).
#[utoipa::path(post, path = "/api/v1/incidents", request_body = NewIncident, security(("bearer" = [])),
    responses((status = 201, body = Incident), (status = 200, body = Incident, description = "already known"),
              (status = 400, body = ApiError), (status = 401, body = ApiError),
              (status = 403, body = ApiError, description = "the role may not report (`forbidden`), or the place \
                  lies outside the account's area (`out_of_scope`)"),
              (status = 422, body = ApiError)))]
pub async fn create_incident(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<Response, AppError> {
    caller.require(Action::CreateIncident, "create incidents")?;
    let Json(raw) = body?;
    let new = parse_new_incident(&raw)?;
    let db = state.db.clone();
    let tx = state.events.clone();
    let created = tokio::task::spawn_blocking(move || {
        db.create_incident(&caller.username, caller.scope.as_deref(), new, |ev, json| {
            // No receivers is fine (nobody connected).
            let _ = tx.send(crate::Published::new(ev, json));
        })
    })
    .await??
    .map_err(AppError::refused)?;
    Ok(match created {
        Created::New(ev) => match ev.body {
            citydeck_protocol::EventBody::IncidentCreated { incident } => {
                (StatusCode::CREATED, Json(incident)).into_response()
            }
            _ => return Err(AppError::Internal("create returned a foreign event".into())),
        },
        Created::Existing(inc) => (StatusCode::OK, Json(*inc)).into_response(),
        // a report of an open incident's event from another source joined it: 200 with that incident
        Created::Joined(ev) => match ev.body.incident() {
            Some(incident) => (StatusCode::OK, Json(incident.clone())).into_response(),
            None => return Err(AppError::Internal("a merge returned a foreign event".into())),
        },
    })
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// At most this many (1 ..= 5000, default 500), newest change first.
    pub limit: Option<u32>,
}

/// `limit` as the document says: 1 ..= [`MAX_PAGE`], default [`DEFAULT_PAGE`]; anything else is a 400.
pub fn page_limit(limit: Option<u32>) -> Result<u32, AppError> {
    match limit {
        None => Ok(DEFAULT_PAGE),
        Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        Some(n) => Err(AppError::BadRequest(format!(
            "limit {n} is out of range: 1 ..= {MAX_PAGE}"
        ))),
    }
}

/// `after` as the document says: 0 ..= 2^53 − 1 ([`MAX_JSON_INT`]), default 0; anything else is a 400.
pub fn after_seq(after: Option<ServerSeq>) -> Result<ServerSeq, AppError> {
    match after {
        None => Ok(0),
        Some(n) if n <= MAX_JSON_INT => Ok(n),
        Some(n) => Err(AppError::BadRequest(format!(
            "after {n} is out of range: 0 ..= {MAX_JSON_INT}"
        ))),
    }
}

/// Current state of incidents, most recently changed first (for an account scoped to an area, those in it).
#[utoipa::path(get, path = "/api/v1/incidents", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, body = [Incident]), (status = 401, body = ApiError)))]
pub async fn list_incidents(
    State(state): State<AppState>,
    caller: Caller,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Vec<Incident>>, AppError> {
    caller.require(Action::Read, "read")?;
    let Query(q) = q?;
    let limit = page_limit(q.limit)?;
    let db = state.db.clone();
    Ok(Json(
        tokio::task::spawn_blocking(move || db.incidents(limit, caller.scope.as_deref())).await??,
    ))
}

/// One incident; 404 also for one outside the area of an account scoped to an area.
#[utoipa::path(get, path = "/api/v1/incidents/{id}", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "incident id")),
    responses((status = 200, body = Incident), (status = 404, body = ApiError)))]
pub async fn get_incident(
    State(state): State<AppState>,
    caller: Caller,
    id: Result<Path<uuid::Uuid>, PathRejection>,
) -> Result<Json<Incident>, AppError> {
    caller.require(Action::Read, "read")?;
    let Path(id) = id?;
    let db = state.db.clone();
    tokio::task::spawn_blocking(move || db.incident(id))
        .await??
        .filter(|i| citydeck_domain::scope::covers(caller.scope.as_deref(), &i.area_ids))
        .map(Json)
        .ok_or(AppError::NotFound)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Return events with `server_seq` greater than this (0 ..= 2^53 − 1, default 0: from the start).
    pub after: Option<ServerSeq>,
    /// At most this many (1 ..= 5000, default 500).
    pub limit: Option<u32>,
}

/// Resumable pull of the log. An account scoped to an area gets the events about incidents in it and those
/// about no incident (mode, screens): its pages skip the other `server_seq`s.
#[utoipa::path(get, path = "/api/v1/events", params(EventsQuery), security(("bearer" = [])),
    responses((status = 200, body = EventsPage), (status = 400, body = ApiError), (status = 401, body = ApiError)))]
pub async fn events(
    State(state): State<AppState>,
    caller: Caller,
    q: Result<Query<EventsQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    caller.require(Action::Read, "read")?;
    let Query(q) = q?;
    let after = after_seq(q.after)?;
    let limit = page_limit(q.limit)?;
    let db = state.db.clone();
    let (rows, head) = tokio::task::spawn_blocking(move || -> Result<_, AppError> {
        // Read the head first: rows may only grow past it, so has_more is never falsely false.
        let head = db.head()?;
        let rows = db.events_after_json(after, limit, caller.scope.as_deref())?;
        Ok((rows, head))
    })
    .await??;
    let mut last = rows.last().map(|r| r.0).unwrap_or(after);
    if rows.len() < limit as usize {
        // A short page holds every event up to the head it read (a scoped one skips the others' seqs).
        last = last.max(head);
    }
    // Stored events are already the client JSON: splice them rather than parse and re-serialize.
    let mut body = String::with_capacity(rows.iter().map(|r| r.1.len() + 1).sum::<usize>() + 64);
    body.push_str("{\"events\":[");
    for (i, (_, json)) in rows.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(json);
    }
    body.push_str(&format!(
        "],\"head\":{},\"has_more\":{}}}",
        head.max(last),
        last < head
    ));
    Ok(([(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// The city's vital signs (城市运行数字体征): every indicator of the scenario packs the hub loaded, pack by pack,
/// with its thresholds and its latest reading and that reading's level (`null` until one arrives). Every role
/// may read them (a feed too: it learns what it may post).
#[utoipa::path(get, path = "/api/v1/indicators", security(("bearer" = [])),
    responses((status = 200, body = citydeck_protocol::indicators::IndicatorList), (status = 401, body = ApiError)))]
pub async fn list_indicators(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<citydeck_protocol::indicators::IndicatorList>, AppError> {
    let db = state.db.clone();
    let latest = tokio::task::spawn_blocking(move || db.latest_readings()).await??;
    let indicators = state
        .indicators
        .iter()
        .map(|v| {
            let mut v = v.clone();
            if let (Some((at, value)), Some(rule)) = (latest.get(&v.id), state.indicator_rules.get(&v.id)) {
                v.latest = Some(citydeck_protocol::indicators::LatestReading {
                    at: *at,
                    value: *value,
                    level: rule.level(*value).wire(),
                });
            }
            v
        })
        .collect();
    Ok(Json(citydeck_protocol::indicators::IndicatorList { indicators }))
}

/// The city's departments (the city file's `[[departments]]`), parents before children: who 交办 routes an
/// incident to (the `assign` op's `department`) and the tree 督办 escalates up. Every role may read them.
#[utoipa::path(get, path = "/api/v1/departments", security(("bearer" = [])),
    responses((status = 200, body = citydeck_protocol::closed_loop::DepartmentList), (status = 401, body = ApiError)))]
pub async fn list_departments(
    State(state): State<AppState>,
    _caller: Caller,
) -> Json<citydeck_protocol::closed_loop::DepartmentList> {
    let rules = state.db.limits();
    Json(citydeck_protocol::closed_loop::DepartmentList {
        departments: citydeck_domain::departments::views(&rules.departments),
    })
}

/// Query of `GET /api/v1/evaluation`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EvaluationQuery {
    /// Start of the window (RFC 3339), inclusive; default a day before `to`.
    #[param(value_type = Option<chrono::DateTime<Utc>>)]
    pub from: Option<String>,
    /// End of the window (RFC 3339), exclusive; default now; after `from`.
    #[param(value_type = Option<chrono::DateTime<Utc>>)]
    pub to: Option<String>,
}

/// 考核: each department's handling of the cases routed to it over `[from, to)` — assigned, closed, closed on
/// time (never overdue while it held them), the on-time rate, overdue marks, cases reopened (feedback sent back
/// to handling) and the median minutes per stage — computed from the log (`domain::evaluation` says each
/// definition). The city's departments in their listed order, with zeros; every role may read. A bad time or
/// `to` not after `from` → 400 `invalid_field` naming it.
#[utoipa::path(get, path = "/api/v1/evaluation", security(("bearer" = [])), params(EvaluationQuery),
    responses((status = 200, body = citydeck_protocol::closed_loop::Evaluation),
              (status = 400, body = ApiError), (status = 401, body = ApiError)))]
pub async fn evaluation(
    State(state): State<AppState>,
    _caller: Caller,
    query: Result<Query<EvaluationQuery>, QueryRejection>,
) -> Result<Json<citydeck_protocol::closed_loop::Evaluation>, AppError> {
    let Query(q) = query?;
    let (from, to) = citydeck_domain::evaluation::window(q.from.as_deref(), q.to.as_deref(), Utc::now())
        .map_err(|(field, detail)| AppError::Refused {
            status: axum::http::StatusCode::BAD_REQUEST,
            refusal: citydeck_protocol::Refusal::InvalidField {
                field: field.into(),
                detail,
            },
        })?;
    let db = state.db.clone();
    let departments = tokio::task::spawn_blocking(move || db.evaluation(from, to)).await??;
    Ok(Json(citydeck_protocol::closed_loop::Evaluation {
        from,
        to,
        departments,
    }))
}

/// Readings of the vital signs, in batches (at most 10,000): stored whole or not at all. A reading whose
/// `(indicator, at)` is already stored is a duplicate, never stored twice. An unknown indicator, a value that is
/// not a finite number or a time that is not RFC 3339 is a 422 naming the item (`readings[3].indicator`).
/// Operators, admins and feeds.
#[utoipa::path(post, path = "/api/v1/readings", request_body = citydeck_protocol::indicators::PostReadings,
    security(("bearer" = [])),
    responses((status = 200, body = citydeck_protocol::indicators::ReadingsResult),
              (status = 400, body = ApiError), (status = 401, body = ApiError),
              (status = 403, body = ApiError, description = "the role may not post readings (`forbidden`)"),
              (status = 422, body = ApiError)))]
pub async fn post_readings(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<Json<citydeck_protocol::indicators::ReadingsResult>, AppError> {
    caller.require(Action::PostReadings, "post readings")?;
    let Json(raw) = body?;
    let rules = state.indicator_rules.clone();
    let readings = citydeck_domain::readings::parse_readings(&raw, |id| rules.contains_key(id))?;
    // Group commit: queue the batch, then take the writer; whoever gets it stores every batch queued by then
    // (ours may already be in a transaction of another request's, which answers it).
    let (reply, answer) = tokio::sync::oneshot::channel();
    state
        .readings_queue
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(crate::db::readings::ReadingsJob {
            readings,
            actor: caller.username.clone(),
            reply,
        });
    let db = state.db.clone();
    let site = state.indicator_site;
    let tx = state.events.clone();
    let queue = state.readings_queue.clone();
    tokio::task::spawn_blocking(move || {
        db.store_queued_readings(&queue, &rules, site, |ev, json| {
            // No receivers is fine (nobody connected).
            let _ = tx.send(crate::Published::new(ev, json));
        })
    })
    .await?;
    let result = answer
        .await
        .map_err(|_| AppError::Internal("the readings' group commit dropped a batch".into()))??;
    Ok(Json(result))
}

/// The media types `POST /api/v1/ingest/cap` takes.
pub const CAP_MEDIA_TYPES: [&str; 3] = ["application/cap+xml", "application/xml", "text/xml"];

/// An OASIS CAP 1.2 alert, as XML (`application/cap+xml`, `application/xml` or `text/xml`; at most 1 MiB; in the
/// encoding its XML declaration names). A new alert raises its incidents (201, `created`); the same
/// `(sender, identifier, sent)` again changes nothing (200, `duplicate`, the same incidents); an `Update` of an
/// alert taken before updates its incidents (200, `updated`), a `Cancel` closes them, recorded (200,
/// `cancelled`); an `Update` of an alert never seen is taken as new (201), a `Cancel` of one, an `Ack`, an
/// `Error` or a status other than `Actual` is `ignored` (200). A DOCTYPE, an entity declaration or an XInclude is
/// refused (400) and never fetched: the hub makes no request for an alert. Not XML → 400; not valid CAP 1.2 →
/// 422 naming the element (`info[0].certainty`). Operators, admins and feeds.
#[utoipa::path(post, path = "/api/v1/ingest/cap",
    request_body(content(
        (String = "application/cap+xml"), (String = "application/xml"), (String = "text/xml")),
        description = "the alert's XML"),
    security(("bearer" = [])),
    responses((status = 201, body = citydeck_protocol::ingest::CapIngestResult, description = "a new alert: its incidents"),
              (status = 200, body = citydeck_protocol::ingest::CapIngestResult,
               description = "a duplicate, an update, a cancellation, or an alert ignored"),
              (status = 400, body = ApiError,
               description = "not XML, or a DOCTYPE, entity declaration or XInclude (refused, never fetched)"),
              (status = 401, body = ApiError),
              (status = 403, body = ApiError, description = "the role may not ingest (`forbidden`)"),
              (status = 413, body = ApiError, description = "the alert is over 1 MiB"),
              (status = 415, body = ApiError, description = "not sent as application/cap+xml, application/xml or text/xml"),
              (status = 422, body = ApiError, description = "not a valid CAP 1.2 alert: `field` names the element")))]
pub async fn ingest_cap(
    State(state): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, AppError> {
    caller.require(Action::Ingest, "ingest alerts")?;
    let media = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if !media.as_deref().is_some_and(|m| CAP_MEDIA_TYPES.contains(&m)) {
        return Err(AppError::Rejection {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            message: format!(
                "a CAP alert is sent as {} (got {})",
                CAP_MEDIA_TYPES.join(", "),
                media.as_deref().unwrap_or("no content type")
            ),
        });
    }
    let body = body.map_err(|r| AppError::Rejection {
        status: r.status(),
        message: if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            format!("the alert is over {} bytes", citydeck_ingest::cap::MAX_BYTES)
        } else {
            r.body_text()
        },
    })?;
    if body.len() > citydeck_ingest::cap::MAX_BYTES {
        return Err(AppError::Rejection {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            message: format!("the alert is over {} bytes", citydeck_ingest::cap::MAX_BYTES),
        });
    }
    let alert = citydeck_ingest::cap::parse(&body).map_err(|e| match e {
        citydeck_ingest::CapError::Invalid { field, reason } => {
            AppError::Invalid(FieldError::new(&field, reason))
        }
        other => AppError::BadRequest(other.to_string()),
    })?;
    let key = citydeck_ingest::map::key(&alert);
    let db = state.db.clone();
    let site = state.indicator_site;
    let tx = state.events.clone();
    let actor = caller.username.clone();
    let (status, incidents) = tokio::task::spawn_blocking(move || {
        db.ingest_cap(&actor, &alert, site, |ev, json| {
            // No receivers is fine (nobody connected).
            let _ = tx.send(crate::Published::new(ev, json));
        })
    })
    .await??;
    let code = if status == citydeck_protocol::ingest::CapIngestStatus::Created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        code,
        Json(citydeck_protocol::ingest::CapIngestResult {
            status,
            alert: key,
            incidents,
        }),
    )
        .into_response())
}

/// The most features one `POST /api/v1/ingest/geojson` takes.
pub const MAX_FEATURES: usize = 10_000;

/// Query of `POST /api/v1/ingest/geojson`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// The feed, as the city file declares it (`[[feeds]]` `name`).
    pub feed: String,
}

/// A GeoJSON FeatureCollection from one of the feeds the city file declares (`[[feeds]]`: the property naming a
/// feature, the title template, the class, the grade rule, the time property). Every feature becomes an
/// incident (`source`: the feed's name, `external_id`: the feature's id), all in one write; a feature whose id
/// the feed sent before is a duplicate (its incident, nothing new). An unknown feed → 404; a bad feature → 422
/// naming it (`features[7].geometry`) and nothing of the collection is taken; at most 10,000 features.
/// Operators, admins and feeds.
#[utoipa::path(post, path = "/api/v1/ingest/geojson", params(FeedQuery),
    request_body(content = Object, description = "a GeoJSON FeatureCollection"),
    security(("bearer" = [])),
    responses((status = 200, body = citydeck_protocol::ingest::FeedIngestResult),
              (status = 403, body = ApiError, description = "the role may not ingest (`forbidden`)"),
              (status = 404, body = ApiError, description = "the city file declares no such feed")))]
pub async fn ingest_geojson(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<FeedQuery>, QueryRejection>,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<Json<citydeck_protocol::ingest::FeedIngestResult>, AppError> {
    caller.require(Action::Ingest, "ingest feeds")?;
    let Query(q) = query?;
    let spec = state.feeds.get(&q.feed).cloned().ok_or(AppError::Refused {
        status: StatusCode::NOT_FOUND,
        refusal: citydeck_protocol::Refusal::UnknownFeed { feed: q.feed.clone() },
    })?;
    let Json(raw) = body?;
    if raw["features"].as_array().is_some_and(|f| f.len() > MAX_FEATURES) {
        return Err(
            FieldError::new("features", format!("at most {MAX_FEATURES} features in one post")).into(),
        );
    }
    let features = citydeck_ingest::geojson::incidents(&spec, &raw)
        .map_err(|e| AppError::Invalid(FieldError::new(&e.field, e.problem)))?;
    let db = state.db.clone();
    let tx = state.events.clone();
    let actor = caller.username.clone();
    let taken = tokio::task::spawn_blocking(move || {
        db.ingest_features(&actor, features, |ev, json| {
            let _ = tx.send(crate::Published::new(ev, json));
        })
    })
    .await??;
    use crate::db::ingest::FeatureTaken;
    let count = |what: FeatureTaken| taken.iter().filter(|(_, w)| *w == what).count() as u32;
    Ok(Json(citydeck_protocol::ingest::FeedIngestResult {
        feed: spec.name,
        created: count(FeatureTaken::New),
        duplicates: count(FeatureTaken::Duplicate),
        merged: count(FeatureTaken::Joined),
        incidents: taken.into_iter().map(|(id, _)| id).collect(),
    }))
}

/// Query of `GET /api/v1/indicators/{id}/series`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SeriesQuery {
    /// Start of the range (RFC 3339), inclusive.
    #[param(value_type = chrono::DateTime<Utc>)]
    pub from: String,
    /// End of the range (RFC 3339), exclusive; after `from`.
    #[param(value_type = chrono::DateTime<Utc>)]
    pub to: String,
    /// Seconds per point, 1 ..= 31,536,000. A step of an hour or more is rounded to whole hours (the answer's
    /// `step` says which was used); the range may hold at most 10,000 steps.
    #[param(value_type = i64, minimum = 1, maximum = 31536000)]
    pub step: String,
}

/// One indicator's readings over a range in steps: per step that holds readings, their mean (`value`), least
/// and greatest. Steps start at multiples of `step` seconds since 1970-01-01 UTC; whole hours are read from the
/// hub's hourly rollups. Every role may read. Unknown indicator → 404; `to` not after `from`, a bad time or a
/// step outside 1 ..= 31,536,000, or a range of more than 10,000 steps → 400 naming the parameter.
#[utoipa::path(get, path = "/api/v1/indicators/{id}/series", security(("bearer" = [])),
    params(("id" = String, Path, description = "indicator id (`GET /api/v1/indicators`)"), SeriesQuery),
    responses((status = 200, body = citydeck_protocol::indicators::IndicatorSeries),
              (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 404, body = ApiError)))]
pub async fn indicator_series(
    State(state): State<AppState>,
    _caller: Caller,
    id: Result<Path<String>, PathRejection>,
    query: Result<Query<SeriesQuery>, QueryRejection>,
) -> Result<Json<citydeck_protocol::indicators::IndicatorSeries>, AppError> {
    let Path(id) = id?;
    if !state.indicator_rules.contains_key(&id) {
        return Err(AppError::NotFound);
    }
    let Query(q) = query?;
    let plan = citydeck_domain::indicators::series_query(&q.from, &q.to, &q.step)
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    let db = state.db.clone();
    let indicator = id.clone();
    let buckets = tokio::task::spawn_blocking(move || db.series(&indicator, &plan)).await??;
    Ok(Json(citydeck_protocol::indicators::IndicatorSeries {
        indicator: id,
        step: plan.step as u64,
        points: buckets.into_iter().map(Into::into).collect(),
    }))
}

/// The city's areas: the city, then its districts, then their streets. Every role may read them.
#[utoipa::path(get, path = "/api/v1/areas", security(("bearer" = [])),
    responses((status = 200, body = AreaList), (status = 401, body = ApiError)))]
pub async fn list_areas(State(state): State<AppState>, caller: Caller) -> Result<Json<AreaList>, AppError> {
    caller.require(Action::Read, "read")?;
    let db = state.db.clone();
    let areas = tokio::task::spawn_blocking(move || db.areas()).await??;
    Ok(Json(AreaList { areas }))
}

/// One area with its outline (`geometry`, GeoJSON).
#[utoipa::path(get, path = "/api/v1/areas/{id}", security(("bearer" = [])),
    params(("id" = String, Path, description = "area id (`city`, or an id of `GET /api/v1/areas`)")),
    responses((status = 200, body = AreaDetail), (status = 401, body = ApiError), (status = 404, body = ApiError)))]
pub async fn get_area(
    State(state): State<AppState>,
    caller: Caller,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<AreaDetail>, AppError> {
    caller.require(Action::Read, "read")?;
    let Path(id) = id?;
    if !citydeck_domain::area_file::is_valid_text(&id) {
        // No area has such an id (and PostgreSQL takes no NUL in text).
        return Err(AppError::NotFound);
    }
    let db = state.db.clone();
    tokio::task::spawn_blocking(move || db.area(&id))
        .await??
        .map(Json)
        .ok_or(AppError::NotFound)
}
