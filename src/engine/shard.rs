//! Sharded runs: shard I of N runs its exact share of the plan.
//!
//! Every stage level is split on its own (`level / N`, the remainder to the
//! first shards), so the N shards together offer exactly the plan at every
//! stage, with no rounding drift. Each shard numbers its sessions from its own
//! disjoint block of the ordinal space, which seeds every session's random draws.

use super::plan::{LoadMode, LoadPlan, Stage};
use crate::error::UsageError;

/// Shard `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1..=count.
    pub index: u32,
    /// Number of shards, at least 1.
    pub count: u32,
}

/// Most shards of one run (the ordinal block of a shard is 2^40 sessions).
pub(crate) const MAX_SHARDS: u32 = 10_000;

const FIX: &str = "give I/N with 1 <= I <= N, e.g. --shard 1/3";

impl Shard {
    /// Parse `I/N` (1-based). `what` names the source for the message.
    pub fn parse(s: &str, what: &str) -> Result<Shard, UsageError> {
        let bad = |rule: &str| UsageError::new(format!("{what}: '{s}' {rule}; {FIX}"));
        let (i, n) = s.split_once('/').ok_or_else(|| bad("is not I/N"))?;
        let i: u32 = i.trim().parse().map_err(|_| bad("has no shard number I"))?;
        let n: u32 = n.trim().parse().map_err(|_| bad("has no shard count N"))?;
        Self::new(i, n).map_err(|rule| bad(&rule))
    }

    /// Kubernetes Indexed Jobs: `JOB_COMPLETION_INDEX` (0-based) with `--shard-count N`.
    pub fn from_completion_index(index: &str, count: u64) -> Result<Shard, UsageError> {
        let bad = |rule: String| {
            UsageError::new(format!(
                "JOB_COMPLETION_INDEX: '{index}' {rule}; it must be 0..{count} (completions = --shard-count)"
            ))
        };
        let n = u32::try_from(count)
            .ok()
            .filter(|n| (1..=MAX_SHARDS).contains(n))
            .ok_or_else(|| {
                UsageError::new(format!(
                    "--shard-count: {count} must be between 1 and {MAX_SHARDS}"
                ))
            })?;
        let i: u32 = index
            .trim()
            .parse()
            .map_err(|_| bad("is not a number".into()))?;
        Self::new(i.saturating_add(1), n).map_err(|_| bad("is out of range".into()))
    }

    fn new(index: u32, count: u32) -> Result<Shard, String> {
        if count == 0 || count > MAX_SHARDS {
            return Err(format!("needs 1 <= N <= {MAX_SHARDS}"));
        }
        if index == 0 || index > count {
            return Err(format!("is out of range: shards are numbered 1 to {count}"));
        }
        Ok(Shard { index, count })
    }

    /// This shard's part of `total`: `total / N`, plus one for the first `total % N` shards.
    pub fn part(&self, total: u64) -> u64 {
        let n = u64::from(self.count);
        total / n + u64::from(u64::from(self.index - 1) < total % n)
    }

    /// The plan with every stage level (and the open model's concurrency cap) replaced by
    /// this shard's part of it. Arrival rates stay whole: see [`Shard::owns_arrival`].
    pub fn plan(&self, plan: &LoadPlan) -> LoadPlan {
        LoadPlan {
            mode: match plan.mode {
                LoadMode::Open { arrival, cap } => LoadMode::Open {
                    arrival,
                    cap: self.part(cap),
                },
                LoadMode::Closed => LoadMode::Closed,
            },
            stages: plan
                .stages
                .iter()
                .map(|s| Stage {
                    target_sessions: self.part(s.target_sessions),
                    ..*s
                })
                .collect(),
            ..plan.clone()
        }
    }

    /// Hook for the open model (arrival rates, issue 17): a shard keeps arrival `k` of the
    /// whole plan's arrival schedule when `k % N == I - 1`. Every shard computes the same
    /// schedule (same seed, same rates) and keeps its own arrivals, so the N shards together
    /// start exactly the plan's arrivals, at the plan's instants, with no rounding drift
    /// over stages (a rate divided by N would drift and change the inter-arrival law).
    /// `plan()` keeps each stage's rate whole and the open runner's arrival loop skips the
    /// arrivals this returns false for (they are neither started nor counted here).
    pub fn owns_arrival(&self, k: u64) -> bool {
        k % u64::from(self.count) == u64::from(self.index - 1)
    }

    /// First session ordinal of this shard: disjoint blocks of 2^40 ordinals.
    pub fn first_ordinal(&self) -> u64 {
        u64::from(self.index - 1) << 40
    }

    /// The index in the whole plan of this shard's session `ordinal` (what one run of the
    /// whole plan would number it): local session j is the plan's `j × N + I − 1`. The data
    /// files (customers rows, message lines) are read by this index, so the shards take
    /// disjoint rows, interleaved like the arrivals, and together the rows one run would take.
    pub fn plan_index(&self, ordinal: u64) -> u64 {
        let local = ordinal.saturating_sub(self.first_ordinal());
        local * u64::from(self.count) + u64::from(self.index - 1)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn all(n: u32) -> Vec<Shard> {
        (1..=n).map(|index| Shard { index, count: n }).collect()
    }

    #[test]
    fn parts_sum_to_the_whole_and_remainder_goes_first() {
        let parts: Vec<u64> = all(3).iter().map(|s| s.part(301)).collect();
        assert_eq!(parts, [101, 100, 100]);
        let parts: Vec<u64> = all(4).iter().map(|s| s.part(302)).collect();
        assert_eq!(parts, [76, 76, 75, 75]);
        let parts: Vec<u64> = all(5).iter().map(|s| s.part(2)).collect();
        assert_eq!(parts, [1, 1, 0, 0, 0]);
        for total in [0u64, 1, 7, 300, 999_999] {
            for n in [1u32, 2, 3, 7, 16] {
                let sum: u64 = all(n).iter().map(|s| s.part(total)).sum();
                assert_eq!(sum, total, "{total} over {n}");
            }
        }
    }

    #[test]
    fn plan_indexes_partition_the_whole_plan() {
        for n in [1u32, 2, 3, 7] {
            let mut seen: Vec<u64> = all(n)
                .iter()
                .flat_map(|s| (0..50).map(|j| s.plan_index(s.first_ordinal() + j)))
                .collect();
            seen.sort_unstable();
            assert_eq!(
                seen,
                (0..50 * u64::from(n)).collect::<Vec<_>>(),
                "{n} shards"
            );
        }
        let s = Shard { index: 2, count: 3 };
        assert_eq!(s.plan_index(s.first_ordinal()), 1);
        assert_eq!(s.plan_index(s.first_ordinal() + 1), 4);
    }

    #[test]
    fn every_stage_is_split_exactly() {
        let stage = |n, r, h| Stage {
            target_sessions: n,
            arrival_rate: 0.0,
            ramp: Duration::from_secs(r),
            hold: Duration::from_secs(h),
        };
        let plan = LoadPlan {
            mode: LoadMode::Closed,
            stages: vec![stage(100, 10, 10), stage(301, 5, 5), stage(7, 5, 0)],
            restart: true,
        };
        let shards: Vec<LoadPlan> = all(3).iter().map(|s| s.plan(&plan)).collect();
        for (k, st) in plan.stages.iter().enumerate() {
            let sum: u64 = shards.iter().map(|p| p.stages[k].target_sessions).sum();
            assert_eq!(sum, st.target_sessions, "stage {k}");
            for p in &shards {
                assert_eq!((p.stages[k].ramp, p.stages[k].hold), (st.ramp, st.hold));
            }
        }
        assert_eq!(shards[0].peak_sessions(), 101);
        assert_eq!(shards[2].peak_sessions(), 100);
        // At the holds, the shards' targets add up to the plan's exactly.
        let t = Duration::from_secs(27);
        let sum: u64 = shards.iter().map(|p| p.target_at(t)).sum();
        assert_eq!(sum, plan.target_at(t));
    }

    #[test]
    fn arrivals_are_dealt_so_every_one_has_exactly_one_shard() {
        for n in [1, 2, 3, 7] {
            let shards = all(n);
            let mut per_shard = vec![0u64; n as usize];
            for k in 0..10_001u64 {
                let owners: Vec<_> = shards.iter().filter(|s| s.owns_arrival(k)).collect();
                assert_eq!(owners.len(), 1, "arrival {k} of {n} shards");
                per_shard[owners[0].index as usize - 1] += 1;
            }
            // The remainder goes to the first shards, as with sessions.
            let want: Vec<u64> = shards.iter().map(|s| s.part(10_001)).collect();
            assert_eq!(per_shard, want, "{n} shards");
        }
    }

    #[test]
    fn ordinal_blocks_are_disjoint() {
        let s = all(3);
        assert_eq!(s[0].first_ordinal(), 0);
        assert!(s[1].first_ordinal() > s[0].first_ordinal() + 1_000_000_000);
        assert!(s[2].first_ordinal() > s[1].first_ordinal() + 1_000_000_000);
    }

    #[test]
    fn parse_accepts_i_of_n_and_rejects_out_of_range() {
        assert_eq!(
            Shard::parse("2/3", "--shard").unwrap(),
            Shard { index: 2, count: 3 }
        );
        for bad in ["0/3", "4/3", "3", "a/3", "1/0", "1/b", ""] {
            let e = Shard::parse(bad, "--shard").unwrap_err().to_string();
            assert!(e.starts_with("--shard: "), "{e}");
            assert!(e.contains("e.g. --shard 1/3"), "{e}");
        }
        let e = Shard::parse("4/3", "--shard").unwrap_err().to_string();
        assert!(e.contains("numbered 1 to 3"), "{e}");
    }

    #[test]
    fn completion_index_is_zero_based() {
        let s = Shard::from_completion_index("0", 3).unwrap();
        assert_eq!(s, Shard { index: 1, count: 3 });
        assert_eq!(
            Shard::from_completion_index("2", 3).unwrap().to_string(),
            "3/3"
        );
        let e = Shard::from_completion_index("3", 3)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("JOB_COMPLETION_INDEX: '3'"), "{e}");
        assert!(Shard::from_completion_index("x", 3).is_err());
        assert!(Shard::from_completion_index("0", 0).is_err());
    }
}
