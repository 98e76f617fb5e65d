//! The vocabulary of the metrics API: what the engine reports per request,
//! gap, violation, and what the progress bar reads back.

use crate::protocol::Operation;
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
    /// Still in flight when the drain timeout cut the run off (generator-side:
    /// the target may have seen it; counted so client and server totals agree).
    Abandoned,
    /// A local resource ran out (EMFILE, ENFILE, EADDRNOTAVAIL): the generator's
    /// fault, never the target's; makes the generator verdict `overloaded`.
    LocalLimit,
}

impl TransportErrorKind {
    /// Every kind, in report order (index = `kind as usize`).
    pub const ALL: [TransportErrorKind; 11] = [
        TransportErrorKind::Timeout,
        TransportErrorKind::Connect,
        TransportErrorKind::Reset,
        TransportErrorKind::InvalidJson,
        TransportErrorKind::WrongTypes,
        TransportErrorKind::MissingStatusCode,
        TransportErrorKind::BodyTooLarge,
        TransportErrorKind::HttpStatus,
        TransportErrorKind::Other,
        TransportErrorKind::Abandoned,
        TransportErrorKind::LocalLimit,
    ];

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
            TransportErrorKind::Abandoned => "abandoned",
            TransportErrorKind::LocalLimit => "local_limit",
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
    /// Every cause, in report order (index = `cause as usize`).
    pub const ALL: [GapCause; 4] = [
        GapCause::GeneratorLag,
        GapCause::SlowResponse,
        GapCause::Retries,
        GapCause::Cadence,
    ];

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
    /// A transcript index absurdly far ahead of the position (ignored, position kept).
    AbsurdIndex,
    /// A server-supplied identity field too long to store or to build a request from:
    /// the session ends (chatIds, keys and aliases are capped at
    /// [`MAX_SERVER_STRING`] bytes).
    InvalidIdentity,
}

/// Longest server-supplied string (chatId, userId, secureKey, alias) a session
/// stores; a longer one is an `invalid_identity` violation. Real ones are < 100 bytes.
pub const MAX_SERVER_STRING: usize = 1024;

/// A transcript index more than this far ahead of the position is `absurd_index`
/// (no chat skips a million messages between two polls).
pub const MAX_INDEX_JUMP: u64 = 1 << 20;

impl ViolationKind {
    /// Every kind, in report order (index = `kind as usize`).
    pub const ALL: [ViolationKind; 6] = [
        ViolationKind::Status1ChatEnded,
        ViolationKind::TranscriptHole,
        ViolationKind::TranscriptRepeat,
        ViolationKind::MissingField,
        ViolationKind::AbsurdIndex,
        ViolationKind::InvalidIdentity,
    ];

    /// Report name.
    pub fn as_str(self) -> &'static str {
        match self {
            ViolationKind::Status1ChatEnded => "status1_chat_ended",
            ViolationKind::TranscriptHole => "transcript_hole",
            ViolationKind::TranscriptRepeat => "transcript_repeat",
            ViolationKind::MissingField => "missing_field",
            ViolationKind::AbsurdIndex => "absurd_index",
            ViolationKind::InvalidIdentity => "invalid_identity",
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
