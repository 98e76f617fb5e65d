//! The reference Chat Server: both dialects, flex-disconnect-timeout, simulated
//! agents, fault injection and exact per-route counters.
//!
//! API in the spirit of mini-redis: the caller binds the listener and passes a
//! shutdown future, so tests bind `127.0.0.1:0`; [`ReferenceServer::router`]
//! gives the same handler as an `axum::Router` for socket-free tests.
//!
//! # Layout
//! - [`config`]: `ServerConfig` (the `[server]` TOML table) and its validation.
//! - `http`: routing, method / content type / body checks, counting.
//! - `gms`, `webapi`: paths and bodies of each dialect.
//! - `ops`: what each operation does to a chat (dialect-free).
//! - `store`: the sharded chat map, identity, transcript.
//! - `agent`: the simulated agent and lazy expiry of one chat.
//! - `pool`: the agent pool (N agents × M chats, FIFO queue) when configured.
//! - `expiry`: the one timer queue and its sweeper task.
//! - `faults`: deterministic fault decisions.
//! - `stats`: the atomic counters behind [`Stats`].
//! - `written`: a response counts as answered once its bytes were flushed.
//! - `misbehave`: deliberate protocol breakage for conformance mutation tests.
//! - `command`: `chatload serve`.

mod agent;
mod answer;
mod command;
mod config;
mod delay;
mod expiry;
mod fault_rule;
mod faults;
mod gms;
mod http;
mod misbehave;
mod ops;
mod pool;
mod rng;
mod stats;
mod store;
pub mod tls;
mod webapi;
mod written;

pub use command::{read_config, serve_command};
pub use config::{AgentConfig, FaultKind, FaultRule, Misbehave, OperationSelector, ServerConfig};
pub use delay::DelaySpec;
pub use http::STATS_PATH;
pub use pool::PoolCounts;
pub use stats::REJECTED_BY_HTTP;

use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

/// How many issued secure keys [`ReferenceServer::issued_secure_keys`] remembers.
const KEY_LOG_LIMIT: usize = 100_000;
/// Descriptors the default connection cap leaves to everything else.
pub const FD_RESERVE: u64 = 64;
/// How long shutdown waits for open connections to finish their requests.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Maps tokio instants to epoch milliseconds (pausable in tests).
pub(crate) struct Clock {
    base: Instant,
    base_utc_ms: i64,
}

impl Clock {
    fn new() -> Self {
        Clock {
            base: Instant::now(),
            base_utc_ms: chrono::Utc::now().timestamp_millis(),
        }
    }

    /// Epoch milliseconds of `at`.
    pub(crate) fn utc_ms(&self, at: Instant) -> i64 {
        let since = at.saturating_duration_since(self.base).as_millis();
        self.base_utc_ms + i64::try_from(since).unwrap_or(i64::MAX / 2)
    }
}

/// Shared state of one server.
pub(crate) struct Inner {
    config: ServerConfig,
    store: store::Store,
    counters: stats::Counters,
    timers: expiry::TimerQueue,
    faults: faults::Faults,
    clock: Clock,
    issued_keys: Mutex<Vec<String>>,
    sweeper_started: AtomicBool,
    misbehave: misbehave::Misbehaviour,
    pool: Option<pool::Pool>,
}

impl Inner {
    fn cx(&self) -> agent::Cx<'_> {
        agent::Cx {
            config: &self.config,
            counters: &self.counters,
            clock: &self.clock,
            pool: self.pool.as_ref(),
        }
    }

    /// The counters, with the pool's.
    fn stats(&self) -> Stats {
        let mut stats = self.counters.snapshot();
        stats.pool = self.pool.as_ref().map(pool::Pool::snapshot);
        stats
    }

    fn note_key(&self, key: &str) {
        let mut keys = self.issued_keys.lock();
        if keys.len() < KEY_LOG_LIMIT {
            keys.push(key.to_string());
        }
    }

    /// Start the timer sweeper once, on the current runtime.
    fn ensure_sweeper(self: &Arc<Self>) {
        if self.sweeper_started.load(Ordering::Relaxed) {
            return;
        }
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            if !self.sweeper_started.swap(true, Ordering::AcqRel) {
                let notify = self.timers.notify.clone();
                rt.spawn(expiry::run_sweeper(Arc::downgrade(self), notify));
            }
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Let a sweeper waiting on an empty queue notice that the server is gone.
        self.timers.notify.notify_one();
    }
}

/// A reference server instance; cheap to clone (shared state inside).
#[derive(Clone)]
pub struct ReferenceServer {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for ReferenceServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReferenceServer")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl Default for ReferenceServer {
    fn default() -> Self {
        ReferenceServer::new(ServerConfig::default())
    }
}

impl ReferenceServer {
    /// Build a server with the given options. Callers should
    /// [`ServerConfig::validate`] first; out-of-range values are clamped here.
    pub fn new(config: ServerConfig) -> Self {
        let mut config = config;
        config.flex_disconnect_timeout = config
            .flex_disconnect_timeout
            .clamp(Duration::from_millis(1), config::MAX_FLEX_TIMEOUT);
        config.max_message_length = config.max_message_length.max(1);
        if config.misbehave.contains(&Misbehave::StatusNoOneEnded) {
            config.faults.push(FaultRule {
                kind: FaultKind::Status1ChatEnded,
                operation: OperationSelector::Only(crate::protocol::Operation::Poll),
                every: Some(2),
                rate: None,
                delay: None,
            });
        }
        let salt = rng::mix(config.seed ^ 0x00C4_A710_AD00);
        let inner = Inner {
            store: store::Store::new(salt),
            counters: stats::Counters::default(),
            timers: expiry::TimerQueue::default(),
            faults: faults::Faults::new(config.faults.clone(), config.seed),
            clock: Clock::new(),
            issued_keys: Mutex::new(Vec::new()),
            sweeper_started: AtomicBool::new(false),
            misbehave: misbehave::Misbehaviour::new(&config.misbehave),
            pool: config
                .agents
                .map(|n| pool::Pool::new(n, config.chats_per_agent.unwrap_or(1))),
            config,
        };
        ReferenceServer {
            inner: Arc::new(inner),
        }
    }

    /// The options in force.
    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }

    /// Serve on `listener` until `shutdown` completes, then stop accepting,
    /// let open connections finish (at most 5 s) and return.
    pub async fn serve(
        &self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        self.serve_with(listener, None, shutdown).await
    }

    /// [`serve`](Self::serve) over TLS when `tls` is given (HTTP/2 when the client negotiates `h2`).
    pub async fn serve_with(
        &self,
        listener: TcpListener,
        tls: Option<tls::TlsAcceptor>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        self.inner.ensure_sweeper();
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut conns = JoinSet::new();
        let cap = self.connection_cap();
        let open = Arc::new(AtomicUsize::new(0));
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                accepted = listener.accept() => match accepted {
                    // At the cap: close at once (the peer sees a reset or EOF), count it.
                    Ok(_) if open.load(Ordering::Acquire) >= cap => self.inner.counters.refused(),
                    Ok((stream, _)) => {
                        let (inner, stop) = (self.inner.clone(), stop_rx.clone());
                        let slot = OpenSlot::take(&open);
                        match &tls {
                            None => conns.spawn(async move {
                                serve_connection(inner, stream, stop).await;
                                drop(slot);
                            }),
                            Some(acceptor) => {
                                let acceptor = acceptor.clone();
                                conns.spawn(async move {
                                    serve_tls(inner, acceptor, stream, stop).await;
                                    drop(slot);
                                })
                            }
                        };
                    }
                    // Out of file descriptors and the like: back off, keep serving.
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                },
                Some(_) = conns.join_next(), if !conns.is_empty() => {}
            }
        }
        drop(listener);
        let _ = stop_tx.send(true);
        let drain = async { while conns.join_next().await.is_some() {} };
        let _ = tokio::time::timeout(DRAIN_TIMEOUT, drain).await;
        conns.abort_all();
        Ok(())
    }

    /// Most connections open at once: `max_connections`, else the open-file soft
    /// limit less [`FD_RESERVE`] (at least 16), else 65,536 where it is unknown.
    pub fn connection_cap(&self) -> usize {
        let n = match self.inner.config.max_connections {
            Some(n) => u64::from(n),
            None => crate::util::rlimit::nofile()
                .map_or(65_536, |(soft, _)| soft.saturating_sub(FD_RESERVE).max(16)),
        };
        usize::try_from(n).unwrap_or(usize::MAX)
    }

    /// The same handler as [`serve`](Self::serve), for `oneshot` tests. A
    /// `drop` fault cannot close a connection here: it answers an empty 502.
    pub fn router(&self) -> axum::Router {
        let inner = self.inner.clone();
        axum::Router::new().fallback(move |req: axum::extract::Request| {
            let inner = inner.clone();
            async move {
                let mut response = http::handle(inner.clone(), req).await;
                if let Some(t) = response.extensions_mut().remove::<written::Ticket>() {
                    t.answered(&inner.counters);
                }
                response
            }
        })
    }

    /// A snapshot of the counters (the ground truth).
    pub fn stats(&self) -> Stats {
        self.inner.stats()
    }

    /// Every secureKey handed out so far (the first 100,000), for tests that
    /// check no key leaks into reports.
    pub fn issued_secure_keys(&self) -> Vec<String> {
        self.inner.issued_keys.lock().clone()
    }

    /// The whole transcript of a chat as the agent side sees it: a live chat
    /// (brought up to date first) or one of the last 1024 ended chats. None for
    /// an unknown id. A test hook: e.g. the `ParticipantLeft` of an expired chat.
    pub fn transcript(&self, chat_id: &str) -> Option<Vec<crate::protocol::Event>> {
        let inner = &self.inner;
        let key = inner.store.key_of(chat_id)?;
        let agent = &inner.config.agent.nickname;
        let cx = inner.cx();
        let live = inner.store.with_chat(key, |chat| match chat {
            None => (None, false),
            Some(chat) => {
                let gone = agent::advance(chat, Instant::now(), &cx) != agent::Advance::Open;
                (Some(chat.events_from(1, agent)), gone)
            }
        });
        inner.pool_handoff();
        live.or_else(|| inner.store.ended_events(key, agent))
    }

    /// Chats held in memory (live, or agent-ended and not yet told).
    pub fn chats_in_memory(&self) -> usize {
        self.inner.store.len()
    }

    /// Handle every timer entry due at `now` (the sweeper does this on its
    /// own; exposed for benchmarks). Returns the number of entries handled.
    pub fn sweep_now(&self, now: Instant) -> usize {
        let mut total = 0;
        loop {
            let n = self.inner.sweep_batch(now);
            total += n;
            if n == 0 {
                return total;
            }
        }
    }
}

/// One open connection, counted against the cap until dropped.
struct OpenSlot(Arc<AtomicUsize>);

impl OpenSlot {
    fn take(open: &Arc<AtomicUsize>) -> OpenSlot {
        open.fetch_add(1, Ordering::AcqRel);
        OpenSlot(open.clone())
    }
}

impl Drop for OpenSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Error that makes hyper close a connection without answering (`drop` fault).
#[derive(Debug)]
struct DroppedOnPurpose;

impl std::fmt::Display for DroppedOnPurpose {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for DroppedOnPurpose {}

async fn serve_connection(inner: Arc<Inner>, stream: TcpStream, stop: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    serve_io(inner, stream, false, stop).await;
}

/// Finish the TLS handshake (bounded), then serve HTTP/1.1 or, when negotiated, HTTP/2.
async fn serve_tls(
    inner: Arc<Inner>,
    acceptor: tls::TlsAcceptor,
    stream: TcpStream,
    stop: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let Ok(Ok(tls)) = tokio::time::timeout(tls::HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
    else {
        return;
    };
    let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
    serve_io(inner, tls, h2, stop).await;
}

async fn serve_io<I>(inner: Arc<Inner>, io: I, h2: bool, mut stop: watch::Receiver<bool>)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    // Set when a request of this connection was already counted as rejected.
    let counted = Arc::new(AtomicBool::new(false));
    let ledger = written::Ledger::new(inner.clone());
    let io = written::Flushed::new(io, ledger.clone());
    let service = {
        let (inner, counted) = (inner.clone(), counted.clone());
        service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
            let (inner, counted, ledger) = (inner.clone(), counted.clone(), ledger.clone());
            async move {
                let response = http::handle(inner, req.map(axum::body::Body::new)).await;
                let (mut parts, body) = response.into_parts();
                if parts.extensions.get::<http::Rejected>().is_some() {
                    counted.store(true, Ordering::Relaxed);
                }
                if parts.extensions.get::<http::DropConnection>().is_some() {
                    return Err(DroppedOnPurpose);
                }
                let ticket = parts.extensions.remove::<written::Ticket>();
                let body = written::CountedBody::new(body, ticket, ledger);
                Ok(hyper::Response::from_parts(parts, body))
            }
        })
    };
    if h2 {
        let conn = hyper::server::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new())
            .serve_connection(TokioIo::new(io), service);
        tokio::pin!(conn);
        tokio::select! {
            _ = conn.as_mut() => {}
            _ = stop.changed() => {
                conn.as_mut().graceful_shutdown();
                let _ = conn.await;
            }
        }
        return;
    }
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(inner.config.header_read_timeout)
        .pipeline_flush(true)
        .serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    let ended = tokio::select! {
        r = conn.as_mut() => r,
        _ = stop.changed() => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = ended {
        count_connection_error(&inner.counters, &e, counted.load(Ordering::Relaxed));
    }
}

/// Count how an HTTP/1 connection failed: the header-read timeout, or a request
/// hyper rejected before the handler (a bad head, or one cut off mid-request)
/// unless the handler already counted it (`counted`).
fn count_connection_error(counters: &stats::Counters, e: &hyper::Error, counted: bool) {
    if e.is_timeout() {
        counters.header_timeout();
    } else if e.is_parse() || (e.is_incomplete_message() && !counted) {
        counters.rejected_by_http();
    }
}

/// Counter snapshot, served at `GET /__chatload/stats`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Requests per route, keyed `"{dialect}/{operation}"` (e.g. `gms-v2/poll`);
    /// requests that match no route are counted under `unknown`.
    pub requests: BTreeMap<String, u64>,
    /// Responses per (route, HTTP status, statusCode, chatEnded).
    pub responses: Vec<ResponseCount>,
    /// Chat lifecycle counts.
    pub chats: ChatCounts,
    /// Faults injected by kind.
    pub faults: BTreeMap<String, u64>,
    /// The agent pool's counters (absent without a pool).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<PoolCounts>,
    /// Connections closed by the server's own limits (absent while all are zero).
    #[serde(default, skip_serializing_if = "ConnectionCounts::is_zero")]
    pub connections: ConnectionCounts,
    /// Answers per route that were never written: the connection failed or closed
    /// before their bytes were flushed (absent while empty). Not in `responses`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unwritten: BTreeMap<String, u64>,
}

/// Connections the server closed because of its limits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionCounts {
    /// Closed on accept because `max_connections` were open.
    pub refused: u64,
    /// Closed by the header-read timeout: headers not finished in time, or a
    /// keep-alive connection idle that long.
    pub header_timeouts: u64,
}

impl ConnectionCounts {
    /// True when nothing was closed.
    pub fn is_zero(&self) -> bool {
        *self == ConnectionCounts::default()
    }
}

impl Stats {
    /// Sum of the response buckets matching `route` and the given fields
    /// (None = any).
    pub fn responses_matching(
        &self,
        route: &str,
        http_status: Option<u16>,
        status_code: Option<Option<u8>>,
        chat_ended: Option<Option<bool>>,
    ) -> u64 {
        self.responses
            .iter()
            .filter(|r| r.route == route)
            .filter(|r| http_status.is_none_or(|h| h == r.http_status))
            .filter(|r| status_code.is_none_or(|s| s == r.status_code))
            .filter(|r| chat_ended.is_none_or(|e| e == r.chat_ended))
            .map(|r| r.count)
            .sum()
    }
}

/// One response bucket.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResponseCount {
    /// `"{dialect}/{operation}"`.
    pub route: String,
    /// HTTP status sent (0 for a dropped connection).
    pub http_status: u16,
    /// statusCode in the body, if any.
    pub status_code: Option<u8>,
    /// chatEnded in the body, if any.
    pub chat_ended: Option<bool>,
    /// Count.
    pub count: u64,
}

/// Chat lifecycle counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatCounts {
    /// Chats created.
    pub created: u64,
    /// Ended by the client (disconnect / Complete).
    pub ended_by_client: u64,
    /// Ended by the simulated agent.
    pub ended_by_agent: u64,
    /// Ended by flex-disconnect-timeout.
    pub expired: u64,
    /// Still live.
    pub live: u64,
}
