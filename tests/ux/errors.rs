//! Every scenario and `serve --config` error reads `file:line:col: field: rule; fix`,
//! exits 2, and is one line; conflicting settings are an error or a printed warning.

use super::{run, run_in, text};

/// Check the one error form: `error: FILE:LINE:COL: FIELD: RULE; FIX`, one line.
fn assert_one_form(stderr: &str, file: &str, field: &str) {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line expected:\n{stderr}");
    let line = lines[0];
    let rest = line
        .strip_prefix(&format!("error: {file}:"))
        .unwrap_or_else(|| panic!("no 'error: {file}:' prefix: {line}"));
    let mut parts = rest.splitn(3, ':');
    let (l, c) = (parts.next().unwrap(), parts.next().unwrap());
    assert!(
        l.parse::<u32>().is_ok() && c.parse::<u32>().is_ok(),
        "no line:col in: {line}"
    );
    let after = parts.next().unwrap_or_default();
    let body = after
        .strip_prefix(&format!(" {field}: "))
        .unwrap_or_else(|| panic!("field '{field}' expected after the position: {line}"));
    let (rule, fix) = body
        .split_once("; ")
        .unwrap_or_else(|| panic!("no '; fix' in: {line}"));
    assert!(!rule.trim().is_empty() && !fix.trim().is_empty(), "{line}");
}

/// (file text, field named in the error) for `chatload run FILE`.
const RUN_CASES: &[(&str, &str)] = &[
    ("[load]\nsessions = \"ten\"\n", "load.sessions"),
    ("[load]\nduration = \"0s\"\n", "load.duration"),
    ("[load]\nsesions = 3\n", "load.sesions"),
    ("seed = true\n", "seed"),
    ("[customer]\njitter = 5\n", "customer.jitter"),
    ("request_timeout = \"0s\"\n", "request_timeout"),
    (
        "flex_disconnect_timeout = \"0s\"\n",
        "flex_disconnect_timeout",
    ),
    ("dialect = \"xmpp\"\n", "dialect"),
    ("webapi_prefix = \"x/\"\n", "webapi_prefix"),
    ("near_miss_fraction = 2.0\n", "near_miss_fraction"),
    ("max_body_bytes = 10\n", "max_body_bytes"),
    ("max_connections = 0\n", "max_connections"),
    ("drain_timeout = \"soon\"\n", "drain_timeout"),
    (
        "[load]\nramp_up = \"1m\"\nduration = \"30s\"\n",
        "load.ramp_up",
    ),
    (
        "[load]\nduration = \"30s\"\n[[load.stages]]\nsessions = 2\nhold = \"1s\"\n",
        "load.duration",
    ),
    (
        "[load]\nsessions = 5\n[[load.stages]]\nsessions = 2\nhold = \"1s\"\n",
        "load.sessions",
    ),
    ("[[load.stages]]\nsessions = 2\n", "load.stages[0]"),
    (
        "[[load.stages]]\nsessions = 2\nhold = 5\n",
        "load.stages[0].hold",
    ),
    (
        "[customer]\npoll_interval = \"1ms\"\n",
        "customer.poll_interval",
    ),
    ("[customer]\nend = \"after-duration\"\n", "customer.end"),
    ("[customer]\nend = \"never\"\n", "customer.end"),
    ("[customer]\nnickname = \"\"\n", "customer.nickname"),
    ("[customer]\nmessage_text = \"\"\n", "customer.message_text"),
    (
        "[customer]\njitter = { distribution = \"uniform\" }\n",
        "customer.jitter.distribution",
    ),
    ("[customer]\ntyping = \"yes\"\n", "customer.typing"),
    ("[retry]\nmax_consecutive = 0\n", "retry.max_consecutive"),
    (
        "[thresholds]\nchecks = [\"pol.p99 < 3ms\"]\n",
        "thresholds.checks[0]",
    ),
    ("[thresholds]\ngrace = \"soon\"\n", "thresholds.grace"),
    (
        "[server]\nmax_message_length = 0\n",
        "server.max_message_length",
    ),
    ("[server]\nseed = \"one\"\n", "server.seed"),
    (
        "[[server.faults]]\nkind = \"status1\"\nrate = 1.5\n",
        "server.faults[0].rate",
    ),
    (
        "[[server.faults]]\nkind = \"boom\"\nevery = 1\n",
        "server.faults[0].kind",
    ),
    (
        "[server.agent]\njoin_after = \"later\"\n",
        "server.agent.join_after",
    ),
    (
        "[server.agent]\nend_after_messages = 0\n",
        "server.agent.end_after_messages",
    ),
];

#[test]
fn every_scenario_error_has_the_one_form() {
    let dir = tempfile::tempdir().unwrap();
    for (i, (toml, field)) in RUN_CASES.iter().enumerate() {
        let name = format!("case{i}.toml");
        std::fs::write(dir.path().join(&name), toml).unwrap();
        let out = run_in(dir.path(), &["run", &name, "-q"], &[]);
        let (code, _, err) = text(&out);
        assert_eq!(code, 2, "{toml}: {err}");
        assert_one_form(&err, &name, field);
    }
}

#[test]
fn a_syntax_error_names_the_position_and_a_fix() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), "name = \n").unwrap();
    let (code, _, err) = text(&run_in(dir.path(), &["run", "s.toml"], &[]));
    assert_eq!(code, 2);
    assert_one_form(&err, "s.toml", "TOML syntax");
}

/// (file text, field) for `chatload serve --config FILE`: scenario files and bare tables.
const SERVE_CASES: &[(&str, &str)] = &[
    ("[server]\nseed = \"one\"\n", "server.seed"),
    (
        "[server]\nflex_disconnect_timeout = \"0s\"\n",
        "server.flex_disconnect_timeout",
    ),
    ("[server]\nflex = 2\n", "server.flex"),
    (
        "[server.agent]\nreply_after = \"soon\"\n",
        "server.agent.reply_after",
    ),
    (
        "[[server.faults]]\nkind = \"delay\"\noperation = \"poll\"\nevery = 2\n",
        "server.faults[0]",
    ),
    (
        "name = \"x\"\nflex_disconnect_timeout = \"0s\"\n",
        "flex_disconnect_timeout",
    ),
    ("flex = 2\n", "flex"),
    (
        "seed = 1\nflex_disconnect_timeout = \"0s\"\n",
        "flex_disconnect_timeout",
    ),
    ("max_message_length = 0\n", "max_message_length"),
];

#[test]
fn every_serve_config_error_has_the_one_form() {
    let dir = tempfile::tempdir().unwrap();
    for (i, (toml, field)) in SERVE_CASES.iter().enumerate() {
        let name = format!("serve{i}.toml");
        std::fs::write(dir.path().join(&name), toml).unwrap();
        let out = run_in(
            dir.path(),
            &["serve", "--listen", "127.0.0.1:0", "--config", &name],
            &[],
        );
        let (code, _, err) = text(&out);
        assert_eq!(code, 2, "{toml}: {err}");
        assert_one_form(&err, &name, field);
    }
}

#[test]
fn serve_reads_a_scenarios_server_table_and_ignores_the_rest() {
    use chatload::server::read_config;
    // The shipped smoke scenario (no [server] table) is a valid --config file.
    let smoke = std::path::Path::new(super::ROOT).join("scenarios/smoke.toml");
    let c = read_config(&smoke).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        c.flex_disconnect_timeout,
        std::time::Duration::from_secs(45)
    );
    // A scenario's own timeout and prefix reach the server, like `run`'s embedded one;
    // its client tables are ignored.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.toml");
    std::fs::write(
        &p,
        "name = \"x\"\nflex_disconnect_timeout = \"10s\"\nwebapi_prefix = \"/w\"\n[load]\nsessions = 3\n[server]\nseed = 9\n",
    )
    .unwrap();
    let c = read_config(&p).unwrap();
    assert_eq!(
        c.flex_disconnect_timeout,
        std::time::Duration::from_secs(10)
    );
    assert_eq!((c.webapi_prefix.as_str(), c.seed), ("/w", 9));
    // [server]'s own timeout wins over the scenario's.
    std::fs::write(
        &p,
        "flex_disconnect_timeout = \"10s\"\n[load]\nsessions = 1\n[server]\nflex_disconnect_timeout = \"20s\"\n",
    )
    .unwrap();
    let c = read_config(&p).unwrap();
    assert_eq!(
        c.flex_disconnect_timeout,
        std::time::Duration::from_secs(20)
    );
}

#[cfg(unix)]
#[test]
fn serve_starts_with_the_smoke_scenario_as_config() {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_chatload"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--config",
            "scenarios/smoke.toml",
        ])
        .current_dir(super::ROOT)
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(first.contains("listening on http://127.0.0.1:"), "{first}");
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

#[test]
fn fault_flag_errors_speak_the_flags_syntax() {
    for (spec, needle) in [
        ("delay:poll:rate=0.1", "needs :delay=SPEC"),
        ("status1:poll", "add :every=N or :rate=R"),
        ("status1:poll:every=0", "every must be at least 1"),
        ("status1:poll:every=1:delay=2s", ":delay= only applies"),
    ] {
        let (code, _, err) = text(&run(&["serve", "--listen", "127.0.0.1:0", "--fault", spec]));
        assert_eq!(code, 2, "{spec}: {err}");
        assert!(err.contains(needle), "{spec}: {err}");
        assert!(
            !err.contains(" = ") && !err.contains("server.faults"),
            "TOML syntax in a flag's error: {err}"
        );
    }
}

#[test]
fn flags_on_a_stages_file_warn_that_they_replace_the_stages() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("st.toml"),
        "[[load.stages]]\nsessions = 2\nhold = \"1s\"\n[customer]\npoll_interval = \"200ms\"\n",
    )
    .unwrap();
    let out = run_in(
        dir.path(),
        &["run", "st.toml", "-n", "1", "-d", "1s", "-q", "--out", "r"],
        &[],
    );
    let (code, _, err) = text(&out);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(
            "warning: --sessions, --duration replace the scenario's [[load.stages]] by one ramp-and-hold stage"
        ),
        "{err}"
    );
}

#[test]
fn out_naming_an_existing_file_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("taken"), "x").unwrap();
    let (code, _, err) = text(&run_in(
        dir.path(),
        &["run", "-n", "1", "-d", "1s", "--out", "taken"],
        &[],
    ));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--out: 'taken' is a file"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("taken")).unwrap(),
        "x"
    );
}
