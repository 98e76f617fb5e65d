//! The reference server keeps every rule, in both dialects; the measured
//! timeout brackets the configured one; the client's request count equals the
//! server's; the JSON matches the committed schema; no secret leaks.

use super::common::spawn_server;
use super::{args, run, server_config, with_verdict, FLEX};
use chatload::conformance::export;
use chatload::conformance::model::Verdict;
use chatload::protocol::Operation;
use chatload::server::{FaultKind, FaultRule, OperationSelector};

#[tokio::test]
async fn reference_server_passes_every_rule_in_both_dialects() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = server_config();
    // An alias change every third poll, so `identity.adopt` has something to check.
    config.faults.push(FaultRule {
        kind: FaultKind::AliasRotation,
        operation: OperationSelector::Only(Operation::Poll),
        every: Some(3),
        rate: None,
        delay: None,
    });
    let servers = [
        spawn_server(config.clone()).await,
        spawn_server(config).await,
    ];
    let gms = args(&servers[0].base_url(), "gms-v2", &dir.path().join("gms"));
    let web = args(&servers[1].base_url(), "webapi", &dir.path().join("webapi"));
    let (gms, web) = tokio::join!(run(&gms), run(&web));
    let runs = [
        gms.expect("gms-v2 suite runs"),
        web.expect("webapi suite runs"),
    ];
    for (report, server) in runs.iter().zip(&servers) {
        let not_pass: Vec<_> = report
            .rules
            .iter()
            .filter(|r| r.verdict != Verdict::Pass)
            .map(|r| format!("{} {:?}: {}", r.id, r.verdict, r.message))
            .collect();
        assert!(not_pass.is_empty(), "{}: {not_pass:#?}", report.dialect);
        let expected = if report.dialect == "webapi" { 20 } else { 19 };
        assert_eq!(report.rules.len(), expected);
        let f = &report.flex_disconnect_timeout;
        let (m, r) = (f.measured_ms.unwrap(), f.resolution_ms.unwrap());
        let configured = FLEX.as_millis() as u64;
        assert!(m.abs_diff(configured) <= r, "measured {m} ± {r}");
        assert!(r * 10 <= m + 1, "quick resolution is 10 %: {m} ± {r}");
        // Ground truth: every request the suite made reached the server, and no other.
        let client: u64 = report.operations.iter().map(|o| o.count).sum();
        let seen: u64 = server.server.stats().requests.values().sum();
        assert_eq!(client, seen, "{}", report.dialect);
        // The schema pins the file.
        let mut json = Vec::new();
        export::json::write_json(report, &mut json).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
        let schema = schema();
        assert_eq!(
            super::schema_check::validate(&schema, &value),
            Vec::<String>::new()
        );
        assert_eq!(
            super::schema_check::loose_objects(&schema),
            Vec::<String>::new()
        );
        assert_no_secret(&String::from_utf8(json).unwrap(), &server.server);
    }
    assert!(with_verdict(&runs[0], Verdict::Fail).is_empty());
}

pub fn schema() -> serde_json::Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schema/conformance.schema.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// No secureKey the server issued appears in `text`.
pub fn assert_no_secret(text: &str, server: &chatload::server::ReferenceServer) {
    let keys = server.issued_secure_keys();
    assert!(!keys.is_empty());
    for k in keys {
        assert!(!text.contains(&k), "secureKey {k} leaked");
    }
}

/// Without `--flex-disconnect-timeout`, a timeout other than 45 s is a `warn`
/// naming the measured value; a timeout beyond the cap is a `warn` too. Neither
/// is a failure.
#[tokio::test]
async fn an_unusual_or_unreachable_timeout_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let server = spawn_server(server_config()).await;
    let mut unusual = args(&server.base_url(), "gms-v2", &dir.path().join("a"));
    unusual.flex_disconnect_timeout = None;
    let mut beyond = args(&server.base_url(), "webapi", &dir.path().join("b"));
    beyond.flex_disconnect_timeout = None;
    beyond.flex_probe_cap = Some("1s".into());
    let (a, b) = tokio::join!(run(&unusual), run(&beyond));
    let (a, b) = (a.unwrap(), b.unwrap());
    let warned = |r: &chatload::conformance::model::Report| {
        let rule = r
            .rules
            .iter()
            .find(|x| x.id.ends_with(".flex.timeout"))
            .unwrap();
        assert_eq!(rule.verdict, Verdict::Warn, "{}", rule.message);
        assert!(r.passed());
        rule.message.clone()
    };
    let m = warned(&a);
    assert!(
        m.contains("not Genesys's default 45s") && m.contains("measured "),
        "{m}"
    );
    assert!(a.flex_disconnect_timeout.configured_ms.is_none());
    let m = warned(&b);
    assert!(m.contains("no idle chat expired within the cap 1s"), "{m}");
    assert_eq!(b.flex_disconnect_timeout.measured_ms, None);
    let expired = b
        .rules
        .iter()
        .find(|x| x.id == "webapi.flex.expired-answer")
        .unwrap();
    assert_eq!(expired.verdict, Verdict::Skip);
}
