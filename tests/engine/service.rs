//! Service level from the customer's side (paused time, embedded server with an
//! agent pool): queue wait timed at the poll answer that brings the agent's
//! join, ASA, the share within the target, and a pool too small makes it worse;
//! with patience, customers leave and abandonment grows as agents are removed.

use super::e2e::{assert_counts_match, run_text, stats};
use chatload::report::model::ServiceLevel;
use chatload::RunOutcome;

fn scenario(agents: u32) -> String {
    format!(
        r#"
seed = 5
flex_disconnect_timeout = "10s"
drain_timeout = "3s"
service_level_target = "2s"
[customer]
poll_interval = "500ms"
messages = 2
think_time = "1s"
typing = false
end = "after-duration"
session_duration = "3s"
[load]
arrival_rate = "1/s"
arrival = "uniform"
sessions = 100
duration = "12s"
[server]
agents = {agents}
chats_per_agent = 1
[server.agent]
join_after = "100ms"
reply_after = "300ms"
"#
    )
}

async fn level(agents: u32) -> (ServiceLevel, u64) {
    level_of(&scenario(agents)).await.0
}

/// The service level of a run of `text`, the chats the server created, and the run.
async fn level_of(text: &str) -> ((ServiceLevel, u64), RunOutcome, tempfile::TempDir) {
    let (o, dir) = run_text(text).await;
    let sl = o.summary.service_level.clone().expect("service_level");
    let json = std::fs::read_to_string(o.dir.join("summary.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let errors = super::schema_check::validate(&super::schema_check::load(), &v);
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(v["service_level"]["target_ms"], 2000);
    let created = stats(&o).chats.created;
    ((sl, created), o, dir)
}

#[tokio::test(start_paused = true)]
async fn queue_wait_is_timed_at_the_answer_and_a_small_pool_makes_customers_wait() {
    let (ample, created) = level(20).await;
    // Every established chat is joined or ended before a join, as the server saw them.
    assert_eq!(ample.joined + ample.never_joined, created, "{ample:?}");
    assert_eq!(ample.abandoned, 0);
    // Joined 100 ms after the request; seen at the next poll answer (500 ms cadence).
    assert!(ample.never_joined <= 1, "{ample:?}");
    assert!(
        ample.queue_wait_ms.min >= 99.0 && ample.queue_wait_ms.max <= 700.0,
        "{ample:?}"
    );
    assert_eq!(
        ample.within_target_rate * created as f64,
        ample.joined as f64
    );
    // The agent answers 300 ms after the message; seen at a poll answer.
    assert!(ample.first_response_ms.count > 0, "{ample:?}");
    assert!(
        ample.first_response_ms.min >= 295.0 && ample.first_response_ms.max <= 1000.0,
        "{ample:?}"
    );
    // Each of the two messages is answered (the second one a second after the first).
    let (first, every) = (&ample.first_response_ms, &ample.response_ms);
    assert!(
        every.count > first.count && every.count <= 2 * first.count,
        "{ample:?}"
    );
    assert!(every.min >= 295.0 && every.max <= 1000.0, "{ample:?}");

    // One agent for one chat at a time, a chat every second lasting 3 s: a queue builds.
    let (one, created) = level(1).await;
    assert_eq!(one.joined + one.never_joined, created, "{one:?}");
    assert!(one.asa_ms > ample.asa_ms * 3.0, "{one:?} vs {ample:?}");
    assert!(
        one.within_target_rate < ample.within_target_rate,
        "{one:?} vs {ample:?}"
    );
    assert!(one.never_joined > 0, "{one:?}");
}

/// Sessions.csv rows whose column `name` satisfies `keep`.
fn rows_where(o: &RunOutcome, name: &str, keep: impl Fn(&str) -> bool) -> u64 {
    let csv = std::fs::read_to_string(o.dir.join("sessions.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == name).unwrap();
    lines
        .filter(|l| l.split(',').nth(col).is_some_and(&keep))
        .count() as u64
}

#[tokio::test(start_paused = true)]
async fn customers_who_lose_patience_leave_and_abandonment_grows_as_agents_go() {
    let mut abandoned = Vec::new();
    for agents in [20, 2, 1] {
        let text = scenario(agents).replace("[customer]\n", "[customer]\npatience = \"1500ms\"\n");
        let ((sl, created), o, _dir) = level_of(&text).await;
        // Every established chat is joined, abandoned or ended otherwise before a join.
        assert_eq!(
            sl.joined + sl.abandoned + sl.never_joined,
            created,
            "{sl:?}"
        );
        // Each abandoned customer left at its patience exactly (paused time), and disconnected.
        assert_eq!(
            rows_where(&o, "end_reason", |v| v == "lost_patience"),
            sl.abandoned,
            "{sl:?}"
        );
        // sessions.csv carries each session's figures.
        assert_eq!(rows_where(&o, "abandoned", |v| v == "true"), sl.abandoned);
        assert_eq!(
            rows_where(&o, "queue_wait_ms", |v| !v.is_empty()),
            sl.joined + sl.abandoned
        );
        if sl.abandoned > 0 {
            let w = &sl.abandoned_wait_ms;
            assert!(w.min >= 1499.0 && w.max <= 1502.0, "{sl:?}");
        }
        // A join seen after the customer left is not counted: no wait above the patience.
        assert!(sl.queue_wait_ms.max <= 1502.0, "{sl:?}");
        // Requests the client reports are those the server saw (the disconnects included).
        assert_counts_match(&o, "gms-v2");
        let pool = stats(&o).pool.expect("pool");
        // Chats that left the server's queue were abandoned by their customer (or cut
        // off by the end of the run before a join).
        assert!(
            pool.left_queue <= sl.abandoned + sl.never_joined,
            "{pool:?} {sl:?}"
        );
        abandoned.push(sl.abandoned);
    }
    assert_eq!(abandoned[0], 0, "{abandoned:?}");
    assert!(
        abandoned[1] > 0 && abandoned[2] > abandoned[1],
        "{abandoned:?}"
    );
}
