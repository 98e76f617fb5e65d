//! JUnit XML for CI systems (GitHub Actions test reporters, GitLab `artifacts:reports:junit`,
//! Jenkins): one `<testsuite>` for thresholds and one for baseline regressions, one
//! `<testcase>` per check, a `<failure>` whose message says observed vs expected.
//!
//! Hand-written: the format is small, and every text and attribute goes through [`escape`],
//! which also drops characters XML 1.0 cannot carry.

use super::baseline::{Regression, Verdict};
use crate::report::model::{RunInfo, ThresholdResult};
use std::io::{self, Write};

/// Escape text for XML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

struct Case {
    name: String,
    /// (message, body) when failed.
    failure: Option<(String, String)>,
    skipped: Option<String>,
}

/// The failure message of a threshold: observed vs expected.
pub fn threshold_message(r: &ThresholdResult) -> String {
    format!("observed {}; expected {}", r.observed_display, r.expression)
}

/// Write the JUnit report. `regressions` may be empty (no baseline given).
///
/// Times are real: every check judges the whole run, so each test case and each
/// suite takes the run's wall-clock time (`run.elapsed_s`), and each suite carries the
/// run's start as its `timestamp`.
pub fn write_junit(
    results: &[ThresholdResult],
    regressions: &[Regression],
    run: &RunInfo,
    out: &mut impl Write,
) -> io::Result<()> {
    let timing = Timing {
        seconds: format!("{:.3}", run.elapsed_s.max(0.0)),
        // JUnit's timestamp has no zone and no fraction: 2026-01-01T00:00:00.
        timestamp: escape(run.started_at.get(..19).unwrap_or(&run.started_at)),
    };
    let thresholds: Vec<Case> = results
        .iter()
        .map(|r| Case {
            name: r.expression.clone(),
            failure: (!r.passed).then(|| {
                let msg = threshold_message(r);
                (msg.clone(), msg)
            }),
            skipped: None,
        })
        .collect();
    let regression: Vec<Case> = regressions
        .iter()
        .map(|r| Case {
            name: format!("regression {}", r.metric),
            failure: (r.verdict == Verdict::Fail).then(|| (r.message(), r.message())),
            skipped: match r.verdict {
                Verdict::Skipped => Some(format!("{}: not in the baseline run", r.metric)),
                Verdict::TooFewSamples => Some(format!(
                    "{}: not enough samples beyond the percentile to compare",
                    r.metric
                )),
                Verdict::Pass | Verdict::Fail => None,
            },
        })
        .collect();
    let failures = |cases: &[Case]| cases.iter().filter(|c| c.failure.is_some()).count();
    let total = thresholds.len() + regression.len();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="chatload" tests="{total}" failures="{}" errors="0" time="{}">"#,
        failures(&thresholds) + failures(&regression),
        timing.seconds
    )?;
    write_suite(out, "chatload.thresholds", &thresholds, &timing)?;
    if !regressions.is_empty() {
        write_suite(out, "chatload.regression", &regression, &timing)?;
    }
    writeln!(out, "</testsuites>")
}

/// The run's duration and start, as JUnit attributes.
struct Timing {
    seconds: String,
    timestamp: String,
}

fn write_suite(out: &mut impl Write, name: &str, cases: &[Case], t: &Timing) -> io::Result<()> {
    let failures = cases.iter().filter(|c| c.failure.is_some()).count();
    let skipped = cases.iter().filter(|c| c.skipped.is_some()).count();
    writeln!(
        out,
        r#"  <testsuite name="{name}" tests="{}" failures="{failures}" errors="0" skipped="{skipped}" time="{}" timestamp="{}">"#,
        cases.len(),
        t.seconds,
        t.timestamp
    )?;
    for case in cases {
        let head = format!(
            r#"    <testcase classname="{name}" name="{}" time="{}""#,
            escape(&case.name),
            t.seconds
        );
        match (&case.failure, &case.skipped) {
            (Some((message, body)), _) => {
                writeln!(out, "{head}>")?;
                writeln!(
                    out,
                    r#"      <failure message="{}" type="{name}">{}</failure>"#,
                    escape(message),
                    escape(body)
                )?;
                writeln!(out, "    </testcase>")?;
            }
            (None, Some(why)) => {
                writeln!(out, "{head}>")?;
                writeln!(out, r#"      <skipped message="{}"/>"#, escape(why))?;
                writeln!(out, "    </testcase>")?;
            }
            (None, None) => writeln!(out, "{head}/>")?,
        }
    }
    writeln!(out, "  </testsuite>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(
            escape(r#"a<b & "c" 'd'>"#),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;"
        );
        assert_eq!(escape("x\u{1}y\nz"), "x\u{FFFD}y&#10;z");
    }
}
