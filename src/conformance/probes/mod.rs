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
}

/// Run every probe. Err(cause) when the target never answered.
pub async fn run_suite(
    p: &Prober,
    plan: flex::FlexPlan,
    say: &(dyn Fn(&str) + Sync),
) -> Result<SuiteOutcome, String> {
    let mut f = Findings::default();
    lifecycle::run(p, &mut f).await?;
    validation::run(p, &mut f).await;
    let flex = flex::run(p, &mut f, plan, say).await;
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
    Ok(SuiteOutcome { findings: f, flex })
}
