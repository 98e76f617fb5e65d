//! The flags and scenario fields that reach a real deployment -> a validated
//! [`Transport`] (TLS files read and checked, proxy chosen, cookies) and the
//! customers file (indexed). Every problem is a [`UsageError`] before any request.
//!
//! Paths in the scenario file are relative to the file's directory; paths
//! given as flags are relative to the working directory.

use super::Src;
use crate::cli::{RunArgs, TargetArgs};
use crate::engine::client::tls::{self, TlsSettings};
use crate::engine::client::transport::{self, ProxyChoice, Transport};
use crate::engine::customers::{CustomerData, Order};
use crate::engine::messages::MessageLines;
use crate::engine::scenario::Scenario;
use crate::error::UsageError;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use toml::Spanned;

/// A path from a flag, else from the scenario (relative to the file), with its field name.
fn path_of(
    src: &Src<'_>,
    flag: Option<&PathBuf>,
    flag_name: &str,
    file: Option<&Spanned<String>>,
    field: &str,
) -> Option<(PathBuf, String)> {
    if let Some(p) = flag {
        return Some((p.clone(), format!("--{flag_name}")));
    }
    let v = file?;
    let raw = Path::new(v.get_ref());
    let dir = src
        .file
        .and_then(|f| Path::new(&f.path).parent().map(Path::to_path_buf));
    let path = match dir {
        Some(d) if raw.is_relative() => d.join(raw),
        _ => raw.to_path_buf(),
    };
    Some((path, src.at(field, v)))
}

/// TLS, HTTP/2, proxy and cookies. `env` reads environment variables.
pub(super) fn build_transport(
    flags: &TargetArgs,
    sc: &Scenario,
    src: &Src<'_>,
    target: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
    warnings: &mut Vec<String>,
) -> Result<Transport, UsageError> {
    let t = sc.tls.as_ref();
    let mut settings = TlsSettings {
        insecure: flags.insecure
            || t.and_then(|t| t.insecure.as_ref())
                .is_some_and(|v| *v.get_ref()),
        http2: flags.http2 || sc.http2.as_ref().is_some_and(|v| *v.get_ref()),
        ..TlsSettings::default()
    };
    let ca = path_of(
        src,
        flags.cacert.as_ref(),
        "cacert",
        t.and_then(|t| t.ca_file.as_ref()),
        "tls.ca_file",
    );
    if let Some((path, field)) = ca {
        let certs = tls::read_certs(&path, "CA file")
            .map_err(|e| UsageError::new(format!("{field}: {e}")))?;
        if settings.insecure {
            warnings.push(format!(
                "{field} is given with --insecure: certificates are not verified at all, so the CA file has no effect"
            ));
        }
        settings.ca_file = Some((path, certs));
    }
    let cert = path_of(
        src,
        flags.client_cert.as_ref(),
        "client-cert",
        t.and_then(|t| t.client_cert.as_ref()),
        "tls.client_cert",
    );
    let key = path_of(
        src,
        flags.client_key.as_ref(),
        "client-key",
        t.and_then(|t| t.client_key.as_ref()),
        "tls.client_key",
    );
    settings.client = match (cert, key) {
        (Some((cert, field)), Some((key, _))) => Some(
            tls::read_identity(&cert, &key)
                .map_err(|e| UsageError::new(format!("{field}: {e}")))?,
        ),
        (Some((_, field)), None) => {
            return Err(UsageError::new(format!(
            "{field}: a client certificate needs its key; add --client-key FILE (tls.client_key)"
        )))
        }
        (None, Some((_, field))) => {
            return Err(UsageError::new(format!(
            "{field}: a client key needs its certificate; add --client-cert FILE (tls.client_cert)"
        )))
        }
        (None, None) => None,
    };
    if let Some(name) = t.and_then(|t| t.server_name.as_ref()) {
        tls::check_server_name(name.get_ref()).map_err(|e| src.err("tls.server_name", name, &e))?;
        settings.server_name = Some(name.get_ref().clone());
    }
    let target_url = target.and_then(|t| url::Url::parse(t).ok());
    let https = target_url.as_ref().is_some_and(|u| u.scheme() == "https");
    let tls_given = settings.insecure
        || settings.ca_file.is_some()
        || settings.client.is_some()
        || settings.server_name.is_some()
        || settings.http2;
    if tls_given && !https {
        warnings.push(
            "TLS options (--cacert, --client-cert, --insecure, --http2, [tls]) apply to https targets only; this target is not https, so they are ignored".into(),
        );
    }
    if settings.insecure && https {
        warnings.push(
            "--insecure: the target's certificate is NOT verified; this run is recorded as insecure".into(),
        );
    }
    let proxy = build_proxy(flags, sc, src, target_url.as_ref(), env)?;
    let cookies = sc.cookies.as_ref().is_none_or(|v| *v.get_ref());
    Ok(Transport {
        tls: settings,
        proxy,
        cookies,
    })
}

fn build_proxy(
    flags: &TargetArgs,
    sc: &Scenario,
    src: &Src<'_>,
    target: Option<&url::Url>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ProxyChoice, UsageError> {
    let (value, field) = match (&flags.proxy, &sc.proxy) {
        (Some(p), _) => (p.clone(), "--proxy".to_string()),
        (None, Some(p)) => (p.get_ref().clone(), src.at("proxy", p)),
        (None, None) => {
            let embedded = url::Url::parse("http://127.0.0.1/").ok();
            return Ok(match target.or(embedded.as_ref()) {
                Some(t) => transport::from_env(t, env),
                None => ProxyChoice::Direct,
            });
        }
    };
    let value = value.trim();
    if value.eq_ignore_ascii_case("none") {
        return Ok(ProxyChoice::Direct);
    }
    let shown = transport::redact_url(value);
    let scheme_ok = value.starts_with("http://") || value.starts_with("https://");
    if !scheme_ok {
        let example = if value.contains("://") {
            "only http:// and https:// proxies are supported".to_string()
        } else {
            format!(
                "the URL has no scheme; write http://{}",
                value.rsplit('@').next().unwrap_or(value)
            )
        };
        return Err(UsageError::new(format!(
            "{field}: {example} (or \"none\" to ignore HTTPS_PROXY/HTTP_PROXY)"
        )));
    }
    if url::Url::parse(value).map_or(true, |u| u.host_str().is_none_or(str::is_empty)) {
        return Err(UsageError::new(format!(
            "{field}: '{shown}' is not a proxy URL; e.g. http://proxy.example.com:3128"
        )));
    }
    Ok(ProxyChoice::Via {
        url: value.to_string(),
        no_proxy: env("no_proxy").or_else(|| env("NO_PROXY")),
    })
}

/// `--customers FILE` / `[customer.data]`: the indexed file, or None.
pub(super) fn build_customers(
    args: &RunArgs,
    sc: &Scenario,
    src: &Src<'_>,
) -> Result<Option<Arc<CustomerData>>, UsageError> {
    let data = sc.customer.data.as_ref();
    let order = match data.and_then(|d| d.order.as_ref()) {
        None => Order::Sequential,
        Some(o) => match o.get_ref().as_str() {
            "sequential" => Order::Sequential,
            "random" => Order::Random,
            other => {
                return Err(src.err(
                    "customer.data.order",
                    o,
                    &format!("unknown order '{other}'; use sequential or random"),
                ))
            }
        },
    };
    let file = data.and_then(|d| d.file.as_ref());
    let Some((path, _)) = path_of(
        src,
        args.reach.customers.as_ref(),
        "customers",
        file,
        "customer.data.file",
    ) else {
        if let Some(o) = data.and_then(|d| d.order.as_ref()) {
            return Err(src.err(
                "customer.data.order",
                o,
                "needs a customers file; add file = \"customers.csv\" to [customer.data] or give --customers",
            ));
        }
        return Ok(None);
    };
    CustomerData::load(&path, order)
        .map(|d| Some(Arc::new(d)))
        .map_err(UsageError::new)
}

/// `--messages-file FILE` / `[customer.data] messages`: the texts, or None.
pub(super) fn build_messages(
    args: &RunArgs,
    sc: &Scenario,
    src: &Src<'_>,
) -> Result<Option<Arc<MessageLines>>, UsageError> {
    let file = sc.customer.data.as_ref().and_then(|d| d.messages.as_ref());
    let Some((path, _)) = path_of(
        src,
        args.reach.messages_file.as_ref(),
        "messages-file",
        file,
        "customer.data.messages",
    ) else {
        return Ok(None);
    };
    MessageLines::load(&path)
        .map(|m| Some(Arc::new(m)))
        .map_err(UsageError::new)
}
