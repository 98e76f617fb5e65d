//! gms-v2 request building: `POST /genesys/2/chat/{service}[/{chatId}/{op}]`, form-encoded.
//!
//! Parameters follow the observed Genesys Widgets behaviour (docs/protocol.md):
//! Request Chat posts to `{service}/` with an empty identity triple and the
//! widget's userData; refresh and typing carry `transcriptPosition` and `message`;
//! send carries `message` and `messageType=text`; disconnect only the triple.

use super::{Call, Identity, Target};

/// The userData the Genesys widget sends on Request Chat (a customer file's keys replace them).
pub(crate) const WIDGET_USER_DATA: [(&str, &str); 7] = [
    ("GCTI_LanguageCode", "en-US"),
    ("_genesys_source", "web"),
    ("_genesys_referrer", ""),
    ("_genesys_url", "http://localhost/chatload"),
    ("_genesys_pageTitle", "chatload"),
    ("_genesys_browser", "chatload"),
    ("_genesys_OS", "chatload"),
];

/// URL and form body of one call.
pub(crate) fn build(t: &Target, id: &Identity, call: &Call<'_>) -> (super::Address, String) {
    let url = match call {
        Call::RequestChat { customer: c } => {
            let mut form: Vec<(&str, &str)> = Vec::with_capacity(16);
            form.extend([
                ("alias", ""),
                ("secureKey", ""),
                ("userId", ""),
                ("nickname", c.nickname.as_str()),
                ("firstName", c.first_name.as_str()),
                ("lastName", c.last_name.as_str()),
                ("emailAddress", c.email.as_str()),
                ("subject", c.subject.as_str()),
                ("text", ""),
            ]);
            let user_data: Vec<(String, &str)> = c
                .user_data_over(&WIDGET_USER_DATA)
                .map(|(k, v)| (format!("userData[{k}]"), v))
                .collect();
            form.extend(user_data.iter().map(|(k, v)| (k.as_str(), *v)));
            return (t.address(&[""]), encode(form.iter().copied()));
        }
        other => {
            let op = other.operation().gms_path().unwrap_or("refresh");
            t.address(&[id.chat_id(), op])
        }
    };
    // The addressed calls (every poll): no list of pairs, no formatted number.
    let mut digits = [0u8; 20];
    let tail: [(&str, &str); 2] = match call {
        Call::Poll { position, draft } => [
            ("transcriptPosition", decimal(*position, &mut digits)),
            ("message", draft),
        ],
        Call::Send { text } => [("message", text), ("messageType", "text")],
        Call::StartTyping { position } | Call::StopTyping { position } => [
            ("transcriptPosition", decimal(*position, &mut digits)),
            ("message", ""),
        ],
        Call::RequestChat { .. } | Call::Disconnect => [("", ""); 2],
    };
    let head = [
        ("alias", id.alias()),
        ("secureKey", id.secure_key()),
        ("userId", id.user_id()),
    ];
    let pairs = head
        .into_iter()
        .chain(tail.into_iter().filter(|(k, _)| !k.is_empty()));
    (url, encode(pairs))
}

/// The encoded length of each byte: 1 for a byte form encoding keeps as it is, and
/// for space (`+`); 3 for the rest (`%XX`). A table: one load per byte of every poll's
/// secureKey and ids, not five comparisons (issue 15).
const ENCODED: [u8; 256] = {
    let mut t = [3u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() || matches!(c, b'*' | b'-' | b'.' | b'_' | b' ') {
            t[b] = 1;
        }
        b += 1;
    }
    t
};

/// True for a byte form encoding keeps as it is.
fn kept(b: u8) -> bool {
    ENCODED[usize::from(b)] == 1 && b != b' '
}

/// Length of `v` form-encoded.
fn encoded_len(v: &str) -> usize {
    v.bytes()
        .map(|b| usize::from(ENCODED[usize::from(b)]))
        .sum()
}

/// `n` in decimal, written into `buf` (no allocation, no formatter).
fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &str {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[i..]).unwrap_or("0")
}

/// The form body (`application/x-www-form-urlencoded`), written straight into one
/// buffer of its exact size; plain keys and values (identity, positions) are copied,
/// not run through the encoder.
fn encode<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)> + Clone) -> String {
    let len: usize = pairs
        .clone()
        .map(|(k, v)| encoded_len(k) + encoded_len(v) + 2)
        .sum();
    let mut out = String::with_capacity(len.saturating_sub(1));
    for (k, v) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        push_encoded(&mut out, k);
        out.push('=');
        push_encoded(&mut out, v);
    }
    out
}

/// Append `s` form-encoded.
fn push_encoded(out: &mut String, s: &str) {
    if s.bytes().all(kept) {
        out.push_str(s);
    } else {
        out.extend(url::form_urlencoded::byte_serialize(s.as_bytes()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Dialect;

    fn target() -> Target {
        Target::new(Dialect::GmsV2, "http://h", "svc", "T", "").unwrap()
    }

    fn id() -> Identity {
        Identity::new("c1", "u", "k", "a")
    }

    #[test]
    fn request_chat_posts_to_trailing_slash_with_empty_identity() {
        let (url, body) = build(
            &target(),
            &Identity::default(),
            &Call::RequestChat {
                customer: &crate::engine::customers::Customer::named("n"),
            },
        );
        assert_eq!(url.as_str(), "http://h/genesys/2/chat/svc/");
        assert!(
            body.starts_with("alias=&secureKey=&userId=&nickname=n&"),
            "{body}"
        );
        assert!(
            body.contains("userData%5BGCTI_LanguageCode%5D=en-US"),
            "{body}"
        );
        assert!(!body.contains("endpoint"));
    }

    #[test]
    fn a_customer_file_row_sets_names_and_user_data_over_the_widget_defaults() {
        let customer = crate::engine::customers::Customer {
            email: "ann@example.com".into(),
            subject: "billing".into(),
            user_data: vec![
                ("GCTI_LanguageCode".into(), "fr-FR".into()),
                ("segment".into(), "gold & co".into()),
            ],
            ..crate::engine::customers::Customer::named("Ann")
        };
        let (_, body) = build(
            &target(),
            &Identity::default(),
            &Call::RequestChat {
                customer: &customer,
            },
        );
        assert!(body.contains("&nickname=Ann&firstName=Ann&lastName=Customer&emailAddress=ann%40example.com&subject=billing&"), "{body}");
        assert!(
            body.contains("userData%5BGCTI_LanguageCode%5D=fr-FR"),
            "{body}"
        );
        assert!(!body.contains("en-US"), "{body}");
        assert!(
            body.ends_with("&userData%5Bsegment%5D=gold+%26+co"),
            "{body}"
        );
        assert!(body.contains("userData%5B_genesys_source%5D=web"), "{body}");
        // The one encoder's output is the form serializer's, in a buffer of its exact size.
        let mut expected = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in url::form_urlencoded::parse(body.as_bytes()) {
            expected.append_pair(&k, &v);
        }
        assert_eq!(body, expected.finish());
        assert_eq!(body.capacity(), body.len(), "{body}");
    }

    #[test]
    fn refresh_carries_position_and_draft() {
        let (url, body) = build(
            &target(),
            &id(),
            &Call::Poll {
                position: 4,
                draft: "hi there",
            },
        );
        assert_eq!(url.as_str(), "http://h/genesys/2/chat/svc/c1/refresh");
        assert_eq!(
            body,
            "alias=a&secureKey=k&userId=u&transcriptPosition=4&message=hi+there"
        );
    }

    #[test]
    fn send_typing_and_disconnect_bodies() {
        let (url, body) = build(&target(), &id(), &Call::Send { text: "x" });
        assert_eq!(url.as_str(), "http://h/genesys/2/chat/svc/c1/send");
        assert_eq!(
            body,
            "alias=a&secureKey=k&userId=u&message=x&messageType=text"
        );
        let (url, body) = build(&target(), &id(), &Call::StartTyping { position: 2 });
        assert_eq!(url.as_str(), "http://h/genesys/2/chat/svc/c1/startTyping");
        assert_eq!(
            body,
            "alias=a&secureKey=k&userId=u&transcriptPosition=2&message="
        );
        let (url, body) = build(&target(), &id(), &Call::Disconnect);
        assert_eq!(url.as_str(), "http://h/genesys/2/chat/svc/c1/disconnect");
        assert_eq!(body, "alias=a&secureKey=k&userId=u");
    }

    #[test]
    fn a_poll_body_is_encoded_into_a_buffer_of_its_exact_size() {
        let id = id().with_secure_key("k/+é");
        for (position, draft) in [(0, ""), (9, "a b&c=d"), (u64::MAX, "ü~!*-._")] {
            let (_, body) = build(&target(), &id, &Call::Poll { position, draft });
            let expected = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs([
                    ("alias", "a"),
                    ("secureKey", "k/+é"),
                    ("userId", "u"),
                    ("transcriptPosition", position.to_string().as_str()),
                    ("message", draft),
                ])
                .finish();
            assert_eq!(body, expected);
            assert_eq!(body.capacity(), body.len(), "{body}");
        }
    }

    #[test]
    fn the_length_table_agrees_with_url_on_every_ascii_byte() {
        let mut all: Vec<String> = (0u8..128).map(|b| char::from(b).to_string()).collect();
        all.push("é€😀".into());
        for s in &all {
            let by_url: String = url::form_urlencoded::byte_serialize(s.as_bytes()).collect();
            assert_eq!(encoded_len(s), by_url.len(), "{s:?}");
            assert_eq!(s.bytes().all(kept), by_url == *s, "{s:?}");
        }
    }
}
