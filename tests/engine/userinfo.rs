//! URL userinfo through the real binary: `--target http://user:password@host`
//! sends Basic auth to the target, and the password appears in no report file,
//! no output and no error message (shown as `user:***@host`).

use super::hostile_server::{start, Bad};
use std::process::Command;

const PASSWORD: &str = "pw-4d1c9e";

/// Every file in `dir` as (name, text).
fn files(dir: &std::path::Path) -> Vec<(String, String)> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (
                p.display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_url_password_is_sent_as_basic_auth_and_shown_nowhere() {
    let h = start(vec![Bad::Ok], true).await;
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let target = h
        .url
        .replace("http://", &format!("http://alice:{PASSWORD}@"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chatload"));
    cmd.args(["run", "--target", &target, "--sessions", "2"])
        .args(["--duration", "1s", "--poll-interval", "200ms"])
        .arg("--out")
        .arg(&out_dir);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.code().is_some(), "{stderr}");

    // The target got the credentials (Basic alice:PASSWORD) on every request.
    let seen = h.seen.lock().unwrap();
    assert!(!seen.headers.is_empty());
    for (route, headers) in &seen.headers {
        let auth: Vec<_> = headers
            .iter()
            .filter(|(k, _)| k == "authorization")
            .collect();
        assert_eq!(auth.len(), 1, "{route}: {headers:?}");
        assert!(auth[0].1.starts_with("Basic "), "{route}");
    }
    let summary: serde_json::Value = super::common::read_summary(&out_dir);
    let shown = summary["scenario"]["target"].as_str().unwrap();
    assert!(shown.starts_with("http://alice:***@127.0.0.1:"), "{shown}");
    assert!(stdout.contains("alice:***@"), "{stdout}");
    let mut written = files(&out_dir);
    assert!(written.len() >= 4, "{written:?}");
    written.push(("stdout".into(), stdout));
    written.push(("stderr".into(), stderr));
    for (name, text) in &written {
        assert!(!text.contains(PASSWORD), "the password leaked into {name}");
    }
}

#[test]
fn a_bad_target_url_error_never_shows_the_password() {
    for target in [
        format!("ftp://alice:{PASSWORD}@127.0.0.1:1"),
        format!("http://alice:{PASSWORD}@127.0.0.1:notaport"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_chatload"))
            .args(["run", "--quiet", "--duration", "1s", "--target", &target])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("alice:***@"), "{err}");
        assert!(!err.contains(PASSWORD), "{err}");
    }
}
