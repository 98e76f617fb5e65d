//! Run metrics: the only way the session engine reports what happened.
//!
//! Sessions call the `record_*` methods of one shared [`Metrics`] (cheap,
//! `&self`, safe from thousands of tasks; internally sharded recorders that
//! merge with `+=`, no per-request storage). The runner calls [`Metrics::tick`]
//! once a second for the timeline and live progress, and
//! [`Metrics::build_summary`] once at the end (or for abort-on-fail checks).
//! (Stub API: filled in by the metrics work of the load-engine issue.)

use crate::protocol::Operation;
use crate::report::model::{ScenarioInfo, SessionRow, Summary};
use std::time::{Duration, Instant};

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

/// Transport failure kinds (the keys of `transport_errors` in summary.json).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TransportErrorKind {
    /// The request timed out.
    Timeout,
    /// Connection refused or could not be established.
    Connect,
    /// Connection reset / closed mid-response.
    Reset,
    /// Body is not JSON (e.g. an HTML 502 page).
    InvalidJson,
    /// JSON with wrong field types.
    WrongTypes,
    /// JSON without `statusCode`.
    MissingStatusCode,
    /// Body larger than the configured limit.
    BodyTooLarge,
    /// Non-2xx HTTP status other than 400-with-errors.
    HttpStatus,
    /// Anything else.
    Other,
}

impl TransportErrorKind {
    /// Report name (`timeout`, `connect`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            TransportErrorKind::Timeout => "timeout",
            TransportErrorKind::Connect => "connect",
            TransportErrorKind::Reset => "reset",
            TransportErrorKind::InvalidJson => "invalid_json",
            TransportErrorKind::WrongTypes => "wrong_types",
            TransportErrorKind::MissingStatusCode => "missing_status_code",
            TransportErrorKind::BodyTooLarge => "body_too_large",
            TransportErrorKind::HttpStatus => "http_status",
            TransportErrorKind::Other => "other",
        }
    }
}

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
}

/// Why a poll gap grew too large.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GapCause {
    /// The generator sent the poll late (scheduler lag).
    GeneratorLag,
    /// The previous response was slow.
    SlowResponse,
    /// Retries (statusCode 1 / transport errors) intervened.
    Retries,
    /// The configured cadence itself cannot fit.
    Cadence,
}

impl GapCause {
    /// Report name.
    pub fn as_str(self) -> &'static str {
        match self {
            GapCause::GeneratorLag => "generator_lag",
            GapCause::SlowResponse => "slow_response",
            GapCause::Retries => "retries",
            GapCause::Cadence => "cadence",
        }
    }
}

/// Protocol violations of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ViolationKind {
    /// statusCode 1 with chatEnded true (impossible per the seed table).
    Status1ChatEnded,
    /// A transcript index was skipped.
    TranscriptHole,
    /// A transcript index was delivered twice.
    TranscriptRepeat,
    /// A statusCode 0 answer without the identity triple / nextPosition it must carry.
    MissingField,
}

impl ViolationKind {
    /// Report name.
    pub fn as_str(self) -> &'static str {
        match self {
            ViolationKind::Status1ChatEnded => "status1_chat_ended",
            ViolationKind::TranscriptHole => "transcript_hole",
            ViolationKind::TranscriptRepeat => "transcript_repeat",
            ViolationKind::MissingField => "missing_field",
        }
    }
}

/// Shared run metrics.
#[derive(Debug, Default)]
pub struct Metrics {}

impl Metrics {
    /// New metrics for a run starting at `start`, judging gaps against `flex` with `near_miss_fraction`.
    pub fn new(_start: Instant, _flex: Duration, _near_miss_fraction: f64) -> Self {
        Metrics {}
    }
    /// Record one finished request.
    pub fn record_request(&self, _r: &RequestRecord) {}
    /// Record how late a send left relative to its intended instant.
    pub fn record_lateness(&self, _lateness: Duration) {}
    /// Record one measured poll gap of `session` (cause only matters above the near-miss line).
    pub fn record_gap(&self, _session: u64, _gap: Duration, _cause: GapCause) {}
    /// Record a protocol violation.
    pub fn record_violation(&self, _kind: ViolationKind) {}
    /// A session started (request_chat about to be sent).
    pub fn session_started(&self) {}
    /// A session ended; `row` is its sessions.csv row.
    pub fn session_ended(&self, _row: SessionRow) {}
    /// Close the current one-second timeline interval (call once a second).
    pub fn tick(&self, _now: Instant) {}
    /// Cheap live figures for the progress bar and abort checks.
    pub fn live(&self) -> LiveStats {
        LiveStats::default()
    }
    /// All ended sessions' rows, sorted by ordinal (for sessions.csv).
    pub fn session_rows(&self) -> Vec<SessionRow> {
        Vec::new()
    }
    /// Build the report model from everything recorded so far.
    pub fn build_summary(&self, scenario: ScenarioInfo, _now: Instant) -> Summary {
        Summary {
            scenario,
            ..Summary::default()
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
