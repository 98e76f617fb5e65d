//! The customer's side of the service level: when the chat was requested,
//! when an agent joined and when the customer's first message went out, read
//! from the transcript events of each poll answer (timed at that answer: the
//! instant the customer sees them, not the events' own `utcTime`).

use crate::metrics::Metrics;
use crate::protocol::Envelope;
use tokio::time::Instant;

/// One session's service-level clock.
#[derive(Debug, Default)]
pub(crate) struct ServiceClock {
    requested: Option<Instant>,
    joined: bool,
    first_message: Option<Instant>,
    first_response: bool,
}

impl ServiceClock {
    /// The customer asked for a chat at `at` (its request_chat's planned instant).
    pub(crate) fn requested(&mut self, at: Instant) {
        self.requested.get_or_insert(at);
    }

    /// The server accepted the customer's message at `at` (only the first counts).
    pub(crate) fn message_sent(&mut self, at: Instant) {
        self.first_message.get_or_insert(at);
    }

    /// Read the agent's events of an answer that arrived at `done`.
    pub(crate) fn answer(&mut self, env: &Envelope, done: Instant, metrics: &Metrics) {
        for ev in env.messages.iter().filter(|e| e.from.kind == "Agent") {
            match ev.kind.as_str() {
                "ParticipantJoined" if !self.joined => {
                    self.joined = true;
                    if let Some(at) = self.requested {
                        metrics.agent_joined(done.saturating_duration_since(at));
                    }
                }
                "Message" if !self.first_response => {
                    if let Some(at) = self.first_message {
                        self.first_response = true;
                        metrics.agent_first_response(done.saturating_duration_since(at));
                    }
                }
                _ => {}
            }
        }
    }

    /// The session ended: an established chat no agent joined counts as never joined.
    pub(crate) fn ended(&self, metrics: &Metrics) {
        if self.requested.is_some() && !self.joined {
            metrics.never_joined();
        }
    }
}
