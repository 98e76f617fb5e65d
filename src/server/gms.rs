//! The gms-v2 dialect: paths under `/genesys/2/chat/{service}` and
//! form-encoded bodies (`userData[k]=v`, empty parameters = absent).

use super::ops::{OpInput, RequestInput};
use crate::protocol::Operation;

/// Path prefix of the dialect.
pub(super) const PREFIX: &str = "/genesys/2/chat/";

/// What a gms-v2 path asks for.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Target<'a> {
    /// `POST {service}` or `{service}/`.
    RequestChat,
    /// `POST {service}/{chatId}/{op}`.
    Op(&'a str, Operation),
}

/// Parse a path; None when it is not a gms-v2 route (including unknown ops).
pub(super) fn parse_path(path: &str) -> Option<Target<'_>> {
    let rest = path.strip_prefix(PREFIX)?;
    let mut parts = rest.split('/');
    let service = parts.next()?;
    if service.is_empty() {
        return None;
    }
    match (parts.next(), parts.next(), parts.next()) {
        (None, _, _) | (Some(""), None, _) => Some(Target::RequestChat),
        (Some(chat_id), Some(op), None) if !chat_id.is_empty() => {
            let op = Operation::ALL
                .into_iter()
                .find(|o| o.gms_path() == Some(op))?;
            Some(Target::Op(chat_id, op))
        }
        _ => None,
    }
}

/// `userData[k]`, `userData["k"]` or `userData['k']` → `k`.
fn user_data_key(name: &str) -> Option<&str> {
    let inner = name.strip_prefix("userData[")?.strip_suffix(']')?;
    let inner = inner
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .or_else(|| inner.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
        .unwrap_or(inner);
    (!inner.is_empty()).then_some(inner)
}

fn parse_position(v: &str) -> Result<u64, String> {
    v.trim()
        .parse()
        .map_err(|_| format!("transcriptPosition '{v}' is not a whole number >= 0"))
}

/// Parse a Request Chat form.
pub(super) fn parse_request(body: &[u8]) -> RequestInput {
    let mut input = RequestInput::default();
    for (k, v) in form_urlencoded::parse(body) {
        if v.is_empty() {
            continue;
        }
        match &*k {
            "nickname" => input.nickname = Some(v.into_owned()),
            "firstName" => input.first_name = Some(v.into_owned()),
            "lastName" => input.last_name = Some(v.into_owned()),
            "text" => input.text = Some(v.into_owned()),
            other => {
                if let Some(key) = user_data_key(other) {
                    input.user_data.push((key.to_string(), v.into_owned()));
                }
            }
        }
    }
    input
}

/// Parse the form of any later operation.
pub(super) fn parse_op(body: &[u8]) -> Result<OpInput<'_>, String> {
    let mut input = OpInput::default();
    for (k, v) in form_urlencoded::parse(body) {
        if v.is_empty() {
            continue;
        }
        match &*k {
            "userId" => input.user_id = Some(v),
            "secureKey" => input.secure_key = Some(v),
            "alias" => input.alias = Some(v),
            "transcriptPosition" => input.position = Some(parse_position(&v)?),
            "message" => input.message = Some(v),
            "messageType" => input.message_type = Some(v),
            "nickname" => input.nickname = Some(v),
            "pushUrl" => input.push_url = Some(v),
            other => {
                if let Some(key) = user_data_key(other) {
                    input.user_data.push((key.to_string(), v.into_owned()));
                }
            }
        }
    }
    Ok(input)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn cow(s: &str) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed(s))
    }

    #[test]
    fn paths_with_and_without_trailing_slash() {
        assert_eq!(parse_path("/genesys/2/chat/svc"), Some(Target::RequestChat));
        assert_eq!(
            parse_path("/genesys/2/chat/svc/"),
            Some(Target::RequestChat)
        );
        assert_eq!(
            parse_path("/genesys/2/chat/svc/00AB/refresh"),
            Some(Target::Op("00AB", Operation::Poll))
        );
        assert_eq!(
            parse_path("/genesys/2/chat/svc/00AB/readReceipt"),
            Some(Target::Op("00AB", Operation::ReadReceipt))
        );
        assert_eq!(parse_path("/genesys/2/chat/svc/00AB/fly"), None);
        assert_eq!(parse_path("/genesys/2/chat/"), None);
        assert_eq!(parse_path("/genesys/2/chat/svc/00AB/refresh/x"), None);
    }

    #[test]
    fn forms_drop_empty_values_and_read_user_data() {
        let r = parse_request(
            b"alias=&secureKey=&userId=&nickname=&firstName=Ann&lastName=Lee&userData%5BGCTI_LanguageCode%5D=en&userData[\"q\"]=1",
        );
        assert_eq!(r.nickname, None);
        assert_eq!(r.first_name.as_deref(), Some("Ann"));
        assert_eq!(
            r.user_data,
            vec![
                ("GCTI_LanguageCode".into(), "en".into()),
                ("q".into(), "1".into())
            ]
        );
        let op = parse_op(b"alias=117&secureKey=k&userId=u&transcriptPosition=4&message=").unwrap();
        assert_eq!(op.position, Some(4));
        assert_eq!(op.message, None);
        assert_eq!(op.alias, cow("117"));
        assert!(parse_op(b"transcriptPosition=x")
            .unwrap_err()
            .contains("transcriptPosition"));
    }
}
