//! Durations and delay distributions as they appear in TOML and flags:
//! humantime strings (`"500ms"`) and, through [`DelaySpec`] (the shared
//! [`DurationDist`](crate::util::distribution::DurationDist)), uniform ranges
//! (`{ min, max }` / `100ms..2s`), exponential (`{ mean }` / `exp:1s`) and
//! lognormal distributions.

use crate::util::MAX_DURATION;
use std::time::Duration;

/// A fixed delay or a distribution of delays (the shared duration distribution).
pub type DelaySpec = crate::util::distribution::DurationDist;

/// Parse a humantime duration (at most [`MAX_DURATION`], 400 days, so adding it to
/// an instant cannot overflow) with a message that shows the expected syntax.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim()).map_err(|e| {
        format!("invalid duration '{s}' ({e}): expected e.g. \"500ms\", \"2s\", \"1m\"")
    })?;
    if d > MAX_DURATION {
        return Err(format!(
            "duration '{s}' is longer than 400 days; use a shorter duration"
        ));
    }
    Ok(d)
}

/// Serde helper: `Duration` as a humantime string.
pub mod duration_serde {
    use serde::{de, Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    /// Write as e.g. `"45s"`.
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(*d).to_string())
    }

    /// Read `"45s"`, `"1500ms"`, `"1m 30s"`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let s = String::deserialize(d)?;
        super::parse_duration(&s).map_err(de::Error::custom)
    }
}
