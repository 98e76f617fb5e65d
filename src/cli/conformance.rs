//! Flags of `chatload conformance` (clap only; validated in `conformance::config`).

use super::TargetArgs;
use clap::Args;
use std::path::PathBuf;

/// Exit codes of `chatload conformance`, shown in its `--help`.
pub(super) const EXIT_CODES: &str = "Exit codes:
  0  every rule passed, warned or was skipped
  1  a rule failed
  2  usage error (bad flag, unwritable --out or --junit)
  3  the target never answered, or Ctrl-C";

/// Flags of `chatload conformance`.
#[derive(Debug, Default, Args)]
#[command(
    after_help = EXIT_CODES,
    mut_arg("url", |a| a.required(true).help("Base URL of the Chat Server to check (e.g. http://127.0.0.1:8080)."))
)]
pub struct ConformanceArgs {
    /// Where the Chat Server is and how to reach it: the same flags as `run` (TLS, proxy).
    #[command(flatten)]
    pub target: TargetArgs,
    /// The flex-disconnect-timeout you assume: a measured value that differs fails.
    #[arg(long, value_name = "DURATION")]
    pub flex_disconnect_timeout: Option<String>,
    /// Measure the timeout: off, quick (±10 %) or precise (±1 s) [default: quick].
    #[arg(long, value_name = "MODE")]
    pub flex_probe: Option<String>,
    /// Longest idle time the timeout probe tries [default: 120s, or twice
    /// --flex-disconnect-timeout when that is longer].
    #[arg(long, value_name = "DURATION")]
    pub flex_probe_cap: Option<String>,
    /// Check only these rules (ids such as gms.transcript.no-holes or transcript.no-holes).
    #[arg(long, value_name = "RULE", num_args = 1..)]
    pub only: Vec<String>,
    /// Timeout of each request [default: 10s].
    #[arg(long, value_name = "DURATION")]
    pub request_timeout: Option<String>,
    /// Output directory (default `reports/conformance-<UTC timestamp>`).
    #[arg(
        long,
        value_name = "DIR",
        help = "Output directory [default: reports/conformance-<UTC timestamp>]"
    )]
    pub out: Option<PathBuf>,
    /// Also write one JUnit testcase per rule to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
}
