//! Threshold expressions: valid forms, and every error with its column.

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
    assert_eq!(
        limit("generator.verdict == ok"),
        Word(chatload::report::vocab::GeneratorVerdict::Ok)
    );
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
            "'sessions.flagged' is a count and cannot be compared with a percentage; compare 'sessions.flagged.rate' with a percentage instead",
        ),
        ("poll.p99 < 300", 12, "add a unit, e.g. 300ms"),
        (
            "transport.timeout.count <= 0.1%",
            28,
            "compare 'transport.timeout.rate' with a percentage instead",
        ),
        (
            "violations.total < 1%",
            20,
            "is a count and cannot be compared with a percentage; use a plain number such as 0",
        ),
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
