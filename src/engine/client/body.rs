//! The one body reader: an answer's body up to a size cap, for `run`'s
//! [`ChatClient`](super::ChatClient) and `conformance`'s prober alike.

use super::budget::{BodyBudget, Held};
use super::transport::Observed;
use crate::metrics::TransportErrorKind;

/// The body of `resp`, at most `max` bytes. A longer body (announced by
/// Content-Length or met while reading) is `BodyTooLarge`; a failure mid-body
/// is classified by `observed` (which keeps TLS reasons). With a `budget`, the
/// bytes buffered are also held from it: a declared length is reserved whole (and
/// the buffer sized once), a chunked body chunk by chunk; no budget left is
/// `BodyBudget` at once, never waited for (waiting while holding part of it could
/// deadlock every reader). The reservation is returned with the body and lasts as
/// long as the caller keeps it.
pub(crate) async fn read_body<'b>(
    mut resp: reqwest::Response,
    max: usize,
    observed: &Observed,
    budget: Option<&'b BodyBudget>,
) -> Result<(Vec<u8>, Option<Held<'b>>), TransportErrorKind> {
    let length = resp.content_length();
    if length.is_some_and(|n| n > max as u64) {
        return Err(TransportErrorKind::BodyTooLarge);
    }
    let declared = length.map_or(0, |n| n as usize);
    let mut held = match budget {
        Some(b) => Some(b.take(declared).ok_or(TransportErrorKind::BodyBudget)?),
        None => None,
    };
    let mut body = Vec::with_capacity(declared);
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                let len = body.len() + chunk.len();
                if len > max {
                    return Err(TransportErrorKind::BodyTooLarge);
                }
                if let Some(h) = held.as_mut() {
                    if !h.grow(len.saturating_sub(h.bytes())) {
                        return Err(TransportErrorKind::BodyBudget);
                    }
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok((body, held)),
            Err(e) => return Err(observed.classify(&e)),
        }
    }
}
