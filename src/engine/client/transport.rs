//! How the shared HTTP client reaches the target: TLS (see `tls`), HTTP/2,
//! proxy and cookies; and what it observed on the way (the HTTP versions
//! answered with, the first distinct error texts per transport kind).
//!
//! Proxy rules (like curl): `HTTPS_PROXY` for https targets, `HTTP_PROXY` for
//! http targets, `ALL_PROXY` for both (lower-case names first, and unlike curl
//! the upper-case `HTTP_PROXY` too: chatload is no CGI program), `NO_PROXY`
//! excludes hosts (`*`, names, `.domain`, IPs, CIDRs). `proxy = URL` in the
//! scenario replaces the environment's proxy, `proxy = "none"` ignores it.
//! A loopback target (127.0.0.0/8, ::1, `localhost`) is never proxied by the
//! environment; an explicit `proxy = URL` is the user's choice and is used
//! even for loopback (still subject to `NO_PROXY`), which is how the tests
//! drive a real CONNECT proxy on 127.0.0.1.

use super::samples::Samples;
use super::tls::TlsSettings;
use crate::metrics::TransportErrorKind;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};

/// Where requests go through (`Debug` never shows the proxy's credentials).
#[derive(Clone, Default, PartialEq, Eq)]
pub enum ProxyChoice {
    /// Straight to the target.
    #[default]
    Direct,
    /// Through this proxy (`http://` or `https://`, may carry credentials).
    Via {
        /// Proxy URL (credentials are secrets: never shown, see [`redact_url`]).
        url: String,
        /// `NO_PROXY` list.
        no_proxy: Option<String>,
    },
}

impl std::fmt::Debug for ProxyChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProxyChoice::Direct => f.write_str("Direct"),
            ProxyChoice::Via { url, no_proxy } => f
                .debug_struct("Via")
                .field("url", &redact_url(url))
                .field("no_proxy", no_proxy)
                .finish(),
        }
    }
}

/// The transport options of a run.
#[derive(Debug, Clone, Default)]
pub struct Transport {
    /// TLS settings (used for https targets).
    pub tls: TlsSettings,
    /// Proxy.
    pub proxy: ProxyChoice,
    /// Keep one cookie jar per session.
    pub cookies: bool,
    /// Idle time after which a pooled connection is not reused (None: [`super::POOL_IDLE_TIMEOUT`]).
    pub pool_idle_timeout: Option<std::time::Duration>,
}

impl Transport {
    /// HTTP/2 is offered (by ALPN) only on an https target with `http2`; never h2c.
    pub(crate) fn offers_http2(&self, https: bool) -> bool {
        https && self.tls.http2
    }
}

/// `scheme://host:port` of a URL without user name, password, path or query.
pub(crate) fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(u) => {
            let host = u.host_str().unwrap_or("");
            match u.port() {
                Some(p) => format!("{}://{host}:{p}", u.scheme()),
                None => format!("{}://{host}", u.scheme()),
            }
        }
        Err(_) => "<unparsable URL>".into(),
    }
}

/// True when `target` addresses this machine (never proxied by the environment).
pub(crate) fn is_loopback(target: &url::Url) -> bool {
    match target.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// The proxy the environment gives for `target` (curl's variables), with `NO_PROXY`.
pub(crate) fn from_env(target: &url::Url, var: &dyn Fn(&str) -> Option<String>) -> ProxyChoice {
    let get = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| var(n).filter(|v| !v.trim().is_empty()))
    };
    let proxy = match target.scheme() {
        "https" => get(&["https_proxy", "HTTPS_PROXY"]),
        _ => get(&["http_proxy", "HTTP_PROXY"]),
    }
    .or_else(|| get(&["all_proxy", "ALL_PROXY"]));
    match proxy {
        Some(url) if !is_loopback(target) => ProxyChoice::Via {
            url: with_scheme(url.trim()),
            no_proxy: get(&["no_proxy", "NO_PROXY"]),
        },
        _ => ProxyChoice::Direct,
    }
}

/// curl reads a proxy variable without a scheme as `http://`.
fn with_scheme(url: &str) -> String {
    if url.contains("://") {
        url.to_string()
    } else {
        format!("http://{url}")
    }
}

/// Apply the proxy choice to a client builder (the environment is never read here).
pub(crate) fn apply_proxy(
    builder: reqwest::ClientBuilder,
    choice: &ProxyChoice,
) -> anyhow::Result<reqwest::ClientBuilder> {
    let builder = builder.no_proxy();
    Ok(match choice {
        ProxyChoice::Direct => builder,
        ProxyChoice::Via { url, no_proxy } => {
            let proxy = reqwest::Proxy::all(url.as_str())
                .map_err(|_| anyhow::anyhow!("bad proxy URL '{}'", redact_url(url)))?
                .no_proxy(no_proxy.as_deref().and_then(reqwest::NoProxy::from_string));
            builder.proxy(proxy)
        }
    })
}

/// What the client saw: HTTP versions of the answers and the first error texts per
/// transport kind (TLS failure reasons among them).
#[derive(Debug, Default)]
pub(crate) struct Observed {
    versions: AtomicU8,
    samples: Samples,
    stale: AtomicU64,
}

const VERSIONS: [(reqwest::Version, &str); 4] = [
    (reqwest::Version::HTTP_10, "HTTP/1.0"),
    (reqwest::Version::HTTP_11, "HTTP/1.1"),
    (reqwest::Version::HTTP_2, "HTTP/2"),
    (reqwest::Version::HTTP_3, "HTTP/3"),
];

impl Observed {
    /// Note the HTTP version of one answer.
    pub(crate) fn version(&self, v: reqwest::Version) {
        if let Some(i) = VERSIONS.iter().position(|(x, _)| *x == v) {
            self.versions.fetch_or(1 << i, Ordering::Relaxed);
        }
    }

    /// The HTTP versions answered with, e.g. `["HTTP/2"]`.
    pub(crate) fn versions(&self) -> Vec<String> {
        let bits = self.versions.load(Ordering::Relaxed);
        VERSIONS
            .iter()
            .enumerate()
            .filter(|(i, _)| bits & (1 << i) != 0)
            .map(|(_, (_, name))| (*name).to_string())
            .collect()
    }

    /// Note one request sent again because its connection closed before it was written.
    pub(crate) fn stale_connection(&self) {
        self.stale.fetch_add(1, Ordering::Relaxed);
    }

    /// Requests sent again because their connection closed before they were written.
    pub(crate) fn stale_connections(&self) -> u64 {
        self.stale.load(Ordering::Relaxed)
    }

    /// The first distinct error texts by transport kind.
    pub(crate) fn samples(&self) -> std::collections::BTreeMap<String, Vec<String>> {
        self.samples.get()
    }

    /// Keep an error text for `kind` (see [`Samples::note`]).
    pub(crate) fn note(&self, kind: TransportErrorKind, text: String) {
        self.samples.note(kind, text);
    }

    /// Classify a request that produced no answer; a TLS cause wins over `connect`.
    pub(crate) fn classify(&self, e: &(dyn std::error::Error + 'static)) -> TransportErrorKind {
        let (kind, text) = match super::tls::tls_reason(e) {
            Some(reason) => (TransportErrorKind::Tls, reason),
            None => (super::classify_error(e), super::samples::error_text(e)),
        };
        self.samples.note(kind, text);
        kind
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    fn u(s: &str) -> url::Url {
        url::Url::parse(s).unwrap()
    }

    #[test]
    fn environment_proxies_follow_curl() {
        let vars = [
            ("HTTPS_PROXY", "proxy.corp:3128"),
            ("NO_PROXY", ".internal"),
        ];
        assert_eq!(
            from_env(&u("https://gms.example.com"), &env(&vars)),
            ProxyChoice::Via {
                url: "http://proxy.corp:3128".into(),
                no_proxy: Some(".internal".into())
            }
        );
        // HTTPS_PROXY does not apply to http targets; HTTP_PROXY does.
        assert_eq!(
            from_env(&u("http://gms.example.com"), &env(&vars)),
            ProxyChoice::Direct
        );
        assert!(matches!(
            from_env(
                &u("http://gms.example.com"),
                &env(&[("HTTP_PROXY", "http://p:1")])
            ),
            ProxyChoice::Via { .. }
        ));
        assert!(matches!(
            from_env(
                &u("http://gms.example.com"),
                &env(&[("ALL_PROXY", "http://p:1")])
            ),
            ProxyChoice::Via { .. }
        ));
    }

    #[test]
    fn loopback_is_never_proxied_by_the_environment() {
        let vars = [("HTTPS_PROXY", "http://p:1"), ("http_proxy", "http://p:1")];
        for t in [
            "https://127.0.0.1:9",
            "http://[::1]:9",
            "http://localhost:9",
        ] {
            assert_eq!(from_env(&u(t), &env(&vars)), ProxyChoice::Direct, "{t}");
        }
    }

    #[test]
    fn redaction_drops_credentials_and_paths() {
        assert_eq!(
            redact_url("http://user:s3cret@proxy:3128/x?y"),
            "http://proxy:3128"
        );
        let via = ProxyChoice::Via {
            url: "http://user:s3cret@proxy:3128".into(),
            no_proxy: None,
        };
        assert!(!format!("{via:?}").contains("s3cret"));
    }

    #[test]
    fn versions_are_recorded_once_each() {
        let o = Observed::default();
        o.version(reqwest::Version::HTTP_2);
        o.version(reqwest::Version::HTTP_2);
        o.version(reqwest::Version::HTTP_11);
        assert_eq!(o.versions(), ["HTTP/1.1", "HTTP/2"]);
    }
}
