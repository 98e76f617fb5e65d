//! One `chatload run` from a validated config to its reports: launch the engine,
//! stream while it runs, have the metrics build the summary from the run's facts,
//! write every report and decide the exit code with the gate's rules.

use super::live::{Outputs, RunWatch};
use crate::engine::config::RunConfig;
use crate::engine::runner;
use crate::error::Exit;
use crate::metrics::RunFacts;
use crate::report::model::{ScenarioInfo, SessionRows, ShardInfo, Summary};
use crate::server::ReferenceServer;
use anyhow::Context;
use std::future::Future;
use std::path::PathBuf;
use tokio::time::Instant;

/// What a finished run produced.
#[derive(Debug)]
pub struct RunOutcome {
    /// The report model as written to summary.json.
    pub summary: Summary,
    /// Where the reports are.
    pub dir: PathBuf,
    /// The exit code the run deserves.
    pub exit: Exit,
    /// Why the exit is not success (for the message on stderr).
    pub reasons: Vec<String>,
    /// The embedded server, when one ran (stopped; its counters stay readable).
    pub server: Option<ReferenceServer>,
    /// One message per report file that could not be written (each names the
    /// file and the cause; every other file was written whole). Empty normally.
    pub unwritten: Vec<String>,
}

/// Run a whole scenario; `shutdown` completing acts like Ctrl-C.
pub async fn run(
    cfg: RunConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<RunOutcome> {
    let dir = report_dir(&cfg);
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("could not create the report directory '{}'", dir.display()))?;
    let launched = runner::launch(&cfg).await?;
    let started_at = chrono::Utc::now();
    let info = scenario_info(&cfg, &launched.base);
    let metrics = launched.metrics_handle();
    let outputs = match Outputs::start(&cfg, (&dir, &metrics), &info, started_at).await {
        Ok(o) => o,
        Err(e) => {
            launched.stop();
            return Err(e);
        }
    };
    let watch = RunWatch::new(&outputs, &cfg, &info);
    let (end, abandoned) = launched.run(&cfg, &watch, shutdown).await;
    outputs.tick(launched.metrics().tick(Instant::now().into_std()));
    if let Err(e) = outputs.finish().await {
        launched.stop();
        return Err(anyhow::anyhow!(e));
    }
    let mut summary = launched.metrics().build_summary(RunFacts {
        scenario: info,
        started_at,
        end,
        elapsed: launched.t0.elapsed(),
        thresholds: &cfg.parsed_thresholds,
    });
    super::reach::observed(&mut summary, launched.observed());
    // Disconnect first, write second: close the connection pool (and stop the
    // embedded server) so a run at its descriptor limit still has descriptors
    // for its report files.
    let server = launched.stop();
    // sessions.csv is written from the metrics' own rows, one at a time (issue 15).
    let unwritten = write_reports(&cfg, &dir, &summary, &*metrics);
    let (mut exit, mut reasons) = judge(&summary);
    if !unwritten.is_empty() {
        // The figures are on stdout, but a missing file is not a trustworthy run record.
        exit = exit.worst(Exit::Untrusted);
    }
    if abandoned > 0 {
        reasons.push(format!(
            "{abandoned} session(s) did not finish within the drain timeout and were abandoned"
        ));
    }
    Ok(RunOutcome {
        summary,
        dir,
        exit,
        reasons,
        server,
        unwritten,
    })
}

/// Every report file into `dir`, and the JUnit file when asked; one message per file
/// that could not be written.
fn write_reports(
    cfg: &RunConfig,
    dir: &std::path::Path,
    summary: &Summary,
    sessions: &dyn SessionRows,
) -> Vec<String> {
    let mut unwritten = crate::report::write_reports_each(dir, summary, sessions);
    if let Some(path) = &cfg.junit {
        if let Err(e) = write_junit_file(path, summary) {
            unwritten.push(format!("{e:#}"));
        }
    }
    unwritten
}

/// The exit code and its reasons: the gates' rules ([`crate::gate::exit_for`]), so
/// `chatload run` and `chatload check` agree on the same summary.
fn judge(summary: &Summary) -> (Exit, Vec<String>) {
    let exit = crate::gate::exit_for(summary, &summary.thresholds);
    let mut reasons: Vec<String> = summary
        .thresholds
        .iter()
        .filter(|t| !t.passed)
        .map(|t| {
            format!(
                "threshold failed: {} (observed {})",
                t.expression, t.observed_display
            )
        })
        .collect();
    if summary.aborted_by_threshold {
        reasons.push("a threshold with abort_on_fail stopped the run early".into());
    }
    reasons.extend(crate::gate::untrusted_reason(summary));
    (exit, reasons)
}

fn scenario_info(cfg: &RunConfig, base: &str) -> ScenarioInfo {
    ScenarioInfo {
        name: cfg.name.clone(),
        dialect: cfg.dialect.to_string(),
        // Shown in summary.json, report.html and stdout: never a URL password.
        target: crate::util::redact::redact_url(base),
        embedded_server: cfg.target.is_none(),
        sessions: cfg.plan.peak_sessions(),
        duration_s: cfg.plan.duration().as_secs_f64(),
        flex_disconnect_timeout_ms: cfg.flex.as_millis() as u64,
        poll_interval_ms: cfg.script.poll_interval.as_millis() as u64,
        seed: cfg.seed,
        header_names: cfg.headers.names(),
        scenario_hash: cfg.scenario_hash.clone(),
        shard: cfg.shard.map(|s| ShardInfo {
            index: s.index,
            count: s.count,
        }),
        reach: super::reach::info(cfg, base),
    }
}

fn report_dir(cfg: &RunConfig) -> PathBuf {
    match &cfg.out {
        Some(d) => d.clone(),
        None => {
            let ts = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
            PathBuf::from("reports").join(format!("{}-{ts}", cfg.name))
        }
    }
}

/// `--junit FILE`: the threshold results of the run as JUnit XML.
fn write_junit_file(path: &std::path::Path, summary: &Summary) -> anyhow::Result<()> {
    use std::io::Write;
    let write = || -> std::io::Result<()> {
        let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
        crate::gate::write_junit(&summary.thresholds, &[], &summary.run, &mut w)?;
        w.flush()
    };
    write().with_context(|| format!("could not write JUnit file '{}'", path.display()))
}
