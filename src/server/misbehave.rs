//! Deliberate protocol breakage (`chatload serve --misbehave RULE`): one switch
//! per behaviour `chatload conformance` checks, named after the rule it breaks
//! (the rule id without its dialect, e.g. `transcript.no-holes`). The mutation
//! tests turn on one switch and expect exactly that rule to fail, so a rule
//! whose breakage would go unnoticed shows up as a failing test.
//!
//! Each switch is read at one or two places of `ops`/`http` through
//! [`Misbehaviour::on`]; with no switch set nothing changes.
//!
//! To add a switch: 1. add a variant and its name in [`Misbehave::ALL`] /
//! `as_str`; 2. break the behaviour where the server produces it; 3. add the
//! rule to `conformance::rules` under the same name (the mutation test picks
//! it up).

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// One deliberate breakage, named after the conformance rule it breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Misbehave {
    /// Request Chat answers without `nextPosition`.
    RequestAccepts,
    /// The HTTP 400 for a missing name carries no `errors` list.
    RequestNameRequired,
    /// A webapi chat request without `tenantName` is accepted.
    RequestTenantRequired,
    /// Any content type is accepted.
    RequestContentType,
    /// The customer's `ParticipantJoined` is written as a system party's.
    TranscriptJoinedFirst,
    /// Every customer message skips one transcript index before it.
    TranscriptNoHoles,
    /// `TypingStopped` reuses the index of the event before it.
    TranscriptNoRepeats,
    /// A `transcriptPosition` above 1 is treated as exclusive.
    TranscriptPositionInclusive,
    /// Poll answers carry `nextPosition` = last index (one short).
    TranscriptNextPosition,
    /// The customer's messages are stored as the agent's.
    TranscriptMessageEcho,
    /// Typing notifications are answered but not stored.
    TypingAccepted,
    /// A nickname update is answered but no `NicknameUpdated` is stored.
    NicknameAccepted,
    /// disconnect / Complete answers chatEnded false.
    EndDisconnect,
    /// disconnect / Complete answers 0/true but the chat stays alive.
    EndAfterDisconnect,
    /// An unknown chat id is answered statusCode 1 (retry) instead of 2.
    EndUnknownChat,
    /// The secureKey is not checked.
    IdentityWrongKey,
    /// Poll answers announce a new alias that the server then rejects.
    IdentityAdopt,
    /// Every second poll is answered statusCode 1 with chatEnded true.
    StatusNoOneEnded,
    /// Chats expire at half the configured flex-disconnect-timeout.
    FlexTimeout,
    /// An expired chat answers statusCode 2 with chatEnded false.
    FlexExpiredAnswer,
}

impl Misbehave {
    /// Every switch.
    pub const ALL: [Misbehave; 20] = [
        Misbehave::RequestAccepts,
        Misbehave::RequestNameRequired,
        Misbehave::RequestTenantRequired,
        Misbehave::RequestContentType,
        Misbehave::TranscriptJoinedFirst,
        Misbehave::TranscriptNoHoles,
        Misbehave::TranscriptNoRepeats,
        Misbehave::TranscriptPositionInclusive,
        Misbehave::TranscriptNextPosition,
        Misbehave::TranscriptMessageEcho,
        Misbehave::TypingAccepted,
        Misbehave::NicknameAccepted,
        Misbehave::EndDisconnect,
        Misbehave::EndAfterDisconnect,
        Misbehave::EndUnknownChat,
        Misbehave::IdentityWrongKey,
        Misbehave::IdentityAdopt,
        Misbehave::StatusNoOneEnded,
        Misbehave::FlexTimeout,
        Misbehave::FlexExpiredAnswer,
    ];

    /// The switch name: the conformance rule id without its dialect.
    pub fn as_str(self) -> &'static str {
        match self {
            Misbehave::RequestAccepts => "request.accepts",
            Misbehave::RequestNameRequired => "request.name-required",
            Misbehave::RequestTenantRequired => "request.tenant-required",
            Misbehave::RequestContentType => "request.content-type",
            Misbehave::TranscriptJoinedFirst => "transcript.joined-first",
            Misbehave::TranscriptNoHoles => "transcript.no-holes",
            Misbehave::TranscriptNoRepeats => "transcript.no-repeats",
            Misbehave::TranscriptPositionInclusive => "transcript.position-inclusive",
            Misbehave::TranscriptNextPosition => "transcript.next-position",
            Misbehave::TranscriptMessageEcho => "transcript.message-echo",
            Misbehave::TypingAccepted => "typing.accepted",
            Misbehave::NicknameAccepted => "nickname.accepted",
            Misbehave::EndDisconnect => "end.disconnect",
            Misbehave::EndAfterDisconnect => "end.after-disconnect",
            Misbehave::EndUnknownChat => "end.unknown-chat",
            Misbehave::IdentityWrongKey => "identity.wrong-key",
            Misbehave::IdentityAdopt => "identity.adopt",
            Misbehave::StatusNoOneEnded => "status.no-1-ended",
            Misbehave::FlexTimeout => "flex.timeout",
            Misbehave::FlexExpiredAnswer => "flex.expired-answer",
        }
    }
}

impl std::fmt::Display for Misbehave {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Misbehave {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let short = s
            .strip_prefix("gms.")
            .or_else(|| s.strip_prefix("webapi."))
            .unwrap_or(s);
        Misbehave::ALL
            .into_iter()
            .find(|m| m.as_str() == short)
            .ok_or_else(|| {
                let names: Vec<&str> = Misbehave::ALL.iter().map(|m| m.as_str()).collect();
                format!(
                    "unknown misbehaviour '{s}': expected one of {}",
                    names.join(", ")
                )
            })
    }
}

impl Serialize for Misbehave {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Misbehave {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The switches in force, plus the little state some of them need.
#[derive(Debug, Default)]
pub(super) struct Misbehaviour {
    on: HashSet<Misbehave>,
    /// Keys of chats that expired (kept only under `flex.expired-answer`).
    expired: Mutex<HashSet<u64>>,
}

impl Misbehaviour {
    /// The given switches.
    pub(super) fn new(switches: &[Misbehave]) -> Self {
        Misbehaviour {
            on: switches.iter().copied().collect(),
            expired: Mutex::default(),
        }
    }

    /// Is `m` switched on?
    pub(super) fn on(&self, m: Misbehave) -> bool {
        !self.on.is_empty() && self.on.contains(&m)
    }

    /// Chat `key` expired (remembered under `flex.expired-answer` only).
    pub(super) fn note_expired(&self, key: u64) {
        if self.on(Misbehave::FlexExpiredAnswer) {
            self.expired.lock().insert(key);
        }
    }

    /// Should a call on chat `key` get the wrong expiry answer (2 / false)?
    pub(super) fn wrong_expiry_answer(&self, key: u64) -> bool {
        self.on(Misbehave::FlexExpiredAnswer) && self.expired.lock().contains(&key)
    }
}

impl super::Inner {
    /// Is switch `m` on?
    pub(crate) fn mis(&self, m: Misbehave) -> bool {
        self.misbehave.on(m)
    }

    /// The timeout chats really get (half the configured one under `flex.timeout`).
    pub(crate) fn flex_timeout(&self) -> std::time::Duration {
        let t = self.config.flex_disconnect_timeout;
        if self.mis(Misbehave::FlexTimeout) {
            t / 2
        } else {
            t
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_with_or_without_dialect() {
        for m in Misbehave::ALL {
            assert_eq!(m.as_str().parse::<Misbehave>(), Ok(m));
            assert_eq!(format!("gms.{m}").parse::<Misbehave>(), Ok(m));
        }
        let e = "transcript.holes".parse::<Misbehave>().unwrap_err();
        assert!(e.contains("transcript.no-holes"), "{e}");
    }
}
