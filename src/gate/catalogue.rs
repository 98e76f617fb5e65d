//! The catalogue of metric names: every name pattern with its unit and meaning (the README's
//! metric table is written from it, and a test checks the README lists every pattern), the
//! expansion into concrete names, and "did you mean" suggestions for typos.

use super::metrics::{transport_kinds, violation_kinds, Metric, Unit, STATS};
use crate::protocol::Operation;
/// One row of the metric catalogue: a name pattern, its unit and meaning.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogueEntry {
    /// Name, with `OP`, `STAT`, `KIND` placeholders where the name varies.
    pub pattern: &'static str,
    /// Unit of the values.
    pub unit: Unit,
    /// What it measures.
    pub meaning: &'static str,
}

/// Every metric, as documented in the README.
pub fn catalogue() -> Vec<CatalogueEntry> {
    use Unit::*;
    let e = |pattern, unit, meaning| CatalogueEntry {
        pattern,
        unit,
        meaning,
    };
    vec![
        e(
            "OP.STAT",
            Millis,
            "latency from the intended send instant (coordinated-omission corrected)",
        ),
        e(
            "OP.service_time.STAT",
            Millis,
            "latency from the actual send instant",
        ),
        e("OP.count", Count, "requests sent for the operation"),
        e(
            "errors.count",
            Count,
            "failed requests (transport errors, statusCode 1/2, non-2xx HTTP)",
        ),
        e("errors.rate", Fraction, "errors.count / requests.total"),
        e(
            "outcome.status_code_N.count",
            Count,
            "responses with statusCode N (0, 1, 2), all operations",
        ),
        e(
            "outcome.status_code_N.rate",
            Fraction,
            "outcome.status_code_N.count / requests.total",
        ),
        e(
            "outcome.http_4xx.count",
            Count,
            "responses with HTTP status 400-499",
        ),
        e(
            "outcome.http_4xx.rate",
            Fraction,
            "outcome.http_4xx.count / requests.total",
        ),
        e(
            "outcome.http_5xx.count",
            Count,
            "responses with HTTP status 500-599",
        ),
        e(
            "outcome.http_5xx.rate",
            Fraction,
            "outcome.http_5xx.count / requests.total",
        ),
        e(
            "transport.KIND.count",
            Count,
            "transport failures of one kind, or of all kinds for KIND = total",
        ),
        e(
            "transport.KIND.rate",
            Fraction,
            "transport.KIND.count / requests.total",
        ),
        e("sessions.started", Count, "sessions started"),
        e(
            "sessions.completed",
            Count,
            "sessions established that ended normally",
        ),
        e(
            "sessions.never_started",
            Count,
            "sessions whose request chat never succeeded (not counted as completed)",
        ),
        e(
            "sessions.never_started.rate",
            Fraction,
            "sessions.never_started / sessions.started",
        ),
        e(
            "sessions.ended_by_client",
            Count,
            "sessions whose disconnect was answered statusCode 0 (script, ramp-down, planned end, Ctrl-C)",
        ),
        e(
            "sessions.ended_by_server",
            Count,
            "sessions ended by the server",
        ),
        e(
            "sessions.failed",
            Count,
            "sessions never established, out of retries or ended by statusCode 2",
        ),
        e(
            "sessions.failed.rate",
            Fraction,
            "sessions.failed / sessions.started",
        ),
        e(
            "sessions.flagged",
            Count,
            "sessions with a poll gap above flex-disconnect-timeout",
        ),
        e(
            "sessions.flagged.rate",
            Fraction,
            "sessions.flagged / sessions.started",
        ),
        e(
            "sessions.near_miss",
            Count,
            "sessions with a gap above the near-miss fraction (none above the timeout)",
        ),
        e(
            "sessions.near_miss.rate",
            Fraction,
            "sessions.near_miss / sessions.started",
        ),
        e(
            "sessions.idle_over_flex",
            Count,
            "sessions that went without any request the server took for longer than flex-disconnect-timeout",
        ),
        e(
            "sessions.idle_over_flex.rate",
            Fraction,
            "sessions.idle_over_flex / sessions.started",
        ),
        e(
            "sessions.expired",
            Count,
            "sessions whose chat the server ended after such a silence (statusCode 2 / 249)",
        ),
        e(
            "sessions.expired.rate",
            Fraction,
            "sessions.expired / sessions.started",
        ),
        e(
            "sessions.peak_active",
            Count,
            "peak concurrently active sessions",
        ),
        e(
            "sessions.dropped",
            Count,
            "open model: arrivals not started because the concurrency cap was full",
        ),
        e(
            "sessions.dropped.rate",
            Fraction,
            "sessions.dropped / sessions.arrivals_planned",
        ),
        e(
            "sessions.arrivals_planned",
            Count,
            "open model: arrivals the plan offered",
        ),
        e(
            "service_level",
            Fraction,
            "share of established chats an agent joined within service_level_target",
        ),
        e(
            "asa",
            Millis,
            "average speed of answer: mean queue wait of the joined chats",
        ),
        e(
            "abandoned.rate",
            Fraction,
            "chats whose customer lost patience before an agent joined, of all that waited",
        ),
        e("gaps.max", Millis, "largest poll gap"),
        e("gaps.p99", Millis, "99th percentile poll gap"),
        e("gaps.p50", Millis, "median poll gap"),
        e("gaps.count", Count, "poll gaps measured"),
        e(
            "violations.total",
            Count,
            "protocol violations of the server, all kinds",
        ),
        e("violations.KIND", Count, "protocol violations of one kind"),
        e("requests.total", Count, "requests sent"),
        e(
            "requests.rate",
            PerSecond,
            "requests per second over the run",
        ),
        e(
            "generator.verdict",
            Verdict,
            "load generator self-check: ok or overloaded",
        ),
        e(
            "generator.lateness.p50",
            Millis,
            "median lateness of sends against their schedule",
        ),
        e(
            "generator.lateness.p99",
            Millis,
            "99th percentile lateness of sends",
        ),
        e(
            "generator.lateness.max",
            Millis,
            "largest lateness of sends",
        ),
    ]
}

/// The concrete names of one catalogue pattern (violation kinds: the known ones).
fn expand(p: &str) -> Vec<String> {
    let mut names = Vec::new();
    if let Some(rest) = p.strip_prefix("OP.") {
        for op in Operation::ALL {
            for stat in STATS {
                names.push(format!("{op}.{}", rest.replace("STAT", stat)));
                if !rest.contains("STAT") {
                    break;
                }
            }
        }
    } else if p.contains("status_code_N") {
        names.extend((0..3).map(|n| p.replace('N', &n.to_string())));
    } else if p.starts_with("transport.KIND") {
        let kinds = transport_kinds().chain(["total"]);
        names.extend(kinds.map(|k| p.replace("KIND", k)));
    } else if p == "violations.KIND" {
        names.extend(violation_kinds().map(|k| format!("violations.{k}")));
    } else {
        names.push(p.to_string());
    }
    names
}

/// Every concrete metric name (violation kinds: the known ones).
pub fn all_names() -> Vec<String> {
    catalogue().iter().flat_map(|e| expand(e.pattern)).collect()
}

/// The metrics a `{profile=NAME}` selector fits, for messages and the README: a whole
/// family as `family.*` when all of it fits, else the patterns one by one.
pub fn per_profile_patterns() -> Vec<String> {
    let fits = |e: &CatalogueEntry| {
        expand(e.pattern)
            .iter()
            .all(|n| Metric::from_name(n).is_some_and(|m| m.per_profile()))
    };
    let entries = catalogue();
    let mut families: Vec<&str> = Vec::new();
    for e in &entries {
        let family = e.pattern.split('.').next().unwrap_or(e.pattern);
        if !families.contains(&family) {
            families.push(family);
        }
    }
    let mut out = Vec::new();
    for family in families {
        let members: Vec<&CatalogueEntry> = entries
            .iter()
            .filter(|e| e.pattern.split('.').next() == Some(family))
            .collect();
        if members.len() > 1 && members.iter().all(|e| fits(e)) {
            out.push(format!("{family}.*"));
        } else {
            out.extend(
                members
                    .iter()
                    .filter(|e| fits(e))
                    .map(|e| e.pattern.to_string()),
            );
        }
    }
    out
}

/// The known name closest to `name`, when it is close enough to be a typo.
pub fn suggest(name: &str, extra: &[String]) -> Option<String> {
    let names = all_names();
    suggest_among(name, names.iter().chain(extra).map(String::as_str))
}

/// The one of `candidates` closest to `name`, when it is close enough to be a typo.
pub fn suggest_among<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let best = candidates
        .map(|n| (strsim::levenshtein(name, n), n))
        .min_by_key(|(d, _)| *d)?;
    let limit = (name.chars().count() / 3).max(2);
    (best.0 <= limit).then(|| best.1.to_string())
}
