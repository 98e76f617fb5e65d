//! The first few distinct error texts per transport error kind, for the report
//! (`transport_error_samples` in summary.json, the HTML's transport table, the text
//! summary): a count says how often, a sample says what. At most [`MAX_SAMPLES`] per
//! kind, each at most [`MAX_LEN`] characters, first come first kept.
//!
//! Secrets never get in: a reqwest error's own text names the request URL (which may
//! carry `user:password@` or ids; hyper-util's names the failing step only), so only its
//! causes are kept, and any URL left in a cause is replaced by `<url>`; a JSON decode
//! error's quoted values (which could be a `secureKey` of the wrong type) become `"…"`.
//! Bodies and headers are never sampled.

use crate::metrics::TransportErrorKind;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// Distinct texts kept per kind.
pub(crate) const MAX_SAMPLES: usize = 5;
/// Longest text kept, in characters.
pub(crate) const MAX_LEN: usize = 200;

/// Samples collected during a run (cheap: touched on failures only).
#[derive(Debug, Default)]
pub(crate) struct Samples(Mutex<BTreeMap<&'static str, Vec<String>>>);

impl Samples {
    /// Keep `text` for `kind` unless it is known or the kind is full.
    pub(crate) fn note(&self, kind: TransportErrorKind, text: String) {
        let text = redact(&text);
        if text.is_empty() {
            return;
        }
        if let Ok(mut map) = self.0.lock() {
            let list = map.entry(kind.as_str()).or_default();
            if list.len() < MAX_SAMPLES && !list.contains(&text) {
                list.push(text);
            }
        }
    }

    /// The samples by kind name.
    pub(crate) fn get(&self) -> BTreeMap<String, Vec<String>> {
        self.0
            .lock()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| ((*k).to_string(), v.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The causes of a request error, without its own URL-bearing text.
pub(crate) fn error_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = e.source();
    while let Some(c) = cur {
        let text = c.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = c.source();
    }
    if parts.is_empty() {
        // No cause: the kind alone (e.g. reqwest's own timeout) says it.
        return if let Some(r) = e.downcast_ref::<reqwest::Error>() {
            describe(r)
        } else {
            e.to_string()
        };
    }
    parts.join(": ")
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "connect failed".into()
    } else {
        "request failed".into()
    }
}

/// URLs → `<url>`, quoted values → `"…"`, at most [`MAX_LEN`] characters.
pub(crate) fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_LEN + 1));
    let mut rest = text;
    while !rest.is_empty() {
        if rest.starts_with("http://") || rest.starts_with("https://") {
            let end = rest
                .find(|c: char| c.is_whitespace() || c == ')' || c == ',')
                .unwrap_or(rest.len());
            out.push_str("<url>");
            rest = &rest[end..];
        } else if let Some(after) = rest.strip_prefix('"') {
            let end = after.find('"').map_or(after.len(), |i| i + 1);
            out.push_str("\"…\"");
            rest = &after[end..];
        } else {
            let c = rest.chars().next().unwrap_or_default();
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    if out.chars().count() > MAX_LEN {
        out = out.chars().take(MAX_LEN).collect::<String>() + "…";
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_quoted_values_are_redacted() {
        assert_eq!(
            redact("error sending request for url (http://u:pw@h:1/x?secureKey=s)"),
            "error sending request for url (<url>)"
        );
        assert_eq!(
            redact(r#"invalid type: string "sk-123", expected u64 at line 1 column 20"#),
            r#"invalid type: string "…", expected u64 at line 1 column 20"#
        );
        let long = "x".repeat(500);
        assert_eq!(redact(&long).chars().count(), MAX_LEN + 1);
    }

    #[test]
    fn kinds_keep_the_first_distinct_few() {
        let s = Samples::default();
        for i in 0..10 {
            s.note(TransportErrorKind::Reset, format!("reset {}", i % 7));
            s.note(TransportErrorKind::Reset, "reset 0".into());
        }
        s.note(TransportErrorKind::Timeout, "timed out".into());
        let got = s.get();
        assert_eq!(
            got["reset"],
            ["reset 0", "reset 1", "reset 2", "reset 3", "reset 4"]
        );
        assert_eq!(got["timeout"], ["timed out"]);
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn an_io_cause_is_kept_without_the_url() {
        let io = std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "connection reset by peer",
        );
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl std::fmt::Display for Outer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "error sending request for url (http://h/secret)")
            }
        }
        impl std::error::Error for Outer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        assert_eq!(error_text(&Outer(io)), "connection reset by peer");
    }
}
