//! Options of the reference server: the `[server]` table of a scenario file and
//! the validated form of the `chatload serve` flags.
//!
//! Durations are humantime strings (`"45s"`, `"1500ms"`); a delay may also be a
//! uniform range `{ min = "200ms", max = "2s" }` or an exponential distribution
//! `{ mean = "1s" }`. [`ServerConfig::validate`] names the offending field.

use crate::error::UsageError;
use crate::protocol::Operation;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::time::Duration;

/// Longest flex-disconnect-timeout Chat Server accepts (20 days).
pub const MAX_FLEX_TIMEOUT: Duration = Duration::from_secs(1_728_000);

/// Options of the reference server (also the `[server]` table of a scenario file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Chat Server `flex-disconnect-timeout`: a chat without a customer request
    /// answered with statusCode 0 for this long is ended by the server.
    #[serde(with = "duration_serde")]
    pub flex_disconnect_timeout: Duration,
    /// Base path of the webapi dialect (`""` or e.g. `"/webapi"`).
    pub webapi_prefix: String,
    /// Seed of every random choice (fault rates, agent delays).
    pub seed: u64,
    /// Longest accepted message text in characters (longer: HTTP 400, code 204).
    pub max_message_length: usize,
    /// The simulated agent of every chat.
    pub agent: AgentConfig,
    /// Injected faults, evaluated in order.
    pub faults: Vec<FaultRule>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            flex_disconnect_timeout: Duration::from_secs(45),
            webapi_prefix: String::new(),
            seed: 1,
            max_message_length: 4096,
            agent: AgentConfig::default(),
            faults: Vec::new(),
        }
    }
}

/// The simulated agent: joins, replies to each customer message, may end the chat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AgentConfig {
    /// Whether an agent joins at all (false: nobody ever answers).
    pub enabled: bool,
    /// Delay from the chat request to the agent's `ParticipantJoined`.
    #[serde(with = "duration_serde")]
    pub join_after: Duration,
    /// Delay from a customer message to the agent's reply.
    pub reply_after: DelaySpec,
    /// End the chat (agent `ParticipantLeft`) after replying to this many customer messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_after_messages: Option<u32>,
    /// Nickname of the agent party.
    pub nickname: String,
}

impl Default for AgentConfig {
    fn default() -> Self {
        AgentConfig {
            enabled: true,
            join_after: Duration::from_secs(1),
            reply_after: DelaySpec::Fixed(Duration::from_millis(500)),
            end_after_messages: None,
            nickname: "Agent".to_string(),
        }
    }
}

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

    fn validate(&self, field: &str) -> Result<(), UsageError> {
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

/// Parse a humantime duration with a message that shows the expected syntax.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s.trim()).map_err(|e| {
        format!("invalid duration '{s}' ({e}): expected e.g. \"500ms\", \"2s\", \"1m\"")
    })
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

/// The kinds of injected fault (also the keys of `Stats::faults`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// HTTP 200, statusCode 1, chatEnded false: recoverable, retry.
    Status1,
    /// HTTP 200, statusCode 1, chatEnded true: the combination the seed table calls impossible.
    Status1ChatEnded,
    /// HTTP 200, statusCode 2, chatEnded false: unrecoverable (the chat itself lives on).
    Status2,
    /// HTTP 502 with an HTML body (a proxy in front of the server failing).
    #[serde(rename = "http_5xx")]
    Http5xx,
    /// The normal answer, sent after an added delay.
    Delay,
    /// The connection is closed without any response.
    Drop,
    /// A normal answer announcing a new `alias`; the old one is rejected from then on.
    AliasRotation,
    /// One transcript index is skipped (a `Notice` follows the hole at once).
    TranscriptHole,
}

impl FaultKind {
    /// Every kind, in report order.
    pub const ALL: [FaultKind; 8] = [
        FaultKind::Status1,
        FaultKind::Status1ChatEnded,
        FaultKind::Status2,
        FaultKind::Http5xx,
        FaultKind::Delay,
        FaultKind::Drop,
        FaultKind::AliasRotation,
        FaultKind::TranscriptHole,
    ];

    /// The name used in TOML, flags and `Stats::faults`.
    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::Status1 => "status1",
            FaultKind::Status1ChatEnded => "status1_chat_ended",
            FaultKind::Status2 => "status2",
            FaultKind::Http5xx => "http_5xx",
            FaultKind::Delay => "delay",
            FaultKind::Drop => "drop",
            FaultKind::AliasRotation => "alias_rotation",
            FaultKind::TranscriptHole => "transcript_hole",
        }
    }

    /// Parse a kind name.
    pub fn from_name(name: &str) -> Option<FaultKind> {
        FaultKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// Which operations a fault applies to: one common operation name or `any`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OperationSelector {
    /// Every operation.
    #[default]
    Any,
    /// Only this one.
    Only(Operation),
}

impl OperationSelector {
    /// Does `op` match?
    pub fn matches(self, op: Operation) -> bool {
        match self {
            OperationSelector::Any => true,
            OperationSelector::Only(o) => o == op,
        }
    }
}

impl std::str::FromStr for OperationSelector {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s == "any" {
            return Ok(OperationSelector::Any);
        }
        Operation::from_name(s)
            .map(OperationSelector::Only)
            .ok_or_else(|| {
                let names: Vec<&str> = Operation::ALL.iter().map(|o| o.as_str()).collect();
                format!(
                    "unknown operation '{s}': expected 'any' or one of {}",
                    names.join(", ")
                )
            })
    }
}

impl Serialize for OperationSelector {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            OperationSelector::Any => s.serialize_str("any"),
            OperationSelector::Only(op) => s.serialize_str(op.as_str()),
        }
    }
}

impl<'de> Deserialize<'de> for OperationSelector {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(de::Error::custom)
    }
}

/// One fault rule: a kind, the operations it hits, and how often (rate or every Nth).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// What to inject.
    pub kind: FaultKind,
    /// Which operation (common name, or `any`).
    #[serde(default)]
    pub operation: OperationSelector,
    /// Inject on every Nth matching request (the Nth, 2Nth, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<u64>,
    /// Inject on this fraction of matching requests (seeded, deterministic).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    /// For `kind = "delay"`: how long (fixed or a distribution).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<DelaySpec>,
}

impl FaultRule {
    fn validate(&self, i: usize) -> Result<(), UsageError> {
        let field = format!("server.faults[{i}]");
        match (self.every, self.rate) {
            (Some(_), Some(_)) => Err(UsageError::new(format!(
                "{field}: give either `every` or `rate`, not both"
            ))),
            (None, None) => Err(UsageError::new(format!(
                "{field}: missing how often: add `every = N` (every Nth request) or `rate = 0.01`"
            ))),
            (Some(0), _) => Err(UsageError::new(format!(
                "{field}.every must be at least 1 (1 = every request)"
            ))),
            (_, Some(r)) if !(0.0..=1.0).contains(&r) || r.is_nan() => Err(UsageError::new(
                format!("{field}.rate must be between 0 and 1 (got {r}); e.g. 0.01 for 1 %"),
            )),
            _ => Ok(()),
        }?;
        match (self.kind, &self.delay) {
            (FaultKind::Delay, None) => Err(UsageError::new(format!(
                "{field}: kind \"delay\" needs `delay = \"2s\"` (or {{ min, max }} / {{ mean }})"
            ))),
            (FaultKind::Delay, Some(d)) => d.validate(&format!("{field}.delay")),
            (_, Some(_)) => Err(UsageError::new(format!(
                "{field}.delay only applies to kind \"delay\"; remove it"
            ))),
            _ => Ok(()),
        }
    }
}

impl std::str::FromStr for FaultRule {
    type Err = String;
    /// `KIND:OPERATION:every=N` or `KIND:OPERATION:rate=R`, plus `:delay=SPEC` for `delay`.
    fn from_str(s: &str) -> Result<Self, String> {
        const SYNTAX: &str = "expected KIND:OPERATION:every=N or KIND:OPERATION:rate=R \
             (delay also takes :delay=2s, :delay=100ms..2s or :delay=exp:1s), \
             e.g. status1:poll:every=10";
        let mut parts = s.split(':');
        let kind_name = parts.next().unwrap_or_default();
        let kind = FaultKind::from_name(kind_name).ok_or_else(|| {
            let kinds: Vec<&str> = FaultKind::ALL.iter().map(|k| k.as_str()).collect();
            format!(
                "unknown fault kind '{kind_name}': expected one of {}",
                kinds.join(", ")
            )
        })?;
        let operation = parts
            .next()
            .ok_or_else(|| format!("'{s}': {SYNTAX}"))?
            .parse()?;
        let mut rule = FaultRule {
            kind,
            operation,
            every: None,
            rate: None,
            delay: None,
        };
        let rest: Vec<&str> = parts.collect();
        let rest = rest.join(":"); // `exp:1s` contains a colon
        for item in split_options(&rest) {
            let (k, v) = item
                .split_once('=')
                .ok_or_else(|| format!("'{s}': {SYNTAX}"))?;
            match k {
                "every" => {
                    rule.every = Some(
                        v.parse()
                            .map_err(|_| format!("every='{v}' is not a whole number"))?,
                    )
                }
                "rate" => {
                    rule.rate = Some(
                        v.parse()
                            .map_err(|_| format!("rate='{v}' is not a number"))?,
                    )
                }
                "delay" => rule.delay = Some(v.parse()?),
                _ => return Err(format!("'{s}': unknown option '{k}'; {SYNTAX}")),
            }
        }
        rule.validate(0)
            .map_err(|e| e.0.replace("server.faults[0]", "--fault"))?;
        Ok(rule)
    }
}

/// Split `every=3:delay=exp:1s` into `every=3`, `delay=exp:1s`.
fn split_options(rest: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for piece in rest.split(':').filter(|p| !p.is_empty()) {
        match out.last_mut() {
            Some(last) if !piece.contains('=') => {
                last.push(':');
                last.push_str(piece);
            }
            _ => out.push(piece.to_string()),
        }
    }
    out
}

impl ServerConfig {
    /// Check every rule; the error names the field, the rule and the fix.
    pub fn validate(&self) -> Result<(), UsageError> {
        let t = self.flex_disconnect_timeout;
        if t < Duration::from_secs(1) || t > MAX_FLEX_TIMEOUT {
            return Err(UsageError::new(format!(
                "server.flex_disconnect_timeout must be between 1s and 1728000s (20 days), got {}",
                humantime::format_duration(t)
            )));
        }
        let p = &self.webapi_prefix;
        if !p.is_empty() && (!p.starts_with('/') || p.ends_with('/') || p.contains(['?', '#'])) {
            return Err(UsageError::new(format!(
                "server.webapi_prefix '{p}' must be empty or start with '/' and not end with '/', e.g. \"/webapi\""
            )));
        }
        if self.max_message_length == 0 {
            return Err(UsageError::new(
                "server.max_message_length must be at least 1",
            ));
        }
        self.agent
            .reply_after
            .validate("server.agent.reply_after")?;
        if self.agent.end_after_messages == Some(0) {
            return Err(UsageError::new(
                "server.agent.end_after_messages must be at least 1 (leave it out to never end)",
            ));
        }
        for (i, rule) in self.faults.iter().enumerate() {
            rule.validate(i)?;
        }
        Ok(())
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
        super::parse_duration(&s).map_err(de::Error::custom)
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
