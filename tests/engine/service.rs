//! Service level from the customer's side (paused time, embedded server with an
//! agent pool): queue wait timed at the poll answer that brings the agent's
//! join, ASA, the share within the target, and a pool too small makes it worse.

use super::e2e::{run_text, stats};
use chatload::report::model::ServiceLevel;

fn scenario(agents: u32) -> String {
    format!(
        r#"
seed = 5
flex_disconnect_timeout = "10s"
drain_timeout = "3s"
service_level_target = "2s"
[customer]
poll_interval = "500ms"
messages = 1
think_time = "200ms"
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
    let (o, _dir) = run_text(&scenario(agents)).await;
    let sl = o.summary.service_level.clone().expect("service_level");
    let json = std::fs::read_to_string(o.dir.join("summary.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let errors = super::schema_check::validate(&super::schema_check::load(), &v);
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(v["service_level"]["target_ms"], 2000);
    (sl, stats(&o).chats.created)
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
