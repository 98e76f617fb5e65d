//! The one body reader: an answer's body up to a size cap, for `run`'s
//! [`ChatClient`](super::ChatClient) and `conformance`'s prober alike.

use super::transport::Observed;
use crate::metrics::TransportErrorKind;

/// The body of `resp`, at most `max` bytes. A longer body (announced by
/// Content-Length or met while reading) is `BodyTooLarge`; a failure mid-body
/// is classified by `observed` (which keeps TLS reasons).
pub async fn read_body(
    mut resp: reqwest::Response,
    max: usize,
    observed: &Observed,
) -> Result<Vec<u8>, TransportErrorKind> {
    if resp.content_length().is_some_and(|n| n > max as u64) {
        return Err(TransportErrorKind::BodyTooLarge);
    }
    let mut body = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > max {
                    return Err(TransportErrorKind::BodyTooLarge);
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(e) => return Err(observed.classify(&e)),
        }
    }
}
