//! Small helpers shared by several modules: output-file checks, the one duration
//! parser and flex-disconnect-timeout range rule (engine and server), number text.

pub(crate) mod distribution;
pub(crate) mod redact;
pub(crate) mod rlimit;
pub(crate) mod toml_error;

use std::path::Path;
use std::time::Duration;

/// Longest duration accepted anywhere (keeps instant arithmetic far from overflow).
pub(crate) const MAX_DURATION: Duration = Duration::from_secs(400 * 24 * 3600);

/// Longest flex-disconnect-timeout Chat Server accepts (20 days).
pub(crate) const MAX_FLEX_TIMEOUT: Duration = Duration::from_secs(1_728_000);

/// Parse a duration like `30s`, `500ms`, `2m` (at most [`MAX_DURATION`], 400 days, so
/// adding it to an instant cannot overflow). The one duration rule of flags, scenario
/// files and the server's configuration; the caller prefixes the field.
pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim())
        .map_err(|e| format!("'{s}' is not a duration ({e}); write it like 30s, 500ms or 2m"))?;
    if d > MAX_DURATION {
        return Err(format!(
            "'{s}' is longer than 400 days; use a shorter duration"
        ));
    }
    Ok(d)
}

/// The flex-disconnect-timeout range rule (Chat Server's own), naming `field`.
pub(crate) fn check_flex_timeout(t: Duration, field: &str) -> Result<(), crate::error::UsageError> {
    if t < Duration::from_secs(1) || t > MAX_FLEX_TIMEOUT {
        return Err(crate::error::UsageError::new(format!(
            "{field}: must be between 1s and 1728000s (20 days, the Chat Server option's range), got {}; the default is 45s",
            humantime::format_duration(t)
        )));
    }
    Ok(())
}

/// Why a path cannot name an output file.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum BadOutputFile<'a> {
    /// The path is an existing directory.
    IsDir,
    /// The directory the file would go in does not exist.
    MissingDir(&'a Path),
}

/// Check that `path` can name an output file written later (`--junit`, `--html`):
/// it is not an existing directory, and the directory it names, if any, exists.
pub(crate) fn check_output_file(path: &Path) -> Result<(), BadOutputFile<'_>> {
    if path.is_dir() {
        return Err(BadOutputFile::IsDir);
    }
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) if !dir.is_dir() => Err(BadOutputFile::MissingDir(dir)),
        _ => Ok(()),
    }
}

/// The longest prefix of `text` of at most `max` bytes that ends on a character boundary.
pub(crate) fn prefix(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// `v` with at most `decimals` decimals and no trailing zeros (`1.50` -> `1.5`, `2.00` -> `2`).
pub(crate) fn trim_decimals(v: f64, decimals: usize) -> String {
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
    fn a_prefix_ends_on_a_character_boundary() {
        assert_eq!(prefix("abc", 5), "abc");
        assert_eq!(prefix("abc", 2), "ab");
        assert_eq!(prefix("aé", 2), "a", "é is two bytes");
        assert_eq!(prefix("aé", 3), "aé");
        assert_eq!(prefix("", 0), "");
    }

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
