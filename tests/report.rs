//! Exporter tests: exact CSV text for a hand-built fixture, JSON round trip,
//! summary.json validated against `schema/summary.schema.json`, and the files
//! `write_reports` leaves in a run directory.

#[path = "report/fixture.rs"]
mod fixture;
#[path = "report/schema_check.rs"]
mod schema_check;

use fixture::{fixture, sessions};

use chatload::metrics::{
    GapCause, Metrics, Outcome, RequestRecord, RunFacts, SessionEnd, TransportErrorKind,
    ViolationKind,
};
use chatload::protocol::Operation;
use chatload::report::model::*;
use chatload::report::{csv, json, text, write_reports};
use std::time::{Duration, Instant};

fn render(f: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
    let mut out = Vec::new();
    f(&mut out).expect("render");
    String::from_utf8(out).expect("utf-8")
}

#[test]
fn operations_csv_exact() {
    let got = render(|w| csv::write_operations(&fixture(), w));
    let want = "\
operation,count,latency_min_ms,latency_mean_ms,latency_p50_ms,latency_p90_ms,latency_p99_ms,latency_p999_ms,latency_p9999_ms,latency_max_ms,service_time_min_ms,service_time_mean_ms,service_time_p50_ms,service_time_p90_ms,service_time_p99_ms,service_time_p999_ms,service_time_p9999_ms,service_time_max_ms,profile
request_chat,2,0.25,0.5,0.5,0.75,1.0,1.25,1.375,1.5,0.125,0.25,0.25,0.375,0.5,0.625,0.6875,0.75,
poll,10,1.5,3.0,3.0,4.5,6.0,7.5,8.25,9.0,1.0,2.0,2.0,3.0,4.0,5.0,5.5,6.0,
";
    assert_eq!(got, want);
}

#[test]
fn outcomes_csv_exact() {
    let got = render(|w| csv::write_outcomes(&fixture(), w));
    let want = "\
operation,http_status,status_code,chat_ended,count,profile
poll,0,,,1,
poll,200,0,false,9,
request_chat,200,0,false,2,
";
    assert_eq!(got, want);
}

#[test]
fn per_profile_rows_follow_the_run_rows_in_operations_and_outcomes_csv() {
    let mut s = fixture();
    let mut lurker = ProfileFigures::default();
    lurker
        .latency_ms
        .insert("poll".into(), s.latency_ms["poll"].clone());
    lurker
        .service_time_ms
        .insert("poll".into(), s.service_time_ms["poll"].clone());
    lurker.outcomes = vec![s.outcomes[1].clone()];
    s.profiles.insert("lurker".into(), lurker);
    // A profile without requests has no rows.
    s.profiles
        .insert("idle one".into(), ProfileFigures::default());
    let ops = render(|w| csv::write_operations(&s, w));
    let lines: Vec<&str> = ops.lines().collect();
    assert_eq!(lines.len(), 4, "{ops}");
    assert!(lines[1].starts_with("request_chat,2,") && lines[1].ends_with(','));
    assert_eq!(
        lines[3],
        "poll,10,1.5,3.0,3.0,4.5,6.0,7.5,8.25,9.0,1.0,2.0,2.0,3.0,4.0,5.0,5.5,6.0,lurker"
    );
    let outcomes = render(|w| csv::write_outcomes(&s, w));
    assert!(
        outcomes.ends_with("request_chat,200,0,false,2,\npoll,200,0,false,9,lurker\n"),
        "{outcomes}"
    );
}

#[test]
fn sessions_csv_exact() {
    let mut rows = sessions();
    rows[1].queue_wait_ms = Some(1500.25);
    rows[1].first_response_ms = Some(300.0);
    rows[1].profile = "lurker".into();
    let got = render(|w| csv::write_sessions(&rows, w));
    // The service columns are empty for a chat no agent joined or answered.
    let want = "\
ordinal,chat_id,polls,max_gap_ms,flagged,near_miss,cause,end_reason,max_idle_ms,idle_over_flex,expired,queue_wait_ms,first_response_ms,abandoned,profile
0,chat-0,5,2000.0,false,false,,client_disconnect,0.0,false,false,,,false,
1,chat-1,5,46000.5,true,false,retries,agent_ended,0.0,false,false,1500.25,300.0,false,lurker
";
    assert_eq!(got, want);
}

#[test]
fn timeline_csv_exact() {
    let got = render(|w| csv::write_timeline(&fixture(), w));
    let want = "\
t_s,time_utc,requests,errors,p50_ms,p99_ms,active_sessions,flags_total,flags_generator_lag,flags_slow_response,flags_retries,flags_cadence,joined,joined_within_target,abandoned,service_level,queue_wait_max_ms
0,2026-11-21T09:30:00.000Z,4,0,1.5,3.0,2,0,0,0,0,0,0,0,0,,0.0
1,2026-11-21T09:30:01.000Z,8,1,2.0,9.25,1,1,0,0,1,0,3,2,1,0.5,12500.5
";
    assert_eq!(got, want);
}

#[test]
fn json_round_trip() {
    let s = fixture();
    let text = render(|w| json::write_json(&s, w));
    assert!(text.ends_with("}\n"));
    let back = json::read_json(text.as_bytes()).expect("parse");
    assert_eq!(back, s);
    let built = built_summary();
    let text = render(|w| json::write_json(&built, w));
    assert_eq!(json::read_json(text.as_bytes()).expect("parse"), built);
}

#[test]
fn text_summary_has_every_section() {
    let got = render(|w| text::write_text(&fixture(), w));
    for line in [
        "chatload 0.1.0: scenario 'fixture', gms-v2 against http://127.0.0.1:8080 (embedded server)",
        "run completed after 10.0 s (started 2026-01-01T00:00:00Z)",
        "requests: 12 total, 1.2 req/s, 3 errors (25.00 %)",
        "transport errors: reset 1",
        "latency, corrected (from the intended send instant), ms",
        "poll                   10      1.50      3.00      3.00      4.50      6.00      7.50      9.00",
        "service time (from the actual send instant), ms",
        "poll                 -           -          -         1",
        "poll               200           0      false         9",
        "sessions: 2 started in 2 slots (a slot starts a new customer when its session ends), peak 2 active",
        "          2 completed        established and ended normally: by the customer, by the agent, or disconnected by chatload at the planned end",
        "          0 never started    request chat never succeeded (not completed)",
        "          1 ended by client  the disconnect was answered statusCode 0: after the script, a ramp-down, the planned end (run_ended) or Ctrl-C",
        "          1 ended by server  the agent ended the chat, statusCode 2, or the chat expired",
        "          0 failed           never established, out of retries, statusCode 2 or expired",
        "flagged sessions: 1 (50.00 %), near misses: 0 (0.00 %)",
        "poll gaps vs flex-disconnect-timeout 45000 ms (near miss above 80 %): 8 gaps, p50 2000.0 ms, p99 46000.5 ms, max 46000.5 ms",
        "flagged gaps by cause: retries 1",
        "protocol violations: none",
        "generator: ok (p99 schedule lateness within 200.0 ms, CPU within 180 % of one core, no generator-lag flags); schedule lateness p50 0.10 ms, p99 0.50 ms, max 2.00 ms; CPU 12 % of one core (2 cores available)",
        "  PASS  poll.p99 < 300ms (observed 6.0 ms)",
    ] {
        assert!(got.lines().any(|l| l == line), "missing line {line:?} in:\n{got}");
    }
    // request_chat is listed before poll (report order, not alphabetical).
    assert!(got.find("request_chat ").unwrap() < got.find("poll ").unwrap());
}

#[test]
fn text_summary_has_a_profile_block_only_with_profiles() {
    let mut s = fixture();
    assert!(!render(|w| text::write_text(&s, w)).contains("customer profiles"));
    let mut lurker = ProfileFigures {
        sessions: 4,
        ..ProfileFigures::default()
    };
    lurker.requests.total = 40;
    lurker.requests.errors = 2;
    lurker
        .latency_ms
        .insert("poll".into(), s.latency_ms["poll"].clone());
    lurker.violations.insert("transcript_hole".into(), 5);
    s.profiles.insert("lurker".into(), lurker);
    let got = render(|w| text::write_text(&s, w));
    for line in [
        "customer profiles (poll latency corrected, ms)",
        "profile          sessions  requests  poll p50  poll p99   errors violations",
        "lurker                  4        40      3.00      6.00        2          5",
    ] {
        assert!(
            got.lines().any(|l| l == line),
            "missing line {line:?} in:\n{got}"
        );
    }
}

const MS: Duration = Duration::from_millis(1);

/// A summary built by the real metrics from a scripted run, with every array non-empty.
fn built_summary() -> Summary {
    let base = Instant::now();
    let m = Metrics::new(base, Duration::from_secs(10), 0.8);
    let ok = Outcome::Response {
        http_status: 200,
        status_code: Some(0),
        chat_ended: Some(false),
    };
    let outcomes = [ok, Outcome::Transport(TransportErrorKind::Reset)];
    for i in 0..50u32 {
        m.session_started();
        let record = RequestRecord {
            operation: if i % 5 == 0 {
                Operation::RequestChat
            } else {
                Operation::Poll
            },
            intended: base + MS * i,
            sent: base + MS * (i + 1),
            done: base + MS * (3 * i + 2),
            outcome: outcomes[(i % 7 == 0) as usize],
            profile: None,
        };
        m.record_request(&record);
        m.record_lateness(MS * (i % 4));
        m.record_gap(u64::from(i), MS * 230 * i, GapCause::ALL[(i % 4) as usize]);
        if i == 20 {
            m.tick(base + Duration::from_secs(1));
        }
    }
    m.record_violation(None, ViolationKind::Status1ChatEnded);
    for i in 0..40 {
        m.session_ended(SessionEnd::client_disconnect(i, format!("c{i}"), 3));
    }
    m.tick(base + Duration::from_secs(2));
    let scenario = ScenarioInfo {
        name: "built".into(),
        dialect: "webapi".into(),
        poll_interval_ms: 2000,
        flex_disconnect_timeout_ms: 10_000,
        ..ScenarioInfo::default()
    };
    let mut s = m.build_summary(RunFacts::completed(scenario, Duration::from_secs(2)));
    s.thresholds = fixture().thresholds;
    s
}

#[test]
fn built_summary_validates_against_the_schema() {
    let s = built_summary();
    assert!(s.worst_sessions.len() > 1 && s.sessions.flagged > 0 && s.sessions.near_miss > 0);
    let value = serde_json::to_value(&s).expect("serialise");
    let errors = schema_check::validate(&schema_check::load(), &value);
    assert!(
        errors.is_empty(),
        "schema violations:\n{}",
        errors.join("\n")
    );
    let fixture = serde_json::to_value(fixture()).expect("serialise");
    let errors = schema_check::validate(&schema_check::load(), &fixture);
    assert!(
        errors.is_empty(),
        "schema violations:\n{}",
        errors.join("\n")
    );
}

#[test]
fn schema_requires_exactly_the_model_fields() {
    let schema = schema_check::load();
    // Every object in the schema requires all its properties and allows no others, so a
    // valid instance has exactly the schema's keys; validation of a summary with every
    // array non-empty (above) then proves model keys == schema keys. The deliberately
    // optional keys (schema_check::OPTIONAL: the open model's additions, absent in a closed
    // run, are checked present and valid by tests/engine/open.rs) are the exception.
    let loose = schema_check::loose_objects(&schema);
    assert!(loose.is_empty(), "objects not pinned: {loose:?}");
    // And a missing or extra field is caught.
    let mut value = serde_json::to_value(built_summary()).unwrap();
    value["sessions"].as_object_mut().unwrap().remove("flagged");
    value["gaps"]["extra_ms"] = 1.into();
    let errors = schema_check::validate(&schema, &value);
    assert_eq!(errors.len(), 2, "{errors:?}");
}

#[test]
fn a_summary_written_before_header_names_still_reads() {
    let mut value = serde_json::to_value(fixture()).unwrap();
    value["scenario"]
        .as_object_mut()
        .unwrap()
        .remove("header_names");
    let back: Summary = serde_json::from_value(value).expect("older summary reads");
    assert!(back.scenario.header_names.is_empty());
}

#[test]
fn write_reports_writes_every_file_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    write_reports(&out, &fixture(), &sessions()).unwrap();
    for name in [
        "summary.json",
        "operations.csv",
        "outcomes.csv",
        "sessions.csv",
        "timeline.csv",
        "report.html",
    ] {
        let text = std::fs::read_to_string(out.join(name)).unwrap();
        assert!(!text.is_empty(), "{name} is empty");
        assert!(
            !text.to_lowercase().contains("securekey"),
            "{name} mentions secureKey"
        );
    }
    let back = json::read_json(std::fs::File::open(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(back, fixture());
    let sessions_csv = std::fs::read_to_string(out.join("sessions.csv")).unwrap();
    assert_eq!(sessions_csv.lines().count(), 3);
}

#[test]
fn a_file_that_cannot_be_written_is_named_and_every_other_file_is_whole() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    // A directory where timeline.csv must go: its write fails, the others must not.
    std::fs::create_dir_all(out.join("timeline.csv").join("x")).unwrap();
    let failed = chatload::report::write_reports_each(&out, &fixture(), &sessions());
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(failed[0].contains("timeline.csv"), "{failed:?}");
    let back = json::read_json(std::fs::File::open(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(back, fixture());
    for name in [
        "operations.csv",
        "outcomes.csv",
        "sessions.csv",
        "report.html",
    ] {
        assert!(out.join(name).is_file(), "{name}");
    }
    // No temporary file is left behind, and the error says so through write_reports too.
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    let e = write_reports(&out, &fixture(), &sessions()).unwrap_err();
    assert!(format!("{e:#}").contains("timeline.csv"), "{e:#}");
}

/// A run without data says "no data", never zeros that read as measurements.
#[test]
fn text_summary_says_no_data_instead_of_zeros() {
    let mut s = fixture();
    s.requests = Default::default();
    s.latency_ms.clear();
    s.service_time_ms.clear();
    s.gaps.count = 0;
    let got = render(|w| text::write_text(&s, w));
    assert!(
        got.contains("\nrequests: no data (no request was sent)\n"),
        "{got}"
    );
    assert_eq!(
        got.matches("\nno data (no request was answered or timed)\n")
            .count(),
        2,
        "{got}"
    );
    assert!(
        got.contains("(near miss above 80 %): no data (no poll gap was measured)"),
        "{got}"
    );
    assert!(!got.contains("0 gaps, p50 0.0 ms"), "{got}");
    // With data, the figures (the fixture's own run).
    let full = render(|w| text::write_text(&fixture(), w));
    assert!(!full.contains("no data"), "{full}");
}
