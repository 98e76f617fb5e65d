//! The server's own limits, on real sockets at 127.0.0.1:0: the header-read
//! timeout, the connection cap (`max_connections`) and requests hyper refuses
//! before the handler, each counted in the stats.

use crate::common::spawn_server;
use crate::helpers::no_agent;
use chatload::server::{ServerConfig, REJECTED_BY_HTTP};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Everything the server sends until it closes (bounded: 10 s).
async fn read_to_close(s: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out)).await;
    assert!(read.is_ok(), "the server did not close the connection");
    out
}

/// Send `bytes` on a fresh connection, half-close, return the answer bytes.
async fn send_raw(addr: SocketAddr, bytes: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(bytes).await.unwrap();
    s.shutdown().await.unwrap();
    String::from_utf8_lossy(&read_to_close(&mut s).await).into_owned()
}

const POLL: &[u8] = b"POST /genesys/2/chat/svc HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: 11\r\n\r\nnickname=A\n";

#[tokio::test]
async fn a_connection_slower_than_the_header_read_timeout_is_closed_and_counted() {
    let ts = spawn_server(ServerConfig {
        header_read_timeout: Duration::from_millis(200),
        ..no_agent()
    })
    .await;
    // Half a request head, then nothing: the server closes without an answer.
    let mut slow = TcpStream::connect(ts.addr).await.unwrap();
    slow.write_all(b"POST /genesys/2/chat/svc HTTP/1.1\r\nhost: x\r\n")
        .await
        .unwrap();
    read_to_close(&mut slow).await;
    // A whole request is answered, then the idle keep-alive connection is closed too.
    let mut idle = TcpStream::connect(ts.addr).await.unwrap();
    idle.write_all(POLL).await.unwrap();
    let answer = String::from_utf8_lossy(&read_to_close(&mut idle).await).into_owned();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let stats = ts.server.stats();
    assert_eq!(stats.connections.header_timeouts, 2, "{stats:?}");
    assert_eq!(stats.requests.get("gms-v2/request_chat"), Some(&1));
    assert_eq!(
        stats.requests.len(),
        1,
        "the slow head is no request: {stats:?}"
    );
}

#[tokio::test]
async fn connections_over_max_connections_are_refused_and_counted() {
    let ts = spawn_server(ServerConfig {
        max_connections: Some(2),
        ..no_agent()
    })
    .await;
    assert_eq!(ts.server.connection_cap(), 2);
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut s = TcpStream::connect(ts.addr).await.unwrap();
        // One answered request proves the server holds this connection open.
        s.write_all(POLL).await.unwrap();
        let mut buf = [0u8; 12];
        s.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"HTTP/1.1 200");
        held.push(s);
    }
    for _ in 0..3 {
        let mut s = TcpStream::connect(ts.addr).await.unwrap();
        let _ = s.write_all(POLL).await; // may already see the close
        let mut out = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out)).await;
        assert!(read.is_ok(), "a refused connection is closed at once");
        assert!(out.is_empty(), "a refused connection gets no answer");
    }
    let stats = ts.server.stats();
    assert_eq!(stats.connections.refused, 3, "{stats:?}");
    assert_eq!(stats.requests.get("gms-v2/request_chat"), Some(&2));
    drop(held);
}

#[tokio::test]
async fn requests_refused_before_the_handler_are_counted_as_rejected_by_http() {
    let ts = spawn_server(no_agent()).await;
    let bad: [&[u8]; 5] = [
        b"GARBAGE\r\n\r\n",
        b"POST /genesys/2/chat/svc HTTP/1.1\r\nhost: x\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nab",
        b"POST /genesys/2/chat/svc HTTP/1.1\r\nhost",
        // Bad chunking: the handler sees the body break off; no answer can be given.
        b"POST /genesys/2/chat/svc HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\ntransfer-encoding: chunked\r\n\r\nZZ\r\nnickname=A\r\n0\r\n\r\n",
        // A body shorter than its content-length.
        b"POST /genesys/2/chat/svc HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: 100\r\n\r\nnickname=A",
    ];
    for bytes in bad {
        let answer = send_raw(ts.addr, bytes).await;
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
            "{answer}"
        );
    }
    let stats = ts.server.stats();
    assert_eq!(stats.requests.get(REJECTED_BY_HTTP), Some(&5), "{stats:?}");
    assert_eq!(stats.requests.len(), 1, "nothing else counted: {stats:?}");
    assert!(
        stats.responses.is_empty(),
        "none counted as answered: {stats:?}"
    );
}
