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

mod command;
pub mod csv;
pub mod html;
pub mod json;
pub mod model;
mod service_windows;
pub mod text;
pub mod vocab;

pub use command::report_command;
pub use model::{SessionRow, SessionRows, Summary};

use crate::protocol::Operation;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

/// Operation names of a per-operation map in report order: the known operations
/// in [`Operation::ALL`] order, then any other name (a newer or hand-edited file).
pub fn in_report_order<V>(map: &BTreeMap<String, V>) -> impl Iterator<Item = &str> + '_ {
    let known = Operation::ALL.iter().map(|op| op.as_str());
    let known = known.filter(|n| map.contains_key(*n));
    let others = map.keys().map(String::as_str);
    known.chain(others.filter(|n| Operation::from_name(n).is_none()))
}

/// Fill `dir/name` through a buffer: written to `.name.tmp`, flushed, synced and
/// renamed, so a report file that exists is whole (a full disk leaves no half
/// file). On failure the temporary file is removed.
fn write_file(
    dir: &Path,
    name: &str,
    render: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    let path = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp"));
    let write = || -> std::io::Result<()> {
        let mut w = BufWriter::new(File::create(&tmp)?);
        render(&mut w)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_data()?;
        std::fs::rename(&tmp, &path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        anyhow::Error::new(e).context(format!("could not write report file '{}'", path.display()))
    })
}

/// Every report file of a run, in writing order, with its exporter.
fn report_files<'a>(
    summary: &'a Summary,
    sessions: &'a dyn SessionRows,
) -> Vec<(&'static str, ReportWriter<'a>)> {
    vec![
        ("summary.json", Box::new(|w| json::write_json(summary, w))),
        (
            "operations.csv",
            Box::new(|w| csv::write_operations(summary, w)),
        ),
        (
            "outcomes.csv",
            Box::new(|w| csv::write_outcomes(summary, w)),
        ),
        (
            "sessions.csv",
            Box::new(|w| csv::write_sessions(sessions, w)),
        ),
        (
            "timeline.csv",
            Box::new(|w| csv::write_timeline(summary, w)),
        ),
        ("report.html", Box::new(|w| html::write_html(summary, w))),
    ]
}

type ReportWriter<'a> = Box<dyn FnOnce(&mut BufWriter<File>) -> std::io::Result<()> + 'a>;

/// Write every report file of a run into `dir` (created if missing):
/// summary.json, operations.csv, outcomes.csv, sessions.csv, timeline.csv, report.html.
/// A file that cannot be written does not stop the others; the error names each one.
pub fn write_reports(
    dir: &Path,
    summary: &Summary,
    sessions: &dyn SessionRows,
) -> anyhow::Result<()> {
    let failed = write_reports_each(dir, summary, sessions);
    match failed.len() {
        0 => Ok(()),
        _ => Err(anyhow::anyhow!(failed.join("; "))),
    }
}

/// [`write_reports`], returning one message per file that could not be written
/// (each names the file and the cause); empty when all were written.
pub fn write_reports_each(
    dir: &Path,
    summary: &Summary,
    sessions: &dyn SessionRows,
) -> Vec<String> {
    if let Err(e) = std::fs::create_dir_all(dir) {
        return vec![format!(
            "could not create report directory '{}': {e}",
            dir.display()
        )];
    }
    report_files(summary, sessions)
        .into_iter()
        .filter_map(|(name, render)| write_file(dir, name, render).err())
        .map(|e| format!("{e:#}"))
        .collect()
}
