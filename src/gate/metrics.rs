//! Metric names: what each one reads from a [`Summary`] and its unit. The list of every name
//! (for the README and "did you mean" suggestions) is in [`super::catalogue`].
//!
//! Values come out in base units: milliseconds for latencies and gaps, a fraction 0..1 for
//! rates, a plain count, requests per second for throughput. A metric the run has no data
//! for (an operation that never happened, a rate over zero requests) resolves to
//! [`Observed::NoData`], which makes a threshold fail: CI should not pass on silence.
//!
//! A metric with a profile (`poll.p99{profile=lurker}`) is read the same way from that
//! profile's figures, seen as a summary of their own ([`super::select::profile_view`]).

use crate::protocol::Operation;
use crate::report::model::{LatencyStats, Summary};
use crate::report::vocab::{GeneratorVerdict, TransportErrorKind, ViolationKind};
use crate::util::trim_decimals;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Latency statistics every operation offers.
pub const STATS: [&str; 8] = ["p50", "p90", "p99", "p999", "p9999", "min", "mean", "max"];

/// Transport failure kinds recorded in `summary.transport_errors` (the engine's list).
pub fn transport_kinds() -> impl Iterator<Item = &'static str> {
    TransportErrorKind::ALL
        .into_iter()
        .map(TransportErrorKind::as_str)
}

/// Protocol violation kinds recorded in `summary.violations` (the engine's list).
pub fn violation_kinds() -> impl Iterator<Item = &'static str> {
    ViolationKind::ALL.into_iter().map(ViolationKind::as_str)
}

fn known(mut kinds: impl Iterator<Item = &'static str>, s: &str) -> Option<&'static str> {
    kinds.find(|k| *k == s)
}

const SESSION_COUNTS: [&str; 13] = [
    "started",
    "completed",
    "never_started",
    "ended_by_client",
    "ended_by_server",
    "failed",
    "flagged",
    "near_miss",
    "idle_over_flex",
    "expired",
    "peak_active",
    "dropped",
    "arrivals_planned",
];
const SESSION_RATES: [&str; 7] = [
    "failed",
    "never_started",
    "flagged",
    "near_miss",
    "idle_over_flex",
    "expired",
    "dropped",
];
const OUTCOME_CLASSES: [&str; 5] = [
    "status_code_0",
    "status_code_1",
    "status_code_2",
    "http_4xx",
    "http_5xx",
];

/// The unit a metric is measured in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Milliseconds (latencies, gaps, lateness).
    Millis,
    /// A fraction 0..1, written as a percentage.
    Fraction,
    /// A plain count.
    Count,
    /// Requests per second.
    PerSecond,
    /// A word: the generator verdict.
    Verdict,
}

impl Unit {
    /// Short description for error messages and docs.
    pub fn describe(self) -> &'static str {
        match self {
            Unit::Millis => "a duration in ms",
            Unit::Fraction => "a rate (fraction 0..1)",
            Unit::Count => "a count",
            Unit::PerSecond => "a throughput per second",
            Unit::Verdict => "a verdict word",
        }
    }

    /// Render a value of this unit for humans.
    pub fn format(self, v: f64) -> String {
        match self {
            Unit::Millis => format!("{} ms", trim_decimals(v, 3)),
            Unit::Fraction => format!("{}%", trim_decimals(v * 100.0, 4)),
            Unit::Count | Unit::Verdict => trim_decimals(v, 3),
            Unit::PerSecond => format!("{}/s", trim_decimals(v, 1)),
        }
    }
}

/// Which direction is an improvement (for baseline regressions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    /// Smaller is better (latency, errors, gaps, violations).
    Lower,
    /// Larger is better (throughput and volume).
    Higher,
}

/// What a metric resolves to in one summary.
#[derive(Debug, Clone, PartialEq)]
pub enum Observed {
    /// A number in the metric's base unit.
    Value(f64),
    /// A generator verdict.
    Word(GeneratorVerdict),
    /// The run has no data for it; the reason says why.
    NoData(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Source {
    Latency {
        op: &'static str,
        service: bool,
        stat: &'static str,
    },
    OpCount(&'static str),
    Errors(bool),
    Outcome(&'static str, bool),
    Transport(&'static str, bool),
    Session(&'static str, bool),
    Gap(&'static str),
    ViolationsTotal,
    Violation(&'static str),
    Requests(bool),
    Verdict,
    /// `service_level`, `asa`, `abandoned.rate` (the summary's `service_level` object).
    Service(&'static str),
    Lateness(&'static str),
}

/// A known metric, ready to be read from summaries.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// The name as written (`poll.p99`), without its selector.
    pub name: String,
    /// Its unit.
    pub unit: Unit,
    source: Source,
    /// The `[[customers]]` profile it is read from (None: the whole run).
    profile: Option<String>,
}

/// Session counts a profile's figures hold (the others are run-wide only).
const PROFILE_SESSION_FIELDS: [&str; 6] = [
    "started",
    "never_started",
    "failed",
    "ended_by_server",
    "flagged",
    "near_miss",
];

fn pick(list: &[&'static str], s: &str) -> Option<&'static str> {
    list.iter().find(|x| **x == s).copied()
}

impl Metric {
    /// Look a name up; None when no such metric exists.
    pub fn from_name(name: &str) -> Option<Metric> {
        let parts: Vec<&str> = name.split('.').collect();
        let (source, unit) = match parts.as_slice() {
            [op, rest @ ..] if Operation::from_name(op).is_some() => {
                let op = Operation::from_name(op)?.as_str();
                match rest {
                    [stat] => match pick(&STATS, stat) {
                        Some(stat) => (
                            Source::Latency {
                                op,
                                service: false,
                                stat,
                            },
                            Unit::Millis,
                        ),
                        None if *stat == "count" => (Source::OpCount(op), Unit::Count),
                        None => return None,
                    },
                    ["service_time", stat] => (
                        Source::Latency {
                            op,
                            service: true,
                            stat: pick(&STATS, stat)?,
                        },
                        Unit::Millis,
                    ),
                    _ => return None,
                }
            }
            ["errors", "rate"] => (Source::Errors(true), Unit::Fraction),
            ["errors", "count"] => (Source::Errors(false), Unit::Count),
            ["outcome", class, m] => (
                Source::Outcome(pick(&OUTCOME_CLASSES, class)?, rate(m)?),
                unit_of(m),
            ),
            ["transport", "total", m] => (Source::Transport("total", rate(m)?), unit_of(m)),
            ["transport", kind, m] => (
                Source::Transport(known(transport_kinds(), kind)?, rate(m)?),
                unit_of(m),
            ),
            ["sessions", field] => (
                Source::Session(pick(&SESSION_COUNTS, field)?, false),
                Unit::Count,
            ),
            ["sessions", field, "rate"] => (
                Source::Session(pick(&SESSION_RATES, field)?, true),
                Unit::Fraction,
            ),
            ["gaps", "count"] => (Source::Gap("count"), Unit::Count),
            ["gaps", f] => (Source::Gap(pick(&["max", "p99", "p50"], f)?), Unit::Millis),
            ["violations", "total"] => (Source::ViolationsTotal, Unit::Count),
            ["violations", kind] => (
                Source::Violation(known(violation_kinds(), kind)?),
                Unit::Count,
            ),
            ["requests", "total"] => (Source::Requests(false), Unit::Count),
            ["requests", "rate"] => (Source::Requests(true), Unit::PerSecond),
            ["service_level"] => (Source::Service("service_level"), Unit::Fraction),
            ["asa"] => (Source::Service("asa"), Unit::Millis),
            ["abandoned", "rate"] => (Source::Service("abandoned"), Unit::Fraction),
            ["generator", "verdict"] => (Source::Verdict, Unit::Verdict),
            ["generator", "lateness", f] => (
                Source::Lateness(pick(&["p50", "p99", "max"], f)?),
                Unit::Millis,
            ),
            _ => return None,
        };
        Some(Metric {
            name: name.to_string(),
            unit,
            source,
            profile: None,
        })
    }

    /// Whether a profile's figures hold this metric: not the generator's self-check, nor the
    /// open model's drops and plan, nor session counts that only the whole run keeps.
    pub fn per_profile(&self) -> bool {
        match &self.source {
            Source::Verdict | Source::Lateness(_) => false,
            Source::Session(field, _) => PROFILE_SESSION_FIELDS.contains(field),
            _ => true,
        }
    }

    /// This metric read from the `[[customers]]` profile `name`; None when it has no
    /// per-profile value ([`Metric::per_profile`]).
    pub fn for_profile(self, name: &str) -> Option<Metric> {
        self.per_profile().then(|| Metric {
            profile: Some(name.to_string()),
            ..self
        })
    }

    /// The profile it is read from (None: the whole run).
    pub fn profile(&self) -> Option<&str> {
        self.profile.as_deref()
    }

    /// The name with its selector, as the grammar reads it back: `poll.p99{profile=lurker}`.
    pub fn label(&self) -> String {
        match &self.profile {
            Some(p) => format!("{}{}", self.name, super::expr::selector_text(p)),
            None => self.name.clone(),
        }
    }

    /// The summary this metric reads: `s` itself, or its profile's figures seen as one.
    fn scope<'a>(&self, s: &'a Summary) -> Result<Cow<'a, Summary>, String> {
        match &self.profile {
            None => Ok(Cow::Borrowed(s)),
            Some(p) => super::select::profile_view(s, p)
                .map(Cow::Owned)
                .ok_or_else(|| format!("the summary has no figures for profile '{p}'")),
        }
    }

    /// Which direction is an improvement.
    pub fn better(&self) -> Better {
        match &self.source {
            Source::OpCount(_) | Source::Requests(_) => Better::Higher,
            Source::Session(f, false) if matches!(*f, "started" | "completed" | "peak_active") => {
                Better::Higher
            }
            Source::Gap("count") | Source::Service("service_level") => Better::Higher,
            _ => Better::Lower,
        }
    }

    /// For a percentile metric (`OP.pXX`, `OP.service_time.pXX`, `gaps.p50|p99`): its
    /// quantile and how many samples `s` holds behind it. None for other metrics.
    pub fn percentile_samples(&self, s: &Summary) -> Option<(f64, u64)> {
        let s = &*self.scope(s).ok()?;
        let quantile = |stat: &str| match stat {
            "p50" => Some(0.5),
            "p90" => Some(0.9),
            "p99" => Some(0.99),
            "p999" => Some(0.999),
            "p9999" => Some(0.9999),
            _ => None,
        };
        match &self.source {
            Source::Latency { op, service, stat } => {
                let map = if *service {
                    &s.service_time_ms
                } else {
                    &s.latency_ms
                };
                Some((quantile(stat)?, map.get(*op).map_or(0, |st| st.count)))
            }
            Source::Gap(stat) => Some((quantile(stat)?, s.gaps.count)),
            _ => None,
        }
    }

    /// Read this metric from a summary (from its profile's figures, with a selector).
    pub fn resolve(&self, s: &Summary) -> Observed {
        match self.scope(s) {
            Ok(s) => self.read(&s),
            Err(why) => Observed::NoData(why),
        }
    }

    fn read(&self, s: &Summary) -> Observed {
        use Observed::{NoData, Value};
        let total = s.requests.total;
        let per_request = |count: u64| {
            if total == 0 {
                NoData("no requests recorded".to_string())
            } else {
                Value(count as f64 / total as f64)
            }
        };
        match &self.source {
            Source::Latency { op, service, stat } => {
                let map = if *service {
                    &s.service_time_ms
                } else {
                    &s.latency_ms
                };
                latency(map, op, stat)
            }
            Source::OpCount(op) => Value(op_count(s, op) as f64),
            Source::Errors(false) => Value(s.requests.errors as f64),
            Source::Errors(true) if total == 0 => per_request(0),
            Source::Errors(true) => Value(s.requests.error_rate),
            Source::Outcome(class, is_rate) => {
                let n = outcome_count(s, class);
                if *is_rate {
                    per_request(n)
                } else {
                    Value(n as f64)
                }
            }
            Source::Transport(kind, is_rate) => {
                let n = match *kind {
                    "total" => s.transport_errors.values().sum(),
                    k => s.transport_errors.get(k).copied().unwrap_or(0),
                };
                if *is_rate {
                    per_request(n)
                } else {
                    Value(n as f64)
                }
            }
            Source::Session(field, is_rate) => session(s, field, *is_rate),
            Source::Gap("count") => Value(s.gaps.count as f64),
            Source::Gap(_) if s.gaps.count == 0 => NoData("no poll gaps recorded".to_string()),
            Source::Gap(f) => Value(if *f == "max" {
                s.gaps.max_ms
            } else if *f == "p99" {
                s.gaps.p99_ms
            } else {
                s.gaps.p50_ms
            }),
            Source::ViolationsTotal => Value(s.violations_total() as f64),
            Source::Violation(kind) => match s.violations.get(*kind) {
                Some(n) => Value(*n as f64),
                None => NoData(format!("the summary has no '{kind}' count")),
            },
            Source::Requests(false) => Value(total as f64),
            Source::Requests(true) => Value(s.requests.rate_per_s),
            Source::Service(f) => service(s, f),
            Source::Verdict if s.generator.verdict == GeneratorVerdict::Unknown => {
                NoData("no generator verdict recorded".to_string())
            }
            Source::Verdict => Observed::Word(s.generator.verdict),
            Source::Lateness(f) => {
                let l = &s.generator.schedule_lateness_ms;
                Value(match *f {
                    "p50" => l.p50,
                    "p99" => l.p99,
                    _ => l.max,
                })
            }
        }
    }
}

fn rate(m: &str) -> Option<bool> {
    match m {
        "rate" => Some(true),
        "count" => Some(false),
        _ => None,
    }
}

fn unit_of(m: &str) -> Unit {
    if m == "rate" {
        Unit::Fraction
    } else {
        Unit::Count
    }
}

fn latency(map: &BTreeMap<String, LatencyStats>, op: &str, stat: &str) -> Observed {
    let Some(st) = map.get(op).filter(|st| st.count > 0) else {
        return Observed::NoData(format!("no {op} requests recorded"));
    };
    Observed::Value(match stat {
        "p50" => st.p50,
        "p90" => st.p90,
        "p99" => st.p99,
        "p999" => st.p999,
        "p9999" => st.p9999,
        "min" => st.min,
        "mean" => st.mean,
        _ => st.max,
    })
}

fn op_count(s: &Summary, op: &str) -> u64 {
    match s.requests.by_operation.get(op) {
        Some(n) => *n,
        None => s.latency_ms.get(op).map_or(0, |st| st.count),
    }
}

fn outcome_count(s: &Summary, class: &str) -> u64 {
    let matches = |o: &crate::report::model::OutcomeCount| match class {
        "status_code_0" => o.status_code == Some(0),
        "status_code_1" => o.status_code == Some(1),
        "status_code_2" => o.status_code == Some(2),
        "http_4xx" => (400..500).contains(&o.http_status),
        _ => (500..600).contains(&o.http_status),
    };
    s.outcomes
        .iter()
        .filter(|o| matches(o))
        .map(|o| o.count)
        .sum()
}

/// `service_level` (within-target rate), `asa` (ms) or `abandoned` (rate of the chats
/// that waited: joined, abandoned or never joined).
fn service(s: &Summary, field: &str) -> Observed {
    let Some(sl) = &s.service_level else {
        return Observed::NoData("no chat was established (no service level)".to_string());
    };
    let waited = sl.joined + sl.abandoned + sl.never_joined;
    match field {
        "asa" if sl.joined == 0 => Observed::NoData("no agent joined any chat".to_string()),
        "asa" => Observed::Value(sl.asa_ms),
        "abandoned" => Observed::Value(sl.abandoned as f64 / waited.max(1) as f64),
        _ => Observed::Value(sl.within_target_rate),
    }
}

fn session(s: &Summary, field: &str, is_rate: bool) -> Observed {
    let ss = &s.sessions;
    let n = match field {
        "started" => ss.started,
        "completed" => ss.completed,
        "never_started" => ss.never_started,
        "ended_by_client" => ss.ended_by_client,
        "ended_by_server" => ss.ended_by_server,
        "failed" => ss.failed,
        "flagged" => ss.flagged,
        "near_miss" => ss.near_miss,
        "idle_over_flex" => ss.idle_over_flex,
        "expired" => ss.expired,
        // The closed model drops nothing and plans no arrivals.
        "dropped" => ss.dropped.unwrap_or(0),
        "arrivals_planned" => ss.arrivals_planned.unwrap_or(0),
        _ => ss.peak_active,
    };
    if field == "dropped" && is_rate {
        let planned = ss.arrivals_planned.unwrap_or(0);
        if planned == 0 {
            return Observed::NoData("no arrivals planned (closed model)".to_string());
        }
        return Observed::Value(n as f64 / planned as f64);
    }
    if !is_rate {
        return Observed::Value(n as f64);
    }
    if ss.started == 0 {
        return Observed::NoData("no sessions started".to_string());
    }
    Observed::Value(match field {
        "flagged" => ss.flagged_rate,
        "near_miss" => ss.near_miss_rate,
        _ => n as f64 / ss.started as f64,
    })
}
