//! Service level as the customer sees it: queue wait (request chat to the poll
//! answer that brings the agent's `ParticipantJoined`), the agent's first
//! response (the customer's first accepted message to the poll answer that
//! brings the agent's first `Message`), the agent's response time per message
//! (the oldest unanswered customer message to the poll answer that brings the
//! agent's next `Message`), ASA, the share joined within the
//! service-level target, and the chats whose customer lost patience first
//! (abandoned, with their wait). One per run, written a few times per session.
//! The chats joined and abandoned since the last tick also go to the interval's
//! timeline point, so the level can be followed over time.

use super::recorder::{micros, new_histogram, round_dp};
use super::summary::latency_stats;
use crate::report::model::{ServiceLevel, SessionRow, TimelinePoint};
use hdrhistogram::Histogram;
use std::time::Duration;

/// The service-level figures of a run.
#[derive(Debug)]
pub(super) struct ServiceStats {
    target: Duration,
    within: u64,
    never_joined: u64,
    wait_us: u128,
    queue_wait: Histogram<u64>,
    abandoned_wait: Histogram<u64>,
    first_response: Histogram<u64>,
    response: Histogram<u64>,
    /// Since the last tick.
    interval: IntervalLevel,
}

/// The chats joined and abandoned since the last tick.
#[derive(Debug, Default, Clone, Copy)]
struct IntervalLevel {
    joined: u64,
    within: u64,
    abandoned: u64,
    wait_max: Duration,
}

impl ServiceStats {
    /// Figures judged against a service-level `target` (20 s by default).
    pub(super) fn new(target: Duration) -> Self {
        ServiceStats {
            target,
            within: 0,
            never_joined: 0,
            wait_us: 0,
            queue_wait: new_histogram(),
            abandoned_wait: new_histogram(),
            first_response: new_histogram(),
            response: new_histogram(),
            interval: IntervalLevel::default(),
        }
    }

    /// The service-level target.
    pub(crate) fn target(&self) -> Duration {
        self.target
    }

    /// An agent joined a session after the customer waited `wait`.
    pub(super) fn joined(&mut self, wait: Duration) {
        let within = u64::from(wait <= self.target);
        self.within += within;
        self.wait_us += wait.as_micros();
        self.queue_wait.saturating_record(micros(wait));
        let i = &mut self.interval;
        i.joined += 1;
        i.within += within;
        i.wait_max = i.wait_max.max(wait);
    }

    /// A customer lost patience after waiting `wait` and left before any agent joined.
    pub(crate) fn abandoned(&mut self, wait: Duration) {
        self.abandoned_wait.saturating_record(micros(wait));
        self.interval.abandoned += 1;
        self.interval.wait_max = self.interval.wait_max.max(wait);
    }

    /// Write the chats joined and abandoned since the last tick into `point`; `reset`
    /// starts the next interval (a tick), without it the interval stays open (a snapshot).
    /// True when there was any.
    pub(super) fn interval_into(&mut self, point: &mut TimelinePoint, reset: bool) -> bool {
        let i = if reset {
            std::mem::take(&mut self.interval)
        } else {
            self.interval
        };
        point.joined = i.joined;
        point.joined_within_target = i.within;
        point.abandoned = i.abandoned;
        point.queue_wait_max_ms = round_dp(i.wait_max.as_secs_f64() * 1000.0, 3);
        i.joined + i.abandoned > 0
    }

    /// An established session ended before any agent joined it.
    pub(super) fn never_joined(&mut self) {
        self.never_joined += 1;
    }

    /// The agent's first message came `after` the customer's first one.
    pub(super) fn first_response(&mut self, after: Duration) {
        self.first_response.saturating_record(micros(after));
    }

    /// An agent message came `after` the oldest customer message it answers.
    pub(crate) fn response(&mut self, after: Duration) {
        self.response.saturating_record(micros(after));
    }

    /// The summary's `service_level` object; None when no session was established.
    pub(super) fn report(&self) -> Option<ServiceLevel> {
        let joined = self.queue_wait.len();
        let abandoned = self.abandoned_wait.len();
        let established = joined + abandoned + self.never_joined;
        if established == 0 {
            return None;
        }
        let rate = |n: u64, of: u64| {
            if of == 0 {
                0.0
            } else {
                round_dp(n as f64 / of as f64, 6)
            }
        };
        Some(ServiceLevel {
            joined,
            abandoned,
            never_joined: self.never_joined,
            asa_ms: if joined == 0 {
                0.0
            } else {
                round_dp(self.wait_us as f64 / joined as f64 / 1000.0, 3)
            },
            target_ms: self.target.as_millis() as u64,
            // Of every established chat: one abandoned or never joined counts against the level.
            within_target_rate: rate(self.within, established),
            queue_wait_ms: latency_stats(&self.queue_wait),
            abandoned_wait_ms: latency_stats(&self.abandoned_wait),
            first_response_ms: latency_stats(&self.first_response),
            response_ms: latency_stats(&self.response),
        })
    }
}

/// The service level of finished sessions' rows (a merged run), judged against `target`:
/// exact counts, ASA and level, percentiles of the union; no per-message response
/// times (a row has none). None when no row has an established chat.
pub(crate) fn from_rows(rows: &[SessionRow], target: Duration) -> Option<ServiceLevel> {
    let mut s = ServiceStats::new(target);
    for r in rows {
        s.add_row(r);
    }
    s.report()
}

impl ServiceStats {
    /// Add a finished session's row (see [`from_rows`]); a chat never established counts not.
    pub(super) fn add_row(&mut self, r: &SessionRow) {
        if r.chat_id.is_empty() {
            return;
        }
        let dur = |ms: f64| Duration::from_secs_f64(ms.max(0.0) / 1000.0);
        match (r.abandoned, r.queue_wait_ms.map(dur)) {
            (true, wait) => self.abandoned(wait.unwrap_or_default()),
            (false, Some(wait)) => self.joined(wait),
            (false, None) => self.never_joined(),
        }
        if let Some(after) = r.first_response_ms {
            self.first_response(dur(after));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asa_and_the_level_count_every_established_chat() {
        let mut s = ServiceStats::new(Duration::from_secs(20));
        assert!(s.report().is_none());
        s.joined(Duration::from_secs(10));
        s.joined(Duration::from_secs(30));
        s.never_joined();
        s.abandoned(Duration::from_secs(90));
        s.first_response(Duration::from_secs(2));
        s.response(Duration::from_secs(2));
        s.response(Duration::from_secs(4));
        let r = s.report().unwrap();
        assert_eq!((r.joined, r.abandoned, r.never_joined), (2, 1, 1));
        assert_eq!(r.target_ms, 20_000);
        // ASA is the joined chats' mean; an abandoned wait does not enter it.
        assert_eq!(r.asa_ms, 20_000.0);
        assert_eq!(r.within_target_rate, 0.25);
        assert_eq!(r.queue_wait_ms.count, 2);
        assert_eq!(r.abandoned_wait_ms.count, 1);
        assert!((r.abandoned_wait_ms.max - 90_000.0).abs() < 100.0, "{r:?}");
        assert_eq!(r.first_response_ms.count, 1);
        assert_eq!(r.response_ms.count, 2);
        assert!((r.response_ms.mean - 3000.0).abs() < 5.0, "{r:?}");
    }

    #[test]
    fn rows_give_the_same_level_as_the_live_figures() {
        let row = |chat: &str, wait: Option<f64>, abandoned: bool| SessionRow {
            chat_id: chat.into(),
            queue_wait_ms: wait,
            first_response_ms: wait.map(|_| 2000.0),
            abandoned,
            ..SessionRow::default()
        };
        let rows = [
            row("a", Some(10_000.0), false),
            row("b", Some(30_000.0), false),
            row("c", None, false),
            row("d", Some(90_000.0), true),
            // Never established: not part of the service level.
            row("", None, false),
        ];
        let r = from_rows(&rows, Duration::from_secs(20)).unwrap();
        assert_eq!((r.joined, r.abandoned, r.never_joined), (2, 1, 1));
        assert_eq!(r.asa_ms, 20_000.0);
        assert_eq!(r.within_target_rate, 0.25);
        assert_eq!(r.first_response_ms.count, 3);
        assert_eq!(r.response_ms.count, 0);
        assert!(from_rows(&rows[4..], Duration::from_secs(20)).is_none());
    }
}
