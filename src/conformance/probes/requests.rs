//! The requests the engine's dialect builders do not make: a Request Chat
//! without a name or without `tenantName`, and `updateNickname`
//! (`UpdateUserNickname` on webapi). Bodies follow docs/protocol.md.

use crate::engine::client::{Identity, Target};
use crate::protocol::{Dialect, Operation};
use serde_json::{json, Value};

use super::super::transport::Built;

/// Request Chat with a subject but no nickname, first or last name.
pub(super) fn nameless(t: &Target) -> Built {
    match t.dialect {
        Dialect::GmsV2 => (t.url(&[""]), "subject=chatload+conformance".into()),
        Dialect::WebApi => (
            t.url(&[]),
            json!({"tenantName": t.tenant, "subject": "chatload conformance"}).to_string(),
        ),
    }
}

/// webapi Request Chat with a nickname but no tenantName.
pub(super) fn tenantless(t: &Target) -> Built {
    let body = json!({"nickname": "Conformance Probe", "subject": "chatload conformance"});
    (t.url(&[]), body.to_string())
}

/// updateNickname / UpdateUserNickname to `nickname`.
pub(super) fn update_nickname(t: &Target, id: &Identity, nickname: &str) -> Built {
    match t.dialect {
        Dialect::GmsV2 => {
            let op = Operation::UpdateNickname
                .gms_path()
                .unwrap_or("updateNickname");
            let form = [
                ("alias", id.alias()),
                ("secureKey", id.secure_key()),
                ("userId", id.user_id()),
                ("nickname", nickname),
            ];
            let body = serde_urlencoded::to_string(form).unwrap_or_default();
            (t.url(&[id.chat_id(), op]), body)
        }
        Dialect::WebApi => {
            let name = Operation::UpdateNickname.webapi_operation_name();
            let body: Value = json!({
                "operationName": name,
                "alias": id.alias(),
                "secureKey": id.secure_key(),
                "userId": id.user_id(),
                "tenantName": t.tenant,
                "nickname": nickname,
            });
            (t.url(&[id.chat_id()]), body.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nickname_update_in_both_dialects() {
        let id = Identity::new("c1", "u", "k", "a");
        let gms = Target::new(Dialect::GmsV2, "http://h", "svc", "T", "").unwrap();
        let (url, body) = update_nickname(&gms, &id, "New Name");
        assert_eq!(
            url.as_str(),
            "http://h/genesys/2/chat/svc/c1/updateNickname"
        );
        assert_eq!(body, "alias=a&secureKey=k&userId=u&nickname=New+Name");
        let web = Target::new(Dialect::WebApi, "http://h", "svc", "T", "").unwrap();
        let (url, body) = update_nickname(&web, &id, "N");
        assert_eq!(url.as_str(), "http://h/api/v2/chats/c1");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["operationName"], "UpdateUserNickname");
        assert_eq!(v["tenantName"], "T");
        let (url, body) = nameless(&gms);
        assert_eq!(url.as_str(), "http://h/genesys/2/chat/svc/");
        assert!(!body.contains("nickname"));
    }
}
