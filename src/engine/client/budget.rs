//! The body budget: at most `max_buffered_body_bytes` of response bodies are
//! buffered at once across every request in flight, so a slow target holding
//! back bodies just under `max_body_bytes` cannot grow memory without bound
//! (2,500 sessions once reached 1.5 GB).
//!
//! A body reserves its bytes once, before reading, while holding nothing (a
//! declared length whole, an unknown length as `max_body_bytes`, the unused
//! part given back at the end): a reader never waits while holding part of the
//! budget, so readers cannot wait on each other forever. A reservation that
//! does not fit waits for bytes to come back, until a deadline (the request's
//! timeout); the caller counts that wait as generator lateness. The fast path
//! is one compare-and-swap to take and one add (plus a load) to give back.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;

/// The shared budget.
#[derive(Debug)]
pub(crate) struct BodyBudget {
    free: AtomicUsize,
    waiting: AtomicUsize,
    returned: Notify,
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
            waiting: AtomicUsize::new(0),
            returned: Notify::new(),
        }
    }

    /// Reserve `bytes` now, or None when fewer are free.
    pub(crate) fn try_take(&self, bytes: usize) -> Option<Held<'_>> {
        // Lazily: a `Held` built and dropped on failure would give back bytes never taken.
        self.reserve(bytes).then(|| Held {
            budget: self,
            bytes,
        })
    }

    /// Reserve `bytes`, waiting for them until `deadline`: the reservation and how
    /// long it waited, or None when the deadline came first.
    pub(crate) async fn take(
        &self,
        bytes: usize,
        deadline: Instant,
    ) -> Option<(Held<'_>, Duration)> {
        if let Some(held) = self.try_take(bytes) {
            return Some((held, Duration::ZERO));
        }
        // Boxed: the wait (a `Notified` and a `Sleep`) is rare, and inline it made every
        // request's in-flight future too large for the allocator's fast per-thread cache.
        Box::pin(self.wait_and_take(bytes, deadline)).await
    }

    /// [`BodyBudget::take`] once the bytes were short: wait for returns until `deadline`.
    async fn wait_and_take(&self, bytes: usize, deadline: Instant) -> Option<(Held<'_>, Duration)> {
        let start = Instant::now();
        self.waiting.fetch_add(1, Ordering::AcqRel);
        let _waiting = Waiting(&self.waiting);
        loop {
            // Registered before the check, so a return between the two is not missed.
            let returned = self.returned.notified();
            tokio::pin!(returned);
            returned.as_mut().enable();
            if let Some(held) = self.try_take(bytes) {
                return Some((held, start.elapsed()));
            }
            tokio::select! {
                _ = returned => {}
                _ = tokio::time::sleep_until(deadline) => return None,
            }
        }
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

    fn give_back(&self, bytes: usize) {
        if bytes > 0 {
            self.free.fetch_add(bytes, Ordering::AcqRel);
            if self.waiting.load(Ordering::Acquire) > 0 {
                self.returned.notify_waiters();
            }
        }
    }
}

/// One waiter, counted while it waits.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
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
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// Give back all but `keep` bytes (a body shorter than its reservation).
    pub(crate) fn shrink_to(&mut self, keep: usize) {
        if keep < self.bytes {
            self.budget.give_back(self.bytes - keep);
            self.bytes = keep;
        }
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.budget.give_back(self.bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_never_exceed_the_budget_and_come_back_when_dropped() {
        let b = BodyBudget::new(100);
        let mut first = b.try_take(60).expect("60 of 100");
        assert!(b.try_take(41).is_none(), "only 40 left");
        let second = b.try_take(40).expect("the last 40");
        assert_eq!(b.free(), 0);
        first.shrink_to(10);
        assert_eq!((first.bytes(), b.free()), (10, 50));
        drop(second);
        drop(first);
        assert_eq!(b.free(), 100, "every byte given back");
        assert!(BodyBudget::default().try_take(usize::MAX / 2).is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn a_reservation_waits_for_bytes_to_come_back_until_its_deadline() {
        let b = std::sync::Arc::new(BodyBudget::new(100));
        let held = b.try_take(80).unwrap();
        let far = Instant::now() + Duration::from_secs(10);
        let waiter = {
            let b = b.clone();
            tokio::spawn(async move { b.take(50, far).await.map(|(h, w)| (h.bytes(), w)) })
        };
        tokio::time::sleep(Duration::from_secs(3)).await;
        drop(held);
        let (bytes, waited) = waiter.await.unwrap().expect("given back in time");
        assert_eq!((bytes, waited), (50, Duration::from_secs(3)));
        // Not enough comes back before the deadline: None, after exactly the wait allowed.
        let _all = b.try_take(100).unwrap();
        let start = Instant::now();
        let near = start + Duration::from_secs(2);
        assert!(b.take(1, near).await.is_none());
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        assert_eq!(b.waiting.load(Ordering::Relaxed), 0);
    }
}
