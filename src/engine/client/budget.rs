//! The body budget: at most `max_buffered_body_bytes` of response bodies are
//! buffered at once across every request in flight, so a slow target holding
//! back bodies just under `max_body_bytes` cannot grow memory without bound
//! (2,500 sessions once reached 1.5 GB). A body that cannot get budget is
//! counted as the transport kind `body_budget` (a generator limit) at once;
//! nothing waits for budget, since readers holding part of it while waiting
//! for more could all wait forever.

use std::sync::atomic::{AtomicUsize, Ordering};

/// The shared budget (lock-free: one compare-and-swap per reservation).
#[derive(Debug)]
pub(crate) struct BodyBudget {
    free: AtomicUsize,
}

impl Default for BodyBudget {
    /// No limit.
    fn default() -> Self {
        BodyBudget::new(usize::MAX)
    }
}

impl BodyBudget {
    /// A budget of `bytes`.
    pub(crate) fn new(bytes: usize) -> Self {
        BodyBudget {
            free: AtomicUsize::new(bytes),
        }
    }

    /// Reserve `bytes`, or None when fewer are free.
    pub(crate) fn take(&self, bytes: usize) -> Option<Held<'_>> {
        self.reserve(bytes).then(|| Held {
            budget: self,
            bytes,
        })
    }

    /// Bytes free now.
    #[cfg(test)]
    pub(crate) fn free(&self) -> usize {
        self.free.load(Ordering::Relaxed)
    }

    fn reserve(&self, bytes: usize) -> bool {
        if bytes == 0 {
            return true;
        }
        self.free
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |f| {
                f.checked_sub(bytes)
            })
            .is_ok()
    }
}

/// Bytes reserved by one body, given back when dropped.
#[derive(Debug)]
pub(crate) struct Held<'a> {
    budget: &'a BodyBudget,
    bytes: usize,
}

impl Held<'_> {
    /// Bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// Reserve `more` bytes too; false (nothing more held) when fewer are free.
    pub(crate) fn grow(&mut self, more: usize) -> bool {
        let ok = self.budget.reserve(more);
        if ok {
            self.bytes += more;
        }
        ok
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if self.bytes > 0 {
            self.budget.free.fetch_add(self.bytes, Ordering::AcqRel);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_never_exceed_the_budget_and_come_back_when_dropped() {
        let b = BodyBudget::new(100);
        let mut first = b.take(60).expect("60 of 100");
        assert!(b.take(41).is_none(), "only 40 left");
        let second = b.take(40).expect("the last 40");
        assert_eq!(b.free(), 0);
        assert!(!first.grow(1), "nothing left to grow into");
        assert_eq!(first.bytes(), 60);
        drop(second);
        assert!(first.grow(40));
        assert_eq!(b.free(), 0);
        drop(first);
        assert_eq!(b.free(), 100, "every byte given back");
        assert!(BodyBudget::default().take(usize::MAX / 2).is_some());
    }
}
