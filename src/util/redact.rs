//! Redaction of URL userinfo: `http://user:password@host` is shown as
//! `http://user:***@host` in every report, message and error (the password
//! still goes to the target as Basic auth).

/// `url` with the password of its userinfo (or a user-only token) replaced by `***`.
/// Text that is no URL with userinfo comes back unchanged.
pub(crate) fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let authority_start = scheme_end + 3;
    let rest = &url[authority_start..];
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_len];
    let Some(at) = authority.rfind('@') else {
        return url.to_string();
    };
    let userinfo = &authority[..at];
    let shown = match userinfo.split_once(':') {
        Some((user, _)) => format!("{user}:***"),
        // A user-only userinfo is often a token (`https://TOKEN@host`).
        None => "***".to_string(),
    };
    format!(
        "{}{shown}{}",
        &url[..authority_start],
        &url[authority_start + at..]
    )
}

/// Every URL with userinfo inside `text` redacted (for error messages that quote one).
pub fn redact_urls_in(text: &str) -> String {
    text.split_inclusive(char::is_whitespace)
        .map(|word| {
            let (head, url) = match word.find("://") {
                Some(i) => {
                    let start = word[..i]
                        .rfind(|c: char| {
                            !c.is_ascii_alphanumeric() && c != '+' && c != '.' && c != '-'
                        })
                        .map_or(0, |j| j + 1);
                    word.split_at(start)
                }
                None => return word.to_string(),
            };
            format!("{head}{}", redact_url(url))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_passwords_and_tokens_are_hidden() {
        assert_eq!(
            redact_url("http://user:hunter2@gms.example:8080/genesys"),
            "http://user:***@gms.example:8080/genesys"
        );
        assert_eq!(redact_url("https://t0ken@h/x@y"), "https://***@h/x@y");
        assert_eq!(redact_url("https://u:p:q@h"), "https://u:***@h");
        for same in ["http://127.0.0.1:8080", "http://h/a@b", "not a url", ""] {
            assert_eq!(redact_url(same), same);
        }
        assert_eq!(
            redact_urls_in("bad target URL 'http://u:s3cret@h/x': invalid port"),
            "bad target URL 'http://u:***@h/x': invalid port"
        );
    }
}
