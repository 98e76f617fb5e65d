//! Poll gaps judged against flex-disconnect-timeout.
//!
//! A gap strictly above the timeout is *flagged* (it flags its session); a gap
//! strictly above `near_miss_fraction × timeout` and not above the timeout is a
//! *near miss*. Comparisons are on `Duration`, so the boundaries are exact.
//!
//! The chart histogram uses [`GAP_BUCKETS`] fixed-width buckets covering
//! `0 .. 1.5 × timeout` (each 5 % of the timeout, so the timeout and the 80 %
//! line fall on bucket edges) plus one overflow bucket `1.5 × timeout .. max`.
//!
//! Per session only the worst gap is kept, packed in one `AtomicU64`
//! (`gap_ns << 3 | cause code`; the first of equal gaps stays), in fixed-size
//! chunks indexed by ordinal: 8 bytes per session, lock-free except when a new
//! chunk is added.
//!
//! This module is the one judge of a gap: the session hands over what happened
//! ([`GapObservation`]); [`GapObservation::cause`] attributes it, [`GapPolicy::classify`]
//! flags it, and every count (gaps, sessions, rows) derives from those two.

use super::recorder::{add_hist, ms, new_histogram};
use super::GapCause;
use hdrhistogram::Histogram;
use std::collections::BTreeMap;
use std::ops::AddAssign;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::RwLock;
use std::time::Duration;
use std::time::Instant;

/// Fixed-width buckets below 1.5 × timeout (an overflow bucket follows them).
pub const GAP_BUCKETS: usize = 30;
/// Sessions per chunk of the per-session store.
const CHUNK: usize = 4096;
/// Ordinals at or above this are not tracked per session (guards memory against bogus ordinals).
const MAX_TRACKED_SESSIONS: u64 = 1 << 26;

/// How one gap is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GapClass {
    /// At or below the near-miss line.
    Normal,
    /// Above the near-miss line, not above the timeout.
    NearMiss,
    /// Above the timeout.
    Flagged,
}

/// The timeout, the near-miss line and the bucket width.
#[derive(Debug, Clone)]
pub(super) struct GapPolicy {
    /// flex-disconnect-timeout.
    pub flex: Duration,
    /// near_miss_fraction × flex.
    pub near: Duration,
    /// The fraction (clamped to 0..=1; 0.8 when not a number).
    pub fraction: f64,
    /// Width of one chart bucket in µs (at least 1).
    bucket_us: u64,
}

impl GapPolicy {
    /// Policy for `flex` and `fraction`.
    pub(super) fn new(flex: Duration, fraction: f64) -> Self {
        let fraction = if fraction.is_nan() {
            0.8
        } else {
            fraction.clamp(0.0, 1.0)
        };
        let flex_us = super::recorder::micros(flex);
        GapPolicy {
            flex,
            near: flex.mul_f64(fraction),
            fraction,
            bucket_us: (flex_us.saturating_mul(3) / 2 / GAP_BUCKETS as u64).max(1),
        }
    }

    /// Judge one gap.
    pub(super) fn classify(&self, gap: Duration) -> GapClass {
        if gap > self.flex {
            GapClass::Flagged
        } else if gap > self.near {
            GapClass::NearMiss
        } else {
            GapClass::Normal
        }
    }

    /// Chart bucket of a gap (µs); `GAP_BUCKETS` is the overflow bucket.
    pub(super) fn bucket(&self, gap_us: u64) -> usize {
        usize::try_from(gap_us / self.bucket_us).map_or(GAP_BUCKETS, |b| b.min(GAP_BUCKETS))
    }

    /// Chart buckets with their edges in ms; the overflow bucket ends at `max_ms`.
    pub(super) fn buckets(
        &self,
        counts: &[u64; GAP_BUCKETS + 1],
        max_ms: f64,
    ) -> Vec<crate::report::model::GapBucket> {
        let width = ms(self.bucket_us);
        let top = width * GAP_BUCKETS as f64;
        counts
            .iter()
            .enumerate()
            .map(|(i, &count)| crate::report::model::GapBucket {
                from_ms: width * i as f64,
                to_ms: if i < GAP_BUCKETS {
                    width * (i + 1) as f64
                } else {
                    max_ms.max(top)
                },
                count,
            })
            .collect()
    }
}

/// One poll gap as the session saw it: from the send of the last poll answered
/// with statusCode 0 to the send of the next poll attempt, and its context.
#[derive(Debug, Clone, Copy)]
pub struct GapObservation {
    /// Send of the last poll answered with statusCode 0.
    pub last_ok_send: Instant,
    /// The attempt's scheduled instant.
    pub intended: Instant,
    /// When the session's previous poll answer arrived.
    pub prev_done: Instant,
    /// When the attempt was sent.
    pub sent: Instant,
    /// Failed attempts intervened since the last good answer.
    pub retried: bool,
}

impl GapObservation {
    /// The gap.
    pub fn gap(&self) -> Duration {
        self.sent.saturating_duration_since(self.last_ok_send)
    }

    /// Why the gap was as long as it was, against the near-miss `line`.
    ///
    /// Retries win; a planned interval reaching the line is the cadence; otherwise the
    /// larger of "previous answer arrived after the intended instant" (slow response)
    /// and "sent after it could" (generator lag).
    pub fn cause(&self, line: Duration) -> GapCause {
        if self.retried {
            return GapCause::Retries;
        }
        let planned = self.intended.saturating_duration_since(self.last_ok_send);
        if planned >= line {
            return GapCause::Cadence;
        }
        let slow = self.prev_done.saturating_duration_since(self.intended);
        let lag = self
            .sent
            .saturating_duration_since(self.intended.max(self.prev_done));
        if slow.is_zero() && lag.is_zero() {
            GapCause::Cadence
        } else if slow >= lag {
            GapCause::SlowResponse
        } else {
            GapCause::GeneratorLag
        }
    }
}

/// Report code of a cause: 1 + index; 0 means none.
fn cause_code(cause: GapCause) -> u64 {
    cause as u64 + 1
}

/// The cause behind a code, None for 0.
pub(super) fn cause_from_code(code: u64) -> Option<GapCause> {
    code.checked_sub(1)
        .and_then(|i| GapCause::ALL.get(i as usize).copied())
}

/// Counts by cause index as a map with every cause key present.
pub(super) fn cause_map(counts: &[u64; 4]) -> BTreeMap<String, u64> {
    GapCause::ALL
        .iter()
        .map(|c| (c.as_str().to_string(), counts[*c as usize]))
        .collect()
}

/// Aggregate gap figures of one shard.
#[derive(Debug, Clone)]
pub struct GapStats {
    /// All gaps (µs).
    pub hist: Histogram<u64>,
    /// Chart bucket counts.
    pub buckets: [u64; GAP_BUCKETS + 1],
    /// Flagged gaps by `cause as usize`.
    pub flagged_by_cause: [u64; 4],
    /// Near-miss gaps.
    pub near_miss: u64,
}

impl Default for GapStats {
    fn default() -> Self {
        GapStats {
            hist: new_histogram(),
            buckets: [0; GAP_BUCKETS + 1],
            flagged_by_cause: [0; 4],
            near_miss: 0,
        }
    }
}

impl GapStats {
    /// Count one gap already judged by the policy.
    pub fn record(&mut self, gap_us: u64, bucket: usize, class: GapClass, cause: GapCause) {
        self.hist.saturating_record(gap_us);
        self.buckets[bucket.min(GAP_BUCKETS)] += 1;
        match class {
            GapClass::Flagged => self.flagged_by_cause[cause as usize] += 1,
            GapClass::NearMiss => self.near_miss += 1,
            GapClass::Normal => {}
        }
    }
}

impl AddAssign<&GapStats> for GapStats {
    fn add_assign(&mut self, rhs: &GapStats) {
        add_hist(&mut self.hist, &rhs.hist);
        for (a, b) in self.buckets.iter_mut().zip(rhs.buckets) {
            *a += b;
        }
        for (a, b) in self.flagged_by_cause.iter_mut().zip(rhs.flagged_by_cause) {
            *a += b;
        }
        self.near_miss += rhs.near_miss;
    }
}

/// The worst gap of one session and its cause (None when at or below the near-miss line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct WorstGap {
    /// Largest gap (the first of equal ones).
    pub gap: Duration,
    /// Cause of that gap when it was a near miss or flagged.
    pub cause: Option<GapCause>,
}

/// Worst gap per session ordinal.
#[derive(Debug, Default)]
pub(super) struct SessionGaps {
    chunks: RwLock<Vec<Box<[AtomicU64]>>>,
}

impl SessionGaps {
    /// Keep `gap` as `session`'s worst gap if it is larger than every earlier one.
    pub(super) fn record(&self, session: u64, gap: Duration, class: GapClass, cause: GapCause) {
        if session >= MAX_TRACKED_SESSIONS {
            return;
        }
        let code = if class == GapClass::Normal {
            0
        } else {
            cause_code(cause)
        };
        let gap_ns = u64::try_from(gap.as_nanos()).unwrap_or(u64::MAX);
        let packed = (gap_ns.min(u64::MAX >> 3) << 3) | code;
        // Strictly larger gaps only: of equal gaps the first keeps its cause.
        let keep = |slot: &AtomicU64| {
            let _ = slot.fetch_update(Relaxed, Relaxed, |old| {
                (packed >> 3 > old >> 3).then_some(packed)
            });
        };
        let (chunk, slot) = ((session as usize) / CHUNK, (session as usize) % CHUNK);
        {
            let chunks = self.chunks.read().unwrap_or_else(|e| e.into_inner());
            if let Some(c) = chunks.get(chunk) {
                keep(&c[slot]);
                return;
            }
        }
        let mut chunks = self.chunks.write().unwrap_or_else(|e| e.into_inner());
        while chunks.len() <= chunk {
            chunks.push((0..CHUNK).map(|_| AtomicU64::new(0)).collect());
        }
        keep(&chunks[chunk][slot]);
    }

    /// The worst gap of `session` (zero when none was recorded).
    pub(super) fn get(&self, session: u64) -> WorstGap {
        let chunks = self.chunks.read().unwrap_or_else(|e| e.into_inner());
        let packed = usize::try_from(session)
            .ok()
            .and_then(|s| chunks.get(s / CHUNK).map(|c| c[s % CHUNK].load(Relaxed)))
            .unwrap_or(0);
        WorstGap {
            gap: Duration::from_nanos(packed >> 3),
            cause: cause_from_code(packed & 7),
        }
    }

    /// Sessions (flagged, near miss) under `policy`, by their worst gap.
    pub(super) fn count(&self, policy: &GapPolicy) -> (u64, u64) {
        let chunks = self.chunks.read().unwrap_or_else(|e| e.into_inner());
        let (mut flagged, mut near) = (0, 0);
        for v in chunks.iter().flat_map(|c| c.iter()) {
            match policy.classify(Duration::from_nanos(v.load(Relaxed) >> 3)) {
                GapClass::Flagged => flagged += 1,
                GapClass::NearMiss => near += 1,
                GapClass::Normal => {}
            }
        }
        (flagged, near)
    }

    /// Bytes held by the store.
    #[cfg(test)]
    pub(super) fn heap_bytes(&self) -> usize {
        let chunks = self.chunks.read().unwrap_or_else(|e| e.into_inner());
        chunks.len() * CHUNK * std::mem::size_of::<AtomicU64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> GapPolicy {
        GapPolicy::new(Duration::from_secs(10), 0.8)
    }

    /// The cause of a gap from `last` with the given instants.
    fn attribute(
        last_ok_send: Instant,
        intended: Instant,
        prev_done: Instant,
        sent: Instant,
        retried: bool,
        line: Duration,
    ) -> GapCause {
        let o = GapObservation {
            last_ok_send,
            intended,
            prev_done,
            sent,
            retried,
        };
        o.cause(line)
    }

    #[test]
    fn gap_causes_are_attributed() {
        let l = Instant::now();
        let s = |ms: u64| l + Duration::from_millis(ms);
        let line = Duration::from_millis(3200);
        // Retries win.
        assert_eq!(
            attribute(l, s(2000), s(2000), s(5000), true, line),
            GapCause::Retries
        );
        // Planned interval alone reaches the line: cadence.
        assert_eq!(
            attribute(l, s(3500), s(10), s(3500), false, line),
            GapCause::Cadence
        );
        // Previous answer arrived 3 s after the intended instant: slow response.
        assert_eq!(
            attribute(l, s(2000), s(5000), s(5001), false, line),
            GapCause::SlowResponse
        );
        // Answer on time, send 2 s late: generator lag.
        assert_eq!(
            attribute(l, s(2000), s(10), s(4000), false, line),
            GapCause::GeneratorLag
        );
    }

    #[test]
    fn of_equal_worst_gaps_the_first_keeps_its_cause() {
        let p = policy();
        let s = SessionGaps::default();
        let gap = Duration::from_millis(11_000);
        s.record(3, gap, p.classify(gap), GapCause::SlowResponse);
        s.record(3, gap, p.classify(gap), GapCause::Retries);
        assert_eq!(s.get(3).cause, Some(GapCause::SlowResponse));
        let longer = gap + Duration::from_nanos(1);
        s.record(3, longer, p.classify(longer), GapCause::Retries);
        assert_eq!(s.get(3).cause, Some(GapCause::Retries));
        assert_eq!(s.get(3).gap, longer);
    }

    #[test]
    fn flag_and_near_miss_boundaries_are_exact() {
        let p = policy();
        let ms = Duration::from_millis;
        let ns = Duration::from_nanos;
        assert_eq!(p.classify(ms(8000)), GapClass::Normal);
        assert_eq!(p.classify(ms(8000) + ns(1)), GapClass::NearMiss);
        assert_eq!(p.classify(ms(10_000)), GapClass::NearMiss);
        assert_eq!(p.classify(ms(10_000) + ns(1)), GapClass::Flagged);
        assert_eq!(p.classify(Duration::ZERO), GapClass::Normal);
    }

    #[test]
    fn odd_fractions_are_clamped() {
        assert_eq!(
            GapPolicy::new(Duration::from_secs(1), f64::NAN).fraction,
            0.8
        );
        assert_eq!(GapPolicy::new(Duration::from_secs(1), 3.0).fraction, 1.0);
        let zero = GapPolicy::new(Duration::ZERO, 0.8);
        // A zero timeout still gets 1 µs buckets instead of dividing by zero.
        assert_eq!((zero.bucket(5), zero.bucket(100)), (5, GAP_BUCKETS));
    }

    #[test]
    fn buckets_put_the_timeout_on_an_edge() {
        let p = policy();
        // 30 buckets of 500 ms up to 15 s.
        assert_eq!(p.bucket(0), 0);
        assert_eq!(p.bucket(499_999), 0);
        assert_eq!(p.bucket(500_000), 1);
        assert_eq!(p.bucket(10_000_000), 20);
        assert_eq!(p.bucket(14_999_999), 29);
        assert_eq!(p.bucket(15_000_000), GAP_BUCKETS);
        assert_eq!(p.bucket(u64::MAX), GAP_BUCKETS);
        let mut counts = [0; GAP_BUCKETS + 1];
        counts[20] = 2;
        let b = p.buckets(&counts, 99_000.0);
        assert_eq!(b.len(), GAP_BUCKETS + 1);
        assert_eq!(
            (b[20].from_ms, b[20].to_ms, b[20].count),
            (10_000.0, 10_500.0, 2)
        );
        assert_eq!((b[30].from_ms, b[30].to_ms), (15_000.0, 99_000.0));
    }

    #[test]
    fn per_session_worst_gap_and_counts() {
        let p = policy();
        let s = SessionGaps::default();
        let rec = |sess, ms_: u64, cause| {
            let gap = Duration::from_millis(ms_);
            s.record(sess, gap, p.classify(gap), cause)
        };
        rec(0, 2000, GapCause::Cadence);
        rec(0, 11_000, GapCause::SlowResponse);
        rec(0, 3000, GapCause::Retries);
        rec(5000, 9000, GapCause::GeneratorLag);
        rec(7, 7000, GapCause::Retries);
        assert_eq!(
            s.get(0),
            WorstGap {
                gap: Duration::from_millis(11_000),
                cause: Some(GapCause::SlowResponse)
            }
        );
        assert_eq!(s.get(5000).cause, Some(GapCause::GeneratorLag));
        assert_eq!(
            s.get(7),
            WorstGap {
                gap: Duration::from_millis(7_000),
                cause: None
            }
        );
        assert_eq!(s.get(123_456), WorstGap::default());
        assert_eq!(s.count(&p), (1, 1));
        assert_eq!(s.heap_bytes(), 2 * CHUNK * 8);
    }

    #[test]
    fn stats_count_by_cause_and_merge() {
        let mut a = GapStats::default();
        let mut b = GapStats::default();
        a.record(11_000_000, 22, GapClass::Flagged, GapCause::Retries);
        b.record(9_000_000, 18, GapClass::NearMiss, GapCause::Retries);
        b.record(1_000, 0, GapClass::Normal, GapCause::Cadence);
        a += &b;
        assert_eq!(a.flagged_by_cause, [0, 0, 1, 0]);
        assert_eq!(a.near_miss, 1);
        assert_eq!(a.hist.len(), 3);
        assert_eq!(a.buckets.iter().sum::<u64>(), 3);
        let m = cause_map(&a.flagged_by_cause);
        assert_eq!(m.len(), 4);
        assert_eq!(m["retries"], 1);
        assert_eq!(m["cadence"], 0);
    }
}
