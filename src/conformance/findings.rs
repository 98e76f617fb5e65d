//! What the probes saw, per rule, and how it becomes a verdict: any failure
//! makes `fail` (first message, first few exchanges as evidence); else a
//! warning makes `warn`; else at least one passing check makes `pass`; else
//! `skip` with the reason a probe gave (or "not checked").

use super::model::{Exchange, RuleResult, Verdict};
use super::rules::{self, RuleDef};
use crate::protocol::Dialect;
use std::collections::BTreeMap;

/// Most exchanges kept as evidence per rule.
const MAX_EVIDENCE: usize = 3;

#[derive(Debug, Default)]
struct State {
    passes: u32,
    failures: Vec<String>,
    evidence: Vec<Exchange>,
    warning: Option<(String, Vec<Exchange>)>,
    skip: Option<String>,
    note: Option<String>,
}

/// Observations per rule name.
#[derive(Debug, Default)]
pub struct Findings {
    rules: BTreeMap<&'static str, State>,
}

impl Findings {
    /// A check of `rule` held.
    pub fn pass(&mut self, rule: &'static str) {
        self.rules.entry(rule).or_default().passes += 1;
    }

    /// A check of `rule` failed: `message` says what was seen.
    pub fn fail(&mut self, rule: &'static str, message: impl Into<String>, evidence: &[&Exchange]) {
        let s = self.rules.entry(rule).or_default();
        s.failures.push(message.into());
        for e in evidence {
            if s.evidence.len() < MAX_EVIDENCE {
                s.evidence.push((*e).clone());
            }
        }
    }

    /// A check of `rule` held; `note` replaces the usual "N checks held" message.
    pub fn pass_with(&mut self, rule: &'static str, note: impl Into<String>) {
        let s = self.rules.entry(rule).or_default();
        s.passes += 1;
        s.note = Some(note.into());
    }

    /// `ok` ? pass : fail with `message`.
    pub fn check(
        &mut self,
        rule: &'static str,
        ok: bool,
        message: impl FnOnce() -> String,
        evidence: &[&Exchange],
    ) {
        if ok {
            self.pass(rule);
        } else {
            self.fail(rule, message(), evidence);
        }
    }

    /// Legal but unusual.
    pub fn warn(&mut self, rule: &'static str, message: impl Into<String>, evidence: &[&Exchange]) {
        let s = self.rules.entry(rule).or_default();
        if s.warning.is_none() {
            let ev = evidence.iter().map(|e| (*e).clone()).collect();
            s.warning = Some((message.into(), ev));
        }
    }

    /// `rule` could not be tested (kept only if nothing else is known of it).
    pub fn skip(&mut self, rule: &'static str, reason: impl Into<String>) {
        let s = self.rules.entry(rule).or_default();
        if s.skip.is_none() {
            s.skip = Some(reason.into());
        }
    }

    /// Skip every rule in `names` with the same reason.
    pub fn skip_all(&mut self, names: &[&'static str], reason: &str) {
        for n in names {
            self.skip(n, reason);
        }
    }

    /// Every catalogue rule nothing was observed of is skipped with `reason`
    /// (an interrupted suite: what ran keeps its verdict).
    pub fn not_run(&mut self, reason: &str) {
        for def in rules::RULES {
            self.rules.entry(def.name).or_insert_with(|| State {
                skip: Some(reason.into()),
                ..State::default()
            });
        }
    }

    /// Has `rule` failed so far?
    pub fn failed(&self, rule: &str) -> bool {
        self.rules.get(rule).is_some_and(|s| !s.failures.is_empty())
    }

    /// The verdict of one rule.
    pub fn result(&self, dialect: Dialect, def: &RuleDef) -> RuleResult {
        let state = self.rules.get(def.name);
        let (verdict, message, evidence) = match state {
            Some(s) if !s.failures.is_empty() => {
                let more = match s.failures.len() {
                    1 => String::new(),
                    n => format!(" (and {} more)", n - 1),
                };
                let message = format!("{}{more}", s.failures[0]);
                (Verdict::Fail, message, s.evidence.clone())
            }
            Some(State {
                warning: Some((m, ev)),
                ..
            }) => (Verdict::Warn, m.clone(), ev.clone()),
            Some(s) if s.passes > 0 => {
                let n = s.passes;
                let checks = if n == 1 { "check" } else { "checks" };
                let message = s.note.clone().unwrap_or(format!("{n} {checks} held"));
                (Verdict::Pass, message, Vec::new())
            }
            Some(State { skip: Some(r), .. }) => (Verdict::Skip, r.clone(), Vec::new()),
            _ => (Verdict::Skip, "not checked".to_string(), Vec::new()),
        };
        RuleResult {
            id: rules::id(dialect, def.name),
            verdict,
            statement: def.statement.to_string(),
            source: def.source.to_string(),
            message,
            evidence,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance::rules::RULES;

    #[test]
    fn failure_beats_warning_beats_pass_beats_skip() {
        let def = &RULES[0];
        let mut f = Findings::default();
        f.skip(def.name, "nothing to see");
        assert_eq!(f.result(Dialect::GmsV2, def).verdict, Verdict::Skip);
        f.pass(def.name);
        assert_eq!(f.result(Dialect::GmsV2, def).verdict, Verdict::Pass);
        f.warn(def.name, "odd", &[]);
        assert_eq!(f.result(Dialect::GmsV2, def).verdict, Verdict::Warn);
        f.fail(def.name, "broken", &[]);
        f.fail(def.name, "broken again", &[]);
        let r = f.result(Dialect::GmsV2, def);
        assert_eq!(r.verdict, Verdict::Fail);
        assert_eq!(r.message, "broken (and 1 more)");
        assert_eq!(r.id, "gms.request.accepts");
    }
}
