//! The rule catalogue: every rule `chatload conformance` checks, with its stable
//! id, its one-line statement and the passage it comes from.
//!
//! A rule's full id is `{dialect}.{name}` (`gms.transcript.no-holes`,
//! `webapi.end.disconnect`); `name` is also the reference server's
//! `--misbehave` switch that breaks it, so each rule has a mutation test.
//! Ids are stable: reports, JUnit and `--only` use them.

use crate::protocol::Dialect;

/// One rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleDef {
    /// Dialect-free name, `area.rule`.
    pub name: &'static str,
    /// What a conforming server does, in one line.
    pub statement: &'static str,
    /// Where the rule comes from (a docs/protocol.md heading, or the seed table).
    pub source: &'static str,
    /// Only the webapi dialect has it.
    pub webapi_only: bool,
}

const fn rule(name: &'static str, statement: &'static str, source: &'static str) -> RuleDef {
    RuleDef {
        name,
        statement,
        source,
        webapi_only: false,
    }
}

const P1_ENVELOPE: &str = "docs/protocol.md, Envelope";
const P1_TRANSCRIPT: &str = "docs/protocol.md, Transcript";
const P1_END: &str = "docs/protocol.md, statusCode × chatEnded";
const P1_FLEX: &str = "docs/protocol.md, flex-disconnect-timeout";

/// Every rule, in report order.
pub(super) const RULES: [RuleDef; 20] = [
    rule(
        "request.accepts",
        "Request Chat answers HTTP 200, statusCode 0, chatEnded false, with chatId, userId, secureKey, alias and nextPosition",
        P1_ENVELOPE,
    ),
    rule(
        "request.name-required",
        "Request Chat without a name is HTTP 400 with an errors list holding code 161",
        "docs/protocol.md, Envelope (validation errors)",
    ),
    RuleDef {
        name: "request.tenant-required",
        statement: "Request Chat without tenantName is HTTP 400 with an errors list holding code 240",
        source: "docs/protocol.md, Envelope (validation errors; webapi tenantName)",
        webapi_only: true,
    },
    rule(
        "request.content-type",
        "A request with a wrong content type (text/plain) is answered with an HTTP 4xx",
        "docs/protocol.md, Dialects",
    ),
    rule(
        "transcript.joined-first",
        "A poll from position 1 starts with the customer's ParticipantJoined (party type Client)",
        "docs/protocol.md, Transcript",
    ),
    rule(
        "transcript.no-holes",
        "Transcript indexes run 1, 2, 3, ... without a missing index",
        P1_TRANSCRIPT,
    ),
    rule(
        "transcript.no-repeats",
        "Transcript indexes strictly increase: no index is given twice",
        P1_TRANSCRIPT,
    ),
    rule(
        "transcript.position-inclusive",
        "A poll with transcriptPosition k returns the events with index >= k, starting at k",
        P1_TRANSCRIPT,
    ),
    rule(
        "transcript.next-position",
        "Every poll answer carries nextPosition = last index + 1",
        P1_TRANSCRIPT,
    ),
    rule(
        "transcript.message-echo",
        "A sent message appears once in a later poll, with the customer's party type (Client) and its text",
        P1_TRANSCRIPT,
    ),
    rule(
        "typing.accepted",
        "startTyping and stopTyping answer 0 / false and appear as indexed TypingStarted / TypingStopped events",
        P1_TRANSCRIPT,
    ),
    rule(
        "nickname.accepted",
        "updateNickname answers 0 / false and appears as an indexed NicknameUpdated event with the new name",
        P1_TRANSCRIPT,
    ),
    rule(
        "end.disconnect",
        "disconnect (webapi: Complete) answers statusCode 0 with chatEnded true",
        P1_END,
    ),
    rule(
        "end.after-disconnect",
        "Every call after disconnect answers statusCode 2 / chatEnded true (error 249 on gms-v2)",
        P1_END,
    ),
    rule(
        "end.unknown-chat",
        "A poll on an unknown chat id answers statusCode 2",
        P1_ENVELOPE,
    ),
    rule(
        "identity.wrong-key",
        "A request with a wrong secureKey is rejected and neither ends nor alters the chat",
        P1_ENVELOPE,
    ),
    rule(
        "identity.adopt",
        "When an answer carries a new alias, userId or secureKey, requests with the new identity work",
        "docs/protocol.md, Identity",
    ),
    rule(
        "status.no-1-ended",
        "No answer is statusCode 1 with chatEnded true (over every answer of the suite)",
        "seed table (seeds/): 1 / true \"isn't possible\"",
    ),
    rule(
        "flex.timeout",
        "Idle chats expire at the flex-disconnect-timeout the operator assumes (else Genesys's default 45 s)",
        P1_FLEX,
    ),
    rule(
        "flex.expired-answer",
        "A chat idle beyond the timeout answers statusCode 2 / chatEnded true (error 249 on gms-v2)",
        P1_FLEX,
    ),
];

/// The id prefix of a dialect (`gms` or `webapi`).
pub(super) fn prefix(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::GmsV2 => "gms",
        Dialect::WebApi => "webapi",
    }
}

/// The full id of rule `name` in `dialect`.
pub(super) fn id(dialect: Dialect, name: &str) -> String {
    format!("{}.{name}", prefix(dialect))
}

/// The rules that apply to `dialect`, in report order.
pub(super) fn catalogue(dialect: Dialect) -> impl Iterator<Item = &'static RuleDef> {
    RULES
        .iter()
        .filter(move |r| dialect == Dialect::WebApi || !r.webapi_only)
}

/// Resolve an `--only` value (full id or dialect-free name) to a rule name.
pub(super) fn resolve(dialect: Dialect, given: &str) -> Result<&'static str, String> {
    let short = given
        .strip_prefix(prefix(dialect))
        .and_then(|s| s.strip_prefix('.'))
        .unwrap_or(given);
    catalogue(dialect)
        .find(|r| r.name == short)
        .map(|r| r.name)
        .ok_or_else(|| {
            let ids: Vec<String> = catalogue(dialect).map(|r| id(dialect, r.name)).collect();
            format!(
                "--only: no rule '{given}' for dialect {dialect}; expected one of {}",
                ids.join(", ")
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::Misbehave;

    #[test]
    fn every_rule_has_a_misbehave_switch_and_back() {
        let names: Vec<&str> = RULES.iter().map(|r| r.name).collect();
        let switches: Vec<&str> = Misbehave::ALL.iter().map(|m| m.as_str()).collect();
        assert_eq!(names, switches);
    }

    #[test]
    fn ids_resolve_with_or_without_dialect() {
        assert_eq!(
            resolve(Dialect::GmsV2, "gms.transcript.no-holes"),
            Ok("transcript.no-holes")
        );
        assert_eq!(
            resolve(Dialect::WebApi, "end.disconnect"),
            Ok("end.disconnect")
        );
        let e = resolve(Dialect::GmsV2, "request.tenant-required").unwrap_err();
        assert!(e.contains("gms.request.accepts"), "{e}");
        assert_eq!(id(Dialect::WebApi, "flex.timeout"), "webapi.flex.timeout");
    }
}
