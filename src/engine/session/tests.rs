//! Session state machine, pacing and gap tests against a scripted in-test
//! responder, with tokio's paused clock (no sockets, exact instants).

use super::*;
use crate::engine::client::{FakeAnswer, Responder, Target};
use crate::engine::pacing::Jitter;
use crate::engine::stop::{self, Phase};
use crate::metrics::{GapCause, TransportErrorKind};
use crate::protocol::Dialect;
use crate::util::distribution::DurationDist;
use serde_json::json;
use std::sync::Mutex;

type Answer = (Duration, Result<(u16, String), TransportErrorKind>);
type Rule = Box<dyn Fn(&str, usize) -> Answer + Send + Sync>;

/// Answers per operation (`request`, `refresh`, `send`, ...) and its 0-based count.
struct Fake {
    log: Mutex<Vec<(String, Instant, String)>>,
    rule: Rule,
}

impl Fake {
    fn new(rule: impl Fn(&str, usize) -> Answer + Send + Sync + 'static) -> Arc<Fake> {
        Arc::new(Fake {
            log: Mutex::new(Vec::new()),
            rule: Box::new(rule),
        })
    }

    /// (op, seconds since `t0`, body) of every request.
    fn calls(&self, t0: Instant) -> Vec<(String, f64, String)> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .map(|(op, at, body)| (op.clone(), (*at - t0).as_secs_f64(), body.clone()))
            .collect()
    }

    fn times(&self, t0: Instant, op: &str) -> Vec<f64> {
        self.calls(t0)
            .into_iter()
            .filter(|c| c.0 == op)
            .map(|c| (c.1 * 1000.0).round() / 1000.0)
            .collect()
    }
}

impl Responder for Fake {
    fn respond(&self, url: &str, body: &str) -> FakeAnswer {
        let op = if url.ends_with('/') {
            "request".to_string()
        } else {
            url.rsplit('/').next().unwrap_or("").to_string()
        };
        let mut log = self.log.lock().unwrap();
        let nth = log.iter().filter(|c| c.0 == op).count();
        log.push((op.clone(), Instant::now(), body.to_string()));
        drop(log);
        let (delay, result) = (self.rule)(&op, nth);
        Box::pin(async move {
            tokio::time::sleep(delay).await;
            result
        })
    }
}

fn ok_with(ended: bool, indexes: &[u64], alias: &str) -> Result<(u16, String), TransportErrorKind> {
    let messages: Vec<_> = indexes
        .iter()
        .map(|i| json!({"from": {"nickname": "a", "participantId": 2, "type": "Agent"}, "index": i, "type": "Message", "utcTime": 0}))
        .collect();
    Ok((
        200,
        json!({"statusCode": 0, "chatEnded": ended, "chatId": "c1", "alias": alias,
               "userId": "u1", "secureKey": "k1", "nextPosition": 1, "messages": messages})
        .to_string(),
    ))
}

fn ok() -> Result<(u16, String), TransportErrorKind> {
    ok_with(false, &[], "a1")
}

fn status(code: u8, ended: bool) -> Result<(u16, String), TransportErrorKind> {
    Ok((
        200,
        json!({"statusCode": code, "chatEnded": ended, "chatId": "c1", "messages": [],
               "errors": [{"code": 249, "advice": "gone"}]})
        .to_string(),
    ))
}

fn now() -> Duration {
    Duration::ZERO
}

fn script(end: EndMode) -> CustomerScript {
    CustomerScript {
        poll_interval: Duration::from_secs(2),
        jitter: Jitter::None,
        nickname: "n".into(),
        messages: 0,
        message_text: "hello".into(),
        think_time: Duration::from_secs(1),
        think_jitter: Jitter::None,
        typing: false,
        typing_time: Duration::from_secs(1),
        send_pause: Duration::ZERO,
        end,
        on_status1: Default::default(),
        patience: None,
        customers: None,
        message_lines: None,
    }
}

fn ctx(fake: Arc<Fake>, script: CustomerScript, flex_s: u64) -> Arc<SessionCtx> {
    let target = Target::new(Dialect::GmsV2, "http://fake", "s", "t", "").unwrap();
    let flex = Duration::from_secs(flex_s);
    Arc::new(SessionCtx {
        clients: ChatClient::with_responder(target, fake).into(),
        metrics: Arc::new(Metrics::new(std::time::Instant::now(), flex, 0.8)),
        script,
        profiles: Vec::new(),
        retry: RetryPolicy {
            max_consecutive: 3,
            backoff: Duration::from_millis(500),
            backoff_max: Duration::from_secs(2),
        },
        flex,
        seed: 1,
        target_slots: AtomicU64::new(1),
        next_ordinal: AtomicU64::new(0),
        established: AtomicU64::new(0),
        end_spread: Duration::ZERO,
        shard: None,
        named: Default::default(),
        pacing_grid: Duration::ZERO,
    })
}

/// `n` sessions on one fake with the given end spread, ended by `phase` at 4.1 s;
/// returns the disconnect instants (seconds since start), sorted.
async fn disconnects_after(phase: Phase, spread: Duration, n: u64) -> Vec<f64> {
    let fake = Fake::new(|op, _| match op {
        "refresh" => (Duration::from_millis(300), ok()),
        _ => (now(), ok()),
    });
    let mut c = Arc::into_inner(ctx(fake.clone(), script(EndMode::WaitForAgent), 45)).unwrap();
    c.end_spread = spread;
    c.target_slots = AtomicU64::new(n);
    let c = Arc::new(c);
    let (tx, rx) = stop::channel();
    let t0 = Instant::now();
    let sessions: Vec<_> = (0..n)
        .map(|slot| tokio::spawn(run_session(c.clone(), slot, t0, rx.clone())))
        .collect();
    tokio::time::sleep(Duration::from_millis(4100)).await;
    tx.end(phase);
    for s in sessions {
        s.await.unwrap();
    }
    let mut at = fake.times(t0, "disconnect");
    at.sort_by(f64::total_cmp);
    at
}

/// Violations recorded so far, by report name.
fn violations(ctx: &SessionCtx) -> std::collections::BTreeMap<String, u64> {
    ctx.metrics
        .build_summary(crate::metrics::RunFacts::completed(
            Default::default(),
            Duration::ZERO,
        ))
        .violations
}

/// The one sessions.csv row of `rows` (the rows of the one session that ran; the
/// engine never names the report model's row type, so it is inferred).
fn only_row<R>(mut rows: Vec<R>) -> R {
    assert_eq!(rows.len(), 1);
    rows.remove(0)
}

/// Run one session on `ctx` to its end; `ctx` then holds its row.
async fn run_one(ctx: Arc<SessionCtx>) -> Arc<SessionCtx> {
    let (tx, rx) = stop::channel();
    run_session(ctx.clone(), 0, Instant::now(), rx).await;
    drop(tx);
    ctx
}

#[tokio::test(start_paused = true)]
async fn polls_on_schedule_then_disconnects_after_duration() {
    let fake = Fake::new(|_, _| (Duration::from_millis(10), ok()));
    let t0 = Instant::now();
    let row = only_row(
        run_one(ctx(
            fake.clone(),
            script(EndMode::AfterDuration(DurationDist::Fixed(
                Duration::from_secs(9),
            ))),
            45,
        ))
        .await
        .metrics
        .session_rows(),
    );
    // First refresh when request_chat answers (10 ms), then every 2 s on the grid.
    assert_eq!(
        fake.times(t0, "refresh"),
        vec![0.01, 2.01, 4.01, 6.01, 8.01]
    );
    assert_eq!(fake.times(t0, "disconnect"), vec![9.01]);
    assert_eq!(row.end_reason, EndReason::ClientDisconnect);
    assert_eq!(row.polls, 5);
    assert_eq!(row.chat_id, "c1");
    assert!(
        (row.max_gap_ms - 2000.0).abs() < 0.001,
        "{}",
        row.max_gap_ms
    );
    assert!(!row.flagged && !row.near_miss && row.cause.is_none());
}

/// The refresh instants of a jittered session with `grid`, in µs after the first.
async fn jittered_refresh_offsets(grid: Duration) -> Vec<u64> {
    let fake = Fake::new(|_, _| (Duration::from_millis(10), ok()));
    let mut s = script(EndMode::AfterDuration(DurationDist::Fixed(
        Duration::from_secs(20),
    )));
    s.jitter = Jitter::Uniform(Duration::from_millis(300));
    let mut c = ctx(fake.clone(), s, 45);
    Arc::get_mut(&mut c).unwrap().pacing_grid = grid;
    let t0 = Instant::now();
    run_one(c).await;
    let times = fake.times(t0, "refresh");
    assert!(times.len() >= 8, "{times:?}");
    let us = |t: f64| (t * 1e6).round() as u64;
    times.iter().map(|&t| us(t) - us(times[0])).collect()
}

#[tokio::test(start_paused = true)]
async fn a_pacing_grid_puts_every_poll_on_one_grid() {
    let on_grid = |offsets: &[u64]| offsets.iter().all(|o| o % 7_000 == 0);
    let gridded = jittered_refresh_offsets(Duration::from_millis(7)).await;
    assert!(on_grid(&gridded), "{gridded:?}");
    // Without a grid the jitter puts them anywhere (the test can tell the two apart).
    let free = jittered_refresh_offsets(Duration::ZERO).await;
    assert!(!on_grid(&free), "{free:?}");
}

#[tokio::test(start_paused = true)]
async fn agent_end_on_poll_ends_without_disconnect() {
    let fake = Fake::new(|op, n| match (op, n) {
        ("refresh", 2) => (now(), ok_with(true, &[], "a1")),
        _ => (now(), ok()),
    });
    let row = only_row(
        run_one(ctx(fake.clone(), script(EndMode::WaitForAgent), 45))
            .await
            .metrics
            .session_rows(),
    );
    assert_eq!(row.end_reason, EndReason::AgentEnded);
    assert_eq!(row.polls, 3);
    assert!(fake.times(Instant::now(), "disconnect").is_empty());
}

#[tokio::test(start_paused = true)]
async fn status1_retries_with_backoff_and_attributes_the_gap_to_retries() {
    // Polls 1 and 2 (0-based) answer 1/false, then all is fine again.
    let fake = Fake::new(|op, n| match (op, n) {
        ("refresh", 1) | ("refresh", 2) => (now(), status(1, false)),
        _ => (now(), ok()),
    });
    let t0 = Instant::now();
    let row = only_row(
        run_one(ctx(
            fake.clone(),
            script(EndMode::AfterDuration(DurationDist::Fixed(
                Duration::from_secs(7),
            ))),
            3,
        ))
        .await
        .metrics
        .session_rows(),
    );
    // 0 ok; 2 fails; +0.5 s fails; +1 s ok (gap 3.5 s > 3 s flex, cause retries); grid from 3.5.
    assert_eq!(fake.times(t0, "refresh"), vec![0.0, 2.0, 2.5, 3.5, 5.5]);
    assert!(row.flagged);
    assert_eq!(row.cause, Some(GapCause::Retries));
    assert_eq!(row.end_reason, EndReason::ClientDisconnect);
}

#[tokio::test(start_paused = true)]
async fn consecutive_failures_give_up_after_the_configured_count() {
    let fake = Fake::new(|op, n| match (op, n) {
        ("refresh", 0) => (now(), ok()),
        ("refresh", _) => (now(), Err(TransportErrorKind::Timeout)),
        _ => (now(), ok()),
    });
    let row = only_row(
        run_one(ctx(fake.clone(), script(EndMode::WaitForAgent), 45))
            .await
            .metrics
            .session_rows(),
    );
    assert_eq!(row.end_reason, EndReason::RetriesExhausted);
    assert_eq!(
        row.polls, 4,
        "one ok poll then max_consecutive = 3 failures"
    );
    assert!(fake.times(Instant::now(), "disconnect").is_empty());
}

#[tokio::test(start_paused = true)]
async fn status1_with_chat_ended_is_a_failed_attempt_not_an_end() {
    let fake = Fake::new(|op, n| match (op, n) {
        ("refresh", 1) => (now(), status(1, true)),
        _ => (now(), ok()),
    });
    let t0 = Instant::now();
    let ctx = ctx(
        fake.clone(),
        script(EndMode::AfterDuration(DurationDist::Fixed(
            Duration::from_secs(5),
        ))),
        45,
    );
    let row = only_row(run_one(ctx.clone()).await.metrics.session_rows());
    assert_eq!(fake.times(t0, "refresh"), vec![0.0, 2.0, 2.5, 4.5]);
    assert_eq!(row.end_reason, EndReason::ClientDisconnect);
    assert_eq!(violations(&ctx)["status1_chat_ended"], 1);
}

#[tokio::test(start_paused = true)]
async fn status1_with_chat_ended_ends_like_the_widget_when_asked() {
    let fake = Fake::new(|op, n| match (op, n) {
        ("refresh", 1) => (now(), status(1, true)),
        _ => (now(), ok()),
    });
    let t0 = Instant::now();
    let mut s = script(EndMode::AfterDuration(DurationDist::Fixed(
        Duration::from_secs(5),
    )));
    s.on_status1 = Status1Reaction::EndLikeWidget;
    let ctx = ctx(fake.clone(), s, 45);
    let row = only_row(run_one(ctx.clone()).await.metrics.session_rows());
    // The second poll's 1/true ends the chat on the customer's side: no retry, no disconnect.
    assert_eq!(fake.times(t0, "refresh"), vec![0.0, 2.0]);
    assert!(fake.times(t0, "disconnect").is_empty());
    assert_eq!(row.end_reason, EndReason::WidgetEnded);
    assert_eq!(violations(&ctx)["status1_chat_ended"], 1);
}

#[tokio::test(start_paused = true)]
async fn status2_ends_and_a_late_249_is_an_expiry() {
    let fake = Fake::new(|op, n| match (op, n) {
        ("refresh", 1) => (now(), status(2, false)),
        _ => (now(), ok()),
    });
    let row = only_row(
        run_one(ctx(fake, script(EndMode::WaitForAgent), 45))
            .await
            .metrics
            .session_rows(),
    );
    assert_eq!(row.end_reason, EndReason::ServerFatal);

    // A poll answered 6 s late: the next one leaves at once, 6 s after the last good send,
    // past a 4 s flex: flagged, slow response, and its 2/249 answer is an expiry.
    let fake = Fake::new(|op, n| match (op, n) {
        ("refresh", 1) => (Duration::from_secs(6), ok()),
        ("refresh", 2) => (now(), status(2, true)),
        _ => (now(), ok()),
    });
    let t0 = Instant::now();
    let row = only_row(
        run_one(ctx(fake.clone(), script(EndMode::WaitForAgent), 4))
            .await
            .metrics
            .session_rows(),
    );
    assert_eq!(fake.times(t0, "refresh"), vec![0.0, 2.0, 8.0]);
    assert_eq!(row.end_reason, EndReason::Expired);
    assert!(row.flagged);
    assert_eq!(row.cause, Some(GapCause::SlowResponse));
    assert!((row.max_gap_ms - 6000.0).abs() < 0.001);
}

#[tokio::test(start_paused = true)]
async fn position_comes_from_poll_answers_and_identity_from_every_success() {
    let fake = Fake::new(|op, n| match (op, n) {
        ("refresh", 0) => (now(), ok_with(false, &[1, 2], "a1")),
        ("refresh", 1) => (now(), ok_with(false, &[4], "a2")),
        ("refresh", 2) => (now(), ok_with(false, &[4], "a2")),
        _ => (now(), ok()),
    });
    let t0 = Instant::now();
    let ctx = ctx(
        fake.clone(),
        script(EndMode::AfterDuration(DurationDist::Fixed(
            Duration::from_secs(7),
        ))),
        45,
    );
    run_one(ctx.clone()).await;
    let v = violations(&ctx);
    assert_eq!(
        (v["transcript_hole"], v["transcript_repeat"]),
        (1, 1),
        "{v:?}"
    );
    let bodies: Vec<String> = fake
        .calls(t0)
        .into_iter()
        .filter(|c| c.0 == "refresh")
        .map(|c| c.2)
        .collect();
    assert!(bodies[0].contains("alias=a1&") && bodies[0].contains("transcriptPosition=1&"));
    assert!(bodies[1].contains("transcriptPosition=3&"), "{}", bodies[1]);
    // Hole at 3: position moves past it; alias rotated to a2 and adopted.
    assert!(bodies[2].starts_with("alias=a2&"), "{}", bodies[2]);
    assert!(bodies[2].contains("transcriptPosition=5&"), "{}", bodies[2]);
    // The repeat of 4 does not move the position back.
    assert!(bodies[3].contains("transcriptPosition=5&"), "{}", bodies[3]);
}

#[tokio::test(start_paused = true)]
async fn typing_follows_the_widget() {
    let fake = Fake::new(|_, _| (now(), ok()));
    let mut s = script(EndMode::AfterMessages(Duration::from_millis(500)));
    s.messages = 2;
    s.typing = true;
    s.send_pause = Duration::from_secs(3);
    s.poll_interval = Duration::from_millis(1500);
    let t0 = Instant::now();
    run_one(ctx(fake.clone(), s, 45)).await;
    // Message 1: think 1 s, startTyping at 1, last key at 2, stopTyping 2 s later (4), send at 5.
    // Message 2: think 1 s after the send: 6, 7, 9, 10. Disconnect 0.5 s later.
    assert_eq!(fake.times(t0, "startTyping"), vec![1.0, 6.0]);
    assert_eq!(fake.times(t0, "stopTyping"), vec![4.0, 9.0]);
    assert_eq!(fake.times(t0, "send"), vec![5.0, 10.0]);
    assert_eq!(fake.times(t0, "disconnect"), vec![10.5]);
    // The refresh at 1.5 s carries the draft; the one at 0 does not.
    let calls = fake.calls(t0);
    let draft: Vec<_> = calls
        .iter()
        .filter(|c| c.0 == "refresh")
        .map(|c| c.2.ends_with("message=hello"))
        .collect();
    assert_eq!(&draft[..3], &[false, true, true]);

    // A send within 2 s of the last keystroke has no stopTyping.
    let fake = Fake::new(|_, _| (now(), ok()));
    let mut s = script(EndMode::AfterMessages(Duration::ZERO));
    s.messages = 1;
    s.typing = true;
    run_one(ctx(fake.clone(), s, 45)).await;
    assert_eq!(fake.times(t0, "stopTyping"), Vec::<f64>::new());
    assert_eq!(fake.times(t0, "startTyping").len(), 1);
}

#[tokio::test(start_paused = true)]
async fn run_end_disconnects_once_after_the_in_flight_poll() {
    let fake = Fake::new(|op, _| match op {
        "refresh" => (Duration::from_millis(300), ok()),
        _ => (now(), ok()),
    });
    let ctx = ctx(fake.clone(), script(EndMode::WaitForAgent), 45);
    let (tx, rx) = stop::channel();
    let t0 = Instant::now();
    let session = tokio::spawn(run_session(ctx.clone(), 0, t0, rx));
    tokio::time::sleep(Duration::from_millis(4100)).await;
    tx.end(Phase::Ended);
    session.await.unwrap();
    let row = only_row(ctx.metrics.session_rows());
    assert_eq!(row.end_reason, EndReason::RunEnded);
    // The poll sent at 4.0 finishes (answer at 4.3) before the disconnect leaves.
    assert_eq!(fake.times(t0, "refresh"), vec![0.0, 2.0, 4.0]);
    assert_eq!(fake.times(t0, "disconnect"), vec![4.3]);
}

#[tokio::test(start_paused = true)]
async fn a_planned_end_spreads_the_disconnects_over_the_window() {
    let at = disconnects_after(Phase::Ended, Duration::from_secs(2), 20).await;
    assert_eq!(at.len(), 20);
    // After the in-flight poll (answered at 4.3), within the 2 s window, not in one burst.
    assert!(at[0] >= 4.3 && at[19] < 6.3, "{at:?}");
    let distinct = at.windows(2).filter(|w| w[1] - w[0] > 0.0005).count() + 1;
    assert!(distinct >= 15, "{at:?}");
    assert!(at[19] - at[0] > 1.0, "{at:?}");
}

#[tokio::test(start_paused = true)]
async fn an_interrupt_disconnects_at_once_whatever_the_spread() {
    let at = disconnects_after(Phase::Interrupted, Duration::from_secs(2), 5).await;
    assert_eq!(at, vec![4.3; 5]);
}

#[tokio::test(start_paused = true)]
async fn unreachable_target_fails_the_request() {
    let fake = Fake::new(|_, _| (now(), Err(TransportErrorKind::Connect)));
    let ctx = ctx(fake.clone(), script(EndMode::WaitForAgent), 45);
    let row = only_row(run_one(ctx.clone()).await.metrics.session_rows());
    assert_eq!(row.end_reason, EndReason::RequestFailed);
    assert_eq!(fake.times(Instant::now(), "request").len(), 3);
    assert_eq!(ctx.established.load(Ordering::Relaxed), 0);
}

#[test]
fn a_session_task_is_small() {
    // Memory per session is dominated by this future (plus the shared pool): keep it far below 16 KiB.
    let fake = Fake::new(|_, _| (now(), ok()));
    let ctx = ctx(fake, script(EndMode::WaitForAgent), 45);
    let (_tx, rx) = stop::channel();
    let fut = run_session(ctx, 0, Instant::now(), rx);
    let size = std::mem::size_of_val(&fut);
    println!("session future: {size} bytes");
    assert!(size < 8 * 1024, "session future is {size} bytes");
}

#[test]
fn holes_are_counted_as_events_and_an_absurd_index_is_its_own_violation() {
    // A hostile or broken server may send any u64 as an event index.
    let ctx = ctx(
        Fake::new(|_, _| (now(), ok())),
        script(EndMode::WaitForAgent),
        45,
    );
    let env = |indexes: &[u64]| -> crate::protocol::Envelope {
        let (_, body) = ok_with(false, indexes, "a").unwrap();
        serde_json::from_str(&body).unwrap()
    };
    let track = super::poll::track_transcript;
    // One hole skipping 1,000 indexes is one event.
    assert_eq!(track(1, &env(&[1001]), &ctx.metrics, None), 1002);
    assert_eq!(violations(&ctx)["transcript_hole"], 1);
    // u64::MAX from position 1: absurd, ignored, the position stays; no overflow.
    assert_eq!(track(1, &env(&[u64::MAX, 1, 2]), &ctx.metrics, None), 3);
    assert_eq!(violations(&ctx)["absurd_index"], 1);
    assert_eq!(violations(&ctx)["transcript_hole"], 1);
    // Near the top of u64 a plain next index still works.
    assert_eq!(
        track(u64::MAX - 1, &env(&[u64::MAX]), &ctx.metrics, None),
        u64::MAX
    );
    assert_eq!(violations(&ctx)["transcript_hole"], 2);
}
