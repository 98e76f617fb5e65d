//! The lifecycle probe: one chat from request to disconnect and after.
//!
//! request chat -> poll from 1 -> send -> startTyping -> stopTyping ->
//! updateNickname -> poll from 1 -> poll from k -> poll from the end ->
//! poll as text/plain -> poll with a wrong secureKey -> poll from 1 ->
//! disconnect -> poll, send, disconnect again. Each answer feeds the rules it
//! can judge. The probe stops early when the chat stops answering (the rules
//! not reached are skipped with the reason).

use super::super::findings::Findings;
use super::super::session::Session;
use super::super::transport::{Answered, Prober};
use super::requests;
use super::transcript::{check_inclusive, check_poll, indexes};
use crate::engine::client::{Call, Identity};
use crate::protocol::{codes, Dialect, Event, Operation};

const ACCEPTS: &str = "request.accepts";
const JOINED: &str = "transcript.joined-first";
const ECHO: &str = "transcript.message-echo";
const TYPING: &str = "typing.accepted";
const NICKNAME: &str = "nickname.accepted";
const CONTENT_TYPE: &str = "request.content-type";
const WRONG_KEY: &str = "identity.wrong-key";
const DISCONNECT: &str = "end.disconnect";
const AFTER: &str = "end.after-disconnect";

/// Every rule this probe judges (skipped together when it cannot run).
pub(super) const RULES: [&str; 14] = [
    ACCEPTS,
    JOINED,
    super::transcript::NO_HOLES,
    super::transcript::NO_REPEATS,
    super::transcript::INCLUSIVE,
    super::transcript::NEXT_POSITION,
    ECHO,
    TYPING,
    NICKNAME,
    CONTENT_TYPE,
    WRONG_KEY,
    DISCONNECT,
    AFTER,
    super::super::session::ADOPT,
];

const TEXT: &str = "chatload conformance probe message";
const NEW_NICKNAME: &str = "Conformance Probe Renamed";

/// Run the probe. Err(cause) when the very first request got no answer at all.
pub(super) async fn run(p: &Prober, f: &mut Findings) -> Result<(), String> {
    let (mut s, a) = Session::open(p, "Conformance Probe").await;
    if a.unanswered() {
        return Err(a.describe());
    }
    check_request(f, &a);
    if !s.usable() {
        let why = format!("Request Chat gave no usable chat ({})", a.describe());
        f.skip_all(&RULES, &why);
        return Ok(());
    }
    if let Err(why) = steps(p, f, &mut s).await {
        f.skip_all(&RULES, &why);
    }
    Ok(())
}

fn check_request(f: &mut Findings, a: &Answered) {
    let env = a.envelope.as_ref();
    let mut missing: Vec<&str> = Vec::new();
    let text = |v: Option<&String>| v.is_some_and(|s| !s.is_empty());
    if let Some(e) = env {
        for (name, ok) in [
            ("chatId", text(e.chat_id.as_ref())),
            ("userId", text(e.user_id.as_ref())),
            ("secureKey", text(e.secure_key.as_ref())),
            ("alias", text(e.alias.as_ref())),
            ("nextPosition", e.next_position.is_some()),
        ] {
            if !ok {
                missing.push(name);
            }
        }
    }
    let shape_ok = a.is_live();
    f.check(
        ACCEPTS,
        shape_ok && missing.is_empty(),
        || match shape_ok {
            false => format!("Request Chat answered {}", a.describe()),
            true => format!("Request Chat answer lacks {}", missing.join(", ")),
        },
        &[&a.exchange],
    );
}

/// A poll from `position` with the session's identity.
async fn poll(s: &mut Session<'_>, f: &mut Findings, position: u64) -> Answered {
    let call = Call::Poll {
        position,
        draft: "",
    };
    s.call(f, &call).await
}

/// The answer must be live, else the probe stops with `why`.
fn live(a: &Answered, what: &str) -> Result<(), String> {
    match a.is_live() {
        true => Ok(()),
        false => Err(format!(
            "the probe chat stopped: {what} answered {}",
            a.describe()
        )),
    }
}

fn client_events<'a>(events: &'a [Event], kind: &'a str) -> impl Iterator<Item = &'a Event> {
    events
        .iter()
        .filter(move |e| e.kind == kind && e.from.kind == "Client")
}

async fn steps(p: &Prober, f: &mut Findings, s: &mut Session<'_>) -> Result<(), String> {
    let a1 = poll(s, f, 1).await;
    if !a1.is_live() {
        f.fail(
            JOINED,
            format!("a poll from 1 answered {}", a1.describe()),
            &[&a1.exchange],
        );
    }
    live(&a1, "a poll from 1")?;
    check_poll(f, &a1, 1);
    let events = a1.envelope.as_ref().map_or(&[][..], |e| &e.messages[..]);
    let first = events
        .iter()
        .filter(|e| e.index.is_some())
        .min_by_key(|e| e.index);
    f.check(
        JOINED,
        first.is_some_and(|e| e.kind == "ParticipantJoined" && e.from.kind == "Client"),
        || match first {
            Some(e) => format!("the first event is {} from a {} party", e.kind, e.from.kind),
            None => "a poll from 1 returned no indexed event".into(),
        },
        &[&a1.exchange],
    );
    let pos = indexes(events).into_iter().max().unwrap_or(0) + 1;
    let sent = s.call(f, &Call::Send { text: TEXT }).await;
    f.check(
        ECHO,
        sent.is_live(),
        || format!("send answered {}", sent.describe()),
        &[&sent.exchange],
    );
    live(&sent, "send")?;
    for call in [
        Call::StartTyping { position: pos },
        Call::StopTyping { position: pos },
    ] {
        let a = s.call(f, &call).await;
        let op = call.operation();
        f.check(
            TYPING,
            a.is_live(),
            || format!("{op} answered {}", a.describe()),
            &[&a.exchange],
        );
        live(&a, op.as_str())?;
    }
    let target = p.target().clone();
    let nick = s
        .request(f, Operation::UpdateNickname, |id| {
            requests::update_nickname(&target, id, NEW_NICKNAME)
        })
        .await;
    let msg = || format!("updateNickname answered {}", nick.describe());
    f.check(NICKNAME, nick.is_live(), msg, &[&nick.exchange]);
    live(&nick, "updateNickname")?;
    let full = poll(s, f, 1).await;
    live(&full, "a poll from 1")?;
    let all = check_poll(f, &full, 1);
    check_events(f, &full);
    check_positions(s, f, &full, &all).await?;
    check_content_type(p, f, &s.id).await;
    check_wrong_key(p, f, s, &full).await?;
    check_end(p, f, s).await;
    Ok(())
}

/// The sent message, typing and nickname events in the full transcript.
fn check_events(f: &mut Findings, full: &Answered) {
    let events = full.envelope.as_ref().map_or(&[][..], |e| &e.messages[..]);
    let ev = [&full.exchange];
    let echoes = client_events(events, "Message")
        .filter(|e| e.text.as_deref() == Some(TEXT))
        .count();
    let msg = || {
        format!(
            "the sent message appears {echoes} times from the customer (Client) in the transcript"
        )
    };
    f.check(ECHO, echoes == 1, msg, &ev);
    for kind in ["TypingStarted", "TypingStopped"] {
        let n = client_events(events, kind)
            .filter(|e| e.index.is_some())
            .count();
        let msg = || format!("no indexed {kind} event from the customer in the transcript");
        f.check(TYPING, n >= 1, msg, &ev);
    }
    let renamed = client_events(events, "NicknameUpdated")
        .any(|e| e.index.is_some() && e.text.as_deref() == Some(NEW_NICKNAME));
    let msg =
        || format!("no indexed NicknameUpdated event with '{NEW_NICKNAME}' in the transcript");
    f.check(NICKNAME, renamed, msg, &ev);
}

/// Polls from inside the transcript and from its end.
async fn check_positions(
    s: &mut Session<'_>,
    f: &mut Findings,
    full: &Answered,
    all: &[u64],
) -> Result<(), String> {
    let events = full.envelope.as_ref().map_or(&[][..], |e| &e.messages[..]);
    let message = client_events(events, "Message").find_map(|e| e.index);
    let k = message.or_else(|| all.get(1).copied()).filter(|&k| k > 1);
    if let Some(k) = k {
        let a = poll(s, f, k).await;
        live(&a, "a poll from inside the transcript")?;
        check_inclusive(f, &a, k, all);
        check_poll(f, &a, k);
    }
    let end = all.iter().max().map_or(1, |m| m + 1);
    let a = poll(s, f, end).await;
    live(&a, "a poll from the end of the transcript")?;
    check_poll(f, &a, end);
    Ok(())
}

async fn check_content_type(p: &Prober, f: &mut Findings, id: &Identity) {
    let (url, body) = p.build(
        id,
        &Call::Poll {
            position: 1,
            draft: "",
        },
    );
    let a = p.send(Operation::Poll, url, "text/plain", body).await;
    let ok = a.http().is_some_and(|h| (400..500).contains(&h));
    let msg = || format!("a poll sent as text/plain answered {}", a.describe());
    f.check(CONTENT_TYPE, ok, msg, &[&a.exchange]);
}

async fn check_wrong_key(
    p: &Prober,
    f: &mut Findings,
    s: &mut Session<'_>,
    before: &Answered,
) -> Result<(), String> {
    let wrong = s.id.with_secure_key(&format!(
        "{}0",
        s.id.secure_key().chars().rev().collect::<String>()
    ));
    let a = p
        .call(
            &wrong,
            &Call::Poll {
                position: 1,
                draft: "",
            },
        )
        .await;
    let rejected = a.http().is_some() && a.status() != Some(0);
    let msg = || format!("a poll with a wrong secureKey answered {}", a.describe());
    f.check(WRONG_KEY, rejected, msg, &[&a.exchange]);
    let after = poll(s, f, 1).await;
    if !after.is_live() {
        let msg = format!(
            "after a request with a wrong secureKey, the right one answered {}",
            after.describe()
        );
        f.fail(WRONG_KEY, msg, &[&a.exchange, &after.exchange]);
    }
    live(&after, "a poll after the wrong-key request")?;
    let customer = |x: &Answered| -> Vec<(Option<u64>, String)> {
        let events = x.envelope.as_ref().map_or(&[][..], |e| &e.messages[..]);
        events
            .iter()
            .filter(|e| e.from.kind == "Client")
            .map(|e| (e.index, e.kind.clone()))
            .collect()
    };
    let same = customer(before) == customer(&after);
    let msg = || "the customer's transcript changed after a request with a wrong secureKey".into();
    f.check(WRONG_KEY, same, msg, &[&a.exchange, &after.exchange]);
    Ok(())
}

async fn check_end(p: &Prober, f: &mut Findings, s: &mut Session<'_>) {
    let d = s.call(f, &Call::Disconnect).await;
    let ok = d.http() == Some(200) && d.status() == Some(0) && d.ended() == Some(true);
    let msg = || format!("disconnect answered {}", d.describe());
    f.check(DISCONNECT, ok, msg, &[&d.exchange]);
    let gms = p.dialect() == Dialect::GmsV2;
    for call in [
        Call::Poll {
            position: 1,
            draft: "",
        },
        Call::Send { text: TEXT },
        Call::Disconnect,
    ] {
        let a = p.call(&s.id, &call).await;
        let code_ok = !gms
            || a.error_codes()
                .is_some_and(|c| c.contains(&codes::MEDIA_SERVER_FAILED));
        let ok = a.status() == Some(2) && a.ended() == Some(true) && code_ok;
        let op = call.operation();
        let msg = || format!("{op} after disconnect answered {}", a.describe());
        f.check(AFTER, ok, msg, &[&a.exchange]);
    }
}
