//! The open model's Little's law table: offered rate, mean chat length,
//! expected vs measured mean concurrency, drops and arrival lateness.

use super::tables::{Cell, Table};
use crate::report::model::Summary;

/// The table, or nothing for a closed run.
pub(super) fn little(s: &Summary, out: &mut String) {
    let Some(o) = &s.open_model else { return };
    out.push_str(r#"<h3 class="sub">Open model: did the server keep up? (Little's law)</h3>"#);
    let mut t = Table::new(
        "open-model",
        &[("figure", false), ("value", true)],
        "no arrivals",
    );
    let rows = [
        (
            "offered rate (chats/s)",
            format!("{:.3}", o.offered_rate_per_s),
        ),
        (
            "offered rate (chats/h)",
            format!("{:.0}", o.offered_rate_per_s * 3600.0),
        ),
        ("arrivals planned", o.arrivals_planned.to_string()),
        (
            "mean chat length (s)",
            format!("{:.1}", o.mean_chat_length_s),
        ),
        (
            "expected mean concurrency (rate × length)",
            format!("{:.1}", o.expected_concurrency),
        ),
        (
            "measured mean concurrency",
            format!("{:.1}", o.measured_concurrency),
        ),
        (
            "arrival lateness p99 (ms)",
            format!("{:.1}", o.arrival_lateness_ms.p99),
        ),
    ];
    for (k, v) in rows {
        t.row(vec![Cell::text(k), Cell::num(&v)]);
    }
    let drops = format!("{} ({:.2} %)", o.dropped, o.drop_rate * 100.0);
    let badge = if o.dropped > 0 {
        Cell::badge("bad", &drops)
    } else {
        Cell::num(&drops)
    };
    t.row(vec![Cell::text("dropped at the concurrency cap"), badge]);
    t.render(out);
}
