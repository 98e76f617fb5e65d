//! CI gates: threshold expressions, baselines, JUnit. (Stub: filled in by the gates issue.)

use crate::cli::CheckArgs;
use crate::error::{Exit, UsageError};
use crate::report::model::{Summary, ThresholdResult};
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

/// A parsed threshold expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// The expression as written.
    pub expression: String,
}

/// Parse one threshold expression.
pub fn parse_threshold(expr: &str) -> Result<Threshold, UsageError> {
    Ok(Threshold {
        expression: expr.to_string(),
    })
}

/// Evaluate thresholds against a summary.
pub fn evaluate(_summary: &Summary, thresholds: &[Threshold]) -> Vec<ThresholdResult> {
    thresholds
        .iter()
        .map(|t| ThresholdResult {
            expression: t.expression.clone(),
            observed: None,
            observed_display: String::new(),
            passed: true,
        })
        .collect()
}

/// `chatload check`.
pub fn check_command(_args: CheckArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("chatload check is not implemented yet")
}
