//! Unit tests of the server options: TOML shapes, flag syntax, validation.

use super::*;
use crate::protocol::Operation;

fn parse(toml_text: &str) -> Result<ServerConfig, String> {
    toml::from_str::<ServerConfig>(toml_text).map_err(|e| e.to_string())
}

#[test]
fn defaults_match_the_protocol() {
    let c = ServerConfig::default();
    assert_eq!(c.flex_disconnect_timeout, Duration::from_secs(45));
    assert_eq!(c.seed, 1);
    assert!(c.agent.enabled);
    assert!(c.faults.is_empty());
    assert_eq!(parse("").unwrap(), c);
    c.validate().unwrap();
}

#[test]
fn reads_the_documented_toml() {
    let c = parse(
        r#"
flex_disconnect_timeout = "1500ms"
webapi_prefix = "/webapi"
seed = 7
[agent]
join_after = "1s"
reply_after = { min = "200ms", max = "2s" }
end_after_messages = 3
[[faults]]
kind = "status1"
operation = "poll"
every = 10
[[faults]]
kind = "delay"
operation = "any"
rate = 0.01
delay = { mean = "1s" }
[[faults]]
kind = "http_5xx"
operation = "send"
rate = 0.5
"#,
    )
    .unwrap();
    c.validate().unwrap();
    assert_eq!(c.flex_disconnect_timeout, Duration::from_millis(1500));
    assert_eq!(
        c.agent.reply_after,
        DelaySpec::Uniform {
            min: Duration::from_millis(200),
            max: Duration::from_secs(2)
        }
    );
    assert_eq!(c.agent.end_after_messages, Some(3));
    assert_eq!(
        c.faults[0].operation,
        OperationSelector::Only(Operation::Poll)
    );
    assert_eq!(
        c.faults[1].delay,
        Some(DelaySpec::Exponential {
            mean: Duration::from_secs(1)
        })
    );
    assert_eq!(c.faults[2].kind, FaultKind::Http5xx);
    // Serialising gives TOML that reads back the same.
    let text = toml::to_string(&c).unwrap();
    assert!(
        text.contains("flex_disconnect_timeout = \"1s 500ms\""),
        "{text}"
    );
    assert_eq!(parse(&text).unwrap(), c);
}

#[test]
fn bad_toml_names_the_field() {
    let e = parse("flex_disconnect_timeout = \"5 parsecs\"").unwrap_err();
    assert!(
        e.contains("flex_disconnect_timeout") && e.contains("'5 parsecs' is not a duration"),
        "{e}"
    );
    let e = parse("flex_timeout = \"5s\"").unwrap_err();
    assert!(e.contains("unknown field `flex_timeout`"), "{e}");
    let e = parse("[[faults]]\nkind = \"explode\"\nevery = 1").unwrap_err();
    assert!(e.contains("explode"), "{e}");
    let e = parse("[[faults]]\nkind = \"drop\"\noperation = \"refresh\"\nevery = 1").unwrap_err();
    assert!(
        e.contains("unknown operation 'refresh'") && e.contains("poll"),
        "{e}"
    );
    let e = parse("[agent]\nreply_after = { min = \"1s\" }").unwrap_err();
    assert!(e.contains("both `min` and `max`"), "{e}");
}

#[test]
fn validation_names_the_field_and_the_rule() {
    let check = |c: ServerConfig, needle: &str| {
        let e = c.validate().unwrap_err().0;
        assert!(e.contains(needle), "expected '{needle}' in: {e}");
    };
    let mut c = ServerConfig {
        flex_disconnect_timeout: Duration::from_millis(500),
        ..ServerConfig::default()
    };
    check(
        c.clone(),
        "server.flex_disconnect_timeout: must be between 1s and 1728000s",
    );
    c.flex_disconnect_timeout = Duration::from_secs(1_728_001);
    check(c, "server.flex_disconnect_timeout");
    let c = ServerConfig {
        webapi_prefix: "webapi/".into(),
        ..ServerConfig::default()
    };
    check(c, "server.webapi_prefix");
    let rule = |every, rate| FaultRule {
        kind: FaultKind::Status1,
        operation: OperationSelector::Any,
        every,
        rate,
        delay: None,
    };
    for (r, needle) in [
        (
            rule(Some(0), None),
            "server.faults[0].every: must be at least 1",
        ),
        (
            rule(None, Some(1.5)),
            "server.faults[0].rate: must be between 0 and 1",
        ),
        (rule(None, None), "add `every = N`"),
        (rule(Some(1), Some(0.1)), "either `every` or `rate`"),
    ] {
        check(
            ServerConfig {
                faults: vec![r],
                ..ServerConfig::default()
            },
            needle,
        );
    }
    let delay = FaultRule {
        kind: FaultKind::Delay,
        ..rule(Some(1), None)
    };
    check(
        ServerConfig {
            faults: vec![delay],
            ..ServerConfig::default()
        },
        "add `delay =",
    );
    let mut c = ServerConfig::default();
    c.agent.reply_after = DelaySpec::Uniform {
        min: Duration::from_secs(2),
        max: Duration::from_secs(1),
    };
    check(
        c,
        "server.agent.reply_after: min (2s) is larger than max (1s)",
    );
}

#[test]
fn fault_flags_parse() {
    let r: FaultRule = "status1:poll:every=10".parse().unwrap();
    assert_eq!((r.kind, r.every), (FaultKind::Status1, Some(10)));
    let r: FaultRule = "delay:any:rate=0.25:delay=exp:1s".parse().unwrap();
    assert_eq!(r.rate, Some(0.25));
    assert_eq!(
        r.delay,
        Some(DelaySpec::Exponential {
            mean: Duration::from_secs(1)
        })
    );
    let r: FaultRule = "delay:send:every=2:delay=100ms..2s".parse().unwrap();
    assert!(matches!(r.delay, Some(DelaySpec::Uniform { .. })));
    for (bad, needle) in [
        ("boom:poll:every=1", "unknown fault kind 'boom'"),
        ("status1", "expected KIND:OPERATION"),
        ("status1:poll", "add :every=N or :rate=R"),
        ("delay:poll:rate=0.1", "needs :delay=SPEC"),
        ("status1:poll:every=1:delay=2s", ":delay= only applies"),
        ("status1:poll:every=x", "every='x' is not a whole number"),
        (
            "status1:poll:rate=2",
            "rate must be between 0 and 1 (got 2)",
        ),
        ("status1:poll:often=1", "unknown option 'often'"),
    ] {
        let e = bad.parse::<FaultRule>().unwrap_err();
        assert!(e.contains(needle), "{bad}: {e}");
    }
}

#[test]
fn delays_sample_inside_their_bounds() {
    let u = DelaySpec::Uniform {
        min: Duration::from_millis(100),
        max: Duration::from_millis(300),
    };
    let e = DelaySpec::Exponential {
        mean: Duration::from_secs(1),
    };
    for n in 0..1000 {
        let mut rng = super::super::rng::rng_for(1, 2, n);
        let d = u.sample(&mut rng);
        assert!((Duration::from_millis(100)..=Duration::from_millis(300)).contains(&d));
        assert!(e.sample(&mut rng) <= Duration::from_secs(20));
    }
    assert_eq!(
        "250ms".parse::<DelaySpec>().unwrap(),
        DelaySpec::Fixed(Duration::from_millis(250))
    );
    assert!("soon"
        .parse::<DelaySpec>()
        .unwrap_err()
        .contains("'soon' is not a duration"));
}

#[test]
fn durations_longer_than_400_days_are_rejected() {
    // `now + join_after` would overflow `Instant` and panic in the request handler.
    let e = parse("[agent]\njoin_after = \"300000000000y\"").unwrap_err();
    assert!(e.contains("longer than 400 days"), "{e}");
    assert!(parse("[agent]\njoin_after = \"400days\"").is_ok());
    let e = "1s..300000000000y".parse::<DelaySpec>().unwrap_err();
    assert!(e.contains("longer than 400 days"), "{e}");
}

#[test]
fn pool_options_read_and_break_the_rules_by_name() {
    let c = parse(
        "agents = 3\nchats_per_agent = 2\n[agent]\nend_after = { distribution = \"exponential\", mean = \"5m\" }",
    )
    .unwrap();
    c.validate().unwrap();
    assert_eq!((c.agents, c.chats_per_agent), (Some(3), Some(2)));
    assert_eq!(
        c.agent.end_after,
        Some(DelaySpec::Exponential {
            mean: Duration::from_secs(300)
        })
    );
    assert_eq!(parse(&toml::to_string(&c).unwrap()).unwrap(), c);
    // Without the options nothing about the pool is written.
    let text = toml::to_string(&ServerConfig::default()).unwrap();
    assert!(
        !text.contains("agents") && !text.contains("end_after ="),
        "{text}"
    );
    let pool = |agents, per_agent| ServerConfig {
        agents,
        chats_per_agent: per_agent,
        ..ServerConfig::default()
    };
    for (c, needle) in [
        (
            pool(None, Some(2)),
            "server.chats_per_agent (--chats-per-agent) needs a pool: add agents = N",
        ),
        (
            pool(Some(0), None),
            "server.agents (--agents) must be at least 1",
        ),
        (
            pool(Some(2), Some(0)),
            "server.chats_per_agent (--chats-per-agent) must be at least 1",
        ),
        (pool(Some(1_000), Some(1_001)), "at most 1000000 slots"),
        (
            ServerConfig {
                agent: AgentConfig {
                    enabled: false,
                    ..AgentConfig::default()
                },
                ..pool(Some(1), None)
            },
            "remove agent.enabled = false (--no-agent)",
        ),
    ] {
        let e = c.validate().unwrap_err().0;
        assert!(e.contains(needle), "expected '{needle}' in: {e}");
    }
    let e =
        parse("[agent]\nend_after = { distribution = \"lognormal\", mean = \"5m\" }").unwrap_err();
    assert!(
        e.contains("end_after") && e.contains("needs `mean` and `sd`"),
        "{e}"
    );
}
