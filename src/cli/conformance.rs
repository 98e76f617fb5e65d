//! Flags of `chatload conformance` (clap only; validated in `conformance::config`).

use super::HeaderArg;
use clap::Args;
use std::path::PathBuf;

/// Exit codes of `chatload conformance`, shown in its `--help`.
pub const EXIT_CODES: &str = "Exit codes:
  0  every rule passed, warned or was skipped
  1  a rule failed
  2  usage error (bad flag, unwritable --out or --junit)
  3  the target never answered, or Ctrl-C";

/// Flags of `chatload conformance`.
#[derive(Debug, Default, Args)]
#[command(after_help = EXIT_CODES)]
pub struct ConformanceArgs {
    /// Base URL of the Chat Server to check (e.g. http://127.0.0.1:8080).
    #[arg(long, value_name = "URL")]
    pub target: String,
    /// Chat dialect: gms-v2 or webapi [default: gms-v2].
    #[arg(long, value_name = "DIALECT")]
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
    /// Header sent on every request, repeatable: 'Name: value' (value env:VAR reads a variable).
    #[arg(long = "header", short = 'H', value_name = "'NAME: VALUE'")]
    pub headers: Vec<HeaderArg>,
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
