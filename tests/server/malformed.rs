//! Malformed requests: a clear 4xx with an `errors` body, counted, never a panic.

use crate::helpers::*;
use serde_json::Value;

fn advice(v: &Value) -> String {
    v["errors"][0]["advice"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn wrong_content_types_are_415() {
    let (server, r) = server(no_agent());
    let (status, v) = call(
        &r,
        "POST",
        GMS,
        Some("application/json"),
        "{\"nickname\":\"A\"}",
    )
    .await;
    assert_eq!(status, 415);
    assert!(
        advice(&v).contains("application/x-www-form-urlencoded"),
        "{v}"
    );
    let (status, v) = call(
        &r,
        "POST",
        WEB,
        Some("application/x-www-form-urlencoded"),
        "nickname=A",
    )
    .await;
    assert_eq!(status, 415);
    assert!(advice(&v).contains("application/json"), "{v}");
    // A charset parameter is fine; a missing content type is read as the dialect's format.
    let (status, _) = call(
        &r,
        "POST",
        GMS,
        Some("application/x-www-form-urlencoded; charset=UTF-8"),
        "nickname=A",
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = call(
        &r,
        "POST",
        WEB,
        None,
        "{\"nickname\":\"A\",\"tenantName\":\"t\"}",
    )
    .await;
    assert_eq!(status, 200);
    let s = server.stats();
    assert_eq!(
        s.responses_matching("gms-v2/request_chat", Some(415), None, None),
        1
    );
    assert_eq!(
        s.responses_matching("webapi/request_chat", Some(415), None, None),
        1
    );
}

#[tokio::test]
async fn garbage_bodies_and_bad_fields_are_400() {
    let (server, r) = server(no_agent());
    let (status, v) = call(&r, "POST", WEB, Some("application/json"), "not json {").await;
    assert_eq!(status, 400);
    assert!(advice(&v).contains("JSON"), "{v}");
    let (status, _) = call(&r, "POST", WEB, Some("application/json"), "[1,2]").await;
    assert_eq!(status, 400);
    let (status, v) = call(
        &r,
        "POST",
        WEB,
        Some("application/json"),
        "{\"nickname\": 5}",
    )
    .await;
    assert_eq!(status, 400, "{v}");
    let (chat, _) = gms_chat(&r).await;
    let (status, v) = form(
        &r,
        &chat.gms("refresh"),
        &format!("{}&transcriptPosition=abc", chat.form()),
    )
    .await;
    assert_eq!(status, 400);
    assert!(advice(&v).contains("transcriptPosition"));
    let (status, _) = call(
        &r,
        "POST",
        &chat.gms("refresh"),
        None,
        vec![0xff_u8, 0xfe, b'=', 0x80],
    )
    .await;
    assert_eq!(
        status, 200,
        "undecodable bytes are read lossily; missing identity = 249"
    );
    let (status, v) = call(
        &r,
        "POST",
        &format!("{WEB}/{}/messages", chat.id),
        Some("application/json"),
        "}}",
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(v["statusCode"], 2);
    let s = server.stats();
    assert_eq!(
        s.responses_matching("webapi/poll", Some(400), Some(Some(2)), Some(None)),
        1
    );
    assert_eq!(
        s.responses_matching("webapi/request_chat", Some(400), None, None),
        3
    );
}

#[tokio::test]
async fn missing_identity_is_249_not_a_crash() {
    let (_, r) = server(no_agent());
    let (chat, _) = gms_chat(&r).await;
    let (status, v) = form(&r, &chat.gms("refresh"), "").await;
    assert_eq!(status, 200);
    assert_status(&v, 2, false, Some(249));
    let (status, v) = form(&r, &chat.gms("send"), &chat.form()).await;
    assert_eq!(status, 400, "send without message: {v}");
}

#[tokio::test]
async fn unknown_routes_methods_and_huge_bodies() {
    let (server, r) = server(no_agent());
    for path in [
        "/",
        "/genesys/2/chat/",
        "/genesys/2/chat/svc/id/explode",
        "/api/v2/chats/a/b/c",
        "/genesys/1/chat/x",
    ] {
        let (status, v) = form(&r, path, "").await;
        assert_eq!(status, 404, "{path}");
        assert!(advice(&v).contains("no chat route"), "{v}");
    }
    let (status, v) = call(&r, "GET", &format!("{GMS}/abc/refresh"), None, "").await;
    assert_eq!(status, 405);
    assert!(advice(&v).contains("POST"));
    let (status, v) = call(
        &r,
        "POST",
        GMS,
        None,
        "nickname=".to_string() + &"a".repeat(70_000),
    )
    .await;
    assert_eq!(status, 413, "{v}");
    let s = server.stats();
    assert_eq!(s.requests["unknown"], 5);
    assert_eq!(
        s.responses_matching("unknown", Some(404), Some(Some(2)), Some(None)),
        5
    );
    assert_eq!(
        s.responses_matching("gms-v2/poll", Some(405), None, None),
        1
    );
    assert_eq!(
        s.responses_matching("gms-v2/request_chat", Some(413), None, None),
        1
    );
}

#[tokio::test]
async fn stats_endpoint_is_json_and_not_counted() {
    let (server, r) = server(no_agent());
    gms_chat(&r).await;
    let (status, v) = call(&r, "GET", "/__chatload/stats", None, "").await;
    assert_eq!(status, 200);
    assert_eq!(v["chats"]["created"], 1);
    assert_eq!(v["requests"]["gms-v2/request_chat"], 1);
    assert_eq!(server.stats().requests.len(), 1);
}

#[tokio::test]
async fn random_garbage_never_panics_and_always_gets_json() {
    use rand::{Rng, SeedableRng};
    let (server, r) = server(no_agent());
    let (chat, _) = gms_chat(&r).await;
    let paths = [
        GMS.to_string(),
        chat.gms("refresh"),
        chat.gms("send"),
        chat.gms("updateData"),
        format!("{WEB}/{}", chat.id),
        format!("{WEB}/{}/messages", chat.id),
        WEB.to_string(),
        "/genesys/2/chat/%FF%FE/x/y".to_string(),
    ];
    let types = [
        None,
        Some("application/json"),
        Some("application/x-www-form-urlencoded"),
        Some("text/plain"),
        Some("application/json;;; x"),
    ];
    let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
    let pieces: [&[u8]; 8] = [
        b"{",
        b"}",
        b"=",
        b"&",
        b"userData[",
        b"%",
        b"\"operationName\":",
        b"transcriptPosition=",
    ];
    for _ in 0..300 {
        let mut body = Vec::new();
        for _ in 0..rng.gen_range(0..12) {
            if rng.gen_bool(0.5) {
                body.extend_from_slice(pieces[rng.gen_range(0..pieces.len())]);
            } else {
                body.push(rng.gen());
            }
        }
        let path = &paths[rng.gen_range(0..paths.len())];
        let ct = types[rng.gen_range(0..types.len())];
        let req = axum::http::Request::post(path.as_str());
        let req = match ct {
            Some(ct) => req.header("content-type", ct),
            None => req,
        };
        let resp =
            tower::ServiceExt::oneshot(r.clone(), req.body(axum::body::Body::from(body)).unwrap())
                .await
                .unwrap();
        let status = resp.status().as_u16();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        let v: Value = serde_json::from_slice(&bytes).expect("always a JSON body");
        assert!([200, 400, 404, 415].contains(&status), "{status}: {v}");
        assert!(v["statusCode"].is_u64(), "{v}");
        if status != 200 {
            assert!(v["errors"][0]["code"].is_u64(), "{v}");
        }
    }
    let s = server.stats();
    assert_eq!(s.requests.values().sum::<u64>(), 301);
    assert_eq!(s.responses.iter().map(|r| r.count).sum::<u64>(), 301);
}
