//! The open timeline interval of one shard: what happened since the last tick.

use super::recorder::{add_hist, new_histogram};
use hdrhistogram::Histogram;
use std::ops::AddAssign;

/// The open timeline interval of one shard (reset at every tick).
#[derive(Debug, Clone)]
pub(super) struct Interval {
    /// Corrected latency of every request in the interval (µs).
    pub latency: Histogram<u64>,
    /// Requests completed.
    pub requests: u64,
    /// Requests counted as errors.
    pub errors: u64,
    /// Flagged gaps by `cause as usize`.
    pub flags_by_cause: [u64; 4],
}

impl Interval {
    /// An empty interval.
    pub(super) fn new() -> Self {
        Interval {
            latency: new_histogram(),
            requests: 0,
            errors: 0,
            flags_by_cause: [0; 4],
        }
    }

    /// Count one request.
    pub(super) fn record_request(&mut self, corrected_us: u64, is_error: bool) {
        self.latency.saturating_record(corrected_us);
        self.requests += 1;
        self.errors += u64::from(is_error);
    }

    /// Empty it again (keeps the histogram allocation).
    pub(super) fn reset(&mut self) {
        self.latency.reset();
        self.requests = 0;
        self.errors = 0;
        self.flags_by_cause = [0; 4];
    }
}

impl AddAssign<&Interval> for Interval {
    fn add_assign(&mut self, rhs: &Interval) {
        add_hist(&mut self.latency, &rhs.latency);
        self.requests += rhs.requests;
        self.errors += rhs.errors;
        for (a, b) in self.flags_by_cause.iter_mut().zip(rhs.flags_by_cause) {
            *a += b;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::recorder::quantile_ms;

    #[test]
    fn interval_merge_and_reset() {
        let mut a = Interval::new();
        let mut b = Interval::new();
        a.record_request(1000, false);
        b.record_request(2000, true);
        b.flags_by_cause[2] = 4;
        a += &b;
        assert_eq!(
            (a.requests, a.errors, a.flags_by_cause),
            (2, 1, [0, 0, 4, 0])
        );
        assert_eq!(quantile_ms(&a.latency, 1.0), 2.0);
        a.reset();
        assert_eq!((a.requests, a.latency.len()), (0, 0));
    }
}
