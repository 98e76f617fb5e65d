//! Rebuild a run that never finished (`kill -9`, OOM, a lost machine) from its streamed
//! files ([`super::stream`]): latency.hlog gives the latency histograms, events.jsonl every
//! other count and the timeline, sessions.csv the ended sessions. The summary is built by
//! the same [`super::summary::build`] as at a normal end, with `run.end = "incomplete"` and
//! the elapsed time of the last whole interval; a torn last line (the process died while
//! writing it) is left out, so at most the last interval is lost.

use super::gaps::GapPolicy;
use super::hlog::{self, SERVICE_SUFFIX};
use super::recorder::{add_hist, OpHistograms, Recorder};
use super::rows::RowStore;
use super::stream::profile_index;
use super::stream::{self, EventLine, StreamHeader, EVENTS_FILE, HLOG_FILE, SESSIONS_FILE};
use super::summary;
use super::timeline::Timeline;
use super::{RunEnd, RunFacts};
use crate::error::UsageError;
use crate::protocol::Operation;
use crate::report::model::{SessionRow, Summary};
use std::path::Path;
use std::time::Duration;

/// True when `dir` holds streamed files but no summary.json (the run never finished).
pub(crate) fn needs_rebuild(dir: &Path) -> bool {
    dir.is_dir() && !dir.join("summary.json").exists() && dir.join(EVENTS_FILE).is_file()
}

/// `chatload report DIR` before rendering: when the run never finished, rebuild and write
/// its reports (summary.json, CSV files, report.html) and say up to when it has data.
pub(crate) fn rebuild_if_needed(dir: &Path) -> anyhow::Result<()> {
    if !needs_rebuild(dir) {
        return Ok(());
    }
    let (summary, rows) = rebuild(dir)?;
    crate::report::write_reports(dir, &summary, &rows)?;
    let until = summary::wall_clock(
        chrono::DateTime::parse_from_rfc3339(&summary.run.started_at)
            .map(|t| t.with_timezone(&chrono::Utc))
            .unwrap_or_default(),
        summary.run.elapsed_s,
    );
    println!(
        "rebuilt {} from the streamed files: the run did not finish; data up to {until} ({:.0} s after the start)",
        dir.join("summary.json").display(),
        summary.run.elapsed_s
    );
    Ok(())
}

/// Lines of `text` that end in a newline (a torn last line is dropped).
fn whole_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let end = text.rfind('\n').map_or(0, |i| i + 1);
    text[..end].lines().enumerate().map(|(i, l)| (i + 1, l))
}

/// What a run folder's streamed files hold, read back: the header, every whole interval
/// line, the interval histograms up to the last whole line, and the ended sessions.
pub(crate) struct StreamRun {
    /// Line 1 of events.jsonl.
    pub header: StreamHeader,
    /// The whole interval lines, in order.
    pub lines: Vec<EventLine>,
    /// The latency.hlog intervals that end by the last whole events line.
    pub intervals: Vec<hlog::LogInterval>,
    /// sessions.csv.
    pub rows: Vec<SessionRow>,
}

impl StreamRun {
    /// The last whole interval line (a default one when none was written).
    pub(crate) fn last(&self) -> EventLine {
        self.lines.last().cloned().unwrap_or_default()
    }
}

/// Read the streamed files of the run in `dir`; an error names the file and line.
pub(crate) fn read_stream(dir: &Path) -> anyhow::Result<StreamRun> {
    let bad = |file: &str, msg: String| {
        UsageError::new(format!(
            "{}: {msg}; the streamed files cannot be read back",
            dir.join(file).display()
        ))
    };
    let events = std::fs::read_to_string(dir.join(EVENTS_FILE))
        .map_err(|e| bad(EVENTS_FILE, e.to_string()))?;
    let mut lines = whole_lines(&events);
    let header: StreamHeader = match lines.next() {
        Some((_, l)) => serde_json::from_str(l)
            .ok()
            .filter(|h: &StreamHeader| h.kind == stream::EVENTS_KIND)
            .ok_or_else(|| bad(EVENTS_FILE, "line 1 is not a chatload events header".into()))?,
        None => {
            return Err(bad(
                EVENTS_FILE,
                "empty (the run stopped before its first write)".into(),
            )
            .into())
        }
    };
    let lines = lines
        .map(|(n, l)| {
            serde_json::from_str::<EventLine>(l)
                .map_err(|e| bad(EVENTS_FILE, format!("line {n}: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let hlog_text =
        std::fs::read(dir.join(HLOG_FILE)).map_err(|e| bad(HLOG_FILE, e.to_string()))?;
    let until =
        Duration::from_secs_f64(lines.last().map_or(0.0, |l| l.t_s)) + Duration::from_millis(1);
    let intervals = hlog::read_log(&hlog_text)
        .map_err(|e| bad(HLOG_FILE, e))?
        .into_iter()
        // An interval written after the last whole events line is left out.
        .filter(|i| i.start + i.len <= until)
        .collect();
    let rows = read_rows(&dir.join(SESSIONS_FILE)).map_err(|e| bad(SESSIONS_FILE, e))?;
    Ok(StreamRun {
        header,
        lines,
        intervals,
        rows,
    })
}

/// Add one streamed run's counts and histograms to `total` (its profiles' to the recorder
/// of their index in `names`, new names appended); its per-second timeline points go to
/// `seconds` keyed by `offset_s` + their own second.
pub(super) fn add_stream(
    total: &mut Recorder,
    names: &mut Vec<String>,
    run: &StreamRun,
    offset_s: u64,
    seconds: &mut std::collections::BTreeMap<u64, Vec<crate::report::model::TimelinePoint>>,
) -> Result<(), String> {
    for name in &run.header.profiles {
        profile_index(names, name);
    }
    for (n, line) in run.lines.iter().enumerate() {
        stream::apply_line(total, line, names).map_err(|e| format!("line {}: {e}", n + 2))?;
        for p in &line.timeline {
            seconds.entry(offset_s + p.t_s).or_default().push(p.clone());
        }
    }
    for i in &run.intervals {
        let (tag, profile) = hlog::split_tag(&i.tag);
        let (name, service) = match tag.strip_suffix(SERVICE_SUFFIX) {
            Some(name) => (name, true),
            None => (tag, false),
        };
        let Some(op) = Operation::from_name(name) else {
            continue;
        };
        let r = match profile {
            Some(p) => total.profile_mut(profile_index(names, &p)),
            None => &mut *total,
        };
        let h = r.ops[op as usize].get_or_insert_with(|| Box::new(OpHistograms::new()));
        add_hist(
            if service {
                &mut h.service
            } else {
                &mut h.corrected
            },
            &i.hist,
        );
    }
    Ok(())
}

/// The summary and session rows of the run in `dir`, from its streamed files.
pub(crate) fn rebuild(dir: &Path) -> anyhow::Result<(Summary, Vec<SessionRow>)> {
    let run = read_stream(dir)?;
    let mut total = Recorder::new();
    let mut names = Vec::new();
    let mut seconds = std::collections::BTreeMap::new();
    add_stream(&mut total, &mut names, &run, 0, &mut seconds).map_err(|e| {
        UsageError::new(format!(
            "{}: {e}; the streamed files cannot be read back",
            dir.join(EVENTS_FILE).display()
        ))
    })?;
    let mut timeline = Timeline::default();
    for p in seconds.into_values().flatten() {
        timeline.push_second(p);
    }
    let last = run.last();
    let StreamRun { header, rows, .. } = run;
    let bad = |file: &str, msg: String| {
        UsageError::new(format!(
            "{}: {msg}; the streamed files cannot be read back",
            dir.join(file).display()
        ))
    };
    let mut store = RowStore::default();
    for r in &rows {
        store.push_row(r);
    }
    let thresholds: Vec<_> = header
        .thresholds
        .iter()
        .filter_map(|t| crate::gate::parse_threshold(t).ok())
        .collect();
    let flex = Duration::from_millis(header.scenario.flex_disconnect_timeout_ms);
    let policy = GapPolicy::new(flex, header.near_miss_fraction);
    let (timeline, timeline_step_s) = timeline.snapshot();
    let started_at = chrono::DateTime::parse_from_rfc3339(&header.started_at)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| bad(EVENTS_FILE, format!("line 1: started_at: {e}")))?;
    let elapsed = Duration::from_secs_f64(last.t_s);
    // Like the run's, without a service level (not streamed).
    let profiles = super::profiles::build(&super::profiles::Inputs {
        rows: &rows,
        target: None,
        names: &names,
        total: &total,
        policy: &policy,
        elapsed,
    });
    let summary = summary::build(summary::Inputs {
        facts: RunFacts {
            scenario: header.scenario,
            started_at,
            end: RunEnd::Incomplete,
            elapsed,
            thresholds: &thresholds,
        },
        cpu_seconds: None,
        policy: &policy,
        total: &total,
        rows: &store,
        started: last.sessions_started_total,
        peak_active: last.peak_active,
        flagged_sessions: rows.iter().filter(|r| r.flagged).count() as u64,
        near_miss_sessions: rows.iter().filter(|r| r.near_miss).count() as u64,
        idle_over_flex_sessions: rows.iter().filter(|r| r.idle_over_flex).count() as u64,
        timeline,
        timeline_step_s,
        // The open model's counters are not streamed: a rebuilt run has no Little's law block.
        open_model: None,
        service_level: None,
        profiles,
    });
    let mut rows = rows;
    rows.sort_by_key(|r| r.ordinal);
    Ok((summary, rows))
}

/// The rows of a streamed sessions.csv (a torn last row is dropped).
fn read_rows(path: &Path) -> Result<Vec<SessionRow>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let end = text.rfind('\n').map_or(0, |i| i + 1);
    let mut reader = csv::Reader::from_reader(&text.as_bytes()[..end]);
    reader
        .deserialize()
        .enumerate()
        .map(|(i, r)| r.map_err(|e| format!("row {}: {e}", i + 2)))
        .collect()
}
