//! What a drain cut short leaves behind: guards that, when a session task is
//! dropped mid-flight (the runner aborts it at the drain timeout), record its
//! in-flight request as `abandoned` (the server may well have seen it: it is
//! counted, not lost) and push the session's sessions.csv row (end `abandoned`).

use super::{SessionCtx, Shared};
use crate::metrics::{
    EndReason, Outcome, ProfileIx, RequestRecord, SessionEnd, TransportErrorKind,
};
use crate::protocol::Operation;
use std::sync::atomic::Ordering;
use tokio::time::Instant;

/// Armed while one request is in flight; dropping it armed records the request as abandoned.
pub(super) struct InFlight<'a> {
    ctx: &'a SessionCtx,
    profile: ProfileIx,
    operation: Operation,
    intended: Instant,
    sent: Instant,
    armed: bool,
}

impl<'a> InFlight<'a> {
    /// Arm for a request of `operation` scheduled at `intended`, leaving now.
    pub(super) fn new(
        ctx: &'a SessionCtx,
        profile: ProfileIx,
        operation: Operation,
        intended: Instant,
    ) -> Self {
        InFlight {
            ctx,
            profile,
            operation,
            intended,
            sent: Instant::now(),
            armed: true,
        }
    }

    /// The answer arrived (the caller records it).
    pub(super) fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.ctx.metrics.record_request(&RequestRecord {
                operation: self.operation,
                intended: self.intended.into_std(),
                sent: self.sent.into_std(),
                done: Instant::now().into_std(),
                outcome: Outcome::Transport(TransportErrorKind::Abandoned),
                profile: self.profile,
            });
        }
    }
}

/// Armed for the whole session; dropping it armed pushes an `abandoned` row.
pub(super) struct RowGuard<'a> {
    ctx: &'a SessionCtx,
    sh: &'a Shared,
    ordinal: u64,
    armed: bool,
}

impl<'a> RowGuard<'a> {
    /// Arm for session `ordinal`.
    pub(super) fn new(ctx: &'a SessionCtx, sh: &'a Shared, ordinal: u64) -> Self {
        RowGuard {
            ctx,
            sh,
            ordinal,
            armed: true,
        }
    }

    /// The session pushed its own row.
    pub(super) fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for RowGuard<'_> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        // Metrics already holds the gaps it measured; the row needs polls and the end.
        // Cut off by the drain: its disconnect (if any) was not answered.
        let chat_id = self.sh.chat_id();
        self.ctx.metrics.session_ended(SessionEnd {
            ordinal: self.ordinal,
            established: !chat_id.is_empty(),
            chat_id,
            polls: self.sh.polls.load(Ordering::Relaxed),
            end: EndReason::Abandoned,
            disconnected: false,
            expired: false,
            service: self.sh.service().figures(),
            profile: self
                .ctx
                .profiles
                .get(self.sh.profile)
                .map(|p| p.name.clone()),
        });
    }
}
