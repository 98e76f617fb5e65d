//! Chat Server's view of one session: how long the chat went without a request.
//!
//! Chat Server ends a chat when no request of any kind reaches it for
//! flex-disconnect-timeout (docs/protocol.md, "flex-disconnect-timeout"), whatever the poll gap
//! was: a send or a typing notice during a slow poll keeps the chat alive. The
//! session's two loops (poll, script) and its disconnect each register a
//! request here before sending it. Its *idle gap* runs from the latest earlier
//! request the server took (one answered statusCode 0, or one still in flight:
//! it reached the server and reset the timer when it arrived, even if its answer
//! is slow) to its own send. Metrics judges the gap against the timeout.
//!
//! An in-flight request that later fails still counted as a reset for the
//! requests registered while it was in flight (at most one, from the other
//! loop); that can only shorten an idle gap by the failed request's flight time.

use std::time::Duration;
use tokio::time::Instant;

/// In-flight requests one session can have: the poll loop, the script loop, and a spare.
const SLOTS: usize = 3;

/// The session's idle clock (behind a mutex in the session's shared state).
#[derive(Debug, Default)]
pub(super) struct IdleClock {
    /// Send of the latest request answered statusCode 0.
    last_ok: Option<Instant>,
    /// Registration instants of requests in flight.
    in_flight: [Option<Instant>; SLOTS],
}

/// One registered request.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ticket {
    slot: Option<usize>,
    /// The latest earlier request the server took (None before the first answer).
    since: Option<Instant>,
}

impl IdleClock {
    /// Register a request about to leave at about `now`.
    pub(super) fn begin(&mut self, now: Instant) -> Ticket {
        let since = self
            .in_flight
            .iter()
            .flatten()
            .copied()
            .chain(self.last_ok)
            .max();
        let slot = self.in_flight.iter().position(Option::is_none);
        if let Some(i) = slot {
            self.in_flight[i] = Some(now);
        }
        Ticket { slot, since }
    }

    /// The request of `ticket` was sent at `sent`; `ok` when answered statusCode 0.
    /// Returns its idle gap (None for a session's first request).
    pub(super) fn end(&mut self, ticket: Ticket, sent: Instant, ok: bool) -> Option<Duration> {
        if let Some(i) = ticket.slot {
            self.in_flight[i] = None;
        }
        if ok {
            self.last_ok = Some(self.last_ok.map_or(sent, |l| l.max(sent)));
        }
        ticket.since.map(|s| sent.saturating_duration_since(s))
    }

    /// Send of the latest request answered statusCode 0.
    pub(super) fn last_ok(&self) -> Option<Instant> {
        self.last_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_send_during_a_slow_poll_resets_the_idle_clock() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut c = IdleClock::default();
        // First request: no gap.
        let first = c.begin(at(0));
        assert_eq!(c.end(first, at(0), true), None);
        // A poll leaves at 1 s and stalls 5 s; a send leaves at 4 s and is answered at once.
        let poll = c.begin(at(1000));
        let send = c.begin(at(4000));
        assert_eq!(
            c.end(send, at(4000), true),
            Some(Duration::from_millis(3000))
        );
        assert_eq!(c.end(poll, at(1000), true), Some(Duration::from_secs(1)));
        // The next poll at 6 s is 2 s after the send, not 5 s after the stalled poll.
        let next = c.begin(at(6000));
        assert_eq!(c.end(next, at(6000), true), Some(Duration::from_secs(2)));
        assert_eq!(c.last_ok(), Some(at(6000)));
    }

    #[tokio::test(start_paused = true)]
    async fn without_other_requests_the_stall_is_idle_and_failures_do_not_reset() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut c = IdleClock::default();
        let first = c.begin(at(0));
        c.end(first, at(0), true);
        let failed = c.begin(at(1000));
        assert_eq!(c.end(failed, at(1000), false), Some(Duration::from_secs(1)));
        // The failed request did not reset the clock: 5 s since the last good answer.
        let next = c.begin(at(5000));
        assert_eq!(c.end(next, at(5000), false), Some(Duration::from_secs(5)));
        assert_eq!(c.last_ok(), Some(at(0)));
    }
}
