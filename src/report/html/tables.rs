//! The report's tables, each a `<table data-table=ID>` built from the model.
//!
//! Every cell is escaped on the way in ([`Cell::text`], [`Cell::num`]); the
//! only raw HTML cells are badges built here from fixed strings.

use super::escape::esc;
use super::explain;
use super::format;
use super::outcome_chart::category_label;
use crate::report::model::{LatencyStats, Summary};
use std::fmt::Write;

/// One table cell, already escaped.
pub(super) struct Cell {
    html: String,
    numeric: bool,
}

impl Cell {
    /// Left-aligned text.
    pub(super) fn text(s: &str) -> Cell {
        Cell {
            html: esc(s).into_owned(),
            numeric: false,
        }
    }

    /// Right-aligned figure.
    pub(super) fn num(s: &str) -> Cell {
        Cell {
            html: esc(s).into_owned(),
            numeric: true,
        }
    }

    /// A coloured badge (`kind` is a fixed class: ok, warn, bad).
    pub(super) fn badge(kind: &'static str, label: &str) -> Cell {
        Cell {
            html: format!(r#"<span class="badge {kind}">{}</span>"#, esc(label)),
            numeric: false,
        }
    }
}

/// A table under construction.
pub(super) struct Table {
    id: &'static str,
    head: Vec<(&'static str, bool)>,
    rows: Vec<Vec<Cell>>,
    empty: &'static str,
    tall: bool,
}

impl Table {
    /// A table `id` with its column headers (`true` = numeric column).
    pub(super) fn new(
        id: &'static str,
        head: &[(&'static str, bool)],
        empty: &'static str,
    ) -> Table {
        Table {
            id,
            head: head.to_vec(),
            rows: Vec::new(),
            empty,
            tall: false,
        }
    }

    /// Show the table in a scroll box with a sticky header (all rows still print).
    pub(super) fn tall(mut self) -> Table {
        self.tall = true;
        self
    }

    /// Append a row.
    pub(super) fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }

    /// Write the table into `out`.
    pub(super) fn render(&self, out: &mut String) {
        let _ = write!(
            out,
            r#"<div class="table-wrap{}"><table data-table="{}" data-rows="{}"><thead><tr>"#,
            if self.tall { " tall" } else { "" },
            self.id,
            self.rows.len()
        );
        for (h, numeric) in &self.head {
            let class = if *numeric { r#" class="num""# } else { "" };
            let _ = write!(out, "<th{class}>{}</th>", esc(h));
        }
        out.push_str("</tr></thead><tbody>\n");
        if self.rows.is_empty() {
            let _ = write!(
                out,
                r#"<tr class="empty"><td colspan="{}">{}</td></tr>"#,
                self.head.len(),
                esc(self.empty)
            );
        }
        for row in &self.rows {
            out.push_str("<tr>");
            for c in row {
                let class = if c.numeric { r#" class="num""# } else { "" };
                let _ = write!(out, "<td{class}>{}</td>", c.html);
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody></table></div>\n");
    }
}

fn latency_cells(l: &LatencyStats) -> Vec<Cell> {
    let mut cells = vec![Cell::num(&format::count(l.count))];
    for v in [l.min, l.mean, l.p50, l.p90, l.p99, l.p999, l.p9999, l.max] {
        cells.push(Cell::num(&format::num(v)));
    }
    cells
}

/// Per-operation latency, both views (milliseconds).
pub(super) fn latency(s: &Summary, out: &mut String) {
    let mut t = Table::new(
        "latency",
        &[
            ("operation", false),
            ("view", false),
            ("requests", true),
            ("measured", true),
            ("min", true),
            ("mean", true),
            ("p50", true),
            ("p90", true),
            ("p99", true),
            ("p99.9", true),
            ("p99.99", true),
            ("max", true),
        ],
        "no latency recorded",
    );
    let ops: std::collections::BTreeSet<&String> = s
        .latency_ms
        .keys()
        .chain(s.service_time_ms.keys())
        .collect();
    for op in ops {
        let requests = s.requests.by_operation.get(op).copied().unwrap_or(0);
        for (view, stats) in [
            ("corrected", s.latency_ms.get(op)),
            ("service time", s.service_time_ms.get(op)),
        ] {
            if let Some(l) = stats {
                let mut row = vec![
                    Cell::text(op),
                    Cell::text(view),
                    Cell::num(&format::count(requests)),
                ];
                row.extend(latency_cells(l));
                t.row(row);
            }
        }
    }
    t.render(out);
}

/// Outcome counts with the seed table's reading of each.
pub(super) fn outcomes(s: &Summary, out: &mut String) {
    let mut t = Table::new(
        "outcomes",
        &[
            ("operation", false),
            ("HTTP", true),
            ("statusCode", true),
            ("chatEnded", false),
            ("responses", true),
            ("meaning", false),
        ],
        "no responses recorded",
    );
    let mut list: Vec<_> = s.outcomes.iter().collect();
    list.sort();
    for o in list {
        let http = if o.http_status == 0 {
            "–".to_string()
        } else {
            o.http_status.to_string()
        };
        let sc = o.status_code.map_or("–".to_string(), |c| c.to_string());
        let ended = o.chat_ended.map_or("–".to_string(), |e| e.to_string());
        let meaning = if o.http_status != 0
            && !(200..300).contains(&o.http_status)
            && o.status_code.is_none()
        {
            format!(
                "{}: no chat envelope.",
                category_label((o.http_status, None, None))
            )
        } else {
            explain::outcome_meaning(o.status_code, o.chat_ended).to_string()
        };
        t.row(vec![
            Cell::text(&o.operation),
            Cell::num(&http),
            Cell::num(&sc),
            Cell::text(&ended),
            Cell::num(&format::count(o.count)),
            Cell::text(&meaning),
        ]);
    }
    t.render(out);
}

/// Transport errors by kind.
pub(super) fn transport_errors(s: &Summary, out: &mut String) {
    let mut t = Table::new(
        "transport-errors",
        &[("kind", false), ("count", true), ("what it means", false)],
        "no transport errors",
    );
    for (kind, n) in s.transport_errors.iter().filter(|(_, n)| **n > 0) {
        t.row(vec![
            Cell::text(kind),
            Cell::num(&format::count(*n)),
            Cell::text(&super::reach::with_samples(s, kind)),
        ]);
    }
    t.render(out);
}

/// Flagged gaps by cause.
pub(super) fn gap_causes(s: &Summary, out: &mut String) {
    let mut t = Table::new(
        "gap-causes",
        &[
            ("cause", false),
            ("flagged gaps", true),
            ("what it means", false),
        ],
        "no causes recorded",
    );
    for (cause, n) in &s.gaps.flagged_by_cause {
        t.row(vec![
            Cell::text(cause),
            Cell::num(&format::count(*n)),
            Cell::text(explain::gap_cause(cause)),
        ]);
    }
    t.render(out);
}

/// The worst sessions by max gap, worst first, as the model orders them.
pub(super) fn worst_sessions(s: &Summary, out: &mut String) {
    let mut t = Table::new(
        "worst-sessions",
        &[
            ("rank", true),
            ("session", true),
            ("chatId", false),
            ("max gap", true),
            ("status", false),
            ("cause", false),
            ("end reason", false),
            ("polls", true),
        ],
        "no sessions recorded",
    )
    .tall();
    for (rank, r) in s.worst_sessions.iter().enumerate() {
        let status = if r.flagged {
            Cell::badge("bad", "flagged")
        } else if r.near_miss {
            Cell::badge("warn", "near miss")
        } else {
            Cell::badge("ok", "ok")
        };
        let chat_id = if r.chat_id.is_empty() {
            "–"
        } else {
            &r.chat_id
        };
        t.row(vec![
            Cell::num(&(rank + 1).to_string()),
            Cell::num(&r.ordinal.to_string()),
            Cell::text(chat_id),
            Cell::num(&format::ms(r.max_gap_ms)),
            status,
            Cell::text(r.cause.map_or("–", |c| c.as_str())),
            Cell::text(r.end_reason.as_str()),
            Cell::num(&format::count(r.polls)),
        ]);
    }
    t.render(out);
}

/// Protocol violations by kind with the rule each breaks.
pub(super) fn violations(s: &Summary, out: &mut String) {
    let mut t = Table::new(
        "violations",
        &[
            ("kind", false),
            ("count", true),
            ("the rule it breaks", false),
        ],
        "no violation kinds reported",
    );
    for (kind, n) in &s.violations {
        let count = if *n > 0 {
            Cell::badge("bad", &format::count(*n))
        } else {
            Cell::num("0")
        };
        t.row(vec![
            Cell::text(kind),
            count,
            Cell::text(explain::violation_rule(kind)),
        ]);
    }
    t.render(out);
}
