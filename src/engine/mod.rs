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
//! - [`progress`], [`stop`]: live progress line and the run phase broadcast.
//! - [`shard`]: `--shard I/N`, this shard's exact part of the plan.
//! - [`live`]: the run's streamed files and `/metrics` endpoint, fed once a second.

pub mod arrivals;
pub mod client;
pub mod config;
pub mod customers;
pub mod fdlimit;
pub mod live;
pub mod messages;
pub mod pacing;
pub mod plan;
pub mod profiles;
pub mod progress;
mod reach_report;
pub mod runner;
pub mod scenario;
pub mod session;
pub mod shard;
pub mod start_at;
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
    let cfg = config::build(&args, file.as_ref()).map_err(|e| match &file {
        Some(f) => f.locate(e),
        None => e,
    })?;
    let start_at = match &args.start_at {
        Some(text) => {
            let ramp = cfg.plan.stages.first().map(|s| s.ramp).unwrap_or_default();
            Some(start_at::parse(text, chrono::Utc::now(), ramp)?)
        }
        None => None,
    };
    for w in &cfg.warnings {
        eprintln!("warning: {w}");
    }
    if let Some(at) = start_at {
        start_at::wait_until(at, chrono::Utc::now(), args.quiet).await;
    }
    let outcome = runner::run(cfg, shutdown_signal()?).await?;
    // With --json, stdout carries summary.json alone and the text goes to stderr.
    let json = args.json;
    let print = || -> std::io::Result<()> {
        let mut text = Vec::new();
        crate::report::text::write_text(&outcome.summary, &mut text)?;
        match outcome.unwritten.len() {
            0 => writeln!(text, "reports: {}", outcome.dir.display())?,
            n => writeln!(
                text,
                "reports: {} ({n} file(s) could not be written; see stderr)",
                outcome.dir.display()
            )?,
        }
        if json {
            std::io::stderr().lock().write_all(&text)?;
            let mut out = std::io::stdout().lock();
            crate::report::json::write_json(&outcome.summary, &mut out)?;
            out.flush()
        } else {
            std::io::stdout().lock().write_all(&text)
        }
    };
    // The reports are already on disk (or named on stderr as unwritten; the figures
    // above are then the only complete copy): a reader that closed stdout early (`| head`)
    // must not change the run's verdict.
    match print() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
        _ => {}
    }
    for r in &outcome.unwritten {
        eprintln!("chatload: {r}");
    }
    for r in &outcome.reasons {
        eprintln!("chatload: {r}");
    }
    Ok(outcome.exit)
}

/// A future that completes on the first Ctrl-C or SIGTERM; a second Ctrl-C exits
/// at once with code 3. The handlers are installed here, before the run starts,
/// so an early signal is never lost or fatal.
#[cfg(unix)]
pub fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut int = signal(SignalKind::interrupt())?;
    let mut term = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
        eprintln!("chatload: stopping: disconnecting active chats and writing reports (Ctrl-C again to quit at once)");
        tokio::spawn(async move {
            if int.recv().await.is_some() {
                eprintln!("chatload: second Ctrl-C: exiting without reports");
                std::process::exit(i32::from(Exit::Untrusted.code()));
            }
        });
    })
}

/// Non-unix: Ctrl-C only.
#[cfg(not(unix))]
pub fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
        eprintln!("chatload: stopping: disconnecting active chats and writing reports");
    })
}
