//! Live progress (indicatif): elapsed, active sessions, req/s, last-second p99,
//! flags, errors. Hidden when stdout is not a terminal or with `--quiet`.

use crate::metrics::LiveStats;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

/// The progress line; finishes (clears) on drop.
#[derive(Debug)]
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A visible spinner line, or a hidden one when `quiet` or stdout is not a terminal.
    pub fn new(quiet: bool, planned: Duration) -> Self {
        let bar = if quiet || !std::io::stdout().is_terminal() {
            ProgressBar::hidden()
        } else {
            let bar = ProgressBar::new(planned.as_secs().max(1));
            let style = ProgressStyle::with_template("{spinner} {elapsed:>4} [{bar:20}] {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
            bar.set_style(style);
            bar
        };
        Progress { bar }
    }

    /// Show the figures of the last second.
    pub fn update(&self, elapsed: Duration, live: &LiveStats) {
        self.bar.set_position(elapsed.as_secs());
        self.bar.set_message(format!(
            "active {} | {} req/s | p99 {:.1} ms | flags {} | errors {}",
            live.active_sessions,
            live.last_second_requests,
            live.last_second_p99_ms,
            live.flags,
            live.errors
        ));
    }

    /// Say what the run is doing now (e.g. draining).
    pub fn note(&self, msg: &str) {
        self.bar.set_message(msg.to_string());
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}
