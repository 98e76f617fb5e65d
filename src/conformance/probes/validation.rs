//! Requests a server must refuse: Request Chat without a name, webapi Request
//! Chat without `tenantName`, and a poll on a chat id that does not exist.
//! A server that accepts a nameless request gets its accidental chat closed.

use super::super::findings::Findings;
use super::super::transport::{Answered, Prober};
use super::requests;
use crate::engine::client::{Call, Identity};
use crate::protocol::{codes, Dialect, Operation};

const NAME: &str = "request.name-required";
const TENANT: &str = "request.tenant-required";
const UNKNOWN: &str = "end.unknown-chat";

/// A chat id of the usual shape that no server issued (not hexadecimal).
pub(super) const UNKNOWN_CHAT_ID: &str = "0000UNKNOWNCHAT0";

/// Run the probe.
pub(super) async fn run(p: &Prober, f: &mut Findings) {
    let t = p.target().clone();
    let (url, body) = requests::nameless(&t);
    let a = p.send(Operation::RequestChat, url, ct(p), body).await;
    refused(
        p,
        f,
        NAME,
        &a,
        codes::NAME_MISSING,
        "Request Chat without a name",
    )
    .await;
    if p.dialect() == Dialect::WebApi {
        let (url, body) = requests::tenantless(&t);
        let a = p.send(Operation::RequestChat, url, ct(p), body).await;
        refused(
            p,
            f,
            TENANT,
            &a,
            codes::CANNOT_START,
            "Request Chat without tenantName",
        )
        .await;
    }
    let unknown = Identity::new(
        UNKNOWN_CHAT_ID,
        "0000000000000000",
        "not-a-secure-key",
        "117",
    );
    let a = p
        .call(
            &unknown,
            &Call::Poll {
                position: 1,
                draft: "",
            },
        )
        .await;
    let msg = || {
        format!(
            "a poll on chat id {UNKNOWN_CHAT_ID} answered {}",
            a.describe()
        )
    };
    f.check(UNKNOWN, a.status() == Some(2), msg, &[&a.exchange]);
}

fn ct(p: &Prober) -> &'static str {
    p.dialect().content_type()
}

/// `a` must be HTTP 400 with an `errors` list holding `code`.
async fn refused(
    p: &Prober,
    f: &mut Findings,
    rule: &'static str,
    a: &Answered,
    code: u32,
    what: &str,
) {
    let codes = a.error_codes();
    let ok = a.http() == Some(400) && codes.as_ref().is_some_and(|c| c.contains(&code));
    let msg = || match (a.http(), &codes) {
        (Some(400), None) => format!("{what} answered HTTP 400 without an errors list"),
        (Some(400), Some(c)) => format!("{what} answered HTTP 400 with errors {c:?}, not {code}"),
        _ => format!(
            "{what} answered {}; expected HTTP 400 with error {code}",
            a.describe()
        ),
    };
    f.check(rule, ok, msg, &[&a.exchange]);
    if a.status() == Some(0) {
        close_accidental(p, a).await;
    }
}

/// Disconnect a chat the server should not have created.
async fn close_accidental(p: &Prober, a: &Answered) {
    let mut id = Identity::default();
    if let Some(env) = &a.envelope {
        id.adopt(env);
    }
    if id.complete() {
        let _ = p.call(&id, &Call::Disconnect).await;
    }
}
