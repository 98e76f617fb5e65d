//! How the target was reached, in the HTML report: a `connection` fact in the
//! header (HTTP version, TLS verification, proxy, cookies, customers), a
//! warning banner when TLS verification was off (`--insecure`), and the TLS
//! failure reasons next to the `tls` transport errors.

use super::explain;
use crate::report::model::{ScenarioInfo, Summary};
use std::fmt::Write as _;

/// One line: e.g. `HTTP/2 over TLS (verified), direct, cookies on, 1,000 customers from c.csv`.
pub(super) fn connection(sc: &ScenarioInfo) -> String {
    let r = &sc.reach;
    let http = if r.http.versions.is_empty() {
        "no answer".to_string()
    } else {
        r.http.versions.join(" + ")
    };
    let tls = match &r.tls {
        None => "plain".to_string(),
        Some(t) if t.insecure => "TLS NOT VERIFIED (--insecure)".to_string(),
        Some(t) => {
            let mut s = "TLS (verified".to_string();
            if let Some(n) = &t.server_name {
                let _ = write!(s, " as {n}");
            }
            if t.client_cert.is_some() {
                s.push_str(", client certificate");
            }
            s.push(')');
            s
        }
    };
    let proxy = match &r.proxy {
        // host:port only (the page shows no URL schemes but the target's).
        Some(p) => format!(
            "proxy {}",
            p.split_once("://").map_or(p.as_str(), |(_, hp)| hp)
        ),
        None => "direct".into(),
    };
    let mut line = format!(
        "{http} {tls}, {proxy}, cookies {}",
        if r.cookies { "on" } else { "off" }
    );
    if let Some(c) = &r.customers {
        let _ = write!(line, ", {} customers from {} ({})", c.rows, c.file, c.order);
    }
    line
}

/// The banner of a run whose TLS certificates were not verified.
pub(super) fn insecure_banner(sc: &ScenarioInfo, out: &mut String) {
    if sc.reach.tls.as_ref().is_some_and(|t| t.insecure) {
        let _ = writeln!(
            out,
            r#"<p class="banner warn" data-insecure="true">TLS verification was OFF (--insecure): the target's certificate was not checked. Do not read this run as a verified one.</p>"#
        );
    }
}

/// What a transport kind means, with its sampled reasons (e.g. TLS failures).
pub(super) fn with_samples(s: &Summary, kind: &str) -> String {
    let meaning = explain::transport_error(kind);
    match s.transport_error_samples.get(kind) {
        Some(reasons) if !reasons.is_empty() => {
            format!("{meaning} Reasons: {}.", reasons.join("; "))
        }
        _ => meaning.to_string(),
    }
}
