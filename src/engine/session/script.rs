//! The customer script: request the chat, send messages with think times and
//! widget-like typing notifications, end the chat, and disconnect.
//!
//! Typing follows the widget: one startTyping when a burst of typing starts;
//! stopTyping only when the customer pauses more than 2 s after the last
//! keystroke before sending (so a message sent within 2 s has none). While
//! the customer has a draft, refresh carries it as `message`.

use super::{record, step, SessionCtx, Shared, Step};
use crate::engine::client::Call;
use crate::engine::pacing::Jitter;
use crate::engine::stop::PhaseRx;
use crate::metrics::{EndReason, ViolationKind};
use rand::rngs::SmallRng;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::time::Instant;

/// The widget sends stopTyping after this long without a keystroke.
pub(super) const STOP_TYPING_AFTER: Duration = Duration::from_secs(2);

/// How a session ends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EndMode {
    /// Disconnect this long after the last message.
    AfterMessages(Duration),
    /// Disconnect this long after the chat started.
    AfterDuration(crate::util::distribution::DurationDist),
    /// Keep polling until the agent (or the server) ends the chat, or the run ends.
    WaitForAgent,
}

/// What the customer's side does with statusCode 1 and chatEnded true (the
/// `status1_chat_ended` violation, counted either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Status1Reaction {
    /// The seed's rule: a failed attempt, retried; the last chatEnded stays false.
    #[default]
    Record,
    /// Genesys Widgets 8.5: end the chat on the customer's side, without a disconnect.
    EndLikeWidget,
}

/// What one simulated customer does.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerScript {
    /// Poll interval.
    pub poll_interval: Duration,
    /// Poll jitter.
    pub jitter: Jitter,
    /// Nickname.
    pub nickname: String,
    /// Messages to send.
    pub messages: u64,
    /// Text of each message.
    pub message_text: String,
    /// Think time before each message.
    pub think_time: Duration,
    /// Spread of the think time.
    pub think_jitter: Jitter,
    /// Send typing notifications.
    pub typing: bool,
    /// Time typing before sending.
    pub typing_time: Duration,
    /// Idle time between the last keystroke and the send.
    pub send_pause: Duration,
    /// How the session ends.
    pub end: EndMode,
    /// The reaction to statusCode 1 with chatEnded true.
    pub on_status1: Status1Reaction,
    /// How long the customer waits for an agent before leaving (None: for ever).
    pub patience: Option<crate::util::distribution::DurationDist>,
    /// Customer profiles from a file (None: every customer is `nickname`).
    pub customers: Option<std::sync::Arc<crate::engine::customers::CustomerData>>,
    /// Message texts from a file, for customers without their own.
    pub message_lines: Option<std::sync::Arc<crate::engine::messages::MessageLines>>,
}

impl CustomerScript {
    /// The customer sends nothing but polls (no messages, waits for the agent to end
    /// the chat).
    pub(super) fn sends_nothing(&self) -> bool {
        self.messages == 0 && matches!(self.end, EndMode::WaitForAgent)
    }

    /// The customer only polls: it sends nothing and has no patience limit.
    pub(super) fn only_polls(&self) -> bool {
        self.sends_nothing() && self.patience.is_none()
    }
}

/// Send one operation at `intended`, retrying per policy. False when the session ended.
async fn op<'a>(
    ctx: &SessionCtx,
    sh: &Shared,
    run: &PhaseRx,
    intended: Instant,
    make: impl Fn(u64) -> Call<'a>,
) -> bool {
    let sent = send(
        ctx,
        sh,
        run,
        intended,
        make,
        EndReason::RetriesExhausted,
        EndReason::ServerFatal,
    );
    match sent.await {
        Some((_, true)) => {
            sh.finish(EndReason::AgentEnded);
            false
        }
        Some((_, false)) => true,
        None => false,
    }
}

/// Request the chat (retrying per policy); Some(answer instant) when established.
pub(super) async fn request_chat(
    ctx: &SessionCtx,
    sh: &Shared,
    run: &PhaseRx,
    intended: Instant,
) -> Option<Instant> {
    let customer = &sh.customer;
    let make = |_| Call::RequestChat { customer };
    let (done, ended) = send(
        ctx,
        sh,
        run,
        intended,
        make,
        EndReason::RequestFailed,
        EndReason::RequestFailed,
    )
    .await?;
    let complete = sh.id.lock().complete();
    if !complete {
        ctx.metrics
            .record_violation(sh.counted_as, ViolationKind::MissingField);
        sh.finish(EndReason::RequestFailed);
        return None;
    }
    if ended {
        sh.finish(EndReason::AgentEnded);
        return None;
    }
    Some(done)
}

/// Send the call `make` builds (from the current position) at `intended`, retrying
/// per policy, until the server accepts it: then adopt the identity it carries and
/// give Some((answer instant, chatEnded)). None when the session ended first: by
/// the run, or here with `exhausted` (too many retries) or `fatal` (statusCode 2).
async fn send<'a>(
    ctx: &SessionCtx,
    sh: &Shared,
    run: &PhaseRx,
    intended: Instant,
    make: impl Fn(u64) -> Call<'a>,
    exhausted: EndReason,
    fatal: EndReason,
) -> Option<(Instant, bool)> {
    let mut at = intended;
    let mut consecutive = 0u32;
    let s1 = ctx.script_of(sh).on_status1;
    loop {
        if !sh.sleep_until(at, run).await {
            return None;
        }
        let call = make(sh.position.load(Ordering::Relaxed));
        let (reply, idle) = sh.call(ctx, &call, at).await;
        ctx.metrics.record_lateness(reply.lateness_from(at));
        record(&ctx.metrics, sh.counted_as, &call, at, &reply);
        match step(&reply, &ctx.metrics, sh.counted_as, s1) {
            Step::Ok { ended } => {
                if !sh.adopt(&reply, &ctx.metrics) {
                    return None;
                }
                return Some((reply.done, ended));
            }
            Step::Retry => {
                consecutive += 1;
                if consecutive >= ctx.retry.max_consecutive {
                    sh.finish(exhausted);
                    return None;
                }
                at = reply.done + ctx.retry.backoff_after(consecutive);
            }
            // 249 after the chat went without requests for the timeout: the server expired it.
            Step::Fatal { code_249 } if code_249 && idle && fatal == EndReason::ServerFatal => {
                sh.finish(EndReason::Expired);
                return None;
            }
            Step::Fatal { .. } => {
                sh.finish(fatal);
                return None;
            }
            Step::WidgetEnded => {
                sh.finish(EndReason::WidgetEnded);
                return None;
            }
        }
    }
}

/// Sleep until `at`, or until the session's end-by-duration deadline (which ends it).
async fn wait(sh: &Shared, run: &PhaseRx, at: Instant, deadline: Option<Instant>) -> bool {
    match deadline {
        Some(d) if d <= at => {
            if sh.sleep_until(d, run).await {
                sh.finish(EndReason::ClientDisconnect);
            }
            false
        }
        _ => sh.sleep_until(at, run).await,
    }
}

/// The customer's side of a session; returns when the session ended, or at once for a
/// customer who only polls (no messages, waiting for the agent to end the chat).
pub(super) async fn script_loop(
    ctx: &SessionCtx,
    sh: &Shared,
    started: Instant,
    rng: &mut SmallRng,
    run: &PhaseRx,
) {
    if ctx.script_of(sh).sends_nothing() {
        return;
    }
    // Boxed: on the heap only for customers who have a script to play.
    Box::pin(script_steps(ctx, sh, started, rng, run)).await;
}

/// [`script_loop`]'s messages, typing and end.
async fn script_steps(
    ctx: &SessionCtx,
    sh: &Shared,
    started: Instant,
    rng: &mut SmallRng,
    run: &PhaseRx,
) {
    let s = ctx.script_of(sh);
    let deadline = match s.end {
        EndMode::AfterDuration(d) => Some(started + d.sample(rng)),
        _ => None,
    };
    let mut at = started;
    for i in 0..s.messages {
        at += s.think_jitter.apply(s.think_time, rng);
        if s.typing {
            if !wait(sh, run, at, deadline).await {
                return;
            }
            sh.typing.store(1, Ordering::Relaxed);
            if !op(ctx, sh, run, at, |position| Call::StartTyping { position }).await {
                return;
            }
            let last_key = at + s.typing_time;
            if s.send_pause > STOP_TYPING_AFTER {
                let stop_at = last_key + STOP_TYPING_AFTER;
                if !wait(sh, run, stop_at, deadline).await
                    || !op(ctx, sh, run, stop_at, |position| Call::StopTyping {
                        position,
                    })
                    .await
                {
                    return;
                }
            }
            at = last_key + s.send_pause;
        }
        if !wait(sh, run, at, deadline).await {
            return;
        }
        let own = &sh.customer.messages;
        let text = match own.len() {
            0 => s.message_text.as_str(),
            n => own[(i % n as u64) as usize].as_str(),
        };
        let sent = op(ctx, sh, run, at, |_| Call::Send { text }).await;
        sh.typing.store(0, Ordering::Relaxed);
        if !sent {
            return;
        }
        sh.service().message_sent(Instant::now());
    }
    let end_at = match s.end {
        EndMode::AfterMessages(linger) => at + linger,
        EndMode::AfterDuration(_) => deadline.unwrap_or(at),
        // Bounded by the run's end, which wakes the sleep.
        EndMode::WaitForAgent => {
            sh.ended().await;
            return;
        }
    };
    if sh.sleep_until(end_at, run).await {
        sh.finish(EndReason::ClientDisconnect);
    }
}

/// How a disconnect came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Disconnected {
    /// Answered statusCode 0: the server ended the chat on the client's word.
    pub accepted: bool,
    /// Answered 2/249 after the chat went without requests for the timeout: the
    /// server had already expired it.
    pub expired: bool,
}

/// Disconnect (or Complete) a chat the client ends; bounded by the retry policy.
pub(super) async fn disconnect(ctx: &SessionCtx, sh: &Shared) -> Disconnected {
    let mut consecutive = 0u32;
    loop {
        let intended = Instant::now();
        let call = Call::Disconnect;
        let (reply, idle) = sh.call(ctx, &call, intended).await;
        record(&ctx.metrics, sh.counted_as, &call, intended, &reply);
        match step(
            &reply,
            &ctx.metrics,
            sh.counted_as,
            ctx.script_of(sh).on_status1,
        ) {
            // The widget gives the chat up on 1/true, its disconnect included.
            Step::WidgetEnded => return Disconnected::default(),
            Step::Ok { .. } => {
                return Disconnected {
                    accepted: true,
                    expired: false,
                }
            }
            Step::Fatal { code_249 } => {
                return Disconnected {
                    accepted: false,
                    expired: code_249 && idle,
                }
            }
            Step::Retry => {
                consecutive += 1;
                if consecutive >= ctx.retry.max_consecutive {
                    return Disconnected::default();
                }
                tokio::time::sleep(ctx.retry.backoff_after(consecutive)).await;
            }
        }
    }
}
