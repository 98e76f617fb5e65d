//! `chatload merge --out DIR RUN...`: check that the runs are the shards of one sharded
//! run (same scenario hash, distinct indexes, all N present unless `--partial`), combine
//! them ([`crate::metrics::merge`]) and write one run folder that `check` and `report`
//! read like any other. Every check happens before anything is written: bad input is one
//! message and exit 2 with no folder.

use crate::cli::MergeArgs;
use crate::error::{Exit, UsageError};
use crate::metrics::merge::{self, ShardRun};
use crate::metrics::rebuild::read_stream;
use std::collections::BTreeMap;
use std::path::Path;

/// Read one shard: its summary.json and its streamed files.
fn read_shard(run: &Path) -> Result<ShardRun, UsageError> {
    let (path, summary) = crate::report::json::load_summary(run)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = dir.display().to_string();
    let stream = read_stream(dir).map_err(|e| {
        UsageError::new(format!(
            "{e} (merge needs each shard's whole run folder: summary.json, events.jsonl, latency.hlog, sessions.csv)"
        ))
    })?;
    Ok(ShardRun {
        name,
        summary,
        stream,
    })
}

/// The checks: shards of one scenario, each index once, all N (or `--partial`).
/// Returns N.
pub(crate) fn check_shards(shards: &[ShardRun], partial: bool) -> Result<u32, UsageError> {
    let first = &shards[0];
    let mut seen: BTreeMap<u32, &str> = BTreeMap::new();
    let mut count = None;
    for s in shards {
        let Some(sh) = s.summary.scenario.shard else {
            return Err(UsageError::new(format!(
                "{}: not a shard (scenario.shard is null); merge combines the folders of `chatload run --shard I/N`",
                s.name
            )));
        };
        if s.summary.scenario.scenario_hash != first.summary.scenario.scenario_hash
            || s.summary.scenario.scenario_hash.is_empty()
        {
            return Err(UsageError::new(format!(
                "{}: scenario_hash {:?} differs from {}'s {:?}: these are shards of different scenarios; merge only the shards of one run (same scenario file and flags)",
                s.name, s.summary.scenario.scenario_hash, first.name, first.summary.scenario.scenario_hash
            )));
        }
        match count {
            None => count = Some(sh.count),
            Some(n) if n != sh.count => {
                return Err(UsageError::new(format!(
                    "{}: shard {}/{} but {} is one of {n}; merge only the shards of one run",
                    s.name, sh.index, sh.count, first.name
                )))
            }
            Some(_) => {}
        }
        if let Some(other) = seen.insert(sh.index, &s.name) {
            return Err(UsageError::new(format!(
                "{}: duplicate shard {}/{} (also {other}); give each shard's folder once",
                s.name, sh.index, sh.count
            )));
        }
    }
    let n = count.unwrap_or(1);
    let missing: Vec<String> = (1..=n)
        .filter(|i| !seen.contains_key(i))
        .map(|i| i.to_string())
        .collect();
    if !missing.is_empty() && !partial {
        return Err(UsageError::new(format!(
            "missing shard(s) {} of {n}: give every shard's folder, or --partial to merge the {} there are (the report then says it is partial)",
            missing.join(", "),
            seen.len()
        )));
    }
    Ok(n)
}

/// `chatload merge`.
pub(crate) fn merge_command(args: &MergeArgs) -> anyhow::Result<Exit> {
    let shards = args
        .runs
        .iter()
        .map(|r| read_shard(r))
        .collect::<Result<Vec<_>, _>>()?;
    let n = check_shards(&shards, args.partial)?;
    if args.out.join("summary.json").exists() || args.out.join("events.jsonl").exists() {
        return Err(UsageError::new(format!(
            "--out {}: already holds a run; choose a new folder",
            args.out.display()
        ))
        .into());
    }
    let (summary, rows) = merge::merge(&shards, n).map_err(UsageError::new)?;
    std::fs::create_dir_all(&args.out).map_err(|e| {
        UsageError::new(format!("--out {}: cannot create: {e}", args.out.display()))
    })?;
    crate::report::write_reports(&args.out, &summary, &rows)?;
    let partial = if (shards.len() as u32) < n {
        format!(" (PARTIAL: {} of {n} shards)", shards.len())
    } else {
        String::new()
    };
    println!(
        "merged {} shards of {n}{partial} into {}: {} requests, {} sessions started, generator {}",
        shards.len(),
        args.out.display(),
        summary.requests.total,
        summary.sessions.started,
        summary.generator.verdict.as_str()
    );
    Ok(crate::gate::exit_for(&summary, &summary.thresholds))
}
