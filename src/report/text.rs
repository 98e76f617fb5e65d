//! The text summary printed on stdout at the end of a run. It only formats
//! figures of the [`Summary`]; nothing is computed here except shares.

use crate::report::in_report_order;
use crate::report::model::{LatencyStats, Summary};
use crate::report::service_windows;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// How far (a fraction) the lowest window's service level must fall below the run's to
/// be printed.
const LOW_WINDOW_DROP: f64 = 0.10;

/// Write the end-of-run summary.
pub fn write_text(summary: &Summary, out: &mut impl Write) -> io::Result<()> {
    let mut t = Text { s: summary, w: out };
    t.header()?;
    t.requests()?;
    t.latency(
        "latency, corrected (from the intended send instant), ms",
        &summary.latency_ms,
    )?;
    t.latency(
        "service time (from the actual send instant), ms",
        &summary.service_time_ms,
    )?;
    t.outcomes()?;
    t.sessions()?;
    t.open_model()?;
    t.service_level()?;
    t.gaps()?;
    t.generator()?;
    t.thresholds()
}

/// `part` as a percentage of `whole`.
fn pct(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// `name count, ...` of the non-zero entries, or `none`.
fn nonzero(map: &BTreeMap<String, u64>) -> String {
    let parts: Vec<String> = map
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

struct Text<'a, W: Write> {
    s: &'a Summary,
    w: &'a mut W,
}

impl<W: Write> Text<'_, W> {
    fn header(&mut self) -> io::Result<()> {
        let sc = &self.s.scenario;
        let embedded = if sc.embedded_server {
            " (embedded server)"
        } else {
            ""
        };
        writeln!(
            self.w,
            "chatload {}: scenario '{}', {} against {}{embedded}",
            self.s.chatload_version, sc.name, sc.dialect, sc.target
        )?;
        let run = &self.s.run;
        writeln!(
            self.w,
            "run {} after {:.1} s (started {})",
            run.end, run.elapsed_s, run.started_at
        )
    }

    fn requests(&mut self) -> io::Result<()> {
        let r = &self.s.requests;
        if r.total == 0 {
            writeln!(self.w, "\nrequests: no data (no request was sent)")?;
            return Ok(());
        }
        writeln!(
            self.w,
            "\nrequests: {} total, {:.1} req/s, {} errors ({:.2} %)",
            r.total,
            r.rate_per_s,
            r.errors,
            r.error_rate * 100.0
        )?;
        let te = nonzero(&self.s.transport_errors);
        writeln!(self.w, "transport errors: {te}")?;
        for (kind, texts) in &self.s.transport_error_samples {
            writeln!(self.w, "  {kind}: {}", texts.join("; "))?;
        }
        Ok(())
    }

    fn latency(&mut self, title: &str, map: &BTreeMap<String, LatencyStats>) -> io::Result<()> {
        writeln!(self.w, "\n{title}")?;
        if map.values().all(|l| l.count == 0) {
            return writeln!(self.w, "no data (no request was answered or timed)");
        }
        writeln!(
            self.w,
            "{:<16}{:>9}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}",
            "operation", "count", "min", "mean", "p50", "p90", "p99", "p99.9", "max"
        )?;
        for name in in_report_order(map) {
            let Some(l) = map.get(name) else { continue };
            writeln!(
                self.w,
                "{name:<16}{:>9}{:>10.2}{:>10.2}{:>10.2}{:>10.2}{:>10.2}{:>10.2}{:>10.2}",
                l.count, l.min, l.mean, l.p50, l.p90, l.p99, l.p999, l.max
            )?;
        }
        Ok(())
    }

    fn outcomes(&mut self) -> io::Result<()> {
        writeln!(self.w, "\noutcomes")?;
        writeln!(
            self.w,
            "{:<16}{:>6}{:>12}{:>11}{:>10}",
            "operation", "http", "statusCode", "chatEnded", "count"
        )?;
        for o in &self.s.outcomes {
            let code = o.status_code.map_or("-".to_string(), |c| c.to_string());
            let ended = o.chat_ended.map_or("-".to_string(), |c| c.to_string());
            let http = if o.http_status == 0 {
                "-".to_string()
            } else {
                o.http_status.to_string()
            };
            writeln!(
                self.w,
                "{:<16}{http:>6}{code:>12}{ended:>11}{:>10}",
                o.operation, o.count
            )?;
        }
        Ok(())
    }

    fn sessions(&mut self) -> io::Result<()> {
        let s = &self.s.sessions;
        writeln!(
            self.w,
            "\nsessions: {} started in {} slots (a slot starts a new customer when its session ends), peak {} active",
            s.started, self.s.scenario.sessions, s.peak_active
        )?;
        for (n, name, meaning) in [
            (s.completed, "completed", "established and ended normally: by the customer, by the agent, or disconnected by chatload at the planned end"),
            (s.never_started, "never started", "request chat never succeeded (not completed)"),
            (s.ended_by_client, "ended by client", "the disconnect was answered statusCode 0: after the script, a ramp-down, the planned end (run_ended) or Ctrl-C"),
            (s.ended_by_server, "ended by server", "the agent ended the chat, statusCode 2, or the chat expired"),
            (s.failed, "failed", "never established, out of retries, statusCode 2 or expired"),
        ] {
            writeln!(self.w, "  {n:>9} {name:<16} {meaning}")?;
        }
        writeln!(
            self.w,
            "flagged sessions: {} ({:.2} %), near misses: {} ({:.2} %)",
            s.flagged,
            pct(s.flagged, s.started),
            s.near_miss,
            pct(s.near_miss, s.started)
        )?;
        writeln!(
            self.w,
            "flex timeout, three views (sessions): flagged {} (a poll gap over it), idle_over_flex {} (no request of any kind for that long), expired {} (the server dropped the chat)",
            s.flagged, s.idle_over_flex, s.expired
        )
    }

    /// The open model's Little's law lines (nothing for a closed run).
    fn open_model(&mut self) -> io::Result<()> {
        let Some(o) = &self.s.open_model else {
            return Ok(());
        };
        writeln!(
            self.w,
            "open model: offered {:.3} chats/s ({:.0}/h), {} arrivals planned, mean chat {:.1} s",
            o.offered_rate_per_s,
            o.offered_rate_per_s * 3600.0,
            o.arrivals_planned,
            o.mean_chat_length_s
        )?;
        writeln!(
            self.w,
            "  mean concurrency: expected {:.1} (rate × length), measured {:.1}; arrival lateness p99 {:.1} ms",
            o.expected_concurrency, o.measured_concurrency, o.arrival_lateness_ms.p99
        )?;
        if o.dropped > 0 {
            writeln!(
                self.w,
                "  DROPPED {} arrivals ({:.2} %) at the concurrency cap: raise --sessions or the server did not keep up",
                o.dropped,
                o.drop_rate * 100.0
            )?;
        } else {
            writeln!(self.w, "  no arrivals dropped")?;
        }
        Ok(())
    }

    /// Queue wait and ASA as the customer saw them (nothing when no chat was established).
    fn service_level(&mut self) -> io::Result<()> {
        let Some(sl) = &self.s.service_level else {
            return Ok(());
        };
        writeln!(
            self.w,
            "service level: {:.2} % joined within {:.0} s; ASA {:.1} s; {} joined, {} abandoned, {} never joined",
            sl.within_target_rate * 100.0,
            sl.target_ms as f64 / 1000.0,
            sl.asa_ms / 1000.0,
            sl.joined,
            sl.abandoned,
            sl.never_joined
        )?;
        self.lowest_window(sl.within_target_rate)?;
        writeln!(
            self.w,
            "  queue wait p50 {:.1} s, p99 {:.1} s, max {:.1} s; agent first response p50 {:.1} s, p99 {:.1} s; every response p50 {:.1} s, p99 {:.1} s",
            sl.queue_wait_ms.p50 / 1000.0,
            sl.queue_wait_ms.p99 / 1000.0,
            sl.queue_wait_ms.max / 1000.0,
            sl.first_response_ms.p50 / 1000.0,
            sl.first_response_ms.p99 / 1000.0,
            sl.response_ms.p50 / 1000.0,
            sl.response_ms.p99 / 1000.0
        )?;
        if sl.abandoned > 0 {
            writeln!(
                self.w,
                "  ABANDONED: {} customers lost patience after waiting p50 {:.1} s, max {:.1} s",
                sl.abandoned,
                sl.abandoned_wait_ms.p50 / 1000.0,
                sl.abandoned_wait_ms.max / 1000.0
            )?;
        }
        Ok(())
    }

    /// The lowest level of the timeline's windows, when it is at least
    /// [`LOW_WINDOW_DROP`] below the run's `level`: the level fell during the run.
    fn lowest_window(&mut self, level: f64) -> io::Result<()> {
        let windows = service_windows::windows(self.s);
        let Some((w, low)) = service_windows::lowest(&windows) else {
            return Ok(());
        };
        if level - low < LOW_WINDOW_DROP {
            return Ok(());
        }
        writeln!(
            self.w,
            "  LEVEL FELL: lowest {:.0} % in {} s .. {} s ({} of {} chats within target; longest wait {:.1} s)",
            low * 100.0,
            w.t_s,
            w.t_s + w.len_s,
            w.point.joined_within_target,
            w.chats(),
            w.point.queue_wait_max_ms / 1000.0
        )
    }

    fn gaps(&mut self) -> io::Result<()> {
        let g = &self.s.gaps;
        write!(
            self.w,
            "poll gaps vs flex-disconnect-timeout {} ms (near miss above {:.0} %): ",
            g.flex_disconnect_timeout_ms,
            g.near_miss_fraction * 100.0,
        )?;
        if g.count == 0 {
            // Zeros would read as "all gaps were 0 ms".
            writeln!(self.w, "no data (no poll gap was measured)")?;
        } else {
            writeln!(
                self.w,
                "{} gaps, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
                g.count, g.p50_ms, g.p99_ms, g.max_ms
            )?;
        }
        writeln!(
            self.w,
            "flagged gaps by cause: {}",
            nonzero(&g.flagged_by_cause)
        )?;
        writeln!(
            self.w,
            "protocol violations: {}",
            nonzero(&self.s.violations)
        )
    }

    fn generator(&mut self) -> io::Result<()> {
        let g = &self.s.generator;
        let l = &g.schedule_lateness_ms;
        writeln!(
            self.w,
            "\ngenerator: {} ({}); schedule lateness p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; CPU {:.0} % of one core ({} cores available)",
            g.verdict, g.reason, l.p50, l.p99, l.max, g.cpu_percent, g.cores
        )
    }

    fn thresholds(&mut self) -> io::Result<()> {
        if self.s.thresholds.is_empty() {
            return Ok(());
        }
        writeln!(self.w, "\nthresholds")?;
        for t in &self.s.thresholds {
            let mark = if t.passed { "PASS" } else { "FAIL" };
            let observed = match t.observed_display.as_str() {
                "" => "n/a",
                shown => shown,
            };
            writeln!(self.w, "  {mark}  {} (observed {observed})", t.expression)?;
        }
        if self.s.aborted_by_threshold {
            writeln!(self.w, "run aborted early by a failing threshold")?;
        }
        Ok(())
    }
}
