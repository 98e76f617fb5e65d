//! `--log-interval`, `--metrics-listen` and `--progress-interval` -> [`LiveOutput`].

use super::parse_duration;
use crate::cli::RunArgs;
use crate::error::UsageError;
use std::net::SocketAddr;
use std::time::Duration;

/// Shortest and longest `--log-interval`.
const LOG_INTERVAL_RANGE: (Duration, Duration) =
    (Duration::from_secs(1), Duration::from_secs(3600));

/// What the run shows and streams while it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveOutput {
    /// One interval of latency.hlog and events.jsonl (zero = no streamed files: a killed
    /// run cannot be rebuilt).
    pub log_interval: Duration,
    /// Where `/metrics` is served (none = off).
    pub metrics_listen: Option<SocketAddr>,
    /// Progress line period when stdout is not a terminal (zero = never).
    pub progress_interval: Duration,
}

impl Default for LiveOutput {
    fn default() -> Self {
        LiveOutput {
            log_interval: Duration::from_secs(1),
            metrics_listen: None,
            progress_interval: Duration::from_secs(10),
        }
    }
}

impl LiveOutput {
    /// Validate the three flags.
    pub fn from_args(args: &RunArgs) -> Result<Self, UsageError> {
        let mut out = LiveOutput::default();
        if let Some(s) = args.log_interval.as_deref().filter(|s| s.trim() != "0") {
            let d =
                parse_duration(s).map_err(|e| UsageError::new(format!("--log-interval: {e}")))?;
            let (lo, hi) = LOG_INTERVAL_RANGE;
            if d < lo || d > hi || d.subsec_nanos() != 0 {
                return Err(UsageError::new(format!(
                    "--log-interval '{s}' must be whole seconds from 1s to 1h (or 0 = off); write it like 1s or 10s"
                )));
            }
            out.log_interval = d;
        }
        if args.log_interval.as_deref().map(str::trim) == Some("0") {
            out.log_interval = Duration::ZERO;
        }
        if let Some(s) = &args.metrics_listen {
            let addr = s.trim().parse().map_err(|_| {
                UsageError::new(format!(
                    "--metrics-listen '{s}' is not an address; write it like 127.0.0.1:9464"
                ))
            })?;
            out.metrics_listen = Some(addr);
        }
        if let Some(s) = &args.progress_interval {
            let d = if s.trim() == "0" {
                Duration::ZERO
            } else {
                parse_duration(s)
                    .map_err(|e| UsageError::new(format!("--progress-interval: {e}")))?
            };
            out.progress_interval = d;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(log: Option<&str>, listen: Option<&str>, progress: Option<&str>) -> RunArgs {
        RunArgs {
            log_interval: log.map(Into::into),
            metrics_listen: listen.map(Into::into),
            progress_interval: progress.map(Into::into),
            ..RunArgs::default()
        }
    }

    #[test]
    fn defaults_and_valid_values() {
        assert_eq!(
            LiveOutput::from_args(&args(None, None, None)).unwrap(),
            LiveOutput::default()
        );
        let o = LiveOutput::from_args(&args(Some("5s"), Some("127.0.0.1:0"), Some("0"))).unwrap();
        assert_eq!(o.log_interval, Duration::from_secs(5));
        assert_eq!(o.metrics_listen, Some("127.0.0.1:0".parse().unwrap()));
        assert_eq!(o.progress_interval, Duration::ZERO);
        let off = LiveOutput::from_args(&args(Some("0"), None, None)).unwrap();
        assert_eq!(off.log_interval, Duration::ZERO);
    }

    #[test]
    fn bad_values_name_the_flag() {
        for (a, flag) in [
            (args(Some("500ms"), None, None), "--log-interval"),
            (args(Some("2h"), None, None), "--log-interval"),
            (args(None, Some("localhost"), None), "--metrics-listen"),
            (args(None, None, Some("soon")), "--progress-interval"),
        ] {
            let e = LiveOutput::from_args(&a).unwrap_err().to_string();
            assert!(e.starts_with(flag), "{e}");
        }
    }
}
