//! The customer-mix section: one row per `[[customers]]` profile with what summary.json's
//! `profiles` object holds (sessions, established, flagged, near misses, largest gap, and
//! the profile's service level), then its requests (errors, transport errors, violations,
//! poll gap p99) and its latency per main operation (p50/p99 corrected, p99 service time).
//! Nothing for a run without profiles.

use super::format;
use super::tables::{Cell, Table};
use crate::report::model::Summary;

/// The operations whose latency the per-profile table shows (all are in operations.csv).
const MAIN_OPERATIONS: [&str; 3] = ["request_chat", "poll", "send"];

/// A count, as a red badge when above zero.
fn bad_if_any(n: u64) -> Cell {
    let text = format::count(n);
    if n > 0 {
        Cell::badge("bad", &text)
    } else {
        Cell::num(&text)
    }
}

/// The section, or nothing when the run had no `[[customers]]` profiles.
pub(crate) fn profiles(s: &Summary, out: &mut String) {
    if s.profiles.is_empty() {
        return;
    }
    out.push_str(r#"<h3 class="sub">Customer profiles</h3>"#);
    let mut t = Table::new(
        "profiles",
        &[
            ("profile", false),
            ("sessions", true),
            ("established", true),
            ("flagged", true),
            ("near miss", true),
            ("max gap", true),
            ("service level", true),
            ("ASA", true),
            ("abandoned", true),
        ],
        "no profile",
    );
    for (name, p) in &s.profiles {
        let sl = p.service_level.as_ref();
        let dash = || Cell::num("–");
        t.row(vec![
            Cell::text(name),
            Cell::num(&format::count(p.sessions)),
            Cell::num(&format::count(p.established)),
            bad_if_any(p.flagged),
            Cell::num(&format::count(p.near_miss)),
            Cell::num(&format::ms(p.max_gap_ms)),
            sl.map_or_else(dash, |l| Cell::num(&format::pct(l.within_target_rate))),
            sl.map_or_else(dash, |l| Cell::num(&format::ms(l.asa_ms))),
            sl.map_or_else(dash, |l| Cell::num(&format::count(l.abandoned))),
        ]);
    }
    t.render(out);
    out.push_str(r#"<p class="note">Each profile's requests and latency (corrected: from the intended send; service time: from the actual send); operations.csv and outcomes.csv have every operation and outcome per profile.</p>"#);
    requests(s, out);
    latency(s, out);
}

/// A row per profile: requests, errors, transport errors, violations, poll gaps.
fn requests(s: &Summary, out: &mut String) {
    let mut t = Table::new(
        "profile-requests",
        &[
            ("profile", false),
            ("requests", true),
            ("errors", true),
            ("error rate", true),
            ("transport errors", true),
            ("violations", true),
            ("flagged gaps", true),
            ("poll gap p99", true),
        ],
        "no profile",
    );
    for (name, p) in &s.profiles {
        t.row(vec![
            Cell::text(name),
            Cell::num(&format::count(p.requests.total)),
            bad_if_any(p.requests.errors),
            Cell::num(&format::pct(p.requests.error_rate)),
            bad_if_any(p.transport_errors.values().sum()),
            bad_if_any(p.violations_total()),
            bad_if_any(p.gaps.flagged_by_cause.values().sum()),
            Cell::num(&format::ms(p.gaps.p99_ms)),
        ]);
    }
    t.render(out);
}

/// A row per profile and main operation it sent: both latency views.
fn latency(s: &Summary, out: &mut String) {
    let mut t = Table::new(
        "profile-latency",
        &[
            ("profile", false),
            ("operation", false),
            ("requests", true),
            ("p50", true),
            ("p99", true),
            ("max", true),
            ("service time p50", true),
            ("service time p99", true),
        ],
        "no request",
    );
    for (name, p) in &s.profiles {
        for op in MAIN_OPERATIONS {
            let (Some(l), Some(st)) = (p.latency_ms.get(op), p.service_time_ms.get(op)) else {
                continue;
            };
            t.row(vec![
                Cell::text(name),
                Cell::text(op),
                Cell::num(&format::count(l.count)),
                Cell::num(&format::ms(l.p50)),
                Cell::num(&format::ms(l.p99)),
                Cell::num(&format::ms(l.max)),
                Cell::num(&format::ms(st.p50)),
                Cell::num(&format::ms(st.p99)),
            ]);
        }
    }
    t.render(out);
}
