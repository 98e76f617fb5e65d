//! The run's timeouts, size limits and thresholds (flags and scenario keys) for
//! [`super::build`]: each value validated with one message that names its field.

use super::{flag_or, nonzero, Src, DEFAULT_BODY_BUDGET};
use crate::cli::RunArgs;
use crate::engine::profiles::Profile;
use crate::engine::scenario::Scenario;
use crate::error::UsageError;
use crate::gate::{check_profile, parse_threshold, KnownProfiles, Threshold, ThresholdsSpec};
use crate::util::parse_duration;
use std::time::Duration;

/// The run's timeouts and the gap rule's settings.
pub(super) struct Timing {
    pub(super) flex: Duration,
    pub(super) near_miss_fraction: f64,
    pub(super) request_timeout: Duration,
    pub(super) drain_timeout: Duration,
    pub(super) service_level_target: Duration,
    pub(super) pacing_grid: Duration,
}

/// The largest pacing grid: a poll may leave at most this much after the instant its
/// jitter drew (the grid point is the intended instant, so lateness stays honest).
pub(crate) const MAX_PACING_GRID: Duration = Duration::from_millis(10);

/// `flex_disconnect_timeout`, `near_miss_fraction`, `request_timeout`, `drain_timeout`,
/// `service_level_target` and `pacing_grid`, validated.
pub(super) fn timing(args: &RunArgs, sc: &Scenario, src: &Src<'_>) -> Result<Timing, UsageError> {
    let flex = src.duration(
        args.flex_disconnect_timeout.as_deref(),
        "flex-disconnect-timeout",
        sc.flex_disconnect_timeout.as_ref(),
        "flex_disconnect_timeout",
        Duration::from_secs(45),
    )?;
    let field = match args.flex_disconnect_timeout {
        Some(_) => "--flex-disconnect-timeout",
        None => "flex_disconnect_timeout",
    };
    crate::util::check_flex_timeout(flex, field)?;
    let near_miss_fraction = flag_or(None, sc.near_miss_fraction.as_ref(), 0.8);
    if !(near_miss_fraction > 0.0 && near_miss_fraction < 1.0) {
        let v = sc
            .near_miss_fraction
            .as_ref()
            .map(|v| src.at("near_miss_fraction", v));
        return Err(UsageError::new(format!(
            "{}: must be between 0 and 1 (exclusive); the default is 0.8",
            v.unwrap_or_else(|| "near_miss_fraction".into())
        )));
    }
    let request_timeout = src.duration(
        args.request_timeout.as_deref(),
        "request-timeout",
        sc.request_timeout.as_ref(),
        "request_timeout",
        Duration::from_secs(10),
    )?;
    let field = match args.request_timeout {
        Some(_) => "--request-timeout",
        None => "request_timeout",
    };
    nonzero(request_timeout, field, "10s")?;
    let drain_timeout = src.duration(
        None,
        "",
        sc.drain_timeout.as_ref(),
        "drain_timeout",
        Duration::from_secs(5),
    )?;
    let service_level_target = src.duration(
        None,
        "",
        sc.service_level_target.as_ref(),
        "service_level_target",
        crate::metrics::DEFAULT_SERVICE_TARGET,
    )?;
    nonzero(service_level_target, "service_level_target", "20s")?;
    let pacing_grid = src.duration(
        args.pacing_grid.as_deref(),
        "pacing-grid",
        sc.pacing_grid.as_ref(),
        "pacing_grid",
        Duration::ZERO,
    )?;
    if pacing_grid > MAX_PACING_GRID {
        let at = src.source(
            &args.pacing_grid,
            "--pacing-grid",
            sc.pacing_grid.as_ref(),
            "pacing_grid",
        );
        return Err(UsageError::new(format!(
            "{at}: must be at most 10ms, got {}; 0 (the default) meets every instant on its own, 1ms batches the wakes as tokio's timer does",
            humantime::format_duration(pacing_grid)
        )));
    }
    Ok(Timing {
        flex,
        near_miss_fraction,
        request_timeout,
        drain_timeout,
        service_level_target,
        pacing_grid,
    })
}

/// The body and connection limits.
pub(super) struct Limits {
    pub(super) max_body_bytes: usize,
    pub(super) max_buffered_body_bytes: usize,
    pub(super) max_connections: usize,
    pub(super) threads: usize,
}

/// The most session threads (`threads`): far beyond any core count.
const MAX_THREADS: u64 = 1024;

/// `max_body_bytes`, `max_buffered_body_bytes`, `max_connections` and `threads`, validated.
pub(super) fn limits(args: &RunArgs, sc: &Scenario, src: &Src<'_>) -> Result<Limits, UsageError> {
    let max_body_bytes = flag_or(None, sc.max_body_bytes.as_ref(), 1 << 20);
    if max_body_bytes < 1024 {
        return Err(UsageError::new(
            "max_body_bytes: must be at least 1024; the default is 1048576",
        ));
    }
    let max_buffered_body_bytes = flag_or(
        None,
        sc.max_buffered_body_bytes.as_ref(),
        DEFAULT_BODY_BUDGET.max(max_body_bytes),
    );
    if max_buffered_body_bytes < max_body_bytes {
        let at = sc.max_buffered_body_bytes.as_ref().map_or_else(
            || "max_buffered_body_bytes".to_string(),
            |v| src.at("max_buffered_body_bytes", v),
        );
        return Err(UsageError::new(format!(
            "{at}: must be at least max_body_bytes ({max_body_bytes}), or no answer of that size could ever be read; the default is {DEFAULT_BODY_BUDGET}"
        )));
    }
    let max_connections = flag_or(args.max_connections, sc.max_connections.as_ref(), 1024);
    if !(1..=1_000_000).contains(&max_connections) {
        let at = src.source(
            &args.max_connections,
            "--max-connections",
            sc.max_connections.as_ref(),
            "max_connections",
        );
        return Err(UsageError::new(format!(
            "{at}: must be between 1 and 1000000; the default is 1024"
        )));
    }
    let threads = flag_or(args.threads, sc.threads.as_ref(), 0);
    if threads > MAX_THREADS {
        let at = src.source(&args.threads, "--threads", sc.threads.as_ref(), "threads");
        return Err(UsageError::new(format!(
            "{at}: must be between 0 and {MAX_THREADS}, got {threads}; 0 (the default) runs the sessions on the main runtime"
        )));
    }
    let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    Ok(Limits {
        max_body_bytes: size(max_body_bytes),
        max_buffered_body_bytes: size(max_buffered_body_bytes),
        max_connections: size(max_connections),
        threads: size(threads),
    })
}

/// The `[thresholds]` table plus `--threshold` flags, each parsed and its profile
/// selector checked against `profiles` (an error names `thresholds.checks[i]` or
/// `--threshold`), and the abort grace period.
pub(super) fn thresholds(
    args: &RunArgs,
    sc: &Scenario,
    profiles: &[Profile],
) -> Result<(ThresholdsSpec, Vec<Threshold>, Duration), UsageError> {
    let mut thresholds = sc.thresholds.clone();
    thresholds.checks.extend(args.thresholds.iter().cloned());
    let known: Vec<&str> = profiles.iter().map(|p| &*p.name).collect();
    let parsed = thresholds
        .checks
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let checked = parse_threshold(c)
                .and_then(|t| check_profile(&t, &known, KnownProfiles::Scenario).map(|()| t));
            checked.map_err(|e| {
                if i < sc.thresholds.checks.len() {
                    UsageError::new(format!("thresholds.checks[{i}]: {e}"))
                } else {
                    UsageError::new(format!("--threshold: {e}"))
                }
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let abort_grace = match &thresholds.grace {
        Some(g) => {
            parse_duration(g).map_err(|e| UsageError::new(format!("thresholds.grace: {e}")))?
        }
        None => Duration::from_secs(10),
    };
    Ok((thresholds, parsed, abort_grace))
}
