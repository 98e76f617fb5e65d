//! The flex-disconnect-timeout probe: rounds of idle chats (plan in
//! `conformance::flex`), each chat polled once after its idle time, then the
//! verdicts of `flex.timeout` and `flex.expired-answer`.

use super::super::findings::Findings;
use super::super::flex::{self, FlexMode, Observation, GENESYS_DEFAULT, MAX_ROUNDS};
use super::super::model::{Exchange, FlexResult, FlexSample};
use super::super::session::Session;
use super::super::transport::Prober;
use crate::engine::client::Call;
use crate::protocol::{codes, Dialect};
use std::time::Duration;

const TIMEOUT: &str = "flex.timeout";
const EXPIRED: &str = "flex.expired-answer";

/// What the probe is asked to do.
#[derive(Debug, Clone, Copy)]
pub struct FlexPlan {
    /// Precision (or off).
    pub mode: FlexMode,
    /// Longest idle tried.
    pub cap: Duration,
    /// The operator's assumption (`--flex-disconnect-timeout`).
    pub configured: Option<Duration>,
}

/// Run the probe; `say` prints progress lines (stderr in the command).
pub async fn run(
    p: &Prober,
    f: &mut Findings,
    plan: FlexPlan,
    say: &(dyn Fn(&str) + Sync),
) -> FlexResult {
    let mut result = FlexResult {
        mode: plan.mode.as_str().into(),
        configured_ms: plan.configured.map(ms),
        cap_ms: ms(plan.cap),
        ..FlexResult::default()
    };
    if plan.mode == FlexMode::Off {
        f.skip_all(&[TIMEOUT, EXPIRED], "--flex-probe off");
        return result;
    }
    let assumed = plan.configured.unwrap_or(GENESYS_DEFAULT).min(plan.cap);
    let expect = flex::expected_duration(plan.mode, plan.cap, assumed);
    say(&format!(
        "flex-disconnect-timeout probe ({}): idle chats of 1s, 2s, 4s, ... up to {}; about {} if the timeout is {}",
        plan.mode.as_str(),
        human(plan.cap),
        human(expect),
        human(assumed)
    ));
    let mut obs: Vec<Observation> = Vec::new();
    let mut expired: Vec<Exchange> = Vec::new();
    let mut points = flex::ladder(plan.cap);
    for _ in 0..=MAX_ROUNDS {
        let round = idle_round(p, f, &points).await;
        for (sample, o, ex) in round {
            result.samples.push(sample);
            if let Some(o) = o {
                obs.push(o);
                if !o.alive {
                    expired.extend(ex);
                }
            }
        }
        match flex::bracket(&obs) {
            Some((lo, hi)) if !flex::done(plan.mode, lo, hi) => points = flex::split(lo, hi),
            _ => break,
        }
    }
    judge_answers(f, p.dialect(), &expired);
    let Some((lo, hi)) = flex::bracket(&obs) else {
        no_expiry(f, plan, &obs);
        return result;
    };
    let (mid, half) = flex::estimate(lo, hi);
    result.measured_ms = Some(ms(mid));
    result.resolution_ms = Some(ms(half));
    judge_timeout(f, plan, mid, half);
    result
}

type Outcome = (FlexSample, Option<Observation>, Option<Exchange>);

/// Open one chat per idle time, poll each once after its idle time (shortest
/// first), stop at the first expired one, close the rest.
async fn idle_round(p: &Prober, f: &mut Findings, points: &[Duration]) -> Vec<Outcome> {
    let mut chats = Vec::new();
    for &idle in points {
        let (s, a) = Session::open(p, "Conformance Idle").await;
        if s.usable() {
            chats.push((idle, s, a.sent, a.done));
        }
    }
    let mut out = Vec::new();
    let mut stopped = false;
    for (idle, mut s, req_sent, req_done) in chats {
        if stopped {
            s.close(f).await;
            continue;
        }
        tokio::time::sleep_until(req_sent + idle).await;
        let a = s
            .call(
                f,
                &Call::Poll {
                    position: 1,
                    draft: "",
                },
            )
            .await;
        let min = a.first_sent.saturating_duration_since(req_done);
        let max = a.done.saturating_duration_since(req_sent);
        let state = match (a.unanswered(), a.is_live()) {
            (true, _) => "no-answer",
            (false, true) => "alive",
            (false, false) => "ended",
        };
        let sample = FlexSample {
            planned_ms: ms(idle),
            idle_min_ms: ms(min),
            idle_max_ms: ms(max),
            state: state.into(),
        };
        let alive = a.is_live();
        let o = (!a.unanswered()).then_some(Observation { min, max, alive });
        stopped = !alive && !a.unanswered();
        if alive {
            s.close(f).await;
        }
        out.push((sample, o, Some(a.exchange)));
    }
    out
}

fn judge_answers(f: &mut Findings, dialect: Dialect, expired: &[Exchange]) {
    if expired.is_empty() {
        f.skip(
            EXPIRED,
            "no idle chat expired, so no expiry answer was seen",
        );
        return;
    }
    for ex in expired {
        let env = ex
            .response
            .body
            .as_deref()
            .and_then(|b| serde_json::from_str::<crate::protocol::Envelope>(b).ok());
        let ok = env.as_ref().is_some_and(|e| {
            let code_ok = dialect != Dialect::GmsV2
                || e.errors
                    .iter()
                    .flatten()
                    .any(|x| x.code == codes::MEDIA_SERVER_FAILED);
            e.status_code == 2 && e.chat_ended == Some(true) && code_ok
        });
        let msg = || {
            let what = env.as_ref().map_or("no chat envelope".to_string(), |e| {
                format!(
                    "statusCode {} / chatEnded {:?}",
                    e.status_code, e.chat_ended
                )
            });
            format!("a poll after the chat idled past the timeout answered {what}")
        };
        f.check(EXPIRED, ok, msg, &[ex]);
    }
}

fn no_expiry(f: &mut Findings, plan: FlexPlan, obs: &[Observation]) {
    if obs.is_empty() {
        f.skip(TIMEOUT, "no idle chat could be opened or polled");
        return;
    }
    let cap = human(plan.cap);
    match plan.configured {
        Some(c) if c <= plan.cap => f.fail(
            TIMEOUT,
            format!("no idle chat expired within {cap}, yet --flex-disconnect-timeout says {}", human(c)),
            &[],
        ),
        _ => f.warn(
            TIMEOUT,
            format!("no idle chat expired within the cap {cap}: the timeout is longer (raise --flex-probe-cap)"),
            &[],
        ),
    }
}

fn judge_timeout(f: &mut Findings, plan: FlexPlan, mid: Duration, half: Duration) {
    let measured = format!("measured {} ± {}", human(mid), human(half));
    let within = |t: Duration| t.max(mid) - t.min(mid) <= half;
    match plan.configured {
        Some(c) if within(c) => f.pass_with(TIMEOUT, format!("{measured}; configured {}", human(c))),
        Some(c) => f.fail(
            TIMEOUT,
            format!("{measured}, but --flex-disconnect-timeout says {}", human(c)),
            &[],
        ),
        None if within(GENESYS_DEFAULT) => {
            f.pass_with(TIMEOUT, format!("{measured}: Genesys's default 45s"))
        }
        None => f.warn(
            TIMEOUT,
            format!("{measured}, not Genesys's default 45s; give later runs --flex-disconnect-timeout {}", human(mid)),
            &[],
        ),
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// A duration rounded to milliseconds, e.g. `1s 875ms`.
fn human(d: Duration) -> String {
    humantime::format_duration(Duration::from_millis(ms(d))).to_string()
}
