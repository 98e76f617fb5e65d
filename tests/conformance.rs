//! `chatload conformance` end to end against real sockets on 127.0.0.1: the
//! reference server passes every rule (both dialects); each `--misbehave`
//! switch fails exactly its rule; bad targets (unreachable, HTML everywhere,
//! hanging) end in bounded time with clear messages; the CLI's files and exit
//! codes. The flex probe runs against a 2 s timeout with a 4 s cap, and the
//! suites run concurrently, so the whole file takes a few seconds.

mod common;

#[allow(dead_code)] // `load` reads the summary schema; this file checks its own
#[path = "report/schema_check.rs"]
mod schema_check;

#[path = "conformance/bad_input.rs"]
mod bad_input;
#[path = "conformance/cli.rs"]
mod cli;
#[path = "conformance/mutation.rs"]
mod mutation;
#[path = "conformance/suite.rs"]
mod suite;

use chatload::cli::ConformanceArgs;
use chatload::conformance::model::{Report, Verdict};
use chatload::server::ServerConfig;
use std::time::Duration;

/// The flex-disconnect-timeout of the test servers.
pub const FLEX: Duration = Duration::from_secs(2);

/// A server config with the short test timeout.
pub fn server_config() -> ServerConfig {
    ServerConfig {
        flex_disconnect_timeout: FLEX,
        ..ServerConfig::default()
    }
}

/// Flags for a run against `base` in `dialect` (quick flex probe, 4 s cap).
pub fn args(base: &str, dialect: &str, out: &std::path::Path) -> ConformanceArgs {
    ConformanceArgs {
        target: chatload::cli::TargetArgs {
            url: Some(base.into()),
            dialect: Some(dialect.into()),
            ..Default::default()
        },
        flex_disconnect_timeout: Some("2s".into()),
        flex_probe_cap: Some("4s".into()),
        request_timeout: Some("2s".into()),
        out: Some(out.into()),
        ..ConformanceArgs::default()
    }
}

/// Run the suite in-process.
pub async fn run(args: &ConformanceArgs) -> anyhow::Result<Report> {
    let cfg = chatload::conformance::config::build(args)?;
    chatload::conformance::run(&cfg, &|_| {}).await
}

/// Ids of the rules with `verdict`.
pub fn with_verdict(r: &Report, verdict: Verdict) -> Vec<String> {
    r.rules
        .iter()
        .filter(|x| x.verdict == verdict)
        .map(|x| x.id.clone())
        .collect()
}
