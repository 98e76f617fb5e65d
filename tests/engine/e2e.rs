//! Whole runs of the engine against the embedded reference server.

use chatload::build_config;
use chatload::server::Stats;
use chatload::Exit;
use chatload::ScenarioFile;
use chatload::{run_scenario, RunOutcome};
use std::time::Duration;

pub(super) async fn run_text(text: &str) -> (RunOutcome, tempfile::TempDir) {
    run_until(text, std::future::pending()).await
}

async fn run_until(
    text: &str,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> (RunOutcome, tempfile::TempDir) {
    run_with(text, chatload::cli::RunArgs::default(), shutdown).await
}

/// Run scenario `text` with these flags (`out` and `quiet` are set here).
pub(super) async fn run_with(
    text: &str,
    args: chatload::cli::RunArgs,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> (RunOutcome, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let file = ScenarioFile::parse("e2e.toml", text.to_string()).unwrap();
    let args = chatload::cli::RunArgs {
        out: Some(dir.path().join("out")),
        quiet: true,
        ..args
    };
    let cfg = build_config(&args, Some(&file)).unwrap();
    let outcome = run_scenario(cfg, shutdown).await.unwrap();
    (outcome, dir)
}

pub(super) fn stats(o: &RunOutcome) -> Stats {
    o.server.as_ref().expect("embedded server").stats()
}

/// Per-route request counts of the server equal the client's per operation, exactly.
pub(crate) fn assert_counts_match(o: &RunOutcome, dialect: &str) {
    let server = stats(o);
    let client = &o.summary.requests.by_operation;
    for (route, n) in &server.requests {
        let Some(op) = route.strip_prefix(&format!("{dialect}/")) else {
            continue;
        };
        assert_eq!(
            client.get(op).copied().unwrap_or(0),
            *n,
            "{route}: client {client:?} server {:?}",
            server.requests
        );
    }
    for (op, n) in client {
        if *n > 0 {
            assert_eq!(
                server.requests.get(&format!("{dialect}/{op}")),
                Some(n),
                "{op}"
            );
        }
    }
    assert_eq!(
        o.summary.requests.total,
        server.requests.values().sum::<u64>()
    );
}

/// No secureKey the server issued appears in any report file.
fn assert_no_secrets(o: &RunOutcome) {
    let keys = o.server.as_ref().unwrap().issued_secure_keys();
    assert!(!keys.is_empty());
    let mut files = 0;
    for entry in std::fs::read_dir(&o.dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
        files += 1;
        for k in &keys {
            assert!(
                !text.contains(k.as_str()),
                "a secureKey leaked into a report"
            );
        }
    }
    assert!(files >= 2, "reports written");
}

const BASE: &str = r#"
seed = 3
flex_disconnect_timeout = "3s"
request_timeout = "5s"
drain_timeout = "3s"
[load]
sessions = 12
ramp_up = "500ms"
duration = "4s"
[customer]
poll_interval = "300ms"
messages = 2
think_time = "400ms"
typing = true
typing_time = "200ms"
end = "after-messages"
linger = "300ms"
[retry]
max_consecutive = 4
backoff = "50ms"
backoff_max = "200ms"
[server]
flex_disconnect_timeout = "3s"
[server.agent]
join_after = "100ms"
reply_after = "100ms"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gms_counts_match_the_server_and_no_secret_leaks() {
    let (o, _dir) = run_text(&format!("name = \"gms\"\ndialect = \"gms-v2\"\n{BASE}")).await;
    assert_eq!(
        crate::common::exit_but_verdict(&o.summary),
        Exit::Success,
        "{:?}",
        o.reasons
    );
    assert_eq!(
        o.summary.run.end,
        chatload::report::vocab::RunEnd::Completed
    );
    assert_counts_match(&o, "gms-v2");
    let s = stats(&o);
    assert_eq!(s.chats.live, 0, "every chat ended: {:?}", s.chats);
    assert!(s.chats.created >= 12);
    assert_eq!(o.summary.sessions.started, s.chats.created);
    assert_eq!(o.summary.sessions.flagged, 0);
    assert_eq!(
        o.summary.violations.values().sum::<u64>(),
        0,
        "{:?}",
        o.summary.violations
    );
    assert!(
        o.summary
            .requests
            .by_operation
            .get("send")
            .copied()
            .unwrap_or(0)
            >= 24
    );
    assert_no_secrets(&o);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webapi_counts_match_the_server() {
    let (o, _dir) = run_text(&format!("name = \"w\"\ndialect = \"webapi\"\n{BASE}")).await;
    assert_eq!(
        crate::common::exit_but_verdict(&o.summary),
        Exit::Success,
        "{:?}",
        o.reasons
    );
    assert_counts_match(&o, "webapi");
    assert_eq!(stats(&o).chats.live, 0);
    assert_no_secrets(&o);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_fault_lands_in_its_bucket_with_the_injected_count() {
    let text = format!(
        r#"name = "faults"
{}
[[server.faults]]
kind = "status1"
operation = "poll"
every = 7
[[server.faults]]
kind = "status1_chat_ended"
operation = "poll"
every = 11
[[server.faults]]
kind = "http_5xx"
operation = "poll"
every = 13
[[server.faults]]
kind = "drop"
operation = "poll"
every = 17
[[server.faults]]
kind = "alias_rotation"
operation = "poll"
every = 5
[[server.faults]]
kind = "transcript_hole"
operation = "poll"
every = 9
"#,
        BASE.replace("messages = 2", "messages = 0")
            .replace("after-messages", "wait-for-agent")
    );
    let (o, _dir) = run_text(&text).await;
    let s = stats(&o);
    assert_counts_match(&o, "gms-v2");
    let fault = |k: &str| s.faults.get(k).copied().unwrap_or(0);
    for k in [
        "status1",
        "status1_chat_ended",
        "http_5xx",
        "drop",
        "alias_rotation",
        "transcript_hole",
    ] {
        assert!(fault(k) > 0, "{k} injected: {:?}", s.faults);
    }
    let sum = &o.summary;
    let poll_outcome = |code: Option<u8>, ended: Option<bool>| {
        sum.outcomes
            .iter()
            .filter(|c| c.operation == "poll" && c.status_code == code && c.chat_ended == ended)
            .map(|c| c.count)
            .sum::<u64>()
    };
    assert_eq!(poll_outcome(Some(1), Some(false)), fault("status1"));
    assert_eq!(
        poll_outcome(Some(1), Some(true)),
        fault("status1_chat_ended")
    );
    assert_eq!(
        sum.violations["status1_chat_ended"],
        fault("status1_chat_ended")
    );
    assert_eq!(
        sum.transport_errors
            .get("http_status")
            .copied()
            .unwrap_or(0),
        fault("http_5xx")
    );
    let poll_502: u64 = sum
        .outcomes
        .iter()
        .filter(|c| c.operation == "poll" && c.http_status == 502 && c.status_code.is_none())
        .map(|c| c.count)
        .sum();
    assert_eq!(poll_502, fault("http_5xx"), "502s keep their HTTP status");
    assert_eq!(
        sum.transport_errors.get("reset").copied().unwrap_or(0),
        fault("drop")
    );
    assert_eq!(sum.violations["transcript_hole"], fault("transcript_hole"));
    // Alias rotation survived: no statusCode 2 anywhere, every chat disconnected by the client.
    let rows = std::fs::read_to_string(o.dir.join("sessions.csv")).unwrap();
    assert_eq!(
        poll_outcome(Some(2), Some(true)) + poll_outcome(Some(2), Some(false)),
        0,
        "{:?} {rows}",
        sum.outcomes
    );
    // Sessions that gave up after consecutive failures abandon their chat (as the widget
    // does); only those chats are left to expire. Every other chat was disconnected.
    let gave_up = rows
        .lines()
        .filter(|l| l.contains(",retries_exhausted,"))
        .count() as u64;
    assert_eq!(
        s.chats.live + s.chats.expired,
        gave_up,
        "{:?} {rows}",
        s.chats
    );
    assert_eq!(
        s.chats.ended_by_client + gave_up,
        s.chats.created,
        "{:?}",
        s.chats
    );
    assert_no_secrets(&o);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delay_longer_than_flex_flags_the_session_as_slow_response() {
    // Four sessions without restart; every 4th poll is answered 2.5 s late (flex 2 s).
    // Each delay stalls one chat: the next poll leaves 2.5 s after the last good one,
    // the server has expired the chat, the session ends. All four are over long
    // before the run ends, so the counts are exact.
    let text = r#"
name = "stall"
flex_disconnect_timeout = "2s"
request_timeout = "5s"
[load]
sessions = 4
duration = "9s"
restart = false
[customer]
poll_interval = "200ms"
messages = 0
end = "wait-for-agent"
[server]
flex_disconnect_timeout = "2s"
[[server.faults]]
kind = "delay"
operation = "poll"
every = 4
delay = "2500ms"
"#;
    let (o, _dir) = run_text(text).await;
    let s = stats(&o);
    let delays = s.faults.get("delay").copied().unwrap_or(0);
    assert!(delays > 0);
    assert_counts_match(&o, "gms-v2");
    let rows = std::fs::read_to_string(o.dir.join("sessions.csv")).unwrap();
    let slow = rows
        .lines()
        .filter(|l| l.contains(",slow_response,expired"))
        .count() as u64;
    // Every chat the server expired (a stall) is one flagged session, cause slow_response.
    // (The delay counter can be one higher: a delay may also hit the late 2/249 poll.)
    assert_eq!(s.chats.expired, 4, "one stall per session: {rows}");
    assert_eq!(o.summary.sessions.flagged, s.chats.expired, "{rows}");
    assert_eq!(slow, s.chats.expired, "{rows}");
    assert_eq!(
        o.summary.gaps.flagged_by_cause["slow_response"],
        s.chats.expired
    );
    assert!(delays >= s.chats.expired);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_disconnects_every_chat_and_exits_untrusted() {
    let text = BASE
        .replace("duration = \"4s\"", "duration = \"60s\"")
        .replace("after-messages", "wait-for-agent");
    let (o, _dir) = run_until(&format!("name = \"int\"\n{text}"), async {
        tokio::time::sleep(Duration::from_millis(1500)).await;
    })
    .await;
    assert_eq!(o.exit, Exit::Untrusted);
    assert_eq!(
        o.summary.run.end,
        chatload::report::vocab::RunEnd::Interrupted
    );
    let s = stats(&o);
    assert_eq!(s.chats.live, 0, "{:?}", s.chats);
    assert_eq!(s.chats.ended_by_client, s.chats.created);
    assert!(o.summary.run.elapsed_s < 10.0);
    assert_counts_match(&o, "gms-v2");
    assert!(o.dir.join("summary.json").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_target_is_untrusted() {
    let text = r#"
name = "down"
target = "http://127.0.0.1:1"
request_timeout = "1s"
[load]
sessions = 2
duration = "1s"
[retry]
max_consecutive = 2
backoff = "50ms"
"#;
    let (o, _dir) = run_text(text).await;
    assert_eq!(o.exit, Exit::Untrusted);
    assert!(
        o.reasons.iter().any(|r| r.contains("unreachable")),
        "{:?}",
        o.reasons
    );
    assert!(
        o.summary
            .transport_errors
            .get("connect")
            .copied()
            .unwrap_or(0)
            >= 2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stages_ramp_up_then_down_and_ramped_down_sessions_disconnect() {
    let text = r#"
name = "stages"
flex_disconnect_timeout = "3s"
[[load.stages]]
sessions = 6
ramp = "300ms"
hold = "1200ms"
[[load.stages]]
sessions = 2
hold = "1500ms"
[customer]
poll_interval = "200ms"
messages = 0
end = "wait-for-agent"
"#;
    let (o, _dir) = run_text(text).await;
    assert_eq!(
        crate::common::exit_but_verdict(&o.summary),
        Exit::Success,
        "{:?}",
        o.reasons
    );
    assert_counts_match(&o, "gms-v2");
    let s = stats(&o);
    assert_eq!(s.chats.live, 0);
    assert_eq!(s.chats.created, 6, "no restarts needed: {:?}", s.chats);
    assert_eq!(o.summary.sessions.peak_active, 6);
    let rows = std::fs::read_to_string(o.dir.join("sessions.csv")).unwrap();
    // Four slots above the second stage's level end at their next poll; two run to the end.
    assert_eq!(
        rows.lines()
            .filter(|l| l.contains(",client_disconnect,"))
            .count(),
        4,
        "{rows}"
    );
    assert_eq!(
        rows.lines().filter(|l| l.contains(",run_ended,")).count(),
        2,
        "{rows}"
    );
    assert_eq!(s.chats.ended_by_client, 6);
}

const SHORT: &str = r#"
flex_disconnect_timeout = "3s"
[load]
sessions = 3
duration = "3s"
[customer]
poll_interval = "200ms"
messages = 0
end = "wait-for-agent"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thresholds_are_evaluated_and_a_failure_exits_1() {
    let text = format!(
        "name = \"gate\"\n{SHORT}[thresholds]\nchecks = [\"sessions.started >= 3\", \"requests.total < 1\"]\n"
    );
    let (o, _dir) = run_text(&text).await;
    assert_eq!(
        crate::common::exit_but_verdict(&o.summary),
        Exit::GateFailed,
        "{:?}",
        o.reasons
    );
    let t = &o.summary.thresholds;
    assert_eq!(t.len(), 2);
    assert!(t[0].passed && !t[1].passed, "{t:?}");
    assert_eq!(t[1].observed, Some(o.summary.requests.total as f64));
    assert!(!o.summary.aborted_by_threshold);
    let json = std::fs::read_to_string(o.dir.join("summary.json")).unwrap();
    assert!(json.contains("requests.total < 1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_on_fail_stops_the_run_after_the_grace_period() {
    let text = format!(
        "name = \"abort\"\n{}[thresholds]\nchecks = [\"requests.total < 1\"]\nabort_on_fail = true\ngrace = \"1s\"\n",
        SHORT.replace("duration = \"3s\"", "duration = \"60s\"")
    );
    let (o, _dir) = run_text(&text).await;
    assert_eq!(
        crate::common::exit_but_verdict(&o.summary),
        Exit::GateFailed,
        "{:?}",
        o.reasons
    );
    assert!(o.summary.aborted_by_threshold);
    assert_eq!(o.summary.run.end, chatload::report::vocab::RunEnd::Aborted);
    assert!(
        o.summary.run.elapsed_s < 10.0,
        "{}",
        o.summary.run.elapsed_s
    );
    assert_eq!(stats(&o).chats.live, 0);
}
