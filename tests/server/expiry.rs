//! flex-disconnect-timeout with a paused clock.

use crate::helpers::*;
use chatload::server::ServerConfig;
use std::time::Duration;
use tokio::time::advance;

fn types_of(events: &[chatload::protocol::Event]) -> Vec<&str> {
    events.iter().map(|e| e.kind.as_str()).collect()
}

fn flex(secs: u64) -> ServerConfig {
    ServerConfig {
        flex_disconnect_timeout: Duration::from_secs(secs),
        ..no_agent()
    }
}

#[tokio::test(start_paused = true)]
async fn chat_ends_exactly_at_the_timeout() {
    let (server, r) = server(flex(45));
    let (chat, _) = gms_chat(&r).await;
    advance(Duration::from_millis(44_999)).await;
    let (_, v) = form(&r, &chat.gms("refresh"), &chat.form()).await;
    assert_status(&v, 0, false, None);
    // The poll reset the timer: 44.999 s more is still fine, 45 s is not.
    advance(Duration::from_millis(44_999)).await;
    let (_, v) = form(&r, &chat.gms("refresh"), &chat.form()).await;
    assert_status(&v, 0, false, None);
    advance(Duration::from_secs(45)).await;
    let (_, v) = form(&r, &chat.gms("refresh"), &chat.form()).await;
    assert_status(&v, 2, true, Some(249));
    // The agent side saw the customer leave, exactly at the deadline.
    let events = server.transcript(&chat.id).expect("recently ended chat");
    let left = events.last().expect("events");
    assert_eq!(
        (left.kind.as_str(), left.from.kind.as_str()),
        ("ParticipantLeft", "Client")
    );
    let joined = &events[0];
    assert_eq!(left.utc_time - joined.utc_time, 44_999 * 2 + 45_000);
    let (_, v) = form(
        &r,
        &chat.gms("send"),
        &format!("{}&message=late", chat.form()),
    )
    .await;
    assert_status(&v, 2, true, Some(249));
    let s = server.stats();
    assert_eq!(s.chats.expired, 1);
    assert_eq!(s.chats.live, 0);
}

#[tokio::test(start_paused = true)]
async fn sweeper_expires_idle_chats_without_requests() {
    let (server, r) = server(flex(10));
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(gms_chat(&r).await.0.id);
    }
    advance(Duration::from_secs(9)).await;
    tokio::task::yield_now().await;
    assert_eq!(server.stats().chats.expired, 0);
    advance(Duration::from_secs(1)).await;
    // Let the sweeper run.
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    let s = server.stats();
    assert_eq!((s.chats.expired, s.chats.live), (3, 0));
    assert_eq!(server.chats_in_memory(), 0);
    for id in ids {
        let events = server.transcript(&id).expect("journal");
        assert_eq!(types_of(&events), ["ParticipantJoined", "ParticipantLeft"]);
    }
    assert_eq!(server.transcript("0000000000000000"), None);
}

#[tokio::test(start_paused = true)]
async fn failed_requests_do_not_reset_the_timer() {
    let (server, r) = server(flex(10));
    let (chat, _) = gms_chat(&r).await;
    advance(Duration::from_secs(6)).await;
    let bad = format!(
        "userId={}&secureKey=wrong&alias={}",
        chat.user_id, chat.alias
    );
    let (_, v) = form(&r, &chat.gms("refresh"), &bad).await;
    assert_status(&v, 2, false, Some(249));
    advance(Duration::from_secs(4)).await;
    let (_, v) = form(&r, &chat.gms("refresh"), &chat.form()).await;
    assert_status(&v, 2, true, Some(249));
    assert_eq!(server.stats().chats.expired, 1);
}
