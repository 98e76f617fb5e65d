//! The scenario file format (TOML) and its parse errors with `file:line:col`.
//!
//! This layer only reads: every field is optional and keeps its source span
//! ([`toml::Spanned`]) so that [`super::config`] can report a bad value at
//! its position. Defaults and cross-field rules live in `config`, not here.
//! Unknown keys are rejected (`deny_unknown_fields`), never ignored.

use crate::error::UsageError;
use crate::gate::ThresholdsSpec;
use crate::server::ServerConfig;
use crate::util::toml_error::Located;
use serde::Deserialize;
use std::ops::Range;
use std::path::Path;
use toml::Spanned;

mod customer;
pub(crate) use customer::{CustomerSection, ProfileSection};

/// A duration written as a string (`"30s"`, `"500ms"`, `"2m"`), with its position.
pub(crate) type SpannedDuration = Spanned<String>;

/// A whole scenario file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Scenario name (default: the file stem).
    pub name: Option<Spanned<String>>,
    /// Random seed.
    pub seed: Option<Spanned<u64>>,
    /// Target base URL; absent = embedded reference server.
    pub target: Option<Spanned<String>>,
    /// `gms-v2` or `webapi`.
    pub dialect: Option<Spanned<String>>,
    /// gms-v2 service name.
    pub service: Option<Spanned<String>>,
    /// webapi tenant name.
    pub tenant: Option<Spanned<String>>,
    /// webapi base path prefix (e.g. `/webapi`).
    pub webapi_prefix: Option<Spanned<String>>,
    /// Chat Server flex-disconnect-timeout the gaps are judged against.
    pub flex_disconnect_timeout: Option<SpannedDuration>,
    /// Near-miss fraction of the timeout (0 < f < 1).
    pub near_miss_fraction: Option<Spanned<f64>>,
    /// Per-request timeout.
    pub request_timeout: Option<SpannedDuration>,
    /// Largest accepted response body in bytes.
    pub max_body_bytes: Option<Spanned<u64>>,
    /// Most response-body bytes buffered at once across all requests in flight.
    pub max_buffered_body_bytes: Option<Spanned<u64>>,
    /// Most requests (and so connections) in flight at once.
    pub max_connections: Option<Spanned<u64>>,
    /// How long the end of the run waits for active chats to disconnect.
    pub drain_timeout: Option<SpannedDuration>,
    /// Poll instants aligned to this grid (0 = none).
    pub pacing_grid: Option<SpannedDuration>,
    /// Session threads (0 = one per core).
    pub threads: Option<Spanned<u64>>,
    /// The service level counts chats an agent joined within this wait (default 20s).
    pub service_level_target: Option<SpannedDuration>,
    /// How long an idle pooled connection may be reused (keep it below the
    /// target's keep-alive timeout).
    pub pool_idle_timeout: Option<SpannedDuration>,
    /// TLS options for https targets (`[tls]`).
    pub tls: Option<TlsSection>,
    /// Offer HTTP/2 by ALPN on https targets.
    pub http2: Option<Spanned<bool>>,
    /// Proxy URL, or `"none"` to ignore the environment's proxy variables.
    pub proxy: Option<Spanned<String>>,
    /// Keep one cookie jar per customer (default true).
    pub cookies: Option<Spanned<bool>>,
    /// Custom request headers sent on every request (`[headers]`; a value
    /// `env:VAR` is read from the environment). Values are secrets.
    pub headers: Option<std::collections::BTreeMap<String, Spanned<String>>>,
    /// The load shape.
    #[serde(default)]
    pub load: LoadSection,
    /// The simulated customer.
    #[serde(default)]
    pub customer: CustomerSection,
    /// Customer mix: profiles laid over `[customer]`, each with a name and a weight.
    pub customers: Option<Vec<ProfileSection>>,
    /// Retry policy.
    #[serde(default)]
    pub retry: RetrySection,
    /// Options of the embedded reference server (ignored with a target).
    pub server: Option<ServerConfig>,
    /// CI thresholds.
    #[serde(default)]
    pub thresholds: ThresholdsSpec,
}

/// `[load]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadSection {
    /// Concurrent sessions at full load.
    pub sessions: Option<Spanned<u64>>,
    /// Time to reach full load (linear).
    pub ramp_up: Option<SpannedDuration>,
    /// Whole run length including the ramp.
    pub duration: Option<SpannedDuration>,
    /// Start a new session in a slot whose session ended (default true).
    pub restart: Option<Spanned<bool>>,
    /// Explicit stages instead of sessions/ramp_up/duration.
    pub stages: Option<Spanned<Vec<StageSection>>>,
    /// Open model: chats arriving per unit of time (`"2/s"`, `"1200/h"`); `sessions` is then the cap.
    pub arrival_rate: Option<Spanned<String>>,
    /// Open model inter-arrival times: `poisson` (default) or `uniform`.
    pub arrival: Option<Spanned<String>>,
}

/// One `[[load.stages]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageSection {
    /// Sessions at the end of the stage's ramp (closed model).
    pub sessions: Option<Spanned<u64>>,
    /// Arrival rate at the end of the stage's ramp (open model, e.g. `"2/s"`).
    pub arrival_rate: Option<Spanned<String>>,
    /// Linear ramp from the previous stage's level.
    pub ramp: Option<SpannedDuration>,
    /// Hold at `sessions` after the ramp.
    pub hold: Option<SpannedDuration>,
}

/// A jitter (or think-time spread) distribution.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JitterSection {
    /// `none`, `uniform`, `normal` or `exponential`.
    pub distribution: Option<Spanned<String>>,
    /// Uniform: ± spread; normal: standard deviation; exponential: mean (added delay).
    pub amount: Option<SpannedDuration>,
}

/// `[tls]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSection {
    /// PEM bundle of extra trusted CAs.
    pub ca_file: Option<Spanned<String>>,
    /// Client certificate (PEM) for mutual TLS.
    pub client_cert: Option<Spanned<String>>,
    /// Its private key (PEM).
    pub client_key: Option<Spanned<String>>,
    /// Skip certificate verification.
    pub insecure: Option<Spanned<bool>>,
    /// Name the certificate is checked against (targets addressed by IP).
    pub server_name: Option<Spanned<String>>,
}

/// `[customer.data]`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerDataSection {
    /// CSV (header row) or JSON Lines file of customer profiles.
    pub file: Option<Spanned<String>>,
    /// `sequential` (default) or `random`.
    pub order: Option<Spanned<String>>,
    /// Plain text file of message texts, one per line.
    pub messages: Option<Spanned<String>>,
}

/// `[retry]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetrySection {
    /// Consecutive failures (statusCode 1 or transport) before the session gives up.
    pub max_consecutive: Option<Spanned<u32>>,
    /// First backoff.
    pub backoff: Option<SpannedDuration>,
    /// Largest backoff (doubling up to it).
    pub backoff_max: Option<SpannedDuration>,
}

/// A loaded scenario with the text it came from (for positions).
#[derive(Debug)]
pub struct ScenarioFile {
    /// File name as given.
    pub path: String,
    /// File contents.
    pub source: String,
    /// Parsed contents.
    pub scenario: Scenario,
}

impl ScenarioFile {
    /// Read and parse a scenario file.
    pub fn load(path: &Path) -> Result<ScenarioFile, UsageError> {
        let source = std::fs::read_to_string(path).map_err(|e| {
            UsageError::new(format!(
                "cannot read scenario file '{}': {e}; check the path (scenarios live in scenarios/*.toml)",
                path.display()
            ))
        })?;
        Self::parse(&path.display().to_string(), source)
    }

    /// Parse scenario text; `path` is only used in messages.
    pub fn parse(path: &str, source: String) -> Result<ScenarioFile, UsageError> {
        match toml::from_str::<Scenario>(&source) {
            Ok(scenario) => Ok(ScenarioFile {
                path: path.to_string(),
                source,
                scenario,
            }),
            Err(e) => Err(UsageError::new(
                Located::new(path, &source).de_error(e.message(), e.span()),
            )),
        }
    }

    /// Give a validation error that names a field of this file (`load.duration: ...`)
    /// the field's `file:line:col`, so every scenario error has the one form
    /// `file:line:col: field: rule; fix`.
    pub fn locate(&self, e: UsageError) -> UsageError {
        UsageError::new(Located::new(&self.path, &self.source).locate(&e.0))
    }

    /// `file:line:col` of a span.
    pub fn at(&self, span: Range<usize>) -> String {
        position(&self.path, &self.source, span.start)
    }

    /// The file stem, used as the default scenario name.
    pub fn stem(&self) -> String {
        Path::new(&self.path)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "scenario".to_string())
    }
}

pub(crate) use crate::util::toml_error::position;

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        ScenarioFile::parse("s.toml", text.to_string())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn unknown_key_is_rejected_with_position() {
        let e = err("name = \"x\"\n[load]\nsesions = 3\n");
        assert!(e.starts_with("s.toml:3:1:"), "{e}");
        assert!(e.contains("sesions"), "{e}");
    }

    #[test]
    fn wrong_type_is_rejected_with_position() {
        let e = err("[load]\nsessions = \"many\"\n");
        assert!(e.starts_with("s.toml:2:12:"), "{e}");
    }

    #[test]
    fn syntax_error_has_position() {
        let e = err("name = \n");
        assert!(e.starts_with("s.toml:1:"), "{e}");
    }

    #[test]
    fn full_file_parses() {
        let text = r#"
name = "x"
seed = 7
dialect = "webapi"
flex_disconnect_timeout = "3s"
[load]
sessions = 2
[[load.stages]]
sessions = 4
ramp = "1s"
hold = "2s"
[customer]
poll_interval = "1s"
jitter = { distribution = "uniform", amount = "100ms" }
messages = 2
typing = true
end = "after-messages"
[retry]
max_consecutive = 3
[headers]
apikey = "env:GMS_APIKEY"
[thresholds]
checks = ["sessions.flagged == 0"]
"#;
        let f = ScenarioFile::parse("x.toml", text.to_string()).unwrap();
        assert_eq!(
            f.scenario.load.sessions.as_ref().map(|s| *s.get_ref()),
            Some(2)
        );
        assert_eq!(f.scenario.thresholds.checks.len(), 1);
        assert_eq!(
            f.scenario
                .headers
                .as_ref()
                .map(|h| h["apikey"].get_ref().as_str()),
            Some("env:GMS_APIKEY")
        );
        assert_eq!(f.stem(), "x");
    }
}
