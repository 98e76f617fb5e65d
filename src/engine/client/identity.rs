//! The identity a session adopts from every successful answer (chatId, userId,
//! secureKey, alias), kept in one heap allocation: the four fields back to back in one
//! `Box<str>` with the ends of the first three (issue 15: four `String`s cost 96 bytes
//! in the session task plus four allocations; this is 24 bytes plus one).

use crate::metrics::MAX_SERVER_STRING;
use crate::protocol::Envelope;

/// chatId, userId, secureKey and alias of one chat. Each field is at most
/// [`MAX_SERVER_STRING`] bytes ([`Identity::fits`]), so their ends fit a `u16`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// The four fields, concatenated.
    text: Box<str>,
    /// Where chatId, userId and secureKey end in `text` (alias runs to its end).
    ends: [u16; 3],
}

const _: () = assert!(4 * MAX_SERVER_STRING <= u16::MAX as usize);

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("chat_id", &self.chat_id())
            .field("user_id", &self.user_id())
            .field("secure_key", &"<hidden>")
            .field("alias", &self.alias())
            .finish()
    }
}

impl Identity {
    /// An identity of these four fields (each at most [`MAX_SERVER_STRING`] bytes;
    /// a longer one is cut at a character boundary).
    pub fn new(chat_id: &str, user_id: &str, secure_key: &str, alias: &str) -> Identity {
        let fields = [chat_id, user_id, secure_key, alias]
            .map(|f| crate::util::prefix(f, MAX_SERVER_STRING));
        let mut text = String::with_capacity(fields.iter().map(|f| f.len()).sum());
        let mut ends = [0u16; 3];
        for (i, f) in fields.iter().enumerate() {
            text.push_str(f);
            if let Some(end) = ends.get_mut(i) {
                // At most 3 * MAX_SERVER_STRING: fits (checked above).
                *end = text.len() as u16;
            }
        }
        Identity {
            text: text.into_boxed_str(),
            ends,
        }
    }

    /// Field `i` (0 chatId, 1 userId, 2 secureKey, 3 alias).
    fn field(&self, i: usize) -> &str {
        let start = i.checked_sub(1).map_or(0, |p| usize::from(self.ends[p]));
        let end = self
            .ends
            .get(i)
            .map_or(self.text.len(), |&e| usize::from(e));
        &self.text[start..end]
    }

    /// Chat id.
    pub fn chat_id(&self) -> &str {
        self.field(0)
    }

    /// User id.
    pub fn user_id(&self) -> &str {
        self.field(1)
    }

    /// Per-chat secret (never logged: `Debug` hides it).
    pub fn secure_key(&self) -> &str {
        self.field(2)
    }

    /// Chat Server alias (may rotate).
    pub fn alias(&self) -> &str {
        self.field(3)
    }

    /// This identity with its secureKey replaced.
    pub fn with_secure_key(&self, secure_key: &str) -> Identity {
        Identity::new(self.chat_id(), self.user_id(), secure_key, self.alias())
    }

    /// Adopt every identity field present (and not empty) in a statusCode 0 answer; the
    /// identity is rebuilt only when a field changes (once per chat, then on an alias
    /// rotation). Call after [`Identity::fits`]: a field that does not fit is cut.
    pub fn adopt(&mut self, env: &Envelope) {
        let new = [&env.chat_id, &env.user_id, &env.secure_key, &env.alias];
        let pick = |i: usize| match new[i] {
            Some(v) if !v.is_empty() => v.as_str(),
            _ => self.field(i),
        };
        let fields = [pick(0), pick(1), pick(2), pick(3)];
        if (0..4).any(|i| fields[i] != self.field(i)) {
            *self = Identity::new(fields[0], fields[1], fields[2], fields[3]);
        }
    }

    /// True when every identity field `env` carries is short enough to store and to
    /// address a chat with (at most [`MAX_SERVER_STRING`] bytes each): a server that
    /// sends a 900 KB chatId must not grow memory or make requests unbuildable.
    pub fn fits(env: &Envelope) -> bool {
        [&env.chat_id, &env.user_id, &env.secure_key, &env.alias]
            .into_iter()
            .flatten()
            .all(|v| v.len() <= MAX_SERVER_STRING)
    }

    /// True when a chat can be addressed (request_chat gave all four fields).
    pub fn complete(&self) -> bool {
        (0..4).all(|i| !self.field(i).is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_adopts_present_fields_and_hides_the_key() {
        let mut id = Identity::new("c", "u", "s3cr3t", "a1");
        let env = Envelope {
            alias: Some("a2".into()),
            secure_key: None,
            user_id: Some(String::new()),
            ..Envelope::default()
        };
        id.adopt(&env);
        assert_eq!(
            [id.chat_id(), id.user_id(), id.secure_key(), id.alias()],
            ["c", "u", "s3cr3t", "a2"]
        );
        assert!(!format!("{id:?}").contains("s3cr3t"));
        assert!(id.complete());
        assert!(!Identity::default().complete());
        assert!(!Identity::new("c", "", "k", "a").complete());
    }

    #[test]
    fn every_field_keeps_its_own_bytes_up_to_the_limit() {
        let long = "é".repeat(MAX_SERVER_STRING);
        let id = Identity::new(&long, "ü", "", &long);
        assert_eq!(id.chat_id().len(), MAX_SERVER_STRING);
        assert_eq!(id.user_id(), "ü");
        assert_eq!(id.secure_key(), "");
        assert_eq!(id.alias().len(), MAX_SERVER_STRING);
        assert_eq!(std::mem::size_of::<Identity>(), 24);
    }
}
