//! HTML escaping for every string that reaches the page.
//!
//! One function serves text nodes, attribute values and inline SVG alike: the
//! five characters that can end a text run or an attribute (`& < > " '`) are
//! replaced by entities, which the HTML parser decodes in all three places.
//! Control characters other than tab and newline are dropped, since they are
//! not allowed in HTML text and would only hide content.

use std::borrow::Cow;

/// Escape `s` for use in HTML text, a quoted attribute value or inline SVG.
pub(crate) fn esc(s: &str) -> Cow<'_, str> {
    let needs = s
        .chars()
        .any(|c| matches!(c, '&' | '<' | '>' | '"' | '\'') || is_dropped(c));
    if !needs {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if is_dropped(c) => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn is_dropped(c: char) -> bool {
    c.is_control() && c != '\t' && c != '\n'
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc(r#"<script>alert("x&'y")</script>"#),
            "&lt;script&gt;alert(&quot;x&amp;&#39;y&quot;)&lt;/script&gt;"
        );
    }

    #[test]
    fn plain_text_is_borrowed_and_controls_are_dropped() {
        assert!(matches!(esc("poll p99"), std::borrow::Cow::Borrowed(_)));
        assert_eq!(esc("a\u{0}b\u{1b}c\td"), "abc\td");
    }
}
