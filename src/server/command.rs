//! `chatload serve`: flags (and an optional TOML file) → a validated
//! [`ServerConfig`], bind, serve until Ctrl-C / SIGTERM, print the counters.

use super::config::{check_flex_timeout, parse_duration, DelaySpec, FaultRule, ServerConfig};
use super::{ReferenceServer, Stats};
use crate::cli::ServeArgs;
use crate::error::{Exit, UsageError};
use crate::util::toml_error::Located;
use serde::Deserialize;
use std::fmt::Write as _;
use std::path::Path;

/// `chatload serve`.
pub async fn serve_command(args: ServeArgs) -> anyhow::Result<Exit> {
    let config = config_from_args(&args)?;
    let tls = match (&args.tls.tls_cert, &args.tls.tls_key) {
        (Some(cert), Some(key)) => Some(
            super::tls::acceptor(cert, key, args.tls.tls_client_ca.as_deref())
                .map_err(UsageError::new)?,
        ),
        (None, None) if args.tls.tls_client_ca.is_some() => {
            return Err(UsageError::new(
                "--tls-client-ca needs --tls-cert and --tls-key (mutual TLS is HTTPS)",
            )
            .into())
        }
        (None, None) => None,
        _ => {
            return Err(UsageError::new(
                "--tls-cert and --tls-key go together; give both to serve HTTPS",
            )
            .into())
        }
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .map_err(|e| {
            UsageError::new(format!(
                "--listen '{}': cannot listen there ({e}); give HOST:PORT of this machine with a free port, e.g. 127.0.0.1:8080",
                args.listen
            ))
        })?;
    let addr = listener.local_addr()?;
    let server = ReferenceServer::new(config);
    let prefix = &server.config().webapi_prefix;
    let shutdown = shutdown_signal();
    eprintln!("chatload reference server listening on {scheme}://{addr}");
    eprintln!("  gms-v2: {scheme}://{addr}/genesys/2/chat/{{service}}");
    eprintln!("  webapi: {scheme}://{addr}{prefix}/api/v2/chats");
    eprintln!("  stats:  {scheme}://{addr}{}", super::STATS_PATH);
    eprintln!("press Ctrl-C to stop");
    server.serve_with(listener, tls, shutdown).await?;
    print!("{}", render_table(&server.stats()));
    Ok(Exit::Success)
}

/// Resolve `--config` and the flags into one validated config.
pub(super) fn config_from_args(args: &ServeArgs) -> Result<ServerConfig, UsageError> {
    let mut c = match &args.config {
        Some(path) => read_config(path)?,
        None => ServerConfig::default(),
    };
    let dur = |flag: &str, v: &str| {
        parse_duration(v).map_err(|e| UsageError::new(format!("--{flag}: {e}")))
    };
    if let Some(v) = &args.flex_disconnect_timeout {
        c.flex_disconnect_timeout = dur("flex-disconnect-timeout", v)?;
        check_flex_timeout(c.flex_disconnect_timeout, "--flex-disconnect-timeout")?;
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
    if let Some(v) = &args.agent_end_after {
        c.agent.end_after = Some(
            v.parse::<DelaySpec>()
                .map_err(|e| UsageError::new(format!("--agent-end-after: {e}")))?,
        );
    }
    if let Some(v) = &args.header_read_timeout {
        c.header_read_timeout = dur("header-read-timeout", v)?;
    }
    c.max_connections = args.max_connections.or(c.max_connections);
    c.agents = args.agents.or(c.agents);
    c.chats_per_agent = args.chats_per_agent.or(c.chats_per_agent);
    for spec in &args.faults {
        let rule: FaultRule = spec
            .parse()
            .map_err(|e| UsageError::new(format!("--fault '{spec}': {e}")))?;
        c.faults.push(rule);
    }
    for name in &args.misbehave {
        let m = name
            .parse()
            .map_err(|e| UsageError::new(format!("--misbehave: {e}")))?;
        c.misbehave.push(m);
    }
    c.validate()?;
    Ok(c)
}

/// A scenario file seen by `serve`: its `[server]` table, and the scenario's own
/// flex-disconnect-timeout and webapi prefix (which `run` also gives its embedded
/// server). Every other key is the client's business and ignored here.
#[derive(Deserialize)]
struct ScenarioView {
    server: Option<ServerConfig>,
    #[serde(default, with = "option_duration")]
    flex_disconnect_timeout: Option<std::time::Duration>,
    webapi_prefix: Option<String>,
}

mod option_duration {
    use serde::{Deserialize, Deserializer};
    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<std::time::Duration>, D::Error> {
        let s = String::deserialize(d)?;
        super::parse_duration(&s)
            .map(Some)
            .map_err(serde::de::Error::custom)
    }
}

/// Top-level keys that only a scenario file has: with any of them (or `[server]`)
/// the file is read as a scenario, otherwise as a bare server table whose unknown
/// keys are errors.
/// (`max_connections` is not one: a bare server table has its own.)
const SCENARIO_KEYS: [&str; 16] = [
    "server",
    "name",
    "target",
    "dialect",
    "service",
    "tenant",
    "near_miss_fraction",
    "request_timeout",
    "max_body_bytes",
    "max_buffered_body_bytes",
    "drain_timeout",
    "headers",
    "load",
    "customer",
    "retry",
    "thresholds",
];

/// Read a TOML file: a scenario (its `[server]` table is used, other tables are
/// ignored) or the bare server options. Errors read `file:line:col: field: rule; fix`.
pub fn read_config(path: &Path) -> Result<ServerConfig, UsageError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        UsageError::new(format!(
            "--config: cannot read '{}': {e}; check the path",
            path.display()
        ))
    })?;
    let name = path.display().to_string();
    let located = Located::new(&name, &text);
    let bad = |e: toml::de::Error| UsageError::new(located.de_error(e.message(), e.span()));
    let table: toml::Table = toml::from_str(&text).map_err(bad)?;
    let scenario = table.keys().any(|k| SCENARIO_KEYS.contains(&k.as_str()));
    let server_sets = |key: &str| {
        table
            .get("server")
            .and_then(|s| s.as_table())
            .is_some_and(|t| t.contains_key(key))
    };
    let config = if scenario {
        let view: ScenarioView = toml::from_str(&text).map_err(bad)?;
        let mut c = view.server.unwrap_or_default();
        match view.flex_disconnect_timeout {
            Some(t) if !server_sets("flex_disconnect_timeout") => c.flex_disconnect_timeout = t,
            _ => {}
        }
        match view.webapi_prefix {
            Some(p) if !server_sets("webapi_prefix") => c.webapi_prefix = p,
            _ => {}
        }
        c
    } else {
        toml::from_str::<ServerConfig>(&text).map_err(bad)?
    };
    config.validate().map_err(|e| {
        let msg = if scenario {
            // A timeout or prefix taken from the scenario's top level is named as written.
            let top_level = ["flex_disconnect_timeout", "webapi_prefix"]
                .into_iter()
                .find(|k| e.0.starts_with(&format!("server.{k}:")) && !server_sets(k));
            match top_level {
                Some(_) => located.locate(e.0.strip_prefix("server.").unwrap_or(&e.0)),
                None => located.locate(&e.0),
            }
        } else {
            // A bare table has no `server.` prefix: name the key as written.
            located.locate(e.0.strip_prefix("server.").unwrap_or(&e.0))
        };
        UsageError::new(match msg.starts_with(&name) {
            true => msg,
            false => format!("{name}: {msg}"),
        })
    })?;
    Ok(config)
}

/// Completes on Ctrl-C or SIGTERM. On Unix both handlers are installed by this
/// call, not on the first poll: the banner is printed before the server polls the
/// future, and a signal sent as soon as the banner is read must not kill the
/// process before the counters are printed.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, Signal, SignalKind};
        // No handler could be installed: rely on the other signal (or a kill) instead.
        async fn recv(s: Option<Signal>) {
            match s {
                Some(mut s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        }
        let ctrl_c = recv(signal(SignalKind::interrupt()).ok());
        let term = recv(signal(SignalKind::terminate()).ok());
        async move {
            tokio::select! {
                _ = ctrl_c => {}
                _ = term => {}
            }
        }
    }
    #[cfg(not(unix))]
    async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// The counters as a plain-text table.
pub(super) fn render_table(stats: &Stats) -> String {
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
    let chats = [
        ("created", c.created),
        ("ended_by_client", c.ended_by_client),
        ("ended_by_agent", c.ended_by_agent),
        ("expired", c.expired),
        ("live", c.live),
    ];
    section(&mut out, "chats", chats.map(|(k, n)| (k, n.to_string())));
    let conns = stats.connections;
    if !conns.is_zero() {
        let rows = [
            ("refused (max_connections)", conns.refused),
            ("header_read_timeout", conns.header_timeouts),
        ];
        section(
            &mut out,
            "connections closed",
            rows.map(|(k, n)| (k, n.to_string())),
        );
    }
    if let Some(p) = &stats.pool {
        let title = format!(
            "agent pool ({} agents x {} chats)",
            p.agents, p.chats_per_agent
        );
        let total_s = p.queue_wait_us_total as f64 / 1e6;
        let rows = [
            ("queued", p.queued.to_string()),
            ("joined", p.joined.to_string()),
            ("left_queue", p.left_queue.to_string()),
            ("waiting", p.waiting.to_string()),
            ("busy", p.busy.to_string()),
            ("max_queue_len", p.max_queue_len.to_string()),
            ("queue_wait_total_s", format!("{total_s:.3}")),
            ("asa_s", format!("{:.3}", p.asa_secs())),
        ];
        section(&mut out, &title, rows);
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

/// A titled block of `name value` rows.
fn section<const N: usize>(out: &mut String, title: &str, rows: [(&str, String); N]) {
    let _ = writeln!(out, "{title}");
    for (name, v) in rows {
        let _ = writeln!(out, "  {name:<28} {v:>10}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;
    use std::time::Duration;

    fn args(argv: &[&str]) -> ServeArgs {
        let mut full = vec!["chatload", "serve"];
        full.extend_from_slice(argv);
        match Cli::try_parse_from(full).expect("flags parse").command {
            Command::Serve(a) => a,
            _ => unreachable!("serve subcommand"),
        }
    }

    #[test]
    fn flags_override_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.toml");
        std::fs::write(
            &path,
            "name = \"x\"\n[server]\nseed = 9\nflex_disconnect_timeout = \"10s\"\n",
        )
        .unwrap();
        let p = path.to_str().unwrap();
        let c = config_from_args(&args(&[
            "--config",
            p,
            "--flex-disconnect-timeout",
            "30s",
            "--agent-reply-after",
            "100ms..1s",
            "--agent-end-after-messages",
            "2",
            "--fault",
            "status1:poll:every=10",
            "--fault",
            "drop:any:rate=0.01",
        ]))
        .unwrap();
        assert_eq!(c.seed, 9);
        assert_eq!(c.flex_disconnect_timeout, Duration::from_secs(30));
        assert_eq!(c.agent.end_after_messages, Some(2));
        assert_eq!(c.faults.len(), 2);
        let bare = dir.path().join("bare.toml");
        std::fs::write(&bare, "seed = 3\n").unwrap();
        assert_eq!(read_config(&bare).unwrap().seed, 3);
    }

    #[test]
    fn connection_limits_come_from_flags_or_a_bare_table() {
        let c = config_from_args(&args(&[
            "--max-connections",
            "500",
            "--header-read-timeout",
            "5s",
        ]))
        .unwrap();
        assert_eq!(c.max_connections, Some(500));
        assert_eq!(c.header_read_timeout, Duration::from_secs(5));
        let dir = tempfile::tempdir().unwrap();
        let bare = dir.path().join("bare.toml");
        std::fs::write(&bare, "max_connections = 7\nheader_read_timeout = \"2s\"\n").unwrap();
        let c = read_config(&bare).unwrap();
        assert_eq!(c.max_connections, Some(7), "a bare table's own key");
        assert_eq!(c.header_read_timeout, Duration::from_secs(2));
        let e = config_from_args(&args(&["--max-connections", "0"]))
            .unwrap_err()
            .0;
        assert!(e.contains("--max-connections): must be at least 1"), "{e}");
        let e = config_from_args(&args(&["--header-read-timeout", "0s"]))
            .unwrap_err()
            .0;
        assert!(
            e.contains("--header-read-timeout): must be greater than zero"),
            "{e}"
        );
    }

    #[test]
    fn bad_flags_and_files_name_the_culprit() {
        let e = config_from_args(&args(&["--flex-disconnect-timeout", "0s"]))
            .unwrap_err()
            .0;
        assert!(
            e.starts_with("--flex-disconnect-timeout: must be between 1s"),
            "{e}"
        );
        let e = config_from_args(&args(&["--agent-join-after", "later"]))
            .unwrap_err()
            .0;
        assert!(
            e.starts_with("--agent-join-after: 'later' is not a duration"),
            "{e}"
        );
        let e = config_from_args(&args(&["--fault", "status1:poll:every=0"]))
            .unwrap_err()
            .0;
        assert!(
            e.contains("--fault 'status1:poll:every=0'") && e.contains("at least 1"),
            "{e}"
        );
        let e = config_from_args(&args(&["--misbehave", "transcript.holes"]))
            .unwrap_err()
            .0;
        assert!(
            e.starts_with("--misbehave: unknown misbehaviour 'transcript.holes'")
                && e.contains("transcript.no-holes"),
            "{e}"
        );
        let c = config_from_args(&args(&["--misbehave", "gms.end.disconnect"])).unwrap();
        assert_eq!(c.misbehave, [crate::server::Misbehave::EndDisconnect]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "[server]\nseed = 1\nflex = 2\n").unwrap();
        let e = read_config(&path).unwrap_err().0;
        assert!(
            e.contains("bad.toml:3:1: server.flex: unknown field `flex`; did you mean `flex_disconnect_timeout`?"),
            "{e}"
        );
        let e = read_config(&dir.path().join("missing.toml")).unwrap_err().0;
        assert!(e.contains("cannot read"), "{e}");
    }

    #[test]
    fn pool_flags_build_a_pool() {
        let c = config_from_args(&args(&[
            "--agents",
            "4",
            "--chats-per-agent",
            "2",
            "--agent-end-after",
            "lognormal:6m:3m",
        ]))
        .unwrap();
        assert_eq!((c.agents, c.chats_per_agent), (Some(4), Some(2)));
        assert_eq!(
            c.agent.end_after,
            Some(DelaySpec::LogNormal {
                mean: Duration::from_secs(360),
                sd: Duration::from_secs(180)
            })
        );
        assert_eq!(config_from_args(&args(&[])).unwrap().agents, None);
        for (argv, needle) in [
            (
                &["--chats-per-agent", "2"][..],
                "needs a pool: add agents = N (--agents N)",
            ),
            (&["--agents", "2", "--no-agent"][..], "(--no-agent)"),
            (
                &["--agent-end-after", "lognormal:6m"][..],
                "--agent-end-after: 'lognormal:6m'",
            ),
        ] {
            let e = config_from_args(&args(argv)).unwrap_err().0;
            assert!(e.contains(needle), "{argv:?}: expected '{needle}' in: {e}");
        }
        let server = ReferenceServer::new(c);
        let text = render_table(&server.stats());
        assert!(text.contains("agent pool (4 agents x 2 chats)"), "{text}");
        assert!(text.contains("queue_wait_total_s"), "{text}");
    }

    #[test]
    fn table_lists_every_counter() {
        let server = ReferenceServer::default();
        let text = render_table(&server.stats());
        for section in [
            "requests",
            "responses",
            "chats",
            "created",
            "expired",
            "faults",
            "(none)",
        ] {
            assert!(text.contains(section), "{section} in {text}");
        }
        assert!(
            !text.contains("agent pool"),
            "no pool, no pool section: {text}"
        );
    }

    /// The banner is printed before the server first polls the shutdown future: a
    /// SIGTERM sent as soon as the banner is read must already be caught.
    #[cfg(unix)]
    #[tokio::test]
    async fn sigterm_is_caught_before_the_shutdown_future_is_polled() {
        let shutdown = shutdown_signal();
        let kill = std::process::Command::new("kill")
            .args(["-TERM", &std::process::id().to_string()])
            .status()
            .expect("run kill");
        assert!(kill.success());
        tokio::time::timeout(std::time::Duration::from_secs(10), shutdown)
            .await
            .expect("the SIGTERM completes the shutdown future");
    }
}
