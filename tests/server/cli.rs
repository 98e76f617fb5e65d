//! `chatload serve` as a process: prints where it listens, serves, and on
//! SIGTERM stops gracefully, printing the counters table, exit code 0.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// Start `chatload serve --listen 127.0.0.1:0 ARGS`; the child and its base URL.
fn start(args: &[&str]) -> (std::process::Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chatload"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
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
    // Keep the pipe open: the server writes more of its banner.
    child.stderr = Some(stderr.into_inner());
    (child, base)
}

/// SIGTERM the child; its exit code and stdout (the counters table).
fn stop(child: std::process::Child) -> (Option<i32>, String) {
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let out = child.wait_with_output().expect("exit");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Send and read the JSON answer.
async fn json(req: reqwest::RequestBuilder) -> serde_json::Value {
    let resp = req.send().await.expect("request");
    resp.json().await.expect("json")
}

#[cfg(unix)]
#[tokio::test]
async fn serve_runs_until_sigterm_and_prints_the_counters() {
    let (child, base) = start(&["--fault", "status2:poll:every=1", "--seed", "3"]);
    let client = reqwest::Client::new();
    let refresh = format!("{base}/genesys/2/chat/svc/0000000000000000/refresh");
    let v = json(client.post(refresh).body("userId=u&secureKey=k&alias=1")).await;
    assert_eq!(v["statusCode"], 2);
    let (code, table) = stop(child);
    assert_eq!(code, Some(0));
    assert!(table.contains("gms-v2/poll"), "{table}");
    assert!(table.contains("status2"), "{table}");
    assert!(!table.contains("agent pool"), "{table}");
}

#[cfg(unix)]
#[tokio::test]
async fn serve_with_an_agent_pool_queues_and_reports_the_pool() {
    let (child, base) = start(&["--agents", "1", "--chats-per-agent", "1"]);
    let client = reqwest::Client::new();
    for _ in 0..2 {
        let v = json(
            client
                .post(format!("{base}/genesys/2/chat/svc"))
                .body("nickname=Ann"),
        )
        .await;
        assert_eq!(v["statusCode"], 0, "{v}");
    }
    let stats = json(client.get(format!("{base}/__chatload/stats"))).await;
    let pool = &stats["pool"];
    assert_eq!(
        (&pool["joined"], &pool["queued"]),
        (&1.into(), &1.into()),
        "{stats}"
    );
    assert_eq!(pool["waiting"], 1, "{stats}");
    let (code, table) = stop(child);
    assert_eq!(code, Some(0));
    assert!(table.contains("agent pool (1 agents x 1 chats)"), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.split_whitespace().eq(["queued", "1"])),
        "{table}"
    );
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
