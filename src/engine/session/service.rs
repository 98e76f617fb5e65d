//! The customer's side of the service level: when the chat was requested,
//! when an agent joined, when the customer's messages went out and when the
//! agent answered them (first response, and every response), read
//! from the transcript events of each poll answer (timed at that answer: the
//! instant the customer sees them, not the events' own `utcTime`), and the
//! customer's patience: not joined within it, the customer leaves.

use super::{SessionCtx, Shared};
use crate::engine::stop::PhaseRx;
use crate::metrics::{EndReason, Metrics, SessionService};
use crate::protocol::Envelope;
use rand::rngs::SmallRng;
use rand::SeedableRng;
use tokio::time::Instant;

/// One session's service-level clock.
#[derive(Debug, Default)]
pub(crate) struct ServiceClock {
    requested: Option<Instant>,
    joined: bool,
    abandoned: bool,
    first_message: Option<Instant>,
    first_response: bool,
    /// What the session's row reports.
    figures: SessionService,
    /// Acceptance of the oldest customer message the agent has not answered yet.
    unanswered_since: Option<Instant>,
}

impl ServiceClock {
    /// The customer asked for a chat at `at` (its request_chat's planned instant).
    pub(crate) fn requested(&mut self, at: Instant) {
        self.requested.get_or_insert(at);
    }

    /// The server accepted the customer's message at `at` (the first one starts the
    /// first response; the oldest unanswered one starts the next response).
    pub(crate) fn message_sent(&mut self, at: Instant) {
        self.first_message.get_or_insert(at);
        self.unanswered_since.get_or_insert(at);
    }

    /// Read the agent's events of an answer that arrived at `done`.
    pub(crate) fn answer(&mut self, env: &Envelope, done: Instant, metrics: &Metrics) {
        for ev in env.messages.iter().filter(|e| e.from.kind == "Agent") {
            match ev.kind.as_str() {
                // A join that arrives after the customer gave up is not counted.
                "ParticipantJoined" if !self.joined && !self.abandoned => {
                    self.joined = true;
                    if let Some(at) = self.requested {
                        let wait = done.saturating_duration_since(at);
                        self.figures.queue_wait = Some(wait);
                        metrics.agent_joined(wait);
                    }
                }
                "Message" => {
                    if let (false, Some(at)) = (self.first_response, self.first_message) {
                        self.first_response = true;
                        let after = done.saturating_duration_since(at);
                        self.figures.first_response = Some(after);
                        metrics.agent_first_response(after);
                    }
                    // One agent message answers every customer message sent before it.
                    if let Some(at) = self.unanswered_since.take() {
                        metrics.agent_response(done.saturating_duration_since(at));
                    }
                }
                _ => {}
            }
        }
    }

    /// At `now` the customer's patience ran out: true (and the chat counted abandoned
    /// with its wait) when no agent had joined yet.
    fn lose_patience(&mut self, now: Instant, metrics: &Metrics) -> bool {
        let Some(at) = self.requested else {
            return false;
        };
        if self.joined || self.abandoned {
            return false;
        }
        self.abandoned = true;
        let wait = now.saturating_duration_since(at);
        self.figures.abandoned = true;
        self.figures.queue_wait = Some(wait);
        metrics.abandoned(wait);
        true
    }

    /// The session's service level for its row.
    pub(crate) fn figures(&self) -> SessionService {
        self.figures
    }

    /// The session ended: an established chat no agent joined (and not abandoned)
    /// counts as never joined.
    pub(crate) fn ended(&self, metrics: &Metrics) {
        if self.requested.is_some() && !self.joined && !self.abandoned {
            metrics.never_joined();
        }
    }
}

/// With `customer.patience`: wait until the patience (sampled per session, seeded)
/// after `requested`; if no agent was seen by then, count the chat abandoned and end
/// the session (`lost_patience`; it disconnects). Returns at once without patience,
/// and as soon as the session ends otherwise. One timer per session, none without patience.
pub(super) async fn patience(ctx: &SessionCtx, sh: &Shared, requested: Instant, run: &PhaseRx) {
    let Some(dist) = ctx.script_of(sh).patience else {
        return;
    };
    let mut rng = SmallRng::seed_from_u64(ctx.seed ^ sh.ordinal ^ 0x9A71_E4CE);
    let deadline = requested + dist.sample(&mut rng);
    // Boxed: a customer without patience keeps no wait in its task.
    if !Box::pin(sh.sleep_until(deadline, run)).await {
        return;
    }
    if sh.service().lose_patience(Instant::now(), &ctx.metrics) {
        sh.finish(EndReason::LostPatience);
    }
}
