//! The customer-mix section: one row per `[[customers]]` profile with what summary.json's
//! `profiles` object holds (sessions, established, flagged, near misses, largest gap, and
//! the profile's service level). Nothing for a run without profiles.

use super::format;
use super::tables::{Cell, Table};
use crate::report::model::Summary;

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
        let flagged = format::count(p.flagged);
        let sl = p.service_level.as_ref();
        let dash = || Cell::num("–");
        t.row(vec![
            Cell::text(name),
            Cell::num(&format::count(p.sessions)),
            Cell::num(&format::count(p.established)),
            if p.flagged > 0 {
                Cell::badge("bad", &flagged)
            } else {
                Cell::num(&flagged)
            },
            Cell::num(&format::count(p.near_miss)),
            Cell::num(&format::ms(p.max_gap_ms)),
            sl.map_or_else(dash, |l| Cell::num(&format::pct(l.within_target_rate))),
            sl.map_or_else(dash, |l| Cell::num(&format::ms(l.asa_ms))),
            sl.map_or_else(dash, |l| Cell::num(&format::count(l.abandoned))),
        ]);
    }
    t.render(out);
}
