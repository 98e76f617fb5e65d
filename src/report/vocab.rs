//! The report's closed vocabularies, one enum each, with their wire names.
//!
//! Metrics records with these, the report model carries them, the gates compare
//! them: no layer matches on text. The serde names are the names in
//! `summary.json` and the CSV files (pinned by `schema/summary.schema.json`);
//! `as_str` gives the same name for map keys and display.

use serde::{Deserialize, Serialize};

/// Names one closed set: every member in report order and its wire name.
macro_rules! vocabulary {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident => $s:literal,)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $s)] $v,)+
        }

        impl $name {
            /// Every member, in report order (index = `member as usize`).
            pub const ALL: [$name; [$($s),+].len()] = [$($name::$v),+];

            /// The wire name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$v => $s,)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary! {
    /// Transport failure kinds (the keys of `transport_errors` in summary.json).
    TransportErrorKind {
        /// The request timed out.
        Timeout => "timeout",
        /// Connection refused or could not be established.
        Connect => "connect",
        /// Connection reset / closed mid-response.
        Reset => "reset",
        /// Body is not JSON (e.g. an HTML 502 page).
        InvalidJson => "invalid_json",
        /// JSON with wrong field types.
        WrongTypes => "wrong_types",
        /// JSON without `statusCode`.
        MissingStatusCode => "missing_status_code",
        /// Body larger than the configured limit.
        BodyTooLarge => "body_too_large",
        /// Non-2xx HTTP status other than 400-with-errors.
        HttpStatus => "http_status",
        /// Anything else.
        Other => "other",
        /// The TLS handshake failed (unknown issuer, expired, name mismatch, alert...).
        Tls => "tls",
        /// Still in flight when the drain timeout cut the run off (generator-side:
        /// the target may have seen it; counted so client and server totals agree).
        Abandoned => "abandoned",
        /// A local resource ran out (EMFILE, ENFILE, EADDRNOTAVAIL): the generator's
        /// fault, never the target's; makes the generator verdict `overloaded`.
        LocalLimit => "local_limit",
        /// The body could not be buffered within `max_buffered_body_bytes` (all
        /// bodies in flight at once): a limit of the generator, never the target's
        /// fault; makes the generator verdict `overloaded`.
        BodyBudget => "body_budget",
    }
}

vocabulary! {
    /// Why a poll gap grew too large (the keys of `flagged_by_cause`, the `cause` column).
    GapCause {
        /// The generator sent the poll late (scheduler lag).
        GeneratorLag => "generator_lag",
        /// The previous response was slow.
        SlowResponse => "slow_response",
        /// Retries (statusCode 1 / transport errors) intervened.
        Retries => "retries",
        /// The configured cadence itself cannot fit.
        Cadence => "cadence",
    }
}

vocabulary! {
    /// Protocol violations of the server (the keys of `violations`).
    ViolationKind {
        /// statusCode 1 with chatEnded true (impossible per the seed table).
        Status1ChatEnded => "status1_chat_ended",
        /// A transcript index was skipped.
        TranscriptHole => "transcript_hole",
        /// A transcript index was delivered twice.
        TranscriptRepeat => "transcript_repeat",
        /// A statusCode 0 answer without the identity triple / nextPosition it must carry.
        MissingField => "missing_field",
        /// A transcript index absurdly far ahead of the position (ignored, position kept).
        AbsurdIndex => "absurd_index",
        /// A server-supplied identity field too long to store or to build a request
        /// from (over 1024 bytes): the session ends.
        InvalidIdentity => "invalid_identity",
    }
}

vocabulary! {
    /// How one session ended (the `end_reason` column of sessions.csv).
    EndReason {
        /// The customer script finished (or the slot was ramped down): disconnected.
        ClientDisconnect => "client_disconnect",
        /// The run's duration was over: disconnected.
        RunEnded => "run_ended",
        /// Ctrl-C / abort: disconnected.
        Interrupted => "interrupted",
        /// statusCode 0 with chatEnded true on a customer call.
        AgentEnded => "agent_ended",
        /// statusCode 2 after a gap above flex-disconnect-timeout (249).
        Expired => "expired",
        /// statusCode 2.
        ServerFatal => "server_fatal",
        /// Too many consecutive failures.
        RetriesExhausted => "retries_exhausted",
        /// request_chat never succeeded.
        RequestFailed => "request_failed",
        /// The server sent an identity too long to keep (`invalid_identity`).
        InvalidIdentity => "invalid_identity",
        /// The drain timeout cut the session off (its in-flight request is `abandoned`).
        Abandoned => "abandoned",
        /// No agent joined within the customer's patience: disconnected (counted in
        /// `service_level.abandoned`).
        LostPatience => "lost_patience",
        /// statusCode 1 with chatEnded true under `on_status1_chat_ended = "end-like-widget"`:
        /// the customer's side ended the chat, without a disconnect (as Genesys Widgets 8.5 do).
        WidgetEnded => "widget_ended",
    }
}

impl EndReason {
    /// Counted in `sessions.ended_by_client`.
    pub fn by_client(self) -> bool {
        self == EndReason::ClientDisconnect
    }

    /// Counted in `sessions.ended_by_server`.
    pub fn by_server(self) -> bool {
        matches!(
            self,
            EndReason::AgentEnded | EndReason::ServerFatal | EndReason::Expired
        )
    }

    /// Counted in `sessions.failed`.
    pub fn failed(self) -> bool {
        matches!(
            self,
            EndReason::RequestFailed
                | EndReason::RetriesExhausted
                | EndReason::ServerFatal
                | EndReason::Expired
                | EndReason::InvalidIdentity
                | EndReason::WidgetEnded
        )
    }

    /// Counted in `sessions.completed`.
    pub fn completed(self) -> bool {
        matches!(
            self,
            EndReason::ClientDisconnect | EndReason::AgentEnded | EndReason::RunEnded
        )
    }
}

impl Default for EndReason {
    /// A session that never got its chat (the state before anything happened).
    fn default() -> Self {
        EndReason::RequestFailed
    }
}

vocabulary! {
    /// How a run ended (`run.end`). `Unknown` (an empty string) only in a default or
    /// hand-made summary; a run always states its end.
    RunEnd {
        /// Not stated.
        Unknown => "",
        /// The plan ran to its end.
        Completed => "completed",
        /// Ctrl-C / SIGTERM.
        Interrupted => "interrupted",
        /// A threshold with abort-on-fail stopped the run.
        Aborted => "aborted",
        /// The process died mid-run (kill -9, OOM, lost machine); `chatload report`
        /// rebuilt the summary from the streamed files, up to the last interval written.
        Incomplete => "incomplete",
    }
}

#[allow(clippy::derivable_impls)] // the macro derives the rest
impl Default for RunEnd {
    fn default() -> Self {
        RunEnd::Unknown
    }
}

vocabulary! {
    /// The load generator's self-check (`generator.verdict`). `Unknown` (an empty string)
    /// only in a default or hand-made summary: the gates read it as "no data".
    GeneratorVerdict {
        /// Not recorded.
        Unknown => "",
        /// The generator kept its schedule.
        Ok => "ok",
        /// The generator was the bottleneck: the run's figures are untrusted.
        Overloaded => "overloaded",
    }
}

#[allow(clippy::derivable_impls)] // the macro derives the rest
impl Default for GeneratorVerdict {
    fn default() -> Self {
        GeneratorVerdict::Unknown
    }
}

/// serde for an optional gap cause written as its name or an empty string (the `cause`
/// column and field: empty when the session had no flagged or near-miss gap).
pub mod cause_or_empty {
    use super::GapCause;
    use serde::{Deserialize, Deserializer, Serializer};

    /// `None` as `""`.
    pub fn serialize<S: Serializer>(c: &Option<GapCause>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(c.map_or("", GapCause::as_str))
    }

    /// `""` as `None`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<GapCause>, D::Error> {
        let name = String::deserialize(d)?;
        if name.is_empty() {
            return Ok(None);
        }
        GapCause::ALL
            .into_iter()
            .find(|c| c.as_str() == name)
            .map(Some)
            .ok_or_else(|| {
                serde::de::Error::unknown_variant(
                    &name,
                    &["generator_lag", "slow_response", "retries", "cadence", ""],
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire<T: Serialize>(v: T) -> String {
        serde_json::to_value(v)
            .unwrap()
            .as_str()
            .unwrap()
            .to_string()
    }

    #[test]
    fn serde_names_are_the_wire_names_and_round_trip() {
        macro_rules! check {
            ($t:ty) => {
                for (i, v) in <$t>::ALL.into_iter().enumerate() {
                    assert_eq!(v as usize, i);
                    assert_eq!(wire(v), v.as_str());
                    let back: $t = serde_json::from_value(v.as_str().into()).unwrap();
                    assert_eq!(back, v);
                }
            };
        }
        check!(TransportErrorKind);
        check!(GapCause);
        check!(ViolationKind);
        check!(EndReason);
        check!(RunEnd);
        check!(GeneratorVerdict);
        assert_eq!(wire(ViolationKind::Status1ChatEnded), "status1_chat_ended");
        assert!(serde_json::from_value::<GeneratorVerdict>("fine".into()).is_err());
    }

    #[test]
    fn end_reasons_count_in_the_documented_session_figures() {
        let names = |f: fn(EndReason) -> bool| {
            let v: Vec<_> = EndReason::ALL
                .into_iter()
                .filter(|r| f(*r))
                .map(EndReason::as_str)
                .collect();
            v.join(",")
        };
        assert_eq!(names(EndReason::by_client), "client_disconnect");
        assert_eq!(
            names(EndReason::by_server),
            "agent_ended,expired,server_fatal"
        );
        assert_eq!(
            names(EndReason::failed),
            "expired,server_fatal,retries_exhausted,request_failed,invalid_identity,widget_ended"
        );
        assert_eq!(
            names(EndReason::completed),
            "client_disconnect,run_ended,agent_ended"
        );
        assert!(!EndReason::Interrupted.completed() && !EndReason::Interrupted.failed());
        // A customer who lost patience chose to leave: neither completed nor failed.
        assert!(!EndReason::LostPatience.completed() && !EndReason::LostPatience.failed());
    }
}
