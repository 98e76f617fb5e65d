//! JUnit XML: well-formed, one case per check, failure messages with observed vs expected.

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
    let regressions: Vec<Regression> =
        gate::compare(&s, &worse, &ts, gate::baseline::Allowed::fraction(0.10));
    let mut out = Vec::new();
    write_junit(&evaluate(&worse, &ts), &regressions, &worse.run, &mut out).unwrap();
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
