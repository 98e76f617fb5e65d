//! Every fault kind, with exact counters.

use crate::helpers::*;
use chatload::protocol::Operation;
use chatload::server::{DelaySpec, FaultKind, FaultRule, OperationSelector, ServerConfig};
use serde_json::Value;
use std::time::Duration;

fn rule(kind: FaultKind, op: Operation, every: u64) -> FaultRule {
    FaultRule {
        kind,
        operation: OperationSelector::Only(op),
        every: Some(every),
        rate: None,
        delay: None,
    }
}

fn with(faults: Vec<FaultRule>) -> ServerConfig {
    ServerConfig {
        faults,
        ..no_agent()
    }
}

async fn polls(r: &axum::Router, chat: &Chat, n: usize) -> Vec<Value> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(form(r, &chat.gms("refresh"), &chat.form()).await.1);
    }
    out
}

#[tokio::test]
async fn status_faults_answer_their_codes_every_nth() {
    for (kind, status, ended, code) in [
        (FaultKind::Status1, 1, false, 240),
        (FaultKind::Status1ChatEnded, 1, true, 240),
        (FaultKind::Status2, 2, false, 249),
    ] {
        let (server, r) = server(with(vec![rule(kind, Operation::Poll, 3)]));
        let (chat, _) = gms_chat(&r).await;
        let answers = polls(&r, &chat, 7).await;
        for (i, v) in answers.iter().enumerate() {
            if (i + 1) % 3 == 0 {
                assert_status(v, status, ended, Some(code));
                assert_eq!(v["chatId"], chat.id.as_str());
                assert_eq!(v.get("secureKey"), None, "no identity on a failure");
            } else {
                assert_status(v, 0, false, None);
            }
        }
        let s = server.stats();
        assert_eq!(s.faults[kind.as_str()], 2, "{kind:?}");
        assert_eq!(
            s.responses_matching(
                "gms-v2/poll",
                Some(200),
                Some(Some(status as u8)),
                Some(Some(ended))
            ),
            2
        );
        assert_eq!(
            s.responses_matching("gms-v2/poll", Some(200), Some(Some(0)), Some(Some(false))),
            5
        );
        assert_eq!(
            s.chats.live, 1,
            "a faulted answer does not end the chat on the server"
        );
    }
}

#[tokio::test]
async fn http_5xx_is_a_502_html_page() {
    let (server, r) = server(with(vec![rule(FaultKind::Http5xx, Operation::Send, 1)]));
    let (chat, _) = gms_chat(&r).await;
    let req = axum::http::Request::post(chat.gms("send"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(format!("{}&message=x", chat.form())))
        .unwrap();
    let resp = tower::ServiceExt::oneshot(r.clone(), req).await.unwrap();
    assert_eq!(resp.status(), 502);
    assert_eq!(resp.headers()["content-type"], "text/html");
    let body = axum::body::to_bytes(resp.into_body(), 1 << 16)
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&body).contains("<h1>502 Bad Gateway</h1>"));
    let s = server.stats();
    assert_eq!(s.faults["http_5xx"], 1);
    assert_eq!(
        s.responses_matching("gms-v2/send", Some(502), Some(None), Some(None)),
        1
    );
    // Nothing was stored.
    let (_, v) = form(&r, &chat.gms("refresh"), &chat.form()).await;
    assert_eq!(types(&v), ["ParticipantJoined"]);
}

#[tokio::test(start_paused = true)]
async fn delay_holds_the_answer_but_resets_the_timer_on_arrival() {
    let mut delay = rule(FaultKind::Delay, Operation::Poll, 2);
    delay.delay = Some(DelaySpec::Fixed(Duration::from_secs(60)));
    let (server, r) = server(with(vec![delay]));
    let (chat, _) = gms_chat(&r).await;
    polls(&r, &chat, 1).await;
    let (r2, c2) = (r.clone(), chat.clone());
    let slow = tokio::spawn(async move { form(&r2, &c2.gms("refresh"), &c2.form()).await });
    tokio::time::sleep(Duration::from_secs(59)).await;
    assert!(!slow.is_finished());
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (status, v) = slow.await.unwrap();
    assert_eq!(status, 200);
    assert_status(&v, 0, false, None);
    // The timer was reset when the slow poll arrived (t=0), so at t=60 the chat has expired.
    let v = polls(&r, &chat, 1).await.remove(0);
    assert_status(&v, 2, true, Some(249));
    let s = server.stats();
    assert_eq!(s.faults["delay"], 1);
    assert_eq!(s.chats.expired, 1);
}

#[tokio::test]
async fn alias_rotation_rejects_the_old_alias_without_ending_the_chat() {
    let (server, r) = server(with(vec![rule(
        FaultKind::AliasRotation,
        Operation::Poll,
        2,
    )]));
    let (mut chat, _) = gms_chat(&r).await;
    let old = chat.clone();
    let answers = polls(&r, &chat, 2).await;
    assert_eq!(answers[0]["alias"], chat.alias.as_str());
    assert_status(&answers[1], 0, false, None);
    assert_ne!(
        answers[1]["alias"],
        chat.alias.as_str(),
        "new alias announced"
    );
    chat.adopt(&answers[1]);
    let (_, v) = form(&r, &old.gms("refresh"), &old.form()).await;
    assert_status(&v, 2, false, Some(249));
    let (_, v) = form(
        &r,
        &chat.gms("send"),
        &format!("{}&message=still here", chat.form()),
    )
    .await;
    assert_status(&v, 0, false, None);
    let s = server.stats();
    assert_eq!(s.faults["alias_rotation"], 1);
    assert_eq!(s.chats.live, 1);
}

#[tokio::test]
async fn transcript_hole_skips_one_index() {
    let (server, r) = server(with(vec![rule(
        FaultKind::TranscriptHole,
        Operation::Poll,
        2,
    )]));
    let (chat, _) = gms_chat(&r).await;
    let answers = polls(&r, &chat, 2).await;
    assert_eq!(indexes(&answers[0]), [1]);
    assert_eq!(indexes(&answers[1]), [1, 3], "index 2 skipped");
    assert_eq!(types(&answers[1])[1], "Notice");
    assert_eq!(answers[1]["nextPosition"], 4);
    form(&r, &chat.gms("send"), &format!("{}&message=x", chat.form())).await;
    let (_, v) = form(
        &r,
        &chat.gms("refresh"),
        &format!("{}&transcriptPosition=4", chat.form()),
    )
    .await;
    assert_eq!(indexes(&v), [4]);
    assert_eq!(server.stats().faults["transcript_hole"], 1);
}

#[tokio::test]
async fn rates_are_seeded_and_counted_exactly() {
    let run = || async {
        let rate = FaultRule {
            rate: Some(0.3),
            every: None,
            ..rule(FaultKind::Status1, Operation::Poll, 1)
        };
        let (server, r) = server(with(vec![rate]));
        let (chat, _) = gms_chat(&r).await;
        let answers = polls(&r, &chat, 200).await;
        let seen: Vec<bool> = answers.iter().map(|v| v["statusCode"] == 1).collect();
        (
            seen,
            server.stats().faults.get("status1").copied().unwrap_or(0),
        )
    };
    let (seen, injected) = run().await;
    assert_eq!(seen.iter().filter(|s| **s).count() as u64, injected);
    assert!((40..80).contains(&injected), "{injected}");
    assert_eq!(run().await.0, seen, "same seed, same faults");
}

#[tokio::test]
async fn terminal_fault_on_request_chat_creates_nothing() {
    let any = FaultRule {
        operation: OperationSelector::Any,
        ..rule(FaultKind::Status1, Operation::Poll, 1)
    };
    let (server, r) = server(with(vec![any]));
    let (status, v) = form(&r, GMS, "nickname=Ann").await;
    assert_eq!(status, 200);
    assert_status(&v, 1, false, Some(240));
    assert_eq!(v.get("chatId"), None);
    let s = server.stats();
    assert_eq!((s.chats.created, s.faults["status1"]), (0, 1));
}
