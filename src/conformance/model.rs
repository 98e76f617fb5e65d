//! The one conformance report model (`conformance.json`, pinned by
//! `schema/conformance.schema.json`), rendered by every exporter in `export/`.
//! Evidence is stored already redacted: no secureKey, header value or cookie
//! value ever reaches this model.

use serde::{Deserialize, Serialize};

/// Version of the `conformance.json` layout.
pub const SCHEMA_VERSION: u32 = 1;

/// A rule's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The server keeps the rule.
    Pass,
    /// The server broke the rule (evidence attached).
    Fail,
    /// Legal but unusual (e.g. a timeout other than Genesys's default).
    Warn,
    /// Not testable on this target (the message says why).
    Skip,
}

impl Verdict {
    /// `pass`, `fail`, `warn` or `skip`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Warn => "warn",
            Verdict::Skip => "skip",
        }
    }
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Layout version ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// chatload version that wrote it.
    pub chatload_version: String,
    /// UTC start, RFC 3339.
    pub started_at: String,
    /// Wall time of the suite in seconds.
    pub elapsed_s: f64,
    /// Target base URL (any password removed).
    pub target: String,
    /// `gms-v2` or `webapi`.
    pub dialect: String,
    /// Header names sent on every request (values never reported).
    pub header_names: Vec<String>,
    /// Verdict counts.
    pub counts: Counts,
    /// One entry per rule checked, in catalogue order.
    pub rules: Vec<RuleResult>,
    /// The measured flex-disconnect-timeout.
    pub flex_disconnect_timeout: FlexResult,
    /// Answer times per operation over the suite (informative).
    pub operations: Vec<OperationTimes>,
    /// Ctrl-C stopped the suite: the rules it never reached are `skip` "not run".
    #[serde(default)]
    pub interrupted: bool,
}

impl Report {
    /// True when no rule failed.
    pub fn passed(&self) -> bool {
        self.counts.fail == 0
    }
}

/// How many rules got each verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Rules passed.
    pub pass: u32,
    /// Rules failed.
    pub fail: u32,
    /// Rules with a warning.
    pub warn: u32,
    /// Rules skipped.
    pub skip: u32,
}

/// One rule's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleResult {
    /// Stable id, `dialect.area.rule`.
    pub id: String,
    /// The verdict.
    pub verdict: Verdict,
    /// What a conforming server does.
    pub statement: String,
    /// Where the rule comes from.
    pub source: String,
    /// One line: what was seen (the first failure, the warning or the skip reason).
    pub message: String,
    /// The exchanges that broke the rule (at most a few; empty unless fail or warn).
    pub evidence: Vec<Exchange>,
}

/// One request and its answer, redacted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    /// Common operation name (`poll`, `request_chat`, ...).
    pub operation: String,
    /// The request.
    pub request: RequestRecord,
    /// The answer.
    pub response: ResponseRecord,
}

/// A request as sent (secrets redacted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestRecord {
    /// Always POST for chat operations.
    pub method: String,
    /// Full URL.
    pub url: String,
    /// Content-Type header sent.
    pub content_type: String,
    /// Body, secureKey values replaced by `<redacted>`.
    pub body: String,
}

/// An answer as received (secrets redacted, body cut at 2 KiB).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseRecord {
    /// HTTP status (None: no answer at all).
    pub http_status: Option<u16>,
    /// Content-Type header received.
    pub content_type: Option<String>,
    /// Body text (redacted, cut).
    pub body: Option<String>,
    /// Transport failure kind when there was no answer (`timeout`, `connect`, ...).
    pub error: Option<String>,
    /// Answer time in milliseconds.
    pub elapsed_ms: f64,
}

/// The flex-disconnect-timeout measurement.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FlexResult {
    /// `off`, `quick` or `precise`.
    pub mode: String,
    /// Midpoint of the bracket (None: not measured).
    pub measured_ms: Option<u64>,
    /// Half the bracket width: the true value is within measured ± resolution.
    pub resolution_ms: Option<u64>,
    /// `--flex-disconnect-timeout` as given (None: not given).
    pub configured_ms: Option<u64>,
    /// Longest idle time tried.
    pub cap_ms: u64,
    /// Every idle chat tried.
    pub samples: Vec<FlexSample>,
}

/// One idle chat of the flex probe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlexSample {
    /// Planned idle time.
    pub planned_ms: u64,
    /// Least idle time the server can have seen (poll sent - request answered).
    pub idle_min_ms: u64,
    /// Most idle time the server can have seen (poll answered - request sent).
    pub idle_max_ms: u64,
    /// `alive` (0 / false), `ended` (anything else) or `no-answer`.
    pub state: String,
}

/// Answer times of one operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperationTimes {
    /// Common operation name.
    pub operation: String,
    /// Requests sent.
    pub count: u64,
    /// Fastest answer, ms.
    pub min_ms: f64,
    /// Median answer, ms.
    pub median_ms: f64,
    /// Slowest answer, ms.
    pub max_ms: f64,
}
