//! Response classification: HTTP status + body bytes -> [`Outcome`] and, when the
//! body is a usable envelope, the parsed [`Envelope`].
//!
//! Rules: a 2xx body must be a JSON envelope with `statusCode` (else
//! `invalid_json`, `missing_status_code` or `wrong_types`); a `statusCode`
//! outside 0, 1, 2 (e.g. `7`) is not a protocol answer either: on a 2xx it is
//! `wrong_types` (never a success), on a non-2xx it is treated like a body
//! without envelope. A non-2xx body that
//! is an envelope (e.g. HTTP 400 validation errors) is a response with that
//! status; any other non-2xx answer (e.g. a 502 HTML page) is a response with
//! that HTTP status and no statusCode, which the metrics also count under the
//! transport kind `http_status` (redirects are not followed, so a 3xx lands here).
//! A request without any answer is `timeout` (also mid-body), `connect`, or
//! `reset` (closed before or during the answer); `local_limit` when this
//! machine ran out of descriptors or ports (EMFILE, ENFILE, EADDRNOTAVAIL).

use crate::metrics::{Outcome, TransportErrorKind};
use crate::protocol::Envelope;
use serde_json::error::Category;

/// Classify one complete HTTP answer.
pub(crate) fn classify(http_status: u16, body: &[u8]) -> (Outcome, Option<Envelope>) {
    match serde_json::from_slice::<Envelope>(body) {
        Ok(env) if env.status_code > 2 => {
            if (200..300).contains(&http_status) {
                (Outcome::Transport(TransportErrorKind::WrongTypes), None)
            } else {
                no_envelope(http_status)
            }
        }
        Ok(env) => {
            let outcome = Outcome::Response {
                http_status,
                status_code: Some(env.status_code),
                chat_ended: env.chat_ended,
            };
            (outcome, Some(env))
        }
        Err(_) if !(200..300).contains(&http_status) => no_envelope(http_status),
        Err(e) => {
            let kind = match e.classify() {
                Category::Syntax | Category::Eof | Category::Io => TransportErrorKind::InvalidJson,
                Category::Data if e.to_string().contains("missing field `statusCode`") => {
                    TransportErrorKind::MissingStatusCode
                }
                Category::Data => TransportErrorKind::WrongTypes,
            };
            (Outcome::Transport(kind), None)
        }
    }
}

/// Why a 2xx body is no usable envelope, for the report's samples (values redacted there).
pub(super) fn decode_error(body: &[u8]) -> String {
    match serde_json::from_slice::<Envelope>(body) {
        Ok(env) => format!("statusCode {} is not 0, 1 or 2", env.status_code),
        Err(e) => e.to_string(),
    }
}

/// A non-2xx answer whose body is no usable envelope (e.g. a 502 HTML page).
fn no_envelope(http_status: u16) -> (Outcome, Option<Envelope>) {
    let outcome = Outcome::Response {
        http_status,
        status_code: None,
        chat_ended: None,
    };
    (outcome, None)
}

/// Classify a request that produced no HTTP answer: a reqwest error (a proxied
/// run, `conformance`) by its own kinds; a hyper-util or hyper error (the direct
/// client) the same way: `connect` when no connection was made (a connect
/// timeout is `timeout`, as reqwest said), `reset` when the exchange broke on one.
pub(crate) fn classify_error(e: &(dyn std::error::Error + 'static)) -> TransportErrorKind {
    if local_limit(e) {
        return TransportErrorKind::LocalLimit;
    }
    if let Some(e) = e.downcast_ref::<reqwest::Error>() {
        return if e.is_timeout() {
            TransportErrorKind::Timeout
        } else if e.is_connect() {
            TransportErrorKind::Connect
        } else if e.is_request() || e.is_body() || e.is_decode() {
            TransportErrorKind::Reset
        } else {
            TransportErrorKind::Other
        };
    }
    if timed_out(e) {
        TransportErrorKind::Timeout
    } else if let Some(legacy) = e.downcast_ref::<hyper_util::client::legacy::Error>() {
        if legacy.is_connect() {
            TransportErrorKind::Connect
        } else {
            TransportErrorKind::Reset
        }
    } else if e.is::<hyper::Error>() {
        TransportErrorKind::Reset
    } else {
        TransportErrorKind::Other
    }
}

/// True when an I/O error in `e`'s source chain timed out (hyper-util's connect timeout).
fn timed_out(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::TimedOut {
                return true;
            }
        }
        cur = err.source();
    }
    false
}

/// True when the request provably never left: the connection it was given
/// closed before the request was written, so the target never saw it.
///
/// Two shapes (hyper 1.12, hyper-util 0.1.21; inside a reqwest 0.12.28 error too): hyper's
/// `is_canceled`, which hyper reports only with the request handed back
/// unwritten (hyper-util resends those itself, uncounted, when the connection
/// was a reused one, so a canceled error that reaches here came on a new one);
/// and a hyper-util error caused by hyper that is no connect error and names no
/// connection (`connect_info` None): the new connection failed its HTTP set-up
/// (closed before it was ready) before any request was handed to it.
pub(crate) fn not_sent(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if err
            .downcast_ref::<hyper::Error>()
            .is_some_and(hyper::Error::is_canceled)
        {
            return true;
        }
        if let Some(legacy) = err.downcast_ref::<hyper_util::client::legacy::Error>() {
            let by_hyper =
                std::error::Error::source(legacy).is_some_and(|s| s.is::<hyper::Error>());
            if by_hyper && !legacy.is_connect() && legacy.connect_info().is_none() {
                return true;
            }
        }
        cur = err.source();
    }
    false
}

/// OS error codes that mean this machine ran out, not the target.
const LOCAL_LIMITS: [i32; 3] = [libc::EMFILE, libc::ENFILE, libc::EADDRNOTAVAIL];

/// True when an I/O error in `e`'s source chain is EMFILE, ENFILE or EADDRNOTAVAIL.
fn local_limit(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if io.raw_os_error().is_some_and(|c| LOCAL_LIMITS.contains(&c)) {
                return true;
            }
        }
        cur = err.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(status: u16, body: &str) -> Outcome {
        classify(status, body.as_bytes()).0
    }

    fn transport(k: TransportErrorKind) -> Outcome {
        Outcome::Transport(k)
    }

    #[test]
    fn envelopes_become_responses() {
        assert_eq!(
            kind(200, r#"{"statusCode":0,"chatEnded":false,"messages":[]}"#),
            Outcome::Response {
                http_status: 200,
                status_code: Some(0),
                chat_ended: Some(false)
            }
        );
        assert_eq!(
            kind(
                400,
                r#"{"statusCode":2,"errors":[{"code":161,"advice":"x"}]}"#
            ),
            Outcome::Response {
                http_status: 400,
                status_code: Some(2),
                chat_ended: None
            }
        );
    }

    #[test]
    fn bad_bodies_are_transport_kinds() {
        use TransportErrorKind::*;
        assert_eq!(kind(200, "<html>oops</html>"), transport(InvalidJson));
        assert_eq!(kind(200, ""), transport(InvalidJson));
        assert_eq!(
            kind(200, r#"{"chatEnded":false}"#),
            transport(MissingStatusCode)
        );
        assert_eq!(kind(200, r#"{"statusCode":"0"}"#), transport(WrongTypes));
        assert_eq!(
            kind(200, r#"{"statusCode":0,"messages":"no"}"#),
            transport(WrongTypes)
        );
        // An out-of-range statusCode is never a success.
        assert_eq!(kind(200, r#"{"statusCode":7}"#), transport(WrongTypes));
        assert_eq!(
            kind(200, r#"{"statusCode":300,"chatEnded":false}"#),
            transport(WrongTypes)
        );
        assert_eq!(
            kind(503, r#"{"statusCode":9}"#),
            Outcome::Response {
                http_status: 503,
                status_code: None,
                chat_ended: None
            }
        );
        assert_eq!(
            kind(502, "<html>Bad gateway</html>"),
            Outcome::Response {
                http_status: 502,
                status_code: None,
                chat_ended: None
            }
        );
    }
}
