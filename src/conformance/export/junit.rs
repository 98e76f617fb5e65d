//! JUnit XML: one `<testsuite>` per run, one `<testcase>` per rule; a failed
//! rule is a `<failure>` carrying the evidence, a skipped one `<skipped>`, a
//! warning passes with the warning in `<system-out>`. Escaping is the gate's
//! (`gate::junit::escape`), which also drops what XML 1.0 cannot carry.

use crate::conformance::model::{Report, Verdict};
use crate::gate::junit::escape;
use std::io::Write;

/// Write the JUnit report.
pub fn write_junit(r: &Report, out: &mut impl Write) -> std::io::Result<()> {
    let suite = format!("chatload.conformance.{}", r.dialect);
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="chatload conformance" tests="{}" failures="{}" errors="0">"#,
        r.rules.len(),
        r.counts.fail
    )?;
    writeln!(
        out,
        r#"  <testsuite name="{suite}" tests="{}" failures="{}" errors="0" skipped="{}">"#,
        r.rules.len(),
        r.counts.fail,
        r.counts.skip
    )?;
    for rule in &r.rules {
        let head = format!(
            r#"    <testcase classname="{suite}" name="{}" time="0">"#,
            escape(&rule.id)
        );
        writeln!(out, "{head}")?;
        match rule.verdict {
            Verdict::Fail => {
                let mut body = format!("{}\nsource: {}\n", rule.statement, rule.source);
                for ex in &rule.evidence {
                    body.push_str(&format!(
                        "\n> {} {}\n> {}\n< {:?} {}\n",
                        ex.request.method,
                        ex.request.url,
                        ex.request.body,
                        ex.response.http_status,
                        ex.response.body.as_deref().unwrap_or("")
                    ));
                }
                writeln!(
                    out,
                    r#"      <failure message="{}" type="conformance">{}</failure>"#,
                    escape(&rule.message),
                    escape(&body)
                )?;
            }
            Verdict::Skip => {
                writeln!(
                    out,
                    r#"      <skipped message="{}"/>"#,
                    escape(&rule.message)
                )?;
            }
            Verdict::Warn => {
                writeln!(
                    out,
                    "      <system-out>warn: {}</system-out>",
                    escape(&rule.message)
                )?;
            }
            Verdict::Pass => {}
        }
        writeln!(out, "    </testcase>")?;
    }
    writeln!(out, "  </testsuite>")?;
    writeln!(out, "</testsuites>")
}
