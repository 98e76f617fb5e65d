//! Shared test helpers: a reference server on `127.0.0.1:0`, plus small HTTP
//! helpers for both dialects. Used by the server conformance tests and by the
//! load engine's end-to-end tests.
#![allow(dead_code)]

use chatload::server::{ReferenceServer, ServerConfig};
use std::net::SocketAddr;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running reference server.
pub struct TestServer {
    /// Where it listens (loopback, ephemeral port).
    pub addr: SocketAddr,
    /// The server (for `stats()`, `issued_secure_keys()`, `router()`).
    pub server: ReferenceServer,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stop accepting, let open connections finish, and wait for the server to end.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Bind `127.0.0.1:0` and serve `config` in a background task.
pub async fn spawn_server(config: ServerConfig) -> TestServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local addr");
    let server = ReferenceServer::new(config);
    let (stop, stopped) = oneshot::channel::<()>();
    let s = server.clone();
    let task = tokio::spawn(async move {
        s.serve(listener, async move {
            let _ = stopped.await;
        })
        .await
    });
    TestServer {
        addr,
        server,
        stop: Some(stop),
        task: Some(task),
    }
}

/// The exit a run would have had with its generator verdict set aside. The verdict's `ok`
/// bound is tight (p99 schedule lateness within min(10 ms, 5 % of the poll interval)) and a
/// test machine busy compiling can miss it; the tests that use this are about counts and
/// gates, and the verdict rule has tests of its own (`src/metrics/generator.rs`,
/// `tests/engine/run_end.rs`). Any other reason for distrust still counts.
pub fn exit_but_verdict(summary: &chatload::report::model::Summary) -> chatload::Exit {
    let mut s = summary.clone();
    s.generator.verdict = chatload::report::vocab::GeneratorVerdict::Ok;
    chatload::gate::exit_for(&s, &s.thresholds)
}

/// The summary.json a run wrote to `out_dir`, as the report model or as raw JSON.
pub fn read_summary<T: serde::de::DeserializeOwned>(out_dir: &std::path::Path) -> T {
    let path = out_dir.join("summary.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A `chatload run` process's exit code with an `overloaded` verdict set aside (see
/// [`exit_but_verdict`]), judged from the summary.json it wrote to `out_dir`.
pub fn code_but_verdict(code: Option<i32>, out_dir: &std::path::Path) -> Option<i32> {
    if code != Some(3) {
        return code;
    }
    let Ok(text) = std::fs::read_to_string(out_dir.join("summary.json")) else {
        return code;
    };
    let s: chatload::report::model::Summary = serde_json::from_str(&text).unwrap();
    if s.generator.verdict != chatload::report::vocab::GeneratorVerdict::Overloaded {
        return code;
    }
    Some(i32::from(exit_but_verdict(&s).code()))
}
