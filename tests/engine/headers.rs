//! Custom headers through the real binary: a recording target sees them on
//! every route; their values appear in no report file and in no output;
//! a bad `--header` exits 2 naming the header without echoing the value.

use super::hostile_server::{start, Bad};
use std::path::Path;
use std::process::Command;

const FILE_SECRET: &str = "file-secret-7f3a9c";
const ENV_SECRET: &str = "env-secret-b81d2e";
const FLAG_SECRET: &str = "flag-secret-55c0e1";

/// Every file under `dir` (recursively) as text.
fn files(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else {
            let bytes = std::fs::read(&path).unwrap();
            out.push((
                path.display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_reach_every_route_and_never_a_report_or_output() {
    let h = start(vec![Bad::Ok], true).await;
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("gateway.toml");
    std::fs::write(
        &scenario,
        format!(
            r#"name = "gateway"
target = "{}"
seed = 2
request_timeout = "2s"
drain_timeout = "1s"
[load]
sessions = 2
duration = "1500ms"
[customer]
poll_interval = "150ms"
messages = 1
think_time = "300ms"
typing = true
typing_time = "100ms"
end = "after-messages"
linger = "200ms"
[headers]
apikey = "{FILE_SECRET}"
"#,
            h.url
        ),
    )
    .unwrap();
    let out_dir = dir.path().join("out");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chatload"));
    cmd.arg("run")
        .arg(&scenario)
        .args(["--header", "Authorization: env:CHATLOAD_TEST_BEARER"])
        .args(["-H", &format!("x-api-key: {FLAG_SECRET}")])
        .arg("--out")
        .arg(&out_dir)
        .env("CHATLOAD_TEST_BEARER", format!("Bearer {ENV_SECRET}"));
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        crate::common::code_but_verdict(out.status.code(), &out_dir),
        Some(0),
        "{stderr}"
    );

    // The server got all three headers on every request, on every route.
    let seen = h.seen.lock().unwrap();
    for route in [
        "request_chat",
        "refresh",
        "startTyping",
        "send",
        "disconnect",
    ] {
        assert!(
            seen.routes.get(route).copied().unwrap_or(0) > 0,
            "{route}: {:?}",
            seen.routes
        );
    }
    assert!(!seen.headers.is_empty());
    for (route, headers) in &seen.headers {
        let get = |name: &str| {
            headers
                .iter()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(get("apikey"), vec![FILE_SECRET], "{route}");
        assert_eq!(get("x-api-key"), vec![FLAG_SECRET], "{route}");
        let bearer = format!("Bearer {ENV_SECRET}");
        assert_eq!(get("authorization"), vec![bearer.as_str()], "{route}");
    }

    // summary.json records the names, never the values.
    let summary: serde_json::Value = super::common::read_summary(&out_dir);
    assert_eq!(
        summary["scenario"]["header_names"],
        serde_json::json!(["apikey", "authorization", "x-api-key"])
    );

    // No secret in any report file nor in the output.
    let mut written = Vec::new();
    files(&out_dir, &mut written);
    assert!(written.len() >= 4, "reports written: {written:?}");
    written.push(("stdout".into(), stdout));
    written.push(("stderr".into(), stderr));
    for (name, text) in &written {
        for secret in [FILE_SECRET, ENV_SECRET, FLAG_SECRET] {
            assert!(!text.contains(secret), "{secret} leaked into {name}");
        }
    }
}

#[test]
fn bad_header_flags_exit_2_naming_the_header_not_the_value() {
    let run = |header: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_chatload"))
            .args(["run", "--quiet", "--header", header])
            .env_remove("CHATLOAD_SURELY_UNSET")
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = run("x-api-key: env:CHATLOAD_SURELY_UNSET");
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("--header x-api-key: environment variable CHATLOAD_SURELY_UNSET is not set"),
        "{err}"
    );
    let (code, err) = run("apikey=topsecret42");
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--header: expected 'Name: value'"), "{err}");
    assert!(!err.contains("topsecret42"), "{err}");
    let (code, err) = run("api key: topsecret42");
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("'api key' is not a valid header name"),
        "{err}"
    );
    assert!(!err.contains("topsecret42"), "{err}");
}
