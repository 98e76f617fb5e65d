//! The stdout table: one line per rule, the failing request and answer under a
//! failed rule, the measured timeout, answer times and the overall verdict.

use crate::conformance::model::{Exchange, Report, Verdict};
use std::io::Write;

/// Longest body excerpt on a line.
const EXCERPT: usize = 160;

/// Write the table.
pub fn write_text(r: &Report, out: &mut impl Write) -> std::io::Result<()> {
    let c = &r.counts;
    writeln!(
        out,
        "chatload conformance: {} at {} ({} rules: {} pass, {} fail, {} warn, {} skip)\n",
        r.dialect,
        r.target,
        r.rules.len(),
        c.pass,
        c.fail,
        c.warn,
        c.skip
    )?;
    let width = r.rules.iter().map(|x| x.id.len()).max().unwrap_or(4).max(4);
    writeln!(out, "{:<width$}  VERDICT  DETAIL", "RULE")?;
    for rule in &r.rules {
        writeln!(
            out,
            "{:<width$}  {:<7}  {}",
            rule.id,
            rule.verdict.as_str(),
            rule.message
        )?;
        if rule.verdict == Verdict::Fail {
            if let Some(ex) = rule.evidence.first() {
                evidence(ex, width, out)?;
            }
        }
    }
    writeln!(out)?;
    flex(r, out)?;
    times(r, out)?;
    let verdict = match c.fail {
        0 => "PASS".to_string(),
        1 => "FAIL (1 rule failed)".to_string(),
        n => format!("FAIL ({n} rules failed)"),
    };
    if r.interrupted {
        let not_run = r
            .rules
            .iter()
            .filter(|x| x.message == crate::conformance::probes::NOT_RUN)
            .count();
        writeln!(
            out,
            "interrupted (Ctrl-C): {not_run} rules not run; the verdicts above are what ran"
        )?;
    }
    writeln!(out, "verdict: {verdict}")
}

fn excerpt(s: &str) -> String {
    let one_line: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    match one_line.char_indices().nth(EXCERPT) {
        Some((i, _)) => format!("{}...", &one_line[..i]),
        None => one_line,
    }
}

fn evidence(ex: &Exchange, width: usize, out: &mut impl Write) -> std::io::Result<()> {
    let pad = " ".repeat(width + 2);
    let q = &ex.request;
    writeln!(out, "{pad}> {} {} {}", q.method, q.url, excerpt(&q.body))?;
    let a = &ex.response;
    let status = a.http_status.map_or_else(
        || format!("no answer ({})", a.error.as_deref().unwrap_or("?")),
        |h| format!("HTTP {h}"),
    );
    writeln!(
        out,
        "{pad}< {status} {}",
        excerpt(a.body.as_deref().unwrap_or(""))
    )
}

fn flex(r: &Report, out: &mut impl Write) -> std::io::Result<()> {
    let f = &r.flex_disconnect_timeout;
    let ms = |v: u64| humantime::format_duration(std::time::Duration::from_millis(v)).to_string();
    let configured = f.configured_ms.map_or("not given".into(), ms);
    match (f.measured_ms, f.resolution_ms) {
        (Some(m), Some(res)) => writeln!(
            out,
            "flex-disconnect-timeout: measured {} ± {} (configured: {configured}; {} probe, cap {})",
            ms(m),
            ms(res),
            f.mode,
            ms(f.cap_ms)
        )?,
        _ if f.mode == "off" => writeln!(out, "flex-disconnect-timeout: not measured (--flex-probe off)")?,
        _ => writeln!(
            out,
            "flex-disconnect-timeout: not measured (no idle chat expired within {})",
            ms(f.cap_ms)
        )?,
    }
    Ok(())
}

fn times(r: &Report, out: &mut impl Write) -> std::io::Result<()> {
    writeln!(
        out,
        "\nanswer times (ms)   count      min   median      max"
    )?;
    for o in &r.operations {
        writeln!(
            out,
            "  {:<16} {:>6} {:>8.1} {:>8.1} {:>8.1}",
            o.operation, o.count, o.min_ms, o.median_ms, o.max_ms
        )?;
    }
    writeln!(out)
}
