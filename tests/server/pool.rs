//! The agent pool with a paused clock: N × M slots, one FIFO queue, slots given
//! back when a chat ends (agent, customer, expiry), and the pool counters.

use crate::helpers::*;
use chatload::protocol::Event;
use chatload::server::{DelaySpec, PoolCounts, ReferenceServer, ServerConfig, STATS_PATH};
use std::time::Duration;

/// Let `d` of simulated time pass: the paused clock jumps from timer to timer,
/// so the server's sweeper acts at each instant it is due (as in real time).
async fn advance(d: Duration) {
    tokio::time::sleep(d).await;
}

fn s(secs: u64) -> Duration {
    Duration::from_secs(secs)
}

/// A pool of `agents` × `per_agent`, a 1 h flex timer unless said otherwise.
fn pool(agents: u32, per_agent: u32, end_after: Option<Duration>) -> ServerConfig {
    let mut c = ServerConfig {
        flex_disconnect_timeout: s(3600),
        agents: Some(agents),
        chats_per_agent: Some(per_agent),
        ..ServerConfig::default()
    };
    c.agent.end_after = end_after.map(DelaySpec::Fixed);
    c
}

fn counts(server: &ReferenceServer) -> PoolCounts {
    server.stats().pool.expect("a pool has counters")
}

/// Milliseconds from the chat's request to the agent events of `kind`.
fn agent_events_ms(server: &ReferenceServer, chat: &Chat, kind: &str) -> Vec<i64> {
    let events: Vec<Event> = server.transcript(&chat.id).expect("known chat");
    let start = events[0].utc_time;
    events
        .iter()
        .filter(|e| e.from.kind == "Agent" && e.kind == kind)
        .map(|e| e.utc_time - start)
        .collect()
}

#[tokio::test(start_paused = true)]
async fn chats_wait_in_order_and_an_agent_ending_a_chat_takes_the_next() {
    // One agent, one chat at a time; it joins 1 s after taking a chat and ends it 20 s later.
    let (server, r) = server(pool(1, 1, Some(s(20))));
    let (a, _) = gms_chat(&r).await;
    advance(s(1)).await;
    let (b, _) = gms_chat(&r).await;
    advance(s(1)).await;
    let (c, _) = gms_chat(&r).await;
    let p = counts(&server);
    assert_eq!((p.joined, p.queued, p.waiting, p.busy), (1, 2, 2, 1));
    assert_eq!(p.max_queue_len, 2);
    // A: joined at 1 s, left at 21 s. B (asked at 1 s) takes the slot at 21 s.
    advance(s(28)).await; // t = 30 s
    assert_eq!(agent_events_ms(&server, &a, "ParticipantJoined"), [1000]);
    assert_eq!(agent_events_ms(&server, &a, "ParticipantLeft"), [21_000]);
    assert_eq!(agent_events_ms(&server, &b, "ParticipantJoined"), [21_000]);
    assert!(agent_events_ms(&server, &c, "ParticipantJoined").is_empty());
    let p = counts(&server);
    assert_eq!(
        (p.joined, p.waiting, p.queue_wait_us_total),
        (2, 1, 20_000_000)
    );
    // B leaves at 42 s; C (asked at 2 s) takes the slot then: 40 s in the queue.
    advance(s(40)).await; // t = 70 s
    assert_eq!(agent_events_ms(&server, &c, "ParticipantJoined"), [41_000]);
    assert_eq!(agent_events_ms(&server, &c, "ParticipantLeft"), [61_000]);
    let p = counts(&server);
    assert_eq!((p.joined, p.waiting, p.busy, p.left_queue), (3, 0, 0, 0));
    assert_eq!(p.queue_wait_us_total, 60_000_000);
    assert_eq!(p.asa_secs(), 20.0);
    assert_eq!(server.stats().chats.ended_by_agent, 3);
    // The customer learns the end on its next call.
    let (_, v) = form(&r, &c.gms("refresh"), &c.form()).await;
    assert_status(&v, 0, true, None);
}

#[tokio::test(start_paused = true)]
async fn a_customer_leaving_frees_the_slot_and_leavers_are_skipped() {
    let (server, r) = server(pool(1, 1, None));
    let (a, _) = gms_chat(&r).await;
    let (b, _) = gms_chat(&r).await;
    let (c, _) = gms_chat(&r).await;
    advance(s(5)).await;
    // B gives up while waiting.
    let (_, v) = form(&r, &b.gms("disconnect"), &b.form()).await;
    assert_status(&v, 0, true, None);
    let p = counts(&server);
    assert_eq!((p.waiting, p.left_queue), (1, 1));
    advance(s(5)).await;
    form(&r, &a.gms("disconnect"), &a.form()).await;
    // The slot skips B and goes to C at 10 s; its agent joins 1 s later.
    advance(s(1)).await;
    assert_eq!(agent_events_ms(&server, &c, "ParticipantJoined"), [11_000]);
    assert!(agent_events_ms(&server, &b, "ParticipantJoined").is_empty());
    let p = counts(&server);
    assert_eq!((p.queued, p.joined, p.left_queue, p.waiting), (2, 2, 1, 0));
    assert_eq!((p.busy, p.queue_wait_us_total), (1, 10_000_000));
    form(&r, &c.gms("disconnect"), &c.form()).await;
    assert_eq!(counts(&server).busy, 0);
    assert_eq!(server.stats().chats.ended_by_client, 3);
}

#[tokio::test(start_paused = true)]
async fn expiry_frees_a_slot_and_takes_a_chat_out_of_the_queue() {
    let mut config = pool(1, 1, None);
    config.flex_disconnect_timeout = s(45);
    let (server, r) = server(config);
    let (_a, _) = gms_chat(&r).await; // never polls: expires at 45 s
    advance(s(10)).await;
    let (b, _) = gms_chat(&r).await;
    advance(s(10)).await;
    let (c, _) = gms_chat(&r).await; // never polls: expires at 65 s, still queued
    advance(s(20)).await;
    form(&r, &b.gms("refresh"), &b.form()).await; // t = 40 s: B's timer now ends at 85 s
    advance(s(30)).await; // t = 70 s
    assert_eq!(agent_events_ms(&server, &b, "ParticipantJoined"), [36_000]);
    let p = counts(&server);
    assert_eq!((p.joined, p.left_queue, p.waiting, p.busy), (2, 1, 0, 1));
    assert_eq!(p.queue_wait_us_total, 35_000_000);
    assert_eq!(server.stats().chats.expired, 2);
    assert!(agent_events_ms(&server, &c, "ParticipantJoined").is_empty());
    // B leaves: the queue holds only C, which is gone; the slot becomes free.
    form(&r, &b.gms("disconnect"), &b.form()).await;
    assert_eq!(counts(&server).busy, 0);
    let (_d, _) = gms_chat(&r).await;
    let p = counts(&server);
    assert_eq!((p.busy, p.queued, p.joined), (1, 2, 3));
}

#[tokio::test(start_paused = true)]
async fn each_agent_takes_m_chats_and_answers_messages_sent_while_waiting() {
    let (server, r) = server(pool(2, 2, None));
    let mut first = Vec::new();
    for _ in 0..4 {
        first.push(gms_chat(&r).await.0);
    }
    let (e, _) = gms_chat(&r).await;
    assert_eq!((counts(&server).busy, counts(&server).waiting), (4, 1));
    form(&r, &e.gms("send"), &format!("{}&message=hello", e.form())).await;
    advance(s(5)).await;
    assert!(
        agent_events_ms(&server, &e, "Message").is_empty(),
        "no agent yet"
    );
    let a = &first[0];
    form(&r, &a.gms("disconnect"), &a.form()).await;
    advance(s(5)).await;
    // Slot at 5 s, join at 6 s, the reply (500 ms after the slot) waits for the join.
    assert_eq!(agent_events_ms(&server, &e, "ParticipantJoined"), [6000]);
    assert_eq!(agent_events_ms(&server, &e, "Message"), [6000]);
}

#[tokio::test(start_paused = true)]
async fn stats_show_the_pool_only_when_there_is_one() {
    let (_, r) = server(ServerConfig::default());
    gms_chat(&r).await;
    let (status, v) = call(&r, "GET", STATS_PATH, None, "").await;
    assert_eq!(status, 200);
    assert!(v.get("pool").is_none(), "{v}");
    let (_, r) = server(pool(3, 2, None));
    gms_chat(&r).await;
    let (_, v) = call(&r, "GET", STATS_PATH, None, "").await;
    assert_eq!(v["pool"]["agents"], 3);
    assert_eq!(v["pool"]["chats_per_agent"], 2);
    assert_eq!(v["pool"]["joined"], 1);
    assert_eq!(v["pool"]["busy"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_chats_lose_no_slot() {
    // Four tasks on two threads each hold three chats at a time on 2 slots,
    // send, and disconnect; whatever the interleaving, every chat is counted
    // once and every slot comes back.
    let (server, r) = server(pool(2, 1, None));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let r = r.clone();
        tasks.spawn(async move {
            for _ in 0..100 {
                let mut open = Vec::new();
                for _ in 0..3 {
                    open.push(gms_chat(&r).await.0);
                }
                for c in &open {
                    form(&r, &c.gms("send"), &format!("{}&message=hi", c.form())).await;
                    form(&r, &c.gms("disconnect"), &c.form()).await;
                }
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("task");
    }
    let p = counts(&server);
    assert_eq!(p.joined + p.left_queue, 1200, "{p:?}");
    assert_eq!((p.busy, p.waiting), (0, 0), "{p:?}");
    assert!(p.queued >= 100, "{p:?}");
    assert_eq!(server.stats().chats.ended_by_client, 1200);
    // Both slots are free again: two new chats join at once.
    gms_chat(&r).await;
    gms_chat(&r).await;
    let after = counts(&server);
    assert_eq!((after.busy, after.waiting), (2, 0), "{after:?}");
    assert_eq!((after.joined, after.queued), (p.joined + 2, p.queued));
}
