//! chatload: a load tester for Genesys customer web chat.
//!
//! # Layout
//! - [`cli`]: clap flag shapes only.
//! - [`protocol`]: dialects, operation names and the JSON envelope (client and server share it).
//! - [`server`]: the reference Chat Server (`chatload serve`, the embedded target, test ground truth).
//! - [`command`]: `chatload run` end to end: engine, then metrics, reports and gate.
//! - [`engine`]: the load engine: scenarios, plan, sessions, runner (raw facts into metrics).
//! - [`metrics`]: run metrics, the only producer of the report model.
//! - [`report`]: the one report model and one exporter per format.
//! - [`gate`]: thresholds, baselines and JUnit (`chatload check`).
//! - [`conformance`]: `chatload conformance`, one verdict per protocol rule.
//! - [`error`]: usage errors and exit codes.
//! - [`init`], [`shell`]: `chatload init` (starter scenario), `completions` and `man`.
//!
//! # API
//! Public: the flag shapes ([`cli`]), [`build_config`] (flags + [`ScenarioFile`] into a
//! [`RunConfig`]), [`run_scenario`] (a whole run into a [`RunOutcome`]) and [`run`] (any
//! command), the report model and its exporters ([`report`]), [`metrics`] (the
//! recorder, `hlog` reading), [`gate`], [`server`] (the reference Chat Server),
//! [`conformance`], [`protocol`], [`Exit`]. `command`, `engine`, `error`, `init`,
//! `merge`, `shell` and `util` are private; what of them the API needs is re-exported here.

#![warn(unreachable_pub)]

// The library's API: the modules and re-exports below. Everything else is `pub(crate)`
// (`unreachable_pub` above, enforced by clippy -D warnings, keeps it so).
pub mod cli;
pub mod conformance;
#[doc(hidden)]
pub mod fuzz_entry;
pub mod gate;
pub mod metrics;
pub mod protocol;
pub mod report;
pub mod server;

mod command;
mod engine;
mod error;
mod init;
mod merge;
mod shell;
mod util;

/// Run a scenario: flags (and a scenario file) into a validated config, then a run.
pub use command::run::{run as run_scenario, RunOutcome};
pub use engine::arrivals::Arrivals;
pub use engine::config::{build as build_config, RunConfig};
pub use engine::plan::{ArrivalProcess, LoadMode, LoadPlan, Stage};
pub use engine::scenario::ScenarioFile;
pub use error::{Exit, UsageError};
/// The starter scenario of `chatload init`.
pub use init::STARTER;
/// Mask URL passwords in a text (every error message passes through it).
pub use util::redact::redact_urls_in;

use cli::{Cli, Command};

/// Run one command to completion and say how it ended.
pub async fn run(cli: Cli) -> anyhow::Result<Exit> {
    match cli.command {
        Command::Run(args) => command::run_command(args).await,
        Command::Serve(args) => server::serve_command(args).await,
        Command::Report(args) => {
            // A run that never finished is first rebuilt from its streamed files.
            metrics::rebuild::rebuild_if_needed(&args.run_dir)?;
            report::report_command(args)
        }
        Command::Check(args) => gate::check_command(args),
        Command::Init(args) => init::init_command(&args),
        Command::Completions(args) => shell::print(|out| {
            shell::write_completions(args.shell, out);
            Ok(())
        }),
        Command::Man => shell::print(shell::write_man),
        Command::Conformance(args) => conformance::conformance_command(args).await,
        Command::Merge(args) => merge::merge_command(&args),
    }
}
