//! Exporters of the conformance [`Report`], one per file:
//!
//! | output | exporter |
//! | --- | --- |
//! | stdout table | [`text::write_text`] |
//! | conformance.json | [`json::write_json`] |
//! | conformance.html | [`html::write_html`] |
//! | `--junit FILE` | [`junit::write_junit`] |

pub mod html;
pub mod json;
pub mod junit;
pub mod text;

use super::model::Report;
use anyhow::Context;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// Write conformance.json and conformance.html into `dir` (created), and the JUnit file.
pub fn write_files(report: &Report, dir: &Path, junit: Option<&Path>) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("could not create the output directory '{}'", dir.display()))?;
    write_one(&dir.join("conformance.json"), |w| {
        json::write_json(report, w)
    })?;
    write_one(&dir.join("conformance.html"), |w| {
        html::write_html(report, w)
    })?;
    if let Some(path) = junit {
        write_one(path, |w| junit::write_junit(report, w))?;
    }
    Ok(())
}

fn write_one(
    path: &Path,
    render: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    let file = File::create(path)
        .with_context(|| format!("could not create report file '{}'", path.display()))?;
    let mut w = BufWriter::new(file);
    render(&mut w)
        .and_then(|()| w.flush())
        .with_context(|| format!("could not write report file '{}'", path.display()))
}
