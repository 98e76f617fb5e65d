//! webapi request building: `{prefix}/api/v2/chats[/{chatId}[/messages]]`, JSON bodies,
//! `tenantName` on every call, `operationName` selecting the operation.

use super::{Call, Identity, Target};
use serde_json::{json, Value};

/// URL and JSON body of one call.
pub(crate) fn build(t: &Target, id: &Identity, call: &Call<'_>) -> (super::Address, String) {
    let (url, body): (super::Address, Value) = match call {
        Call::RequestChat { customer: c } => {
            let user_data: serde_json::Map<String, Value> = c
                .user_data_over(&[("GCTI_LanguageCode", "en-US"), ("_genesys_source", "web")])
                .map(|(k, v)| (k.to_string(), json!(v)))
                .collect();
            let mut body = json!({
                "nickname": c.nickname,
                "firstName": c.first_name,
                "lastName": c.last_name,
                "subject": c.subject,
                "tenantName": t.tenant,
                "userData": user_data,
            });
            if !c.email.is_empty() {
                body["emailAddress"] = json!(c.email);
            }
            (t.address(&[]), body)
        }
        Call::Poll { position, .. } => {
            let mut b = quartet(t, id);
            b["transcriptPosition"] = json!(position);
            (t.address(&[id.chat_id(), "messages"]), b)
        }
        other => {
            let mut b = quartet(t, id);
            let name = other
                .operation()
                .webapi_operation_name()
                .unwrap_or("Complete");
            b["operationName"] = json!(name);
            if let Call::Send { text } = other {
                b["text"] = json!(text);
            }
            (t.address(&[id.chat_id()]), b)
        }
    };
    (url, body.to_string())
}

fn quartet(t: &Target, id: &Identity) -> Value {
    json!({
        "alias": id.alias(),
        "secureKey": id.secure_key(),
        "userId": id.user_id(),
        "tenantName": t.tenant,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Dialect;

    fn target() -> Target {
        Target::new(Dialect::WebApi, "http://h", "svc", "T", "/webapi").unwrap()
    }

    fn id() -> Identity {
        Identity::new("c1", "u", "k", "a")
    }

    fn parse(s: &str) -> Value {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn a_customer_file_row_becomes_the_user_data_object() {
        let customer = crate::engine::customers::Customer {
            email: "ann@example.com".into(),
            user_data: vec![("segment".into(), "gold".into())],
            ..crate::engine::customers::Customer::named("Ann")
        };
        let (_, body) = build(
            &target(),
            &Identity::default(),
            &Call::RequestChat {
                customer: &customer,
            },
        );
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["nickname"], "Ann");
        assert_eq!(v["emailAddress"], "ann@example.com");
        assert_eq!(v["userData"]["segment"], "gold");
        assert_eq!(v["userData"]["GCTI_LanguageCode"], "en-US");
    }

    #[test]
    fn request_chat_and_get_messages() {
        let (url, body) = build(
            &target(),
            &Identity::default(),
            &Call::RequestChat {
                customer: &crate::engine::customers::Customer::named("n"),
            },
        );
        assert_eq!(url.as_str(), "http://h/webapi/api/v2/chats");
        assert_eq!(parse(&body)["tenantName"], "T");
        assert_eq!(parse(&body)["nickname"], "n");
        let (url, body) = build(
            &target(),
            &id(),
            &Call::Poll {
                position: 3,
                draft: "",
            },
        );
        assert_eq!(url.as_str(), "http://h/webapi/api/v2/chats/c1/messages");
        assert_eq!(
            parse(&body),
            json!({"alias":"a","secureKey":"k","userId":"u","tenantName":"T","transcriptPosition":3})
        );
    }

    #[test]
    fn operations_use_operation_name() {
        let (url, body) = build(&target(), &id(), &Call::Send { text: "hello" });
        assert_eq!(url.as_str(), "http://h/webapi/api/v2/chats/c1");
        let b = parse(&body);
        assert_eq!(b["operationName"], "SendMessage");
        assert_eq!(b["text"], "hello");
        let (_, body) = build(&target(), &id(), &Call::StopTyping { position: 1 });
        assert_eq!(parse(&body)["operationName"], "SendStopTypingNotification");
        let (_, body) = build(&target(), &id(), &Call::Disconnect);
        assert_eq!(parse(&body)["operationName"], "Complete");
    }
}
