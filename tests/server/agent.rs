//! The simulated agent with a paused clock: join, replies, ending the chat.

use crate::helpers::*;
use chatload::server::{AgentConfig, DelaySpec, ServerConfig};
use std::time::Duration;
use tokio::time::advance;

fn agent(end_after: Option<u32>, reply_after: DelaySpec) -> ServerConfig {
    ServerConfig {
        agent: AgentConfig {
            join_after: Duration::from_secs(2),
            reply_after,
            end_after_messages: end_after,
            ..AgentConfig::default()
        },
        ..ServerConfig::default()
    }
}

#[tokio::test(start_paused = true)]
async fn agent_joins_after_the_delay_and_replies_to_each_message() {
    let (_, r) = server(agent(None, DelaySpec::Fixed(Duration::from_millis(500))));
    let (chat, _) = gms_chat(&r).await;
    let poll = |pos: u64| format!("{}&transcriptPosition={pos}", chat.form());
    advance(Duration::from_millis(1999)).await;
    let (_, v) = form(&r, &chat.gms("refresh"), &poll(2)).await;
    assert!(types(&v).is_empty(), "{v}");
    advance(Duration::from_millis(1)).await;
    let (_, v) = form(&r, &chat.gms("refresh"), &poll(2)).await;
    assert_eq!(types(&v), ["ParticipantJoined"]);
    assert_eq!(v["messages"][0]["from"]["type"], "Agent");
    assert_eq!(v["messages"][0]["from"]["participantId"], 2);
    let (_, _) = form(
        &r,
        &chat.gms("send"),
        &format!("{}&message=one", chat.form()),
    )
    .await;
    let (_, _) = form(
        &r,
        &chat.gms("send"),
        &format!("{}&message=two", chat.form()),
    )
    .await;
    advance(Duration::from_millis(499)).await;
    let (_, v) = form(&r, &chat.gms("refresh"), &poll(3)).await;
    assert_eq!(
        types(&v),
        ["Message", "Message"],
        "customer messages only: {v}"
    );
    advance(Duration::from_millis(1)).await;
    let (_, v) = form(&r, &chat.gms("refresh"), &poll(5)).await;
    assert_eq!(indexes(&v), [5, 6]);
    assert_eq!(v["messages"][0]["from"]["type"], "Agent");
    assert_eq!(v["messages"][0]["text"], "Agent reply to message 1");
    assert_eq!(v["messages"][1]["text"], "Agent reply to message 2");
}

#[tokio::test(start_paused = true)]
async fn replies_wait_for_the_join_and_respect_a_delay_range() {
    let range = DelaySpec::Uniform {
        min: Duration::from_millis(100),
        max: Duration::from_millis(300),
    };
    let (_, r) = server(agent(None, range));
    let (chat, _) = gms_chat(&r).await;
    form(
        &r,
        &chat.gms("send"),
        &format!("{}&message=early", chat.form()),
    )
    .await;
    advance(Duration::from_millis(1999)).await;
    let (_, v) = form(&r, &chat.gms("refresh"), &chat.form()).await;
    assert_eq!(
        types(&v),
        ["ParticipantJoined", "Message"],
        "no reply before the agent joined"
    );
    advance(Duration::from_millis(1)).await;
    let (_, v) = form(&r, &chat.gms("refresh"), &chat.form()).await;
    assert_eq!(
        types(&v),
        [
            "ParticipantJoined",
            "Message",
            "ParticipantJoined",
            "Message"
        ]
    );
    form(
        &r,
        &chat.gms("send"),
        &format!("{}&message=later", chat.form()),
    )
    .await;
    advance(Duration::from_millis(99)).await;
    let (_, v) = form(&r, &chat.gms("refresh"), &chat.form()).await;
    assert_eq!(indexes(&v).len(), 5, "no reply before min");
    advance(Duration::from_millis(201)).await;
    let (_, v) = form(&r, &chat.gms("refresh"), &chat.form()).await;
    assert_eq!(indexes(&v).len(), 6, "reply by max");
}

#[tokio::test(start_paused = true)]
async fn agent_ends_the_chat_after_n_messages() {
    let (server, r) = server(agent(Some(2), DelaySpec::Fixed(Duration::from_millis(500))));
    let (chat, _) = gms_chat(&r).await;
    advance(Duration::from_secs(2)).await;
    for text in ["one", "two"] {
        form(
            &r,
            &chat.gms("send"),
            &format!("{}&message={text}", chat.form()),
        )
        .await;
    }
    advance(Duration::from_millis(500)).await;
    tokio::task::yield_now().await;
    assert_eq!(server.stats().chats.ended_by_agent, 1);
    assert_eq!(server.stats().chats.live, 0);
    // The first call of any kind learns it (0 / true, with the closing events on a poll) ...
    let (_, v) = form(
        &r,
        &chat.gms("refresh"),
        &format!("{}&transcriptPosition=5", chat.form()),
    )
    .await;
    assert_status(&v, 0, true, None);
    assert_eq!(types(&v), ["Message", "Message", "ParticipantLeft"]);
    assert_eq!(v["messages"][2]["from"]["type"], "Agent");
    // ... and later calls get 2 / true / 249.
    let (_, v) = form(&r, &chat.gms("refresh"), &chat.form()).await;
    assert_status(&v, 2, true, Some(249));
    let (_, v) = form(
        &r,
        &chat.gms("send"),
        &format!("{}&message=hello?", chat.form()),
    )
    .await;
    assert_status(&v, 2, true, Some(249));
    let s = server.stats();
    assert_eq!(
        s.responses_matching("gms-v2/poll", Some(200), Some(Some(0)), Some(Some(true))),
        1
    );
    assert_eq!((s.chats.ended_by_agent, s.chats.expired), (1, 0));
}

#[tokio::test(start_paused = true)]
async fn webapi_customer_sees_the_system_agent_events_too() {
    let (_, r) = server(agent(Some(1), DelaySpec::Fixed(Duration::from_millis(10))));
    let (chat, _) = web_chat(&r).await;
    let path = format!("{WEB}/{}", chat.id);
    let mut send = chat.web_body(serde_json::json!({"text": "hi"}));
    send["operationName"] = "SendMessage".into();
    post_json(&r, &path, send).await;
    advance(Duration::from_secs(3)).await;
    let (_, v) = post_json(
        &r,
        &format!("{path}/messages"),
        chat.web_body(serde_json::json!({})),
    )
    .await;
    assert_status(&v, 0, true, None);
    assert_eq!(
        types(&v),
        [
            "ParticipantJoined",
            "Message",
            "ParticipantJoined",
            "Message",
            "ParticipantLeft"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_send_can_be_the_call_that_learns_the_agent_left() {
    let (_, r) = server(agent(Some(1), DelaySpec::Fixed(Duration::from_millis(500))));
    let (chat, _) = gms_chat(&r).await;
    advance(Duration::from_secs(2)).await;
    let (_, v) = form(
        &r,
        &chat.gms("refresh"),
        &format!("{}&transcriptPosition=2", chat.form()),
    )
    .await;
    assert_eq!(types(&v), ["ParticipantJoined"]);
    form(
        &r,
        &chat.gms("send"),
        &format!("{}&message=bye", chat.form()),
    )
    .await;
    advance(Duration::from_secs(1)).await;
    let (_, v) = form(
        &r,
        &chat.gms("send"),
        &format!("{}&message=hello?", chat.form()),
    )
    .await;
    assert_status(&v, 0, true, None);
    // Events from where the customer last polled (index 2), closing ones included.
    assert_eq!(indexes(&v), [2, 3, 4, 5]);
    assert_eq!(
        types(&v).last().map(String::as_str),
        Some("ParticipantLeft")
    );
    let (_, v) = form(
        &r,
        &chat.gms("send"),
        &format!("{}&message=again", chat.form()),
    )
    .await;
    assert_status(&v, 2, true, Some(249));
}

#[tokio::test(start_paused = true)]
async fn an_immediate_agent_is_handled_by_the_sweeper_too() {
    let mut config = agent(Some(1), DelaySpec::Fixed(Duration::ZERO));
    config.agent.join_after = Duration::ZERO;
    let (server, r) = server(config);
    let (status, v) = form(&r, GMS, "nickname=Ann&text=hi").await;
    assert_eq!(status, 200);
    let chat = Chat::from_answer(&v);
    for _ in 0..5 {
        tokio::task::yield_now().await;
    }
    assert_eq!(
        server.stats().chats.ended_by_agent,
        1,
        "the sweeper ran the agent without any request"
    );
    let (_, v) = form(&r, &chat.gms("refresh"), &chat.form()).await;
    assert_status(&v, 0, true, None);
    assert_eq!(
        types(&v),
        [
            "ParticipantJoined",
            "Message",
            "ParticipantJoined",
            "Message",
            "ParticipantLeft"
        ]
    );
}
