//! A run that ends badly still tells the truth: a report file that cannot be
//! written is named (exit 3) while the text summary reaches stdout and every
//! other file is whole; a drain cut short counts its in-flight requests as
//! `abandoned` and gives every session its sessions.csv row.

use super::hostile_server::{start, Bad};
use std::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unwritable_report_file_is_named_and_the_summary_still_reaches_stdout() {
    let h = start(vec![Bad::Ok], true).await;
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    // outcomes.csv (written once, at the end) cannot be created: a directory is in
    // its place. (sessions.csv is streamed during the run: a failure there stops the
    // run, see tests/engine/stream.rs.)
    std::fs::create_dir_all(out_dir.join("outcomes.csv").join("x")).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chatload"));
    cmd.args(["run", "--target", &h.url, "--sessions", "2"])
        .args(["--duration", "1s", "--poll-interval", "200ms"])
        .arg("--out")
        .arg(&out_dir);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("outcomes.csv"), "{stderr}");
    assert!(
        stdout.contains("1 file(s) could not be written"),
        "{stdout}"
    );
    // The figures reached stdout: the request count equals the server's.
    let served: u64 = h.seen.lock().unwrap().routes.values().sum();
    let summary: serde_json::Value = super::common::read_summary(&out_dir);
    assert_eq!(summary["requests"]["total"], served);
    assert!(stdout.contains(&served.to_string()), "{stdout}");
    for f in [
        "operations.csv",
        "sessions.csv",
        "timeline.csv",
        "report.html",
    ] {
        assert!(out_dir.join(f).is_file(), "{f}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drain_cut_short_counts_in_flight_requests_as_abandoned_and_keeps_every_row() {
    use chatload::build_config;
    use chatload::ScenarioFile;
    // Each chat's second poll hangs past the drain timeout (the request timeout is longer).
    let h = start(vec![Bad::Ok, Bad::Hang], true).await;
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        r#"name = "drain"
target = "{}"
seed = 3
request_timeout = "30s"
drain_timeout = "300ms"
[load]
sessions = 4
duration = "30s"
[customer]
poll_interval = "100ms"
messages = 0
end = "wait-for-agent"
"#,
        h.url
    );
    let file = ScenarioFile::parse("drain.toml", text).unwrap();
    let args = chatload::cli::RunArgs {
        out: Some(dir.path().join("out")),
        quiet: true,
        ..Default::default()
    };
    let cfg = build_config(&args, Some(&file)).unwrap();
    // Interrupt once every session has its hanging poll in flight.
    let seen = h.seen.clone();
    let interrupt = async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            if seen
                .lock()
                .unwrap()
                .polls
                .get(&Bad::Hang)
                .copied()
                .unwrap_or(0)
                >= 4
            {
                return;
            }
        }
    };
    let t0 = std::time::Instant::now();
    let o = chatload::run_scenario(cfg, interrupt).await.unwrap();
    assert!(t0.elapsed() < std::time::Duration::from_secs(20), "bounded");
    let seen = h.seen.lock().unwrap();
    let served: u64 = seen.routes.values().sum();
    // Client total equals the server's: the 4 hanging polls are counted, as abandoned.
    assert_eq!(o.summary.requests.total, served, "{:?}", seen.routes);
    assert_eq!(
        o.summary.transport_errors["abandoned"],
        seen.polls[&Bad::Hang]
    );
    // Every session has its row, ended `abandoned`, with its polls.
    let text = std::fs::read_to_string(o.dir.join("sessions.csv")).unwrap();
    let rows: Vec<Vec<&str>> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(rows.len(), 4, "{text}");
    for r in &rows {
        assert_eq!(r[7], "abandoned", "{text}");
        assert_eq!(r[2], "2", "{text}");
        assert_eq!(seen.polls_per_chat[r[1]], 2, "{text}");
    }
    assert!(
        o.reasons.iter().any(|r| r.contains("abandoned")),
        "{:?}",
        o.reasons
    );
}

/// `chatload run` with RLIMIT_NOFILE set to `(soft, hard)` and `hold` extra
/// descriptors already open (inherited), as a crowded process would have.
#[cfg(unix)]
fn run_limited(args: &[&str], soft: u64, hard: u64, hold: i32) -> std::process::Output {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chatload"));
    cmd.args(args);
    // SAFETY: only async-signal-safe libc calls between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            let lim = libc::rlimit {
                rlim_cur: soft as libc::rlim_t,
                rlim_max: hard as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            for fd in 0..hold {
                libc::dup2(0, 100 + fd);
            }
            Ok(())
        });
    }
    cmd.output().unwrap()
}

#[cfg(unix)]
#[test]
fn a_descriptor_limit_too_low_for_the_plan_stops_at_start_naming_the_fix() {
    let out = run_limited(
        &[
            "run",
            "--quiet",
            "--duration",
            "1s",
            "--max-connections",
            "1000",
        ],
        256,
        256,
        0,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("open-file limit") && err.contains("ulimit -n 2064"),
        "{err}"
    );
    assert!(err.contains("is 256 (hard limit 256)"), "{err}");
}

#[cfg(unix)]
#[test]
fn a_soft_limit_below_the_plan_is_raised_to_the_hard_limit() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let out_dir = out_dir.to_str().unwrap();
    let out = run_limited(
        &[
            "run",
            "--duration",
            "1s",
            "--sessions",
            "2",
            "--max-connections",
            "500",
            "--out",
            out_dir,
        ],
        256,
        4096,
        0,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        crate::common::code_but_verdict(out.status.code(), std::path::Path::new(out_dir)),
        Some(0),
        "{err}"
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn descriptors_running_out_mid_run_are_local_limit_and_make_the_generator_overloaded() {
    // Polls hang (open connections pile up) while 230 of 320 descriptors are taken:
    // the start check passes (100 connections + 64), connects then fail with EMFILE.
    let h = start(vec![Bad::Ok, Bad::Hang], true).await;
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let out_dir = out_dir.to_str().unwrap().to_string();
    let url = h.url.clone();
    let out = tokio::task::spawn_blocking(move || {
        run_limited(
            &[
                "run",
                "--target",
                &url,
                "--sessions",
                "100",
                "--duration",
                "2s",
                "--poll-interval",
                "200ms",
                "--max-connections",
                "100",
                "--out",
                &out_dir,
                "--quiet",
            ],
            320,
            320,
            230,
        )
    })
    .await
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/summary.json")).unwrap(),
    )
    .unwrap_or_else(|e| panic!("{e}: {err}"));
    let local = summary["transport_errors"]["local_limit"].as_u64().unwrap();
    assert!(local > 0, "{}", summary["transport_errors"]);
    assert_eq!(
        summary["transport_errors"]["connect"], 0,
        "never the target's fault"
    );
    assert_eq!(summary["generator"]["verdict"], "overloaded");
    assert!(summary["generator"]["reason"]
        .as_str()
        .unwrap()
        .contains("local_limit"));
    // Requests that failed locally never reached the server; all others are its count.
    let served: u64 = h.seen.lock().unwrap().routes.values().sum();
    assert_eq!(
        summary["requests"]["total"].as_u64().unwrap() - local,
        served
    );
}
