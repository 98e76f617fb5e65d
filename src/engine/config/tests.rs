//! Flag + scenario validation: one test per error kind, defaults, precedence.

use super::*;
use crate::engine::session::EndMode;

fn file(text: &str) -> ScenarioFile {
    ScenarioFile::parse("s.toml", text.to_string()).expect("parses")
}

fn err(args: &RunArgs, text: &str) -> String {
    build(args, Some(&file(text))).unwrap_err().to_string()
}

fn no_flags() -> RunArgs {
    RunArgs::default()
}

#[test]
fn defaults_without_a_file() {
    let cfg = build(&no_flags(), None).unwrap();
    assert_eq!(cfg.dialect, Dialect::GmsV2);
    assert_eq!(cfg.target, None);
    assert_eq!(cfg.flex, Duration::from_secs(45));
    assert_eq!(cfg.request_timeout, Duration::from_secs(10));
    assert_eq!(cfg.plan.peak_sessions(), 100);
    assert_eq!(cfg.plan.duration(), Duration::from_secs(30));
    assert_eq!(cfg.script.poll_interval, Duration::from_secs(3));
    assert_eq!(
        cfg.script.end,
        EndMode::AfterMessages(Duration::from_secs(5))
    );
    assert_eq!(cfg.retry.max_consecutive, 5);
    assert!(cfg.warnings.is_empty(), "{:?}", cfg.warnings);
}

#[test]
fn flags_override_the_file() {
    let args = RunArgs {
        sessions: Some(7),
        duration: Some("9s".into()),
        poll_interval: Some("1s".into()),
        target: crate::cli::TargetArgs {
            dialect: Some("webapi".into()),
            url: Some("http://127.0.0.1:9/".into()),
            ..Default::default()
        },
        ..RunArgs::default()
    };
    let f = file("dialect = \"gms-v2\"\n[load]\nsessions = 3\nduration = \"1m\"\n[customer]\npoll_interval = \"4s\"\n");
    let cfg = build(&args, Some(&f)).unwrap();
    assert_eq!(cfg.plan.peak_sessions(), 7);
    assert_eq!(cfg.plan.duration(), Duration::from_secs(9));
    assert_eq!(cfg.script.poll_interval, Duration::from_secs(1));
    assert_eq!(cfg.dialect, Dialect::WebApi);
    assert_eq!(cfg.target.as_deref(), Some("http://127.0.0.1:9"));
    assert_eq!(cfg.name, "s");
}

#[test]
fn bad_duration_names_field_and_position() {
    let e = err(&no_flags(), "[load]\nduration = \"30 parsecs\"\n");
    assert!(
        e.starts_with("s.toml:2:12: load.duration: '30 parsecs' is not a duration"),
        "{e}"
    );
    assert!(e.contains("30s, 500ms or 2m"), "{e}");
}

#[test]
fn zero_sessions_is_rejected_at_its_position() {
    let e = err(&no_flags(), "[load]\nsessions = 0\n");
    assert!(
        e.starts_with("s.toml:2:12: load.sessions: must be between 1 and 1000000"),
        "{e}"
    );
}

#[test]
fn unknown_dialect_is_rejected_at_its_position() {
    let e = err(&no_flags(), "dialect = \"soap\"\n");
    assert!(
        e.starts_with("s.toml:1:11: dialect: unknown dialect 'soap'"),
        "{e}"
    );
}

#[test]
fn bad_target_url_is_rejected() {
    let e = err(&no_flags(), "target = \"localhost:8080\"\n");
    assert!(
        e.starts_with("s.toml:1:10: target: 'localhost:8080' must start with http://"),
        "{e}"
    );
}

#[test]
fn unknown_jitter_distribution_and_missing_amount() {
    let e = err(
        &no_flags(),
        "[customer]\njitter = { distribution = \"gaussian\", amount = \"1s\" }\n",
    );
    assert!(
        e.starts_with("s.toml:2:27: customer.jitter.distribution: unknown distribution 'gaussian'"),
        "{e}"
    );
    let e = err(
        &no_flags(),
        "[customer]\njitter = { distribution = \"normal\" }\n",
    );
    assert!(
        e.contains("customer.jitter.distribution: a normal jitter needs an amount"),
        "{e}"
    );
}

#[test]
fn unknown_end_mode_is_rejected_at_its_position() {
    let e = err(&no_flags(), "[customer]\nend = \"never\"\n");
    assert!(
        e.starts_with("s.toml:2:7: customer.end: unknown end 'never'"),
        "{e}"
    );
    let e = err(&no_flags(), "[customer]\nend = \"after-duration\"\n");
    assert!(e.contains("needs customer.session_duration"), "{e}");
}

#[test]
fn patience_is_a_distribution_above_zero() {
    assert_eq!(build(&no_flags(), None).unwrap().script.patience, None);
    let cfg = build(&no_flags(), Some(&file("[customer]\npatience = \"90s\"\n"))).unwrap();
    assert_eq!(
        cfg.script.patience,
        Some(crate::util::distribution::DurationDist::Fixed(
            Duration::from_secs(90)
        ))
    );
    let e = err(&no_flags(), "[customer]\npatience = \"0s\"\n");
    assert!(
        e.starts_with("s.toml:2:12: customer.patience: must be above 0"),
        "{e}"
    );
    let e = ScenarioFile::parse(
        "s.toml",
        "[customer]\npatience = { distribution = \"lognormal\", mean = \"1m\" }\n".into(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with(
            "s.toml:2:12: customer.patience: distribution \"lognormal\" needs `mean` and `sd`"
        ),
        "{e}"
    );
}

#[test]
fn status1_reaction_is_record_or_end_like_widget() {
    use crate::engine::session::Status1Reaction;
    let on = |text: &str| {
        build(&no_flags(), Some(&file(text)))
            .unwrap()
            .script
            .on_status1
    };
    assert_eq!(on(""), Status1Reaction::Record);
    assert_eq!(
        on("[customer]\non_status1_chat_ended = \"end-like-widget\"\n"),
        Status1Reaction::EndLikeWidget
    );
    let e = err(&no_flags(), "[customer]\non_status1_chat_ended = \"end\"\n");
    assert!(
        e.starts_with("s.toml:2:25: customer.on_status1_chat_ended: unknown reaction 'end'"),
        "{e}"
    );
}

#[test]
fn profiles_lay_their_fields_over_the_customer_table() {
    let cfg = build(
        &no_flags(),
        Some(&file(
            "[customer]\nmessages = 2\npoll_interval = \"2s\"\n[[customers]]\nname = \"a\"\n[[customers]]\nname = \"b\"\nweight = 3\nmessages = 0\n",
        )),
    )
    .unwrap();
    let p = &cfg.profiles;
    assert_eq!(p.len(), 2);
    assert_eq!(
        (&*p[0].name, p[0].weight, p[0].script.messages),
        ("a", 1.0, 2)
    );
    assert_eq!(
        (&*p[1].name, p[1].weight, p[1].script.messages),
        ("b", 3.0, 0)
    );
    assert_eq!(p[1].script.poll_interval, Duration::from_secs(2));
    assert!(build(&no_flags(), None).unwrap().profiles.is_empty());
    let e = err(
        &no_flags(),
        "[[customers]]\nname = \"a\"\n[[customers]]\nname = \"a\"\n",
    );
    assert!(
        e.starts_with("s.toml:4:8: customers[1].name: 'a' names two profiles"),
        "{e}"
    );
    let e = err(&no_flags(), "[[customers]]\nname = \"a\"\nweight = 0\n");
    assert!(
        e.starts_with("s.toml:3:10: customers[0].weight: must be above 0"),
        "{e}"
    );
    let e = err(
        &no_flags(),
        "[[customers]]\nname = \"a\"\nend = \"never\"\n",
    );
    assert!(
        e.starts_with("s.toml:3:7: customer.end: unknown end 'never'"),
        "{e}"
    );
}

#[test]
fn ramp_longer_than_duration_is_rejected() {
    let e = err(
        &no_flags(),
        "[load]\nramp_up = \"1m\"\nduration = \"30s\"\n",
    );
    assert!(
        e.contains("load.ramp_up: 1m is longer than the duration 30s"),
        "{e}"
    );
}

#[test]
fn empty_stage_and_bad_fraction_are_rejected() {
    let e = err(&no_flags(), "[[load.stages]]\nsessions = 5\n");
    assert!(
        e.starts_with("s.toml:2:12: load.stages[0]: a stage needs a ramp or a hold"),
        "{e}"
    );
    let e = err(&no_flags(), "near_miss_fraction = 1.5\n");
    assert!(
        e.starts_with("s.toml:1:22: near_miss_fraction: must be between 0 and 1"),
        "{e}"
    );
    let e = err(&no_flags(), "[retry]\nmax_consecutive = 0\n");
    assert!(
        e.starts_with("s.toml:2:19: retry.max_consecutive: must be at least 1"),
        "{e}"
    );
}

#[test]
fn bad_flags_name_the_flag() {
    let args = RunArgs {
        sessions: Some(0),
        ..RunArgs::default()
    };
    assert!(build(&args, None)
        .unwrap_err()
        .to_string()
        .starts_with("--sessions: must be between"));
    let args = RunArgs {
        duration: Some("soon".into()),
        ..RunArgs::default()
    };
    assert!(build(&args, None)
        .unwrap_err()
        .to_string()
        .starts_with("--duration: 'soon' is not a duration"));
    let args = RunArgs {
        target: crate::cli::TargetArgs {
            dialect: Some("soap".into()),
            ..Default::default()
        },
        ..RunArgs::default()
    };
    assert!(build(&args, None)
        .unwrap_err()
        .to_string()
        .starts_with("--dialect: unknown dialect"));
}

#[test]
fn stages_become_the_plan() {
    let cfg = build(
        &no_flags(),
        Some(&file("[[load.stages]]\nsessions = 10\nramp = \"5s\"\nhold = \"5s\"\n[[load.stages]]\nsessions = 0\nramp = \"2s\"\n")),
    )
    .unwrap();
    assert_eq!(cfg.plan.stages.len(), 2);
    assert_eq!(cfg.plan.duration(), Duration::from_secs(12));
    assert_eq!(cfg.plan.peak_sessions(), 10);
}

#[test]
fn a_cadence_that_cannot_fit_warns() {
    let cfg = build(
        &no_flags(),
        Some(&file("flex_disconnect_timeout = \"3s\"\nrequest_timeout = \"1s\"\n[customer]\npoll_interval = \"2s\"\njitter = { distribution = \"uniform\", amount = \"1500ms\" }\n")),
    )
    .unwrap();
    assert_eq!(cfg.warnings.len(), 1, "{:?}", cfg.warnings);
    assert!(
        cfg.warnings[0].contains("can exceed flex-disconnect-timeout 3s"),
        "{:?}",
        cfg.warnings
    );
}

#[test]
fn embedded_server_flex_matches_the_client() {
    // Only the server table sets it: the client judges gaps against the same value.
    let cfg = build(
        &no_flags(),
        Some(&file("[server]\nflex_disconnect_timeout = \"7s\"\n")),
    )
    .unwrap();
    assert_eq!(cfg.flex, Duration::from_secs(7));
    assert_eq!(cfg.server.flex_disconnect_timeout, Duration::from_secs(7));
    // Both set and different: the client's wins, with a warning.
    let cfg = build(
        &no_flags(),
        Some(&file("flex_disconnect_timeout = \"5s\"\nwebapi_prefix = \"/w\"\n[server]\nflex_disconnect_timeout = \"7s\"\n")),
    )
    .unwrap();
    assert_eq!(cfg.server.flex_disconnect_timeout, Duration::from_secs(5));
    assert_eq!(cfg.server.webapi_prefix, "/w");
    assert!(
        cfg.warnings.iter().any(|w| w.contains("differs")),
        "{:?}",
        cfg.warnings
    );
    // The flag sets both when there is no table.
    let args = RunArgs {
        flex_disconnect_timeout: Some("4s".into()),
        ..RunArgs::default()
    };
    assert_eq!(
        build(&args, None).unwrap().server.flex_disconnect_timeout,
        Duration::from_secs(4)
    );
}

#[test]
fn bad_server_table_is_a_usage_error() {
    let e = err(&no_flags(), "[server.agent]\nend_after_messages = 0\n");
    assert!(
        e.starts_with("[server]: server.agent.end_after_messages: must be at least 1"),
        "{e}"
    );
    let e = ScenarioFile::parse("s.toml", "[server]\nflex = 3\n".into())
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("s.toml:2:1:"), "{e}");
}

#[test]
fn absurd_durations_are_rejected_not_overflowed() {
    let e = err(&no_flags(), "[customer]\nlinger = \"90000 years\"\n");
    assert!(
        e.starts_with("s.toml:2:10: customer.linger: '90000 years' is longer than 400 days"),
        "{e}"
    );
}

#[test]
fn junit_path_is_checked_before_the_run() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(junit_path(None).unwrap(), None);
    let ok = dir.path().join("junit.xml");
    assert_eq!(junit_path(Some(&ok)).unwrap(), Some(ok.clone()));
    let is_dir = junit_path(Some(dir.path())).unwrap_err().to_string();
    assert!(
        is_dir.starts_with("--junit:") && is_dir.contains("is a directory"),
        "{is_dir}"
    );
    let missing = dir.path().join("nope").join("junit.xml");
    let err = junit_path(Some(&missing)).unwrap_err().to_string();
    assert!(err.contains("does not exist"), "{err}");
}

#[test]
fn thresholds_table_and_flags_parse_with_the_bad_check_named() {
    let text = "[thresholds]\nchecks = ['poll.p99 < 1s', 'sessions.flagged == 0']\ngrace = '5s'\n";
    let mut args = no_flags();
    args.thresholds = vec!["errors.rate < 1%".into()];
    let cfg = build(&args, Some(&file(text))).unwrap();
    assert_eq!(cfg.parsed_thresholds.len(), 3);
    assert_eq!(cfg.abort_grace, Duration::from_secs(5));
    assert_eq!(
        build(&no_flags(), None).unwrap().abort_grace,
        Duration::from_secs(10)
    );

    let bad = err(
        &no_flags(),
        "[thresholds]\nchecks = ['poll.p99 < 1s', 'poll.p99 < 1x']\n",
    );
    assert!(
        bad.starts_with("thresholds.checks[1]: threshold 'poll.p99 < 1x' at column 13"),
        "{bad}"
    );
    let mut flag = no_flags();
    flag.thresholds = vec!["pol.p99 < 1s".into()];
    let bad = build(&flag, None).unwrap_err().to_string();
    assert!(
        bad.starts_with("--threshold: ") && bad.contains("did you mean 'poll.p99'"),
        "{bad}"
    );
    let grace = err(&no_flags(), "[thresholds]\ngrace = 'soon'\n");
    assert!(grace.starts_with("thresholds.grace: "), "{grace}");
}

#[test]
fn the_ci_gate_scenario_builds_with_its_eleven_gates() {
    let text = include_str!("../../../scenarios/ci-gate.toml");
    let cfg = build(&no_flags(), Some(&file(text))).unwrap();
    assert!(cfg.thresholds.abort_on_fail);
    assert_eq!(cfg.parsed_thresholds.len(), 11);
    assert_eq!(cfg.abort_grace, Duration::from_secs(10));
}

#[test]
fn pacing_grid_defaults_to_none_and_is_capped_at_10ms() {
    assert_eq!(
        build(&no_flags(), None).unwrap().pacing_grid,
        Duration::ZERO
    );
    let cfg = build(&no_flags(), Some(&file("pacing_grid = \"1ms\"\n"))).unwrap();
    assert_eq!(cfg.pacing_grid, Duration::from_millis(1));
    let e = err(&no_flags(), "pacing_grid = \"50ms\"\n");
    assert!(
        e.starts_with("s.toml:1:15: pacing_grid: must be at most 10ms, got 50ms"),
        "{e}"
    );
    let flag = RunArgs {
        pacing_grid: Some("2s".into()),
        ..RunArgs::default()
    };
    let e = build(&flag, None).unwrap_err().to_string();
    assert!(e.starts_with("--pacing-grid: must be at most 10ms"), "{e}");
}

#[test]
fn threads_default_to_auto_the_flag_wins_and_too_many_name_the_field() {
    assert_eq!(build(&no_flags(), None).unwrap().threads, 0, "auto");
    let cfg = build(&no_flags(), Some(&file("threads = 3\n"))).unwrap();
    assert_eq!(cfg.threads, 3);
    let flag = RunArgs {
        threads: Some(1),
        ..RunArgs::default()
    };
    let cfg = build(&flag, Some(&file("threads = 3\n"))).unwrap();
    assert_eq!(cfg.threads, 1, "the flag wins");
    let e = err(&no_flags(), "threads = 5000\n");
    assert!(
        e.starts_with("s.toml:1:11: threads: must be between 0 and 1024, got 5000"),
        "{e}"
    );
    let flag = RunArgs {
        threads: Some(2000),
        ..RunArgs::default()
    };
    let e = build(&flag, None).unwrap_err().to_string();
    assert!(
        e.starts_with("--threads: must be between 0 and 1024"),
        "{e}"
    );
    let e = ScenarioFile::parse("s.toml", "threads = -1\n".into()).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("s.toml:1:11: threads: invalid value"),
        "{e}"
    );
}
