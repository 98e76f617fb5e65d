//! The request path's HTTP client (issue 15): hyper-util's pooled legacy
//! `Client` on hyper 1, driven directly, with each request built once as an
//! `http::Request` (no `Url` round trip: reqwest's redirect layer and its
//! pending request each re-parsed the URL, 23 % of a poll's instructions).
//!
//! Plain http, and https through hyper-rustls with the rustls config of `tls`
//! (private CAs, client certificates, `--insecure`, ALPN `h2` only with
//! `--http2`); an HTTP/1 keep-alive pool with the idle timeout of
//! [`super::POOL_IDLE_TIMEOUT`]; HTTP/2 by ALPN. What reqwest added on its
//! own is added here once: `Accept: */*`, Basic auth from the URL's userinfo,
//! the custom headers (a request's own header wins), the whole-request
//! timeout (the caller's deadline).
//!
//! A run through a proxy keeps reqwest ([`Http::Proxied`]): its CONNECT
//! tunnel, absolute-form forwarding, proxy credentials and `NO_PROXY` rules.

use super::tls;
use super::transport::{self, Transport};
use super::Target;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION};
use hyper::http::uri::{Authority, PathAndQuery, Scheme};
use hyper::{Request, Uri};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::{Client, ResponseFuture};
use hyper_util::rt::{TokioExecutor, TokioTimer};
use std::time::Duration;

/// A request body: the form, shared (a request given back unsent goes again).
pub(crate) type Body = Full<Bytes>;

/// How the requests of a run go out.
#[derive(Clone)]
pub(crate) enum Http {
    /// hyper-util's pool, straight (boxed: the pool's handle is ~500 bytes).
    Direct(Box<Direct>),
    /// reqwest, for runs through a proxy.
    Proxied(reqwest::Client),
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Http::Direct(_) => f.write_str("Direct"),
            Http::Proxied(_) => f.write_str("Proxied"),
        }
    }
}

impl Http {
    /// The client of a run against `target`: direct unless a proxy is chosen.
    pub(crate) fn new(
        target: &Target,
        request_timeout: Duration,
        headers: HeaderMap,
        transport: &Transport,
    ) -> anyhow::Result<Http> {
        let https = target.is_https();
        if transport.proxy != transport::ProxyChoice::Direct {
            let client = super::http_client(request_timeout, headers, https, transport)?;
            return Ok(Http::Proxied(client));
        }
        let idle = transport
            .pool_idle_timeout
            .unwrap_or(super::POOL_IDLE_TIMEOUT);
        let http = connector(request_timeout);
        let pool = if https {
            let config = tls::client_config(&transport.tls)?;
            Pool::Tls(builder(idle).build(HttpsConnector::from((http, config))))
        } else {
            Pool::Plain(builder(idle).build(http))
        };
        Ok(Http::Direct(Box::new(Direct::new(target, pool, headers))))
    }
}

/// The connector: TCP with no delay, the keep-alive probes reqwest set, a connect timeout.
fn connector(timeout: Duration) -> HttpConnector {
    let mut http = HttpConnector::new();
    // The https connector wraps it; it checks the scheme.
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(timeout));
    http.set_keepalive(Some(Duration::from_secs(15)));
    http.set_keepalive_interval(Some(Duration::from_secs(15)));
    http.set_keepalive_retries(Some(3));
    http
}

/// The pool's settings: idle connections closed after `idle`, no cap on idle ones
/// (`--max-connections` caps requests in flight, see `ChatClient`).
fn builder(idle: Duration) -> hyper_util::client::legacy::Builder {
    let mut b = Client::builder(TokioExecutor::new());
    b.timer(TokioTimer::new())
        .pool_timer(TokioTimer::new())
        .pool_idle_timeout(idle)
        .pool_max_idle_per_host(usize::MAX);
    b
}

/// The pool, by connector.
#[derive(Clone)]
enum Pool {
    Plain(Client<HttpConnector, Body>),
    Tls(Client<HttpsConnector<HttpConnector>, Body>),
    /// A connector given by a test (one that forces a race, say).
    #[cfg(test)]
    Custom(Client<TestConnector, Body>),
}

/// A test's connector: any service that hands out TCP connections.
#[cfg(test)]
pub(crate) type TestConnector = tower::util::BoxCloneSyncService<
    Uri,
    hyper_util::rt::TokioIo<tokio::net::TcpStream>,
    Box<dyn std::error::Error + Send + Sync>,
>;

/// hyper-util's pool with what every request of the run carries, built once.
#[derive(Clone)]
pub(crate) struct Direct {
    pool: Pool,
    scheme: Scheme,
    /// `host[:port]` without userinfo (that goes in `Authorization`).
    authority: Authority,
    /// Headers every request carries: `Accept`, Basic auth, the custom ones.
    common: HeaderMap,
}

impl Direct {
    fn new(target: &Target, pool: Pool, custom: HeaderMap) -> Direct {
        let url = target.collection();
        let mut common = HeaderMap::with_capacity(2 + custom.len());
        common.insert(ACCEPT, HeaderValue::from_static("*/*"));
        if let Some(auth) = basic_auth(url) {
            common.insert(AUTHORIZATION, auth);
        }
        // As reqwest merged its default headers: the first value of each name.
        for (name, value) in &custom {
            if let hyper::header::Entry::Vacant(slot) = common.entry(name) {
                slot.insert(value.clone());
            }
        }
        Direct {
            pool,
            scheme: if url.scheme() == "https" {
                Scheme::HTTPS
            } else {
                Scheme::HTTP
            },
            authority: authority(url),
            common,
        }
    }

    /// A client over a test's connector, plain HTTP/1.
    #[cfg(test)]
    pub(crate) fn with_connector(target: &Target, connector: TestConnector) -> Direct {
        let pool = Pool::Custom(builder(super::POOL_IDLE_TIMEOUT).build(connector));
        Direct::new(target, pool, HeaderMap::new())
    }

    /// The request URI of `address` (one of the target's): its path and query, shared
    /// (no copy), after the run's scheme and authority.
    pub(crate) fn uri(&self, address: super::Address) -> Result<Uri, hyper::http::Error> {
        let path = PathAndQuery::from_maybe_shared(address.into_path())?;
        let mut parts = hyper::http::uri::Parts::default();
        parts.scheme = Some(self.scheme.clone());
        parts.authority = Some(self.authority.clone());
        parts.path_and_query = Some(path);
        Ok(Uri::from_parts(parts)?)
    }

    /// Add the run's common headers a request does not set itself.
    pub(crate) fn complete(&self, headers: &mut HeaderMap) {
        headers.reserve(self.common.len());
        for (name, value) in &self.common {
            if let hyper::header::Entry::Vacant(slot) = headers.entry(name) {
                slot.insert(value.clone());
            }
        }
    }

    /// Send a POST of `body` to `uri` with `headers` (complete: see [`Direct::complete`]).
    pub(crate) fn post(&self, uri: Uri, headers: HeaderMap, body: Bytes) -> ResponseFuture {
        let mut req = Request::new(Full::new(body));
        *req.method_mut() = hyper::Method::POST;
        *req.uri_mut() = uri;
        *req.headers_mut() = headers;
        match &self.pool {
            Pool::Plain(c) => c.request(req),
            Pool::Tls(c) => c.request(req),
            #[cfg(test)]
            Pool::Custom(c) => c.request(req),
        }
    }
}

/// `host[:port]` of `url` as reqwest sent it (IPv6 in brackets, default port left out).
fn authority(url: &url::Url) -> Authority {
    let host = url.host_str().unwrap_or_default();
    let text = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    };
    Authority::from_maybe_shared(Bytes::from(text))
        .unwrap_or_else(|_| Authority::from_static("localhost"))
}

/// `Authorization: Basic …` from the URL's userinfo, as reqwest sent it (sensitive).
fn basic_auth(url: &url::Url) -> Option<HeaderValue> {
    use base64::Engine;
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8()
            .ok()
            .map(|c| c.into_owned())
    };
    let user = decode(url.username())?;
    let password = url.password().and_then(decode);
    if user.is_empty() && password.is_none() {
        return None;
    }
    let pair = format!("{user}:{}", password.unwrap_or_default());
    let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
    let mut value = HeaderValue::from_str(&format!("Basic {encoded}")).ok()?;
    value.set_sensitive(true);
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Dialect;

    fn direct(base: &str) -> Direct {
        let t = Target::new(Dialect::GmsV2, base, "svc", "T", "").unwrap();
        let pool =
            Pool::Plain(builder(Duration::from_secs(1)).build(connector(Duration::from_secs(1))));
        Direct::new(&t, pool, HeaderMap::new())
    }

    #[test]
    fn the_uri_keeps_path_and_query_and_drops_userinfo() {
        let d = direct("https://alice:pw%20x@[::1]:9443");
        let url =
            url::Url::parse("https://alice:pw%20x@[::1]:9443/genesys/2/chat/svc/c%201/refresh?a=b")
                .unwrap();
        let uri = d.uri(url.into()).unwrap();
        assert_eq!(
            uri.to_string(),
            "https://[::1]:9443/genesys/2/chat/svc/c%201/refresh?a=b"
        );
        let auth = d.common.get(AUTHORIZATION).unwrap();
        assert!(auth.is_sensitive());
        // base64("alice:pw x")
        assert_eq!(auth, "Basic YWxpY2U6cHcgeA==");
        assert!(direct("http://127.0.0.1:80")
            .common
            .get(AUTHORIZATION)
            .is_none());
        assert_eq!(
            direct("http://127.0.0.1:80").authority.as_str(),
            "127.0.0.1"
        );
    }

    #[test]
    fn a_request_header_wins_over_a_common_one() {
        let t = Target::new(Dialect::GmsV2, "http://h:1", "svc", "T", "").unwrap();
        let pool =
            Pool::Plain(builder(Duration::from_secs(1)).build(connector(Duration::from_secs(1))));
        let mut custom = HeaderMap::new();
        custom.insert("x-api-key", HeaderValue::from_static("k"));
        custom.insert("cookie", HeaderValue::from_static("from-flag"));
        let d = Direct::new(&t, pool, custom);
        let mut h = HeaderMap::new();
        h.insert("cookie", HeaderValue::from_static("from-jar"));
        d.complete(&mut h);
        assert_eq!(h["cookie"], "from-jar");
        assert_eq!(h["x-api-key"], "k");
        assert_eq!(h["accept"], "*/*");
    }
}
