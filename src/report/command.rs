//! `chatload report RUN_DIR [--html FILE]`: re-render report.html from a finished run.
//!
//! Reads `RUN_DIR/summary.json` (the [`Summary`](crate::report::model::Summary) contract), renders it with
//! [`write_html`] and writes `RUN_DIR/report.html` or the `--html` file. A
//! missing directory, a missing or invalid summary.json, or an `--html` path in
//! a missing directory are usage errors (exit 2) naming the file.

use crate::cli::ReportArgs;
use crate::error::{Exit, UsageError};
use crate::report::html::write_html;
use crate::report::json::load_summary;
use crate::util::{check_output_file, BadOutputFile};
use anyhow::Context;
use std::path::{Path, PathBuf};

/// `chatload report RUN_DIR [--html FILE]`.
pub fn report_command(args: ReportArgs) -> anyhow::Result<Exit> {
    let (summary_path, summary) = load_summary(&args.run_dir)?;
    let out = output_path(&args, &summary_path)?;
    let mut page = Vec::with_capacity(256 * 1024);
    write_html(&summary, &mut page).context("could not render the HTML report")?;
    std::fs::write(&out, &page)
        .with_context(|| format!("could not write the HTML report '{}'", out.display()))?;
    println!("wrote {} ({} KB)", out.display(), page.len().div_ceil(1024));
    Ok(Exit::Success)
}

/// Where the page goes: `--html` when given (its directory must exist), else
/// report.html beside the summary.json that was read.
fn output_path(args: &ReportArgs, summary_path: &Path) -> anyhow::Result<PathBuf> {
    let Some(path) = &args.html else {
        let dir = summary_path.parent().unwrap_or(Path::new("."));
        return Ok(dir.join("report.html"));
    };
    match check_output_file(path) {
        Ok(()) => Ok(path.clone()),
        Err(BadOutputFile::MissingDir(parent)) => Err(UsageError::new(format!(
            "--html '{}': directory '{}' does not exist; create it or choose another file",
            path.display(),
            parent.display()
        ))
        .into()),
        Err(BadOutputFile::IsDir) => Err(UsageError::new(format!(
            "--html '{}' is a directory; give a file name such as '{}'",
            path.display(),
            path.join("report.html").display()
        ))
        .into()),
    }
}
