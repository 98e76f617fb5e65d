//! The facts the engine hands to metrics (requests, outcomes) and the live
//! figures the progress bar reads back. The closed sets (error kinds, gap
//! causes, violations) are the report's vocabulary, [`crate::report::vocab`].

use crate::gate::Threshold;
use crate::protocol::Operation;
use crate::report::model::ScenarioInfo;
pub use crate::report::vocab::{EndReason, GapCause, RunEnd, TransportErrorKind, ViolationKind};
use std::time::Duration;
use std::time::Instant;

/// How a request ended, as seen by the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// An HTTP response arrived and its body was classified.
    Response {
        /// HTTP status.
        http_status: u16,
        /// statusCode in the body (None when absent or non-JSON).
        status_code: Option<u8>,
        /// chatEnded in the body (None when absent).
        chat_ended: Option<bool>,
    },
    /// No usable response.
    Transport(TransportErrorKind),
}

/// The `[[customers]]` profile a figure counts in besides the totals: the profile's
/// index in the scenario's list; None without profiles (only the totals are kept).
pub type ProfileIx = Option<u16>;

/// One finished request.
#[derive(Debug, Clone, Copy)]
pub struct RequestRecord {
    /// Which operation.
    pub operation: Operation,
    /// When the schedule meant to send it.
    pub intended: Instant,
    /// When it was actually sent.
    pub sent: Instant,
    /// When the response (or failure) arrived.
    pub done: Instant,
    /// What came back.
    pub outcome: Outcome,
    /// The sending session's profile.
    pub profile: ProfileIx,
}

/// One ended session as the engine saw it; metrics adds the gap judgement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionEnd {
    /// Session ordinal (the `session` of its gaps).
    pub ordinal: u64,
    /// Chat id assigned by the server (empty when never established).
    pub chat_id: String,
    /// Polls sent.
    pub polls: u64,
    /// How it ended.
    pub end: EndReason,
    /// request_chat succeeded (the chat existed).
    pub established: bool,
    /// Its disconnect was answered statusCode 0: the server ended the chat on the
    /// client's word (counted in `ended_by_client`, whatever the end reason).
    pub disconnected: bool,
    /// The server expired the chat: a 2/249 answer after the chat went without
    /// requests for flex-disconnect-timeout (in the run, or to the disconnect).
    pub expired: bool,
    /// Its service level: queue wait, first response, abandoned.
    pub service: SessionService,
    /// Its profile's name (None without `[[customers]]`).
    pub profile: Option<std::sync::Arc<str>>,
}

impl SessionEnd {
    /// A chat that was established, polled `polls` times and ended by its disconnect,
    /// answered statusCode 0 (no profile, no service figures): the usual row of a run.
    pub fn client_disconnect(ordinal: u64, chat_id: String, polls: u64) -> Self {
        SessionEnd {
            ordinal,
            chat_id,
            polls,
            end: EndReason::ClientDisconnect,
            established: true,
            disconnected: true,
            expired: false,
            service: SessionService::default(),
            profile: None,
        }
    }
}

/// One session's service level, as its customer saw it (sessions.csv columns).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionService {
    /// Request chat to the poll answer with the agent's join, or to the customer giving
    /// up when `abandoned` (None: neither).
    pub queue_wait: Option<Duration>,
    /// First message to the poll answer with the agent's first message (None: none).
    pub first_response: Option<Duration>,
    /// The customer lost patience before an agent joined.
    pub abandoned: bool,
}

/// What only the runner knows about a run; the summary is built from these and
/// the metrics, by [`super::Metrics::build_summary`] alone.
#[derive(Debug, Clone)]
pub struct RunFacts<'a> {
    /// What was run.
    pub scenario: ScenarioInfo,
    /// Wall-clock start.
    pub started_at: chrono::DateTime<chrono::Utc>,
    /// How the run ended.
    pub end: RunEnd,
    /// Run time so far (including drain).
    pub elapsed: Duration,
    /// Thresholds to evaluate into `summary.thresholds` (none for a partial summary).
    pub thresholds: &'a [Threshold],
}

impl RunFacts<'_> {
    /// A completed run of `scenario` after `elapsed`, started now, without thresholds.
    pub fn completed(scenario: ScenarioInfo, elapsed: Duration) -> Self {
        RunFacts {
            scenario,
            started_at: chrono::Utc::now(),
            end: RunEnd::Completed,
            elapsed,
            thresholds: &[],
        }
    }
}

/// Live figures read by the progress bar.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LiveStats {
    /// Requests completed so far.
    pub requests: u64,
    /// Failed requests so far.
    pub errors: u64,
    /// Sessions active now.
    pub active_sessions: u64,
    /// Flagged gaps so far.
    pub flags: u64,
    /// Requests completed in the last full second.
    pub last_second_requests: u64,
    /// p99 latency (corrected) of the last full second, ms.
    pub last_second_p99_ms: f64,
}

/// Longest server-supplied string (chatId, userId, secureKey, alias) a session
/// stores; a longer one is an `invalid_identity` violation. Real ones are < 100 bytes.
pub const MAX_SERVER_STRING: usize = 1024;

/// A transcript index more than this far ahead of the position is `absurd_index`
/// (no chat skips a million messages between two polls).
pub const MAX_INDEX_JUMP: u64 = 1 << 20;
