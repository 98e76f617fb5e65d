//! Ended sessions, kept compactly until the reports are written.
//!
//! One [`CompactRow`] (about 64 bytes plus the chat id) per ended session, its
//! gap fields judged here from the session's recorded worst gap; the end-reason
//! counts the summary needs are kept as running totals.

use super::gaps::{GapClass, GapPolicy, WorstGap};
use super::recorder::{micros, ms};
use super::SessionEnd;
use crate::report::model::SessionRow;
use crate::report::vocab::{EndReason, GapCause};
use std::time::Duration;

/// A sessions.csv row in memory.
#[derive(Debug, Clone)]
struct CompactRow {
    ordinal: u64,
    chat_id: Box<str>,
    polls: u64,
    max_gap_us: u64,
    class: GapClass,
    cause: Option<GapCause>,
    end: EndReason,
    max_idle_us: u64,
    idle_over_flex: bool,
    expired: bool,
    abandoned: bool,
    profile: Option<std::sync::Arc<str>>,
    /// Queue wait and first response, µs ([`NONE`]: none).
    queue_wait_us: u64,
    first_response_us: u64,
}

/// A service figure the session does not have (never joined, never answered).
const NONE: u64 = u64::MAX;

fn compact(d: Option<Duration>) -> u64 {
    d.map_or(NONE, |d| micros(d).min(NONE - 1))
}

fn from_ms(v: f64) -> u64 {
    ((v * 1000.0).round() as u64).min(NONE - 1)
}

fn expand(us: u64) -> Option<f64> {
    (us != NONE).then(|| ms(us))
}

/// Every ended session's row plus end-reason totals.
#[derive(Debug, Default)]
pub(super) struct RowStore {
    rows: Vec<CompactRow>,
    /// Rows before this index were handed out by [`RowStore::take_batch`].
    streamed: usize,
    /// Rows, and failed ones, counted by the last [`RowStore::interval_counts`].
    ticked: (u64, u64),
    end_reasons: [u64; EndReason::ALL.len()],
    /// Established sessions by end reason (`completed` counts only these).
    established: [u64; EndReason::ALL.len()],
    /// Sessions whose request chat never succeeded.
    pub never_started: u64,
    /// Sessions whose disconnect was answered statusCode 0.
    pub disconnected: u64,
    /// Sessions the server expired.
    pub expired: u64,
}

impl RowStore {
    /// Store the row of session `end`, judging its gap fields from its recorded `worst`
    /// poll gap and `idle` gap (Chat Server's view); returns the row.
    pub(super) fn push(
        &mut self,
        end: SessionEnd,
        (worst, idle): (WorstGap, Duration),
        policy: &GapPolicy,
    ) -> SessionRow {
        let class = policy.classify(worst.gap);
        let cause = if class == GapClass::Normal {
            None
        } else {
            worst.cause
        };
        self.end_reasons[end.end as usize] += 1;
        if end.established {
            self.established[end.end as usize] += 1;
        } else {
            self.never_started += 1;
        }
        self.disconnected += u64::from(end.disconnected);
        self.expired += u64::from(end.expired);
        let row = CompactRow {
            max_idle_us: micros(idle),
            idle_over_flex: policy.classify(idle) == GapClass::Flagged,
            expired: end.expired,
            ordinal: end.ordinal,
            chat_id: end.chat_id.into_boxed_str(),
            polls: end.polls,
            max_gap_us: micros(worst.gap),
            class,
            cause,
            end: end.end,
            abandoned: end.service.abandoned,
            profile: end.profile,
            queue_wait_us: compact(end.service.queue_wait),
            first_response_us: compact(end.service.first_response),
        };
        let out = Self::to_row(&row);
        self.rows.push(row);
        out
    }

    /// Ended sessions whose end reason satisfies `counts`.
    pub(super) fn count_ended(&self, counts: fn(EndReason) -> bool) -> u64 {
        Self::count(&self.end_reasons, counts)
    }

    /// Established sessions whose end reason satisfies `counts`.
    pub(super) fn count_established(&self, counts: fn(EndReason) -> bool) -> u64 {
        Self::count(&self.established, counts)
    }

    fn count(by_reason: &[u64; EndReason::ALL.len()], counts: fn(EndReason) -> bool) -> u64 {
        EndReason::ALL
            .into_iter()
            .filter(|r| counts(*r))
            .map(|r| by_reason[r as usize])
            .sum()
    }

    fn to_row(r: &CompactRow) -> SessionRow {
        SessionRow {
            ordinal: r.ordinal,
            chat_id: r.chat_id.to_string(),
            polls: r.polls,
            max_gap_ms: ms(r.max_gap_us),
            flagged: r.class == GapClass::Flagged,
            near_miss: r.class == GapClass::NearMiss,
            cause: r.cause,
            end_reason: r.end,
            max_idle_ms: ms(r.max_idle_us),
            idle_over_flex: r.idle_over_flex,
            expired: r.expired,
            queue_wait_ms: expand(r.queue_wait_us),
            first_response_ms: expand(r.first_response_us),
            abandoned: r.abandoned,
            profile: r.profile.as_deref().unwrap_or_default().to_string(),
        }
    }

    /// Up to `max` of the rows no call handed out yet (in end order), for the streamed
    /// sessions.csv: its writer takes them a batch at a time, so the end of a run, when
    /// every session ends at once, never lists every row (issue 15).
    pub(super) fn take_batch(&mut self, max: usize) -> Vec<SessionRow> {
        let to = self.rows.len().min(self.streamed.saturating_add(max));
        let batch = self.rows[self.streamed..to]
            .iter()
            .map(Self::to_row)
            .collect();
        self.streamed = to;
        batch
    }

    /// Sessions ended since the last call, and how many of them failed ([`EndReason::failed`]).
    pub(super) fn interval_counts(&mut self) -> (u64, u64) {
        let now = (self.rows.len() as u64, self.count_ended(EndReason::failed));
        let (ended, failed) = self.ticked;
        self.ticked = now;
        (now.0 - ended, now.1 - failed)
    }

    /// Store a row read back from a streamed sessions.csv (rebuilding a run).
    /// sessions.csv has no column for "established" or "disconnect answered 0": a
    /// session with a chat id counts as established, and the disconnects are not
    /// known (a rebuilt run is `incomplete` and says so).
    pub(super) fn push_row(&mut self, r: &SessionRow) {
        self.end_reasons[r.end_reason as usize] += 1;
        if r.chat_id.is_empty() {
            self.never_started += 1;
        } else {
            self.established[r.end_reason as usize] += 1;
        }
        self.expired += u64::from(r.expired);
        let class = if r.flagged {
            GapClass::Flagged
        } else if r.near_miss {
            GapClass::NearMiss
        } else {
            GapClass::Normal
        };
        self.rows.push(CompactRow {
            ordinal: r.ordinal,
            chat_id: r.chat_id.clone().into_boxed_str(),
            polls: r.polls,
            max_gap_us: (r.max_gap_ms * 1000.0).round() as u64,
            class,
            cause: r.cause,
            end: r.end_reason,
            max_idle_us: (r.max_idle_ms * 1000.0).round() as u64,
            idle_over_flex: r.idle_over_flex,
            expired: r.expired,
            abandoned: r.abandoned,
            profile: (!r.profile.is_empty()).then(|| r.profile.as_str().into()),
            queue_wait_us: r.queue_wait_ms.map_or(NONE, from_ms),
            first_response_us: r.first_response_ms.map_or(NONE, from_ms),
        });
    }

    /// True when a row names a `[[customers]]` profile.
    pub(crate) fn has_profiles(&self) -> bool {
        self.rows.iter().any(|r| r.profile.is_some())
    }

    /// All rows sorted by ordinal.
    pub(super) fn rows(&self) -> Vec<SessionRow> {
        let mut out: Vec<SessionRow> = self.rows.iter().map(Self::to_row).collect();
        out.sort_by_key(|r| r.ordinal);
        out
    }

    /// Every row in ordinal order, made one at a time, with no copy of the store: the rows
    /// already streamed and those not yet are each sorted in place (so
    /// [`RowStore::take_batch`] still hands out exactly the rows it has not), then merged.
    /// Ordinals are unique in a run, so the unstable sort keeps no order apart.
    pub(super) fn for_each_sorted(
        &mut self,
        each: &mut dyn FnMut(&SessionRow) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let (old, new) = self.rows.split_at_mut(self.streamed);
        old.sort_unstable_by_key(|r| r.ordinal);
        new.sort_unstable_by_key(|r| r.ordinal);
        let (mut old, mut new) = (old.iter().peekable(), new.iter().peekable());
        loop {
            let next = match (old.peek(), new.peek()) {
                (Some(a), Some(b)) if b.ordinal < a.ordinal => new.next(),
                (Some(_), _) => old.next(),
                (None, _) => new.next(),
            };
            let Some(row) = next else {
                return Ok(());
            };
            each(&Self::to_row(row))?;
        }
    }

    /// The `n` rows with the largest max gap, worst first (ties by ordinal).
    pub(super) fn worst(&self, n: usize) -> Vec<SessionRow> {
        let mut idx: Vec<&CompactRow> = self.rows.iter().filter(|r| r.max_gap_us > 0).collect();
        let cmp = |a: &&CompactRow, b: &&CompactRow| {
            b.max_gap_us
                .cmp(&a.max_gap_us)
                .then(a.ordinal.cmp(&b.ordinal))
        };
        if idx.len() > n {
            idx.select_nth_unstable_by(n, cmp);
            idx.truncate(n);
        }
        idx.sort_by(cmp);
        idx.into_iter().map(Self::to_row).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn end(ordinal: u64, end: EndReason) -> SessionEnd {
        SessionEnd {
            ordinal,
            chat_id: format!("c{ordinal}"),
            polls: 3,
            end,
            established: true,
            disconnected: end == EndReason::ClientDisconnect,
            expired: end == EndReason::Expired,
            service: Default::default(),
            profile: None,
        }
    }

    #[test]
    fn rows_take_gap_fields_from_the_recorded_worst_gap() {
        let p = GapPolicy::new(Duration::from_secs(10), 0.8);
        let mut s = RowStore::default();
        let worst = |ms_: u64, cause| WorstGap {
            gap: Duration::from_millis(ms_),
            cause,
        };
        s.push(
            end(2, EndReason::ClientDisconnect),
            (worst(11_000, Some(GapCause::SlowResponse)), Duration::ZERO),
            &p,
        );
        s.push(
            end(0, EndReason::AgentEnded),
            (worst(9_000, Some(GapCause::Retries)), Duration::ZERO),
            &p,
        );
        s.push(
            end(1, EndReason::ClientDisconnect),
            (worst(1_000, None), Duration::from_millis(10_001)),
            &p,
        );
        let rows = s.rows();
        assert_eq!(
            rows.iter().map(|r| r.ordinal).collect::<Vec<_>>(),
            [0, 1, 2]
        );
        assert_eq!(
            (rows[2].flagged, rows[2].near_miss, rows[2].cause),
            (true, false, Some(GapCause::SlowResponse))
        );
        assert_eq!(
            (rows[0].flagged, rows[0].near_miss, rows[0].cause),
            (false, true, Some(GapCause::Retries))
        );
        assert_eq!(
            (rows[1].flagged, rows[1].near_miss, rows[1].cause),
            (false, false, None)
        );
        assert_eq!(rows[2].max_gap_ms, 11_000.0);
        // The idle view is judged apart from the poll gap.
        assert_eq!(
            (rows[1].max_idle_ms, rows[1].idle_over_flex),
            (10_001.0, true)
        );
        assert!(!rows[2].idle_over_flex);
        assert_eq!(s.count_ended(EndReason::by_client), 2);
        assert_eq!(
            s.count_ended(|r| matches!(r, EndReason::AgentEnded | EndReason::Expired)),
            1
        );
        let worst2 = s.worst(2);
        assert_eq!(worst2.iter().map(|r| r.ordinal).collect::<Vec<_>>(), [2, 0]);
    }

    #[test]
    fn a_session_without_gaps_has_no_gap_fields() {
        let p = GapPolicy::new(Duration::from_secs(10), 0.8);
        let mut s = RowStore::default();
        let mut never = end(0, EndReason::RequestFailed);
        never.established = false;
        s.push(never, (WorstGap::default(), Duration::ZERO), &p);
        let out = &s.rows()[0];
        assert_eq!(
            (out.max_gap_ms, out.flagged, out.near_miss, out.cause),
            (0.0, false, false, None)
        );
        assert_eq!(out.end_reason, EndReason::RequestFailed);
        assert_eq!(s.never_started, 1);
        assert_eq!(s.count_established(EndReason::failed), 0);
        assert!(s.worst(5).is_empty());
    }
}
