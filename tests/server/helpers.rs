//! Request helpers for the conformance tests: send through `router().oneshot`
//! (no socket) and get `(HTTP status, JSON body)` back.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::Request;
use axum::Router;
use chatload::server::{ReferenceServer, ServerConfig};
use serde_json::{json, Value};
use tower::ServiceExt;

pub const GMS: &str = "/genesys/2/chat/customer-support";
pub const WEB: &str = "/api/v2/chats";

/// Send one request; a non-JSON body comes back as a JSON string.
pub async fn call(
    router: &Router,
    method: &str,
    path: &str,
    ct: Option<&str>,
    body: impl Into<Body>,
) -> (u16, Value) {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(ct) = ct {
        req = req.header("content-type", ct);
    }
    let resp = router
        .clone()
        .oneshot(req.body(body.into()).expect("request"))
        .await
        .expect("infallible");
    let status = resp.status().as_u16();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .expect("body");
    let value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, value)
}

/// POST a form body.
pub async fn form(router: &Router, path: &str, body: &str) -> (u16, Value) {
    call(
        router,
        "POST",
        path,
        Some("application/x-www-form-urlencoded"),
        body.to_string(),
    )
    .await
}

/// POST a JSON body.
pub async fn post_json(router: &Router, path: &str, body: Value) -> (u16, Value) {
    call(
        router,
        "POST",
        path,
        Some("application/json"),
        body.to_string(),
    )
    .await
}

/// A server and its router.
pub fn server(config: ServerConfig) -> (ReferenceServer, Router) {
    let s = ReferenceServer::new(config);
    let r = s.router();
    (s, r)
}

/// The identity of a chat as the client holds it.
#[derive(Debug, Clone)]
pub struct Chat {
    pub id: String,
    pub user_id: String,
    pub secure_key: String,
    pub alias: String,
}

impl Chat {
    pub fn from_answer(v: &Value) -> Chat {
        let s = |k: &str| {
            v[k].as_str()
                .unwrap_or_else(|| panic!("{k} missing in {v}"))
                .to_string()
        };
        Chat {
            id: s("chatId"),
            user_id: s("userId"),
            secure_key: s("secureKey"),
            alias: s("alias"),
        }
    }

    /// Adopt identity fields from a statusCode 0 answer.
    pub fn adopt(&mut self, v: &Value) {
        if let Some(a) = v["alias"].as_str() {
            self.alias = a.to_string();
        }
    }

    /// `userId=..&secureKey=..&alias=..`
    pub fn form(&self) -> String {
        format!(
            "userId={}&secureKey={}&alias={}",
            self.user_id, self.secure_key, self.alias
        )
    }

    /// gms path of an operation.
    pub fn gms(&self, op: &str) -> String {
        format!("{GMS}/{}/{op}", self.id)
    }

    /// webapi identity quartet plus `extra`.
    pub fn web_body(&self, extra: Value) -> Value {
        let mut body = json!({"userId": self.user_id, "secureKey": self.secure_key, "alias": self.alias, "tenantName": "acme"});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        body
    }
}

/// Request a gms-v2 chat (the widget's way) and return its identity and the answer.
pub async fn gms_chat(router: &Router) -> (Chat, Value) {
    let (status, v) = form(router, &format!("{GMS}/"), "alias=&secureKey=&userId=&nickname=Ann&firstName=&lastName=&subject=&text=&userData%5BGCTI_LanguageCode%5D=en").await;
    assert_eq!(status, 200, "{v}");
    (Chat::from_answer(&v), v)
}

/// Request a webapi chat.
pub async fn web_chat(router: &Router) -> (Chat, Value) {
    let (status, v) = post_json(
        router,
        WEB,
        json!({"nickname": "Bob", "tenantName": "acme"}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    (Chat::from_answer(&v), v)
}

/// Indexes of the events of an answer.
pub fn indexes(v: &Value) -> Vec<u64> {
    v["messages"]
        .as_array()
        .map(|m| m.iter().filter_map(|e| e["index"].as_u64()).collect())
        .unwrap_or_default()
}

/// Event types of an answer.
pub fn types(v: &Value) -> Vec<String> {
    v["messages"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|e| e["type"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// A config with no agent (quiet transcripts).
pub fn no_agent() -> ServerConfig {
    let mut c = ServerConfig::default();
    c.agent.enabled = false;
    c
}

/// Assert statusCode / chatEnded / first error code.
pub fn assert_status(v: &Value, status: u64, ended: bool, code: Option<u64>) {
    assert_eq!(v["statusCode"], json!(status), "{v}");
    assert_eq!(v["chatEnded"], json!(ended), "{v}");
    assert_eq!(v["errors"][0]["code"].as_u64(), code, "{v}");
}
