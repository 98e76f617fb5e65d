//! The run's phase, broadcast to every session: running, or ending and why.
//!
//! The runner (or a test) flips the phase once; sessions wait on it next to
//! their timers. One atomic and one `Notify` shared by every receiver: a receiver
//! is a pointer, and a wait holds one `Notified` (issue 15: tokio's `watch` wait
//! was 160 bytes in every session's poll wait). A late subscriber still sees the
//! current phase.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use tokio::sync::futures::Notified;
use tokio::sync::Notify;

/// Why the run is ending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Sessions keep going.
    Running,
    /// The planned duration is over.
    Ended,
    /// Ctrl-C / SIGTERM (or an injected shutdown).
    Interrupted,
    /// A threshold with abort-on-fail failed.
    Aborted,
}

impl Phase {
    const ALL: [Phase; 4] = [
        Phase::Running,
        Phase::Ended,
        Phase::Interrupted,
        Phase::Aborted,
    ];
}

/// The phase and the waiters of one run.
#[derive(Debug)]
struct State {
    /// Index into [`Phase::ALL`].
    phase: AtomicU8,
    changed: Notify,
}

impl State {
    fn phase(&self) -> Phase {
        Phase::ALL[usize::from(self.phase.load(Ordering::Acquire))]
    }
}

/// The sending side, owned by the runner.
#[derive(Debug)]
pub(crate) struct PhaseTx(Arc<State>);

/// A receiving side (a pointer to the run's phase).
#[derive(Debug, Clone)]
pub(crate) struct PhaseRx(Arc<State>);

/// A new phase channel, `Running`.
pub(crate) fn channel() -> (PhaseTx, PhaseRx) {
    let state = Arc::new(State {
        phase: AtomicU8::new(0),
        changed: Notify::new(),
    });
    (PhaseTx(state.clone()), PhaseRx(state))
}

impl PhaseTx {
    /// Move to an ending phase; the first ending phase wins.
    pub(crate) fn end(&self, phase: Phase) {
        let ix = Phase::ALL.iter().position(|p| *p == phase).unwrap_or(0) as u8;
        if ix != 0
            && self
                .0
                .phase
                .compare_exchange(0, ix, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            self.0.changed.notify_waiters();
        }
    }

    /// The current phase.
    pub(crate) fn phase(&self) -> Phase {
        self.0.phase()
    }

    /// A new receiver.
    #[cfg(test)]
    pub(crate) fn subscribe(&self) -> PhaseRx {
        PhaseRx(self.0.clone())
    }
}

impl PhaseRx {
    /// The current phase.
    pub(crate) fn phase(&self) -> Phase {
        self.0.phase()
    }

    /// The ending phase, if the run is ending.
    pub(crate) fn ending_now(&self) -> Option<Phase> {
        Some(self.phase()).filter(|p| *p != Phase::Running)
    }

    /// A wake-up for the phase's one change: created before [`PhaseRx::ending_now`]
    /// is checked, it completes when the run starts ending after that check.
    pub(crate) fn change(&self) -> Notified<'_> {
        self.0.changed.notified()
    }

    /// Wait until the run is ending and say why (pending forever if the run never ends).
    pub(crate) async fn ending(&self) -> Phase {
        let changed = self.change();
        if let Some(p) = self.ending_now() {
            return p;
        }
        changed.await;
        self.phase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn first_ending_phase_wins_and_wakes_waiters() {
        let (tx, rx) = channel();
        let waiter = tokio::spawn(async move { rx.ending().await });
        tx.end(Phase::Interrupted);
        tx.end(Phase::Ended);
        assert_eq!(waiter.await.unwrap(), Phase::Interrupted);
        assert_eq!(tx.subscribe().phase(), Phase::Interrupted);
    }
}
