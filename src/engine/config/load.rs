//! The `[load]` and `[retry]` tables (and their flags) -> a [`LoadPlan`] and a [`RetryPolicy`].

use super::{flag_or, nonzero, Src};
use crate::cli::RunArgs;
use crate::engine::pacing::RetryPolicy;
use crate::engine::plan::{ArrivalProcess, LoadMode, LoadPlan, Stage};
use crate::engine::scenario::{Scenario, StageSection};
use crate::error::UsageError;
use std::time::Duration;

pub(super) fn build_plan(
    args: &RunArgs,
    sc: &Scenario,
    src: &Src<'_>,
) -> Result<LoadPlan, UsageError> {
    let load = &sc.load;
    let restart = flag_or(None, load.restart.as_ref(), true);
    let flags_given = args.sessions.is_some()
        || args.duration.is_some()
        || args.ramp_up.is_some()
        || args.arrival_rate.is_some();
    let open_rate = open_rate(args, sc, src)?;
    if let (Some(stages), false) = (&load.stages, flags_given) {
        let open = stages.get_ref().iter().any(|s| s.arrival_rate.is_some());
        for (field, given) in [
            // An open plan's cap is load.sessions.
            (
                "sessions",
                load.sessions.as_ref().filter(|_| !open).map(|v| v.span()),
            ),
            ("ramp_up", load.ramp_up.as_ref().map(|v| v.span())),
            ("duration", load.duration.as_ref().map(|v| v.span())),
        ] {
            if let (Some(span), Some(f)) = (given, src.file) {
                return Err(UsageError::new(format!(
                    "{}: load.{field}: cannot be used with [[load.stages]] (the stages set the load); remove load.{field} or the stages",
                    f.at(span)
                )));
            }
        }
        if stages.get_ref().is_empty() {
            return Err(src.err(
                "load.stages",
                stages,
                "needs at least one stage; or remove it and use load.sessions",
            ));
        }
        let mut out = Vec::new();
        for (i, st) in stages.get_ref().iter().enumerate() {
            out.push(stage(st, i, open, src)?);
        }
        let mode = if open {
            open_mode(args, sc, src)?
        } else {
            LoadMode::Closed
        };
        return Ok(LoadPlan {
            mode,
            stages: out,
            restart,
        });
    }
    let sessions = args
        .sessions
        .or(load.sessions.as_ref().map(|s| *s.get_ref()))
        .unwrap_or(if open_rate.is_some() {
            DEFAULT_CAP
        } else {
            100
        });
    if sessions == 0 || sessions > 1_000_000 {
        let msg = "must be between 1 and 1000000; e.g. 100";
        return Err(match (&args.sessions, &load.sessions) {
            (None, Some(s)) => src.err("load.sessions", s, msg),
            _ => UsageError::new(format!("--sessions: {msg}")),
        });
    }
    let duration = src.duration(
        args.duration.as_deref(),
        "duration",
        load.duration.as_ref(),
        "load.duration",
        Duration::from_secs(30),
    )?;
    let name = |flag: &Option<String>, flag_name, field| match flag {
        Some(_) => flag_name,
        None => field,
    };
    nonzero(
        duration,
        name(&args.duration, "--duration", "load.duration"),
        "30s",
    )?;
    let ramp_up = src.duration(
        args.ramp_up.as_deref(),
        "ramp-up",
        load.ramp_up.as_ref(),
        "load.ramp_up",
        Duration::ZERO,
    )?;
    if ramp_up > duration {
        return Err(UsageError::new(format!(
            "{}: {} is longer than the duration {}; shorten the ramp or lengthen the duration",
            name(&args.ramp_up, "--ramp-up", "load.ramp_up"),
            humantime::format_duration(ramp_up),
            humantime::format_duration(duration)
        )));
    }
    let mut plan = LoadPlan::simple(sessions, ramp_up, duration, restart);
    if let Some(rate) = open_rate {
        plan.mode = open_mode(args, sc, src)?;
        for s in &mut plan.stages {
            s.target_sessions = 0;
            s.arrival_rate = rate;
        }
    }
    Ok(plan)
}

/// The open model's concurrency cap when neither --sessions nor load.sessions is given.
const DEFAULT_CAP: u64 = 10_000;

/// Fastest arrival rate accepted (per second).
const MAX_RATE: f64 = 100_000.0;

/// One `[[load.stages]]` entry of a closed (`sessions`) or open (`arrival_rate`) plan.
fn stage(st: &StageSection, i: usize, open: bool, src: &Src<'_>) -> Result<Stage, UsageError> {
    let f = format!("load.stages[{i}]");
    let ramp = src.duration(
        None,
        "",
        st.ramp.as_ref(),
        &format!("{f}.ramp"),
        Duration::ZERO,
    )?;
    let hold = src.duration(
        None,
        "",
        st.hold.as_ref(),
        &format!("{f}.hold"),
        Duration::ZERO,
    )?;
    let (sessions, rate) =
        match (&st.sessions, &st.arrival_rate, open) {
            (Some(n), None, false) => {
                if *n.get_ref() > 1_000_000 {
                    return Err(src.err(
                        &format!("{f}.sessions"),
                        n,
                        "must be at most 1000000; e.g. 1000",
                    ));
                }
                (n.span(), (*n.get_ref(), 0.0))
            }
            (None, Some(r), true) => {
                let rate = parse_rate(r.get_ref())
                    .map_err(|e| src.err(&format!("{f}.arrival_rate"), r, &e))?;
                (r.span(), (0, rate))
            }
            (Some(n), _, true) => return Err(src.err(
                &format!("{f}.sessions"),
                n,
                "an open plan's stages name arrival_rate, not sessions; the cap is load.sessions",
            )),
            (None, Some(r), false) | (_, Some(r), _) => {
                return Err(src.err(
                    &format!("{f}.arrival_rate"),
                    r,
                    "give either sessions or arrival_rate",
                ))
            }
            (None, None, _) => {
                return Err(UsageError::new(format!(
                    "{f}: needs sessions = N (closed model) or arrival_rate = \"2/s\" (open model)"
                )))
            }
        };
    if ramp.is_zero() && hold.is_zero() {
        return Err(UsageError::new(format!(
            "{}: a stage needs a ramp or a hold longer than zero; add hold = \"30s\"",
            match src.file {
                Some(file) => format!("{}: {f}", file.at(sessions)),
                None => f.clone(),
            }
        )));
    }
    Ok(Stage {
        target_sessions: rate.0,
        arrival_rate: rate.1,
        ramp,
        hold,
    })
}

/// `--arrival-rate` or `load.arrival_rate`, per second.
fn open_rate(args: &RunArgs, sc: &Scenario, src: &Src<'_>) -> Result<Option<f64>, UsageError> {
    match (&args.arrival_rate, &sc.load.arrival_rate) {
        (Some(f), _) => parse_rate(f)
            .map(Some)
            .map_err(|e| UsageError::new(format!("--arrival-rate: {e}"))),
        (None, Some(v)) => parse_rate(v.get_ref())
            .map(Some)
            .map_err(|e| src.err("load.arrival_rate", v, &e)),
        (None, None) => Ok(None),
    }
}

/// The open mode: `load.arrival` and the cap (`--sessions` / `load.sessions`).
fn open_mode(args: &RunArgs, sc: &Scenario, src: &Src<'_>) -> Result<LoadMode, UsageError> {
    let arrival = match &sc.load.arrival {
        None => ArrivalProcess::Poisson,
        Some(v) => match v.get_ref().as_str() {
            "poisson" => ArrivalProcess::Poisson,
            "uniform" => ArrivalProcess::Uniform,
            other => {
                return Err(src.err(
                    "load.arrival",
                    v,
                    &format!("unknown arrival process '{other}'; use poisson or uniform"),
                ))
            }
        },
    };
    let cap = args
        .sessions
        .or(sc.load.sessions.as_ref().map(|s| *s.get_ref()))
        .unwrap_or(DEFAULT_CAP);
    if cap == 0 || cap > 1_000_000 {
        return Err(UsageError::new(
            "--sessions / load.sessions (the open model's concurrency cap): must be between 1 and 1000000; e.g. 1000",
        ));
    }
    Ok(LoadMode::Open { arrival, cap })
}

/// An arrival rate `N/s`, `N/m` or `N/h` (N may have decimals) -> arrivals per second.
pub(super) fn parse_rate(s: &str) -> Result<f64, String> {
    let fix = "write it like \"2/s\", \"30/m\" or \"1200/h\"";
    let (n, unit) = s
        .trim()
        .split_once('/')
        .ok_or_else(|| format!("'{s}' has no unit; {fix}"))?;
    let n: f64 = n
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' does not start with a number; {fix}"))?;
    let per_s = match unit.trim() {
        "s" => n,
        "m" => n / 60.0,
        "h" => n / 3600.0,
        u => return Err(format!("'{s}' has the unknown unit '/{u}'; {fix}")),
    };
    if !per_s.is_finite() || !(0.0..=MAX_RATE).contains(&per_s) {
        return Err(format!("'{s}' must be between 0 and 100000/s; {fix}"));
    }
    Ok(per_s)
}

pub(super) fn build_retry(sc: &Scenario, src: &Src<'_>) -> Result<RetryPolicy, UsageError> {
    let r = &sc.retry;
    let max_consecutive = flag_or(None, r.max_consecutive.as_ref(), 5);
    if max_consecutive == 0 {
        let at = r
            .max_consecutive
            .as_ref()
            .map(|v| src.at("retry.max_consecutive", v));
        return Err(UsageError::new(format!(
            "{}: must be at least 1; Genesys Widgets tolerate 5",
            at.unwrap_or_default()
        )));
    }
    let backoff = src.duration(
        None,
        "",
        r.backoff.as_ref(),
        "retry.backoff",
        Duration::from_millis(500),
    )?;
    let backoff_max = src.duration(
        None,
        "",
        r.backoff_max.as_ref(),
        "retry.backoff_max",
        Duration::from_secs(3),
    )?;
    Ok(RetryPolicy {
        max_consecutive,
        backoff,
        backoff_max: backoff_max.max(backoff),
    })
}

/// `--sessions`, `--duration` or `--ramp-up` next to a file's `[[load.stages]]`: the
/// flags replace the stages by one ramp-and-hold stage; say so instead of dropping
/// the stages silently.
pub(super) fn stages_replaced_warning(args: &RunArgs, sc: &Scenario) -> Option<String> {
    let flags: Vec<&str> = [
        (args.sessions.is_some(), "--sessions"),
        (args.duration.is_some(), "--duration"),
        (args.ramp_up.is_some(), "--ramp-up"),
    ]
    .into_iter()
    .filter_map(|(given, name)| given.then_some(name))
    .collect();
    (sc.load.stages.is_some() && !flags.is_empty()).then(|| {
        format!(
            "{} replace the scenario's [[load.stages]] by one ramp-and-hold stage; drop the flags to run the stages",
            flags.join(", ")
        )
    })
}
