//! Live Prometheus metrics (`--metrics-listen ADDR`): a `prometheus-client` registry fed
//! by the once-a-second [`Tick`] (never by the request path) and served as the text
//! exposition format on `GET /metrics`.
//!
//! Series (all prefixed `chatload_`): `requests_total{operation,http_status,status_code,
//! chat_ended}`, `request_errors_total`, `transport_errors_total{kind}`,
//! `gap_flags_total{cause}`, `gap_near_misses_total`, `violations_total{kind}`,
//! `sessions_started_total`, `sessions_ended_total`, `sessions_dropped_total`,
//! `active_sessions`, the service level's `chats_joined_total`,
//! `chats_joined_within_target_total` and `chats_abandoned_total` (from the tick's
//! timeline point), and the histograms `latency_seconds{operation}` (corrected) and
//! `service_time_seconds{operation}` with exponential buckets 1 ms .. 65 s.

use super::recorder::Recorder;
use super::Tick;
use crate::protocol::Operation;
use crate::report::vocab::{GapCause, TransportErrorKind, ViolationKind};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::{Family, MetricConstructor};
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::Arc;

/// Label pairs of one series.
type Labels = Vec<(&'static str, String)>;

/// Builds the latency histograms of a family.
#[derive(Clone, Copy)]
struct Buckets;

impl MetricConstructor<Histogram> for Buckets {
    fn new_metric(&self) -> Histogram {
        Histogram::new(exponential_buckets(0.001, 2.0, 17))
    }
}

/// The registry and the series the ticks update.
pub(crate) struct LiveMetrics {
    registry: Registry,
    requests: Family<Labels, Counter>,
    errors: Counter,
    transport: Family<Labels, Counter>,
    flags: Family<Labels, Counter>,
    near_misses: Counter,
    violations: Family<Labels, Counter>,
    started: Counter,
    ended: Counter,
    dropped: Counter,
    active: Gauge,
    joined: Counter,
    within: Counter,
    abandoned: Counter,
    latency: Family<Labels, Histogram, Buckets>,
    service: Family<Labels, Histogram, Buckets>,
    started_seen: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for LiveMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveMetrics").finish_non_exhaustive()
    }
}

impl Default for LiveMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl LiveMetrics {
    /// Every series registered, at zero.
    pub(crate) fn new() -> Self {
        let mut m = LiveMetrics {
            registry: Registry::with_prefix("chatload"),
            requests: Family::default(),
            errors: Counter::default(),
            transport: Family::default(),
            flags: Family::default(),
            near_misses: Counter::default(),
            violations: Family::default(),
            started: Counter::default(),
            ended: Counter::default(),
            dropped: Counter::default(),
            active: Gauge::default(),
            joined: Counter::default(),
            within: Counter::default(),
            abandoned: Counter::default(),
            latency: Family::new_with_constructor(Buckets),
            service: Family::new_with_constructor(Buckets),
            started_seen: Default::default(),
        };
        let r = &mut m.registry;
        r.register(
            "requests",
            "Requests completed, by operation and outcome",
            m.requests.clone(),
        );
        r.register(
            "request_errors",
            "Requests counted as errors",
            m.errors.clone(),
        );
        r.register(
            "transport_errors",
            "Transport failures by kind",
            m.transport.clone(),
        );
        r.register(
            "gap_flags",
            "Poll gaps above flex-disconnect-timeout, by cause",
            m.flags.clone(),
        );
        r.register(
            "gap_near_misses",
            "Poll gaps above the near-miss line",
            m.near_misses.clone(),
        );
        r.register(
            "violations",
            "Protocol violations of the server, by kind",
            m.violations.clone(),
        );
        r.register("sessions_started", "Sessions started", m.started.clone());
        r.register("sessions_ended", "Sessions ended", m.ended.clone());
        r.register(
            "sessions_dropped",
            "Sessions that ended failed (dropped by the server, expired, out of retries)",
            m.dropped.clone(),
        );
        r.register("active_sessions", "Sessions active now", m.active.clone());
        for (name, help, counter) in [
            (
                "chats_joined",
                "Chats an agent joined (when the customer saw the join)",
                &m.joined,
            ),
            (
                "chats_joined_within_target",
                "Chats an agent joined within the service-level target",
                &m.within,
            ),
            (
                "chats_abandoned",
                "Chats whose customer lost patience before an agent joined",
                &m.abandoned,
            ),
        ] {
            r.register(name, help, counter.clone());
        }
        r.register(
            "latency_seconds",
            "Corrected latency (from the intended send instant), by operation",
            m.latency.clone(),
        );
        r.register(
            "service_time_seconds",
            "Service time (from the actual send), by operation",
            m.service.clone(),
        );
        for k in TransportErrorKind::ALL {
            let _ = m
                .transport
                .get_or_create(&vec![("kind", k.as_str().to_string())]);
        }
        for c in GapCause::ALL {
            let _ = m
                .flags
                .get_or_create(&vec![("cause", c.as_str().to_string())]);
        }
        m
    }

    /// Add one tick's figures.
    pub(crate) fn update(&self, tick: &Tick) {
        let d: &Recorder = &tick.delta;
        for (k, n) in d.outcomes.sorted() {
            let opt = |v: Option<String>| v.unwrap_or_default();
            let labels = vec![
                (
                    "operation",
                    Operation::ALL[usize::from(k.op)].as_str().to_string(),
                ),
                ("http_status", k.http_status.to_string()),
                ("status_code", opt(k.status_code.map(|c| c.to_string()))),
                ("chat_ended", opt(k.chat_ended.map(|c| c.to_string()))),
            ];
            self.requests.get_or_create(&labels).inc_by(n);
        }
        self.errors.inc_by(d.errors);
        for k in TransportErrorKind::ALL {
            let labels = vec![("kind", k.as_str().to_string())];
            self.transport
                .get_or_create(&labels)
                .inc_by(d.transport[k as usize]);
        }
        for c in GapCause::ALL {
            let labels = vec![("cause", c.as_str().to_string())];
            self.flags
                .get_or_create(&labels)
                .inc_by(d.gaps.flagged_by_cause[c as usize]);
        }
        self.near_misses.inc_by(d.gaps.near_miss);
        for k in ViolationKind::ALL {
            let n = d.violations[k as usize];
            if n > 0 {
                let labels = vec![("kind", k.as_str().to_string())];
                self.violations.get_or_create(&labels).inc_by(n);
            }
        }
        let before = self
            .started_seen
            .swap(tick.started, std::sync::atomic::Ordering::Relaxed);
        self.started.inc_by(tick.started.saturating_sub(before));
        self.ended.inc_by(tick.ended);
        self.dropped.inc_by(tick.dropped);
        self.active
            .set(i64::try_from(tick.active).unwrap_or(i64::MAX));
        self.joined.inc_by(tick.point.joined);
        self.within.inc_by(tick.point.joined_within_target);
        self.abandoned.inc_by(tick.point.abandoned);
        for op in Operation::ALL {
            let Some(h) = d.op(op) else { continue };
            let labels = vec![("operation", op.as_str().to_string())];
            observe(&self.latency.get_or_create(&labels), &h.corrected);
            observe(&self.service.get_or_create(&labels), &h.service);
        }
    }

    /// The text exposition of every series.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// Feed the values of a µs HDR histogram into a Prometheus histogram (seconds).
fn observe(target: &Histogram, h: &hdrhistogram::Histogram<u64>) {
    for v in h.iter_recorded() {
        let secs = h.highest_equivalent(v.value_iterated_to()) as f64 / 1e6;
        for _ in 0..v.count_at_value() {
            target.observe(secs);
        }
    }
}

/// Serve `GET /metrics` on `listener` until `stop` completes.
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    metrics: Arc<LiveMetrics>,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::http::header::CONTENT_TYPE;
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let m = metrics.clone();
            async move {
                (
                    [(
                        CONTENT_TYPE,
                        "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    )],
                    m.render(),
                )
            }
        }),
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(stop)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::TimelinePoint;
    use std::time::Duration;

    #[test]
    fn the_service_level_counters_add_the_ticks_points() {
        let m = LiveMetrics::new();
        let tick = |joined, within, abandoned| Tick {
            from: Duration::ZERO,
            to: Duration::from_secs(1),
            point: TimelinePoint {
                joined,
                joined_within_target: within,
                abandoned,
                ..TimelinePoint::default()
            },
            delta: Box::new(Recorder::new()),
            ended: 0,
            dropped: 0,
            started: 0,
            active: 0,
            peak_active: 0,
        };
        m.update(&tick(3, 2, 1));
        m.update(&tick(4, 1, 0));
        let text = m.render();
        for line in [
            "chatload_chats_joined_total 7",
            "chatload_chats_joined_within_target_total 3",
            "chatload_chats_abandoned_total 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
    }
}
