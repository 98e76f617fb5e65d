//! Customer mixes: `[[customers]]` profiles, each a name, a weight and a
//! customer script (its fields laid over `[customer]`). A session's profile is
//! drawn from the run's seed and the session's index in the whole plan, in
//! proportion to the weights: the same session gets the same profile in any
//! run with the same seed, in both models and in any shard.

use crate::engine::session::CustomerScript;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::sync::Arc;

/// One profile of the mix.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// Its name (sessions.csv's `profile` column).
    pub name: Arc<str>,
    /// Its weight (above zero; relative to the others).
    pub weight: f64,
    /// What its customers do.
    pub script: CustomerScript,
}

/// The profile (index into `profiles`) of the session at plan index `index`; 0 without profiles.
pub(crate) fn pick(profiles: &[Profile], seed: u64, index: u64) -> usize {
    if profiles.len() < 2 {
        return 0;
    }
    let total: f64 = profiles.iter().map(|p| p.weight).sum();
    let mut rng =
        SmallRng::seed_from_u64(seed ^ index.wrapping_mul(0xD6E8_FEB8_6659_FD93) ^ 0x9F0F);
    let mut x = rng.gen_range(0.0..total);
    for (i, p) in profiles.iter().enumerate() {
        if x < p.weight {
            return i;
        }
        x -= p.weight;
    }
    profiles.len() - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mix(weights: &[f64]) -> Vec<Profile> {
        let script = crate::engine::config::build(&Default::default(), None)
            .unwrap()
            .script;
        weights
            .iter()
            .enumerate()
            .map(|(i, w)| Profile {
                name: format!("p{i}").into(),
                weight: *w,
                script: script.clone(),
            })
            .collect()
    }

    #[test]
    fn sessions_follow_the_weights_within_four_sigma_and_are_reproducible() {
        let p = mix(&[70.0, 20.0, 10.0]);
        let n = 20_000u64;
        let mut counts = [0u64; 3];
        for i in 0..n {
            counts[pick(&p, 7, i)] += 1;
        }
        for (c, share) in counts.iter().zip([0.7, 0.2, 0.1]) {
            let mean = n as f64 * share;
            let sigma = (n as f64 * share * (1.0 - share)).sqrt();
            assert!((*c as f64 - mean).abs() < 4.0 * sigma, "{counts:?}");
        }
        let again: Vec<usize> = (0..100).map(|i| pick(&p, 7, i)).collect();
        let first: Vec<usize> = (0..100).map(|i| pick(&p, 7, i)).collect();
        assert_eq!(again, first);
        assert_ne!(first, (0..100).map(|i| pick(&p, 8, i)).collect::<Vec<_>>());
        assert_eq!(pick(&mix(&[1.0]), 7, 3), 0);
        assert_eq!(pick(&[], 7, 3), 0);
    }
}
