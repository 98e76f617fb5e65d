//! webapi: request, GetMessages, the five operationNames, tenantName, prefix.

use crate::helpers::*;
use chatload::server::ServerConfig;
use serde_json::json;

#[tokio::test]
async fn full_session_with_every_operation() {
    let (server, r) = server(no_agent());
    let (chat, v) = web_chat(&r).await;
    assert_status(&v, 0, false, None);
    assert_eq!(v["tenantName"], "acme");
    assert_eq!(types(&v), ["ParticipantJoined"]);
    let path = format!("{WEB}/{}", chat.id);
    for (op, extra) in [
        ("SendMessage", json!({"text": "hi"})),
        ("SendStartTypingNotification", json!({"text": "dra"})),
        ("SendStopTypingNotification", json!({})),
        ("UpdateUserNickname", json!({"nickname": "Bobby"})),
    ] {
        let mut body = chat.web_body(extra);
        body["operationName"] = json!(op);
        let (status, v) = post_json(&r, &path, body).await;
        assert_eq!(status, 200, "{op}: {v}");
        assert_status(&v, 0, false, None);
        assert_eq!(v["tenantName"], "acme");
    }
    let (_, v) = post_json(
        &r,
        &format!("{path}/messages"),
        chat.web_body(json!({"transcriptPosition": 2})),
    )
    .await;
    assert_status(&v, 0, false, None);
    assert_eq!(indexes(&v), [2, 3, 4, 5]);
    assert_eq!(
        types(&v),
        [
            "Message",
            "TypingStarted",
            "TypingStopped",
            "NicknameUpdated"
        ]
    );
    assert_eq!(v["nextPosition"], 6);
    let (_, v) = post_json(&r, &format!("{path}/messages"), chat.web_body(json!({}))).await;
    assert_eq!(indexes(&v).len(), 5, "no position = whole transcript");
    let mut complete = chat.web_body(json!({}));
    complete["operationName"] = json!("Complete");
    let (_, v) = post_json(&r, &path, complete).await;
    assert_status(&v, 0, true, None);
    let (_, v) = post_json(&r, &format!("{path}/messages"), chat.web_body(json!({}))).await;
    assert_status(&v, 2, true, Some(249));
    let s = server.stats();
    assert_eq!(s.requests["webapi/send"], 1);
    assert_eq!(s.requests["webapi/poll"], 3);
    assert_eq!(s.requests["webapi/disconnect"], 1);
    assert_eq!(s.chats.ended_by_client, 1);
    assert_eq!(
        s.responses_matching(
            "webapi/disconnect",
            Some(200),
            Some(Some(0)),
            Some(Some(true))
        ),
        1
    );
}

#[tokio::test]
async fn tenant_name_is_required_everywhere() {
    let (_, r) = server(no_agent());
    let (status, v) = post_json(&r, WEB, json!({"nickname": "Bob"})).await;
    assert_eq!(status, 400);
    assert_eq!(v["errors"][0]["code"], 240);
    let (chat, _) = web_chat(&r).await;
    let mut body = chat.web_body(json!({}));
    body.as_object_mut().unwrap().remove("tenantName");
    let (status, v) = post_json(&r, &format!("{WEB}/{}/messages", chat.id), body).await;
    assert_eq!((status, v["errors"][0]["code"].as_u64()), (400, Some(240)));
    // A different tenant is a wrong identity.
    let mut body = chat.web_body(json!({}));
    body["tenantName"] = json!("other");
    let (status, v) = post_json(&r, &format!("{WEB}/{}/messages", chat.id), body).await;
    assert_eq!(status, 200);
    assert_status(&v, 2, false, Some(249));
}

#[tokio::test]
async fn prefix_moves_the_routes() {
    let config = ServerConfig {
        webapi_prefix: "/webapi".into(),
        ..no_agent()
    };
    let (server, r) = server(config);
    let (status, v) = post_json(
        &r,
        "/webapi/api/v2/chats",
        json!({"nickname": "B", "tenantName": "t"}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let (status, v) = post_json(&r, WEB, json!({"nickname": "B", "tenantName": "t"})).await;
    assert_eq!(status, 404);
    assert!(v["errors"][0]["advice"]
        .as_str()
        .unwrap()
        .contains("/webapi/api/v2/chats"));
    assert_eq!(server.stats().requests["unknown"], 1);
}

#[tokio::test]
async fn bad_operation_names_are_400_under_unknown() {
    let (server, r) = server(no_agent());
    let (chat, _) = web_chat(&r).await;
    let path = format!("{WEB}/{}", chat.id);
    let mut body = chat.web_body(json!({}));
    body["operationName"] = json!("Dance");
    let (status, v) = post_json(&r, &path, body).await;
    assert_eq!(status, 400);
    assert!(v["errors"][0]["advice"].as_str().unwrap().contains("Dance"));
    let (status, _) = post_json(&r, &path, chat.web_body(json!({}))).await;
    assert_eq!(status, 400, "missing operationName");
    let (status, v) = post_json(
        &r,
        &path,
        chat.web_body(json!({"operationName": "SendMessage"})),
    )
    .await;
    assert_eq!(
        (status, v["errors"][0]["code"].as_u64()),
        (400, Some(400)),
        "SendMessage needs text"
    );
    let s = server.stats();
    assert_eq!(s.requests["unknown"], 2);
    assert_eq!(
        s.responses_matching("unknown", Some(400), Some(Some(2)), Some(None)),
        2
    );
}
