//! `chatload merge`: the shards of one sharded run, read back from their streamed files
//! ([`super::rebuild::read_stream`]), combined into one summary as if one process had run
//! the whole plan. Histograms are added (a merged percentile is the percentile of the
//! union), counts summed, session rows concatenated, timelines aligned on wall-clock time
//! (each shard's seconds shifted by its start's distance from the earliest start). The
//! summary is built by the same [`super::summary::build`] as a single run; the generator
//! verdict is the worst of the shards' own, each kept in `generator.shards`.

use super::gaps::GapPolicy;
use super::rebuild::{add_stream, StreamRun};
use super::recorder::{round_dp, Recorder};
use super::rows::RowStore;
use super::summary;
use super::timeline::Timeline;
use super::{RunEnd, RunFacts};
use crate::report::model::{SessionRow, ShardGenerator, Summary, TimelinePoint};
use crate::report::vocab::GeneratorVerdict;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::time::Duration;

/// One shard to merge: its summary.json and its streamed files.
pub(crate) struct ShardRun {
    /// Where it came from (for messages).
    pub name: String,
    /// Its summary.json.
    pub summary: Summary,
    /// Its streamed files.
    pub stream: StreamRun,
}

/// The start of a run, from `run.started_at`.
pub(crate) fn started_at(s: &Summary) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(&s.run.started_at)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("run.started_at {:?}: {e}", s.run.started_at))
}

/// Sum the points of one wall-clock second across shards.
fn sum_points(t_s: u64, points: &[TimelinePoint]) -> TimelinePoint {
    let mut acc = TimelinePoint {
        t_s,
        ..TimelinePoint::default()
    };
    let mut weighted = 0.0;
    for p in points {
        acc.requests += p.requests;
        acc.errors += p.errors;
        weighted += p.p50_ms * p.requests as f64;
        // Not the p99 of the union (the points carry no histogram): the worst shard's.
        acc.p99_ms = acc.p99_ms.max(p.p99_ms);
        acc.active_sessions += p.active_sessions;
        acc.flags_total += p.flags_total;
        super::timeline::add_service(&mut acc, p);
        for (k, v) in &p.flags_by_cause {
            *acc.flags_by_cause.entry(k.clone()).or_insert(0) += v;
        }
    }
    acc.p50_ms = if acc.requests == 0 {
        points.iter().map(|p| p.p50_ms).fold(0.0, f64::max)
    } else {
        round_dp(weighted / acc.requests as f64, 3)
    };
    acc
}

/// Rank of how a run ended, worst last.
fn end_rank(e: RunEnd) -> u8 {
    match e {
        RunEnd::Completed => 0,
        RunEnd::Unknown => 1,
        RunEnd::Interrupted => 2,
        RunEnd::Aborted => 3,
        RunEnd::Incomplete => 4,
    }
}

/// Rank of a generator verdict, worst last.
fn verdict_rank(v: GeneratorVerdict) -> u8 {
    match v {
        GeneratorVerdict::Ok => 0,
        GeneratorVerdict::Unknown => 1,
        GeneratorVerdict::Overloaded => 2,
    }
}

/// Combine `shards` (already checked to be shards of one scenario) into one summary and
/// its session rows. `expected` is the shard count of the run (more than `shards.len()`
/// for a `--partial` merge).
pub(crate) fn merge(
    shards: &[ShardRun],
    expected: u32,
) -> Result<(Summary, Vec<SessionRow>), String> {
    let first = shards.first().ok_or("no shard to merge")?;
    let starts = shards
        .iter()
        .map(|s| started_at(&s.summary).map_err(|e| format!("{}: {e}", s.name)))
        .collect::<Result<Vec<_>, _>>()?;
    let t0 = *starts.iter().min().ok_or("no shard to merge")?;
    let mut total = Recorder::new();
    let mut seconds: BTreeMap<u64, Vec<TimelinePoint>> = BTreeMap::new();
    let mut rows = Vec::new();
    let mut elapsed = Duration::ZERO;
    let mut started = 0;
    let mut peak_single = 0;
    let mut cpu_seconds = 0.0;
    let mut end = RunEnd::Completed;
    for (s, start) in shards.iter().zip(&starts) {
        let offset = (*start - t0).to_std().unwrap_or_default();
        let offset_s = offset.as_secs_f64().round() as u64;
        add_stream(&mut total, &s.stream, offset_s, &mut seconds)
            .map_err(|e| format!("{}: events.jsonl {e}", s.name))?;
        rows.extend(s.stream.rows.iter().cloned());
        elapsed = elapsed.max(offset + Duration::from_secs_f64(s.summary.run.elapsed_s.max(0.0)));
        started += s.stream.last().sessions_started_total;
        peak_single = peak_single.max(s.summary.sessions.peak_active);
        cpu_seconds += s.summary.generator.cpu_percent / 100.0 * s.summary.run.elapsed_s;
        if end_rank(s.summary.run.end) > end_rank(end) {
            end = s.summary.run.end;
        }
    }
    let mut timeline = Timeline::default();
    let mut peak_active = peak_single;
    for (t_s, points) in &seconds {
        let p = sum_points(*t_s, points);
        peak_active = peak_active.max(p.active_sessions);
        timeline.push_second(p);
    }
    rows.sort_by_key(|r| r.ordinal);
    let mut store = RowStore::default();
    for r in &rows {
        store.push_row(r);
    }
    let header = &first.stream.header;
    let thresholds: Vec<_> = header
        .thresholds
        .iter()
        .filter_map(|t| crate::gate::parse_threshold(t).ok())
        .collect();
    let policy = GapPolicy::new(
        Duration::from_millis(header.scenario.flex_disconnect_timeout_ms),
        header.near_miss_fraction,
    );
    let mut scenario = first.summary.scenario.clone();
    scenario.shard = None;
    scenario.sessions = shards.iter().map(|s| s.summary.scenario.sessions).sum();
    scenario.duration_s = shards
        .iter()
        .map(|s| s.summary.scenario.duration_s)
        .fold(0.0, f64::max);
    let (timeline, timeline_step_s) = timeline.snapshot();
    let mut out = summary::build(summary::Inputs {
        facts: RunFacts {
            scenario,
            started_at: t0,
            end,
            elapsed,
            thresholds: &thresholds,
        },
        cpu_seconds: Some(cpu_seconds),
        policy: &policy,
        total: &total,
        rows: &store,
        started,
        peak_active,
        flagged_sessions: rows.iter().filter(|r| r.flagged).count() as u64,
        near_miss_sessions: rows.iter().filter(|r| r.near_miss).count() as u64,
        idle_over_flex_sessions: rows.iter().filter(|r| r.idle_over_flex).count() as u64,
        timeline,
        timeline_step_s,
        // Not in the streamed files (like a rebuilt run): a merged run has no Little's law block.
        open_model: None,
        service_level: service_level(shards, &rows),
    });
    if let Some(sl) = &out.service_level {
        out.profiles = super::profiles::from_rows(&rows, Duration::from_millis(sl.target_ms));
    }
    keep_shard_verdicts(&mut out, shards, expected);
    out.aborted_by_threshold = shards.iter().any(|s| s.summary.aborted_by_threshold);
    // Re-evaluated on the merged figures, now that the verdict is the shards' worst.
    out.thresholds = crate::gate::evaluate(&out, &thresholds);
    Ok((out, rows))
}

/// The service level from the session rows, when every shard measured one (older
/// shards' rows lack the columns), judged against the first shard's target.
fn service_level(
    shards: &[ShardRun],
    rows: &[SessionRow],
) -> Option<crate::report::model::ServiceLevel> {
    let targets: Vec<u64> = shards
        .iter()
        .map(|s| s.summary.service_level.as_ref().map(|sl| sl.target_ms))
        .collect::<Option<_>>()?;
    let target = Duration::from_millis(*targets.first()?);
    super::service::from_rows(rows, target)
}

/// `generator`: cores summed, each shard's verdict kept, the worst one shown.
fn keep_shard_verdicts(out: &mut Summary, shards: &[ShardRun], expected: u32) {
    let g = &mut out.generator;
    g.cores = shards.iter().map(|s| s.summary.generator.cores).sum();
    g.stale_connection = shards
        .iter()
        .map(|s| s.summary.generator.stale_connection)
        .sum();
    g.shards = shards
        .iter()
        .map(|s| ShardGenerator {
            index: s.summary.scenario.shard.map_or(0, |i| i.index),
            verdict: s.summary.generator.verdict,
            reason: s.summary.generator.reason.clone(),
            lateness_p99_ms: s.summary.generator.schedule_lateness_ms.p99,
            cpu_percent: s.summary.generator.cpu_percent,
        })
        .collect();
    g.shards.sort_by_key(|s| s.index);
    let worst = g
        .shards
        .iter()
        .max_by_key(|s| verdict_rank(s.verdict))
        .cloned()
        .unwrap_or_default();
    g.verdict = worst.verdict;
    g.schedule_lateness_ms.p99 = g
        .shards
        .iter()
        .map(|s| s.lateness_p99_ms)
        .fold(g.schedule_lateness_ms.p99, f64::max);
    let present: Vec<String> = g.shards.iter().map(|s| s.index.to_string()).collect();
    let partial = if (g.shards.len() as u32) < expected {
        format!(
            "; PARTIAL merge: shards {} of {expected}",
            present.join(", ")
        )
    } else {
        String::new()
    };
    g.reason = format!(
        "worst of {} shards (shard {}: {}){partial}",
        g.shards.len(),
        worst.index,
        worst.reason
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_of_two_shards_adds_their_service_level_counts() {
        let point = |joined, within, abandoned, wait| TimelinePoint {
            joined,
            joined_within_target: within,
            abandoned,
            queue_wait_max_ms: wait,
            dropped: 1,
            ..TimelinePoint::default()
        };
        let p = sum_points(7, &[point(3, 2, 1, 900.0), point(1, 0, 2, 4000.5)]);
        let got = (p.t_s, p.joined, p.joined_within_target, p.abandoned);
        assert_eq!(got, (7, 4, 2, 3));
        assert_eq!((p.queue_wait_max_ms, p.dropped), (4000.5, 2));
    }
}
