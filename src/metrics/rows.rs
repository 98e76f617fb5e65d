//! Ended sessions, kept compactly until the reports are written.
//!
//! One [`CompactRow`] (about 48 bytes plus the chat id) per ended session, its
//! gap fields judged here from the session's recorded worst gap; the end-reason
//! counts the summary needs are kept as running totals.

use super::gaps::{GapClass, GapPolicy, WorstGap};
use super::recorder::{micros, ms};
use super::SessionEnd;
use crate::report::model::SessionRow;
use crate::report::vocab::{EndReason, GapCause};

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
}

/// Every ended session's row plus end-reason totals.
#[derive(Debug, Default)]
pub struct RowStore {
    rows: Vec<CompactRow>,
    /// Rows before this index were handed out by [`RowStore::take_new`].
    streamed: usize,
    end_reasons: [u64; EndReason::ALL.len()],
}

impl RowStore {
    /// Store the row of session `end`, judging its gap fields from its recorded `worst`
    /// gap; returns the row.
    pub fn push(&mut self, end: SessionEnd, worst: WorstGap, policy: &GapPolicy) -> SessionRow {
        let class = policy.classify(worst.gap);
        let cause = if class == GapClass::Normal {
            None
        } else {
            worst.cause
        };
        self.end_reasons[end.end as usize] += 1;
        let row = CompactRow {
            ordinal: end.ordinal,
            chat_id: end.chat_id.into_boxed_str(),
            polls: end.polls,
            max_gap_us: micros(worst.gap),
            class,
            cause,
            end: end.end,
        };
        let out = Self::to_row(&row);
        self.rows.push(row);
        out
    }

    /// Ended sessions whose end reason satisfies `counts`.
    pub fn count_ended(&self, counts: fn(EndReason) -> bool) -> u64 {
        EndReason::ALL
            .into_iter()
            .filter(|r| counts(*r))
            .map(|r| self.end_reasons[r as usize])
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
        }
    }

    /// The rows stored since the last call (in end order), for the streamed sessions.csv.
    pub fn take_new(&mut self) -> Vec<SessionRow> {
        let new = self.rows[self.streamed..]
            .iter()
            .map(Self::to_row)
            .collect();
        self.streamed = self.rows.len();
        new
    }

    /// Store a row read back from a streamed sessions.csv (rebuilding a run).
    pub fn push_row(&mut self, r: &SessionRow) {
        self.end_reasons[r.end_reason as usize] += 1;
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
        });
    }

    /// All rows sorted by ordinal.
    pub fn rows(&self) -> Vec<SessionRow> {
        let mut out: Vec<SessionRow> = self.rows.iter().map(Self::to_row).collect();
        out.sort_by_key(|r| r.ordinal);
        out
    }

    /// The `n` rows with the largest max gap, worst first (ties by ordinal).
    pub fn worst(&self, n: usize) -> Vec<SessionRow> {
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
    use std::time::Duration;

    fn end(ordinal: u64, end: EndReason) -> SessionEnd {
        SessionEnd {
            ordinal,
            chat_id: format!("c{ordinal}"),
            polls: 3,
            end,
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
            worst(11_000, Some(GapCause::SlowResponse)),
            &p,
        );
        s.push(
            end(0, EndReason::AgentEnded),
            worst(9_000, Some(GapCause::Retries)),
            &p,
        );
        s.push(end(1, EndReason::ClientDisconnect), worst(1_000, None), &p);
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
        s.push(end(0, EndReason::RequestFailed), WorstGap::default(), &p);
        let out = &s.rows()[0];
        assert_eq!(
            (out.max_gap_ms, out.flagged, out.near_miss, out.cause),
            (0.0, false, false, None)
        );
        assert_eq!(out.end_reason, EndReason::RequestFailed);
        assert!(s.worst(5).is_empty());
    }
}
