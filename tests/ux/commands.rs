//! `chatload init`, `completions`, `man` and `--version` through the binary.

use super::{run, run_in, text, ROOT};
use chatload::ScenarioFile;
use chatload::{build_config, RunConfig};

#[test]
fn init_writes_a_starter_that_runs_with_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = text(&run_in(dir.path(), &["init"], &[]));
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty(), "init writes nothing to stdout: {out}");
    assert!(err.contains("wrote scenario.toml"), "{err}");
    let path = dir.path().join("scenario.toml");
    let file = ScenarioFile::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let starter = build_config(&Default::default(), Some(&file)).unwrap_or_else(|e| panic!("{e}"));
    let defaults = build_config(&Default::default(), None).unwrap();
    // Every value the starter writes is the default it claims to be.
    let view = |c: &RunConfig| {
        let timing = (c.flex, c.request_timeout, c.drain_timeout, c.abort_grace);
        let names = (&c.service, &c.tenant, &c.webapi_prefix, c.dialect);
        let sizes = (c.max_body_bytes, c.max_connections, c.near_miss_fraction);
        let parts = (&c.plan, &c.script, &c.retry, &c.server);
        format!("{timing:?}\n{names:?}\n{sizes:?}\n{parts:?}")
    };
    assert_eq!(view(&starter), view(&defaults));
    assert!(starter.warnings.is_empty(), "{:?}", starter.warnings);
}

#[test]
fn init_takes_a_dialect_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = text(&run_in(
        dir.path(),
        &["init", "--dialect", "webapi", "w.toml"],
        &[],
    ));
    assert_eq!(code, 0, "{err}");
    let written = std::fs::read_to_string(dir.path().join("w.toml")).unwrap();
    assert!(written.contains("\ndialect = \"webapi\"\n"), "{written}");
    let (code, _, err) = text(&run_in(dir.path(), &["init", "w.toml"], &[]));
    assert_eq!(code, 2);
    assert!(err.contains("w.toml: already exists"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("w.toml")).unwrap(),
        written
    );
}

/// Every field of README's "Scenario file" table is in the starter (as a value or a
/// commented line), each with a comment line above it.
#[test]
fn the_starter_lists_every_field_of_the_readme_table() {
    let readme = std::fs::read_to_string(format!("{ROOT}/README.md")).unwrap();
    let table = readme
        .split("### Scenario file")
        .nth(1)
        .and_then(|t| t.split("\n\n").find(|b| b.starts_with("| field")))
        .expect("the Scenario file table");
    let starter = chatload::STARTER;
    let mut fields = 0;
    for row in table.lines().skip(2) {
        let field = row.split('`').nth(1).expect("a field name in backticks");
        fields += 1;
        if let Some(header) = field.strip_prefix('[') {
            assert!(starter.contains(&format!("\n[{header}")), "{field} missing");
            continue;
        }
        let (table, key) = field.rsplit_once('.').unwrap_or(("", field));
        let section = match table {
            "" => starter.split("\n[").next().unwrap(),
            t => starter
                .split(&format!("\n[{t}]\n"))
                .nth(1)
                .unwrap_or_else(|| panic!("no [{t}] table in the starter")),
        };
        let line = section
            .lines()
            .position(|l| {
                let l = l.trim_start_matches("# ").trim_start_matches("[[load.");
                l.starts_with(&format!("{key} ="))
                    || l.starts_with(&format!("{key}]]"))
                    || l == format!("[{key}]")
            })
            .unwrap_or_else(|| panic!("{field} is not in the starter"));
        let above = section.lines().nth(line.saturating_sub(1)).unwrap_or("");
        assert!(
            above.starts_with('#'),
            "{field} has no comment line above it"
        );
    }
    assert!(fields > 30, "only {fields} fields read from README");
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let (code, out, err) = text(&run(&["completions", shell]));
        assert_eq!(code, 0, "{shell}: {err}");
        for word in ["chatload", "init", "completions", "threshold", "dialect"] {
            assert!(out.contains(word), "{shell} script lacks {word}");
        }
    }
    let (code, _, err) = text(&run(&["completions", "tcsh"]));
    assert_eq!(code, 2, "{err}");
    // The bash script is valid bash.
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("chatload.bash");
    std::fs::write(&script, run(&["completions", "bash"]).stdout).unwrap();
    if let Ok(status) = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .status()
    {
        assert!(status.success(), "bash -n rejects the completion script");
    }
}

#[test]
fn man_page_covers_every_subcommand() {
    let (code, out, err) = text(&run(&["man"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with(".ie") || out.starts_with(".TH"),
        "{}",
        &out[..80]
    );
    for sub in ["run", "serve", "report", "check", "init", "completions"] {
        assert!(
            out.contains(&format!(".TH chatload-{sub} ")),
            "no page for {sub}"
        );
    }
    assert!(
        out.contains("CHATLOAD_*"),
        "the environment rule in the man page"
    );
    assert!(out.contains("\\-\\-threshold"), "options in the man page");
}

#[test]
fn version_names_the_git_commit() {
    let (code, out, _) = text(&run(&["--version"]));
    assert_eq!(code, 0);
    let line = out.trim();
    let commit = line
        .strip_prefix(concat!("chatload ", env!("CARGO_PKG_VERSION"), " (commit "))
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or_else(|| panic!("unexpected --version: {line}"));
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(ROOT)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    match head {
        Some(head) => assert_eq!(commit, head),
        None => assert_eq!(commit, "unknown"),
    }
}
