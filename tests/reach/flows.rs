//! Whole runs through TLS, HTTP/2, a proxy, a sticky balancer and a customers file.

use crate::net::{self, Running};
use crate::pki;
use chatload::cli::RunArgs;
use chatload::ScenarioFile;
use chatload::{run_scenario, RunOutcome};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn scenario(target: &str, extra: &str) -> String {
    format!(
        r#"target = "{target}"
seed = 7
{extra}
[load]
sessions = 4
duration = "2s"
[customer]
poll_interval = "250ms"
messages = 1
think_time = "200ms"
typing = false
linger = "200ms"
[retry]
max_consecutive = 2
backoff = "50ms"
"#
    )
}

async fn run_with(text: &str, mut args: RunArgs) -> (RunOutcome, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let file = ScenarioFile::parse("reach.toml", text.to_string()).unwrap();
    args.out = Some(dir.path().join("out"));
    args.quiet = true;
    let cfg = chatload::build_config(&args, Some(&file)).unwrap();
    let outcome = run_scenario(cfg, std::future::pending()).await.unwrap();
    (outcome, dir)
}

fn cacert(pki: &pki::Pki) -> RunArgs {
    let mut a = RunArgs::default();
    a.target.cacert = Some(pki.ca.clone());
    a
}

/// The client's per-operation counts equal the servers' summed per-route counts.
fn assert_counts_match(o: &RunOutcome, servers: &[&Running]) {
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    for s in servers {
        for (route, n) in s.server.stats().requests {
            *seen.entry(route).or_default() += n;
        }
    }
    let client: BTreeMap<String, u64> = o
        .summary
        .requests
        .by_operation
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(op, n)| (format!("gms-v2/{op}"), *n))
        .collect();
    seen.retain(|_, n| *n > 0);
    assert_eq!(client, seen);
    assert!(o.summary.requests.total > 0);
}

fn clean(o: &RunOutcome) {
    let s = &o.summary;
    assert_eq!(s.requests.errors, 0, "{:?}", s.transport_errors);
    assert_eq!(s.sessions.failed, 0);
    assert!(s.sessions.started >= 4);
}

fn all_tls(o: &RunOutcome, reason: &str) {
    let s = &o.summary;
    assert!(s.requests.total > 0);
    assert_eq!(
        s.transport_errors["tls"], s.requests.total,
        "{:?}",
        s.transport_errors
    );
    assert_eq!(s.transport_errors["connect"], 0);
    let samples = &s.transport_error_samples["tls"];
    assert!(samples.iter().any(|r| r.contains(reason)), "{samples:?}");
    let json = std::fs::read_to_string(o.dir.join("summary.json")).unwrap();
    assert!(json.contains(reason));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_a_private_ca_is_verified_and_counts_match() {
    let pki = pki::make();
    let srv = net::tls_server(&pki.server_cert, &pki.server_key, None).await;
    let target = format!("https://127.0.0.1:{}", srv.addr.port());
    let (o, _d) = run_with(&scenario(&target, ""), cacert(&pki)).await;
    clean(&o);
    assert_counts_match(&o, &[&srv]);
    let r = &o.summary.scenario.reach;
    let tls = r.tls.as_ref().unwrap();
    assert!(!tls.insecure);
    assert_eq!(tls.ca_file.as_deref(), pki.ca.to_str());
    assert_eq!(r.http.versions, ["HTTP/1.1"]);
    assert!(!r.http.http2_offered);
    assert!(r.cookies);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_failures_are_their_own_kind_with_the_reason() {
    let pki = pki::make();
    // (certificate served, trust the CA?, reason expected)
    let cases = [
        (&pki.server_cert, false, "UnknownIssuer"),
        (&pki.wrong_name_cert, true, "not valid for name"),
        (&pki.expired_cert, true, "expired"),
    ];
    for (cert, trust, reason) in cases {
        let srv = net::tls_server(cert, &pki.server_key, None).await;
        let target = format!("https://127.0.0.1:{}", srv.addr.port());
        let args = if trust {
            cacert(&pki)
        } else {
            RunArgs::default()
        };
        let (o, _d) = run_with(&scenario(&target, ""), args).await;
        all_tls(&o, reason);
        assert_eq!(srv.server.stats().requests.values().sum::<u64>(), 0);
        assert_eq!(o.exit, chatload::Exit::Untrusted, "{reason}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_name_checks_the_certificate_against_that_name() {
    let pki = pki::make();
    let srv = net::tls_server(&pki.wrong_name_cert, &pki.server_key, None).await;
    let target = format!("https://127.0.0.1:{}", srv.addr.port());
    let extra = "[tls]\nserver_name = \"other.chatload.test\"\n";
    let (o, _d) = run_with(&scenario(&target, extra), cacert(&pki)).await;
    clean(&o);
    assert_counts_match(&o, &[&srv]);
    let tls = o.summary.scenario.reach.tls.clone().unwrap();
    assert_eq!(tls.server_name.as_deref(), Some("other.chatload.test"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insecure_runs_unverified_and_says_so_everywhere() {
    let pki = pki::make();
    let srv = net::tls_server(&pki.server_cert, &pki.server_key, None).await;
    let target = format!("https://127.0.0.1:{}", srv.addr.port());
    let mut args = RunArgs::default();
    args.target.insecure = true;
    let file = ScenarioFile::parse("r.toml", scenario(&target, "")).unwrap();
    let cfg = chatload::build_config(&args, Some(&file)).unwrap();
    assert!(
        cfg.warnings.iter().any(|w| w.contains("NOT verified")),
        "{:?}",
        cfg.warnings
    );
    let (o, _d) = run_with(&scenario(&target, ""), args).await;
    clean(&o);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(o.dir.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(json["scenario"]["tls"]["insecure"], true);
    let html = std::fs::read_to_string(o.dir.join("report.html")).unwrap();
    assert!(html.contains("data-insecure=\"true\""));
    assert!(html.contains("TLS NOT VERIFIED"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_needs_the_client_certificate() {
    let pki = pki::make();
    let srv = net::tls_server(&pki.server_cert, &pki.server_key, Some(&pki.client_ca)).await;
    let target = format!("https://127.0.0.1:{}", srv.addr.port());
    let (o, _d) = run_with(&scenario(&target, ""), cacert(&pki)).await;
    // TLS 1.3: the server refuses a missing certificate after the client's side of
    // the handshake is done, so the alert may race the request: a closed
    // connection (`reset`) is possible, a `connect` never is.
    let s = &o.summary;
    assert_eq!(s.requests.errors, s.requests.total);
    assert!(
        s.transport_errors["tls"] * 2 > s.requests.total,
        "{:?}",
        s.transport_errors
    );
    assert_eq!(s.transport_errors["connect"], 0);
    let samples = &s.transport_error_samples["tls"];
    assert!(samples.iter().any(|r| r.contains("alert")), "{samples:?}");
    let mut args = cacert(&pki);
    args.target.client_cert = Some(pki.client_cert.clone());
    args.target.client_key = Some(pki.client_key.clone());
    let (o, _d) = run_with(&scenario(&target, ""), args).await;
    clean(&o);
    assert_counts_match(&o, &[&srv]);
    let tls = o.summary.scenario.reach.tls.clone().unwrap();
    assert_eq!(tls.client_cert.as_deref(), pki.client_cert.to_str());
    let json = std::fs::read_to_string(o.dir.join("summary.json")).unwrap();
    let key = std::fs::read_to_string(&pki.client_key).unwrap();
    let body = key.lines().nth(1).unwrap();
    assert!(!json.contains(body), "the key never reaches a report");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_is_negotiated_when_asked_and_recorded() {
    let pki = pki::make();
    let srv = net::tls_server(&pki.server_cert, &pki.server_key, None).await;
    let target = format!("https://localhost:{}", srv.addr.port());
    let mut args = cacert(&pki);
    args.target.http2 = true;
    let (o, _d) = run_with(&scenario(&target, ""), args).await;
    clean(&o);
    assert_counts_match(&o, &[&srv]);
    let http = &o.summary.scenario.reach.http;
    assert!(http.http2_offered);
    assert_eq!(http.versions, ["HTTP/2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_explicit_proxy_carries_every_request() {
    let pki = pki::make();
    let srv = net::tls_server(&pki.server_cert, &pki.server_key, None).await;
    let proxy = net::connect_proxy(srv.addr).await;
    // Nothing listens on the target port: only the proxy (which tunnels to the
    // server) can answer, so a request that bypassed it would fail to connect.
    let target = format!("https://127.0.0.1:{}", net::dead_port().await);
    let extra = format!("proxy = \"http://{}\"\n", proxy.addr);
    let (o, _d) = run_with(&scenario(&target, &extra), cacert(&pki)).await;
    clean(&o);
    assert_counts_match(&o, &[&srv]);
    assert!(proxy.tunnels() >= 1);
    assert_eq!(
        o.summary.scenario.reach.proxy.as_deref(),
        Some(format!("http://{}", proxy.addr).as_str())
    );
}

/// `chatload run` (the binary, with `env`) against `target`; its summary.json, checked error-free.
async fn run_bin(
    target: &str,
    pki: &pki::Pki,
    out: &std::path::Path,
    env: &[(&str, &str)],
    extra: &[&str],
) -> serde_json::Value {
    let o = tokio::process::Command::new(env!("CARGO_BIN_EXE_chatload"))
        .args(["run", "--target", target, "-n", "2", "-d", "1s"])
        .args(["--poll-interval", "200ms", "--messages", "0", "--quiet"])
        .arg("--cacert")
        .arg(&pki.ca)
        .arg("--out")
        .arg(out)
        .args(extra)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .envs(env.iter().copied())
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_ne!(o.status.code(), Some(2), "{err}");
    let text = std::fs::read_to_string(out.join("summary.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["requests"]["errors"], 0, "{err}");
    assert!(json["requests"]["total"].as_u64().unwrap() > 0);
    json
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_none_and_the_environment_never_proxy_loopback() {
    let pki = pki::make();
    let srv = net::tls_server(&pki.server_cert, &pki.server_key, None).await;
    let proxy = net::connect_proxy(srv.addr).await;
    let target = format!("https://127.0.0.1:{}", srv.addr.port());
    let out = tempfile::tempdir().unwrap();
    let p = format!("http://{}", proxy.addr);
    // HTTPS_PROXY set, loopback target: not proxied.
    let env = [("HTTPS_PROXY", p.as_str())];
    let json = run_bin(&target, &pki, &out.path().join("1"), &env, &[]).await;
    assert_eq!(proxy.tunnels(), 0);
    assert!(json["scenario"].get("proxy").is_none());
    // An explicit proxy with NO_PROXY matching the target: not proxied either.
    let env = [("NO_PROXY", "127.0.0.1")];
    run_bin(&target, &pki, &out.path().join("2"), &env, &["--proxy", &p]).await;
    assert_eq!(proxy.tunnels(), 0);
    // `proxy = "none"` wins over the environment.
    let env = [("HTTPS_PROXY", p.as_str())];
    run_bin(
        &target,
        &pki,
        &out.path().join("3"),
        &env,
        &["--proxy", "none"],
    )
    .await;
    assert_eq!(proxy.tunnels(), 0);
    // The same explicit proxy without NO_PROXY: through it.
    let json = run_bin(&target, &pki, &out.path().join("4"), &[], &["--proxy", &p]).await;
    assert!(proxy.tunnels() >= 1);
    assert_eq!(json["scenario"]["proxy"], p.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sticky_balancer_needs_cookies() {
    let front = net::sticky_front().await;
    let target = format!("http://127.0.0.1:{}", front.addr.port());
    let (o, _d) = run_with(&scenario(&target, ""), RunArgs::default()).await;
    clean(&o);
    assert_counts_match(&o, &[&front.nodes[0], &front.nodes[1]]);
    let chats: u64 = front
        .nodes
        .iter()
        .map(|n| {
            n.server
                .stats()
                .requests
                .get("gms-v2/request_chat")
                .copied()
                .unwrap_or(0)
        })
        .filter(|n| *n > 0)
        .count() as u64;
    assert_eq!(chats, 2, "chats were spread over both nodes");
    let json = std::fs::read_to_string(o.dir.join("summary.json")).unwrap();
    assert!(
        !json.contains("CHATLOAD_NODE"),
        "cookies never reach a report"
    );

    let front = net::sticky_front().await;
    let target = format!("http://127.0.0.1:{}", front.addr.port());
    let (o, _d) = run_with(&scenario(&target, "cookies = false\n"), RunArgs::default()).await;
    assert!(o.summary.sessions.failed > 0, "{:?}", o.summary.sessions);
    assert!(!o.summary.scenario.reach.cookies);
    assert_counts_match(&o, &[&front.nodes[0], &front.nodes[1]]);
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// From the server's transcript of every chat in the run's sessions.csv: the customers'
/// message texts and the nicknames that joined.
fn customer_transcripts(o: &RunOutcome, srv: &Running) -> (Vec<String>, Vec<String>) {
    let csv = std::fs::read_to_string(o.dir.join("sessions.csv")).unwrap();
    let mut rows = csv.lines();
    let col = rows
        .next()
        .unwrap()
        .split(',')
        .position(|h| h == "chat_id")
        .unwrap();
    let (mut texts, mut names) = (Vec::new(), Vec::new());
    for row in rows {
        let chat = row.split(',').nth(col).unwrap();
        for e in srv.server.transcript(chat).unwrap() {
            if e.kind == "Message" && e.from.nickname != "Agent" {
                texts.extend(e.text.clone());
            }
            if e.kind == "ParticipantJoined" {
                names.push(e.from.nickname.clone());
            }
        }
    }
    (texts, names)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_come_from_the_file_with_their_messages() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write(
        tmp.path(),
        "customers.csv",
        "nickname,email,subject,userData.segment,message\nAnn,ann@example.com,billing,gold,Ann asks about billing\nBob,,,silver,Bob asks about roaming\nCid,,,,Cid says hello\n",
    );
    let srv = net::plain_server().await;
    let target = format!("http://127.0.0.1:{}", srv.addr.port());
    let mut args = RunArgs::default();
    args.reach.customers = Some(file.clone());
    let text = scenario(&target, "").replace("sessions = 4", "sessions = 3");
    let (o, _d) = run_with(&text, args).await;
    clean(&o);
    let info = o.summary.scenario.reach.customers.clone().unwrap();
    assert_eq!((info.rows, info.order.as_str()), (3, "sequential"));
    let (mut texts, mut names) = customer_transcripts(&o, &srv);
    texts.sort();
    names.sort();
    assert!(
        texts.contains(&"Ann asks about billing".to_string()),
        "{texts:?}"
    );
    assert!(
        texts.contains(&"Bob asks about roaming".to_string()),
        "{texts:?}"
    );
    assert!(names.contains(&"Cid".to_string()), "{names:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_messages_file_gives_each_session_its_own_text() {
    let tmp = tempfile::tempdir().unwrap();
    let lines = [
        "Where is my parcel?",
        "Can I change my plan?",
        "Why was I charged twice?",
        "How do I reset my password?",
    ];
    let file = write(tmp.path(), "messages.txt", &(lines.join("\n") + "\n\n"));
    let srv = net::plain_server().await;
    let target = format!("http://127.0.0.1:{}", srv.addr.port());
    let extra = format!("[customer.data]\nmessages = \"{}\"\n", file.display());
    let (o, _d) = run_with(&scenario(&target, &extra), RunArgs::default()).await;
    clean(&o);
    assert_counts_match(&o, &[&srv]);
    let (texts, _) = customer_transcripts(&o, &srv);
    // Sessions of one message each, in turn, take the next line: every line is
    // sent, and no other text (such as the default message_text).
    let distinct: std::collections::BTreeSet<&str> = texts.iter().map(String::as_str).collect();
    assert_eq!(distinct, lines.into_iter().collect(), "{texts:?}");
}
