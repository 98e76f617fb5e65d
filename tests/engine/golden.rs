//! The golden run: a deterministic in-process run (fixed seed, paused tokio
//! time, embedded reference server, small plan with faults and one stall) and
//! the `summary.json` and `sessions.csv` it writes, checked in under
//! `tests/fixtures/golden/`. A refactor of the engine, metrics or report must
//! write the same files.
//!
//! Masked, because they depend on the wall clock or the host, not on the run:
//! `run.started_at` (wall-clock start), `scenario.target` (the embedded server's
//! port), `generator.cpu_percent`, `generator.cores`, and each timeline point's
//! `time_utc` (start + `t_s`). Nothing else.
//! Regenerate (only for an intended change of output): `GOLDEN_UPDATE=1 cargo test --test engine golden`.

use chatload::build_config;
use chatload::run_scenario;
use chatload::ScenarioFile;
use serde_json::Value;
use std::path::PathBuf;

const SCENARIO: &str = r#"
name = "golden"
seed = 7
dialect = "gms-v2"
flex_disconnect_timeout = "2s"
request_timeout = "5s"
drain_timeout = "3s"
[load]
sessions = 6
ramp_up = "500ms"
duration = "6s"
[customer]
poll_interval = "300ms"
jitter = { distribution = "uniform", amount = "50ms" }
messages = 2
think_time = "400ms"
typing = true
typing_time = "200ms"
end = "after-messages"
linger = "3s"
[retry]
max_consecutive = 4
backoff = "50ms"
backoff_max = "200ms"
[server]
flex_disconnect_timeout = "2s"
[server.agent]
join_after = "100ms"
reply_after = "100ms"
[[server.faults]]
kind = "status1"
operation = "poll"
every = 7
[[server.faults]]
kind = "status1_chat_ended"
operation = "poll"
every = 11
[[server.faults]]
kind = "http_5xx"
operation = "poll"
every = 13
[[server.faults]]
kind = "transcript_hole"
operation = "poll"
every = 9
[[server.faults]]
kind = "delay"
operation = "poll"
every = 19
delay = "2500ms"
[[server.faults]]
kind = "delay"
operation = "poll"
every = 23
delay = "1700ms"
[thresholds]
checks = ["sessions.flagged == 0", "errors.rate < 50%"]
"#;

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/golden")
}

/// Replace the wall-clock and host fields by a fixed marker.
fn mask(mut v: Value) -> Value {
    v["run"]["started_at"] = "<masked>".into();
    v["scenario"]["target"] = "<masked>".into();
    // A hash of the config's shape: it changes whenever a config field is added (its
    // stability across runs and shards is tested in tests/engine/shard.rs).
    v["scenario"]["scenario_hash"] = "<masked>".into();
    v["generator"]["cpu_percent"] = "<masked>".into();
    v["generator"]["cores"] = "<masked>".into();
    if let Some(points) = v["timeline"].as_array_mut() {
        for p in points {
            p["time_utc"] = "<masked>".into();
        }
    }
    v
}

/// Run the golden scenario once; (masked summary.json, sessions.csv).
async fn golden_run() -> (Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = ScenarioFile::parse("golden.toml", SCENARIO.to_string()).unwrap();
    let args = chatload::cli::RunArgs {
        out: Some(dir.path().join("out")),
        quiet: true,
        ..Default::default()
    };
    let cfg = build_config(&args, Some(&file)).unwrap();
    let o = run_scenario(cfg, std::future::pending()).await.unwrap();
    let summary = std::fs::read_to_string(o.dir.join("summary.json")).unwrap();
    let sessions = std::fs::read_to_string(o.dir.join("sessions.csv")).unwrap();
    (mask(serde_json::from_str(&summary).unwrap()), sessions)
}

#[tokio::test(start_paused = true)]
async fn golden_run_writes_the_recorded_summary_and_sessions() {
    let (summary, sessions) = golden_run().await;
    let dir = fixture_dir();
    let (s_path, c_path) = (dir.join("summary.json"), dir.join("sessions.csv"));
    if std::env::var_os("GOLDEN_UPDATE").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        let text = serde_json::to_string_pretty(&summary).unwrap() + "\n";
        std::fs::write(&s_path, text).unwrap();
        std::fs::write(&c_path, &sessions).unwrap();
    }
    let want: Value = serde_json::from_str(&std::fs::read_to_string(&s_path).unwrap()).unwrap();
    // Field by field first, so a failure names the first differing section.
    for (k, v) in want.as_object().unwrap() {
        assert_eq!(&summary[k], v, "summary.json: section '{k}' differs");
    }
    assert_eq!(summary, want);
    assert_eq!(sessions, std::fs::read_to_string(&c_path).unwrap());
    // The run exercised what the fixture is for: gaps flagged with a cause, faults, violations.
    assert!(want["sessions"]["flagged"].as_u64().unwrap() > 0, "{want}");
    assert!(
        want["sessions"]["near_miss"].as_u64().unwrap() > 0,
        "{want}"
    );
    assert!(want["violations"]["transcript_hole"].as_u64().unwrap() > 0);
    assert!(want["requests"]["errors"].as_u64().unwrap() > 0);
}
