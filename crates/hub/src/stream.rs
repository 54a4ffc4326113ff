//! `GET /api/v1/stream?after=<seq>`: the backlog after `seq`, then live events, over one WebSocket.
//!
//! Gap-free by construction: the handler subscribes to the live channel *before* reading the backlog, skips
//! live events it has already sent, and reads any hole (a lagged receiver, or a live event that overtook the
//! backlog) back from the database, so the client sees every `server_seq` exactly once and in order. An
//! account scoped to an area sees the same sequence without the events its scope does not reach (`domain::scope`;
//! the database reads filter by the same rule in SQL).

use axum::extract::rejection::QueryRejection;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::Response;
use citydeck_domain::Action;
use citydeck_protocol::ServerSeq;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;
use utoipa::IntoParams;

use crate::auth::Caller;
use crate::error::AppError;
use crate::AppState;

const BACKLOG_PAGE: u32 = 1000;
/// WebSocket read buffer: small on purpose (tungstenite zero-fills it before each read, so its 128 KiB default
/// costs CPU for every subscriber; the stream only reads small control frames).
const WS_READ_BUFFER: usize = 4 * 1024;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// Start after this `server_seq` (0 ..= 2^53 − 1, default 0).
    pub after: Option<ServerSeq>,
}

/// WebSocket: each text frame is one event JSON (as in `/events`), in `server_seq` order. An account scoped to
/// an area gets the events about incidents in it and those about no incident (mode, screens), backlog and live.
#[utoipa::path(get, path = "/api/v1/stream", params(StreamQuery), security(("bearer" = [])),
    responses((status = 101, description = "switching to WebSocket"), (status = 401, body = citydeck_protocol::ApiError),
              (status = 400, body = citydeck_protocol::ApiError, description = "not a WebSocket upgrade request, or a bad `after`"),
              (status = 426, body = citydeck_protocol::ApiError, description = "the connection cannot be upgraded")))]
pub async fn stream(
    State(state): State<AppState>,
    caller: Caller,
    q: Result<Query<StreamQuery>, QueryRejection>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, AppError> {
    caller.require(Action::Read, "read")?;
    let Query(q) = q?;
    let after = crate::api::after_seq(q.after)?;
    let ws = ws.map_err(|r| AppError::Rejection {
        status: r.status(),
        message: r.body_text(),
    })?;
    Ok(ws
        .read_buffer_size(WS_READ_BUFFER)
        .on_upgrade(move |socket| async move {
            let user = caller.username.clone();
            if let Err(e) = run(socket, state, after, caller.scope).await {
                tracing::debug!(%user, error = %e, "stream closed");
            }
        }))
}

#[derive(Debug, thiserror::Error)]
enum StreamEnd {
    #[error("client went away")]
    Gone,
    #[error(transparent)]
    App(#[from] AppError),
}

/// Sends the stored events after `last` (those `scope` reaches) and moves `last` past every event up to the
/// head read first, sent or skipped.
async fn send_from_db(
    socket: &mut WebSocket,
    state: &AppState,
    last: &mut ServerSeq,
    scope: Option<&str>,
) -> Result<(), StreamEnd> {
    loop {
        let db = state.db.clone();
        let from = *last;
        let area = scope.map(String::from);
        let (head, rows) = tokio::task::spawn_blocking(move || -> Result<_, crate::db::DbError> {
            let head = db.head()?;
            Ok((head, db.events_after_json(from, BACKLOG_PAGE, area.as_deref())?))
        })
        .await
        .map_err(AppError::from)?
        .map_err(AppError::from)?;
        let n = rows.len();
        for (seq, json) in rows {
            socket
                .send(Message::Text(Utf8Bytes::from(json)))
                .await
                .map_err(|_| StreamEnd::Gone)?;
            *last = seq;
        }
        if n < BACKLOG_PAGE as usize {
            *last = (*last).max(head);
            return Ok(());
        }
    }
}

async fn run(
    mut socket: WebSocket,
    state: AppState,
    after: ServerSeq,
    scope: Option<String>,
) -> Result<(), StreamEnd> {
    let scope = scope.as_deref();
    let mut rx = state.events.subscribe();
    let mut last = after;
    send_from_db(&mut socket, &state, &mut last, scope).await?;
    loop {
        tokio::select! {
            msg = rx.recv() => match msg {
                Ok(p) if p.seq <= last => {}
                Ok(p) if p.seq == last + 1 => {
                    if citydeck_domain::scope::reaches(scope, p.areas.as_deref()) {
                        socket.send(Message::Text(Utf8Bytes::from(&*p.json))).await.map_err(|_| StreamEnd::Gone)?;
                    }
                    last = p.seq;
                }
                Ok(_) | Err(RecvError::Lagged(_)) => send_from_db(&mut socket, &state, &mut last, scope).await?,
                Err(RecvError::Closed) => {
                    let _ = socket.send(Message::Close(None)).await;
                    return Ok(());
                }
            },
            incoming = socket.recv() => match incoming {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return Err(StreamEnd::Gone),
                Some(Ok(_)) => {} // pings are answered by the library; other client frames are ignored
            },
            _ = state.shutdown.cancelled() => {
                let _ = socket.send(Message::Close(None)).await;
                return Ok(());
            }
        }
    }
}
