//! The service level over time: the timeline's points grouped into windows that hold
//! enough chats for a level to mean something (a one-second point with one chat is
//! 0 % or 100 %), for the HTML chart and the text summary's lowest window. A window's
//! level is its chats joined within the target of its chats joined or abandoned.

use crate::report::model::{Summary, TimelinePoint};

/// Chats a window holds on average (fewer windows when the run has few chats).
const CHATS_PER_WINDOW: u64 = 5;
/// Most windows drawn.
const MAX_WINDOWS: u64 = 60;
/// Fewest chats a window needs to be named the lowest.
pub(crate) const MIN_CHATS_LOWEST: u64 = 3;

/// Consecutive timeline points summed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LevelWindow {
    /// Start, seconds since the run's start.
    pub t_s: u64,
    /// Length in seconds.
    pub len_s: u64,
    /// The summed counts (`joined`, `joined_within_target`, `abandoned`) and the longest wait.
    pub point: TimelinePoint,
}

impl LevelWindow {
    /// Chats joined or abandoned in the window.
    pub(crate) fn chats(&self) -> u64 {
        self.point.joined + self.point.abandoned
    }
}

/// The run's timeline in windows of equal length (the last may be shorter), about
/// [`CHATS_PER_WINDOW`] chats each on average, at most [`MAX_WINDOWS`]; empty when no
/// chat was joined or abandoned.
pub(crate) fn windows(s: &Summary) -> Vec<LevelWindow> {
    let tl = &s.timeline;
    let chats: u64 = tl.iter().map(|p| p.joined + p.abandoned).sum();
    if chats == 0 {
        return Vec::new();
    }
    let count = (chats / CHATS_PER_WINDOW).clamp(1, MAX_WINDOWS) as usize;
    let per = tl.len().div_ceil(count).max(1);
    let step = s.timeline_step_s.max(1);
    tl.chunks(per)
        .map(|c| {
            let mut w = LevelWindow {
                t_s: c[0].t_s,
                len_s: c[c.len() - 1].t_s + step - c[0].t_s,
                point: TimelinePoint::default(),
            };
            for p in c {
                w.point.joined += p.joined;
                w.point.joined_within_target += p.joined_within_target;
                w.point.abandoned += p.abandoned;
                w.point.queue_wait_max_ms = w.point.queue_wait_max_ms.max(p.queue_wait_max_ms);
            }
            w
        })
        .collect()
}

/// The window with the lowest level among those with at least [`MIN_CHATS_LOWEST`]
/// chats (the earliest of equals), with its level.
pub(crate) fn lowest(windows: &[LevelWindow]) -> Option<(&LevelWindow, f64)> {
    windows
        .iter()
        .filter(|w| w.chats() >= MIN_CHATS_LOWEST)
        .filter_map(|w| Some((w, w.point.service_level()?)))
        .fold(None, |low: Option<(&LevelWindow, f64)>, (w, l)| match low {
            Some((_, best)) if best <= l => low,
            _ => Some((w, l)),
        })
}

/// A service-level goal from the run's thresholds (`service_level > 80%`,
/// `service_level >= 0.8`) as a fraction, if one was given.
pub(crate) fn goal(s: &Summary) -> Option<f64> {
    s.thresholds.iter().find_map(|t| {
        let e: String = t.expression.split_whitespace().collect();
        let rest = e.strip_prefix("service_level")?;
        let rest = rest.strip_prefix(">=").or_else(|| rest.strip_prefix('>'))?;
        let v = match rest.strip_suffix('%') {
            Some(pct) => pct.parse::<f64>().ok()? / 100.0,
            None => rest.parse::<f64>().ok()?,
        };
        (0.0..=1.0).contains(&v).then_some(v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::ThresholdResult;

    fn point(t_s: u64, joined: u64, within: u64, abandoned: u64) -> TimelinePoint {
        TimelinePoint {
            t_s,
            joined,
            joined_within_target: within,
            abandoned,
            queue_wait_max_ms: t_s as f64,
            ..TimelinePoint::default()
        }
    }

    #[test]
    fn windows_sum_the_points_and_the_lowest_needs_enough_chats() {
        let mut s = Summary {
            timeline_step_s: 2,
            ..Summary::default()
        };
        assert!(windows(&s).is_empty());
        // 20 chats in 10 points: 4 windows of 3, 3, 3 and 1 points.
        s.timeline = (0..10).map(|i| point(i * 2, 2, 2, 0)).collect();
        s.timeline[4] = point(8, 1, 0, 2); // window 1: 2 + 2 + 3 chats, 4 within
        s.timeline[9] = point(18, 0, 0, 1); // window 3: 1 chat, none within
        let w = windows(&s);
        assert_eq!(w.len(), 4);
        assert_eq!((w[1].t_s, w[1].len_s, w[1].chats()), (6, 6, 7));
        assert_eq!(w[1].point.joined_within_target, 4);
        assert_eq!(w[1].point.queue_wait_max_ms, 10.0);
        assert_eq!((w[3].t_s, w[3].len_s), (18, 2));
        let total: u64 = w.iter().map(LevelWindow::chats).sum();
        assert_eq!(total, 20);
        // Window 3 (0 %) has one chat only: window 1 (4 of 7) is the lowest.
        let (low, level) = lowest(&w).unwrap();
        assert_eq!((low.t_s, level), (6, 4.0 / 7.0));
    }

    #[test]
    fn a_goal_comes_from_a_service_level_threshold() {
        let with = |e: &str| Summary {
            thresholds: vec![ThresholdResult {
                expression: e.into(),
                ..ThresholdResult::default()
            }],
            ..Summary::default()
        };
        assert_eq!(goal(&with("service_level > 80%")), Some(0.8));
        assert_eq!(goal(&with("service_level>=0.75")), Some(0.75));
        assert_eq!(goal(&with("service_level < 80%")), None);
        assert_eq!(goal(&with("asa < 30s")), None);
        assert_eq!(goal(&Summary::default()), None);
    }
}
