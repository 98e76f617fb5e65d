//! End to end: `chatload run` against the embedded reference server with thresholds, then
//! `chatload check` on the run it wrote. Tiny runs: 4 customers for 3 seconds, bounded.

use super::cli::chatload;
use super::junit::check_junit;
use chatload::report::model::Summary;
use chatload::report::vocab::GeneratorVerdict;
use std::path::Path;

/// The exit `want`, or 3 when the run's generator judged itself overloaded: the verdict's
/// `ok` bound is tight (p99 lateness within min(10 ms, 5 % of the poll)) and a test machine
/// busy compiling can miss it; `check` on that run then says 3 as well. The verdict rule has
/// tests of its own (`src/metrics/generator.rs`, `tests/engine/run_end.rs`).
fn want(want: i32, run: &Summary) -> i32 {
    if run.generator.verdict == GeneratorVerdict::Overloaded {
        3
    } else {
        want
    }
}

/// The tiny scenario's load and customer: few sessions, a few seconds, fast polls, one
/// message each (a macro, so `concat!` can build both scenarios on it).
macro_rules! tiny_base {
    () => {
        r#"
seed = 5

[load]
sessions = 4
duration = "3s"

[customer]
poll_interval = "200ms"
messages = 1
think_time = "300ms"
end = "after-messages"
"#
    };
}

/// A tiny scenario with two thresholds.
const TINY: &str = concat!(
    "name = \"gate-e2e\"",
    tiny_base!(),
    r#"
[thresholds]
checks = ["sessions.flagged == 0", "requests.total > 0"]
"#
);

fn tiny_run(dir: &Path, name: &str, thresholds: &[&str]) -> (i32, String, Summary) {
    tiny_run_with(dir, name, thresholds, &[])
}

fn tiny_run_with(
    dir: &Path,
    name: &str,
    thresholds: &[&str],
    extra: &[&str],
) -> (i32, String, Summary) {
    run_scenario(dir, TINY, name, thresholds, extra)
}

/// `chatload run` of the scenario `text` into `dir/name`, with `--threshold`s and `extra` flags.
fn run_scenario(
    dir: &Path,
    text: &str,
    name: &str,
    thresholds: &[&str],
    extra: &[&str],
) -> (i32, String, Summary) {
    let scenario = dir.join(format!("{name}.toml"));
    std::fs::write(&scenario, text).unwrap();
    let out = dir.join(name);
    let mut args = vec![
        "run",
        scenario.to_str().unwrap(),
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ];
    for t in thresholds {
        args.extend(["--threshold", t]);
    }
    args.extend(extra);
    let (code, stdout, stderr) = chatload(&args);
    let text = std::fs::read_to_string(out.join("summary.json"))
        .unwrap_or_else(|e| panic!("no summary.json ({e}): {stdout}{stderr}"));
    (
        code,
        format!("{stdout}{stderr}"),
        serde_json::from_str(&text).unwrap(),
    )
}

#[test]
fn run_passes_and_fails_on_thresholds_and_check_agrees() {
    let dir = tempfile::tempdir().unwrap();

    let (code, log, s) = tiny_run(dir.path(), "pass", &["poll.p99 < 5s", "errors.rate < 50%"]);
    let pass = s.clone();
    assert_eq!(code, want(0, &pass), "{log}");
    let recorded: Vec<(&str, bool)> = s
        .thresholds
        .iter()
        .map(|t| (t.expression.as_str(), t.passed))
        .collect();
    assert_eq!(
        recorded,
        [
            ("sessions.flagged == 0", true),
            ("requests.total > 0", true),
            ("poll.p99 < 5s", true),
            ("errors.rate < 50%", true),
        ],
        "{log}"
    );
    assert_eq!(s.thresholds[1].observed, Some(s.requests.total as f64));
    assert!(s.thresholds[2]
        .observed
        .is_some_and(|ms| ms > 0.0 && ms < 5000.0));
    let pass_dir = dir.path().join("pass");
    let junit = dir.path().join("pass.xml");
    let (code, out, err) = chatload(&[
        "check",
        pass_dir.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(code, want(0, &pass), "{out}{err}");
    check_junit(&std::fs::read_to_string(&junit).unwrap(), 4, &[]);

    let run_junit = dir.path().join("run-fail.xml");
    let (code, log, s) = tiny_run_with(
        dir.path(),
        "fail",
        &["poll.p99 < 1us"],
        &["--junit", run_junit.to_str().unwrap()],
    );
    assert_eq!(code, want(1, &s), "{log}");
    let failed = s
        .thresholds
        .iter()
        .find(|t| t.expression == "poll.p99 < 1us")
        .unwrap();
    assert!(
        !failed.passed && failed.observed.is_some_and(|ms| ms > 0.001),
        "{failed:?}"
    );
    // `run --junit` writes the same results as JUnit: three cases, the failing one with
    // observed vs expected.
    let message = chatload::gate::junit::threshold_message(failed);
    check_junit(
        &std::fs::read_to_string(&run_junit).unwrap(),
        3,
        &[("poll.p99 < 1us", message.as_str())],
    );
    let fail_dir = dir.path().join("fail");
    let (code, out, _) = chatload(&["check", fail_dir.to_str().unwrap()]);
    assert_eq!(code, want(1, &s), "{out}");
    assert!(out.contains("expected poll.p99 < 1us"), "{out}");

    // The passing run against itself: no regression. Against a baseline doctored to twice the
    // throughput: requests.rate regressed by 50%, exit 1.
    let (code, out, _) = chatload(&[
        "check",
        pass_dir.to_str().unwrap(),
        "--baseline",
        pass_dir.to_str().unwrap(),
    ]);
    assert_eq!(code, want(0, &pass), "{out}");
    let mut faster = s.clone();
    faster.requests.rate_per_s *= 2.0;
    let base = dir.path().join("faster.json");
    std::fs::write(&base, serde_json::to_string(&faster).unwrap()).unwrap();
    let (code, out, _) = chatload(&[
        "check",
        fail_dir.to_str().unwrap(),
        "-t",
        "requests.total > 0",
        "--baseline",
        base.to_str().unwrap(),
    ]);
    assert_eq!(code, want(1, &s), "{out}");
    let row = out
        .lines()
        .find(|l| l.starts_with("requests.rate "))
        .unwrap();
    assert!(row.contains("-50%") && row.ends_with("FAIL"), "{out}");
}

/// The shipped CI scenario is valid for the engine and its gates hold on the healthy embedded
/// server (scaled down: 4 customers, 10 s, enough for every customer's first message).
#[test]
fn the_ci_gate_scenario_passes_on_the_reference_server() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ci");
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/ci-gate.toml");
    let (code, stdout, stderr) = chatload(&[
        "run",
        scenario,
        "--quiet",
        "--sessions",
        "4",
        "--duration",
        "10s",
        "--ramp-up",
        "0s",
        "--seed",
        "3",
        "--out",
        out.to_str().unwrap(),
    ]);
    let s: Summary =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(code, want(0, &s), "{stdout}{stderr}");
    assert_eq!(s.thresholds.len(), 11);
    let busy = want(0, &s) == 3;
    assert!(
        s.thresholds
            .iter()
            .all(|t| t.passed || (busy && t.expression == "generator.verdict == ok")),
        "{:?}",
        s.thresholds
    );
    let junit = dir.path().join("gates.xml");
    let (code, out_text, _) = chatload(&[
        "check",
        out.to_str().unwrap(),
        "--baseline",
        out.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(code, want(0, &s), "{out_text}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains(r#"<testsuite name="chatload.regression""#),
        "{xml}"
    );
}

/// TINY with a mix of two profiles (scenarios/mix.toml's shape): their sessions, flags and
/// service level are in `summary.profiles`, and thresholds can select them.
const TINY_MIX: &str = concat!(
    "name = \"gate-mix\"",
    tiny_base!(),
    r#"
[[customers]]
name = "widget"

[[customers]]
name = "chatty"
messages = 2

[thresholds]
checks = ["sessions.flagged{profile=chatty} == 0", "service_level{profile=widget} > 0%"]
"#
);

#[test]
fn profile_thresholds_pass_and_fail_on_a_mix_and_check_knows_its_profiles() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("mix.xml");
    let failing = "sessions.started { profile = chatty } > 1000";
    let (code, log, s) = run_scenario(
        dir.path(),
        TINY_MIX,
        "mix",
        &[failing],
        &["--junit", junit.to_str().unwrap()],
    );
    assert_eq!(code, want(1, &s), "{log}");
    let chatty = &s.profiles["chatty"];
    let widget_sl = s.profiles["widget"].service_level.as_ref().unwrap();
    let got: Vec<(&str, Option<f64>, bool)> = s
        .thresholds
        .iter()
        .map(|t| (t.expression.as_str(), t.observed, t.passed))
        .collect();
    assert_eq!(
        got,
        [
            (
                "sessions.flagged{profile=chatty} == 0",
                Some(chatty.flagged as f64),
                true
            ),
            (
                "service_level{profile=widget} > 0%",
                Some(widget_sl.within_target_rate),
                true
            ),
            (failing, Some(chatty.sessions as f64), false),
        ],
        "{log}"
    );
    assert!(
        chatty.sessions > 0 && chatty.sessions < s.sessions.started,
        "{log}"
    );
    // The text summary and JUnit name the threshold as written.
    assert!(
        log.contains(&format!("FAIL  {failing} (observed {})", chatty.sessions)),
        "{log}"
    );
    let message = chatload::gate::junit::threshold_message(&s.thresholds[2]);
    check_junit(
        &std::fs::read_to_string(&junit).unwrap(),
        3,
        &[(failing, message.as_str())],
    );

    // check re-evaluates the recorded selectors alike, and judges new ones on the profiles.
    let run = dir.path().join("mix");
    let run = run.to_str().unwrap();
    let (code, out, _) = chatload(&["check", run]);
    assert_eq!(code, want(1, &s), "{out}");
    assert!(out.contains("3 threshold(s), 1 failed"), "{out}");
    let (code, out, err) = chatload(&["check", run, "-t", "sessions.started{profile=chatty} >= 1"]);
    assert_eq!(code, want(0, &s), "{out}{err}");
    let (code, out, err) = chatload(&["check", run, "-t", "asa{profile=chaty} < 30s"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains(
            "threshold 'asa{profile=chaty} < 30s' at column 13: unknown profile 'chaty'; \
             did you mean 'chatty'? the summary has figures for the profiles chatty, widget"
        ),
        "{err}"
    );

    // run: an unknown profile stops before the run, naming the scenario's profiles; a
    // scenario without [[customers]] has no profile to select.
    std::fs::write(dir.path().join("plain.toml"), TINY).unwrap();
    let cases = [
        (
            "mix.toml",
            "poll.p99{profile=widgit} < 1s",
            "--threshold: threshold 'poll.p99{profile=widgit} < 1s' at column 18: unknown profile \
             'widgit'; did you mean 'widget'? the scenario's [[customers]] profiles are widget, chatty",
        ),
        (
            "plain.toml",
            "poll.p99{profile=widget} < 1s",
            "but the scenario has none; add [[customers]] profiles",
        ),
    ];
    for (file, threshold, message) in cases {
        let scenario = dir.path().join(file);
        let args = [
            "run",
            scenario.to_str().unwrap(),
            "--quiet",
            "-t",
            threshold,
        ];
        let (code, out, err) = chatload(&args);
        assert_eq!(code, 2, "{out}{err}");
        assert!(err.contains(message), "{err}");
    }
}
