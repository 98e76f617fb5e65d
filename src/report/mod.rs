//! Reports: the one [`model::Summary`] and one exporter per file rendering it.
//!
//! | file | exporter |
//! | --- | --- |
//! | summary.json | [`json::write_json`] |
//! | operations.csv, outcomes.csv, sessions.csv, timeline.csv | [`csv`] |
//! | report.html | [`html::write_html`] |
//! | stdout summary | [`text::write_text`] |
//!
//! To add a format: 1. add a file with a `write_*` function taking `&Summary`
//! and an `impl Write`; 2. call it from [`write_reports`]; 3. add a snapshot or
//! structural test; 4. document the file in README.md ("Reports") and `reports/README.md`.

pub mod command;
pub mod csv;
pub mod html;
pub mod json;
pub mod model;
pub mod text;
pub mod vocab;

pub use command::report_command;
pub use model::{SessionRow, Summary};

use crate::protocol::Operation;
use anyhow::Context;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// Operation names of a per-operation map in report order: the known operations
/// in [`Operation::ALL`] order, then any other name (a newer or hand-edited file).
pub fn in_report_order<V>(map: &BTreeMap<String, V>) -> impl Iterator<Item = &str> + '_ {
    let known = Operation::ALL.iter().map(|op| op.as_str());
    let known = known.filter(|n| map.contains_key(*n));
    let others = map.keys().map(String::as_str);
    known.chain(others.filter(|n| Operation::from_name(n).is_none()))
}

/// Create `dir/name`, let `render` fill it through a buffer, and flush it.
fn write_file(
    dir: &Path,
    name: &str,
    render: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    let path = dir.join(name);
    let file = File::create(&path)
        .with_context(|| format!("could not create report file '{}'", path.display()))?;
    let mut w = BufWriter::new(file);
    render(&mut w)
        .and_then(|()| w.flush())
        .with_context(|| format!("could not write report file '{}'", path.display()))
}

/// Write every report file of a run into `dir` (created if missing):
/// summary.json, operations.csv, outcomes.csv, sessions.csv, timeline.csv, report.html.
pub fn write_reports(dir: &Path, summary: &Summary, sessions: &[SessionRow]) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("could not create report directory '{}'", dir.display()))?;
    write_file(dir, "summary.json", |w| json::write_json(summary, w))?;
    write_file(dir, "operations.csv", |w| csv::write_operations(summary, w))?;
    write_file(dir, "outcomes.csv", |w| csv::write_outcomes(summary, w))?;
    write_file(dir, "sessions.csv", |w| csv::write_sessions(sessions, w))?;
    write_file(dir, "timeline.csv", |w| csv::write_timeline(summary, w))?;
    write_file(dir, "report.html", |w| html::write_html(summary, w))?;
    Ok(())
}
