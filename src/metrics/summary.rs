//! Merged recorder + session data -> the one [`Summary`] every exporter reads.
//!
//! Session counts ([`EndReason`]'s `by_server`, `failed`, `completed`):
//! - `ended_by_client`: sessions whose disconnect was answered statusCode 0, whatever
//!   stopped them (script, ramp-down, the planned end `run_ended`, Ctrl-C): exactly the
//!   chats the server counts as ended by the client;
//! - `ended_by_server`: `agent_ended`, `server_fatal`, `expired`;
//! - `failed`: `request_failed`, `retries_exhausted`, `server_fatal`, `expired`;
//! - `never_started`: request chat never succeeded (whatever ended the session);
//! - `completed`: established sessions ending `client_disconnect`, `agent_ended`, `run_ended`;
//! - `expired`: the server expired the chat (in the run or answering the disconnect).
//!
//! `flagged`/`near_miss` count sessions (not gaps) by their worst recorded poll gap,
//! `idle_over_flex` by their worst idle gap, including sessions still active.

use super::gaps::GapPolicy;
use super::recorder::{ms, quantile_ms, round_dp, Recorder};
use super::rows::RowStore;
use super::{generator, EndReason, RunFacts, TransportErrorKind, ViolationKind};
use crate::protocol::Operation;
use crate::report::model::{
    EncodedHistograms, Gaps, LatencyStats, OutcomeCount, PercentileCurves, PercentilePoint,
    Requests, RunInfo, Sessions, Summary, TimelinePoint, SCHEMA_VERSION,
};
use crate::report::vocab::GeneratorVerdict;
use crate::report::vocab::RunEnd;
use hdrhistogram::Histogram;
use std::collections::BTreeMap;
use std::time::Duration;

/// Sessions listed in `worst_sessions`.
pub(super) const WORST_SESSIONS: usize = 50;

/// Everything the summary is built from.
pub(super) struct Inputs<'a> {
    /// What the runner knows: scenario, start, end, elapsed time, thresholds.
    pub facts: RunFacts<'a>,
    /// CPU seconds used since the start, when known.
    pub cpu_seconds: Option<f64>,
    /// Gap judgement.
    pub policy: &'a GapPolicy,
    /// All shards merged.
    pub total: &'a Recorder,
    /// Ended sessions.
    pub rows: &'a RowStore,
    /// Sessions started.
    pub started: u64,
    /// Peak active sessions.
    pub peak_active: u64,
    /// Sessions whose worst gap is above the timeout.
    pub flagged_sessions: u64,
    /// Sessions whose worst gap is a near miss.
    pub near_miss_sessions: u64,
    /// Sessions whose worst idle gap is above the timeout.
    pub idle_over_flex_sessions: u64,
    /// Timeline points.
    pub timeline: Vec<TimelinePoint>,
    /// Seconds per timeline point.
    pub timeline_step_s: u64,
    /// Open model: the Little's law block (None in the closed model).
    pub open_model: Option<crate::report::model::OpenModel>,
    /// The service level seen from the customer (None: no chat was established).
    pub service_level: Option<crate::report::model::ServiceLevel>,
    /// Per `[[customers]]` profile (empty without), attached before the thresholds are judged.
    pub profiles: BTreeMap<String, crate::report::model::ProfileFigures>,
}

/// Percentile summary of a µs histogram, in ms.
pub(super) fn latency_stats(h: &Histogram<u64>) -> LatencyStats {
    if h.is_empty() {
        return LatencyStats::default();
    }
    LatencyStats {
        count: h.len(),
        min: ms(h.min()),
        mean: round_dp(h.mean() / 1000.0, 3),
        p50: quantile_ms(h, 0.5),
        p90: quantile_ms(h, 0.9),
        p99: quantile_ms(h, 0.99),
        p999: quantile_ms(h, 0.999),
        p9999: quantile_ms(h, 0.9999),
        max: ms(h.max()),
    }
}

/// Percentile ladder: 0, 50, 75, 87.5, ... (halving the distance to 100, 4 decimals) up to 99.9998,
/// then 99.9999 and 100 (max).
pub(super) fn ladder() -> Vec<f64> {
    let mut out: Vec<f64> = (0..20)
        .map(|k| round_dp(100.0 * (1.0 - 0.5f64.powi(k)), 4))
        .collect();
    out.extend([99.9999, 100.0]);
    out
}

/// HdrHistogram-style curve of a µs histogram.
pub(super) fn curve(h: &Histogram<u64>) -> Vec<PercentilePoint> {
    if h.is_empty() {
        return Vec::new();
    }
    ladder()
        .into_iter()
        .map(|p| PercentilePoint {
            percentile: p,
            value_ms: quantile_ms(h, p / 100.0),
        })
        .collect()
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        round_dp(a as f64 / b as f64, 6)
    }
}

/// Build the summary: the one place the report model is written.
pub(super) fn build(mut i: Inputs<'_>) -> Summary {
    let t = i.total;
    let elapsed = i.facts.elapsed;
    let mut s = Summary {
        schema_version: SCHEMA_VERSION,
        chatload_version: env!("CARGO_PKG_VERSION").to_string(),
        run: RunInfo {
            started_at: i
                .facts
                .started_at
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            elapsed_s: elapsed.as_secs_f64(),
            end: i.facts.end,
        },
        timeline: with_wall_clock(std::mem::take(&mut i.timeline), i.facts.started_at),
        timeline_step_s: i.timeline_step_s,
        aborted_by_threshold: i.facts.end == RunEnd::Aborted,
        ..Summary::default()
    };
    per_operation(&mut s, t);
    let f = RequestFigures::of(t, i.policy, elapsed);
    (s.requests, s.latency_ms, s.service_time_ms) = (f.requests, f.latency_ms, f.service_time_ms);
    (s.outcomes, s.transport_errors) = (f.outcomes, f.transport_errors);
    (s.gaps, s.violations) = (f.gaps, f.violations);
    s.sessions = sessions(&i);
    s.open_model = i.open_model.take();
    s.service_level = i.service_level.take();
    s.gap_histogram = i.policy.buckets(&t.gaps.buckets, s.gaps.max_ms);
    s.worst_sessions = i.rows.worst(WORST_SESSIONS);
    s.generator = generator::generator(
        t.lateness.as_deref(),
        i.cpu_seconds,
        elapsed,
        i.facts.scenario.poll_interval_ms,
        t.gaps.flagged_by_cause[super::GapCause::GeneratorLag as usize],
    );
    local_limit_overload(
        &mut s,
        t.transport[TransportErrorKind::LocalLimit as usize],
        t.transport[TransportErrorKind::BodyBudget as usize],
    );
    s.scenario = std::mem::take(&mut i.facts.scenario);
    s.profiles = std::mem::take(&mut i.profiles);
    s.thresholds = crate::gate::evaluate(&s, i.facts.thresholds);
    s
}

/// Requests that failed on a local limit (out of descriptors or ports here, or the
/// body-buffer budget) make the generator `overloaded`: the figures describe this
/// machine, not the target.
fn local_limit_overload(s: &mut Summary, local: u64, budget: u64) {
    let why = match (local, budget) {
        (0, 0) => return,
        (l, 0) => format!(
            "{l} request(s) failed on a local limit (local_limit: out of file descriptors or ports)"
        ),
        (0, b) => format!(
            "{b} answer(s) did not fit the body budget (body_budget: raise max_buffered_body_bytes)"
        ),
        (l, b) => format!(
            "{l} request(s) failed on a local limit (local_limit: out of file descriptors or ports); {b} answer(s) did not fit the body budget (body_budget: raise max_buffered_body_bytes)"
        ),
    };
    s.generator.reason = match s.generator.verdict {
        GeneratorVerdict::Overloaded => format!("{}; {why}", s.generator.reason),
        _ => why,
    };
    s.generator.verdict = GeneratorVerdict::Overloaded;
}

/// The request figures of one recorder, the run's or a profile's (the same shape).
pub(super) struct RequestFigures {
    pub requests: Requests,
    pub latency_ms: BTreeMap<String, LatencyStats>,
    pub service_time_ms: BTreeMap<String, LatencyStats>,
    pub outcomes: Vec<OutcomeCount>,
    pub transport_errors: BTreeMap<String, u64>,
    pub gaps: Gaps,
    pub violations: BTreeMap<String, u64>,
}

impl RequestFigures {
    /// The figures of `t`, gaps judged by `policy`, rates over `elapsed`.
    pub(super) fn of(t: &Recorder, policy: &GapPolicy, elapsed: Duration) -> Self {
        let mut by_operation = BTreeMap::new();
        let mut latency_ms = BTreeMap::new();
        let mut service_time_ms = BTreeMap::new();
        for op in Operation::ALL {
            let Some(h) = t.op(op) else { continue };
            let name = op.as_str().to_string();
            by_operation.insert(name.clone(), h.corrected.len());
            latency_ms.insert(name.clone(), latency_stats(&h.corrected));
            service_time_ms.insert(name, latency_stats(&h.service));
        }
        RequestFigures {
            requests: requests(t, elapsed, by_operation),
            latency_ms,
            service_time_ms,
            outcomes: outcomes(t),
            transport_errors: TransportErrorKind::ALL
                .iter()
                .map(|k| (k.as_str().to_string(), t.transport[*k as usize]))
                .collect(),
            gaps: gaps(policy, &t.gaps),
            violations: ViolationKind::ALL
                .iter()
                .map(|k| (k.as_str().to_string(), t.violations[*k as usize]))
                .collect(),
        }
    }
}

/// Per-operation percentile curves and encoded histograms.
fn per_operation(s: &mut Summary, t: &Recorder) {
    for op in Operation::ALL {
        let Some(h) = t.op(op) else { continue };
        let name = op.as_str().to_string();
        let curves = PercentileCurves {
            corrected: curve(&h.corrected),
            service_time: curve(&h.service),
        };
        s.percentile_curves.insert(name.clone(), curves);
        let encoded = EncodedHistograms {
            corrected: super::hlog::encode(&h.corrected),
            service_time: super::hlog::encode(&h.service),
        };
        s.histograms.insert(name, encoded);
    }
}

/// The UTC wall-clock time `secs` seconds after `start`, RFC 3339 with milliseconds.
pub(super) fn wall_clock(start: chrono::DateTime<chrono::Utc>, secs: f64) -> String {
    let at = start + chrono::Duration::milliseconds((secs * 1000.0).round() as i64);
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Timeline points with `time_utc` filled from the run's start.
fn with_wall_clock(
    mut points: Vec<TimelinePoint>,
    start: chrono::DateTime<chrono::Utc>,
) -> Vec<TimelinePoint> {
    for p in &mut points {
        p.time_utc = wall_clock(start, p.t_s as f64);
    }
    points
}

/// Request totals and rates.
fn requests(t: &Recorder, elapsed: Duration, by_operation: BTreeMap<String, u64>) -> Requests {
    let total = t.requests();
    Requests {
        total,
        errors: t.errors,
        error_rate: ratio(t.errors, total),
        rate_per_s: if elapsed.is_zero() {
            0.0
        } else {
            round_dp(total as f64 / elapsed.as_secs_f64(), 3)
        },
        by_operation,
    }
}

/// Outcome buckets, sorted.
pub(super) fn outcomes(t: &Recorder) -> Vec<OutcomeCount> {
    let mut out: Vec<OutcomeCount> = t
        .outcomes
        .sorted()
        .into_iter()
        .map(|(k, count)| OutcomeCount {
            operation: Operation::ALL[usize::from(k.op)].as_str().to_string(),
            http_status: k.http_status,
            status_code: k.status_code,
            chat_ended: k.chat_ended,
            count,
        })
        .collect();
    out.sort();
    out
}

/// Session lifecycle counts.
fn sessions(i: &Inputs<'_>) -> Sessions {
    Sessions {
        started: i.started,
        completed: i.rows.count_established(EndReason::completed),
        never_started: i.rows.never_started,
        ended_by_client: i.rows.disconnected,
        ended_by_server: i.rows.count_ended(EndReason::by_server),
        failed: i.rows.count_ended(EndReason::failed),
        flagged: i.flagged_sessions,
        near_miss: i.near_miss_sessions,
        idle_over_flex: i.idle_over_flex_sessions,
        expired: i.rows.expired,
        flagged_rate: ratio(i.flagged_sessions, i.started),
        near_miss_rate: ratio(i.near_miss_sessions, i.started),
        peak_active: i.peak_active,
        arrivals_planned: i.open_model.as_ref().map(|o| o.arrivals_planned),
        dropped: i.open_model.as_ref().map(|o| o.dropped),
    }
}

/// Poll-gap figures.
fn gaps(policy: &GapPolicy, g: &super::gaps::GapStats) -> Gaps {
    Gaps {
        flex_disconnect_timeout_ms: policy.flex.as_millis() as u64,
        near_miss_fraction: policy.fraction,
        count: g.hist.len(),
        max_ms: if g.hist.is_empty() {
            0.0
        } else {
            ms(g.hist.max())
        },
        p99_ms: quantile_ms(&g.hist, 0.99),
        p50_ms: quantile_ms(&g.hist, 0.5),
        flagged_by_cause: super::gaps::cause_map(&g.flagged_by_cause),
    }
}
