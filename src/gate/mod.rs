//! CI gates: threshold expressions, baseline regressions, JUnit XML and `chatload check`.
//!
//! # Layout
//! - [`expr`]: the expression syntax (`METRIC OP VALUE`) with byte positions.
//! - [`metrics`]: metric names, units and how each is read from a [`Summary`].
//! - [`catalogue`]: every metric name with unit and meaning; "did you mean" suggestions.
//! - [`select`]: `{profile=NAME}` selectors: a profile's figures as a summary, name checks.
//! - [`baseline`]: regression of a run against a baseline run.
//! - [`junit`]: JUnit XML for CI systems.
//! - [`check`]: the `chatload check` command and the text tables.
//!
//! A threshold is parsed once ([`parse_threshold`]: syntax, metric name and unit are all
//! checked there, so a typo never becomes a silent pass) and evaluated against any number of
//! summaries ([`evaluate`]). A metric the run has no data for fails its threshold.

pub mod baseline;
pub mod catalogue;
pub mod check;
pub mod expr;
pub mod junit;
pub mod metrics;
pub mod select;

pub use baseline::{compare, Regression, Verdict};
pub use check::{check_command, untrusted_reason};
mod json;
pub use expr::CmpOp;
pub use junit::write_junit;
pub use metrics::{Metric, Observed, Unit};
pub use select::{check_profile, KnownProfiles};

use crate::error::{Exit, UsageError};
use crate::report::model::{Summary, ThresholdResult};
use crate::report::vocab::{GeneratorVerdict, RunEnd};
use crate::util::trim_decimals;
use expr::{ExprError, Literal};
use serde::{Deserialize, Serialize};

/// The `[thresholds]` table of a scenario file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ThresholdsSpec {
    /// Threshold expressions, e.g. `"poll.p99 < 300ms"`.
    pub checks: Vec<String>,
    /// Stop the run early when a threshold fails (checked every second after `grace`).
    pub abort_on_fail: bool,
    /// Grace period before abort-on-fail checks start, e.g. `"10s"`.
    pub grace: Option<String>,
}

/// The right-hand side of a threshold, in the metric's base unit.
#[derive(Debug, Clone, PartialEq)]
pub enum Limit {
    /// A number in the metric's base unit (ms, fraction, count, per second).
    Value(f64),
    /// A fraction of the run's flex-disconnect-timeout (durations only).
    Flex(f64),
    /// A generator verdict.
    Word(GeneratorVerdict),
}

/// A parsed and checked threshold expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// The expression as written.
    pub expression: String,
    /// The metric it reads (with the profile of a `{profile=NAME}` selector).
    pub metric: Metric,
    /// Byte offset in `expression` of the selector's profile name (None without one); the
    /// name is checked against the known profiles by [`check_profile`].
    pub profile_at: Option<usize>,
    /// The comparison.
    pub op: CmpOp,
    /// The value compared with.
    pub limit: Limit,
}

/// Parse one threshold expression: syntax, metric name, selector and unit compatibility.
/// A selector's profile name is checked later, against the profiles known where the
/// threshold is used ([`check_profile`]).
///
/// Errors name the column, e.g. `threshold 'poll.p99 < 30x' at column 14: unknown unit 'x'; ...`.
pub fn parse_threshold(expr: &str) -> Result<Threshold, UsageError> {
    let raw = expr::parse_raw(expr).map_err(|e| e.into_usage(expr))?;
    let metric = Metric::from_name(&raw.metric).ok_or_else(|| {
        let hint = match catalogue::suggest(&raw.metric, &[]) {
            Some(s) => format!("did you mean '{s}'?"),
            None => "see the metric list in the README (Gates section)".to_string(),
        };
        ExprError::new(
            raw.metric_at,
            format!("unknown metric '{}'; {hint}", raw.metric),
        )
        .into_usage(expr)
    })?;
    let (metric, profile_at) = match &raw.selector {
        None => (metric, None),
        Some(sel) => {
            let name = metric.name.clone();
            let metric = metric.for_profile(&sel.profile).ok_or_else(|| {
                ExprError::new(
                    sel.open_at,
                    format!(
                        "'{name}' has no value per profile (it is run-wide); drop the selector, \
                         or select one of: {}",
                        catalogue::per_profile_patterns().join(", ")
                    ),
                )
                .into_usage(expr)
            })?;
            let leading = expr.len() - expr.trim_start().len();
            (metric, Some(sel.name_at - leading))
        }
    };
    let limit = limit_for(&metric, raw.op, raw.value, raw.op_at, raw.value_at)
        .map_err(|e| e.into_usage(expr))?;
    Ok(Threshold {
        expression: expr.trim().to_string(),
        metric,
        profile_at,
        op: raw.op,
        limit,
    })
}

/// Check that the value's unit fits the metric and convert it to a [`Limit`].
fn limit_for(
    metric: &Metric,
    op: CmpOp,
    value: Literal,
    op_at: usize,
    at: usize,
) -> Result<Limit, ExprError> {
    let name = &metric.label();
    let mismatch = |fix: &str| {
        ExprError::new(
            at,
            format!(
                "'{name}' is {} and cannot be compared with {}; {fix}",
                metric.unit.describe(),
                value.kind()
            ),
        )
    };
    match (metric.unit, &value) {
        (Unit::Millis, Literal::Duration(ms)) => Ok(Limit::Value(*ms)),
        (Unit::Millis, Literal::Flex(f)) => Ok(Limit::Flex(*f)),
        (Unit::Millis, Literal::Number(n)) => Err(mismatch(&format!(
            "add a unit, e.g. {}ms",
            trim_decimals(*n, 3)
        ))),
        (Unit::Millis, _) => Err(mismatch("use a duration such as 300ms or 1s, or 80% flex")),
        (Unit::Fraction, Literal::Percent(f)) => Ok(Limit::Value(*f)),
        (Unit::Fraction, Literal::Number(n)) if (0.0..=1.0).contains(n) => Ok(Limit::Value(*n)),
        (Unit::Fraction, Literal::Number(n)) => Err(mismatch(&format!(
            "a rate is a fraction between 0 and 1; did you mean {}%?",
            trim_decimals(*n, 3)
        ))),
        (Unit::Fraction, _) => Err(mismatch(
            "use a percentage such as 0.5% or a fraction such as 0.005",
        )),
        (Unit::Count, Literal::Number(n)) => Ok(Limit::Value(*n)),
        (Unit::Count, Literal::Percent(_)) => {
            let base = &metric.name;
            let rate = base.strip_suffix(".count").unwrap_or(base).to_string() + ".rate";
            let rate_metric = Metric::from_name(&rate).and_then(|m| match metric.profile() {
                Some(p) => m.for_profile(p),
                None => Some(m),
            });
            match rate_metric {
                Some(m) => Err(mismatch(&format!(
                    "compare '{}' with a percentage instead",
                    m.label()
                ))),
                None => Err(mismatch("use a plain number such as 0")),
            }
        }
        (Unit::Count, _) => Err(mismatch("use a plain number such as 0")),
        (Unit::PerSecond, Literal::PerSecond(n) | Literal::Number(n)) => Ok(Limit::Value(*n)),
        (Unit::PerSecond, _) => Err(mismatch("use a rate such as 5000/s")),
        (Unit::Verdict, Literal::Word(w)) if verdict_word(w).is_some() => {
            if let (Some(v), CmpOp::Eq | CmpOp::Ne) = (verdict_word(w), op) {
                Ok(Limit::Word(v))
            } else {
                Err(ExprError::new(
                    op_at,
                    format!("'{name}' is a word and can only be compared with == or !="),
                ))
            }
        }
        (Unit::Verdict, Literal::Word(w)) => Err(ExprError::new(
            at,
            format!("unknown verdict '{w}'; expected ok or overloaded"),
        )),
        (Unit::Verdict, _) => Err(mismatch("use ok or overloaded")),
    }
}

/// The generator verdict a threshold word names (`ok`, `overloaded`).
fn verdict_word(w: &str) -> Option<GeneratorVerdict> {
    GeneratorVerdict::ALL
        .into_iter()
        .find(|v| *v != GeneratorVerdict::Unknown && v.as_str() == w)
}

/// The flex-disconnect-timeout a summary's gaps were judged against, in ms.
fn flex_ms(s: &Summary) -> Option<f64> {
    [
        s.gaps.flex_disconnect_timeout_ms,
        s.scenario.flex_disconnect_timeout_ms,
    ]
    .into_iter()
    .find(|v| *v > 0)
    .map(|v| v as f64)
}

/// Evaluate one threshold.
pub fn evaluate_one(summary: &Summary, t: &Threshold) -> ThresholdResult {
    judge(summary, t).0
}

/// Evaluate one threshold; the flag is true when the metric had no data.
fn judge(summary: &Summary, t: &Threshold) -> (ThresholdResult, bool) {
    let observed = t.metric.resolve(summary);
    let no_data = matches!(observed, Observed::NoData(_));
    (judge_observed(summary, t, observed), no_data)
}

fn judge_observed(summary: &Summary, t: &Threshold, observed: Observed) -> ThresholdResult {
    let result = |observed: Option<f64>, display: String, passed: bool| ThresholdResult {
        expression: t.expression.clone(),
        observed,
        observed_display: display,
        passed,
    };
    match (observed, &t.limit) {
        (Observed::NoData(why), _) => result(None, format!("no data ({why})"), false),
        (Observed::Word(w), Limit::Word(want)) => {
            let passed = (w == *want) == (t.op == CmpOp::Eq);
            result(None, w.as_str().to_string(), passed)
        }
        (Observed::Value(v), Limit::Value(limit)) => {
            result(Some(v), t.metric.unit.format(v), t.op.holds(v, *limit))
        }
        (Observed::Value(v), Limit::Flex(fraction)) => match flex_ms(summary) {
            None => result(
                Some(v),
                format!(
                    "{} (no data: flex-disconnect-timeout unknown)",
                    t.metric.unit.format(v)
                ),
                false,
            ),
            Some(flex) => {
                let display = format!(
                    "{} ({}% of flex {} ms)",
                    t.metric.unit.format(v),
                    trim_decimals(v / flex * 100.0, 1),
                    trim_decimals(flex, 0)
                );
                result(Some(v), display, t.op.holds(v, fraction * flex))
            }
        },
        (observed, _) => result(None, format!("{observed:?} does not fit the limit"), false),
    }
}

/// Evaluate thresholds against a summary.
pub fn evaluate(summary: &Summary, thresholds: &[Threshold]) -> Vec<ThresholdResult> {
    thresholds
        .iter()
        .map(|t| evaluate_one(summary, t))
        .collect()
}

/// For abort-on-fail during a run: the first threshold that fails on a (partial) summary with
/// a measured value. "No data" does not abort: early in a run most metrics have none yet.
pub fn abort_check(summary: &Summary, thresholds: &[Threshold]) -> Option<ThresholdResult> {
    thresholds
        .iter()
        .map(|t| judge(summary, t))
        .find(|(r, no_data)| !r.passed && !no_data)
        .map(|(r, _)| r)
}

/// The exit code a run or a check ends with: [`Exit::Untrusted`] when [`untrusted_reason`]
/// finds one, else [`Exit::GateFailed`] when a threshold failed or the run was aborted by one,
/// else [`Exit::Success`].
pub fn exit_for(summary: &Summary, results: &[ThresholdResult]) -> Exit {
    let failed = results.iter().any(|r| !r.passed)
        || summary.aborted_by_threshold
        || summary.run.end == RunEnd::Aborted;
    let exit = if failed {
        Exit::GateFailed
    } else {
        Exit::Success
    };
    match untrusted_reason(summary) {
        Some(_) => exit.worst(Exit::Untrusted),
        None => exit,
    }
}
