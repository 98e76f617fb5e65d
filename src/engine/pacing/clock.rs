//! The pacing clock: sleep until an intended instant and wake within a fraction of a
//! millisecond of it, not up to two milliseconds after.
//!
//! HEADER TO BE REWRITTEN WITH THE MEASURED NUMBERS.

#[cfg(target_os = "linux")]
mod timer;

use std::time::Instant as StdInstant;
use tokio::time::Instant;

/// Sleep until `at` (a tokio instant) on the runtime's precise timer.
pub(crate) async fn sleep_until(at: Instant) {
    // tokio's clock is the real one unless paused (tests): then two reads of it are equal and
    // a real reading between them would have to match it to the nanosecond.
    let (before, real_now, after) = (Instant::now(), StdInstant::now(), Instant::now());
    let real_clock = before.into_std() <= real_now && real_now <= after.into_std();
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
    use std::time::Duration;

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
