//! The load engine behind `chatload run`.
//!
//! # Layout
//! - [`scenario`]: the TOML file format, parse errors with `file:line:col`.
//! - [`config`]: flags + scenario -> validated [`config::RunConfig`].
//! - [`plan`]: the one [`plan::LoadPlan`] (stages of concurrent sessions).
//! - [`pacing`]: jitter distributions, retry backoff, the poll schedule.
//! - [`client`]: dialect clients (gms-v2, webapi) and response classification.
//! - [`session`]: one customer: the seed-table state machine, poll gaps, the script.
//! - [`runner`]: slots per the plan, embedded server, ticks, shutdown, reports.
//! - [`metrics`]: shared run metrics (the only way sessions report).
//! - [`progress`], [`stop`]: live progress line and the run phase broadcast.

pub mod client;
pub mod config;
pub mod metrics;
pub mod pacing;
pub mod plan;
pub mod progress;
pub mod runner;
pub mod scenario;
pub mod session;
pub mod stop;

use crate::cli::RunArgs;
use crate::error::Exit;
use std::io::Write;

/// `chatload run`: validate, run until the plan ends or Ctrl-C/SIGTERM, report, judge.
pub async fn run_command(args: RunArgs) -> anyhow::Result<Exit> {
    let file = match &args.scenario {
        Some(p) => Some(scenario::ScenarioFile::load(p)?),
        None => None,
    };
    let cfg = config::build(&args, file.as_ref())?;
    for w in &cfg.warnings {
        eprintln!("warning: {w}");
    }
    let outcome = runner::run(cfg, shutdown_signal()).await?;
    let mut out = std::io::stdout().lock();
    crate::report::text::write_text(&outcome.summary, &mut out)?;
    writeln!(out, "reports: {}", outcome.dir.display())?;
    for r in &outcome.reasons {
        eprintln!("chatload: {r}");
    }
    Ok(outcome.exit)
}

/// Completes on the first Ctrl-C or SIGTERM; a second Ctrl-C exits at once with code 3.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return after_first_signal();
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
    after_first_signal()
}

fn after_first_signal() {
    eprintln!("chatload: stopping: disconnecting active chats and writing reports (Ctrl-C again to quit at once)");
    tokio::spawn(async {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("chatload: second Ctrl-C: exiting without reports");
            std::process::exit(i32::from(Exit::Untrusted.code()));
        }
    });
}
