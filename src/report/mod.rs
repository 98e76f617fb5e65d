//! Reports: the one [`model::Summary`] and one exporter per file rendering it.
//!
//! To add a format: 1. add a file with a `write_*` function taking `&Summary`
//! and an `impl Write`; 2. call it from [`write_reports`]; 3. add a snapshot or
//! structural test; 4. document the file in `reports/README.md`.

pub mod command;
pub mod html;
pub mod model;

pub use command::report_command;
pub use model::{SessionRow, Summary};

use std::path::Path;

/// Write every report file of a run into `dir` (created if missing):
/// summary.json, operations.csv, outcomes.csv, sessions.csv, timeline.csv, report.html.
pub fn write_reports(
    dir: &Path,
    summary: &Summary,
    _sessions: &[SessionRow],
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut f = std::fs::File::create(dir.join("report.html"))?;
    html::write_html(summary, &mut f)?;
    Ok(())
}
