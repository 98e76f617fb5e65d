//! One simulated customer: request a chat, then run the poll loop and the
//! customer script side by side in one task, then disconnect if the client ended it.
//!
//! The statusCode/chatEnded state machine (the seed table) is [`step`]:
//! 0/false continue; 0/true end (statusCode 0 succeeds on a 2xx only: on any
//! other HTTP status it retries); 1/false retry with backoff (give up after
//! `max_consecutive`); 1/true a server violation, kept as a failed attempt
//! (the last successful chatEnded stays false), or with `on_status1_chat_ended =
//! "end-like-widget"` the end of the chat on the customer's side, without a
//! disconnect, as Genesys Widgets 8.5 do; 2 end. Transport failures
//! retry like statusCode 1. Requests are never cancelled mid-flight, so
//! client counts match the server's exactly; the end of a session waits for
//! the in-flight request of each loop.

mod abandon;
mod idle;
mod poll;
mod script;
mod service;

pub(crate) use script::{CustomerScript, EndMode, Status1Reaction};

use crate::engine::client::{Call, ChatClient, Identity, Reply};
use crate::engine::customers::Customer;
use crate::engine::pacing::RetryPolicy;
use crate::engine::stop::{Phase, PhaseRx};
use crate::metrics::{
    EndReason, Metrics, Outcome, ProfileIx, RequestRecord, SessionEnd, ViolationKind,
};
use crate::protocol::codes;
use parking_lot::Mutex;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use tokio::time::Instant;

/// Everything sessions share (one per run).
#[derive(Debug)]
pub(crate) struct SessionCtx {
    /// Dialect clients, one per runtime (see [`SessionCtx::client`]).
    pub clients: crate::engine::workers::Clients,
    /// Shared metrics.
    pub metrics: Arc<Metrics>,
    /// The customer's behaviour (without profiles).
    pub script: CustomerScript,
    /// The customer mix (empty: every customer follows `script`).
    pub profiles: Vec<crate::engine::profiles::Profile>,
    /// Retry policy.
    pub retry: RetryPolicy,
    /// flex-disconnect-timeout the gaps are judged against.
    pub flex: Duration,
    /// Run seed.
    pub seed: u64,
    /// Current target number of slots (a slot at or above it ends its session).
    pub target_slots: AtomicU64,
    /// Next session ordinal.
    pub next_ordinal: AtomicU64,
    /// Sessions whose request_chat succeeded.
    pub established: AtomicU64,
    /// At the planned end of the run, each session waits a random share of this
    /// window before its disconnect, as customers would leave at their next tick,
    /// instead of every chat disconnecting in the same millisecond (a burst the
    /// tool itself would create). Zero: at once. Ctrl-C and aborts never wait.
    pub end_spread: Duration,
    /// This run's shard (None = the whole plan): the data files are read by plan index.
    pub shard: Option<crate::engine::shard::Shard>,
    /// The built-in customer of the run's script, then of each profile's, made once and
    /// shared by their sessions (filled on first use).
    pub named: std::sync::OnceLock<Vec<Arc<Customer>>>,
    /// Poll instants are aligned to this grid (zero: none), so polls due within one
    /// grid step wake together.
    pub pacing_grid: Duration,
}

impl SessionCtx {
    /// The dialect client on the connection pool of the runtime this runs on.
    pub(crate) fn client(&self) -> &ChatClient {
        self.clients.current()
    }

    /// Index of session `ordinal` in the whole plan (the row of the data files it reads).
    pub(crate) fn plan_index(&self, ordinal: u64) -> u64 {
        self.shard.map_or(ordinal, |s| s.plan_index(ordinal))
    }

    /// The built-in customer (the script's nickname) of `profile`, shared.
    fn named(&self, profile: usize) -> &Arc<Customer> {
        let all = self.named.get_or_init(|| {
            std::iter::once(&self.script)
                .chain(self.profiles.iter().map(|p| &p.script))
                .map(|s| Arc::new(Customer::named(&s.nickname)))
                .collect()
        });
        let ix = if profile < self.profiles.len() {
            profile + 1
        } else {
            0
        };
        &all[ix]
    }

    /// The script of `sh`'s customer: its profile's, or the run's.
    pub(crate) fn script_of(&self, sh: &Shared) -> &CustomerScript {
        self.profiles
            .get(sh.profile)
            .map_or(&self.script, |p| &p.script)
    }
}

/// The end reason of a session the run's `phase` ended.
fn end_of_phase(p: Phase) -> EndReason {
    match p {
        Phase::Running | Phase::Ended => EndReason::RunEnded,
        Phase::Interrupted | Phase::Aborted => EndReason::Interrupted,
    }
}

/// True when the client side must still send disconnect.
fn needs_disconnect(end: EndReason) -> bool {
    matches!(
        end,
        EndReason::ClientDisconnect
            | EndReason::RunEnded
            | EndReason::Interrupted
            | EndReason::LostPatience
    )
}

/// The seed table applied to one answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// statusCode 0; `ended` = chatEnded.
    Ok {
        /// chatEnded was true.
        ended: bool,
    },
    /// statusCode 1 (either chatEnded) or a transport failure: retry.
    Retry,
    /// statusCode 1 with chatEnded true, and the customer reacts like the widget:
    /// the session ends without a disconnect.
    WidgetEnded,
    /// statusCode 2; `code_249` when the errors carry 249 with chatEnded true.
    Fatal {
        /// The chat is gone (249, chatEnded true): expired or unknown.
        code_249: bool,
    },
}

/// Apply the seed table to a reply (records a 1/true violation, then reacts to it per `on_status1`).
pub(crate) fn step(
    reply: &Reply,
    metrics: &Metrics,
    profile: ProfileIx,
    on_status1: Status1Reaction,
) -> Step {
    match reply.outcome {
        // Only a 2xx can succeed: a 302 or 500 carrying `{"statusCode":0}` is an
        // error (counted so by the metrics) and must not reset the gap or the retries.
        Outcome::Response {
            http_status: 200..=299,
            status_code: Some(0),
            chat_ended,
        } => Step::Ok {
            ended: chat_ended == Some(true),
        },
        Outcome::Response {
            status_code: Some(1),
            chat_ended,
            ..
        } => {
            if chat_ended == Some(true) {
                metrics.record_violation(profile, ViolationKind::Status1ChatEnded);
                if on_status1 == Status1Reaction::EndLikeWidget {
                    return Step::WidgetEnded;
                }
            }
            Step::Retry
        }
        Outcome::Response {
            status_code: Some(2),
            chat_ended,
            ..
        } => {
            let has_249 = reply.envelope.as_ref().is_some_and(|e| {
                e.errors
                    .iter()
                    .flatten()
                    .any(|x| x.code == codes::MEDIA_SERVER_FAILED)
            });
            Step::Fatal {
                code_249: has_249 && chat_ended == Some(true),
            }
        }
        Outcome::Response { .. } | Outcome::Transport(_) => Step::Retry,
    }
}

/// State both loops of one session share (lives on the session task).
///
/// Every wait on the session's end runs on the session's own task (its loops are
/// joined, not spawned), so the end wakes one waker, not a list: no `Notify` here and
/// no `Notified` in every wait (issue 15).
#[derive(Debug, Default)]
pub(crate) struct Shared {
    /// The session's ordinal (its gaps and row in metrics).
    pub ordinal: u64,
    /// Its profile (index into [`SessionCtx::profiles`]; 0 without profiles).
    pub profile: usize,
    /// The profile its figures count in besides the totals (None without profiles).
    pub counted_as: ProfileIx,
    /// Chat Server's view: time since the last request the server took.
    idle: Mutex<idle::IdleClock>,
    /// Identity adopted from every statusCode 0 answer.
    pub id: Mutex<Identity>,
    /// transcriptPosition to poll from (highest index seen + 1).
    pub position: AtomicU64,
    /// Non-zero while the customer is typing (the draft goes into refresh).
    pub typing: AtomicU64,
    /// Who the customer is (from the customers file, or the script's nickname, shared
    /// by every session of that script).
    pub customer: Arc<Customer>,
    /// The customer's cookie jar (None with `cookies = false`; boxed, so a session
    /// without cookies does not carry an empty store).
    pub jar: Option<Box<crate::engine::client::cookies::Jar>>,
    /// Polls sent so far (for the row of a session the drain cuts off).
    pub polls: AtomicU64,
    /// Queue wait and first response, from the transcript events.
    pub service: Mutex<service::ServiceClock>,
    /// 0 while the session runs, else 1 + the index of its end in [`EndReason::ALL`].
    end: AtomicU8,
    /// The session task's waker, set by a wait for the end.
    waker: Mutex<Option<Waker>>,
}

impl Shared {
    /// Record why the session ends (the first call wins) and wake its waits.
    pub(crate) fn finish(&self, end: EndReason) {
        let code = EndReason::ALL
            .iter()
            .position(|e| *e == end)
            .map_or(0, |i| i + 1) as u8;
        if self
            .end
            .compare_exchange(0, code, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            if let Some(w) = self.waker.lock().take() {
                w.wake();
            }
        }
    }

    /// The end cause, once set.
    pub(crate) fn end(&self) -> Option<EndReason> {
        let code = self.end.load(Ordering::Acquire);
        code.checked_sub(1)
            .and_then(|i| EndReason::ALL.get(usize::from(i)).copied())
    }

    /// Ready once the session has ended; else the task's waker is kept for [`Shared::finish`].
    fn poll_end(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.end().is_some() {
            return Poll::Ready(());
        }
        {
            let mut w = self.waker.lock();
            match &mut *w {
                Some(old) if old.will_wake(cx.waker()) => {}
                // A wait on another task would take the waker from this one: the session's
                // waits all run on its task, so this is that task's waker changing.
                slot => *slot = Some(cx.waker().clone()),
            }
        }
        // Checked again: a finish between the first check and the waker's store woke nothing.
        if self.end().is_some() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    /// Wait until [`Shared::finish`] was called.
    pub(crate) async fn ended(&self) {
        std::future::poll_fn(|cx| self.poll_end(cx)).await;
    }

    /// Sleep until `at`; false when the session or the run ended first (the end is recorded).
    #[allow(clippy::manual_async_fn)] // the arguments once, not twice (issue 15)
    pub(crate) fn sleep_until<'a>(
        &'a self,
        at: Instant,
        run: &'a PhaseRx,
    ) -> impl Future<Output = bool> + 'a {
        async move {
            // The run's wake-up is created before its phase is read, so an end in between wakes it.
            let run_end = run.change();
            if let Some(p) = run.ending_now() {
                self.finish(end_of_phase(p));
            }
            if self.end().is_some() {
                return false;
            }
            let clock = crate::engine::pacing::clock::sleep_until(at);
            tokio::pin!(run_end, clock);
            std::future::poll_fn(|cx| {
                if self.poll_end(cx).is_ready() {
                    return Poll::Ready(false);
                }
                if run_end.as_mut().poll(cx).is_ready() {
                    self.finish(end_of_phase(run.phase()));
                    return Poll::Ready(false);
                }
                clock.as_mut().poll(cx).map(|()| self.end().is_none())
            })
            .await
        }
    }

    /// Build and send one call (scheduled at `intended`) with the current identity.
    /// Should the session be dropped before the answer (a drain cut short), the
    /// request is recorded as `abandoned`. Its idle gap (Chat Server's view, [`idle`])
    /// goes to metrics; `.1` is true when metrics judged it above
    /// flex-disconnect-timeout (the chat was idle long enough to be dropped).
    #[allow(clippy::manual_async_fn)] // the arguments once, not twice (issue 15)
    pub(crate) fn call<'a>(
        &'a self,
        ctx: &'a SessionCtx,
        call: &'a Call<'_>,
        intended: Instant,
    ) -> impl Future<Output = (Reply, bool)> + 'a {
        async move {
            let (url, body) = {
                let id = self.id.lock();
                ctx.client().build(&id, call)
            };
            // Armed once the request may leave (a slot is held), not while it waits for one.
            let _slot = ctx.client().slot().await;
            let guard = abandon::InFlight::new(ctx, self.counted_as, call.operation(), intended);
            let ticket = self.idle().begin(Instant::now());
            // Boxed: the in-flight request (the client's future, the body read) lives on the heap
            // only while it flies, so an idle session's task stays small (issue 15: the three
            // loops of a session each held one inline, 6 KB per session).
            let send = Box::pin(ctx.client().send_in_slot(url, body, self.jar.as_deref()));
            let reply = send.await;
            guard.disarm();
            let ok = matches!(
                reply.outcome,
                Outcome::Response {
                    status_code: Some(0),
                    ..
                }
            );
            let gap = self.idle().end(ticket, reply.sent, ok);
            let idle = gap.is_some_and(|g| ctx.metrics.observe_idle(self.ordinal, g));
            (reply, idle)
        }
    }

    /// The session's service-level clock.
    pub(crate) fn service(&self) -> parking_lot::MutexGuard<'_, service::ServiceClock> {
        self.service.lock()
    }

    fn idle(&self) -> parking_lot::MutexGuard<'_, idle::IdleClock> {
        self.idle.lock()
    }

    /// Send of the latest request answered statusCode 0 (None before the first).
    pub(crate) fn last_ok(&self) -> Option<Instant> {
        self.idle().last_ok()
    }

    /// The chat id adopted so far.
    pub(crate) fn chat_id(&self) -> String {
        self.id.lock().chat_id().to_string()
    }

    /// Adopt identity from a statusCode 0 answer. False (and the session ends with
    /// an `invalid_identity` violation) when an identity field is too long to keep.
    pub(crate) fn adopt(&self, reply: &Reply, metrics: &Metrics) -> bool {
        if let Some(env) = &reply.envelope {
            if !Identity::fits(env) {
                metrics.record_violation(self.counted_as, ViolationKind::InvalidIdentity);
                self.finish(EndReason::InvalidIdentity);
                return false;
            }
            self.id.lock().adopt(env);
        }
        true
    }
}

/// Record one request in the metrics.
pub(crate) fn record(
    metrics: &Metrics,
    profile: ProfileIx,
    call: &Call<'_>,
    intended: Instant,
    reply: &Reply,
) {
    metrics.record_request(&RequestRecord {
        operation: call.operation(),
        intended: intended.into_std(),
        sent: reply.sent.into_std(),
        done: reply.done.into_std(),
        outcome: reply.outcome,
        profile,
    });
}

/// A new session's shared state (its ordinal, profile, customer and cookie jar) and its
/// script's random source. Not inline in [`run_session`]: locals of an async fn that
/// live across an await are stored in its task, and these are only needed here.
fn new_shared(ctx: &SessionCtx) -> (Shared, SmallRng) {
    let ordinal = ctx.next_ordinal.fetch_add(1, Ordering::Relaxed);
    let mut rng = SmallRng::seed_from_u64(ctx.seed ^ ordinal.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let profile = crate::engine::profiles::pick(&ctx.profiles, ctx.seed, ctx.plan_index(ordinal));
    let script = ctx.profiles.get(profile).map_or(&ctx.script, |p| &p.script);
    let named = ctx.named(profile);
    let customer = if script.customers.is_none() && script.message_lines.is_none() {
        named.clone()
    } else {
        let mut customer = match &script.customers {
            Some(data) => data.customer(ctx.plan_index(ordinal), &mut rng, named),
            None => Customer::clone(named),
        };
        if let Some(lines) = &script.message_lines {
            lines.fill(&mut customer, ctx.plan_index(ordinal), script.messages);
        }
        Arc::new(customer)
    };
    let sh = Shared {
        ordinal,
        profile,
        // Per-profile figures only with profiles: nothing more is recorded without them.
        counted_as: if ctx.profiles.is_empty() {
            None
        } else {
            u16::try_from(profile).ok()
        },
        customer,
        jar: ctx.client().cookies().then(Box::default),
        ..Shared::default()
    };
    (sh, rng)
}

/// Run one session in `slot` to its end and report it to metrics (which writes its row).
/// `start_at` is the planned instant of its request_chat.
///
/// This and the waits and loops under it are async blocks, not async fns: an async fn
/// keeps each argument twice in its future (as given and as its local; issue 15).
#[allow(clippy::manual_async_fn)] // the arguments once, not twice (issue 15)
pub(crate) fn run_session(
    ctx: Arc<SessionCtx>,
    slot: u64,
    start_at: Instant,
    run: PhaseRx,
) -> impl Future<Output = ()> {
    async move {
        let (sh, rng) = new_shared(&ctx);
        let ordinal = sh.ordinal;
        sh.position.store(1, Ordering::Relaxed);
        ctx.metrics.session_started();
        let row_guard = abandon::RowGuard::new(&ctx, &sh, ordinal);
        let mut polls = 0;
        let mut disconnected = script::Disconnected::default();

        let started = script::request_chat(&ctx, &sh, &run, start_at).await;
        if let Some(started) = started {
            ctx.established.fetch_add(1, Ordering::Relaxed);
            sh.service().requested(start_at);
            let poll_rng = SmallRng::seed_from_u64(ctx.seed ^ ordinal ^ 0x5555_AAAA);
            let spread = if ctx.end_spread.is_zero() {
                Duration::ZERO
            } else {
                let mut end_rng = SmallRng::seed_from_u64(ctx.seed ^ ordinal ^ 0x0E4D_0E4D);
                end_rng.gen_range(Duration::ZERO..ctx.end_spread)
            };
            // The customer's script and patience: on the heap, and only for a customer who
            // has either (one who only polls keeps neither in its task; issue 15).
            let (c, s, r) = (&*ctx, &sh, &run);
            let script = (!ctx.script_of(&sh).only_polls()).then(|| {
                Box::pin(async move {
                    let mut rng = rng;
                    tokio::join!(
                        script::script_loop(c, s, started, &mut rng, r),
                        service::patience(c, s, start_at, r),
                    );
                })
            });
            let (p, at_end, ()) = tokio::join!(
                poll::poll_loop(&ctx, &sh, slot, started, poll_rng, &run),
                disconnect_at_planned_end(&ctx, &sh, spread),
                async {
                    if let Some(script) = script {
                        script.await;
                    }
                },
            );
            polls = p;
            if let Some(d) = at_end {
                disconnected = d;
            } else if sh.end().is_some_and(needs_disconnect) {
                disconnected = script::disconnect(&ctx, &sh).await;
            }
        }
        let end = sh.end().unwrap_or(EndReason::RequestFailed);
        sh.service().ended(&ctx.metrics);
        row_guard.disarm();
        ctx.metrics.session_ended(SessionEnd {
            ordinal,
            chat_id: sh.chat_id(),
            polls,
            end,
            established: started.is_some(),
            disconnected: disconnected.accepted,
            expired: end == EndReason::Expired || disconnected.expired,
            service: sh.service().figures(),
            profile: ctx.profiles.get(sh.profile).map(|p| p.name.clone()),
        });
    }
}

/// Once the session ends, if the planned end of the run ended it: disconnect at
/// [`planned_end_disconnect`], beside a request still in flight (a stalled poll must not
/// hold the disconnect back while the chat's flex timer runs out). None for any other
/// end: the session disconnects after its loops, as before (Ctrl-C unchanged).
async fn disconnect_at_planned_end(
    ctx: &SessionCtx,
    sh: &Shared,
    spread: Duration,
) -> Option<script::Disconnected> {
    sh.ended().await;
    if sh.end() != Some(EndReason::RunEnded) {
        return None;
    }
    // Boxed: only a session the planned end stopped gets this far, so every other
    // session's task keeps just the small wait above. The wait and the disconnect are
    // boxed apart: every session waits out its share of the spread at once, so the
    // disconnect's larger future must not sit on the heap beside each wait (issue 15).
    Box::pin(tokio::time::sleep_until(planned_end_disconnect(
        ctx, sh, spread,
    )))
    .await;
    Some(Box::pin(script::disconnect(ctx, sh)).await)
}

/// When a session stopped by the planned end sends its disconnect: `spread` from now
/// (customers leave at their next tick, not all in one millisecond), but never later
/// than half the flex-disconnect-timeout after its last good request, so the end of
/// the run never lets a chat reach the timeout (and expire) before its disconnect.
fn planned_end_disconnect(ctx: &SessionCtx, sh: &Shared, spread: Duration) -> Instant {
    let now = Instant::now();
    let spread_at = now + spread;
    match sh.last_ok() {
        Some(last_ok) => spread_at.min((last_ok + ctx.flex / 2).max(now)),
        None => now,
    }
}

#[cfg(test)]
mod tests;
