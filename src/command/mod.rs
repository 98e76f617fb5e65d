//! The commands that drive the layers: `chatload run` runs the engine, has
//! [`crate::metrics`] build the report model from its facts, writes the reports and
//! asks [`crate::gate`] for the verdict. The one layer allowed to name them all.
//!
//! - [`run`]: one run from config to reports and exit code ([`run::RunOutcome`]).
//! - [`live`]: the streamed run folder and `/metrics`, fed by the engine's tick.
//! - [`reach`]: what the report records about how the target was reached.

pub(crate) mod live;
mod reach;
pub(crate) mod run;

use crate::cli::RunArgs;
use crate::engine::{config, scenario, shutdown_signal, start_at};
use crate::error::Exit;
use crate::report;
use std::io::Write;

/// `chatload run`: validate, run until the plan ends or Ctrl-C/SIGTERM, report, judge.
pub(crate) async fn run_command(args: RunArgs) -> anyhow::Result<Exit> {
    let file = match &args.scenario {
        Some(p) => Some(scenario::ScenarioFile::load(p)?),
        None => None,
    };
    let cfg = config::build(&args, file.as_ref()).map_err(|e| match &file {
        Some(f) => f.locate(e),
        None => e,
    })?;
    let start_at = match &args.start_at {
        Some(text) => {
            let ramp = cfg.plan.stages.first().map(|s| s.ramp).unwrap_or_default();
            Some(start_at::parse(text, chrono::Utc::now(), ramp)?)
        }
        None => None,
    };
    for w in &cfg.warnings {
        eprintln!("warning: {w}");
    }
    if let Some(at) = start_at {
        start_at::wait_until(at, chrono::Utc::now(), args.quiet).await;
    }
    let outcome = run::run(cfg, shutdown_signal()?).await?;
    // With --json, stdout carries summary.json alone and the text goes to stderr.
    let json = args.json;
    let print = || -> std::io::Result<()> {
        let mut text = Vec::new();
        report::text::write_text(&outcome.summary, &mut text)?;
        match outcome.unwritten.len() {
            0 => writeln!(text, "reports: {}", outcome.dir.display())?,
            n => writeln!(
                text,
                "reports: {} ({n} file(s) could not be written; see stderr)",
                outcome.dir.display()
            )?,
        }
        if json {
            std::io::stderr().lock().write_all(&text)?;
            let mut out = std::io::stdout().lock();
            report::json::write_json(&outcome.summary, &mut out)?;
            out.flush()
        } else {
            std::io::stdout().lock().write_all(&text)
        }
    };
    // The reports are already on disk (or named on stderr as unwritten; the figures
    // above are then the only complete copy): a reader that closed stdout early (`| head`)
    // must not change the run's verdict.
    match print() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
        _ => {}
    }
    for r in &outcome.unwritten {
        eprintln!("chatload: {r}");
    }
    for r in &outcome.reasons {
        eprintln!("chatload: {r}");
    }
    Ok(outcome.exit)
}
