//! The per-second timeline, bounded by down-sampling.
//!
//! Each tick adds a one-second point. Points are kept at a step of `step_s`
//! seconds; when [`MAX_POINTS`] are stored, neighbours are merged pairwise and
//! the step doubles, so a 1 h run keeps 900..1200 points of 4 s. Merging adds
//! counts (requests, errors, flags, drops, chats joined / within the target /
//! abandoned), keeps the later `active_sessions`/`flags_total`, takes the
//! request-weighted mean of `p50_ms` and the max of `p99_ms` and of
//! `queue_wait_max_ms` (percentiles of merged seconds cannot be recovered
//! exactly; the max never hides a spike).

use crate::report::model::TimelinePoint;

/// Most points kept (an even number).
pub const MAX_POINTS: usize = 1200;

/// Timeline points plus the point being filled at the current step.
#[derive(Debug, Clone)]
pub(super) struct Timeline {
    step_s: u64,
    points: Vec<TimelinePoint>,
    /// The open point and the seconds it covers so far.
    pending: Option<(TimelinePoint, u64)>,
}

impl Default for Timeline {
    fn default() -> Self {
        Timeline {
            step_s: 1,
            points: Vec::new(),
            pending: None,
        }
    }
}

/// Fold `later` into `acc` (adjacent intervals, `acc` first).
fn merge(acc: &mut TimelinePoint, later: &TimelinePoint) {
    let total = acc.requests + later.requests;
    acc.p50_ms = if total == 0 {
        acc.p50_ms.max(later.p50_ms)
    } else {
        let sum = acc.p50_ms * acc.requests as f64 + later.p50_ms * later.requests as f64;
        super::recorder::round_dp(sum / total as f64, 3)
    };
    acc.p99_ms = acc.p99_ms.max(later.p99_ms);
    acc.requests = total;
    acc.errors += later.errors;
    acc.active_sessions = later.active_sessions;
    acc.flags_total = later.flags_total;
    add_service(acc, later);
    for (k, v) in &later.flags_by_cause {
        *acc.flags_by_cause.entry(k.clone()).or_insert(0) += v;
    }
}

/// Add `other`'s counts of the interval (drops, chats joined, within the target,
/// abandoned) to `acc` and keep the longer queue wait: a merged interval, or the same
/// second of two shards.
pub(super) fn add_service(acc: &mut TimelinePoint, other: &TimelinePoint) {
    acc.dropped += other.dropped;
    acc.joined += other.joined;
    acc.joined_within_target += other.joined_within_target;
    acc.abandoned += other.abandoned;
    acc.queue_wait_max_ms = acc.queue_wait_max_ms.max(other.queue_wait_max_ms);
}

impl Timeline {
    /// Add the point of one elapsed second.
    pub(super) fn push_second(&mut self, p: TimelinePoint) {
        let (acc, secs) = match self.pending.take() {
            None => (p, 1),
            Some((mut acc, secs)) => {
                merge(&mut acc, &p);
                (acc, secs + 1)
            }
        };
        if secs < self.step_s {
            self.pending = Some((acc, secs));
            return;
        }
        self.points.push(acc);
        if self.points.len() >= MAX_POINTS {
            self.compress();
        }
    }

    /// Merge neighbours pairwise and double the step.
    fn compress(&mut self) {
        let old = std::mem::take(&mut self.points);
        let mut it = old.into_iter();
        while let Some(mut a) = it.next() {
            if let Some(b) = it.next() {
                merge(&mut a, &b);
            }
            self.points.push(a);
        }
        self.step_s *= 2;
    }

    /// The points so far (including the open one) and the step in seconds.
    pub(super) fn snapshot(&self) -> (Vec<TimelinePoint>, u64) {
        let mut points = self.points.clone();
        if let Some((p, _)) = &self.pending {
            points.push(p.clone());
        }
        (points, self.step_s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn second(t: u64) -> TimelinePoint {
        TimelinePoint {
            t_s: t,
            time_utc: String::new(),
            requests: 10,
            errors: t % 2,
            p50_ms: t as f64,
            p99_ms: t as f64 * 2.0,
            active_sessions: t,
            flags_total: t,
            flags_by_cause: [("retries".to_string(), 1)].into_iter().collect(),
            dropped: t % 3,
            joined: 2,
            joined_within_target: t % 2,
            abandoned: t % 5,
            queue_wait_max_ms: (t % 7) as f64 * 1000.0,
        }
    }

    #[test]
    fn short_runs_keep_every_second() {
        let mut tl = Timeline::default();
        for t in 0..30 {
            tl.push_second(second(t));
        }
        let (points, step) = tl.snapshot();
        assert_eq!((points.len(), step), (30, 1));
        assert_eq!(points[29], second(29));
    }

    #[test]
    fn an_hour_is_down_sampled_and_keeps_totals() {
        let mut tl = Timeline::default();
        for t in 0..3600 {
            tl.push_second(second(t));
        }
        let (points, step) = tl.snapshot();
        assert!(points.len() <= MAX_POINTS, "{}", points.len());
        assert_eq!(step, 4);
        assert_eq!(points.len(), 900);
        assert_eq!(points.iter().map(|p| p.requests).sum::<u64>(), 36_000);
        assert_eq!(points.iter().map(|p| p.errors).sum::<u64>(), 1800);
        assert_eq!(
            points
                .iter()
                .map(|p| p.flags_by_cause["retries"])
                .sum::<u64>(),
            3600
        );
        // Counts of the service level add up; the longest wait of the merged seconds stays.
        let sum = |f: fn(&TimelinePoint) -> u64| points.iter().map(f).sum::<u64>();
        assert_eq!(sum(|p| p.dropped), (0..3600).map(|t| t % 3).sum::<u64>());
        assert_eq!(sum(|p| p.joined), 7200);
        assert_eq!(sum(|p| p.joined_within_target), 1800);
        assert_eq!(sum(|p| p.abandoned), (0..3600).map(|t| t % 5).sum::<u64>());
        assert_eq!(points[1].queue_wait_max_ms, 6000.0);
        assert_eq!(points[1].service_level(), Some(2.0 / 15.0));
        // Points start at their first second, step apart; last values and max p99 kept.
        assert_eq!(points[1].t_s, 4);
        assert_eq!(points[1].active_sessions, 7);
        assert_eq!(points[1].p99_ms, 14.0);
        assert_eq!(points[1].p50_ms, 5.5);
    }

    #[test]
    fn ten_hours_stay_bounded() {
        let mut tl = Timeline::default();
        for t in 0..36_000 {
            tl.push_second(second(t));
        }
        let (points, step) = tl.snapshot();
        assert!(points.len() <= MAX_POINTS);
        assert_eq!(points.iter().map(|p| p.requests).sum::<u64>(), 360_000);
        assert_eq!(step, 32);
    }
}
