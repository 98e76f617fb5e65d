//! conformance.json: the report model as pretty JSON (layout pinned by
//! `schema/conformance.schema.json`).

use crate::conformance::model::Report;
use std::io::Write;

/// Write `report` as JSON.
pub fn write_json(report: &Report, out: &mut impl Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}
