//! Live progress: elapsed, active sessions, req/s, p99, flags, errors.
//!
//! On a terminal an indicatif line redrawn each second; when stdout is not a terminal
//! (a CI log) one plain line on stderr every `--progress-interval` (10 s; 0 = never);
//! nothing with `--quiet`.

use crate::metrics::LiveStats;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

/// The progress line; finishes (clears) on drop.
#[derive(Debug)]
pub(crate) struct Progress {
    bar: ProgressBar,
    /// Plain-line mode: the period and the (elapsed, requests) of the last line.
    plain: Option<(Duration, Mutex<(Duration, u64)>)>,
}

impl Progress {
    /// A visible spinner line on a terminal; plain lines every `every` (zero = never)
    /// when stdout is not a terminal; nothing when `quiet`.
    pub(crate) fn new(quiet: bool, planned: Duration, every: Duration) -> Self {
        let tty = std::io::stdout().is_terminal();
        let plain =
            (!quiet && !tty && !every.is_zero()).then(|| (every, Mutex::new((Duration::ZERO, 0))));
        let bar = if quiet || !tty {
            ProgressBar::hidden()
        } else {
            let bar = ProgressBar::new(planned.as_secs().max(1));
            let style = ProgressStyle::with_template("{spinner} {elapsed:>4} [{bar:20}] {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
            bar.set_style(style);
            bar
        };
        Progress { bar, plain }
    }

    /// Show the figures of the last second (and a plain line when one is due).
    pub(crate) fn update(&self, elapsed: Duration, live: &LiveStats) {
        self.bar.set_position(elapsed.as_secs());
        self.bar.set_message(format!(
            "active {} | {} req/s | p99 {:.1} ms | flags {} | errors {}",
            live.active_sessions,
            live.last_second_requests,
            live.last_second_p99_ms,
            live.flags,
            live.errors
        ));
        if let Some(line) = self.plain_line(elapsed, live) {
            eprintln!("{line}");
        }
    }

    /// The plain progress line due at `elapsed`, if one is.
    fn plain_line(&self, elapsed: Duration, live: &LiveStats) -> Option<String> {
        let (every, last) = self.plain.as_ref()?;
        let mut last = last.lock().unwrap_or_else(|p| p.into_inner());
        let since = elapsed.saturating_sub(last.0);
        if since < *every {
            return None;
        }
        let rate = live.requests.saturating_sub(last.1) as f64 / since.as_secs_f64().max(1e-3);
        *last = (elapsed, live.requests);
        Some(format!(
            "chatload: {}s elapsed | active {} | {rate:.1} req/s | p99 {:.1} ms | flags {} | errors {}",
            elapsed.as_secs(),
            live.active_sessions,
            live.last_second_p99_ms,
            live.flags,
            live.errors
        ))
    }

    /// Say what the run is doing now (e.g. draining).
    pub(crate) fn note(&self, msg: &str) {
        self.bar.set_message(msg.to_string());
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}
