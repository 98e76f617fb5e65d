//! The hostile gms-v2 target used by `hostile` and `headers`: raw HTTP/1.1 on
//! a tokio `TcpListener` at 127.0.0.1:0, so it can misbehave at the byte level
//! (truncated bodies, closed connections, no answer at all). `request_chat` and
//! every other operation are answered normally; polls get a chosen misbehaviour.
//! The server counts what it answered and records every request's headers.
//! Every answer carries `Connection: close`, so no connection is ever reused and
//! no request can be lost or retried silently between the two sides.

use chatload::build_config;
use chatload::ScenarioFile;
use chatload::{run_scenario, RunOutcome};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
/// Largest response body the engine accepts in these runs (`max_body_bytes`).
pub const MAX_BODY: usize = 4096;

/// What the server does to one poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Bad {
    /// A normal statusCode 0 answer.
    Ok,
    /// Binary garbage with HTTP 200.
    Garbage,
    /// An HTML page with HTTP 200.
    Html,
    /// `"statusCode":"0"`.
    StatusString,
    /// `"messages":"x"`.
    MessagesString,
    /// JSON without statusCode.
    NoStatus,
    /// HTTP 200 with `statusCode: 7`.
    Status7,
    /// Content-Length above the cap.
    Huge,
    /// A chunked body that grows past the cap.
    HugeChunked,
    /// Headers and part of the body, then the connection closes.
    Truncated,
    /// The request is read, the connection closed without an answer.
    Closed,
    /// No answer ever (the client's request timeout fires).
    Hang,
    /// Headers and part of the body, then nothing (the timeout fires mid-body).
    StallBody,
    /// Like `StallBody`, with a Content-Length of 3,000 bytes (most of a
    /// 4,096-byte body budget).
    StallBig,
    /// A statusCode 0 answer padded to a Content-Length of 3,000 bytes whose
    /// body arrives in two parts 150 ms apart (held back, then complete).
    SlowBig,
    /// HTTP 302 to another path (a gateway's login redirect): never followed.
    Redirect,
    /// HTTP 500 with a JSON error body that is no envelope.
    Http500,
    /// HTTP 503 with a statusCode 1 envelope.
    Http503,
    /// HTTP 302 whose body is a statusCode 0 envelope: an error, never a success.
    Redirect0,
    /// A statusCode 0 answer whose events carry index u64::MAX, then 1000 (a hole
    /// of 999 indexes from position 1), then 1000 again (a repeat).
    AbsurdIndex,
    /// A statusCode 0 answer whose chatId is 2,000 bytes (over the 1,024-byte cap).
    HugeId,
}

/// Every misbehaviour, for a test that mixes them all.
pub const ALL_BAD: [Bad; 15] = [
    Bad::Garbage,
    Bad::Html,
    Bad::StatusString,
    Bad::MessagesString,
    Bad::NoStatus,
    Bad::Status7,
    Bad::Huge,
    Bad::HugeChunked,
    Bad::Truncated,
    Bad::Closed,
    Bad::Hang,
    Bad::StallBody,
    Bad::Redirect,
    Bad::Http500,
    Bad::Http503,
];

/// What the hostile server saw and did (its own ground truth).
#[derive(Debug, Default)]
pub struct Seen {
    /// Polls answered per misbehaviour.
    pub polls: BTreeMap<Bad, u64>,
    /// request_chat calls answered per misbehaviour (`Ok` = a chat was created).
    pub requests: BTreeMap<Bad, u64>,
    /// Requests per route (`request_chat`, `refresh`, `disconnect`, ...).
    pub routes: BTreeMap<String, u64>,
    /// Polls per chat id.
    pub polls_per_chat: BTreeMap<String, u64>,
    /// Arrival instants of each chat's polls.
    pub poll_times: BTreeMap<String, Vec<std::time::Instant>>,
    /// Chats that were disconnected by the client.
    pub disconnected: Vec<String>,
    /// Every request's (route, lower-cased header name, value) headers.
    pub headers: Vec<(String, Vec<(String, String)>)>,
}

/// A running hostile server.
#[derive(Clone)]
pub struct Hostile {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// What it saw.
    pub seen: Arc<Mutex<Seen>>,
}

/// Start a server whose n-th poll gets `plan[n % plan.len()]`, n counted over
/// all chats or, with `per_chat`, within each chat.
pub async fn start(plan: Vec<Bad>, per_chat: bool) -> Hostile {
    start_with(plan, per_chat, vec![Bad::Ok]).await
}

/// [`start`], with the n-th request_chat (over all sessions) answered per `requests`.
pub async fn start_with(plan: Vec<Bad>, per_chat: bool, requests: Vec<Bad>) -> Hostile {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Seen::default()));
    let state = Arc::new(State {
        plan,
        per_chat,
        requests,
        next_request: AtomicU64::new(0),
        next_poll: AtomicU64::new(0),
        next_chat: AtomicU64::new(1),
        seen: seen.clone(),
    });
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream, state.clone()));
        }
    });
    Hostile { url, seen }
}

struct State {
    plan: Vec<Bad>,
    per_chat: bool,
    requests: Vec<Bad>,
    next_request: AtomicU64,
    next_poll: AtomicU64,
    next_chat: AtomicU64,
    seen: Arc<Mutex<Seen>>,
}

/// One request: path and lower-cased headers (the body is read and dropped).
async fn read_request(stream: &mut TcpStream) -> Option<(String, Vec<(String, String)>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let path = lines.next()?.split(' ').nth(1)?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some((path, headers))
}

async fn answer(stream: &mut TcpStream, status: u16, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body).await;
    let _ = stream.shutdown().await;
}

fn ok_body(chat: &str, ended: bool) -> Vec<u8> {
    format!(
        r#"{{"statusCode":0,"chatEnded":{ended},"chatId":"{chat}","alias":"a1","userId":"u-{chat}","secureKey":"key-{chat}","nextPosition":1,"messages":[]}}"#
    )
    .into_bytes()
}

async fn serve(mut stream: TcpStream, st: Arc<State>) {
    let Some((path, headers)) = read_request(&mut stream).await else {
        return;
    };
    // /genesys/2/chat/{service}/ or /genesys/2/chat/{service}/{chatId}/{op}
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let (route, chat) = match parts.as_slice() {
        ["genesys", "2", "chat", _, chat, op] => (op.to_string(), chat.to_string()),
        ["genesys", "2", "chat", _] | ["genesys", "2", "chat", _, ""] => {
            ("request_chat".to_string(), String::new())
        }
        _ => (format!("unexpected {path}"), String::new()),
    };
    let bad = {
        let mut seen = st.seen.lock().unwrap();
        *seen.routes.entry(route.clone()).or_default() += 1;
        seen.headers.push((route.clone(), headers));
        if route == "refresh" {
            let global = st.next_poll.fetch_add(1, Ordering::Relaxed);
            let mine = seen.polls_per_chat.entry(chat.clone()).or_default();
            let n = if st.per_chat { *mine } else { global } as usize;
            *mine += 1;
            seen.poll_times
                .entry(chat.clone())
                .or_default()
                .push(std::time::Instant::now());
            let bad = st.plan[n % st.plan.len()];
            *seen.polls.entry(bad).or_default() += 1;
            Some(bad)
        } else if route == "request_chat" {
            let n = st.next_request.fetch_add(1, Ordering::Relaxed) as usize;
            let bad = st.requests[n % st.requests.len()];
            *seen.requests.entry(bad).or_default() += 1;
            Some(bad).filter(|b| *b != Bad::Ok)
        } else {
            if route == "disconnect" {
                seen.disconnected.push(chat.clone());
            }
            None
        }
    };
    if route.starts_with("unexpected") {
        answer(&mut stream, 404, b"{}").await;
        return;
    }
    let Some(bad) = bad else {
        let chat = if route == "request_chat" {
            format!("c{}", st.next_chat.fetch_add(1, Ordering::Relaxed))
        } else {
            chat
        };
        answer(&mut stream, 200, &ok_body(&chat, route == "disconnect")).await;
        return;
    };
    misbehave(&mut stream, bad, &chat).await;
}

async fn misbehave(stream: &mut TcpStream, bad: Bad, chat: &str) {
    match bad {
        Bad::Ok => answer(stream, 200, &ok_body(chat, false)).await,
        Bad::Garbage => answer(stream, 200, b"\x00\xff\xfe\x9c garbage \x01").await,
        Bad::Html => answer(stream, 200, b"<html><body>Service Unavailable</body></html>").await,
        Bad::StatusString => answer(stream, 200, br#"{"statusCode":"0","chatEnded":false}"#).await,
        Bad::MessagesString => {
            answer(stream, 200, br#"{"statusCode":0,"chatEnded":false,"messages":"x"}"#).await
        }
        Bad::NoStatus => answer(stream, 200, br#"{"chatEnded":false,"messages":[]}"#).await,
        Bad::Status7 => answer(stream, 200, br#"{"statusCode":7,"chatEnded":false}"#).await,
        Bad::Huge => answer(stream, 200, &vec![b' '; MAX_BODY * 4]).await,
        Bad::HugeChunked => {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
            let _ = stream.write_all(head.as_bytes()).await;
            let chunk = format!("400\r\n{}\r\n", " ".repeat(0x400));
            for _ in 0..(MAX_BODY / 0x400 + 2) {
                if stream.write_all(chunk.as_bytes()).await.is_err() {
                    return;
                }
            }
            let _ = stream.write_all(b"0\r\n\r\n").await;
            let _ = stream.shutdown().await;
        }
        Bad::Truncated => {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\nConnection: close\r\n\r\n{\"statusCode\":0,";
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
        Bad::Closed => {
            let _ = stream.shutdown().await;
        }
        Bad::Hang => std::future::pending::<()>().await,
        Bad::StallBody => {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\nConnection: close\r\n\r\n{\"statusCode\":0,";
            let _ = stream.write_all(head.as_bytes()).await;
            std::future::pending::<()>().await
        }
        Bad::StallBig => {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 3000\r\nConnection: close\r\n\r\n{\"statusCode\":0,";
            let _ = stream.write_all(head.as_bytes()).await;
            std::future::pending::<()>().await
        }
        Bad::SlowBig => {
            let mut body = ok_body(chat, false);
            body.resize(3000, b' ');
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 3000\r\nConnection: close\r\n\r\n";
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(&body[..100]).await;
            tokio::time::sleep(std::time::Duration::from_millis(150)).await;
            let _ = stream.write_all(&body[100..]).await;
            let _ = stream.shutdown().await;
        }
        Bad::Redirect => {
            let head = "HTTP/1.1 302 Found\r\nLocation: /login\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
        Bad::Redirect0 => answer(stream, 302, &ok_body(chat, false)).await,
        Bad::HugeId => {
            let body = format!(
                r#"{{"statusCode":0,"chatEnded":false,"chatId":"{}","alias":"a1","userId":"u","secureKey":"k","nextPosition":1,"messages":[]}}"#,
                "x".repeat(2000)
            );
            answer(stream, 200, body.as_bytes()).await
        }
        Bad::AbsurdIndex => {
            let event = |i: u64| format!(r#"{{"from":{{"nickname":"a","participantId":2,"type":"Agent"}},"index":{i},"type":"Message","utcTime":0,"text":"x"}}"#);
            let body = format!(
                r#"{{"statusCode":0,"chatEnded":false,"chatId":"{chat}","alias":"a1","userId":"u-{chat}","secureKey":"key-{chat}","nextPosition":1001,"messages":[{},{},{}]}}"#,
                event(u64::MAX),
                event(1000),
                event(1000)
            );
            answer(stream, 200, body.as_bytes()).await
        }
        Bad::Http500 => answer(stream, 500, br#"{"error":"internal","message":"boom"}"#).await,
        Bad::Http503 => {
            answer(
                stream,
                503,
                br#"{"statusCode":1,"chatEnded":false,"messages":[],"errors":[{"code":503,"advice":"overloaded"}]}"#,
            )
            .await
        }
    }
}

/// A short run against `url` (few sessions, a few seconds, a 1 s request timeout: a hanging answer
/// costs 1 s, and a loaded machine never turns a normal answer into a timeout).
pub async fn run_against(url: &str) -> (RunOutcome, tempfile::TempDir) {
    run_against_with(url, "").await
}

/// [`run_against`] with `top` added to the scenario's top-level keys.
pub async fn run_against_with(url: &str, top: &str) -> (RunOutcome, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        r#"name = "hostile"
{top}
target = "{url}"
seed = 5
request_timeout = "1s"
drain_timeout = "1s"
max_body_bytes = {MAX_BODY}
flex_disconnect_timeout = "5s"
[load]
sessions = 3
duration = "1500ms"
[customer]
poll_interval = "100ms"
messages = 0
end = "wait-for-agent"
[retry]
max_consecutive = 3
backoff = "20ms"
backoff_max = "40ms"
"#
    );
    let file = ScenarioFile::parse("hostile.toml", text).unwrap();
    let args = chatload::cli::RunArgs {
        out: Some(dir.path().join("out")),
        quiet: true,
        ..Default::default()
    };
    let cfg = build_config(&args, Some(&file)).unwrap();
    let outcome = run_scenario(cfg, std::future::pending()).await.unwrap();
    (outcome, dir)
}
