//! One probe chat: the identity it holds, adopted from every statusCode 0
//! answer as a real client does, and the check of rule `identity.adopt`: the
//! first request that carries a newly announced identity must work. When it is
//! rejected (statusCode 2 on a chat that is not ended), the failure is recorded
//! and the request is sent again with the identity that worked, so one broken
//! rule does not break every later step.

use super::findings::Findings;
use super::transport::{Answered, Built, Prober};
use crate::engine::client::{Call, Identity};
use crate::protocol::Operation;

/// Rule name of the identity check.
pub(super) const ADOPT: &str = "identity.adopt";

/// A chat of the suite.
pub(super) struct Session<'a> {
    prober: &'a Prober,
    /// The identity in use.
    pub id: Identity,
    /// The identity before the last change, until a request has used the new one.
    changed_from: Option<Identity>,
}

impl<'a> Session<'a> {
    /// Request a chat; the session is usable when the answer gave a complete identity.
    pub(super) async fn open(prober: &'a Prober, nickname: &str) -> (Session<'a>, Answered) {
        let mut s = Session {
            prober,
            id: Identity::default(),
            changed_from: None,
        };
        let customer = crate::engine::customers::Customer::named(nickname);
        let a = prober
            .call(
                &s.id,
                &Call::RequestChat {
                    customer: &customer,
                },
            )
            .await;
        if a.status() == Some(0) {
            if let Some(env) = &a.envelope {
                s.id.adopt(env);
            }
        }
        (s, a)
    }

    /// True when the chat can be addressed.
    pub(super) fn usable(&self) -> bool {
        self.id.complete()
    }

    /// Send `call` with the current identity, check a new identity's first use, adopt.
    pub(super) async fn call(&mut self, f: &mut Findings, call: &Call<'_>) -> Answered {
        let prober = self.prober;
        self.request(f, call.operation(), |id| prober.build(id, call))
            .await
    }

    /// Send the request `build` makes from the current identity (dialect content
    /// type), check a new identity's first use, adopt.
    pub(super) async fn request(
        &mut self,
        f: &mut Findings,
        op: Operation,
        build: impl Fn(&Identity) -> Built,
    ) -> Answered {
        let a = self.send(op, &build).await;
        if let Some(prev) = self.changed_from.take() {
            if a.status() == Some(0) {
                f.pass(ADOPT);
            } else if a.status() == Some(2) && a.ended() != Some(true) {
                let msg = format!(
                    "a request with the identity announced by the previous answer was rejected: {}",
                    a.describe()
                );
                f.fail(ADOPT, msg, &[&a.exchange]);
                self.id = prev;
                let retry = self.send(op, &build).await;
                self.adopt(&retry);
                return retry;
            }
        }
        self.adopt(&a);
        a
    }

    async fn send(&self, op: Operation, build: &impl Fn(&Identity) -> Built) -> Answered {
        let (url, body) = build(&self.id);
        let ct = self.prober.dialect().content_type();
        self.prober.send(op, url, ct, body).await
    }

    fn adopt(&mut self, a: &Answered) {
        let Some(env) = a.envelope.as_ref().filter(|e| e.status_code == 0) else {
            return;
        };
        let mut next = self.id.clone();
        next.adopt(env);
        if next != self.id {
            self.changed_from = Some(std::mem::replace(&mut self.id, next));
        }
    }

    /// End the chat politely (disconnect; the answer is not judged).
    pub(super) async fn close(mut self, f: &mut Findings) {
        if self.usable() {
            self.call(f, &Call::Disconnect).await;
        }
    }
}
