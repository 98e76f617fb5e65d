//! CI gates (issue 5): threshold parsing, every metric against a fixture summary, evaluation
//! boundaries and JUnit, in-process (modules under tests/gate/). The binary's exit codes are in
//! `cli`, the end-to-end runs against the reference server in `e2e`.

use chatload::gate::{
    self, catalogue, evaluate, metrics, parse_threshold, write_junit, Observed, Regression,
};
use chatload::report::model::{Summary, ThresholdResult};
use serde_json::Value;

#[path = "gate/cli.rs"]
mod cli;
#[path = "gate/e2e.rs"]
mod e2e;
#[path = "gate/junit.rs"]
mod junit;
#[path = "gate/parse.rs"]
mod parse;
#[path = "gate/profiles.rs"]
mod profiles;
#[path = "report/schema_check.rs"]
#[allow(dead_code)]
mod schema_check;
#[path = "gate/values.rs"]
mod values;

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

#[test]
fn readme_documents_every_metric_and_exit_code() {
    let doc = include_str!("../README.md");
    for e in catalogue::catalogue() {
        assert!(
            doc.contains(&format!("| `{}` |", e.pattern)),
            "{} missing",
            e.pattern
        );
    }
    let ops = chatload::protocol::Operation::ALL.map(|op| op.as_str());
    let words = metrics::STATS.into_iter().chain(metrics::transport_kinds());
    for w in words.chain(metrics::violation_kinds()).chain(ops) {
        assert!(doc.contains(&format!("`{w}`")), "{w} missing");
    }
    for code in 0..4 {
        assert!(
            doc.contains(&format!("| {code} |")),
            "exit code {code} missing"
        );
    }
}

#[test]
fn the_fixture_is_a_valid_summary_json() {
    let errors = schema_check::validate(&schema_check::load(), &fixture_json());
    assert!(errors.is_empty(), "{errors:#?}");
}
