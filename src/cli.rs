//! Command-line shape, clap only. Every subcommand's raw flags live here;
//! validation and defaults happen where each flag set is turned into a
//! validated config (`engine::config`, `server::config`, `gate`, ...).

use clap::builder::{PossibleValue, PossibleValuesParser};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

mod conformance;
mod target;
pub use conformance::ConformanceArgs;
pub use target::TargetArgs;

/// Load tester for Genesys customer web chat (GMS Chat API v2 and Web API Server).
#[derive(Debug, Parser)]
#[command(name = "chatload", version = VERSION, about, long_about = None, after_help = AFTER_HELP)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// `chatload --version`: the crate version and the git commit it was built from
/// (`unknown` outside a git checkout; see build.rs).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("CHATLOAD_GIT_COMMIT"),
    ")"
);

/// The command-line conventions and exit codes, shown in `chatload --help`.
pub const AFTER_HELP: &str = "Conventions:
  Short flags: -n sessions, -d duration, -t threshold, -H header, -q quiet; a letter means
  the same flag in every subcommand that has it, and every other flag is long only.
  Aliases: --dialect gms = gms-v2, web-api = webapi (also in scenario files).
  Environment: a CHATLOAD_* variable (shown as [env: ...] in each subcommand's --help)
  stands for its flag when the flag is absent; a flag wins over it, and both win over the
  scenario file.

Exit codes:
  0  success; every gate passed
  1  a gate (threshold or regression check) failed
  2  usage, scenario or input error
  3  the run could not be trusted (generator overloaded, target unreachable) or was interrupted";

/// Exit codes, shown in each subcommand's `--help`.
pub const EXIT_CODES: &str = "Exit codes:
  0  success; every gate passed
  1  a gate (threshold or regression check) failed
  2  usage, scenario or input error
  3  the run could not be trusted (generator overloaded, target unreachable) or was interrupted";

/// Subcommands.
#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once; boxing would only add noise
pub enum Command {
    /// Run a load scenario (against the embedded reference server when no target is given).
    Run(RunArgs),
    /// Serve the reference Chat Server (both dialects) until Ctrl-C.
    Serve(ServeArgs),
    /// Re-render report.html from a finished run's directory.
    Report(ReportArgs),
    /// Evaluate thresholds and baseline regressions against a finished run.
    Check(CheckArgs),
    /// Write a commented starter scenario file (every field with its default).
    Init(InitArgs),
    /// Print a shell completion script to stdout.
    Completions(CompletionsArgs),
    /// Print the man page (roff) to stdout.
    Man,
    /// Check a Chat Server against the protocol (one verdict per rule) before loading it.
    Conformance(ConformanceArgs),
    /// Combine the run folders of `run --shard I/N` into one run folder.
    Merge(MergeArgs),
}

/// Flags of `chatload run`. Every flag overrides the scenario file's field of the same name.
#[derive(Debug, Default, Args)]
pub struct RunArgs {
    /// Scenario file (TOML). Without it, built-in defaults are used.
    pub scenario: Option<PathBuf>,
    /// Where the Chat Server is and how to reach it (TLS, proxy).
    #[command(flatten)]
    pub target: TargetArgs,
    /// Concurrent sessions at full load.
    #[arg(long, short = 'n', value_name = "N", env = "CHATLOAD_SESSIONS")]
    pub sessions: Option<u64>,
    /// Whole run length including the ramp (e.g. 30s, 5m).
    #[arg(long, short = 'd', value_name = "DURATION", env = "CHATLOAD_DURATION")]
    pub duration: Option<String>,
    /// Open model: chats arriving per second, minute or hour (e.g. 2/s, 1200/h);
    /// --sessions becomes the concurrency cap.
    #[arg(long, value_name = "RATE")]
    pub arrival_rate: Option<String>,
    /// Chat length: a duration (5m) or a distribution (exp:5m, lognormal:6m:3m, 1m..9m);
    /// the chat ends after it unless --end says otherwise.
    #[arg(long, value_name = "D")]
    pub session_duration: Option<String>,
    /// Time to ramp linearly up to full load (e.g. 10s).
    #[arg(long, value_name = "DURATION", env = "CHATLOAD_RAMP_UP")]
    pub ramp_up: Option<String>,
    /// Poll interval of every customer (e.g. 2s).
    #[arg(long, value_name = "DURATION", env = "CHATLOAD_POLL_INTERVAL")]
    pub poll_interval: Option<String>,
    /// Messages each customer sends.
    #[arg(long, value_name = "N")]
    pub messages: Option<u64>,
    /// How sessions end: after-messages, after-duration or wait-for-agent.
    #[arg(long, value_name = "MODE")]
    pub end: Option<String>,
    /// flex-disconnect-timeout the gaps are judged against (also the embedded server's).
    #[arg(long, value_name = "DURATION")]
    pub flex_disconnect_timeout: Option<String>,
    /// Timeout of each request (e.g. 10s).
    #[arg(long, value_name = "DURATION")]
    pub request_timeout: Option<String>,
    /// Most requests (and so connections) in flight at once (default 1024).
    #[arg(long, value_name = "N")]
    pub max_connections: Option<u64>,
    /// Align poll instants to this grid, so polls due together wake together
    /// (less CPU, more lateness; default 0 = every instant met on its own; at most 10ms).
    #[arg(long, value_name = "DURATION")]
    pub pacing_grid: Option<String>,
    /// Session threads: one single-threaded runtime each, sessions spread over them
    /// (default 0 = every session on the main runtime, a worker per core; 1 = the cheapest).
    #[arg(long, value_name = "N")]
    pub threads: Option<u64>,
    /// Threshold expression, repeatable (e.g. 'poll.p99 < 300ms').
    #[arg(long = "threshold", short = 't', value_name = "EXPR")]
    pub thresholds: Vec<String>,
    /// Random seed (default: from the clock; recorded in summary.json).
    #[arg(long, value_name = "N", env = "CHATLOAD_SEED")]
    pub seed: Option<u64>,
    /// Output directory for the reports (default `reports/<scenario>-<UTC timestamp>`).
    #[arg(
        long,
        value_name = "DIR",
        env = "CHATLOAD_OUT",
        help = "Output directory for the reports (default reports/<scenario>-<UTC timestamp>)"
    )]
    pub out: Option<PathBuf>,
    /// Also write the threshold results as JUnit XML to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Hide live progress.
    #[arg(long, short)]
    pub quiet: bool,
    /// Length of one interval of latency.hlog and events.jsonl (default 1s; 0 = write
    /// neither: a killed run then cannot be rebuilt).
    #[arg(long, value_name = "DURATION")]
    pub log_interval: Option<String>,
    /// Serve live Prometheus metrics on http://ADDR/metrics while the run goes
    /// (e.g. 127.0.0.1:9464; off by default).
    #[arg(long, value_name = "ADDR")]
    pub metrics_listen: Option<String>,
    /// When stdout is not a terminal, print a progress line this often (default 10s; 0 = never).
    #[arg(long, value_name = "DURATION")]
    pub progress_interval: Option<String>,
    /// Run shard I of N of the plan (1-based, e.g. 2/3; also CHATLOAD_SHARD). Each shard
    /// offers its exact share of every stage; `chatload merge` combines the run folders.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Number of shards when the shard index comes from JOB_COMPLETION_INDEX (0-based,
    /// as set by a Kubernetes Indexed Job).
    #[arg(long, value_name = "N")]
    pub shard_count: Option<u64>,
    /// Start the plan at this instant (RFC 3339, e.g. 2026-11-30T05:00:00Z; also
    /// CHATLOAD_START_AT): the shards of one run share it. More than the ramp in the past is an error.
    #[arg(long, value_name = "TIME", env = "CHATLOAD_START_AT")]
    pub start_at: Option<String>,
    /// Print summary.json to stdout and the text summary to stderr (`chatload run --json | jq`).
    #[arg(long)]
    pub json: bool,
    /// Customer-data flags.
    #[command(flatten)]
    pub reach: ReachArgs,
}

/// Flags of `chatload run` for real deployments (README "Testing a real deployment");
/// TLS and proxy flags are in [`TargetArgs`].
#[derive(Debug, Default, Args)]
pub struct ReachArgs {
    /// Customer profiles, CSV with a header row or JSON Lines (customer.data.file).
    #[arg(long, value_name = "FILE")]
    pub customers: Option<PathBuf>,
    /// Message texts, one per line, for customers without their own (customer.data.messages).
    #[arg(long, value_name = "FILE")]
    pub messages_file: Option<PathBuf>,
}

/// The `--dialect` values; an alias is accepted as typed and resolved by `Dialect::from_str`.
fn dialects() -> PossibleValuesParser {
    PossibleValuesParser::new([
        PossibleValue::new("gms-v2").alias("gms"),
        PossibleValue::new("webapi").alias("web-api"),
    ])
}

/// One raw `--header 'Name: value'` flag, validated in `engine::config`.
/// Parsing never fails here (a clap error would echo the value); `Debug` shows
/// the name only, because the value may be a secret.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct HeaderArg(pub String);

impl std::str::FromStr for HeaderArg {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(HeaderArg(s.to_string()))
    }
}

impl std::fmt::Debug for HeaderArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = self.0.split_once(':').map_or("?", |(n, _)| n.trim());
        write!(f, "HeaderArg({name}: <redacted>)")
    }
}

/// Flags of `chatload serve`. Flags override the same options of `--config`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "CHATLOAD_LISTEN")]
    pub listen: String,
    /// TOML file with the server options (the `[server]` table of a scenario, or a bare table).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Chat Server flex-disconnect-timeout, 1s..20d (default 45s).
    #[arg(long, value_name = "DURATION")]
    pub flex_disconnect_timeout: Option<String>,
    /// Base path of the webapi dialect, e.g. /webapi (default: none).
    #[arg(long, value_name = "PATH")]
    pub webapi_prefix: Option<String>,
    /// Seed of fault rates and agent delays (default 1).
    #[arg(long)]
    pub seed: Option<u64>,
    /// No agent ever joins or replies.
    #[arg(long)]
    pub no_agent: bool,
    /// Delay before the agent joins (default 1s).
    #[arg(long, value_name = "DURATION")]
    pub agent_join_after: Option<String>,
    /// Agent reply delay: 500ms, a range 200ms..2s or exp:1s (default 500ms).
    #[arg(long, value_name = "DELAY")]
    pub agent_reply_after: Option<String>,
    /// The agent ends the chat after replying to this many customer messages.
    #[arg(long, value_name = "N")]
    pub agent_end_after_messages: Option<u32>,
    /// The agent ends the chat this long after joining: 5m, 1m..9m, exp:5m or lognormal:6m:3m.
    #[arg(long, value_name = "DELAY")]
    pub agent_end_after: Option<String>,
    /// Pool of N agents: chats wait in one FIFO queue for a free one (default: every
    /// chat gets its own agent at once).
    #[arg(long, value_name = "N")]
    pub agents: Option<u32>,
    /// Chats one pool agent handles at once (default 1; needs --agents).
    #[arg(long, value_name = "M")]
    pub chats_per_agent: Option<u32>,
    /// Inject a fault, repeatable: KIND:OPERATION:every=N or KIND:OPERATION:rate=R
    /// (delay also takes :delay=2s / 100ms..2s / exp:1s). Kinds: status1,
    /// status1_chat_ended, status2, http_5xx, delay, drop, alias_rotation,
    /// transcript_hole; OPERATION is a common operation name or any.
    #[arg(long = "fault", value_name = "SPEC")]
    pub faults: Vec<String>,
    /// Break one protocol behaviour on purpose, repeatable (for testing conformance
    /// suites): a `chatload conformance` rule id such as transcript.no-holes.
    #[arg(long = "misbehave", value_name = "RULE")]
    pub misbehave: Vec<String>,
    /// Close a connection that has not sent a request's headers this long after
    /// connecting or after its last answer (default 30s).
    #[arg(long, value_name = "DURATION")]
    pub header_read_timeout: Option<String>,
    /// Most connections open at once; more are closed on accept and counted as
    /// refused (default: `ulimit -n` less 64).
    #[arg(long, value_name = "N")]
    pub max_connections: Option<u32>,
    /// HTTPS flags.
    #[command(flatten)]
    pub tls: ServeTlsArgs,
}

/// Flags of `chatload serve` for HTTPS.
#[derive(Debug, Default, Args)]
pub struct ServeTlsArgs {
    /// Serve HTTPS with this certificate chain (PEM); needs --tls-key.
    #[arg(long, value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// Private key (PEM) of --tls-cert.
    #[arg(long, value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// Require client certificates issued by this CA (PEM): mutual TLS.
    #[arg(long, value_name = "FILE")]
    pub tls_client_ca: Option<PathBuf>,
}

/// Flags of `chatload report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A finished run's directory (holding summary.json).
    pub run_dir: PathBuf,
    /// Where to write the HTML (default RUN_DIR/report.html).
    #[arg(long)]
    pub html: Option<PathBuf>,
}

/// Flags of `chatload merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shards' run folders (or their summary.json files).
    #[arg(required = true, value_name = "RUN")]
    pub runs: Vec<PathBuf>,
    /// Folder to write the merged run to (must not hold a run yet).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Merge the shards given even when some of the N are missing (the report says so).
    #[arg(long)]
    pub partial: bool,
}

/// Flags of `chatload check`.
#[derive(Debug, Args)]
#[command(after_help = EXIT_CODES)]
pub struct CheckArgs {
    /// A finished run's directory or its summary.json.
    pub run: PathBuf,
    /// Threshold expression, repeatable, e.g. 'poll.p99 < 300ms' (grammar and metric names in
    /// the README). Without any, the thresholds recorded in the summary are re-evaluated.
    #[arg(long = "threshold", short = 't', value_name = "EXPR")]
    pub thresholds: Vec<String>,
    /// Baseline run (directory or summary.json): fail metrics that regressed against it.
    #[arg(long, value_name = "OTHER")]
    pub baseline: Option<PathBuf>,
    /// Allowed regression per metric against the baseline [default: 10%].
    #[arg(long, value_name = "PERCENT", requires = "baseline")]
    pub max_regression: Option<String>,
    /// A duration metric regresses only when also worse by more than this [default: 1ms].
    #[arg(long, value_name = "DURATION", requires = "baseline")]
    pub min_regression: Option<String>,
    /// Also write the results as JUnit XML to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Print the results as JSON to stdout and the tables to stderr.
    #[arg(long)]
    pub json: bool,
}

/// Flags of `chatload init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// File to write; it must not exist yet.
    #[arg(default_value = "scenario.toml")]
    pub file: PathBuf,
    /// Dialect of the starter: gms-v2 (alias gms) or webapi (alias web-api).
    #[arg(long, value_name = "DIALECT", default_value = "gms-v2", value_parser = dialects())]
    pub dialect: String,
}

/// Flags of `chatload completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish or powershell.
    pub shell: Shell,
}

/// Shells `chatload completions` writes scripts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    /// GNU bash.
    Bash,
    /// Z shell.
    Zsh,
    /// fish.
    Fish,
    /// PowerShell.
    Powershell,
}
