//! The one load plan: every way of stating load (flags, `[load]`, stages)
//! becomes a [`LoadPlan`], so the runner has a single code path.
//!
//! Closed model: a stage names a number of concurrent sessions (slots); a slot
//! whose session ends starts a new one when `restart` is on. Open model: a stage
//! names an arrival rate (chats per second, linear ramps between rates); sessions
//! arrive per [`super::arrivals::Arrivals`] up to a concurrency cap, and an
//! arrival that finds the cap full is dropped.

use std::time::Duration;

/// How sessions are started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadMode {
    /// A target number of concurrent sessions (slots) over time.
    Closed,
    /// Sessions arrive at a rate, independent of how fast earlier ones end.
    Open {
        /// Inter-arrival times.
        arrival: ArrivalProcess,
        /// Most sessions active at once; an arrival finding them all busy is dropped.
        cap: u64,
    },
}

/// Inter-arrival times of the open model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArrivalProcess {
    /// Exponential inter-arrival times (a Poisson process), seeded.
    Poisson,
    /// Evenly spaced arrivals (1 / rate apart).
    Uniform,
}

/// One stage: ramp linearly from the previous level to `target_sessions` (closed)
/// or `arrival_rate` (open), then hold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stage {
    /// Concurrent sessions at the end of the ramp (closed model; 0 in the open one).
    pub target_sessions: u64,
    /// Arrivals per second at the end of the ramp (open model; 0 in the closed one).
    pub arrival_rate: f64,
    /// Ramp length (zero = step).
    pub ramp: Duration,
    /// Hold length after the ramp.
    pub hold: Duration,
}

/// A whole plan.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadPlan {
    /// How sessions are started.
    pub mode: LoadMode,
    /// Stages in order, starting from zero sessions.
    pub stages: Vec<Stage>,
    /// Start a new session in a slot whose session ended.
    pub restart: bool,
}

impl LoadPlan {
    /// The common single-stage plan: ramp to `sessions` over `ramp_up`, hold until `duration`.
    pub fn simple(sessions: u64, ramp_up: Duration, duration: Duration, restart: bool) -> Self {
        LoadPlan {
            mode: LoadMode::Closed,
            stages: vec![Stage {
                target_sessions: sessions,
                arrival_rate: 0.0,
                ramp: ramp_up,
                hold: duration.saturating_sub(ramp_up),
            }],
            restart,
        }
    }

    /// Total planned length.
    pub fn duration(&self) -> Duration {
        self.stages.iter().map(|s| s.ramp + s.hold).sum()
    }

    /// Peak concurrent sessions (the cap in the open model).
    pub fn peak_sessions(&self) -> u64 {
        if let LoadMode::Open { cap, .. } = self.mode {
            return cap;
        }
        self.stages
            .iter()
            .map(|s| s.target_sessions)
            .max()
            .unwrap_or(0)
    }

    /// Arrivals the open plan offers over its whole length (rate integrated).
    pub fn offered_arrivals(&self) -> f64 {
        let mut from = 0.0;
        let mut sum = 0.0;
        for s in &self.stages {
            sum += (from + s.arrival_rate) / 2.0 * s.ramp.as_secs_f64()
                + s.arrival_rate * s.hold.as_secs_f64();
            from = s.arrival_rate;
        }
        sum
    }

    /// Target concurrent sessions at `t` since the start (0 after the end).
    pub fn target_at(&self, t: Duration) -> u64 {
        let mut from = 0u64;
        let mut start = Duration::ZERO;
        for s in &self.stages {
            let ramp_end = start + s.ramp;
            if t < ramp_end {
                let frac = (t - start).as_secs_f64() / s.ramp.as_secs_f64();
                let delta = s.target_sessions as f64 - from as f64;
                // Floor towards the previous level: a slot starts once its share of the ramp has passed.
                return (from as f64 + delta * frac).floor().max(0.0) as u64;
            }
            let end = ramp_end + s.hold;
            if t < end {
                return s.target_sessions;
            }
            from = s.target_sessions;
            start = end;
        }
        0
    }

    /// When slot `slot` (0-based) is first due in the first ramp that reaches it.
    pub fn slot_start(&self, slot: u64) -> Option<Duration> {
        let mut from = 0u64;
        let mut start = Duration::ZERO;
        for s in &self.stages {
            if s.target_sessions > slot && from <= slot {
                if s.ramp.is_zero() {
                    return Some(start);
                }
                let frac = (slot + 1 - from) as f64 / (s.target_sessions - from) as f64;
                // Due at the first instant target_at(t) > slot.
                let t = start + s.ramp.mul_f64(frac.min(1.0));
                return Some(t);
            }
            start += s.ramp + s.hold;
            from = s.target_sessions;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn simple_plan_ramps_linearly_then_holds() {
        let p = LoadPlan::simple(100, secs(10.0), secs(30.0), true);
        assert_eq!(p.duration(), secs(30.0));
        assert_eq!(p.target_at(secs(0.0)), 0);
        assert_eq!(p.target_at(secs(5.0)), 50);
        assert_eq!(p.target_at(secs(9.99)), 99);
        assert_eq!(p.target_at(secs(10.0)), 100);
        assert_eq!(p.target_at(secs(29.9)), 100);
        assert_eq!(p.target_at(secs(30.0)), 0);
        assert_eq!(p.peak_sessions(), 100);
    }

    #[test]
    fn zero_ramp_starts_everything_at_once() {
        let p = LoadPlan::simple(5, Duration::ZERO, secs(3.0), false);
        assert_eq!(p.target_at(Duration::ZERO), 5);
        assert_eq!(p.slot_start(4), Some(Duration::ZERO));
    }

    #[test]
    fn stages_ramp_up_and_down() {
        let p = LoadPlan {
            mode: LoadMode::Closed,
            stages: vec![
                Stage {
                    target_sessions: 10,
                    arrival_rate: 0.0,
                    ramp: secs(10.0),
                    hold: secs(10.0),
                },
                Stage {
                    target_sessions: 30,
                    arrival_rate: 0.0,
                    ramp: secs(10.0),
                    hold: Duration::ZERO,
                },
                Stage {
                    target_sessions: 0,
                    arrival_rate: 0.0,
                    ramp: secs(10.0),
                    hold: Duration::ZERO,
                },
            ],
            restart: true,
        };
        assert_eq!(p.duration(), secs(40.0));
        assert_eq!(p.target_at(secs(15.0)), 10);
        assert_eq!(p.target_at(secs(25.0)), 20);
        assert_eq!(p.target_at(secs(35.0)), 15);
        assert_eq!(p.peak_sessions(), 30);
    }

    #[test]
    fn slot_start_matches_target_at() {
        let p = LoadPlan::simple(300, secs(10.0), secs(30.0), true);
        for slot in [0u64, 1, 149, 299] {
            let t = p.slot_start(slot).unwrap();
            assert!(p.target_at(t + secs(0.000_001)) > slot, "slot {slot}");
            assert!(
                p.target_at(t.saturating_sub(secs(0.001))) <= slot,
                "slot {slot}"
            );
        }
        assert_eq!(p.slot_start(300), None);
    }
}
