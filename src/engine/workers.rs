//! Session runtimes (issue 15, CPU per request): with `threads = N` (N ≥ 1) the sessions
//! of a run go to N single-threaded tokio runtimes, one OS thread each, instead of the
//! main multi-thread runtime (a worker per core), where they run by default (`threads = 0`).
//!
//! Why: on tokio's multi-thread scheduler a session task, the hyper-util connection
//! task it sends through and the pacing timer's task land on different workers and wake
//! each other across threads (a futex and a context switch each time): 1.4 futex calls
//! and 0.9 context switches per request in the profile of 7f3f68d. On a current-thread
//! runtime all three live on one thread, so a wake is a push on a local queue.
//!
//! The choice: each runtime has its own [`ChatClient`] (its own connection pool, bound to
//! that runtime's reactor: a connection made on one runtime is never used by a session of
//! another) and its own pacing timer (`pacing::clock`, per runtime already). What is per
//! run stays shared: the metrics (each runtime's thread takes its own shard slot), the cap
//! on requests in flight, the body budget, what the client observed, the session ordinals.
//! Slots (closed model) go to runtime `slot % N`, arrivals (open model) round robin; the
//! runner's `JoinSet` keeps every task (`spawn_on`), so the drain, the abort and the
//! end-of-run disconnects are the same as on one runtime. The spawner, signals, progress
//! and metrics ticks stay on the main runtime. The runtimes are stopped after the drain
//! (each thread shuts its runtime down with a bound and is joined); a run that never got
//! that far (an error) drops [`Workers`], which tells the threads to stop.
//!
//! With `threads = 0` (the default) or under a paused tokio clock (tests: other runtimes
//! would not share the paused time) there are no session runtimes: every session runs on
//! the current runtime, as before. Paused-ness is `pacing::clock::tokio_clock_is_real`.
//!
//! Measured (2026-11-30, 2 cores, separate server `/tmp/gs/chatload.main`, 10k sessions @
//! 1 s ± 200 ms, 20 s, load 0.2-1.9; README, Request-path cost): the cross-thread wakes are
//! gone (futex calls per request 0.47-0.54 -> 0.09) but the CPU per request is not lower
//! (`scripts/bench_client.sh`, interleaved, medians of 3: 75.8 µs before, 76.4 µs with two
//! runtimes; `perf stat` task-clock 83-84 vs 84-91 µs). Each runtime now parks in
//! `epoll_wait` about once per request it serves (1.0-1.17 context switches per request, as
//! before): half the load per thread leaves each thread idle between events, so no wake
//! serves more than one of them. One busy thread batches (one tokio worker: 72 µs, 0.6
//! switches per request) but has one core. The gain this was built for needs threads busy
//! enough to find work waiting when they wake: more load per core, or `pacing_grid`.
//!
//! So the default stays the main runtime (its idle second worker takes a wake at once:
//! the better p99), and `threads = 1` is the cheap setting: one thread serves every
//! session and batches its wakes, for a run that fits in one core (README, Request-path
//! cost, has the figures); more threads are for machines with more cores than this one.

use super::client::ChatClient;
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use tokio::runtime::Handle;
use tokio::sync::oneshot;
use tokio::task::JoinSet;

/// How long a session runtime's shutdown waits for its blocking tasks (a name lookup).
const SHUTDOWN: Duration = Duration::from_secs(1);

thread_local! {
    /// This thread's session runtime, counted from 1 (0: not a session runtime's thread).
    static RUNTIME: Cell<usize> = const { Cell::new(0) };
    /// Session tasks this thread started (read when its runtime stops).
    static TASKS: Cell<u64> = const { Cell::new(0) };
}

/// The run's clients: the main runtime's first, then one per session runtime.
#[derive(Debug)]
pub(crate) struct Clients(Box<[ChatClient]>);

impl From<ChatClient> for Clients {
    /// One client, for every runtime.
    fn from(client: ChatClient) -> Self {
        Clients(Box::new([client]))
    }
}

impl Clients {
    /// `main`, and `per_runtime[k]` for session runtime `k`.
    pub(crate) fn new(main: ChatClient, per_runtime: Vec<ChatClient>) -> Self {
        Clients(std::iter::once(main).chain(per_runtime).collect())
    }

    /// The client of the runtime this thread runs.
    pub(crate) fn current(&self) -> &ChatClient {
        let k = RUNTIME.with(Cell::get);
        self.0.get(k).unwrap_or(&self.0[0])
    }

    /// The main runtime's client (its run-wide parts are every client's).
    pub(crate) fn main(&self) -> &ChatClient {
        &self.0[0]
    }
}

/// How many session runtimes a run gets for `threads`: none for 0 (the main runtime) or
/// when tokio's clock is paused.
pub(crate) fn count(threads: usize) -> usize {
    if !super::pacing::clock::tokio_clock_is_real() {
        0
    } else {
        threads
    }
}

/// Note one session task started on this thread (the runner's task bodies call it).
pub(crate) fn note_task() {
    TASKS.with(|t| t.set(t.get() + 1));
}

/// A runtime's thread, until it is stopped.
struct End {
    stop: oneshot::Sender<()>,
    done: oneshot::Receiver<u64>,
    thread: std::thread::JoinHandle<()>,
}

/// The session runtimes of a run (none: sessions run on the current runtime).
pub(crate) struct Workers {
    handles: Box<[Handle]>,
    next: AtomicUsize,
    ends: Mutex<Vec<End>>,
    tasks: OnceLock<Vec<u64>>,
}

impl std::fmt::Debug for Workers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workers")
            .field("runtimes", &self.handles.len())
            .finish_non_exhaustive()
    }
}

impl Workers {
    /// Start `n` session runtimes, one thread each (`n` = 0: none).
    pub(crate) async fn start(n: usize) -> anyhow::Result<Workers> {
        let workers = Workers {
            handles: Box::new([]),
            next: AtomicUsize::new(0),
            ends: Mutex::new(Vec::with_capacity(n)),
            tasks: OnceLock::new(),
        };
        let mut handles = Vec::with_capacity(n);
        for k in 0..n {
            // On error `workers` drops, which stops the threads started so far.
            let (handle, end) = spawn_runtime(k).await?;
            handles.push(handle);
            lock(&workers.ends).push(end);
        }
        Ok(Workers {
            handles: handles.into(),
            ..workers
        })
    }

    /// How many session runtimes there are (0: sessions run on the current runtime).
    pub(crate) fn len(&self) -> usize {
        self.handles.len()
    }

    /// Spawn a session task into `tasks`: on runtime `key % N` when a key is given (a
    /// slot), else on the next runtime round robin; on the current one when there are none.
    pub(crate) fn spawn<F>(&self, tasks: &mut JoinSet<()>, key: Option<u64>, task: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        let n = self.handles.len();
        if n == 0 {
            tasks.spawn(task);
            return;
        }
        let k = match key {
            Some(key) => (key % n as u64) as usize,
            None => self.next.fetch_add(1, Ordering::Relaxed) % n,
        };
        tasks.spawn_on(task, &self.handles[k]);
    }

    /// Stop every runtime (after the drain: no session task is left) and join its thread,
    /// waiting at most the shutdown bound and a second. Returns the session tasks each
    /// runtime started.
    pub(crate) async fn shutdown(&self) -> &[u64] {
        let ends = std::mem::take(&mut *lock(&self.ends));
        let mut tasks = Vec::with_capacity(ends.len());
        for End { stop, done, thread } in ends {
            let _ = stop.send(());
            match tokio::time::timeout(SHUTDOWN + Duration::from_secs(1), done).await {
                Ok(Ok(n)) => {
                    // It sent its count as its last act: the join is immediate.
                    let _ = thread.join();
                    tasks.push(n);
                }
                // Bounded: a thread that did not answer is left to end by itself.
                _ => tasks.push(0),
            }
        }
        self.tasks.get_or_init(|| tasks)
    }

    /// The session tasks each runtime started, once [`Workers::shutdown`] ran.
    #[cfg(test)]
    pub(crate) fn tasks_per_runtime(&self) -> Option<&[u64]> {
        self.tasks.get().map(Vec::as_slice)
    }
}

/// Lock a mutex, recovering the data if a panicking thread poisoned it.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Start session runtime `k` on a thread of its own; its handle and its end.
async fn spawn_runtime(k: usize) -> anyhow::Result<(Handle, End)> {
    let (ready_tx, ready) = oneshot::channel();
    let (stop, stop_rx) = oneshot::channel::<()>();
    let (done_tx, done) = oneshot::channel();
    let thread = std::thread::Builder::new()
        .name(format!("chatload-sessions-{k}"))
        .spawn(move || {
            RUNTIME.with(|r| r.set(k + 1));
            crate::metrics::pin_thread_slot(k);
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            if ready_tx.send(Ok(rt.handle().clone())).is_err() {
                return;
            }
            // Runs the sessions spawned onto it until told to stop (or the sender drops).
            rt.block_on(async {
                let _ = stop_rx.await;
            });
            rt.shutdown_timeout(SHUTDOWN);
            let _ = done_tx.send(TASKS.with(Cell::get));
        })
        .map_err(|e| anyhow::anyhow!("could not start session thread {k}: {e}"))?;
    let handle = match ready.await {
        Ok(Ok(handle)) => handle,
        Ok(Err(e)) => anyhow::bail!("could not start the runtime of session thread {k}: {e}"),
        Err(_) => anyhow::bail!("session thread {k} ended before its runtime started"),
    };
    Ok((handle, End { stop, done, thread }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_paused_clock_or_one_thread_runs_sessions_on_the_current_runtime() {
        assert_eq!(count(4), 0, "paused: no session runtimes");
        let workers = Workers::start(count(0)).await.unwrap();
        let mut tasks = JoinSet::new();
        let here = std::thread::current().id();
        let (tx, rx) = oneshot::channel();
        workers.spawn(&mut tasks, Some(1), async move {
            let _ = tx.send(std::thread::current().id());
        });
        assert_eq!(rx.await.unwrap(), here);
        assert!(tasks.join_next().await.unwrap().is_ok());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn slots_go_to_their_runtime_and_arrivals_round_robin() {
        assert_eq!(count(0), 0, "the default: the current runtime");
        assert_eq!(count(1), 1, "one session thread");
        assert_eq!(count(3), 3);
        let workers = Workers::start(2).await.unwrap();
        assert_eq!(workers.len(), 2);
        let mut tasks = JoinSet::new();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let keys = [Some(0), Some(1), Some(2), Some(3), None, None];
        for (i, key) in keys.into_iter().enumerate() {
            let tx = tx.clone();
            workers.spawn(&mut tasks, key, async move {
                note_task();
                let name = std::thread::current().name().map(str::to_string);
                let _ = tx.send((i, name, RUNTIME.with(Cell::get)));
            });
        }
        while let Some(joined) = tasks.join_next().await {
            assert!(joined.is_ok());
        }
        drop(tx);
        let mut seen = Vec::new();
        while let Some(x) = rx.recv().await {
            seen.push(x);
        }
        seen.sort();
        let on = |k: usize| Some(format!("chatload-sessions-{k}"));
        let want = [(0, on(0), 1), (1, on(1), 2), (2, on(0), 1), (3, on(1), 2)];
        assert_eq!(seen[..4], want);
        assert_ne!(seen[4].2, seen[5].2, "arrivals alternate");
        assert_eq!(workers.shutdown().await, &[3, 3]);
        assert_eq!(workers.tasks_per_runtime(), Some(&[3, 3][..]));
    }

    /// Dropped without a shutdown (a run that failed): each runtime stops, dropping its
    /// tasks, and its thread ends.
    #[test]
    fn dropped_workers_stop_their_runtimes() {
        struct Dropped(std::sync::mpsc::Sender<()>);
        impl Drop for Dropped {
            fn drop(&mut self) {
                let _ = self.0.send(());
            }
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        rt.block_on(async {
            let workers = Workers::start(2).await.unwrap();
            let mut tasks = JoinSet::new();
            for key in 0..2 {
                let guard = Dropped(tx.clone());
                workers.spawn(&mut tasks, Some(key), async move {
                    let _guard = guard;
                    std::future::pending::<()>().await;
                });
            }
            tasks.detach_all();
        });
        drop(tx);
        for _ in 0..2 {
            let stopped = rx.recv_timeout(Duration::from_secs(10));
            assert!(stopped.is_ok(), "a runtime kept its task");
        }
    }

    /// What the run's layer above would watch: nothing.
    struct NoWatch;

    impl crate::engine::runner::Watch for NoWatch {
        fn tick(&self, _: crate::metrics::Tick) -> bool {
            true
        }
        fn abort(&self, _: &crate::metrics::Metrics, _: Duration) -> bool {
            false
        }
    }

    /// A real run on two session threads against the embedded server (127.0.0.1, port 0):
    /// 20 chats that poll until the planned end (2 s), then disconnect.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_run_on_two_threads_spreads_its_sessions_and_counts_what_the_server_saw() {
        let text = r#"
request_timeout = "5s"
drain_timeout = "3s"
threads = 2
[load]
sessions = 20
ramp_up = "200ms"
duration = "2s"
restart = false
[customer]
poll_interval = "100ms"
messages = 0
end = "wait-for-agent"
[server.agent]
join_after = "60s"
"#;
        let file = crate::ScenarioFile::parse("t.toml", text.to_string()).unwrap();
        let args = crate::cli::RunArgs {
            quiet: true,
            ..Default::default()
        };
        let cfg = crate::build_config(&args, Some(&file)).unwrap();
        let launched = crate::engine::runner::launch(&cfg).await.unwrap();
        let (end, abandoned) = launched.run(&cfg, &NoWatch, std::future::pending()).await;
        assert_eq!((end, abandoned), (crate::metrics::RunEnd::Completed, 0));
        assert_eq!(launched.tasks_per_runtime(), Some(&[10, 10][..]));
        let client = launched.metrics().live().requests;
        let server = launched.stop().expect("embedded server").stats();
        assert_eq!(client, server.requests.values().sum::<u64>(), "{server:?}");
        assert!(
            client > 20 * 10,
            "every chat polled for about 2 s: {client}"
        );
        // Every chat was requested once and ended by the run's end-of-run disconnect.
        let disconnects = server.requests.get("gms-v2/disconnect").copied();
        assert_eq!(disconnects, Some(20), "{server:?}");
        assert_eq!(
            (server.chats.created, server.chats.ended_by_client),
            (20, 20)
        );
        assert_eq!(server.chats.live, 0);
    }
}
