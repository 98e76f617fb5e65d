//! What the report records about how the target was reached: the TLS settings
//! (`scenario.tls.insecure` above all), the HTTP versions asked for and used,
//! the proxy (without credentials), cookies and the customers file; and the
//! first distinct error texts per transport kind (`transport_error_samples`).

use crate::engine::client::transport::{redact_url, Observed, ProxyChoice};
use crate::engine::config::RunConfig;
use crate::engine::customers::Order;
use crate::report::model::{CustomersInfo, HttpInfo, ReachInfo, Summary, TlsInfo};

/// The scenario's reach facts, known before the run (`base` is the target URL used).
pub(super) fn info(cfg: &RunConfig, base: &str) -> ReachInfo {
    let t = &cfg.transport;
    let https = base.starts_with("https://");
    ReachInfo {
        tls: https.then(|| TlsInfo {
            insecure: t.tls.insecure,
            ca_file: t.tls.ca_file.as_ref().map(|(p, _)| p.display().to_string()),
            client_cert: t
                .tls
                .client
                .as_ref()
                .map(|c| c.cert_file.display().to_string()),
            server_name: t.tls.server_name.clone(),
        }),
        http: HttpInfo {
            http2_offered: t.offers_http2(https),
            versions: Vec::new(),
        },
        proxy: match &t.proxy {
            ProxyChoice::Direct => None,
            ProxyChoice::Via { url, .. } => Some(redact_url(url)),
        },
        cookies: t.cookies,
        customers: cfg.script.customers.as_ref().map(|d| CustomersInfo {
            file: d.path().display().to_string(),
            rows: d.rows() as u64,
            order: match d.order() {
                Order::Sequential => "sequential",
                Order::Random => "random",
            }
            .into(),
        }),
    }
}

/// Add what the client observed during the run.
pub(super) fn observed(summary: &mut Summary, seen: &Observed) {
    summary.scenario.reach.http.versions = seen.versions();
    summary.transport_error_samples = seen.samples();
    summary.generator.stale_connection = seen.stale_connections();
}
