//! Load-generator self-check: was chatload itself the bottleneck?
//!
//! Verdict rule (documented in README.md, section "Reports"), `overloaded` when any of:
//! 1. p99 schedule lateness > min(10 ms, 5 % of the poll interval): sends left
//!    late often enough to distort the latency and the cadence being tested (the
//!    pacing clock meets its instants within 1 ms at p99, see `engine::pacing`);
//! 2. process CPU > 90 % of all cores: lateness is about to follow;
//! 3. at least one flagged gap was caused by generator lag.
//!
//! Otherwise `ok`. CPU is user + system time of the whole process from
//! `/proc/self/stat` (Linux; clock ticks of 1/100 s, the fixed `USER_HZ` of the
//! /proc ABI) divided by wall time; elsewhere it reads as 0.

use crate::report::model::{Generator, LatenessStats};
use crate::report::vocab::GeneratorVerdict;
use hdrhistogram::Histogram;
use std::time::Duration;

/// Lateness p99 above this is always too late, ms.
pub(super) const LATENESS_CAP_MS: f64 = 10.0;
/// Lateness p99 above this share of the poll interval is too late (when below the cap).
pub(super) const LATENESS_SHARE: f64 = 0.05;
/// CPU above this share of all cores counts as saturated.
pub(super) const CPU_SHARE: f64 = 0.90;

/// Cores available to this process (at least 1).
pub(super) fn cores() -> u64 {
    std::thread::available_parallelism().map_or(1, |n| n.get() as u64)
}

/// User + system CPU seconds of this process so far (None where unknown).
pub(super) fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    parse_stat_cpu_seconds(&stat)
}

/// utime + stime of a `/proc/<pid>/stat` line, in seconds.
fn parse_stat_cpu_seconds(stat: &str) -> Option<f64> {
    // The command name may contain spaces and ')': fields are counted after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    // After ')': state(3) ... utime is field 14, stime 15 (1-based, whole line).
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 / 100.0)
}

/// CPU seconds used since a `process_cpu_seconds()` reading.
pub(super) fn cpu_used_since(start: Option<f64>) -> Option<f64> {
    Some((process_cpu_seconds()? - start?).max(0.0))
}

/// Build the generator section.
pub(super) fn generator(
    lateness: Option<&Histogram<u64>>,
    cpu_seconds: Option<f64>,
    elapsed: Duration,
    poll_interval_ms: u64,
    generator_lag_flags: u64,
) -> Generator {
    let q = |h: &Histogram<u64>, q| super::recorder::quantile_ms(h, q);
    let lat = lateness.map_or(LatenessStats::default(), |h| LatenessStats {
        p50: q(h, 0.5),
        p99: q(h, 0.99),
        max: q(h, 1.0),
    });
    let cores = cores();
    let secs = elapsed.as_secs_f64();
    let cpu_percent = match cpu_seconds {
        Some(cpu) if secs > 0.0 => super::recorder::round_dp(cpu / secs * 100.0, 2),
        _ => 0.0,
    };
    let (verdict, reason) = verdict(
        &lat,
        cpu_percent,
        cores,
        poll_interval_ms,
        generator_lag_flags,
    );
    Generator {
        schedule_lateness_ms: lat,
        cpu_percent,
        cores,
        verdict,
        reason,
        shards: Vec::new(),
        stale_connection: 0,
    }
}

/// `ok`/`overloaded` and why.
pub(super) fn verdict(
    lat: &LatenessStats,
    cpu_percent: f64,
    cores: u64,
    poll_interval_ms: u64,
    generator_lag_flags: u64,
) -> (GeneratorVerdict, String) {
    let limit_ms = LATENESS_CAP_MS.min(poll_interval_ms as f64 * LATENESS_SHARE);
    let cpu_limit = CPU_SHARE * 100.0 * cores as f64;
    let mut why = Vec::new();
    if lat.p99 > limit_ms {
        why.push(format!(
            "p99 schedule lateness {:.1} ms > {limit_ms:.1} ms",
            lat.p99
        ));
    }
    if cpu_percent > cpu_limit {
        why.push(format!(
            "CPU {cpu_percent:.0} % > {cpu_limit:.0} % ({cores} cores)"
        ));
    }
    if generator_lag_flags > 0 {
        why.push(format!(
            "{generator_lag_flags} flagged gap(s) caused by generator lag"
        ));
    }
    if why.is_empty() {
        // The rule that held; the measured figures are reported beside the verdict.
        let reason = format!(
            "p99 schedule lateness within {limit_ms:.1} ms, CPU within {cpu_limit:.0} % of one core, no generator-lag flags"
        );
        (GeneratorVerdict::Ok, reason)
    } else {
        (GeneratorVerdict::Overloaded, why.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_stat_with_odd_command_names() {
        let line = "1234 (my (odd) cmd) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 8 0 100 0 0";
        assert_eq!(parse_stat_cpu_seconds(line), Some(3.0));
        assert_eq!(parse_stat_cpu_seconds("garbage"), None);
        assert_eq!(parse_stat_cpu_seconds("1 (x) S 1"), None);
    }

    #[test]
    fn verdict_rules() {
        let lat = |p99| LatenessStats {
            p50: 0.0,
            p99,
            max: p99,
        };
        // 2 s poll: 5 % is 100 ms, so the 10 ms cap applies.
        assert_eq!(verdict(&lat(9.0), 50.0, 2, 2000, 0).0, GeneratorVerdict::Ok);
        let (v, why) = verdict(&lat(10.5), 50.0, 2, 2000, 0);
        assert_eq!(v, GeneratorVerdict::Overloaded);
        assert!(why.contains("10.5 ms > 10.0 ms"), "{why}");
        // Short poll: 5 % of 100 ms is 5 ms, below the cap.
        assert_eq!(
            verdict(&lat(6.0), 0.0, 2, 100, 0).0,
            GeneratorVerdict::Overloaded
        );
        assert_eq!(verdict(&lat(4.0), 0.0, 2, 100, 0).0, GeneratorVerdict::Ok);
        // CPU above 90 % of all cores.
        assert!(verdict(&lat(0.0), 181.0, 2, 2000, 0)
            .1
            .contains("CPU 181 % > 180 %"));
        assert!(verdict(&lat(0.0), 0.0, 2, 2000, 3)
            .1
            .contains("3 flagged gap(s)"));
    }

    #[test]
    fn reads_own_cpu_time_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(process_cpu_seconds().is_some());
        }
    }

    #[test]
    fn ok_reason_states_the_limits_not_the_figures() {
        let lat = LatenessStats {
            p50: 0.1,
            p99: 0.5,
            max: 2.0,
        };
        let (verdict, reason) = verdict(&lat, 12.0, 2, 2000, 0);
        assert_eq!(verdict, GeneratorVerdict::Ok);
        assert_eq!(
            reason,
            "p99 schedule lateness within 10.0 ms, CPU within 180 % of one core, no generator-lag flags"
        );
    }
}
