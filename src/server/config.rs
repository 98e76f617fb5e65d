//! Options of the reference server: the `[server]` table of a scenario file and
//! the validated form of the `chatload serve` flags.
//!
//! Durations are humantime strings (`"45s"`, `"1500ms"`); a delay may also be a
//! uniform range `{ min = "200ms", max = "2s" }` or an exponential distribution
//! `{ mean = "1s" }`. [`ServerConfig::validate`] names the offending field.

pub(crate) use super::delay::{duration_serde, DelaySpec};
pub use super::fault_rule::{FaultKind, FaultRule, OperationSelector};
pub use super::misbehave::Misbehave;
use crate::error::UsageError;
pub(super) use crate::util::parse_duration;
use serde::{Deserialize, Serialize};
use std::time::Duration;

pub(super) use crate::util::{check_flex_timeout, MAX_FLEX_TIMEOUT};

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
    /// Agents in the pool; absent = every chat gets its own agent at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agents: Option<u32>,
    /// Chats one pool agent handles at once (default 1; needs `agents`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chats_per_agent: Option<u32>,
    /// The simulated agent of every chat.
    pub agent: AgentConfig,
    /// Injected faults, evaluated in order.
    pub faults: Vec<FaultRule>,
    /// Deliberate protocol breakage for conformance mutation tests (`--misbehave`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub misbehave: Vec<Misbehave>,
    /// A connection that does not finish a request's headers this long after
    /// connecting or after its last response (slow or idle) is closed.
    #[serde(with = "duration_serde")]
    pub header_read_timeout: Duration,
    /// Most connections open at once (more are closed on accept and counted as
    /// refused); absent = the open-file soft limit less a reserve of 64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<u32>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            flex_disconnect_timeout: Duration::from_secs(45),
            webapi_prefix: String::new(),
            seed: 1,
            max_message_length: 4096,
            agents: None,
            chats_per_agent: None,
            agent: AgentConfig::default(),
            faults: Vec::new(),
            misbehave: Vec::new(),
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            max_connections: None,
        }
    }
}

/// Default header-read timeout (hyper's own default).
pub(super) const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

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
    /// End the chat (agent `ParticipantLeft`) this long after joining: a duration
    /// or a distribution (e.g. `{ distribution = "exponential", mean = "5m" }`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_after: Option<DelaySpec>,
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
            end_after: None,
            nickname: "Agent".to_string(),
        }
    }
}

impl ServerConfig {
    /// Check every rule; the error names the field, the rule and the fix.
    pub fn validate(&self) -> Result<(), UsageError> {
        check_flex_timeout(
            self.flex_disconnect_timeout,
            "server.flex_disconnect_timeout",
        )?;
        let p = &self.webapi_prefix;
        if !p.is_empty() && (!p.starts_with('/') || p.ends_with('/') || p.contains(['?', '#'])) {
            return Err(UsageError::new(format!(
                "server.webapi_prefix: '{p}' must be empty or start with '/' and not end with '/'; e.g. \"/webapi\""
            )));
        }
        if self.max_message_length == 0 {
            return Err(UsageError::new(
                "server.max_message_length: must be at least 1; the default is 4096",
            ));
        }
        self.agent
            .reply_after
            .validate("server.agent.reply_after")?;
        if self.agent.end_after_messages == Some(0) {
            return Err(UsageError::new(
                "server.agent.end_after_messages: must be at least 1; leave it out to never end",
            ));
        }
        if let Some(end) = &self.agent.end_after {
            end.validate("server.agent.end_after")?;
        }
        self.validate_pool()?;
        if self.header_read_timeout.is_zero() {
            return Err(UsageError::new(
                "server.header_read_timeout (--header-read-timeout): must be greater than zero; the default is 30s",
            ));
        }
        if self.max_connections == Some(0) {
            return Err(UsageError::new(
                "server.max_connections (--max-connections): must be at least 1; leave it out to size it to `ulimit -n`",
            ));
        }
        for (i, rule) in self.faults.iter().enumerate() {
            rule.validate(i)?;
        }
        Ok(())
    }
}

/// Most slots (agents × chats per agent) a pool may have.
pub(super) const MAX_POOL_SLOTS: u64 = 1_000_000;

impl ServerConfig {
    fn validate_pool(&self) -> Result<(), UsageError> {
        let bad = |m: &str| Err(UsageError::new(m));
        match (self.agents, self.chats_per_agent) {
            (None, Some(_)) => bad(
                "server.chats_per_agent (--chats-per-agent) needs a pool: add agents = N (--agents N)",
            ),
            (Some(0), _) => bad(
                "server.agents (--agents) must be at least 1; leave it out to give every chat its own agent",
            ),
            (_, Some(0)) => bad("server.chats_per_agent (--chats-per-agent) must be at least 1"),
            (Some(_), _) if !self.agent.enabled => bad(
                "server.agents (--agents) needs agents that answer: remove agent.enabled = false (--no-agent), or the pool",
            ),
            (Some(n), m) if u64::from(n) * u64::from(m.unwrap_or(1)) > MAX_POOL_SLOTS => {
                Err(UsageError::new(format!(
                    "server.agents × server.chats_per_agent must be at most {MAX_POOL_SLOTS} slots; use fewer agents"
                )))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
