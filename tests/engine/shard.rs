//! `--shard I/N` through the binary: each shard runs its part of the plan, records the
//! shard and the shared scenario hash; a bad shard is one message, exit 2, nothing written.

use serde_json::Value;
use std::process::{Command, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_chatload"))
}

#[test]
fn three_shards_split_the_plan_and_share_the_scenario_hash() {
    let tmp = tempfile::tempdir().unwrap();
    let children: Vec<_> = (1..=3)
        .map(|i| {
            let out = tmp.path().join(format!("shard-{i}"));
            let child = bin()
                .args(["run", "-n", "10", "-d", "2s", "--ramp-up", "0s", "--quiet"])
                .args(["--poll-interval", "500ms", "--messages", "1", "--seed", "5"])
                .args(["--shard", &format!("{i}/3"), "--out"])
                .arg(&out)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .spawn()
                .unwrap();
            (out, child)
        })
        .collect();
    let mut summaries = Vec::new();
    for (out, mut child) in children {
        // An `overloaded` verdict on a busy machine is set aside; the split is what is checked.
        let code = super::common::code_but_verdict(child.wait().unwrap().code(), &out);
        assert_eq!(code, Some(0), "{}", out.display());
        let s: Value = super::common::read_summary(&out);
        summaries.push(s);
    }
    let peaks: Vec<u64> = summaries
        .iter()
        .map(|s| s["scenario"]["sessions"].as_u64().unwrap())
        .collect();
    assert_eq!(peaks, [4, 3, 3]);
    for (i, s) in summaries.iter().enumerate() {
        assert_eq!(s["scenario"]["shard"]["index"], i as u64 + 1);
        assert_eq!(s["scenario"]["shard"]["count"], 3);
        assert_eq!(
            s["scenario"]["scenario_hash"],
            summaries[0]["scenario"]["scenario_hash"]
        );
    }
    assert_eq!(
        summaries[0]["scenario"]["scenario_hash"]
            .as_str()
            .unwrap()
            .len(),
        16
    );
}

#[test]
fn a_shard_out_of_range_is_one_message_and_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    for bad in ["0/3", "4/3"] {
        let out = tmp.path().join("run");
        let o = bin()
            .args(["run", "--shard", bad, "--out"])
            .arg(&out)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(&format!("--shard: '{bad}'")), "{err}");
        assert!(!out.exists());
    }
}

#[test]
fn a_start_time_long_past_or_malformed_is_one_message_and_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    for (bad, want) in [
        ("2020-01-01T00:00:00Z", "in the past, more than the ramp"),
        ("at noon", "not an RFC 3339 time"),
    ] {
        let out = tmp.path().join("run");
        let o = bin()
            .args(["run", "--ramp-up", "5s", "--start-at", bad, "--out"])
            .arg(&out)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{bad}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("--start-at") && err.contains(want), "{err}");
        assert!(!out.exists());
    }
}

/// Issue 12's proof on loopback: three `run --shard I/3` processes with one `--start-at`
/// against one reference server, then `merge`: every per-operation count, chats created and
/// disconnects equal the server's counters; the merged poll p99 is the p99 of the union of
/// the three interval logs; the shards' peaks split the plan 10/10/10 of 30.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_shards_started_together_merge_to_the_servers_counts() {
    use chatload::server::ServerConfig;
    let server = super::common::spawn_server(ServerConfig::default()).await;
    let tmp = tempfile::tempdir().unwrap();
    let start = chrono::Utc::now() + chrono::Duration::seconds(2);
    let start = start.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut children = Vec::new();
    for i in 1..=3 {
        let out = tmp.path().join(format!("shard-{i}"));
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_chatload"))
            .args(["run", "-n", "30", "-d", "3s", "--ramp-up", "1s", "--quiet"])
            .args(["--poll-interval", "300ms", "--messages", "1", "--seed", "5"])
            .args(["--target", &server.base_url(), "--start-at", &start])
            .args(["--shard", &format!("{i}/3"), "--out"])
            .arg(&out)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        children.push((out, child));
    }
    let mut shard_summaries = Vec::new();
    for (out, mut child) in children {
        let code = super::common::code_but_verdict(child.wait().await.unwrap().code(), &out);
        assert_eq!(code, Some(0), "{}", out.display());
        let s: chatload::report::model::Summary = super::common::read_summary(&out);
        shard_summaries.push((out, s));
    }
    let merged = tmp.path().join("merged");
    let o = tokio::process::Command::new(env!("CARGO_BIN_EXE_chatload"))
        .arg("merge")
        .args(shard_summaries.iter().rev().map(|(o, _)| o))
        .arg("--out")
        .arg(&merged)
        .output()
        .await
        .unwrap();
    let code = super::common::code_but_verdict(o.status.code(), &merged);
    assert_eq!(code, Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let m: chatload::report::model::Summary = super::common::read_summary(&merged);

    let stats = server.server.stats();
    for (route, n) in &stats.requests {
        let op = route.strip_prefix("gms-v2/").unwrap();
        assert_eq!(m.requests.by_operation.get(op), Some(n), "{route}");
    }
    assert_eq!(m.requests.total, stats.requests.values().sum::<u64>());
    assert_eq!(m.sessions.started, stats.chats.created);
    assert_eq!(
        m.requests.by_operation.get("disconnect").copied(),
        stats.requests.get("gms-v2/disconnect").copied()
    );
    assert!(stats.chats.created >= 30, "{stats:?}");

    // The merged p99 is the union's p99, not a mean of the shards' p99s.
    let mut union = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).unwrap();
    for (out, _) in &shard_summaries {
        let log = std::fs::read(out.join("latency.hlog")).unwrap();
        for i in chatload::metrics::hlog::read_log(&log).unwrap() {
            if i.tag == "poll" {
                union.add(&i.hist).unwrap();
            }
        }
    }
    assert_eq!(m.latency_ms["poll"].count, union.len());
    assert_eq!(
        m.latency_ms["poll"].p99,
        union.value_at_quantile(0.99) as f64 / 1000.0
    );

    let peaks: Vec<(u64, u64)> = shard_summaries
        .iter()
        .map(|(_, s)| (s.scenario.sessions, s.sessions.peak_active))
        .collect();
    assert_eq!(peaks, [(10, 10), (10, 10), (10, 10)]);
    // The service level is rebuilt from the shards' session rows: the counts add up.
    let sl = m.service_level.as_ref().expect("merged service_level");
    let sum = |f: fn(&chatload::report::model::ServiceLevel) -> u64| -> u64 {
        shard_summaries
            .iter()
            .map(|(_, s)| f(s.service_level.as_ref().expect("shard service_level")))
            .sum()
    };
    assert_eq!(sl.joined, sum(|l| l.joined), "{sl:?}");
    assert_eq!(sl.never_joined, sum(|l| l.never_joined), "{sl:?}");
    assert_eq!(sl.queue_wait_ms.count, sl.joined);
    assert_eq!(m.scenario.sessions, 30);
    assert_eq!(m.scenario.shard, None);
    let idx: Vec<u32> = m.generator.shards.iter().map(|g| g.index).collect();
    assert_eq!(idx, [1, 2, 3]);
    // `check` and `report` read the merged folder like any run.
    let check = tokio::process::Command::new(env!("CARGO_BIN_EXE_chatload"))
        .arg("check")
        .arg(&merged)
        .output()
        .await
        .unwrap();
    assert!(matches!(check.status.code(), Some(0 | 3)), "{check:?}");
    let report = tokio::process::Command::new(env!("CARGO_BIN_EXE_chatload"))
        .arg("report")
        .arg(&merged)
        .output()
        .await
        .unwrap();
    assert_eq!(report.status.code(), Some(0), "{report:?}");
    assert!(merged.join("report.html").is_file());
    assert!(merged.join("sessions.csv").is_file());

    // One process running the whole plan against the same server: the same counts within the
    // plan's own randomness, and `check --baseline` passes both ways. The two runs are timed
    // apart on a shared machine, where a latency percentile of a few ms moves by up to 80 %
    // (seen under load 7-11); the bound here is 300 %, wide enough for that and still failing
    // a merge that loses or inflates a figure several-fold. Identical reruns under the default
    // 10 % are the baseline-noise tests' job.
    let single = tmp.path().join("single");
    let o = tokio::process::Command::new(env!("CARGO_BIN_EXE_chatload"))
        .args(["run", "-n", "30", "-d", "3s", "--ramp-up", "1s", "--quiet"])
        .args(["--poll-interval", "300ms", "--messages", "1", "--seed", "5"])
        .args(["--target", &server.base_url(), "--out"])
        .arg(&single)
        .output()
        .await
        .unwrap();
    let code = super::common::code_but_verdict(o.status.code(), &single);
    assert_eq!(code, Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let one: chatload::report::model::Summary = super::common::read_summary(&single);
    assert_eq!(one.sessions.started, m.sessions.started);
    let (a, b) = (one.requests.total as f64, m.requests.total as f64);
    assert!((a - b).abs() <= 0.1 * b, "single {a} vs merged {b}");
    // A run whose generator was itself overloaded (another job took the cores: 1.5 s polls were
    // seen under load 5) measured the machine, not the merge: its latencies prove nothing.
    let busy = chatload::report::vocab::GeneratorVerdict::Overloaded;
    if one.generator.verdict == busy || m.generator.verdict == busy {
        eprintln!("latency comparison skipped: a generator was overloaded (busy machine)");
        server.shutdown().await;
        return;
    }
    for (run, base) in [(&merged, &single), (&single, &merged)] {
        let check = tokio::process::Command::new(env!("CARGO_BIN_EXE_chatload"))
            .arg("check")
            .arg(run)
            .arg("--baseline")
            .arg(base)
            .args(["--max-regression", "300%"])
            .output()
            .await
            .unwrap();
        // 3 only for a verdict of a busy machine (see common::code_but_verdict).
        assert!(
            matches!(check.status.code(), Some(0 | 3)),
            "{}",
            String::from_utf8_lossy(&check.stdout)
        );
        assert!(
            !String::from_utf8_lossy(&check.stdout).contains("FAIL"),
            "{}",
            String::from_utf8_lossy(&check.stdout)
        );
    }
    server.shutdown().await;
}

/// `merge` refuses shards of different scenarios, a duplicate, a missing shard (unless
/// `--partial`, which says so) and a corrupt summary: one message, exit 2, no folder.
#[test]
fn merge_refuses_bad_input_with_exit_2_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |name: &str, n: &str, shard: &str| {
        let out = tmp.path().join(name);
        let o = bin()
            .args(["run", "-n", n, "-d", "1s", "--ramp-up", "0s", "--quiet"])
            .args([
                "--poll-interval",
                "300ms",
                "--messages",
                "1",
                "--shard",
                shard,
            ])
            .arg("--out")
            .arg(&out)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let code = super::common::code_but_verdict(o.status.code(), &out);
        assert_eq!(code, Some(0), "{}", String::from_utf8_lossy(&o.stderr));
        out
    };
    let a1 = run("a1", "2", "1/2");
    let a2 = run("a2", "2", "2/2");
    let b1 = run("b1", "4", "1/2");
    let bad = tmp.path().join("bad");
    std::fs::create_dir(&bad).unwrap();
    for f in ["events.jsonl", "latency.hlog", "sessions.csv"] {
        std::fs::copy(a2.join(f), bad.join(f)).unwrap();
    }
    let text = std::fs::read_to_string(a2.join("summary.json")).unwrap();
    std::fs::write(bad.join("summary.json"), &text[..text.len() / 2]).unwrap();
    let cases: [(&[&std::path::Path], &str); 4] = [
        (&[&a1, &b1], "different scenarios"),
        (&[&a1, &a1], "duplicate shard 1/2"),
        (&[&a1], "missing shard(s) 2 of 2"),
        (&[&a1, &bad], "is not a chatload summary.json"),
    ];
    for (i, (runs, want)) in cases.iter().enumerate() {
        let out = tmp.path().join(format!("merged-{i}"));
        let o = bin()
            .arg("merge")
            .args(runs.iter())
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{want}: {err}");
        assert!(err.contains(want), "{want}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(!out.exists(), "{want}: {} was written", out.display());
    }
    let out = tmp.path().join("partial");
    let o = bin()
        .args(["merge", "--partial", "--out"])
        .arg(&out)
        .arg(&a1)
        .output()
        .unwrap();
    let code = super::common::code_but_verdict(o.status.code(), &out);
    assert_eq!(code, Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("PARTIAL: 1 of 2 shards"));
    let s: chatload::report::model::Summary = super::common::read_summary(&out);
    assert!(
        s.generator.reason.contains("PARTIAL merge: shards 1 of 2"),
        "{}",
        s.generator.reason
    );
}

/// The Kubernetes manifests' scenario (deploy/kubernetes/configmap.yaml) is a valid
/// scenario, and the shard Job runs `--shard-count` with the Job's N and a shared start.
#[test]
fn the_kubernetes_scenario_builds_and_the_job_counts_agree() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/kubernetes");
    let cm = std::fs::read_to_string(root.join("configmap.yaml")).unwrap();
    let toml: String = cm
        .split_once("scenario.toml: |\n")
        .unwrap()
        .1
        .lines()
        .map(|l| format!("{}\n", l.strip_prefix("    ").unwrap_or(l)))
        .collect();
    let file = chatload::ScenarioFile::parse("configmap.yaml", toml).unwrap();
    let args = chatload::cli::RunArgs {
        shard: Some("2/4".into()),
        ..Default::default()
    };
    let cfg = chatload::build_config(&args, Some(&file)).unwrap();
    assert_eq!(cfg.plan.peak_sessions(), 750);
    let job = std::fs::read_to_string(root.join("job-shards.yaml")).unwrap();
    for want in [
        "completionMode: Indexed",
        "completions: 4",
        "parallelism: 4",
        "value: \"4\"",
        "--shard-count \"$CHATLOAD_SHARD_COUNT\"",
        "--start-at \"$CHATLOAD_START_AT\"",
    ] {
        assert!(job.contains(want), "job-shards.yaml lacks {want}");
    }
    let pvc = std::fs::read_to_string(root.join("pvc.yaml")).unwrap();
    assert!(pvc.contains("ReadWriteMany"));
}
