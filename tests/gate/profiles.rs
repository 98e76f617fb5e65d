//! Profile selectors (`poll.p99{profile=lurker} < 300ms`, issue 17): the selected metric is
//! read from `summary.profiles[NAME]` by the same resolver as the run's, checked against the
//! known profiles, and written back as the user wrote it.

use super::*;
use chatload::gate::baseline::Allowed;
use chatload::gate::{check_profile, compare, KnownProfiles, Limit};
use chatload::report::model::{LatencyStats, ProfileFigures, ServiceLevel};

/// A service level with `joined` of `joined + abandoned` chats, `within` of them in target.
fn service_level(joined: u64, abandoned: u64, within: f64, asa_ms: f64) -> ServiceLevel {
    ServiceLevel {
        joined,
        abandoned,
        asa_ms,
        target_ms: 20_000,
        within_target_rate: within,
        ..ServiceLevel::default()
    }
}

/// The fixture with a service level, and a profile "all" holding the run's own figures.
fn fixture_with_its_own_profile() -> Summary {
    let mut s = fixture();
    s.service_level = Some(service_level(90, 6, 0.85, 4200.0));
    let end_reasons = [
        ("client_disconnect", 90),
        ("run_ended", 2),
        ("agent_ended", 4),
        ("server_fatal", 2),
        ("retries_exhausted", 2),
    ];
    let all = ProfileFigures {
        sessions: s.sessions.started,
        established: s.sessions.started - s.sessions.never_started,
        flagged: s.sessions.flagged,
        near_miss: s.sessions.near_miss,
        max_gap_ms: s.gaps.max_ms,
        end_reasons: end_reasons
            .iter()
            .map(|(k, n)| (k.to_string(), *n))
            .collect(),
        service_level: s.service_level.clone(),
        requests: s.requests.clone(),
        latency_ms: s.latency_ms.clone(),
        service_time_ms: s.service_time_ms.clone(),
        outcomes: s.outcomes.clone(),
        transport_errors: s.transport_errors.clone(),
        gaps: s.gaps.clone(),
        violations: s.violations.clone(),
    };
    s.profiles.insert("all".into(), all);
    s
}

/// A profile of a few slow lurkers beside "all".
fn with_lurkers(mut s: Summary) -> Summary {
    let poll = LatencyStats {
        count: 2000,
        p99: 250.0,
        max: 900.0,
        ..LatencyStats::default()
    };
    let mut lurker = ProfileFigures {
        sessions: 10,
        established: 9,
        flagged: 1,
        service_level: Some(service_level(6, 3, 0.5, 31_000.0)),
        ..ProfileFigures::default()
    };
    lurker.latency_ms.insert("poll".into(), poll);
    lurker.requests.total = 2000;
    lurker.requests.errors = 40;
    lurker.requests.error_rate = 0.02;
    lurker.requests.by_operation.insert("poll".into(), 2000);
    s.profiles.insert("lurker".into(), lurker);
    s
}

#[test]
fn a_profile_with_the_runs_figures_reads_every_selectable_metric_as_the_run() {
    let s = fixture_with_its_own_profile();
    let mut run_wide = Vec::new();
    for name in catalogue::all_names() {
        let m = gate::Metric::from_name(&name).unwrap();
        let Some(selected) = m.clone().for_profile("all") else {
            run_wide.push(name);
            continue;
        };
        assert_eq!(selected.resolve(&s), m.resolve(&s), "{name}");
        assert_eq!(selected.label(), format!("{name}{{profile=all}}"));
    }
    assert_eq!(
        run_wide,
        [
            "sessions.completed",
            "sessions.ended_by_client",
            "sessions.idle_over_flex",
            "sessions.idle_over_flex.rate",
            "sessions.expired",
            "sessions.expired.rate",
            "sessions.peak_active",
            "sessions.dropped",
            "sessions.dropped.rate",
            "sessions.arrivals_planned",
            "generator.verdict",
            "generator.lateness.p50",
            "generator.lateness.p99",
            "generator.lateness.max",
        ]
    );
}

#[test]
fn a_selector_reads_its_own_profile_and_the_result_keeps_the_text_as_written() {
    let s = with_lurkers(fixture_with_its_own_profile());
    let exprs = [
        "poll.p99{profile=lurker} < 300ms",
        "poll.p99 { profile = lurker } < 1ms",
        "errors.rate{profile=lurker} < 1%",
        "service_level{profile=lurker} < 80%",
        "asa{profile=lurker} > 30s",
        "abandoned.rate{profile=lurker} <= 3%",
        "sessions.flagged{profile=lurker} == 0",
        "sessions.never_started.rate{profile=lurker} == 10%",
        "poll.count{profile=lurker} == 2000",
        "send.p99{profile=lurker} < 1s",
        "poll.p99 < 300ms",
    ];
    let ts: Vec<_> = exprs.iter().map(|e| parse_threshold(e).unwrap()).collect();
    let rs = evaluate(&s, &ts);
    let got: Vec<(&str, &str, bool)> = rs
        .iter()
        .map(|r| (r.expression.as_str(), r.observed_display.as_str(), r.passed))
        .collect();
    assert_eq!(
        got,
        [
            ("poll.p99{profile=lurker} < 300ms", "250 ms", true),
            ("poll.p99 { profile = lurker } < 1ms", "250 ms", false),
            ("errors.rate{profile=lurker} < 1%", "2%", false),
            ("service_level{profile=lurker} < 80%", "50%", true),
            ("asa{profile=lurker} > 30s", "31000 ms", true),
            ("abandoned.rate{profile=lurker} <= 3%", "33.3333%", false),
            ("sessions.flagged{profile=lurker} == 0", "1", false),
            (
                "sessions.never_started.rate{profile=lurker} == 10%",
                "10%",
                true
            ),
            ("poll.count{profile=lurker} == 2000", "2000", true),
            (
                "send.p99{profile=lurker} < 1s",
                "no data (no send requests recorded)",
                false
            ),
            ("poll.p99 < 300ms", "48.625 ms", true),
        ]
    );
    // A profile the summary has no figures for (a profile without ended sessions) has no data.
    let gone = parse_threshold("poll.p99{profile=gone} < 1s").unwrap();
    assert_eq!(
        evaluate(&s, &[gone])[0].observed_display,
        "no data (the summary has no figures for profile 'gone')"
    );
    // JUnit names the case by the expression as written.
    let mut xml = Vec::new();
    write_junit(&rs[..2], &[], &s.run, &mut xml).unwrap();
    let msg = chatload::gate::junit::threshold_message(&rs[1]);
    super::junit::check_junit(
        &String::from_utf8(xml).unwrap(),
        2,
        &[("poll.p99 { profile = lurker } < 1ms", msg.as_str())],
    );
}

#[test]
fn a_selected_metric_formats_back_to_what_parses_to_it() {
    for expr in [
        "poll.p99{profile=lurker} < 300ms",
        "  send.service_time.p999 {profile= night owl }<=1s",
        "transport.timeout.count{profile=\"a}b\"} == 0",
        "gaps.max{profile=widget} < 80% flex",
    ] {
        let t = parse_threshold(expr).unwrap();
        let again = parse_threshold(&format!("{} {} 1s", t.metric.label(), t.op)).ok();
        let t2 = parse_threshold(&format!("{} == 0", t.metric.label())).ok();
        let back = again.or(t2).unwrap_or_else(|| panic!("{expr}"));
        assert_eq!(back.metric, t.metric, "{expr}");
    }
    let t = parse_threshold("gaps.max{profile=widget} < 80% flex").unwrap();
    assert_eq!(
        (t.metric.profile(), t.limit),
        (Some("widget"), Limit::Flex(0.8))
    );
    assert_eq!(t.metric.label(), "gaps.max{profile=widget}");
}

#[test]
fn run_wide_metrics_refuse_a_selector_and_list_what_can_be_selected() {
    for (expr, col) in [
        ("sessions.dropped{profile=lurker} == 0", 17),
        ("generator.verdict{profile=a} == ok", 18),
        ("sessions.peak_active {profile=a} < 9", 22),
    ] {
        let err = usage_error(expr);
        let name = expr.split('{').next().unwrap().trim();
        assert!(
            err.starts_with(&format!(
                "threshold '{expr}' at column {col}: '{name}' has no value per profile (it is run-wide); drop the selector, or select one of: OP.*, errors.*, outcome.*, transport.*, sessions.started, "
            )),
            "{err}"
        );
        assert!(
            err.ends_with("service_level, asa, abandoned.rate, gaps.*, violations.*, requests.*"),
            "{err}"
        );
    }
    // A unit mismatch names the selected metric and the selected fix.
    assert!(usage_error("sessions.flagged{profile=x} < 1%").ends_with(
        "'sessions.flagged{profile=x}' is a count and cannot be compared with a percentage; \
         compare 'sessions.flagged.rate{profile=x}' with a percentage instead"
    ));
    // The README says what can be selected, in the same words.
    let listed: Vec<String> = catalogue::per_profile_patterns()
        .iter()
        .map(|p| format!("`{p}`"))
        .collect();
    let listed = listed.join(", ");
    assert!(
        include_str!("../../README.md").contains(&listed),
        "README: list {listed}"
    );
}

#[test]
fn an_unknown_profile_names_its_column_a_suggestion_and_the_known_ones() {
    let t = parse_threshold("  poll.p99{profile=lurkr} < 300ms").unwrap();
    let known = ["widget", "lurker", "chatty"];
    let err = |known: &[&str], source| check_profile(&t, known, source).unwrap_err().0;
    assert_eq!(
        err(&known, KnownProfiles::Scenario),
        "threshold 'poll.p99{profile=lurkr} < 300ms' at column 18: unknown profile 'lurkr'; \
         did you mean 'lurker'? the scenario's [[customers]] profiles are widget, lurker, chatty"
    );
    assert_eq!(
        err(&["a", "b"], KnownProfiles::Summary),
        "threshold 'poll.p99{profile=lurkr} < 300ms' at column 18: unknown profile 'lurkr'; \
         the summary has figures for the profiles a, b"
    );
    assert!(err(&[], KnownProfiles::Scenario).ends_with(
        "'{profile=lurkr}' selects a [[customers]] profile, but the scenario has none; \
         add [[customers]] profiles to the scenario, or drop the selector to gate the whole run"
    ));
    assert!(err(&[], KnownProfiles::Summary).contains("the summary has no profiles"));
    assert!(check_profile(&t, &["lurkr"], KnownProfiles::Summary).is_ok());
    let plain = parse_threshold("poll.p99 < 300ms").unwrap();
    assert!(check_profile(&plain, &[], KnownProfiles::Scenario).is_ok());
}

#[test]
fn a_baseline_compares_a_selected_metric_under_its_selector() {
    let base = with_lurkers(fixture_with_its_own_profile());
    let mut cur = base.clone();
    let lurker = cur.profiles.get_mut("lurker").unwrap();
    lurker.latency_ms.get_mut("poll").unwrap().p99 = 400.0;
    let t = parse_threshold("poll.p99{profile=lurker} < 1s").unwrap();
    let rs = compare(&base, &cur, &[t], Allowed::fraction(0.10));
    let r: &Regression = rs
        .iter()
        .find(|r| r.metric == "poll.p99{profile=lurker}")
        .unwrap();
    assert_eq!(r.verdict, gate::Verdict::Fail, "{r:?}");
    assert_eq!(r.delta_display(), "+60%");
    // The run's own poll.p99 did not move.
    let run = rs.iter().find(|r| r.metric == "poll.p99").unwrap();
    assert_eq!(run.verdict, gate::Verdict::Pass);
}
