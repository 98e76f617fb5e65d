//! Deterministic fault injection. Each rule counts the requests it matches;
//! `every = N` fires on the Nth, 2Nth, ...; `rate = r` fires when a seeded
//! uniform number for (seed, rule, n) is below `r`. A run with the same seed
//! and the same per-operation request counts injects the same number of faults.
//!
//! When several rules fire on one request, the first terminal one (status1,
//! status1_chat_ended, status2, http_5xx, drop) wins and nothing else is
//! applied; otherwise a delay and the modifiers (alias_rotation,
//! transcript_hole) combine. A fault is counted only where it is applied.

use super::config::{FaultKind, FaultRule};
use super::rng;
use crate::protocol::Operation;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The rules and their match counters.
pub(super) struct Faults {
    rules: Vec<FaultRule>,
    matched: Vec<AtomicU64>,
    seed: u64,
}

/// What to do to one request.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Decision {
    /// Answer with this fault instead of processing.
    pub terminal: Option<FaultKind>,
    /// Process normally, then wait this long before answering.
    pub delay: Option<Duration>,
    /// Rotate the chat's alias (if the answer is statusCode 0 on a live chat).
    pub alias_rotation: bool,
    /// Skip one transcript index (if the answer is statusCode 0 on a live chat).
    pub transcript_hole: bool,
}

impl Faults {
    /// Faults from validated rules.
    pub(super) fn new(rules: Vec<FaultRule>, seed: u64) -> Self {
        let matched = rules.iter().map(|_| AtomicU64::new(0)).collect();
        Faults {
            rules,
            matched,
            seed,
        }
    }

    /// Decide for one request of `op`.
    pub(super) fn decide(&self, op: Operation) -> Decision {
        let mut d = Decision::default();
        for (i, rule) in self.rules.iter().enumerate() {
            if !rule.operation.matches(op) {
                continue;
            }
            let n = self.matched[i].fetch_add(1, Ordering::Relaxed) + 1;
            let fires = match (rule.every, rule.rate) {
                (Some(every), _) => n.is_multiple_of(every.max(1)),
                (None, Some(rate)) => rng::unit(self.seed, i as u64, n) < rate,
                (None, None) => false,
            };
            if !fires {
                continue;
            }
            match rule.kind {
                FaultKind::Delay => {
                    if d.delay.is_none() {
                        let mut rng = rng::rng_for(self.seed, 1_000_000 + i as u64, n);
                        d.delay = rule.delay.map(|spec| spec.sample(&mut rng));
                    }
                }
                FaultKind::AliasRotation => d.alias_rotation = true,
                FaultKind::TranscriptHole => d.transcript_hole = true,
                terminal => {
                    if d.terminal.is_none() {
                        d.terminal = Some(terminal);
                    }
                }
            }
        }
        if d.terminal.is_some() {
            return Decision {
                terminal: d.terminal,
                ..Decision::default()
            };
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::config::{DelaySpec, OperationSelector};

    fn rule(
        kind: FaultKind,
        op: OperationSelector,
        every: Option<u64>,
        rate: Option<f64>,
    ) -> FaultRule {
        FaultRule {
            kind,
            operation: op,
            every,
            rate,
            delay: None,
        }
    }

    #[test]
    fn every_nth_fires_exactly_on_multiples() {
        let f = Faults::new(
            vec![rule(
                FaultKind::Status1,
                OperationSelector::Only(Operation::Poll),
                Some(3),
                None,
            )],
            1,
        );
        let fired: Vec<bool> = (0..9)
            .map(|_| f.decide(Operation::Poll).terminal.is_some())
            .collect();
        assert_eq!(
            fired,
            [false, false, true, false, false, true, false, false, true]
        );
        assert_eq!(f.decide(Operation::Send), Decision::default());
    }

    #[test]
    fn rate_is_seeded_and_close_to_the_rate() {
        let count = |seed| {
            let f = Faults::new(
                vec![rule(
                    FaultKind::Drop,
                    OperationSelector::Any,
                    None,
                    Some(0.1),
                )],
                seed,
            );
            (0..10_000)
                .filter(|_| f.decide(Operation::Poll).terminal.is_some())
                .count()
        };
        assert_eq!(count(5), count(5));
        assert!((800..1200).contains(&count(5)), "{}", count(5));
    }

    #[test]
    fn terminal_wins_over_modifiers_and_delay() {
        let mut delay = rule(FaultKind::Delay, OperationSelector::Any, Some(1), None);
        delay.delay = Some(DelaySpec::Fixed(Duration::from_millis(5)));
        let f = Faults::new(
            vec![
                delay,
                rule(
                    FaultKind::AliasRotation,
                    OperationSelector::Any,
                    Some(1),
                    None,
                ),
                rule(FaultKind::Status2, OperationSelector::Any, Some(2), None),
            ],
            1,
        );
        let first = f.decide(Operation::Poll);
        assert_eq!(first.delay, Some(Duration::from_millis(5)));
        assert!(first.alias_rotation);
        let second = f.decide(Operation::Poll);
        assert_eq!(second.terminal, Some(FaultKind::Status2));
        assert_eq!(second.delay, None);
        assert!(!second.alias_rotation);
    }
}
