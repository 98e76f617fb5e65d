//! The service-level section: how long customers waited for an agent, as a
//! cumulative chart of the queue wait with the service-level target line, the
//! level over time (per window of the timeline, with the run's level and a
//! threshold's goal), and a table of the figures (level, ASA, joined / abandoned /
//! never joined, response times). Nothing when no chat was established.

use super::charts::time_axis;
use super::format;
use super::svg::{Axis, Chart, Scale};
use super::tables::{Cell, Table};
use crate::report::model::{LatencyStats, ServiceLevel, Summary};
use crate::report::service_windows;

/// The section, or nothing for a run without `service_level`.
pub(crate) fn service_level(s: &Summary, out: &mut String) {
    let Some(sl) = &s.service_level else { return };
    out.push_str(r#"<h3 class="sub">Service level: how long customers waited for an agent</h3>"#);
    out.push_str(r#"<div class="grid2">"#);
    queue_wait(sl).render(out);
    level_over_time(s, sl).render(out);
    out.push_str("</div>\n");
    figures(sl, out);
}

/// The `service-level-over-time` chart: per window of the timeline, the share of its
/// chats (joined or abandoned in it) joined within the target, as steps; the chats
/// per window on the right axis; the run's level and a threshold's goal as lines.
pub(crate) fn level_over_time(s: &Summary, sl: &ServiceLevel) -> Chart {
    let windows = service_windows::windows(s);
    let (x, div) = time_axis(s);
    let y = Axis::new(
        Scale::linear_from_zero(100.0),
        "joined within the target (%)",
        format::num,
    );
    let most = windows.iter().map(|w| w.chats()).max().unwrap_or(0) as f64;
    let y2 = Axis::new(
        Scale::counts_from_zero(most),
        "chats per window",
        format::num,
    );
    let len = windows.first().map_or(0, |w| w.len_s);
    let mut chart = Chart::new(
        "service-level-over-time",
        "Service level over time",
        &format!(
            "Per window of {len} s: chats joined within {} of the chats joined or abandoned in \
             the window (by when the customer saw the join or gave up). The run's level also \
             counts chats never joined.",
            format::ms(sl.target_ms as f64)
        ),
        x,
        y,
    )
    .with_y2(y2);
    let mut steps = Vec::new();
    let mut chats = Vec::new();
    for w in &windows {
        let (a, b) = (w.t_s as f64 / div, (w.t_s + w.len_s) as f64 / div);
        chats.extend([(a, w.chats() as f64), (b, w.chats() as f64)]);
        if let Some(level) = w.point.service_level() {
            steps.extend([(a, level * 100.0), (b, level * 100.0)]);
        }
    }
    chart.line(&steps, "s0", "service level per window", false, false);
    chart.line(&chats, "s2", "chats per window (right axis)", true, true);
    let run = format!("run {}", format::pct(sl.within_target_rate));
    chart.hline(sl.within_target_rate * 100.0, "ref-near", &run);
    if let Some(goal) = service_windows::goal(s) {
        let label = format!("goal {} (threshold)", format::pct(goal));
        chart.hline(goal * 100.0, "ref-timeout", &label);
    }
    chart
}

/// The `queue-wait` chart: share of the joined chats that waited at most x, drawn
/// through the summary's percentiles (min, p50 ... p99.99, max), and the target.
pub(crate) fn queue_wait(sl: &ServiceLevel) -> Chart {
    let q = &sl.queue_wait_ms;
    let target = sl.target_ms as f64;
    let end = q.max.max(target * 1.15).max(1.0);
    let x = Axis::new(
        Scale::linear_from_zero(end / 1000.0),
        "queue wait (s)",
        format::num,
    );
    let y = Axis::new(
        Scale::linear_from_zero(100.0),
        "joined chats that waited at most x (%)",
        format::num,
    );
    let mut chart = Chart::new(
        "queue-wait",
        "Queue wait (request chat to the agent's join, as the customer saw it)",
        "Cumulative, drawn through the percentiles of the joined chats; abandoned chats are in the table.",
        x,
        y,
    );
    if q.count > 0 {
        chart.line(&cumulative(q), "s0", "joined chats", false, false);
    }
    let label = format!(
        "target {} ({} within)",
        format::ms(target),
        format::pct(sl.within_target_rate)
    );
    chart.vline(target / 1000.0, "ref-timeout", &label, false, 0);
    chart
}

/// (wait in s, % at or below) through the percentiles.
fn cumulative(q: &LatencyStats) -> Vec<(f64, f64)> {
    [
        (q.min, 0.0),
        (q.p50, 50.0),
        (q.p90, 90.0),
        (q.p99, 99.0),
        (q.p999, 99.9),
        (q.p9999, 99.99),
        (q.max, 100.0),
    ]
    .into_iter()
    .map(|(ms, pct)| (ms / 1000.0, pct))
    .collect()
}

fn figures(sl: &ServiceLevel, out: &mut String) {
    let mut t = Table::new(
        "service-level",
        &[("figure", false), ("value", true)],
        "no chat established",
    );
    let level = format!(
        "{} within {}",
        format::pct(sl.within_target_rate),
        format::ms(sl.target_ms as f64)
    );
    let p50_p99 = |l: &LatencyStats| format!("{} / {}", format::ms(l.p50), format::ms(l.p99));
    let rows = [
        ("service level", level),
        ("ASA (mean queue wait of the joined)", format::ms(sl.asa_ms)),
        ("joined", format::count(sl.joined)),
        (
            "never joined (ended otherwise)",
            format::count(sl.never_joined),
        ),
        ("queue wait p50 / p99", p50_p99(&sl.queue_wait_ms)),
        ("abandoned wait p50 / p99", p50_p99(&sl.abandoned_wait_ms)),
        (
            "agent first response p50 / p99",
            p50_p99(&sl.first_response_ms),
        ),
        (
            "agent response per message p50 / p99",
            p50_p99(&sl.response_ms),
        ),
    ];
    for (k, v) in rows {
        t.row(vec![Cell::text(k), Cell::num(&v)]);
    }
    let abandoned = format::count(sl.abandoned);
    let badge = if sl.abandoned > 0 {
        Cell::badge("bad", &abandoned)
    } else {
        Cell::num(&abandoned)
    };
    t.row(vec![Cell::text("abandoned (lost patience)"), badge]);
    t.render(out);
}
