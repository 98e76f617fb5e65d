//! Wire vocabulary shared by the load engine (client) and the reference server.
//!
//! Everything here follows `docs/protocol.md`: the two dialects, the common
//! operation names used in every report, and the JSON envelope both dialects
//! answer with. Client-side parsing is deliberately lenient (every field but
//! `statusCode` is optional) because a statusCode 1 or 2 answer carries only a
//! few trustworthy fields.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Which Chat API a target speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dialect {
    /// GMS Chat API v2: `/genesys/2/chat/{service}/...`, form-encoded, `refresh`.
    #[serde(rename = "gms-v2")]
    GmsV2,
    /// eServices Web API Server: `{prefix}/api/v2/chats...`, JSON, `/messages`.
    #[serde(rename = "webapi")]
    WebApi,
}

impl Dialect {
    /// Name as written in scenario files, flags and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::GmsV2 => "gms-v2",
            Dialect::WebApi => "webapi",
        }
    }

    /// Content type of request bodies: form-encoded for gms-v2, JSON for webapi.
    pub fn content_type(self) -> &'static str {
        match self {
            Dialect::GmsV2 => "application/x-www-form-urlencoded",
            Dialect::WebApi => "application/json",
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Dialect {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "gms-v2" | "gms" => Ok(Dialect::GmsV2),
            "webapi" | "web-api" => Ok(Dialect::WebApi),
            other => Err(format!(
                "unknown dialect '{other}'; use gms-v2 (alias gms) or webapi (alias web-api)"
            )),
        }
    }
}

/// A chat operation, named the same way for both dialects in every report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// gms-v2 `POST {service}` / webapi `POST /api/v2/chats`.
    RequestChat,
    /// gms-v2 `refresh` / webapi `GetMessages` (`/messages`).
    Poll,
    /// gms-v2 `send` / webapi `SendMessage`.
    Send,
    /// gms-v2 `startTyping` / webapi `SendStartTypingNotification`.
    StartTyping,
    /// gms-v2 `stopTyping` / webapi `SendStopTypingNotification`.
    StopTyping,
    /// gms-v2 `disconnect` / webapi `Complete`.
    Disconnect,
    /// gms-v2 `pushUrl` (no webapi equivalent).
    PushUrl,
    /// gms-v2 `updateNickname` / webapi `UpdateUserNickname`.
    UpdateNickname,
    /// gms-v2 `customNotice` (no webapi equivalent).
    CustomNotice,
    /// gms-v2 `updateData` (no webapi equivalent).
    UpdateData,
    /// gms-v2 `readReceipt` (no webapi equivalent).
    ReadReceipt,
}

impl Operation {
    /// Every operation, in report order.
    pub const ALL: [Operation; 11] = [
        Operation::RequestChat,
        Operation::Poll,
        Operation::Send,
        Operation::StartTyping,
        Operation::StopTyping,
        Operation::Disconnect,
        Operation::PushUrl,
        Operation::UpdateNickname,
        Operation::CustomNotice,
        Operation::UpdateData,
        Operation::ReadReceipt,
    ];

    /// The common report name (`request_chat`, `poll`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::RequestChat => "request_chat",
            Operation::Poll => "poll",
            Operation::Send => "send",
            Operation::StartTyping => "start_typing",
            Operation::StopTyping => "stop_typing",
            Operation::Disconnect => "disconnect",
            Operation::PushUrl => "push_url",
            Operation::UpdateNickname => "update_nickname",
            Operation::CustomNotice => "custom_notice",
            Operation::UpdateData => "update_data",
            Operation::ReadReceipt => "read_receipt",
        }
    }

    /// The gms-v2 path segment after `{chatId}/` (None for request_chat).
    pub fn gms_path(self) -> Option<&'static str> {
        Some(match self {
            Operation::RequestChat => return None,
            Operation::Poll => "refresh",
            Operation::Send => "send",
            Operation::StartTyping => "startTyping",
            Operation::StopTyping => "stopTyping",
            Operation::Disconnect => "disconnect",
            Operation::PushUrl => "pushUrl",
            Operation::UpdateNickname => "updateNickname",
            Operation::CustomNotice => "customNotice",
            Operation::UpdateData => "updateData",
            Operation::ReadReceipt => "readReceipt",
        })
    }

    /// The webapi `operationName` (None for request_chat, poll and gms-only operations).
    pub fn webapi_operation_name(self) -> Option<&'static str> {
        Some(match self {
            Operation::Send => "SendMessage",
            Operation::StartTyping => "SendStartTypingNotification",
            Operation::StopTyping => "SendStopTypingNotification",
            Operation::UpdateNickname => "UpdateUserNickname",
            Operation::Disconnect => "Complete",
            _ => return None,
        })
    }

    /// Parse a common report name.
    pub fn from_name(name: &str) -> Option<Operation> {
        Operation::ALL.into_iter().find(|op| op.as_str() == name)
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Protocol-level error codes used by the reference server and recognised by the client.
pub mod codes {
    /// First name missing.
    pub const FIRST_NAME_MISSING: u32 = 102;
    /// Last name missing.
    pub const LAST_NAME_MISSING: u32 = 103;
    /// No name at all (no nickname, no first/last name).
    pub const NAME_MISSING: u32 = 161;
    /// Message too long.
    pub const MESSAGE_TOO_LONG: u32 = 204;
    /// Cannot start a chat now / webapi request without tenantName.
    pub const CANNOT_START: u32 = 240;
    /// Media server was not able to execute request (unknown chat, wrong identity, expired).
    pub const MEDIA_SERVER_FAILED: u32 = 249;
}

/// One `{code, advice}` entry of an `errors` array.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiError {
    /// Numeric error code (see [`codes`]).
    pub code: u32,
    /// Human-readable advice.
    #[serde(default)]
    pub advice: String,
}

/// The party that produced a transcript event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Party {
    /// Display name.
    #[serde(default)]
    pub nickname: String,
    /// Small integer per chat (1 = customer).
    #[serde(default)]
    pub participant_id: u32,
    /// `Client`, `Agent`, `Supervisor` or `External`.
    #[serde(rename = "type", default)]
    pub kind: String,
}

/// One transcript event (`messages[]` entry).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// Who produced it.
    pub from: Party,
    /// 1-based transcript index (absent for response-only notices).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
    /// One of the 13 event types (`ParticipantJoined`, `Message`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// Message, notice text or URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Epoch milliseconds.
    #[serde(default)]
    pub utc_time: i64,
    /// Free-form label set by the sender.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_type: Option<String>,
    /// Event attachments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_data: Option<std::collections::BTreeMap<String, String>>,
}

/// The response envelope of every operation in both dialects.
///
/// Only `status_code` is required when parsing; a client must not rely on
/// identity fields or `next_position` unless `status_code == 0`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    /// 0 ok, 1 retry, 2 fatal.
    pub status_code: u8,
    /// True once the chat is over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_ended: Option<bool>,
    /// Chat id (fixed for the chat).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_id: Option<String>,
    /// Chat Server instance that served the request; may change mid-chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// This party's user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Per-chat secret. Never log or report it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secure_key: Option<String>,
    /// webapi only: the tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_name: Option<String>,
    /// Next transcript index to ask for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_position: Option<u64>,
    /// Transcript events.
    #[serde(default)]
    pub messages: Vec<Event>,
    /// Errors, when something failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<ApiError>>,
    /// Operation-specific data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_data: Option<std::collections::BTreeMap<String, String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_names_round_trip() {
        for op in Operation::ALL {
            assert_eq!(Operation::from_name(op.as_str()), Some(op));
        }
        assert_eq!(Operation::from_name("refresh"), None);
    }

    #[test]
    fn envelope_parses_captured_failure() {
        let body = r#"{"messages":[],"chatEnded":true,"statusCode":2,"alias":"1323","chatId":"0008TaFN3SE300RT",
 "errors":[{"code":249,"advice":"Media server was not able to execute request."}]}"#;
        let env: Envelope = serde_json::from_str(body).unwrap();
        assert_eq!(env.status_code, 2);
        assert_eq!(env.chat_ended, Some(true));
        assert_eq!(env.secure_key, None);
        assert_eq!(env.errors.unwrap()[0].code, 249);
    }

    #[test]
    fn dialect_parses_and_rejects() {
        assert_eq!("gms-v2".parse::<Dialect>(), Ok(Dialect::GmsV2));
        assert_eq!("webapi".parse::<Dialect>(), Ok(Dialect::WebApi));
        assert!("soap".parse::<Dialect>().unwrap_err().contains("gms-v2"));
    }
}
