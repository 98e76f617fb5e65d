//! Stale connections on real sockets at 127.0.0.1:0, the race forced: the
//! first connection is held in the client's connector (a tower service around
//! hyper-util's) until it
//! reads the server's close, so hyper finds it closed before the request is
//! written and reports it unsent (`not_sent`). The
//! client sends it once more on a new connection and counts it as
//! `stale_connection`; the server sees one request, the client counts one,
//! and no target error.

use super::{Call, ChatClient, Identity, Target};
use crate::metrics::Outcome;
use crate::protocol::Dialect;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Hands out the first new connection only once it has read EOF (the server
/// closed it); the others at once.
#[derive(Clone)]
struct Gate<S> {
    inner: S,
    first: Arc<AtomicBool>,
}

/// Wait until `conn` reads EOF (nothing is consumed: the server sent no byte).
async fn eof<C: hyper::rt::Read + Unpin>(conn: &mut C) {
    let mut byte = [std::mem::MaybeUninit::new(0u8)];
    std::future::poll_fn(|cx| {
        let mut buf = hyper::rt::ReadBuf::uninit(&mut byte);
        match Pin::new(&mut *conn).poll_read(cx, buf.unfilled()) {
            Poll::Ready(Ok(())) if !buf.filled().is_empty() => {
                panic!("the server sent bytes on a connection it closes")
            }
            Poll::Ready(_) => Poll::Ready(()),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}

impl<S, R> tower::Service<R> for Gate<S>
where
    S: tower::Service<R> + Send + 'static,
    S::Future: Send + 'static,
    S::Response: hyper::rt::Read + Unpin + Send,
    S::Error: Send,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: R) -> Self::Future {
        let connect = self.inner.call(req);
        let first = self.first.swap(false, Ordering::AcqRel);
        Box::pin(async move {
            let mut conn = connect.await?;
            if first {
                eof(&mut conn).await;
            }
            Ok(conn)
        })
    }
}

/// Read one request head and body (Content-Length), or None at EOF.
async fn read_request(s: &mut TcpStream) -> Option<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return Some(());
            }
        }
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Closes its first connection unread, and answers every request on the
/// others; counts the requests it read.
async fn server(listener: TcpListener, seen: Arc<AtomicU64>) {
    let (first, _) = listener.accept().await.unwrap();
    drop(first);
    loop {
        let (mut s, _) = listener.accept().await.unwrap();
        let seen = seen.clone();
        tokio::spawn(async move {
            while read_request(&mut s).await.is_some() {
                seen.fetch_add(1, Ordering::Relaxed);
                let body = r#"{"statusCode":0,"chatEnded":false,"chatId":"c1","userId":"u1","secureKey":"k1","alias":"a1","nextPosition":1,"messages":[]}"#;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                if s.write_all(answer.as_bytes()).await.is_err() {
                    return;
                }
            }
        });
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_given_back_unsent_goes_again_once_and_counts_as_stale_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(AtomicU64::new(0));
    let task = tokio::spawn(server(listener, seen.clone()));
    let first = Arc::new(AtomicBool::new(true));
    let timeout = Duration::from_secs(5);
    let mut tcp = hyper_util::client::legacy::connect::HttpConnector::new();
    tcp.set_nodelay(true);
    let gate = Gate { inner: tcp, first };
    let gate = tower::ServiceExt::map_err(gate, |e| Box::new(e) as _);
    let target = Target::new(Dialect::GmsV2, &base, "svc", "t", "").unwrap();
    let direct =
        super::http::Direct::with_connector(&target, tower::util::BoxCloneSyncService::new(gate));
    let http = super::http::Http::Direct(Box::new(direct));
    let client = ChatClient::with_http(target, http, timeout, 1 << 20, 4);
    let customer = crate::engine::customers::Customer::default();
    let call = Call::RequestChat {
        customer: &customer,
    };
    let id = Identity::default();
    let send = || {
        let (url, body) = client.build(&id, &call);
        client.send_in_slot(url, body, None)
    };
    let reply = send().await;
    assert!(
        matches!(
            reply.outcome,
            Outcome::Response {
                http_status: 200,
                status_code: Some(0),
                ..
            }
        ),
        "{:?} {:?}",
        reply.outcome,
        client.observed().samples()
    );
    assert_eq!(client.observed().stale_connections(), 1);
    assert_eq!(seen.load(Ordering::Relaxed), 1, "the server read it once");
    // Later calls reuse the live connection: nothing stale, nothing lost.
    for _ in 0..5 {
        let r = send().await;
        assert!(matches!(
            r.outcome,
            Outcome::Response {
                http_status: 200,
                ..
            }
        ));
    }
    assert_eq!(client.observed().stale_connections(), 1);
    assert_eq!(seen.load(Ordering::Relaxed), 6);
    task.abort();
}
