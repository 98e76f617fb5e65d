//! Durations and delay distributions as they appear in TOML and flags:
//! humantime strings (`"500ms"`), uniform ranges (`{ min, max }` / `100ms..2s`)
//! and exponential distributions (`{ mean }` / `exp:1s`).

use crate::error::UsageError;
use crate::util::parse_duration;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::time::Duration;

/// A fixed delay or a distribution of delays.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DelaySpec {
    /// Always this long (`"500ms"`).
    Fixed(Duration),
    /// Uniform between `min` and `max` inclusive (`{ min = "200ms", max = "2s" }`).
    Uniform {
        /// Shortest delay.
        min: Duration,
        /// Longest delay.
        max: Duration,
    },
    /// Exponentially distributed with this mean, capped at 20 × mean (`{ mean = "1s" }`).
    Exponential {
        /// Mean delay.
        mean: Duration,
    },
}

impl DelaySpec {
    /// Pick a delay from a uniform random number `u` in `[0, 1)`.
    pub fn sample(&self, u: f64) -> Duration {
        match *self {
            DelaySpec::Fixed(d) => d,
            DelaySpec::Uniform { min, max } => {
                let span = max.saturating_sub(min).as_nanos() as f64;
                min + Duration::from_nanos((span * u) as u64)
            }
            DelaySpec::Exponential { mean } => {
                let factor = (-(1.0 - u).ln()).min(20.0);
                Duration::from_nanos((mean.as_nanos() as f64 * factor) as u64)
            }
        }
    }

    pub(crate) fn validate(&self, field: &str) -> Result<(), UsageError> {
        if let DelaySpec::Uniform { min, max } = self {
            if min > max {
                return Err(UsageError::new(format!(
                    "{field}: min ({}) is larger than max ({}); swap them",
                    humantime::format_duration(*min),
                    humantime::format_duration(*max)
                )));
            }
        }
        Ok(())
    }
}

impl fmt::Display for DelaySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DelaySpec::Fixed(d) => write!(f, "{}", humantime::format_duration(*d)),
            DelaySpec::Uniform { min, max } => write!(
                f,
                "{}..{}",
                humantime::format_duration(*min),
                humantime::format_duration(*max)
            ),
            DelaySpec::Exponential { mean } => {
                write!(f, "exp(mean {})", humantime::format_duration(*mean))
            }
        }
    }
}

impl std::str::FromStr for DelaySpec {
    type Err = String;
    /// `"500ms"`, `"200ms..2s"` (uniform) or `"exp:1s"` (exponential).
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Some(mean) = s.strip_prefix("exp:") {
            return Ok(DelaySpec::Exponential {
                mean: parse_duration(mean)?,
            });
        }
        if let Some((min, max)) = s.split_once("..") {
            return Ok(DelaySpec::Uniform {
                min: parse_duration(min)?,
                max: parse_duration(max)?,
            });
        }
        parse_duration(s).map(DelaySpec::Fixed)
    }
}

impl Serialize for DelaySpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let fmt = |d: &Duration| humantime::format_duration(*d).to_string();
        match self {
            DelaySpec::Fixed(d) => s.serialize_str(&fmt(d)),
            DelaySpec::Uniform { min, max } => {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("min", &fmt(min))?;
                m.serialize_entry("max", &fmt(max))?;
                m.end()
            }
            DelaySpec::Exponential { mean } => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("mean", &fmt(mean))?;
                m.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for DelaySpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DelaySpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration like \"500ms\", { min = \"200ms\", max = \"2s\" } or { mean = \"1s\" }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<DelaySpec, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DelaySpec, A::Error> {
                let (mut min, mut max, mut mean) = (None, None, None);
                while let Some(key) = map.next_key::<String>()? {
                    let value: String = map.next_value()?;
                    let d = parse_duration(&value).map_err(de::Error::custom)?;
                    match key.as_str() {
                        "min" => min = Some(d),
                        "max" => max = Some(d),
                        "mean" => mean = Some(d),
                        other => {
                            return Err(de::Error::unknown_field(other, &["min", "max", "mean"]))
                        }
                    }
                }
                match (min, max, mean) {
                    (Some(min), Some(max), None) => Ok(DelaySpec::Uniform { min, max }),
                    (None, None, Some(mean)) => Ok(DelaySpec::Exponential { mean }),
                    _ => Err(de::Error::custom(
                        "a delay distribution needs either both `min` and `max` or only `mean`",
                    )),
                }
            }
        }
        d.deserialize_any(V)
    }
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
        crate::util::parse_duration(&s).map_err(de::Error::custom)
    }
}
