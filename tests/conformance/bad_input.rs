//! Targets that are not a working chat server: unreachable (an error naming
//! the cause, exit 3), an HTML page on every path (rules fail or skip with a
//! clear message, no panic), a server that never answers and one whose polls
//! hang (per-request timeout: the suite ends in bounded time).

use super::common::spawn_server;
use super::{args, run, server_config, with_verdict};
use chatload::conformance::model::Verdict;
use chatload::protocol::Operation;
use chatload::server::{DelaySpec, FaultKind, FaultRule, OperationSelector};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A port on 127.0.0.1 where nothing listens.
async fn closed_port() -> u16 {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

#[tokio::test]
async fn unreachable_target_is_an_error_naming_the_cause() {
    let dir = tempfile::tempdir().unwrap();
    let base = format!("http://127.0.0.1:{}", closed_port().await);
    let e = run(&args(&base, "gms-v2", dir.path())).await.unwrap_err();
    let msg = format!("{e:#}");
    assert!(
        msg.contains("unreachable") && msg.contains("connect"),
        "{msg}"
    );
    assert_eq!(chatload::Exit::for_error(&e).code(), 3);
}

/// What [`raw_server`] answers.
#[derive(Clone, Copy)]
enum Answer {
    /// This HTML page, HTTP 200.
    Page(&'static str),
    /// An HTML page quoting the request it got (headers and body).
    Echo,
    /// Nothing, ever.
    Hang,
}

/// Accept connections on 127.0.0.1:0 and answer every request with `answer`.
async fn raw_server(answer: Answer) -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = l.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    let n = match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    let body = match answer {
                        Answer::Hang => continue,
                        Answer::Page(p) => p.to_string(),
                        Answer::Echo => format!(
                            "<html><pre>{}</pre></html>",
                            String::from_utf8_lossy(&buf[..n])
                        ),
                    };
                    let head = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\n\r\n",
                        body.len()
                    );
                    if sock
                        .write_all(format!("{head}{body}").as_bytes())
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    base
}

#[tokio::test]
async fn an_html_page_on_every_path_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let base = raw_server(Answer::Page(
        "<html><body><h1>Welcome to nginx!</h1></body></html>",
    ))
    .await;
    let report = run(&args(&base, "gms-v2", dir.path())).await.unwrap();
    let accepts = &report.rules[0];
    assert_eq!(accepts.id, "gms.request.accepts");
    assert_eq!(accepts.verdict, Verdict::Fail);
    assert!(
        accepts
            .message
            .contains("HTTP 200 (text/html), not a chat envelope (invalid_json)"),
        "{}",
        accepts.message
    );
    assert!(accepts.evidence[0]
        .response
        .body
        .as_deref()
        .unwrap()
        .contains("nginx"));
    let passed = with_verdict(&report, Verdict::Pass);
    assert!(passed.is_empty(), "{passed:?}");
    for r in &report.rules {
        assert!(!r.message.is_empty(), "{}", r.id);
    }
}

#[tokio::test]
async fn a_server_that_never_answers_ends_in_bounded_time() {
    let dir = tempfile::tempdir().unwrap();
    let base = raw_server(Answer::Hang).await;
    let mut a = args(&base, "gms-v2", dir.path());
    a.request_timeout = Some("300ms".into());
    let t = Instant::now();
    let e = run(&a).await.unwrap_err();
    assert!(format!("{e:#}").contains("timeout"), "{e:#}");
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
}

#[tokio::test]
async fn polls_that_hang_time_out_per_request_and_the_suite_ends() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = server_config();
    config.faults.push(FaultRule {
        kind: FaultKind::Delay,
        operation: OperationSelector::Only(Operation::Poll),
        every: Some(1),
        rate: None,
        delay: Some(DelaySpec::Fixed(Duration::from_secs(30))),
    });
    let server = spawn_server(config).await;
    let mut a = args(&server.base_url(), "gms-v2", dir.path());
    a.request_timeout = Some("300ms".into());
    let t = Instant::now();
    let report = run(&a).await.unwrap();
    assert!(t.elapsed() < Duration::from_secs(15), "{:?}", t.elapsed());
    let joined = report
        .rules
        .iter()
        .find(|r| r.id == "gms.transcript.joined-first")
        .unwrap();
    assert_eq!(joined.verdict, Verdict::Fail);
    assert!(
        joined.message.contains("no answer (timeout)"),
        "{}",
        joined.message
    );
    let echo = report
        .rules
        .iter()
        .find(|r| r.id == "gms.transcript.message-echo")
        .unwrap();
    assert_eq!(echo.verdict, Verdict::Skip);
    assert!(
        echo.message.contains("the probe chat stopped"),
        "{}",
        echo.message
    );
    assert_eq!(
        report.rules[0].verdict,
        Verdict::Pass,
        "request chat itself works"
    );
}

/// A server that quotes every request back (headers included) gets no secret
/// into the report: header values and secureKeys are redacted; the HTML page
/// escapes what the server sent.
#[tokio::test]
async fn an_echoing_server_gets_no_secret_into_the_reports() {
    let dir = tempfile::tempdir().unwrap();
    let base = raw_server(Answer::Echo).await;
    let mut a = args(&base, "gms-v2", dir.path());
    a.target.headers = vec![chatload::cli::HeaderArg(
        "x-api-key: s3cret-header-value".into(),
    )];
    a.flex_probe = Some("off".into());
    let report = run(&a).await.unwrap();
    assert_eq!(report.header_names, ["x-api-key"]);
    let mut json = Vec::new();
    chatload::conformance::export::json::write_json(&report, &mut json).unwrap();
    let json = String::from_utf8(json).unwrap();
    assert!(
        json.contains("x-api-key: <redacted>"),
        "the echo is in the evidence"
    );
    assert!(!json.contains("s3cret-header-value"));
    let mut html = Vec::new();
    chatload::conformance::export::html::write_html(&report, &mut html).unwrap();
    let html = String::from_utf8(html).unwrap();
    assert!(!html.contains("s3cret-header-value"));
    assert!(html.contains("&lt;pre&gt;") && !html.contains("<pre>POST"));
}
