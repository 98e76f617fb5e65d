//! Axis scales for the SVG charts: linear, base-10 log and the "nines"
//! percentile scale of HdrHistogram plots (90 %, 99 %, 99.9 % equally spaced),
//! round tick generation, and min/max-preserving decimation of long series.

/// How data values map onto an axis.
#[derive(Debug, Clone, Copy)]
pub(super) enum Scale {
    /// Linear from `min` to `max`.
    Linear { min: f64, max: f64 },
    /// Base-10 logarithmic from `min` to `max` (both > 0).
    Log { min: f64, max: f64 },
    /// Percentiles (0..100) on a "nines" axis: 90 %, 99 %, 99.9 % equally spaced, up to `nines`.
    Nines { nines: u32 },
}

impl Scale {
    /// A linear scale from 0 to a round value at or above `max`.
    pub(super) fn linear_from_zero(max: f64) -> Scale {
        let max = if max.is_finite() && max > 0.0 {
            max
        } else {
            1.0
        };
        let step = nice_step(max, 5);
        Scale::Linear {
            min: 0.0,
            max: (max / step).ceil() * step,
        }
    }

    /// A linear scale from 0 for whole counts: at least 0..4, so ticks are never fractions.
    pub(super) fn counts_from_zero(max: f64) -> Scale {
        Scale::linear_from_zero(if max.is_finite() { max.max(4.0) } else { 4.0 })
    }

    /// A log scale covering `min..=max` with whole decades.
    pub(super) fn log_decades(min: f64, max: f64) -> Scale {
        let min = if min.is_finite() && min > 0.0 {
            min
        } else {
            0.1
        };
        let max = if max.is_finite() && max > min {
            max
        } else {
            min * 10.0
        };
        Scale::Log {
            min: 10f64.powf(min.log10().floor()),
            max: 10f64.powf(max.log10().ceil()),
        }
    }

    /// A nines scale one decade past the largest percentile below 100 (2 to 5 nines, so up to
    /// 99.999 %; higher percentiles are drawn at the right edge).
    /// The 100th percentile (the maximum) is drawn at the right edge, one decade past the rest.
    pub(super) fn nines_for(percentiles: impl Iterator<Item = f64>) -> Scale {
        let top = percentiles
            .filter(|p| p.is_finite() && *p < 100.0)
            .fold(0.0, f64::max);
        let nines = (nines_of(top) + 1e-9).floor().clamp(1.0, 4.0) as u32 + 1;
        Scale::Nines { nines }
    }

    /// Position of `v` on the axis, 0..=1 (clamped).
    pub(super) fn unit(&self, v: f64) -> f64 {
        let u = match *self {
            Scale::Linear { min, max } => (v - min) / (max - min),
            Scale::Log { min, max } => {
                (v.max(min).log10() - min.log10()) / (max.log10() - min.log10())
            }
            Scale::Nines { nines } => nines_of(v) / f64::from(nines),
        };
        if u.is_finite() {
            u.clamp(0.0, 1.0)
        } else {
            0.0
        }
    }

    /// Tick positions with their labels, `fmt` formatting plain values.
    pub(super) fn ticks(&self, fmt: fn(f64) -> String) -> Vec<(f64, String)> {
        match *self {
            Scale::Linear { min, max } => {
                let step = nice_step(max - min, 5);
                let n = ((max - min) / step).round() as u64;
                (0..=n.min(20))
                    .map(|i| min + step * i as f64)
                    .map(|v| (v, fmt(v)))
                    .collect()
            }
            Scale::Log { min, max } => {
                let (lo, hi) = (min.log10().round() as i32, max.log10().round() as i32);
                (lo..=hi.min(lo + 12))
                    .map(|e| 10f64.powi(e))
                    .map(|v| (v, fmt(v)))
                    .collect()
            }
            Scale::Nines { nines } => (0..=nines)
                .map(|k| {
                    let p = 100.0 * (1.0 - 10f64.powi(-(k as i32)));
                    (p, nines_label(k))
                })
                .collect(),
        }
    }
}

/// -log10(1 - p/100): 0 at p0, 1 at p90, 2 at p99, 3 at p99.9.
fn nines_of(p: f64) -> f64 {
    let rest = (1.0 - p / 100.0).max(1e-9);
    -rest.log10()
}

fn nines_label(k: u32) -> String {
    match k {
        0 => "0 %".to_string(),
        1 => "90 %".to_string(),
        k => format!("99.{} %", "9".repeat(k as usize - 2)).replace("99. %", "99 %"),
    }
}

/// A round step (1, 2, 2.5, 5 × 10^k) dividing `span` into about `target` parts.
pub(super) fn nice_step(span: f64, target: usize) -> f64 {
    let span = if span.is_finite() && span > 0.0 {
        span
    } else {
        1.0
    };
    let raw = span / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let m = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 2.5 {
        2.5
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    m * mag
}

/// Keep at most `cap` points of an x-ordered series, preserving each bucket's min and max.
pub(super) fn decimate(points: &[(f64, f64)], cap: usize) -> Vec<(f64, f64)> {
    let finite: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    if finite.len() <= cap || cap < 4 {
        return finite;
    }
    let buckets = cap / 2;
    let mut out = Vec::with_capacity(cap);
    for b in 0..buckets {
        let from = b * finite.len() / buckets;
        let to = ((b + 1) * finite.len() / buckets).max(from + 1);
        let chunk = &finite[from..to];
        let lo = chunk
            .iter()
            .enumerate()
            .min_by(|a, b| a.1 .1.total_cmp(&b.1 .1));
        let hi = chunk
            .iter()
            .enumerate()
            .max_by(|a, b| a.1 .1.total_cmp(&b.1 .1));
        if let (Some((i, &l)), Some((j, &h))) = (lo, hi) {
            match i.cmp(&j) {
                std::cmp::Ordering::Less => out.extend([l, h]),
                std::cmp::Ordering::Greater => out.extend([h, l]),
                std::cmp::Ordering::Equal => out.push(l),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nines_axis_spaces_percentiles_evenly() {
        let s = Scale::Nines { nines: 3 };
        assert!((s.unit(90.0) - 1.0 / 3.0).abs() < 1e-9);
        assert!((s.unit(99.0) - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(s.unit(100.0), 1.0);
        let labels: Vec<String> = s
            .ticks(|v| v.to_string())
            .into_iter()
            .map(|t| t.1)
            .collect();
        assert_eq!(labels, ["0 %", "90 %", "99 %", "99.9 %"]);
        assert!(matches!(
            Scale::nines_for([50.0, 99.99, 100.0].into_iter()),
            Scale::Nines { nines: 5 }
        ));
    }

    #[test]
    fn linear_and_log_scales_round_outwards() {
        match Scale::linear_from_zero(87.0) {
            Scale::Linear { min, max } => assert_eq!((min, max), (0.0, 100.0)),
            other => panic!("{other:?}"),
        }
        match Scale::log_decades(0.3, 420.0) {
            Scale::Log { min, max } => assert_eq!((min, max), (0.1, 1000.0)),
            other => panic!("{other:?}"),
        }
        assert_eq!(nice_step(1000.0, 5), 200.0);
    }

    #[test]
    fn decimation_caps_points_and_keeps_extremes() {
        let pts: Vec<(f64, f64)> = (0..10_000)
            .map(|i| (i as f64, if i == 4321 { 1e6 } else { (i % 7) as f64 }))
            .collect();
        let d = decimate(&pts, 1500);
        assert!(d.len() <= 1500, "{}", d.len());
        assert!(d.iter().any(|p| p.1 == 1e6));
        assert!(d.windows(2).all(|w| w[0].0 <= w[1].0));
    }
}
