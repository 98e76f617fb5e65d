//! Distributions of durations, shared by the engine's config (chat lengths,
//! patience) and the server's (agent delays, chat lengths): fixed, uniform,
//! exponential and lognormal, sampled with `rand_distr` from a caller's seeded RNG.
//!
//! Written in TOML as a plain duration (`"6m"`, fixed) or a table:
//! `{ distribution = "lognormal", mean = "6m", sd = "3m" }`,
//! `{ distribution = "exponential", mean = "5m" }`,
//! `{ distribution = "uniform", min = "1m", max = "9m" }`,
//! `{ distribution = "fixed", value = "6m" }`; without `distribution`, `{ min, max }`
//! is uniform and `{ mean }` exponential (the older delay forms). As a flag:
//! `"6m"`, `"1m..9m"`, `"exp:5m"` or `"lognormal:6m:3m"`.

use super::{parse_duration, MAX_DURATION};
use rand::Rng;
use rand_distr::{Exp1, LogNormal};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::time::Duration;

/// Exponential samples are cut at this many means (probability e^-20 ≈ 2e-9).
const EXP_CAP: f64 = 20.0;
/// The table forms, for messages.
const FORMS: &str = "write a duration like \"6m\" or a table like \
    { distribution = \"lognormal\", mean = \"6m\", sd = \"3m\" } \
    (distributions: fixed {value}, uniform {min, max}, exponential {mean}, lognormal {mean, sd})";

/// A fixed duration or a distribution of durations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DurationDist {
    /// Always this long (`"500ms"`).
    Fixed(Duration),
    /// Uniform between `min` and `max` inclusive (`{ min = "200ms", max = "2s" }`).
    Uniform {
        /// Shortest.
        min: Duration,
        /// Longest.
        max: Duration,
    },
    /// Exponential with this mean, cut at 20 × mean (`{ mean = "1s" }`).
    Exponential {
        /// Mean.
        mean: Duration,
    },
    /// Lognormal with this mean and standard deviation (of the duration itself,
    /// not of its logarithm; converted to μ and σ when sampling).
    LogNormal {
        /// Mean (above zero).
        mean: Duration,
        /// Standard deviation.
        sd: Duration,
    },
}

impl DurationDist {
    /// One sample from `rng`, never above [`MAX_DURATION`].
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Duration {
        match *self {
            DurationDist::Fixed(d) => d,
            DurationDist::Uniform { min, max } if min >= max => min,
            DurationDist::Uniform { min, max } => {
                Duration::from_nanos(rng.gen_range(nanos(min)..=nanos(max)))
            }
            DurationDist::Exponential { mean } => {
                let factor: f64 = rng.sample(Exp1);
                secs(mean.as_secs_f64() * factor.min(EXP_CAP))
            }
            DurationDist::LogNormal { mean, sd } => {
                let m = mean.as_secs_f64();
                // cv = sd / mean; rand_distr turns (mean, cv) into μ = ln(m / √(1 + cv²)),
                // σ = √ln(1 + cv²).
                match LogNormal::from_mean_cv(m, sd.as_secs_f64() / m) {
                    Ok(d) => secs(rng.sample(d)),
                    Err(_) => mean,
                }
            }
        }
    }

    /// The mean of the distribution (before the exponential's cut).
    pub fn mean(&self) -> Duration {
        match *self {
            DurationDist::Fixed(d) => d,
            DurationDist::Uniform { min, max } => min + (max.saturating_sub(min)) / 2,
            DurationDist::Exponential { mean } | DurationDist::LogNormal { mean, .. } => mean,
        }
    }

    /// The rule a table must follow beyond its syntax (uniform min ≤ max,
    /// lognormal mean > 0), as a message without the field name.
    fn check(&self) -> Result<(), String> {
        match *self {
            DurationDist::Uniform { min, max } if min > max => Err(format!(
                "min ({}) is larger than max ({}); swap them",
                humantime::format_duration(min),
                humantime::format_duration(max)
            )),
            DurationDist::LogNormal { mean, .. } if mean.is_zero() => {
                Err("a lognormal distribution needs a mean above 0; give e.g. mean = \"6m\"".into())
            }
            _ => Ok(()),
        }
    }

    /// Check the rules; the message names `field` (a TOML key or a flag).
    pub fn validate(&self, field: &str) -> Result<(), crate::error::UsageError> {
        self.check()
            .map_err(|e| crate::error::UsageError::new(format!("{field}: {e}")))
    }

    /// Build from a table's `distribution` name and duration keys (the TOML form).
    pub fn from_table(name: Option<&str>, keys: &[(String, Duration)]) -> Result<Self, String> {
        let name = match name {
            Some(n) => n,
            None if has(keys, &["sd"]) => {
                return Err(
                    "a table with `sd` needs distribution = \"lognormal\", e.g. { distribution = \"lognormal\", mean = \"6m\", sd = \"3m\" }".into(),
                )
            }
            None if has(keys, &["min", "max"]) => "uniform",
            None if has(keys, &["mean"]) => "exponential",
            None => {
                return Err(format!(
                    "a table of durations needs `distribution`, or both `min` and `max`, or only `mean`: {FORMS}"
                ))
            }
        };
        let (wanted, example): (&[&str], &str) = match name {
            "fixed" => (&["value"], "{ distribution = \"fixed\", value = \"6m\" }"),
            "uniform" => (
                &["min", "max"],
                "{ distribution = \"uniform\", min = \"1m\", max = \"9m\" }",
            ),
            "exponential" => (
                &["mean"],
                "{ distribution = \"exponential\", mean = \"5m\" }",
            ),
            "lognormal" => (
                &["mean", "sd"],
                "{ distribution = \"lognormal\", mean = \"6m\", sd = \"3m\" }",
            ),
            other => {
                return Err(format!(
                "unknown distribution '{other}': expected fixed, uniform, exponential or lognormal"
            ))
            }
        };
        if let Some((extra, _)) = keys.iter().find(|(k, _)| !wanted.contains(&k.as_str())) {
            return Err(format!(
                "`{extra}` does not apply to distribution \"{name}\" (it takes {}); remove it, e.g. {example}",
                wanted.join(", ")
            ));
        }
        if !has(keys, wanted) {
            return Err(format!(
                "distribution \"{name}\" needs {}, e.g. {example}",
                wanted
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ));
        }
        let get = |k: &str| {
            keys.iter()
                .find(|(n, _)| n == k)
                .map_or(Duration::ZERO, |(_, d)| *d)
        };
        let dist = match name {
            "fixed" => DurationDist::Fixed(get("value")),
            "uniform" => DurationDist::Uniform {
                min: get("min"),
                max: get("max"),
            },
            "exponential" => DurationDist::Exponential { mean: get("mean") },
            _ => DurationDist::LogNormal {
                mean: get("mean"),
                sd: get("sd"),
            },
        };
        dist.check()?;
        Ok(dist)
    }
}

fn has(keys: &[(String, Duration)], wanted: &[&str]) -> bool {
    wanted.iter().all(|w| keys.iter().any(|(k, _)| k == w))
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// Seconds to a duration, cut to `[0, MAX_DURATION]` (NaN gives zero).
fn secs(s: f64) -> Duration {
    Duration::try_from_secs_f64(s)
        .unwrap_or(if s > 0.0 {
            MAX_DURATION
        } else {
            Duration::ZERO
        })
        .min(MAX_DURATION)
}

impl fmt::Display for DurationDist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = |d: &Duration| humantime::format_duration(*d);
        match self {
            DurationDist::Fixed(d) => write!(f, "{}", h(d)),
            DurationDist::Uniform { min, max } => write!(f, "{}..{}", h(min), h(max)),
            DurationDist::Exponential { mean } => write!(f, "exp(mean {})", h(mean)),
            DurationDist::LogNormal { mean, sd } => {
                write!(f, "lognormal(mean {}, sd {})", h(mean), h(sd))
            }
        }
    }
}

impl std::str::FromStr for DurationDist {
    type Err = String;
    /// `"500ms"`, `"200ms..2s"` (uniform), `"exp:1s"` (exponential) or
    /// `"lognormal:6m:3m"` (mean, sd).
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let dist = if let Some(mean) = s.strip_prefix("exp:") {
            DurationDist::Exponential {
                mean: parse_duration(mean)?,
            }
        } else if let Some(rest) = s.strip_prefix("lognormal:") {
            let (mean, sd) = rest.split_once(':').ok_or_else(|| {
                format!("'{s}': a lognormal is written lognormal:MEAN:SD, e.g. lognormal:6m:3m")
            })?;
            DurationDist::LogNormal {
                mean: parse_duration(mean)?,
                sd: parse_duration(sd)?,
            }
        } else if let Some((min, max)) = s.split_once("..") {
            DurationDist::Uniform {
                min: parse_duration(min)?,
                max: parse_duration(max)?,
            }
        } else {
            DurationDist::Fixed(parse_duration(s)?)
        };
        dist.check()?;
        Ok(dist)
    }
}

impl Serialize for DurationDist {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let h = |d: &Duration| humantime::format_duration(*d).to_string();
        let entries: Vec<(&str, String)> = match self {
            DurationDist::Fixed(d) => return s.serialize_str(&h(d)),
            DurationDist::Uniform { min, max } => vec![("min", h(min)), ("max", h(max))],
            DurationDist::Exponential { mean } => vec![("mean", h(mean))],
            DurationDist::LogNormal { mean, sd } => vec![
                ("distribution", "lognormal".into()),
                ("mean", h(mean)),
                ("sd", h(sd)),
            ],
        };
        let mut m = s.serialize_map(Some(entries.len()))?;
        for (k, v) in &entries {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for DurationDist {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DurationDist;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(FORMS)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<DurationDist, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DurationDist, A::Error> {
                let mut name = None;
                let mut keys = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    let value: String = map.next_value()?;
                    if key == "distribution" {
                        name = Some(value);
                        continue;
                    }
                    let d = parse_duration(&value)
                        .map_err(|e| de::Error::custom(format!("`{key}`: {e}")))?;
                    keys.push((key, d));
                }
                DurationDist::from_table(name.as_deref(), &keys).map_err(de::Error::custom)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
#[path = "distribution_tests.rs"]
mod tests;
