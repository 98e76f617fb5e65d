//! `[customer]` and each `[[customers]]` profile: one list of customer fields
//! (written once, in [`customer_fields!`]) makes both tables, so a profile takes
//! any `[customer]` field, and a profile laid over `[customer]` is one merge.

use super::{CustomerDataSection, JitterSection, SpannedDuration};
use serde::Deserialize;
use toml::Spanned;

/// Both tables from one field list (every field optional and spanned).
macro_rules! customer_fields {
    ($($(#[$doc:meta])* $field:ident: $ty:ty,)*) => {
        /// `[customer]`.
        #[derive(Debug, Default, Clone, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct CustomerSection {
            $($(#[$doc])* pub $field: Option<$ty>,)*
        }

        /// One `[[customers]]` profile: a name, a weight and any `[customer]` field.
        #[derive(Debug, Clone, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct ProfileSection {
            /// The profile's name (in sessions.csv's `profile` column).
            pub name: Spanned<String>,
            /// Its share of the sessions, relative to the other profiles' (default 1).
            pub weight: Option<Spanned<f64>>,
            $($(#[$doc])* pub $field: Option<$ty>,)*
        }

        impl ProfileSection {
            /// `[customer]` with this profile's fields laid over it.
            pub fn over(&self, base: &CustomerSection) -> CustomerSection {
                CustomerSection {
                    $($field: self.$field.clone().or_else(|| base.$field.clone()),)*
                }
            }
        }
    };
}

customer_fields! {
    /// Poll (refresh / GetMessages) interval.
    poll_interval: SpannedDuration,
    /// Jitter of every poll interval.
    jitter: JitterSection,
    /// Customer nickname.
    nickname: Spanned<String>,
    /// Messages to send.
    messages: Spanned<u64>,
    /// Text of each message.
    message_text: Spanned<String>,
    /// Think time before each message (from the chat start or the previous message).
    think_time: SpannedDuration,
    /// Spread of the think time.
    think_jitter: JitterSection,
    /// Send typing notifications.
    typing: Spanned<bool>,
    /// Time spent typing before a message is sent.
    typing_time: SpannedDuration,
    /// Idle time between the last keystroke and the send (> 2 s sends stopTyping).
    send_pause: SpannedDuration,
    /// `after-messages`, `after-duration` or `wait-for-agent`.
    end: Spanned<String>,
    /// after-messages: wait this long after the last message before disconnecting.
    linger: SpannedDuration,
    /// after-duration: disconnect this long after the chat started (a duration or a
    /// distribution table, sampled per session).
    session_duration: Spanned<crate::util::distribution::DurationDist>,
    /// Reaction to statusCode 1 with chatEnded true: `record` (default) or `end-like-widget`.
    on_status1_chat_ended: Spanned<String>,
    /// How long the customer waits for an agent to join before leaving (a duration or a
    /// distribution; absent: for ever).
    patience: Spanned<crate::util::distribution::DurationDist>,
    /// Customer profiles from a file (`[customer.data]`).
    data: CustomerDataSection,
}
