//! One shard's recorder: HDR histograms and counters that merge with `+=`.
//!
//! Values are microseconds in `Histogram<u64>` with bounds 1 µs ..= 1 h and 3
//! significant digits (relative error <= 0.1 %); larger values saturate at the
//! top. Per-operation histograms are allocated on first use, so a recorder
//! costs memory only for operations the scenario sends (~190 KB per histogram).
//! Merging two recorders gives exactly what recording everything into one would.

use super::gaps::GapStats;
use super::{Outcome, TransportErrorKind, ViolationKind};
use crate::protocol::Operation;
use hdrhistogram::Histogram;
use std::ops::AddAssign;
use std::time::Duration;

/// Highest trackable value: one hour in microseconds.
pub(super) const HIGHEST_US: u64 = 3_600_000_000;
/// Significant decimal digits kept by every histogram.
pub(super) const SIGFIG: u8 = 3;
/// Number of operations (index = `operation as usize`).
pub(super) const N_OPS: usize = Operation::ALL.len();

/// A fresh µs histogram with the crate-wide bounds.
pub(super) fn new_histogram() -> Histogram<u64> {
    // Constant, valid bounds: creation cannot fail.
    Histogram::new_with_bounds(1, HIGHEST_US, SIGFIG).expect("constant histogram bounds are valid")
}

/// A duration in whole microseconds (saturating).
pub(super) fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// Microseconds to milliseconds.
pub(super) fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

/// `x` rounded to `dp` decimals.
///
/// Derived figures (means, rates) are rounded so that `summary.json` shows
/// sensible digits and every number survives a JSON round trip bit for bit
/// (`k / 10^dp` with a small `k` parses exactly).
pub(super) fn round_dp(x: f64, dp: i32) -> f64 {
    let f = 10f64.powi(dp);
    let r = (x * f).round() / f;
    if r.is_finite() {
        r
    } else {
        0.0
    }
}

/// The value at `q` (0..=1) in ms, 0 for an empty histogram.
pub(super) fn quantile_ms(h: &Histogram<u64>, q: f64) -> f64 {
    if h.is_empty() {
        0.0
    } else {
        ms(h.value_at_quantile(q))
    }
}

/// Whether a request counts in `requests.errors`: transport failure, statusCode 1 or 2, or non-2xx.
pub(super) fn is_error(outcome: &Outcome) -> bool {
    match *outcome {
        Outcome::Transport(_) => true,
        Outcome::Response {
            http_status,
            status_code,
            ..
        } => !(200..300).contains(&http_status) || matches!(status_code, Some(1) | Some(2)),
    }
}

/// Key of one outcome bucket. Transport failures use HTTP status 0 and no statusCode/chatEnded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OutcomeKey {
    /// `operation as usize`.
    pub op: u8,
    /// HTTP status, 0 without a response.
    pub http_status: u16,
    /// Body statusCode.
    pub status_code: Option<u8>,
    /// Body chatEnded.
    pub chat_ended: Option<bool>,
}

/// Outcome bucket counts: a short list searched linearly.
///
/// A run sees a handful of distinct buckets (operations × statuses), so a scan
/// of a few cache lines beats hashing the key on every request.
#[derive(Debug, Clone, Default)]
pub struct OutcomeCounts(pub Vec<(OutcomeKey, u64)>);

impl OutcomeCounts {
    /// Add `n` to the bucket `key`.
    pub fn add(&mut self, key: OutcomeKey, n: u64) {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some((_, count)) => *count += n,
            None => self.0.push((key, n)),
        }
    }

    /// The buckets sorted by key.
    pub fn sorted(&self) -> Vec<(OutcomeKey, u64)> {
        let mut v = self.0.clone();
        v.sort_unstable();
        v
    }
}

/// Both latency views of one operation.
#[derive(Debug, Clone)]
pub struct OpHistograms {
    /// done - intended.
    pub corrected: Histogram<u64>,
    /// done - sent.
    pub service: Histogram<u64>,
}

impl OpHistograms {
    /// Both views, empty.
    pub fn new() -> Self {
        OpHistograms {
            corrected: new_histogram(),
            service: new_histogram(),
        }
    }
}

/// Cumulative figures of one shard.
#[derive(Debug, Clone)]
pub struct Recorder {
    /// Per-operation histograms, allocated on first use.
    pub ops: [Option<Box<OpHistograms>>; N_OPS],
    /// Outcome bucket counts.
    pub outcomes: OutcomeCounts,
    /// Transport failures by `kind as usize`.
    pub transport: [u64; TransportErrorKind::ALL.len()],
    /// Violations by `kind as usize`.
    pub violations: [u64; ViolationKind::ALL.len()],
    /// Requests counted in `requests.errors`.
    pub errors: u64,
    /// Schedule lateness (µs), allocated on first use.
    pub lateness: Option<Box<Histogram<u64>>>,
    /// Poll gaps.
    pub gaps: GapStats,
    /// The same figures per `[[customers]]` profile (index = the profile's in the
    /// scenario): empty without profiles, grown on a profile's first record. Lateness
    /// and the nested recorders' own `profiles` stay empty.
    pub profiles: Vec<Recorder>,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder::new()
    }
}

impl Recorder {
    /// An empty recorder.
    pub fn new() -> Self {
        Recorder {
            ops: Default::default(),
            outcomes: OutcomeCounts::default(),
            transport: [0; TransportErrorKind::ALL.len()],
            violations: [0; ViolationKind::ALL.len()],
            errors: 0,
            lateness: None,
            gaps: GapStats::default(),
            profiles: Vec::new(),
        }
    }

    /// The recorder of profile `ix`, created (with any before it) on first use.
    pub fn profile_mut(&mut self, ix: usize) -> &mut Recorder {
        if self.profiles.len() <= ix {
            self.profiles.resize_with(ix + 1, Recorder::new);
        }
        &mut self.profiles[ix]
    }

    /// Record one request: both latencies (µs), its outcome bucket and error class.
    pub fn record_request(
        &mut self,
        op: Operation,
        corrected_us: u64,
        service_us: u64,
        outcome: &Outcome,
        is_error: bool,
    ) {
        let h = self.ops[op as usize].get_or_insert_with(|| Box::new(OpHistograms::new()));
        h.corrected.saturating_record(corrected_us);
        h.service.saturating_record(service_us);
        let key = match *outcome {
            Outcome::Response {
                http_status,
                status_code,
                chat_ended,
            } => {
                if status_code.is_none() && !(200..300).contains(&http_status) {
                    // A non-2xx answer without an envelope (e.g. a 502 HTML page):
                    // kept with its HTTP status in the outcomes, and counted as a
                    // transport failure of kind `http_status`.
                    self.transport[TransportErrorKind::HttpStatus as usize] += 1;
                }
                OutcomeKey {
                    op: op as u8,
                    http_status,
                    status_code,
                    chat_ended,
                }
            }
            Outcome::Transport(kind) => {
                self.transport[kind as usize] += 1;
                OutcomeKey {
                    op: op as u8,
                    http_status: 0,
                    status_code: None,
                    chat_ended: None,
                }
            }
        };
        self.outcomes.add(key, 1);
        if is_error {
            self.errors += 1;
        }
    }

    /// Record one schedule lateness (µs).
    pub fn record_lateness(&mut self, us: u64) {
        self.lateness
            .get_or_insert_with(|| Box::new(new_histogram()))
            .saturating_record(us);
    }

    /// Histograms of `op`, when it was recorded.
    pub fn op(&self, op: Operation) -> Option<&OpHistograms> {
        self.ops[op as usize].as_deref()
    }

    /// Requests recorded (all operations).
    pub fn requests(&self) -> u64 {
        self.ops.iter().flatten().map(|h| h.corrected.len()).sum()
    }
}

/// `a += b` for lazily allocated histograms.
fn add_opt<T: Clone>(a: &mut Option<Box<T>>, b: &Option<Box<T>>, add: impl FnOnce(&mut T, &T)) {
    match (a.as_mut(), b) {
        (_, None) => {}
        (None, Some(b)) => *a = Some(b.clone()),
        (Some(a), Some(b)) => add(a, b),
    }
}

/// Add `b` into `a`; same bounds on both sides, so `add` cannot fail.
pub(super) fn add_hist(a: &mut Histogram<u64>, b: &Histogram<u64>) {
    let _ = a.add(b);
}

impl AddAssign<&Recorder> for Recorder {
    fn add_assign(&mut self, rhs: &Recorder) {
        for (a, b) in self.ops.iter_mut().zip(rhs.ops.iter()) {
            add_opt(a, b, |a, b| {
                add_hist(&mut a.corrected, &b.corrected);
                add_hist(&mut a.service, &b.service);
            });
        }
        for &(k, n) in &rhs.outcomes.0 {
            self.outcomes.add(k, n);
        }
        for (a, b) in self.transport.iter_mut().zip(rhs.transport) {
            *a += b;
        }
        for (a, b) in self.violations.iter_mut().zip(rhs.violations) {
            *a = a.saturating_add(b); // a hostile transcript index can make a count huge
        }
        self.errors += rhs.errors;
        add_opt(&mut self.lateness, &rhs.lateness, add_hist);
        self.gaps += &rhs.gaps;
        for (ix, p) in rhs.profiles.iter().enumerate() {
            *self.profile_mut(ix) += p;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok() -> Outcome {
        Outcome::Response {
            http_status: 200,
            status_code: Some(0),
            chat_ended: Some(false),
        }
    }

    #[test]
    fn operation_discriminants_index_all() {
        for (i, op) in Operation::ALL.iter().enumerate() {
            assert_eq!(*op as usize, i);
        }
        for (i, k) in TransportErrorKind::ALL.iter().enumerate() {
            assert_eq!(*k as usize, i);
        }
        for (i, k) in ViolationKind::ALL.iter().enumerate() {
            assert_eq!(*k as usize, i);
        }
    }

    #[test]
    fn a_non_2xx_answer_without_envelope_keeps_its_status_and_counts_as_http_status() {
        let mut r = Recorder::default();
        let bad_gateway = Outcome::Response {
            http_status: 502,
            status_code: None,
            chat_ended: None,
        };
        r.record_request(Operation::Poll, 10, 10, &bad_gateway, true);
        r.record_request(Operation::Poll, 10, 10, &ok(), false);
        assert_eq!(r.transport[TransportErrorKind::HttpStatus as usize], 1);
        let bucket = |status| {
            r.outcomes
                .0
                .iter()
                .filter(|(k, _)| k.http_status == status)
                .map(|(_, n)| *n)
                .sum::<u64>()
        };
        assert_eq!((bucket(502), bucket(200), bucket(0)), (1, 1, 0));
        assert_eq!(r.errors, 1);
    }

    #[test]
    fn error_classification() {
        assert!(!is_error(&ok()));
        let resp = |http_status, status_code| Outcome::Response {
            http_status,
            status_code,
            chat_ended: None,
        };
        assert!(is_error(&resp(200, Some(1))));
        assert!(is_error(&resp(200, Some(2))));
        assert!(is_error(&resp(503, None)));
        assert!(is_error(&resp(400, Some(0))));
        assert!(!is_error(&resp(204, Some(0))));
        assert!(is_error(&Outcome::Transport(TransportErrorKind::Timeout)));
    }

    /// A deterministic mixed sequence of requests, lateness, gaps and violations.
    fn feed(r: &mut Recorder, from: u64, to: u64) {
        for i in from..to {
            let op = Operation::ALL[(i % 3) as usize];
            let outcome = if i % 7 == 0 {
                Outcome::Transport(TransportErrorKind::ALL[(i % 9) as usize])
            } else {
                ok()
            };
            r.record_request(
                op,
                i * 37 % 90_000,
                i * 11 % 50_000,
                &outcome,
                is_error(&outcome),
            );
            r.record_lateness(i % 1000);
            r.violations[(i % 4) as usize] += 1;
        }
    }

    #[test]
    fn merge_equals_recording_into_one() {
        let mut one = Recorder::new();
        feed(&mut one, 0, 3000);
        let mut a = Recorder::new();
        let mut b = Recorder::new();
        let mut c = Recorder::new();
        feed(&mut a, 0, 1000);
        feed(&mut b, 1000, 2500);
        feed(&mut c, 2500, 3000);
        let mut merged = Recorder::new();
        merged += &a;
        merged += &b;
        merged += &c;
        for op in Operation::ALL {
            match (one.op(op), merged.op(op)) {
                (None, None) => {}
                (Some(x), Some(y)) => {
                    assert_eq!(x.corrected, y.corrected, "{op}");
                    assert_eq!(x.service, y.service, "{op}");
                }
                _ => panic!("{op} present on one side only"),
            }
        }
        assert_eq!(one.outcomes.sorted(), merged.outcomes.sorted());
        assert_eq!(one.transport, merged.transport);
        assert_eq!(one.violations, merged.violations);
        assert_eq!(one.errors, merged.errors);
        assert_eq!(one.lateness, merged.lateness);
        assert_eq!(one.requests(), 3000);
        assert_eq!(merged.requests(), 3000);
    }

    #[test]
    fn profiles_are_indexed_lazily_and_merge_index_by_index() {
        let mut a = Recorder::new();
        assert!(a.profiles.is_empty());
        a.profile_mut(2)
            .record_request(Operation::Poll, 5, 5, &ok(), false);
        // Profile 2 first: 0 and 1 exist, empty.
        assert_eq!(a.profiles.len(), 3);
        assert_eq!(
            a.profiles
                .iter()
                .map(Recorder::requests)
                .collect::<Vec<_>>(),
            [0, 0, 1]
        );
        let mut b = Recorder::new();
        b.profile_mut(0)
            .record_request(Operation::Send, 5, 5, &ok(), false);
        b.profile_mut(0).violations[1] += 4;
        let mut merged = Recorder::new();
        merged += &a;
        merged += &b;
        merged += &Recorder::new();
        assert_eq!(
            merged
                .profiles
                .iter()
                .map(Recorder::requests)
                .collect::<Vec<_>>(),
            [1, 0, 1]
        );
        assert!(merged.profiles[0].op(Operation::Send).is_some());
        assert!(merged.profiles[2].op(Operation::Poll).is_some());
        assert_eq!(merged.profiles[0].violations[1], 4);
        // The totals are the caller's to record: a profile's record leaves them alone.
        assert_eq!(merged.requests(), 0);
    }

    #[test]
    fn percentiles_are_exact_to_hdr_precision() {
        let mut h = new_histogram();
        // 1..=1000 µs: below 2048 every value has its own bucket, so percentiles are exact.
        for v in 1..=1000 {
            h.saturating_record(v);
        }
        assert_eq!(quantile_ms(&h, 0.5), 0.5);
        assert_eq!(quantile_ms(&h, 0.99), 0.99);
        assert_eq!(quantile_ms(&h, 1.0), 1.0);
        // 50 ms sits in a 32 µs wide bucket: reported as its highest equivalent 50.015 ms.
        h.saturating_record(50_000);
        assert_eq!(quantile_ms(&h, 1.0), 50.015);
        // Above one hour saturates at the top instead of failing.
        h.saturating_record(u64::MAX);
        assert!(h.max() >= HIGHEST_US);
    }
}
