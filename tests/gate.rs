//! CI gates (issue 5): threshold parsing, every metric against a fixture summary, evaluation
//! boundaries and JUnit, in-process. The binary's exit codes are in `gate_cli.rs`-style modules
//! below (`cli`), the end-to-end runs against the reference server in `e2e`.

use chatload::gate::{
    self, evaluate, metrics, parse_threshold, write_junit, Observed, Regression, ThresholdsSpec,
};
use chatload::report::model::{Summary, ThresholdResult};
use serde_json::Value;

#[path = "gate/cli.rs"]
mod cli;

/// The fixture summary, typed.
fn fixture() -> Summary {
    serde_json::from_str(include_str!("fixtures/gate_summary.json")).unwrap()
}

/// The fixture summary, untyped: a second, independent path to the expected values.
fn fixture_json() -> Value {
    serde_json::from_str(include_str!("fixtures/gate_summary.json")).unwrap()
}

fn usage_error(expr: &str) -> String {
    parse_threshold(expr).unwrap_err().0
}

fn eval(expr: &str) -> ThresholdResult {
    evaluate(&fixture(), &[parse_threshold(expr).unwrap()]).remove(0)
}

mod parse {
    use super::*;

    #[test]
    fn valid_forms_normalise_to_base_units() {
        use chatload::gate::Limit::{Flex, Value as V, Word};
        let limit = |e: &str| parse_threshold(e).unwrap().limit;
        assert_eq!(limit("poll.p99 < 300ms"), V(300.0));
        assert_eq!(limit("send.service_time.p999 <= 1s"), V(1000.0));
        assert_eq!(limit("errors.rate < 0.5%"), V(0.005));
        assert_eq!(limit("errors.rate < 0.005"), V(0.005));
        assert_eq!(limit("outcome.status_code_2.rate < 0.1%"), V(0.001));
        assert_eq!(limit("transport.timeout.count == 0"), V(0.0));
        assert_eq!(limit("sessions.near_miss.rate < 1%"), V(0.01));
        assert_eq!(limit("gaps.max < 80% flex"), Flex(0.8));
        assert_eq!(limit("requests.rate >= 5000/s"), V(5000.0));
        assert_eq!(limit("requests.rate >= 5000"), V(5000.0));
        assert_eq!(limit("generator.verdict == ok"), Word("ok".into()));
        assert_eq!(limit("generator.lateness.p99 < 250us"), V(0.25));
        let t = parse_threshold("  violations.total == 0 ").unwrap();
        assert_eq!(t.expression, "violations.total == 0");
    }

    #[test]
    fn unknown_metrics_are_errors_with_position_and_suggestion() {
        assert_eq!(
            usage_error("pol.p99 < 3ms"),
            "threshold 'pol.p99 < 3ms' at column 1: unknown metric 'pol.p99'; did you mean 'poll.p99'?"
        );
        assert!(usage_error("  sessions.flaged == 0").contains(
            "at column 3: unknown metric 'sessions.flaged'; did you mean 'sessions.flagged'?"
        ));
        assert!(usage_error("transport.timeouts.count == 0")
            .contains("did you mean 'transport.timeout.count'?"));
        assert!(usage_error("xyz < 1").contains("unknown metric 'xyz'; see the metric list"));
        assert!(usage_error("poll.service_time.p42 < 1s").contains("column 1: unknown metric"));
    }

    #[test]
    fn unit_mismatches_point_at_the_value() {
        let cases = [
            (
                "poll.p99 < 5%",
                12,
                "'poll.p99' is a duration in ms and cannot be compared with a percentage",
            ),
            (
                "errors.rate < 300ms",
                15,
                "'errors.rate' is a rate (fraction 0..1) and cannot be compared with a duration",
            ),
            (
                "requests.rate > 5ms",
                17,
                "cannot be compared with a duration; use a rate such as 5000/s",
            ),
            (
                "sessions.flagged < 1%",
                20,
                "'sessions.flagged' is a count and cannot be compared with a percentage",
            ),
            ("poll.p99 < 300", 12, "add a unit, e.g. 300ms"),
            (
                "errors.rate < 5",
                15,
                "a rate is a fraction between 0 and 1; did you mean 5%?",
            ),
            ("gaps.max < ok", 12, "cannot be compared with a word"),
            (
                "generator.verdict == fine",
                22,
                "unknown verdict 'fine'; expected ok or overloaded",
            ),
            (
                "generator.verdict < ok",
                19,
                "can only be compared with == or !=",
            ),
            (
                "generator.verdict == 1",
                22,
                "cannot be compared with a plain number",
            ),
        ];
        for (expr, column, text) in cases {
            let msg = usage_error(expr);
            assert!(
                msg.starts_with(&format!("threshold '{expr}' at column {column}: ")),
                "{msg}"
            );
            assert!(msg.contains(text), "{expr}: {msg}");
        }
    }

    #[test]
    fn syntax_errors_have_columns() {
        let cases = [
            ("poll.p99 < 30x", 14, "unknown unit 'x'"),
            ("poll.p99 =< 3ms", 10, "unknown operator '=<'"),
            ("poll.p99", 9, "expected a comparison"),
            ("poll.p99 <", 11, "missing value"),
            (
                "poll.p99 < 3ms && x",
                16,
                "unexpected '&& x' after the value",
            ),
            ("", 1, "empty threshold"),
        ];
        for (expr, column, text) in cases {
            let msg = usage_error(expr);
            assert!(
                msg.contains(&format!("at column {column}: {text}")),
                "{expr}: {msg}"
            );
        }
    }

    #[test]
    fn scenario_table_parses_and_reports_the_bad_check() {
        let spec: ThresholdsSpec =
            toml::from_str("checks = ['poll.p99 < 1s', 'sessions.flagged == 0']\ngrace = '5s'")
                .unwrap();
        assert_eq!(spec.parse().unwrap().len(), 2);
        assert_eq!(spec.grace_duration().unwrap().as_secs(), 5);
        let bad = ThresholdsSpec {
            checks: vec!["poll.p99 < 1x".into()],
            ..Default::default()
        };
        assert!(bad
            .parse()
            .unwrap_err()
            .0
            .starts_with("[thresholds] checks: threshold 'poll.p99 < 1x' at column 13"));
        let grace = ThresholdsSpec {
            grace: Some("soon".into()),
            ..Default::default()
        };
        assert!(grace
            .grace_duration()
            .unwrap_err()
            .0
            .contains("[thresholds] grace = 'soon'"));
    }
}

mod metric_values {
    use super::*;

    /// Every non-operation metric with its exact value in the fixture (None: no data).
    fn expected(name: &str) -> Option<Option<f64>> {
        let total = 9989.0;
        Some(Some(match name {
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
            "sessions.ended_by_client" => 90.0,
            "sessions.ended_by_server" => 6.0,
            "sessions.failed" => 4.0,
            "sessions.failed.rate" => 0.04,
            "sessions.flagged" => 2.0,
            "sessions.flagged.rate" => 0.02,
            "sessions.near_miss" => 5.0,
            "sessions.near_miss.rate" => 0.05,
            "sessions.peak_active" => 40.0,
            "gaps.max" => 46500.5,
            "gaps.p99" => 5200.25,
            "gaps.p50" => 3000.125,
            "gaps.count" => 7889.0,
            "violations.total" => 3.0,
            "violations.status1_chat_ended" => 1.0,
            "violations.transcript_hole" => 0.0,
            "violations.transcript_repeat" => 2.0,
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
        let names = metrics::all_names();
        assert_eq!(
            names.len(),
            11 * 17 + 57,
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
                (None, Observed::Word(w)) if name == "generator.verdict" => assert_eq!(w, "ok"),
                _ => panic!("{name}: expected {want:?}, got {got:?}"),
            }
        }
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

mod junit {
    use super::*;

    pub fn check_junit(xml: &str, cases: usize, failures: &[(&str, &str)]) {
        let doc = roxmltree::Document::parse(xml).expect("well-formed JUnit XML");
        let testcases: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        assert_eq!(testcases.len(), cases);
        let failed: Vec<(String, String)> = testcases
            .iter()
            .filter_map(|tc| {
                let f = tc.children().find(|n| n.has_tag_name("failure"))?;
                Some((
                    tc.attribute("name")?.to_string(),
                    f.attribute("message")?.to_string(),
                ))
            })
            .collect();
        let want: Vec<(String, String)> = failures
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(failed, want);
        let root = doc.root_element();
        assert_eq!(
            root.attribute("failures"),
            Some(failures.len().to_string().as_str())
        );
    }

    #[test]
    fn one_testcase_per_threshold_and_regression_with_escaped_messages() {
        let s = fixture();
        let ts: Vec<_> = [
            "poll.p99 < 300ms",
            "sessions.flagged == 0",
            "gaps.max < 80% flex",
        ]
        .iter()
        .map(|e| parse_threshold(e).unwrap())
        .collect();
        let mut worse = s.clone();
        worse.latency_ms.get_mut("poll").unwrap().p99 = 60.0;
        let regressions: Vec<Regression> = gate::compare(&s, &worse, &ts, 0.10);
        let mut out = Vec::new();
        write_junit(&evaluate(&worse, &ts), &regressions, &mut out).unwrap();
        let xml = String::from_utf8(out).unwrap();
        check_junit(
            &xml,
            3 + regressions.len(),
            &[
                (
                    "sessions.flagged == 0",
                    "observed 2; expected sessions.flagged == 0",
                ),
                (
                    "gaps.max < 80% flex",
                    "observed 46500.5 ms (103.3% of flex 45000 ms); expected gaps.max < 80% flex",
                ),
                (
                    "regression poll.p99",
                    "poll.p99: baseline 48.625 ms, current 60 ms (+23.4%), allowed +10%",
                ),
            ],
        );
        assert!(xml.contains("name=\"poll.p99 &lt; 300ms\""));
    }
}
