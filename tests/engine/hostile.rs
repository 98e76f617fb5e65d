//! A hostile target (see `hostile_server`): every bad answer must be counted
//! under its kind, exactly as often as the server served it; the sessions
//! retry per the retry policy and give up after `max_consecutive`; the run
//! ends by itself with its reports written.

use super::hostile_server::{run_against, run_against_with, start, start_with, Bad, Seen, ALL_BAD};
use chatload::RunOutcome;
use std::collections::BTreeMap;

/// The transport kind (or None: an HTTP response kept in the outcomes) each misbehaviour must give.
fn expected_kind(bad: Bad) -> Option<&'static str> {
    match bad {
        Bad::Ok | Bad::Http503 | Bad::Redirect0 | Bad::AbsurdIndex | Bad::HugeId | Bad::SlowBig => {
            None
        }
        Bad::Garbage | Bad::Html => Some("invalid_json"),
        Bad::StatusString | Bad::MessagesString | Bad::Status7 => Some("wrong_types"),
        Bad::NoStatus => Some("missing_status_code"),
        Bad::Huge | Bad::HugeChunked => Some("body_too_large"),
        Bad::Truncated | Bad::Closed => Some("reset"),
        Bad::Hang | Bad::StallBody => Some("timeout"),
        Bad::StallBig => Some("timeout or body_budget"),
        Bad::Http500 | Bad::Redirect => Some("http_status"),
    }
}

/// The outcome buckets `(http, statusCode, chatEnded, count)` these answers must give.
fn expected_outcomes(served: &BTreeMap<Bad, u64>) -> Vec<(u16, Option<u8>, Option<bool>, u64)> {
    let n = |b: Bad| served.get(&b).copied().unwrap_or(0);
    let no_http: u64 = served
        .iter()
        .filter(|(b, _)| expected_kind(**b).is_some() && !matches!(b, Bad::Http500 | Bad::Redirect))
        .map(|(_, n)| n)
        .sum();
    let mut want = vec![
        (
            200,
            Some(0),
            Some(false),
            n(Bad::Ok) + n(Bad::AbsurdIndex) + n(Bad::HugeId),
        ),
        (0, None, None, no_http),
        (302, None, None, n(Bad::Redirect)),
        (500, None, None, n(Bad::Http500)),
        (503, Some(1), Some(false), n(Bad::Http503)),
        (302, Some(0), Some(false), n(Bad::Redirect0)),
    ];
    want.retain(|w| w.3 > 0);
    want.sort();
    want
}

/// The summary's outcome buckets of one operation.
fn outcomes_of(o: &RunOutcome, op: &str) -> Vec<(u16, Option<u8>, Option<bool>, u64)> {
    let mut got: Vec<_> = o
        .summary
        .outcomes
        .iter()
        .filter(|c| c.operation == op)
        .map(|c| (c.http_status, c.status_code, c.chat_ended, c.count))
        .collect();
    got.sort();
    got
}

/// The summary's transport errors and the request_chat and poll outcomes
/// equal the server's own counts, exactly.
fn assert_classified_exactly(o: &RunOutcome, seen: &Seen) {
    let mut want: BTreeMap<String, u64> = BTreeMap::new();
    for (bad, n) in seen.polls.iter().chain(&seen.requests) {
        if let Some(kind) = expected_kind(*bad) {
            *want.entry(kind.to_string()).or_default() += n;
        }
    }
    let got: BTreeMap<String, u64> = o
        .summary
        .transport_errors
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| (k.clone(), *n))
        .collect();
    assert_eq!(got, want, "server saw {:?} {:?}", seen.polls, seen.requests);
    // Every kind that happened has between one and five sample texts, and no other kind has any.
    let samples = &o.summary.transport_error_samples;
    assert_eq!(
        samples.keys().collect::<Vec<_>>(),
        got.keys().collect::<Vec<_>>(),
        "{samples:?}"
    );
    for (kind, texts) in samples {
        assert!((1..=5).contains(&texts.len()), "{kind}: {texts:?}");
        assert!(
            texts.iter().all(|t| !t.contains("http://")),
            "{kind}: {texts:?}"
        );
    }
    assert_eq!(outcomes_of(o, "poll"), expected_outcomes(&seen.polls));
    assert_eq!(
        outcomes_of(o, "request_chat"),
        expected_outcomes(&seen.requests)
    );
    assert!(
        seen.routes.keys().all(|r| !r.starts_with("unexpected")),
        "{:?}",
        seen.routes
    );
    assert_eq!(
        o.summary.requests.total,
        seen.routes.values().sum::<u64>(),
        "every request the server saw is counted once"
    );
    for (op, route) in [("poll", "refresh"), ("request_chat", "request_chat")] {
        assert_eq!(
            o.summary
                .requests
                .by_operation
                .get(op)
                .copied()
                .unwrap_or(0),
            seen.routes.get(route).copied().unwrap_or(0),
            "{op}"
        );
    }
}

/// sessions.csv rows as (polls, end_reason).
fn session_rows(o: &RunOutcome) -> Vec<(u64, String)> {
    session_rows_with_id(o)
        .into_iter()
        .map(|(_, polls, end)| (polls, end))
        .collect()
}

/// sessions.csv rows as (chat_id, polls, end_reason).
fn session_rows_with_id(o: &RunOutcome) -> Vec<(String, u64, String)> {
    let text = std::fs::read_to_string(o.dir.join("sessions.csv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let cols: Vec<&str> = l.split(',').collect();
            (
                cols[1].to_string(),
                cols[2].parse().unwrap(),
                cols[7].to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_misbehaviour_is_classified_and_sessions_give_up_after_max_consecutive() {
    let h = start(ALL_BAD.to_vec(), false).await;
    let (o, _dir) = run_against(&h.url).await;
    let seen = h.seen.lock().unwrap();
    // The run ended by itself and wrote its reports.
    assert_eq!(
        o.summary.run.end,
        chatload::report::vocab::RunEnd::Completed
    );
    for f in [
        "summary.json",
        "sessions.csv",
        "outcomes.csv",
        "report.html",
    ] {
        assert!(o.dir.join(f).is_file(), "{f} written");
    }
    // Every misbehaviour happened at least once (15 kinds, 3 per session).
    for bad in ALL_BAD {
        assert!(
            seen.polls.get(&bad).copied().unwrap_or(0) > 0,
            "{bad:?} never served: {:?}",
            seen.polls
        );
    }
    assert_classified_exactly(&o, &seen);
    // Every poll failed: a session polls at most max_consecutive (3) times and
    // gives up after exactly 3 unless the run ended first (then it disconnects).
    let rows = session_rows(&o);
    assert_eq!(
        rows.len() as u64,
        o.summary.sessions.started,
        "no session task was lost"
    );
    let exhausted = rows.iter().filter(|r| r.1 == "retries_exhausted").count();
    assert!(exhausted >= 3, "{rows:?}");
    for (polls, end) in &rows {
        assert!(*polls <= 3, "{rows:?}");
        match end.as_str() {
            "retries_exhausted" => assert_eq!(*polls, 3),
            // The run's end (or the plan's last ramp-down) stopped it: it disconnects.
            "run_ended" | "client_disconnect" => {}
            other => panic!("unexpected end {other}: {rows:?}"),
        }
    }
    // Retries wait at least the backoff (20 ms, then doubled to 40 ms) after the failure.
    for (chat, times) in &seen.poll_times {
        for (i, w) in times.windows(2).enumerate() {
            let min = std::time::Duration::from_millis(20 << i);
            assert!(
                w[1] - w[0] >= min,
                "{chat}: retry {} after {:?}",
                i + 1,
                w[1] - w[0]
            );
        }
    }
    for (chat, n) in &seen.polls_per_chat {
        assert!(*n <= 3, "{chat} polled {n} times");
        if *n == 3 {
            assert!(
                !seen.disconnected.contains(chat),
                "{chat} gave up, no disconnect"
            );
        }
    }
    assert_eq!(
        seen.disconnected.len(),
        rows.iter()
            .filter(|r| r.1 == "run_ended" || r.1 == "client_disconnect")
            .count()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_between_successes_never_exhaust_and_the_run_continues() {
    // Two failures then a success: the consecutive count resets, no session gives up.
    let plan = vec![
        Bad::Status7,
        Bad::Truncated,
        Bad::Ok,
        Bad::Hang,
        Bad::Http500,
        Bad::Ok,
    ];
    let h = start(plan, true).await;
    let (o, _dir) = run_against(&h.url).await;
    let seen = h.seen.lock().unwrap();
    assert_eq!(
        o.summary.run.end,
        chatload::report::vocab::RunEnd::Completed
    );
    assert_classified_exactly(&o, &seen);
    assert!(seen.polls[&Bad::Ok] >= 3, "{:?}", seen.polls);
    let rows = session_rows(&o);
    assert_eq!(
        rows.len(),
        3,
        "the three sessions lived the whole run: {rows:?}"
    );
    assert!(
        rows.iter()
            .all(|r| r.1 == "run_ended" || r.1 == "client_disconnect"),
        "{rows:?}"
    );
    assert_eq!(o.summary.sessions.failed, 0);
    assert_eq!(seen.disconnected.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_range_status_code_is_never_a_success() {
    let h = start(vec![Bad::Status7], false).await;
    let (o, _dir) = run_against(&h.url).await;
    let seen = h.seen.lock().unwrap();
    assert_classified_exactly(&o, &seen);
    assert_eq!(
        o.summary.transport_errors["wrong_types"],
        seen.polls[&Bad::Status7]
    );
    // No poll was counted as successful, and the failures are errors.
    assert!(!o
        .summary
        .outcomes
        .iter()
        .any(|c| c.operation == "poll" && c.status_code.is_some()));
    assert_eq!(
        o.summary.requests.errors,
        seen.polls[&Bad::Status7],
        "{:?}",
        o.summary.outcomes
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_chat_that_always_fails_ends_the_session_after_max_consecutive() {
    let requests = vec![
        Bad::Garbage,
        Bad::Closed,
        Bad::Status7,
        Bad::Http500,
        Bad::Hang,
    ];
    let h = start_with(vec![Bad::Ok], true, requests).await;
    let (o, _dir) = run_against(&h.url).await;
    let seen = h.seen.lock().unwrap();
    assert_eq!(
        o.summary.run.end,
        chatload::report::vocab::RunEnd::Completed
    );
    assert_classified_exactly(&o, &seen);
    assert_eq!(
        seen.routes.get("refresh"),
        None,
        "no chat was ever established"
    );
    let rows = session_rows(&o);
    assert_eq!(rows.len() as u64, o.summary.sessions.started);
    let failed = rows.iter().filter(|r| r.1 == "request_failed").count() as u64;
    assert!(failed >= 3, "{rows:?}");
    assert!(
        rows.iter()
            .all(|r| r.0 == 0 && (r.1 == "request_failed" || r.1 == "run_ended")),
        "{rows:?}"
    );
    // Each failed session asked exactly max_consecutive (3) times; a cut-short one fewer.
    let asked = seen.routes["request_chat"];
    assert!(
        asked >= failed * 3 && asked < failed * 3 + 3 * 3,
        "{asked} for {rows:?}"
    );
    assert_eq!(o.summary.sessions.failed, failed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_302_carrying_status_code_0_is_an_error_and_never_resets_the_retries() {
    // Every poll is a 302 whose body says statusCode 0: were it a success, the
    // sessions would poll all run long; as an error they give up after 3.
    let h = start(vec![Bad::Redirect0], false).await;
    let (o, _dir) = run_against(&h.url).await;
    let seen = h.seen.lock().unwrap();
    assert_classified_exactly(&o, &seen);
    assert_eq!(o.summary.requests.errors, seen.polls[&Bad::Redirect0]);
    let rows = session_rows(&o);
    assert!(rows.iter().any(|r| r.1 == "retries_exhausted"), "{rows:?}");
    for (polls, end) in &rows {
        assert!(*polls <= 3, "{rows:?}");
        if end == "retries_exhausted" {
            assert_eq!(*polls, 3, "{rows:?}");
        }
    }
    // No gap was measured: no poll ever succeeded.
    assert_eq!(o.summary.gaps.count, 0, "{:?}", o.summary.gaps);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hole_is_one_event_and_an_absurd_index_is_its_own_violation() {
    // Each session's first poll carries index u64::MAX, a hole up to 1000 and a repeat.
    let mut plan = vec![Bad::AbsurdIndex];
    plan.extend([Bad::Ok; 100]);
    let h = start(plan, true).await;
    let (o, _dir) = run_against(&h.url).await;
    let seen = h.seen.lock().unwrap();
    assert_classified_exactly(&o, &seen);
    let served = seen.polls[&Bad::AbsurdIndex];
    assert!(served >= 3, "{:?}", seen.polls);
    let v = &o.summary.violations;
    assert_eq!(v["absurd_index"], served, "{v:?}");
    // One hole event per answer (not 999 missing indexes), one repeat.
    assert_eq!(v["transcript_hole"], served, "{v:?}");
    assert_eq!(v["transcript_repeat"], served, "{v:?}");
    assert_eq!(o.summary.violations_total(), 3 * served);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_identity_is_a_violation_that_ends_the_session_and_is_never_stored() {
    // Every other request_chat, and each chat's second poll, carry a 2,000-byte chatId.
    let mut plan = vec![Bad::Ok, Bad::HugeId];
    plan.extend([Bad::Ok; 100]);
    let h = start_with(plan, true, vec![Bad::HugeId, Bad::Ok]).await;
    let (o, _dir) = run_against(&h.url).await;
    let seen = h.seen.lock().unwrap();
    assert_classified_exactly(&o, &seen);
    let huge = seen.requests.get(&Bad::HugeId).copied().unwrap_or(0)
        + seen.polls.get(&Bad::HugeId).copied().unwrap_or(0);
    assert!(huge >= 2, "{:?} {:?}", seen.requests, seen.polls);
    assert_eq!(o.summary.violations["invalid_identity"], huge);
    let rows = session_rows_with_id(&o);
    let ended = rows.iter().filter(|r| r.2 == "invalid_identity").count() as u64;
    assert_eq!(ended, huge, "{rows:?}");
    // No request was ever built from the oversized id, and no report row keeps it.
    assert!(
        seen.routes.keys().all(|r| r.len() < 100),
        "{:?}",
        seen.routes
    );
    assert!(
        seen.polls_per_chat.keys().all(|c| c.len() <= 1024),
        "a poll addressed the oversized chat"
    );
    assert!(rows.iter().all(|r| r.0.len() <= 1024), "{rows:?}");
    // Bounded memory: sessions.csv holds no server string above the cap.
    let csv = std::fs::metadata(o.dir.join("sessions.csv")).unwrap().len();
    assert!(csv < (rows.len() as u64 + 1) * 1200, "{csv} bytes");
    // A session that lost its identity mid-chat polled exactly twice and sent no disconnect.
    for (chat, n) in &seen.polls_per_chat {
        if *n == 2 {
            assert!(!seen.disconnected.contains(chat), "{chat}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_stalled_over_the_global_budget_wait_then_count_once_and_the_run_continues() {
    // Every poll answer declares 3,000 bytes and stalls; the budget is 4,096 bytes
    // across all requests, so while one stalled body holds 3,000 the others cannot
    // be buffered: they wait for budget until their request timeout, then count as
    // body_budget, or, given budget just before it, as the timeout their stalled
    // body meets; either way once, and the wait is the generator's.
    let h = start(vec![Bad::StallBig], false).await;
    let (o, _dir) = run_against_with(&h.url, "max_buffered_body_bytes = 4096").await;
    let seen = h.seen.lock().unwrap();
    assert_eq!(
        o.summary.run.end,
        chatload::report::vocab::RunEnd::Completed
    );
    let t = &o.summary.transport_errors;
    let (budget, timeout) = (t["body_budget"], t["timeout"]);
    assert!(
        timeout > 0,
        "the one body held stalls until the timeout: {t:?}"
    );
    assert_eq!(
        budget + timeout,
        seen.polls[&Bad::StallBig],
        "each stalled poll the server answered is counted once: {t:?}"
    );
    assert_eq!(o.summary.requests.total, seen.routes.values().sum::<u64>());
    assert_eq!(
        o.summary.generator.verdict,
        chatload::report::vocab::GeneratorVerdict::Overloaded,
        "a generator limit, not the target's fault: {:?}",
        o.summary.generator
    );
    let late = &o.summary.generator.schedule_lateness_ms;
    assert!(late.max >= 500.0, "the waits are lateness: {late:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_that_wait_for_budget_are_read_whole_and_the_wait_is_generator_lateness() {
    // Every poll answer is 3,000 bytes held back 150 ms; the budget of 4,096 bytes
    // holds one at a time, so the others wait for it: no error, every answer
    // classified as the server sent it, the wait counted as scheduling lateness.
    let h = start(vec![Bad::SlowBig], false).await;
    let (o, _dir) = run_against_with(&h.url, "max_buffered_body_bytes = 4096").await;
    let seen = h.seen.lock().unwrap();
    let t = &o.summary.transport_errors;
    assert!(t.values().all(|n| *n == 0), "{t:?}");
    let polls = seen.polls[&Bad::SlowBig];
    assert!(polls >= 6, "{:?}", seen.polls);
    assert_eq!(
        outcomes_of(&o, "poll"),
        vec![(200, Some(0), Some(false), polls)]
    );
    assert_eq!(o.summary.requests.total, seen.routes.values().sum::<u64>());
    let late = &o.summary.generator.schedule_lateness_ms;
    assert!(late.max >= 20.0, "a wait for budget is lateness: {late:?}");
}

#[test]
fn a_body_budget_below_max_body_bytes_names_both() {
    let text = "name = \"x\"\nmax_body_bytes = 8192\nmax_buffered_body_bytes = 4096\n";
    let file = chatload::ScenarioFile::parse("b.toml", text.into()).unwrap();
    let e = chatload::build_config(&Default::default(), Some(&file)).unwrap_err();
    let e = e.to_string();
    assert!(e.starts_with("b.toml:3:"), "{e}");
    assert!(
        e.contains("max_buffered_body_bytes: must be at least max_body_bytes (8192)"),
        "{e}"
    );
}
