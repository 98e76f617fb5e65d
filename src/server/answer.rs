//! Parsed request inputs (both dialects) and the answer shapes: statusCode 0
//! envelopes, statusCode 1/2 failures, and 4xx rejections with `errors`.

use super::store::Chat;
use crate::protocol::{codes, ApiError, Envelope};
use std::borrow::Cow;

/// Parameters of Request Chat, empty values already dropped.
#[derive(Debug, Default)]
pub(crate) struct RequestInput {
    /// Display name.
    pub nickname: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// webapi tenant.
    pub tenant: Option<String>,
    /// Opening message (GChat style), if any.
    pub text: Option<String>,
    /// userData entries.
    pub user_data: Vec<(String, String)>,
}

/// Parameters of every later operation, empty values already dropped.
#[derive(Debug, Default)]
pub(crate) struct OpInput<'a> {
    /// Identity: user id.
    pub user_id: Option<Cow<'a, str>>,
    /// Identity: secret.
    pub secure_key: Option<Cow<'a, str>>,
    /// Identity: alias.
    pub alias: Option<Cow<'a, str>>,
    /// webapi tenant.
    pub tenant: Option<Cow<'a, str>>,
    /// `transcriptPosition`.
    pub position: Option<u64>,
    /// Message text (gms `message`, webapi `text`).
    pub message: Option<Cow<'a, str>>,
    /// `messageType`.
    pub message_type: Option<Cow<'a, str>>,
    /// New nickname.
    pub nickname: Option<Cow<'a, str>>,
    /// URL to push.
    pub push_url: Option<Cow<'a, str>>,
    /// userData entries.
    pub user_data: Vec<(String, String)>,
}

/// HTTP status and body of an answer.
pub(super) type Answer = (u16, Envelope);

/// A `{statusCode: 2, errors}` validation answer (HTTP 400).
pub(super) fn bad_request(http: u16, code: u32, advice: impl Into<String>) -> Answer {
    let envelope = Envelope {
        status_code: 2,
        errors: Some(vec![ApiError {
            code,
            advice: advice.into(),
        }]),
        ..Envelope::default()
    };
    (http, envelope)
}

/// A request refused before it touches a chat (HTTP 4xx with `errors`).
#[derive(Debug)]
pub(super) struct Rejection {
    /// HTTP status.
    pub http: u16,
    /// Error code.
    pub code: u32,
    /// Advice text.
    pub advice: String,
}

impl Rejection {
    /// HTTP `http` with code `http` (malformed requests: 404, 405, 413, 415).
    pub(super) fn new(http: u16, advice: impl Into<String>) -> Self {
        Rejection {
            http,
            code: u32::from(http),
            advice: advice.into(),
        }
    }

    /// HTTP 400 with `code`.
    pub(super) fn bad(code: u32, advice: impl Into<String>) -> Self {
        Rejection {
            http: 400,
            code,
            advice: advice.into(),
        }
    }

    /// The answer to send.
    pub(super) fn answer(self) -> Answer {
        bad_request(self.http, self.code, self.advice)
    }
}

/// HTTP 200, statusCode `status`, chatEnded `ended`, with one error.
pub(super) fn failure(
    status: u8,
    ended: bool,
    chat_id: Option<&str>,
    alias: Option<&str>,
    code: u32,
    advice: &str,
) -> Answer {
    let envelope = Envelope {
        status_code: status,
        chat_ended: Some(ended),
        chat_id: chat_id.map(str::to_string),
        alias: alias.map(str::to_string),
        errors: Some(vec![ApiError {
            code,
            advice: advice.to_string(),
        }]),
        ..Envelope::default()
    };
    (200, envelope)
}

pub(super) const NOT_EXECUTED: &str = "Media server was not able to execute request.";

/// A statusCode 0 envelope with the chat's identity and `nextPosition`.
pub(super) fn success(chat: &Chat, chat_id: &str, ended: bool) -> Envelope {
    Envelope {
        status_code: 0,
        chat_ended: Some(ended),
        chat_id: Some(chat_id.to_string()),
        alias: Some(chat.alias.to_string()),
        user_id: Some(chat.user_id.to_string()),
        secure_key: Some(chat.secure_key.to_string()),
        tenant_name: chat.tenant.as_deref().map(str::to_string),
        next_position: Some(chat.next_position()),
        messages: Vec::new(),
        errors: None,
        user_data: None,
    }
}

/// Request Chat validation: 240 (webapi tenant), 204 (opening text too
/// long), 161 / 102 / 103 (names). Returns the customer's nickname.
pub(super) fn validate_request(
    input: &RequestInput,
    needs_tenant: bool,
    max_message_length: usize,
) -> Result<String, Rejection> {
    if needs_tenant && input.tenant.is_none() {
        return Err(Rejection::bad(
            codes::CANNOT_START,
            "tenantName is required",
        ));
    }
    if input
        .text
        .as_deref()
        .is_some_and(|t| t.chars().count() > max_message_length)
    {
        return Err(Rejection::bad(
            codes::MESSAGE_TOO_LONG,
            format!("text longer than {max_message_length} characters"),
        ));
    }
    if let Some(nick) = &input.nickname {
        return Ok(nick.clone());
    }
    match (&input.first_name, &input.last_name) {
        (Some(f), Some(l)) => Ok(format!("{f} {l}")),
        (None, None) => Err(Rejection::bad(
            codes::NAME_MISSING,
            "nickname or firstName and lastName are required",
        )),
        (Some(_), None) => Err(Rejection::bad(
            codes::LAST_NAME_MISSING,
            "lastName is required with firstName",
        )),
        (None, Some(_)) => Err(Rejection::bad(
            codes::FIRST_NAME_MISSING,
            "firstName is required with lastName",
        )),
    }
}
