//! Customer mixes (`[[customers]]`, scenarios/mix.toml) against the embedded
//! server in paused time: each profile's customers do what the profile says,
//! sessions follow the weights, and the server saw exactly what they sent.

use super::e2e::{assert_counts_match, run_text, stats};
use std::collections::BTreeMap;

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
    let json = std::fs::read_to_string(o.dir.join("summary.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let errors = super::schema_check::validate(&super::schema_check::load(), &v);
    assert!(errors.is_empty(), "{errors:#?}");
}
