//! The messages file: `--messages-file FILE` / `[customer.data] messages =
//! "FILE"`. Plain UTF-8 text, one chat message per line (blank lines are
//! skipped, a trailing `\r` is dropped), so transcripts are not all the same
//! sentence. A customer whose row has its own `message` columns keeps them;
//! every other customer takes its texts from this file: the session with
//! ordinal `o` sending `m` messages starts at line `o * m` (wrapping), so
//! consecutive sessions use consecutive lines.
//!
//! The file is read whole at start (at most [`MAX_MESSAGES`] lines of at most
//! [`MAX_VALUE_CHARS`] characters); the first problem is one message with
//! `file:line:column`, the rule and the fix.

use super::customers::{Customer, MAX_VALUE_CHARS};
use std::path::{Path, PathBuf};

/// Most messages a file may hold.
pub(crate) const MAX_MESSAGES: usize = 100_000;

/// The texts of a messages file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageLines {
    path: PathBuf,
    lines: Vec<String>,
}

impl MessageLines {
    /// Read and validate a messages file.
    pub fn load(path: &Path) -> Result<MessageLines, String> {
        let bytes = std::fs::read(path).map_err(|e| {
            format!(
                "cannot read messages file '{}': {e}; check the path",
                path.display()
            )
        })?;
        let at = |line: usize, col: usize, rule: &str| {
            format!("{}:{line}:{col}: {rule}", path.display())
        };
        let mut lines = Vec::new();
        for (i, raw) in bytes.split(|b| *b == b'\n').enumerate() {
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            let text = std::str::from_utf8(raw).map_err(|e| {
                at(
                    i + 1,
                    e.valid_up_to() + 1,
                    "not UTF-8; save the file as UTF-8",
                )
            })?;
            if text.trim().is_empty() {
                continue;
            }
            let n = text.chars().count();
            if n > MAX_VALUE_CHARS {
                return Err(at(
                    i + 1,
                    MAX_VALUE_CHARS + 1,
                    &format!("message: {n} characters, more than the {MAX_VALUE_CHARS} a chat message may hold; shorten it or split it over two lines"),
                ));
            }
            if lines.len() == MAX_MESSAGES {
                return Err(at(
                    i + 1,
                    1,
                    &format!(
                        "more than {MAX_MESSAGES} messages; keep at most {MAX_MESSAGES} lines"
                    ),
                ));
            }
            lines.push(text.to_string());
        }
        if lines.is_empty() {
            return Err(at(
                1,
                1,
                "no message: the file is empty or blank; write one message per line",
            ));
        }
        Ok(MessageLines {
            path: path.to_path_buf(),
            lines,
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many messages the file holds.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Never true: a loaded file holds at least one message.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Give `c` the texts of the session with `ordinal` sending `count`
    /// messages, unless its row brought its own.
    pub fn fill(&self, c: &mut Customer, ordinal: u64, count: u64) {
        if !c.messages.is_empty() || count == 0 {
            return;
        }
        let n = self.lines.len() as u64;
        let start = ordinal.wrapping_mul(count) % n;
        c.messages = (0..count.min(n))
            .map(|k| self.lines[((start + k) % n) as usize].clone())
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &[u8]) -> Result<MessageLines, String> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.txt");
        std::fs::write(&p, text).unwrap();
        MessageLines::load(&p).map_err(|e| e.replace(&p.display().to_string(), "m.txt"))
    }

    #[test]
    fn sessions_take_consecutive_lines_and_rows_keep_their_own() {
        let m = load(b"one\r\n\ntwo\nthree\nfour\nfive\n").unwrap();
        assert_eq!(m.len(), 5);
        let texts = |ordinal, count| {
            let mut c = Customer::named("x");
            m.fill(&mut c, ordinal, count);
            c.messages
        };
        assert_eq!(texts(0, 2), ["one", "two"]);
        assert_eq!(texts(1, 2), ["three", "four"]);
        assert_eq!(texts(2, 2), ["five", "one"]);
        assert_eq!(texts(0, 9), ["one", "two", "three", "four", "five"]);
        assert!(texts(3, 0).is_empty());
        let mut own = Customer::named("x");
        own.messages = vec!["mine".into()];
        m.fill(&mut own, 0, 2);
        assert_eq!(own.messages, ["mine"]);
    }

    #[test]
    fn bad_files_name_line_and_column() {
        let long = format!("ok\n{}\n", "x".repeat(MAX_VALUE_CHARS + 1));
        let cases: [(&[u8], &str); 4] = [
            (b"hello\nab\xffcd\n", "m.txt:2:3: not UTF-8"),
            (long.as_bytes(), "m.txt:2:4097: message: 4097 characters"),
            (b"\n  \n", "m.txt:1:1: no message"),
            (b"", "m.txt:1:1: no message"),
        ];
        for (text, want) in cases {
            let e = load(text).unwrap_err();
            assert!(e.starts_with(want), "{e}");
        }
        let e = MessageLines::load(Path::new("/nonexistent/m.txt")).unwrap_err();
        assert!(e.starts_with("cannot read messages file"), "{e}");
    }
}
