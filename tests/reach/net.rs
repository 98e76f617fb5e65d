//! Real network parts for the reach tests, all on 127.0.0.1:0: a reference
//! server over TLS, a CONNECT proxy that counts the tunnels it carried, and a
//! cookie-sticky front over two reference servers.

use chatload::server::{ReferenceServer, ServerConfig};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// A running server; stops when dropped.
pub struct Running {
    pub addr: SocketAddr,
    pub server: ReferenceServer,
    _stop: oneshot::Sender<()>,
}

/// The reference server over HTTPS (client certificates required when `client_ca` is given).
pub async fn tls_server(cert: &Path, key: &Path, client_ca: Option<&Path>) -> Running {
    let acceptor = chatload::server::tls::acceptor(cert, key, client_ca).unwrap();
    serve(Some(acceptor)).await
}

/// The reference server over plain HTTP.
pub async fn plain_server() -> Running {
    serve(None).await
}

async fn serve(tls: Option<chatload::server::tls::TlsAcceptor>) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = ReferenceServer::new(ServerConfig::default());
    let (stop, stopped) = oneshot::channel::<()>();
    let s = server.clone();
    tokio::spawn(async move {
        s.serve_with(listener, tls, async move {
            let _ = stopped.await;
        })
        .await
    });
    Running {
        addr,
        server,
        _stop: stop,
    }
}

/// A CONNECT proxy: every tunnel goes to `to`, whatever host the client asked for.
pub struct Proxy {
    pub addr: SocketAddr,
    pub tunnels: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    pub fn tunnels(&self) -> u64 {
        self.tunnels.load(Ordering::SeqCst)
    }
}

pub async fn connect_proxy(to: SocketAddr) -> Proxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let tunnels = Arc::new(AtomicU64::new(0));
    let count = tunnels.clone();
    let task = tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let count = count.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
                    if client.read_exact(&mut byte).await.is_err() {
                        return;
                    }
                    head.push(byte[0]);
                }
                if !head.starts_with(b"CONNECT ") {
                    let _ = client
                        .write_all(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
                        .await;
                    return;
                }
                let Ok(mut upstream) = TcpStream::connect(to).await else {
                    let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
                    return;
                };
                count.fetch_add(1, Ordering::SeqCst);
                if client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await
                    .is_ok()
                {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                }
            });
        }
    });
    Proxy {
        addr,
        tunnels,
        task,
    }
}

/// A port where nothing listens (bound, then released).
pub async fn dead_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

/// Cookie name of the sticky front.
pub const STICKY: &str = "CHATLOAD_NODE";

/// A load balancer over two nodes: a request carrying `CHATLOAD_NODE=a|b` goes to
/// that node; any other request goes to the next node in turn and the answer
/// sets the cookie. Without cookies, a chat's later calls land on the node that
/// does not know it.
pub struct Sticky {
    pub addr: SocketAddr,
    pub nodes: [Running; 2],
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Sticky {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn sticky_front() -> Sticky {
    let nodes = [plain_server().await, plain_server().await];
    let bases = [nodes[0].addr, nodes[1].addr];
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let next = Arc::new(AtomicU64::new(0));
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let (next, http) = (next.clone(), http.clone());
        async move {
            let pinned = req
                .headers()
                .get_all(axum::http::header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(';'))
                .find_map(|c| match c.trim().strip_prefix(&format!("{STICKY}=")) {
                    Some("a") => Some(0usize),
                    Some("b") => Some(1),
                    _ => None,
                });
            let node = pinned.unwrap_or_else(|| (next.fetch_add(1, Ordering::SeqCst) % 2) as usize);
            let (parts, body) = req.into_parts();
            let body = axum::body::to_bytes(body, 1 << 20)
                .await
                .unwrap_or_default();
            let url = format!("http://{}{}", bases[node], parts.uri);
            let mut fwd = http.post(url).body(body);
            if let Some(ct) = parts.headers.get(axum::http::header::CONTENT_TYPE) {
                fwd = fwd.header(reqwest::header::CONTENT_TYPE, ct.clone());
            }
            let mut out = axum::http::Response::builder();
            match fwd.send().await {
                Ok(resp) => {
                    out = out.status(resp.status().as_u16());
                    if pinned.is_none() {
                        let name = if node == 0 { "a" } else { "b" };
                        out =
                            out.header("set-cookie", format!("{STICKY}={name}; Path=/; HttpOnly"));
                    }
                    out = out.header("content-type", "application/json");
                    let bytes = resp.bytes().await.unwrap_or_default();
                    out.body(axum::body::Body::from(bytes)).unwrap()
                }
                Err(_) => out.status(502).body(axum::body::Body::empty()).unwrap(),
            }
        }
    });
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Sticky { addr, nodes, task }
}
