//! Tests of the whole [`Metrics`] API with scripted records and constructed instants (no sleeping).

use super::*;
use crate::protocol::Operation;
use crate::report::model::ScenarioInfo;
use crate::report::vocab::GeneratorVerdict;

const MS: Duration = Duration::from_millis(1);
const US: Duration = Duration::from_micros(1);

fn ok(chat_ended: bool) -> Outcome {
    Outcome::Response {
        http_status: 200,
        status_code: Some(0),
        chat_ended: Some(chat_ended),
    }
}

/// A request of `op` intended at `base + at`, sent `late` later, answered `took` after sending.
fn req(
    base: Instant,
    op: Operation,
    at: Duration,
    late: Duration,
    took: Duration,
    outcome: Outcome,
) -> RequestRecord {
    RequestRecord {
        operation: op,
        intended: base + at,
        sent: base + at + late,
        done: base + at + late + took,
        outcome,
        profile: None,
    }
}

fn scenario() -> ScenarioInfo {
    ScenarioInfo {
        name: "scripted".into(),
        dialect: "gms-v2".into(),
        target: "http://127.0.0.1:1".into(),
        sessions: 3,
        duration_s: 10.0,
        flex_disconnect_timeout_ms: 10_000,
        poll_interval_ms: 2000,
        ..ScenarioInfo::default()
    }
}

fn row(ordinal: u64, end_reason: &str) -> SessionEnd {
    let end = EndReason::ALL
        .into_iter()
        .find(|r| r.as_str() == end_reason)
        .unwrap();
    SessionEnd {
        ordinal,
        chat_id: format!("chat-{ordinal}"),
        polls: 4,
        end,
        established: end != EndReason::RequestFailed,
        disconnected: end == EndReason::ClientDisconnect,
        expired: end == EndReason::Expired,
        service: Default::default(),
        profile: None,
    }
}

/// Three sessions over ten seconds, recorded from two threads.
fn scripted(base: Instant) -> Metrics {
    let m = Metrics::with_shards(base, Duration::from_secs(10), 0.8, 3);
    for _ in 0..3 {
        m.session_started();
    }
    std::thread::scope(|s| {
        s.spawn(|| {
            // 100 polls: intended every 10 ms, sent 0.5 ms late, answered in 1 ms.
            for i in 0..100 {
                m.record_request(&req(
                    base,
                    Operation::Poll,
                    MS * i * 10,
                    US * 500,
                    MS,
                    ok(false),
                ));
                m.record_lateness(MS);
            }
        });
        s.spawn(|| {
            m.record_request(&req(
                base,
                Operation::RequestChat,
                MS,
                Duration::ZERO,
                MS * 5,
                ok(false),
            ));
            let busy = Outcome::Response {
                http_status: 200,
                status_code: Some(1),
                chat_ended: Some(false),
            };
            m.record_request(&req(
                base,
                Operation::Send,
                MS,
                Duration::ZERO,
                MS * 3,
                busy,
            ));
            let timeout = Outcome::Transport(TransportErrorKind::Timeout);
            m.record_request(&req(base, Operation::Send, MS, MS * 100, MS * 30, timeout));
            m.record_request(&req(
                base,
                Operation::Disconnect,
                MS,
                Duration::ZERO,
                MS,
                ok(true),
            ));
            m.record_violation(None, ViolationKind::TranscriptHole);
        });
    });
    m.record_gap(0, MS * 2000, GapCause::Cadence);
    m.record_gap(0, MS * 11_000, GapCause::SlowResponse);
    m.record_gap(1, MS * 9000, GapCause::Retries);
    m.record_gap(2, MS * 10_000, GapCause::GeneratorLag);
    m.record_gap(2, MS * 10_001, GapCause::GeneratorLag);
    m
}

#[test]
fn scripted_run_builds_the_expected_summary() {
    let base = Instant::now();
    let m = scripted(base);
    m.session_ended(row(0, "client_disconnect"));
    m.session_ended(row(1, "agent_ended"));
    // Session 2 is still active when the summary is built.
    let s = m.build_summary(RunFacts::completed(scenario(), Duration::from_secs(10)));

    assert_eq!(s.schema_version, crate::report::model::SCHEMA_VERSION);
    assert_eq!(s.requests.total, 104);
    assert_eq!(s.requests.errors, 2);
    assert_eq!(s.requests.rate_per_s, 10.4);
    assert_eq!(s.requests.by_operation["poll"], 100);
    assert_eq!(s.requests.by_operation["send"], 2);
    assert!(!s.requests.by_operation.contains_key("push_url"));

    let poll = &s.latency_ms["poll"];
    // Values below 2048 µs are exact in the histograms.
    assert_eq!(
        (poll.count, poll.min, poll.mean, poll.p50, poll.max),
        (100, 1.5, 1.5, 1.5, 1.5)
    );
    assert_eq!(s.service_time_ms["poll"].p99, 1.0);
    // The timed-out send waited 130 ms from its intended instant, 30 ms from its real send;
    // reported as the highest value of their HDR buckets (64 µs and 16 µs wide there).
    assert_eq!(s.latency_ms["send"].max, 130.047);
    assert_eq!(s.service_time_ms["send"].max, 30.015);
    assert_eq!(
        s.percentile_curves["poll"]
            .corrected
            .last()
            .unwrap()
            .percentile,
        100.0
    );

    type Bucket<'a> = (&'a str, u16, Option<u8>, Option<bool>, u64);
    let buckets: Vec<Bucket> = s
        .outcomes
        .iter()
        .map(|o| {
            (
                o.operation.as_str(),
                o.http_status,
                o.status_code,
                o.chat_ended,
                o.count,
            )
        })
        .collect();
    assert_eq!(
        buckets,
        [
            ("disconnect", 200, Some(0), Some(true), 1),
            ("poll", 200, Some(0), Some(false), 100),
            ("request_chat", 200, Some(0), Some(false), 1),
            ("send", 0, None, None, 1),
            ("send", 200, Some(1), Some(false), 1),
        ]
    );
    assert_eq!(
        s.outcomes.iter().map(|o| o.count).sum::<u64>(),
        s.requests.total
    );
    assert_eq!(s.transport_errors.len(), TransportErrorKind::ALL.len());
    assert_eq!(s.transport_errors["timeout"], 1);
    assert_eq!(s.transport_errors["reset"], 0);
    assert_eq!(s.violations.len(), ViolationKind::ALL.len());
    assert_eq!(s.violations["transcript_hole"], 1);
    assert_eq!(s.violations["status1_chat_ended"], 0);

    let ss = &s.sessions;
    assert_eq!(
        (
            ss.started,
            ss.completed,
            ss.ended_by_client,
            ss.ended_by_server,
            ss.failed
        ),
        (3, 2, 1, 1, 0)
    );
    // Sessions 0 and 2 flagged (2 is still active), session 1 a near miss.
    assert_eq!((ss.flagged, ss.near_miss, ss.peak_active), (2, 1, 3));
    assert_eq!(ss.flagged_rate, 0.666667);

    let g = &s.gaps;
    assert_eq!(
        (g.count, g.flex_disconnect_timeout_ms, g.near_miss_fraction),
        (5, 10_000, 0.8)
    );
    assert_eq!(g.flagged_by_cause["slow_response"], 1);
    assert_eq!(g.flagged_by_cause["generator_lag"], 1);
    assert_eq!(g.flagged_by_cause["retries"], 0);
    assert_eq!(g.flagged_by_cause.len(), 4);
    assert_eq!(s.gap_histogram.len(), GAP_BUCKETS + 1);
    assert_eq!(s.gap_histogram.iter().map(|b| b.count).sum::<u64>(), 5);
    assert_eq!(s.gap_histogram[20].count, 2); // 10 000 ms and 10 001 ms

    let worst: Vec<(u64, bool, bool, &str)> = s
        .worst_sessions
        .iter()
        .map(|r| {
            (
                r.ordinal,
                r.flagged,
                r.near_miss,
                r.cause.map_or("", GapCause::as_str),
            )
        })
        .collect();
    assert_eq!(
        worst,
        [
            (0, true, false, "slow_response"),
            (1, false, true, "retries")
        ]
    );

    assert_eq!(s.generator.schedule_lateness_ms.p99, 1.0);
    assert_eq!(s.generator.verdict, GeneratorVerdict::Overloaded); // one flagged gap was generator lag
    assert!(
        s.generator.reason.contains("generator lag"),
        "{}",
        s.generator.reason
    );
}

#[test]
fn ticks_fill_the_timeline_and_live_figures() {
    let base = Instant::now();
    let m = Metrics::with_shards(base, Duration::from_secs(45), 0.8, 2);
    m.session_started();
    m.session_started();
    for i in 0..10 {
        let took = US * 100 * (i + 1);
        m.record_request(&req(
            base,
            Operation::Poll,
            MS * i,
            Duration::ZERO,
            took,
            ok(false),
        ));
    }
    m.record_gap(0, Duration::from_secs(50), GapCause::Retries);
    m.tick(base + Duration::from_secs(1));
    let bad = Outcome::Transport(TransportErrorKind::Reset);
    m.record_request(&req(
        base,
        Operation::Poll,
        Duration::from_secs(1),
        Duration::ZERO,
        US * 700,
        bad,
    ));
    m.session_ended(row(1, "client_disconnect"));
    m.tick(base + Duration::from_secs(2));

    let live = m.live();
    assert_eq!(
        (live.requests, live.errors, live.active_sessions, live.flags),
        (11, 1, 1, 1)
    );
    assert_eq!(
        (live.last_second_requests, live.last_second_p99_ms),
        (1, 0.7)
    );

    let s = m.build_summary(RunFacts::completed(scenario(), Duration::from_secs(2)));
    assert_eq!(s.timeline_step_s, 1);
    let t: Vec<(u64, u64, u64, f64, f64, u64, u64)> = s
        .timeline
        .iter()
        .map(|p| {
            (
                p.t_s,
                p.requests,
                p.errors,
                p.p50_ms,
                p.p99_ms,
                p.active_sessions,
                p.flags_total,
            )
        })
        .collect();
    assert_eq!(t, [(0, 10, 0, 0.5, 1.0, 2, 1), (1, 1, 1, 0.7, 0.7, 1, 1)]);
    assert_eq!(s.timeline[0].flags_by_cause["retries"], 1);
    assert_eq!(s.timeline[1].flags_by_cause["retries"], 0);
    assert_eq!(s.timeline[1].flags_by_cause.len(), 4);
}

#[test]
fn empty_run_has_every_key_and_no_nan() {
    let base = Instant::now();
    let m = Metrics::new(base, Duration::from_secs(45), 0.8);
    let s = m.build_summary(RunFacts::completed(scenario(), Duration::ZERO));
    assert_eq!(s.requests.total, 0);
    assert_eq!(s.requests.rate_per_s, 0.0);
    assert_eq!(s.transport_errors.len(), TransportErrorKind::ALL.len());
    assert_eq!(s.violations.len(), ViolationKind::ALL.len());
    assert_eq!(s.gaps.flagged_by_cause.len(), GapCause::ALL.len());
    assert!(m.session_rows().is_empty());
    let json = serde_json::to_string(&s).unwrap();
    // `scenario.shard` is null for a whole-plan run; no other value may be.
    let json = json.replace("\"shard\":null", "");
    assert!(!json.contains("null"), "NaN or missing value: {json}");
    assert_eq!(s.generator.verdict, GeneratorVerdict::Ok);
}

#[test]
fn session_rows_are_sorted_and_completed_from_gaps() {
    let base = Instant::now();
    let m = scripted(base);
    m.session_ended(row(2, "expired"));
    m.session_ended(row(0, "client_disconnect"));
    let rows = m.session_rows();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].ordinal, 0);
    assert_eq!(
        (
            rows[0].max_gap_ms,
            rows[0].flagged,
            rows[0].cause.map_or("", GapCause::as_str)
        ),
        (11_000.0, true, "slow_response")
    );
    assert_eq!(
        (
            rows[1].max_gap_ms,
            rows[1].flagged,
            rows[1].cause.map_or("", GapCause::as_str)
        ),
        (10_001.0, true, "generator_lag")
    );
    assert_eq!(rows[1].end_reason, EndReason::Expired);
    let s = m.build_summary(RunFacts::completed(scenario(), Duration::from_secs(1)));
    assert_eq!(
        (
            s.sessions.ended_by_server,
            s.sessions.failed,
            s.sessions.completed
        ),
        (1, 1, 1)
    );
}

#[test]
fn metrics_can_be_shared_between_tasks() {
    fn shared<T: Send + Sync + 'static>() {}
    shared::<Metrics>();
    shared::<std::sync::Arc<Metrics>>();
}

#[test]
fn default_metrics_is_usable() {
    let m = Metrics::default();
    m.record_lateness(Duration::from_micros(10));
    assert_eq!(m.live(), LiveStats::default());
}

#[test]
fn timeline_includes_the_open_interval_so_requests_add_up() {
    let base = Instant::now();
    let m = Metrics::with_shards(base, Duration::from_secs(45), 0.8, 2);
    let r = |at: Duration| {
        req(
            base,
            Operation::Poll,
            at,
            Duration::ZERO,
            US * 300,
            ok(false),
        )
    };
    m.record_request(&r(Duration::ZERO));
    m.tick(base + Duration::from_secs(1));
    m.record_request(&r(Duration::from_secs(1)));
    m.record_request(&r(Duration::from_secs(1)));
    m.record_gap(0, Duration::from_secs(46), GapCause::Cadence);
    let s = m.build_summary(RunFacts::completed(scenario(), Duration::from_millis(1500)));
    let t: Vec<(u64, u64, u64)> = s
        .timeline
        .iter()
        .map(|p| (p.t_s, p.requests, p.flags_total))
        .collect();
    assert_eq!(t, [(0, 1, 0), (1, 2, 1)]);
    assert_eq!(s.timeline[1].flags_by_cause["cadence"], 1);
    // Building the summary does not consume the open interval.
    m.tick(base + Duration::from_secs(2));
    let s = m.build_summary(RunFacts::completed(scenario(), Duration::from_secs(2)));
    assert_eq!(s.timeline.iter().map(|p| p.requests).sum::<u64>(), 3);
    assert_eq!(s.timeline.len(), 2);
}

#[test]
fn each_profile_gets_the_figures_of_its_own_requests_and_they_sum_to_the_totals() {
    let base = Instant::now();
    let m = Metrics::with_shards(base, Duration::from_secs(10), 0.8, 2);
    m.profiles(vec!["widget".into(), "idle lurker".into(), "never".into()]);
    let timeout = Outcome::Transport(TransportErrorKind::Timeout);
    std::thread::scope(|s| {
        for t in 0..2u32 {
            let m = &m;
            s.spawn(move || {
                for i in 0..30u32 {
                    let profile = Some((i % 2) as u16);
                    let outcome = if i % 10 == 0 { timeout } else { ok(false) };
                    let took = MS * (1 + i + t);
                    let mut r = req(base, Operation::Poll, MS * i, MS, took, outcome);
                    r.profile = profile;
                    m.record_request(&r);
                }
            });
        }
    });
    // Without a profile: the totals only.
    m.record_request(&req(base, Operation::Send, MS, MS, MS, ok(false)));
    m.record_violation(Some(1), ViolationKind::TranscriptHole);
    m.record_violation(None, ViolationKind::TranscriptHole);
    let gap = |sent: u32| GapObservation {
        last_ok_send: base,
        intended: base + MS * sent,
        prev_done: base,
        sent: base + MS * sent,
        retried: false,
    };
    assert!(m.observe_gap(0, Some(1), &gap(11_000)));
    assert!(!m.observe_gap(1, Some(0), &gap(2000)));
    let s = m.build_summary(RunFacts::completed(scenario(), Duration::from_secs(10)));
    let (w, l) = (&s.profiles["widget"], &s.profiles["idle lurker"]);
    assert_eq!((w.requests.total, l.requests.total), (30, 30));
    assert_eq!(w.requests.total + l.requests.total + 1, s.requests.total);
    assert_eq!((w.requests.errors, l.requests.errors), (6, 0));
    assert_eq!(w.transport_errors["timeout"], 6);
    assert_eq!(w.latency_ms["poll"].count, 30);
    assert_eq!(l.service_time_ms["poll"].count, 30);
    assert!(!w.latency_ms.contains_key("send"));
    // Even polls are the widget's: 1 + i + t ms over the 1 ms late send.
    assert_eq!(w.latency_ms["poll"].min, 2.0);
    assert_eq!(l.latency_ms["poll"].min, 3.0);
    let sum: u64 = w.outcomes.iter().chain(&l.outcomes).map(|o| o.count).sum();
    assert_eq!(sum + 1, s.outcomes.iter().map(|o| o.count).sum::<u64>());
    assert_eq!(
        (
            l.violations["transcript_hole"],
            s.violations["transcript_hole"]
        ),
        (1, 2)
    );
    assert_eq!(w.violations["transcript_hole"], 0);
    assert_eq!(l.gaps.count, 1);
    assert_eq!(l.gaps.flagged_by_cause.values().sum::<u64>(), 1);
    assert_eq!(w.gaps.count, 1);
    assert!(
        (2000.0..2002.0).contains(&w.gaps.max_ms),
        "{}",
        w.gaps.max_ms
    );
    assert_eq!(s.gaps.count, 2);
    // A profile no session drew has its entry, empty, with every key.
    let n = &s.profiles["never"];
    assert_eq!((n.requests.total, n.sessions), (0, 0));
    assert_eq!(n.violations.len(), s.violations.len());
    assert_eq!(n.gaps.flagged_by_cause.len(), 4);
}

#[test]
fn a_run_without_profiles_has_no_profile_figures() {
    let s = scripted(Instant::now())
        .build_summary(RunFacts::completed(scenario(), Duration::from_secs(10)));
    assert!(s.profiles.is_empty());
}

#[test]
fn the_service_level_goes_to_the_interval_of_the_join_or_abandonment() {
    let base = Instant::now();
    let m = Metrics::with_shards(base, Duration::from_secs(45), 0.8, 2);
    m.service_target(Duration::from_secs(10));
    m.agent_joined(Duration::from_secs(3));
    m.agent_joined(Duration::from_secs(12));
    let first = m.tick(base + Duration::from_secs(1)).point;
    let levels = |p: &TimelinePoint| {
        (
            p.joined,
            p.joined_within_target,
            p.abandoned,
            p.queue_wait_max_ms,
        )
    };
    assert_eq!(levels(&first), (2, 1, 0, 12_000.0));
    assert_eq!(first.service_level(), Some(0.5));
    // The next interval starts empty; an abandonment still open is in the summary's
    // timeline (its last point), once.
    m.abandoned(Duration::from_secs(20));
    m.never_joined();
    let s = m.build_summary(RunFacts::completed(scenario(), Duration::from_millis(1500)));
    let points: Vec<_> = s.timeline.iter().map(levels).collect();
    assert_eq!(points, [(2, 1, 0, 12_000.0), (0, 0, 1, 20_000.0)]);
    let sl = s.service_level.expect("service level");
    assert_eq!((sl.joined, sl.abandoned, sl.never_joined), (2, 1, 1));
    let second = m.tick(base + Duration::from_secs(2)).point;
    assert_eq!(levels(&second), (0, 0, 1, 20_000.0));
    assert_eq!(
        levels(&m.tick(base + Duration::from_secs(3)).point),
        (0, 0, 0, 0.0)
    );
}

/// sessions.csv as the writer before issue 15 made it: every row materialised, sorted by
/// ordinal, each serialized (serde's header is the file's, see the csv module's tests).
fn sessions_csv_from_a_list(rows: &[SessionRow]) -> String {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.serialize(r).unwrap();
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

#[test]
fn sessions_csv_from_the_metrics_rows_is_the_list_writers_byte_for_byte() {
    let base = Instant::now();
    let m = scripted(base);
    // Sessions end out of ordinal order, some before a tick streamed them, some after.
    let mut service = SessionService::default();
    for (i, ord) in [7u64, 2, 9, 0, 5].into_iter().enumerate() {
        let mut end = row(ord, ["client_disconnect", "expired", "agent_ended"][i % 3]);
        end.chat_id = format!("chat,\"{ord}\"");
        service.queue_wait = (i % 2 == 0).then(|| Duration::from_micros(1_500_250 + ord));
        end.service = service;
        m.session_ended(end);
    }
    let tick = m.tick(base + Duration::from_secs(1));
    assert_eq!((tick.ended, tick.dropped), (5, 2));
    let first: Vec<u64> = m.take_rows(3).iter().map(|r| r.ordinal).collect();
    assert_eq!(first, [7, 2, 9], "in end order");
    for ord in [4u64, 1, 8, 3, 6] {
        m.session_ended(row(ord, "request_failed"));
    }
    let mut got = Vec::new();
    crate::report::csv::write_sessions(&m, &mut got).unwrap();
    let want = sessions_csv_from_a_list(&m.session_rows());
    assert_eq!(String::from_utf8(got).unwrap(), want);
    assert_eq!(want.lines().count(), 11);
    // Writing sorted the store in place, yet the streamed file's writer still takes
    // exactly the seven rows it had not, a batch at a time.
    let tick = m.tick(base + Duration::from_secs(2));
    assert_eq!((tick.ended, tick.dropped), (5, 5));
    let mut rest: Vec<u64> = m.take_rows(4).iter().map(|r| r.ordinal).collect();
    rest.extend(m.take_rows(4).iter().map(|r| r.ordinal));
    rest.sort_unstable();
    assert_eq!(rest, [0, 1, 3, 4, 5, 6, 8]);
    assert!(m.take_rows(4).is_empty());
    let tick = m.tick(base + Duration::from_secs(3));
    assert_eq!((tick.ended, tick.dropped), (0, 0));
}
