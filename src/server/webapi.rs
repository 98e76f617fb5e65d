//! The webapi dialect (eServices Web API Server): `{prefix}/api/v2/chats`,
//! `/{chatId}/messages` (GetMessages) and `/{chatId}` with `operationName`;
//! JSON bodies carrying `tenantName`. Empty strings count as absent.

use super::ops::{OpInput, RequestInput};
use crate::protocol::Operation;
use serde::Deserialize;
use std::borrow::Cow;

/// What a webapi path asks for.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Target<'a> {
    /// `POST {prefix}/api/v2/chats`.
    RequestChat,
    /// `POST .../{chatId}/messages`.
    Messages(&'a str),
    /// `POST .../{chatId}` (the operation is in the body).
    Chat(&'a str),
}

/// Parse a path under `prefix`; None when it is not a webapi route.
pub(super) fn parse_path<'a>(prefix: &str, path: &'a str) -> Option<Target<'a>> {
    let rest = path.strip_prefix(prefix)?.strip_prefix("/api/v2/chats")?;
    if rest.is_empty() || rest == "/" {
        return Some(Target::RequestChat);
    }
    let rest = rest.strip_prefix('/')?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    match rest.split_once('/') {
        None if !rest.is_empty() => Some(Target::Chat(rest)),
        Some((id, "messages")) if !id.is_empty() => Some(Target::Messages(id)),
        _ => None,
    }
}

/// A number or a numeric string (`transcriptPosition` comes both ways).
#[derive(Deserialize)]
#[serde(untagged)]
enum NumOrStr<'a> {
    Num(u64),
    #[serde(borrow)]
    Str(Cow<'a, str>),
}

/// Every field any webapi body may carry.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Body<'a> {
    #[serde(borrow)]
    operation_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    user_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    secure_key: Option<Cow<'a, str>>,
    #[serde(borrow)]
    alias: Option<Cow<'a, str>>,
    #[serde(borrow)]
    tenant_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    text: Option<Cow<'a, str>>,
    #[serde(borrow)]
    message_type: Option<Cow<'a, str>>,
    #[serde(borrow)]
    nickname: Option<Cow<'a, str>>,
    #[serde(borrow)]
    first_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    last_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    transcript_position: Option<NumOrStr<'a>>,
    user_data: Option<serde_json::Map<String, serde_json::Value>>,
}

fn parse_body(body: &[u8]) -> Result<Body<'_>, String> {
    serde_json::from_slice(body)
        .map_err(|e| format!("the body is not a valid webapi JSON object: {e}"))
}

fn present(v: Option<Cow<'_, str>>) -> Option<Cow<'_, str>> {
    v.filter(|s| !s.is_empty())
}

fn user_data(map: Option<serde_json::Map<String, serde_json::Value>>) -> Vec<(String, String)> {
    map.unwrap_or_default()
        .into_iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => (k, s),
            other => (k, other.to_string()),
        })
        .collect()
}

/// Parse a Request Chat body.
pub(super) fn parse_request(body: &[u8]) -> Result<RequestInput, String> {
    let b = parse_body(body)?;
    let own = |v: Option<Cow<'_, str>>| present(v).map(Cow::into_owned);
    Ok(RequestInput {
        nickname: own(b.nickname),
        first_name: own(b.first_name),
        last_name: own(b.last_name),
        tenant: own(b.tenant_name),
        text: own(b.text),
        user_data: user_data(b.user_data),
    })
}

/// The operation a `/{chatId}` body names.
pub(super) fn operation_of(name: Option<&str>) -> Result<Operation, String> {
    let name = name.ok_or("operationName is required (SendMessage, SendStartTypingNotification, SendStopTypingNotification, UpdateUserNickname or Complete)")?;
    Operation::ALL
        .into_iter()
        .find(|o| o.webapi_operation_name() == Some(name))
        .ok_or_else(|| format!("unknown operationName '{name}': expected SendMessage, SendStartTypingNotification, SendStopTypingNotification, UpdateUserNickname or Complete"))
}

/// Parse the body of a later call: the operation (from `operationName`,
/// unless `fixed` is given, as for `/messages`) and its input. The error
/// carries the operation when it was known.
pub(super) fn parse_op(
    body: &[u8],
    fixed: Option<Operation>,
) -> Result<(Operation, OpInput<'_>), (Option<Operation>, String)> {
    let b = parse_body(body).map_err(|e| (fixed, e))?;
    let op = match fixed {
        Some(op) => op,
        None => operation_of(b.operation_name.as_deref().filter(|s| !s.is_empty()))
            .map_err(|e| (None, e))?,
    };
    let position = match b.transcript_position {
        None => None,
        Some(NumOrStr::Num(n)) => Some(n),
        Some(NumOrStr::Str(s)) if s.is_empty() => None,
        Some(NumOrStr::Str(s)) => Some(s.trim().parse().map_err(|_| {
            (
                Some(op),
                format!("transcriptPosition '{s}' is not a whole number >= 0"),
            )
        })?),
    };
    Ok((
        op,
        OpInput {
            user_id: present(b.user_id),
            secure_key: present(b.secure_key),
            alias: present(b.alias),
            tenant: present(b.tenant_name),
            position,
            message: present(b.text),
            message_type: present(b.message_type),
            nickname: present(b.nickname),
            push_url: None,
            user_data: user_data(b.user_data),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_under_a_prefix() {
        assert_eq!(parse_path("", "/api/v2/chats"), Some(Target::RequestChat));
        assert_eq!(parse_path("", "/api/v2/chats/"), Some(Target::RequestChat));
        assert_eq!(
            parse_path("/webapi", "/webapi/api/v2/chats/ab"),
            Some(Target::Chat("ab"))
        );
        assert_eq!(parse_path("/webapi", "/api/v2/chats/ab"), None);
        assert_eq!(
            parse_path("", "/api/v2/chats/ab/messages"),
            Some(Target::Messages("ab"))
        );
        assert_eq!(parse_path("", "/api/v2/chats/ab/other"), None);
        assert_eq!(parse_path("", "/api/v2/chatsx"), None);
    }

    #[test]
    fn bodies_name_their_operation() {
        let (op, input) = parse_op(
            br#"{"operationName":"SendMessage","text":"hi","alias":"117","userId":"u","secureKey":"k","tenantName":"t","transcriptPosition":"3"}"#,
            None,
        )
        .unwrap();
        assert_eq!(op, Operation::Send);
        assert_eq!(input.message.as_deref(), Some("hi"));
        assert_eq!(input.position, Some(3));
        assert!(parse_op(br#"{"operationName":"Dance"}"#, None)
            .unwrap_err()
            .1
            .contains("Dance"));
        assert_eq!(
            parse_op(b"garbage", Some(Operation::Poll)).unwrap_err().0,
            Some(Operation::Poll)
        );
        let r = parse_request(br#"{"nickname":"Ann","tenantName":"","userData":{"a":"b","n":1}}"#)
            .unwrap();
        assert_eq!(r.tenant, None);
        assert_eq!(
            r.user_data,
            vec![("a".into(), "b".into()), ("n".into(), "1".into())]
        );
    }
}
