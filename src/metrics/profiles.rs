//! Per-profile figures (`summary.profiles`): each `[[customers]]` profile's
//! sessions, gaps, end reasons and service level, from the rows of its ended
//! sessions (sessions.csv's `profile` column), so a live run, a merged one and
//! a rebuilt one compute them alike. Empty without profiles.

use crate::report::model::{Gaps, ProfileFigures, SessionRow};
use std::collections::BTreeMap;
use std::time::Duration;

/// The figures of every profile named in `rows`, the service level judged against `target`.
pub(crate) fn from_rows(rows: &[SessionRow], target: Duration) -> BTreeMap<String, ProfileFigures> {
    let mut by: BTreeMap<&str, Vec<SessionRow>> = BTreeMap::new();
    for r in rows.iter().filter(|r| !r.profile.is_empty()) {
        by.entry(r.profile.as_str()).or_default().push(r.clone());
    }
    by.into_iter()
        .map(|(name, rows)| {
            let mut f = ProfileFigures {
                sessions: rows.len() as u64,
                service_level: super::service::from_rows(&rows, target),
                // Every cause key present, as in the run's `gaps` (filled per profile by the recorders).
                gaps: Gaps {
                    flagged_by_cause: super::gaps::cause_map(&[0; 4]),
                    ..Gaps::default()
                },
                ..ProfileFigures::default()
            };
            for r in &rows {
                f.established += u64::from(!r.chat_id.is_empty());
                f.flagged += u64::from(r.flagged);
                f.near_miss += u64::from(r.near_miss);
                f.max_gap_ms = f.max_gap_ms.max(r.max_gap_ms);
                *f.end_reasons
                    .entry(r.end_reason.as_str().to_string())
                    .or_default() += 1;
            }
            (name.to_string(), f)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::vocab::EndReason;

    #[test]
    fn rows_are_grouped_by_profile_and_unnamed_rows_left_out() {
        let row = |p: &str, wait: Option<f64>, gap: f64| SessionRow {
            chat_id: "c".into(),
            profile: p.into(),
            queue_wait_ms: wait,
            max_gap_ms: gap,
            end_reason: EndReason::ClientDisconnect,
            ..SessionRow::default()
        };
        let rows = [
            row("a", Some(1000.0), 2000.0),
            row("a", None, 3000.0),
            row("b", Some(5000.0), 1000.0),
            row("", Some(5000.0), 1000.0),
        ];
        let p = from_rows(&rows, Duration::from_secs(2));
        assert_eq!(p.len(), 2);
        let a = &p["a"];
        assert_eq!((a.sessions, a.established, a.max_gap_ms), (2, 2, 3000.0));
        assert_eq!(a.end_reasons["client_disconnect"], 2);
        let sl = a.service_level.as_ref().unwrap();
        assert_eq!(
            (sl.joined, sl.never_joined, sl.within_target_rate),
            (1, 1, 0.5)
        );
        assert_eq!(
            p["b"].service_level.as_ref().unwrap().within_target_rate,
            0.0
        );
        assert!(from_rows(&rows[3..], Duration::from_secs(2)).is_empty());
    }
}
