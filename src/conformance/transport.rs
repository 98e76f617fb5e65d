//! The probe client: sends one request at a time on the shared HTTP client
//! (`engine::client::http_client`), builds standard calls with the engine's
//! dialect builders, classifies answers with the engine's classifier, and keeps
//! what a verdict needs: the redacted exchange, the parsed envelope and the
//! send/answer instants.
//!
//! It also keeps the suite-wide facts: answer times per operation, and every
//! statusCode 1 / chatEnded true answer (rule `status.no-1-ended`). A
//! statusCode 1 answer is retried (at most [`RETRIES`] times, 100 ms apart),
//! as the seed table asks of a client.

use super::model::{Exchange, RequestRecord, ResponseRecord};
use super::redact::Redactor;
use crate::engine::client::body::read_body;
use crate::engine::client::transport::{Observed, Transport};
use crate::engine::client::{classify, gms_v2, http_client, webapi};
use crate::engine::client::{Call, Identity, Target};
use crate::metrics::Outcome;
use crate::protocol::{Dialect, Envelope, Operation};
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::time::Instant;

/// Retries of a statusCode 1 answer.
pub(super) const RETRIES: u32 = 3;
/// Longest answer body kept as evidence.
const MAX_EVIDENCE_BODY: usize = 2048;
/// Longest answer body read.
const MAX_BODY: usize = 1 << 20;

/// A built request: URL and body.
pub(super) type Built = (reqwest::Url, String);

/// The answer to one request (after any statusCode 1 retries).
#[derive(Debug, Clone)]
pub struct Answered {
    /// The last attempt, redacted.
    pub exchange: Exchange,
    /// The parsed envelope, when the body was one.
    pub envelope: Option<Envelope>,
    /// The transport failure or bad-body kind, when the answer is no envelope.
    pub problem: Option<&'static str>,
    /// When the first attempt left.
    pub first_sent: Instant,
    /// When the last attempt left.
    pub sent: Instant,
    /// When the last answer arrived.
    pub done: Instant,
}

impl Answered {
    /// HTTP status of the last attempt.
    pub fn http(&self) -> Option<u16> {
        self.exchange.response.http_status
    }

    /// statusCode, when the body was an envelope.
    pub fn status(&self) -> Option<u8> {
        self.envelope.as_ref().map(|e| e.status_code)
    }

    /// chatEnded, when present.
    pub fn ended(&self) -> Option<bool> {
        self.envelope.as_ref().and_then(|e| e.chat_ended)
    }

    /// HTTP 200, statusCode 0, chatEnded false.
    pub fn is_live(&self) -> bool {
        self.http() == Some(200) && self.status() == Some(0) && self.ended() == Some(false)
    }

    /// Codes of the `errors` list (None: no list).
    pub fn error_codes(&self) -> Option<Vec<u32>> {
        let errors = self.envelope.as_ref()?.errors.as_ref()?;
        Some(errors.iter().map(|e| e.code).collect())
    }

    /// No HTTP answer at all (refused, reset, timed out).
    pub fn unanswered(&self) -> bool {
        self.http().is_none()
    }

    /// One line: what came back.
    pub fn describe(&self) -> String {
        let Some(http) = self.http() else {
            return format!("no answer ({})", self.problem.unwrap_or("other"));
        };
        let Some(env) = &self.envelope else {
            let ct = self
                .exchange
                .response
                .content_type
                .as_deref()
                .unwrap_or("-");
            let why = self.problem.unwrap_or("no envelope");
            return format!("HTTP {http} ({ct}), not a chat envelope ({why})");
        };
        let mut s = format!("HTTP {http}, statusCode {}", env.status_code);
        match env.chat_ended {
            Some(e) => s.push_str(&format!(", chatEnded {e}")),
            None => s.push_str(", no chatEnded"),
        }
        if let Some(codes) = self.error_codes() {
            s.push_str(&format!(", errors {codes:?}"));
        }
        s
    }
}

/// The probe client.
pub struct Prober {
    http: reqwest::Client,
    observed: Observed,
    target: Target,
    redactor: Mutex<Redactor>,
    times: Mutex<BTreeMap<&'static str, Vec<f64>>>,
    impossible: Mutex<Vec<Exchange>>,
    answers: Mutex<u64>,
}

impl Prober {
    /// A prober for `target` over `transport` (TLS, proxy); custom header
    /// values are redacted from evidence.
    pub fn new(
        target: Target,
        request_timeout: Duration,
        headers: reqwest::header::HeaderMap,
        transport: &Transport,
    ) -> anyhow::Result<Prober> {
        let mut redactor = Redactor::default();
        for v in headers.values() {
            redactor.learn(v.to_str().unwrap_or_default());
        }
        let https = target.is_https();
        Ok(Prober {
            http: http_client(request_timeout, headers, https, transport)?,
            observed: Observed::default(),
            target,
            redactor: Mutex::new(redactor),
            times: Mutex::default(),
            impossible: Mutex::default(),
            answers: Mutex::new(0),
        })
    }

    /// The target.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The dialect.
    pub fn dialect(&self) -> Dialect {
        self.target.dialect
    }

    /// URL and body of a standard call, built by the engine's dialect builder.
    pub fn build(&self, id: &Identity, call: &Call<'_>) -> Built {
        self.redactor.lock().learn(id.secure_key());
        let (address, body) = match self.target.dialect {
            Dialect::GmsV2 => gms_v2::build(&self.target, id, call),
            Dialect::WebApi => webapi::build(&self.target, id, call),
        };
        // Cannot fail: a serialized URL with plain segments appended.
        let url = address.to_url();
        (
            url.unwrap_or_else(|_| self.target.collection().clone()),
            body,
        )
    }

    /// A standard call with the dialect's content type.
    pub async fn call(&self, id: &Identity, call: &Call<'_>) -> Answered {
        let (url, body) = self.build(id, call);
        let ct = self.target.dialect.content_type();
        self.send(call.operation(), url, ct, body).await
    }

    /// Send `body` to `url` with `content_type`, retrying statusCode 1 answers.
    pub async fn send(
        &self,
        op: Operation,
        url: reqwest::Url,
        content_type: &str,
        body: String,
    ) -> Answered {
        let first = self.once(op, url.clone(), content_type, body.clone()).await;
        let first_sent = first.sent;
        let mut last = first;
        for _ in 0..RETRIES {
            if last.status() != Some(1) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            last = self.once(op, url.clone(), content_type, body.clone()).await;
        }
        last.first_sent = first_sent;
        last
    }

    async fn once(
        &self,
        op: Operation,
        url: reqwest::Url,
        content_type: &str,
        body: String,
    ) -> Answered {
        let request = RequestRecord {
            method: "POST".into(),
            url: url.to_string(),
            content_type: content_type.to_string(),
            body: String::new(),
        };
        let sent = Instant::now();
        let result = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body.clone())
            .send()
            .await;
        let (http, ct, bytes, err) = match result {
            Err(e) => (
                None,
                None,
                Vec::new(),
                Some(self.observed.classify(&e).as_str()),
            ),
            Ok(resp) => {
                let status = resp.status().as_u16();
                let ct = resp
                    .headers()
                    .get(reqwest::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                let body = hyper::http::Response::from(resp).into_body();
                match read_body(body, MAX_BODY, &self.observed, None).await.0 {
                    Ok((bytes, _)) => (Some(status), ct, bytes.to_vec(), None),
                    Err(kind) => (None, ct, Vec::new(), Some(kind.as_str())),
                }
            }
        };
        let done = Instant::now();
        let (problem, envelope) = match http {
            None => (err, None),
            Some(status) => match classify(status, &bytes) {
                (Outcome::Transport(kind), _) => (Some(kind.as_str()), None),
                (_, Some(env)) => (None, Some(env)),
                (_, None) => (Some("no envelope"), None),
            },
        };
        let text = String::from_utf8_lossy(&bytes);
        let exchange = {
            let mut red = self.redactor.lock();
            if let Some(key) = envelope.as_ref().and_then(|e| e.secure_key.as_deref()) {
                red.learn(key);
            }
            Exchange {
                operation: op.as_str().to_string(),
                request: RequestRecord {
                    body: red.clean(&body),
                    ..request
                },
                response: ResponseRecord {
                    http_status: http,
                    content_type: ct,
                    body: http.map(|_| red.clean(&cut(&text))),
                    error: err.map(str::to_string),
                    elapsed_ms: (done - sent).as_secs_f64() * 1e3,
                },
            }
        };
        let answered = Answered {
            exchange,
            envelope,
            problem,
            first_sent: sent,
            sent,
            done,
        };
        self.observe(op, &answered);
        answered
    }

    fn observe(&self, op: Operation, a: &Answered) {
        if a.envelope.is_some() {
            *self.answers.lock() += 1;
        }
        self.times
            .lock()
            .entry(op.as_str())
            .or_default()
            .push(a.exchange.response.elapsed_ms);
        if a.status() == Some(1) && a.ended() == Some(true) {
            self.impossible.lock().push(a.exchange.clone());
        }
    }

    /// Answer times (ms) per operation name.
    pub fn times(&self) -> BTreeMap<&'static str, Vec<f64>> {
        self.times.lock().clone()
    }

    /// Every statusCode 1 / chatEnded true answer so far, and how many chat envelopes came back.
    pub fn impossible_answers(&self) -> (Vec<Exchange>, u64) {
        (self.impossible.lock().clone(), *self.answers.lock())
    }

    /// The first distinct TLS failure reasons seen.
    pub fn tls_reasons(&self) -> Vec<String> {
        let kind = crate::metrics::TransportErrorKind::Tls.as_str();
        self.observed.samples().remove(kind).unwrap_or_default()
    }

    /// Redact a text with everything learnt so far.
    pub fn clean(&self, text: &str) -> String {
        self.redactor.lock().clean(text)
    }
}

/// At most [`MAX_EVIDENCE_BODY`] bytes, cut at a character boundary.
fn cut(text: &str) -> String {
    if text.len() <= MAX_EVIDENCE_BODY {
        return text.to_string();
    }
    let kept = crate::util::prefix(text, MAX_EVIDENCE_BODY);
    format!("{kept}... ({} bytes in all)", text.len())
}
