//! Fault rules: which fault kind, on which operation, how often. Read from
//! `[[server.faults]]` tables and from `--fault KIND:OPERATION:every=N` flags.

use super::delay::DelaySpec;
use crate::error::UsageError;
use crate::protocol::Operation;
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

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

/// What is wrong with a fault rule, told in the syntax it was written in.
enum Problem {
    Both,
    Neither,
    EveryZero,
    Rate(f64),
    DelayMissing,
    DelayNotApplicable,
}

impl Problem {
    /// `field: rule; fix` for a `[[server.faults]]` table.
    fn in_file(&self, field: &str) -> String {
        match self {
            Problem::Both => format!("{field}: give either `every` or `rate`, not both; remove one"),
            Problem::Neither => format!(
                "{field}: missing how often; add `every = N` (every Nth request) or `rate = 0.01`"
            ),
            Problem::EveryZero => format!("{field}.every: must be at least 1; 1 = every request"),
            Problem::Rate(r) => {
                format!("{field}.rate: must be between 0 and 1 (got {r}); e.g. 0.01 for 1 %")
            }
            Problem::DelayMissing => format!(
                "{field}: kind \"delay\" needs a delay; add `delay = \"2s\"` (or {{ min, max }} / {{ mean }})"
            ),
            Problem::DelayNotApplicable => {
                format!("{field}.delay: only applies to kind \"delay\"; remove it")
            }
        }
    }

    /// `rule; fix` for a `--fault KIND:OPERATION:...` flag.
    fn in_flag(&self) -> String {
        match self {
            Problem::Both => {
                "give either every=N or rate=R, not both; e.g. status1:poll:every=10".into()
            }
            Problem::Neither => {
                "missing how often; add :every=N or :rate=R, e.g. status1:poll:every=10".into()
            }
            Problem::EveryZero => "every must be at least 1; every=1 hits every request".into(),
            Problem::Rate(r) => {
                format!("rate must be between 0 and 1 (got {r}); e.g. rate=0.01 for 1 %")
            }
            Problem::DelayMissing => {
                "kind delay needs :delay=SPEC; e.g. delay:poll:rate=0.1:delay=2s \
                 (or :delay=100ms..2s, :delay=exp:1s)"
                    .into()
            }
            Problem::DelayNotApplicable => ":delay= only applies to kind delay; remove it".into(),
        }
    }
}

impl FaultRule {
    fn problem(&self) -> Option<Problem> {
        match (self.every, self.rate) {
            (Some(_), Some(_)) => return Some(Problem::Both),
            (None, None) => return Some(Problem::Neither),
            (Some(0), _) => return Some(Problem::EveryZero),
            (_, Some(r)) if !(0.0..=1.0).contains(&r) || r.is_nan() => {
                return Some(Problem::Rate(r))
            }
            _ => {}
        }
        match (self.kind, &self.delay) {
            (FaultKind::Delay, None) => Some(Problem::DelayMissing),
            (FaultKind::Delay, Some(_)) | (_, None) => None,
            (_, Some(_)) => Some(Problem::DelayNotApplicable),
        }
    }

    pub(crate) fn validate(&self, i: usize) -> Result<(), UsageError> {
        let field = format!("server.faults[{i}]");
        if let Some(p) = self.problem() {
            return Err(UsageError::new(p.in_file(&field)));
        }
        match &self.delay {
            Some(d) => d.validate(&format!("{field}.delay")),
            None => Ok(()),
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
        if let Some(p) = rule.problem() {
            return Err(p.in_flag());
        }
        if let Some(d) = &rule.delay {
            d.validate("delay").map_err(|e| e.0)?;
        }
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
