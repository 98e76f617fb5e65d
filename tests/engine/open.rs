//! The open model end to end (paused time, embedded server): arrivals as the
//! seeded plan says, drops exactly at the concurrency cap, the Little's law
//! block, and the server's counters equal to the client's.

use super::e2e::{assert_counts_match, run_text, run_with, stats};
use chatload::Arrivals;
use chatload::{ArrivalProcess, LoadMode, LoadPlan, Stage};
use std::time::Duration;

const BASE: &str = r#"
seed = 11
flex_disconnect_timeout = "5s"
drain_timeout = "3s"
[customer]
poll_interval = "1s"
messages = 0
"#;

fn scenario(load: &str, chat: &str) -> String {
    format!("{BASE}session_duration = \"{chat}\"\n[load]\n{load}\n")
}

#[tokio::test(start_paused = true)]
async fn uniform_arrivals_below_the_cap_all_start_and_match_the_server() {
    let text = scenario(
        "arrival_rate = \"10/s\"\narrival = \"uniform\"\nsessions = 100\nduration = \"3s\"",
        "1s",
    );
    let (o, _dir) = run_text(&text).await;
    let s = &o.summary;
    assert_eq!(s.sessions.arrivals_planned, Some(30));
    assert_eq!(s.sessions.dropped, Some(0));
    assert_eq!(s.sessions.started, 30);
    assert_eq!(stats(&o).chats.created, 30);
    assert_counts_match(&o, "gms-v2");
    let m = s.open_model.as_ref().expect("open model block");
    assert_eq!(m.offered_rate_per_s, 10.0);
    // 1 s chats (plus the request/disconnect round trips at paused time): L = λW = 10.
    assert!((m.mean_chat_length_s - 1.0).abs() < 0.1, "{m:?}");
    assert!((m.expected_concurrency - 10.0).abs() < 1.0, "{m:?}");
    assert!(m.measured_concurrency > 5.0, "{m:?}");
    assert!(m.arrival_lateness_ms.p99 < 5.0, "{m:?}");
}

#[tokio::test(start_paused = true)]
async fn arrivals_are_dropped_exactly_when_the_cap_is_full() {
    // Chats outlast the run: the first 5 arrivals take the cap, every later one is dropped.
    let text = scenario(
        "arrival_rate = \"10/s\"\narrival = \"uniform\"\nsessions = 5\nduration = \"3s\"",
        "1m",
    );
    let (o, _dir) = run_text(&text).await;
    let s = &o.summary;
    assert_eq!(s.sessions.arrivals_planned, Some(30));
    assert_eq!(s.sessions.started, 5);
    assert_eq!(s.sessions.dropped, Some(25));
    assert_eq!(s.sessions.peak_active, 5);
    assert_eq!(stats(&o).chats.created, 5);
    // The timeline places the drops: none in the first half second, all 25 in total.
    let dropped: u64 = s.timeline.iter().map(|p| p.dropped).sum();
    assert_eq!(dropped, 25, "{:?}", s.timeline);
    // The first point closes at 1 s, after the arrival due at 1 s: arrivals 6..11.
    assert_eq!(s.timeline[0].dropped, 6, "{:?}", s.timeline);
    assert_eq!(s.open_model.as_ref().unwrap().drop_rate, 0.833333);
    assert_counts_match(&o, "gms-v2");
    let json = std::fs::read_to_string(o.dir.join("summary.json")).unwrap();
    assert!(json.contains("\"dropped\": 25"), "{json}");
    // The open model's additions are in the committed schema.
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(v["open_model"].is_object() && v["timeline"][0]["dropped"] == 6);
    let errors = super::schema_check::validate(&super::schema_check::load(), &v);
    assert!(errors.is_empty(), "{errors:#?}");
    // The text summary says so.
    let mut text = Vec::new();
    chatload::report::text::write_text(s, &mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("DROPPED 25 arrivals (83.33 %)"), "{text}");
    assert!(
        text.contains("open model: offered 10.000 chats/s (36000/h)"),
        "{text}"
    );
    let html = std::fs::read_to_string(o.dir.join("report.html")).unwrap();
    assert!(
        html.contains(r#"data-table="open-model""#),
        "html lacks the Little's law table"
    );
}

#[tokio::test(start_paused = true)]
async fn a_poisson_run_plans_the_seeded_arrivals_and_a_gate_sees_the_drops() {
    let text = scenario(
        "arrival_rate = \"120/m\"\nsessions = 3\nduration = \"10s\"",
        "exp:500ms",
    )
    .replace(
        "[load]",
        "[thresholds]\nchecks = [\"sessions.dropped == 0\"]\n[load]",
    );
    let (o, _dir) = run_text(&text).await;
    let plan = LoadPlan {
        mode: LoadMode::Open {
            arrival: ArrivalProcess::Poisson,
            cap: 3,
        },
        stages: vec![Stage {
            target_sessions: 0,
            arrival_rate: 2.0,
            ramp: Duration::ZERO,
            hold: Duration::from_secs(10),
        }],
        restart: true,
    };
    let want = Arrivals::new(&plan, ArrivalProcess::Poisson, 11).count() as u64;
    let s = &o.summary;
    assert_eq!(s.sessions.arrivals_planned, Some(want));
    assert_eq!(want, 19, "pinned for seed 11");
    let dropped = s.sessions.dropped.unwrap();
    assert_eq!(s.sessions.started + dropped, want);
    assert_eq!(stats(&o).chats.created, s.sessions.started);
    let gate = &s.thresholds[0];
    assert_eq!(gate.passed, dropped == 0, "{gate:?}");
}

/// The open model split over shards (issue 12): every shard follows the whole plan's seeded
/// arrival schedule and keeps arrival k when k % N == I - 1, so three shards together start
/// exactly the arrivals of one run of the whole plan, split as evenly as a count can be,
/// and each shard's concurrency cap is its part of the plan's.
#[tokio::test(start_paused = true)]
async fn three_open_shards_start_exactly_the_whole_plans_arrivals() {
    let text = scenario(
        "arrival_rate = \"7/s\"\narrival = \"poisson\"\nsessions = 100\nduration = \"4s\"",
        "1s",
    );
    let (whole, _d) = run_text(&text).await;
    let planned = whole.summary.sessions.arrivals_planned.unwrap();
    assert!(planned > 10, "{planned}");
    let mut counts = Vec::new();
    for i in 1..=3 {
        let args = chatload::cli::RunArgs {
            shard: Some(format!("{i}/3")),
            ..Default::default()
        };
        let (o, _d) = run_with(&text, args, std::future::pending()).await;
        let s = &o.summary;
        assert_eq!(s.sessions.arrivals_planned, Some(s.sessions.started));
        assert_eq!(stats(&o).chats.created, s.sessions.started);
        assert_eq!(s.scenario.sessions, [34, 33, 33][i - 1], "cap split");
        counts.push(s.sessions.started);
    }
    assert_eq!(counts.iter().sum::<u64>(), planned, "{counts:?}");
    let (lo, hi) = (planned / 3, planned.div_ceil(3));
    assert!(counts.iter().all(|c| (lo..=hi).contains(c)), "{counts:?}");
    // The remainder goes to the first shards.
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
}
