//! Regression of a run against a baseline run (`check --baseline OTHER --max-regression 10%`).
//!
//! Compared metrics: for every operation with data in either run, `p50`, `p99`, `p999` in both views;
//! `errors.rate`, `sessions.flagged.rate`, `requests.rate`, `gaps.max`, `violations.total`;
//! then every further metric the thresholds name (verdict words are not compared).
//!
//! A metric regresses when it moved in the worse direction by more than the allowed fraction
//! of the baseline value AND by more than its unit's noise floor ([`noise_floor`]: 1 ms for
//! durations, 0.1 percentage point for rates, nothing for counts and throughput). The floor
//! is what makes zero baselines sensible: a count going 0 -> 1 fails, a rate 0 -> 0.01% or a
//! latency 0.2 ms -> 0.9 ms does not. Delta % is `n/a` for a zero baseline (unless both are 0).

use super::metrics::{Better, Metric, Observed, Unit};
use super::Threshold;
use crate::protocol::Operation;
use crate::report::model::Summary;
use crate::util::trim_decimals;

/// How one compared metric came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Within the allowed regression.
    Pass,
    /// Worse than allowed, or missing from the current run.
    Fail,
    /// Not comparable (missing from the baseline).
    Skipped,
}

impl Verdict {
    /// Lower-case word for tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "FAIL",
            Verdict::Skipped => "skipped",
        }
    }
}

/// One metric compared between the baseline and the current run.
#[derive(Debug, Clone, PartialEq)]
pub struct Regression {
    /// Metric name.
    pub metric: String,
    /// Baseline value in base units (None: no data).
    pub baseline: Option<f64>,
    /// Current value in base units (None: no data).
    pub current: Option<f64>,
    /// Baseline value with unit (or "no data").
    pub baseline_display: String,
    /// Current value with unit (or "no data").
    pub current_display: String,
    /// Change relative to the baseline, percent (None when the baseline is 0 and the current
    /// value is not, or either is missing).
    pub delta_pct: Option<f64>,
    /// Allowed regression, percent.
    pub allowed_pct: f64,
    /// Whether higher values are better for this metric.
    pub higher_is_better: bool,
    /// The outcome.
    pub verdict: Verdict,
}

impl Regression {
    /// `+12.5%`, or `n/a` without a comparable baseline.
    pub fn delta_display(&self) -> String {
        match self.delta_pct {
            Some(d) => format!(
                "{}{}%",
                if d >= 0.0 { "+" } else { "" },
                trim_decimals(d, 1)
            ),
            None => "n/a".to_string(),
        }
    }

    /// `+10%` (lower is better) or `-10%` (higher is better).
    pub fn allowed_display(&self) -> String {
        let sign = if self.higher_is_better { "-" } else { "+" };
        format!("{sign}{}%", trim_decimals(self.allowed_pct, 2))
    }

    /// One line for failure messages: observed vs expected.
    pub fn message(&self) -> String {
        format!(
            "{}: baseline {}, current {} ({}), allowed {}",
            self.metric,
            self.baseline_display,
            self.current_display,
            self.delta_display(),
            self.allowed_display()
        )
    }
}

/// Worse-direction changes up to this absolute amount never fail (see the module docs).
pub fn noise_floor(unit: Unit) -> f64 {
    match unit {
        Unit::Millis => 1.0,
        Unit::Fraction => 0.001,
        Unit::Count | Unit::PerSecond | Unit::Verdict => 0.0,
    }
}

/// The default metric names for a pair of runs.
pub fn default_metrics(baseline: &Summary, current: &Summary) -> Vec<String> {
    let mut names = Vec::new();
    for op in Operation::ALL.map(Operation::as_str) {
        let present = |s: &Summary| {
            [&s.latency_ms, &s.service_time_ms]
                .iter()
                .any(|m| m.get(op).is_some_and(|st| st.count > 0))
        };
        if present(baseline) || present(current) {
            for view in ["", "service_time."] {
                for stat in ["p50", "p99", "p999"] {
                    names.push(format!("{op}.{view}{stat}"));
                }
            }
        }
    }
    for n in [
        "errors.rate",
        "sessions.flagged.rate",
        "requests.rate",
        "gaps.max",
        "violations.total",
    ] {
        names.push(n.to_string());
    }
    names
}

/// Compare the default metrics plus those named by `thresholds`.
/// `max_regression` is a fraction (0.1 = 10%).
pub fn compare(
    baseline: &Summary,
    current: &Summary,
    thresholds: &[Threshold],
    max_regression: f64,
) -> Vec<Regression> {
    let mut names = default_metrics(baseline, current);
    for t in thresholds {
        if t.metric.unit != Unit::Verdict && !names.contains(&t.metric.name) {
            names.push(t.metric.name.clone());
        }
    }
    names
        .iter()
        .filter_map(|n| Metric::from_name(n))
        .map(|m| compare_one(&m, baseline, current, max_regression))
        .collect()
}

fn value(o: Observed) -> Option<f64> {
    match o {
        Observed::Value(v) => Some(v),
        _ => None,
    }
}

/// Compare one metric.
pub fn compare_one(
    m: &Metric,
    baseline: &Summary,
    current: &Summary,
    max_regression: f64,
) -> Regression {
    let base = value(m.resolve(baseline));
    let cur = value(m.resolve(current));
    let display = |v: Option<f64>| v.map_or("no data".to_string(), |v| m.unit.format(v));
    let higher_is_better = m.better() == Better::Higher;
    let delta_pct = match (base, cur) {
        (Some(b), Some(c)) if b != 0.0 => Some((c - b) / b.abs() * 100.0),
        (Some(b), Some(c)) if b == c => Some(0.0),
        _ => None,
    };
    let verdict = match (base, cur) {
        (None, _) => Verdict::Skipped,
        (Some(_), None) => Verdict::Fail,
        (Some(b), Some(c)) => {
            let worse_by = if higher_is_better { b - c } else { c - b };
            let allowed = (max_regression * b.abs()).max(noise_floor(m.unit));
            if worse_by > allowed {
                Verdict::Fail
            } else {
                Verdict::Pass
            }
        }
    };
    Regression {
        metric: m.name.clone(),
        baseline: base,
        current: cur,
        baseline_display: display(base),
        current_display: display(cur),
        delta_pct,
        allowed_pct: max_regression * 100.0,
        higher_is_better,
        verdict,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::LatencyStats;

    fn with_poll_p99(p99: f64, errors: u64) -> Summary {
        let mut s = Summary::default();
        let st = LatencyStats {
            count: 10,
            p99,
            ..Default::default()
        };
        s.latency_ms.insert("poll".into(), st.clone());
        s.service_time_ms.insert("poll".into(), st);
        s.requests.total = 1000;
        s.requests.errors = errors;
        s.requests.error_rate = errors as f64 / 1000.0;
        s.requests.rate_per_s = 100.0;
        s
    }

    fn find<'a>(rs: &'a [Regression], name: &str) -> &'a Regression {
        rs.iter().find(|r| r.metric == name).unwrap()
    }

    #[test]
    fn deltas_and_verdicts() {
        let rs = compare(
            &with_poll_p99(100.0, 0),
            &with_poll_p99(111.0, 0),
            &[],
            0.10,
        );
        let r = find(&rs, "poll.p99");
        assert_eq!(r.delta_pct, Some(11.0));
        assert_eq!(r.verdict, Verdict::Fail);
        assert_eq!(
            r.message(),
            "poll.p99: baseline 100 ms, current 111 ms (+11%), allowed +10%"
        );
        let rs = compare(
            &with_poll_p99(100.0, 0),
            &with_poll_p99(110.0, 0),
            &[],
            0.10,
        );
        assert_eq!(find(&rs, "poll.p99").verdict, Verdict::Pass);
        assert_eq!(find(&rs, "poll.p50").verdict, Verdict::Pass);
        assert_eq!(rs.len(), 6 + 5);
    }

    #[test]
    fn zero_baselines_use_the_noise_floor() {
        // errors 0 -> 0.1%: within the 0.1 point floor; 0 -> 0.2%: fails.
        let rs = compare(&with_poll_p99(0.2, 0), &with_poll_p99(0.9, 1), &[], 0.10);
        assert_eq!(find(&rs, "errors.rate").verdict, Verdict::Pass);
        assert_eq!(find(&rs, "errors.rate").delta_pct, None);
        assert_eq!(find(&rs, "poll.p99").verdict, Verdict::Pass);
        let rs = compare(&with_poll_p99(0.2, 0), &with_poll_p99(0.2, 2), &[], 0.10);
        assert_eq!(find(&rs, "errors.rate").verdict, Verdict::Fail);
    }

    #[test]
    fn throughput_is_higher_is_better_and_missing_data_is_handled() {
        let base = with_poll_p99(10.0, 0);
        let mut cur = with_poll_p99(10.0, 0);
        cur.requests.rate_per_s = 89.0;
        cur.latency_ms.clear();
        let rs = compare(&base, &cur, &[], 0.10);
        let r = find(&rs, "requests.rate");
        assert_eq!(
            (r.verdict, r.allowed_display()),
            (Verdict::Fail, "-10%".to_string())
        );
        assert_eq!(find(&rs, "poll.p99").verdict, Verdict::Fail);
        assert_eq!(find(&rs, "poll.p99").current_display, "no data");
        let rs = compare(&cur, &base, &[], 0.10);
        assert_eq!(find(&rs, "poll.p99").verdict, Verdict::Skipped);
        assert_eq!(find(&rs, "requests.rate").verdict, Verdict::Pass);
    }
}
