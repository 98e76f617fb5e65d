//! `summary.json`: the [`Summary`] serialised as pretty JSON (schema: `schema/summary.schema.json`).

use crate::report::model::Summary;
use std::io::{Read, Write};

/// Write `summary` as pretty-printed JSON followed by a newline.
pub fn write_json(summary: &Summary, out: &mut impl Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, summary)?;
    writeln!(out)
}

/// Read a `summary.json` back (for `chatload report` / `check`).
pub fn read_json(input: impl Read) -> serde_json::Result<Summary> {
    serde_json::from_reader(input)
}
