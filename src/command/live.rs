//! What a run shows and keeps while it goes: the streamed run folder
//! ([`crate::metrics::stream`]) and the `/metrics` endpoint ([`crate::metrics::live`]),
//! both fed by the runner's once-a-second tick, never by the request path; and the
//! abort-on-fail check on the same tick (the engine's [`Watch`]).

use crate::engine::config::RunConfig;
use crate::engine::runner::Watch;
use crate::error::UsageError;
use crate::metrics::live::LiveMetrics;
use crate::metrics::stream::{StreamHeader, Streamer, EVENTS_KIND};
use crate::metrics::{Metrics, RunFacts, Tick};
use crate::report::model::ScenarioInfo;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;

/// The streamed files' writer and, with `--metrics-listen`, the live metrics server.
#[derive(Debug)]
pub(crate) struct Outputs {
    /// None with `--log-interval 0`.
    streamer: Option<Streamer>,
    live: Option<(Arc<LiveMetrics>, oneshot::Sender<()>)>,
}

impl Outputs {
    /// Create the streamed files in `dir` (sessions.csv takes the ended sessions' rows
    /// from `metrics`) and start serving `/metrics` when asked.
    pub(crate) async fn start(
        cfg: &RunConfig,
        (dir, metrics): (&Path, &Arc<Metrics>),
        info: &ScenarioInfo,
        started_at: chrono::DateTime<chrono::Utc>,
    ) -> anyhow::Result<Outputs> {
        let live = match cfg.live.metrics_listen {
            None => None,
            Some(addr) => {
                let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
                    UsageError::new(format!(
                        "--metrics-listen {addr}: could not listen ({e}); choose a free address, like 127.0.0.1:9464"
                    ))
                })?;
                if !cfg.quiet {
                    if let Ok(at) = listener.local_addr() {
                        eprintln!("chatload: live metrics on http://{at}/metrics");
                    }
                }
                let live = Arc::new(LiveMetrics::new());
                let (stop_tx, stop_rx) = oneshot::channel::<()>();
                let m = live.clone();
                tokio::spawn(crate::metrics::live::serve(listener, m, async move {
                    let _ = stop_rx.await;
                }));
                Some((live, stop_tx))
            }
        };
        let header = StreamHeader {
            kind: EVENTS_KIND.to_string(),
            version: 1,
            started_at: started_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            scenario: info.clone(),
            near_miss_fraction: cfg.near_miss_fraction,
            thresholds: cfg
                .parsed_thresholds
                .iter()
                .map(|t| t.expression.clone())
                .collect(),
            log_interval_s: cfg.live.log_interval.as_secs_f64(),
            profiles: cfg.profiles.iter().map(|p| p.name.to_string()).collect(),
        };
        let streamer = if cfg.live.log_interval.is_zero() {
            None
        } else {
            let every = cfg.live.log_interval;
            let started = started_at.into();
            let rows = metrics.clone();
            Some(Streamer::start(dir, header, started, every, rows).map_err(anyhow::Error::msg)?)
        };
        Ok(Outputs { streamer, live })
    }

    /// Hand one tick to the live metrics and the writer.
    pub(crate) fn tick(&self, tick: Tick) {
        if let Some((m, _)) = &self.live {
            m.update(&tick);
        }
        if let Some(s) = &self.streamer {
            s.send(tick);
        }
    }

    /// True once a streamed file could not be written.
    fn failed(&self) -> bool {
        self.streamer
            .as_ref()
            .is_some_and(|s| s.failure().is_some())
    }

    /// Close the files (every interval written) and stop the metrics server; the
    /// writer's error, if any.
    pub(crate) async fn finish(self) -> Result<(), String> {
        if let Some((_, stop)) = self.live {
            let _ = stop.send(());
        }
        let Some(streamer) = self.streamer else {
            return Ok(());
        };
        tokio::task::spawn_blocking(move || streamer.finish())
            .await
            .unwrap_or_else(|e| Err(format!("the results writer failed: {e}")))
    }
}

/// What the command watches while the engine runs: the outputs, and the thresholds
/// that may abort the run (`info` names the run in the partial summaries they judge).
pub(super) struct RunWatch<'a> {
    outputs: &'a Outputs,
    cfg: &'a RunConfig,
    info: &'a ScenarioInfo,
}

impl<'a> RunWatch<'a> {
    pub(super) fn new(outputs: &'a Outputs, cfg: &'a RunConfig, info: &'a ScenarioInfo) -> Self {
        RunWatch { outputs, cfg, info }
    }
}

impl Watch for RunWatch<'_> {
    fn tick(&self, tick: Tick) -> bool {
        self.outputs.tick(tick);
        !self.outputs.failed()
    }

    /// True when abort-on-fail is on, the grace period is over, and a threshold fails now.
    fn abort(&self, metrics: &Metrics, elapsed: Duration) -> bool {
        let cfg = self.cfg;
        if !cfg.thresholds.abort_on_fail
            || elapsed < cfg.abort_grace
            || cfg.parsed_thresholds.is_empty()
        {
            return false;
        }
        let summary = metrics.build_summary(RunFacts::completed(self.info.clone(), elapsed));
        // Metrics without data yet (early in the run) never abort.
        crate::gate::abort_check(&summary, &cfg.parsed_thresholds).is_some()
    }
}
