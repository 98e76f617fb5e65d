//! `chatload check --json`: the gate results as one JSON object on stdout
//! (`chatload check RUN --json | jq .result`). Built from the same values the
//! tables print; nothing is evaluated here.

use super::baseline::{Regression, Verdict};
use super::check::untrusted_reason;
use crate::error::Exit;
use crate::report::model::{Summary, ThresholdResult};
use serde_json::{json, Value};
use std::path::Path;

/// The results of `check` as JSON: `summary`, `thresholds`, `regressions`, the
/// failure counts, `untrusted` (reason or null), `result` and `exit_code`.
pub(super) fn results_json(
    path: &Path,
    summary: &Summary,
    results: &[ThresholdResult],
    regressions: &[Regression],
    exit: Exit,
) -> Value {
    let regressions: Vec<Value> = regressions
        .iter()
        .map(|r| {
            json!({
                "metric": r.metric,
                "baseline": r.baseline,
                "current": r.current,
                "baseline_display": r.baseline_display,
                "current_display": r.current_display,
                "delta_pct": r.delta_pct,
                "allowed_pct": r.allowed_pct,
                "higher_is_better": r.higher_is_better,
                "verdict": r.verdict.as_str().to_lowercase(),
            })
        })
        .collect();
    let failed_regressions = regressions
        .iter()
        .filter(|r| r["verdict"] == Verdict::Fail.as_str().to_lowercase())
        .count();
    json!({
        "summary": path.display().to_string(),
        "thresholds": results,
        "thresholds_failed": results.iter().filter(|r| !r.passed).count(),
        "regressions": regressions,
        "regressions_failed": failed_regressions,
        "untrusted": untrusted_reason(summary),
        "result": match exit {
            Exit::Success => "pass",
            Exit::GateFailed => "fail",
            _ => "untrusted",
        },
        "exit_code": exit.code(),
    })
}
