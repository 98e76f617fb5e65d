//! The binary: files written, `--only`, JUnit, exit codes 0 / 1 / 2 / 3.

use super::common::spawn_server;
use super::server_config;
use chatload::server::Misbehave;
use std::process::Command;
use std::time::Duration;

fn chatload(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_chatload"))
        .args(args)
        .output()
        .expect("run chatload")
}

/// Multi-threaded: the blocking `Command::output` must not starve the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_codes_files_only_and_junit() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = server_config();
    config.misbehave = vec![Misbehave::EndDisconnect];
    let server = spawn_server(config).await;
    let base = server.base_url();
    let out = dir.path().join("run");
    let junit = dir.path().join("c.xml");
    let o = chatload(&[
        "conformance",
        "--target",
        &base,
        "--flex-probe",
        "off",
        "--only",
        "gms.end.disconnect",
        "end.unknown-chat",
        "--out",
        out.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{stdout}");
    let line = stdout
        .lines()
        .find(|l| l.starts_with("gms.end.disconnect "));
    assert!(line.is_some_and(|l| l.contains(" fail ")), "{stdout}");
    assert!(stdout.contains("verdict: FAIL (1 rule failed)"), "{stdout}");
    assert!(
        !stdout.contains("transcript"),
        "--only limits the table: {stdout}"
    );
    assert!(out.join("conformance.json").is_file() && out.join("conformance.html").is_file());
    let html = std::fs::read_to_string(out.join("conformance.html")).unwrap();
    assert!(html.contains("data-rule=\"gms.end.disconnect\"") && html.contains(&base));
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 2);
    let failures = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .count();
    assert_eq!(failures, 1);

    let o = chatload(&[
        "conformance",
        "--target",
        &base,
        "--flex-probe",
        "off",
        "--only",
        "end.unknown-chat",
        "--out",
        dir.path().join("ok").to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );

    let o = chatload(&[
        "conformance",
        "--target",
        &base,
        "--flex-probe",
        "sometimes",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("--flex-probe: unknown mode 'sometimes'"),
        "{stderr}"
    );

    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let bad_out = file.join("out");
    let o = chatload(&[
        "conformance",
        "--target",
        &base,
        "--out",
        bad_out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("--out") && stderr.contains("cannot create"),
        "{stderr}"
    );
    assert_eq!(
        server.server.stats().chats.created,
        2,
        "a bad --out stops before any probe"
    );

    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    let o = chatload(&[
        "conformance",
        "--target",
        &closed,
        "--out",
        dir.path().join("x").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("unreachable") && stderr.contains("connect"),
        "{stderr}"
    );
}

/// SIGINT during the timeout probe (the long one): a partial report of what ran,
/// the rules never reached marked not run, exit 3. The signal is sent once the
/// probe's announcement is on stderr, not after a sleep.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_writes_a_partial_report_and_exits_3() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let dir = tempfile::tempdir().unwrap();
    // The default 45 s timeout: the probe would run for minutes.
    let server = spawn_server(chatload::server::ServerConfig::default()).await;
    let out = dir.path().join("run");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_chatload"))
        .args(["conformance", "--target", &server.base_url(), "--out"])
        .arg(&out)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let announced = async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.starts_with("flex-disconnect-timeout probe") {
                return true;
            }
        }
        false
    };
    let announced = tokio::time::timeout(Duration::from_secs(60), announced).await;
    assert_eq!(announced, Ok(true), "the suite reached the timeout probe");
    let pid = child.id().unwrap().to_string();
    let kill = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(kill.success());
    let o = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("the suite stops soon after Ctrl-C")
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(3), "{stdout}");
    assert!(
        stdout.contains("interrupted (Ctrl-C): 2 rules not run"),
        "{stdout}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("conformance.json")).unwrap())
            .unwrap();
    assert_eq!(json["interrupted"], true);
    let verdict = |id: &str| {
        let rules = json["rules"].as_array().unwrap();
        let r = rules.iter().find(|r| r["id"] == id).unwrap();
        (r["verdict"].clone(), r["message"].clone())
    };
    // What ran keeps its verdict; the timeout rules were never reached.
    assert_eq!(verdict("gms.request.accepts").0, "pass");
    assert_eq!(verdict("gms.end.disconnect").0, "pass");
    assert_eq!(
        verdict("gms.flex.timeout"),
        ("skip".into(), chatload::conformance::probes::NOT_RUN.into())
    );
    assert!(json["flex_disconnect_timeout"]["measured_ms"].is_null());
    let html = std::fs::read_to_string(out.join("conformance.html")).unwrap();
    assert!(html.contains("Interrupted (Ctrl-C)"));
    // Every answer the report counts was a request the server saw; requests
    // still in flight at the signal may reach the server uncounted.
    let sent: u64 = json["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["count"].as_u64().unwrap())
        .sum();
    let seen: u64 = server.server.stats().requests.values().sum();
    assert!(sent > 0 && sent <= seen, "sent {sent}, seen {seen}");
}
