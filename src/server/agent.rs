//! The simulated agent and the flex-disconnect expiry of one chat, applied
//! lazily: [`advance`] brings a chat up to `now` (agent actions that fell due,
//! then expiry). It runs on every request for the chat and from the timer
//! sweeper, so answers are exact whenever the sweeper happens to run, and no
//! chat needs a task of its own.

use super::config::ServerConfig;
use super::rng;
use super::stats::{Counters, EndReason};
use super::store::{AgentAction, Chat, ChatState, EventKind, PartyKind};
use super::Clock;
use tokio::time::Instant;

/// What [`advance`] left behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Advance {
    /// The chat is still held (live, or agent-ended and not yet told).
    Open,
    /// The flex timer elapsed on a live chat: it ended now (counted); remove it.
    Expired,
    /// An agent-ended chat whose customer never came back: remove it silently.
    Gone,
}

/// Everything [`advance`] needs besides the chat.
pub struct Cx<'a> {
    /// Server options.
    pub config: &'a ServerConfig,
    /// Counters to update.
    pub counters: &'a Counters,
    /// Instant → epoch ms.
    pub clock: &'a Clock,
}

/// Apply due agent actions, then expiry.
pub fn advance(chat: &mut Chat, now: Instant, cx: &Cx) -> Advance {
    while let Some(&(at, action)) = chat.pending.front() {
        if at > now || at > chat.deadline {
            break;
        }
        chat.pending.pop_front();
        apply(chat, at, action, cx);
    }
    if now >= chat.deadline {
        return match chat.state {
            ChatState::Live => {
                let utc = cx.clock.utc_ms(chat.deadline);
                chat.append(
                    EventKind::ParticipantLeft,
                    PartyKind::Client,
                    utc,
                    None,
                    None,
                );
                chat.pending.clear();
                cx.counters.chat_ended(EndReason::Expired);
                Advance::Expired
            }
            ChatState::AgentEnded => Advance::Gone,
        };
    }
    Advance::Open
}

fn apply(chat: &mut Chat, at: Instant, action: AgentAction, cx: &Cx) {
    let utc = cx.clock.utc_ms(at);
    match action {
        AgentAction::Join => {
            chat.append(
                EventKind::ParticipantJoined,
                PartyKind::Agent,
                utc,
                None,
                None,
            );
        }
        AgentAction::Reply(n) => {
            let text = format!("Agent reply to message {n}");
            chat.append(
                EventKind::Message,
                PartyKind::Agent,
                utc,
                Some(&text),
                Some("text"),
            );
            if cx.config.agent.end_after_messages == Some(n) {
                chat.append(
                    EventKind::ParticipantLeft,
                    PartyKind::Agent,
                    utc,
                    None,
                    None,
                );
                chat.state = ChatState::AgentEnded;
                chat.pending.clear();
                cx.counters.chat_ended(EndReason::Agent);
            }
        }
    }
}

/// Schedule `action` at `at`, keeping `pending` in time order (ties keep
/// insertion order, so a join scheduled first stays first).
pub fn schedule(chat: &mut Chat, at: Instant, action: AgentAction) {
    let i = chat.pending.partition_point(|(t, _)| *t <= at);
    chat.pending.insert(i, (at, action));
}

/// The customer sent message number `chat.customer_messages`: schedule the
/// agent's reply. Returns its instant (for the timer queue), if any.
pub fn on_customer_message(chat: &mut Chat, key: u64, now: Instant, cx: &Cx) -> Option<Instant> {
    let agent = &cx.config.agent;
    if !agent.enabled || chat.state != ChatState::Live {
        return None;
    }
    let n = chat.customer_messages;
    let u = rng::unit(cx.config.seed, key, u64::from(n));
    let mut at = now + agent.reply_after.sample(u);
    if let Some((join_at, _)) = chat.pending.iter().find(|(_, a)| *a == AgentAction::Join) {
        at = at.max(*join_at);
    }
    schedule(chat, at, AgentAction::Reply(n));
    Some(at)
}

/// The earliest instant this chat needs attention (next action or deadline).
pub fn next_wake(chat: &Chat) -> Instant {
    match chat.pending.front() {
        Some((at, _)) => (*at).min(chat.deadline),
        None => chat.deadline,
    }
}
