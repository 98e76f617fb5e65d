//! `chatload check` through the binary: exit codes, tables, JUnit files, baselines.

use super::fixture;
use super::junit::check_junit;
use chatload::report::model::Summary;
use std::path::{Path, PathBuf};
use std::process::Command;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/gate_summary.json"
);

/// Run the binary; return (exit code, stdout, stderr).
pub fn chatload(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_chatload"))
        .args(args)
        .output()
        .unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (
        out.status.code().unwrap_or(-1),
        text(out.stdout),
        text(out.stderr),
    )
}

/// Write `summary` as `dir/NAME/summary.json` and return the run directory.
fn run_dir(dir: &Path, name: &str, summary: &Summary) -> PathBuf {
    let run = dir.join(name);
    std::fs::create_dir_all(&run).unwrap();
    std::fs::write(
        run.join("summary.json"),
        serde_json::to_string(summary).unwrap(),
    )
    .unwrap();
    run
}

#[test]
fn passing_thresholds_exit_zero_with_a_table() {
    let (code, out, err) = chatload(&[
        "check",
        FIXTURE,
        "-t",
        "poll.p99 < 300ms",
        "--threshold",
        "errors.rate < 1%",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("poll.p99 < 300ms  48.625 ms  pass"), "{out}");
    assert!(out.contains("2 threshold(s), 0 failed\n"), "{out}");
    assert!(out.contains("result: PASS (exit 0)"), "{out}");
}

#[test]
fn a_failing_threshold_exits_one_and_says_observed_vs_expected() {
    let (code, out, _) = chatload(&[
        "check",
        FIXTURE,
        "-t",
        "poll.p99 < 300ms",
        "-t",
        "gaps.max < 80% flex",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "FAIL  observed 46500.5 ms (103.3% of flex 45000 ms); expected gaps.max < 80% flex"
        ),
        "{out}"
    );
    assert!(out.contains("result: FAIL (exit 1)"), "{out}");
}

#[test]
fn without_flags_the_recorded_thresholds_are_re_evaluated() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_dir(dir.path(), "run", &fixture());
    let (code, out, _) = chatload(&["check", run.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("sessions.flagged == 0  2"), "{out}");
    let mut clean = fixture();
    clean.thresholds.clear();
    let run = run_dir(dir.path(), "clean", &clean);
    let (code, out, _) = chatload(&["check", run.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("no thresholds"), "{out}");
}

#[test]
fn usage_and_input_errors_exit_two() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("summary.json");
    std::fs::write(&garbage, "{\"schema_version\": 1,\n \"run\": 3}").unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["check", FIXTURE, "-t", "poll.p99 < 30x"],
            "threshold 'poll.p99 < 30x' at column 14: unknown unit 'x'",
        ),
        (
            vec!["check", FIXTURE, "-t", "pol.p99 < 3ms"],
            "did you mean 'poll.p99'?",
        ),
        (
            vec!["check", FIXTURE, "-t", "violations.transcript_hol == 0"],
            "at column 1: unknown metric 'violations.transcript_hol'; did you mean 'violations.transcript_hole'?",
        ),
        (
            vec!["check", "/nonexistent/run"],
            "cannot read summary '/nonexistent/run'",
        ),
        (
            vec!["check", garbage.to_str().unwrap()],
            "is not a chatload summary.json",
        ),
        (
            vec!["check", FIXTURE, "--max-regression", "5%"],
            "--baseline",
        ),
        (
            vec![
                "check",
                FIXTURE,
                "--baseline",
                FIXTURE,
                "--max-regression",
                "lots",
            ],
            "--max-regression 'lots'",
        ),
        (
            vec![
                "check",
                FIXTURE,
                "-t",
                "poll.p99 < 1s",
                "--junit",
                "/nonexistent/dir/j.xml",
            ],
            "--junit '/nonexistent/dir/j.xml'",
        ),
    ];
    for (args, text) in cases {
        let (code, out, err) = chatload(&args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.contains(text), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn untrusted_runs_exit_three() {
    let dir = tempfile::tempdir().unwrap();
    let mut interrupted = fixture();
    interrupted.run.end = chatload::report::vocab::RunEnd::Interrupted;
    let mut overloaded = fixture();
    overloaded.generator.verdict = chatload::report::vocab::GeneratorVerdict::Overloaded;
    overloaded.generator.reason = "lateness p99 120 ms".into();
    for (name, s, text) in [
        (
            "interrupted",
            interrupted,
            "untrusted run: the run was interrupted",
        ),
        (
            "overloaded",
            overloaded,
            "untrusted run: the load generator was overloaded (lateness p99 120 ms)",
        ),
    ] {
        let run = run_dir(dir.path(), name, &s);
        let (code, out, _) = chatload(&["check", run.to_str().unwrap(), "-t", "poll.p99 < 1s"]);
        assert_eq!(code, 3, "{name}: {out}");
        assert!(out.contains(text), "{out}");
    }
}

#[test]
fn junit_file_has_one_case_per_threshold_and_regression() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("gates.xml");
    let mut older = fixture();
    older.latency_ms.remove("disconnect");
    older.service_time_ms.remove("disconnect");
    let base = run_dir(dir.path(), "older", &older);
    let (code, out, _) = chatload(&[
        "check",
        FIXTURE,
        "-t",
        "poll.p99 < 300ms",
        "-t",
        "sessions.flagged == 0",
        "--baseline",
        base.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{out}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    // 6 operations x 6 + 5 defaults + sessions.flagged (named by a threshold); read_receipt has
    // no data in either run (not compared), disconnect none in the baseline (skipped).
    check_junit(
        &xml,
        2 + 6 * 6 + 5 + 1,
        &[(
            "sessions.flagged == 0",
            "observed 2; expected sessions.flagged == 0",
        )],
    );
    // Percentiles with fewer than 10 samples beyond them are skipped as "not enough samples".
    let too_few = xml
        .lines()
        .filter(|l| l.contains("<skipped") && l.contains("not enough samples"))
        .count();
    assert_eq!(xml.matches("<skipped").count() - too_few, 6, "{xml}");
}

#[test]
fn baseline_regression_fails_with_a_table() {
    let dir = tempfile::tempdir().unwrap();
    let base = run_dir(dir.path(), "base", &fixture());
    let mut slower = fixture();
    slower.latency_ms.get_mut("poll").unwrap().p99 = 58.35; // +20%
    slower.requests.rate_per_s = 150.0; // -6.1%: within 10%
    slower.thresholds.clear(); // only the regression checks decide
    let cur = run_dir(dir.path(), "cur", &slower);
    let args = |max: &'static str| {
        vec![
            "check".to_string(),
            cur.display().to_string(),
            "--baseline".into(),
            base.display().to_string(),
            "--max-regression".into(),
            max.into(),
        ]
    };
    let run = |a: Vec<String>| chatload(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let (code, out, _) = run(args("10%"));
    assert_eq!(code, 1, "{out}");
    let table = out.split("regression against").nth(1).unwrap();
    let row = table.lines().find(|l| l.starts_with("poll.p99 ")).unwrap();
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        cells,
        ["poll.p99", "48.625", "ms", "58.35", "ms", "+20%", "+10%", "FAIL"],
        "{out}"
    );
    let row = out
        .lines()
        .find(|l| l.starts_with("requests.rate "))
        .unwrap();
    assert!(row.ends_with("-6.1%      -10%  pass"), "{row}");
    assert!(
        out.contains("METRIC") && out.contains("DELTA") && out.contains("ALLOWED"),
        "{out}"
    );
    let (code, out, _) = run(args("25%"));
    assert_eq!(code, 0, "{out}");
}
