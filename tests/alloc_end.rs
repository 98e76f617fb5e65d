//! Heap bytes the END of a run costs per session (issue 15), counted by a global allocator.
//! The peak RSS of a run came at its end, on top of the running sessions: every session's
//! disconnect future boxed at once while the disconnects were spread, then every row
//! copied into a list to write sessions.csv. Two tests keep both from coming back:
//!
//! - `the_planned_end_costs_few_bytes_per_session`: two runs against the embedded
//!   reference server in paused time (client and server counted), N and N + DELTA
//!   sessions; in each, the most live heap from 0.7 s before the planned end until half
//!   the disconnects went out, over the least before the end. The growth over DELTA is what
//!   the end adds per session on top of a running one.
//! - `writing_the_reports_keeps_no_copy_of_the_rows`: metrics holding N and N + DELTA
//!   ended sessions' rows (half of them of a profile); the most live heap while the summary
//!   is built (the profile's figures included) and every report file written, over what
//!   was live before. A writer that lists every row again (about 250 bytes a row in a debug
//!   build) fails here.
//!
//! Its own test binary: the counting allocator is process-wide.

#[path = "alloc/common.rs"]
mod common;

use chatload::metrics::{Metrics, RunFacts, SessionEnd};
use chatload::report::model::ScenarioInfo;
use common::{reset_peak, LIVE, PEAK};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOC: common::Counting = common::Counting;

/// The two tests measure one at a time (the counters are process-wide).
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Heap bytes the planned end may add per session (client and embedded server, debug
/// build); see the README's "Request-path cost".
const END_BOUND_PER_SESSION: isize = 256;

/// Heap bytes building the summary and writing the reports may take per ended session.
const REPORT_BOUND_PER_ROW: isize = 16;

/// The growth of live heap bytes over the planned end of a run of `sessions` sessions
/// polling every second for 10 s (all started by 1 s): the most from 9.3 s on until half
/// the disconnects went out (10.51 s), over the least 9.3-10 s in; with the run's outcome.
async fn end_growth(sessions: u64) -> (isize, chatload::RunOutcome, tempfile::TempDir) {
    let (cfg, dir) = common::polling_run(sessions, ("1s", "10s", "1s"));
    let sample = async {
        // From 9.3 s on (clear of the once-a-second tick, whose fresh histograms are a
        // fixed cost), between poll instants (which fall on whole milliseconds), every
        // 10 ms until the planned end: the least is the running sessions' own bytes.
        tokio::time::sleep(Duration::from_micros(9_300_500)).await;
        let mut least = reset_peak();
        for _ in 0..69 {
            tokio::time::sleep(Duration::from_millis(10)).await;
            least = least.min(LIVE.load(Relaxed));
        }
        // Halfway through the disconnects' spread (the planned end's second): every
        // session has begun its wait for its disconnect, half have sent it.
        tokio::time::sleep(Duration::from_millis(510)).await;
        PEAK.load(Relaxed) - least
    };
    let (outcome, growth) =
        tokio::join!(chatload::run_scenario(cfg, std::future::pending()), sample);
    (growth, outcome.unwrap(), dir)
}

#[tokio::test(start_paused = true)]
#[allow(clippy::await_holding_lock)] // one test at a time; this runtime has one thread
async fn the_planned_end_costs_few_bytes_per_session() {
    const BASE: u64 = 50;
    const DELTA: u64 = 400;
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (small, run_a, dir_a) = end_growth(BASE).await;
    let (large, run_b, dir_b) = end_growth(BASE + DELTA).await;
    for (run, dir, n) in [(&run_a, &dir_a, BASE), (&run_b, &dir_b, BASE + DELTA)] {
        // The runs were real: every session polled and its disconnect was answered 0,
        // every row reached sessions.csv, and the client's counts are the server's.
        let server = run.server.as_ref().expect("embedded server").stats();
        assert_eq!(
            run.summary.requests.total,
            server.requests.values().sum::<u64>()
        );
        assert!(run.summary.requests.total >= n * 10, "{n} sessions");
        assert_eq!(run.summary.sessions.ended_by_client, n);
        assert_eq!(run.summary.sessions.expired, 0);
        let csv = std::fs::read_to_string(dir.path().join("out/sessions.csv")).unwrap();
        assert_eq!(csv.lines().count() as u64, n + 1);
    }
    let per_session = (large - small) / DELTA as isize;
    eprintln!(
        "heap bytes the planned end adds per session (client + embedded server): {per_session} \
         ({BASE}: +{small}; {}: +{large})",
        BASE + DELTA
    );
    assert!(
        per_session <= END_BOUND_PER_SESSION,
        "the planned end adds {per_session} heap bytes per session, over the bound {END_BOUND_PER_SESSION}"
    );
}

/// Metrics holding `rows` ended sessions (a tick streamed the first half); the growth of
/// live heap bytes while the summary is built and every report file written.
fn report_growth(rows: u64) -> isize {
    let start = Instant::now();
    let m = Metrics::new(start, Duration::from_secs(45), 0.8);
    // Half the sessions of a `[[customers]]` profile: its figures are built from the rows too.
    let profile: std::sync::Arc<str> = "regulars".into();
    let end = |ordinal: u64| {
        let mut end = SessionEnd::client_disconnect(ordinal, format!("{ordinal:016X}-chat"), 20);
        end.profile = (ordinal % 2 == 1).then(|| profile.clone());
        end
    };
    // Out of ordinal order, as sessions end.
    let order = |i: u64| (i * 7919) % rows;
    for i in 0..rows {
        m.session_started();
        if i == rows / 2 {
            drop(m.tick(start + Duration::from_secs(1)));
        }
        m.session_ended(end(order(i)));
    }
    let dir = tempfile::tempdir().unwrap();
    let before = reset_peak();
    let facts = RunFacts::completed(ScenarioInfo::default(), Duration::from_secs(20));
    let summary = m.build_summary(facts);
    assert_eq!(summary.profiles["regulars"].sessions, rows / 2);
    chatload::report::write_reports(dir.path(), &summary, &m).unwrap();
    let growth = PEAK.load(Relaxed) - before;
    let csv = std::fs::read_to_string(dir.path().join("sessions.csv")).unwrap();
    assert_eq!(csv.lines().count() as u64, rows + 1);
    let ordinals: Vec<u64> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    assert!(ordinals.iter().copied().eq(0..rows), "sorted by ordinal");
    growth
}

#[test]
fn writing_the_reports_keeps_no_copy_of_the_rows() {
    const BASE: u64 = 1_000;
    const DELTA: u64 = 10_000;
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let small = report_growth(BASE);
    let large = report_growth(BASE + DELTA);
    let per_row = (large - small) / DELTA as isize;
    eprintln!(
        "heap bytes the summary and reports take per ended session: {per_row} \
         ({BASE}: +{small}; {}: +{large})",
        BASE + DELTA
    );
    assert!(
        per_row <= REPORT_BOUND_PER_ROW,
        "writing the reports takes {per_row} heap bytes per ended session, over the bound {REPORT_BOUND_PER_ROW}"
    );
}
