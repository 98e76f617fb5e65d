//! The chat store: live chats in a sharded map, each with its identity triple,
//! transcript, flex deadline and pending agent actions.
//!
//! A chat id is a 16-hex-digit encoding of the chat's sequence number (mixed
//! with a per-server salt), so a lookup parses the id back to a `u64` key and
//! locks one shard. Ended chats are removed at once: a later call finds no
//! chat and gets statusCode 2 / chatEnded true / 249, the same answer an
//! ended chat deserves, and memory stays bounded in long soaks.

use crate::protocol::{Event, Party};
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::time::Instant;

const SHARDS: usize = 64;
/// Most userData keys one chat keeps.
pub(super) const MAX_USER_DATA_KEYS: usize = 256;

/// The 13 transcript event types (those the server produces are used).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventKind {
    /// A party joined.
    ParticipantJoined,
    /// A party left.
    ParticipantLeft,
    /// A chat message.
    Message,
    /// A pushed URL (in `text`).
    PushUrl,
    /// Typing started.
    TypingStarted,
    /// Typing stopped.
    TypingStopped,
    /// Nickname changed (new name in `text`).
    NicknameUpdated,
    /// A custom notice.
    CustomNotice,
    /// A system notice.
    Notice,
}

impl EventKind {
    /// The wire name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            EventKind::ParticipantJoined => "ParticipantJoined",
            EventKind::ParticipantLeft => "ParticipantLeft",
            EventKind::Message => "Message",
            EventKind::PushUrl => "PushUrl",
            EventKind::TypingStarted => "TypingStarted",
            EventKind::TypingStopped => "TypingStopped",
            EventKind::NicknameUpdated => "NicknameUpdated",
            EventKind::CustomNotice => "CustomNotice",
            EventKind::Notice => "Notice",
        }
    }
}

/// Who produced an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PartyKind {
    /// The customer (participantId 1).
    Client,
    /// The simulated agent (participantId 2).
    Agent,
    /// The server itself (participantId 3, nickname "system").
    System,
}

/// One stored transcript event.
#[derive(Debug, Clone)]
pub(crate) struct StoredEvent {
    /// 1-based index (a hole leaves one index unused).
    pub index: u64,
    /// Event type.
    pub kind: EventKind,
    /// Producer.
    pub from: PartyKind,
    /// Epoch milliseconds.
    pub utc_ms: i64,
    /// Message, URL or nickname.
    pub text: Option<Box<str>>,
    /// Sender's label.
    pub message_type: Option<Box<str>>,
}

/// Where the chat is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChatState {
    /// Running.
    Live,
    /// The agent left; the customer's next call gets 0 / chatEnded true.
    AgentEnded,
}

/// Something the simulated agent will do at a given instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AgentAction {
    /// Join the chat.
    Join,
    /// Reply to the customer's `n`th message (1-based).
    Reply(u32),
    /// Leave the chat, ending it (`agent.end_after`).
    End,
}

/// One chat.
#[derive(Debug)]
pub(crate) struct Chat {
    /// The customer's secret.
    pub secure_key: Box<str>,
    /// The customer's user id.
    pub user_id: Box<str>,
    /// Current alias (Chat Server instance number).
    pub alias: u32,
    /// webapi tenant (None for gms-v2 chats).
    pub tenant: Option<Box<str>>,
    /// Customer nickname.
    pub nickname: Box<str>,
    /// Running or agent-ended.
    pub state: ChatState,
    /// flex-disconnect-timeout deadline.
    pub deadline: Instant,
    /// Earliest instant a timer entry for this chat sits in the timer queue.
    pub armed_at: Instant,
    /// The transcript.
    pub transcript: Vec<StoredEvent>,
    /// Index the next event gets.
    pub next_index: u64,
    /// Customer messages sent so far.
    pub customer_messages: u32,
    /// Highest `transcriptPosition` the customer polled with (where the
    /// closing events of an agent-ended chat start on a non-poll call).
    pub polled_from: u64,
    /// Agent actions not yet done, in time order.
    pub pending: VecDeque<(Instant, AgentAction)>,
    /// Accumulated user data (request + updateData), key order kept.
    pub user_data: Vec<(Box<str>, Box<str>)>,
    /// Where the chat stands with the agent pool.
    pub seat: super::pool::Seat,
}

impl Chat {
    /// Append an event and return its index.
    pub(crate) fn append(
        &mut self,
        kind: EventKind,
        from: PartyKind,
        utc_ms: i64,
        text: Option<&str>,
        message_type: Option<&str>,
    ) -> u64 {
        let index = self.next_index;
        self.next_index += 1;
        self.transcript.push(StoredEvent {
            index,
            kind,
            from,
            utc_ms,
            text: text.map(Into::into),
            message_type: message_type.map(Into::into),
        });
        index
    }

    /// `nextPosition`: last index + 1 (1 for an empty transcript).
    pub(crate) fn next_position(&self) -> u64 {
        self.transcript.last().map_or(1, |e| e.index + 1)
    }

    /// Events with `index >= pos`, rendered for the wire.
    pub(crate) fn events_from(&self, pos: u64, agent_nickname: &str) -> Vec<Event> {
        let start = self.transcript.partition_point(|e| e.index < pos);
        self.transcript[start..]
            .iter()
            .map(|e| self.render(e, agent_nickname))
            .collect()
    }

    fn render(&self, e: &StoredEvent, agent_nickname: &str) -> Event {
        let (nickname, participant_id, kind) = match e.from {
            PartyKind::Client => (&*self.nickname, 1, "Client"),
            PartyKind::Agent => (agent_nickname, 2, "Agent"),
            PartyKind::System => ("system", 3, "External"),
        };
        Event {
            from: Party {
                nickname: nickname.to_string(),
                participant_id,
                kind: kind.to_string(),
            },
            index: Some(e.index),
            kind: e.kind.as_str().to_string(),
            text: e.text.as_deref().map(str::to_string),
            utc_time: e.utc_ms,
            message_type: e.message_type.as_deref().map(str::to_string),
            user_data: None,
        }
    }

    /// Does the request's identity match this chat?
    pub(crate) fn identity_matches(
        &self,
        user_id: Option<&str>,
        secure_key: Option<&str>,
        alias: Option<&str>,
        tenant: Option<&str>,
    ) -> bool {
        user_id == Some(&*self.user_id)
            && secure_key == Some(&*self.secure_key)
            && alias.and_then(|a| a.parse::<u32>().ok()) == Some(self.alias)
            && (self.tenant.is_none() || tenant == self.tenant.as_deref())
    }

    /// Merge user data (later keys replace earlier ones; new keys beyond
    /// [`MAX_USER_DATA_KEYS`] are ignored so one chat cannot grow without bound).
    pub(crate) fn merge_user_data(&mut self, data: &[(String, String)]) {
        for (k, v) in data {
            if let Some(entry) = self.user_data.iter_mut().find(|(ek, _)| **ek == **k) {
                entry.1 = v.as_str().into();
            } else if self.user_data.len() < MAX_USER_DATA_KEYS {
                self.user_data.push((k.as_str().into(), v.as_str().into()));
            }
        }
    }
}

/// Identity-ish hasher for the `u64` chat keys (keys are sequence numbers).
#[derive(Default)]
pub(super) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8 | u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type Shard = HashMap<u64, Chat, BuildHasherDefault<KeyHasher>>;

/// How many ended chats the store remembers for [`Store::ended_events`].
const JOURNAL_LEN: usize = 1024;

/// All live chats, plus the last few ended ones (for test hooks).
pub(super) struct Store {
    shards: Box<[Mutex<Shard>]>,
    next_seq: AtomicU64,
    salt: u64,
    journal: Mutex<VecDeque<(u64, Chat)>>,
}

impl Store {
    /// An empty store; `salt` scrambles the chat ids.
    pub(super) fn new(salt: u64) -> Self {
        Store {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            next_seq: AtomicU64::new(1),
            salt,
            journal: Mutex::new(VecDeque::new()),
        }
    }

    /// A fresh key.
    pub(super) fn next_key(&self) -> u64 {
        self.next_seq.fetch_add(1, Ordering::Relaxed)
    }

    /// The wire chat id of a key.
    pub(super) fn chat_id(&self, key: u64) -> String {
        format!("{:016X}", key ^ self.salt)
    }

    /// The key of a wire chat id (None when it cannot be one of ours).
    pub(super) fn key_of(&self, chat_id: &str) -> Option<u64> {
        if chat_id.len() != 16 {
            return None;
        }
        u64::from_str_radix(chat_id, 16).ok().map(|v| v ^ self.salt)
    }

    fn shard(&self, key: u64) -> &Mutex<Shard> {
        &self.shards[(key % SHARDS as u64) as usize]
    }

    /// Insert a new chat.
    pub(super) fn insert(&self, key: u64, chat: Chat) {
        self.shard(key).lock().insert(key, chat);
    }

    /// Run `f` on the chat (or None) under its shard lock; remove the chat when
    /// `f` says so (it then goes to the journal of ended chats).
    pub(super) fn with_chat<R>(
        &self,
        key: u64,
        f: impl FnOnce(Option<&mut Chat>) -> (R, bool),
    ) -> R {
        let mut shard = self.shard(key).lock();
        let (r, remove) = f(shard.get_mut(&key));
        if remove {
            if let Some(chat) = shard.remove(&key) {
                let mut journal = self.journal.lock();
                if journal.len() == JOURNAL_LEN {
                    journal.pop_front();
                }
                journal.push_back((key, chat));
            }
        }
        r
    }

    /// The whole transcript of a recently ended chat (one of the last 1024).
    pub(super) fn ended_events(&self, key: u64, agent_nickname: &str) -> Option<Vec<Event>> {
        let journal = self.journal.lock();
        let (_, chat) = journal.iter().rev().find(|(k, _)| *k == key)?;
        Some(chat.events_from(1, agent_nickname))
    }

    /// Number of chats held (live or agent-ended, not yet told).
    #[allow(clippy::len_without_is_empty)]
    pub(super) fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().len()).sum()
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
