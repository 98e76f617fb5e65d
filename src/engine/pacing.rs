//! Schedules: jittered intervals, retry backoff, and the poll schedule that
//! never overlaps its own polls.
//!
//! Pacing is by schedule, not "sleep after the response": a session keeps a
//! grid of intended instants. When a response arrives after the next intended
//! instant, the next poll leaves at once (the delay is measured against the
//! intended instant) and ticks missed entirely are skipped, as the widget's
//! interval timer skips ticks while a poll is in flight.
//!
//! Waits for an intended instant go through [`clock::sleep_until`], which meets
//! the instant within a fraction of a millisecond (tokio's own timer is up to 2 ms late).

pub(crate) mod clock;

use rand::rngs::SmallRng;
use rand::Rng;
use rand_distr::{Exp1, StandardNormal};
use std::time::Duration;
use tokio::time::Instant;

/// A distribution of the extra delay added to a base interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Jitter {
    /// No jitter.
    None,
    /// Uniform in `[-spread, +spread]`.
    Uniform(Duration),
    /// Normal with this standard deviation, cut at ±3 σ.
    Normal(Duration),
    /// Exponential with this mean (always adds), cut at 10 × the mean.
    Exponential(Duration),
}

impl Jitter {
    /// The largest amount this jitter can add.
    pub fn max_added(&self) -> Duration {
        match *self {
            Jitter::None => Duration::ZERO,
            Jitter::Uniform(s) => s,
            Jitter::Normal(sd) => sd * 3,
            Jitter::Exponential(mean) => mean * 10,
        }
    }

    /// Name as written in scenario files.
    pub fn name(&self) -> &'static str {
        match self {
            Jitter::None => "none",
            Jitter::Uniform(_) => "uniform",
            Jitter::Normal(_) => "normal",
            Jitter::Exponential(_) => "exponential",
        }
    }

    /// `base` plus one jitter sample, never below zero.
    pub fn apply(&self, base: Duration, rng: &mut SmallRng) -> Duration {
        let base_s = base.as_secs_f64();
        let extra = match *self {
            Jitter::None => 0.0,
            Jitter::Uniform(s) => {
                let s = s.as_secs_f64();
                if s == 0.0 {
                    0.0
                } else {
                    rng.gen_range(-s..=s)
                }
            }
            Jitter::Normal(sd) => {
                let z: f64 = rng.sample(StandardNormal);
                sd.as_secs_f64() * z.clamp(-3.0, 3.0)
            }
            Jitter::Exponential(mean) => {
                let x: f64 = rng.sample(Exp1);
                mean.as_secs_f64() * x.min(10.0)
            }
        };
        Duration::from_secs_f64((base_s + extra).max(0.0))
    }
}

/// Retry policy: consecutive failures tolerated and exponential backoff.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Consecutive failures after which the session gives up (the widget tolerates 5).
    pub max_consecutive: u32,
    /// Backoff after the first failure.
    pub backoff: Duration,
    /// Backoff cap (doubling up to it).
    pub backoff_max: Duration,
}

impl RetryPolicy {
    /// Backoff after `failures` consecutive failures (1-based): backoff × 2^(n-1), capped.
    pub fn backoff_after(&self, failures: u32) -> Duration {
        let shift = failures.saturating_sub(1).min(16);
        self.backoff
            .saturating_mul(1u32 << shift)
            .min(self.backoff_max)
    }
}

/// The poll schedule of one session.
#[derive(Debug, Clone)]
pub(crate) struct PollSchedule {
    /// Base interval.
    pub interval: Duration,
    /// Jitter of each interval.
    pub jitter: Jitter,
    next: Instant,
}

impl PollSchedule {
    /// First poll intended at `first`.
    pub(crate) fn new(interval: Duration, jitter: Jitter, first: Instant) -> Self {
        PollSchedule {
            interval,
            jitter,
            next: first,
        }
    }

    /// The next intended poll instant.
    pub(crate) fn next(&self) -> Instant {
        self.next
    }

    /// After a poll intended at `intended` and sent at `sent`: plan the next one a
    /// jittered interval after `intended`. If that instant passed while the answer
    /// was awaited, the next poll leaves as soon as the answer arrives and keeps
    /// its missed instant (the delay is measured). If this poll itself left late,
    /// the ticks it covered are skipped, so a slow answer never causes a burst.
    pub(crate) fn advance(&mut self, intended: Instant, sent: Instant, rng: &mut SmallRng) {
        let mut next = intended + self.jitter.apply(self.interval, rng);
        let step = self.interval.max(Duration::from_millis(1));
        if sent > intended {
            while next <= sent {
                next += step;
            }
        }
        self.next = next;
    }

    /// Replace the next instant (a retry after backoff).
    pub(crate) fn retry_at(&mut self, at: Instant) {
        self.next = at;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn rng() -> SmallRng {
        SmallRng::seed_from_u64(1)
    }

    #[test]
    fn uniform_jitter_stays_in_bounds_and_varies() {
        let j = Jitter::Uniform(Duration::from_millis(200));
        let mut r = rng();
        let base = Duration::from_secs(2);
        let samples: Vec<_> = (0..1000).map(|_| j.apply(base, &mut r)).collect();
        assert!(samples.iter().all(|d| *d >= Duration::from_millis(1800)));
        assert!(samples.iter().all(|d| *d <= Duration::from_millis(2200)));
        let mean: f64 = samples.iter().map(|d| d.as_secs_f64()).sum::<f64>() / 1000.0;
        assert!((mean - 2.0).abs() < 0.02, "mean {mean}");
    }

    #[test]
    fn normal_jitter_is_cut_at_three_sigma() {
        let j = Jitter::Normal(Duration::from_millis(100));
        let mut r = rng();
        let base = Duration::from_secs(1);
        let samples: Vec<f64> = (0..2000)
            .map(|_| j.apply(base, &mut r).as_secs_f64())
            .collect();
        assert!(samples.iter().all(|s| (0.7..=1.3).contains(s)));
        let mean = samples.iter().sum::<f64>() / 2000.0;
        let var = samples.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / 2000.0;
        assert!((var.sqrt() - 0.1).abs() < 0.01, "sd {}", var.sqrt());
    }

    #[test]
    fn exponential_jitter_only_adds_with_the_given_mean() {
        let j = Jitter::Exponential(Duration::from_millis(50));
        let mut r = rng();
        let base = Duration::from_secs(1);
        let extra: Vec<f64> = (0..4000)
            .map(|_| j.apply(base, &mut r).as_secs_f64() - 1.0)
            .collect();
        assert!(extra.iter().all(|e| *e >= 0.0 && *e <= 0.5 + 1e-9));
        let mean = extra.iter().sum::<f64>() / 4000.0;
        assert!((mean - 0.05).abs() < 0.005, "mean {mean}");
        assert_eq!(j.max_added(), Duration::from_millis(500));
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let p = RetryPolicy {
            max_consecutive: 5,
            backoff: Duration::from_millis(500),
            backoff_max: Duration::from_secs(3),
        };
        let got: Vec<u128> = (1..=5).map(|n| p.backoff_after(n).as_millis()).collect();
        assert_eq!(got, vec![500, 1000, 2000, 3000, 3000]);
    }

    #[test]
    fn schedule_keeps_the_grid_and_never_bursts() {
        let t0 = Instant::now();
        let s = Duration::from_secs(2);
        let ms = Duration::from_millis;
        let mut p = PollSchedule::new(s, Jitter::None, t0);
        let mut r = rng();
        // On time: next tick on the grid.
        p.advance(t0, t0, &mut r);
        assert_eq!(p.next(), t0 + s);
        // Answer arrived at 8.5 s: the next poll keeps its missed instant (4 s) and leaves at once.
        p.advance(t0 + s, t0 + s, &mut r);
        assert_eq!(p.next(), t0 + 2 * s);
        // That poll left at 8.5 s: the ticks it covered (6 s, 8 s) are skipped.
        p.advance(t0 + 2 * s, t0 + ms(8500), &mut r);
        assert_eq!(p.next(), t0 + 5 * s);
        // A slightly late send (lateness below one interval) keeps the grid.
        p.advance(t0 + 5 * s, t0 + ms(10_003), &mut r);
        assert_eq!(p.next(), t0 + 6 * s);
    }
}
