//! One timer queue for every chat: a min-heap of `(instant, chat key)` and one
//! sweeper task. A flex-timer reset only writes the chat's `deadline` (no heap
//! operation on the hot path); when an entry falls due the sweeper advances the
//! chat and re-arms it at its next wake-up, so each chat has one live entry
//! (plus, briefly, superseded ones that are skipped). Uses tokio time, so tests
//! can pause the clock.

use super::agent::{self, Advance};
use super::Inner;
use parking_lot::Mutex;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::{Arc, Weak};
use tokio::sync::Notify;
use tokio::time::Instant;

/// Entries handled per lock of the heap (keeps the sweeper from hogging a worker).
const BATCH: usize = 4096;

/// The timer heap and the sweeper's wake-up.
#[derive(Default)]
pub(super) struct TimerQueue {
    heap: Mutex<BinaryHeap<Reverse<(Instant, u64)>>>,
    /// Wakes the sweeper when an entry earlier than all others arrives.
    pub notify: Arc<Notify>,
}

impl TimerQueue {
    /// Look at chat `key` at `at`.
    pub(super) fn push(&self, at: Instant, key: u64) {
        let mut heap = self.heap.lock();
        let earliest = heap.peek().is_none_or(|Reverse((t, _))| at < *t);
        heap.push(Reverse((at, key)));
        drop(heap);
        if earliest {
            self.notify.notify_one();
        }
    }

    /// The earliest entry's instant.
    pub(super) fn next_at(&self) -> Option<Instant> {
        self.heap.lock().peek().map(|Reverse((t, _))| *t)
    }

    fn pop_due(&self, now: Instant, out: &mut Vec<(Instant, u64)>) {
        let mut heap = self.heap.lock();
        while out.len() < BATCH {
            match heap.peek() {
                Some(Reverse((t, _))) if *t <= now => {
                    if let Some(Reverse(e)) = heap.pop() {
                        out.push(e);
                    }
                }
                _ => break,
            }
        }
    }
}

impl Inner {
    /// Arm chat `key` at `at` if that is earlier than its current entry.
    pub(crate) fn arm(&self, chat: &mut super::store::Chat, key: u64, at: Instant) {
        if at < chat.armed_at {
            chat.armed_at = at;
            self.timers.push(at, key);
        }
    }

    /// Handle up to one batch of due entries; returns how many were handled
    /// (a full batch means more may be due).
    pub(crate) fn sweep_batch(&self, now: Instant) -> usize {
        let mut due = Vec::new();
        self.timers.pop_due(now, &mut due);
        let cx = self.cx();
        for &(at, key) in &due {
            self.store.with_chat(key, |chat| {
                let Some(chat) = chat else { return ((), false) };
                match agent::advance(chat, now, &cx) {
                    Advance::Expired => {
                        self.misbehave.note_expired(key);
                        ((), true)
                    }
                    Advance::Gone => ((), true),
                    Advance::Open => {
                        if chat.armed_at == at {
                            let next = agent::next_wake(chat);
                            chat.armed_at = next;
                            self.timers.push(next, key);
                        }
                        ((), false)
                    }
                }
            });
        }
        self.pool_handoff();
        due.len()
    }
}

/// The sweeper: runs until the server is dropped.
pub(crate) async fn run_sweeper(weak: Weak<Inner>, notify: Arc<Notify>) {
    loop {
        let next = {
            let Some(inner) = weak.upgrade() else { return };
            while inner.sweep_batch(Instant::now()) == BATCH {
                tokio::task::yield_now().await;
            }
            inner.timers.next_at()
        };
        match next {
            Some(at) => {
                tokio::select! {
                    _ = tokio::time::sleep_until(at) => {}
                    _ = notify.notified() => {}
                }
            }
            None => notify.notified().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn queue_pops_due_entries_in_order_and_wakes_on_earlier_ones() {
        let q = TimerQueue::default();
        let t0 = Instant::now();
        q.push(t0 + Duration::from_secs(5), 1);
        q.notify.notified().await; // the first entry always wakes the sweeper
        q.push(t0 + Duration::from_secs(9), 2);
        q.push(t0 + Duration::from_secs(2), 3);
        q.notify.notified().await; // an earlier entry wakes it again
        assert_eq!(q.next_at(), Some(t0 + Duration::from_secs(2)));
        let mut due = Vec::new();
        q.pop_due(t0 + Duration::from_secs(5), &mut due);
        let keys: Vec<u64> = due.iter().map(|(_, k)| *k).collect();
        assert_eq!(keys, [3, 1]);
        assert_eq!(q.next_at(), Some(t0 + Duration::from_secs(9)));
    }
}
