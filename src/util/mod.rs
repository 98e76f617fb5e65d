//! Small helpers shared by several commands.

use std::path::Path;

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

#[cfg(test)]
mod tests {
    use super::*;

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
