//! Dialect clients: one [`ChatClient`] builds each call for its dialect
//! (`gms_v2`, `webapi`), sends it on the shared HTTP client (`http`: hyper-util's
//! pool, or reqwest through a proxy), reads the body up to a size cap and
//! classifies the answer (`classify`).
//!
//! The client holds no per-session state: the session passes its [`Identity`].
//! Error messages never include request bodies (they carry the secureKey).

mod address;
pub(crate) mod body;
mod budget;
mod classify;
pub(crate) mod cookies;
pub(crate) mod gms_v2;
pub(crate) mod http;
mod identity;
pub(crate) mod samples;
#[cfg(test)]
mod stale_tests;
pub(crate) mod tls;
pub(crate) mod transport;
pub(crate) mod webapi;

pub(crate) use address::Address;
pub(crate) use classify::{classify, classify_error, not_sent};
pub(crate) use identity::Identity;

use crate::metrics::{Outcome, TransportErrorKind};
use crate::protocol::{Dialect, Envelope, Operation};
use hyper::body::Bytes;
use hyper::header::{HeaderMap, HeaderValue, CONTENT_TYPE, COOKIE, HOST};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::time::Instant;

/// Where and how to talk.
#[derive(Debug, Clone)]
pub struct Target {
    /// Dialect.
    pub dialect: Dialect,
    /// Base URL without a trailing slash.
    pub base: String,
    /// gms-v2 service name.
    pub service: String,
    /// webapi tenant name.
    pub tenant: String,
    /// webapi path prefix (`""` or `/webapi`).
    pub prefix: String,
    /// The chat collection URL (`{base}/genesys/2/chat/{service}` or
    /// `{base}{prefix}/api/v2/chats`), parsed once: per-call URLs are clones
    /// with path segments pushed, never re-parsed.
    collection: reqwest::Url,
    /// The collection's text up to a first appended segment, and where its path starts
    /// ([`Target::address`]'s fast path; None: every address goes through `url`).
    prefix_text: Option<(String, usize)>,
}

impl Target {
    /// The collection URL (scheme, authority and userinfo of every call).
    pub(crate) fn collection(&self) -> &reqwest::Url {
        &self.collection
    }

    /// Whether the target is reached over TLS.
    pub fn is_https(&self) -> bool {
        self.collection.scheme() == "https"
    }

    /// A target; fails when `base` is not a URL.
    pub fn new(
        dialect: Dialect,
        base: &str,
        service: &str,
        tenant: &str,
        prefix: &str,
    ) -> anyhow::Result<Target> {
        let base = base.trim_end_matches('/').to_string();
        let collection = match dialect {
            Dialect::GmsV2 => format!("{base}/genesys/2/chat/{service}"),
            Dialect::WebApi => format!("{base}{prefix}/api/v2/chats"),
        };
        let collection = reqwest::Url::parse(&collection).map_err(|e| {
            let shown = crate::util::redact::redact_url(&collection);
            anyhow::anyhow!("bad target URL '{shown}': {e}")
        })?;
        Ok(Target {
            prefix_text: address::prefix_of(&collection),
            dialect,
            base,
            service: service.to_string(),
            tenant: tenant.to_string(),
            prefix: prefix.to_string(),
            collection,
        })
    }

    /// The collection URL with `segments` appended (an empty last segment = trailing slash).
    pub fn url(&self, segments: &[&str]) -> reqwest::Url {
        let mut url = self.collection.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }
}

/// One call a customer makes.
#[derive(Debug, Clone, Copy)]
pub enum Call<'a> {
    /// Request a chat.
    RequestChat {
        /// Who the customer is (names, e-mail, subject, userData).
        customer: &'a crate::engine::customers::Customer,
    },
    /// refresh / GetMessages.
    Poll {
        /// transcriptPosition to ask from.
        position: u64,
        /// The customer's current draft (widget typing preview; gms-v2 only).
        draft: &'a str,
    },
    /// Send a message.
    Send {
        /// Message text.
        text: &'a str,
    },
    /// startTyping.
    StartTyping {
        /// transcriptPosition.
        position: u64,
    },
    /// stopTyping.
    StopTyping {
        /// transcriptPosition.
        position: u64,
    },
    /// disconnect / Complete.
    Disconnect,
}

impl Call<'_> {
    /// The report operation name.
    pub fn operation(&self) -> Operation {
        match self {
            Call::RequestChat { .. } => Operation::RequestChat,
            Call::Poll { .. } => Operation::Poll,
            Call::Send { .. } => Operation::Send,
            Call::StartTyping { .. } => Operation::StartTyping,
            Call::StopTyping { .. } => Operation::StopTyping,
            Call::Disconnect => Operation::Disconnect,
        }
    }
}

/// The answer to one call.
#[derive(Debug)]
pub(crate) struct Reply {
    /// Classified outcome.
    pub outcome: Outcome,
    /// Parsed envelope when the body was one.
    pub envelope: Option<Envelope>,
    /// When the request left.
    pub sent: Instant,
    /// When the answer (or failure) arrived, less `generator_wait`.
    pub done: Instant,
    /// How long the answer waited inside the generator after it was sent (for
    /// body budget, see `budget`): the generator's lateness, not the target's time.
    pub generator_wait: Duration,
}

impl Reply {
    /// The generator's lateness for this request: from `ready` (when it could
    /// have been sent) to `sent`, plus any wait inside the generator after.
    pub(crate) fn lateness_from(&self, ready: Instant) -> Duration {
        self.sent.saturating_duration_since(ready) + self.generator_wait
    }
}

/// What a [`Responder`] returns: `(HTTP status, body)` or a transport failure, later.
#[cfg(test)]
pub(crate) type FakeAnswer = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<(u16, String), TransportErrorKind>> + Send>,
>;

/// A stand-in for the network (unit tests with paused time): answers a call
/// with `(HTTP status, body)` or a transport failure, after any simulated delay.
#[cfg(test)]
pub(crate) trait Responder: Send + Sync {
    /// Answer one request.
    fn respond(&self, url: &str, body: &str) -> FakeAnswer;
}

#[derive(Clone)]
enum Backend {
    Http(http::Http),
    #[cfg(test)]
    Fake(Arc<dyn Responder>),
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Backend::Http(_) => f.write_str("Http"),
            #[cfg(test)]
            Backend::Fake(_) => f.write_str("Fake"),
        }
    }
}

/// Default idle time after which a pooled connection is closed rather than reused:
/// below the keep-alive timeout of common servers and balancers (Apache and
/// Node.js 5 s, nginx 75 s, AWS ALB 60 s), so a request is rarely written onto a
/// connection the server is closing at that moment. Such a request cannot be
/// told from one the server read and dropped, so it counts as `reset`. A reused
/// connection found closed before the request was written is retried on a new
/// one by the pool itself (hyper-util), unseen by both sides' counts; a request
/// hyper reports unsent otherwise ([`not_sent`]) is sent once more by
/// [`ChatClient`] and counted as `stale_connection`.
pub(crate) const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(4);

/// The reqwest client builder of chatload: `conformance` and a proxied `run`
/// (through [`ChatClient`], see `http::Http`) build their client here; a direct
/// `run` builds hyper-util's pool in `http` with the same TLS config, idle
/// timeout and headers, so a connection option added here belongs there too.
pub(crate) fn http_client(
    request_timeout: Duration,
    headers: reqwest::header::HeaderMap,
    https: bool,
    transport: &transport::Transport,
) -> anyhow::Result<reqwest::Client> {
    let builder = reqwest::Client::builder()
        .default_headers(headers)
        // A 3xx is an answer to classify (`http_status`), never followed: a
        // followed redirect would count a gateway's login page as the
        // operation and send the custom (secret) headers to another host.
        .redirect(reqwest::redirect::Policy::none())
        .timeout(request_timeout)
        .connect_timeout(request_timeout)
        .pool_max_idle_per_host(usize::MAX)
        .pool_idle_timeout(transport.pool_idle_timeout.unwrap_or(POOL_IDLE_TIMEOUT))
        .tcp_nodelay(true);
    let builder = if https {
        builder.use_preconfigured_tls(tls::client_config(&transport.tls)?)
    } else {
        builder
    };
    // HTTP/2 only by ALPN on https (`--http2`); never h2c. Over HTTP/1 reqwest's retry
    // layer never retries (its default only replays HTTP/2 refusals) but clones every
    // request first in case it would (headers, extensions, body): with a limit of 0 it
    // does not (issue 15).
    let builder = if transport.offers_http2(https) {
        builder
    } else {
        builder
            .http1_only()
            .retry(reqwest::retry::never().max_retries_per_request(0))
    };
    Ok(transport::apply_proxy(builder, &transport.proxy)?.build()?)
}

/// The `Host` header of an HTTP/1 request to `target`: what hyper-util would
/// write (`host`, or `host:port` for a port other than the scheme's default).
fn target_host(target: &Target) -> Option<reqwest::header::HeaderValue> {
    let url = &target.collection;
    let host = url.host_str()?;
    let value = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    };
    reqwest::header::HeaderValue::from_str(&value).ok()
}

/// A dialect client over one shared HTTP connection pool.
///
/// At most `max_connections` requests are in flight at once (so at most about
/// that many connections): without a cap, a momentary stall of the target makes
/// the pool open a connection per waiting session, the listen backlog
/// overflows, SYN retries stall requests for seconds and the load collapses.
/// Waiting for a slot happens before `sent`, so it shows up as scheduling lateness.
#[derive(Debug, Clone)]
pub(crate) struct ChatClient {
    backend: Backend,
    target: Target,
    max_body: usize,
    slots: Arc<Semaphore>,
    observed: Arc<transport::Observed>,
    cookies: bool,
    budget: Arc<budget::BodyBudget>,
    request_timeout: Duration,
    /// The `Host` header, built once (None over HTTP/2: `:authority` carries it).
    host: Option<reqwest::header::HeaderValue>,
}

impl ChatClient {
    /// Build the shared client (`request_timeout` bounds each whole request) with custom
    /// `headers` on every request (mark secret values sensitive) and TLS, HTTP/2, proxy
    /// and cookie options.
    pub(crate) fn with_transport(
        target: Target,
        request_timeout: Duration,
        max_body: usize,
        max_connections: usize,
        headers: reqwest::header::HeaderMap,
        transport: &transport::Transport,
    ) -> anyhow::Result<Self> {
        let https = target.is_https();
        let http = http::Http::new(&target, request_timeout, headers, transport)?;
        let mut client = Self::with_http(target, http, request_timeout, max_body, max_connections);
        client.cookies = transport.cookies;
        if transport.offers_http2(https) {
            client.host = None;
        }
        Ok(client)
    }

    /// A client over an HTTP client built elsewhere (its own connector, say);
    /// `request_timeout` bounds each request (a reqwest client's should be the one
    /// it was built with).
    pub(crate) fn with_http(
        target: Target,
        http: http::Http,
        request_timeout: Duration,
        max_body: usize,
        max_connections: usize,
    ) -> Self {
        ChatClient {
            backend: Backend::Http(http),
            max_body,
            slots: Arc::new(Semaphore::new(max_connections.max(1))),
            observed: Arc::default(),
            cookies: false,
            budget: Arc::default(),
            request_timeout,
            host: target_host(&target),
            target,
        }
    }

    /// A client whose requests go to `responder` instead of the network.
    #[cfg(test)]
    pub(crate) fn with_responder(target: Target, responder: Arc<dyn Responder>) -> Self {
        ChatClient {
            backend: Backend::Fake(responder),
            target,
            max_body: 1 << 20,
            slots: Arc::new(Semaphore::new(Semaphore::MAX_PERMITS)),
            observed: Arc::default(),
            cookies: false,
            budget: Arc::default(),
            request_timeout: Duration::from_secs(30),
            host: None,
        }
    }

    /// Buffer at most `bytes` of response bodies at once across all requests
    /// (default: no limit beyond `max_body` per request).
    pub(crate) fn with_body_budget(mut self, bytes: usize) -> Self {
        self.budget = Arc::new(budget::BodyBudget::new(bytes));
        self
    }

    /// This client's connection pool with the run-wide parts of `run`: its cap on requests
    /// in flight, what it observed and its body budget (a session runtime's own client).
    pub(crate) fn sharing(mut self, run: &ChatClient) -> Self {
        self.slots = run.slots.clone();
        self.observed = run.observed.clone();
        self.budget = run.budget.clone();
        self
    }

    /// True when each session keeps a cookie jar.
    pub(crate) fn cookies(&self) -> bool {
        self.cookies
    }

    /// What the client observed (HTTP versions, TLS failure reasons).
    pub(crate) fn observed(&self) -> &transport::Observed {
        &self.observed
    }

    /// URL and body of a call (pure).
    pub(crate) fn build(&self, id: &Identity, call: &Call<'_>) -> (Address, String) {
        match self.target.dialect {
            Dialect::GmsV2 => gms_v2::build(&self.target, id, call),
            Dialect::WebApi => webapi::build(&self.target, id, call),
        }
    }

    /// Wait for a connection slot (held until the permit drops).
    pub(crate) async fn slot(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        // The semaphore is never closed; a failed acquire would only skip the cap.
        self.slots.acquire().await.ok()
    }

    /// Send a built call and classify the answer, for a caller that holds a
    /// [`ChatClient::slot`]; with the session's cookie jar, its cookies go out and the
    /// answer's `Set-Cookie` come back into it.
    pub(crate) async fn send_in_slot(
        &self,
        url: Address,
        body: String,
        jar: Option<&cookies::Jar>,
    ) -> Reply {
        let sent = Instant::now();
        let mut waited = Duration::ZERO;
        let (outcome, envelope) = match &self.backend {
            Backend::Http(http::Http::Direct(direct)) => {
                let deadline = sent + self.request_timeout;
                let send = self.send_direct(direct, url, body, jar, deadline, &mut waited);
                match tokio::time::timeout_at(deadline, send).await {
                    Ok(answer) => answer,
                    Err(_) => {
                        let kind = TransportErrorKind::Timeout;
                        self.observed.note(kind, "timed out".to_string());
                        (Outcome::Transport(kind), None)
                    }
                }
            }
            Backend::Http(http::Http::Proxied(proxied)) => match url.to_url() {
                Ok(url) => {
                    self.send_proxied(proxied, url, body, jar, sent, &mut waited)
                        .await
                }
                Err(e) => {
                    let kind = TransportErrorKind::Connect;
                    self.observed.note(kind, format!("bad request URL: {e}"));
                    (Outcome::Transport(kind), None)
                }
            },
            #[cfg(test)]
            Backend::Fake(r) => match r.respond(url.as_str(), &body).await {
                Ok((status, text)) => classify(status, text.as_bytes()),
                Err(kind) => (Outcome::Transport(kind), None),
            },
        };
        Reply {
            outcome,
            envelope,
            sent,
            done: Instant::now() - waited,
            generator_wait: waited,
        }
    }

    /// The request's own headers: content type, `Host`, the session's cookies.
    fn headers(&self, cookie: Option<HeaderValue>) -> HeaderMap {
        let mut headers = HeaderMap::with_capacity(8);
        // Static: no copy of the value per request.
        let content_type = HeaderValue::from_static(self.target.dialect.content_type());
        headers.insert(CONTENT_TYPE, content_type);
        // The value hyper would format per request (`host:port`), shared instead.
        if let Some(host) = &self.host {
            headers.insert(HOST, host.clone());
        }
        if let Some(cookie) = cookie {
            headers.insert(COOKIE, cookie);
        }
        headers
    }

    /// Send on hyper-util's pool (the caller bounds it by the request timeout).
    async fn send_direct(
        &self,
        direct: &http::Direct,
        url: Address,
        body: String,
        jar: Option<&cookies::Jar>,
        deadline: Instant,
        waited: &mut Duration,
    ) -> (Outcome, Option<Envelope>) {
        let uri = match direct.uri(url) {
            Ok(uri) => uri,
            Err(e) => return (Outcome::Transport(self.observed.classify(&e)), None),
        };
        // Redirects are not followed: the answer comes from the request's URI. A jar
        // matches cookies on a parsed URL, parsed only when it holds cookies or gets some.
        let url = || url::Url::parse(&uri.to_string()).ok();
        let jar = jar.map(|j| (j, &url as cookies::UrlOf<'_>));
        let cookie = jar.and_then(|(j, url)| j.header_for(url));
        // Shared, not copied: a request hyper gives back unsent goes again.
        let body = Bytes::from(body);
        let mut answer = self
            .post_direct(direct, uri.clone(), body.clone(), cookie.clone())
            .await;
        if answer.as_ref().is_err_and(|e| not_sent(e)) {
            // Once: the target never saw the first; not a target error.
            self.observed.stale_connection();
            answer = self.post_direct(direct, uri.clone(), body, cookie).await;
        }
        match answer {
            Ok(resp) => self.answer(resp, jar, deadline, waited).await,
            Err(e) => (Outcome::Transport(self.observed.classify(&e)), None),
        }
    }

    /// POST `body` to `uri` with the session's cookies, on hyper-util's pool.
    fn post_direct(
        &self,
        direct: &http::Direct,
        uri: hyper::Uri,
        body: Bytes,
        cookie: Option<HeaderValue>,
    ) -> hyper_util::client::legacy::ResponseFuture {
        let mut headers = self.headers(cookie);
        direct.complete(&mut headers);
        direct.post(uri, headers, body)
    }

    /// Send through reqwest (a proxied run); reqwest bounds it by the request timeout.
    async fn send_proxied(
        &self,
        http: &reqwest::Client,
        url: reqwest::Url,
        body: String,
        jar: Option<&cookies::Jar>,
        sent: Instant,
        waited: &mut Duration,
    ) -> (Outcome, Option<Envelope>) {
        // Shared, not copied: a request reqwest gives back unsent goes again.
        let body = Bytes::from(body);
        let mut answer = self.post(http, url, body.clone(), jar).await;
        if let Err(e) = &answer {
            if let Some(url) = e.url().filter(|_| not_sent(e)).cloned() {
                // Once: the target never saw the first; not a target error.
                self.observed.stale_connection();
                answer = self.post(http, url, body, jar).await;
            }
        }
        match answer {
            Ok(resp) => {
                // Redirects are not followed: the answer's URL is the request's.
                let url = resp.url().clone();
                let url = || Some(url.clone());
                let jar = jar.map(|j| (j, &url as cookies::UrlOf<'_>));
                let resp = hyper::http::Response::from(resp);
                let deadline = sent + self.request_timeout;
                self.answer(resp, jar, deadline, waited).await
            }
            Err(e) => (Outcome::Transport(self.observed.classify(&e)), None),
        }
    }

    /// POST `body` to `url` with the session's cookies, through reqwest.
    async fn post(
        &self,
        http: &reqwest::Client,
        url: reqwest::Url,
        body: Bytes,
        jar: Option<&cookies::Jar>,
    ) -> reqwest::Result<reqwest::Response> {
        let cookie = jar.and_then(|j| j.header_for(&|| Some(url.clone())));
        let headers = self.headers(cookie);
        http.post(url).headers(headers).body(body).send().await
    }

    /// Note an answer's HTTP version and cookies, then read and classify it;
    /// `waited` gets the time spent waiting for body budget (at most until
    /// `deadline`, the request's timeout).
    async fn answer<B>(
        &self,
        resp: hyper::http::Response<B>,
        jar: Option<(&cookies::Jar, cookies::UrlOf<'_>)>,
        deadline: Instant,
        waited: &mut Duration,
    ) -> (Outcome, Option<Envelope>)
    where
        B: hyper::body::Body<Data = Bytes> + Unpin,
        B::Error: std::error::Error + 'static,
    {
        self.observed.version(resp.version());
        if let Some((jar, url)) = jar {
            jar.store_from(url, resp.headers());
        }
        let status = resp.status().as_u16();
        // The reservation (`_held`) lasts until the body is classified and dropped.
        let budget = Some((self.budget.as_ref(), deadline));
        let (read, wait) =
            body::read_body(resp.into_body(), self.max_body, &self.observed, budget).await;
        *waited = wait;
        let (body, _held) = match read {
            Ok(read) => read,
            Err(TransportErrorKind::BodyTooLarge) => return self.too_large(),
            Err(TransportErrorKind::BodyBudget) => return self.no_budget(),
            Err(kind) => return (Outcome::Transport(kind), None),
        };
        let (outcome, envelope) = classify(status, &body);
        match outcome {
            Outcome::Transport(kind) => self.observed.note(kind, classify::decode_error(&body)),
            // Counted as `http_status` by metrics: say which status it was.
            Outcome::Response {
                status_code: None,
                http_status,
                ..
            } if !(200..300).contains(&http_status) => {
                let reason = reqwest::StatusCode::from_u16(http_status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("");
                let text = format!("HTTP {http_status} {reason} without an envelope");
                self.observed.note(TransportErrorKind::HttpStatus, text);
            }
            Outcome::Response { .. } => {}
        }
        (outcome, envelope)
    }

    fn too_large(&self) -> (Outcome, Option<Envelope>) {
        let kind = TransportErrorKind::BodyTooLarge;
        let limit = self.max_body;
        self.observed
            .note(kind, format!("body over max_body_bytes ({limit} bytes)"));
        (Outcome::Transport(kind), None)
    }

    fn no_budget(&self) -> (Outcome, Option<Envelope>) {
        let kind = TransportErrorKind::BodyBudget;
        let why = "the bodies in flight filled max_buffered_body_bytes until the request timeout";
        self.observed.note(kind, why.to_string());
        (Outcome::Transport(kind), None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_header_is_the_one_hyper_would_write() {
        for (base, host) in [
            ("http://127.0.0.1:8080", "127.0.0.1:8080"),
            ("http://gms.example:80/", "gms.example"),
            ("https://[::1]:443", "[::1]"),
            ("https://user:pw@[::1]:9443", "[::1]:9443"),
        ] {
            let t = Target::new(Dialect::GmsV2, base, "svc", "T", "").unwrap();
            assert_eq!(target_host(&t).unwrap(), host, "{base}");
        }
    }
}
