//! `customer.on_status1_chat_ended` against the embedded server injecting
//! statusCode 1 with chatEnded true: `record` retries (the seed's rule),
//! `end-like-widget` ends the session without a disconnect, and the server's
//! counters agree with the client's either way.

use super::e2e::{assert_counts_match, run_text, stats};
use chatload::RunOutcome;

fn scenario(reaction: &str) -> String {
    format!(
        r#"
seed = 3
flex_disconnect_timeout = "5s"
drain_timeout = "3s"
[customer]
poll_interval = "1s"
messages = 0
end = "after-duration"
session_duration = "30s"
on_status1_chat_ended = "{reaction}"
[load]
sessions = 4
duration = "12s"
restart = false
[server]
[[server.faults]]
kind = "status1_chat_ended"
operation = "poll"
every = 7
"#
    )
}

/// sessions.csv rows ending `reason`.
fn ended(o: &RunOutcome, reason: &str) -> u64 {
    let csv = std::fs::read_to_string(o.dir.join("sessions.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "end_reason").unwrap();
    lines
        .filter(|l| l.split(',').nth(col) == Some(reason))
        .count() as u64
}

#[tokio::test(start_paused = true)]
async fn status1_chat_ended_is_recorded_or_ends_the_chat_like_the_widget() {
    let (rec, _d1) = run_text(&scenario("record")).await;
    let (widget, _d2) = run_text(&scenario("end-like-widget")).await;
    for o in [&rec, &widget] {
        // The violation is counted either way, once per fault the server injected.
        let injected = stats(o).faults["status1_chat_ended"];
        assert!(injected > 0, "{:?}", stats(o).faults);
        assert_eq!(o.summary.violations["status1_chat_ended"], injected);
        assert_counts_match(o, "gms-v2");
    }
    // record: every session retries and runs to the planned end, then disconnects.
    assert_eq!(ended(&rec, "widget_ended"), 0);
    assert_eq!(stats(&rec).chats.ended_by_client, 4);
    // end-like-widget: the first 1/true of a session ends it, with no disconnect; the
    // server keeps the chat until flex-disconnect-timeout expires it.
    let w = stats(&widget);
    let gone = ended(&widget, "widget_ended");
    assert_eq!(gone, w.faults["status1_chat_ended"], "{w:?}");
    assert_eq!(w.chats.ended_by_client + gone, 4, "{w:?}");
    assert_eq!(w.chats.expired, gone, "{w:?}");
    assert_eq!(widget.summary.sessions.failed, gone);
}
