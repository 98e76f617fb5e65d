//! One cookie jar per simulated customer (a session), as a browser tab would
//! keep: `Set-Cookie` from any answer is stored under RFC 6265's domain, path,
//! expiry and secure rules (the `cookie_store` crate) and sent back on that
//! session's later requests only. A sticky load balancer pins a chat to a node
//! this way.
//!
//! Memory is bounded: a jar holds at most [`MAX_COOKIES`] cookies; a new cookie
//! past the cap is dropped (an existing one may still be updated). Cookie
//! values are secrets: `Debug` shows the count only, and nothing here logs.

use cookie_store::CookieStore;
use reqwest::header::{HeaderMap, HeaderValue, SET_COOKIE};
use std::collections::HashSet;
use std::sync::Mutex;

/// Most cookies one session keeps.
pub(crate) const MAX_COOKIES: usize = 50;

/// A session's cookie jar.
#[derive(Default)]
pub(crate) struct Jar {
    store: Mutex<CookieStore>,
}

impl std::fmt::Debug for Jar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Jar({} cookies)", self.len())
    }
}

type Key = (String, String, String);

fn keys(store: &CookieStore) -> HashSet<Key> {
    store
        .iter_any()
        .map(|c| {
            (
                String::from(&c.domain),
                String::from(&c.path),
                c.name().to_string(),
            )
        })
        .collect()
}

/// The URL of a request, made when a jar needs it (most requests carry and get no cookie).
pub(crate) type UrlOf<'a> = &'a (dyn Fn() -> Option<url::Url> + Sync);

impl Jar {
    /// Cookies held now (expired ones included until replaced).
    pub(crate) fn len(&self) -> usize {
        self.lock().iter_any().count()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CookieStore> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The `Cookie` header for a request to `url`, if any cookie matches (the URL is
    /// only made when the jar holds cookies).
    pub(crate) fn header_for(&self, url: UrlOf<'_>) -> Option<HeaderValue> {
        let store = self.lock();
        store.iter_any().next()?;
        let url = url()?;
        let mut line = String::new();
        for (name, value) in store.get_request_values(&url) {
            if !line.is_empty() {
                line.push_str("; ");
            }
            line.push_str(name);
            line.push('=');
            line.push_str(value);
        }
        if line.is_empty() {
            return None;
        }
        let mut v = HeaderValue::from_str(&line).ok()?;
        v.set_sensitive(true);
        Some(v)
    }

    /// Store every `Set-Cookie` of an answer from `url` (bad ones are ignored, as browsers
    /// do; the URL is only made when there is one).
    pub(crate) fn store_from(&self, url: UrlOf<'_>, headers: &HeaderMap) {
        if !headers.contains_key(SET_COOKIE) {
            return;
        }
        let Some(url) = url() else { return };
        let url = &url;
        let mut store = self.lock();
        for raw in headers.get_all(SET_COOKIE) {
            let Ok(text) = raw.to_str() else { continue };
            if store.iter_any().count() < MAX_COOKIES {
                let _ = store.parse(text, url);
                continue;
            }
            let before = keys(&store);
            let _ = store.parse(text, url);
            for (domain, path, name) in keys(&store).difference(&before) {
                store.remove(domain, path, name);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(cookies: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for c in cookies {
            h.append(SET_COOKIE, HeaderValue::from_str(c).unwrap());
        }
        h
    }

    fn url(s: &str) -> impl Fn() -> Option<url::Url> {
        let url = url::Url::parse(s).unwrap();
        move || Some(url.clone())
    }

    #[test]
    fn the_url_is_made_only_when_cookies_are_held_or_given() {
        let jar = Jar::default();
        let made = std::sync::atomic::AtomicUsize::new(0);
        let u = url("http://gms.test:9/");
        let counted = || {
            made.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            u()
        };
        assert!(jar.header_for(&counted).is_none());
        jar.store_from(&counted, &HeaderMap::new());
        assert_eq!(
            made.load(std::sync::atomic::Ordering::Relaxed),
            0,
            "no cookie held, none given: no URL made"
        );
        jar.store_from(&counted, &answer(&["A=1; Path=/"]));
        assert_eq!(made.load(std::sync::atomic::Ordering::Relaxed), 1);
        assert_eq!(jar.header_for(&counted).unwrap().to_str().unwrap(), "A=1");
        assert_eq!(made.load(std::sync::atomic::Ordering::Relaxed), 2);
    }

    #[test]
    fn sends_back_matching_cookies_only() {
        let jar = Jar::default();
        // Not loopback: cookie_store treats loopback as a secure context.
        let u = url("http://gms.test:9/genesys/2/chat/s/");
        jar.store_from(
            &u,
            &answer(&[
                "NODE=b; Path=/",
                "OTHER=x; Path=/elsewhere",
                "SEC=y; Secure; Path=/",
            ]),
        );
        let h = jar.header_for(&url("http://gms.test:9/genesys/2/chat/s/c1/refresh"));
        assert_eq!(h.unwrap().to_str().unwrap(), "NODE=b");
        let https = jar.header_for(&url("https://gms.test:9/genesys/2/chat/s/c1/refresh"));
        let mut sent: Vec<String> = https
            .unwrap()
            .to_str()
            .unwrap()
            .split("; ")
            .map(String::from)
            .collect();
        sent.sort();
        assert_eq!(sent, ["NODE=b", "SEC=y"]);
        assert!(jar
            .header_for(&url("http://other.test:9/genesys/2/chat/s/c1/refresh"))
            .is_none());
    }

    #[test]
    fn expired_cookies_are_removed_and_updates_replace() {
        let jar = Jar::default();
        let u = url("http://127.0.0.1:9/");
        jar.store_from(&u, &answer(&["A=1; Path=/"]));
        jar.store_from(&u, &answer(&["A=2; Path=/"]));
        assert_eq!(jar.header_for(&u).unwrap().to_str().unwrap(), "A=2");
        jar.store_from(&u, &answer(&["A=3; Path=/; Max-Age=0"]));
        assert!(jar.header_for(&u).is_none());
    }

    #[test]
    fn the_jar_is_capped_but_existing_cookies_still_update() {
        let jar = Jar::default();
        let u = url("http://127.0.0.1:9/");
        let many: Vec<String> = (0..MAX_COOKIES + 20)
            .map(|i| format!("c{i}=v; Path=/"))
            .collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        jar.store_from(&u, &answer(&refs));
        assert_eq!(jar.len(), MAX_COOKIES);
        jar.store_from(&u, &answer(&["c0=new; Path=/"]));
        assert_eq!(jar.len(), MAX_COOKIES);
        let line = jar.header_for(&u).unwrap();
        assert!(line.is_sensitive());
        assert!(line.to_str().unwrap().contains("c0=new"));
        assert!(!format!("{jar:?}").contains("new"));
    }
}
