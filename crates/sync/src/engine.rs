//! The sync loop: pull → live stream → (on failure) back off → pull again.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use citydeck_protocol::ipc::{ConnectionInfo, ConnectionState};
use citydeck_protocol::{Event, ServerSeq};
use citydeck_store::{Cache, StoreError};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use citydeck_client::{ClientError, HubClient};

/// Events per pull page and at most per cache transaction while streaming.
const PAGE: u32 = 2000;
const STREAM_BATCH: usize = 500;
/// A live stream silent for this long is presumed dead (the engine pings every third of it).
const STALE_AFTER: Duration = Duration::from_secs(30);
/// Outbox actions per push (the hub takes at most 1,000).
const PUSH_BATCH: u32 = 500;
const PING_EVERY: Duration = Duration::from_secs(5);
/// After this many failed attempts in a row the cockpit says "offline" rather than "reconnecting".
const OFFLINE_AFTER_ATTEMPTS: u32 = 3;

#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(250),
            max: Duration::from_secs(10),
        }
    }
}

impl Backoff {
    /// Delay before attempt `n` (1-based): exponential, capped, with ±20 % jitter so a hall full of screens
    /// does not reconnect in lock-step after a hub restart.
    pub fn delay(&self, attempt: u32) -> Duration {
        let exp = self
            .initial
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let capped = exp.min(self.max);
        let jitter = 0.8 + rand::random::<f64>() * 0.4;
        capped.mul_f64(jitter)
    }
}

#[derive(Debug, thiserror::Error)]
enum SyncError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("live stream: {0}")]
    Stream(String),
    #[error("stopped")]
    Stopped,
}

pub struct SyncEngine;

/// A running engine. Dropping it does not stop it; call [`SyncHandle::stop`].
pub struct SyncHandle {
    status: watch::Receiver<ConnectionInfo>,
    cancel: CancellationToken,
    task: JoinHandle<()>,
    outbox: Arc<tokio::sync::Notify>,
}

impl SyncHandle {
    pub fn status(&self) -> ConnectionInfo {
        self.status.borrow().clone()
    }

    pub fn subscribe(&self) -> watch::Receiver<ConnectionInfo> {
        self.status.clone()
    }

    /// Tells the engine that the outbox has new actions: while online they are pushed right away (offline, the
    /// next session pushes them first thing).
    pub fn outbox_changed(&self) {
        self.outbox.notify_one();
    }

    pub async fn stop(self) {
        self.cancel.cancel();
        let _ = self.task.await;
    }
}

struct Ctx {
    client: HubClient,
    cache: Arc<Mutex<Cache>>,
    status: watch::Sender<ConnectionInfo>,
    cancel: CancellationToken,
    backoff: Backoff,
    outbox: Arc<tokio::sync::Notify>,
    push_batch: u32,
}

impl SyncEngine {
    /// Starts syncing `cache` with the hub behind `client`. The status channel changes on every state change
    /// and every applied batch (so a UI can listen to it alone).
    pub fn spawn(client: HubClient, cache: Arc<Mutex<Cache>>, backoff: Backoff) -> SyncHandle {
        Self::spawn_with_push_batch(client, cache, backoff, PUSH_BATCH)
    }

    /// [`SyncEngine::spawn`] pushing at most `push_batch` outbox actions per request (1..=1000).
    pub fn spawn_with_push_batch(
        client: HubClient,
        cache: Arc<Mutex<Cache>>,
        backoff: Backoff,
        push_batch: u32,
    ) -> SyncHandle {
        let (last_seq, last_sync_at) = {
            let c = cache.lock().unwrap_or_else(|p| p.into_inner());
            (c.last_seq().unwrap_or(0), c.last_sync_at().ok().flatten())
        };
        let info = ConnectionInfo {
            state: ConnectionState::Connecting,
            hub: client.base().to_string(),
            last_seq,
            last_sync_at,
            hub_head: None,
        };
        let (tx, rx) = watch::channel(info);
        let cancel = CancellationToken::new();
        let outbox = Arc::new(tokio::sync::Notify::new());
        let ctx = Ctx {
            client,
            cache,
            status: tx,
            cancel: cancel.clone(),
            backoff,
            outbox: outbox.clone(),
            push_batch: push_batch.clamp(1, 1000),
        };
        let task = tokio::spawn(async move { ctx.run().await });
        SyncHandle {
            status: rx,
            cancel,
            task,
            outbox,
        }
    }
}

impl Ctx {
    /// Pushes the pending outbox in `client_seq` order, a batch at a time, recording each answer, until nothing
    /// is pending. A rejected action is settled (it leaves the queue) and never blocks the ones behind it.
    ///
    /// Pipelined: the next batch is read and pushed while the previous answer is still being written to the
    /// cache (the writes take turns on the cache; settles stay in order). Pushes are never concurrent — a batch
    /// may act on an incident created by the one before — and a batch pushed but not settled when something
    /// fails is simply pushed again next time (the hub answers `duplicate`).
    async fn push_outbox(&self) -> Result<(), SyncError> {
        let mut settling: Option<Settling> = None;
        let result = self.push_pipelined(&mut settling).await;
        // Whatever happened, let the last answer land in the cache before returning.
        let settled = match settling.take() {
            Some(h) => join_settle(h).await,
            None => Ok(()),
        };
        match (result, settled) {
            (Err(push), Err(settle)) => {
                tracing::warn!(error = %settle, "recording the hub's answer to the outbox failed");
                Err(push)
            }
            (result, settled) => result.and(settled),
        }
    }

    async fn push_pipelined(&self, settling: &mut Option<Settling>) -> Result<(), SyncError> {
        let client_id = on_cache(&self.cache, |c| c.client_id()).await?;
        let mut ops = self.read_pending(0).await?;
        loop {
            if ops.is_empty() {
                // Nothing after the unsettled batch: once it has landed, look again from the oldest pending
                // action (something queued meanwhile, or nothing: done).
                let Some(h) = settling.take() else { return Ok(()) };
                join_settle(h).await?;
                ops = self.read_pending(0).await?;
                if ops.is_empty() {
                    return Ok(());
                }
            }
            let n = ops.len();
            let after = ops.last().map_or(0, |o| o.client_seq);
            // The next batch is read while this one is on the wire.
            let (pushed, next) = tokio::join!(self.client.push(client_id, &ops), self.read_pending(after));
            let answer = match pushed {
                Ok(a) => a,
                // The hub refuses the whole batch for good (this account may not act, or it cannot read it):
                // settle these as rejected with its words, so the queue drains and syncing goes on.
                Err(ClientError::Api { status, body }) if matches!(status, 403 | 413 | 422) => {
                    tracing::warn!(status, message = %body.message, "outbox batch refused by the hub");
                    citydeck_protocol::PushResponse {
                        results: ops
                            .iter()
                            .map(|o| citydeck_protocol::PushResult {
                                op_id: o.op_id,
                                status: citydeck_protocol::PushStatus::Rejected,
                                reason: Some(body.message.clone()),
                                code: body.code.clone(),
                                args: body.args.clone(),
                                server_seq: None,
                                first_status: None,
                            })
                            .collect(),
                    }
                }
                Err(e) => return Err(e.into()),
            };
            if answer.results.len() != n || answer.results.iter().zip(&ops).any(|(r, o)| r.op_id != o.op_id) {
                return Err(SyncError::Stream(format!(
                    "push of {n} ops answered {} results that do not match them one for one",
                    answer.results.len()
                )));
            }
            tracing::debug!(hub = self.client.base(), ops = n, "outbox pushed");
            // Hand the answer over at once: a task of its own records it after the previous one (settles stay in
            // order), tells the window, and finishes even if this session is cancelled or fails next, so an answer
            // the hub gave is never lost.
            let previous = settling.take();
            let (cache, status, now) = (self.cache.clone(), self.status.clone(), Utc::now());
            *settling = Some(tokio::spawn(async move {
                if let Some(p) = previous {
                    join_settle(p).await?;
                }
                on_cache(&cache, move |c| c.settle(&answer.results, now)).await?;
                status.send_modify(|_| {});
                Ok(())
            }));
            ops = next?;
        }
    }

    /// The next batch of pending actions after `client_seq` `after`.
    async fn read_pending(&self, after: u64) -> Result<Vec<citydeck_protocol::PushOp>, SyncError> {
        let batch = self.push_batch;
        on_cache(&self.cache, move |c| c.pending_ops_after(after, batch)).await
    }

    async fn run(self) {
        let mut attempt: u32 = 0;
        let mut online_since: Option<DateTime<Utc>> = None;
        loop {
            let result = tokio::select! {
                r = self.session(&mut online_since) => r,
                _ = self.cancel.cancelled() => Err(SyncError::Stopped),
            };
            let err = match result {
                Err(SyncError::Stopped) => return,
                Err(e) => e,
                Ok(()) => SyncError::Stream("hub closed the stream".into()),
            };
            if online_since.take().is_some() {
                attempt = 0;
            }
            attempt += 1;
            if let SyncError::Client(e) = &err {
                if e.is_unauthorized() {
                    self.client.forget_token().await;
                }
            }
            tracing::warn!(attempt, error = %err, "sync interrupted");
            let since = self.status.borrow().last_sync_at;
            let state = if attempt >= OFFLINE_AFTER_ATTEMPTS {
                ConnectionState::Offline {
                    since,
                    last_error: err.to_string(),
                }
            } else {
                ConnectionState::Reconnecting {
                    since,
                    attempt,
                    last_error: err.to_string(),
                }
            };
            self.status.send_modify(|s| s.state = state);
            tokio::select! {
                _ = tokio::time::sleep(self.backoff.delay(attempt)) => {}
                _ = self.cancel.cancelled() => return,
            }
        }
    }

    fn last_seq(&self) -> Result<ServerSeq, SyncError> {
        Ok(self.cache.lock().unwrap_or_else(|p| p.into_inner()).last_seq()?)
    }

    /// Applies `events` (a page, or a batch off the stream: `through` 0) and, for a scoped cache, moves its
    /// position on to `through`, the seq the hub says they cover (see [`covered_through`]).
    async fn apply(&self, events: Vec<Event>, through: ServerSeq) -> Result<(), SyncError> {
        let (last_seq, at) = on_cache(&self.cache, move |c| {
            let now = Utc::now();
            c.apply_page(&events, through, now)?;
            Ok((c.last_seq()?, now))
        })
        .await?;
        self.status.send_modify(|s| {
            s.last_seq = last_seq;
            s.last_sync_at = Some(at);
        });
        Ok(())
    }

    /// Binds the cache to the scope the hub gives this account (logging in if this session has no token yet):
    /// a scope other than the one the cache was filled for starts the confirmed state afresh.
    async fn bind_scope(&self) -> Result<(), SyncError> {
        self.client.token().await?;
        // A token from an earlier session: its login told the scope already.
        let scope = match self.client.scope().await {
            Some(s) => s,
            None => self.client.login().await?.scope,
        };
        let reset = on_cache(&self.cache, move |c| c.bind_scope(scope.as_deref())).await?;
        if reset {
            tracing::warn!(
                hub = self.client.base(),
                "account scope changed: cache starts over"
            );
            self.status.send_modify(|s| s.last_seq = 0);
        }
        Ok(())
    }

    /// Fetches the city's areas with their outlines into the cache when the hub's list differs from the cached
    /// one (they change rarely: one small request per session otherwise). A hub that serves no areas (404, an
    /// older hub) leaves the cache as it is; so does an area gone between the list and its outline (the next
    /// session tries again).
    async fn refresh_areas(&self) -> Result<(), SyncError> {
        let list = match self.client.areas().await {
            Ok(l) => l.areas,
            Err(ClientError::Api { status: 404, .. }) => {
                tracing::debug!(hub = self.client.base(), "hub serves no areas");
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        let summaries = list.clone();
        if on_cache(&self.cache, move |c| c.areas_match(&summaries)).await? {
            return Ok(());
        }
        let mut details = Vec::with_capacity(list.len());
        for a in &list {
            match self.client.area(&a.id).await {
                // Kept with the list's summary, so the next session's list matches it exactly.
                Ok(d) => details.push(citydeck_protocol::AreaDetail {
                    area: a.clone(),
                    geometry: d.geometry,
                }),
                Err(ClientError::Api { status: 404, .. }) => {
                    tracing::warn!(area = %a.id, "area gone while fetching the outlines; next session tries again");
                    return Ok(());
                }
                Err(e) => return Err(e.into()),
            }
        }
        let n = details.len();
        on_cache(&self.cache, move |c| c.replace_areas(&details)).await?;
        tracing::info!(hub = self.client.base(), areas = n, "areas refreshed");
        self.status.send_modify(|_| {});
        Ok(())
    }

    async fn session(&self, online_since: &mut Option<DateTime<Utc>>) -> Result<(), SyncError> {
        // 0. is this still the log the cache was filled from?
        let health = self.client.health().await?;
        if !health.log_id.is_empty() {
            let log_id = health.log_id.clone();
            let exercise = health.exercise;
            let reset = on_cache(&self.cache, move |c| {
                let reset = c.bind_log(&log_id)?;
                c.set_exercise(exercise)?;
                Ok(reset)
            })
            .await?;
            if reset {
                tracing::warn!(hub = self.client.base(), "hub log replaced: cache starts over");
                self.status.send_modify(|s| s.last_seq = 0);
            }
        }
        // 0a. the account's scope (from the login) and the city's areas
        self.bind_scope().await?;
        self.refresh_areas().await?;
        // 0b. the current mode first: a screen that was offline must show it before replaying the backlog
        let mode = self.client.mode().await?;
        {
            let epoch = mode.epoch;
            let changed = on_cache(&self.cache, move |c| c.adopt_mode(&mode)).await?;
            if changed {
                tracing::info!(
                    hub = self.client.base(),
                    epoch,
                    "current mode adopted ahead of the backlog"
                );
                // Wake the window now, not after the backlog.
                self.status.send_modify(|_| {});
            }
        }
        // 0c. push what this desktop did while offline, before pulling (the pull then brings its effects back)
        self.push_outbox().await?;
        // 1. pull until caught up
        loop {
            let page = self.client.events(self.last_seq()?, PAGE).await?;
            let more = page.has_more;
            let head = page.head;
            let through = covered_through(&page);
            self.status.send_modify(|s| s.hub_head = Some(head));
            if page.events.is_empty() && through <= self.last_seq()? {
                let now = Utc::now();
                on_cache(&self.cache, move |c| c.touch_sync(now)).await?;
                self.status.send_modify(|s| s.last_sync_at = Some(now));
            } else {
                // A scoped account's page skips the seqs outside its scope: the cache moves past them too.
                self.apply(page.events, through).await?;
            }
            if !more {
                break;
            }
        }
        // 2. live stream from where the cache is
        let token = self.client.token().await?;
        let mut req = self
            .client
            .stream_url(self.last_seq()?)
            .into_client_request()
            .map_err(|e| SyncError::Stream(e.to_string()))?;
        req.headers_mut().insert(
            "authorization",
            format!("Bearer {token}")
                .parse()
                .map_err(|_| SyncError::Stream("token is not a header value".into()))?,
        );
        let config = WebSocketConfig::default().read_buffer_size(4096);
        let (mut ws, _) = tokio_tungstenite::connect_async_with_config(req, Some(config), false)
            .await
            .map_err(|e| match e {
                tokio_tungstenite::tungstenite::Error::Http(resp) if resp.status() == 401 => {
                    SyncError::Client(ClientError::Api {
                        status: 401,
                        body: Box::new(citydeck_protocol::ApiError {
                            error: "unauthorized".into(),
                            message: "stream refused the token".into(),
                            field: None,
                            code: Some("unauthorized".into()),
                            args: None,
                        }),
                    })
                }
                other => SyncError::Stream(other.to_string()),
            })?;
        *online_since = Some(Utc::now());
        self.status.send_modify(|s| s.state = ConnectionState::Online);
        tracing::info!(hub = self.client.base(), "live");

        // Ping often enough that the cockpit's data age stays a few seconds on a quiet but healthy link.
        let mut ping = tokio::time::interval(PING_EVERY);
        let mut last_rx = tokio::time::Instant::now();
        loop {
            tokio::select! {
                msg = ws.next() => {
                    let mut batch = Vec::new();
                    let mut next = msg;
                    loop {
                        match next {
                            None => return Err(SyncError::Stream("closed".into())),
                            Some(Err(e)) => return Err(SyncError::Stream(e.to_string())),
                            Some(Ok(Message::Text(t))) => {
                                let ev: Event = serde_json::from_str(&t)
                                    .map_err(|e| SyncError::Stream(format!("bad event from hub: {e}")))?;
                                batch.push(ev);
                            }
                            Some(Ok(Message::Close(_))) => {
                                if !batch.is_empty() { self.apply(batch, 0).await?; }
                                return Err(SyncError::Stream("hub closed the stream".into()));
                            }
                            Some(Ok(Message::Pong(_))) => {
                                // The hub answered: the cache is current as of now even with no new events.
                                self.status.send_modify(|s| s.last_sync_at = Some(Utc::now()));
                            }
                            Some(Ok(_)) => {}
                        }
                        last_rx = tokio::time::Instant::now();
                        if batch.len() >= STREAM_BATCH { break; }
                        // take whatever else is already buffered, without waiting
                        match futures_util::FutureExt::now_or_never(ws.next()) {
                            Some(m) => next = m,
                            None => break,
                        }
                    }
                    if !batch.is_empty() {
                        // A scoped account's stream skips the seqs outside its scope; its cache takes the gaps.
                        self.apply(batch, 0).await?;
                    }
                }
                _ = self.outbox.notified() => {
                    self.push_outbox().await?;
                }
                _ = ping.tick() => {
                    if last_rx.elapsed() > STALE_AFTER {
                        return Err(SyncError::Stream("no traffic from hub; presumed dead".into()));
                    }
                    ws.send(Message::Ping(Vec::new().into())).await.map_err(|e| SyncError::Stream(e.to_string()))?;
                }
            }
        }
    }
}

/// The seq up to which `page` holds every event the account may read: the hub's `head` for a short page (the
/// last one: a scoped account's page skips the others' seqs up to there), else its last event.
fn covered_through(page: &citydeck_protocol::EventsPage) -> ServerSeq {
    let last = page.events.last().map_or(0, |e| e.server_seq);
    if page.has_more {
        last
    } else {
        last.max(page.head)
    }
}

/// Runs `f` on the cache off the async threads (SQLite blocks).
async fn on_cache<T: Send + 'static>(
    cache: &Arc<Mutex<Cache>>,
    f: impl FnOnce(&mut Cache) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, SyncError> {
    let cache = cache.clone();
    tokio::task::spawn_blocking(move || f(&mut cache.lock().unwrap_or_else(|p| p.into_inner())))
        .await
        .map_err(|e| SyncError::Stream(e.to_string()))?
        .map_err(SyncError::from)
}

/// The background recording of a push's answer (and of every answer before it).
type Settling = tokio::task::JoinHandle<Result<(), SyncError>>;

async fn join_settle(h: Settling) -> Result<(), SyncError> {
    h.await.map_err(|e| SyncError::Stream(e.to_string()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(seqs: &[ServerSeq], head: ServerSeq, has_more: bool) -> citydeck_protocol::EventsPage {
        citydeck_protocol::EventsPage {
            events: seqs
                .iter()
                .map(|&s| Event {
                    server_seq: s,
                    at: Utc::now(),
                    actor: "x".into(),
                    body: citydeck_protocol::EventBody::Unknown,
                })
                .collect(),
            head,
            has_more,
        }
    }

    #[test]
    fn a_short_page_covers_up_to_the_head_and_a_full_one_up_to_its_last_event() {
        assert_eq!(covered_through(&page(&[3, 7], 40, false)), 40);
        assert_eq!(covered_through(&page(&[], 40, false)), 40);
        assert_eq!(covered_through(&page(&[3, 7], 40, true)), 7);
        // events read after the head passed it: the page still covers its last event
        assert_eq!(covered_through(&page(&[3, 42], 40, false)), 42);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let b = Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(2),
        };
        let d1 = b.delay(1);
        assert!(
            d1 >= Duration::from_millis(80) && d1 <= Duration::from_millis(120),
            "{d1:?}"
        );
        let d3 = b.delay(3);
        assert!(
            d3 >= Duration::from_millis(320) && d3 <= Duration::from_millis(480),
            "{d3:?}"
        );
        for n in 10..40 {
            assert!(b.delay(n) <= Duration::from_millis(2400));
        }
    }
}
