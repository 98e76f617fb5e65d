//! The reference Chat Server: both dialects, flex-disconnect-timeout, simulated
//! agents, fault injection and exact per-route counters.
//!
//! API in the spirit of mini-redis: the caller binds the listener and passes a
//! shutdown future, so tests bind `127.0.0.1:0`.
//! (Stub: filled in by the foundation issue.)

use crate::cli::ServeArgs;
use crate::error::Exit;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::future::Future;
use tokio::net::TcpListener;

/// Options of the reference server (also the `[server]` table of a scenario file).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {}

/// A reference server instance; cheap to clone (shared state inside).
#[derive(Debug, Clone, Default)]
pub struct ReferenceServer {}

impl ReferenceServer {
    /// Build a server with the given options.
    pub fn new(_config: ServerConfig) -> Self {
        ReferenceServer {}
    }

    /// Serve on `listener` until `shutdown` completes.
    pub async fn serve(
        &self,
        _listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        shutdown.await;
        Ok(())
    }

    /// A snapshot of the counters (the ground truth).
    pub fn stats(&self) -> Stats {
        Stats::default()
    }
}

/// Counter snapshot, served at `GET /__chatload/stats`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Requests per route, keyed `"{dialect}/{operation}"` (e.g. `gms-v2/poll`).
    pub requests: BTreeMap<String, u64>,
    /// Responses per (route, HTTP status, statusCode, chatEnded).
    pub responses: Vec<ResponseCount>,
    /// Chat lifecycle counts.
    pub chats: ChatCounts,
    /// Faults injected by kind.
    pub faults: BTreeMap<String, u64>,
}

/// One response bucket.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResponseCount {
    /// `"{dialect}/{operation}"`.
    pub route: String,
    /// HTTP status sent (0 for a dropped connection).
    pub http_status: u16,
    /// statusCode in the body, if any.
    pub status_code: Option<u8>,
    /// chatEnded in the body, if any.
    pub chat_ended: Option<bool>,
    /// Count.
    pub count: u64,
}

/// Chat lifecycle counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatCounts {
    /// Chats created.
    pub created: u64,
    /// Ended by the client (disconnect / Complete).
    pub ended_by_client: u64,
    /// Ended by the simulated agent.
    pub ended_by_agent: u64,
    /// Ended by flex-disconnect-timeout.
    pub expired: u64,
    /// Still live.
    pub live: u64,
}

/// `chatload serve`.
pub async fn serve_command(_args: ServeArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("chatload serve is not implemented yet")
}
