//! `chatload serve` as a process: prints where it listens, serves, and on
//! SIGTERM stops gracefully, printing the counters table, exit code 0.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[cfg(unix)]
#[tokio::test]
async fn serve_runs_until_sigterm_and_prints_the_counters() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chatload"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--fault",
            "status2:poll:every=1",
            "--seed",
            "3",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chatload serve");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut first = String::new();
    stderr.read_line(&mut first).expect("banner");
    let base = first
        .trim()
        .rsplit(' ')
        .next()
        .expect("url in the banner")
        .to_string();
    assert!(base.starts_with("http://127.0.0.1:"), "{first}");
    let client = reqwest::Client::new();
    let v: serde_json::Value = client
        .post(format!(
            "{base}/genesys/2/chat/svc/0000000000000000/refresh"
        ))
        .body("userId=u&secureKey=k&alias=1")
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(v["statusCode"], 2);
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let out = child.wait_with_output().expect("exit");
    assert_eq!(out.status.code(), Some(0));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("gms-v2/poll"), "{table}");
    assert!(table.contains("status2"), "{table}");
}

#[test]
fn bad_flags_exit_with_2_and_name_the_flag() {
    let out = Command::new(env!("CARGO_BIN_EXE_chatload"))
        .args(["serve", "--flex-disconnect-timeout", "3 weeks"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--flex-disconnect-timeout"), "{err}");
}
