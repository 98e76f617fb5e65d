//! Small helpers shared by several modules: output-file checks, the duration
//! bound, number text.

pub mod redact;

use std::path::Path;
use std::time::Duration;

/// Longest duration accepted anywhere (keeps instant arithmetic far from overflow).
pub const MAX_DURATION: Duration = Duration::from_secs(400 * 24 * 3600);

/// Why a path cannot name an output file.
#[derive(Debug, PartialEq, Eq)]
pub enum BadOutputFile<'a> {
    /// The path is an existing directory.
    IsDir,
    /// The directory the file would go in does not exist.
    MissingDir(&'a Path),
}

/// Check that `path` can name an output file written later (`--junit`, `--html`):
/// it is not an existing directory, and the directory it names, if any, exists.
pub fn check_output_file(path: &Path) -> Result<(), BadOutputFile<'_>> {
    if path.is_dir() {
        return Err(BadOutputFile::IsDir);
    }
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) if !dir.is_dir() => Err(BadOutputFile::MissingDir(dir)),
        _ => Ok(()),
    }
}

/// `v` with at most `decimals` decimals and no trailing zeros (`1.50` -> `1.5`, `2.00` -> `2`).
pub fn trim_decimals(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trim_decimals_drops_trailing_zeros_only() {
        assert_eq!(trim_decimals(1.5, 2), "1.5");
        assert_eq!(trim_decimals(2.0, 3), "2");
        assert_eq!(trim_decimals(100.0, 0), "100");
        assert_eq!(trim_decimals(0.12345, 3), "0.123");
    }

    #[test]
    fn output_file_must_not_be_a_directory_nor_in_a_missing_one() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(check_output_file(&dir.path().join("a.xml")), Ok(()));
        assert_eq!(check_output_file(Path::new("a.xml")), Ok(()));
        assert_eq!(check_output_file(dir.path()), Err(BadOutputFile::IsDir));
        let missing = dir.path().join("nope");
        assert_eq!(
            check_output_file(&missing.join("a.xml")),
            Err(BadOutputFile::MissingDir(&missing))
        );
    }
}
