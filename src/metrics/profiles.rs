//! Per-profile figures (`summary.profiles`): each `[[customers]]` profile's
//! sessions, gaps, end reasons and service level, from the rows of its ended
//! sessions (sessions.csv's `profile` column), and its request figures (requests,
//! both latency views, outcomes, transport errors, poll gaps, violations) from its
//! recorder ([`Recorder::profiles`]), so a live run, a merged one and a rebuilt one
//! compute them alike. Empty without profiles.

use super::gaps::GapPolicy;
use super::recorder::Recorder;
use super::summary::RequestFigures;
use crate::report::model::{Gaps, ProfileFigures, SessionRows};
use std::collections::BTreeMap;
use std::time::Duration;

/// What the per-profile figures are built from.
pub(super) struct Inputs<'a> {
    /// The ended sessions (rows without a profile are left out), read one at a time.
    pub rows: &'a dyn SessionRows,
    /// The service-level target (None: no service level, as in a rebuilt run).
    pub target: Option<Duration>,
    /// The profiles' names, by index (the index of `total.profiles`).
    pub names: &'a [String],
    /// The run's recorder, with its per-profile recorders.
    pub total: &'a Recorder,
    /// Gap judgement.
    pub policy: &'a GapPolicy,
    /// Run time (for the request rate).
    pub elapsed: Duration,
}

/// Every profile's figures: each profile named in `names` (even without a session yet)
/// or in the rows.
pub(super) fn build(i: &Inputs<'_>) -> BTreeMap<String, ProfileFigures> {
    let mut out = from_rows(i.rows, i.target);
    let none = Recorder::new();
    for (ix, name) in i.names.iter().enumerate() {
        let f = out.entry(name.clone()).or_insert_with(empty);
        let recorded = i.total.profiles.get(ix).unwrap_or(&none);
        let r = RequestFigures::of(recorded, i.policy, i.elapsed);
        (f.requests, f.latency_ms, f.service_time_ms) =
            (r.requests, r.latency_ms, r.service_time_ms);
        (f.outcomes, f.transport_errors) = (r.outcomes, r.transport_errors);
        (f.gaps, f.violations) = (r.gaps, r.violations);
    }
    out
}

/// A profile without sessions: every gap cause key present, as in the run's `gaps`.
fn empty() -> ProfileFigures {
    ProfileFigures {
        gaps: Gaps {
            flagged_by_cause: super::gaps::cause_map(&[0; 4]),
            ..Gaps::default()
        },
        ..ProfileFigures::default()
    }
}

/// The figures of every profile named in `rows`, the service level judged against `target`;
/// each row is added as it is handed over (no row is copied).
pub(crate) fn from_rows(
    rows: &(impl SessionRows + ?Sized),
    target: Option<Duration>,
) -> BTreeMap<String, ProfileFigures> {
    let mut by: BTreeMap<String, (ProfileFigures, Option<super::service::ServiceStats>)> =
        BTreeMap::new();
    let added = rows.for_each_row(&mut |r| {
        if r.profile.is_empty() {
            return Ok(());
        }
        if !by.contains_key(&r.profile) {
            let service = target.map(super::service::ServiceStats::new);
            by.insert(r.profile.clone(), (empty(), service));
        }
        let Some((f, service)) = by.get_mut(&r.profile) else {
            return Ok(());
        };
        f.sessions += 1;
        f.established += u64::from(!r.chat_id.is_empty());
        f.flagged += u64::from(r.flagged);
        f.near_miss += u64::from(r.near_miss);
        f.max_gap_ms = f.max_gap_ms.max(r.max_gap_ms);
        *f.end_reasons
            .entry(r.end_reason.as_str().to_string())
            .or_default() += 1;
        if let Some(s) = service {
            s.add_row(r);
        }
        Ok(())
    });
    // Adding a row cannot fail; a list or the metrics hand every row over.
    debug_assert!(added.is_ok());
    by.into_iter()
        .map(|(name, (mut f, service))| {
            f.service_level = service.and_then(|s| s.report());
            (name, f)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::SessionRow;
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
        let p = from_rows(&rows[..], Some(Duration::from_secs(2)));
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
        assert!(from_rows(&rows[3..], Some(Duration::from_secs(2))).is_empty());
    }
}
