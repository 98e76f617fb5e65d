//! Ended sessions, kept compactly until the reports are written.
//!
//! One [`CompactRow`] (48 bytes plus the chat id) per ended session; the
//! `cause` and `end_reason` strings are interned (small tables), and the
//! end-reason counts the summary needs are kept as running totals.

use super::gaps::{GapClass, GapPolicy, WorstGap};
use super::recorder::{micros, ms};
use crate::report::model::SessionRow;
use std::collections::BTreeMap;
use std::time::Duration;

/// Interned strings beyond this many distinct values are stored as `other`.
const MAX_NAMES: usize = 1024;

/// A sessions.csv row in memory.
#[derive(Debug, Clone)]
struct CompactRow {
    ordinal: u64,
    chat_id: Box<str>,
    polls: u64,
    max_gap_us: u64,
    class: GapClass,
    cause: u16,
    end_reason: u16,
}

/// Every ended session's row plus end-reason totals.
#[derive(Debug, Default)]
pub struct RowStore {
    rows: Vec<CompactRow>,
    names: Vec<Box<str>>,
    end_reasons: BTreeMap<u16, u64>,
}

impl RowStore {
    fn intern(&mut self, s: &str) -> u16 {
        if let Some(i) = self.names.iter().position(|n| &**n == s) {
            return i as u16;
        }
        if self.names.len() >= MAX_NAMES {
            return self.intern_unbounded("other");
        }
        self.intern_unbounded(s)
    }

    fn intern_unbounded(&mut self, s: &str) -> u16 {
        if let Some(i) = self.names.iter().position(|n| &**n == s) {
            return i as u16;
        }
        self.names.push(s.into());
        (self.names.len() - 1) as u16
    }

    fn name(&self, i: u16) -> &str {
        self.names.get(usize::from(i)).map_or("", |s| s)
    }

    /// Store `row`, completing its gap fields from the session's recorded `worst` gap.
    pub fn push(&mut self, row: SessionRow, worst: WorstGap, policy: &GapPolicy) {
        let engine_gap_us = if row.max_gap_ms.is_finite() && row.max_gap_ms > 0.0 {
            micros(Duration::from_secs_f64(row.max_gap_ms / 1000.0))
        } else {
            0
        };
        let max_gap_us = worst.gap_us.max(engine_gap_us);
        let class = policy.classify(Duration::from_micros(max_gap_us));
        let cause = match (row.cause.is_empty(), worst.cause) {
            (true, Some(c)) => c.as_str(),
            _ => row.cause.as_str(),
        };
        let cause = if class == GapClass::Normal && !row.flagged && !row.near_miss {
            self.intern("")
        } else {
            self.intern(cause)
        };
        let end_reason = self.intern(&row.end_reason);
        *self.end_reasons.entry(end_reason).or_insert(0) += 1;
        self.rows.push(CompactRow {
            ordinal: row.ordinal,
            chat_id: row.chat_id.into_boxed_str(),
            polls: row.polls,
            max_gap_us,
            class,
            cause,
            end_reason,
        });
    }

    /// Ended sessions whose end reason is one of `reasons`.
    pub fn count_ended(&self, reasons: &[&str]) -> u64 {
        self.end_reasons
            .iter()
            .filter(|(i, _)| reasons.contains(&self.name(**i)))
            .map(|(_, n)| n)
            .sum()
    }

    fn to_row(&self, r: &CompactRow) -> SessionRow {
        SessionRow {
            ordinal: r.ordinal,
            chat_id: r.chat_id.to_string(),
            polls: r.polls,
            max_gap_ms: ms(r.max_gap_us),
            flagged: r.class == GapClass::Flagged,
            near_miss: r.class == GapClass::NearMiss,
            cause: self.name(r.cause).to_string(),
            end_reason: self.name(r.end_reason).to_string(),
        }
    }

    /// All rows sorted by ordinal.
    pub fn rows(&self) -> Vec<SessionRow> {
        let mut out: Vec<SessionRow> = self.rows.iter().map(|r| self.to_row(r)).collect();
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
        idx.into_iter().map(|r| self.to_row(r)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::metrics::GapCause;

    fn row(ordinal: u64, end_reason: &str) -> SessionRow {
        SessionRow {
            ordinal,
            chat_id: format!("c{ordinal}"),
            polls: 3,
            end_reason: end_reason.into(),
            ..SessionRow::default()
        }
    }

    #[test]
    fn rows_take_gap_fields_from_the_recorded_worst_gap() {
        let p = GapPolicy::new(Duration::from_secs(10), 0.8);
        let mut s = RowStore::default();
        let worst = |ms_: u64, cause| WorstGap {
            gap_us: ms_ * 1000,
            cause,
        };
        s.push(
            row(2, "client_disconnect"),
            worst(11_000, Some(GapCause::SlowResponse)),
            &p,
        );
        s.push(
            row(0, "agent_ended"),
            worst(9_000, Some(GapCause::Retries)),
            &p,
        );
        s.push(row(1, "client_disconnect"), worst(1_000, None), &p);
        let rows = s.rows();
        assert_eq!(
            rows.iter().map(|r| r.ordinal).collect::<Vec<_>>(),
            [0, 1, 2]
        );
        assert_eq!(
            (rows[2].flagged, rows[2].near_miss, rows[2].cause.as_str()),
            (true, false, "slow_response")
        );
        assert_eq!(
            (rows[0].flagged, rows[0].near_miss, rows[0].cause.as_str()),
            (false, true, "retries")
        );
        assert_eq!(
            (rows[1].flagged, rows[1].near_miss, rows[1].cause.as_str()),
            (false, false, "")
        );
        assert_eq!(rows[2].max_gap_ms, 11_000.0);
        assert_eq!(s.count_ended(&["client_disconnect"]), 2);
        assert_eq!(s.count_ended(&["agent_ended", "expired"]), 1);
        let worst2 = s.worst(2);
        assert_eq!(worst2.iter().map(|r| r.ordinal).collect::<Vec<_>>(), [2, 0]);
    }

    #[test]
    fn engine_supplied_gap_is_kept_when_larger() {
        let p = GapPolicy::new(Duration::from_secs(10), 0.8);
        let mut s = RowStore::default();
        let mut r = row(0, "expired");
        r.max_gap_ms = 12_000.0;
        r.cause = "cadence".into();
        s.push(r, WorstGap::default(), &p);
        let out = &s.rows()[0];
        assert_eq!(
            (out.max_gap_ms, out.flagged, out.cause.as_str()),
            (12_000.0, true, "cadence")
        );
    }
}
