//! The one body reader: an answer's body up to a size cap, for `run`'s
//! [`ChatClient`](super::ChatClient) and `conformance`'s prober alike.

use super::budget::{BodyBudget, Held};
use super::transport::Observed;
use crate::metrics::TransportErrorKind;
use http_body_util::BodyExt;
use hyper::body::Bytes;
use std::time::Duration;
use tokio::time::Instant;

/// A body as read: the one chunk it came in, kept as it is (no copy), or the
/// chunks copied into one buffer sized once.
#[derive(Debug)]
pub(crate) enum BodyBytes {
    /// A body that came in one chunk (or none).
    One(Bytes),
    /// A body that came in several chunks.
    Many(Vec<u8>),
}

impl std::ops::Deref for BodyBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            BodyBytes::One(b) => b,
            BodyBytes::Many(v) => v,
        }
    }
}

/// What [`read_body`] gives: the body and the budget it holds (kept as long as
/// the caller keeps it), or why there is none.
pub(crate) type ReadResult<'b> = Result<(BodyBytes, Option<Held<'b>>), TransportErrorKind>;

/// An answer's `body` (hyper's, or reqwest's as an `http::Response` body), at most `max` bytes, and how long it waited for budget.
///
/// A longer body (announced by Content-Length or met while reading) is
/// `BodyTooLarge`; a failure mid-body is classified by `observed` (which keeps
/// TLS reasons). With a budget, the body's bytes are reserved before reading
/// (a declared length whole, an unknown length as `max`, the rest given back at
/// the end), waiting for them until the deadline; budget still short then is
/// `BodyBudget`.
pub(crate) async fn read_body<'b, B>(
    mut body: B,
    max: usize,
    observed: &Observed,
    budget: Option<(&'b BodyBudget, Instant)>,
) -> (ReadResult<'b>, Duration)
where
    B: hyper::body::Body<Data = Bytes> + Unpin,
    B::Error: std::error::Error + 'static,
{
    let length = body.size_hint().exact();
    if length.is_some_and(|n| n > max as u64) {
        return (Err(TransportErrorKind::BodyTooLarge), Duration::ZERO);
    }
    let declared = length.map_or(0, |n| n as usize);
    let start = Instant::now();
    let (mut held, waited) = match budget {
        Some((b, deadline)) => match b.take(length.map_or(max, |_| declared), deadline).await {
            Some((h, waited)) => (Some(h), waited),
            None => return (Err(TransportErrorKind::BodyBudget), start.elapsed()),
        },
        None => (None, Duration::ZERO),
    };
    let mut first: Option<Bytes> = None;
    let mut many: Vec<u8> = Vec::new();
    let result = loop {
        let chunk = match body.frame().await {
            // Trailers are not part of the body.
            Some(Ok(frame)) => match frame.into_data() {
                Ok(data) => Ok(Some(data)),
                Err(_) => continue,
            },
            Some(Err(e)) => Err(e),
            None => Ok(None),
        };
        match chunk {
            Ok(Some(chunk)) => {
                let len = first.as_ref().map_or(0, Bytes::len) + many.len() + chunk.len();
                if len > max {
                    break Err(TransportErrorKind::BodyTooLarge);
                }
                match first.take() {
                    None if many.is_empty() => first = Some(chunk),
                    earlier => {
                        if let Some(earlier) = earlier {
                            many.reserve_exact(declared.max(len));
                            many.extend_from_slice(&earlier);
                        }
                        many.extend_from_slice(&chunk);
                    }
                }
            }
            Ok(None) => {
                let body = match first {
                    Some(one) => BodyBytes::One(one),
                    None if many.is_empty() => BodyBytes::One(Bytes::new()),
                    None => BodyBytes::Many(many),
                };
                if let Some(h) = held.as_mut() {
                    h.shrink_to(body.len());
                }
                break Ok((body, held));
            }
            Err(e) => break Err(observed.classify(&e)),
        }
    };
    (result, waited)
}
