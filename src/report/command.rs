//! `chatload report RUN_DIR [--html FILE]`: re-render report.html from a finished run.
//!
//! Reads `RUN_DIR/summary.json` (the [`Summary`] contract), renders it with
//! [`write_html`] and writes `RUN_DIR/report.html` or the `--html` file. A
//! missing directory, a missing or invalid summary.json, or an `--html` path in
//! a missing directory are usage errors (exit 2) naming the file.

use crate::cli::ReportArgs;
use crate::error::{Exit, UsageError};
use crate::report::html::write_html;
use crate::report::model::{Summary, SCHEMA_VERSION};
use anyhow::Context;
use std::path::{Path, PathBuf};

/// `chatload report RUN_DIR [--html FILE]`.
pub fn report_command(args: ReportArgs) -> anyhow::Result<Exit> {
    let summary = read_summary(&args.run_dir)?;
    let out = output_path(&args)?;
    let mut page = Vec::with_capacity(256 * 1024);
    write_html(&summary, &mut page).context("could not render the HTML report")?;
    std::fs::write(&out, &page)
        .with_context(|| format!("could not write the HTML report '{}'", out.display()))?;
    println!("wrote {} ({} KB)", out.display(), page.len().div_ceil(1024));
    Ok(Exit::Success)
}

/// Read and validate `dir/summary.json`; every failure is a [`UsageError`] naming the file.
pub fn read_summary(dir: &Path) -> anyhow::Result<Summary> {
    if !dir.is_dir() {
        return Err(UsageError::new(format!(
            "run directory '{}' does not exist or is not a directory: pass the directory a `chatload run` wrote (it holds summary.json)",
            dir.display()
        ))
        .into());
    }
    let path = dir.join("summary.json");
    let text = std::fs::read_to_string(&path).map_err(|e| {
        UsageError::new(format!(
            "could not read '{}': {e}; `chatload report` needs the summary.json of a finished run",
            path.display()
        ))
    })?;
    let summary: Summary = serde_json::from_str(&text).map_err(|e| {
        UsageError::new(format!(
            "{}:{}:{}: not a valid chatload summary: {e}; regenerate it with `chatload run` (schema version {SCHEMA_VERSION})",
            path.display(),
            e.line(),
            e.column()
        ))
    })?;
    if summary.schema_version > SCHEMA_VERSION {
        return Err(UsageError::new(format!(
            "{}: schema_version {} is newer than this chatload understands ({SCHEMA_VERSION}); use a newer chatload to render it",
            path.display(),
            summary.schema_version
        ))
        .into());
    }
    Ok(summary)
}

/// Where the page goes: `--html` when given (its directory must exist), else RUN_DIR/report.html.
fn output_path(args: &ReportArgs) -> anyhow::Result<PathBuf> {
    let Some(path) = &args.html else {
        return Ok(args.run_dir.join("report.html"));
    };
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(parent) = parent {
        if !parent.is_dir() {
            return Err(UsageError::new(format!(
                "--html '{}': directory '{}' does not exist; create it or choose another file",
                path.display(),
                parent.display()
            ))
            .into());
        }
    }
    if path.is_dir() {
        return Err(UsageError::new(format!(
            "--html '{}' is a directory; give a file name such as '{}'",
            path.display(),
            path.join("report.html").display()
        ))
        .into());
    }
    Ok(path.clone())
}
