//! The `[customer]` table (and its flags) -> a validated [`CustomerScript`].

use super::{flag_or, Src};
use crate::cli::RunArgs;
use crate::engine::profiles::Profile;
use crate::engine::scenario::{CustomerSection, Scenario};
use crate::engine::session::{CustomerScript, EndMode, Status1Reaction};
use crate::error::UsageError;
use crate::util::distribution::DurationDist;
use std::time::Duration;

/// Build the customer script (defaults: the Genesys widget's 3 s poll, 3 messages).
pub(super) fn build_script(
    args: &RunArgs,
    c: &CustomerSection,
    src: &Src<'_>,
) -> Result<CustomerScript, UsageError> {
    let poll_interval = src.duration(
        args.poll_interval.as_deref(),
        "poll-interval",
        c.poll_interval.as_ref(),
        "customer.poll_interval",
        Duration::from_secs(3),
    )?;
    if poll_interval < Duration::from_millis(10) {
        let field = match args.poll_interval {
            Some(_) => "--poll-interval",
            None => "customer.poll_interval",
        };
        return Err(UsageError::new(format!(
            "{field}: must be at least 10ms; the widget polls every 3s",
        )));
    }
    let jitter = src.jitter(c.jitter.as_ref(), "customer.jitter")?;
    let think_time = src.duration(
        None,
        "",
        c.think_time.as_ref(),
        "customer.think_time",
        Duration::from_secs(5),
    )?;
    let think_jitter = src.jitter(c.think_jitter.as_ref(), "customer.think_jitter")?;
    let typing_time = src.duration(
        None,
        "",
        c.typing_time.as_ref(),
        "customer.typing_time",
        Duration::from_secs(1),
    )?;
    let send_pause = src.duration(
        None,
        "",
        c.send_pause.as_ref(),
        "customer.send_pause",
        Duration::ZERO,
    )?;
    let linger = src.duration(
        None,
        "",
        c.linger.as_ref(),
        "customer.linger",
        Duration::from_secs(5),
    )?;
    let session_duration = session_duration(args, c, src)?;
    // A chat length given without an end mode means the chat ends after it.
    let default_end = match session_duration {
        Some(_) => "after-duration",
        None => "after-messages",
    };
    let end_name = flag_or(args.end.clone(), c.end.as_ref(), default_end.into());
    let end = match end_name.as_str() {
        "after-messages" => EndMode::AfterMessages(linger),
        "after-duration" => {
            let Some(d) = session_duration else {
                let field = match args.end {
                    Some(_) => "--end",
                    None => "customer.end",
                };
                return Err(UsageError::new(format!(
                    "{field}: after-duration needs customer.session_duration; add session_duration = \"60s\" to [customer] (or --session-duration)",
                )));
            };
            EndMode::AfterDuration(d)
        }
        "wait-for-agent" => EndMode::WaitForAgent,
        other => {
            let msg = format!(
                "unknown end '{other}'; use after-messages, after-duration or wait-for-agent"
            );
            let at = src.source(&args.end, "--end", c.end.as_ref(), "customer.end");
            return Err(UsageError::new(format!("{at}: {msg}")));
        }
    };
    let message_text = flag_or(
        None,
        c.message_text.as_ref(),
        "Hello, I have a question about my order.".into(),
    );
    if message_text.is_empty() {
        let at = c
            .message_text
            .as_ref()
            .map(|v| src.at("customer.message_text", v));
        return Err(UsageError::new(format!(
            "{}: must not be empty; write the text a customer sends",
            at.unwrap_or_default()
        )));
    }
    let nickname = flag_or(None, c.nickname.as_ref(), "chatload".into());
    if nickname.is_empty() {
        return Err(UsageError::new(
            "customer.nickname: must not be empty (the server answers 161 without a name); write a name such as \"chatload\"",
        ));
    }
    Ok(CustomerScript {
        poll_interval,
        jitter,
        nickname,
        messages: flag_or(args.messages, c.messages.as_ref(), 3),
        message_text,
        think_time,
        think_jitter,
        typing: flag_or(None, c.typing.as_ref(), true),
        typing_time,
        send_pause,
        end,
        on_status1: on_status1(c, src)?,
        patience: patience(c, src)?,
        customers: None,
        message_lines: None,
    })
}

/// `customer.on_status1_chat_ended`: `record` (default) or `end-like-widget`.
fn on_status1(c: &CustomerSection, src: &Src<'_>) -> Result<Status1Reaction, UsageError> {
    let Some(v) = &c.on_status1_chat_ended else {
        return Ok(Status1Reaction::Record);
    };
    match v.get_ref().as_str() {
        "record" => Ok(Status1Reaction::Record),
        "end-like-widget" => Ok(Status1Reaction::EndLikeWidget),
        other => Err(src.err(
            "customer.on_status1_chat_ended",
            v,
            &format!("unknown reaction '{other}'; use record (retry, the seed's rule) or end-like-widget (end without a disconnect, as Genesys Widgets 8.5)"),
        )),
    }
}

/// `customer.patience`: a duration or a distribution above zero (None when absent).
fn patience(c: &CustomerSection, src: &Src<'_>) -> Result<Option<DurationDist>, UsageError> {
    let Some(v) = &c.patience else {
        return Ok(None);
    };
    let field = src.at("customer.patience", v);
    v.get_ref().validate(&field)?;
    if v.get_ref().mean().is_zero() {
        return Err(UsageError::new(format!(
            "{field}: must be above 0 (a customer who waits 0 s never sees an agent); remove it to wait for ever, or write e.g. \"90s\"",
        )));
    }
    Ok(Some(*v.get_ref()))
}

/// `--session-duration` or `customer.session_duration`: a duration or a distribution
/// (`None` when absent or zero).
fn session_duration(
    args: &RunArgs,
    c: &CustomerSection,
    src: &Src<'_>,
) -> Result<Option<DurationDist>, UsageError> {
    let d = match (&args.session_duration, &c.session_duration) {
        (Some(f), _) => {
            let d: DurationDist = f
                .parse()
                .map_err(|e| UsageError::new(format!("--session-duration: {e}")))?;
            d.validate("--session-duration")?;
            d
        }
        (None, Some(v)) => {
            let field = src.at("customer.session_duration", v);
            v.get_ref().validate(&field)?;
            *v.get_ref()
        }
        (None, None) => return Ok(None),
    };
    Ok((d != DurationDist::Fixed(Duration::ZERO)).then_some(d))
}

/// The `[[customers]]` profiles, each laid over `[customer]` and built like it, sharing
/// `base`'s customers file and message lines (empty: one profile, `base`).
pub(super) fn build_profiles(
    args: &RunArgs,
    sc: &Scenario,
    src: &Src<'_>,
    base: &CustomerScript,
) -> Result<Vec<Profile>, UsageError> {
    let Some(list) = &sc.customers else {
        return Ok(Vec::new());
    };
    let mut out: Vec<Profile> = Vec::with_capacity(list.len());
    for (i, p) in list.iter().enumerate() {
        let field = |k: &str| format!("customers[{i}].{k}");
        let name = p.name.get_ref().trim();
        if name.is_empty() || name.contains(',') || name.contains('"') {
            return Err(src.err(
                &field("name"),
                &p.name,
                "must be a non-empty name without commas or quotes; e.g. \"lurker\"",
            ));
        }
        if out.iter().any(|o| &*o.name == name) {
            return Err(src.err(
                &field("name"),
                &p.name,
                &format!("'{name}' names two profiles; give each profile its own name"),
            ));
        }
        let weight = match &p.weight {
            None => 1.0,
            Some(w) if w.get_ref().is_finite() && *w.get_ref() > 0.0 => *w.get_ref(),
            Some(w) => {
                return Err(src.err(
                    &field("weight"),
                    w,
                    &format!(
                        "must be above 0 (got {}); e.g. 70 for 70 parts of the mix",
                        w.get_ref()
                    ),
                ))
            }
        };
        if p.data.is_some() {
            return Err(UsageError::new(format!(
                "{}: a customers file per profile is not supported; put [customer.data] under [customer] (every profile shares it)",
                field("data")
            )));
        }
        let mut script = build_script(args, &p.over(&sc.customer), src)?;
        script.customers.clone_from(&base.customers);
        script.message_lines.clone_from(&base.message_lines);
        out.push(Profile {
            name: name.into(),
            weight,
            script,
        });
    }
    Ok(out)
}
