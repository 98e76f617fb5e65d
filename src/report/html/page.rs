//! The page's top: the run header (what ran, when, against what, the gate
//! verdicts) and the key-figure cards.

use super::escape::esc;
use super::format;
use super::tables::{Cell, Table};
use crate::protocol::Operation;
use crate::report::model::Summary;
use crate::report::vocab::{GeneratorVerdict, RunEnd};
use std::fmt::Write;

/// The `<title>` text.
pub(super) fn title(s: &Summary) -> String {
    format!("chatload report: {}", s.scenario.name)
}

/// The header: scenario, run facts and per-threshold gate verdicts.
pub(super) fn header(s: &Summary, out: &mut String) {
    let sc = &s.scenario;
    let target = if sc.embedded_server {
        format!("{} (embedded reference server)", sc.target)
    } else {
        sc.target.clone()
    };
    let duration = format!(
        "{} (planned {})",
        format::duration_s(s.run.elapsed_s),
        format::duration_s(sc.duration_s)
    );
    let sessions = format!(
        "{} started of {} planned, peak {} active",
        format::count(s.sessions.started),
        format::count(sc.sessions),
        format::count(s.sessions.peak_active)
    );
    let facts: [(&str, String); 11] = [
        ("dialect", sc.dialect.clone()),
        ("target", target),
        ("connection", super::reach::connection(sc)),
        ("started", s.run.started_at.clone()),
        ("duration", duration),
        ("sessions", sessions),
        ("run ended", s.run.end.as_str().to_string()),
        (
            "flex-disconnect-timeout",
            format::ms(sc.flex_disconnect_timeout_ms as f64),
        ),
        ("poll interval", format::ms(sc.poll_interval_ms as f64)),
        ("seed", sc.seed.to_string()),
        ("chatload", s.chatload_version.clone()),
    ];
    let _ = write!(
        out,
        r#"<header class="top" data-section="header"><p class="brand">chatload load-test report</p><h1>{}</h1><dl class="meta">"#,
        esc(&sc.name)
    );
    for (k, v) in &facts {
        let _ = write!(out, "<div><dt>{}</dt><dd>{}</dd></div>", esc(k), esc(v));
    }
    out.push_str("</dl>\n");
    super::reach::insecure_banner(sc, out);
    if s.run.end == RunEnd::Incomplete {
        let until = chrono::DateTime::parse_from_rfc3339(&s.run.started_at)
            .map(|t| {
                let at = t + chrono::Duration::milliseconds((s.run.elapsed_s * 1000.0) as i64);
                at.with_timezone(&chrono::Utc)
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            r#"<p class="banner warn" data-run-end="incomplete">This run did not finish: the process stopped before writing its reports. This report was rebuilt from the files it streamed and has data up to {} ({:.0} s after the start).</p>"#,
            esc(&until),
            s.run.elapsed_s
        );
    } else if !matches!(s.run.end, RunEnd::Completed | RunEnd::Unknown) {
        let _ = writeln!(
            out,
            r#"<p class="banner warn">This run did not complete: it was {}. Figures cover the part that ran.</p>"#,
            esc(s.run.end.as_str())
        );
    }
    gates(s, out);
    out.push_str("</header>\n");
}

fn gates(s: &Summary, out: &mut String) {
    if s.thresholds.is_empty() {
        out.push_str(
            r#"<p class="gate none" data-gate="none">No thresholds were given for this run.</p>"#,
        );
        return;
    }
    let failed = s.thresholds.iter().filter(|t| !t.passed).count();
    let (class, text) = if failed == 0 {
        ("ok", format!("All {} gates passed", s.thresholds.len()))
    } else {
        (
            "bad",
            format!("{failed} of {} gates failed", s.thresholds.len()),
        )
    };
    let _ = write!(
        out,
        r#"<section class="gates" data-section="gates"><h2 class="gate {class}" data-gate="{}">{}</h2>"#,
        if failed == 0 { "pass" } else { "fail" },
        esc(&text)
    );
    if s.aborted_by_threshold {
        out.push_str(
            r#"<p class="banner bad">A threshold with abort-on-fail stopped the run early.</p>"#,
        );
    }
    let mut t = Table::new(
        "thresholds",
        &[("threshold", false), ("observed", true), ("verdict", false)],
        "",
    );
    for th in &s.thresholds {
        let verdict = if th.passed {
            Cell::badge("ok", "pass")
        } else {
            Cell::badge("bad", "fail")
        };
        t.row(vec![
            Cell::text(&th.expression),
            Cell::num(&th.observed_display),
            verdict,
        ]);
    }
    t.render(out);
    out.push_str("</section>\n");
}

/// One key-figure card: label, value, detail line and a tone (ok, warn, bad, or "").
fn card(out: &mut String, key: &str, label: &str, value: &str, detail: &str, tone: &str) {
    let _ = write!(
        out,
        r#"<div class="card {tone}" data-figure="{key}"><div class="label">{}</div><div class="value">{}</div><div class="detail">{}</div></div>"#,
        esc(label),
        esc(value),
        esc(detail)
    );
}

/// The key-figure cards.
pub(super) fn key_figures(s: &Summary, out: &mut String) {
    out.push_str(r#"<section class="figures" data-section="key-figures"><h2>Key figures</h2><div class="cards">"#);
    let r = &s.requests;
    card(
        out,
        "requests",
        "Requests",
        &format::count(r.total),
        &format!("{} errors", format::count(r.errors)),
        "",
    );
    card(
        out,
        "rate",
        "Throughput",
        &format!("{} req/s", format::num(r.rate_per_s)),
        "over the whole run",
        "",
    );
    match s.latency_ms.get(Operation::Poll.as_str()) {
        Some(p) => card(
            out,
            "poll-latency",
            "Poll latency p50 / p99 / p99.9",
            &format!(
                "{} / {} / {} ms",
                format::num(p.p50),
                format::num(p.p99),
                format::num(p.p999)
            ),
            "corrected (from the intended send instant)",
            "",
        ),
        None => card(
            out,
            "poll-latency",
            "Poll latency",
            "–",
            "no polls recorded",
            "",
        ),
    }
    let tone = if r.error_rate > 0.01 {
        "bad"
    } else if r.error_rate > 0.0 {
        "warn"
    } else {
        "ok"
    };
    card(
        out,
        "error-share",
        "Error share",
        &format::pct(r.error_rate),
        "transport, statusCode 1/2, non-2xx",
        tone,
    );
    let ss = &s.sessions;
    let tone = if ss.flagged > 0 {
        "bad"
    } else if ss.near_miss > 0 {
        "warn"
    } else {
        "ok"
    };
    card(
        out,
        "sessions-flagged",
        "Sessions flagged / near miss",
        &format!(
            "{} / {}",
            format::count(ss.flagged),
            format::count(ss.near_miss)
        ),
        &format!(
            "{} / {} of started",
            format::pct(ss.flagged_rate),
            format::pct(ss.near_miss_rate)
        ),
        tone,
    );
    card(
        out,
        "sessions",
        "Sessions completed / failed",
        &format!(
            "{} / {}",
            format::count(ss.completed),
            format::count(ss.failed)
        ),
        &format!(
            "of {} started; {} ended by the client, {} by the server",
            format::count(ss.started),
            format::count(ss.ended_by_client),
            format::count(ss.ended_by_server)
        ),
        if ss.failed > 0 { "warn" } else { "ok" },
    );
    let violations = s.violations_total();
    let kinds = s.violations.values().filter(|n| **n > 0).count();
    card(
        out,
        "violations",
        "Protocol violations",
        &format::count(violations),
        &format!("{kinds} kind(s) seen"),
        if violations > 0 { "bad" } else { "ok" },
    );
    let g = &s.generator;
    let tone = if g.verdict == GeneratorVerdict::Ok {
        "ok"
    } else {
        "bad"
    };
    card(
        out,
        "generator",
        "Generator",
        g.verdict.as_str(),
        &format!(
            "lateness p99 {} · CPU {} % of a core ({} cores). {}",
            format::ms(g.schedule_lateness_ms.p99),
            format::num(g.cpu_percent),
            g.cores,
            g.reason
        ),
        tone,
    );
    let gp = &s.gaps;
    card(
        out,
        "gaps",
        "Poll gaps p50 / p99 / max",
        &format!(
            "{} / {} / {}",
            format::ms(gp.p50_ms),
            format::ms(gp.p99_ms),
            format::ms(gp.max_ms)
        ),
        &format!("{} gaps measured", format::count(gp.count)),
        "",
    );
    timeout_views(s, out);
    out.push_str("</div></section>\n");
}

/// The card of the three views of flex-disconnect-timeout and one sentence on each.
fn timeout_views(s: &Summary, out: &mut String) {
    let ss = &s.sessions;
    card(
        out,
        "timeout-views",
        "Flagged / idle over flex / expired",
        &format!(
            "{} / {} / {}",
            format::count(ss.flagged),
            format::count(ss.idle_over_flex),
            format::count(ss.expired)
        ),
        &format!(
            "sessions; {} never started",
            format::count(ss.never_started)
        ),
        if ss.expired > 0 || ss.idle_over_flex > 0 {
            "bad"
        } else if ss.flagged > 0 {
            "warn"
        } else {
            "ok"
        },
    );
    out.push_str(r#"<dl class="views" data-section="timeout-views">"#);
    for (name, meaning) in super::explain::TIMEOUT_VIEWS {
        let _ = write!(out, "<dt>{}</dt><dd>{}</dd>", esc(name), esc(meaning));
    }
    out.push_str("</dl>");
}
