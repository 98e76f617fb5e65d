//! The runtime's precise timer (Linux): a min-heap of (instant, waker) and one
//! `timerfd` registered in tokio's reactor, armed for the earliest instant with
//! nanosecond resolution. A runtime task wakes the due waits when it expires. See
//! the parent module for why.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant as StdInstant};
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tokio::runtime::{Handle, Id};
use tokio::time::Instant;

/// Waits longer than this first sleep on tokio's timer until this much before the
/// instant (so a dropped wait leaves an entry in the heap for at most this long).
const HORIZON: Duration = Duration::from_secs(10);

/// One wait on the runtime's timer.
struct PreciseWait {
    timer: Arc<Timer>,
    at: StdInstant,
    registered: bool,
}

impl Future for PreciseWait {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if StdInstant::now() >= self.at {
            return Poll::Ready(());
        }
        // Register on the first poll only: the timer wakes us once the instant has
        // come (a spurious poll before then just waits for that wake).
        if !self.registered {
            self.registered = true;
            self.timer.push(self.at, cx.waker().clone());
        }
        Poll::Pending
    }
}

/// A due entry: instant, order of arrival (ties), waker.
struct Entry {
    at: StdInstant,
    seq: u64,
    waker: Waker,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

#[derive(Default)]
struct State {
    heap: BinaryHeap<Reverse<Entry>>,
    seq: u64,
    /// The instant the timerfd is armed for (None: disarmed).
    armed: Option<StdInstant>,
}

/// One runtime's timer: a heap of instants and a timerfd in the runtime's reactor.
pub(super) struct Timer {
    state: Mutex<State>,
    fd: AsyncFd<rustix::fd::OwnedFd>,
}

impl Timer {
    /// Sleep until `at`: on tokio's timer until [`HORIZON`] before it, then on this one.
    pub(super) async fn sleep_until(self: Arc<Self>, at: Instant) {
        if let Some(coarse) = at.checked_sub(HORIZON) {
            if Instant::now() < coarse {
                tokio::time::sleep_until(coarse).await;
            }
        }
        PreciseWait {
            timer: self,
            at: at.into_std(),
            registered: false,
        }
        .await
    }

    /// The current runtime's timer (made on first use); None outside a runtime or
    /// when the timerfd cannot be made.
    pub(super) fn current() -> Option<Arc<Timer>> {
        thread_local! {
            static CACHE: std::cell::RefCell<Option<(Id, Weak<Timer>)>> = const { std::cell::RefCell::new(None) };
        }
        let handle = Handle::try_current().ok()?;
        let id = handle.id();
        CACHE.with(|c| {
            let mut c = c.borrow_mut();
            if let Some((cid, weak)) = &*c {
                if *cid == id {
                    if let Some(t) = weak.upgrade() {
                        return Some(t);
                    }
                }
            }
            let t = Self::of_runtime(&handle, id)?;
            *c = Some((id, Arc::downgrade(&t)));
            Some(t)
        })
    }

    /// Look up or make the timer of runtime `id` (its driver task and pending waits
    /// hold it, so the timer goes with the runtime; the thread-local cache holds a weak
    /// reference, checked against the runtime's id, as a thread may run one runtime after
    /// another).
    fn of_runtime(handle: &Handle, id: Id) -> Option<Arc<Timer>> {
        static TIMERS: Mutex<Vec<(Id, Weak<Timer>)>> = Mutex::new(Vec::new());
        let mut all = TIMERS.lock().unwrap_or_else(|e| e.into_inner());
        all.retain(|(_, w)| w.strong_count() > 0);
        if let Some(t) = all
            .iter()
            .find(|(i, _)| *i == id)
            .and_then(|(_, w)| w.upgrade())
        {
            return Some(t);
        }
        use rustix::time::{timerfd_create, TimerfdClockId, TimerfdFlags};
        let fd = timerfd_create(
            TimerfdClockId::Monotonic,
            TimerfdFlags::NONBLOCK | TimerfdFlags::CLOEXEC,
        )
        .ok()?;
        // SAFETY: `fd` is owned by the AsyncFd, so it stays open and the same file until
        // the AsyncFd is dropped.
        let fd = unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE) }.ok()?;
        let t = Arc::new(Timer {
            state: Mutex::new(State::default()),
            fd,
        });
        all.push((id, Arc::downgrade(&t)));
        handle.spawn(drive(t.clone()));
        Some(t)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wake `waker` at `at`.
    fn push(&self, at: StdInstant, waker: Waker) {
        let mut st = self.lock();
        st.seq += 1;
        let seq = st.seq;
        st.heap.push(Reverse(Entry { at, seq, waker }));
        if st.armed.is_none_or(|a| at < a) {
            self.arm(&mut st, at);
        }
    }

    /// Point the timerfd at `at`.
    fn arm(&self, st: &mut State, at: StdInstant) {
        use rustix::time::{timerfd_settime, Itimerspec, TimerfdTimerFlags, Timespec};
        st.armed = Some(at);
        let left = at
            .saturating_duration_since(StdInstant::now())
            .max(Duration::from_nanos(1));
        let spec = Itimerspec {
            it_interval: Timespec {
                tv_sec: 0,
                tv_nsec: 0,
            },
            it_value: Timespec {
                tv_sec: left.as_secs() as _,
                tv_nsec: left.subsec_nanos() as _,
            },
        };
        let _ = timerfd_settime(&self.fd, TimerfdTimerFlags::empty(), &spec);
    }

    /// Take the wakers whose instant has come and arm for the next.
    fn fire(&self, due: &mut Vec<Waker>) {
        let mut st = self.lock();
        let now = StdInstant::now();
        while st.heap.peek().is_some_and(|Reverse(e)| e.at <= now) {
            if let Some(Reverse(e)) = st.heap.pop() {
                due.push(e.waker);
            }
        }
        match st.heap.peek().map(|Reverse(e)| e.at) {
            Some(next) => self.arm(&mut st, next),
            None => st.armed = None,
        }
    }
}

/// The runtime task that wakes waits when the timerfd expires.
async fn drive(timer: Arc<Timer>) {
    let mut due = Vec::new();
    loop {
        match timer.fd.readable().await {
            Ok(mut ready) => ready.clear_ready(),
            // Never expected; keep waking (at tokio's resolution) rather than strand a wait.
            Err(_) => tokio::time::sleep(Duration::from_millis(1)).await,
        }
        timer.fire(&mut due);
        due.drain(..).for_each(Waker::wake);
    }
}
