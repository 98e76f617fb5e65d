//! The binary: files written, `--only`, JUnit, exit codes 0 / 1 / 2 / 3.

use super::common::spawn_server;
use super::server_config;
use chatload::server::Misbehave;
use std::process::Command;

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
