//! The open model's figures: arrivals planned and dropped (also per timeline
//! second), arrival lateness (generator self-check) and the chat time of every
//! session, which give the Little's law block of the report.

use super::recorder::{micros, ms, quantile_ms, round_dp};
use crate::report::model::{LatenessStats, OpenModel};
use hdrhistogram::Histogram;
use std::time::Duration;

/// Arrival figures of an open run (one per run, written by the one spawner loop).
#[derive(Debug)]
pub(super) struct OpenStats {
    offered_rate: f64,
    planned: u64,
    dropped: u64,
    dropped_at_tick: u64,
    lateness: Histogram<u64>,
    chats: u64,
    chat_us: u128,
}

impl OpenStats {
    /// Figures of a plan offering `offered_rate` arrivals per second on average.
    pub(super) fn new(offered_rate: f64) -> Self {
        OpenStats {
            offered_rate,
            planned: 0,
            dropped: 0,
            dropped_at_tick: 0,
            lateness: Histogram::new(3).expect("3 significant digits are valid"),
            chats: 0,
            chat_us: 0,
        }
    }

    /// One planned arrival handled `lateness` after its instant; `dropped` when the cap was full.
    pub(super) fn arrival(&mut self, lateness: Duration, dropped: bool) {
        self.planned += 1;
        self.dropped += u64::from(dropped);
        self.lateness.saturating_record(micros(lateness));
    }

    /// One session of the open model ended after `lifetime`.
    pub(super) fn chat_ended(&mut self, lifetime: Duration) {
        self.chats += 1;
        self.chat_us += lifetime.as_micros();
    }

    /// Drops since the previous call (one timeline interval).
    pub(super) fn interval_dropped(&mut self) -> u64 {
        let n = self.dropped - self.dropped_at_tick;
        self.dropped_at_tick = self.dropped;
        n
    }

    /// Drops since the last tick, without closing the interval.
    pub(super) fn open_dropped(&self) -> u64 {
        self.dropped - self.dropped_at_tick
    }

    /// Percentiles of the arrival lateness.
    pub(super) fn lateness(&self) -> LatenessStats {
        let h = &self.lateness;
        if h.is_empty() {
            return LatenessStats::default();
        }
        LatenessStats {
            p50: quantile_ms(h, 0.5),
            p99: quantile_ms(h, 0.99),
            max: ms(h.max()),
        }
    }

    /// The Little's law block for a run of `elapsed`.
    pub(super) fn report(&self, elapsed: Duration) -> OpenModel {
        let mean_chat_s = if self.chats == 0 {
            0.0
        } else {
            self.chat_us as f64 / self.chats as f64 / 1e6
        };
        let secs = elapsed.as_secs_f64();
        OpenModel {
            offered_rate_per_s: round_dp(self.offered_rate, 4),
            arrivals_planned: self.planned,
            dropped: self.dropped,
            drop_rate: if self.planned == 0 {
                0.0
            } else {
                round_dp(self.dropped as f64 / self.planned as f64, 6)
            },
            mean_chat_length_s: round_dp(mean_chat_s, 3),
            expected_concurrency: round_dp(self.offered_rate * mean_chat_s, 2),
            measured_concurrency: if secs > 0.0 {
                round_dp(self.chat_us as f64 / 1e6 / secs, 2)
            } else {
                0.0
            },
            arrival_lateness_ms: self.lateness(),
        }
    }
}
