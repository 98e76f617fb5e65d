//! Fixed explanatory text shown next to the figures: the rule each protocol
//! violation breaks, what each transport error kind and gap cause means, and
//! the seed table's reading of each (statusCode, chatEnded) pair.

/// The seed table's comment for statusCode 1 with chatEnded true (quoted verbatim).
pub(super) const SEED_STATUS1_CHAT_ENDED: &str = "This case isn't possible, as the request was unsuccessful and the last successful chatEnded flag is inherited";

/// The rule a violation kind breaks, for the violations table.
pub(super) fn violation_rule(kind: &str) -> &'static str {
    match kind {
        "status1_chat_ended" => "Seed table (Web API Server, Chat Server status codes), statusCode 1 with chatEnded=true: “This case isn't possible, as the request was unsuccessful and the last successful chatEnded flag is inherited.” chatload keeps the last successful chatEnded and goes on.",
        "transcript_hole" => "Transcript indexes must have no holes: a poll from transcriptPosition must return every event with index ≥ position, consecutively. A hole is permanent; chatload moves its position past it (docs/protocol.md in the chatload repository, section Transcript).",
        "transcript_repeat" => "Transcript indexes must never repeat: an event already received at an index must not be delivered again, since transcriptPosition is inclusive and chatload advances it past every event it took (docs/protocol.md in the chatload repository, section Transcript).",
        "missing_field" => "A statusCode 0 answer must carry the chat identity (chatId, alias, userId and the key) and nextPosition; only statusCode 1 and 2 answers may omit them (docs/protocol.md in the chatload repository, section Envelope).",
        "absurd_index" => "A transcript index more than 2^20 ahead of transcriptPosition (e.g. u64::MAX) is no real transcript: chatload ignores the event and keeps its position (docs/protocol.md in the chatload repository, section Transcript).",
        "invalid_identity" => "Identity fields (chatId, userId, the key, alias) longer than 1024 bytes, or that cannot form a request URL, are refused: the violation is counted and the session ends (chatload stores no unbounded server-supplied strings).",
        _ => "A protocol rule of docs/protocol.md in the chatload repository (no explanation is recorded for this kind).",
    }
}

/// What a transport error kind means.
pub(super) fn transport_error(kind: &str) -> &'static str {
    match kind {
        "timeout" => "No complete answer within the request timeout.",
        "connect" => "The TCP connection could not be opened (refused, unreachable).",
        "tls" => "The TLS handshake failed (unknown issuer, expired or mismatched certificate, alert); see the reasons.",
        "reset" => "The connection was closed or reset mid-request.",
        "invalid_json" => "The body was not JSON (e.g. an HTML error page from a proxy).",
        "wrong_types" => "JSON whose fields have the wrong types.",
        "missing_status_code" => "JSON without the statusCode field.",
        "body_too_large" => "The body exceeded the size limit.",
        "local_limit" => "This machine ran out of file descriptors or ports (EMFILE, ENFILE, EADDRNOTAVAIL): a limit of the load generator, not a fault of the target; the generator verdict is overloaded.",
        "body_budget" => "The body did not fit max_buffered_body_bytes (all bodies buffered at once): a limit of the load generator, not a fault of the target; the generator verdict is overloaded.",
        "abandoned" => "Still in flight when the drain timeout ended the run: the target may have seen it, no answer was waited for.",
        "http_status" => {
            "A non-2xx HTTP status (other than a 400 carrying statusCode 2 and errors)."
        }
        _ => "Another transport failure.",
    }
}

/// What a gap cause means.
pub(super) fn gap_cause(cause: &str) -> &'static str {
    match cause {
        "generator_lag" => "chatload itself sent the poll late (scheduler lag): a generator problem, not the server's.",
        "slow_response" => "The previous poll's answer came late, delaying the next poll.",
        "retries" => "Retries after statusCode 1 or transport errors used up the time.",
        "cadence" => "The configured poll interval cannot fit inside the timeout.",
        _ => "",
    }
}

/// The seed table's reading of a statusCode / chatEnded pair.
pub(super) fn outcome_meaning(status_code: Option<u8>, chat_ended: Option<bool>) -> &'static str {
    match (status_code, chat_ended) {
        (Some(0), Some(false)) => "Everything is fine.",
        (Some(0), Some(true)) => "The chat has ended; terminate the session.",
        (Some(1), Some(true)) => "Impossible per the seed table: a protocol violation.",
        (Some(1), _) => "The request was unsuccessful; retry.",
        (Some(2), _) => "Unrecoverable error; terminate the session.",
        (Some(0), None) => "Success without chatEnded.",
        (None, _) => "No chat envelope (transport error or non-JSON answer).",
        _ => "Unknown statusCode.",
    }
}

/// The three views of flex-disconnect-timeout, one sentence each: (metric, meaning).
pub(super) const TIMEOUT_VIEWS: [(&str, &str); 3] = [
    ("flagged", "A poll gap passed the timeout: the seed's rule for GetMessages, with its cause; the chat may still be alive if other requests reached the server meanwhile."),
    ("idle_over_flex", "No request of any kind reached the server for longer than the timeout: Chat Server's rule, so the chat would have been dropped."),
    ("expired", "The server did drop the chat: it answered statusCode 2 with chatEnded true (249) after such a silence."),
];
