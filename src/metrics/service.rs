//! Service level as the customer sees it: queue wait (request chat to the poll
//! answer that brings the agent's `ParticipantJoined`), the agent's first
//! response (the customer's first accepted message to the poll answer that
//! brings the agent's first `Message`), ASA and the share joined within the
//! service-level target. One per run, written once or twice per session.

use super::recorder::{micros, new_histogram, round_dp};
use super::summary::latency_stats;
use crate::report::model::ServiceLevel;
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
    first_response: Histogram<u64>,
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
            first_response: new_histogram(),
        }
    }

    /// An agent joined a session after the customer waited `wait`.
    pub(super) fn joined(&mut self, wait: Duration) {
        self.within += u64::from(wait <= self.target);
        self.wait_us += wait.as_micros();
        self.queue_wait.saturating_record(micros(wait));
    }

    /// An established session ended before any agent joined it.
    pub(super) fn never_joined(&mut self) {
        self.never_joined += 1;
    }

    /// The agent's first message came `after` the customer's first one.
    pub(super) fn first_response(&mut self, after: Duration) {
        self.first_response.saturating_record(micros(after));
    }

    /// The summary's `service_level` object; None when no session was established.
    pub(super) fn report(&self) -> Option<ServiceLevel> {
        let joined = self.queue_wait.len();
        if joined + self.never_joined == 0 {
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
            abandoned: 0,
            never_joined: self.never_joined,
            asa_ms: if joined == 0 {
                0.0
            } else {
                round_dp(self.wait_us as f64 / joined as f64 / 1000.0, 3)
            },
            target_ms: self.target.as_millis() as u64,
            // Of every established chat: one never joined counts against the level.
            within_target_rate: rate(self.within, joined + self.never_joined),
            queue_wait_ms: latency_stats(&self.queue_wait),
            first_response_ms: latency_stats(&self.first_response),
        })
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
        s.first_response(Duration::from_secs(2));
        let r = s.report().unwrap();
        assert_eq!((r.joined, r.never_joined, r.target_ms), (2, 1, 20_000));
        assert_eq!(r.asa_ms, 20_000.0);
        assert_eq!(r.within_target_rate, 0.333333);
        assert_eq!(r.queue_wait_ms.count, 2);
        assert_eq!(r.first_response_ms.count, 1);
    }
}
