//! `chatload conformance`: check a Chat Server against the protocol
//! (docs/protocol.md and the seed table) before loading it. A fixed suite of
//! probes, a few chats each, sent one request at a time; one verdict per rule
//! (`pass`, `fail`, `warn`, `skip`) with the redacted evidence of failures.
//!
//! # Layout
//! - `config`: flags -> validated [`config::ConformanceConfig`].
//! - `rules`: the rule catalogue (ids, statements, sources).
//! - `transport`, `redact`, `session`: the probe client on the shared HTTP
//!   client builder, evidence redaction, one probe chat's identity.
//! - `probes`: lifecycle, validation and flex probes; `flex`: the timeout
//!   measurement plan; `findings`: observations -> verdicts.
//! - `model`: the one report model; `export`: text, json, html, junit.
//!
//! Exit codes: 0 every rule pass/warn/skip, 1 a rule failed, 2 bad usage,
//! 3 the target never answered, or Ctrl-C (after writing a partial report).

pub mod config;
pub mod export;
mod findings;
mod flex;
pub mod model;
pub mod probes;
mod redact;
mod rules;
mod session;
mod transport;

use crate::cli::ConformanceArgs;
use crate::error::Exit;
use anyhow::Context;
use model::{Counts, OperationTimes, Report, Verdict};
use std::collections::BTreeMap;
use std::io::Write;
use std::time::Instant;

/// `chatload conformance`.
pub async fn conformance_command(args: ConformanceArgs) -> anyhow::Result<Exit> {
    let mut cfg = config::build(&args)?;
    if !cfg.wanted("flex.timeout") && !cfg.wanted("flex.expired-answer") {
        cfg.flex.mode = flex::FlexMode::Off;
    }
    // Check the output directory before the suite, which may take minutes.
    std::fs::create_dir_all(&cfg.out).map_err(|e| {
        crate::error::UsageError::new(format!(
            "--out '{}': cannot create the directory ({e}); give a writable directory",
            cfg.out.display()
        ))
    })?;
    for w in &cfg.warnings {
        eprintln!("warning: {w}");
    }
    let say = |line: &str| eprintln!("{line}");
    // Installed before the first line is printed, so an early Ctrl-C is never fatal.
    let ctrl_c = crate::engine::shutdown_signal()?;
    let report = run_until(&cfg, &say, ctrl_c).await?;
    if report.interrupted {
        eprintln!(
            "interrupted (Ctrl-C): writing a partial report; the probe chats left open expire on the server by themselves"
        );
    }
    export::write_files(&report, &cfg.out, cfg.junit.as_deref())?;
    let print = || -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        export::text::write_text(&report, &mut out)?;
        writeln!(out, "reports: {}", cfg.out.display())
    };
    match print() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
        _ => {}
    }
    Ok(if report.interrupted {
        Exit::Untrusted
    } else if report.passed() {
        Exit::Success
    } else {
        Exit::GateFailed
    })
}

/// Run the suite and build the report. An error means the target never answered.
pub async fn run(
    cfg: &config::ConformanceConfig,
    say: &(dyn Fn(&str) + Sync),
) -> anyhow::Result<Report> {
    run_until(cfg, say, std::future::pending()).await
}

/// [`run`] until `stop` completes (Ctrl-C): then the report holds what ran so
/// far, `interrupted` is set and the rules never reached are marked not run.
pub async fn run_until(
    cfg: &config::ConformanceConfig,
    say: &(dyn Fn(&str) + Sync),
    stop: impl std::future::Future<Output = ()>,
) -> anyhow::Result<Report> {
    let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let clock = Instant::now();
    let prober = transport::Prober::new(
        cfg.target.clone(),
        cfg.request_timeout,
        cfg.headers.map().clone(),
        &cfg.transport,
    )
    .context("could not build the HTTP client")?;
    say(&format!(
        "checking {} ({}) against the chat protocol rules",
        cfg.target_display, cfg.target.dialect
    ));
    let outcome = probes::run_suite(&prober, cfg.flex, say, stop)
        .await
        .map_err(|cause| {
            let tls = prober.tls_reasons();
            let (cause, fix) = match tls.first() {
                Some(reason) => (
                    format!("{cause}: {reason}"),
                    "check --cacert, --client-cert/--client-key or the target's name",
                ),
                None => (cause, "check --target, --proxy and that the server runs"),
            };
            anyhow::anyhow!(
                "target {} unreachable: the first request got {cause}; {fix}",
                cfg.target_display
            )
        })?;
    let dialect = cfg.target.dialect;
    let rules: Vec<_> = rules::catalogue(dialect)
        .filter(|r| cfg.wanted(r.name))
        .map(|r| outcome.findings.result(dialect, r))
        .collect();
    let mut counts = Counts::default();
    for r in &rules {
        match r.verdict {
            Verdict::Pass => counts.pass += 1,
            Verdict::Fail => counts.fail += 1,
            Verdict::Warn => counts.warn += 1,
            Verdict::Skip => counts.skip += 1,
        }
    }
    Ok(Report {
        schema_version: model::SCHEMA_VERSION,
        chatload_version: env!("CARGO_PKG_VERSION").into(),
        started_at,
        elapsed_s: clock.elapsed().as_secs_f64(),
        target: cfg.target_display.clone(),
        dialect: dialect.as_str().into(),
        header_names: cfg.headers.names(),
        counts,
        rules,
        flex_disconnect_timeout: outcome.flex,
        operations: operation_times(prober.times()),
        interrupted: outcome.interrupted,
    })
}

fn operation_times(times: BTreeMap<&'static str, Vec<f64>>) -> Vec<OperationTimes> {
    let map: BTreeMap<String, Vec<f64>> = times.into_iter().map(|(k, v)| (k.into(), v)).collect();
    crate::report::in_report_order(&map)
        .map(|op| {
            let mut v = map[op].clone();
            v.sort_by(f64::total_cmp);
            let round = |x: f64| (x * 1000.0).round() / 1000.0;
            OperationTimes {
                operation: op.into(),
                count: v.len() as u64,
                min_ms: round(v[0]),
                median_ms: round(v[v.len() / 2]),
                max_ms: round(v[v.len() - 1]),
            }
        })
        .collect()
}
