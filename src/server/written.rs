//! Answers counted only when written: the handler attaches a [`Ticket`] (route
//! and outcome) to its response instead of counting it. The ticket is counted
//! as answered when hyper has taken the whole body into its write buffer
//! (before the bytes leave, so a client that has read its answer always finds
//! it counted), and taken back again, to `unwritten`, when the connection ends
//! before a successful flush put those bytes on the socket ([`Flushed`]): the
//! client gone, a write that failed. A body hyper dropped unfinished, or a
//! handler dropped during its delay, counts as `unwritten` at once.
//!
//! "Written" means accepted by the kernel's send buffer: a client that has
//! already closed may still make the first write succeed (its reset arrives
//! after). On HTTP/2 a flush may precede the stream's data when flow control
//! holds it back, so there the count is as close as the connection allows.

use super::stats::{Counters, Outcome, Route};
use super::Inner;
use hyper::body::{Body, Frame, SizeHint};
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The count a response earns once written (a response extension).
#[derive(Debug, Clone, Copy)]
pub(super) struct Ticket {
    /// The request's route.
    pub(super) route: Route,
    /// What the response says.
    pub(super) outcome: Outcome,
}

impl Ticket {
    /// Count it as answered now (the `oneshot` router, which has no socket).
    pub(super) fn answered(self, counters: &Counters) {
        counters.response(self.route, self.outcome);
    }
}

/// One connection's answers counted but maybe still in hyper's buffer; a
/// successful flush settles them, the connection's end takes them back.
pub(super) struct Ledger {
    inner: Arc<Inner>,
    pending: Mutex<Vec<Ticket>>,
}

impl Ledger {
    /// A ledger for one connection.
    pub(super) fn new(inner: Arc<Inner>) -> Arc<Ledger> {
        Arc::new(Ledger {
            inner,
            pending: Mutex::new(Vec::new()),
        })
    }

    fn body_done(&self, ticket: Ticket) {
        ticket.answered(&self.inner.counters);
        if let Ok(mut p) = self.pending.lock() {
            p.push(ticket);
        }
    }

    fn flushed(&self) {
        if let Ok(mut p) = self.pending.lock() {
            p.clear();
        }
    }

    fn unwritten(&self, ticket: Ticket) {
        self.inner.counters.unwritten(ticket.route);
    }
}

impl Drop for Ledger {
    /// The connection is gone: answers never flushed were never written.
    fn drop(&mut self) {
        let pending = self
            .pending
            .get_mut()
            .map(std::mem::take)
            .unwrap_or_default();
        for t in pending {
            self.inner.counters.unanswered(t.route, t.outcome);
        }
    }
}

/// A response body that hands its ticket to the ledger when hyper has taken its
/// last byte, or counts it unwritten when dropped before.
pub(super) struct CountedBody<B> {
    inner: B,
    ticket: Option<Ticket>,
    ledger: Arc<Ledger>,
}

impl<B: Body + Unpin> CountedBody<B> {
    /// Wrap `inner`, which earns `ticket` once written on the ledger's connection.
    pub(super) fn new(inner: B, ticket: Option<Ticket>, ledger: Arc<Ledger>) -> Self {
        let mut body = CountedBody {
            inner,
            ticket,
            ledger,
        };
        // hyper never polls a body that is already at its end.
        if body.inner.is_end_stream() {
            body.done();
        }
        body
    }

    fn done(&mut self) {
        if let Some(t) = self.ticket.take() {
            self.ledger.body_done(t);
        }
    }
}

impl<B: Body + Unpin> Body for CountedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(None) => self.done(),
            Poll::Ready(Some(Ok(_))) if self.inner.is_end_stream() => self.done(),
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl<B> Drop for CountedBody<B> {
    fn drop(&mut self) {
        if let Some(t) = self.ticket.take() {
            self.ledger.unwritten(t);
        }
    }
}

/// The accepted connection's IO: a successful flush settles the ledger.
pub(super) struct Flushed<I> {
    io: I,
    ledger: Arc<Ledger>,
}

impl<I> Flushed<I> {
    /// Wrap a connection's IO.
    pub(super) fn new(io: I, ledger: Arc<Ledger>) -> Self {
        Flushed { io, ledger }
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for Flushed<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Flushed<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let flushed = Pin::new(&mut self.io).poll_flush(cx);
        if let Poll::Ready(Ok(())) = flushed {
            self.ledger.flushed();
        }
        flushed
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Dialect, Operation};
    use crate::server::{ReferenceServer, ServerConfig};
    use axum::body::Body as AxumBody;
    use tokio::io::AsyncWriteExt;

    fn ticket() -> Ticket {
        Ticket {
            route: Route::Chat(Dialect::GmsV2, Operation::Poll),
            outcome: Outcome {
                http_status: 200,
                status_code: Some(0),
                chat_ended: Some(false),
            },
        }
    }

    async fn drain(body: CountedBody<AxumBody>) {
        axum::body::to_bytes(AxumBody::new(body), usize::MAX)
            .await
            .expect("a whole body");
    }

    #[tokio::test]
    async fn an_answer_counts_once_flushed_and_is_taken_back_when_never_flushed() {
        let server = ReferenceServer::new(ServerConfig::default());
        let ledger = Ledger::new(server.inner.clone());
        let (near, _far) = tokio::io::duplex(1024);
        let mut io = Flushed::new(near, ledger.clone());
        let body = |text: &'static str| {
            CountedBody::new(AxumBody::from(text), Some(ticket()), ledger.clone())
        };
        // Taken whole and flushed: answered.
        drain(body("{}")).await;
        io.write_all(b"HTTP/1.1 200 OK\r\n\r\n{}").await.unwrap();
        io.flush().await.unwrap();
        // Taken whole, then the connection ends before a flush: taken back.
        drain(body("{}")).await;
        // An empty body is taken whole at once, and also never flushed.
        drop(body(""));
        // Dropped unfinished: never counted as answered.
        let unfinished = body("{}");
        drop(unfinished);
        let mid = server.stats();
        assert_eq!(mid.responses_matching("gms-v2/poll", None, None, None), 3);
        assert_eq!(mid.unwritten.get("gms-v2/poll"), Some(&1), "{mid:?}");
        drop((io, ledger));
        let end = server.stats();
        assert_eq!(end.responses_matching("gms-v2/poll", None, None, None), 1);
        assert_eq!(end.unwritten.get("gms-v2/poll"), Some(&3), "{end:?}");
    }
}
