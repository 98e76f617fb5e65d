//! The one error form of every TOML input (scenario files, `serve --config`):
//! `file:line:col: field: rule; fix`.
//!
//! A serde/TOML error knows only a byte span; [`Located::field_at`] turns it into
//! the dotted field path (`load.stages[0].ramp`) by walking the document's spans,
//! and [`Located::locate`] does the reverse for a validation message that starts
//! with a field path but has no position yet.

use std::ops::Range;
use toml_edit::{ImDocument, Item, Value};

/// `file:line:col` (1-based) of a byte offset.
pub(crate) fn position(path: &str, source: &str, offset: usize) -> String {
    let offset = offset.min(source.len());
    let before = source.get(..offset).unwrap_or(source);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let col = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    format!("{path}:{line}:{col}")
}

/// One key of the document: its dotted path and where its key and value are.
struct Entry {
    path: String,
    key: Option<Range<usize>>,
    value: Option<Range<usize>>,
}

/// A TOML text with the spans of its keys, for messages.
pub(crate) struct Located<'a> {
    path: &'a str,
    source: &'a str,
    entries: Vec<Entry>,
}

impl<'a> Located<'a> {
    /// Index `source` (a file that does not parse has no entries: positions still work).
    pub(crate) fn new(path: &'a str, source: &'a str) -> Self {
        let mut entries = Vec::new();
        if let Ok(doc) = ImDocument::parse(source) {
            walk_table_like(doc.as_item(), "", &mut entries);
        }
        Located {
            path,
            source,
            entries,
        }
    }

    /// `file:line:col` of a byte offset.
    pub(crate) fn at(&self, offset: usize) -> String {
        position(self.path, self.source, offset)
    }

    /// The field whose key or value holds `offset` (the innermost one).
    pub(crate) fn field_at(&self, offset: usize) -> Option<&str> {
        fn inside(r: &Option<Range<usize>>, offset: usize) -> Option<usize> {
            r.as_ref().filter(|r| r.contains(&offset)).map(|r| r.len())
        }
        self.entries
            .iter()
            .filter_map(|e| {
                let len = inside(&e.key, offset).or(inside(&e.value, offset))?;
                Some((len, e.path.as_str()))
            })
            .min_by_key(|(len, _)| *len)
            .map(|(_, p)| p)
    }

    /// Where `field` (a dotted path such as `server.faults[0].rate`) is written.
    pub(crate) fn span_of(&self, field: &str) -> Option<Range<usize>> {
        let e = self.entries.iter().find(|e| e.path == field)?;
        e.value.clone().or(e.key.clone())
    }

    /// Give a validation message that starts with a field path (`load.duration: ...`,
    /// `[server]: server.seed ...`) the position of that field, when the file has it.
    /// A message that already has a position, or names a flag, is returned unchanged.
    pub(crate) fn locate(&self, msg: &str) -> String {
        if msg.starts_with(self.path) || msg.starts_with("--") {
            return msg.to_string();
        }
        let body = msg.strip_prefix("[server]: ").unwrap_or(msg);
        let end = body
            .find(|c: char| !(c.is_ascii_alphanumeric() || "._[]".contains(c)))
            .unwrap_or(body.len());
        let (field, rest) = body.split_at(end);
        let Some(span) = self.span_of(field) else {
            return msg.to_string();
        };
        let rest = rest.trim_start_matches(':').trim_start();
        format!("{}: {field}: {rest}", self.at(span.start))
    }

    /// A TOML or serde error as `file:line:col: field: rule; fix`.
    pub(crate) fn de_error(&self, message: &str, span: Option<Range<usize>>) -> String {
        let message = message.trim_end().replace('\n', ", ");
        let message = message.as_str();
        let Some(span) = span else {
            return format!("{}: {}", self.path, with_fix(message, None));
        };
        let loc = self.at(span.start);
        match self.field_at(span.start) {
            Some(field) => {
                let key = field.rsplit('.').next().unwrap_or(field);
                format!("{loc}: {field}: {}", with_fix(message, Some(key)))
            }
            None if self.entries.is_empty() => format!(
                "{loc}: TOML syntax: {message}; fix the syntax (strings need quotes, tables [name])"
            ),
            None => format!("{loc}: {}", with_fix(message, None)),
        }
    }
}

/// Collect the entries under a table, inline table, array of tables or array.
fn walk_table_like(item: &Item, prefix: &str, out: &mut Vec<Entry>) {
    if let Some(t) = item.as_table_like() {
        for (name, _) in t.iter() {
            if let Some((key, child)) = t.get_key_value(name) {
                let path = match prefix {
                    "" => name.to_string(),
                    p => format!("{p}.{name}"),
                };
                push(out, path, key.span(), child);
            }
        }
        return;
    }
    let elements: Vec<(Option<Range<usize>>, Item)> = match item {
        Item::ArrayOfTables(a) => a
            .iter()
            .map(|t| (t.span(), Item::Table(t.clone())))
            .collect(),
        Item::Value(Value::Array(a)) => a
            .iter()
            .map(|v| (v.span(), Item::Value(v.clone())))
            .collect(),
        _ => return,
    };
    for (i, (span, child)) in elements.into_iter().enumerate() {
        let path = format!("{prefix}[{i}]");
        out.push(Entry {
            path: path.clone(),
            key: None,
            value: span,
        });
        walk_table_like(&child, &path, out);
    }
}

fn push(out: &mut Vec<Entry>, path: String, key: Option<Range<usize>>, item: &Item) {
    out.push(Entry {
        path: path.clone(),
        key,
        value: item.span(),
    });
    walk_table_like(item, &path, out);
}

/// Reword serde's message into `rule; fix`.
fn with_fix(message: &str, key: Option<&str>) -> String {
    let key = key.unwrap_or("field");
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, "?"));
        let (want, example) = match expected {
            "u64" | "u32" | "u16" | "usize" | "i64" | "i32" => {
                ("a whole number", format!("{key} = 10 (no quotes)"))
            }
            "f64" | "f32" => ("a number", format!("{key} = 0.5 (no quotes)")),
            "a boolean" => ("true or false", format!("{key} = true (no quotes)")),
            "a string" => ("a quoted string", format!("{key} = \"30s\"")),
            "a sequence" => ("a list", format!("{key} = [\"...\"]")),
            t if t.starts_with("struct ") || t == "a map" => {
                ("a table", format!("{key} = {{ ... }} or a [{key}] table"))
            }
            other => {
                return format!("expected {other}, found {found}; see 'Scenario file' in README.md")
            }
        };
        return format!("expected {want}, found {found}; write it like {example}");
    }
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (name, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let choices: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        let best = choices
            .iter()
            .map(|c| (strsim::jaro_winkler(name, c), *c))
            .filter(|(score, _)| *score > 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, c)| format!("did you mean `{c}`? "))
            .unwrap_or_default();
        return format!(
            "unknown field `{name}`; {best}remove it or use one of {}",
            choices.join(", ")
        );
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or(rest);
        return format!("missing field `{name}`; add {name} = ...");
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        let (name, expected) = rest.split_once("`, expected ").unwrap_or((rest, "?"));
        return format!("unknown value `{name}`; use {expected}");
    }
    if message.contains("; ") {
        message.to_string()
    } else {
        format!("{message}; see 'Scenario file' in README.md for every field")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "name = \"x\"\n[load]\nsessions = \"ten\"\n[[load.stages]]\nsessions = 1\nhold = \"0s\"\n[server.agent]\nreply_after = { min = \"1s\", max = \"2s\" }\n";

    #[test]
    fn position_counts_lines_and_columns() {
        assert_eq!(position("f", "a\nbc = 1", 3), "f:2:2");
        assert_eq!(position("f", "x", 0), "f:1:1");
    }

    #[test]
    fn fields_are_found_by_offset_and_by_path() {
        let l = Located::new("s.toml", DOC);
        let at = |needle: &str| DOC.find(needle).unwrap();
        assert_eq!(l.field_at(at("\"ten\"")), Some("load.sessions"));
        assert_eq!(l.field_at(at("\"0s\"")), Some("load.stages[0].hold"));
        assert_eq!(
            l.field_at(at("\"2s\"")),
            Some("server.agent.reply_after.max")
        );
        assert_eq!(
            l.span_of("load.stages[0].hold").map(|r| r.start),
            Some(at("\"0s\""))
        );
        assert_eq!(
            l.locate("load.stages[0].hold: must not be zero; e.g. \"30s\""),
            "s.toml:6:8: load.stages[0].hold: must not be zero; e.g. \"30s\""
        );
        assert_eq!(l.locate("--duration: bad"), "--duration: bad");
        assert_eq!(l.locate("seed: not in the file"), "seed: not in the file");
    }

    #[test]
    fn serde_messages_get_a_field_and_a_fix() {
        let l = Located::new("s.toml", DOC);
        let e = l.de_error(
            "invalid type: string \"ten\", expected u64",
            Some(DOC.find("\"ten\"").unwrap()..DOC.find("\"ten\"").unwrap() + 5),
        );
        assert_eq!(
            e,
            "s.toml:3:12: load.sessions: expected a whole number, found string \"ten\"; write it like sessions = 10 (no quotes)"
        );
        let e = with_fix(
            "unknown field `sesions`, expected one of `sessions`, `ramp_up`",
            None,
        );
        assert!(
            e.starts_with("unknown field `sesions`; did you mean `sessions`?"),
            "{e}"
        );
    }
}
