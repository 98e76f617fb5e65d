//! Exact counters: requests per route, responses per (route, HTTP status,
//! statusCode, chatEnded), chat lifecycle, injected faults.
//!
//! Every counter is a fixed `AtomicU64` slot (no map, no lock on the hot path).
//! `Ordering::Relaxed` is enough: each counter is independent and a snapshot
//! taken while requests are in flight only needs each value to be exact once
//! the traffic stops.

use super::config::FaultKind;
use super::{ChatCounts, ConnectionCounts, ResponseCount, Stats};
use crate::protocol::{Dialect, Operation};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// A counted route: a (dialect, operation) pair or the catch-all `unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Route {
    /// A recognised chat route.
    Chat(Dialect, Operation),
    /// No route matched, or the webapi `operationName` was missing/unknown.
    Unknown,
}

/// The `requests` key of requests refused before routing (see [`Counters::rejected_by_http`]).
pub const REJECTED_BY_HTTP: &str = "rejected_by_http";

const OPS: usize = Operation::ALL.len();
const ROUTES: usize = 2 * OPS + 1;
/// HTTP statuses the server can send (0 = connection dropped).
const HTTP: [u16; 8] = [0, 200, 400, 404, 405, 413, 415, 502];
const OUTCOMES: usize = HTTP.len() * 4 * 3;

impl Route {
    fn index(self) -> usize {
        match self {
            Route::Chat(d, op) => {
                let d = match d {
                    Dialect::GmsV2 => 0,
                    Dialect::WebApi => 1,
                };
                let o = Operation::ALL.iter().position(|x| *x == op).unwrap_or(0);
                d * OPS + o
            }
            Route::Unknown => 2 * OPS,
        }
    }

    fn from_index(i: usize) -> Route {
        if i >= 2 * OPS {
            return Route::Unknown;
        }
        let d = if i < OPS {
            Dialect::GmsV2
        } else {
            Dialect::WebApi
        };
        Route::Chat(d, Operation::ALL[i % OPS])
    }

    /// `"{dialect}/{operation}"` or `"unknown"`.
    pub(super) fn name(self) -> String {
        match self {
            Route::Chat(d, op) => format!("{}/{}", d.as_str(), op.as_str()),
            Route::Unknown => "unknown".to_string(),
        }
    }
}

/// What a response looked like, for the response buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Outcome {
    /// HTTP status (0 = dropped connection).
    pub http_status: u16,
    /// statusCode in the body.
    pub status_code: Option<u8>,
    /// chatEnded in the body.
    pub chat_ended: Option<bool>,
}

impl Outcome {
    fn index(self) -> usize {
        let h = HTTP
            .iter()
            .position(|s| *s == self.http_status)
            .unwrap_or(0);
        let s = match self.status_code {
            None => 0,
            Some(c) => 1 + usize::from(c.min(2)),
        };
        let e = match self.chat_ended {
            None => 0,
            Some(false) => 1,
            Some(true) => 2,
        };
        (h * 4 + s) * 3 + e
    }

    fn from_index(i: usize) -> Outcome {
        let e = i % 3;
        let s = (i / 3) % 4;
        let h = i / 12;
        Outcome {
            http_status: HTTP[h],
            status_code: if s == 0 { None } else { Some((s - 1) as u8) },
            chat_ended: [None, Some(false), Some(true)][e],
        }
    }
}

/// All counters of one server.
pub(super) struct Counters {
    requests: [AtomicU64; ROUTES],
    responses: Box<[AtomicU64]>,
    faults: [AtomicU64; FaultKind::ALL.len()],
    created: AtomicU64,
    ended_by_client: AtomicU64,
    ended_by_agent: AtomicU64,
    expired: AtomicU64,
    rejected_by_http: AtomicU64,
    refused: AtomicU64,
    header_timeouts: AtomicU64,
    unwritten: [AtomicU64; ROUTES],
}

impl Default for Counters {
    fn default() -> Self {
        Counters {
            requests: std::array::from_fn(|_| AtomicU64::new(0)),
            responses: (0..ROUTES * OUTCOMES).map(|_| AtomicU64::new(0)).collect(),
            faults: std::array::from_fn(|_| AtomicU64::new(0)),
            created: AtomicU64::new(0),
            ended_by_client: AtomicU64::new(0),
            ended_by_agent: AtomicU64::new(0),
            expired: AtomicU64::new(0),
            rejected_by_http: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            header_timeouts: AtomicU64::new(0),
            unwritten: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

/// How a chat ended, for the lifecycle counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum EndReason {
    /// disconnect / Complete.
    Client,
    /// The simulated agent left.
    Agent,
    /// flex-disconnect-timeout elapsed.
    Expired,
}

impl Counters {
    /// One request arrived on `route`.
    pub(super) fn request(&self, route: Route) {
        self.requests[route.index()].fetch_add(1, Relaxed);
    }

    /// One response was written (or the connection dropped on purpose) on `route`.
    pub(super) fn response(&self, route: Route, outcome: Outcome) {
        self.responses[route.index() * OUTCOMES + outcome.index()].fetch_add(1, Relaxed);
    }

    /// One request was malformed beyond answering by route: hyper refused its
    /// head, or its body broke off (counted under [`REJECTED_BY_HTTP`]).
    pub(super) fn rejected_by_http(&self) {
        self.rejected_by_http.fetch_add(1, Relaxed);
    }

    /// One connection was closed on accept: `max_connections` were open.
    pub(super) fn refused(&self) {
        self.refused.fetch_add(1, Relaxed);
    }

    /// One answer on `route` was never written (see `written`).
    pub(super) fn unwritten(&self, route: Route) {
        self.unwritten[route.index()].fetch_add(1, Relaxed);
    }

    /// Take back one answer counted by [`Counters::response`]: it was never
    /// written (see `written`).
    pub(super) fn unanswered(&self, route: Route, outcome: Outcome) {
        self.responses[route.index() * OUTCOMES + outcome.index()].fetch_sub(1, Relaxed);
        self.unwritten(route);
    }

    /// One connection was closed by the header-read timeout.
    pub(super) fn header_timeout(&self) {
        self.header_timeouts.fetch_add(1, Relaxed);
    }

    /// One fault of `kind` was applied.
    pub(super) fn fault(&self, kind: FaultKind) {
        let i = FaultKind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
        self.faults[i].fetch_add(1, Relaxed);
    }

    /// One chat was created.
    pub(super) fn chat_created(&self) {
        self.created.fetch_add(1, Relaxed);
    }

    /// One chat ended.
    pub(super) fn chat_ended(&self, reason: EndReason) {
        match reason {
            EndReason::Client => &self.ended_by_client,
            EndReason::Agent => &self.ended_by_agent,
            EndReason::Expired => &self.expired,
        }
        .fetch_add(1, Relaxed);
    }

    /// A snapshot with only non-zero entries.
    pub(super) fn snapshot(&self) -> Stats {
        let mut stats = Stats::default();
        for (i, c) in self.requests.iter().enumerate() {
            let n = c.load(Relaxed);
            if n > 0 {
                stats.requests.insert(Route::from_index(i).name(), n);
            }
        }
        for (i, c) in self.unwritten.iter().enumerate() {
            let n = c.load(Relaxed);
            if n > 0 {
                stats.unwritten.insert(Route::from_index(i).name(), n);
            }
        }
        let rejected = self.rejected_by_http.load(Relaxed);
        if rejected > 0 {
            stats
                .requests
                .insert(REJECTED_BY_HTTP.to_string(), rejected);
        }
        stats.connections = ConnectionCounts {
            refused: self.refused.load(Relaxed),
            header_timeouts: self.header_timeouts.load(Relaxed),
        };
        for (i, c) in self.responses.iter().enumerate() {
            let count = c.load(Relaxed);
            if count > 0 {
                let o = Outcome::from_index(i % OUTCOMES);
                stats.responses.push(ResponseCount {
                    route: Route::from_index(i / OUTCOMES).name(),
                    http_status: o.http_status,
                    status_code: o.status_code,
                    chat_ended: o.chat_ended,
                    count,
                });
            }
        }
        stats.responses.sort_by(|a, b| {
            (&a.route, a.http_status, a.status_code, a.chat_ended).cmp(&(
                &b.route,
                b.http_status,
                b.status_code,
                b.chat_ended,
            ))
        });
        for (kind, c) in FaultKind::ALL.iter().zip(&self.faults) {
            let n = c.load(Relaxed);
            if n > 0 {
                stats.faults.insert(kind.as_str().to_string(), n);
            }
        }
        let created = self.created.load(Relaxed);
        let ended_by_client = self.ended_by_client.load(Relaxed);
        let ended_by_agent = self.ended_by_agent.load(Relaxed);
        let expired = self.expired.load(Relaxed);
        stats.chats = ChatCounts {
            created,
            ended_by_client,
            ended_by_agent,
            expired,
            live: created.saturating_sub(ended_by_client + ended_by_agent + expired),
        };
        stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_and_outcome_indexes_round_trip() {
        for i in 0..ROUTES {
            assert_eq!(Route::from_index(i).index(), i);
        }
        for i in 0..OUTCOMES {
            assert_eq!(Outcome::from_index(i).index(), i);
        }
        assert_eq!(
            Route::Chat(Dialect::WebApi, Operation::Disconnect).name(),
            "webapi/disconnect"
        );
    }

    #[test]
    fn snapshot_lists_only_non_zero_buckets() {
        let c = Counters::default();
        let route = Route::Chat(Dialect::GmsV2, Operation::Poll);
        c.request(route);
        c.request(route);
        let ok = Outcome {
            http_status: 200,
            status_code: Some(0),
            chat_ended: Some(false),
        };
        c.response(route, ok);
        c.response(
            route,
            Outcome {
                http_status: 0,
                status_code: None,
                chat_ended: None,
            },
        );
        c.fault(FaultKind::Drop);
        c.chat_created();
        let s = c.snapshot();
        assert_eq!(s.requests.get("gms-v2/poll"), Some(&2));
        assert_eq!(s.responses.len(), 2);
        assert_eq!(s.responses[0].http_status, 0);
        assert_eq!(s.responses[1].status_code, Some(0));
        assert_eq!(s.faults.get("drop"), Some(&1));
        assert_eq!(s.chats.live, 1);
    }
}
