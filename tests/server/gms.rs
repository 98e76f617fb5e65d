//! gms-v2: every operation, identity, transcript positions, end of chat.

use crate::helpers::*;
use serde_json::json;

#[tokio::test]
async fn request_chat_answers_identity_and_the_join_event() {
    let (server, r) = server(no_agent());
    let (chat, v) = gms_chat(&r).await;
    assert_eq!(v["statusCode"], 0);
    assert_eq!(v["chatEnded"], false);
    assert_eq!(chat.id.len(), 16);
    assert_eq!(chat.secure_key.len(), 16);
    assert_eq!(v["nextPosition"], 2);
    assert_eq!(types(&v), ["ParticipantJoined"]);
    assert_eq!(
        v["messages"][0]["from"],
        json!({"nickname": "Ann", "participantId": 1, "type": "Client"})
    );
    assert_eq!(server.issued_secure_keys(), vec![chat.secure_key.clone()]);
    // Without the trailing slash, with first and last name.
    let (status, v) = form(&r, GMS, "firstName=Ann&lastName=Lee").await;
    assert_eq!(status, 200);
    assert_eq!(v["messages"][0]["from"]["nickname"], "Ann Lee");
    assert_eq!(server.stats().chats.created, 2);
    assert_eq!(server.stats().requests["gms-v2/request_chat"], 2);
}

#[tokio::test]
async fn every_operation_adds_its_event_and_positions_are_inclusive() {
    let (server, r) = server(no_agent());
    let (chat, _) = gms_chat(&r).await;
    let id = chat.form();
    let ok = |v: &serde_json::Value| assert_status(v, 0, false, None);
    let (_, v) = form(
        &r,
        &chat.gms("send"),
        &format!("{id}&message=hello&messageType=text"),
    )
    .await;
    ok(&v);
    assert_eq!(v["nextPosition"], 3);
    assert!(
        v["messages"].as_array().unwrap().is_empty(),
        "send without position returns no events"
    );
    let (_, v) = form(
        &r,
        &chat.gms("startTyping"),
        &format!("{id}&transcriptPosition=3&message=draft"),
    )
    .await;
    ok(&v);
    assert_eq!(types(&v), ["TypingStarted"]);
    assert_eq!(
        v["messages"][0].get("text"),
        None,
        "the typing preview is not stored"
    );
    for (op, extra) in [
        ("stopTyping", ""),
        ("pushUrl", "&pushUrl=https%3A%2F%2Fexample.com%2F"),
        ("updateNickname", "&nickname=Annie"),
        ("customNotice", "&message=notice&messageType=x"),
        ("updateData", "&userData%5Bk%5D=v"),
        ("readReceipt", "&transcriptPosition=4"),
    ] {
        let (status, v) = form(&r, &chat.gms(op), &format!("{id}{extra}")).await;
        assert_eq!(status, 200, "{op}: {v}");
        ok(&v);
    }
    let (_, v) = form(
        &r,
        &chat.gms("refresh"),
        &format!("{id}&transcriptPosition=1&message="),
    )
    .await;
    ok(&v);
    assert_eq!(indexes(&v), [1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(
        types(&v),
        [
            "ParticipantJoined",
            "Message",
            "TypingStarted",
            "TypingStopped",
            "PushUrl",
            "NicknameUpdated",
            "CustomNotice"
        ]
    );
    assert_eq!(v["messages"][1]["text"], "hello");
    assert_eq!(v["messages"][4]["text"], "https://example.com/");
    assert_eq!(v["messages"][5]["text"], "Annie");
    assert_eq!(v["messages"][6]["from"]["nickname"], "Annie");
    assert_eq!(v["nextPosition"], 8);
    // Inclusive position, beyond the end, and absent / 0 = everything.
    let (_, v) = form(
        &r,
        &chat.gms("refresh"),
        &format!("{id}&transcriptPosition=6"),
    )
    .await;
    assert_eq!(indexes(&v), [6, 7]);
    let (_, v) = form(
        &r,
        &chat.gms("refresh"),
        &format!("{id}&transcriptPosition=99"),
    )
    .await;
    assert_eq!(indexes(&v), Vec::<u64>::new());
    assert_eq!(v["nextPosition"], 8);
    let (_, v) = form(&r, &chat.gms("refresh"), &id).await;
    assert_eq!(indexes(&v).len(), 7);
    let (_, v) = form(
        &r,
        &chat.gms("refresh"),
        &format!("{id}&transcriptPosition=0"),
    )
    .await;
    assert_eq!(indexes(&v).len(), 7);
    let s = server.stats();
    assert_eq!(s.requests["gms-v2/poll"], 5);
    assert_eq!(s.requests["gms-v2/update_data"], 1);
    assert_eq!(
        s.responses_matching("gms-v2/poll", Some(200), Some(Some(0)), Some(Some(false))),
        5
    );
}

#[tokio::test]
async fn disconnect_ends_the_chat_and_later_calls_get_249() {
    let (server, r) = server(no_agent());
    let (chat, _) = gms_chat(&r).await;
    let (_, v) = form(&r, &chat.gms("disconnect"), &chat.form()).await;
    assert_status(&v, 0, true, None);
    let (status, v) = form(&r, &chat.gms("refresh"), &chat.form()).await;
    assert_eq!(status, 200);
    assert_status(&v, 2, true, Some(249));
    assert_eq!(v["chatId"], chat.id.as_str());
    assert_eq!(v.get("secureKey"), None);
    let s = server.stats();
    assert_eq!(s.chats.ended_by_client, 1);
    assert_eq!(s.chats.live, 0);
    assert_eq!(
        s.responses_matching("gms-v2/poll", Some(200), Some(Some(2)), Some(Some(true))),
        1
    );
}

#[tokio::test]
async fn wrong_identity_and_unknown_chat_get_249() {
    let (server, r) = server(no_agent());
    let (chat, _) = gms_chat(&r).await;
    let bad_key = format!(
        "userId={}&secureKey=nope&alias={}",
        chat.user_id, chat.alias
    );
    let (status, v) = form(&r, &chat.gms("refresh"), &bad_key).await;
    assert_eq!(status, 200);
    assert_status(&v, 2, false, Some(249));
    let (_, v) = form(&r, &format!("{GMS}/0000000000000000/refresh"), &chat.form()).await;
    assert_status(&v, 2, true, Some(249));
    let (_, v) = form(
        &r,
        &format!("{GMS}/not-a-chat/send"),
        &format!("{}&message=x", chat.form()),
    )
    .await;
    assert_status(&v, 2, true, Some(249));
    // The chat itself is untouched.
    let (_, v) = form(&r, &chat.gms("refresh"), &chat.form()).await;
    assert_status(&v, 0, false, None);
    assert_eq!(server.stats().chats.live, 1);
}

#[tokio::test]
async fn validation_errors_are_http_400_with_codes() {
    let (server, r) = server(no_agent());
    for (body, code) in [
        ("alias=&nickname=&firstName=&lastName=", 161),
        ("firstName=Ann", 103),
        ("lastName=Lee", 102),
    ] {
        let (status, v) = form(&r, GMS, body).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(v["statusCode"], 2);
        assert_eq!(v["errors"][0]["code"], code, "{body}: {v}");
    }
    let (chat, _) = gms_chat(&r).await;
    let long = "x".repeat(4097);
    let (status, v) = form(
        &r,
        &chat.gms("send"),
        &format!("{}&message={long}", chat.form()),
    )
    .await;
    assert_eq!((status, v["errors"][0]["code"].as_u64()), (400, Some(204)));
    // A long typing preview on refresh is not an error.
    let (status, _) = form(
        &r,
        &chat.gms("refresh"),
        &format!("{}&message={long}", chat.form()),
    )
    .await;
    assert_eq!(status, 200);
    let (status, v) = form(&r, &chat.gms("updateNickname"), &chat.form()).await;
    assert_eq!((status, v["errors"][0]["code"].as_u64()), (400, Some(161)));
    assert_eq!(
        server.stats().responses_matching(
            "gms-v2/request_chat",
            Some(400),
            Some(Some(2)),
            Some(None)
        ),
        3
    );
}

#[tokio::test]
async fn an_opening_text_is_the_first_message() {
    let (_, r) = server(no_agent());
    let (status, v) = form(&r, GMS, "nickname=Ann&text=I+need+help").await;
    assert_eq!(status, 200);
    assert_eq!(types(&v), ["ParticipantJoined", "Message"]);
    assert_eq!(v["messages"][1]["text"], "I need help");
    assert_eq!(v["nextPosition"], 3);
    let long = format!("nickname=Ann&text={}", "y".repeat(4097));
    let (status, v) = form(&r, GMS, &long).await;
    assert_eq!((status, v["errors"][0]["code"].as_u64()), (400, Some(204)));
}
