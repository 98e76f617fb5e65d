//! Packaging facts a new user meets first: the declared rust-version is what the
//! locked tree needs, both licence files exist, the protocol document the README and
//! the report cite exists, and the HTML p99 line only uses well-sampled intervals.

use super::{run, text, ROOT};
use serde_json::Value;

/// `1.88` and `1.88.0` are the same version: pad to major.minor.patch.
fn version(v: &str) -> Vec<u64> {
    let mut parts: Vec<u64> = v.split('.').map(|p| p.parse().unwrap_or(0)).collect();
    parts.resize(3, 0);
    parts
}

/// Cargo.toml's rust-version is at least every locked package's `rust_version`, and
/// the README states the same minimum.
#[test]
fn rust_version_covers_the_locked_tree() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        .current_dir(ROOT)
        .output()
        .expect("cargo metadata");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    let packages = meta["packages"].as_array().unwrap();
    let ours = packages
        .iter()
        .find(|p| p["name"] == "chatload")
        .and_then(|p| p["rust_version"].as_str())
        .expect("Cargo.toml declares rust-version");
    let (needed, by) = packages
        .iter()
        .filter_map(|p| Some((p["rust_version"].as_str()?, p["name"].as_str()?)))
        .max_by_key(|(v, _)| version(v))
        .unwrap();
    assert!(
        version(ours) >= version(needed),
        "rust-version {ours} is below {needed}, which {by} needs: raise it in Cargo.toml and README"
    );
    let readme = std::fs::read_to_string(format!("{ROOT}/README.md")).unwrap();
    assert!(
        readme.contains(&format!("Rust toolchain ({ours} or newer)")),
        "README states another minimum than {ours}"
    );
}

#[test]
fn both_licences_are_shipped() {
    let toml = std::fs::read_to_string(format!("{ROOT}/Cargo.toml")).unwrap();
    assert!(toml.contains("license = \"MIT OR Apache-2.0\""));
    let mit = std::fs::read_to_string(format!("{ROOT}/LICENSE-MIT")).unwrap();
    assert!(mit.starts_with("MIT License") && mit.contains("WITHOUT WARRANTY OF ANY KIND"));
    let apache = std::fs::read_to_string(format!("{ROOT}/LICENSE-APACHE")).unwrap();
    assert!(apache.contains("Apache License") && apache.contains("Version 2.0, January 2004"));
    assert!(apache.contains("END OF TERMS AND CONDITIONS"));
}

/// Relative links of README.md resolve, and nothing cites the missing `PROTOCOL.md`.
#[test]
fn readme_links_resolve_and_the_protocol_doc_exists() {
    let readme = std::fs::read_to_string(format!("{ROOT}/README.md")).unwrap();
    assert!(!readme.contains("PROTOCOL.md"), "README cites PROTOCOL.md");
    assert!(
        readme.contains("](docs/protocol.md)"),
        "README links docs/protocol.md"
    );
    for target in readme
        .split("](")
        .skip(1)
        .filter_map(|r| r.split(')').next())
    {
        if target.starts_with("http") || target.starts_with('#') {
            continue;
        }
        let path = target.split('#').next().unwrap();
        assert!(
            std::path::Path::new(ROOT).join(path).exists(),
            "README links to missing {target}"
        );
    }
    let doc = std::fs::read_to_string(format!("{ROOT}/docs/protocol.md")).unwrap();
    for section in [
        "## Operations",
        "## Envelope",
        "## statusCode × chatEnded",
        "## Transcript",
        "## flex-disconnect-timeout",
        "## Poll gaps",
        "## Sources",
    ] {
        assert!(doc.contains(section), "docs/protocol.md lacks {section}");
    }
}

/// `chatload report`: the page cites docs/protocol.md, and the p99-over-time line
/// has a point only for intervals with at least 100 requests, as its note says.
#[test]
fn report_cites_the_protocol_doc_and_draws_p99_only_when_well_sampled() {
    let mut s: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{ROOT}/tests/fixtures/summary.json")).unwrap(),
    )
    .unwrap();
    let timeline = s["timeline"].as_array_mut().unwrap();
    for (i, p) in timeline.iter_mut().enumerate() {
        p["requests"] = Value::from(match i % 3 {
            0 => 5,
            1 => 150,
            _ => 0,
        });
    }
    let with_requests = timeline.iter().filter(|p| p["requests"] != 0).count();
    let well_sampled = timeline.iter().filter(|p| p["requests"] == 150).count();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("summary.json"), s.to_string()).unwrap();
    let (code, _, err) = text(&run(&["report", dir.path().to_str().unwrap()]));
    assert_eq!(code, 0, "{err}");
    let page = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(!page.contains("PROTOCOL.md"));
    assert!(page.contains("docs/protocol.md"));
    let chart = page
        .split("data-chart=\"latency-over-time\"")
        .nth(1)
        .unwrap();
    let points: usize = chart
        .split("data-points=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert_eq!(points, with_requests + well_sampled);
    let figure = chart.split("</figure>").next().unwrap();
    assert!(
        figure.contains("p99 is drawn only for intervals with at least 100 requests"),
        "the chart note says so"
    );
}

/// The README check refuses, without running them, a command naming a remote host or
/// a program other than chatload that is not marked `ci: skip`; it runs the others.
#[cfg(unix)]
#[test]
fn readme_check_refuses_unmarked_remote_or_foreign_commands() {
    let dir = tempfile::tempdir().unwrap();
    let readme = dir.path().join("README.md");
    std::fs::write(
        &readme,
        "```sh\nchatload --version\nchatload run --target http://chat.example:8080 -d 1s\n\
         xdg-open report.html\nchatload serve --listen 0.0.0.0:9000   # ci: skip (serves)\n\
         chatload check missing-run   # ci: exit 2\n```\n",
    )
    .unwrap();
    let out = std::process::Command::new("bash")
        .arg(format!("{ROOT}/scripts/readme_commands.sh"))
        .arg(&readme)
        .env("CHATLOAD", env!("CARGO_BIN_EXE_chatload"))
        .output()
        .unwrap();
    let (code, stdout, stderr) = text(&out);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stderr.contains("names a host that is not loopback (chat.example)"),
        "{stderr}"
    );
    assert!(stderr.contains("not a chatload command"), "{stderr}");
    assert!(
        stdout.contains("README commands: 2 run, 1 skipped, 2 failed"),
        "{stdout}"
    );
}
