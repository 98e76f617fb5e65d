//! `chatload check RUN_DIR|summary.json [--threshold EXPR]... [--baseline OTHER]
//! [--max-regression 10%] [--junit FILE]`, and the text tables it prints.
//!
//! Exit codes: 0 every gate passed; 1 a threshold or regression check failed (or the run was
//! aborted by a threshold); 2 unreadable summary, bad expression, unknown metric or bad flag;
//! 3 the run cannot be trusted ([`untrusted_reason`]), which wins over 1.

use super::baseline::{compare, Allowed, Regression, Verdict, DEFAULT_MIN_REGRESSION_MS};
use super::junit::{threshold_message, write_junit};
use super::{check_profile, evaluate, parse_threshold, KnownProfiles, Threshold};
use crate::cli::CheckArgs;
use crate::error::{Exit, UsageError};
use crate::protocol::Operation;
use crate::report::json::load_summary;
use crate::report::model::{Summary, ThresholdResult};
use crate::report::vocab::{GeneratorVerdict, RunEnd};
use anyhow::Context;
use std::io::{self, Write};
use std::path::PathBuf;

/// `chatload check`: print to stdout. The tables are built in memory first, so a closed pipe
/// (`chatload check ... | head`) loses output but never changes the exit code. With
/// `--json` the tables go to stderr and stdout carries the results as JSON alone.
pub fn check_command(args: CheckArgs) -> anyhow::Result<Exit> {
    let mut text = Vec::new();
    let mut json = None;
    let result = run_check(&args, &mut text, &mut json);
    let written = if args.json {
        let _ = io::stderr().write_all(&text);
        let mut stdout = io::stdout().lock();
        match json {
            Some(v) => serde_json::to_writer_pretty(&mut stdout, &v)
                .map_err(io::Error::from)
                .and_then(|()| writeln!(stdout))
                .and_then(|()| stdout.flush()),
            None => Ok(()),
        }
    } else {
        let mut stdout = io::stdout().lock();
        stdout.write_all(&text).and_then(|()| stdout.flush())
    };
    match written {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => result,
    }
}

/// `chatload check`, writing its tables to `out` and its results as JSON to `json`.
pub fn run_check(
    args: &CheckArgs,
    out: &mut impl Write,
    json: &mut Option<serde_json::Value>,
) -> anyhow::Result<Exit> {
    let (path, summary) = load_summary(&args.run)?;
    let allowed = Allowed {
        fraction: parse_max_regression(args.max_regression.as_deref())?,
        min_ms: parse_min_regression(args.min_regression.as_deref())?,
    };
    let thresholds = thresholds_to_check(args, &summary)?;
    let baseline = args.baseline.as_deref().map(load_summary).transpose()?;
    // Create the JUnit file before evaluating, so a bad path is reported as such.
    let mut junit = create_junit(args)?;

    writeln!(out, "summary: {}", path.display())?;
    let results = evaluate(&summary, &thresholds);
    if results.is_empty() {
        writeln!(
            out,
            "no thresholds: none given with --threshold and none recorded in the summary"
        )?;
    } else {
        write_threshold_table(out, &results)?;
    }
    let mut regressions = Vec::new();
    if let Some((base_path, base)) = &baseline {
        regressions = compare(base, &summary, &thresholds, allowed);
        writeln!(out, "\nregression against {}:", base_path.display())?;
        write_regression_table(out, &regressions)?;
    }
    if let Some((p, file)) = junit.as_mut() {
        let mut w = io::BufWriter::new(file);
        write_junit(&results, &regressions, &summary.run, &mut w)
            .and_then(|()| w.flush())
            .with_context(|| format!("could not write JUnit file '{}'", p.display()))?;
    }
    let exit = verdict(out, &summary, &results, &regressions)?;
    *json = Some(super::json::results_json(
        &path,
        &summary,
        &results,
        &regressions,
        exit,
    ));
    Ok(exit)
}

/// The `--threshold` expressions, or else the ones the summary recorded, parsed. A
/// `--threshold`'s profile selector must name a profile the summary has figures for; a
/// recorded one was checked against its scenario when the run started (a profile without
/// ended sessions has no figures: its thresholds fail with no data).
fn thresholds_to_check(args: &CheckArgs, summary: &Summary) -> anyhow::Result<Vec<Threshold>> {
    if args.thresholds.is_empty() {
        return Ok(summary
            .thresholds
            .iter()
            .map(|t| parse_threshold(&t.expression))
            .collect::<Result<_, _>>()?);
    }
    let known: Vec<&str> = summary.profiles.keys().map(String::as_str).collect();
    Ok(args
        .thresholds
        .iter()
        .map(|e| {
            let t = parse_threshold(e)?;
            check_profile(&t, &known, KnownProfiles::Summary).map(|()| t)
        })
        .collect::<Result<_, _>>()?)
}

/// The `--junit` file, created (a bad path is a usage error naming it).
fn create_junit(args: &CheckArgs) -> Result<Option<(&PathBuf, std::fs::File)>, UsageError> {
    let Some(p) = &args.junit else {
        return Ok(None);
    };
    let file = std::fs::File::create(p).map_err(|e| {
        UsageError::new(format!(
            "--junit '{}': cannot create the file: {e}",
            p.display()
        ))
    })?;
    Ok(Some((p, file)))
}

/// Print the closing lines and decide the exit code.
fn verdict(
    out: &mut impl Write,
    summary: &Summary,
    results: &[ThresholdResult],
    regressions: &[Regression],
) -> io::Result<Exit> {
    let failed_t = results.iter().filter(|r| !r.passed).count();
    let failed_r = regressions
        .iter()
        .filter(|r| r.verdict == Verdict::Fail)
        .count();
    write!(out, "\n{} threshold(s), {failed_t} failed", results.len())?;
    if !regressions.is_empty() {
        write!(
            out,
            "; {} regression check(s), {failed_r} failed",
            regressions.len()
        )?;
    }
    writeln!(out)?;
    let mut exit = super::exit_for(summary, results);
    if failed_r > 0 {
        exit = exit.worst(Exit::GateFailed);
    }
    if summary.run.end == RunEnd::Aborted || summary.aborted_by_threshold {
        writeln!(out, "the run was aborted early by a failing threshold")?;
    }
    if let Some(why) = untrusted_reason(summary) {
        writeln!(out, "untrusted run: {why}")?;
    }
    let word = match exit {
        Exit::Success => "PASS",
        Exit::GateFailed => "FAIL",
        _ => "UNTRUSTED",
    };
    writeln!(out, "result: {word} (exit {})", exit.code())?;
    Ok(exit)
}

/// Why a run's figures cannot be trusted: interrupted, generator overloaded, or a target that
/// refused every connection or never started a chat (no request_chat answered with statusCode 0
/// while sessions were started). None when the run is trustworthy.
pub fn untrusted_reason(s: &Summary) -> Option<String> {
    if s.run.end == RunEnd::Interrupted {
        return Some("the run was interrupted before it finished".to_string());
    }
    if s.run.end == RunEnd::Incomplete {
        return Some(
            "the run did not finish (the process died; summary rebuilt from its streamed files)"
                .to_string(),
        );
    }
    if s.generator.verdict == GeneratorVerdict::Overloaded {
        return Some(format!(
            "the load generator was overloaded ({})",
            s.generator.reason
        ));
    }
    let connect = s.transport_errors.get("connect").copied().unwrap_or(0);
    if s.requests.total > 0 && connect == s.requests.total {
        return Some("the target was unreachable: every request failed to connect".to_string());
    }
    let tls = s.transport_errors.get("tls").copied().unwrap_or(0);
    if s.requests.total > 0 && tls == s.requests.total {
        return Some(
            "every TLS handshake failed; see the reasons under transport_error_samples".to_string(),
        );
    }
    let established = s.outcomes.iter().any(|o| {
        o.operation == Operation::RequestChat.as_str() && o.status_code == Some(0) && o.count > 0
    });
    if s.sessions.started > 0 && !established {
        return Some("the target was unreachable: no request_chat ever succeeded".to_string());
    }
    None
}

/// `--max-regression`: `10%` or `10` (percent) -> 0.10. Default 10%.
pub fn parse_max_regression(s: Option<&str>) -> Result<f64, UsageError> {
    let Some(s) = s else { return Ok(0.10) };
    let number = s.trim().trim_end_matches('%').trim();
    match number.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v / 100.0),
        _ => Err(UsageError::new(format!(
            "--max-regression '{s}': expected a non-negative percentage such as 10%"
        ))),
    }
}

/// `--min-regression`: a duration (`1ms`, `500us`, `0`) -> ms. Default 1 ms.
pub fn parse_min_regression(s: Option<&str>) -> Result<f64, UsageError> {
    let Some(s) = s else {
        return Ok(DEFAULT_MIN_REGRESSION_MS);
    };
    if s.trim() == "0" {
        return Ok(0.0);
    }
    crate::util::parse_duration(s)
        .map(|d| d.as_secs_f64() * 1000.0)
        .map_err(|_| {
            UsageError::new(format!(
                "--min-regression '{s}': expected a duration such as 1ms or 500us"
            ))
        })
}

fn width(cells: impl Iterator<Item = usize>, header: &str) -> usize {
    cells.max().unwrap_or(0).max(header.len())
}

/// The thresholds table: expression, observed, verdict (and observed vs expected on failure).
pub fn write_threshold_table(out: &mut impl Write, results: &[ThresholdResult]) -> io::Result<()> {
    let we = width(
        results.iter().map(|r| r.expression.chars().count()),
        "THRESHOLD",
    );
    let wo = width(
        results.iter().map(|r| r.observed_display.chars().count()),
        "OBSERVED",
    );
    writeln!(out, "{:we$}  {:wo$}  VERDICT", "THRESHOLD", "OBSERVED")?;
    for r in results {
        let verdict = if r.passed {
            "pass".to_string()
        } else {
            format!("FAIL  {}", threshold_message(r))
        };
        writeln!(
            out,
            "{:we$}  {:wo$}  {verdict}",
            r.expression, r.observed_display
        )?;
    }
    Ok(())
}

/// The regression table: metric, baseline, current, delta %, allowed, verdict.
pub fn write_regression_table(out: &mut impl Write, rs: &[Regression]) -> io::Result<()> {
    let wm = width(rs.iter().map(|r| r.metric.len()), "METRIC");
    let wb = width(rs.iter().map(|r| r.baseline_display.len()), "BASELINE");
    let wc = width(rs.iter().map(|r| r.current_display.len()), "CURRENT");
    writeln!(
        out,
        "{:wm$}  {:>wb$}  {:>wc$}  {:>8}  {:>8}  VERDICT",
        "METRIC", "BASELINE", "CURRENT", "DELTA", "ALLOWED"
    )?;
    for r in rs {
        writeln!(
            out,
            "{:wm$}  {:>wb$}  {:>wc$}  {:>8}  {:>8}  {}",
            r.metric,
            r.baseline_display,
            r.current_display,
            r.delta_display(),
            r.allowed_display(),
            r.verdict.as_str()
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_regression_accepts_percentages() {
        assert_eq!(parse_max_regression(None).unwrap(), 0.10);
        assert_eq!(parse_max_regression(Some("25%")).unwrap(), 0.25);
        assert_eq!(parse_max_regression(Some("5")).unwrap(), 0.05);
        assert_eq!(parse_min_regression(None).unwrap(), 1.0);
        assert_eq!(parse_min_regression(Some("2500us")).unwrap(), 2.5);
        assert_eq!(parse_min_regression(Some("0")).unwrap(), 0.0);
        assert!(parse_min_regression(Some("soon"))
            .unwrap_err()
            .0
            .contains("--min-regression 'soon'"));
        let err = parse_max_regression(Some("-3%")).unwrap_err().0;
        assert!(err.contains("--max-regression '-3%'"), "{err}");
    }
}
