//! Keep-alive against a server that closes idle connections without saying so
//! (the reference server's header-read timeout, as a balancer's idle timeout
//! would): the client's counts equal the server's with no `reset` at all. A
//! pooled connection found closed before the request is written is retried on a
//! new one by the pool (hyper-util), unseen by both counts; `pool_idle_timeout`
//! below the server's keeps requests off connections the server is closing. A
//! request hyper reports unsent on a new connection is sent again by chatload
//! and counted as `stale_connection` (forced in `src/engine/client/stale_tests.rs`).
//! (On loopback the run also passes with a 10 s pool idle timeout: the race
//! left after the pool's own check is too narrow to show here.)

use chatload::build_config;
use chatload::run_scenario;
use chatload::ScenarioFile;

/// Polls every 300 ms ± 60 ms against a server that closes a connection idle for
/// 300 ms: the reuse of an idle connection and the server's close race on
/// nearly every poll unless the pool gives idle connections up first.
fn scenario(pool_idle: &str) -> String {
    format!(
        r#"name = "keepalive"
seed = 11
pool_idle_timeout = "{pool_idle}"
request_timeout = "2s"
drain_timeout = "2s"
[load]
sessions = 30
ramp_up = "300ms"
duration = "3s"
[customer]
poll_interval = "300ms"
jitter = {{ distribution = "uniform", amount = "60ms" }}
messages = 0
end = "wait-for-agent"
[server]
header_read_timeout = "300ms"
[server.agent]
enabled = false
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_closes_idle_connections_loses_no_request() {
    let dir = tempfile::tempdir().unwrap();
    let file = ScenarioFile::parse("keepalive.toml", scenario("100ms")).unwrap();
    let args = chatload::cli::RunArgs {
        out: Some(dir.path().join("out")),
        quiet: true,
        ..Default::default()
    };
    let cfg = build_config(&args, Some(&file)).unwrap();
    let o = run_scenario(cfg, std::future::pending()).await.unwrap();
    let server = o.server.as_ref().expect("embedded server").stats();
    let t = &o.summary.transport_errors;
    assert!(t.values().all(|n| *n == 0), "{t:?}");
    assert!(
        o.summary.requests.by_operation["poll"] > 100,
        "{:?}",
        o.summary.requests
    );
    assert_eq!(
        o.summary.requests.total,
        server.requests.values().sum::<u64>(),
        "client {:?} server {:?}",
        o.summary.requests.by_operation,
        server.requests
    );
}

#[test]
fn pool_idle_timeout_is_checked() {
    let text = "name = \"x\"\npool_idle_timeout = \"0s\"\n";
    let file = ScenarioFile::parse("p.toml", text.into()).unwrap();
    let e = build_config(&Default::default(), Some(&file))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("pool_idle_timeout: must be greater than zero"),
        "{e}"
    );
}
