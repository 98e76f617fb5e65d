//! The pacing clock: sleep until an intended instant and wake within a fraction of a
//! millisecond of it, not up to two milliseconds after.
//!
//! tokio's timer works in whole milliseconds: a deadline is rounded up to the next
//! tick, and the driver parks in `epoll_wait`, whose timeout is again rounded up to a
//! whole millisecond. Lateness was 0..2 ms (p50 about 1 ms), most of a fast server's
//! corrected latency, since that latency starts at the intended instant.
//!
//! The choice: one `timerfd` per runtime, registered in tokio's own reactor and armed
//! for the earliest pending instant with nanosecond resolution ([`timer`]). `epoll_wait`
//! returns when the timerfd expires, whatever its millisecond timeout; a runtime task
//! pops the due (instant, waker) entries of a min-heap and wakes them from inside the
//! runtime (the worker's local queue, no cross-thread wake), then re-arms for the next.
//! Waits up to 10 s go to it whole, so a poll costs one wake, as with tokio's timer;
//! longer ones first sleep on tokio's timer. Under a paused tokio clock (tests) tokio
//! drives every wait: the clock counts as paused when two readings of tokio's clock do
//! not bracket a reading of the real one. Other systems than Linux use tokio's timer.
//!
//! Replaced: a two-stage sleep (tokio until 3 ms before, then a dedicated timer thread
//! parked on a futex with a ns timeout). Its wakes came from outside the runtime (global
//! queue, a futex/eventfd wake of a parked worker, the thread's own switch) and each
//! wait woke twice: +22 % CPU per request on a quiet machine. Also weighed: aligning
//! instants to tokio's tick (removes one rounding, p50 stays near 0.5 ms); a spin before
//! the instant (a core at 5,000 requests/s); coalescing instants within 50 µs, and the
//! two-stage split on the timerfd (both measured: no CPU gain at 2,000 sessions @ 1 s,
//! +7 % CPU for the split).
//!
//! Measured 2026-11-30 on the 2-core machine shared with other builds (load 4-6, so
//! the p99s measure the machine), interleaved runs, medians of 3, `before` = 6162b00
//! (tokio's timer), `thread` = the timer thread (main's release build), `timerfd` = this:
//! - 2,000 sessions @ 1 s (`scripts/bench_client.sh 2000 12s`): CPU per request 129 /
//!   164 / 144 µs (timerfd +11 % over before, -12 % against thread); lateness p50
//!   1.15 / 0.126 / 0.055 ms, p99 4.3 / 8.4 / 3.1 ms.
//! - 10,000 sessions @ 2 s (`scripts/bench_engine.sh 10000 20s`, separate server): CPU
//!   per request 102 / 118 / 110 µs (+8 % / +16 %); lateness all `overloaded` at that
//!   load but one run each (before p50 1.18 ms, timerfd 0.086 ms). A second set at
//!   load 1.5-3.5: 89 / 127 / 112 µs (+26 % / +43 %); its one round where all three
//!   kept up: 89 / 110 / 103 µs, lateness p50 1.149 / 0.117 / 0.064 ms, p99 3.2 / 4.3 /
//!   2.3 ms. Precise wakes batch less than tokio's 1 ms ticks (about 5 waits per tick
//!   at 5,000 polls/s), which is most of what is left of the CPU cost: the +10 % budget
//!   is met at 2,000 sessions at best, not at 10,000.
//!
//! Quiet rerun (load 0.3-1.8 from the benchmark itself, interleaved, medians of 3,
//! `MODE=separate POLLS=2s scripts/bench_engine.sh N 20s`), before / thread / timerfd:
//! - 2,000 sessions: CPU per request 173 / - / 160 µs (0.92×); lateness p50 1.091 / - /
//!   0.052 ms, p99 2.07 / - / 1.42 ms.
//! - 10,000 sessions: CPU 94 / 115 / 114 µs (1.21×); lateness p50 1.143 / 0.127 / 0.091
//!   ms, p99 2.33 / 2.12 / 2.22 ms; corrected poll p50 1.54 / 0.32 / 0.31 ms (service
//!   0.37 / 0.20 / 0.20 ms).
//!
//! Met: p50 ≤ 0.1 ms. Not met: p99 ≤ 1 ms (a loaded trace put it in workers waiting for
//! a core, not in this timer) and +10 % CPU at 10,000 sessions.
//!
//! Where the CPU goes (one build with the timer switchable, 10,000 sessions @ 2 s,
//! medians of 3: this clock 105 µs per request, tokio's timer 87 µs): `perf` puts the
//! difference everywhere, kernel (+1.5 s: more parks and context switches, 1.26 vs
//! 0.78 per request, 4.7 vs 3.1 syscalls) and user code alike (+1.8 s, the heap's `pop`
//! only 0.23 s of it): a precise wake runs one poll on cold caches after a park, where
//! a tick ran five in a row. That is the price of precision, so it is the user's choice:
//! [`align`] puts poll instants on a shared grid (`pacing_grid`), whose points the
//! timerfd wakes together. Quiet, 10,000 sessions @ 2 s, after this session's request
//! path cuts, medians of 3: tokio's timer 85 µs, this clock 99 µs (1.16×, lateness p50
//! 0.066 ms, p99 1.72 ms), with a 1 ms grid 83 µs (0.98×, p50 0.155 ms, p99 1.19 ms);
//! 250 µs and 500 µs grids save nothing (README, Measurement fidelity).
//!
//! Those figures were taken while session starts (the request chat's planned instant)
//! still waited on tokio's timer: every request chat went out 0-2 ms late, which made the
//! run's whole p99 during a ramp, and put each session's polls on tokio's millisecond
//! ticks, whose batching hid part of this clock's CPU cost. With starts and open-model
//! arrivals on this clock too (`scripts/bench_lateness.sh 10000 20s`, nothing sampling the
//! run, medians of 3): tokio's timer 88 µs, lateness p50 1.167 / p99 2.32 ms; this clock
//! 108 µs (1.23×), p50 0.028 / p99 0.20 ms; a 500 µs grid 105 µs, 0.075 / 0.44 ms; a 1 ms
//! grid 93 µs (1.06×), 0.14 / 0.54 ms. The lateness targets are met by the default, the
//! CPU budget by the 1 ms grid; not all three by one setting. With the request path on
//! hyper-util (721d79a, same script, quiet, medians of 3) a precise run costs what an
//! imprecise one did before the clock: 95 vs 96 µs per request at 10,000 sessions, lateness
//! p50 0.030 / p99 0.99 ms (145 vs 184 µs, 0.054 / 0.37 ms at 2,000).

#[cfg(target_os = "linux")]
mod timer;

use std::time::{Duration, Instant as StdInstant};
use tokio::time::Instant;

/// `at` moved up to the next point of a grid of step `grid` shared by the whole
/// process (`pacing_grid`; zero: `at` unchanged). Polls whose instants fall within
/// one step then wake together, in one timerfd expiry, as with tokio's 1 ms tick: the
/// CPU a wake costs is shared, and the later polls of a batch wait for the earlier
/// ones to be sent. The grid point is the intended instant, so lateness is measured
/// from it.
pub(crate) fn align(at: Instant, grid: Duration) -> Instant {
    static EPOCH: std::sync::OnceLock<StdInstant> = std::sync::OnceLock::new();
    if grid.is_zero() {
        return at;
    }
    align_from(at, grid, *EPOCH.get_or_init(StdInstant::now))
}

/// [`align`] on the grid that starts at `epoch` (an instant before it is left as is).
fn align_from(at: Instant, grid: Duration, epoch: StdInstant) -> Instant {
    let Some(since) = at.into_std().checked_duration_since(epoch) else {
        return at;
    };
    let (ns, step) = (since.as_nanos(), grid.as_nanos());
    let up = ns.div_ceil(step) * step - ns;
    at + Duration::from_nanos(u64::try_from(up).unwrap_or(0))
}

/// True unless tokio's clock is paused (tests): then two reads of it are equal and a
/// real reading between them would have to match it to the nanosecond.
pub(crate) fn tokio_clock_is_real() -> bool {
    let (before, real_now, after) = (Instant::now(), StdInstant::now(), Instant::now());
    before.into_std() <= real_now && real_now <= after.into_std()
}

/// Sleep until `at` (a tokio instant) on the runtime's precise timer.
pub(crate) async fn sleep_until(at: Instant) {
    let real_clock = tokio_clock_is_real();
    #[cfg(target_os = "linux")]
    if real_clock {
        if let Some(timer) = timer::Timer::current() {
            return timer.sleep_until(at).await;
        }
    }
    let _ = real_clock;
    tokio::time::sleep_until(at).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn align_moves_up_to_the_next_grid_point() {
        let epoch = StdInstant::now();
        let t0 = Instant::from_std(epoch);
        let us = Duration::from_micros;
        let grid = us(1000);
        assert_eq!(align_from(t0, grid, epoch), t0, "a grid point stays");
        assert_eq!(align_from(t0 + us(1), grid, epoch), t0 + us(1000));
        assert_eq!(align_from(t0 + us(2999), grid, epoch), t0 + us(3000));
        assert_eq!(align_from(t0 + us(3000), grid, epoch), t0 + us(3000));
        // Before the epoch: unchanged; no grid: unchanged.
        let early = Instant::from_std(epoch) - us(10);
        assert_eq!(align_from(early, grid, epoch + us(5)), early);
        assert_eq!(align(t0 + us(7), Duration::ZERO), t0 + us(7));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn waits_end_at_or_after_their_instant() {
        let base = Instant::now() + Duration::from_millis(5);
        let instants: Vec<Instant> = (0..50u64)
            .map(|i| base + Duration::from_micros(i * 137))
            .collect();
        let waits: Vec<_> = instants
            .iter()
            .map(|&at| {
                tokio::spawn(async move {
                    sleep_until(at).await;
                    Instant::now()
                })
            })
            .collect();
        for (w, at) in waits.into_iter().zip(instants) {
            assert!(w.await.unwrap() >= at, "woke before its instant");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn paused_time_drives_the_wait() {
        let t0 = Instant::now();
        sleep_until(t0 + Duration::from_secs(30)).await;
        assert_eq!(t0.elapsed(), Duration::from_secs(30));
    }

    /// A thread that runs one runtime after another gets a working timer in each (the
    /// first runtime's timer went with it).
    #[test]
    fn each_runtime_gets_its_own_timer() {
        for _ in 0..2 {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let at = Instant::now() + Duration::from_millis(2);
                let wait = tokio::time::timeout(Duration::from_secs(10), sleep_until(at));
                assert!(wait.await.is_ok(), "the wait never ended");
                assert!(Instant::now() >= at, "woke before its instant");
            });
        }
    }
}
