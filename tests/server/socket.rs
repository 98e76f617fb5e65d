//! Real sockets: the stats endpoint, graceful shutdown.

use crate::common::spawn_server;
use crate::helpers::no_agent;
use chatload::protocol::Operation;
use chatload::server::{DelaySpec, FaultKind, FaultRule, OperationSelector, ServerConfig};
use serde_json::Value;
use std::time::Duration;

#[tokio::test]
async fn serves_both_dialects_and_stats_over_tcp() {
    let ts = spawn_server(no_agent()).await;
    let client = reqwest::Client::new();
    let base = ts.base_url();
    let v: Value = client
        .post(format!("{base}/genesys/2/chat/svc/"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("nickname=Ann")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["statusCode"], 0);
    let v: Value = client
        .post(format!("{base}/api/v2/chats"))
        .json(&serde_json::json!({"nickname": "Bob", "tenantName": "t"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["statusCode"], 0);
    let stats: Value = client
        .get(format!("{base}/__chatload/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["chats"]["created"], 2);
    assert_eq!(stats["requests"]["gms-v2/request_chat"], 1);
    assert_eq!(stats["requests"]["webapi/request_chat"], 1);
    assert_eq!(
        stats["requests"].get("unknown"),
        None,
        "the stats route is not counted"
    );
    ts.shutdown().await;
    assert!(
        client
            .post(format!("{base}/api/v2/chats"))
            .send()
            .await
            .is_err(),
        "server stopped"
    );
}

fn one_rule(kind: FaultKind, delay: Option<DelaySpec>) -> ServerConfig {
    let rule = FaultRule {
        kind,
        operation: OperationSelector::Only(Operation::Poll),
        every: Some(1),
        rate: None,
        delay,
    };
    ServerConfig {
        faults: vec![rule],
        ..no_agent()
    }
}

async fn request_chat(client: &reqwest::Client, base: &str) -> Value {
    client
        .post(format!("{base}/genesys/2/chat/svc"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("nickname=Ann")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn refresh(client: &reqwest::Client, base: &str, chat: &Value) -> reqwest::RequestBuilder {
    let body = format!(
        "userId={}&secureKey={}&alias={}",
        chat["userId"].as_str().unwrap(),
        chat["secureKey"].as_str().unwrap(),
        chat["alias"].as_str().unwrap()
    );
    client
        .post(format!(
            "{base}/genesys/2/chat/svc/{}/refresh",
            chat["chatId"].as_str().unwrap()
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
}

#[tokio::test]
async fn drop_closes_the_connection_without_a_response() {
    let ts = spawn_server(one_rule(FaultKind::Drop, None)).await;
    let client = reqwest::Client::new();
    let base = ts.base_url();
    let chat = request_chat(&client, &base).await;
    let err = refresh(&client, &base, &chat)
        .send()
        .await
        .expect_err("dropped");
    assert!(!err.is_status(), "{err}");
    let s = ts.server.stats();
    assert_eq!(s.faults["drop"], 1);
    assert_eq!(s.requests["gms-v2/poll"], 1);
    assert_eq!(
        s.responses_matching("gms-v2/poll", Some(0), Some(None), Some(None)),
        1
    );
    // The server keeps serving.
    assert_eq!(request_chat(&client, &base).await["statusCode"], 0);
    ts.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn shutdown_lets_a_request_in_flight_finish() {
    let delay = Some(DelaySpec::Fixed(Duration::from_secs(2)));
    let ts = spawn_server(one_rule(FaultKind::Delay, delay)).await;
    let client = reqwest::Client::new();
    let base = ts.base_url();
    let chat = request_chat(&client, &base).await;
    let slow = tokio::spawn(refresh(&client, &base, &chat).send());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let server = ts.server.clone();
    ts.shutdown().await;
    let resp = slow
        .await
        .unwrap()
        .expect("answered before shutdown completed");
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["statusCode"], 0);
    assert_eq!(server.stats().faults["delay"], 1);
}
