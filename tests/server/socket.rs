//! Real sockets: the stats endpoint, graceful shutdown.

use crate::common::spawn_server;
use crate::helpers::no_agent;
use serde_json::Value;

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
