//! Run metrics: the only way the session engine reports what happened.
//!
//! Sessions call the `record_*` methods of one shared [`Metrics`] (cheap,
//! `&self`, safe from thousands of tasks; internally sharded recorders that
//! merge with `+=`, no per-request storage). The runner calls [`Metrics::tick`]
//! once a second for the timeline and live progress, and
//! [`Metrics::build_summary`] once at the end (or for abort-on-fail checks).
//!
//! # Layout
//! - `types`: the pinned vocabulary (outcomes, error kinds, gap causes, violations, live stats).
//! - `recorder`: one shard's HDR histograms (µs, 3 significant digits) and counters, `+=`.
//! - `gaps`: the flex-disconnect-timeout judgement, gap buckets, per-session worst gap.
//! - `rows`: compact in-memory sessions.csv rows and end-reason counts.
//! - `interval`: what happened since the last tick (per shard), for the timeline.
//! - `timeline`: per-second points, down-sampled to at most `MAX_POINTS`.
//! - `generator`: lateness/CPU self-check and its verdict.
//! - `summary`: merged recorder + the rest -> [`Summary`].
//!
//! # Invariants
//! - Memory is flat in the number of requests: histograms have fixed size, the
//!   only growth is 8 bytes per session (worst gap), one compact row per ended
//!   session, and the timeline (bounded by down-sampling).
//! - Every request lands in exactly one latency count per view and one outcome bucket.

mod gaps;
mod generator;
pub mod hlog;
mod interval;
pub(crate) mod live;
pub(crate) mod merge;
mod open;
mod profiles;
pub(crate) mod rebuild;
mod recorder;
mod rows;
mod service;
pub(crate) mod stream;
mod summary;
#[cfg(test)]
mod tests;
mod timeline;
mod types;

pub use gaps::{GapObservation, GAP_BUCKETS};
pub use timeline::MAX_POINTS;

use crate::report::model::{SessionRow, SessionRows, Summary, TimelinePoint};
use gaps::{GapClass, GapPolicy, SessionGaps};
use interval::Interval;
use recorder::{micros, Recorder};
use rows::RowStore;
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};
use timeline::Timeline;

pub use types::{
    EndReason, GapCause, LiveStats, Outcome, ProfileIx, RequestRecord, RunEnd, RunFacts,
    SessionEnd, SessionService, TransportErrorKind, ViolationKind, MAX_INDEX_JUMP,
    MAX_SERVER_STRING,
};

/// How many recorder shards per available core. Threads take consecutive slots,
/// so the tokio workers (one per core, started together) each get a shard of
/// their own; the slack covers blocking-pool threads. Each shard costs ~0.4 MB
/// plus ~0.4 MB per operation used, hence the cap.
/// The default service-level target: the share of chats joined within 20 s.
pub const DEFAULT_SERVICE_TARGET: Duration = Duration::from_secs(20);

const SHARDS_PER_CORE: usize = 2;
/// Upper bound on shards (memory on many-core machines).
const MAX_SHARDS: usize = 64;

static NEXT_THREAD_SLOT: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's shard slot, handed out round robin on first use.
    static THREAD_SLOT: Cell<usize> = Cell::new(NEXT_THREAD_SLOT.fetch_add(1, Relaxed));
}

/// Give this thread shard slot `slot`: a session runtime's thread takes its own index, so
/// the runtimes of a run never share a shard (nor its lock).
pub(crate) fn pin_thread_slot(slot: usize) {
    let _ = THREAD_SLOT.try_with(|s| s.set(slot));
}

/// One shard: what it recorded since the last tick and the open timeline interval.
#[derive(Debug)]
struct Shard {
    total: Recorder,
    interval: Interval,
}

/// One shard with its live request counters, aligned to 128 bytes so the
/// counters of two threads' shards never share a cache line (no bouncing).
#[derive(Debug)]
#[repr(align(128))]
struct ShardSlot {
    shard: Mutex<Shard>,
    /// Requests recorded through this shard (live figure).
    requests: AtomicU64,
    /// Errors recorded through this shard (live figure).
    errors: AtomicU64,
}

/// Counters read by the progress bar without taking any lock.
///
/// Every counter (these and the per-shard `requests`/`errors`) uses
/// `Ordering::Relaxed`: each is an independent monotonic tally or gauge that
/// no other memory access synchronises on. A reader may see `requests` one
/// update ahead of `errors`, which a once-a-second progress bar cannot show;
/// totals are exact because `fetch_add` is atomic under any ordering. The
/// final report reads them after the session tasks finished (joining a task is
/// the synchronisation that makes their writes visible).
#[derive(Debug, Default)]
struct LiveCounters {
    started: AtomicU64,
    active: AtomicU64,
    peak_active: AtomicU64,
    flags: AtomicU64,
    last_second_requests: AtomicU64,
    last_second_p99_bits: AtomicU64,
}

/// The timeline and the instant of the last tick.
#[derive(Debug)]
struct TimelineState {
    timeline: Timeline,
    last_tick: Instant,
}

/// What one tick closed: the figures of one interval, for the streamed files and live metrics.
#[derive(Debug)]
pub struct Tick {
    /// Start of the interval since the run's start.
    pub from: Duration,
    /// End of the interval since the run's start.
    pub to: Duration,
    /// The interval's timeline point (`time_utc` not yet filled).
    pub point: TimelinePoint,
    /// Everything recorded in the interval.
    pub(crate) delta: Box<Recorder>,
    /// Sessions that ended in the interval (their rows are taken from
    /// [`Metrics::take_rows`] by the streamed sessions.csv's writer).
    pub ended: u64,
    /// Of those, the sessions that ended failed ([`EndReason::failed`]).
    pub dropped: u64,
    /// Sessions started so far.
    pub started: u64,
    /// Sessions active now.
    pub active: u64,
    /// Most sessions active at once so far.
    pub peak_active: u64,
}

/// Shared run metrics: one per run, behind an `Arc`, written by every session task.
pub struct Metrics {
    start: Instant,
    cpu_at_start: Option<f64>,
    policy: GapPolicy,
    shards: Box<[ShardSlot]>,
    /// Every closed interval merged (the shards hold what came after the last tick).
    merged: Mutex<Recorder>,
    session_gaps: SessionGaps,
    /// Worst idle gap per session (Chat Server's view), judged like a poll gap.
    idle_gaps: SessionGaps,
    rows: Mutex<RowStore>,
    timeline: Mutex<TimelineState>,
    live: LiveCounters,
    /// Open model figures (None in the closed model).
    open: Mutex<Option<open::OpenStats>>,
    service: Mutex<service::ServiceStats>,
    /// The `[[customers]]` profiles' names, by index (empty without profiles).
    profile_names: Mutex<Vec<String>>,
}

impl std::fmt::Debug for Metrics {
    /// A short form: the histograms would print hundreds of kilobytes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("shards", &self.shards.len())
            .field("flex", &self.policy.flex)
            .field("live", &self.live())
            .finish_non_exhaustive()
    }
}

impl SessionRows for Metrics {
    /// Every ended session's row in ordinal order, made one at a time from the compact
    /// records the metrics keep (the rows lock is held meanwhile; the run has ended).
    fn for_each_row(
        &self,
        each: &mut dyn FnMut(&SessionRow) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        lock(&self.rows).for_each_sorted(each)
    }
}

impl Default for Metrics {
    /// Metrics starting now, judged against the default 45 s timeout and 80 % near-miss line.
    fn default() -> Self {
        Metrics::new(Instant::now(), Duration::from_secs(45), 0.8)
    }
}

/// Lock a mutex, recovering the data if a panicking thread poisoned it (counters stay usable).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Metrics {
    /// New metrics for a run starting at `start`, judging gaps against `flex` with `near_miss_fraction`.
    pub fn new(start: Instant, flex: Duration, near_miss_fraction: f64) -> Self {
        Self::with_shards(
            start,
            flex,
            near_miss_fraction,
            generator::cores() as usize * SHARDS_PER_CORE,
        )
    }

    /// Like [`Metrics::new`] with an explicit shard count (at least 1).
    pub fn with_shards(
        start: Instant,
        flex: Duration,
        near_miss_fraction: f64,
        shards: usize,
    ) -> Self {
        let shards = (0..shards.clamp(1, MAX_SHARDS))
            .map(|_| ShardSlot {
                shard: Mutex::new(Shard {
                    total: Recorder::new(),
                    interval: Interval::new(),
                }),
                requests: AtomicU64::new(0),
                errors: AtomicU64::new(0),
            })
            .collect();
        Metrics {
            start,
            cpu_at_start: generator::process_cpu_seconds(),
            policy: GapPolicy::new(flex, near_miss_fraction),
            shards,
            merged: Mutex::new(Recorder::new()),
            session_gaps: SessionGaps::default(),
            idle_gaps: SessionGaps::default(),
            rows: Mutex::new(RowStore::default()),
            timeline: Mutex::new(TimelineState {
                timeline: Timeline::default(),
                last_tick: start,
            }),
            live: LiveCounters::default(),
            open: Mutex::new(None),
            service: Mutex::new(service::ServiceStats::new(DEFAULT_SERVICE_TARGET)),
            profile_names: Mutex::new(Vec::new()),
        }
    }

    /// This thread's shard slot.
    fn slot(&self) -> &ShardSlot {
        let slot = THREAD_SLOT.try_with(Cell::get).unwrap_or(0);
        &self.shards[slot % self.shards.len()]
    }

    /// This thread's shard, locked.
    fn shard(&self) -> MutexGuard<'_, Shard> {
        lock(&self.slot().shard)
    }

    /// Record one finished request.
    pub fn record_request(&self, r: &RequestRecord) {
        let corrected = micros(r.done.saturating_duration_since(r.intended));
        let service = micros(r.done.saturating_duration_since(r.sent));
        let is_error = recorder::is_error(&r.outcome);
        let slot = self.slot();
        {
            let mut shard = lock(&slot.shard);
            let total = &mut shard.total;
            total.record_request(r.operation, corrected, service, &r.outcome, is_error);
            if let Some(p) = r.profile {
                total.profile_mut(usize::from(p)).record_request(
                    r.operation,
                    corrected,
                    service,
                    &r.outcome,
                    is_error,
                );
            }
            shard.interval.record_request(corrected, is_error);
        }
        slot.requests.fetch_add(1, Relaxed);
        if is_error {
            slot.errors.fetch_add(1, Relaxed);
        }
    }

    /// Record how late a send left relative to its intended instant.
    pub fn record_lateness(&self, lateness: Duration) {
        self.shard().total.record_lateness(micros(lateness));
    }

    /// Judge one poll gap of `session` (of `profile`) as the session observed it: its
    /// cause and class. True when the gap is above flex-disconnect-timeout.
    pub fn observe_gap(&self, session: u64, profile: ProfileIx, o: &GapObservation) -> bool {
        let cause = o.cause(self.policy.near);
        self.gap(session, profile, o.gap(), cause)
    }

    /// Record one poll gap of `session` with its cause (the cause only counts above the
    /// near-miss line). True when the gap is above flex-disconnect-timeout.
    ///
    /// `session` is the session's ordinal, the same number as its [`SessionRow::ordinal`].
    pub fn record_gap(&self, session: u64, gap: Duration, cause: GapCause) -> bool {
        self.gap(session, None, gap, cause)
    }

    /// [`Metrics::record_gap`] for a session of `profile`.
    fn gap(&self, session: u64, profile: ProfileIx, gap: Duration, cause: GapCause) -> bool {
        let class = self.policy.classify(gap);
        let gap_us = micros(gap);
        let bucket = self.policy.bucket(gap_us);
        {
            let mut shard = self.shard();
            shard.total.gaps.record(gap_us, bucket, class, cause);
            if let Some(p) = profile {
                let p = shard.total.profile_mut(usize::from(p));
                p.gaps.record(gap_us, bucket, class, cause);
            }
            if class == GapClass::Flagged {
                shard.interval.flags_by_cause[cause as usize] += 1;
            }
        }
        self.session_gaps.record(session, gap, class, cause);
        if class == GapClass::Flagged {
            self.live.flags.fetch_add(1, Relaxed);
        }
        class == GapClass::Flagged
    }

    /// Judge one idle gap of `session` (Chat Server's view: from the last request the server
    /// took to the next send of any kind). True when it is above flex-disconnect-timeout:
    /// Chat Server would have dropped the chat.
    pub fn observe_idle(&self, session: u64, gap: Duration) -> bool {
        let class = self.policy.classify(gap);
        self.idle_gaps
            .record(session, gap, GapClass::Normal, GapCause::Cadence);
        class == GapClass::Flagged
    }

    /// Record a protocol violation seen by a session of `profile`.
    pub fn record_violation(&self, profile: ProfileIx, kind: ViolationKind) {
        self.record_violations(profile, kind, 1);
    }

    /// Record `n` protocol violations of one kind (the count saturates).
    pub fn record_violations(&self, profile: ProfileIx, kind: ViolationKind, n: u64) {
        let mut shard = self.shard();
        let count = &mut shard.total.violations[kind as usize];
        *count = count.saturating_add(n);
        if let Some(p) = profile {
            let count = &mut shard.total.profile_mut(usize::from(p)).violations[kind as usize];
            *count = count.saturating_add(n);
        }
    }

    /// This is an open run offering `offered_rate` arrivals per second on average.
    pub fn open_model(&self, offered_rate: f64) {
        *lock(&self.open) = Some(open::OpenStats::new(offered_rate));
    }

    /// One planned arrival of the open model, handled `lateness` after its instant;
    /// `dropped` when the concurrency cap was full (no session started).
    pub fn arrival(&self, lateness: Duration, dropped: bool) {
        if let Some(o) = lock(&self.open).as_mut() {
            o.arrival(lateness, dropped);
        }
    }

    /// A session of the open model ended after `lifetime` (request chat to its end).
    pub fn open_session_ended(&self, lifetime: Duration) {
        if let Some(o) = lock(&self.open).as_mut() {
            o.chat_ended(lifetime);
        }
    }

    /// The run's `[[customers]]` profiles, by index (the [`ProfileIx`] of the records):
    /// each gets an entry in `summary.profiles`.
    pub fn profiles(&self, names: Vec<String>) {
        *lock(&self.profile_names) = names;
    }

    /// Judge the service level against `target` (default [`DEFAULT_SERVICE_TARGET`]).
    pub fn service_target(&self, target: Duration) {
        *lock(&self.service) = service::ServiceStats::new(target);
    }

    /// An agent joined a session whose customer waited `wait` (request chat to the answer).
    pub fn agent_joined(&self, wait: Duration) {
        lock(&self.service).joined(wait);
    }

    /// A customer lost patience after waiting `wait` (request chat to leaving).
    pub fn abandoned(&self, wait: Duration) {
        lock(&self.service).abandoned(wait);
    }

    /// An established session ended before an agent joined.
    pub fn never_joined(&self) {
        lock(&self.service).never_joined();
    }

    /// The agent's first message came `after` the customer's first one.
    pub fn agent_first_response(&self, after: Duration) {
        lock(&self.service).first_response(after);
    }

    /// An agent message came `after` the oldest customer message it answers.
    pub fn agent_response(&self, after: Duration) {
        lock(&self.service).response(after);
    }

    /// A session started (request_chat about to be sent).
    pub fn session_started(&self) {
        self.live.started.fetch_add(1, Relaxed);
        let active = self.live.active.fetch_add(1, Relaxed) + 1;
        self.live.peak_active.fetch_max(active, Relaxed);
    }

    /// A session ended; returns its sessions.csv row, whose gap fields (`max_gap_ms`,
    /// `flagged`, `near_miss`, `cause`, `max_idle_ms`, `idle_over_flex`) are judged from
    /// the gaps recorded for it.
    pub fn session_ended(&self, end: SessionEnd) -> SessionRow {
        let _ = self
            .live
            .active
            .fetch_update(Relaxed, Relaxed, |a| Some(a.saturating_sub(1)));
        let worst = self.session_gaps.get(end.ordinal);
        let idle = self.idle_gaps.get(end.ordinal).gap;
        lock(&self.rows).push(end, (worst, idle), &self.policy)
    }

    /// Close the current one-second timeline interval (call once a second): the shards'
    /// figures since the last tick are merged into the run's total and returned with the
    /// interval's timeline point and the count of the sessions that ended meanwhile.
    pub fn tick(&self, now: Instant) -> Tick {
        let mut acc = Interval::new();
        let mut delta = Recorder::new();
        for slot in self.shards.iter() {
            let fresh = Recorder::new();
            // Both under one lock, so the timeline point and the delta count the same requests.
            let taken = {
                let mut shard = lock(&slot.shard);
                acc += &shard.interval;
                shard.interval.reset();
                std::mem::replace(&mut shard.total, fresh)
            };
            delta += &taken;
        }
        *lock(&self.merged) += &delta;
        let (ended, dropped) = lock(&self.rows).interval_counts();
        let mut state = lock(&self.timeline);
        let mut point = self.point(&acc, state.last_tick);
        point.dropped = lock(&self.open)
            .as_mut()
            .map_or(0, |o| o.interval_dropped());
        lock(&self.service).interval_into(&mut point, true);
        let from = state.last_tick.saturating_duration_since(self.start);
        state.last_tick = now;
        self.live
            .last_second_requests
            .store(point.requests, Relaxed);
        self.live
            .last_second_p99_bits
            .store(point.p99_ms.to_bits(), Relaxed);
        state.timeline.push_second(point.clone());
        Tick {
            from,
            to: now.saturating_duration_since(self.start),
            point,
            delta: Box::new(delta),
            ended,
            dropped,
            started: self.live.started.load(Relaxed),
            active: self.live.active.load(Relaxed),
            peak_active: self.live.peak_active.load(Relaxed),
        }
    }

    /// The shards' open intervals merged; emptied when `reset`.
    fn open_interval(&self, reset: bool) -> Interval {
        let mut acc = Interval::new();
        for slot in self.shards.iter() {
            let mut shard = lock(&slot.shard);
            acc += &shard.interval;
            if reset {
                shard.interval.reset();
            }
        }
        acc
    }

    /// The timeline point of interval `acc`, which began at `from`.
    fn point(&self, acc: &Interval, from: Instant) -> TimelinePoint {
        let t_s = from
            .saturating_duration_since(self.start)
            .as_secs_f64()
            .round() as u64;
        TimelinePoint {
            t_s,
            time_utc: String::new(),
            requests: acc.requests,
            errors: acc.errors,
            p50_ms: recorder::quantile_ms(&acc.latency, 0.5),
            p99_ms: recorder::quantile_ms(&acc.latency, 0.99),
            active_sessions: self.live.active.load(Relaxed),
            flags_total: self.live.flags.load(Relaxed),
            flags_by_cause: gaps::cause_map(&acc.flags_by_cause),
            ..TimelinePoint::default()
        }
    }

    /// The timeline including the interval still open (so its requests add up to the total).
    fn timeline_snapshot(&self) -> (Vec<TimelinePoint>, u64) {
        let open = self.open_interval(false);
        let dropped = lock(&self.open).as_ref().map_or(0, |o| o.open_dropped());
        let state = lock(&self.timeline);
        let mut point = self.point(&open, state.last_tick);
        point.dropped = dropped;
        let chats = lock(&self.service).interval_into(&mut point, false);
        if open.requests == 0
            && open.flags_by_cause.iter().all(|&n| n == 0)
            && dropped == 0
            && !chats
        {
            return state.timeline.snapshot();
        }
        let mut timeline = state.timeline.clone();
        timeline.push_second(point);
        timeline.snapshot()
    }

    /// Cheap live figures for the progress bar and abort checks.
    pub fn live(&self) -> LiveStats {
        LiveStats {
            requests: self.shards.iter().map(|s| s.requests.load(Relaxed)).sum(),
            errors: self.shards.iter().map(|s| s.errors.load(Relaxed)).sum(),
            active_sessions: self.live.active.load(Relaxed),
            flags: self.live.flags.load(Relaxed),
            last_second_requests: self.live.last_second_requests.load(Relaxed),
            last_second_p99_ms: f64::from_bits(self.live.last_second_p99_bits.load(Relaxed)),
        }
    }

    /// Up to `max` ended sessions' rows that no call took yet, in end order (the streamed
    /// sessions.csv takes them a batch at a time; empty once all were taken).
    pub(crate) fn take_rows(&self, max: usize) -> Vec<SessionRow> {
        lock(&self.rows).take_batch(max)
    }

    /// All ended sessions' rows, sorted by ordinal, as one list (sessions.csv is written
    /// through [`SessionRows`] instead, without this copy).
    pub fn session_rows(&self) -> Vec<SessionRow> {
        lock(&self.rows).rows()
    }

    /// Build the report model from everything recorded so far and the run's `facts`.
    pub fn build_summary(&self, facts: RunFacts<'_>) -> Summary {
        let facts_elapsed = facts.elapsed;
        let mut total = lock(&self.merged).clone();
        for slot in self.shards.iter() {
            total += &lock(&slot.shard).total;
        }
        let (timeline, timeline_step_s) = self.timeline_snapshot();
        let (flagged, near_miss) = self.session_gaps.count(&self.policy);
        let (idle_over_flex, _) = self.idle_gaps.count(&self.policy);
        let service = lock(&self.service);
        let names = lock(&self.profile_names);
        let has_profiles = lock(&self.rows).has_profiles();
        let profiles = if has_profiles || !names.is_empty() {
            // The rows one at a time, from the store (it locks them meanwhile).
            profiles::build(&profiles::Inputs {
                rows: self,
                target: Some(service.target()),
                names: &names,
                total: &total,
                policy: &self.policy,
                elapsed: facts_elapsed,
            })
        } else {
            Default::default()
        };
        let rows = lock(&self.rows);
        summary::build(summary::Inputs {
            facts,
            cpu_seconds: generator::cpu_used_since(self.cpu_at_start),
            policy: &self.policy,
            total: &total,
            rows: &rows,
            started: self.live.started.load(Relaxed),
            peak_active: self.live.peak_active.load(Relaxed),
            flagged_sessions: flagged,
            near_miss_sessions: near_miss,
            idle_over_flex_sessions: idle_over_flex,
            timeline,
            timeline_step_s,
            open_model: lock(&self.open).as_ref().map(|o| o.report(facts_elapsed)),
            service_level: service.report(),
            profiles,
        })
    }
}
