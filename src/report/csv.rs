//! The CSV files of a run: one serde row struct per file, written with
//! `csv::Writer::serialize`, so the header is the struct's field names. Units
//! are in the column names (`_ms`, `_s`); empty cells mean "absent" (no
//! statusCode / chatEnded in the body). operations.csv and outcomes.csv end in a
//! `profile` column: the run's rows have it empty, then come the same rows per
//! `[[customers]]` profile (by name).

use crate::report::in_report_order;
use crate::report::model::{
    LatencyStats, OutcomeCount, ProfileFigures, SessionRows, Summary, TimelinePoint,
};
use crate::report::vocab::GapCause;
use serde::Serialize;
use std::io::Write;

/// One row of operations.csv: count and both latency views.
#[derive(Debug, Serialize)]
struct OperationRow<'a> {
    operation: &'a str,
    count: u64,
    latency_min_ms: f64,
    latency_mean_ms: f64,
    latency_p50_ms: f64,
    latency_p90_ms: f64,
    latency_p99_ms: f64,
    latency_p999_ms: f64,
    latency_p9999_ms: f64,
    latency_max_ms: f64,
    service_time_min_ms: f64,
    service_time_mean_ms: f64,
    service_time_p50_ms: f64,
    service_time_p90_ms: f64,
    service_time_p99_ms: f64,
    service_time_p999_ms: f64,
    service_time_p9999_ms: f64,
    service_time_max_ms: f64,
    profile: &'a str,
}

impl<'a> OperationRow<'a> {
    fn new(profile: &'a str, operation: &'a str, l: &LatencyStats, s: &LatencyStats) -> Self {
        OperationRow {
            profile,
            operation,
            count: l.count,
            latency_min_ms: l.min,
            latency_mean_ms: l.mean,
            latency_p50_ms: l.p50,
            latency_p90_ms: l.p90,
            latency_p99_ms: l.p99,
            latency_p999_ms: l.p999,
            latency_p9999_ms: l.p9999,
            latency_max_ms: l.max,
            service_time_min_ms: s.min,
            service_time_mean_ms: s.mean,
            service_time_p50_ms: s.p50,
            service_time_p90_ms: s.p90,
            service_time_p99_ms: s.p99,
            service_time_p999_ms: s.p999,
            service_time_p9999_ms: s.p9999,
            service_time_max_ms: s.max,
        }
    }
}

/// One row of timeline.csv (flags of the interval by cause, one column each).
#[derive(Debug, Serialize)]
struct TimelineRow {
    t_s: u64,
    time_utc: String,
    requests: u64,
    errors: u64,
    p50_ms: f64,
    p99_ms: f64,
    active_sessions: u64,
    flags_total: u64,
    flags_generator_lag: u64,
    flags_slow_response: u64,
    flags_retries: u64,
    flags_cadence: u64,
    joined: u64,
    joined_within_target: u64,
    abandoned: u64,
    service_level: Option<f64>,
    queue_wait_max_ms: f64,
}

impl From<&TimelinePoint> for TimelineRow {
    fn from(p: &TimelinePoint) -> Self {
        let by = |c: GapCause| p.flags_by_cause.get(c.as_str()).copied().unwrap_or(0);
        TimelineRow {
            t_s: p.t_s,
            time_utc: p.time_utc.clone(),
            requests: p.requests,
            errors: p.errors,
            p50_ms: p.p50_ms,
            p99_ms: p.p99_ms,
            active_sessions: p.active_sessions,
            flags_total: p.flags_total,
            flags_generator_lag: by(GapCause::GeneratorLag),
            flags_slow_response: by(GapCause::SlowResponse),
            flags_retries: by(GapCause::Retries),
            flags_cadence: by(GapCause::Cadence),
            joined: p.joined,
            joined_within_target: p.joined_within_target,
            abandoned: p.abandoned,
            service_level: p.service_level().map(|l| (l * 1e6).round() / 1e6),
            queue_wait_max_ms: p.queue_wait_max_ms,
        }
    }
}

/// Serialise `rows` as CSV after `header` (so a file without rows still has its header).
/// The header constants are checked against the row structs' serde names in the tests.
fn write_rows<T: Serialize>(
    out: &mut impl Write,
    header: &[&str],
    rows: impl IntoIterator<Item = T>,
) -> std::io::Result<()> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(out);
    w.write_record(header)?;
    for row in rows {
        w.serialize(row)?;
    }
    w.flush()
}

/// operations.csv header.
#[rustfmt::skip]
pub const OPERATIONS_HEADER: &[&str] = &[
    "operation", "count",
    "latency_min_ms", "latency_mean_ms", "latency_p50_ms", "latency_p90_ms", "latency_p99_ms",
    "latency_p999_ms", "latency_p9999_ms", "latency_max_ms",
    "service_time_min_ms", "service_time_mean_ms", "service_time_p50_ms", "service_time_p90_ms",
    "service_time_p99_ms", "service_time_p999_ms", "service_time_p9999_ms", "service_time_max_ms",
    "profile",
];
/// outcomes.csv header.
pub const OUTCOMES_HEADER: &[&str] = &[
    "operation",
    "http_status",
    "status_code",
    "chat_ended",
    "count",
    "profile",
];

/// One row of outcomes.csv: a bucket of the run's or of one profile's.
#[derive(Debug, Serialize)]
struct OutcomeRow<'a> {
    operation: &'a str,
    http_status: u16,
    status_code: Option<u8>,
    chat_ended: Option<bool>,
    count: u64,
    profile: &'a str,
}

impl<'a> OutcomeRow<'a> {
    fn new(profile: &'a str, o: &'a OutcomeCount) -> Self {
        OutcomeRow {
            operation: &o.operation,
            http_status: o.http_status,
            status_code: o.status_code,
            chat_ended: o.chat_ended,
            count: o.count,
            profile,
        }
    }
}

/// The run's figures (profile "") then each profile's, by name: `(profile, its figures)`.
fn run_then_profiles<'a, T>(
    summary: &'a Summary,
    of_run: &'a T,
    of_profile: impl Fn(&'a ProfileFigures) -> &'a T,
) -> impl Iterator<Item = (&'a str, &'a T)> {
    std::iter::once(("", of_run)).chain(
        summary
            .profiles
            .iter()
            .map(move |(name, p)| (name.as_str(), of_profile(p))),
    )
}
/// sessions.csv header.
#[rustfmt::skip]
pub const SESSIONS_HEADER: &[&str] = &[
    "ordinal", "chat_id", "polls", "max_gap_ms", "flagged", "near_miss", "cause", "end_reason",
    "max_idle_ms", "idle_over_flex", "expired", "queue_wait_ms", "first_response_ms", "abandoned",
    "profile",
];
/// timeline.csv header.
#[rustfmt::skip]
pub const TIMELINE_HEADER: &[&str] = &[
    "t_s", "time_utc", "requests", "errors", "p50_ms", "p99_ms", "active_sessions", "flags_total",
    "flags_generator_lag", "flags_slow_response", "flags_retries", "flags_cadence",
    "joined", "joined_within_target", "abandoned", "service_level", "queue_wait_max_ms",
];

/// operations.csv: one row per operation with both latency views, the run's then each
/// profile's.
pub fn write_operations(summary: &Summary, out: &mut impl Write) -> std::io::Result<()> {
    let empty = LatencyStats::default();
    let latency = run_then_profiles(summary, &summary.latency_ms, |p| &p.latency_ms);
    let service = run_then_profiles(summary, &summary.service_time_ms, |p| &p.service_time_ms);
    let rows = latency
        .zip(service)
        .flat_map(|((profile, latency), (_, service))| {
            let empty = &empty;
            in_report_order(latency).map(move |name| {
                let l = latency.get(name).unwrap_or(empty);
                let s = service.get(name).unwrap_or(empty);
                OperationRow::new(profile, name, l, s)
            })
        });
    write_rows(out, OPERATIONS_HEADER, rows)
}

/// outcomes.csv: one row per (operation, http_status, status_code, chat_ended) bucket,
/// the run's then each profile's.
pub fn write_outcomes(summary: &Summary, out: &mut impl Write) -> std::io::Result<()> {
    let rows = run_then_profiles(summary, &summary.outcomes, |p| &p.outcomes)
        .flat_map(|(profile, list)| list.iter().map(move |o| OutcomeRow::new(profile, o)));
    write_rows(out, OUTCOMES_HEADER, rows)
}

/// sessions.csv: one row per session, each serialized as it is handed over (no list of
/// every row is made here).
pub fn write_sessions(
    sessions: &(impl SessionRows + ?Sized),
    out: &mut impl Write,
) -> std::io::Result<()> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(out);
    w.write_record(SESSIONS_HEADER)?;
    sessions.for_each_row(&mut |row| w.serialize(row).map_err(std::io::Error::from))?;
    w.flush()
}

/// timeline.csv: one row per timeline point.
pub fn write_timeline(summary: &Summary, out: &mut impl Write) -> std::io::Result<()> {
    write_rows(
        out,
        TIMELINE_HEADER,
        summary.timeline.iter().map(TimelineRow::from),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::SessionRow;

    /// The header serde derives for one row.
    fn derived_header<T: Serialize>(row: T) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.serialize(row).unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        text.lines().next().unwrap().to_string()
    }

    #[test]
    fn header_constants_match_the_row_structs() {
        let l = LatencyStats::default();
        assert_eq!(
            derived_header(OperationRow::new("", "poll", &l, &l)),
            OPERATIONS_HEADER.join(",")
        );
        assert_eq!(
            derived_header(OutcomeRow::new("", &OutcomeCount::default())),
            OUTCOMES_HEADER.join(",")
        );
        assert_eq!(
            derived_header(SessionRow::default()),
            SESSIONS_HEADER.join(",")
        );
        let t = TimelineRow::from(&TimelinePoint::default());
        assert_eq!(derived_header(t), TIMELINE_HEADER.join(","));
    }

    #[test]
    fn empty_files_still_have_their_header() {
        let mut out = Vec::new();
        write_sessions(&Vec::new(), &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            SESSIONS_HEADER.join(",") + "\n"
        );
    }
}
