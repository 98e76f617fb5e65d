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

pub mod cli;
pub mod command;
pub mod conformance;
pub mod engine;
pub mod error;
pub mod fuzz_entry;
pub mod gate;
pub mod init;
pub mod merge;
pub mod metrics;
pub mod protocol;
pub mod report;
pub mod server;
pub mod shell;
pub mod util;

use cli::{Cli, Command};
use error::Exit;

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
