//! Mutation tests: for every `--misbehave` switch of the reference server, the
//! suite reports exactly the matching rule as `fail` and no other (a rule whose
//! breakage went unnoticed would be a defect of the suite). All switches run
//! concurrently, each against its own server, with the flex probe on.

use super::common::spawn_server;
use super::{args, run, server_config, with_verdict};
use chatload::conformance::export;
use chatload::conformance::model::Verdict;
use chatload::server::Misbehave;

#[tokio::test]
async fn every_switch_fails_exactly_its_rule() {
    let dir = tempfile::tempdir().unwrap();
    let mut cases = Vec::new();
    for m in Misbehave::ALL {
        for dialect in ["gms-v2", "webapi"] {
            if m == Misbehave::RequestTenantRequired && dialect == "gms-v2" {
                continue; // a webapi-only rule
            }
            cases.push((m, dialect));
        }
    }
    // Spawned tasks run concurrently; most of their time is idle flex waiting.
    let tasks: Vec<_> = cases
        .iter()
        .enumerate()
        .map(|(i, &(m, dialect))| {
            let out = dir.path().join(i.to_string());
            tokio::spawn(async move {
                let mut config = server_config();
                config.misbehave = vec![m];
                let server = spawn_server(config).await;
                let report = run(&args(&server.base_url(), dialect, &out))
                    .await
                    .expect("suite runs");
                let mut json = Vec::new();
                export::json::write_json(&report, &mut json).unwrap();
                super::suite::assert_no_secret(&String::from_utf8(json).unwrap(), &server.server);
                (m, dialect, report)
            })
        })
        .collect();
    let mut runs = Vec::new();
    for t in tasks {
        runs.push(t.await.expect("suite task"));
    }
    let mut wrong = Vec::new();
    for (m, dialect, report) in &runs {
        let prefix = if *dialect == "webapi" {
            "webapi"
        } else {
            "gms"
        };
        let want = vec![format!("{prefix}.{m}")];
        let failed = with_verdict(report, Verdict::Fail);
        if failed != want {
            wrong.push(format!("--misbehave {m} ({dialect}): failed {failed:?}"));
        }
        let rule = report.rules.iter().find(|r| r.id == want[0]).unwrap();
        let fake = rule.evidence.is_empty() && !m.as_str().starts_with("flex.timeout");
        assert!(
            !fake,
            "{m} ({dialect}) failed without evidence: {}",
            rule.message
        );
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}
