//! Service level from the customer's side (paused time, embedded server with an
//! agent pool): queue wait timed at the poll answer that brings the agent's
//! join, ASA, the share within the target, and a pool too small makes it worse;
//! with patience, customers leave and abandonment grows as agents are removed.

use super::e2e::{assert_counts_match, run_text, stats};
use chatload::report::model::{ServiceLevel, TimelinePoint};
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

/// A morning in miniature: 2 agents, chats of 3 s, arrivals rising from one every 2 s
/// to 4 a second. The timeline carries the level per interval: every early chat is
/// joined within the target, few at the peak; its counts add up to the run's.
#[tokio::test(start_paused = true)]
async fn the_timeline_shows_the_level_falling_as_arrivals_peak() {
    let text = r#"
seed = 7
flex_disconnect_timeout = "10s"
drain_timeout = "3s"
service_level_target = "2s"
[customer]
poll_interval = "500ms"
messages = 0
typing = false
end = "wait-for-agent"
patience = "5s"
[load]
arrival = "uniform"
sessions = 200
[[load.stages]]
arrival_rate = "0.5/s"
ramp = "1s"
hold = "11s"
[[load.stages]]
arrival_rate = "4/s"
ramp = "1s"
hold = "10s"
[server]
agents = 2
chats_per_agent = 1
[server.agent]
join_after = "100ms"
end_after = "3s"
[thresholds]
checks = ["service_level > 80%"]
"#;
    let ((sl, created), o, _dir) = level_of(text).await;
    let tl = &o.summary.timeline;
    assert_eq!(o.summary.timeline_step_s, 1);
    assert_eq!(
        sl.joined + sl.abandoned + sl.never_joined,
        created,
        "{sl:?}"
    );
    // The timeline's counts are the run's.
    let sum = |f: fn(&TimelinePoint) -> u64| tl.iter().map(f).sum::<u64>();
    assert_eq!(sum(|p| p.joined), sl.joined, "{tl:?}");
    assert_eq!(sum(|p| p.abandoned), sl.abandoned, "{tl:?}");
    let established = (sl.joined + sl.abandoned + sl.never_joined) as f64;
    assert_eq!(
        sum(|p| p.joined_within_target) as f64,
        (sl.within_target_rate * established).round()
    );
    // Early (one chat every 2 s, two free agents) every chat is joined within 2 s; at
    // the peak most wait longer or give up.
    let level = |keep: &dyn Fn(u64) -> bool| {
        let (within, chats) = tl.iter().filter(|p| keep(p.t_s)).fold((0, 0), |(w, c), p| {
            (w + p.joined_within_target, c + p.joined + p.abandoned)
        });
        (within as f64 / chats.max(1) as f64, chats)
    };
    let (early, early_chats) = level(&|t| t < 12);
    let (peak, peak_chats) = level(&|t| t >= 16);
    assert!(
        early_chats >= 4 && early == 1.0,
        "{early} of {early_chats}: {tl:?}"
    );
    assert!(
        peak_chats >= 10 && peak < 0.3,
        "{peak} of {peak_chats}: {tl:?}"
    );
    assert!(sl.abandoned > 0, "{sl:?}");
    let worst = tl.iter().map(|p| p.queue_wait_max_ms).fold(0.0, f64::max);
    assert!((4999.0..=5002.0).contains(&worst), "{tl:?}");

    // timeline.csv: the new columns, adding up to the same counts.
    let csv = std::fs::read_to_string(o.dir.join("timeline.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (joined, level_col) = (col("joined"), col("service_level"));
    assert!(header.ends_with(&[
        "joined",
        "joined_within_target",
        "abandoned",
        "service_level",
        "queue_wait_max_ms"
    ]));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let csv_joined: u64 = rows.iter().map(|r| r[joined].parse::<u64>().unwrap()).sum();
    assert_eq!(csv_joined, sl.joined);
    assert!(rows.iter().any(|r| r[level_col] == "1.0"), "{csv}");
    assert!(rows.iter().any(|r| r[level_col].is_empty()), "{csv}");

    // The HTML draws the level over time with the run's level and the threshold's goal.
    let html = std::fs::read_to_string(o.dir.join("report.html")).unwrap();
    let chart = html
        .split(r#"data-chart="service-level-over-time""#)
        .nth(1)
        .expect("the service-level-over-time chart")
        .split("</figure>")
        .next()
        .unwrap();
    assert!(chart.contains(r#"class="series s0""#), "{chart}");
    assert!(chart.contains("goal 80 % (threshold)"), "{chart}");
    assert!(chart.contains(r#"<line class="ref ref-near""#), "{chart}");

    // The text summary names the lowest window, well below the run's level.
    let mut text = Vec::new();
    chatload::report::text::write_text(&o.summary, &mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("  LEVEL FELL: lowest 0 % in "), "{text}");

    // A run rebuilt from its streamed files (events.jsonl) has the same timeline counts.
    std::fs::remove_file(o.dir.join("summary.json")).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_chatload"))
        .arg("report")
        .arg(&o.dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let rebuilt: chatload::report::Summary = crate::common::read_summary(&o.dir);
    let pairs = |s: &[TimelinePoint]| -> Vec<(u64, u64, u64, u64)> {
        s.iter()
            .map(|p| (p.t_s, p.joined, p.joined_within_target, p.abandoned))
            .collect()
    };
    assert_eq!(pairs(&rebuilt.timeline), pairs(tl));
}
