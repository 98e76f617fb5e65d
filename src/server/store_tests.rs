//! Unit tests of the chat store: ids, transcript positions, identity, user data.

use super::*;

fn chat(now: Instant) -> Chat {
    Chat {
        secure_key: "k".into(),
        user_id: "u".into(),
        alias: 117,
        tenant: None,
        nickname: "Ann".into(),
        state: ChatState::Live,
        deadline: now,
        armed_at: now,
        transcript: Vec::new(),
        next_index: 1,
        customer_messages: 0,
        polled_from: 1,
        pending: VecDeque::new(),
        user_data: Vec::new(),
        seat: crate::server::pool::Seat::Own,
    }
}

#[test]
fn chat_ids_round_trip_and_reject_garbage() {
    let store = Store::new(0xDEAD_BEEF);
    let key = store.next_key();
    let id = store.chat_id(key);
    assert_eq!(id.len(), 16);
    assert_eq!(store.key_of(&id), Some(key));
    assert_eq!(store.key_of("garbage"), None);
    assert_eq!(store.key_of("zzzzzzzzzzzzzzzz"), None);
}

#[test]
fn transcript_positions_are_inclusive() {
    let mut c = chat(Instant::now());
    assert_eq!(c.next_position(), 1);
    c.append(
        EventKind::ParticipantJoined,
        PartyKind::Client,
        0,
        None,
        None,
    );
    c.append(
        EventKind::Message,
        PartyKind::Client,
        0,
        Some("hi"),
        Some("text"),
    );
    c.next_index += 1; // a hole
    c.append(EventKind::Notice, PartyKind::System, 0, None, None);
    assert_eq!(c.next_position(), 5);
    let ev = c.events_from(2, "Agent");
    let idx: Vec<u64> = ev.iter().map(|e| e.index.unwrap_or(0)).collect();
    assert_eq!(idx, vec![2, 4]);
    assert_eq!(ev[0].text.as_deref(), Some("hi"));
    assert!(c.events_from(5, "Agent").is_empty());
}

#[test]
fn user_data_merges_and_is_bounded() {
    let mut c = chat(Instant::now());
    c.merge_user_data(&[("a".into(), "1".into()), ("b".into(), "2".into())]);
    c.merge_user_data(&[("a".into(), "3".into())]);
    assert_eq!(c.user_data.len(), 2);
    assert_eq!(&*c.user_data[0].1, "3");
    let many: Vec<(String, String)> = (0..1000).map(|i| (i.to_string(), String::new())).collect();
    c.merge_user_data(&many);
    assert_eq!(c.user_data.len(), MAX_USER_DATA_KEYS);
}

#[test]
fn identity_needs_all_three_and_the_tenant() {
    let mut c = chat(Instant::now());
    assert!(c.identity_matches(Some("u"), Some("k"), Some("117"), None));
    assert!(!c.identity_matches(Some("u"), Some("x"), Some("117"), None));
    assert!(!c.identity_matches(Some("u"), Some("k"), Some("118"), None));
    assert!(!c.identity_matches(None, Some("k"), Some("117"), None));
    c.tenant = Some("t".into());
    assert!(!c.identity_matches(Some("u"), Some("k"), Some("117"), Some("other")));
    assert!(c.identity_matches(Some("u"), Some("k"), Some("117"), Some("t")));
}
