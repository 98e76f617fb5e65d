//! The `[load]` and `[retry]` tables (and their flags) -> a [`LoadPlan`] and a [`RetryPolicy`].

use super::{flag_or, nonzero, Src};
use crate::cli::RunArgs;
use crate::engine::pacing::RetryPolicy;
use crate::engine::plan::{LoadMode, LoadPlan, Stage};
use crate::engine::scenario::Scenario;
use crate::error::UsageError;
use std::time::Duration;

pub(super) fn build_plan(
    args: &RunArgs,
    sc: &Scenario,
    src: &Src<'_>,
) -> Result<LoadPlan, UsageError> {
    let load = &sc.load;
    let restart = flag_or(None, load.restart.as_ref(), true);
    let flags_given = args.sessions.is_some() || args.duration.is_some() || args.ramp_up.is_some();
    if let (Some(stages), false) = (&load.stages, flags_given) {
        for (field, given) in [
            ("sessions", load.sessions.as_ref().map(|v| v.span())),
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
            if ramp.is_zero() && hold.is_zero() {
                return Err(src.err(
                    &f,
                    &st.sessions,
                    "a stage needs a ramp or a hold longer than zero; add hold = \"30s\"",
                ));
            }
            if *st.sessions.get_ref() > 1_000_000 {
                return Err(src.err(
                    &format!("{f}.sessions"),
                    &st.sessions,
                    "must be at most 1000000; e.g. 1000",
                ));
            }
            out.push(Stage {
                target_sessions: *st.sessions.get_ref(),
                ramp,
                hold,
            });
        }
        return Ok(LoadPlan {
            mode: LoadMode::Closed,
            stages: out,
            restart,
        });
    }
    let sessions = args
        .sessions
        .or(load.sessions.as_ref().map(|s| *s.get_ref()))
        .unwrap_or(100);
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
    Ok(LoadPlan::simple(sessions, ramp_up, duration, restart))
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
