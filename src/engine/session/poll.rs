//! The poll loop of one session: schedule, gaps and their causes, retries,
//! transcript tracking.
//!
//! Poll gap (PROTOCOL.md Part 1): from the send of the last poll answered
//! with statusCode 0 to the send of the next poll attempt, whatever its answer.
//! Lateness is measured from the instant a send became possible
//! (`max(intended, previous answer)`), so a slow server does not make the
//! generator look overloaded; the corrected latency still starts at `intended`.

use super::{record, step, End, SessionCtx, Shared, Step};
use crate::engine::client::Call;
use crate::engine::metrics::{GapCause, Metrics, ViolationKind, MAX_INDEX_JUMP};
use crate::engine::pacing::PollSchedule;
use crate::engine::stop::PhaseRx;
use crate::protocol::Envelope;
use crate::report::model::SessionRow;
use rand::rngs::SmallRng;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::time::Instant;

/// Per-session gap summary (a few numbers; no per-gap storage).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct GapStats {
    /// Polls sent.
    pub polls: u64,
    /// Largest gap.
    pub max_gap: Duration,
    /// A gap exceeded flex.
    pub flagged: bool,
    /// A gap exceeded the near-miss line.
    pub near_miss: bool,
    /// Cause of the largest gap above the near-miss line.
    pub cause: Option<GapCause>,
    worst_over_line: Duration,
}

impl GapStats {
    /// Account one gap.
    pub fn observe(&mut self, gap: Duration, cause: GapCause, flex: Duration, line: Duration) {
        self.max_gap = self.max_gap.max(gap);
        if gap > line {
            if gap > flex {
                self.flagged = true;
            } else {
                self.near_miss = true;
            }
            if gap > self.worst_over_line {
                self.worst_over_line = gap;
                self.cause = Some(cause);
            }
        }
    }

    /// The sessions.csv row.
    pub fn row(&self, ordinal: u64, chat_id: String, end_reason: &str) -> SessionRow {
        SessionRow {
            ordinal,
            chat_id,
            polls: self.polls,
            max_gap_ms: self.max_gap.as_secs_f64() * 1000.0,
            flagged: self.flagged,
            near_miss: self.near_miss && !self.flagged,
            cause: self
                .cause
                .map(|c| c.as_str().to_string())
                .unwrap_or_default(),
            end_reason: end_reason.to_string(),
        }
    }
}

/// Why a gap from `last_ok_send` to `sent` was as long as it was.
///
/// `intended` is the attempt's scheduled instant, `prev_done` when the session's
/// previous poll answer arrived, `retries` whether failed attempts intervened,
/// `line` the near-miss line. Retries win; a planned interval reaching the line
/// is the cadence; otherwise the larger of "previous answer arrived after the
/// intended instant" (slow response) and "sent after it could" (generator lag).
pub fn attribute_gap(
    last_ok_send: Instant,
    intended: Instant,
    prev_done: Instant,
    sent: Instant,
    retries: bool,
    line: Duration,
) -> GapCause {
    if retries {
        return GapCause::Retries;
    }
    let planned = intended.saturating_duration_since(last_ok_send);
    if planned >= line {
        return GapCause::Cadence;
    }
    let slow = prev_done.saturating_duration_since(intended);
    let lag = sent.saturating_duration_since(intended.max(prev_done));
    if slow.is_zero() && lag.is_zero() {
        GapCause::Cadence
    } else if slow >= lag {
        GapCause::SlowResponse
    } else {
        GapCause::GeneratorLag
    }
}

/// Advance the transcript position from a poll answer, flagging holes and repeats.
/// Returns the new position.
///
/// A hole is one event however many indexes it skips; an index more than
/// [`MAX_INDEX_JUMP`] ahead is `absurd_index` and ignored (the position stays),
/// so a hostile `u64::MAX` neither inflates the count nor ends the transcript.
pub fn track_transcript(position: u64, env: &Envelope, metrics: &Metrics) -> u64 {
    let mut pos = position;
    for idx in env.messages.iter().filter_map(|m| m.index) {
        if idx < pos {
            metrics.record_violation(ViolationKind::TranscriptRepeat);
        } else if idx - pos > MAX_INDEX_JUMP {
            metrics.record_violation(ViolationKind::AbsurdIndex);
        } else {
            if idx > pos {
                metrics.record_violation(ViolationKind::TranscriptHole);
            }
            pos = idx.saturating_add(1);
        }
    }
    pos
}

/// The poll loop; returns the session's gap summary.
pub async fn poll_loop(
    ctx: &SessionCtx,
    sh: &Shared,
    ordinal: u64,
    slot: u64,
    first: Instant,
    mut rng: SmallRng,
    run: &mut PhaseRx,
) -> GapStats {
    let s = &ctx.script;
    let line = ctx.flex.mul_f64(ctx.near_miss_fraction);
    let mut sched = PollSchedule::new(s.poll_interval, s.jitter, first);
    let mut stats = GapStats::default();
    let mut last_ok_send: Option<Instant> = None;
    let mut prev_done = first;
    let mut consecutive = 0u32;
    let mut retried_since_ok = false;
    loop {
        let intended = sched.next();
        if !sh.sleep_until(intended, run).await {
            break;
        }
        if slot >= ctx.target_slots.load(Ordering::Relaxed) {
            sh.finish(End::Client);
            break;
        }
        let ready = intended.max(prev_done);
        let position = sh.position.load(Ordering::Relaxed);
        let draft = if sh.typing.load(Ordering::Relaxed) > 0 {
            s.message_text.as_str()
        } else {
            ""
        };
        let call = Call::Poll { position, draft };
        sh.polls.fetch_add(1, Ordering::Relaxed);
        let reply = sh.call(ctx, &call, intended).await;
        // `sent` is after any wait for a connection slot: that wait is the generator's.
        let sent = reply.sent;
        ctx.metrics
            .record_lateness(sent.saturating_duration_since(ready));
        let mut gap = None;
        if let Some(last) = last_ok_send {
            let g = sent.saturating_duration_since(last);
            let cause = attribute_gap(last, intended, prev_done, sent, retried_since_ok, line);
            ctx.metrics.record_gap(ordinal, g, cause);
            let g_us = u64::try_from(g.as_micros()).unwrap_or(u64::MAX);
            sh.max_gap_us.fetch_max(g_us, Ordering::Relaxed);
            stats.observe(g, cause, ctx.flex, line);
            gap = Some(g);
        }
        record(&ctx.metrics, &call, intended, &reply);
        stats.polls += 1;
        prev_done = reply.done;
        match step(&reply, &ctx.metrics) {
            Step::Ok { ended } => {
                if !sh.adopt(&reply, &ctx.metrics) {
                    break;
                }
                if let Some(env) = &reply.envelope {
                    let pos = track_transcript(position, env, &ctx.metrics);
                    sh.position.store(pos, Ordering::Relaxed);
                }
                if ended {
                    sh.finish(End::AgentEnded);
                    break;
                }
                last_ok_send = Some(reply.sent);
                consecutive = 0;
                retried_since_ok = false;
                sched.advance(intended, reply.sent, &mut rng);
            }
            Step::Retry => {
                consecutive += 1;
                retried_since_ok = true;
                if consecutive >= ctx.retry.max_consecutive {
                    sh.finish(End::RetriesExhausted);
                    break;
                }
                sched.retry_at(reply.done + ctx.retry.backoff_after(consecutive));
            }
            Step::Fatal { code_249 } => {
                let expired = code_249 && gap.is_some_and(|g| g > ctx.flex);
                sh.finish(if expired {
                    End::Expired
                } else {
                    End::ServerFatal
                });
                break;
            }
        }
    }
    stats
}
