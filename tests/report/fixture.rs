//! A small hand-built [`Summary`] with every section filled, and its sessions.

use chatload::report::model::*;
use chatload::report::vocab::{
    EndReason, GapCause, GeneratorVerdict, RunEnd, TransportErrorKind, ViolationKind,
};
use std::collections::BTreeMap;

fn stats(count: u64, base: f64) -> LatencyStats {
    LatencyStats {
        count,
        min: base,
        mean: base * 2.0,
        p50: base * 2.0,
        p90: base * 3.0,
        p99: base * 4.0,
        p999: base * 5.0,
        p9999: base * 5.5,
        max: base * 6.0,
    }
}

fn causes(retries: u64) -> BTreeMap<String, u64> {
    ["cadence", "generator_lag", "retries", "slow_response"]
        .into_iter()
        .map(|c| (c.to_string(), if c == "retries" { retries } else { 0 }))
        .collect()
}

fn session(ordinal: u64, max_gap_ms: f64, flagged: bool, cause: &str, end: &str) -> SessionRow {
    SessionRow {
        ordinal,
        chat_id: format!("chat-{ordinal}"),
        polls: 5,
        max_gap_ms,
        flagged,
        near_miss: false,
        cause: GapCause::ALL.into_iter().find(|c| c.as_str() == cause),
        end_reason: EndReason::ALL
            .into_iter()
            .find(|r| r.as_str() == end)
            .unwrap(),
        ..SessionRow::default()
    }
}

/// A small hand-built summary with every section filled.
pub fn fixture() -> Summary {
    let mut s = Summary {
        schema_version: SCHEMA_VERSION,
        chatload_version: "0.1.0".into(),
        scenario: ScenarioInfo {
            name: "fixture".into(),
            dialect: "gms-v2".into(),
            target: "http://127.0.0.1:8080".into(),
            embedded_server: true,
            sessions: 2,
            duration_s: 10.0,
            flex_disconnect_timeout_ms: 45_000,
            poll_interval_ms: 2000,
            seed: 7,
            header_names: vec!["apikey".into(), "authorization".into()],
            scenario_hash: "00000000000000aa".into(),
            shard: Some(ShardInfo { index: 2, count: 3 }),
            reach: Default::default(),
        },
        run: RunInfo {
            started_at: "2026-01-01T00:00:00Z".into(),
            elapsed_s: 10.0,
            end: RunEnd::Completed,
        },
        requests: Requests {
            total: 12,
            by_operation: [("poll".to_string(), 10), ("request_chat".to_string(), 2)].into(),
            errors: 3,
            error_rate: 0.25,
            rate_per_s: 1.2,
        },
        latency_ms: [
            ("poll".to_string(), stats(10, 1.5)),
            ("request_chat".to_string(), stats(2, 0.25)),
        ]
        .into(),
        service_time_ms: [
            ("poll".to_string(), stats(10, 1.0)),
            ("request_chat".to_string(), stats(2, 0.125)),
        ]
        .into(),
        outcomes: vec![
            OutcomeCount {
                operation: "poll".into(),
                http_status: 0,
                status_code: None,
                chat_ended: None,
                count: 1,
            },
            OutcomeCount {
                operation: "poll".into(),
                http_status: 200,
                status_code: Some(0),
                chat_ended: Some(false),
                count: 9,
            },
            OutcomeCount {
                operation: "request_chat".into(),
                http_status: 200,
                status_code: Some(0),
                chat_ended: Some(false),
                count: 2,
            },
        ],
        transport_errors: TransportErrorKind::ALL
            .iter()
            .map(|k| {
                (
                    k.as_str().to_string(),
                    u64::from(*k == TransportErrorKind::Reset),
                )
            })
            .collect(),
        sessions: Sessions {
            started: 2,
            completed: 2,
            ended_by_client: 1,
            ended_by_server: 1,
            failed: 0,
            flagged: 1,
            near_miss: 0,
            flagged_rate: 0.5,
            near_miss_rate: 0.0,
            peak_active: 2,
            ..Sessions::default()
        },
        gaps: Gaps {
            flex_disconnect_timeout_ms: 45_000,
            near_miss_fraction: 0.8,
            count: 8,
            max_ms: 46_000.5,
            p99_ms: 46_000.5,
            p50_ms: 2000.0,
            flagged_by_cause: causes(1),
        },
        violations: ViolationKind::ALL
            .iter()
            .map(|k| (k.as_str().to_string(), 0))
            .collect(),
        generator: Generator {
            schedule_lateness_ms: LatenessStats {
                p50: 0.1,
                p99: 0.5,
                max: 2.0,
            },
            cpu_percent: 12.5,
            cores: 2,
            verdict: GeneratorVerdict::Ok,
            reason: "p99 schedule lateness within 200.0 ms, CPU within 180 % of one core, no generator-lag flags".into(),
            shards: Vec::new(),
            stale_connection: 0,
        },
        timeline: vec![
            TimelinePoint {
                t_s: 0,
                time_utc: "2026-11-21T09:30:00.000Z".into(),
                requests: 4,
                errors: 0,
                p50_ms: 1.5,
                p99_ms: 3.0,
                active_sessions: 2,
                flags_total: 0,
                flags_by_cause: causes(0),
                ..TimelinePoint::default()
            },
            TimelinePoint {
                t_s: 1,
                time_utc: "2026-11-21T09:30:01.000Z".into(),
                requests: 8,
                errors: 1,
                p50_ms: 2.0,
                p99_ms: 9.25,
                active_sessions: 1,
                flags_total: 1,
                flags_by_cause: causes(1),
                dropped: 0,
                joined: 3,
                joined_within_target: 2,
                abandoned: 1,
                queue_wait_max_ms: 12_500.5,
            },
        ],
        timeline_step_s: 1,
        worst_sessions: vec![session(1, 46_000.5, true, "retries", "agent_ended")],
        thresholds: vec![ThresholdResult {
            expression: "poll.p99 < 300ms".into(),
            observed: Some(6.0),
            observed_display: "6.0 ms".into(),
            passed: true,
        }],
        ..Summary::default()
    };
    s.percentile_curves.insert(
        "poll".into(),
        PercentileCurves {
            corrected: vec![
                PercentilePoint {
                    percentile: 0.0,
                    value_ms: 1.5,
                },
                PercentilePoint {
                    percentile: 100.0,
                    value_ms: 9.0,
                },
            ],
            service_time: vec![PercentilePoint {
                percentile: 100.0,
                value_ms: 6.0,
            }],
        },
    );
    s.gap_histogram = vec![
        GapBucket {
            from_ms: 0.0,
            to_ms: 2250.0,
            count: 7,
        },
        GapBucket {
            from_ms: 67_500.0,
            to_ms: 67_500.0,
            count: 0,
        },
    ];
    s
}

pub fn sessions() -> Vec<SessionRow> {
    vec![
        session(0, 2000.0, false, "", "client_disconnect"),
        session(1, 46_000.5, true, "retries", "agent_ended"),
    ]
}
