//! Flags that say where the Chat Server is and how to reach it, shared by
//! `chatload run` and `chatload conformance` (clap `#[command(flatten)]`):
//! target, dialect, paths, custom headers, TLS, HTTP/2 and proxy. Validated by
//! `engine::config` (run) and `engine::config::target_from_flags` (conformance).

use super::{dialects, HeaderArg};
use clap::Args;
use std::path::PathBuf;

/// Where the Chat Server is and how to reach it.
#[derive(Debug, Clone, Default, Args)]
pub struct TargetArgs {
    /// Target base URL (e.g. http://127.0.0.1:8080). `run` without it loads the embedded
    /// reference server.
    #[arg(long = "target", value_name = "URL", env = "CHATLOAD_TARGET")]
    pub url: Option<String>,
    /// Chat dialect: gms-v2 (alias gms) or webapi (alias web-api).
    #[arg(long, value_name = "DIALECT", env = "CHATLOAD_DIALECT", value_parser = dialects())]
    pub dialect: Option<String>,
    /// gms-v2 service name [default: customer-support].
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,
    /// webapi tenant name [default: Environment].
    #[arg(long, value_name = "NAME")]
    pub tenant: Option<String>,
    /// webapi base path prefix (e.g. /webapi).
    #[arg(long, value_name = "PATH")]
    pub webapi_prefix: Option<String>,
    /// Header sent on every request, repeatable: 'Name: value'. A value env:VAR is read
    /// from the environment variable VAR (e.g. --header 'apikey: env:GMS_APIKEY').
    #[arg(long = "header", short = 'H', value_name = "'NAME: VALUE'")]
    pub headers: Vec<HeaderArg>,
    /// PEM bundle of CA certificates to trust in addition to the system store (tls.ca_file).
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,
    /// Client certificate (PEM) for mutual TLS (tls.client_cert); needs --client-key.
    #[arg(long, value_name = "FILE")]
    pub client_cert: Option<PathBuf>,
    /// Private key (PEM) of the client certificate (tls.client_key).
    #[arg(long, value_name = "FILE")]
    pub client_key: Option<PathBuf>,
    /// Do not verify the target's certificate (recorded in the reports) (tls.insecure).
    #[arg(long)]
    pub insecure: bool,
    /// Offer HTTP/2 by ALPN on https targets (http2).
    #[arg(long)]
    pub http2: bool,
    /// Proxy URL for every request, or 'none' to ignore HTTPS_PROXY/HTTP_PROXY (proxy).
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
}
