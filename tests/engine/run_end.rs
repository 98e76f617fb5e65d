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
    // sessions.csv cannot be created: a directory is in its place.
    std::fs::create_dir_all(out_dir.join("sessions.csv").join("x")).unwrap();
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
    assert!(stderr.contains("sessions.csv"), "{stderr}");
    assert!(
        stdout.contains("1 file(s) could not be written"),
        "{stdout}"
    );
    // The figures reached stdout: the request count equals the server's.
    let served: u64 = h.seen.lock().unwrap().routes.values().sum();
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["requests"]["total"], served);
    assert!(stdout.contains(&served.to_string()), "{stdout}");
    for f in [
        "operations.csv",
        "outcomes.csv",
        "timeline.csv",
        "report.html",
    ] {
        assert!(out_dir.join(f).is_file(), "{f}");
    }
}
