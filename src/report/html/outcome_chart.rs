//! The outcomes chart: one 100 % bar per operation, split by HTTP status ×
//! statusCode × chatEnded, coloured by what the seed table says the pair means.

use super::format;
use super::svg::{Axis, Chart, Scale};
use crate::report::model::{OutcomeCount, Summary};
use std::collections::{BTreeMap, BTreeSet};

/// The `outcomes` chart.
pub(super) fn outcomes(s: &Summary) -> Chart {
    let mut by_op: BTreeMap<&str, Vec<&OutcomeCount>> = BTreeMap::new();
    for o in &s.outcomes {
        by_op.entry(o.operation.as_str()).or_default().push(o);
    }
    let cats: BTreeSet<(u16, Option<u8>, Option<bool>)> = s
        .outcomes
        .iter()
        .map(|o| (o.http_status, o.status_code, o.chat_ended))
        .collect();
    let rows = by_op.len().max(1) as f64;
    let ticks: Vec<(f64, String)> = by_op
        .keys()
        .enumerate()
        .map(|(i, op)| (rows - i as f64 - 0.5, op.to_string()))
        .collect();
    let x = Axis::new(
        Scale::Linear {
            min: 0.0,
            max: 100.0,
        },
        "share of the operation's responses (%)",
        format::num,
    );
    let mut y = Axis::new(
        Scale::Linear {
            min: 0.0,
            max: rows,
        },
        "",
        format::num,
    );
    y.fixed_ticks = Some(ticks);
    let mut chart = Chart::new(
        "outcomes",
        "Outcomes per operation",
        "HTTP status × statusCode × chatEnded. Non-zero shares under 0.5 % are widened to stay visible; the outcome table has exact counts.",
        x,
        y,
    )
    .with_size(1180.0, 70.0 + 30.0 * rows, 118.0);
    let full = chart.px(100.0) - chart.px(0.0);
    for (row, (_, list)) in by_op.iter().enumerate() {
        let total: u64 = list.iter().map(|o| o.count).sum();
        let widths: Vec<f64> = list
            .iter()
            .map(|o| {
                let w = o.count as f64 / total.max(1) as f64 * full;
                if o.count > 0 {
                    w.max(full * 0.005)
                } else {
                    0.0
                }
            })
            .collect();
        let scale = full / widths.iter().sum::<f64>().max(full);
        let (top, bottom) = (
            chart.py(rows - row as f64 - 0.15, false),
            chart.py(rows - row as f64 - 0.85, false),
        );
        let mut x0 = chart.px(0.0);
        for (o, w) in list.iter().zip(widths) {
            if w <= 0.0 {
                continue;
            }
            let key = (o.http_status, o.status_code, o.chat_ended);
            let class = outcome_class(key);
            let tip = format!(
                "{}: {} – {}",
                o.operation,
                category_label(key),
                format::count(o.count)
            );
            chart.rect(x0, top, w * scale, bottom - top, class, &tip);
            x0 += w * scale;
        }
    }
    for c in &cats {
        chart.legend_item(&category_label(*c), outcome_class(*c), false);
    }
    chart
}

/// The colour class of an outcome bucket: one colour per meaning of the seed table.
fn outcome_class((http, sc, ended): (u16, Option<u8>, Option<bool>)) -> &'static str {
    match (sc, ended) {
        (Some(0), Some(true)) => "o-ended",
        (Some(0), _) if (200..300).contains(&http) => "o-ok",
        (Some(1), Some(true)) => "o-impossible",
        (Some(1), _) => "o-retry",
        (Some(2), _) => "o-fatal",
        (None, _) if http == 0 => "o-none",
        _ => "o-http",
    }
}

/// "HTTP 200 · 0 · false" style name of an outcome bucket.
pub(super) fn category_label((http, sc, ended): (u16, Option<u8>, Option<bool>)) -> String {
    let http = if http == 0 {
        "no HTTP response".to_string()
    } else {
        format!("HTTP {http}")
    };
    let sc = sc.map_or("no statusCode".to_string(), |c| format!("statusCode {c}"));
    let ended = ended.map_or("no chatEnded".to_string(), |e| format!("chatEnded {e}"));
    format!("{http} · {sc} · {ended}")
}
