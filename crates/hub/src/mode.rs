//! 平战转换 over HTTP: `GET/POST /api/v1/mode`, `POST /api/v1/mode/confirm`, `POST /api/v1/screens/{name}/ack`,
//! `GET /api/v1/mode/audit`.
//!
//! The rules are `citydeck_domain::mode`; this module only applies them inside the hub's write transaction
//! (so two commanders switching at once are serialised), enforces roles and the two-person rule for level I,
//! and audits every attempt, accepted or refused.

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use citydeck_domain::{check_transition, Action, CityMode, FieldError, ModeError, Permission, Transition};
use citydeck_protocol::{
    EventBody, Grade, ModeKind, ModeProposal, ModeState, PendingConfirmation, Refusal, ScreenAck,
};
use serde_json::Value;

use crate::auth::Caller;
use crate::db::{Db, ModeDecision, Proposal};
use crate::error::AppError;
use crate::AppState;

fn city_mode(m: &ModeState) -> CityMode {
    match (m.mode, m.level) {
        (ModeKind::Wartime, Some(l)) => CityMode::Wartime(l),
        _ => CityMode::Peacetime,
    }
}

impl From<ModeError> for AppError {
    fn from(e: ModeError) -> Self {
        // A well-formed switch to the mode the city is in already conflicts with the state (409), it is not
        // a bad field.
        if matches!(e.refusal, Refusal::AlreadyInMode) {
            AppError::Refused {
                status: StatusCode::CONFLICT,
                refusal: e.refusal,
            }
        } else {
            AppError::Invalid(e.into())
        }
    }
}

/// A parsed switch request.
struct SwitchRequest {
    mode: String,
    level: Option<String>,
    reason: String,
    incident_ids: Vec<uuid::Uuid>,
}

fn parse_request(raw: &Value) -> Result<SwitchRequest, AppError> {
    let obj = raw
        .as_object()
        .ok_or_else(|| FieldError::new("body", "must be a JSON object"))?;
    let string = |f: &str, required: bool| -> Result<Option<String>, AppError> {
        match obj.get(f) {
            None | Some(Value::Null) if required => Err(FieldError::required(f).into()),
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(FieldError::wrong_type(f, "string").into()),
        }
    };
    let mode = string("mode", true)?.unwrap_or_default();
    let level = string("level", false)?;
    let reason = string("reason", true)?.unwrap_or_default();
    // absent means none; null is not an array (the document says array, and schemathesis holds us to it)
    let incident_ids = match obj.get("incident_ids") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().and_then(|s| uuid::Uuid::parse_str(s).ok()))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| FieldError::new("incident_ids", "must be an array of incident ids (UUIDs)"))?,
        Some(_) => {
            return Err(FieldError::new("incident_ids", "must be an array of incident ids (UUIDs)").into())
        }
    };
    Ok(SwitchRequest {
        mode,
        level,
        reason,
        incident_ids,
    })
}

fn target(t: Transition) -> (ModeKind, Option<Grade>) {
    match t.target() {
        CityMode::Peacetime => (ModeKind::Peacetime, None),
        CityMode::Wartime(l) => (ModeKind::Wartime, Some(l)),
    }
}

fn new_state(
    t: Transition,
    req: &SwitchRequest,
    by: &str,
    confirmed: Option<(String, uuid::Uuid)>,
) -> ModeState {
    let (mode, level) = target(t);
    let (confirmed_by, proposal_id) = confirmed.unzip();
    ModeState {
        mode,
        level,
        epoch: 0, // set by the database
        reason: req.reason.trim().to_string(),
        incident_ids: req.incident_ids.clone(),
        switched_by: Some(by.to_string()),
        confirmed_by,
        switched_at: Some(Utc::now()),
        exercise: false, // set by the database from its realm
        acks: Vec::new(),
        screens: Vec::new(),
        proposal_id,
    }
}

fn publisher(state: &AppState) -> impl FnOnce(&citydeck_protocol::Event, &str) {
    let tx = state.events.clone();
    move |ev, json| {
        let _ = tx.send(crate::Published::new(ev, json));
    }
}

fn audit(db: &Db, caller: &Caller, action: &str, raw: &Value, result: &Result<Response, AppError>) {
    let (outcome, detail) = match result {
        Ok(r) if r.status() == StatusCode::ACCEPTED => ("pending_confirmation", String::new()),
        Ok(_) => ("applied", String::new()),
        Err(e) => ("refused", e.to_string()),
    };
    if let Err(e) = db.audit(&caller.username, caller.role, action, raw, outcome, &detail) {
        tracing::error!(error = %e, "could not write the mode audit trail");
    }
}

/// The city's current mode and the screens' acknowledgements.
#[utoipa::path(get, path = "/api/v1/mode", security(("bearer" = [])),
    responses((status = 200, body = ModeState), (status = 401, body = citydeck_protocol::ApiError)))]
pub async fn get_mode(State(state): State<AppState>, caller: Caller) -> Result<Json<ModeState>, AppError> {
    caller.require(Action::Read, "read")?;
    let db = state.db.clone();
    Ok(Json(tokio::task::spawn_blocking(move || db.mode()).await??))
}

/// Switch peacetime/wartime or change the response level. Commanders only; level I needs a second commander
/// (answers 202 with a proposal id to confirm).
#[utoipa::path(post, path = "/api/v1/mode", security(("bearer" = [])),
    request_body = citydeck_protocol::ModeSwitchRequest,
    responses((status = 200, body = ModeState), (status = 202, body = PendingConfirmation),
              (status = 409, body = citydeck_protocol::ApiError, description = "the city is in that mode already"),
              (status = 403, body = citydeck_protocol::ApiError), (status = 422, body = citydeck_protocol::ApiError)))]
pub async fn post_mode(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Response, AppError> {
    let raw = match body {
        Ok(Json(v)) => v,
        Err(e) => return Err(e.into()),
    };
    let db = state.db.clone();
    let window = state.confirm_window;
    let publish = publisher(&state);
    tokio::task::spawn_blocking(move || {
        let result = switch(&db, &caller, &raw, window, publish);
        audit(&db, &caller, "switch", &raw, &result);
        result
    })
    .await?
}

fn switch(
    db: &Db,
    caller: &Caller,
    raw: &Value,
    window: chrono::Duration,
    publish: impl FnOnce(&citydeck_protocol::Event, &str),
) -> Result<Response, AppError> {
    if !caller.role.may(Action::SwitchMode) {
        return Err(AppError::Forbidden {
            role: caller.role.as_str(),
            action: "switch the city's mode",
        });
    }
    let req = parse_request(raw)?;
    let outcome = db.switch_mode(
        &caller.username,
        |tx, current| -> Result<ModeDecision<PendingConfirmation>, AppError> {
            let t = check_transition(city_mode(current), &req.mode, req.level.as_deref(), &req.reason)?;
            if t.needs_confirmation() {
                let id = uuid::Uuid::now_v7();
                let created_at = Utc::now();
                let expires_at = created_at + window;
                Db::insert_proposal(tx, id, &caller.username, raw, created_at, expires_at)?;
                let proposal = Proposal {
                    id,
                    proposer: caller.username.clone(),
                    request: raw.clone(),
                    created_at,
                    expires_at,
                    status: "pending".into(),
                };
                let proposal = as_mode_proposal(proposal, target(t))?;
                return Ok(ModeDecision::Record(
                    PendingConfirmation {
                        status: "pending_confirmation".into(),
                        proposal_id: id,
                        expires_at,
                    },
                    Box::new(EventBody::ModeProposed { proposal }),
                ));
            }
            Ok(ModeDecision::Apply(new_state(t, &req, &caller.username, None)))
        },
        publish,
    )?;
    Ok(match outcome {
        Ok(mode) => (StatusCode::OK, Json(mode)).into_response(),
        Err(pending) => (StatusCode::ACCEPTED, Json(pending)).into_response(),
    })
}

/// Confirm a pending level-I switch. Must be a commander other than the proposer, before the proposal expires.
#[utoipa::path(post, path = "/api/v1/mode/confirm", security(("bearer" = [])),
    request_body = citydeck_protocol::ModeConfirmRequest,
    responses((status = 200, body = ModeState), (status = 403, body = citydeck_protocol::ApiError),
              (status = 404, body = citydeck_protocol::ApiError), (status = 409, body = citydeck_protocol::ApiError)))]
pub async fn confirm_mode(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Response, AppError> {
    let Json(raw) = body?;
    let db = state.db.clone();
    let publish = publisher(&state);
    tokio::task::spawn_blocking(move || {
        let result = confirm(&db, &caller, &raw, publish);
        audit(&db, &caller, "confirm", &raw, &result);
        result
    })
    .await?
}

fn confirm(
    db: &Db,
    caller: &Caller,
    raw: &Value,
    publish: impl FnOnce(&citydeck_protocol::Event, &str),
) -> Result<Response, AppError> {
    if !caller.role.may(Action::SwitchMode) {
        return Err(AppError::Forbidden {
            role: caller.role.as_str(),
            action: "confirm a mode switch",
        });
    }
    let id = raw
        .get("proposal_id")
        .and_then(Value::as_str)
        .and_then(|s| uuid::Uuid::parse_str(s).ok())
        .ok_or_else(|| FieldError::new("proposal_id", "is required: the id from the 202 answer"))?;
    let outcome = db.switch_mode(
        &caller.username,
        |tx, current| -> Result<ModeDecision<()>, AppError> {
            let p = Db::proposal(tx, id)?.ok_or(AppError::NotFound)?;
            citydeck_domain::check_confirmation(
                &citydeck_domain::Proposal {
                    id,
                    proposer: &p.proposer,
                    status: &p.status,
                    expires_at: p.expires_at,
                },
                &caller.username,
                caller.role,
                Utc::now(),
            )
            .map_err(AppError::refused)?;
            let req = parse_request(&p.request)?;
            let t =
                citydeck_domain::recheck(city_mode(current), &req.mode, req.level.as_deref(), &req.reason)
                    .map_err(AppError::refused)?;
            Db::set_proposal_status(tx, id, "applied")?;
            Ok(ModeDecision::Apply(new_state(
                t,
                &req,
                &p.proposer,
                Some((caller.username.clone(), id)),
            )))
        },
        publish,
    )?;
    match outcome {
        Ok(mode) => Ok((StatusCode::OK, Json(mode)).into_response()),
        Err(()) => Err(AppError::Internal("confirmation decided nothing".into())),
    }
}

/// A stored proposal as clients see it (`mode_proposed` events, `GET /mode/proposals`).
fn as_mode_proposal(p: Proposal, (mode, level): (ModeKind, Option<Grade>)) -> Result<ModeProposal, AppError> {
    let req = parse_request(&p.request)?;
    Ok(ModeProposal {
        proposal_id: p.id,
        proposer: p.proposer,
        mode,
        level,
        reason: req.reason.trim().to_string(),
        incident_ids: req.incident_ids,
        created_at: p.created_at,
        expires_at: p.expires_at,
    })
}

/// A screen acknowledges the mode epoch it now shows: `{"epoch": n}`.
#[utoipa::path(post, path = "/api/v1/screens/{name}/ack", security(("bearer" = [])),
    params(("name" = String, Path, description = "screen name, e.g. hall-wall-1")),
    request_body = citydeck_protocol::ScreenAckRequest,
    responses((status = 200, body = ScreenAck), (status = 409, body = citydeck_protocol::ApiError),
              (status = 422, body = citydeck_protocol::ApiError)))]
pub async fn ack_screen(
    State(state): State<AppState>,
    caller: Caller,
    name: Result<Path<String>, PathRejection>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<ScreenAck>, AppError> {
    caller.require(Action::Read, "acknowledge")?;
    let Path(name) = name?;
    let Json(raw) = body?;
    check_screen_name(&name)?;
    let epoch = raw
        .get("epoch")
        .and_then(Value::as_u64)
        .filter(|n| *n <= citydeck_protocol::MAX_JSON_INT)
        .ok_or_else(|| FieldError::new("epoch", "is required: the mode epoch this screen shows"))?;
    let db = state.db.clone();
    let publish = publisher(&state);
    tokio::task::spawn_blocking(move || {
        let current = db.mode()?.epoch;
        if epoch > current {
            return Err(AppError::refused(Refusal::EpochAhead { epoch, current }));
        }
        let ack = ScreenAck {
            screen: name,
            epoch,
            by: caller.username.clone(),
            at: Utc::now(),
        };
        db.ack_screen(ack.clone(), publish)?;
        Ok(Json(ack))
    })
    .await?
}

pub(crate) fn check_screen_name(name: &str) -> Result<(), AppError> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(FieldError::new("name", "screen names are 1-64 characters of A-Z a-z 0-9 - _ .").into());
    }
    Ok(())
}

/// Registers a screen the commander expects to follow the mode (commanders and admins). Until it acknowledges
/// the current epoch it is listed as lagging. 201 when new, 200 when it was known already.
#[utoipa::path(put, path = "/api/v1/screens/{name}", security(("bearer" = [])),
    params(("name" = String, Path, description = "screen name, e.g. hall-wall-1")),
    responses((status = 201, body = citydeck_protocol::ScreenRegistration, description = "registered"),
              (status = 200, body = citydeck_protocol::ScreenRegistration, description = "known already"),
              (status = 403, body = citydeck_protocol::ApiError), (status = 422, body = citydeck_protocol::ApiError)))]
pub async fn register_screen(
    State(state): State<AppState>,
    caller: Caller,
    name: Result<Path<String>, PathRejection>,
) -> Result<Response, AppError> {
    caller.require(Action::SwitchMode, "register a screen")?;
    let Path(name) = name?;
    check_screen_name(&name)?;
    let db = state.db.clone();
    let publish = publisher(&state);
    let added = tokio::task::spawn_blocking(move || db.register_screen(&name, &caller.username, publish))
        .await??
        .is_some();
    let status = if added {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(serde_json::json!({ "registered": added }))).into_response())
}

/// Level-I switches waiting for a second commander (pending, not expired), oldest first.
#[utoipa::path(get, path = "/api/v1/mode/proposals", security(("bearer" = [])),
    responses((status = 200, body = Vec<ModeProposal>), (status = 401, body = citydeck_protocol::ApiError)))]
pub async fn proposals(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<ModeProposal>>, AppError> {
    caller.require(Action::Read, "read")?;
    let db = state.db.clone();
    let rows = tokio::task::spawn_blocking(move || db.pending_proposals(Utc::now())).await??;
    let mut out = Vec::with_capacity(rows.len());
    for p in rows {
        // Validated when proposed: read its target without re-checking it against today's mode.
        let req = parse_request(&p.request)?;
        let level = req.level.as_deref().and_then(Grade::parse);
        let mode = if level.is_some() {
            ModeKind::Wartime
        } else {
            ModeKind::Peacetime
        };
        out.push(as_mode_proposal(p, (mode, level))?);
    }
    Ok(Json(out))
}

/// Every switch attempt, newest first (commanders and admins).
#[utoipa::path(get, path = "/api/v1/mode/audit", security(("bearer" = [])),
    responses((status = 200, body = Vec<citydeck_protocol::ModeAuditEntry>), (status = 403, body = citydeck_protocol::ApiError)))]
pub async fn mode_audit(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<Value>>, AppError> {
    caller.require(Action::SwitchMode, "read the mode audit trail")?;
    let db = state.db.clone();
    Ok(Json(
        tokio::task::spawn_blocking(move || db.audit_trail(500)).await??,
    ))
}
