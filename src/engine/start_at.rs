//! `--start-at TIME` (RFC 3339): the shards of one run, started by different machines,
//! begin their plans at one shared instant. The time is checked before anything runs: a
//! time more than the ramp in the past is an error (the shards would not overlap as
//! planned); a time within the ramp starts at once.

use crate::error::UsageError;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// Parse and check `--start-at` against `now` and the plan's first ramp.
pub(crate) fn parse(
    text: &str,
    now: DateTime<Utc>,
    ramp: Duration,
) -> Result<DateTime<Utc>, UsageError> {
    let at = DateTime::parse_from_rfc3339(text.trim())
        .map_err(|e| {
            UsageError::new(format!(
                "--start-at {text:?}: not an RFC 3339 time ({e}); give e.g. 2026-11-30T05:00:00Z (date -u -d '+2 min' +%Y-%m-%dT%H:%M:%SZ)"
            ))
        })?
        .with_timezone(&Utc);
    let late = (now - at).to_std().unwrap_or_default();
    if late > ramp {
        return Err(UsageError::new(format!(
            "--start-at {text}: {:.1} s in the past, more than the ramp ({:.1} s): this shard would start out of step with the others; give a time in the future",
            late.as_secs_f64(),
            ramp.as_secs_f64()
        )));
    }
    Ok(at)
}

/// How long to wait from `now` until `at` (zero when it has passed).
pub(crate) fn delay(at: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    (at - now).to_std().unwrap_or_default()
}

/// Wait until `at`, saying so on stderr unless `quiet`.
pub(crate) async fn wait_until(at: DateTime<Utc>, now: DateTime<Utc>, quiet: bool) {
    let d = delay(at, now);
    if d.is_zero() {
        return;
    }
    if !quiet {
        eprintln!(
            "chatload: waiting {:.1} s to start at {} (--start-at)",
            d.as_secs_f64(),
            at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        );
    }
    tokio::time::sleep(d).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_future_time_or_one_within_the_ramp_is_accepted() {
        let now = t("2026-11-30T05:00:00Z");
        let ramp = Duration::from_secs(10);
        assert_eq!(
            parse("2026-11-30T05:01:00Z", now, ramp).unwrap(),
            t("2026-11-30T05:01:00Z")
        );
        // Other offsets are the same instant.
        assert_eq!(
            parse("2026-11-30T06:01:00+01:00", now, ramp).unwrap(),
            t("2026-11-30T05:01:00Z")
        );
        assert!(parse("2026-11-30T04:59:51Z", now, ramp).is_ok());
    }

    #[test]
    fn more_than_the_ramp_in_the_past_or_not_a_time_is_an_error() {
        let now = t("2026-11-30T05:00:00Z");
        let e = parse("2026-11-30T04:59:49Z", now, Duration::from_secs(10)).unwrap_err();
        assert!(
            e.0.contains("11.0 s in the past") && e.0.contains("ramp (10.0 s)"),
            "{e}"
        );
        let e = parse("tomorrow", now, Duration::ZERO).unwrap_err();
        assert!(
            e.0.contains("--start-at") && e.0.contains("RFC 3339"),
            "{e}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_wait_ends_at_the_start_time() {
        let now = t("2026-11-30T05:00:00Z");
        let begin = tokio::time::Instant::now();
        wait_until(t("2026-11-30T05:00:42.5Z"), now, true).await;
        assert_eq!(begin.elapsed(), Duration::from_millis(42_500));
        let begin = tokio::time::Instant::now();
        wait_until(t("2026-11-30T04:59:59Z"), now, true).await;
        assert_eq!(begin.elapsed(), Duration::ZERO);
    }
}
