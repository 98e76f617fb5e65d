//! Every metric name against the fixture's exact values, no-data cases, pass/fail boundaries.

use super::*;

/// Every non-operation metric with its exact value in the fixture (None: no data).
fn expected(name: &str) -> Option<Option<f64>> {
    let total = 9989.0;
    if name == "sessions.dropped.rate" {
        // A closed run plans no arrivals.
        return Some(None);
    }
    if matches!(name, "service_level" | "asa" | "abandoned.rate") {
        // The fixture predates the service_level object.
        return Some(None);
    }
    Some(Some(match name {
        "sessions.dropped" | "sessions.arrivals_planned" => 0.0,
        "errors.count" => 26.0,
        "errors.rate" => 26.0 / total,
        "outcome.status_code_0.count" => 9963.0,
        "outcome.status_code_0.rate" => 9963.0 / total,
        "outcome.status_code_1.count" => 12.0,
        "outcome.status_code_1.rate" => 12.0 / total,
        "outcome.status_code_2.count" => 5.0,
        "outcome.status_code_2.rate" => 5.0 / total,
        "outcome.http_4xx.count" => 1.0,
        "outcome.http_4xx.rate" => 1.0 / total,
        "outcome.http_5xx.count" => 6.0,
        "outcome.http_5xx.rate" => 6.0 / total,
        "transport.timeout.count" => 2.0,
        "transport.timeout.rate" => 2.0 / total,
        "transport.reset.count" => 1.0,
        "transport.reset.rate" => 1.0 / total,
        "transport.total.count" => 3.0,
        "transport.total.rate" => 3.0 / total,
        n if n.starts_with("transport.") && n.ends_with(".count") => 0.0,
        n if n.starts_with("transport.") && n.ends_with(".rate") => 0.0,
        "sessions.started" => 100.0,
        "sessions.completed" => 96.0,
        "sessions.never_started" => 0.0,
        "sessions.never_started.rate" => 0.0,
        "sessions.ended_by_client" => 90.0,
        "sessions.ended_by_server" => 6.0,
        "sessions.failed" => 4.0,
        "sessions.failed.rate" => 0.04,
        "sessions.flagged" => 2.0,
        "sessions.flagged.rate" => 0.02,
        "sessions.near_miss" => 5.0,
        "sessions.near_miss.rate" => 0.05,
        "sessions.idle_over_flex" => 1.0,
        "sessions.idle_over_flex.rate" => 0.01,
        "sessions.expired" => 0.0,
        "sessions.expired.rate" => 0.0,
        "sessions.peak_active" => 40.0,
        "gaps.max" => 46500.5,
        "gaps.p99" => 5200.25,
        "gaps.p50" => 3000.125,
        "gaps.count" => 7889.0,
        "violations.total" => 3.0,
        "violations.status1_chat_ended" => 1.0,
        "violations.transcript_hole" => 0.0,
        "violations.transcript_repeat" => 2.0,
        "violations.missing_field" => 0.0,
        // Kinds newer than the fixture: an older file without them has no data.
        "violations.absurd_index" | "violations.invalid_identity" => return Some(None),
        "requests.total" => total,
        "requests.rate" => 159.824,
        "generator.lateness.p50" => 0.375,
        "generator.lateness.p99" => 3.25,
        "generator.lateness.max" => 15.5,
        _ => return None,
    }))
}

/// Operation metrics, read from the untyped JSON.
fn expected_op(json: &Value, name: &str) -> Option<Option<f64>> {
    let parts: Vec<&str> = name.split('.').collect();
    chatload::protocol::Operation::from_name(parts[0])?;
    let (map, stat) = match parts.as_slice() {
        [op, "count"] => {
            return Some(Some(
                json["requests"]["by_operation"][op].as_f64().unwrap_or(0.0),
            ))
        }
        [_, stat] => ("latency_ms", *stat),
        [_, "service_time", stat] => ("service_time_ms", *stat),
        _ => panic!("unexpected operation metric {name}"),
    };
    let stats = &json[map][parts[0]];
    if stats.is_null() || stats["count"] == 0 {
        return Some(None);
    }
    Some(Some(stats[stat].as_f64().unwrap()))
}

#[test]
fn every_metric_name_resolves_to_its_exact_fixture_value() {
    let (s, json) = (fixture(), fixture_json());
    let names = catalogue::all_names();
    assert_eq!(
        names.len(),
        11 * 17 + 80,
        "catalogue size changed: update this test"
    );
    for name in names {
        let metric =
            gate::Metric::from_name(&name).unwrap_or_else(|| panic!("{name} does not parse"));
        let want = expected_op(&json, &name)
            .or_else(|| expected(&name))
            .or_else(|| (name == "generator.verdict").then_some(None))
            .unwrap_or_else(|| panic!("no expected value for {name}"));
        let got = metric.resolve(&s);
        match (want, &got) {
            (Some(w), Observed::Value(v)) => assert_eq!(*v, w, "{name}"),
            (None, Observed::NoData(_)) => {}
            (None, Observed::Word(w)) if name == "generator.verdict" => {
                assert_eq!(*w, chatload::report::vocab::GeneratorVerdict::Ok)
            }
            _ => panic!("{name}: expected {want:?}, got {got:?}"),
        }
    }
}

#[test]
fn violations_total_saturates_instead_of_overflowing() {
    // A hostile server's transcript index can make one violation count huge.
    let mut s = Summary::default();
    s.violations.insert("transcript_hole".into(), u64::MAX - 1);
    s.violations.insert("transcript_repeat".into(), 2);
    let r = evaluate(&s, &[parse_threshold("violations.total > 0").unwrap()]).remove(0);
    assert_eq!(r.observed, Some(u64::MAX as f64));
    assert!(r.passed);
}

#[test]
fn no_data_cases() {
    let r = eval("read_receipt.p99 < 1s");
    assert_eq!((r.passed, r.observed), (false, None));
    assert_eq!(
        r.observed_display,
        "no data (no read_receipt requests recorded)"
    );
    assert!(!eval("push_url.service_time.p50 < 1s").passed);
    assert!(eval("push_url.count == 0").passed);
    let mut empty = Summary::default();
    empty.gaps.flex_disconnect_timeout_ms = 45_000;
    let t = [
        "errors.rate < 1%",
        "sessions.flagged.rate < 1%",
        "gaps.max < 80% flex",
        "generator.verdict == ok",
    ];
    for expr in t {
        let r = evaluate(&empty, &[parse_threshold(expr).unwrap()]).remove(0);
        assert!(
            !r.passed && r.observed_display.starts_with("no data"),
            "{expr}: {r:?}"
        );
    }
}

mod boundaries {
    use super::*;

    #[test]
    fn comparisons_flip_exactly_at_the_observed_value() {
        let pass = [
            "poll.p99 <= 48.625ms",
            "poll.p99 < 48.626ms",
            "poll.p99 == 48.625ms",
            "poll.p99 >= 48.625ms",
            "poll.service_time.p99 < 24.32ms",
            "errors.rate < 0.27%",
            "sessions.flagged.rate <= 2%",
            "gaps.max <= 104% flex",
            "requests.rate >= 159.824/s",
            "generator.verdict == ok",
            "generator.verdict != overloaded",
            "sessions.flagged != 0",
            "violations.transcript_hole == 0",
        ];
        let fail = [
            "poll.p99 < 48.625ms",
            "poll.p99 > 48.625ms",
            "poll.p99 != 48.625ms",
            "errors.rate < 0.26%",
            "sessions.flagged.rate < 2%",
            "gaps.max < 80% flex",
            "requests.rate > 159.824/s",
            "generator.verdict != ok",
            "generator.verdict == overloaded",
            "violations.total == 0",
        ];
        for e in pass {
            assert!(eval(e).passed, "{e} should pass: {:?}", eval(e));
        }
        for e in fail {
            assert!(!eval(e).passed, "{e} should fail: {:?}", eval(e));
        }
    }

    #[test]
    fn observed_values_are_in_base_units_with_display() {
        let r = eval("poll.p99 < 300ms");
        assert_eq!(
            (r.observed, r.observed_display.as_str(), r.passed),
            (Some(48.625), "48.625 ms", true)
        );
        let r = eval("errors.rate < 1%");
        assert_eq!(
            (r.observed, r.observed_display.as_str()),
            (Some(26.0 / 9989.0), "0.2603%")
        );
        let r = eval("gaps.max < 80% flex");
        assert_eq!(r.observed_display, "46500.5 ms (103.3% of flex 45000 ms)");
        assert_eq!(eval("requests.rate > 1/s").observed_display, "159.8/s");
        assert_eq!(eval("generator.verdict == ok").observed_display, "ok");
        assert_eq!(eval("sessions.flagged == 0").observed, Some(2.0));
    }
}

mod run_support {
    use super::*;
    use chatload::Exit;

    fn parsed(exprs: &[&str]) -> Vec<gate::Threshold> {
        exprs.iter().map(|e| parse_threshold(e).unwrap()).collect()
    }

    #[test]
    fn abort_check_ignores_missing_data_and_reports_measured_failures() {
        let s = fixture();
        let quiet = parsed(&["read_receipt.p99 < 1ms", "poll.p99 < 1s"]);
        assert_eq!(gate::abort_check(&s, &quiet), None);
        let loud = parsed(&["read_receipt.p99 < 1ms", "sessions.flagged == 0"]);
        let r = gate::abort_check(&s, &loud).unwrap();
        assert_eq!(
            (r.expression.as_str(), r.observed),
            ("sessions.flagged == 0", Some(2.0))
        );
    }

    #[test]
    fn exit_for_ranks_untrusted_over_failed() {
        let s = fixture();
        let pass = evaluate(&s, &parsed(&["poll.p99 < 1s"]));
        let fail = evaluate(&s, &parsed(&["sessions.flagged == 0"]));
        assert_eq!(gate::exit_for(&s, &pass), Exit::Success);
        assert_eq!(gate::exit_for(&s, &fail), Exit::GateFailed);
        let mut aborted = s.clone();
        aborted.run.end = chatload::report::vocab::RunEnd::Aborted;
        aborted.aborted_by_threshold = true;
        assert_eq!(gate::exit_for(&aborted, &pass), Exit::GateFailed);
        let mut unreachable = s.clone();
        unreachable
            .transport_errors
            .insert("connect".into(), unreachable.requests.total);
        assert_eq!(gate::exit_for(&unreachable, &fail), Exit::Untrusted);
        assert!(gate::untrusted_reason(&unreachable)
            .unwrap()
            .contains("unreachable"));
    }
}
