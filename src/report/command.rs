//! `chatload report RUN_DIR [--html FILE]`: re-render report.html from a finished run.
//! (Stub: filled in by the HTML issue.)

use crate::cli::ReportArgs;
use crate::error::Exit;

/// `chatload report RUN_DIR [--html FILE]`.
pub fn report_command(_args: ReportArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("chatload report is not implemented yet")
}
