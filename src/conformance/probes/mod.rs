//! The probes, run one after the other (no load): `lifecycle` (one chat from
//! request to after its end; its first request also proves the target is
//! reachable), `validation` (requests a server must refuse) and `flex` (the
//! idle chats that measure flex-disconnect-timeout). Suite-wide rules are
//! judged last: `status.no-1-ended` over every answer, `identity.adopt` when
//! the server never changed the identity.
//!
//! To add a rule: 1. add it to `rules::RULES` (statement, source); 2. judge it
//! in a probe through `Findings`; 3. add its `--misbehave` switch to the
//! reference server (`server::misbehave`); the mutation test then covers it.

/// The message of a rule the suite never reached.
pub const NOT_RUN: &str =
    "not run: the suite was interrupted (Ctrl-C) before this rule was checked";

pub mod flex;
mod lifecycle;
mod requests;
mod transcript;
mod validation;

use super::findings::Findings;
use super::model::FlexResult;
use super::session::ADOPT;
use super::transport::Prober;

/// What the suite found.
pub struct SuiteOutcome {
    /// Observations per rule.
    pub findings: Findings,
    /// The timeout measurement.
    pub flex: FlexResult,
    /// `stop` ended the suite early: rules whose probe had not started are marked not run.
    pub interrupted: bool,
}

/// Run every probe until `stop` completes (Ctrl-C). Err(cause) when the target never answered.
pub async fn run_suite(
    p: &Prober,
    plan: flex::FlexPlan,
    say: &(dyn Fn(&str) + Sync),
    stop: impl std::future::Future<Output = ()>,
) -> Result<SuiteOutcome, String> {
    let mut f = Findings::default();
    let mut flex = None;
    let probes = async {
        lifecycle::run(p, &mut f).await?;
        validation::run(p, &mut f).await;
        flex = Some(flex::run(p, &mut f, plan, say).await);
        Ok::<(), String>(())
    };
    let interrupted = tokio::select! {
        r = probes => {
            r?;
            false
        }
        () = stop => true,
    };
    let flex = flex.unwrap_or_else(|| FlexResult {
        mode: plan.mode.as_str().into(),
        configured_ms: plan.configured.map(|d| d.as_millis() as u64),
        cap_ms: plan.cap.as_millis() as u64,
        ..FlexResult::default()
    });
    let (impossible, answers) = p.impossible_answers();
    if let Some(first) = impossible.first() {
        let msg = format!(
            "{} of {answers} answers were statusCode 1 with chatEnded true (first: {})",
            impossible.len(),
            first.operation
        );
        let ev: Vec<_> = impossible.iter().collect();
        f.fail("status.no-1-ended", msg, &ev);
    } else if answers > 0 {
        f.pass_with("status.no-1-ended", format!("none of {answers} answers"));
    } else {
        f.skip("status.no-1-ended", "no answer was a chat envelope");
    }
    f.skip(
        ADOPT,
        "the server never announced a new alias, userId or secureKey, so there was nothing to adopt",
    );
    if interrupted {
        f.not_run(NOT_RUN);
    }
    Ok(SuiteOutcome {
        findings: f,
        flex,
        interrupted,
    })
}
