//! `POST /api/v1/push`: a desktop's outbox, applied exactly once per `(client_id, op_id)`.
//!
//! The envelope (client_id, ops[], each op_id and client_seq) must be well-formed or the whole batch is a 422
//! naming the field, and nothing is applied (the client keeps its outbox and can fix it). An op whose body is
//! bad is rejected on its own with the reason; the good ops of the batch still apply. (So the document says
//! `op` is an object, and the hub judges its body.)

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::Json;
use citydeck_domain::{parse_new_incident, Action, FieldError, Permission};
use citydeck_protocol::{Op, PushOp, PushRequest, PushResponse, Refusal, MAX_JSON_INT};
use serde_json::Value;

use crate::auth::Caller;
use crate::db::PushItem;
use crate::error::AppError;
use crate::AppState;

/// Ops per batch at most; a client with more sends several batches.
pub const MAX_BATCH: usize = 1000;

fn parse_op(raw: &Value) -> Result<Op, Refusal> {
    let kind = raw
        .get("kind")
        .and_then(Value::as_str)
        .ok_or_else(|| Refusal::BadOp {
            detail: "op.kind is required (create_incident, change_stage, add_note, acknowledge, assign)"
                .into(),
        })?;
    if kind == "create_incident" {
        let incident = parse_new_incident(raw).map_err(|e| e.nested("op").refusal)?;
        let incident_id = match raw.get("incident_id") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_str()
                    .and_then(|s| uuid::Uuid::parse_str(s).ok())
                    .ok_or_else(|| FieldError::wrong_type("op.incident_id", "uuid").refusal)?,
            ),
        };
        return Ok(Op::CreateIncident {
            incident_id,
            incident,
        });
    }
    serde_json::from_value::<Op>(raw.clone()).map_err(|e| Refusal::BadOp {
        detail: format!("op ({kind}): {e}"),
    })
}

/// Parses the batch: envelope errors refuse it whole; op-body errors become rejected items.
pub fn parse_batch(raw: &Value) -> Result<(uuid::Uuid, Vec<PushItem>), AppError> {
    let obj = raw
        .as_object()
        .ok_or_else(|| FieldError::new("body", "must be a JSON object {client_id, ops}"))?;
    let client_id = obj
        .get("client_id")
        .and_then(Value::as_str)
        .and_then(|s| uuid::Uuid::parse_str(s).ok())
        .ok_or_else(|| FieldError::new("client_id", "is required: this desktop's UUID"))?;
    let ops = obj
        .get("ops")
        .and_then(Value::as_array)
        .ok_or_else(|| FieldError::new("ops", "is required: an array of {op_id, client_seq, op}"))?;
    if ops.len() > MAX_BATCH {
        return Err(FieldError::new("ops", format!("at most {MAX_BATCH} ops per push")).into());
    }
    let mut items = Vec::with_capacity(ops.len());
    for (i, o) in ops.iter().enumerate() {
        let op_id = o
            .get("op_id")
            .and_then(Value::as_str)
            .and_then(|s| uuid::Uuid::parse_str(s).ok())
            .ok_or_else(|| FieldError::new(&format!("ops[{i}].op_id"), "is required: a UUID"))?;
        let client_seq = o
            .get("client_seq")
            .and_then(Value::as_u64)
            .filter(|n| *n <= MAX_JSON_INT)
            .ok_or_else(|| {
                FieldError::new(
                    &format!("ops[{i}].client_seq"),
                    format!("is required: an integer 0 ..= {MAX_JSON_INT}"),
                )
            })?;
        let item = match o.get("op").filter(|v| v.is_object()) {
            None => {
                return Err(
                    FieldError::new(&format!("ops[{i}].op"), "is required: an object with a kind").into(),
                )
            }
            Some(op) => match parse_op(op) {
                Ok(op) => PushItem::Op(PushOp {
                    op_id,
                    client_seq,
                    op,
                }),
                Err(refusal) => PushItem::Bad {
                    op_id,
                    client_seq,
                    refusal,
                },
            },
        };
        items.push(item);
    }
    Ok((client_id, items))
}

/// Apply a desktop's queued actions exactly once. Answers after the batch committed, one result per op in
/// order: `applied` (with `server_seq`), `duplicate` (seen before; nothing applied again) or `rejected`
/// (with `reason`, and its `code` and `args`). An account scoped to an area acts only on incidents in it: an op
/// on another incident (or creating one outside) is `rejected` with the code `out_of_scope`.
#[utoipa::path(post, path = "/api/v1/push", security(("bearer" = [])), request_body = PushRequest,
    responses((status = 200, body = PushResponse), (status = 401, body = citydeck_protocol::ApiError),
              (status = 403, body = citydeck_protocol::ApiError), (status = 422, body = citydeck_protocol::ApiError)))]
pub async fn push(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<PushResponse>, AppError> {
    caller.require(Action::UpdateIncident, "push actions")?;
    let Json(raw) = body?;
    let (client_id, items) = parse_batch(&raw)?;
    let db = state.db.clone();
    let tx = state.events.clone();
    let role = caller.role;
    let results = tokio::task::spawn_blocking(move || {
        db.push(
            client_id,
            &caller.username,
            caller.scope.as_deref(),
            items,
            |op| {
                let action = match op {
                    Op::CreateIncident { .. } => Action::CreateIncident,
                    Op::Verify { .. } | Op::SplitReport { .. } => Action::Verify,
                    _ => Action::UpdateIncident,
                };
                if role.may(action) {
                    Ok(())
                } else {
                    Err(Refusal::Forbidden { role })
                }
            },
            role.may(Action::AcknowledgeAlarm),
            |ev, json| {
                let _ = tx.send(crate::Published::new(ev, json));
            },
        )
    })
    .await??;
    Ok(Json(PushResponse { results }))
}
