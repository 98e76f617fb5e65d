//! `chatload conformance` flags -> one validated [`ConformanceConfig`]. Every
//! error names the flag, the rule and the fix (exit code 2).

use super::flex::FlexMode;
use super::probes::flex::FlexPlan;
use super::rules;
use crate::cli::ConformanceArgs;
use crate::engine::client::transport::Transport;
use crate::engine::client::Target;
use crate::engine::config::{target_from_flags, CustomHeaders};
use crate::error::UsageError;
use crate::util::redact::redact_url;
use crate::util::{check_flex_timeout, check_output_file, parse_duration, BadOutputFile};
use std::path::PathBuf;
use std::time::Duration;

/// Default longest idle time of the timeout probe.
pub const DEFAULT_CAP: Duration = Duration::from_secs(120);

/// The validated options.
#[derive(Debug)]
pub struct ConformanceConfig {
    /// Where and how to talk.
    pub target: Target,
    /// The target URL as reports show it (password shown as ***).
    pub target_display: String,
    /// Timeout of each request.
    pub request_timeout: Duration,
    /// Custom headers (values are secrets).
    pub headers: CustomHeaders,
    /// TLS, HTTP/2 and proxy, as for `run`.
    pub transport: Transport,
    /// Warnings to print before the suite (e.g. `--insecure`).
    pub warnings: Vec<String>,
    /// The timeout probe.
    pub flex: FlexPlan,
    /// Rule names to report (empty: all).
    pub only: Vec<&'static str>,
    /// Output directory.
    pub out: PathBuf,
    /// JUnit file, if asked for.
    pub junit: Option<PathBuf>,
}

impl ConformanceConfig {
    /// Is rule `name` reported?
    pub fn wanted(&self, name: &str) -> bool {
        self.only.is_empty() || self.only.contains(&name)
    }
}

fn duration(flag: &str, v: &Option<String>) -> Result<Option<Duration>, UsageError> {
    v.as_deref()
        .map(|v| parse_duration(v).map_err(|e| UsageError::new(format!("--{flag}: {e}"))))
        .transpose()
}

/// Validate the flags.
pub fn build(args: &ConformanceArgs) -> Result<ConformanceConfig, UsageError> {
    let reach = target_from_flags(&args.target)?;
    let parts = reach.parts;
    let Some(url) = parts.url else {
        return Err(UsageError::new(
            "--target: required; give the server's base URL, e.g. http://127.0.0.1:8080",
        ));
    };
    let dialect = parts.dialect;
    let target = Target::new(
        dialect,
        &url,
        &parts.service,
        &parts.tenant,
        &parts.webapi_prefix,
    )
    .map_err(|e| UsageError::new(format!("--target: {e}")))?;
    let configured = duration("flex-disconnect-timeout", &args.flex_disconnect_timeout)?;
    if let Some(c) = configured {
        check_flex_timeout(c, "--flex-disconnect-timeout")?;
    }
    let mode: FlexMode = match &args.flex_probe {
        Some(m) => m.parse().map_err(UsageError::new)?,
        None => FlexMode::Quick,
    };
    let cap = match duration("flex-probe-cap", &args.flex_probe_cap)? {
        Some(c) if c < Duration::from_millis(100) => {
            return Err(UsageError::new(
                "--flex-probe-cap must be at least 100ms, e.g. 120s",
            ))
        }
        Some(c) => c,
        None => DEFAULT_CAP.max(configured.unwrap_or_default() * 2),
    };
    let request_timeout =
        duration("request-timeout", &args.request_timeout)?.unwrap_or(Duration::from_secs(10));
    if request_timeout.is_zero() {
        return Err(UsageError::new(
            "--request-timeout must be above 0, e.g. 10s",
        ));
    }
    let only = args
        .only
        .iter()
        .map(|r| rules::resolve(dialect, r).map_err(UsageError::new))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(j) = &args.junit {
        match check_output_file(j) {
            Ok(()) => {}
            Err(BadOutputFile::IsDir) => {
                return Err(UsageError::new(format!(
                    "--junit '{}': is a directory; give a file name, e.g. conformance.xml",
                    j.display()
                )))
            }
            Err(BadOutputFile::MissingDir(d)) => {
                return Err(UsageError::new(format!(
                    "--junit '{}': directory '{}' does not exist; create it first",
                    j.display(),
                    d.display()
                )))
            }
        }
    }
    let out = args.out.clone().unwrap_or_else(|| {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        PathBuf::from(format!("reports/conformance-{stamp}"))
    });
    Ok(ConformanceConfig {
        target,
        target_display: redact_url(&url),
        request_timeout,
        headers: reach.headers,
        transport: reach.transport,
        warnings: reach.warnings,
        flex: FlexPlan {
            mode,
            cap,
            configured,
        },
        only,
        out,
        junit: args.junit.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Dialect;

    fn args(target: &str) -> ConformanceArgs {
        ConformanceArgs {
            target: crate::cli::TargetArgs {
                url: Some(target.into()),
                ..Default::default()
            },
            ..ConformanceArgs::default()
        }
    }

    #[test]
    fn defaults_and_overrides() {
        let c = build(&args("http://u:pw@127.0.0.1:9")).unwrap();
        assert_eq!(c.target.dialect, Dialect::GmsV2);
        assert_eq!(c.flex.cap, DEFAULT_CAP);
        assert_eq!(c.flex.mode, FlexMode::Quick);
        assert_eq!(c.target_display, "http://u:***@127.0.0.1:9");
        let mut a = args("http://127.0.0.1:9");
        a.flex_disconnect_timeout = Some("90s".into());
        a.only = vec!["gms.end.disconnect".into()];
        let c = build(&a).unwrap();
        assert_eq!(c.flex.cap, Duration::from_secs(180));
        assert!(c.wanted("end.disconnect") && !c.wanted("flex.timeout"));
    }

    #[test]
    fn bad_flags_name_the_flag() {
        type Edit = fn(&mut ConformanceArgs);
        let cases: [(Edit, &str); 6] = [
            (|a| a.target.url = Some("127.0.0.1:8080".into()), "--target"),
            (|a| a.target.dialect = Some("soap".into()), "--dialect"),
            (|a| a.flex_probe = Some("slow".into()), "--flex-probe"),
            (
                |a| a.flex_disconnect_timeout = Some("0s".into()),
                "--flex-disconnect-timeout",
            ),
            (|a| a.only = vec!["gms.nope".into()], "--only"),
            (
                |a| a.request_timeout = Some("soon".into()),
                "--request-timeout",
            ),
        ];
        for (edit, flag) in cases {
            let mut a = args("http://127.0.0.1:9");
            edit(&mut a);
            let e = build(&a).unwrap_err().0;
            assert!(e.starts_with(flag), "{e}");
        }
    }
}
