//! The run's phase, broadcast to every session: running, or ending and why.
//!
//! The runner (or a test) flips the phase once; sessions wait on it next to
//! their timers. A `watch` channel costs one small receiver per waiter and no
//! task, and a late subscriber still sees the current phase.

use tokio::sync::watch;

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

/// The sending side, owned by the runner.
#[derive(Debug)]
pub(crate) struct PhaseTx(watch::Sender<Phase>);

/// A receiving side, one per waiter.
#[derive(Debug, Clone)]
pub(crate) struct PhaseRx(watch::Receiver<Phase>);

/// A new phase channel, `Running`.
pub(crate) fn channel() -> (PhaseTx, PhaseRx) {
    let (tx, rx) = watch::channel(Phase::Running);
    (PhaseTx(tx), PhaseRx(rx))
}

impl PhaseTx {
    /// Move to an ending phase; the first ending phase wins.
    pub(crate) fn end(&self, phase: Phase) {
        self.0.send_if_modified(|p| {
            if *p == Phase::Running {
                *p = phase;
                true
            } else {
                false
            }
        });
    }

    /// The current phase.
    pub(crate) fn phase(&self) -> Phase {
        *self.0.borrow()
    }

    /// A new receiver.
    #[cfg(test)]
    pub(crate) fn subscribe(&self) -> PhaseRx {
        PhaseRx(self.0.subscribe())
    }
}

impl PhaseRx {
    /// The current phase.
    pub(crate) fn phase(&self) -> Phase {
        *self.0.borrow()
    }

    /// Wait until the run is ending and say why (pending forever if the sender is gone while running).
    pub(crate) async fn ending(&mut self) -> Phase {
        let phase = self.0.wait_for(|p| *p != Phase::Running).await.map(|p| *p);
        match phase {
            Ok(p) => p,
            Err(_) => std::future::pending().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn first_ending_phase_wins_and_wakes_waiters() {
        let (tx, mut rx) = channel();
        let waiter = tokio::spawn(async move { rx.ending().await });
        tx.end(Phase::Interrupted);
        tx.end(Phase::Ended);
        assert_eq!(waiter.await.unwrap(), Phase::Interrupted);
        assert_eq!(tx.subscribe().phase(), Phase::Interrupted);
    }
}
