//! The runner: start the embedded server when there is no target, spawn and
//! pace sessions per the plan, tick metrics and progress once a second (and hand
//! the tick to the layer above: streamed files, abort-on-fail thresholds), stop on
//! the planned end, an injected shutdown or the watcher's word, drain (bounded).
//! Reports, exit code and the summary are the command's ([`crate::command`]).
//!
//! Closed model: each slot of the plan is one lightweight task that runs
//! sessions one after another (restart after an end when the plan says so).
//! Open model: the same spawner loop also sleeps until the next planned arrival
//! ([`Arrivals`], a lazy sequence: no task or timer per arrival), measures how
//! late it woke, and starts one session task per arrival unless the
//! concurrency cap is full (then the arrival is counted as dropped). The
//! spawner ticks every 5 ms; every loop here is bounded by the plan's
//! duration, the drain timeout and the request timeout.

use super::arrivals::Arrivals;
use super::client::transport::Observed;
use super::client::{ChatClient, Target};
use super::config::RunConfig;
use super::plan::LoadMode;
use super::progress::Progress;
use super::session::{run_session, SessionCtx};
use super::stop::{self, Phase, PhaseRx, PhaseTx};
use super::workers::{self, Clients, Workers};
use crate::metrics::{Metrics, RunEnd, Tick};
use crate::server::ReferenceServer;
use anyhow::Context;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio::time::Instant;

/// How often the spawner looks at the plan.
const SPAWN_TICK: Duration = Duration::from_millis(5);

/// Slots of the plan: which are running, and the lowest index that may be free.
struct Slots {
    running: Vec<AtomicBool>,
    lowest_free: AtomicU64,
}

/// What the layer above watches once a second while the sessions run: the streamed
/// outputs and the abort-on-fail thresholds (the engine knows neither).
pub(crate) trait Watch: Sync {
    /// Take the once-a-second tick; false stops the run as interrupted (an output failed).
    fn tick(&self, tick: Tick) -> bool;
    /// True when the run must abort now, `elapsed` into it.
    fn abort(&self, metrics: &Metrics, elapsed: Duration) -> bool;
}

/// A started run: the target (the embedded server when there is none), the client and
/// the metrics every session shares; [`Launched::run`] runs the plan on it.
pub(crate) struct Launched {
    /// The embedded server, when one runs.
    pub server: Option<ReferenceServer>,
    /// The target's base URL.
    pub base: String,
    /// The run's start: the metrics' zero.
    pub t0: Instant,
    server_stop: Option<tokio::sync::oneshot::Sender<()>>,
    ctx: Arc<SessionCtx>,
    /// The session runtimes (none: sessions run on the current runtime).
    workers: Workers,
}

impl std::fmt::Debug for Launched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Launched")
            .field("base", &self.base)
            .finish()
    }
}

/// Check the descriptor limit, start the embedded server when there is no target,
/// start the session runtimes, build their clients and fresh metrics starting now.
pub(crate) async fn launch(cfg: &RunConfig) -> anyhow::Result<Launched> {
    super::fdlimit::ensure(cfg.max_connections, cfg.target.is_none())?;
    let (server, base, server_stop) = match &cfg.target {
        Some(t) => (None, t.clone(), None),
        None => {
            let (srv, base, stop) = start_embedded(cfg).await?;
            (Some(srv), base, Some(stop))
        }
    };
    let started = async {
        let workers = Workers::start(workers::count(cfg.threads)).await?;
        let main = client(cfg, &base)?;
        let own = (0..workers.len())
            .map(|_| client(cfg, &base).map(|c| c.sharing(&main)))
            .collect::<anyhow::Result<_>>()?;
        anyhow::Ok((workers, Clients::new(main, own)))
    };
    let (workers, clients) = match started.await {
        Ok(c) => c,
        Err(e) => {
            if let Some(stop) = server_stop {
                let _ = stop.send(());
            }
            return Err(e);
        }
    };
    let t0 = Instant::now();
    let ctx = session_ctx(cfg, clients, t0);
    Ok(Launched {
        server,
        base,
        t0,
        server_stop,
        ctx,
        workers,
    })
}

impl Launched {
    /// Run the plan until it ends, `shutdown` completes, `watch` stops it or aborts it,
    /// then drain (bounded). Returns how the run ended and the sessions abandoned by the drain.
    pub(crate) async fn run(
        &self,
        cfg: &RunConfig,
        watch: &dyn Watch,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> (RunEnd, usize) {
        let run = (&self.ctx, &self.workers);
        let (phase, abandoned) = run_sessions(cfg, run, watch, self.t0, shutdown).await;
        // After the drain: no session is left on the session runtimes.
        self.workers.shutdown().await;
        (run_end(phase), abandoned)
    }

    /// The run's metrics.
    pub(crate) fn metrics(&self) -> &Metrics {
        &self.ctx.metrics
    }

    /// The run's metrics, kept past [`Launched::stop`] (the reports read the rows from them).
    pub(crate) fn metrics_handle(&self) -> Arc<Metrics> {
        self.ctx.metrics.clone()
    }

    /// What the client saw of the transport (HTTP versions, error samples).
    pub(crate) fn observed(&self) -> &Observed {
        self.ctx.clients.main().observed()
    }

    /// The session tasks each session runtime started, once the run ended (None: the
    /// sessions ran on the current runtime).
    #[cfg(test)]
    pub(crate) fn tasks_per_runtime(&self) -> Option<&[u64]> {
        self.workers.tasks_per_runtime()
    }

    /// Disconnect: close the connection pools, stop the session runtimes (when the run did
    /// not) and the embedded server (its counters stay readable); returns the server.
    pub(crate) fn stop(self) -> Option<ReferenceServer> {
        drop(self.ctx);
        drop(self.workers);
        if let Some(stop) = self.server_stop {
            let _ = stop.send(());
        }
        self.server
    }
}

/// The dialect client for the target at `base`.
fn client(cfg: &RunConfig, base: &str) -> anyhow::Result<ChatClient> {
    let target = Target::new(
        cfg.dialect,
        base,
        &cfg.service,
        &cfg.tenant,
        &cfg.webapi_prefix,
    )
    .map_err(|e| crate::error::UsageError::new(format!("target: {e}")))?;
    ChatClient::with_transport(
        target,
        cfg.request_timeout,
        cfg.max_body_bytes,
        cfg.max_connections,
        cfg.headers.map().clone(),
        &cfg.transport,
    )
    .map(|c| c.with_body_budget(cfg.max_buffered_body_bytes))
}

/// What every session of the run shares, with fresh metrics starting at `t0`.
fn session_ctx(cfg: &RunConfig, clients: Clients, t0: Instant) -> Arc<SessionCtx> {
    let metrics = Metrics::new(t0.into_std(), cfg.flex, cfg.near_miss_fraction);
    metrics.service_target(cfg.service_level_target);
    metrics.profiles(cfg.profiles.iter().map(|p| p.name.to_string()).collect());
    Arc::new(SessionCtx {
        clients,
        metrics: Arc::new(metrics),
        script: cfg.script.clone(),
        profiles: cfg.profiles.clone(),
        retry: cfg.retry,
        flex: cfg.flex,
        seed: cfg.seed,
        target_slots: AtomicU64::new(0),
        next_ordinal: AtomicU64::new(cfg.shard.map_or(0, |s| s.first_ordinal())),
        established: AtomicU64::new(0),
        // Within one poll interval, and leaving half the drain bound for the disconnect itself.
        end_spread: cfg.script.poll_interval.min(cfg.drain_timeout / 2),
        shard: cfg.shard,
        named: Default::default(),
        pacing_grid: cfg.pacing_grid,
    })
}

/// Run the plan until it ends, `shutdown` completes or a threshold aborts, then drain
/// (bounded). Returns the phase the run ended in and the sessions abandoned by the drain.
async fn run_sessions(
    cfg: &RunConfig,
    run: (&Arc<SessionCtx>, &Workers),
    watch: &dyn Watch,
    t0: Instant,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> (Phase, usize) {
    let (tx, rx) = stop::channel();
    let tx = Arc::new(tx);
    let tx2 = tx.clone();
    let shutdown_task = tokio::spawn(async move {
        shutdown.await;
        tx2.end(Phase::Interrupted);
    });
    let progress = Progress::new(cfg.quiet, cfg.plan.duration(), cfg.live.progress_interval);
    let mut tasks = JoinSet::new();
    drive(cfg, run, &tx, rx, &mut tasks, (&progress, watch), t0).await;
    shutdown_task.abort();

    let phase = tx.phase();
    progress.note("draining: disconnecting active chats");
    let bound = match phase {
        Phase::Ended => cfg.drain_timeout + cfg.request_timeout,
        _ => cfg.drain_timeout,
    };
    let drained =
        tokio::time::timeout(bound, async { while tasks.join_next().await.is_some() {} }).await;
    let abandoned = tasks.len();
    if drained.is_err() {
        // Aborted sessions record their in-flight requests as `abandoned` and push
        // their rows as they are dropped: wait for that (no I/O, it is immediate).
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
    }
    (phase, abandoned)
}

/// How a run that ended in `phase` ended.
fn run_end(phase: Phase) -> RunEnd {
    match phase {
        Phase::Running | Phase::Ended => RunEnd::Completed,
        Phase::Interrupted => RunEnd::Interrupted,
        Phase::Aborted => RunEnd::Aborted,
    }
}

/// Spawn slots per the plan and tick once a second until the run ends.
#[allow(clippy::too_many_arguments)]
async fn drive(
    cfg: &RunConfig,
    (ctx, workers): (&Arc<SessionCtx>, &Workers),
    tx: &PhaseTx,
    rx: PhaseRx,
    tasks: &mut JoinSet<()>,
    (progress, watch): (&Progress, &dyn Watch),
    t0: Instant,
) {
    let peak = cfg.plan.peak_sessions();
    let slots = Arc::new(Slots {
        running: (0..peak).map(|_| AtomicBool::new(false)).collect(),
        lowest_free: AtomicU64::new(0),
    });
    let total = cfg.plan.duration();
    let mut open = OpenSpawner::new(cfg, ctx, t0);
    let mut spawn_tick = tokio::time::interval(SPAWN_TICK);
    spawn_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut next_second = t0 + Duration::from_secs(1);
    loop {
        let next_arrival = open.as_ref().and_then(|o| o.next);
        tokio::select! {
            biased;
            _ = rx.ending() => break,
            _ = sleep_until_some(next_arrival) => {}
            _ = spawn_tick.tick() => {}
        }
        let now = Instant::now();
        let elapsed = now - t0;
        if elapsed >= total {
            tx.end(Phase::Ended);
            break;
        }
        match open.as_mut() {
            Some(o) => o.spawn_due((ctx, workers), now, &rx, tasks),
            None => {
                // Look one tick ahead: a slot task is spawned early and sleeps until its planned
                // instant, so the spawner's tick does not show up as scheduling lateness.
                let target = cfg.plan.target_at(elapsed + SPAWN_TICK);
                ctx.target_slots.store(target, Ordering::Relaxed);
                spawn_missing(cfg, (ctx, workers), &slots, target, &rx, tasks, t0);
            }
        }
        while tasks.try_join_next().is_some() {}
        if now >= next_second {
            next_second += Duration::from_secs(1);
            if !watch.tick(off_the_workers(|| ctx.metrics.tick(now.into_std()))) {
                // The streamed files cannot be written: stop and disconnect; the error is
                // reported once, by the command, after the drain.
                tx.end(Phase::Interrupted);
                break;
            }
            progress.update(elapsed, &ctx.metrics.live());
            if watch.abort(&ctx.metrics, elapsed) {
                tx.end(Phase::Aborted);
                break;
            }
        }
    }
}

/// Sleep until `at` on the precise clock (an open-model arrival is an intended instant), or
/// forever when there is no instant.
async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(t) => crate::engine::pacing::clock::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

/// The open model's part of the spawner: the next planned arrival and the cap.
struct OpenSpawner {
    arrivals: Arrivals,
    next: Option<Instant>,
    t0: Instant,
    cap: u64,
    /// Sessions of the open model running now.
    active: Arc<AtomicU64>,
    /// A shard keeps only its own arrivals of the whole plan's schedule.
    shard: Option<super::shard::Shard>,
    /// Index of the next arrival in the whole plan's schedule.
    k: u64,
}

impl OpenSpawner {
    /// The spawner of an open plan (None for a closed one); tells the metrics.
    fn new(cfg: &RunConfig, ctx: &SessionCtx, t0: Instant) -> Option<Self> {
        let LoadMode::Open { arrival, cap } = cfg.plan.mode else {
            return None;
        };
        let duration = cfg.plan.duration().as_secs_f64();
        let shards = cfg.shard.map_or(1.0, |s| f64::from(s.count));
        let offered = if duration > 0.0 {
            cfg.plan.offered_arrivals() / duration / shards
        } else {
            0.0
        };
        ctx.metrics.open_model(offered);
        // Sessions of the open model never end for a ramp-down of slots.
        ctx.target_slots.store(u64::MAX, Ordering::Relaxed);
        let mut arrivals = Arrivals::new(&cfg.plan, arrival, cfg.seed);
        let next = arrivals.next().map(|d| t0 + d);
        Some(OpenSpawner {
            arrivals,
            next,
            t0,
            cap,
            active: Arc::new(AtomicU64::new(0)),
            shard: cfg.shard,
            k: 0,
        })
    }

    /// Start (or drop, at the cap) every arrival due by `now`.
    fn spawn_due(
        &mut self,
        (ctx, workers): (&Arc<SessionCtx>, &Workers),
        now: Instant,
        rx: &PhaseRx,
        tasks: &mut JoinSet<()>,
    ) {
        while let Some(at) = self.next.filter(|t| *t <= now) {
            let k = self.k;
            self.k += 1;
            if self.shard.is_some_and(|s| !s.owns_arrival(k)) {
                self.next = self.arrivals.next().map(|d| self.t0 + d);
                continue;
            }
            let taken = self
                .active
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                    (n < self.cap).then_some(n + 1)
                })
                .is_ok();
            ctx.metrics.arrival(now - at, !taken);
            if taken {
                let (ctx, rx, active) = (ctx.clone(), rx.clone(), self.active.clone());
                workers.spawn(tasks, None, async move {
                    workers::note_task();
                    let started = Instant::now();
                    run_session(ctx.clone(), 0, at, rx).await;
                    ctx.metrics.open_session_ended(started.elapsed());
                    active.fetch_sub(1, Ordering::AcqRel);
                });
            }
            self.next = self.arrivals.next().map(|d| self.t0 + d);
        }
    }
}

/// Run `f` (the once-a-second merge of the metric shards) without holding up the session
/// tasks queued on this worker: on a multi-thread runtime they move to another worker.
fn off_the_workers<T>(f: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// Start a task for every slot below `target` that is not running.
fn spawn_missing(
    cfg: &RunConfig,
    (ctx, workers): (&Arc<SessionCtx>, &Workers),
    slots: &Arc<Slots>,
    target: u64,
    rx: &PhaseRx,
    tasks: &mut JoinSet<()>,
    t0: Instant,
) {
    let from = slots.lowest_free.load(Ordering::Acquire);
    if from >= target {
        return;
    }
    // A slot that frees itself meanwhile lowers the mark again; retry on the next tick then.
    if slots
        .lowest_free
        .compare_exchange(from, target, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        return;
    }
    for slot in from..target {
        let Some(flag) = slots.running.get(slot as usize) else {
            break;
        };
        if flag.swap(true, Ordering::AcqRel) {
            continue;
        }
        let now = Instant::now();
        // A slot re-spawned long after its planned instant (ramp down, then up) starts now.
        let start_at = match cfg.plan.slot_start(slot).map(|d| t0 + d) {
            Some(p) if p + 2 * SPAWN_TICK >= now => p,
            _ => now,
        };
        let ctx = ctx.clone();
        let slots = slots.clone();
        let rx = rx.clone();
        let restart = cfg.plan.restart;
        let pause = cfg.script.poll_interval;
        let task = slot_task(ctx, slots, slot, start_at, rx, restart, pause);
        workers.spawn(tasks, Some(slot), task);
    }
}

/// One slot: sessions one after another while the slot is in the plan.
/// An async block, not an async fn, so its arguments are not kept twice (issue 15).
#[allow(clippy::manual_async_fn)] // the arguments once, not twice (issue 15)
fn slot_task(
    ctx: Arc<SessionCtx>,
    slots: Arc<Slots>,
    slot: u64,
    first_start: Instant,
    rx: PhaseRx,
    restart: bool,
    pause: Duration,
) -> impl std::future::Future<Output = ()> {
    async move {
        workers::note_task();
        let mut start_at = first_start;
        loop {
            // Wait here, not in the session, so an ending run starts no session.
            tokio::select! {
                biased;
                _ = rx.ending() => break,
                // The precise clock: the wait's end is the request chat's send, and its
                // lateness is the run's (tokio's timer would add up to 2 ms to every start).
                _ = crate::engine::pacing::clock::sleep_until(start_at) => {}
            }
            run_session(ctx.clone(), slot, start_at, rx.clone()).await;
            let in_plan = slot < ctx.target_slots.load(Ordering::Relaxed);
            if !restart && in_plan {
                // Without restart a slot runs one session: it stays taken.
                return;
            }
            if !in_plan || rx.phase() != Phase::Running {
                break;
            }
            // A new customer takes the slot after a pause (never a hot loop).
            start_at = Instant::now() + pause;
        }
        if let Some(flag) = slots.running.get(slot as usize) {
            flag.store(false, Ordering::Release);
        }
        slots.lowest_free.fetch_min(slot, Ordering::AcqRel);
    }
}

async fn start_embedded(
    cfg: &RunConfig,
) -> anyhow::Result<(ReferenceServer, String, tokio::sync::oneshot::Sender<()>)> {
    // A deep accept backlog: thousands of sessions may connect within a second.
    let listener = (|| {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))?;
        socket.listen(8192)
    })()
    .context("could not bind the embedded reference server on 127.0.0.1")?;
    let addr = listener.local_addr()?;
    let server = ReferenceServer::new(cfg.server.clone());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let srv = server.clone();
    tokio::spawn(async move {
        let _ = srv
            .serve(listener, async move {
                let _ = stop_rx.await;
            })
            .await;
    });
    Ok((server, format!("http://{addr}"), stop_tx))
}
