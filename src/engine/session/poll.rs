//! The poll loop of one session: schedule, gaps and their causes, retries,
//! transcript tracking.
//!
//! Poll gap (docs/protocol.md): from the send of the last poll answered
//! with statusCode 0 to the send of the next poll attempt, whatever its answer.
//! The loop reports each gap with its context ([`GapObservation`]); metrics
//! judges it (cause, near miss, flag).
//! Lateness is measured from the instant a send became possible
//! (`max(intended, previous answer)`), so a slow server does not make the
//! generator look overloaded; the corrected latency still starts at `intended`.

use super::{record, step, SessionCtx, Shared, Step};
use crate::engine::client::{Call, Reply};
use crate::engine::pacing::PollSchedule;
use crate::engine::stop::PhaseRx;
use crate::metrics::{
    EndReason, GapObservation, Metrics, ProfileIx, ViolationKind, MAX_INDEX_JUMP,
};
use crate::protocol::Envelope;
use rand::rngs::SmallRng;
use std::future::Future;
use std::sync::atomic::Ordering;
use tokio::time::Instant;

/// Advance the transcript position from a poll answer, flagging holes and repeats.
/// Returns the new position.
///
/// A hole is one event however many indexes it skips; an index more than
/// [`MAX_INDEX_JUMP`] ahead is `absurd_index` and ignored (the position stays),
/// so a hostile `u64::MAX` neither inflates the count nor ends the transcript.
pub(super) fn track_transcript(
    position: u64,
    env: &Envelope,
    metrics: &Metrics,
    profile: ProfileIx,
) -> u64 {
    let mut pos = position;
    for idx in env.messages.iter().filter_map(|m| m.index) {
        if idx < pos {
            metrics.record_violation(profile, ViolationKind::TranscriptRepeat);
        } else if idx - pos > MAX_INDEX_JUMP {
            metrics.record_violation(profile, ViolationKind::AbsurdIndex);
        } else {
            if idx > pos {
                metrics.record_violation(profile, ViolationKind::TranscriptHole);
            }
            pos = idx.saturating_add(1);
        }
    }
    pos
}

/// The poll loop's state between attempts.
struct PollState {
    sched: PollSchedule,
    /// Send of the last poll answered with statusCode 0 (None before the first).
    last_ok_send: Option<Instant>,
    /// When the previous poll answer arrived.
    prev_done: Instant,
    consecutive: u32,
    retried_since_ok: bool,
    polls: u64,
}

impl PollState {
    /// Report the attempt's lateness and its gap (with context) to metrics, which judges it.
    fn observe(&self, ctx: &SessionCtx, sh: &Shared, intended: Instant, reply: &Reply) {
        // `sent` is after any wait for a connection slot: that wait is the generator's.
        let ready = intended.max(self.prev_done);
        ctx.metrics.record_lateness(reply.lateness_from(ready));
        let Some(last_ok_send) = self.last_ok_send else {
            return;
        };
        let gap = GapObservation {
            last_ok_send: last_ok_send.into_std(),
            intended: intended.into_std(),
            prev_done: self.prev_done.into_std(),
            sent: reply.sent.into_std(),
            retried: self.retried_since_ok,
        };
        ctx.metrics.observe_gap(sh.ordinal, sh.counted_as, &gap);
    }

    /// Apply the seed table to the answer: the session's end, or None to poll again.
    fn after(
        &mut self,
        ctx: &SessionCtx,
        sh: &Shared,
        (position, intended): (u64, Instant),
        reply: &Reply,
        idle: bool,
        rng: &mut SmallRng,
    ) -> Option<EndReason> {
        match step(
            reply,
            &ctx.metrics,
            sh.counted_as,
            ctx.script_of(sh).on_status1,
        ) {
            Step::Ok { ended } => {
                if !sh.adopt(reply, &ctx.metrics) {
                    return Some(EndReason::InvalidIdentity);
                }
                if let Some(env) = &reply.envelope {
                    let pos = track_transcript(position, env, &ctx.metrics, sh.counted_as);
                    sh.position.store(pos, Ordering::Relaxed);
                    sh.service().answer(env, reply.done, &ctx.metrics);
                }
                if ended {
                    return Some(EndReason::AgentEnded);
                }
                self.last_ok_send = Some(reply.sent);
                self.consecutive = 0;
                self.retried_since_ok = false;
                self.sched.advance(intended, reply.sent, rng);
            }
            Step::Retry => {
                self.consecutive += 1;
                self.retried_since_ok = true;
                if self.consecutive >= ctx.retry.max_consecutive {
                    return Some(EndReason::RetriesExhausted);
                }
                let backoff = ctx.retry.backoff_after(self.consecutive);
                self.sched.retry_at(reply.done + backoff);
            }
            // 249 after the chat went without requests for the timeout: the server expired it.
            Step::Fatal { code_249 } if code_249 && idle => return Some(EndReason::Expired),
            Step::Fatal { .. } => return Some(EndReason::ServerFatal),
            Step::WidgetEnded => return Some(EndReason::WidgetEnded),
        }
        None
    }
}

/// The poll loop; returns the number of polls sent.
///
/// An async block, not an async fn: an async fn keeps each argument twice in its
/// future (as given and as its local), 80 bytes of every session here (issue 15).
#[allow(clippy::manual_async_fn)] // the arguments once, not twice (issue 15)
pub(super) fn poll_loop<'a>(
    ctx: &'a SessionCtx,
    sh: &'a Shared,
    slot: u64,
    first: Instant,
    mut rng: SmallRng,
    run: &'a PhaseRx,
) -> impl Future<Output = u64> + 'a {
    async move {
        let s = ctx.script_of(sh);
        let mut st = PollState {
            sched: PollSchedule::new(s.poll_interval, s.jitter, first),
            last_ok_send: None,
            prev_done: first,
            consecutive: 0,
            retried_since_ok: false,
            polls: 0,
        };
        loop {
            let intended = crate::engine::pacing::clock::align(st.sched.next(), ctx.pacing_grid);
            if !sh.sleep_until(intended, run).await {
                break;
            }
            if slot >= ctx.target_slots.load(Ordering::Relaxed) {
                sh.finish(EndReason::ClientDisconnect);
                break;
            }
            let position = sh.position.load(Ordering::Relaxed);
            let draft = if sh.typing.load(Ordering::Relaxed) > 0 {
                s.message_text.as_str()
            } else {
                ""
            };
            let call = Call::Poll { position, draft };
            sh.polls.fetch_add(1, Ordering::Relaxed);
            let (reply, idle) = sh.call(ctx, &call, intended).await;
            st.observe(ctx, sh, intended, &reply);
            record(&ctx.metrics, sh.counted_as, &call, intended, &reply);
            st.polls += 1;
            st.prev_done = reply.done;
            if let Some(end) = st.after(ctx, sh, (position, intended), &reply, idle, &mut rng) {
                sh.finish(end);
                break;
            }
        }
        st.polls
    }
}
