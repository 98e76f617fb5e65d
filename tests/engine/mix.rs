//! Customer mixes (`[[customers]]`, scenarios/mix.toml) against the embedded
//! server in paused time: each profile's customers do what the profile says,
//! sessions follow the weights, and the server saw exactly what they sent.

use super::e2e::{assert_counts_match, run_text, run_with, stats};
use chatload::report::model::{ProfileFigures, Summary};
use std::collections::BTreeMap;

/// The rows of a CSV file as (column -> value) maps.
fn csv_rows(path: &std::path::Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            header
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// Per operation, the profiles' request counts add up to the run's, and each profile's
/// latency counts (both views) and outcome buckets equal its request counts.
fn assert_profiles_add_up(s: &Summary) {
    let mut sum: BTreeMap<&str, u64> = BTreeMap::new();
    for (name, p) in &s.profiles {
        for (op, n) in &p.requests.by_operation {
            *sum.entry(op).or_default() += n;
            assert_eq!(p.latency_ms[op].count, *n, "{name} {op}");
            assert_eq!(p.service_time_ms[op].count, *n, "{name} {op}");
        }
        assert_eq!(
            p.requests.by_operation.values().sum::<u64>(),
            p.requests.total
        );
        let outcomes: u64 = p.outcomes.iter().map(|o| o.count).sum();
        assert_eq!(outcomes, p.requests.total, "{name}");
    }
    let run: BTreeMap<&str, u64> = s
        .requests
        .by_operation
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(sum, run);
    let total = |f: fn(&ProfileFigures) -> u64| s.profiles.values().map(f).sum::<u64>();
    assert_eq!(total(|p| p.requests.total), s.requests.total);
    assert_eq!(total(|p| p.requests.errors), s.requests.errors);
    assert_eq!(total(|p| p.gaps.count), s.gaps.count);
    assert_eq!(
        total(ProfileFigures::violations_total),
        s.violations_total()
    );
}

#[tokio::test(start_paused = true)]
async fn each_profile_runs_its_own_script_and_the_mix_follows_the_weights() {
    let (o, _dir) = run_text(include_str!("../../scenarios/mix.toml")).await;
    let csv = std::fs::read_to_string(o.dir.join("sessions.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (profile, end) = (col("profile"), col("end_reason"));
    let mut by_profile: BTreeMap<String, u64> = BTreeMap::new();
    for l in lines {
        let f: Vec<&str> = l.split(',').collect();
        assert_eq!(f[end], "client_disconnect", "{l}");
        *by_profile.entry(f[profile].to_string()).or_default() += 1;
    }
    let n = |p: &str| by_profile.get(p).copied().unwrap_or(0);
    assert_eq!(
        n("widget") + n("lurker") + n("chatty"),
        60,
        "{by_profile:?}"
    );
    // 60 sessions at 70/20/10 %: each count within 4 σ of its share.
    for (p, share) in [("widget", 0.7f64), ("lurker", 0.2), ("chatty", 0.1)] {
        let sigma = (60.0 * share * (1.0 - share)).sqrt();
        assert!(
            (n(p) as f64 - 60.0 * share).abs() < 4.0 * sigma,
            "{by_profile:?}"
        );
    }
    // Widgets send 2 messages, chatty customers 5, lurkers none: the server saw exactly that.
    let s = stats(&o);
    assert_eq!(
        s.requests["gms-v2/send"],
        2 * n("widget") + 5 * n("chatty"),
        "{by_profile:?}"
    );
    assert_counts_match(&o, "gms-v2");
    // summary.json's `profiles`: the same counts, each with its own service level.
    let p = &o.summary.profiles;
    for name in ["widget", "lurker", "chatty"] {
        assert_eq!(p[name].sessions, n(name), "{p:?}");
        let sl = p[name].service_level.as_ref().expect("service level");
        assert_eq!(sl.joined + sl.abandoned + sl.never_joined, n(name));
    }
    // Per-profile request figures: they add up to the run's, which equal the server's
    // counters (above); the server cannot tell profiles apart, so each profile's counts are
    // checked against what its script makes the server see and against sessions.csv.
    assert_profiles_add_up(&o.summary);
    let ops = |name: &str| &p[name].requests.by_operation;
    for name in ["widget", "lurker", "chatty"] {
        assert_eq!(ops(name)["request_chat"], n(name), "{name}");
        assert_eq!(ops(name)["disconnect"], n(name), "{name}");
        let polls: u64 = csv_rows(&o.dir.join("sessions.csv"))
            .iter()
            .filter(|r| r["profile"] == name)
            .map(|r| r["polls"].parse::<u64>().unwrap())
            .sum();
        assert_eq!(ops(name)["poll"], polls, "{name}");
        assert!(p[name].gaps.count > 0, "{name}");
    }
    assert_eq!(ops("widget")["send"], 2 * n("widget"));
    assert_eq!(ops("chatty")["send"], 5 * n("chatty"));
    assert!(!ops("lurker").contains_key("send"));
    // operations.csv: the run's rows (profile empty), then each profile's.
    let rows = csv_rows(&o.dir.join("operations.csv"));
    for name in ["", "widget", "lurker", "chatty"] {
        let count = |op: &str| {
            rows.iter()
                .find(|r| r["profile"] == name && r["operation"] == op)
                .map(|r| r["count"].parse::<u64>().unwrap())
        };
        let want = if name.is_empty() {
            o.summary.requests.by_operation["poll"]
        } else {
            ops(name)["poll"]
        };
        assert_eq!(count("poll"), Some(want), "{name}");
    }
    assert_eq!(
        rows.iter().take_while(|r| r["profile"].is_empty()).count(),
        o.summary.latency_ms.len()
    );
    let outcomes = csv_rows(&o.dir.join("outcomes.csv"));
    let by = |name: &str| {
        outcomes
            .iter()
            .filter(|r| r["profile"] == name)
            .map(|r| r["count"].parse::<u64>().unwrap())
            .sum::<u64>()
    };
    assert_eq!(by(""), o.summary.requests.total);
    assert_eq!(by("widget") + by("lurker") + by("chatty"), by(""));
    let json = std::fs::read_to_string(o.dir.join("summary.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let errors = super::schema_check::validate(&super::schema_check::load(), &v);
    assert!(errors.is_empty(), "{errors:#?}");
}

/// Two shards of the mix, each against its own embedded server, merged: every profile's
/// request figures are the sum of the shards' (latency counts included, from the tagged
/// interval log) and the profiles still add up to the merged totals, which equal the two
/// servers' counters together.
#[tokio::test(start_paused = true)]
async fn a_merge_of_two_shards_sums_each_profiles_figures() {
    let text = include_str!("../../scenarios/mix.toml");
    let mut shards = Vec::new();
    for i in 1..=2 {
        let args = chatload::cli::RunArgs {
            shard: Some(format!("{i}/2")),
            ..Default::default()
        };
        shards.push(run_with(text, args, std::future::pending()).await);
    }
    let merged = shards[0].1.path().join("merged");
    let cli = <chatload::cli::Cli as clap::Parser>::parse_from(
        [
            "chatload".into(),
            "merge".into(),
            shards[0].0.dir.clone(),
            shards[1].0.dir.clone(),
        ]
        .into_iter()
        .chain(["--out".into(), merged.clone()]),
    );
    chatload::run(cli).await.unwrap();
    let m: Summary = super::common::read_summary(&merged);
    assert_profiles_add_up(&m);
    let server_total: u64 = shards
        .iter()
        .map(|(o, _)| stats(o).requests.values().sum::<u64>())
        .sum();
    assert_eq!(m.requests.total, server_total);
    assert_eq!(m.profiles.len(), 3);
    for (name, p) in &m.profiles {
        let of = |f: &dyn Fn(&ProfileFigures) -> u64| -> u64 {
            shards
                .iter()
                .map(|(o, _)| f(&o.summary.profiles[name]))
                .sum()
        };
        assert_eq!(p.sessions, of(&|q| q.sessions), "{name}");
        assert_eq!(p.requests.total, of(&|q| q.requests.total), "{name}");
        assert_eq!(p.requests.errors, of(&|q| q.requests.errors), "{name}");
        assert_eq!(p.gaps.count, of(&|q| q.gaps.count), "{name}");
        for (op, n) in &p.requests.by_operation {
            let per_shard = of(&|q| q.requests.by_operation.get(op).copied().unwrap_or(0));
            assert_eq!(*n, per_shard, "{name} {op}");
            assert_eq!(p.latency_ms[op].count, *n, "{name} {op}");
        }
    }
    // A run rebuilt from its streamed files (summary.json lost) has the same profile figures.
    let (o, _) = &shards[1];
    std::fs::remove_file(o.dir.join("summary.json")).unwrap();
    let cli = <chatload::cli::Cli as clap::Parser>::parse_from([
        "chatload".into(),
        "report".into(),
        o.dir.clone().into_os_string(),
    ]);
    chatload::run(cli).await.unwrap();
    let rebuilt: Summary = super::common::read_summary(&o.dir);
    assert_profiles_add_up(&rebuilt);
    for (name, p) in &o.summary.profiles {
        let r = &rebuilt.profiles[name];
        assert_eq!(r.requests.by_operation, p.requests.by_operation, "{name}");
        assert_eq!(r.outcomes, p.outcomes, "{name}");
        assert_eq!(r.violations, p.violations, "{name}");
        assert_eq!(r.gaps.count, p.gaps.count, "{name}");
        assert_eq!(r.latency_ms["poll"].p99, p.latency_ms["poll"].p99, "{name}");
    }
}
