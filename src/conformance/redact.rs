//! Redaction of evidence: every text that goes into a conformance report passes
//! through [`Redactor::clean`], which replaces the value of every `secureKey`
//! field (form `secureKey=...` and JSON `"secureKey": "..."`) and every secret
//! seen so far (issued keys, custom header values) by `<redacted>`.

/// What replaces a secret.
pub(super) const REDACTED: &str = "<redacted>";

/// Known secrets plus the field rule.
#[derive(Debug, Default)]
pub(super) struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    /// Remember `secret` (values shorter than 4 characters are not worth hiding
    /// and would blank out ordinary text).
    pub(super) fn learn(&mut self, secret: &str) {
        if secret.len() >= 4 && !self.secrets.iter().any(|s| s == secret) {
            self.secrets.push(secret.to_string());
        }
    }

    /// `text` with every secureKey value and every known secret replaced.
    pub(super) fn clean(&self, text: &str) -> String {
        let mut out = redact_field(text, "secureKey");
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), REDACTED);
            }
        }
        out
    }
}

/// Replace the value of `field` in form (`field=v&`) and JSON (`"field": "v"`) text.
fn redact_field(text: &str, field: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(field) {
        let (head, tail) = rest.split_at(at + field.len());
        out.push_str(head);
        let before = head[..at].chars().last();
        rest = match (before, tail.chars().next()) {
            (None | Some('&'), Some('=')) => {
                let end = tail.find('&').unwrap_or(tail.len());
                out.push('=');
                out.push_str(REDACTED);
                &tail[end..]
            }
            (Some('"'), Some('"')) => json_value(tail, &mut out),
            _ => tail,
        };
    }
    out.push_str(rest);
    out
}

/// After `"field` in JSON: copy `": "`, replace the string value, return the rest.
fn json_value<'a>(tail: &'a str, out: &mut String) -> &'a str {
    let after_quote = &tail[1..];
    let colon = after_quote.trim_start();
    let Some(value) = colon.strip_prefix(':') else {
        return tail;
    };
    let value = value.trim_start();
    let Some(body) = value.strip_prefix('"') else {
        return tail;
    };
    let mut escaped = false;
    let end = body.char_indices().find_map(|(i, c)| {
        let close = c == '"' && !escaped;
        escaped = c == '\\' && !escaped;
        close.then_some(i)
    });
    let Some(end) = end else { return tail };
    out.push_str("\":\"");
    out.push_str(REDACTED);
    out.push('"');
    &body[end + 1..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_and_json_keys_are_hidden() {
        let r = Redactor::default();
        assert_eq!(
            r.clean("alias=1&secureKey=abc123&userId=u"),
            "alias=1&secureKey=<redacted>&userId=u"
        );
        assert_eq!(r.clean("secureKey=abc"), "secureKey=<redacted>");
        assert_eq!(
            r.clean(r#"{"secureKey" : "a\"b", "alias":"1"}"#),
            r#"{"secureKey":"<redacted>", "alias":"1"}"#
        );
        assert_eq!(r.clean("no secureKeys here"), "no secureKeys here");
    }

    #[test]
    fn learned_secrets_are_hidden_anywhere() {
        let mut r = Redactor::default();
        r.learn("hunter22");
        r.learn("ab");
        assert_eq!(
            r.clean("advice: key hunter22 was wrong; ab"),
            "advice: key <redacted> was wrong; ab"
        );
    }
}
