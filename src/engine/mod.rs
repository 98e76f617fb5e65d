//! The load engine behind `chatload run`: it runs sessions and records raw facts in
//! [`crate::metrics`]; it never names the report model (the command above it does).
//!
//! # Layout
//! - [`scenario`]: the TOML file format, parse errors with `file:line:col`.
//! - [`config`]: flags + scenario -> validated [`config::RunConfig`].
//! - [`plan`]: the one [`plan::LoadPlan`] (stages of concurrent sessions).
//! - [`pacing`]: jitter distributions, retry backoff, the poll schedule.
//! - [`client`]: dialect clients (gms-v2, webapi) and response classification.
//! - [`session`]: one customer: the seed-table state machine, poll gaps, the script.
//! - [`runner`]: slots per the plan, embedded server, ticks, shutdown, drain.
//! - [`progress`], [`stop`]: live progress line and the run phase broadcast.
//! - [`shard`]: `--shard I/N`, this shard's exact part of the plan.
//! - [`workers`]: the session runtimes, one thread each (`--threads`).

pub(crate) mod arrivals;
pub(crate) mod client;
pub(crate) mod config;
pub(crate) mod customers;
pub(crate) mod fdlimit;
pub(crate) mod messages;
pub(crate) mod pacing;
pub(crate) mod plan;
pub(crate) mod profiles;
pub(crate) mod progress;
pub(crate) mod runner;
pub(crate) mod scenario;
pub(crate) mod session;
pub(crate) mod shard;
pub(crate) mod start_at;
pub(crate) mod stop;
pub(crate) mod workers;

use crate::error::Exit;

/// A future that completes on the first Ctrl-C or SIGTERM; a second Ctrl-C exits
/// at once with code 3. The handlers are installed here, before the run starts,
/// so an early signal is never lost or fatal.
#[cfg(unix)]
pub(crate) fn shutdown_signal(
) -> anyhow::Result<impl std::future::Future<Output = ()> + Send + 'static> {
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
