//! Loopback benchmark of the reference server (not a timed test; prints figures).
//!
//! 1. Starts the server on 127.0.0.1:0 (flex timeout 1 h so nothing expires).
//! 2. Creates `BENCH_CHATS` chats (default 100,000) over pipelined keep-alive
//!    connections and reports the RSS growth per chat.
//! 3. Hammers gms-v2 `refresh` and webapi `GetMessages` (round-robin over all
//!    chats, steady-state polls that return no events) for `BENCH_SECS`
//!    seconds, 3 runs each, and prints requests/s (median of 3).
//! 4. Measures the timer sweep: re-arming every chat whose deadline was
//!    extended, then expiring all of them.
//!
//! Run: `cargo bench --bench server_throughput` (env: BENCH_CHATS, BENCH_SECS,
//! BENCH_CONNS, BENCH_DEPTH). The client is a minimal raw-TCP HTTP/1.1
//! pipelining client in the same process, sharing the 2 cores with the server.

use chatload::server::{ReferenceServer, ServerConfig};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// One identity as the client holds it.
struct Ident {
    id: String,
    user_id: String,
    secure_key: String,
    alias: String,
}

fn http_request(path: &str, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nhost: bench\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn gms_refresh(c: &Ident) -> Vec<u8> {
    let body = format!(
        "userId={}&secureKey={}&alias={}&transcriptPosition=3&message=",
        c.user_id, c.secure_key, c.alias
    );
    http_request(
        &format!("/genesys/2/chat/bench/{}/refresh", c.id),
        "application/x-www-form-urlencoded",
        &body,
    )
}

fn webapi_messages(c: &Ident) -> Vec<u8> {
    let body = format!(
        r#"{{"userId":"{}","secureKey":"{}","alias":"{}","tenantName":"bench","transcriptPosition":3}}"#,
        c.user_id, c.secure_key, c.alias
    );
    http_request(
        &format!("/api/v2/chats/{}/messages", c.id),
        "application/json",
        &body,
    )
}

/// Split complete responses off the front of `buf`; returns their bodies' first bytes check.
fn take_responses(
    buf: &mut Vec<u8>,
    bodies: &mut Vec<Vec<u8>>,
    keep_bodies: bool,
) -> (usize, usize) {
    let (mut n, mut bad, mut at) = (0, 0, 0);
    loop {
        let rest = &buf[at..];
        let Some(hdr_end) = rest.windows(4).position(|w| w == b"\r\n\r\n") else {
            break;
        };
        let head = &rest[..hdr_end];
        let len = std::str::from_utf8(head)
            .ok()
            .and_then(|h| {
                h.lines()
                    .find_map(|l| l.strip_prefix("content-length: "))
                    .and_then(|v| v.trim().parse::<usize>().ok())
            })
            .unwrap_or(0);
        let total = hdr_end + 4 + len;
        if rest.len() < total {
            break;
        }
        let body = &rest[hdr_end + 4..total];
        if !head.starts_with(b"HTTP/1.1 200") || !body.starts_with(b"{\"statusCode\":0") {
            bad += 1;
        }
        if keep_bodies {
            bodies.push(body.to_vec());
        }
        n += 1;
        at += total;
    }
    buf.drain(..at);
    (n, bad)
}

/// Send `requests` pipelined `depth` at a time on one connection until `stop`
/// (or, with `once`, until every request was answered). Returns (ok, bad, bodies).
async fn pipeline(
    addr: SocketAddr,
    requests: Arc<Vec<Vec<u8>>>,
    range: (usize, usize),
    depth: usize,
    stop: Arc<AtomicBool>,
    once: bool,
) -> (u64, u64, Vec<Vec<u8>>) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let (mut ok, mut bad, mut bodies) = (0u64, 0u64, Vec::new());
    let mut buf = Vec::with_capacity(1 << 16);
    let mut chunk = vec![0u8; 1 << 16];
    let (start, end) = range;
    let mut i = start;
    let mut out = Vec::with_capacity(depth * 256);
    while !stop.load(Ordering::Relaxed) {
        if once && i >= end {
            break;
        }
        out.clear();
        let mut sent = 0;
        while sent < depth && !(once && i >= end) {
            out.extend_from_slice(&requests[i]);
            i = if i + 1 >= end && !once { start } else { i + 1 };
            sent += 1;
        }
        stream.write_all(&out).await.expect("write");
        let mut got = 0;
        while got < sent {
            let n = stream.read(&mut chunk).await.expect("read");
            assert!(n > 0, "server closed the connection");
            buf.extend_from_slice(&chunk[..n]);
            let (k, b) = take_responses(&mut buf, &mut bodies, once);
            got += k;
            bad += b as u64;
            ok += (k - b) as u64;
        }
    }
    (ok, bad, bodies)
}

fn ranges(len: usize, parts: usize) -> Vec<(usize, usize)> {
    let step = len.div_ceil(parts);
    (0..parts)
        .map(|p| (p * step, ((p + 1) * step).min(len)))
        .filter(|(a, b)| a < b)
        .collect()
}

async fn create_chats(addr: SocketAddr, n: usize, conns: usize) -> Vec<Ident> {
    // gms-v2 chats carry no tenant, so both dialects may poll them.
    let reqs: Vec<Vec<u8>> = (0..n)
        .map(|_| {
            http_request(
                "/genesys/2/chat/bench/",
                "application/x-www-form-urlencoded",
                "nickname=bench",
            )
        })
        .collect();
    let reqs = Arc::new(reqs);
    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = ranges(n, conns)
        .into_iter()
        .map(|r| tokio::spawn(pipeline(addr, reqs.clone(), r, 64, stop.clone(), true)))
        .collect();
    let mut out = Vec::with_capacity(n);
    for t in tasks {
        let (_, bad, bodies) = t.await.expect("task");
        assert_eq!(bad, 0, "chat creation failed");
        for b in bodies {
            let v: serde_json::Value = serde_json::from_slice(&b).expect("json");
            let s = |k: &str| v[k].as_str().expect("identity field").to_string();
            out.push(Ident {
                id: s("chatId"),
                user_id: s("userId"),
                secure_key: s("secureKey"),
                alias: s("alias"),
            });
        }
    }
    out
}

async fn hammer(
    addr: SocketAddr,
    requests: Arc<Vec<Vec<u8>>>,
    run: Duration,
    conns: usize,
    depth: usize,
) -> (f64, u64, u64) {
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let tasks: Vec<_> = ranges(requests.len(), conns)
        .into_iter()
        .map(|r| {
            tokio::spawn(pipeline(
                addr,
                requests.clone(),
                r,
                depth,
                stop.clone(),
                false,
            ))
        })
        .collect();
    tokio::time::sleep(run).await;
    stop.store(true, Ordering::Relaxed);
    let (mut ok, mut bad) = (0, 0);
    for t in tasks {
        let (o, b, _) = t.await.expect("task");
        ok += o;
        bad += b;
    }
    (ok as f64 / start.elapsed().as_secs_f64(), bad, ok)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// RSS growth of `n` chats created through the handler in-process (no sockets,
/// no client-side state), in bytes per chat.
async fn memory_per_chat(n: usize) -> f64 {
    use tower::ServiceExt;
    let server = ReferenceServer::new(ServerConfig::default());
    let router = server.router();
    let before = rss_kib();
    for _ in 0..n {
        let req = axum::http::Request::post("/genesys/2/chat/bench/")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(axum::body::Body::from("nickname=bench&userData%5Bk%5D=v"))
            .expect("request");
        let resp = router.clone().oneshot(req).await.expect("infallible");
        assert_eq!(resp.status(), 200);
    }
    let after = rss_kib();
    assert_eq!(server.stats().chats.live as usize, n);
    (after.saturating_sub(before) * 1024) as f64 / n as f64
}

/// `cargo bench` passes `--bench`; `cargo test --all-targets` does not, and
/// then a small smoke run keeps the benchmark code exercised without the cost.
async fn bench(full: bool) {
    let (default_chats, run) = if full {
        (100_000, Duration::from_secs(env("BENCH_SECS", 5)))
    } else {
        (500, Duration::from_millis(200))
    };
    let chats = env("BENCH_CHATS", default_chats) as usize;
    let conns = env("BENCH_CONNS", 32) as usize;
    let depth = env("BENCH_DEPTH", 16) as usize;
    let mut config = ServerConfig {
        flex_disconnect_timeout: Duration::from_secs(3600),
        ..ServerConfig::default()
    };
    config.agent.enabled = false;
    let server = ReferenceServer::new(config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let s = server.clone();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(async move {
        s.serve(listener, async {
            let _ = stop_rx.await;
        })
        .await
    });

    println!("chatload reference server benchmark: {chats} chats, {conns} connections, pipeline depth {depth}, {run:?} per run, {} cores", std::thread::available_parallelism().map_or(0, |n| n.get()));
    let per_chat = memory_per_chat(chats).await;
    println!("memory: {per_chat:.0} bytes of RSS per live chat ({chats} chats created in-process, agent on, one userData entry)");
    let rss0 = rss_kib();
    let t = Instant::now();
    let idents = create_chats(addr, chats, conns).await;
    let create_s = t.elapsed().as_secs_f64();
    let created_at = tokio::time::Instant::now();
    let rss1 = rss_kib();
    println!(
        "created {} chats over TCP in {:.2} s ({:.0} req/s); RSS {} MiB -> {} MiB (server + client-side identities)",
        idents.len(),
        create_s,
        idents.len() as f64 / create_s,
        rss0 / 1024,
        rss1 / 1024,
    );

    for (name, route, build) in [
        (
            "gms-v2 refresh",
            "gms-v2/poll",
            gms_refresh as fn(&Ident) -> Vec<u8>,
        ),
        ("webapi GetMessages", "webapi/poll", webapi_messages),
    ] {
        let reqs = Arc::new(idents.iter().map(build).collect::<Vec<_>>());
        let mut answered = 0;
        for d in [1, depth] {
            let mut rates = Vec::new();
            for i in 1..=3 {
                let (rate, bad, ok) = hammer(addr, reqs.clone(), run, conns, d).await;
                answered += ok;
                assert_eq!(bad, 0, "non-zero statusCode answers during {name}");
                println!("  {name}, depth {d}, run {i}: {rate:.0} req/s");
                rates.push(rate);
            }
            println!(
                "{name}, {conns} keep-alive connections, pipeline depth {d}: median {:.0} req/s over {} live chats",
                median(rates),
                server.stats().chats.live
            );
        }
        // The server's own counter must agree with what the client saw.
        assert_eq!(
            server.stats().requests.get(route).copied(),
            Some(answered),
            "{route} count"
        );
    }
    let polled_at = tokio::time::Instant::now();

    // Timer sweep: every chat's entry falls due at creation + 1 h; polls moved
    // the deadlines, so the first sweep re-arms them all, the second expires them all.
    let t = Instant::now();
    let rearmed = server.sweep_now(created_at + Duration::from_secs(3600));
    let rearm_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let expired = server.sweep_now(polled_at + Duration::from_secs(3 * 3600));
    let expire_s = t.elapsed().as_secs_f64();
    println!(
        "sweep: re-armed {rearmed} entries in {:.1} ms ({:.0} ns each); expired {} chats via {expired} entries in {:.1} ms ({:.0} ns each); RSS after {} MiB",
        rearm_s * 1e3,
        rearm_s * 1e9 / rearmed.max(1) as f64,
        server.stats().chats.expired,
        expire_s * 1e3,
        expire_s * 1e9 / expired.max(1) as f64,
        rss_kib() / 1024
    );
    let _ = stop_tx.send(());
    let _ = serving.await;
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let full = std::env::args().any(|a| a == "--bench");
    rt.block_on(bench(full));
}
