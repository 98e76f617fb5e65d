//! `chatload serve`: flags (and an optional TOML file) → a validated
//! [`ServerConfig`], bind, serve until Ctrl-C / SIGTERM, print the counters.

use super::config::{parse_duration, DelaySpec, FaultRule, ServerConfig};
use super::{ReferenceServer, Stats};
use crate::cli::ServeArgs;
use crate::error::{Exit, UsageError};
use anyhow::Context;
use serde::Deserialize;
use std::fmt::Write as _;
use std::path::Path;

/// `chatload serve`.
pub async fn serve_command(args: ServeArgs) -> anyhow::Result<Exit> {
    let config = config_from_args(&args)?;
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("could not listen on '{}' (--listen)", args.listen))?;
    let addr = listener.local_addr()?;
    let server = ReferenceServer::new(config);
    let prefix = &server.config().webapi_prefix;
    eprintln!("chatload reference server listening on http://{addr}");
    eprintln!("  gms-v2: http://{addr}/genesys/2/chat/{{service}}");
    eprintln!("  webapi: http://{addr}{prefix}/api/v2/chats");
    eprintln!("  stats:  http://{addr}{}", super::STATS_PATH);
    eprintln!("press Ctrl-C to stop");
    server.serve(listener, shutdown_signal()).await?;
    print!("{}", render_table(&server.stats()));
    Ok(Exit::Success)
}

/// Resolve `--config` and the flags into one validated config.
pub fn config_from_args(args: &ServeArgs) -> Result<ServerConfig, UsageError> {
    let mut c = match &args.config {
        Some(path) => read_config(path)?,
        None => ServerConfig::default(),
    };
    let dur = |flag: &str, v: &str| {
        parse_duration(v).map_err(|e| UsageError::new(format!("--{flag}: {e}")))
    };
    if let Some(v) = &args.flex_disconnect_timeout {
        c.flex_disconnect_timeout = dur("flex-disconnect-timeout", v)?;
    }
    if let Some(v) = &args.webapi_prefix {
        c.webapi_prefix = v.clone();
    }
    if let Some(v) = args.seed {
        c.seed = v;
    }
    if args.no_agent {
        c.agent.enabled = false;
    }
    if let Some(v) = &args.agent_join_after {
        c.agent.join_after = dur("agent-join-after", v)?;
    }
    if let Some(v) = &args.agent_reply_after {
        c.agent.reply_after = v
            .parse::<DelaySpec>()
            .map_err(|e| UsageError::new(format!("--agent-reply-after: {e}")))?;
    }
    if let Some(n) = args.agent_end_after_messages {
        c.agent.end_after_messages = Some(n);
    }
    for spec in &args.faults {
        let rule: FaultRule = spec
            .parse()
            .map_err(|e| UsageError::new(format!("--fault '{spec}': {e}")))?;
        c.faults.push(rule);
    }
    c.validate()?;
    Ok(c)
}

/// A scenario-style file with a `[server]` table.
#[derive(Deserialize)]
struct WithServer {
    server: ServerConfig,
}

/// Read a TOML file holding either a `[server]` table or the bare options.
pub fn read_config(path: &Path) -> Result<ServerConfig, UsageError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| UsageError::new(format!("--config: cannot read '{}': {e}", path.display())))?;
    let bad = |e: toml::de::Error| UsageError::new(format!("{}: {e}", path.display()));
    let table: toml::Table = toml::from_str(&text).map_err(bad)?;
    let config = if table.contains_key("server") {
        toml::from_str::<WithServer>(&text).map_err(bad)?.server
    } else {
        toml::from_str::<ServerConfig>(&text).map_err(bad)?
    };
    config
        .validate()
        .map_err(|e| UsageError::new(format!("{}: {e}", path.display())))?;
    Ok(config)
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

/// The counters as a plain-text table.
pub fn render_table(stats: &Stats) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "\nrequests");
    for (route, n) in &stats.requests {
        let _ = writeln!(out, "  {route:<28} {n:>10}");
    }
    let _ = writeln!(out, "responses (route, HTTP, statusCode, chatEnded)");
    let opt = |v: Option<String>| v.unwrap_or_else(|| "-".to_string());
    for r in &stats.responses {
        let _ = writeln!(
            out,
            "  {:<28} {:>4} {:>3} {:>5} {:>10}",
            r.route,
            r.http_status,
            opt(r.status_code.map(|c| c.to_string())),
            opt(r.chat_ended.map(|e| e.to_string())),
            r.count
        );
    }
    let c = &stats.chats;
    let _ = writeln!(out, "chats");
    for (name, n) in [
        ("created", c.created),
        ("ended_by_client", c.ended_by_client),
        ("ended_by_agent", c.ended_by_agent),
        ("expired", c.expired),
        ("live", c.live),
    ] {
        let _ = writeln!(out, "  {name:<28} {n:>10}");
    }
    let _ = writeln!(out, "faults");
    if stats.faults.is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    for (kind, n) in &stats.faults {
        let _ = writeln!(out, "  {kind:<28} {n:>10}");
    }
    out
}
