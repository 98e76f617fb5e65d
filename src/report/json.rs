//! `summary.json`: the [`Summary`] serialised as pretty JSON (schema: `schema/summary.schema.json`).

use crate::error::UsageError;
use crate::report::model::{Summary, SCHEMA_VERSION};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Write `summary` as pretty-printed JSON followed by a newline.
pub fn write_json(summary: &Summary, out: &mut impl Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, summary)?;
    writeln!(out)
}

/// Read a `summary.json` back (for `chatload report` / `check`).
pub fn read_json(input: impl Read) -> serde_json::Result<Summary> {
    serde_json::from_reader(input)
}

/// Load a finished run's summary from its run directory or its `summary.json` path
/// (`chatload report` and `chatload check`). Every failure is a [`UsageError`] naming
/// the file (with line and column for bad JSON). Returns the file actually read.
pub fn load_summary(run: &Path) -> Result<(PathBuf, Summary), UsageError> {
    let path = if run.is_dir() {
        run.join("summary.json")
    } else {
        run.to_path_buf()
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        UsageError::new(format!(
            "cannot read summary '{}': {e}; pass a run directory written by `chatload run` or its summary.json",
            path.display()
        ))
    })?;
    let summary: Summary = serde_json::from_str(&text).map_err(|e| {
        UsageError::new(format!(
            "{}:{}:{}: is not a chatload summary.json: {e}; regenerate it with `chatload run` (schema version {SCHEMA_VERSION})",
            path.display(),
            e.line(),
            e.column()
        ))
    })?;
    if summary.schema_version > SCHEMA_VERSION {
        return Err(UsageError::new(format!(
            "{}: schema_version {} is newer than this chatload understands ({SCHEMA_VERSION}); use a newer chatload",
            path.display(),
            summary.schema_version
        )));
    }
    Ok((path, summary))
}
