//! Self-contained HTML report. (Stub: filled in by the HTML issue.)

use crate::report::model::Summary;
use std::io::Write;

/// Render `summary` as one self-contained HTML page.
pub fn write_html(summary: &Summary, out: &mut impl Write) -> std::io::Result<()> {
    writeln!(
        out,
        "<!doctype html><title>chatload report</title><p>{} requests</p>",
        summary.requests.total
    )
}
