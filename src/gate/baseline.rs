//! Regression of a run against a baseline run (`check --baseline OTHER --max-regression 10%`).
//!
//! Compared metrics: for every operation with data in either run, `p50`, `p99`, `p999` in both views;
//! `errors.rate`, `sessions.flagged.rate`, `requests.rate`, `gaps.max`, `violations.total`;
//! then every further metric the thresholds name, with its profile selector (verdict words
//! are not compared).
//!
//! A metric regresses when it moved in the worse direction by more than the allowed fraction
//! of the baseline value AND by more than its unit's noise floor ([`noise_floor`]:
//! `--min-regression` for durations, default 1 ms; 0.1 percentage point for rates; nothing
//! for counts and throughput). The floor is what makes zero baselines sensible: a count
//! going 0 -> 1 fails, a rate 0 -> 0.01% or a latency 0.2 ms -> 0.9 ms does not. Delta % is
//! `n/a` for a zero baseline (unless both are 0).
//!
//! A percentile is compared only when both runs hold enough samples for it: at least
//! [`MIN_TAIL_SAMPLES`] beyond it, `n × (1 − q) ≥ 10` (p999 needs 10,000 samples). With
//! fewer, the percentile is one of the few largest samples, as noisy as a maximum, and the
//! comparison is reported as "not enough samples", not failed: two identical reruns pass.

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
    /// A percentile with too few samples beyond it in either run (not compared).
    TooFewSamples,
}

/// Samples a run must hold beyond a percentile for it to be compared.
pub const MIN_TAIL_SAMPLES: f64 = 10.0;

/// The default `--min-regression`: durations must worsen by more than this, ms.
pub const DEFAULT_MIN_REGRESSION_MS: f64 = 1.0;

impl Verdict {
    /// Lower-case word for tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "FAIL",
            Verdict::Skipped => "skipped",
            Verdict::TooFewSamples => "not enough samples",
        }
    }
}

/// One metric compared between the baseline and the current run.
#[derive(Debug, Clone, PartialEq)]
pub struct Regression {
    /// Metric name, with its selector (`poll.p99{profile=lurker}`).
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

/// Worse-direction changes up to this absolute amount never fail (see the module docs);
/// `min_regression_ms` is the floor of durations.
pub fn noise_floor(unit: Unit, min_regression_ms: f64) -> f64 {
    match unit {
        Unit::Millis => min_regression_ms,
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

/// How much worse a metric may get.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Allowed {
    /// Relative limit, a fraction of the baseline (0.1 = 10%).
    pub fraction: f64,
    /// Absolute floor of durations, ms (`--min-regression`).
    pub min_ms: f64,
}

impl Allowed {
    /// `fraction` with the default 1 ms floor.
    pub fn fraction(fraction: f64) -> Self {
        Allowed {
            fraction,
            min_ms: DEFAULT_MIN_REGRESSION_MS,
        }
    }
}

/// Compare the default metrics plus those named by `thresholds`.
pub fn compare(
    baseline: &Summary,
    current: &Summary,
    thresholds: &[Threshold],
    allowed: Allowed,
) -> Vec<Regression> {
    let mut metrics: Vec<Metric> = default_metrics(baseline, current)
        .iter()
        .filter_map(|n| Metric::from_name(n))
        .collect();
    for t in thresholds {
        if t.metric.unit != Unit::Verdict && !metrics.contains(&t.metric) {
            metrics.push(t.metric.clone());
        }
    }
    metrics
        .iter()
        .map(|m| compare_one(m, baseline, current, allowed))
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
    allowed: Allowed,
) -> Regression {
    let max_regression = allowed.fraction;
    let enough = |s: &Summary| {
        m.percentile_samples(s)
            .is_none_or(|(q, n)| n as f64 * (1.0 - q) >= MIN_TAIL_SAMPLES - 1e-9)
    };
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
        _ if !enough(baseline) || !enough(current) => Verdict::TooFewSamples,
        (Some(b), Some(c)) => {
            let worse_by = if higher_is_better { b - c } else { c - b };
            let allowed = (max_regression * b.abs()).max(noise_floor(m.unit, allowed.min_ms));
            if worse_by > allowed {
                Verdict::Fail
            } else {
                Verdict::Pass
            }
        }
    };
    Regression {
        metric: m.label(),
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
            count: 1000,
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
            Allowed::fraction(0.10),
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
            Allowed::fraction(0.10),
        );
        assert_eq!(find(&rs, "poll.p99").verdict, Verdict::Pass);
        assert_eq!(find(&rs, "poll.p50").verdict, Verdict::Pass);
        assert_eq!(rs.len(), 6 + 5);
    }

    #[test]
    fn zero_baselines_use_the_noise_floor() {
        // errors 0 -> 0.1%: within the 0.1 point floor; 0 -> 0.2%: fails.
        let rs = compare(
            &with_poll_p99(0.2, 0),
            &with_poll_p99(0.9, 1),
            &[],
            Allowed::fraction(0.10),
        );
        assert_eq!(find(&rs, "errors.rate").verdict, Verdict::Pass);
        assert_eq!(find(&rs, "errors.rate").delta_pct, None);
        assert_eq!(find(&rs, "poll.p99").verdict, Verdict::Pass);
        let rs = compare(
            &with_poll_p99(0.2, 0),
            &with_poll_p99(0.2, 2),
            &[],
            Allowed::fraction(0.10),
        );
        assert_eq!(find(&rs, "errors.rate").verdict, Verdict::Fail);
    }

    #[test]
    fn identical_summaries_pass_and_a_scaled_one_fails() {
        let base: Summary =
            serde_json::from_str(include_str!("../../tests/fixtures/summary.json")).unwrap();
        let rs = compare(&base, &base.clone(), &[], Allowed::fraction(0.10));
        assert!(rs.iter().all(|r| r.verdict != Verdict::Fail), "{rs:?}");
        // 3x slower: every compared latency fails.
        let mut slow = base.clone();
        for st in slow.latency_ms.values_mut() {
            st.p50 *= 3.0;
            st.p99 *= 3.0;
            st.p999 *= 3.0;
        }
        let rs = compare(&base, &slow, &[], Allowed::fraction(0.10));
        let p50 = find(&rs, "poll.p50");
        assert_eq!(p50.verdict, Verdict::Fail, "{p50:?}");
    }

    #[test]
    fn percentiles_without_ten_samples_beyond_them_are_not_compared() {
        // 600 samples: p99 has 6 beyond it, p50 has 300.
        let mut base = with_poll_p99(3.2, 0);
        let mut cur = with_poll_p99(4.8, 0);
        for s in [&mut base, &mut cur] {
            s.latency_ms.get_mut("poll").unwrap().count = 600;
            s.service_time_ms.get_mut("poll").unwrap().count = 600;
        }
        cur.latency_ms.get_mut("poll").unwrap().p50 = 100.0;
        let rs = compare(&base, &cur, &[], Allowed::fraction(0.10));
        let r = find(&rs, "poll.p99");
        assert_eq!(r.verdict, Verdict::TooFewSamples);
        assert_eq!(r.verdict.as_str(), "not enough samples");
        assert_eq!(find(&rs, "poll.p50").verdict, Verdict::Fail);
        // 1000 samples: p99 has exactly 10 beyond it and is compared.
        for s in [&mut base, &mut cur] {
            s.latency_ms.get_mut("poll").unwrap().count = 1000;
        }
        let rs = compare(&base, &cur, &[], Allowed::fraction(0.10));
        assert_eq!(find(&rs, "poll.p99").verdict, Verdict::Fail);
    }

    #[test]
    fn min_regression_is_the_floor_of_durations() {
        let floor = |min_ms| Allowed {
            fraction: 0.10,
            min_ms,
        };
        // 2 ms -> 4 ms: +100 %, but only 2 ms worse.
        let (b, c) = (with_poll_p99(2.0, 0), with_poll_p99(4.0, 0));
        let rs = compare(&b, &c, &[], floor(1.0));
        assert_eq!(find(&rs, "poll.p99").verdict, Verdict::Fail);
        let rs = compare(&b, &c, &[], floor(2.5));
        assert_eq!(find(&rs, "poll.p99").verdict, Verdict::Pass);
    }

    #[test]
    fn throughput_is_higher_is_better_and_missing_data_is_handled() {
        let base = with_poll_p99(10.0, 0);
        let mut cur = with_poll_p99(10.0, 0);
        cur.requests.rate_per_s = 89.0;
        cur.latency_ms.clear();
        let rs = compare(&base, &cur, &[], Allowed::fraction(0.10));
        let r = find(&rs, "requests.rate");
        assert_eq!(
            (r.verdict, r.allowed_display()),
            (Verdict::Fail, "-10%".to_string())
        );
        assert_eq!(find(&rs, "poll.p99").verdict, Verdict::Fail);
        assert_eq!(find(&rs, "poll.p99").current_display, "no data");
        let rs = compare(&cur, &base, &[], Allowed::fraction(0.10));
        assert_eq!(find(&rs, "poll.p99").verdict, Verdict::Skipped);
        assert_eq!(find(&rs, "requests.rate").verdict, Verdict::Pass);
    }
}
