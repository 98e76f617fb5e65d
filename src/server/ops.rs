//! What each chat operation does, dialect-free: both dialects parse their
//! bodies into [`RequestInput`] / [`OpInput`] and get an [`Envelope`] back.
//! This layer knows the chat state machine of docs/protocol.md (identity,
//! transcript positions, end of chat, flex timer reset, alias rotation and
//! transcript holes); it knows nothing about HTTP bodies.

use super::agent::{self, Advance};
pub(super) use super::answer::*;
use super::faults::Decision;
use super::misbehave::Misbehave;
use super::pool::Seat;
use super::store::{Chat, ChatState, EventKind, PartyKind};
use super::{rng, Inner};
use crate::protocol::{codes, Operation};
use std::borrow::Cow;
use tokio::time::Instant;

/// First alias handed out (a Chat Server instance number).
const FIRST_ALIAS: u32 = 117;

impl Inner {
    /// Create a chat and answer with its identity and the whole transcript.
    pub(crate) fn request_chat(
        &self,
        input: RequestInput,
        needs_tenant: bool,
        faults: &Decision,
    ) -> Answer {
        let needs_tenant = needs_tenant && !self.mis(Misbehave::RequestTenantRequired);
        let nickname = match validate_request(&input, needs_tenant, self.config.max_message_length)
        {
            Ok(n) => n,
            Err(r) if r.code != codes::CANNOT_START && self.mis(Misbehave::RequestNameRequired) => {
                let mut answer = r.answer();
                answer.1.errors = None;
                return answer;
            }
            Err(rejection) => return rejection.answer(),
        };
        let now = Instant::now();
        let key = self.store.next_key();
        let chat_id = self.store.chat_id(key);
        let secure_key = rng::secret_hex(16);
        self.note_key(&secure_key);
        let deadline = now + self.flex_timeout();
        let mut chat = Chat {
            secure_key: secure_key.into(),
            user_id: format!("{:016X}", rng::mix(key ^ self.config.seed.rotate_left(17))).into(),
            alias: FIRST_ALIAS,
            tenant: input.tenant.map(Into::into),
            nickname: nickname.into(),
            state: ChatState::Live,
            deadline,
            armed_at: deadline,
            transcript: Vec::new(),
            next_index: 1,
            customer_messages: 0,
            polled_from: 1,
            pending: Default::default(),
            user_data: Vec::new(),
            seat: Seat::Own,
        };
        chat.merge_user_data(&input.user_data);
        let utc = self.clock.utc_ms(now);
        let joined = if self.mis(Misbehave::TranscriptJoinedFirst) {
            PartyKind::System
        } else {
            PartyKind::Client
        };
        chat.append(EventKind::ParticipantJoined, joined, utc, None, None);
        let cx = self.cx();
        if let Some(text) = input.text.as_deref() {
            chat.append(
                EventKind::Message,
                PartyKind::Client,
                utc,
                Some(text),
                Some("text"),
            );
            chat.customer_messages = 1;
        }
        if self.config.agent.enabled {
            chat.seat = match &self.pool {
                None => Seat::Own,
                Some(pool) if pool.arrive() => Seat::Held,
                Some(_) => Seat::Queued,
            };
            if chat.seat != Seat::Queued {
                agent::start(&mut chat, key, now, &cx);
            }
        }
        if faults.transcript_hole {
            self.punch_hole(&mut chat, utc);
        }
        let wake = agent::next_wake(&chat);
        chat.armed_at = wake;
        let mut envelope = success(&chat, &chat_id, false);
        envelope.messages = chat.events_from(1, &self.config.agent.nickname);
        if self.mis(Misbehave::RequestAccepts) {
            envelope.next_position = None;
        }
        self.counters.chat_created();
        let queued = chat.seat == Seat::Queued;
        // Insert before arming (and queueing), so the sweeper always finds the chat.
        self.store.insert(key, chat);
        self.timers.push(wake, key);
        if let (true, Some(pool)) = (queued, &self.pool) {
            pool.enqueue(key, now);
            self.pool_handoff();
        }
        (200, envelope)
    }

    /// Run one operation on chat `chat_id`.
    pub(crate) fn chat_op(
        &self,
        op: Operation,
        chat_id: &str,
        input: &OpInput,
        faults: &Decision,
    ) -> Answer {
        if let Err(rejection) = self.validate_op(op, input) {
            return rejection.answer();
        }
        let alias = input.alias.as_deref();
        // Unknown chat, or identity that does not match it: 249 "not executed".
        let not_executed = |ended| {
            failure(
                2,
                ended,
                Some(chat_id),
                alias,
                codes::MEDIA_SERVER_FAILED,
                NOT_EXECUTED,
            )
        };
        let Some(key) = self.store.key_of(chat_id) else {
            if self.mis(Misbehave::EndUnknownChat) {
                return failure(1, false, Some(chat_id), alias, codes::CANNOT_START, "retry");
            }
            return not_executed(true);
        };
        let now = Instant::now();
        let cx = self.cx();
        let answer = self.store.with_chat(key, |chat| {
            let Some(chat) = chat else {
                return (
                    not_executed(!self.misbehave.wrong_expiry_answer(key)),
                    false,
                );
            };
            match agent::advance(chat, now, &cx) {
                Advance::Open => {}
                Advance::Expired => {
                    self.misbehave.note_expired(key);
                    return (not_executed(!self.misbehave.wrong_expiry_answer(key)), true);
                }
                Advance::Gone => return (not_executed(true), true),
            }
            let ended = chat.state == ChatState::AgentEnded;
            let any_key = self
                .mis(Misbehave::IdentityWrongKey)
                .then(|| chat.secure_key.clone());
            if !chat.identity_matches(
                input.user_id.as_deref(),
                any_key.as_deref().or(input.secure_key.as_deref()),
                alias,
                input.tenant.as_deref(),
            ) {
                return (not_executed(ended), false);
            }
            if ended {
                // The agent left: this first call of any kind learns it, with the
                // closing events (from the position given, else from where the
                // customer last polled); later calls get 249.
                let mut env = success(chat, chat_id, true);
                let pos = self.poll_position(op, input).unwrap_or(chat.polled_from);
                env.messages = chat.events_from(pos, &self.config.agent.nickname);
                return ((200, env), true);
            }
            chat.deadline = now + self.flex_timeout();
            let utc = self.clock.utc_ms(now);
            let closing = self.apply_op(op, chat, key, input, now, utc);
            if !closing {
                if faults.alias_rotation {
                    chat.alias += 1;
                    self.counters.fault(super::config::FaultKind::AliasRotation);
                }
                if faults.transcript_hole {
                    self.punch_hole(chat, utc);
                }
            }
            if let (Operation::Poll, Some(pos)) = (op, input.position) {
                chat.polled_from = chat.polled_from.max(pos);
            }
            let mut env = success(chat, chat_id, closing);
            if let Some(pos) = self.poll_position(op, input) {
                env.messages = chat.events_from(pos, &self.config.agent.nickname);
            }
            self.misanswer(op, chat, &mut env);
            ((200, env), closing)
        });
        self.pool_handoff();
        answer
    }

    /// Where the answer's events start: polls always (absent or 0 = 1), other
    /// operations only when given a position.
    fn poll_position(&self, op: Operation, input: &OpInput) -> Option<u64> {
        let pos = match (op, input.position) {
            (Operation::Poll, p) => p.unwrap_or(1).max(1),
            (_, Some(p)) => p.max(1),
            (_, None) => return None,
        };
        let exclusive = pos > 1 && self.mis(Misbehave::TranscriptPositionInclusive);
        Some(if exclusive { pos + 1 } else { pos })
    }

    fn validate_op(&self, op: Operation, input: &OpInput) -> Result<(), Rejection> {
        let too_long = |m: &Option<Cow<str>>| {
            m.as_deref()
                .is_some_and(|m| m.chars().count() > self.config.max_message_length)
        };
        match op {
            Operation::Send if input.message.is_none() => {
                Err(Rejection::bad(400, "the message text is required"))
            }
            Operation::Send | Operation::CustomNotice if too_long(&input.message) => {
                Err(Rejection::bad(
                    codes::MESSAGE_TOO_LONG,
                    format!(
                        "message longer than {} characters",
                        self.config.max_message_length
                    ),
                ))
            }
            Operation::CustomNotice if input.message.is_none() => {
                Err(Rejection::bad(400, "message is required"))
            }
            Operation::UpdateNickname if input.nickname.is_none() => {
                Err(Rejection::bad(codes::NAME_MISSING, "nickname is required"))
            }
            Operation::PushUrl if input.push_url.is_none() => {
                Err(Rejection::bad(400, "pushUrl is required"))
            }
            _ => Ok(()),
        }
    }

    /// Apply `op` to a live chat; true when the chat ends (disconnect).
    fn apply_op(
        &self,
        op: Operation,
        chat: &mut Chat,
        key: u64,
        input: &OpInput,
        now: Instant,
        utc: i64,
    ) -> bool {
        let client = PartyKind::Client;
        match op {
            Operation::RequestChat | Operation::Poll | Operation::ReadReceipt => {}
            Operation::Send => {
                let mt = input.message_type.as_deref().unwrap_or("text");
                if self.mis(Misbehave::TranscriptNoHoles) {
                    chat.next_index += 1;
                }
                let from = if self.mis(Misbehave::TranscriptMessageEcho) {
                    PartyKind::Agent
                } else {
                    client
                };
                chat.append(
                    EventKind::Message,
                    from,
                    utc,
                    input.message.as_deref(),
                    Some(mt),
                );
                chat.customer_messages += 1;
                if let Some(at) = agent::on_customer_message(chat, key, now, &self.cx()) {
                    self.arm(chat, key, at);
                }
            }
            Operation::StartTyping | Operation::StopTyping
                if self.mis(Misbehave::TypingAccepted) => {}
            Operation::StartTyping => {
                chat.append(EventKind::TypingStarted, client, utc, None, None);
            }
            Operation::StopTyping => {
                if self.mis(Misbehave::TranscriptNoRepeats) && chat.next_index > 1 {
                    chat.next_index -= 1;
                }
                chat.append(EventKind::TypingStopped, client, utc, None, None);
            }
            Operation::Disconnect if self.mis(Misbehave::EndAfterDisconnect) => {}
            Operation::Disconnect => {
                chat.append(EventKind::ParticipantLeft, client, utc, None, None);
                chat.pending.clear();
                self.counters.chat_ended(super::stats::EndReason::Client);
                super::pool::on_end(chat, now, &self.cx());
                return true;
            }
            Operation::PushUrl => {
                chat.append(
                    EventKind::PushUrl,
                    client,
                    utc,
                    input.push_url.as_deref(),
                    None,
                );
            }
            Operation::UpdateNickname => {
                if let Some(n) = input.nickname.as_deref() {
                    chat.nickname = n.into();
                }
                if self.mis(Misbehave::NicknameAccepted) {
                    return false;
                }
                chat.append(
                    EventKind::NicknameUpdated,
                    client,
                    utc,
                    input.nickname.as_deref(),
                    None,
                );
            }
            Operation::CustomNotice => {
                let mt = input.message_type.as_deref();
                chat.append(
                    EventKind::CustomNotice,
                    client,
                    utc,
                    input.message.as_deref(),
                    mt,
                );
            }
            Operation::UpdateData => chat.merge_user_data(&input.user_data),
        }
        false
    }

    /// Skip one index, then add a system `Notice` right behind the hole so the
    /// client sees it on its next poll.
    fn punch_hole(&self, chat: &mut Chat, utc: i64) {
        chat.next_index += 1;
        chat.append(
            EventKind::Notice,
            PartyKind::System,
            utc,
            Some("transcript-hole"),
            None,
        );
        self.counters
            .fault(super::config::FaultKind::TranscriptHole);
    }
}

impl Inner {
    /// The answer changes of the `--misbehave` switches that touch a statusCode 0 answer.
    fn misanswer(&self, op: Operation, chat: &Chat, env: &mut crate::protocol::Envelope) {
        if op == Operation::Disconnect {
            let ended = !self.mis(Misbehave::EndDisconnect);
            env.chat_ended = Some(ended);
        }
        if op == Operation::Poll {
            if self.mis(Misbehave::IdentityAdopt) {
                env.alias = Some((chat.alias + 1).to_string());
            }
            if self.mis(Misbehave::TranscriptNextPosition) {
                env.next_position = env.next_position.map(|n| n.saturating_sub(1));
            }
        }
    }
}
