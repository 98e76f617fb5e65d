//! The layer rule, checked on the source tree: data flows one way,
//! `command` -> `engine` (and the `conformance` and `merge` commands beside it) -> `metrics` ->
//! `report` (model, vocab, exporters) -> `gate`, and no
//! module names a layer above its own, nor skips one to reach the report model: the
//! `engine` hands raw facts to `metrics` and never names `report`; `metrics` never names `engine`; `report`
//! names none of `engine`, `metrics`, `gate`; `gate` reads the report model and
//! names neither `engine` nor `metrics`. `server`, `protocol`, `util` and `error`
//! stand beside the layers and name none of them. (`cli` holds only flag shapes;
//! every command's entry point takes its own, so naming `crate::cli` is allowed.)

use std::path::{Path, PathBuf};

/// The layers, top first. `command` (chatload run) drives them all: engine, then the
/// metrics' summary, the reports and the gate's verdict; the engine below it only
/// runs sessions and records raw facts, and never names the report model.
/// `conformance` is a command beside `engine` at the top: it
/// drives the engine's client and writes its own report, and nothing below names it.
/// `merge` (chatload merge) is another: it reads run folders through `metrics`.
const LAYERS: [&str; 7] = [
    "command",
    "conformance",
    "merge",
    "engine",
    "metrics",
    "report",
    "gate",
];
/// Per layer, the layers it must not name (the ones above it; the gate judges the
/// report model, so `report` is the one layer it reads).
const ABOVE: [(&str, &[&str]); 7] = [
    ("command", &["conformance", "merge"]),
    ("conformance", &["command", "merge"]),
    ("merge", &["command", "conformance", "engine"]),
    ("engine", &["command", "conformance", "merge", "report"]),
    ("metrics", &["command", "conformance", "merge", "engine"]),
    (
        "report",
        &[
            "command",
            "conformance",
            "merge",
            "engine",
            "metrics",
            "gate",
        ],
    ),
    (
        "gate",
        &["command", "conformance", "merge", "engine", "metrics"],
    ),
];
/// Modules beside the layers: they may name each other, never a layer.
const BESIDE: [&str; 4] = ["server", "protocol", "util", "error"];

/// The top-level module a `src/` path belongs to (`src/engine/x.rs` -> `engine`).
fn module_of(rel: &Path) -> String {
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// The modules a file of module `from` may not name.
fn forbidden(from: &str) -> Vec<&'static str> {
    if let Some((_, above)) = ABOVE.iter().find(|(l, _)| *l == from) {
        return above.to_vec();
    }
    if BESIDE.contains(&from) {
        return LAYERS.to_vec();
    }
    Vec::new()
}

/// Upward references in `text` (a file of module `from`): (line number, line).
fn violations(from: &str, text: &str) -> Vec<(usize, String)> {
    let bad = forbidden(from);
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .filter(|(_, l)| {
            bad.iter().any(|m| {
                l.contains(&format!("crate::{m}::"))
                    || l.contains(&format!("crate::{m};"))
                    || l.contains(&format!("crate::{m} "))
            })
        })
        .map(|(i, l)| (i + 1, l.trim().to_string()))
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_module_imports_from_a_layer_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 50, "the scan found the sources");
    let mut found = Vec::new();
    for path in &files {
        let rel = path.strip_prefix(&src).unwrap();
        let text = std::fs::read_to_string(path).unwrap();
        for (line, code) in violations(&module_of(rel), &text) {
            found.push(format!("src/{}:{line}: {code}", rel.display()));
        }
    }
    assert!(
        found.is_empty(),
        "imports running up the layers (engine -> metrics -> report -> gate):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_catches_upward_imports() {
    assert_eq!(
        violations("report", "use crate::metrics::GapCause;\n").len(),
        1
    );
    assert_eq!(violations("gate", "x(crate::engine::run());\n").len(), 1);
    assert_eq!(violations("metrics", "use crate::engine::Plan;\n").len(), 1);
    assert_eq!(violations("server", "use crate::report::model;\n").len(), 1);
    // Downward and beside are fine, and so is a comment.
    assert!(violations("engine", "use crate::metrics::Metrics;\n").is_empty());
    assert!(violations("metrics", "use crate::report::vocab::GapCause;\n").is_empty());
    assert!(violations("report", "use crate::protocol::Operation;\n").is_empty());
    assert!(violations("gate", "use crate::report::model::Summary;\n").is_empty());
    assert_eq!(
        violations("report", "use crate::gate::evaluate;\n").len(),
        1
    );
    assert!(violations("gate", "/// see [`crate::engine::runner`]\n").is_empty());
    // conformance sits beside engine at the top: it may name the engine, not the reverse.
    assert!(violations("conformance", "use crate::engine::client;\n").is_empty());
    assert_eq!(
        violations("engine", "use crate::conformance::Check;\n").len(),
        1
    );
    // The engine hands raw facts to metrics: the report model is not its to name.
    assert_eq!(
        violations("engine", "use crate::report::model::Summary;\n").len(),
        1
    );
    assert_eq!(
        violations("engine", "crate::report::write_reports_each(&d, &s, &r);\n").len(),
        1
    );
    assert_eq!(violations("engine", "use crate::command::run;\n").len(), 1);
    assert!(violations("command", "use crate::report::model::Summary;\n").is_empty());
    assert!(violations("command", "use crate::engine::runner;\n").is_empty());
    assert_eq!(
        violations("protocol", "use crate::conformance::Check;\n").len(),
        1
    );
    assert_eq!(module_of(Path::new("engine/session/poll.rs")), "engine");
    assert_eq!(module_of(Path::new("lib.rs")), "lib");
}
