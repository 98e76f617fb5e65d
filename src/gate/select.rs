//! Profile selectors (`poll.p99{profile=lurker} < 300ms`): a profile's figures seen as a
//! summary of their own, so every metric is read from them by the one resolver
//! ([`super::Metric::resolve`]), and the check of a selector's name against the profiles a
//! scenario defines or a summary holds.
//!
//! A profile's figures have the run's request shape (requests, latency, outcomes, transport
//! errors, gaps, violations) and the session counts its session rows give: started (its
//! ended sessions), never started, failed, ended by the server, flagged, near miss, and
//! its service level. The rest (the generator's self-check, the open model's drops and
//! plan, peak concurrency, ...) is run-wide only: [`super::Metric::per_profile`].

use super::catalogue::suggest_among;
use super::expr::selector_text;
use super::Threshold;
use crate::error::UsageError;
use crate::report::model::{Sessions, Summary};
use crate::report::vocab::EndReason;

/// The figures of profile `name` in `s` as a summary (the run's scenario and run info kept,
/// so flex-relative limits and elapsed time still apply); None when `s` has no such profile.
pub(super) fn profile_view(s: &Summary, name: &str) -> Option<Summary> {
    let p = s.profiles.get(name)?;
    let ended = |keep: fn(EndReason) -> bool| -> u64 {
        p.end_reasons
            .iter()
            .filter(|(k, _)| EndReason::ALL.iter().any(|r| r.as_str() == *k && keep(*r)))
            .map(|(_, n)| *n)
            .sum()
    };
    let share = |n: u64| {
        if p.sessions == 0 {
            0.0
        } else {
            n as f64 / p.sessions as f64
        }
    };
    Some(Summary {
        scenario: s.scenario.clone(),
        run: s.run.clone(),
        requests: p.requests.clone(),
        latency_ms: p.latency_ms.clone(),
        service_time_ms: p.service_time_ms.clone(),
        outcomes: p.outcomes.clone(),
        transport_errors: p.transport_errors.clone(),
        sessions: Sessions {
            started: p.sessions,
            never_started: p.sessions.saturating_sub(p.established),
            failed: ended(EndReason::failed),
            ended_by_server: ended(EndReason::by_server),
            flagged: p.flagged,
            near_miss: p.near_miss,
            flagged_rate: share(p.flagged),
            near_miss_rate: share(p.near_miss),
            ..Sessions::default()
        },
        gaps: p.gaps.clone(),
        violations: p.violations.clone(),
        service_level: p.service_level.clone(),
        ..Summary::default()
    })
}

/// Where the profile names a selector is checked against come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KnownProfiles {
    /// The scenario's `[[customers]]` (`chatload run`).
    Scenario,
    /// The profiles a summary.json has figures for (`chatload check`).
    Summary,
}

/// Check that `t`'s selector, if any, names one of `known`: an unknown name is a usage
/// error at the name's column, with a "did you mean" and the known names.
pub fn check_profile(
    t: &Threshold,
    known: &[&str],
    source: KnownProfiles,
) -> Result<(), UsageError> {
    let (Some(profile), Some(at)) = (t.metric.profile(), t.profile_at) else {
        return Ok(());
    };
    if known.contains(&profile) {
        return Ok(());
    }
    let selector = selector_text(profile);
    let message = match (known.is_empty(), source) {
        (true, KnownProfiles::Scenario) => format!(
            "'{selector}' selects a [[customers]] profile, but the scenario has none; \
             add [[customers]] profiles to the scenario, or drop the selector to gate the whole run"
        ),
        (true, KnownProfiles::Summary) => format!(
            "'{selector}' selects a [[customers]] profile, but the summary has no profiles \
             (its run had no [[customers]]); drop the selector to gate the whole run"
        ),
        (false, source) => {
            let hint = suggest_among(profile, known.iter().copied())
                .map(|s| format!(" did you mean '{s}'?"))
                .unwrap_or_default();
            let whose = match source {
                KnownProfiles::Scenario => "the scenario's [[customers]] profiles are",
                KnownProfiles::Summary => "the summary has figures for the profiles",
            };
            format!(
                "unknown profile '{profile}';{hint} {whose} {}",
                known.join(", ")
            )
        }
    };
    Err(super::expr::ExprError::new(at, message).into_usage(&t.expression))
}
