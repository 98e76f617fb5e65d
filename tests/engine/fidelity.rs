//! Measurement fidelity against the reference server, in paused time: the three
//! views of flex-disconnect-timeout (flagged, idle_over_flex, expired), an end of
//! run that expires nothing, and session counts equal to the server's per end kind.

use super::e2e::{run_text, stats};
use chatload::RunOutcome;

fn rows(o: &RunOutcome) -> String {
    std::fs::read_to_string(o.dir.join("sessions.csv")).unwrap()
}

/// Rows of sessions.csv whose column `name` reads `value`.
fn count_rows(csv: &str, name: &str, value: &str) -> u64 {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == name).unwrap();
    lines
        .filter(|l| l.split(',').nth(col) == Some(value))
        .count() as u64
}

/// Client and server agree on every end kind: ended by the client (disconnect answered 0,
/// whatever stopped the session), by the agent, expired.
fn assert_end_kinds_match(o: &RunOutcome) {
    let s = stats(o);
    let ss = &o.summary.sessions;
    let csv = rows(o);
    assert_eq!(
        ss.ended_by_client, s.chats.ended_by_client,
        "{:?} {csv}",
        s.chats
    );
    assert_eq!(ss.expired, s.chats.expired, "{:?} {csv}", s.chats);
    assert_eq!(
        count_rows(&csv, "end_reason", "agent_ended"),
        s.chats.ended_by_agent,
        "{csv}"
    );
    assert_eq!(ss.started - ss.never_started, s.chats.created);
    assert_eq!(s.chats.live, 0, "{:?}", s.chats);
}

/// Four sessions, every 4th poll answered 2.5 s late (flex 2 s): `{extra}` adds to it.
fn stall(customer: &str) -> String {
    format!(
        r#"
name = "stall"
seed = 5
flex_disconnect_timeout = "2s"
request_timeout = "5s"
[load]
sessions = 4
duration = "9s"
restart = false
[customer]
poll_interval = "200ms"
{customer}
[server]
flex_disconnect_timeout = "2s"
[[server.faults]]
kind = "delay"
operation = "poll"
every = 4
delay = "2500ms"
"#
    )
}

#[tokio::test(start_paused = true)]
async fn a_stall_alone_is_flagged_idle_and_expired_as_often_as_the_server_expired() {
    let (o, _dir) = run_text(&stall("messages = 0\nend = \"wait-for-agent\"")).await;
    let s = stats(&o);
    let ss = &o.summary.sessions;
    let csv = rows(&o);
    assert_eq!(s.chats.expired, 4, "one stall per session: {csv}");
    assert_eq!(
        (ss.flagged, ss.idle_over_flex, ss.expired),
        (4, 4, 4),
        "{csv}"
    );
    assert_eq!(count_rows(&csv, "idle_over_flex", "true"), 4, "{csv}");
    assert_eq!(count_rows(&csv, "expired", "true"), 4, "{csv}");
    assert_eq!(count_rows(&csv, "end_reason", "expired"), 4, "{csv}");
    assert_end_kinds_match(&o);
}

#[tokio::test(start_paused = true)]
async fn sends_during_a_stall_keep_the_chat_alive_flagged_but_not_idle_or_expired() {
    // The customer sends a message every 500 ms: a stalled poll (2.5 s) is a flagged gap,
    // but the chat never goes 2 s without a request, and the server expires nothing.
    let customer = r#"messages = 40
think_time = "500ms"
end = "after-messages"
linger = "200ms""#;
    let (o, _dir) = run_text(&stall(customer)).await;
    let s = stats(&o);
    let ss = &o.summary.sessions;
    let csv = rows(&o);
    assert!(s.faults.get("delay").copied().unwrap_or(0) >= 4, "{s:?}");
    assert_eq!(s.chats.expired, 0, "{csv}");
    assert!(ss.flagged >= 1, "the stalls are poll gaps over flex: {csv}");
    assert_eq!((ss.idle_over_flex, ss.expired), (0, 0), "{csv}");
    assert_eq!(count_rows(&csv, "idle_over_flex", "true"), 0, "{csv}");
    assert!(o.summary.gaps.flagged_by_cause["slow_response"] >= ss.flagged);
    assert_end_kinds_match(&o);
}

#[tokio::test(start_paused = true)]
async fn the_planned_end_never_expires_a_chat_with_flex_twice_the_poll() {
    // Poll 1 s ± 300 ms, flex 2 s: the spread disconnect (up to one poll interval after the
    // last poll) used to land after the timeout; now no session waits past half of it.
    let text = r#"
name = "end"
seed = 11
flex_disconnect_timeout = "2s"
drain_timeout = "4s"
[load]
sessions = 40
ramp_up = "1s"
duration = "6s"
[customer]
poll_interval = "1s"
jitter = { distribution = "uniform", amount = "300ms" }
messages = 0
end = "wait-for-agent"
[server]
flex_disconnect_timeout = "2s"
"#;
    let (o, _dir) = run_text(text).await;
    let s = stats(&o);
    let ss = &o.summary.sessions;
    let csv = rows(&o);
    assert_eq!(s.chats.expired, 0, "{csv}");
    assert_eq!((ss.idle_over_flex, ss.expired), (0, 0), "{csv}");
    // (A session whose slot the plan's end lowered ends as client_disconnect: also at once.)
    assert_eq!(
        count_rows(&csv, "end_reason", "run_ended")
            + count_rows(&csv, "end_reason", "client_disconnect"),
        40,
        "{csv}"
    );
    // Every disconnect answered statusCode 0; every session counts as ended by the client.
    let disconnects: Vec<_> = o
        .summary
        .outcomes
        .iter()
        .filter(|c| c.operation == "disconnect")
        .collect();
    assert!(
        disconnects.iter().all(|c| c.status_code == Some(0)),
        "{disconnects:?}"
    );
    assert_eq!(ss.ended_by_client, 40);
    assert_eq!((ss.completed, ss.never_started), (40, 0));
    assert_end_kinds_match(&o);
}

#[tokio::test(start_paused = true)]
async fn counts_match_the_server_with_agents_ending_chats() {
    // The agent ends each chat after the customer's 2nd message. No restarts and no stalls:
    // a chat the agent ends just before the planned end is learnt by the disconnect (answered
    // 0, which the server counts as the agent's end), and a stalled poll that learns the end
    // while a send gets the later 249 makes the session end as server_fatal first.
    let customer = r#"messages = 3
think_time = "700ms"
end = "after-messages"
linger = "300ms""#;
    let text = stall(customer)
        .replace("sessions = 4", "sessions = 10")
        .replace("kind = \"delay\"", "kind = \"transcript_hole\"")
        .replace("delay = \"2500ms\"", "")
        + "[server.agent]\njoin_after = \"100ms\"\nreply_after = \"100ms\"\nend_after_messages = 2\n";
    let (o, _dir) = run_text(&text).await;
    let csv = rows(&o);
    assert!(
        count_rows(&csv, "end_reason", "agent_ended") > 0,
        "the agent ended chats: {csv}"
    );
    assert_end_kinds_match(&o);
}

#[tokio::test(start_paused = true)]
async fn sessions_that_never_got_a_chat_are_never_started_not_completed() {
    let text = r#"
name = "down"
target = "http://127.0.0.1:1"
request_timeout = "1s"
[load]
sessions = 5
duration = "1s"
[retry]
max_consecutive = 2
backoff = "50ms"
"#;
    let (o, _dir) = run_text(text).await;
    let ss = &o.summary.sessions;
    assert_eq!(ss.started, 5);
    assert_eq!(
        (ss.completed, ss.never_started, ss.ended_by_client),
        (0, 5, 0)
    );
}
