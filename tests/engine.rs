//! End-to-end tests of `chatload run`: usage errors through the binary, and
//! whole runs against the reference server on 127.0.0.1:0 whose counters are
//! the ground truth.

use std::process::Command;

fn chatload(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_chatload"))
        .args(args)
        .output()
        .expect("run chatload")
}

mod usage {
    use super::*;

    #[test]
    fn bad_scenario_value_exits_2_with_file_line_col() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "name = \"x\"\n[load]\nsessions = 0\n").unwrap();
        let out = chatload(&["run", path.to_str().unwrap(), "--quiet"]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        let want = format!(
            "{}:3:12: load.sessions: must be between 1 and 1000000",
            path.display()
        );
        assert!(err.contains(&want), "{err}");
    }

    #[test]
    fn unknown_scenario_key_exits_2() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("typo.toml");
        std::fs::write(&path, "[customer]\npoll_intervall = \"2s\"\n").unwrap();
        let out = chatload(&["run", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(":2:1:") && err.contains("poll_intervall"),
            "{err}"
        );
    }

    #[test]
    fn bad_flag_value_exits_2_naming_the_flag() {
        let out = chatload(&["run", "--duration", "soon", "--quiet"]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("--duration: 'soon' is not a duration"),
            "{err}"
        );
    }

    #[test]
    fn bad_threshold_exits_2_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.toml");
        std::fs::write(&path, "[thresholds]\nchecks = [\"sessions.flaged == 0\"]\n").unwrap();
        let out = chatload(&["run", path.to_str().unwrap(), "--quiet"]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("thresholds.checks[0]: threshold 'sessions.flaged == 0'"),
            "{err}"
        );
        assert!(err.contains("unknown metric 'sessions.flaged'"), "{err}");
        let out = chatload(&["run", "--threshold", "poll.p99 <", "--quiet"]);
        assert_eq!(out.status.code(), Some(2));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("--threshold: threshold 'poll.p99 <'")
        );
    }

    #[test]
    fn missing_scenario_file_exits_2() {
        let out = chatload(&["run", "/nonexistent/x.toml"]);
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read scenario file"));
    }

    #[test]
    fn shipped_scenarios_are_valid() {
        for name in ["smoke", "steady", "webapi", "faults"] {
            let path = format!("{}/scenarios/{name}.toml", env!("CARGO_MANIFEST_DIR"));
            let f = chatload::ScenarioFile::load(std::path::Path::new(&path))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let cfg = chatload::build_config(&Default::default(), Some(&f))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(cfg.warnings.is_empty(), "{name}: {:?}", cfg.warnings);
        }
    }
}

/// Whole runs against the embedded reference server (127.0.0.1:0); its counters are the truth.
#[path = "engine/e2e.rs"]
mod e2e;

/// A raw-HTTP target that misbehaves on purpose and records what it saw.
#[path = "engine/hostile_server.rs"]
mod hostile_server;

/// A hostile target: every bad answer is counted, classified, retried; the run goes on.
#[path = "engine/hostile.rs"]
mod hostile;

/// Custom headers: sent on every route, never in a report or output; bad flags exit 2.
#[path = "engine/headers.rs"]
mod headers;

/// URL userinfo: Basic auth to the target, `user:***@host` everywhere it is shown.
#[path = "engine/userinfo.rs"]
mod userinfo;

/// Keep-alive against a server that closes idle connections: no request lost.
#[path = "engine/keepalive.rs"]
mod keepalive;

/// A run that ends badly: unwritable report files, a drain cut short.
#[path = "engine/run_end.rs"]
mod run_end;

/// SIGINT through the real binary: reports written, every chat disconnected, exit 3.
#[cfg(unix)]
#[test]
fn sigint_writes_reports_and_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut child = Command::new(env!("CARGO_BIN_EXE_chatload"))
        .args([
            "run",
            "--quiet",
            "--sessions",
            "5",
            "--duration",
            "60s",
            "--poll-interval",
            "200ms",
        ])
        .args(["--end", "wait-for-agent", "--out"])
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The report directory appears once the signal handlers are installed (bounded wait).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !out.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(out.exists(), "the run started");
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(3));
    let summary: serde_json::Value = common::read_summary(&out);
    assert_eq!(summary["run"]["end"], "interrupted");
    assert!(summary["run"]["elapsed_s"].as_f64().unwrap() < 30.0);
    // Every started session either disconnected or never got its chat.
    let started = summary["sessions"]["started"].as_u64().unwrap();
    let disconnects = summary["requests"]["by_operation"]["disconnect"]
        .as_u64()
        .unwrap_or(0);
    assert_eq!(disconnects, started, "{summary}");
}

/// The golden run: a deterministic run writes the checked-in summary.json and sessions.csv.
#[path = "engine/golden.rs"]
mod golden;

/// The open model: arrival rates, stages, the cap and drops (issue 17).
#[path = "engine/open.rs"]
mod open;

/// Service level from the customer's side: queue wait, ASA, the target (issue 17).
#[path = "engine/service.rs"]
mod service;

/// The widget's own reaction to statusCode 1 with chatEnded true, as an option (issue 17).
#[path = "engine/widget.rs"]
mod widget;

/// Customer mixes: `[[customers]]` profiles, each with its own script (issue 17).
#[path = "engine/mix.rs"]
mod mix;

#[path = "report/schema_check.rs"]
#[allow(dead_code)]
mod schema_check;

/// The reference server on 127.0.0.1:0 (ground truth for the streamed-results tests).
mod common;

/// The streamed run folder, live metrics and CI progress (issue 16).
#[path = "engine/stream.rs"]
mod stream;

/// The three views of the flex timeout, the planned end, session counts against the server.
#[path = "engine/fidelity.rs"]
mod fidelity;
/// `--shard I/N` (issue 12).
#[path = "engine/shard.rs"]
mod shard;
