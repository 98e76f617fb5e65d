//! Durations and delay distributions as they appear in TOML and flags:
//! humantime strings (`"500ms"`) and, through [`DelaySpec`] (the shared
//! [`DurationDist`](crate::util::distribution::DurationDist)), uniform ranges
//! (`{ min, max }` / `100ms..2s`), exponential (`{ mean }` / `exp:1s`) and
//! lognormal distributions.

/// A fixed delay or a distribution of delays (the shared duration distribution).
pub type DelaySpec = crate::util::distribution::DurationDist;

/// Serde helper: `Duration` as a humantime string.
pub(crate) mod duration_serde {
    use serde::{de, Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    /// Write as e.g. `"45s"`.
    pub(crate) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(*d).to_string())
    }

    /// Read `"45s"`, `"1500ms"`, `"1m 30s"`.
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let s = String::deserialize(d)?;
        crate::util::parse_duration(&s).map_err(de::Error::custom)
    }
}
