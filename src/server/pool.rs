//! The agent pool (`serve --agents N --chats-per-agent M`): N × M chat slots.
//! A new chat takes a free slot, or waits in one FIFO queue; when a chat
//! holding a slot ends (the customer leaves, its flex timer runs out, or the
//! agent ends it) the slot goes to the first chat still waiting, whose agent
//! then joins after `join_after`. Without a pool every chat has its own agent.
//!
//! No task or timer per chat: the pool is one small locked state beside the
//! store. A slot freed while a chat's shard is locked cannot lock the next
//! chat's shard (two shards locked in either order could deadlock), so the
//! release only records a hand-off; [`Inner::pool_handoff`] completes it once
//! the caller (a request, the sweeper) holds no lock. Lock order: shard, then
//! pool; never the other way.
//!
//! Times are those of the events, not of their processing: a slot freed at the
//! agent's `ParticipantLeft` instant goes to the next chat at that instant
//! (or when that chat arrived, if later), so lazy evaluation does not add wait.

use super::agent::{self, Advance, Cx};
use super::store::Chat;
use super::Inner;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::time::Duration;
use tokio::time::Instant;

/// Where a chat stands with the agents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seat {
    /// No pool: the chat has its own agent (or none, with the agent disabled).
    Own,
    /// Waiting in the pool's queue.
    Queued,
    /// Holding one of the pool's slots.
    Held,
    /// Its slot (or its place in the queue) was given back.
    Freed,
}

/// Pool counters, served with the other stats (`pool` in `GET /__chatload/stats`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolCounts {
    /// Agents in the pool.
    pub agents: u32,
    /// Chats one agent handles at once.
    pub chats_per_agent: u32,
    /// Slots held now (agents × chats per agent at most).
    pub busy: u64,
    /// Chats waiting in the queue now.
    pub waiting: u64,
    /// Chats that found every slot busy and had to queue.
    pub queued: u64,
    /// Chats given a slot, at once or from the queue.
    pub joined: u64,
    /// Chats that ended while waiting (customer disconnect or flex expiry).
    pub left_queue: u64,
    /// Longest queue seen.
    pub max_queue_len: u64,
    /// Sum over `joined` chats of their time in the queue (0 for those joined at
    /// once), in microseconds.
    pub queue_wait_us_total: u64,
}

impl PoolCounts {
    /// Chats that came to the pool: joined, left the queue, or still waiting.
    pub fn arrivals(&self) -> u64 {
        self.joined + self.left_queue + self.waiting
    }

    /// Share of arrivals that had to queue (0 without arrivals).
    pub fn wait_probability(&self) -> f64 {
        ratio(self.queued as f64, self.arrivals())
    }

    /// Average speed of answer: mean queue wait of the joined chats, in seconds.
    pub fn asa_secs(&self) -> f64 {
        ratio(self.queue_wait_us_total as f64 / 1e6, self.joined)
    }
}

fn ratio(x: f64, n: u64) -> f64 {
    if n == 0 {
        0.0
    } else {
        x / n as f64
    }
}

/// A slot on its way to a queued chat.
struct Handoff {
    key: u64,
    enqueued: Instant,
    free_at: Instant,
}

#[derive(Default)]
struct State {
    free: u64,
    /// Queued chats in arrival order; a chat that left stays until popped
    /// (its hand-off then finds it gone and passes the slot on).
    queue: VecDeque<(u64, Instant)>,
    handoffs: VecDeque<Handoff>,
    counts: PoolCounts,
    wait_total: Duration,
}

impl State {
    fn release(&mut self, at: Instant) {
        match self.queue.pop_front() {
            Some((key, enqueued)) => self.handoffs.push_back(Handoff {
                key,
                enqueued,
                free_at: at,
            }),
            None => self.free += 1,
        }
    }
}

/// The pool: slots, queue and counters.
pub(super) struct Pool {
    slots: u64,
    state: Mutex<State>,
}

impl Pool {
    /// `agents` × `chats_per_agent` free slots (at least one).
    pub(super) fn new(agents: u32, chats_per_agent: u32) -> Self {
        let (agents, chats_per_agent) = (agents.max(1), chats_per_agent.max(1));
        let slots = u64::from(agents) * u64::from(chats_per_agent);
        let state = State {
            free: slots,
            counts: PoolCounts {
                agents,
                chats_per_agent,
                ..PoolCounts::default()
            },
            ..State::default()
        };
        Pool {
            slots,
            state: Mutex::new(state),
        }
    }

    /// A new chat: true when it takes a free slot at once (joined with no wait).
    pub(super) fn arrive(&self) -> bool {
        let mut st = self.state.lock();
        if st.free == 0 {
            return false;
        }
        st.free -= 1;
        st.counts.joined += 1;
        true
    }

    /// A chat that found every slot busy (and is now in the store) starts
    /// waiting at `now`; a slot freed since its arrival goes to it at once.
    pub(super) fn enqueue(&self, key: u64, now: Instant) {
        let mut st = self.state.lock();
        st.counts.queued += 1;
        st.counts.waiting += 1;
        st.counts.max_queue_len = st.counts.max_queue_len.max(st.counts.waiting);
        if st.free > 0 {
            st.free -= 1;
            st.handoffs.push_back(Handoff {
                key,
                enqueued: now,
                free_at: now,
            });
        } else {
            st.queue.push_back((key, now));
        }
    }

    /// The counters now.
    pub(super) fn snapshot(&self) -> PoolCounts {
        let st = self.state.lock();
        let mut c = st.counts.clone();
        c.busy = self.slots - st.free;
        c.queue_wait_us_total = u64::try_from(st.wait_total.as_micros()).unwrap_or(u64::MAX);
        c
    }

    fn next_handoff(&self) -> Option<Handoff> {
        self.state.lock().handoffs.pop_front()
    }

    fn release(&self, at: Instant) {
        self.state.lock().release(at);
    }
}

/// A chat ended at `at`: give its slot back (to the next queued chat), or
/// take it out of the count of waiting chats. Called under the chat's shard lock.
pub(super) fn on_end(chat: &mut Chat, at: Instant, cx: &Cx) {
    let Some(pool) = cx.pool else { return };
    match chat.seat {
        Seat::Held => pool.release(at),
        Seat::Queued => {
            let mut st = pool.state.lock();
            st.counts.waiting = st.counts.waiting.saturating_sub(1);
            st.counts.left_queue += 1;
        }
        Seat::Own | Seat::Freed => return,
    }
    chat.seat = Seat::Freed;
}

impl Inner {
    /// Give every freed slot to the first chat still waiting (call holding no lock).
    pub(crate) fn pool_handoff(&self) {
        let Some(pool) = &self.pool else { return };
        let cx = self.cx();
        while let Some(h) = pool.next_handoff() {
            let start = h.free_at.max(h.enqueued);
            let taken = self.store.with_chat(h.key, |chat| {
                let Some(chat) = chat else {
                    return (false, false);
                };
                // Was it still there when the slot freed? (A chat whose flex
                // timer ran out before then leaves the queue now.)
                if agent::advance(chat, start, &cx) != Advance::Open {
                    return (false, true);
                }
                if chat.seat != Seat::Queued {
                    return (false, false);
                }
                chat.seat = Seat::Held;
                {
                    let mut st = pool.state.lock();
                    st.counts.waiting = st.counts.waiting.saturating_sub(1);
                    st.counts.joined += 1;
                    st.wait_total += start - h.enqueued;
                }
                agent::start(chat, h.key, start, &cx);
                self.arm(chat, h.key, agent::next_wake(chat));
                (true, false)
            });
            if !taken {
                pool.release(h.free_at);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_go_first_free_then_fifo() {
        let t0 = Instant::now();
        let s = Duration::from_secs(1);
        let pool = Pool::new(1, 2);
        assert!(pool.arrive());
        assert!(pool.arrive());
        assert!(!pool.arrive());
        pool.enqueue(7, t0);
        assert!(!pool.arrive());
        pool.enqueue(8, t0 + s);
        pool.release(t0 + 3 * s);
        let h = pool
            .next_handoff()
            .expect("the first queued chat gets the slot");
        assert_eq!((h.key, h.enqueued, h.free_at), (7, t0, t0 + 3 * s));
        assert!(pool.next_handoff().is_none());
        let c = pool.snapshot();
        assert_eq!((c.busy, c.waiting, c.queued, c.joined), (2, 2, 2, 2));
        assert_eq!(c.max_queue_len, 2);
        // Nobody waiting: the slot becomes free.
        pool.state.lock().queue.clear();
        pool.release(t0);
        assert_eq!(pool.snapshot().busy, 1);
    }

    #[test]
    fn ratios_are_zero_without_arrivals() {
        let c = PoolCounts::default();
        assert_eq!((c.wait_probability(), c.asa_secs()), (0.0, 0.0));
        let c = PoolCounts {
            queued: 1,
            joined: 3,
            waiting: 1,
            queue_wait_us_total: 3_000_000,
            ..PoolCounts::default()
        };
        assert_eq!(c.arrivals(), 4);
        assert_eq!(c.wait_probability(), 0.25);
        assert_eq!(c.asa_secs(), 1.0);
    }
}
