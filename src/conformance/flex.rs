//! Measuring flex-disconnect-timeout without being told: the plan (pure,
//! unit-tested) behind `probes::flex`.
//!
//! Chats are left idle in parallel for 1 s, 2 s, 4 s, ... up to a cap; the
//! longest idle that survived and the shortest that expired bracket the
//! server's timeout. Rounds of three idle chats at the quarter points then
//! narrow the bracket until it is tight enough (quick: half-width at most 10 %
//! of the midpoint; precise: at most 1 s), or [`MAX_ROUNDS`] have run.
//!
//! Idle times are bounds, not guesses: the server reset the chat's timer
//! somewhere between sending the Request Chat and its answer, and judged the
//! poll somewhere between sending it and its answer. A survivor proves
//! `timeout > poll sent - request answered`; an expired chat proves
//! `timeout <= poll answered - request sent`. So the true value is inside the
//! bracket whatever the network delays were.

use std::time::Duration;

/// Most narrowing rounds after the bracket is found.
pub(super) const MAX_ROUNDS: usize = 6;
/// Genesys's default flex-disconnect-timeout.
pub(super) const GENESYS_DEFAULT: Duration = Duration::from_secs(45);
/// Shortest idle of the ladder.
const FIRST_STEP: Duration = Duration::from_secs(1);

/// How precisely to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlexMode {
    /// Do not measure.
    Off,
    /// Half-width at most 10 % of the value.
    Quick,
    /// Half-width at most 1 s.
    Precise,
}

impl FlexMode {
    /// `off`, `quick` or `precise`.
    pub fn as_str(self) -> &'static str {
        match self {
            FlexMode::Off => "off",
            FlexMode::Quick => "quick",
            FlexMode::Precise => "precise",
        }
    }
}

impl std::str::FromStr for FlexMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "off" => Ok(FlexMode::Off),
            "quick" => Ok(FlexMode::Quick),
            "precise" => Ok(FlexMode::Precise),
            other => Err(format!(
                "--flex-probe: unknown mode '{other}'; expected off, quick (±10 %) or precise (±1 s)"
            )),
        }
    }
}

/// The idle times of the bracketing round: 1 s, 2 s, 4 s, ... below `cap`, then `cap`.
pub(super) fn ladder(cap: Duration) -> Vec<Duration> {
    let mut out = Vec::new();
    let mut d = FIRST_STEP;
    while d < cap {
        out.push(d);
        d *= 2;
    }
    out.push(cap);
    out
}

/// Midpoint and half-width of a bracket.
pub(super) fn estimate(lo: Duration, hi: Duration) -> (Duration, Duration) {
    ((lo + hi) / 2, (hi.saturating_sub(lo)) / 2)
}

/// Is the bracket tight enough for `mode`?
pub(super) fn done(mode: FlexMode, lo: Duration, hi: Duration) -> bool {
    let (mid, half) = estimate(lo, hi);
    match mode {
        FlexMode::Off => true,
        FlexMode::Quick => half.as_secs_f64() <= 0.1 * mid.as_secs_f64(),
        FlexMode::Precise => half <= Duration::from_secs(1),
    }
}

/// The three quarter points of a bracket.
pub(super) fn split(lo: Duration, hi: Duration) -> Vec<Duration> {
    let q = (hi.saturating_sub(lo)) / 4;
    vec![lo + q, lo + q * 2, lo + q * 3]
}

/// One idle chat's result: the bounds of the idle time the server saw.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Observation {
    /// At least this idle.
    pub min: Duration,
    /// At most this idle.
    pub max: Duration,
    /// Still alive after it.
    pub alive: bool,
}

/// The bracket `[lo, hi]` the observations prove (None: nothing expired).
/// Contradicting observations (a timer that is not exact) widen it.
pub(super) fn bracket(obs: &[Observation]) -> Option<(Duration, Duration)> {
    let lo = obs
        .iter()
        .filter(|o| o.alive)
        .map(|o| o.min)
        .max()
        .unwrap_or(Duration::ZERO);
    let hi = obs.iter().filter(|o| !o.alive).map(|o| o.max).min()?;
    Some(if lo <= hi { (lo, hi) } else { (hi, lo) })
}

/// How long the probe takes against a server whose timeout is exactly `timeout`
/// (printed before the probe starts).
pub(super) fn expected_duration(mode: FlexMode, cap: Duration, timeout: Duration) -> Duration {
    if mode == FlexMode::Off {
        return Duration::ZERO;
    }
    // A round lasts until its first expired chat, or its longest idle.
    let run = |points: &[Duration]| -> (Duration, Vec<Observation>) {
        let mut obs = Vec::new();
        for &p in points {
            let alive = p < timeout;
            obs.push(Observation {
                min: p,
                max: p,
                alive,
            });
            if !alive {
                return (p, obs);
            }
        }
        (points.last().copied().unwrap_or_default(), obs)
    };
    let (mut total, mut obs) = run(&ladder(cap));
    for _ in 0..MAX_ROUNDS {
        let Some((lo, hi)) = bracket(&obs) else { break };
        if done(mode, lo, hi) {
            break;
        }
        let (t, more) = run(&split(lo, hi));
        total += t;
        obs.extend(more);
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(secs: f64) -> Duration {
        Duration::from_secs_f64(secs)
    }

    #[test]
    fn ladder_doubles_up_to_the_cap() {
        assert_eq!(
            ladder(s(120.0)),
            [1., 2., 4., 8., 16., 32., 64., 120.].map(s)
        );
        assert_eq!(ladder(s(4.0)), [1., 2., 4.].map(s));
        assert_eq!(ladder(s(0.5)), [s(0.5)]);
    }

    #[test]
    fn bracket_takes_the_longest_survivor_and_the_shortest_expiry() {
        let o = |min, max, alive| Observation {
            min: s(min),
            max: s(max),
            alive,
        };
        let obs = [o(1.0, 1.01, true), o(2.0, 2.01, true), o(4.0, 4.01, false)];
        assert_eq!(bracket(&obs), Some((s(2.0), s(4.01))));
        assert_eq!(bracket(&obs[..2]), None);
        let contradicting = [o(3.0, 3.1, true), o(2.0, 2.1, false)];
        assert_eq!(bracket(&contradicting), Some((s(2.1), s(3.0))));
    }

    #[test]
    fn modes_stop_at_their_resolution() {
        assert!(!done(FlexMode::Quick, s(32.0), s(64.0)));
        assert!(done(FlexMode::Quick, s(43.0), s(47.0)));
        assert!(!done(FlexMode::Precise, s(43.0), s(47.0)));
        assert!(done(FlexMode::Precise, s(44.5), s(45.5)));
        assert_eq!(split(s(32.0), s(64.0)), [40., 48., 56.].map(s));
    }

    #[test]
    fn expected_duration_of_the_default_timeout() {
        // 64 s of ladder (bracket 32..64), then a round ending at its 48 s
        // chat (bracket 40..48: 44 s ± 4 s is within 10 %).
        assert_eq!(
            expected_duration(FlexMode::Quick, s(120.0), s(45.0)),
            s(64.0 + 48.0)
        );
        // Precise goes on: 40..48 -> 44..46 (ends at its 46 s chat) -> ±1 s.
        assert_eq!(
            expected_duration(FlexMode::Precise, s(120.0), s(45.0)),
            s(64.0 + 48.0 + 46.0)
        );
        assert_eq!(expected_duration(FlexMode::Off, s(120.0), s(45.0)), s(0.0));
    }
}
