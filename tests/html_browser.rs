//! Browser test: the fixture's report opened from `file://` in Debian's headless
//! Chromium. Checks from the rendered DOM that every chart has its data drawn,
//! saves a screenshot to `target/test-artifacts/report.png`, and checks from
//! Chromium's net log that the page requested nothing.
//!
//! How the network check works: `--log-net-log` records every URL request the
//! browser starts. Requests Chromium makes for itself (component updater, time
//! sync, account checks) carry `initiator: "not an origin"`; requests a page
//! makes carry the page's origin (`"null"` for `file://`). The test asserts
//! that no page-initiated request exists, and proves the check can fail by
//! running the same detector on a canary page that loads an image and a
//! stylesheet by URL. `--host-resolver-rules` resolves every host to nothing,
//! so no request can leave the machine either way.
//!
//! Without Chromium the test fails when `CI` is set and is skipped otherwise.
//! `CHATLOAD_CHROMIUM=/path/to/chromium` picks another browser binary.

use chatload::report::html::write_html;
use chatload::report::model::Summary;
use std::path::{Path, PathBuf};
use std::process::Command;

const FIXTURE: &str = include_str!("fixtures/summary.json");

fn chromium() -> Option<PathBuf> {
    // CHATLOAD_CHROMIUM names the browser; a path that is not a file counts as missing.
    if let Some(p) = std::env::var_os("CHATLOAD_CHROMIUM") {
        return Some(PathBuf::from(p)).filter(|p| p.is_file());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::iter::once(PathBuf::from("/usr/bin"))
        .chain(std::env::split_paths(&path))
        .flat_map(|d| [d.join("chromium"), d.join("chromium-browser")])
        .find(|p| p.is_file())
}

/// Run headless Chromium on `page`; returns the dumped DOM. Writes a net log and a screenshot.
fn run_chromium(bin: &Path, page: &Path, net_log: &Path, shot: &Path, profile: &Path) -> String {
    let out = Command::new("timeout")
        .arg("60")
        .arg(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--window-size=1280,4000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--log-net-log={}", net_log.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("start chromium");
    assert!(
        out.status.success(),
        "chromium failed ({:?}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 DOM")
}

/// URLs of requests in the net log that a page (not the browser itself) started.
fn page_requests(net_log: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(net_log).expect("net log written");
    let log: serde_json::Value = serde_json::from_str(&text).expect("net log is JSON");
    let start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
        .as_u64()
        .expect("event type id");
    log["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["type"].as_u64() == Some(start_job))
        .filter_map(|e| {
            let p = &e["params"];
            let url = p["url"].as_str()?;
            (p["initiator"].as_str() != Some("not an origin")).then(|| url.to_string())
        })
        .collect()
}

/// For each `data-chart` figure of the DOM: (id, declared points, drawn vertices + bars).
fn charts(dom: &str) -> Vec<(String, usize, usize)> {
    dom.match_indices("data-chart=\"")
        .map(|(i, m)| {
            let rest = &dom[i + m.len()..];
            let id = rest[..rest.find('"').unwrap()].to_string();
            let figure = &rest[..rest.find("</figure>").expect("figure closes")];
            let declared = figure
                .split("data-points=\"")
                .nth(1)
                .and_then(|v| v[..v.find('"')?].parse().ok())
                .expect("data-points");
            let vertices: usize = figure
                .split("<polyline")
                .skip(1)
                .map(|p| {
                    let pts = p.split("points=\"").nth(1).unwrap_or("");
                    pts[..pts.find('"').unwrap_or(0)].split_whitespace().count()
                })
                .sum();
            let bars = figure.matches("<rect class=\"bar").count();
            (id, declared, vertices + bars)
        })
        .collect()
}

#[test]
fn report_renders_in_headless_chromium_without_network() {
    let Some(bin) = chromium() else {
        if std::env::var_os("CI").is_some() {
            panic!("chromium is not installed; CI must install Debian's chromium (see .ci/run)");
        }
        eprintln!(
            "SKIPPED: chromium not found (install Debian's `chromium`; set CI=1 to make this fail)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let summary: Summary = serde_json::from_str(FIXTURE).unwrap();
    let page = dir.path().join("report.html");
    let mut file = std::fs::File::create(&page).unwrap();
    write_html(&summary, &mut file).unwrap();
    drop(file);

    let artifacts = Path::new(env!("CARGO_TARGET_TMPDIR")).join("../test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let shot = artifacts.join("report.png");
    let net_log = dir.path().join("net-log.json");
    let dom = run_chromium(&bin, &page, &net_log, &shot, &dir.path().join("profile"));

    let drawn = charts(&dom);
    assert_eq!(drawn.len(), 7, "seven charts in the DOM: {drawn:?}");
    for (id, declared, seen) in &drawn {
        assert!(*seen > 0, "chart {id} has no drawn data in the DOM");
        assert_eq!(declared, seen, "chart {id}: data-points vs drawn marks");
    }
    assert!(
        !dom.to_ascii_lowercase().contains("<script"),
        "no script element was parsed"
    );
    assert!(dom
        .contains("<h1>smoke &lt;script&gt;alert(\"name\")&lt;/script&gt; &amp; \"quotes\"</h1>"));
    assert!(dom.contains("1 of 3 gates failed"));
    let png = std::fs::metadata(&shot).expect("screenshot saved").len();
    assert!(png > 20_000, "screenshot looks blank ({png} bytes)");
    let requests = page_requests(&net_log);
    assert!(requests.is_empty(), "the report requested: {requests:?}");

    // Control: the same detector sees a page that does fetch by URL.
    let canary = dir.path().join("canary.html");
    std::fs::write(
        &canary,
        "<!doctype html><img src=\"http://canary.invalid/p.png\"><link rel=stylesheet href=\"https://canary.invalid/s.css\">",
    )
    .unwrap();
    let canary_log = dir.path().join("canary-log.json");
    let canary_shot = dir.path().join("canary.png");
    run_chromium(
        &bin,
        &canary,
        &canary_log,
        &canary_shot,
        &dir.path().join("profile2"),
    );
    let seen = page_requests(&canary_log);
    assert!(
        seen.iter().any(|u| u.starts_with("http://canary.invalid/")),
        "the net-log check must detect page requests: {seen:?}"
    );
}
