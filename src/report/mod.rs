//! Reports: the one [`model::Summary`] and one exporter per file rendering it.
//!
//! To add a format: 1. add a file with a `write_*` function taking `&Summary`
//! and an `impl Write`; 2. call it from the run writer in `engine`; 3. add a snapshot or
//! structural test; 4. document the file in `reports/README.md`.

pub mod model;

pub use model::Summary;
pub mod html;

use crate::cli::ReportArgs;
use crate::error::Exit;

/// `chatload report RUN_DIR [--html FILE]`.
pub fn report_command(_args: ReportArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("chatload report is not implemented yet")
}
