//! The report's charts, each drawn from the [`Summary`] with [`svg::Chart`].
//!
//! Nothing here derives statistics: values are plotted as the model holds
//! them. Display-only arithmetic is allowed (requests per interval divided by
//! the interval length for a per-second axis, summing flag counts when many
//! timeline points share one bar, the near-miss line as fraction × timeout).

use super::format;
use super::svg::{Axis, Chart, Scale};
use crate::report::model::{PercentileCurves, PercentilePoint, Summary, TimelinePoint};
use std::collections::{BTreeMap, BTreeSet};

/// At most this many bars in the flags-over-time chart (timeline points are summed into bars).
const MAX_FLAG_BARS: usize = 240;
/// Distinct series colours defined by the page CSS (`s0`..`s11`).
const PALETTE: usize = 12;

/// Colour class of series number `i`.
fn series(i: usize) -> String {
    format!("s{}", i % PALETTE)
}

/// Operations in a stable order, so one operation has one colour on every chart.
fn operation_index(s: &Summary) -> BTreeMap<&str, usize> {
    let names: BTreeSet<&str> = s
        .percentile_curves
        .keys()
        .chain(s.latency_ms.keys())
        .map(String::as_str)
        .collect();
    names.into_iter().enumerate().map(|(i, n)| (n, i)).collect()
}

/// One view of an operation's percentile curve.
fn view(c: &PercentileCurves, service: bool) -> &[PercentilePoint] {
    if service {
        &c.service_time
    } else {
        &c.corrected
    }
}

/// The `latency-percentiles-corrected` or `-service-time` chart.
pub(super) fn latency_percentiles(s: &Summary, service: bool) -> Chart {
    let all: Vec<&PercentilePoint> = s
        .percentile_curves
        .values()
        .flat_map(|c| view(c, service))
        .collect();
    let positive = all.iter().map(|p| p.value_ms).filter(|v| *v > 0.0);
    let lo = positive.clone().fold(f64::INFINITY, f64::min);
    let hi = positive.fold(0.0, f64::max);
    let x = Axis::new(
        Scale::nines_for(all.iter().map(|p| p.percentile)),
        "percentile (log scale of nines)",
        format::num,
    );
    let y = Axis::new(
        Scale::log_decades(lo, hi),
        "latency (ms, log scale)",
        format::num,
    );
    let (id, title, note) = if service {
        (
            "latency-percentiles-service-time",
            "Latency by percentile: service time",
            "From the actual send instant: what the server took to answer. The maximum is drawn at the right edge.",
        )
    } else {
        (
            "latency-percentiles-corrected",
            "Latency by percentile: corrected",
            "From the intended send instant (coordinated omission corrected): what a customer waited. The maximum is drawn at the right edge.",
        )
    };
    let mut chart = Chart::new(id, title, note, x, y);
    let index = operation_index(s);
    for (op, curves) in &s.percentile_curves {
        let pts: Vec<(f64, f64)> = view(curves, service)
            .iter()
            .map(|p| (p.percentile, p.value_ms))
            .collect();
        let i = index.get(op.as_str()).copied().unwrap_or(0);
        chart.line(&pts, &series(i), op, false, false);
    }
    chart
}

/// The time axis of the timeline charts (minutes for runs over 10 minutes) and its divisor.
pub(super) fn time_axis(s: &Summary) -> (Axis, f64) {
    let step = s.timeline_step_s.max(1) as f64;
    let end = s
        .timeline
        .iter()
        .map(|p| p.t_s as f64 + step)
        .fold(0.0, f64::max);
    let (div, label) = if end > 600.0 {
        (60.0, "time since start (min) / UTC")
    } else {
        (1.0, "time since start (s) / UTC")
    };
    let mut axis = Axis::new(Scale::linear_from_zero(end / div), label, format::num);
    // Each tick also names its UTC wall-clock time, to line up with server dashboards.
    if let Some(start) = run_start(s) {
        let ticks = axis.scale.ticks(format::num);
        let ticks = ticks
            .into_iter()
            .map(|(v, l)| (v, format!("{l} · {}", utc_hms(start, v * div))))
            .collect();
        axis.fixed_ticks = Some(ticks);
    }
    (axis, div)
}

/// The run's start, when summary.json states a valid one.
fn run_start(s: &Summary) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(&s.run.started_at)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// `HH:MM:SS` UTC, `secs` after `start`.
fn utc_hms(start: chrono::DateTime<chrono::Utc>, secs: f64) -> String {
    let at = start + chrono::Duration::milliseconds((secs * 1000.0) as i64);
    at.format("%H:%M:%SZ").to_string()
}

/// Fewest requests an interval needs for its p99 to be drawn: with fewer, a
/// "99th percentile" is just the slowest of a handful of requests, and the line
/// swings between milliseconds and seconds on quiet intervals.
pub(super) const MIN_P99_SAMPLES: u64 = 100;

/// The `latency-over-time` chart: p50 of every interval with requests, p99 only
/// of intervals with at least [`MIN_P99_SAMPLES`] requests.
pub(super) fn latency_over_time(s: &Summary) -> Chart {
    let (x, div) = time_axis(s);
    let with_requests = || s.timeline.iter().filter(|p| p.requests > 0);
    let with_p99 = || s.timeline.iter().filter(|p| p.requests >= MIN_P99_SAMPLES);
    let hi = with_p99()
        .map(|p| p.p99_ms)
        .chain(with_requests().map(|p| p.p50_ms))
        .fold(0.0, f64::max);
    let lo = with_requests()
        .map(|p| p.p50_ms)
        .filter(|v| *v > 0.0)
        .fold(f64::INFINITY, f64::min);
    // When p99 spikes dwarf p50 (more than 100×), a log scale keeps both readable.
    let y = if hi / lo > 100.0 {
        Axis::new(
            Scale::log_decades(lo, hi),
            "latency (ms, log scale)",
            format::num,
        )
    } else {
        Axis::new(Scale::linear_from_zero(hi), "latency (ms)", format::num)
    };
    let mut chart = Chart::new(
        "latency-over-time",
        "Latency over time",
        &format!(
            "Corrected latency of all operations, per timeline interval. p99 is drawn only for \
             intervals with at least {MIN_P99_SAMPLES} requests (with fewer it is just their \
             slowest request); p50 for every interval with requests."
        ),
        x,
        y,
    );
    let t = |p: &TimelinePoint| p.t_s as f64 / div;
    let p50: Vec<(f64, f64)> = with_requests().map(|p| (t(p), p.p50_ms)).collect();
    let p99: Vec<(f64, f64)> = with_p99().map(|p| (t(p), p.p99_ms)).collect();
    chart.line(&p50, "s0", "p50", false, false);
    chart.line(&p99, "s3", "p99", false, false);
    chart
}

/// The `throughput` chart.
pub(super) fn throughput(s: &Summary) -> Chart {
    let (x, div) = time_axis(s);
    let step = s.timeline_step_s.max(1) as f64;
    let rate = |n: u64| n as f64 / step;
    let hi = s
        .timeline
        .iter()
        .map(|p| rate(p.requests))
        .fold(0.0, f64::max);
    let active_hi = s
        .timeline
        .iter()
        .map(|p| p.active_sessions as f64)
        .fold(0.0, f64::max);
    let y = Axis::new(
        Scale::linear_from_zero(hi),
        "requests per second (req/s)",
        format::num,
    );
    let y2 = Axis::new(
        Scale::counts_from_zero(active_hi),
        "active sessions",
        format::num,
    );
    let mut chart = Chart::new(
        "throughput",
        "Throughput and active sessions",
        "Completed and failed requests per second (left axis); sessions active at the end of each interval (right axis).",
        x,
        y,
    )
    .with_y2(y2);
    let t = |p: &TimelinePoint| p.t_s as f64 / div;
    let req: Vec<(f64, f64)> = s
        .timeline
        .iter()
        .map(|p| (t(p), rate(p.requests)))
        .collect();
    let err: Vec<(f64, f64)> = s.timeline.iter().map(|p| (t(p), rate(p.errors))).collect();
    let act: Vec<(f64, f64)> = s
        .timeline
        .iter()
        .map(|p| (t(p), p.active_sessions as f64))
        .collect();
    chart.line(&req, "s0", "requests/s", false, false);
    chart.line(&err, "s3", "errors/s", false, false);
    chart.line(&act, "s2", "active sessions (right axis)", true, true);
    chart
}

/// The `gap-distribution` chart.
pub(super) fn gap_distribution(s: &Summary) -> Chart {
    let timeout = s.gaps.flex_disconnect_timeout_ms as f64;
    let near = timeout * s.gaps.near_miss_fraction;
    let end = s
        .gap_histogram
        .iter()
        .map(|b| b.to_ms)
        .fold(timeout * 1.15, f64::max);
    let top = s.gap_histogram.iter().map(|b| b.count).max().unwrap_or(1) as f64;
    let x = Axis::new(
        Scale::linear_from_zero(end / 1000.0),
        "poll gap (s)",
        format::num,
    );
    let y_scale = match Scale::log_decades(1.0, top.max(10.0)) {
        Scale::Log { max, .. } => Scale::Log { min: 0.5, max },
        other => other,
    };
    let y = Axis::new(y_scale, "gaps (count, log scale)", format::num);
    let mut chart = Chart::new(
        "gap-distribution",
        "Poll-gap distribution",
        "Time between a session's last successful poll and its next poll attempt.",
        x,
        y,
    );
    for b in s.gap_histogram.iter().filter(|b| b.count > 0) {
        let zone = if b.from_ms >= timeout {
            "zone-flagged"
        } else if b.to_ms > near {
            "zone-near"
        } else {
            "zone-ok"
        };
        let tip = format!(
            "{} – {}: {} gaps",
            format::ms(b.from_ms),
            format::ms(b.to_ms),
            format::count(b.count)
        );
        chart.bar(
            b.from_ms / 1000.0,
            b.to_ms / 1000.0,
            0.5,
            b.count as f64,
            zone,
            &tip,
        );
    }
    chart.legend_item("within the timeout budget", "zone-ok", false);
    chart.legend_item("near miss", "zone-near", false);
    chart.legend_item(
        "above flex-disconnect-timeout (flagged)",
        "zone-flagged",
        false,
    );
    if near > 0.0 {
        let label = format!("near miss {}", format::ms(near));
        chart.vline(near / 1000.0, "ref-near", &label, true, 0);
    }
    if timeout > 0.0 {
        let label = format!("flex-disconnect-timeout {}", format::ms(timeout));
        chart.vline(timeout / 1000.0, "ref-timeout", &label, false, 1);
    }
    chart
}

/// The `flags-over-time` chart.
pub(super) fn flags_over_time(s: &Summary) -> Chart {
    let (x, div) = time_axis(s);
    let step = s.timeline_step_s.max(1) as f64;
    let causes: BTreeSet<&str> = s
        .gaps
        .flagged_by_cause
        .keys()
        .chain(s.timeline.iter().flat_map(|p| p.flags_by_cause.keys()))
        .map(String::as_str)
        .collect();
    let group = s.timeline.len().div_ceil(MAX_FLAG_BARS).max(1);
    let bars: Vec<(f64, f64, BTreeMap<&str, u64>)> = s
        .timeline
        .chunks(group)
        .map(|chunk| {
            let mut sums: BTreeMap<&str, u64> = BTreeMap::new();
            for p in chunk {
                for (c, n) in &p.flags_by_cause {
                    *sums.entry(c.as_str()).or_default() += n;
                }
            }
            let from = chunk.first().map_or(0.0, |p| p.t_s as f64);
            let to = chunk.last().map_or(0.0, |p| p.t_s as f64 + step);
            (from, to, sums)
        })
        .collect();
    let hi = bars
        .iter()
        .map(|b| b.2.values().sum::<u64>())
        .max()
        .unwrap_or(0) as f64;
    let y = Axis::new(
        Scale::counts_from_zero(hi),
        "flagged gaps per interval",
        format::num,
    );
    let mut chart = Chart::new(
        "flags-over-time",
        "Flagged gaps over time by cause",
        "Gaps above flex-disconnect-timeout, stacked by the cause chatload attributed.",
        x,
        y,
    );
    for (from, to, sums) in &bars {
        let mut base = 0.0;
        for (i, cause) in causes.iter().enumerate() {
            let n = sums.get(cause).copied().unwrap_or(0);
            if n > 0 {
                let utc = run_start(s).map(|t| format!(", {}", utc_hms(t, *from)));
                let tip = format!(
                    "{}: {} flagged ({} s from start{})",
                    cause,
                    n,
                    from,
                    utc.unwrap_or_default()
                );
                let (a, b) = (from / div, to / div);
                chart.bar(a, b, base, base + n as f64, &cause_class(cause, i), &tip);
                base += n as f64;
            }
        }
    }
    for (i, cause) in causes.iter().enumerate() {
        chart.legend_item(cause, &cause_class(cause, i), false);
    }
    chart
}

/// The colour class of a gap cause (fixed for the known causes).
fn cause_class(cause: &str, i: usize) -> String {
    match cause {
        "slow_response" => "s1".to_string(),
        "retries" => "s4".to_string(),
        "generator_lag" => "s10".to_string(),
        "cadence" => "s9".to_string(),
        _ => series(i + 5),
    }
}
