//! The streamed run folder: results written while the run goes, so a run killed at any
//! moment (`kill -9`, OOM, a CI timeout) keeps all but its last interval.
//!
//! | file | what | when |
//! | --- | --- | --- |
//! | latency.hlog | HdrHistogram interval log ([`super::hlog`]) | each `--log-interval` |
//! | events.jsonl | a header line, then one [`EventLine`] per interval | each `--log-interval` |
//! | sessions.csv | one row per ended session, in end order | each tick (1 s) |
//!
//! One writer thread owns the files: the runner's once-a-second [`Tick`] (the per-interval
//! merge of the shards) is sent to it over a channel, so no request waits on a disk. Each
//! write is flushed. The first write error stops the writer and is reported once by
//! [`Streamer::failure`]; the runner then stops the run. At a normal end the final reports
//! replace sessions.csv (sorted) and add summary.json; [`super::rebuild`] reads these files
//! back when summary.json never came.

use super::gaps::cause_map;
use super::hlog;
use super::recorder::{quantile_ms, Recorder};
use super::summary::wall_clock;
use super::{Metrics, Tick};
use crate::protocol::Operation;
use crate::report::model::{OutcomeCount, ScenarioInfo, TimelinePoint};
use crate::report::vocab::{GapCause, TransportErrorKind, ViolationKind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The interval log.
pub(crate) const HLOG_FILE: &str = "latency.hlog";
/// The streamed counters.
pub(crate) const EVENTS_FILE: &str = "events.jsonl";
/// The sessions, streamed then replaced (sorted) by the final reports.
pub(crate) const SESSIONS_FILE: &str = "sessions.csv";
/// Rows taken from the metrics at once for sessions.csv (a bounded copy, however many
/// sessions ended since the last tick).
const ROW_BATCH: usize = 1024;
/// How early an interval may close (ticks are not exactly a second apart).
const TICK_SLACK: Duration = Duration::from_millis(100);
/// Marker in the first line of events.jsonl.
pub(crate) const EVENTS_KIND: &str = "chatload-events";

/// The first line of events.jsonl: what the rest needs to be read back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StreamHeader {
    /// Always [`EVENTS_KIND`].
    pub kind: String,
    /// Format version of the lines (1).
    pub version: u32,
    /// The run's start, RFC 3339 UTC.
    pub started_at: String,
    /// What was run.
    pub scenario: ScenarioInfo,
    /// The near-miss line as a fraction of flex-disconnect-timeout.
    pub near_miss_fraction: f64,
    /// Threshold expressions as given (re-evaluated by a rebuild).
    pub thresholds: Vec<String>,
    /// Seconds per interval line.
    pub log_interval_s: f64,
    /// The `[[customers]]` profiles' names, by index (absent without profiles).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<String>,
}

/// One interval of events.jsonl: that interval's counts (not running totals, except the
/// `*_total`, `active_sessions` and `peak_active` gauges).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct EventLine {
    /// Start of the interval, seconds since the run's start.
    pub from_s: f64,
    /// End of the interval, seconds since the run's start.
    pub t_s: f64,
    /// End of the interval, UTC wall-clock time.
    pub time_utc: String,
    /// The interval's request counts (the run's).
    #[serde(flatten)]
    pub counts: IntervalCounts,
    /// Sessions started.
    pub sessions_started: u64,
    /// Sessions ended.
    pub sessions_ended: u64,
    /// Sessions that ended failed (dropped by the server, expired, out of retries).
    pub sessions_dropped: u64,
    /// Sessions started since the run's start.
    pub sessions_started_total: u64,
    /// Sessions active at the end of the interval.
    pub active_sessions: u64,
    /// Most sessions active at once so far.
    pub peak_active: u64,
    /// Generator lateness p99 and max in the interval, ms.
    pub lateness_p99_ms: f64,
    /// See `lateness_p99_ms`.
    pub lateness_max_ms: f64,
    /// Lateness of the interval (µs), base64 compressed V2; empty when none.
    pub lateness_histogram: String,
    /// The interval's one-second timeline points.
    pub timeline: Vec<TimelinePoint>,
    /// The same counts per `[[customers]]` profile, by name (absent without profiles).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub profiles: BTreeMap<String, IntervalCounts>,
}

/// The request counts of one interval, the run's or one profile's (its latency
/// histograms are in latency.hlog).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct IntervalCounts {
    /// Requests completed, per operation.
    pub requests: BTreeMap<String, u64>,
    /// Requests counted as errors.
    pub errors: u64,
    /// Outcome buckets of the interval.
    pub outcomes: Vec<OutcomeCount>,
    /// Transport failures by kind.
    pub transport_errors: BTreeMap<String, u64>,
    /// Protocol violations by kind.
    pub violations: BTreeMap<String, u64>,
    /// Poll gaps observed.
    pub gaps: u64,
    /// Gaps above the near-miss line and not above the timeout.
    pub near_misses: u64,
    /// Gaps above flex-disconnect-timeout, by cause.
    pub flags_by_cause: BTreeMap<String, u64>,
    /// Gap chart bucket counts.
    pub gap_buckets: Vec<u64>,
    /// All gaps of the interval (µs), base64 compressed V2.
    pub gap_histogram: String,
}

/// Ticks gathered until an interval is due.
#[derive(Default)]
struct Pending {
    delta: Option<Box<Recorder>>,
    from: Option<Duration>,
    to: Duration,
    points: Vec<TimelinePoint>,
    ended: u64,
    dropped: u64,
    last: Option<(u64, u64, u64)>,
}

/// The open files, owned by the writer thread.
struct Files {
    dir: PathBuf,
    /// The profiles' names, by index.
    profiles: Vec<String>,
    hlog: BufWriter<File>,
    events: BufWriter<File>,
    sessions: csv::Writer<File>,
}

/// The writer thread's handle.
#[derive(Debug)]
pub(crate) struct Streamer {
    tx: Option<mpsc::Sender<Tick>>,
    thread: Option<std::thread::JoinHandle<()>>,
    failure: Arc<Mutex<Option<String>>>,
}

/// The message of a write error on `file` in `dir`.
fn write_error(dir: &Path, file: &str, e: &std::io::Error) -> String {
    format!(
        "could not write '{}': {e}; the run was stopped (free disk space, or give --out a writable folder)",
        dir.join(file).display()
    )
}

impl Streamer {
    /// Create the streamed files in `dir` with their headers and start the writer thread.
    /// `interval` is the length of one log interval (at least 1 s); the rows of ended
    /// sessions are taken from `rows` at each tick and once more at the end.
    pub(crate) fn start(
        dir: &Path,
        header: StreamHeader,
        start: std::time::SystemTime,
        interval: Duration,
        rows: Arc<Metrics>,
    ) -> Result<Streamer, String> {
        let open =
            |name: &str| File::create(dir.join(name)).map_err(|e| write_error(dir, name, &e));
        let mut files = Files {
            dir: dir.to_path_buf(),
            profiles: header.profiles.clone(),
            hlog: BufWriter::new(open(HLOG_FILE)?),
            events: BufWriter::new(open(EVENTS_FILE)?),
            sessions: csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(open(SESSIONS_FILE)?),
        };
        files.start(&header, start)?;
        let (tx, rx) = mpsc::channel::<Tick>();
        let failure = Arc::new(Mutex::new(None));
        let fail = failure.clone();
        let started_at = chrono::DateTime::parse_from_rfc3339(&header.started_at)
            .map(|t| t.with_timezone(&chrono::Utc))
            .unwrap_or_else(|_| chrono::Utc::now());
        let thread = std::thread::Builder::new()
            .name("chatload-stream".into())
            .spawn(move || {
                let interval = interval.max(Duration::from_secs(1));
                if let Err(e) = files.run(rx, &rows, interval, started_at) {
                    *fail.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                }
            })
            .map_err(|e| format!("could not start the results writer: {e}"))?;
        Ok(Streamer {
            tx: Some(tx),
            thread: Some(thread),
            failure,
        })
    }

    /// Hand one tick to the writer (never blocks; after a failure the tick is dropped).
    pub(crate) fn send(&self, tick: Tick) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(tick);
        }
    }

    /// The writer's error, once it failed.
    pub(crate) fn failure(&self) -> Option<String> {
        self.failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Write what is pending, close the files and say whether every write succeeded.
    pub(crate) fn finish(mut self) -> Result<(), String> {
        drop(self.tx.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        match self.failure() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

impl Drop for Streamer {
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Files {
    /// Write the three headers (events.jsonl and sessions.csv flushed now, latency.hlog's
    /// with its first interval).
    fn start(&mut self, header: &StreamHeader, start: std::time::SystemTime) -> Result<(), String> {
        let dir = self.dir.clone();
        self.hlog
            .write_all(&hlog::header(start))
            .map_err(|e| write_error(&dir, HLOG_FILE, &e))?;
        self.line(header)?;
        self.sessions
            .write_record(crate::report::csv::SESSIONS_HEADER)
            .map_err(std::io::Error::from)
            .and_then(|()| self.sessions.flush())
            .map_err(|e| write_error(&dir, SESSIONS_FILE, &e))
    }

    /// One flushed line of events.jsonl.
    fn line(&mut self, value: &impl Serialize) -> Result<(), String> {
        let dir = self.dir.clone();
        let mut text = serde_json::to_vec(value).unwrap_or_default();
        text.push(b'\n');
        self.events
            .write_all(&text)
            .and_then(|()| self.events.flush())
            .map_err(|e| write_error(&dir, EVENTS_FILE, &e))
    }

    /// Until the channel closes: append session rows at each tick, write an interval when due.
    fn run(
        &mut self,
        rx: mpsc::Receiver<Tick>,
        rows: &Metrics,
        interval: Duration,
        started_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), String> {
        let mut pending = Pending::default();
        let mut started = 0;
        while let Ok(tick) = rx.recv() {
            self.rows(rows)?;
            pending.add(tick, started_at);
            // Ticks come about a second apart; a little slack keeps one line per interval.
            if pending.span() + TICK_SLACK >= interval {
                let next_started = pending.last.map_or(started, |l| l.0);
                self.interval(&pending, started, started_at)?;
                started = next_started;
                pending = Pending::default();
            }
        }
        // The sessions that ended after the last tick (at the end of a run, most of them).
        self.rows(rows)?;
        if pending.delta.is_some() {
            self.interval(&pending, started, started_at)?;
        }
        Ok(())
    }

    /// Append the rows no call took yet to sessions.csv, [`ROW_BATCH`] at a time, and flush.
    fn rows(&mut self, rows: &Metrics) -> Result<(), String> {
        let dir = self.dir.clone();
        let err = |e: std::io::Error| write_error(&dir, SESSIONS_FILE, &e);
        let mut wrote = false;
        loop {
            let batch = rows.take_rows(ROW_BATCH);
            if batch.is_empty() {
                break;
            }
            for r in &batch {
                self.sessions
                    .serialize(r)
                    .map_err(|e| err(std::io::Error::from(e)))?;
            }
            wrote = true;
        }
        if wrote {
            self.sessions.flush().map_err(err)?;
        }
        Ok(())
    }

    /// Write one interval: its hlog lines first, then its events line, each flushed.
    fn interval(
        &mut self,
        p: &Pending,
        started_before: u64,
        started_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), String> {
        let Some(delta) = &p.delta else {
            return Ok(());
        };
        let from = p.from.unwrap_or_default();
        let dir = self.dir.clone();
        self.hlog
            .write_all(&hlog::interval_lines(
                delta,
                &self.profiles,
                from,
                p.to.saturating_sub(from),
            ))
            .and_then(|()| self.hlog.flush())
            .map_err(|e| write_error(&dir, HLOG_FILE, &e))?;
        let (started, active, peak) = p.last.unwrap_or_default();
        let mut line = event_line(delta, &self.profiles);
        line.from_s = from.as_secs_f64();
        line.t_s = p.to.as_secs_f64();
        line.time_utc = wall_clock(started_at, line.t_s);
        line.sessions_started = started.saturating_sub(started_before);
        line.sessions_ended = p.ended;
        line.sessions_dropped = p.dropped;
        line.sessions_started_total = started;
        line.active_sessions = active;
        line.peak_active = peak;
        line.timeline = p.points.clone();
        self.line(&line)
    }
}

impl Pending {
    /// Fold one tick in.
    fn add(&mut self, tick: Tick, started_at: chrono::DateTime<chrono::Utc>) {
        self.from.get_or_insert(tick.from);
        self.to = tick.to;
        match &mut self.delta {
            None => self.delta = Some(tick.delta),
            Some(d) => **d += &tick.delta,
        }
        let mut point = tick.point;
        point.time_utc = wall_clock(started_at, point.t_s as f64);
        self.points.push(point);
        self.ended += tick.ended;
        self.dropped += tick.dropped;
        self.last = Some((tick.started, tick.active, tick.peak_active));
    }

    /// Time covered so far.
    fn span(&self) -> Duration {
        self.to.saturating_sub(self.from.unwrap_or(self.to))
    }
}

/// The counts of `delta` as an events line (times and sessions filled by the caller),
/// its profiles' under their names in `profiles`.
fn event_line(delta: &Recorder, profiles: &[String]) -> EventLine {
    let lateness = delta.lateness.as_deref();
    EventLine {
        counts: interval_counts(delta),
        lateness_p99_ms: lateness.map_or(0.0, |h| quantile_ms(h, 0.99)),
        lateness_max_ms: lateness.map_or(0.0, |h| quantile_ms(h, 1.0)),
        lateness_histogram: lateness.map(hlog::encode).unwrap_or_default(),
        profiles: profiles
            .iter()
            .zip(&delta.profiles)
            .map(|(name, p)| (name.clone(), interval_counts(p)))
            .collect(),
        ..EventLine::default()
    }
}

/// The request counts of one recorder.
fn interval_counts(delta: &Recorder) -> IntervalCounts {
    IntervalCounts {
        requests: Operation::ALL
            .iter()
            .filter_map(|op| Some((op.as_str().to_string(), delta.op(*op)?.corrected.len())))
            .collect(),
        errors: delta.errors,
        outcomes: super::summary::outcomes(delta),
        transport_errors: TransportErrorKind::ALL
            .iter()
            .map(|k| (k.as_str().to_string(), delta.transport[*k as usize]))
            .collect(),
        violations: ViolationKind::ALL
            .iter()
            .map(|k| (k.as_str().to_string(), delta.violations[*k as usize]))
            .collect(),
        gaps: delta.gaps.hist.len(),
        near_misses: delta.gaps.near_miss,
        flags_by_cause: cause_map(&delta.gaps.flagged_by_cause),
        gap_buckets: delta.gaps.buckets.to_vec(),
        gap_histogram: hlog::encode(&delta.gaps.hist),
    }
}

/// Add the non-histogram counts of an events line into `r` (the latency histograms come
/// from latency.hlog), each profile's into its recorder: the index of its name in
/// `names`, a name not there yet appended. Unknown names (a newer writer) are skipped.
pub(crate) fn apply_line(
    r: &mut Recorder,
    line: &EventLine,
    names: &mut Vec<String>,
) -> Result<(), String> {
    apply_counts(r, &line.counts)?;
    for (name, counts) in &line.profiles {
        apply_counts(r.profile_mut(profile_index(names, name)), counts)?;
    }
    if !line.lateness_histogram.is_empty() {
        let h = hlog::decode(&line.lateness_histogram)?;
        match &mut r.lateness {
            Some(l) => super::recorder::add_hist(l, &h),
            None => r.lateness = Some(Box::new(h)),
        }
    }
    Ok(())
}

/// The index of profile `name` in `names`, appended when new.
pub(crate) fn profile_index(names: &mut Vec<String>, name: &str) -> usize {
    match names.iter().position(|n| n == name) {
        Some(i) => i,
        None => {
            names.push(name.to_string());
            names.len() - 1
        }
    }
}

/// Add one interval's counts into `r`.
fn apply_counts(r: &mut Recorder, line: &IntervalCounts) -> Result<(), String> {
    for o in &line.outcomes {
        if let Some(op) = Operation::from_name(&o.operation) {
            let key = super::recorder::OutcomeKey {
                op: op as u8,
                http_status: o.http_status,
                status_code: o.status_code,
                chat_ended: o.chat_ended,
            };
            r.outcomes.add(key, o.count);
        }
    }
    for k in TransportErrorKind::ALL {
        r.transport[k as usize] += line.transport_errors.get(k.as_str()).copied().unwrap_or(0);
    }
    for k in ViolationKind::ALL {
        let n = line.violations.get(k.as_str()).copied().unwrap_or(0);
        r.violations[k as usize] = r.violations[k as usize].saturating_add(n);
    }
    r.errors += line.errors;
    for c in GapCause::ALL {
        r.gaps.flagged_by_cause[c as usize] +=
            line.flags_by_cause.get(c.as_str()).copied().unwrap_or(0);
    }
    r.gaps.near_miss += line.near_misses;
    for (a, b) in r.gaps.buckets.iter_mut().zip(&line.gap_buckets) {
        *a += b;
    }
    super::recorder::add_hist(&mut r.gaps.hist, &hlog::decode(&line.gap_histogram)?);
    Ok(())
}
