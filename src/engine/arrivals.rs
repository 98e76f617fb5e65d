//! The open model's arrival instants: a seeded, lazy sequence read by the
//! runner's one spawner loop (no task or timer per planned arrival).
//!
//! The rate is piecewise linear over the plan's stages. Arrivals are found by
//! time rescaling: with Λ(t) the integrated rate, the k-th arrival is where Λ
//! reaches the sum of k unit-mean increments (exponential for Poisson; exactly
//! 1 for uniform, the first at the start, like k6's arrival-rate executors).
//! Inside a linear ramp Λ is quadratic, solved in closed form.

use super::plan::{ArrivalProcess, LoadPlan};
use rand::rngs::SmallRng;
use rand::SeedableRng;
use rand_distr::{Distribution, Exp1};
use std::time::Duration;

/// One stretch of linear rate: from `r0` to `r1` arrivals/s over `len` seconds.
#[derive(Debug, Clone, Copy)]
struct Segment {
    start: f64,
    len: f64,
    r0: f64,
    r1: f64,
}

impl Segment {
    /// Arrivals expected over the whole segment.
    fn mass(&self) -> f64 {
        (self.r0 + self.r1) / 2.0 * self.len
    }

    /// Seconds into the segment where `x` (< mass) expected arrivals have passed.
    fn solve(&self, x: f64) -> f64 {
        let a = (self.r1 - self.r0) / (2.0 * self.len);
        let b = self.r0;
        // a s² + b s = x; the stable root for either sign of a.
        let disc = (b * b + 4.0 * a * x).max(0.0);
        let den = b + disc.sqrt();
        if den <= 0.0 {
            return 0.0;
        }
        (2.0 * x / den).clamp(0.0, self.len)
    }
}

/// The arrival instants (since the start of the run) of an open plan, in order.
#[derive(Debug, Clone)]
pub struct Arrivals {
    segments: Vec<Segment>,
    process: ArrivalProcess,
    rng: SmallRng,
    /// Current segment and the expected arrivals before it.
    seg: usize,
    before: f64,
    /// Expected arrivals at the next arrival.
    target: f64,
}

impl Arrivals {
    /// The arrivals of `plan` (none for a closed plan), reproducible for `seed`.
    pub fn new(plan: &LoadPlan, process: ArrivalProcess, seed: u64) -> Self {
        let mut segments = Vec::new();
        let (mut t, mut from) = (0.0, 0.0);
        for s in &plan.stages {
            for (len, r0, r1) in [
                (s.ramp.as_secs_f64(), from, s.arrival_rate),
                (s.hold.as_secs_f64(), s.arrival_rate, s.arrival_rate),
            ] {
                if len > 0.0 {
                    segments.push(Segment {
                        start: t,
                        len,
                        r0,
                        r1,
                    });
                    t += len;
                }
            }
            from = s.arrival_rate;
        }
        Arrivals {
            segments,
            process,
            rng: SmallRng::seed_from_u64(seed ^ 0xA771_7A15_0000_0001),
            seg: 0,
            before: 0.0,
            // Uniform: the first arrival at Λ = 0 (the start), then one per unit.
            target: match process {
                ArrivalProcess::Poisson => 0.0,
                ArrivalProcess::Uniform => -1.0,
            },
        }
    }

    fn increment(&mut self) -> f64 {
        match self.process {
            ArrivalProcess::Poisson => Exp1.sample(&mut self.rng),
            ArrivalProcess::Uniform => 1.0,
        }
    }
}

impl Iterator for Arrivals {
    type Item = Duration;

    /// The next arrival instant since the start, or `None` after the plan's end.
    fn next(&mut self) -> Option<Duration> {
        self.target += self.increment();
        while let Some(seg) = self.segments.get(self.seg) {
            let mass = seg.mass();
            if self.target - self.before < mass {
                let s = seg.solve(self.target - self.before);
                return Some(Duration::from_secs_f64(seg.start + s));
            }
            self.before += mass;
            self.seg += 1;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::plan::{LoadMode, Stage};

    fn plan(stages: &[(f64, f64, f64)]) -> LoadPlan {
        LoadPlan {
            mode: LoadMode::Open {
                arrival: ArrivalProcess::Poisson,
                cap: 1000,
            },
            stages: stages
                .iter()
                .map(|&(rate, ramp, hold)| Stage {
                    target_sessions: 0,
                    arrival_rate: rate,
                    ramp: Duration::from_secs_f64(ramp),
                    hold: Duration::from_secs_f64(hold),
                })
                .collect(),
            restart: false,
        }
    }

    fn count_in(a: Arrivals, from: f64, to: f64) -> u64 {
        a.filter(|d| d.as_secs_f64() >= from && d.as_secs_f64() < to)
            .count() as u64
    }

    #[test]
    fn a_seed_gives_a_pinned_count_and_the_same_instants() {
        let p = plan(&[(2.0, 0.0, 100.0)]);
        let a: Vec<_> = Arrivals::new(&p, ArrivalProcess::Poisson, 7).collect();
        let b: Vec<_> = Arrivals::new(&p, ArrivalProcess::Poisson, 7).collect();
        assert_eq!(a, b);
        assert_eq!(a.len(), 189, "pinned for seed 7 (expected 200 ± 57 at 4σ)");
        assert!(a.windows(2).all(|w| w[0] <= w[1]));
        assert!(a.iter().all(|d| *d < Duration::from_secs(100)));
        let c: Vec<_> = Arrivals::new(&p, ArrivalProcess::Poisson, 8).collect();
        assert_ne!(a, c);
    }

    #[test]
    fn poisson_counts_lie_within_four_sigma_of_rate_times_time() {
        // 200 seeds of 5/s over 60 s: each count within 4σ, the mean within 4σ/√200.
        let p = plan(&[(5.0, 0.0, 60.0)]);
        let mean: f64 = 300.0;
        let sigma = mean.sqrt();
        let mut sum = 0.0;
        for seed in 0..200 {
            let n = Arrivals::new(&p, ArrivalProcess::Poisson, seed).count() as f64;
            assert!((n - mean).abs() < 4.0 * sigma, "seed {seed}: {n}");
            sum += n;
        }
        let avg = sum / 200.0;
        assert!(
            (avg - mean).abs() < 4.0 * sigma / 200f64.sqrt(),
            "mean {avg}"
        );
    }

    #[test]
    fn uniform_arrivals_are_evenly_spaced() {
        let p = plan(&[(4.0, 0.0, 10.0)]);
        let a: Vec<_> = Arrivals::new(&p, ArrivalProcess::Uniform, 1).collect();
        assert_eq!(a.len(), 40);
        assert_eq!(a[0], Duration::ZERO);
        assert_eq!(a[1], Duration::from_millis(250));
        assert_eq!(a[39], Duration::from_millis(9750));
    }

    #[test]
    fn a_stage_ramps_the_rate_linearly() {
        // 0 -> 10/s over 100 s: Λ(t) = t²/20, so 125 arrivals in the first half,
        // 375 in the second, then 10/s held for 10 s.
        let p = plan(&[(10.0, 100.0, 10.0)]);
        let u = |from, to| count_in(Arrivals::new(&p, ArrivalProcess::Uniform, 0), from, to);
        assert_eq!(u(0.0, 50.0), 125);
        assert_eq!(u(50.0, 100.0), 375);
        assert_eq!(u(100.0, 110.0), 100);
        assert_eq!(p.offered_arrivals(), 600.0);
        // The same shape for Poisson, within 4σ per window.
        for seed in 0..20 {
            let c = |from, to| count_in(Arrivals::new(&p, ArrivalProcess::Poisson, seed), from, to);
            for (from, to, m) in [(0.0, 50.0, 125.0), (50.0, 100.0, 375.0)] {
                let n = c(from, to) as f64;
                assert!(
                    (n - m).abs() < 4.0 * m.sqrt(),
                    "seed {seed} [{from},{to}): {n}"
                );
            }
        }
        // A ramp down to zero ends the arrivals.
        let down = plan(&[(10.0, 0.0, 10.0), (0.0, 10.0, 0.0)]);
        let a: Vec<_> = Arrivals::new(&down, ArrivalProcess::Uniform, 0).collect();
        assert_eq!(a.len(), 150);
        assert!(a.iter().all(|d| *d <= Duration::from_secs(20)));
    }
}
