//! The one report model of a run: `summary.json` is this type serialised.
//!
//! The load engine builds a [`Summary`] once from its merged metrics; every
//! exporter (text, JSON, CSV, HTML, JUnit) and the CI gates only read it.
//! Exporters never compute statistics of their own. The JSON form is a
//! published contract pinned by `schema/summary.schema.json`; bump
//! [`SCHEMA_VERSION`] on any incompatible change.
//!
//! Units are in the field names (`_ms`, `_s`). Latencies are milliseconds as
//! `f64` (microsecond resolution from the HDR histograms).

use super::vocab::{EndReason, GapCause, GeneratorVerdict, RunEnd};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the `summary.json` contract.
pub const SCHEMA_VERSION: u32 = 2;

/// Everything a finished (or interrupted) run reports.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Contract version, [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// chatload version that wrote it.
    pub chatload_version: String,
    /// What was run.
    pub scenario: ScenarioInfo,
    /// Run timing and how it ended.
    pub run: RunInfo,
    /// Request counts.
    pub requests: Requests,
    /// Latency from the intended send instant (coordinated-omission corrected), per operation.
    pub latency_ms: BTreeMap<String, LatencyStats>,
    /// Latency from the actual send instant (service time), per operation.
    pub service_time_ms: BTreeMap<String, LatencyStats>,
    /// Outcome counts per (operation, HTTP status, statusCode, chatEnded).
    pub outcomes: Vec<OutcomeCount>,
    /// Transport failures by kind (`timeout`, `connect`, `reset`, `invalid_json`, `wrong_types`,
    /// `missing_status_code`, `body_too_large`, `http_status`, `other`, `tls`).
    pub transport_errors: BTreeMap<String, u64>,
    /// The first distinct reasons of some transport kinds (`tls`: e.g. `invalid peer
    /// certificate: UnknownIssuer`); absent when there were none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub transport_error_samples: BTreeMap<String, Vec<String>>,
    /// Session lifecycle counts.
    pub sessions: Sessions,
    /// Poll-gap analysis against flex-disconnect-timeout.
    pub gaps: Gaps,
    /// Protocol violations of the server by kind (`status1_chat_ended`, `transcript_hole`,
    /// `transcript_repeat`, ...). Every kind is present, zero when not seen.
    pub violations: BTreeMap<String, u64>,
    /// Load generator self-check.
    pub generator: Generator,
    /// Per-second timeline (down-sampled for long runs; see `timeline_step_s`).
    pub timeline: Vec<TimelinePoint>,
    /// Seconds covered by one timeline point (1 unless down-sampled).
    pub timeline_step_s: u64,
    /// Percentile distribution per operation, for HdrHistogram-style plots.
    pub percentile_curves: BTreeMap<String, PercentileCurves>,
    /// Full HDR histograms per operation (both views), mergeable by other programs
    /// (schema 2; absent in schema 1 files).
    #[serde(default)]
    pub histograms: BTreeMap<String, EncodedHistograms>,
    /// Poll-gap histogram buckets (for the gap distribution chart).
    pub gap_histogram: Vec<GapBucket>,
    /// The worst sessions by max gap (at most 50), worst first.
    pub worst_sessions: Vec<SessionRow>,
    /// Threshold results, when thresholds were given (empty otherwise).
    #[serde(default)]
    pub thresholds: Vec<ThresholdResult>,
    /// True when a threshold with abort-on-fail stopped the run early.
    #[serde(default)]
    pub aborted_by_threshold: bool,
    /// Open model: Little's law figures and arrival lateness (absent in the closed model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_model: Option<OpenModel>,
    /// Service level seen from the customer (absent when no chat was established).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_level: Option<ServiceLevel>,
    /// Per `[[customers]]` profile, from its sessions (absent without profiles).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub profiles: BTreeMap<String, ProfileFigures>,
}

/// One `[[customers]]` profile's figures, from the rows of its ended sessions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProfileFigures {
    /// Its ended sessions.
    pub sessions: u64,
    /// Of those, established (request chat succeeded).
    pub established: u64,
    /// Sessions with a poll gap above flex-disconnect-timeout.
    pub flagged: u64,
    /// Sessions with a near miss (and no flagged gap).
    pub near_miss: u64,
    /// The largest poll gap of its sessions.
    pub max_gap_ms: f64,
    /// Its sessions by end reason.
    pub end_reasons: BTreeMap<String, u64>,
    /// Its service level (no per-message response times: they are not per session);
    /// absent when none of its chats was established.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_level: Option<ServiceLevel>,
    /// Its requests (the same shape as the run's `requests`).
    #[serde(default)]
    pub requests: Requests,
    /// Its latency per operation, corrected (the same shape as the run's `latency_ms`).
    #[serde(default)]
    pub latency_ms: BTreeMap<String, LatencyStats>,
    /// Its service time per operation (the same shape as the run's `service_time_ms`).
    #[serde(default)]
    pub service_time_ms: BTreeMap<String, LatencyStats>,
    /// Its outcome distribution (the same shape as the run's `outcomes`).
    #[serde(default)]
    pub outcomes: Vec<OutcomeCount>,
    /// Its transport failures by kind.
    #[serde(default)]
    pub transport_errors: BTreeMap<String, u64>,
    /// Its poll gaps (the same shape as the run's `gaps`).
    #[serde(default)]
    pub gaps: Gaps,
    /// Its protocol violations by kind.
    #[serde(default)]
    pub violations: BTreeMap<String, u64>,
}

impl Summary {
    /// All protocol violations (saturating: a hostile transcript index can make one count huge).
    pub fn violations_total(&self) -> u64 {
        sum_saturating(&self.violations)
    }
}

impl ProfileFigures {
    /// All of the profile's protocol violations (saturating, like the run's).
    pub fn violations_total(&self) -> u64 {
        sum_saturating(&self.violations)
    }
}

/// The sum of a map's counts, saturating.
fn sum_saturating(counts: &BTreeMap<String, u64>) -> u64 {
    counts.values().fold(0, |a, n| a.saturating_add(*n))
}

/// What was run, against what.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScenarioInfo {
    /// Scenario name (file stem or `name` field).
    pub name: String,
    /// `gms-v2` or `webapi`.
    pub dialect: String,
    /// Base URL of the target (`embedded` runs show the loopback URL of the embedded server).
    pub target: String,
    /// True when the target was the embedded reference server.
    pub embedded_server: bool,
    /// Planned number of sessions.
    pub sessions: u64,
    /// Planned duration in seconds.
    pub duration_s: f64,
    /// The flex-disconnect-timeout the gaps are judged against.
    pub flex_disconnect_timeout_ms: u64,
    /// Poll interval of the customer script.
    pub poll_interval_ms: u64,
    /// Random seed used.
    pub seed: u64,
    /// Names (lower case) of the custom headers sent on every request; never their values.
    #[serde(default)]
    pub header_names: Vec<String>,
    /// Hash of what the shards of one run share (plan before the split, script, target,
    /// thresholds); `chatload merge` combines only runs with equal hashes. Empty in older files.
    #[serde(default)]
    pub scenario_hash: String,
    /// The shard this run was (null = the whole plan).
    #[serde(default)]
    pub shard: Option<ShardInfo>,
    /// How the target was reached: TLS, HTTP version, proxy, cookies, customer data.
    #[serde(flatten)]
    pub reach: ReachInfo,
}

/// One shard of a sharded run (`--shard I/N`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardInfo {
    /// 1-based shard number.
    pub index: u32,
    /// Number of shards of the run.
    pub count: u32,
}

/// How the target was reached (`scenario.tls`, `.http`, `.proxy`, `.cookies`, `.customers`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReachInfo {
    /// TLS of an https target (absent for http targets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsInfo>,
    /// HTTP versions asked for and answered with.
    #[serde(default)]
    pub http: HttpInfo,
    /// The proxy requests went through (`scheme://host:port`, never credentials); absent = direct.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<String>,
    /// True when each customer kept its own cookie jar.
    #[serde(default)]
    pub cookies: bool,
    /// The customers file, when one was used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customers: Option<CustomersInfo>,
}

/// TLS settings of a run against an https target.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TlsInfo {
    /// True when the server's certificate was NOT verified (`--insecure`).
    pub insecure: bool,
    /// Extra CA file trusted (`--cacert`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
    /// Client certificate file of mutual TLS (the key is never recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_cert: Option<String>,
    /// Name the certificate was checked against instead of the URL's host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
}

/// HTTP versions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HttpInfo {
    /// True when HTTP/2 was offered by ALPN (`--http2`).
    pub http2_offered: bool,
    /// Versions of the answers received, e.g. `["HTTP/2"]` (empty when none arrived).
    pub versions: Vec<String>,
}

/// The customers file of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomersInfo {
    /// File name as given.
    pub file: String,
    /// Rows (customers) in it.
    pub rows: u64,
    /// `sequential` or `random`.
    pub order: String,
}

/// When the run happened and how it ended.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// Start, RFC 3339 UTC.
    pub started_at: String,
    /// Wall-clock seconds the run took (including drain).
    pub elapsed_s: f64,
    /// `completed`, `interrupted` (Ctrl-C/SIGTERM) or `aborted` (threshold abort-on-fail).
    pub end: RunEnd,
}

/// Request counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Requests {
    /// All requests sent (including retries and failed ones).
    pub total: u64,
    /// Requests per operation name.
    pub by_operation: BTreeMap<String, u64>,
    /// Requests that failed: transport errors plus statusCode 1/2 plus non-2xx HTTP.
    pub errors: u64,
    /// `errors / total` (0 when total is 0).
    pub error_rate: f64,
    /// `total / elapsed` requests per second.
    pub rate_per_s: f64,
}

/// One latency distribution summary (milliseconds).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencyStats {
    /// Number of recorded values.
    pub count: u64,
    /// Minimum.
    pub min: f64,
    /// Mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// 99.99th percentile.
    pub p9999: f64,
    /// Maximum.
    pub max: f64,
}

/// One outcome bucket.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OutcomeCount {
    /// Operation name.
    pub operation: String,
    /// HTTP status (0 when no HTTP response arrived).
    pub http_status: u16,
    /// Protocol statusCode (None when the body had none).
    pub status_code: Option<u8>,
    /// chatEnded (None when absent).
    pub chat_ended: Option<bool>,
    /// How many responses fell in this bucket.
    pub count: u64,
}

/// Session lifecycle counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Sessions {
    /// Sessions that were started (request_chat sent).
    pub started: u64,
    /// Sessions whose chat was established and that ended normally (any party).
    pub completed: u64,
    /// Sessions whose request chat never succeeded (not `completed`, whatever ended them).
    #[serde(default)]
    pub never_started: u64,
    /// Ended by the client: its disconnect / Complete was answered statusCode 0 (the
    /// server's `ended_by_client`), including sessions disconnected at the planned end
    /// (end reason `run_ended`) or by Ctrl-C.
    pub ended_by_client: u64,
    /// Ended by the server (0/true from the agent side, or statusCode 2).
    pub ended_by_server: u64,
    /// Failed: never established, gave up after retries, or ended by statusCode 2.
    pub failed: u64,
    /// Sessions with at least one gap above flex-disconnect-timeout.
    pub flagged: u64,
    /// Sessions with a gap above the near-miss fraction but none above the timeout.
    pub near_miss: u64,
    /// Sessions whose chat went without any request for longer than flex-disconnect-timeout
    /// (Chat Server's rule: the chat would have been dropped), see [`SessionRow::max_idle_ms`].
    #[serde(default)]
    pub idle_over_flex: u64,
    /// Sessions the server actually expired (statusCode 2 / chatEnded true / 249 after such a
    /// silence), whether seen by a request in the run or by the disconnect.
    #[serde(default)]
    pub expired: u64,
    /// `flagged / started`.
    pub flagged_rate: f64,
    /// `near_miss / started`.
    pub near_miss_rate: f64,
    /// Peak number of concurrently active sessions.
    pub peak_active: u64,
    /// Open model: arrivals the plan offered (absent in the closed model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrivals_planned: Option<u64>,
    /// Open model: arrivals not started because the concurrency cap was full.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dropped: Option<u64>,
}

/// The open model's Little's law block: did the server keep up with the offered load?
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OpenModel {
    /// Mean arrivals per second the plan offered.
    pub offered_rate_per_s: f64,
    /// Arrivals the plan offered so far.
    pub arrivals_planned: u64,
    /// Arrivals dropped at the concurrency cap.
    pub dropped: u64,
    /// `dropped / arrivals_planned`.
    pub drop_rate: f64,
    /// Mean length of the sessions that ran (request chat to end), seconds.
    pub mean_chat_length_s: f64,
    /// Little's law: offered rate × mean chat length.
    pub expected_concurrency: f64,
    /// Time-averaged number of active sessions over the run.
    pub measured_concurrency: f64,
    /// How late the spawner handled each planned arrival (generator self-check).
    pub arrival_lateness_ms: LatenessStats,
}

/// How long customers waited for an agent: queue wait, ASA, the service level.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceLevel {
    /// Established chats an agent joined.
    pub joined: u64,
    /// Chats whose customer lost patience before an agent joined (and disconnected).
    pub abandoned: u64,
    /// Established chats that ended otherwise before an agent joined.
    pub never_joined: u64,
    /// Average speed of answer: mean queue wait of the joined chats.
    pub asa_ms: f64,
    /// The service-level target (`service_level_target`).
    pub target_ms: u64,
    /// Share of established chats joined within the target (abandoned ones count against it).
    pub within_target_rate: f64,
    /// Request chat to the poll answer that brought the agent's `ParticipantJoined`.
    pub queue_wait_ms: LatencyStats,
    /// Request chat to the instant an abandoned chat's customer lost patience.
    #[serde(default)]
    pub abandoned_wait_ms: LatencyStats,
    /// The customer's first accepted message to the poll answer with the agent's first message.
    pub first_response_ms: LatencyStats,
    /// Agent response time per message: the oldest customer message not yet answered to
    /// the poll answer that brought the agent's next message (one per agent reply).
    #[serde(default)]
    pub response_ms: LatencyStats,
}

/// Poll-gap analysis.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Gaps {
    /// The timeout the gaps are judged against.
    pub flex_disconnect_timeout_ms: u64,
    /// Near-miss fraction of the timeout (0.8 by default).
    pub near_miss_fraction: f64,
    /// Number of gaps measured.
    pub count: u64,
    /// Largest gap.
    pub max_ms: f64,
    /// 99th percentile gap.
    pub p99_ms: f64,
    /// Median gap.
    pub p50_ms: f64,
    /// Flagged gaps by cause (`generator_lag`, `slow_response`, `retries`, `cadence`); every cause present.
    pub flagged_by_cause: BTreeMap<String, u64>,
}

/// Load generator self-check.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Generator {
    /// How late sends left relative to their intended instant.
    pub schedule_lateness_ms: LatenessStats,
    /// Process CPU use over the run, percent of one core.
    pub cpu_percent: f64,
    /// Number of cores available.
    pub cores: u64,
    /// `ok` or `overloaded`.
    pub verdict: GeneratorVerdict,
    /// Why the verdict was given.
    pub reason: String,
    /// A merged run (`chatload merge`): each shard's own verdict; the verdict above is the
    /// worst of them. Empty for a single run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shards: Vec<ShardGenerator>,
    /// Requests sent again, once, because the pooled connection they were given
    /// closed before they were written (never target errors; absent while zero).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub stale_connection: u64,
}

/// One shard's generator self-check, kept by `chatload merge`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ShardGenerator {
    /// 1-based shard number.
    pub index: u32,
    /// That shard's verdict.
    pub verdict: GeneratorVerdict,
    /// Why.
    pub reason: String,
    /// That shard's p99 schedule lateness.
    pub lateness_p99_ms: f64,
    /// That shard's CPU use, percent of one core.
    pub cpu_percent: f64,
}

/// Scheduling lateness summary.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LatenessStats {
    /// Median lateness.
    pub p50: f64,
    /// 99th percentile lateness.
    pub p99: f64,
    /// Maximum lateness.
    pub max: f64,
}

/// One point of the timeline.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TimelinePoint {
    /// Seconds since start (start of the interval).
    pub t_s: u64,
    /// The same instant as UTC wall-clock time, RFC 3339 (absent in schema 1 files).
    #[serde(default)]
    pub time_utc: String,
    /// Requests completed in the interval.
    pub requests: u64,
    /// Failed requests in the interval.
    pub errors: u64,
    /// Median latency (corrected view, all operations) in the interval.
    pub p50_ms: f64,
    /// 99th percentile latency (corrected view) in the interval.
    pub p99_ms: f64,
    /// Active sessions at the end of the interval.
    pub active_sessions: u64,
    /// Flagged gaps so far (cumulative).
    pub flags_total: u64,
    /// Flagged gaps in this interval by cause.
    pub flags_by_cause: BTreeMap<String, u64>,
    /// Open model: arrivals dropped at the concurrency cap in the interval.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub dropped: u64,
    /// Service level: chats an agent joined in the interval (by when the customer saw it).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub joined: u64,
    /// Of `joined`, those whose queue wait was within the service-level target.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub joined_within_target: u64,
    /// Chats whose customer lost patience in the interval.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub abandoned: u64,
    /// Longest queue wait of the chats joined or abandoned in the interval (ms).
    #[serde(default, skip_serializing_if = "is_zero_f64")]
    pub queue_wait_max_ms: f64,
}

impl TimelinePoint {
    /// Service level of the chats joined or abandoned in the interval: joined within
    /// the target of joined + abandoned (None when there was none). The run's
    /// `within_target_rate` also counts never-joined chats, which have no interval.
    pub fn service_level(&self) -> Option<f64> {
        let chats = self.joined + self.abandoned;
        (chats > 0).then(|| self.joined_within_target as f64 / chats as f64)
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn is_zero_f64(n: &f64) -> bool {
    *n == 0.0
}

/// Both latency views of one operation as full histograms: each is the base64 of the
/// HdrHistogram compressed V2 encoding (values in µs, 1 µs ..= 1 h, 3 significant
/// digits), the same encoding as the histograms of latency.hlog.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EncodedHistograms {
    /// Corrected latency (from the intended instant).
    pub corrected: String,
    /// Service time (from the actual send).
    pub service_time: String,
}

/// Percentile curves of one operation, both views.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PercentileCurves {
    /// Corrected (from intended instant).
    pub corrected: Vec<PercentilePoint>,
    /// Service time (from actual send).
    pub service_time: Vec<PercentilePoint>,
}

/// One point of a percentile curve.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PercentilePoint {
    /// Percentile (0..100).
    pub percentile: f64,
    /// Value at that percentile.
    pub value_ms: f64,
}

/// One bucket of the poll-gap histogram.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GapBucket {
    /// Lower edge (inclusive).
    pub from_ms: f64,
    /// Upper edge (exclusive).
    pub to_ms: f64,
    /// Gaps in the bucket.
    pub count: u64,
}

/// One row of `sessions.csv` (also used for the worst-sessions table).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionRow {
    /// Session ordinal (0-based, in start order).
    pub ordinal: u64,
    /// Chat id assigned by the server (empty when never established).
    pub chat_id: String,
    /// Polls sent.
    pub polls: u64,
    /// Largest poll gap.
    pub max_gap_ms: f64,
    /// A gap exceeded flex-disconnect-timeout.
    pub flagged: bool,
    /// A gap exceeded the near-miss fraction (and none the timeout).
    pub near_miss: bool,
    /// Cause of the worst flagged/near-miss gap (written empty when neither).
    #[serde(with = "super::vocab::cause_or_empty")]
    pub cause: Option<GapCause>,
    /// How the session ended (`client_disconnect`, `agent_ended`, `server_fatal`, `expired`,
    /// `retries_exhausted`, `request_failed`, `interrupted`, `run_ended`).
    pub end_reason: EndReason,
    /// Longest time the chat went without a request the server took (Chat Server's view:
    /// from a request answered statusCode 0, or still in flight, to the next send of any kind).
    #[serde(default)]
    pub max_idle_ms: f64,
    /// `max_idle_ms` passed flex-disconnect-timeout: Chat Server would have dropped the chat.
    #[serde(default)]
    pub idle_over_flex: bool,
    /// The server did drop it: a statusCode 2 / chatEnded true / 249 answer after such a silence.
    #[serde(default)]
    pub expired: bool,
    /// Request chat to the poll answer with the agent's join, or to the customer giving up
    /// when `abandoned` (empty: neither).
    #[serde(default)]
    pub queue_wait_ms: Option<f64>,
    /// First message to the poll answer with the agent's first message (empty: none).
    #[serde(default)]
    pub first_response_ms: Option<f64>,
    /// The customer lost patience before an agent joined (`service_level.abandoned`).
    #[serde(default)]
    pub abandoned: bool,
    /// The session's `[[customers]]` profile (empty without profiles).
    #[serde(default)]
    pub profile: String,
}

/// The rows of `sessions.csv`, handed to its exporter one at a time in ordinal order: a
/// run's metrics give them straight from their own per-session records, so writing the
/// file keeps no second copy of every row (issue 15). A list of rows (a rebuilt or merged
/// run, a test) is one too.
pub trait SessionRows {
    /// Call `each` with every row in ordinal order; stops at, and returns, its first error.
    fn for_each_row(
        &self,
        each: &mut dyn FnMut(&SessionRow) -> std::io::Result<()>,
    ) -> std::io::Result<()>;
}

impl SessionRows for [SessionRow] {
    /// The rows in the list's order (the caller's lists are in ordinal order).
    fn for_each_row(
        &self,
        each: &mut dyn FnMut(&SessionRow) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        self.iter().try_for_each(each)
    }
}

impl SessionRows for Vec<SessionRow> {
    fn for_each_row(
        &self,
        each: &mut dyn FnMut(&SessionRow) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        self.as_slice().for_each_row(each)
    }
}

/// Result of one threshold (filled by the gates).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ThresholdResult {
    /// The expression as written.
    pub expression: String,
    /// The metric's observed value (None when unavailable).
    pub observed: Option<f64>,
    /// Human-readable observed value with unit.
    pub observed_display: String,
    /// Whether the threshold held.
    pub passed: bool,
}
