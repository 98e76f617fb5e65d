//! A call's address: the URL text of one request, built by appending path segments to
//! the target's collection URL, without a `url::Url` per request (issue 15).
//!
//! `Url::path_segments_mut` re-encoded every segment and the URL was cloned, then
//! serialized again into the request's `Uri`: about 2 % of a poll's CPU (a profile at
//! 10,000 sessions @ 1 s). Chat ids, user ids and operation names are plain text
//! (letters, digits, `-._~`), whose encoding is themselves, so the address is the
//! collection's text, a slash and the segments: one `String`, whose path part becomes
//! the request's `PathAndQuery` without a copy. A segment with any other byte (or `.`
//! and `..`, which `url` drops) goes through `url` as before, so the text is always what
//! `url` would make of it (a test compares both on awkward segments). A `Url` is still
//! parsed where one is needed: a proxied run (reqwest), a cookie jar that holds cookies.

use super::Target;
use hyper::body::Bytes;

/// The URL text of one call; `path` is where its path starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Address {
    text: String,
    path: usize,
}

impl Address {
    /// The full URL text.
    #[cfg(test)]
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// The URL, parsed (a proxied run, a cookie jar with cookies).
    pub(crate) fn to_url(&self) -> Result<url::Url, url::ParseError> {
        url::Url::parse(&self.text)
    }

    /// The path and query, shared with the text (no copy).
    pub(crate) fn into_path(self) -> Bytes {
        Bytes::from(self.text).split_off(self.path)
    }
}

impl From<url::Url> for Address {
    fn from(url: url::Url) -> Address {
        let path = url[..url::Position::BeforePath].len();
        Address {
            text: url.into(),
            path,
        }
    }
}

/// True for a segment `url` leaves as it is in a path: letters, digits, `-._~`, not `.`
/// or `..` (which `url` drops).
fn plain(segment: &str) -> bool {
    segment != "."
        && segment != ".."
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// The collection's text with the slash a first segment follows, and where its path
/// starts; None when `url` would put segments elsewhere than at the end (a query).
pub(super) fn prefix_of(collection: &url::Url) -> Option<(String, usize)> {
    let mut probe = collection.clone();
    probe.path_segments_mut().ok()?.pop_if_empty().push("x");
    let text = String::from(probe);
    let prefix = text.strip_suffix('x')?;
    let path = collection[..url::Position::BeforePath].len();
    prefix.ends_with('/').then(|| (prefix.to_string(), path))
}

impl Target {
    /// The collection URL with `segments` appended (an empty last segment = trailing
    /// slash), as [`Target::url`] makes it.
    pub(crate) fn address(&self, segments: &[&str]) -> Address {
        match &self.prefix_text {
            Some((prefix, path)) if !segments.is_empty() && segments.iter().all(|s| plain(s)) => {
                let len = segments.iter().map(|s| s.len() + 1).sum::<usize>();
                let mut text = String::with_capacity(prefix.len() + len);
                text.push_str(prefix);
                for (i, s) in segments.iter().enumerate() {
                    if i > 0 {
                        text.push('/');
                    }
                    text.push_str(s);
                }
                Address { text, path: *path }
            }
            _ => self.url(segments).into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::client::Target;
    use crate::protocol::Dialect;

    #[test]
    fn the_text_is_what_url_makes_of_the_segments() {
        let targets = [
            Target::new(Dialect::GmsV2, "http://127.0.0.1:8080", "svc", "t", "").unwrap(),
            Target::new(Dialect::GmsV2, "https://h.example/base/", "s-1", "t", "").unwrap(),
            Target::new(Dialect::WebApi, "http://[::1]:9", "svc", "t", "/webapi").unwrap(),
            Target::new(Dialect::WebApi, "http://u:pw@h", "svc", "t", "").unwrap(),
            Target::new(Dialect::GmsV2, "http://h/?q=1", "svc", "t", "").unwrap(),
        ];
        let odd = [
            "", ".", "..", "a.b", "%41", "a/b", "a b", "a?b", "a#b", "é", "a\tb", "~x_-.",
        ];
        for t in &targets {
            let mut cases: Vec<Vec<&str>> = vec![vec![], vec![""], vec!["ABC-123", "refresh"]];
            cases.extend(odd.iter().map(|s| vec![*s, "messages"]));
            cases.extend(odd.iter().map(|s| vec!["id", *s]));
            for segments in cases {
                let fast = t.address(&segments);
                let slow = t.url(&segments);
                assert_eq!(fast.as_str(), slow.as_str(), "{segments:?}");
                let path = &slow[url::Position::BeforePath..];
                assert_eq!(&fast.clone().into_path()[..], path.as_bytes());
                assert_eq!(fast.to_url().unwrap(), slow);
            }
        }
    }
}
