//! Structural tests of the HTML report rendered from `tests/fixtures/summary.json`,
//! a synthetic huge run, an empty summary, and `chatload report` through the binary.

#[path = "report/schema_check.rs"]
#[allow(dead_code)]
mod schema_check;

use chatload::report::html::write_html;
use chatload::report::model::{
    GapBucket, LatencyStats, OutcomeCount, PercentileCurves, PercentilePoint, SessionRow, Summary,
    TimelinePoint,
};
use std::collections::BTreeMap;
use std::process::Command;

const FIXTURE: &str = include_str!("fixtures/summary.json");

/// Every chart the page must draw.
const CHARTS: [&str; 7] = [
    "latency-percentiles-corrected",
    "latency-percentiles-service-time",
    "latency-over-time",
    "throughput",
    "gap-distribution",
    "flags-over-time",
    "outcomes",
];

fn fixture() -> Summary {
    serde_json::from_str(FIXTURE).expect("fixture parses as a Summary")
}

fn render(s: &Summary) -> String {
    let mut out = Vec::new();
    write_html(s, &mut out).expect("render");
    String::from_utf8(out).expect("utf-8")
}

/// The value of `attr="..."` in the first tag that has `anchor` in it.
fn attr_after(page: &str, anchor: &str, attr: &str) -> Option<String> {
    let at = page.find(anchor)?;
    let tag_end = at + page[at..].find('>')?;
    let tag = &page[at..tag_end];
    let key = format!("{attr}=\"");
    let start = tag.find(&key)? + key.len();
    let len = tag[start..].find('"')?;
    Some(tag[start..start + len].to_string())
}

/// The HTML of the table with `data-table="id"`.
fn table<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page
        .find(&format!("data-table=\"{id}\""))
        .unwrap_or_else(|| panic!("table {id} missing"));
    let end = start + page[start..].find("</table>").expect("table end");
    &page[start..end]
}

/// Body rows of the table with `data-table="id"`.
fn body_rows(page: &str, id: &str) -> usize {
    let t = table(page, id);
    let body = &t[t.find("<tbody>").expect("tbody")..];
    body.matches("<tr>").count()
}

#[test]
fn fixture_follows_the_summary_schema() {
    let instance: serde_json::Value = serde_json::from_str(FIXTURE).unwrap();
    let errors = schema_check::validate(&schema_check::load(), &instance);
    assert!(
        errors.is_empty(),
        "fixture breaks the schema:\n{}",
        errors.join("\n")
    );
}

#[test]
fn every_section_and_chart_is_present_with_data() {
    let page = render(&fixture());
    for section in [
        "header",
        "gates",
        "key-figures",
        "latency",
        "load",
        "outcomes",
        "gaps",
        "violations",
    ] {
        assert!(
            page.contains(&format!("data-section=\"{section}\"")),
            "section {section} missing"
        );
    }
    for chart in CHARTS {
        let points: usize = attr_after(&page, &format!("data-chart=\"{chart}\""), "data-points")
            .unwrap_or_else(|| panic!("chart {chart} missing"))
            .parse()
            .expect("numeric data-points");
        assert!(points > 0, "chart {chart} drew no data");
    }
    // Six operations, two views: every operation has a line in both percentile charts.
    let corrected = &page[page
        .find("data-chart=\"latency-percentiles-corrected\"")
        .unwrap()..];
    let corrected = &corrected[..corrected.find("</figure>").unwrap()];
    assert_eq!(corrected.matches("<polyline").count(), 6);
    // Gap chart draws both reference lines.
    assert!(page.contains("flex-disconnect-timeout 10 s"));
    assert!(page.contains("near miss 8 s"));
}

#[test]
fn tables_match_the_fixture() {
    let s = fixture();
    let page = render(&s);
    for (id, rows) in [
        ("outcomes", s.outcomes.len()),
        ("worst-sessions", s.worst_sessions.len()),
        ("violations", s.violations.len()),
        ("thresholds", s.thresholds.len()),
        ("gap-causes", s.gaps.flagged_by_cause.len()),
        ("transport-errors", 4),
        ("latency", 12),
    ] {
        assert_eq!(body_rows(&page, id), rows, "rows of table {id}");
    }
    let transport = table(&page, "transport-errors");
    assert!(
        transport.contains("Reasons: invalid peer certificate: UnknownIssuer; &lt;script&gt;"),
        "{transport}"
    );
    assert!(page.contains("HTTP/2 TLS (verified as gms.example.com), proxy proxy.example.com:3128, cookies on, 1000 customers from customers.csv (sequential)"));
    assert!(!page.contains("data-insecure"));
    let worst = table(&page, "worst-sessions");
    assert!(worst.contains("<td>0001AB0137C000</td><td class=\"num\">19.6 s</td>"));
    assert!(worst.contains("<td>retries</td><td>agent_ended</td>"));
    let latency = table(&page, "latency");
    assert!(latency.contains(
        "<td>poll</td><td>corrected</td><td class=\"num\">11,840</td><td class=\"num\">11,840</td><td class=\"num\">0.879</td><td class=\"num\">14</td><td class=\"num\">12</td><td class=\"num\">24.3</td><td class=\"num\">43.1</td>"
    ));
    let outcomes = table(&page, "outcomes");
    assert!(outcomes.contains("<td class=\"num\">11,542</td><td>Everything is fine.</td>"));
    assert!(outcomes.contains("<td class=\"num\">502</td>"));
    let violations = table(&page, "violations");
    assert!(
        violations.contains("<td>status1_chat_ended</td><td><span class=\"badge bad\">3</span>")
    );
    assert!(violations.contains(
        "This case isn&#39;t possible, as the request was unsuccessful and the last successful chatEnded flag is inherited"
    ));
    assert!(violations.contains("holes"));
    let gates = table(&page, "thresholds");
    assert_eq!(gates.matches("badge ok\">pass").count(), 2);
    assert_eq!(gates.matches("badge bad\">fail").count(), 1);
    assert!(page.contains("1 of 3 gates failed"));
    assert!(page.contains("data-figure=\"requests\""));
    assert!(page.contains(">15,190<"));
    assert!(
        page.contains(">182 / 18<"),
        "sessions completed / failed card"
    );
    assert!(
        page.contains(">12 / 43.1 / 113 ms<"),
        "poll p50/p99/p99.9 card"
    );
}

#[test]
fn user_strings_are_escaped() {
    let page = render(&fixture());
    assert!(
        !page.to_ascii_lowercase().contains("<script"),
        "raw <script> in the page"
    );
    assert!(page.contains(
        "smoke &lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt; &amp; &quot;quotes&quot;"
    ));
    assert!(page.contains("customer-support?&lt;script&gt;x&lt;/script&gt;"));
    assert!(page.contains("<td>0002&lt;&amp;&gt;&quot;&#39;chat</td>"));
    assert!(page.contains("errors.rate &lt; 5% &lt;b&gt;"));
    // The title and the SVG aria-labels carry escaped text too.
    assert!(page.contains("<title>chatload report: smoke &lt;script&gt;"));
}

#[test]
fn page_is_self_contained() {
    let page = render(&fixture());
    assert!(page.contains(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
    ));
    let lower = page.to_ascii_lowercase();
    assert!(!lower.contains("src="), "no element loads a source");
    assert!(!lower.contains("url("), "no CSS url()");
    assert!(!lower.contains("@import"));
    assert!(!lower.contains("@font-face"));
    assert!(!lower.contains("<link"));
    for (i, _) in lower.match_indices("href=\"") {
        let value = &lower[i + 6..];
        assert!(
            value.starts_with('#'),
            "only in-page links: {}",
            &value[..40.min(value.len())]
        );
    }
    // The only scheme in the page is the fixture's target, shown as escaped text.
    let target = "http://127.0.0.1:8080/genesys/2/chat/customer-support?&lt;script&gt;";
    assert_eq!(
        lower.matches("http://").count(),
        page.matches(target).count()
    );
    assert!(!lower.contains("https://"));
}

fn stats(v: f64) -> LatencyStats {
    LatencyStats {
        count: 1_000_000,
        min: v / 4.0,
        mean: v,
        p50: v,
        p90: v * 2.0,
        p99: v * 4.0,
        p999: v * 8.0,
        p9999: v * 16.0,
        max: v * 50.0,
    }
}

/// A 1 h × 100,000-session shaped summary with far more points than the page draws.
fn huge() -> Summary {
    let mut s = fixture();
    let ops = [
        "request_chat",
        "poll",
        "send",
        "start_typing",
        "stop_typing",
        "disconnect",
        "push_url",
        "update_nickname",
        "custom_notice",
        "update_data",
        "read_receipt",
    ];
    let curve: Vec<PercentilePoint> = (0..3000)
        .map(|i| PercentilePoint {
            percentile: 100.0 * (1.0 - 10f64.powf(-(i as f64) / 500.0)),
            value_ms: 5.0 + i as f64 / 10.0,
        })
        .collect();
    s.latency_ms = ops.iter().map(|o| (o.to_string(), stats(10.0))).collect();
    s.service_time_ms = s.latency_ms.clone();
    s.percentile_curves = ops
        .iter()
        .map(|o| {
            let c = PercentileCurves {
                corrected: curve.clone(),
                service_time: curve.clone(),
            };
            (o.to_string(), c)
        })
        .collect();
    s.outcomes = ops
        .iter()
        .flat_map(|o| {
            [
                (200, Some(0), Some(false)),
                (200, Some(1), Some(false)),
                (502, None, None),
            ]
            .map(|(h, sc, e)| OutcomeCount {
                operation: o.to_string(),
                http_status: h,
                status_code: sc,
                chat_ended: e,
                count: 1000,
            })
        })
        .collect();
    s.timeline_step_s = 1;
    s.timeline = (0..3600)
        .map(|t| TimelinePoint {
            t_s: t,
            time_utc: String::new(),
            requests: 30_000 + t % 97,
            errors: t % 13,
            p50_ms: 12.0 + (t % 7) as f64,
            p99_ms: 80.0 + (t % 31) as f64,
            active_sessions: 100_000,
            flags_total: t,
            flags_by_cause: BTreeMap::from([
                ("slow_response".to_string(), t % 3),
                ("retries".to_string(), t % 2),
            ]),
            ..TimelinePoint::default()
        })
        .collect();
    s.gap_histogram = (0..2000)
        .map(|i| GapBucket {
            from_ms: i as f64 * 50.0,
            to_ms: (i + 1) as f64 * 50.0,
            count: 5,
        })
        .collect();
    s.worst_sessions = (0..50)
        .map(|i| SessionRow {
            ordinal: i * 1999,
            chat_id: format!("00{i:04}ABCDEF0123456789"),
            polls: 1200,
            max_gap_ms: 60_000.0 - i as f64,
            flagged: true,
            near_miss: false,
            cause: Some(chatload::report::vocab::GapCause::SlowResponse),
            end_reason: chatload::report::vocab::EndReason::ClientDisconnect,
            ..SessionRow::default()
        })
        .collect();
    s
}

#[test]
fn huge_run_stays_under_five_megabytes_and_caps_points() {
    let page = render(&huge());
    println!("huge summary page: {} bytes", page.len());
    // Kept for manual timing in a browser (see README.md, "The HTML report").
    let artifacts = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("../test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    std::fs::write(artifacts.join("huge-report.html"), &page).unwrap();
    assert!(page.len() < 5_000_000, "page is {} bytes", page.len());
    for (i, _) in page.match_indices("points=\"") {
        let value = &page[i + 8..];
        let value = &value[..value.find('"').unwrap()];
        assert!(
            value.split(' ').count() <= 1500,
            "a polyline has more than 1,500 points"
        );
    }
    let flags: usize = attr_after(&page, "data-chart=\"flags-over-time\"", "data-points")
        .unwrap()
        .parse()
        .unwrap();
    assert!(flags > 0 && flags <= 2 * 240, "flag bars capped: {flags}");
    assert_eq!(body_rows(&page, "worst-sessions"), 50);
}

#[test]
fn the_service_level_draws_the_queue_wait_with_the_target_line() {
    // The fixture predates the service level: no section, no chart.
    assert!(!render(&fixture()).contains("data-chart=\"queue-wait\""));
    let mut s = fixture();
    s.service_level = Some(chatload::report::model::ServiceLevel {
        joined: 80,
        abandoned: 15,
        never_joined: 5,
        asa_ms: 12_000.0,
        target_ms: 20_000,
        within_target_rate: 0.6,
        queue_wait_ms: stats(8_000.0),
        abandoned_wait_ms: stats(90_000.0),
        first_response_ms: stats(3_000.0),
        response_ms: stats(4_000.0),
    });
    let page = render(&s);
    // Seven vertices: min, p50, p90, p99, p99.9, p99.99, max.
    assert_eq!(
        attr_after(&page, "data-chart=\"queue-wait\"", "data-points").as_deref(),
        Some("7")
    );
    assert!(page.contains("target 20 s (60 % within)"), "target line");
    let t = table(&page, "service-level");
    assert!(t.contains("60 % within 20 s") && t.contains("12 s"), "{t}");
    assert!(t.contains("badge bad") && t.contains(">15<"), "{t}");
    assert_eq!(body_rows(&page, "service-level"), 9);
}

#[test]
fn customer_profiles_get_a_row_each() {
    // Without profiles (the fixture): no section.
    assert!(!render(&fixture()).contains("Customer profiles"));
    let mut s = fixture();
    let sl = chatload::report::model::ServiceLevel {
        joined: 7,
        abandoned: 3,
        never_joined: 0,
        asa_ms: 4_500.0,
        target_ms: 20_000,
        within_target_rate: 0.7,
        queue_wait_ms: stats(4_000.0),
        abandoned_wait_ms: stats(30_000.0),
        first_response_ms: stats(2_000.0),
        response_ms: LatencyStats::default(),
    };
    let figures = |sessions, flagged, sl| chatload::report::model::ProfileFigures {
        sessions,
        established: sessions,
        flagged,
        near_miss: 1,
        max_gap_ms: 1_500.0,
        end_reasons: BTreeMap::new(),
        service_level: sl,
        ..Default::default()
    };
    s.profiles.insert("chatty".into(), figures(10, 2, Some(sl)));
    s.profiles.insert("lurker".into(), figures(20, 0, None));
    let page = render(&s);
    assert_eq!(body_rows(&page, "profiles"), 2);
    let t = table(&page, "profiles");
    let chatty = &t[t.find("chatty").unwrap()..t.find("lurker").unwrap()];
    assert!(
        chatty.contains(">10<") && chatty.contains("badge bad"),
        "{chatty}"
    );
    assert!(
        chatty.contains("70 %") && chatty.contains("4.5 s") && chatty.contains(">3<"),
        "{chatty}"
    );
    // A profile none of whose chats was established shows dashes, not zeros.
    let lurker = &t[t.find("lurker").unwrap()..];
    assert!(
        lurker.contains(">20<") && lurker.contains("–") && !lurker.contains("badge bad"),
        "{lurker}"
    );
}

#[test]
fn empty_summary_renders_without_data() {
    let page = render(&Summary::default());
    for chart in CHARTS {
        assert_eq!(
            attr_after(&page, &format!("data-chart=\"{chart}\""), "data-points").as_deref(),
            Some("0"),
            "{chart}"
        );
    }
    assert!(page.contains("no data in this run"));
    assert!(page.contains("No thresholds were given for this run."));
    assert!(!page.contains("NaN") && !page.contains("inf"));
}

fn chatload(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_chatload"))
        .arg("report")
        .args(args)
        .output()
        .expect("run chatload")
}

#[test]
fn report_command_writes_report_html() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("summary.json"), FIXTURE).unwrap();
    let out = chatload(&[dir.path().as_os_str()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert_eq!(page, render(&fixture()));

    let other = dir.path().join("elsewhere.html");
    let out = chatload(&[dir.path().as_os_str(), "--html".as_ref(), other.as_os_str()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(std::fs::read_to_string(&other)
        .unwrap()
        .contains("data-chart=\"outcomes\""));
}

#[test]
fn report_command_rejects_missing_and_invalid_input() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-run");
    let out = chatload(&[missing.as_os_str()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no-such-run") && err.contains("summary.json"),
        "{err}"
    );

    let out = chatload(&[dir.path().as_os_str()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("summary.json"));

    std::fs::write(
        dir.path().join("summary.json"),
        "{\n  \"schema_version\": 1,\n  oops\n}",
    )
    .unwrap();
    let out = chatload(&[dir.path().as_os_str()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("summary.json:3:"),
        "names file:line:col: {err}"
    );
    assert!(!dir.path().join("report.html").exists());

    std::fs::write(dir.path().join("summary.json"), FIXTURE).unwrap();
    let bad_out = dir.path().join("missing-dir").join("r.html");
    let out = chatload(&[
        dir.path().as_os_str(),
        "--html".as_ref(),
        bad_out.as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--html"));
}

/// A summary built by the real metrics module from a scripted 30-second run.
fn metrics_summary() -> Summary {
    use chatload::metrics::{GapCause, Metrics, Outcome, RequestRecord, RunFacts};
    use chatload::protocol::Operation;
    use chatload::report::model::ScenarioInfo;
    use std::time::{Duration, Instant};

    let ms = Duration::from_millis(1);
    let base = Instant::now();
    let m = Metrics::new(base, Duration::from_secs(10), 0.8);
    for sec in 0..30u32 {
        for i in 0..20u32 {
            let n = sec * 20 + i;
            if sec == 0 {
                m.session_started();
            }
            let status = if n % 17 == 0 { Some(1) } else { Some(0) };
            m.record_request(&RequestRecord {
                operation: if i % 4 == 0 {
                    Operation::Send
                } else {
                    Operation::Poll
                },
                intended: base + Duration::from_secs(sec.into()) + ms * i,
                sent: base + Duration::from_secs(sec.into()) + ms * (i + 1),
                done: base + Duration::from_secs(sec.into()) + ms * (i + 5 + n % 40),
                outcome: Outcome::Response {
                    http_status: 200,
                    status_code: status,
                    chat_ended: Some(false),
                },
            });
            let gap = if n % 97 == 0 { 11_000 } else { 3_000 + n % 500 };
            m.record_gap(u64::from(i), ms * gap, GapCause::ALL[(n % 4) as usize]);
        }
        m.tick(base + Duration::from_secs((sec + 1).into()));
    }
    let scenario = ScenarioInfo {
        name: "metrics".into(),
        dialect: "gms-v2".into(),
        flex_disconnect_timeout_ms: 10_000,
        poll_interval_ms: 3_000,
        ..ScenarioInfo::default()
    };
    m.build_summary(RunFacts::completed(scenario, Duration::from_secs(30)))
}

#[test]
fn summary_from_the_metrics_module_draws_every_chart() {
    let s = metrics_summary();
    assert!(s.timeline.len() >= 30 && s.gaps.count == 600);
    let page = render(&s);
    let artifacts = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("../test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    std::fs::write(artifacts.join("metrics-report.html"), &page).unwrap();
    for chart in CHARTS {
        let points: usize = attr_after(&page, &format!("data-chart=\"{chart}\""), "data-points")
            .unwrap()
            .parse()
            .unwrap();
        assert!(points > 0, "chart {chart} drew no data");
    }
}

#[test]
fn page_never_names_the_secret_key_field() {
    // secureKey is a secret: reports must not even carry the field name (see tests/report.rs).
    assert!(!render(&fixture()).to_lowercase().contains("securekey"));
}
