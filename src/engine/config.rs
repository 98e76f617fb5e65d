//! Stage two of the configuration: flags + scenario file -> one validated [`RunConfig`].
//!
//! Flags win over the file. Every rule violation is a [`UsageError`] that names
//! the field (`file:line:col` for the file, `--flag` for flags), the rule and the fix.
//! Defaults are listed in README.md ("Scenario file"); keep both in step.

use super::pacing::{Jitter, RetryPolicy};
use super::plan::LoadPlan;
use super::scenario::{JitterSection, Scenario, ScenarioFile, SpannedDuration};
use super::session::CustomerScript;
use crate::cli::RunArgs;
use crate::error::UsageError;
use crate::gate::{Threshold, ThresholdsSpec};
use crate::protocol::Dialect;
use crate::server::ServerConfig;
use crate::util::{check_output_file, BadOutputFile};
use std::path::PathBuf;
use std::time::Duration;
use toml::Spanned;

mod headers;
mod limits;
mod load;
mod output;
mod reach;
mod script;
mod shard;
mod target;

pub(crate) use headers::CustomHeaders;
pub(crate) use output::LiveOutput;
pub(crate) use target::target_from_flags;

/// A validated run.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Scenario name.
    pub name: String,
    /// Dialect.
    pub dialect: Dialect,
    /// Target base URL (None = embedded reference server).
    pub target: Option<String>,
    /// gms-v2 service.
    pub service: String,
    /// webapi tenant.
    pub tenant: String,
    /// webapi prefix.
    pub webapi_prefix: String,
    /// flex-disconnect-timeout.
    pub flex: Duration,
    /// Near-miss fraction.
    pub near_miss_fraction: f64,
    /// Per-request timeout.
    pub request_timeout: Duration,
    /// Response body cap.
    pub max_body_bytes: usize,
    /// Most body bytes buffered at once across all requests in flight.
    pub max_buffered_body_bytes: usize,
    /// Most requests in flight at once.
    pub max_connections: usize,
    /// Session threads, each with its own single-threaded runtime (0 = one per core).
    pub threads: usize,
    /// Custom headers sent on every request (values are secrets; `Debug` hides them).
    pub headers: CustomHeaders,
    /// TLS, HTTP/2, proxy and cookie options.
    pub transport: crate::engine::client::transport::Transport,
    /// Bounded wait for disconnects at the end.
    pub drain_timeout: Duration,
    /// Poll instants aligned to this grid (zero: none); see `pacing::clock::align`.
    pub pacing_grid: Duration,
    /// The service level's target queue wait.
    pub service_level_target: Duration,
    /// The load plan.
    pub plan: LoadPlan,
    /// The customer.
    pub script: CustomerScript,
    /// The customer mix (`[[customers]]`; empty: every customer is `script`).
    pub profiles: Vec<crate::engine::profiles::Profile>,
    /// Retry policy.
    pub retry: RetryPolicy,
    /// Seed.
    pub seed: u64,
    /// Embedded server options.
    pub server: ServerConfig,
    /// Thresholds as given (file + flags).
    pub thresholds: ThresholdsSpec,
    /// Parsed thresholds.
    pub parsed_thresholds: Vec<Threshold>,
    /// Grace period before abort-on-fail checks.
    pub abort_grace: Duration,
    /// Output directory override.
    pub out: Option<PathBuf>,
    /// JUnit XML file for the threshold results.
    pub junit: Option<PathBuf>,
    /// Hide progress.
    pub quiet: bool,
    /// Streamed files, live metrics and CI progress lines.
    pub live: LiveOutput,
    /// This run's shard (None = the whole plan).
    pub shard: Option<super::shard::Shard>,
    /// Hash of what the shards of one run must share (plan before the split, script,
    /// target, thresholds); `chatload merge` refuses runs whose hashes differ.
    pub scenario_hash: String,
    /// Warnings to print at start (cadence vs timeout, ...).
    pub warnings: Vec<String>,
}

use crate::util::parse_duration;

/// Where a value came from, for messages.
struct Src<'a> {
    file: Option<&'a ScenarioFile>,
}

impl Src<'_> {
    fn at<T>(&self, field: &str, v: &Spanned<T>) -> String {
        match self.file {
            Some(f) => format!("{}: {field}", f.at(v.span())),
            None => field.to_string(),
        }
    }

    /// Where a value that breaks a rule came from: the flag's name when the flag was
    /// given (it wins), else the file key at its position.
    fn source<F, T>(
        &self,
        flag: &Option<F>,
        flag_name: &str,
        file: Option<&Spanned<T>>,
        field: &str,
    ) -> String {
        match (flag, file) {
            (None, Some(v)) => self.at(field, v),
            _ => flag_name.to_string(),
        }
    }

    fn err<T>(&self, field: &str, v: &Spanned<T>, rule: &str) -> UsageError {
        UsageError::new(format!("{}: {rule}", self.at(field, v)))
    }

    /// Flag value, else file value, else default.
    fn duration(
        &self,
        flag: Option<&str>,
        flag_name: &str,
        file: Option<&SpannedDuration>,
        field: &str,
        default: Duration,
    ) -> Result<Duration, UsageError> {
        if let Some(f) = flag {
            return parse_duration(f).map_err(|e| UsageError::new(format!("--{flag_name}: {e}")));
        }
        match file {
            Some(v) => parse_duration(v.get_ref()).map_err(|e| self.err(field, v, &e)),
            None => Ok(default),
        }
    }

    fn jitter(&self, sec: Option<&JitterSection>, field: &str) -> Result<Jitter, UsageError> {
        let Some(sec) = sec else {
            return Ok(Jitter::None);
        };
        let amount = self.duration(
            None,
            "",
            sec.amount.as_ref(),
            &format!("{field}.amount"),
            Duration::ZERO,
        )?;
        let Some(dist) = &sec.distribution else {
            return Ok(Jitter::None);
        };
        let j = match dist.get_ref().as_str() {
            "none" => Jitter::None,
            "uniform" => Jitter::Uniform(amount),
            "normal" => Jitter::Normal(amount),
            "exponential" => Jitter::Exponential(amount),
            other => {
                return Err(self.err(
                    &format!("{field}.distribution"),
                    dist,
                    &format!(
                        "unknown distribution '{other}'; use none, uniform, normal or exponential"
                    ),
                ))
            }
        };
        if j != Jitter::None && amount.is_zero() {
            return Err(UsageError::new(format!(
                "{}: a {} jitter needs an amount; add amount = \"200ms\"",
                self.at(&format!("{field}.distribution"), dist),
                j.name()
            )));
        }
        Ok(j)
    }
}

fn flag_or<T: Clone>(flag: Option<T>, file: Option<&Spanned<T>>, default: T) -> T {
    flag.or_else(|| file.map(|v| v.get_ref().clone()))
        .unwrap_or(default)
}

/// Validate flags and an optional scenario file into a run configuration.
pub fn build(args: &RunArgs, file: Option<&ScenarioFile>) -> Result<RunConfig, UsageError> {
    let empty = Default::default();
    let sc = file.map(|f| &f.scenario).unwrap_or(&empty);
    let src = Src { file };
    let name = flag_or(
        None,
        sc.name.as_ref(),
        file.map(|f| f.stem()).unwrap_or_else(|| "default".into()),
    );
    // In this order: with two mistakes, the first one named stays the same.
    let t = target::build_target(&args.target, sc, &src)?;
    let timing = limits::timing(args, sc, &src)?;
    let limits = limits::limits(args, sc, &src)?;
    let env = |var: &str| std::env::var(var).ok();
    let headers = headers::build_headers(&args.target.headers, sc, &src, &env)?;
    let plan = load::build_plan(args, sc, &src)?;
    let shard = shard::shard_of(args, &env)?;
    let script = customer_script(args, sc, &src)?;
    let profiles = script::build_profiles(args, sc, &src, &script)?;
    let mut reach_warnings = Vec::new();
    let transport = transport(args, sc, &src, t.url.as_deref(), &mut reach_warnings)?;
    let retry = load::build_retry(sc, &src)?;
    let (thresholds, parsed_thresholds, abort_grace) = limits::thresholds(args, sc, &profiles)?;
    let cfg = RunConfig {
        name,
        dialect: t.dialect,
        target: t.url,
        service: t.service,
        tenant: t.tenant,
        webapi_prefix: t.webapi_prefix,
        flex: timing.flex,
        near_miss_fraction: timing.near_miss_fraction,
        request_timeout: timing.request_timeout,
        max_body_bytes: limits.max_body_bytes,
        max_buffered_body_bytes: limits.max_buffered_body_bytes,
        max_connections: limits.max_connections,
        threads: limits.threads,
        headers,
        transport,
        drain_timeout: timing.drain_timeout,
        pacing_grid: timing.pacing_grid,
        service_level_target: timing.service_level_target,
        plan,
        script,
        profiles,
        retry,
        seed: seed_of(args, sc),
        server: ServerConfig::default(),
        thresholds,
        parsed_thresholds,
        abort_grace,
        out: out_dir(args.out.as_deref())?,
        junit: junit_path(args.junit.as_deref())?,
        quiet: args.quiet,
        live: LiveOutput::from_args(args)?,
        shard,
        scenario_hash: String::new(),
        warnings: Vec::new(),
    };
    finish(cfg, args, sc, reach_warnings)
}

/// The customer script, with its customers file and message lines.
fn customer_script(
    args: &RunArgs,
    sc: &Scenario,
    src: &Src<'_>,
) -> Result<CustomerScript, UsageError> {
    let mut script = script::build_script(args, &sc.customer, src)?;
    script.customers = reach::build_customers(args, sc, src)?;
    script.message_lines = reach::build_messages(args, sc, src)?;
    Ok(script)
}

/// How the target is reached (TLS, proxy, cookies, pool), its warnings into `warnings`.
fn transport(
    args: &RunArgs,
    sc: &Scenario,
    src: &Src<'_>,
    target: Option<&str>,
    warnings: &mut Vec<String>,
) -> Result<crate::engine::client::transport::Transport, UsageError> {
    let env = |var: &str| std::env::var(var).ok();
    let mut transport = reach::build_transport(&args.target, sc, src, target, &env, warnings)?;
    let pool_idle = src.duration(
        None,
        "",
        sc.pool_idle_timeout.as_ref(),
        "pool_idle_timeout",
        crate::engine::client::POOL_IDLE_TIMEOUT,
    )?;
    nonzero(pool_idle, "pool_idle_timeout", "4s")?;
    transport.pool_idle_timeout = Some(pool_idle);
    Ok(transport)
}

/// The embedded server, the scenario hash (before sharding: every shard of a run has the
/// same), this shard's part of the plan and every warning.
fn finish(
    mut cfg: RunConfig,
    args: &RunArgs,
    sc: &Scenario,
    reach_warnings: Vec<String>,
) -> Result<RunConfig, UsageError> {
    let flex_given = args.flex_disconnect_timeout.is_some() || sc.flex_disconnect_timeout.is_some();
    let server_warning = embedded_server(&mut cfg, sc.server.as_ref(), flex_given)?;
    cfg.scenario_hash = shard::scenario_hash(&cfg);
    if let Some(s) = cfg.shard {
        cfg.plan = s.plan(&cfg.plan);
    }
    cfg.warnings = cadence_warnings(&cfg);
    cfg.warnings.extend(server_warning);
    cfg.warnings.extend(reach_warnings);
    cfg.warnings.extend(load::stages_replaced_warning(args, sc));
    Ok(cfg)
}

/// The embedded server's options: the `[server]` table, validated, with its
/// flex-disconnect-timeout and webapi prefix matched to the client's. A server
/// timeout set only in `[server]` becomes the client's; two different explicit
/// values warn and the client's wins.
fn embedded_server(
    cfg: &mut RunConfig,
    table: Option<&ServerConfig>,
    flex_given: bool,
) -> Result<Option<String>, UsageError> {
    let mut server = table.cloned().unwrap_or_default();
    server
        .validate()
        .map_err(|e| UsageError::new(format!("[server]: {e}")))?;
    let mut warning = None;
    if let Some(t) = table {
        if t.flex_disconnect_timeout != cfg.flex {
            if flex_given {
                warning = Some(format!(
                    "server.flex_disconnect_timeout ({}) differs from flex_disconnect_timeout ({}); the embedded server uses {}",
                    humantime::format_duration(t.flex_disconnect_timeout),
                    humantime::format_duration(cfg.flex),
                    humantime::format_duration(cfg.flex)
                ));
            } else {
                cfg.flex = t.flex_disconnect_timeout;
            }
        }
    }
    server.flex_disconnect_timeout = cfg.flex;
    server.webapi_prefix = cfg.webapi_prefix.clone();
    cfg.server = server;
    Ok(if cfg.target.is_some() { None } else { warning })
}

/// Default `max_buffered_body_bytes`: 256 MiB across all bodies in flight.
pub(crate) const DEFAULT_BODY_BUDGET: u64 = 256 << 20;

/// `--seed`, else the scenario's `seed`, else one from the clock.
fn seed_of(args: &RunArgs, sc: &Scenario) -> u64 {
    args.seed
        .or_else(|| sc.seed.as_ref().map(|s| *s.get_ref()))
        .unwrap_or_else(clock_seed)
}

fn clock_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1)
}

fn nonzero(d: Duration, field: &str, example: &str) -> Result<(), UsageError> {
    if d.is_zero() {
        return Err(UsageError::new(format!(
            "{field}: must be greater than zero; e.g. {example}"
        )));
    }
    Ok(())
}

fn check_url(url: &str) -> Result<String, String> {
    let u = url.trim_end_matches('/');
    let shown = crate::util::redact::redact_url(url);
    let rest = u
        .strip_prefix("http://")
        .or_else(|| u.strip_prefix("https://"))
        .ok_or_else(|| {
            format!("'{shown}' must start with http:// or https://; e.g. http://127.0.0.1:8080")
        })?;
    if rest.is_empty() {
        return Err(format!("'{shown}' has no host; e.g. http://127.0.0.1:8080"));
    }
    Ok(u.to_string())
}

/// Warnings about a cadence that cannot fit inside flex-disconnect-timeout.
pub(crate) fn cadence_warnings(cfg: &RunConfig) -> Vec<String> {
    let s = &cfg.script;
    let worst = s.poll_interval + s.jitter.max_added();
    let line = cfg.flex.mul_f64(cfg.near_miss_fraction);
    let mut w = Vec::new();
    if worst > cfg.flex {
        w.push(format!(
            "the poll cadence (interval {} + jitter up to {}) can exceed flex-disconnect-timeout {}: sessions will be flagged with cause 'cadence'",
            humantime::format_duration(s.poll_interval),
            humantime::format_duration(s.jitter.max_added()),
            humantime::format_duration(cfg.flex)
        ));
    } else if worst > line {
        w.push(format!(
            "the poll cadence (up to {}) exceeds the near-miss line ({} of flex-disconnect-timeout): expect near misses",
            humantime::format_duration(worst),
            cfg.near_miss_fraction
        ));
    }
    if s.poll_interval + cfg.request_timeout > cfg.flex {
        w.push(format!(
            "poll interval + request timeout ({}) exceeds flex-disconnect-timeout: one timed-out poll can expire a chat",
            humantime::format_duration(s.poll_interval + cfg.request_timeout)
        ));
    }
    w
}

#[cfg(test)]
mod tests;

/// `--out DIR`: an existing file cannot hold the reports; refuse it before the run.
fn out_dir(path: Option<&std::path::Path>) -> Result<Option<PathBuf>, UsageError> {
    match path {
        Some(p) if p.exists() && !p.is_dir() => Err(UsageError::new(format!(
            "--out: '{}' is a file; give a directory for the reports (created if missing)",
            p.display()
        ))),
        _ => Ok(path.map(|p| p.to_path_buf())),
    }
}

/// `--junit FILE`: checked before the run starts, so a long run cannot end in an unwritable path.
fn junit_path(path: Option<&std::path::Path>) -> Result<Option<PathBuf>, UsageError> {
    let Some(path) = path else { return Ok(None) };
    match check_output_file(path) {
        Ok(()) => Ok(Some(path.to_path_buf())),
        Err(BadOutputFile::IsDir) => Err(UsageError::new(format!(
            "--junit: '{}' is a directory; give a file name such as junit.xml",
            path.display()
        ))),
        Err(BadOutputFile::MissingDir(dir)) => Err(UsageError::new(format!(
            "--junit: directory '{}' does not exist; create it or choose another path",
            dir.display()
        ))),
    }
}
