//! Micro-benchmark of the metrics layer (a figure printer, not a test).
//!
//! `cargo run --release --example metrics_bench`
//!
//! Prints the median ns per `Metrics::record_request` (1 thread, and 2 threads
//! sharing one `Metrics`), ns per `record_gap`, the cost of one `tick` and one
//! `build_summary`, and the resident memory added by a `Metrics` that has seen
//! 100,000 sessions (one gap each, ended with a sessions.csv row) and a full
//! one-hour timeline. `PROFILES=3` records every request for one of three
//! `[[customers]]` profiles as well (the per-profile recorders' cost).

use chatload::metrics::{GapCause, Metrics, Outcome, RequestRecord, RunFacts, SessionEnd};
use chatload::protocol::Operation;
use chatload::report::model::ScenarioInfo;
use std::sync::Arc;
use std::time::{Duration, Instant};

const RECORDS_PER_THREAD: u32 = 2_000_000;
const RUNS: usize = 5;
const SESSIONS: u64 = 100_000;

/// Resident set size of this process in bytes (Linux), 0 elsewhere.
fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<u64>().ok())
        })
        .map_or(0, |pages| pages * 4096)
}

/// On-CPU nanoseconds of the calling thread so far (Linux schedstat), 0 elsewhere.
fn thread_cpu_ns() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .next()
                .and_then(|v| v.parse::<f64>().ok())
        })
        .unwrap_or(0.0)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Profiles the records are spread over (`PROFILES`, default 0: none).
fn profiles() -> u16 {
    static N: std::sync::OnceLock<u16> = std::sync::OnceLock::new();
    *N.get_or_init(|| {
        std::env::var("PROFILES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    })
}

fn record(m: &Metrics, base: Instant, i: u32) {
    let intended = base + Duration::from_micros(u64::from(i));
    m.record_request(&RequestRecord {
        operation: Operation::ALL[(i % 6) as usize],
        intended,
        sent: intended + Duration::from_micros(u64::from(i % 50)),
        done: intended + Duration::from_micros(u64::from(500 + i % 20_000)),
        outcome: Outcome::Response {
            http_status: 200,
            status_code: Some(0),
            chat_ended: Some(false),
        },
        profile: (profiles() > 0).then(|| (i % u32::from(profiles())) as u16),
    });
}

/// (on-CPU ns per record_request in each thread, wall ns per record overall)
/// with `threads` threads sharing one Metrics.
fn record_ns(threads: usize) -> (f64, f64) {
    let base = Instant::now();
    let m = Arc::new(Metrics::new(base, Duration::from_secs(45), 0.8));
    let start = Instant::now();
    let per_thread: Vec<f64> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let m = Arc::clone(&m);
                s.spawn(move || {
                    let t = thread_cpu_ns();
                    for i in 0..RECORDS_PER_THREAD {
                        record(&m, base, i);
                    }
                    (thread_cpu_ns() - t) / f64::from(RECORDS_PER_THREAD)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or(f64::NAN))
            .collect()
    });
    let total = f64::from(RECORDS_PER_THREAD) * threads as f64;
    assert_eq!(m.live().requests, total as u64);
    let wall = start.elapsed().as_nanos() as f64 / total;
    (per_thread.iter().sum::<f64>() / threads as f64, wall)
}

fn gap_ns() -> f64 {
    let m = Metrics::new(Instant::now(), Duration::from_secs(45), 0.8);
    let start = Instant::now();
    for i in 0..RECORDS_PER_THREAD {
        let gap = Duration::from_millis(u64::from(1500 + i % 1000));
        m.record_gap(u64::from(i) % SESSIONS, gap, GapCause::Cadence);
    }
    start.elapsed().as_nanos() as f64 / f64::from(RECORDS_PER_THREAD)
}

/// RSS added by (histograms after 100k requests, per session, 1 h timeline), tick µs, build ms.
fn memory() -> (u64, f64, u64, f64, f64) {
    let before = rss_bytes();
    let base = Instant::now();
    let m = Metrics::new(base, Duration::from_secs(45), 0.8);
    for i in 0..SESSIONS as u32 {
        record(&m, base, i);
        m.record_lateness(Duration::from_micros(u64::from(i % 3000)));
    }
    let fixed = rss_bytes();
    for i in 0..SESSIONS {
        m.session_started();
        m.record_gap(i, Duration::from_millis(2000 + i % 100), GapCause::Cadence);
    }
    for ordinal in 0..SESSIONS {
        m.session_ended(SessionEnd::client_disconnect(
            ordinal,
            format!("{ordinal:016x}-7c1e-4b6a-9d3f"),
            1800,
        ));
    }
    let sessions = rss_bytes();
    let tick_start = Instant::now();
    for s in 1..=3600 {
        m.tick(base + Duration::from_secs(s));
    }
    let tick_us = tick_start.elapsed().as_secs_f64() * 1e6 / 3600.0;
    let timeline = rss_bytes();
    let build_start = Instant::now();
    let summary = m.build_summary(RunFacts::completed(
        ScenarioInfo::default(),
        Duration::from_secs(3600),
    ));
    let build_ms = build_start.elapsed().as_secs_f64() * 1e3;
    assert_eq!(summary.sessions.started, SESSIONS);
    assert!(summary.timeline.len() <= 1200);
    let per_session = sessions.saturating_sub(fixed) as f64 / SESSIONS as f64;
    (
        fixed.saturating_sub(before),
        per_session,
        timeline.saturating_sub(sessions),
        tick_us,
        build_ms,
    )
}

fn main() {
    println!(
        "cores: {}",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    for threads in [1, 2] {
        let runs: Vec<(f64, f64)> = (0..RUNS).map(|_| record_ns(threads)).collect();
        println!(
            "record_request, {threads} thread(s) x {RECORDS_PER_THREAD} records: median {:.1} ns CPU per call in each thread, {:.1} ns wall per record overall",
            median(runs.iter().map(|r| r.0).collect()),
            median(runs.iter().map(|r| r.1).collect()),
        );
    }
    let gaps: Vec<f64> = (0..RUNS).map(|_| gap_ns()).collect();
    println!("record_gap, 1 thread: median {:.1} ns/gap", median(gaps));
    let (fixed, per_session, timeline, tick_us, build_ms) = memory();
    let mib = |b: u64| b as f64 / 1048576.0;
    println!(
        "memory (RSS added): histograms after {SESSIONS} requests over 6 operations {:.1} MiB; {per_session:.0} bytes per ended session; 1 h timeline {:.2} MiB",
        mib(fixed),
        mib(timeline)
    );
    println!("tick: {tick_us:.0} µs each; build_summary: {build_ms:.1} ms");
}
