//! The simulated agent and the flex-disconnect expiry of one chat, applied
//! lazily: [`advance`] brings a chat up to `now` (agent actions that fell due,
//! then expiry). It runs on every request for the chat and from the timer
//! sweeper, so answers are exact whenever the sweeper happens to run, and no
//! chat needs a task of its own.

use super::config::ServerConfig;
use super::pool::{self, Pool, Seat};
use super::rng;
use super::stats::{Counters, EndReason};
use super::store::{AgentAction, Chat, ChatState, EventKind, PartyKind};
use super::Clock;
use tokio::time::Instant;

/// What [`advance`] left behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Advance {
    /// The chat is still held (live, or agent-ended and not yet told).
    Open,
    /// The flex timer elapsed on a live chat: it ended now (counted); remove it.
    Expired,
    /// An agent-ended chat whose customer never came back: remove it silently.
    Gone,
}

/// Everything [`advance`] needs besides the chat.
pub(super) struct Cx<'a> {
    /// Server options.
    pub config: &'a ServerConfig,
    /// Counters to update.
    pub counters: &'a Counters,
    /// Instant → epoch ms.
    pub clock: &'a Clock,
    /// The agent pool, if any.
    pub pool: Option<&'a Pool>,
}

/// Seed stream of the agent's end-of-chat delay (replies use 1, 2, ...).
const END_STREAM: u64 = 0x00E1_D00F_C4A7;

/// Apply due agent actions, then expiry.
pub(super) fn advance(chat: &mut Chat, now: Instant, cx: &Cx) -> Advance {
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
                pool::on_end(chat, chat.deadline, cx);
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
                leave(chat, at, utc, cx);
            }
        }
        AgentAction::End => leave(chat, at, utc, cx),
    }
}

/// The agent ends the chat at `at`.
fn leave(chat: &mut Chat, at: Instant, utc: i64, cx: &Cx) {
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
    pool::on_end(chat, at, cx);
}

/// An agent takes the chat at `start`: it joins `join_after` later, answers
/// the messages sent so far, and (with `end_after`) ends the chat that long
/// after joining.
pub(super) fn start(chat: &mut Chat, key: u64, start: Instant, cx: &Cx) {
    let agent = &cx.config.agent;
    let join_at = start + agent.join_after;
    schedule(chat, join_at, AgentAction::Join);
    if let Some(end) = &agent.end_after {
        let mut rng = rng::rng_for(cx.config.seed, key ^ END_STREAM, 0);
        schedule(chat, join_at + end.sample(&mut rng), AgentAction::End);
    }
    for n in 1..=chat.customer_messages {
        schedule_reply(chat, key, n, start, cx);
    }
}

/// Schedule `action` at `at`, keeping `pending` in time order (ties keep
/// insertion order, so a join scheduled first stays first).
pub(super) fn schedule(chat: &mut Chat, at: Instant, action: AgentAction) {
    let i = chat.pending.partition_point(|(t, _)| *t <= at);
    chat.pending.insert(i, (at, action));
}

/// The customer sent message number `chat.customer_messages`: schedule the
/// agent's reply. Returns its instant (for the timer queue), if any.
pub(super) fn on_customer_message(
    chat: &mut Chat,
    key: u64,
    now: Instant,
    cx: &Cx,
) -> Option<Instant> {
    if !cx.config.agent.enabled || chat.state != ChatState::Live || chat.seat == Seat::Queued {
        return None;
    }
    Some(schedule_reply(chat, key, chat.customer_messages, now, cx))
}

/// Schedule the reply to message `n`, `reply_after` after `now` but not before the join.
fn schedule_reply(chat: &mut Chat, key: u64, n: u32, now: Instant, cx: &Cx) -> Instant {
    let mut rng = rng::rng_for(cx.config.seed, key, u64::from(n));
    let mut at = now + cx.config.agent.reply_after.sample(&mut rng);
    if let Some((join_at, _)) = chat.pending.iter().find(|(_, a)| *a == AgentAction::Join) {
        at = at.max(*join_at);
    }
    schedule(chat, at, AgentAction::Reply(n));
    at
}

/// The earliest instant this chat needs attention (next action or deadline).
pub(super) fn next_wake(chat: &Chat) -> Instant {
    match chat.pending.front() {
        Some((at, _)) => (*at).min(chat.deadline),
        None => chat.deadline,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::config::DelaySpec;
    use crate::server::store::EventKind;
    use std::collections::VecDeque;
    use std::time::Duration;

    fn chat(now: Instant, deadline: Instant) -> Chat {
        Chat {
            secure_key: "k".into(),
            user_id: "u".into(),
            alias: 1,
            tenant: None,
            nickname: "n".into(),
            state: ChatState::Live,
            deadline,
            armed_at: now,
            transcript: Vec::new(),
            next_index: 1,
            customer_messages: 0,
            polled_from: 1,
            pending: VecDeque::new(),
            user_data: Vec::new(),
            seat: Seat::Own,
        }
    }

    fn kinds(c: &Chat) -> Vec<EventKind> {
        c.transcript.iter().map(|e| e.kind).collect()
    }

    #[test]
    fn actions_after_the_deadline_never_happen() {
        let t0 = Instant::now();
        let s = Duration::from_secs(1);
        let config = ServerConfig::default();
        let (counters, clock) = (Counters::default(), super::super::Clock::new());
        let cx = Cx {
            config: &config,
            counters: &counters,
            clock: &clock,
            pool: None,
        };
        let mut c = chat(t0, t0 + 10 * s);
        schedule(&mut c, t0 + 2 * s, AgentAction::Reply(1));
        schedule(&mut c, t0 + s, AgentAction::Join);
        schedule(&mut c, t0 + 11 * s, AgentAction::Reply(2));
        assert_eq!(next_wake(&c), t0 + s);
        assert_eq!(advance(&mut c, t0 + 5 * s, &cx), Advance::Open);
        assert_eq!(
            kinds(&c),
            [EventKind::ParticipantJoined, EventKind::Message]
        );
        assert_eq!(next_wake(&c), t0 + 10 * s);
        assert_eq!(advance(&mut c, t0 + 20 * s, &cx), Advance::Expired);
        assert_eq!(kinds(&c).last(), Some(&EventKind::ParticipantLeft));
        assert_eq!(
            c.transcript.len(),
            3,
            "the reply due after the deadline was dropped"
        );
        assert_eq!(counters.snapshot().chats.expired, 1);
    }

    #[test]
    fn replies_are_seeded_and_wait_for_the_join() {
        let t0 = Instant::now();
        let mut config = ServerConfig::default();
        config.agent.reply_after = DelaySpec::Uniform {
            min: Duration::from_millis(100),
            max: Duration::from_millis(900),
        };
        let (counters, clock) = (Counters::default(), super::super::Clock::new());
        let cx = Cx {
            config: &config,
            counters: &counters,
            clock: &clock,
            pool: None,
        };
        let deadline = t0 + Duration::from_secs(45);
        let at = |key| {
            let mut c = chat(t0, deadline);
            c.customer_messages = 1;
            on_customer_message(&mut c, key, t0, &cx)
        };
        assert_eq!(at(7), at(7));
        assert_ne!(at(7), at(8));
        let mut c = chat(t0, deadline);
        schedule(&mut c, t0 + Duration::from_secs(3), AgentAction::Join);
        c.customer_messages = 1;
        let reply = on_customer_message(&mut c, 1, t0, &cx);
        assert_eq!(reply, Some(t0 + Duration::from_secs(3)));
        assert_eq!(
            c.pending.back(),
            Some(&(t0 + Duration::from_secs(3), AgentAction::Reply(1)))
        );
    }
}
