//! The HTTP layer: one handler for every request. It finds the route (both
//! dialects), checks method, content type and body, asks the fault injector,
//! runs the operation and counts the request; its response carries a
//! [`Ticket`] counted once the response is written (`written`). Anything that
//! matches no route or cannot be parsed gets a 4xx JSON body with `errors`.

use super::config::FaultKind;
use super::faults::Decision;
use super::ops::{bad_request, failure, Answer, Rejection};
use super::stats::{Outcome, Route};
use super::written::Ticket;
use super::{gms, webapi, Inner};
use crate::protocol::{codes, Dialect, Envelope, Operation};
use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use std::sync::Arc;
use std::time::Duration;

/// Path of the counters endpoint (not counted as a route).
pub const STATS_PATH: &str = "/__chatload/stats";
/// Largest accepted request body.
pub(super) const MAX_BODY: usize = 64 * 1024;

/// Marker on a response that must not be sent: the connection is closed instead.
#[derive(Debug, Clone, Copy)]
pub(super) struct DropConnection;

/// How to answer.
enum Reply {
    Json(Answer),
    Fault(FaultKind, Answer),
    BadGateway,
    Drop,
}

/// Handle one request.
pub(super) async fn handle(inner: Arc<Inner>, req: Request<Body>) -> Response<Body> {
    inner.ensure_sweeper();
    let (parts, body) = req.into_parts();
    let path = parts.uri.path();
    if path == STATS_PATH {
        if parts.method != Method::GET {
            return json(405, &bad_request(405, 405, "use GET for the stats").1);
        }
        let body = serde_json::to_vec(&inner.stats()).unwrap_or_default();
        return with_type(200, Body::from(body), "application/json");
    }
    let (route, reply, delay) = match route_of(&inner, path) {
        None => {
            let advice = format!("no chat route at '{path}': expected /genesys/2/chat/{{service}}[/{{chatId}}/{{operation}}] or {}/api/v2/chats[/{{chatId}}[/messages]]", inner.config.webapi_prefix);
            (
                Route::Unknown,
                Reply::Json(bad_request(404, 404, advice)),
                None,
            )
        }
        Some(target) => {
            let dialect = target.dialect();
            let route = target
                .known_op()
                .map_or(Route::Unknown, |op| Route::Chat(dialect, op));
            let any_type = inner.mis(super::misbehave::Misbehave::RequestContentType);
            match precheck(&parts.method, &parts.headers, dialect, any_type) {
                Err(rejection) => (route, Reply::Json(rejection.answer()), None),
                Ok(()) => match axum::body::to_bytes(body, MAX_BODY).await {
                    Err(e) if broke_off(&e) => return rejected(&inner),
                    Err(_) => {
                        let advice = format!(
                            "the body is larger than {MAX_BODY} bytes or could not be read"
                        );
                        (route, Reply::Json(bad_request(413, 413, advice)), None)
                    }
                    Ok(bytes) => dispatch(&inner, target, &bytes),
                },
            }
        }
    };
    finish(&inner, route, reply, delay).await
}

/// True when a body could not be read because the connection broke (bad
/// chunking, the client gone mid-body), not because it was too long.
fn broke_off(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.is::<hyper::Error>() {
            return true;
        }
        source = err.source();
    }
    false
}

/// A request whose body broke off: no answer can reach the client, so it is
/// counted under `rejected_by_http` (not as its route, not as answered) and the
/// connection is closed.
fn rejected(inner: &Inner) -> Response<Body> {
    inner.counters.rejected_by_http();
    let mut r = with_type(400, Body::empty(), "text/plain");
    r.extensions_mut().insert(DropConnection);
    r.extensions_mut().insert(Rejected);
    r
}

/// Marker on a response to a request already counted under `rejected_by_http`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Rejected;

/// A chat path of either dialect, parsed once per request.
enum Target<'a> {
    Gms(gms::Target<'a>),
    WebApi(webapi::Target<'a>),
}

impl Target<'_> {
    fn dialect(&self) -> Dialect {
        match self {
            Target::Gms(_) => Dialect::GmsV2,
            Target::WebApi(_) => Dialect::WebApi,
        }
    }

    /// The operation, when the path alone says it.
    fn known_op(&self) -> Option<Operation> {
        match self {
            Target::Gms(gms::Target::RequestChat) => Some(Operation::RequestChat),
            Target::Gms(gms::Target::Op(_, op)) => Some(*op),
            Target::WebApi(webapi::Target::RequestChat) => Some(Operation::RequestChat),
            Target::WebApi(webapi::Target::Messages(_)) => Some(Operation::Poll),
            Target::WebApi(webapi::Target::Chat(_)) => None,
        }
    }
}

/// The chat route of a path (gms-v2 first), None when it is neither dialect's.
fn route_of<'a>(inner: &Inner, path: &'a str) -> Option<Target<'a>> {
    if let Some(t) = gms::parse_path(path) {
        return Some(Target::Gms(t));
    }
    webapi::parse_path(&inner.config.webapi_prefix, path).map(Target::WebApi)
}

/// Method and content type.
fn precheck(
    method: &Method,
    headers: &HeaderMap,
    dialect: Dialect,
    any_type: bool,
) -> Result<(), Rejection> {
    if method != Method::POST {
        return Err(Rejection::new(
            405,
            format!("method {method} not allowed: every chat operation is a POST"),
        ));
    }
    let expected = dialect.content_type();
    let Some(ct) = headers.get(header::CONTENT_TYPE).filter(|_| !any_type) else {
        return Ok(()); // lenient: parse as the dialect's format
    };
    let essence = ct
        .to_str()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim();
    if essence.eq_ignore_ascii_case(expected) {
        Ok(())
    } else {
        let advice =
            format!("content type '{essence}' not supported: {dialect} bodies are {expected}");
        Err(Rejection::new(415, advice))
    }
}

type Dispatched = (Route, Reply, Option<Duration>);

fn dispatch(inner: &Inner, target: Target<'_>, body: &[u8]) -> Dispatched {
    match target {
        Target::Gms(gms::Target::Op(chat_id, op)) => {
            let route = Route::Chat(Dialect::GmsV2, op);
            match gms::parse_op(body) {
                Err(e) => (route, Reply::Json(bad_request(400, 400, e)), None),
                Ok(input) => run_op(inner, route, op, chat_id, &input),
            }
        }
        Target::Gms(gms::Target::RequestChat) => {
            let route = Route::Chat(Dialect::GmsV2, Operation::RequestChat);
            let input = gms::parse_request(body);
            run_request(inner, route, input, false)
        }
        Target::WebApi(webapi::Target::RequestChat) => {
            let route = Route::Chat(Dialect::WebApi, Operation::RequestChat);
            match webapi::parse_request(body) {
                Err(e) => (route, Reply::Json(bad_request(400, 400, e)), None),
                Ok(input) => run_request(inner, route, input, true),
            }
        }
        Target::WebApi(webapi::Target::Messages(chat_id)) => {
            webapi_op(inner, chat_id, Some(Operation::Poll), body)
        }
        Target::WebApi(webapi::Target::Chat(chat_id)) => webapi_op(inner, chat_id, None, body),
    }
}

/// A webapi operation on `chat_id`: `fixed` by the path, else named in the body.
fn webapi_op(inner: &Inner, chat_id: &str, fixed: Option<Operation>, body: &[u8]) -> Dispatched {
    match webapi::parse_op(body, fixed) {
        Err((op, e)) => {
            let route = op.map_or(Route::Unknown, |op| Route::Chat(Dialect::WebApi, op));
            (route, Reply::Json(bad_request(400, 400, e)), None)
        }
        Ok((op, input)) => {
            let route = Route::Chat(Dialect::WebApi, op);
            if input.tenant.is_none() {
                let answer = bad_request(400, codes::CANNOT_START, "tenantName is required");
                return (route, Reply::Json(answer), None);
            }
            run_op(inner, route, op, chat_id, &input)
        }
    }
}

fn run_request(
    inner: &Inner,
    route: Route,
    input: super::ops::RequestInput,
    tenant: bool,
) -> Dispatched {
    let d = inner.faults.decide(Operation::RequestChat);
    if let Some(kind) = d.terminal {
        return (route, fault_reply(kind, None, None), None);
    }
    let answer = inner.request_chat(input, tenant, &d);
    (route, Reply::Json(answer), d.delay)
}

fn run_op(
    inner: &Inner,
    route: Route,
    op: Operation,
    chat_id: &str,
    input: &super::ops::OpInput,
) -> Dispatched {
    let d: Decision = inner.faults.decide(op);
    if let Some(kind) = d.terminal {
        return (
            route,
            fault_reply(kind, Some(chat_id), input.alias.as_deref()),
            None,
        );
    }
    let answer = inner.chat_op(op, chat_id, input, &d);
    (route, Reply::Json(answer), d.delay)
}

fn fault_reply(kind: FaultKind, chat_id: Option<&str>, alias: Option<&str>) -> Reply {
    let advice = "injected fault";
    match kind {
        FaultKind::Status1 => Reply::Fault(
            kind,
            failure(1, false, chat_id, alias, codes::CANNOT_START, advice),
        ),
        FaultKind::Status1ChatEnded => Reply::Fault(
            kind,
            failure(1, true, chat_id, alias, codes::CANNOT_START, advice),
        ),
        FaultKind::Status2 => Reply::Fault(
            kind,
            failure(2, false, chat_id, alias, codes::MEDIA_SERVER_FAILED, advice),
        ),
        FaultKind::Http5xx => Reply::BadGateway,
        // `Decision::terminal` only ever holds the five terminal kinds.
        FaultKind::Drop
        | FaultKind::Delay
        | FaultKind::AliasRotation
        | FaultKind::TranscriptHole => Reply::Drop,
    }
}

async fn finish(
    inner: &Inner,
    route: Route,
    reply: Reply,
    delay: Option<Duration>,
) -> Response<Body> {
    inner.counters.request(route);
    if let Some(delay) = delay {
        inner.counters.fault(FaultKind::Delay);
        // hyper drops this future when the client goes during the delay.
        let unanswered = Unanswered(&inner.counters, route);
        tokio::time::sleep(delay).await;
        std::mem::forget(unanswered);
    }
    let (outcome, response) = match reply {
        Reply::Json(answer) => render(answer),
        Reply::Fault(kind, answer) => {
            inner.counters.fault(kind);
            render(answer)
        }
        Reply::BadGateway => {
            inner.counters.fault(FaultKind::Http5xx);
            let html = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><p>injected fault</p></body></html>";
            (
                Outcome {
                    http_status: 502,
                    status_code: None,
                    chat_ended: None,
                },
                with_type(502, Body::from(html), "text/html"),
            )
        }
        Reply::Drop => {
            inner.counters.fault(FaultKind::Drop);
            let mut r = with_type(502, Body::empty(), "text/plain");
            r.extensions_mut().insert(DropConnection);
            // Dropping the connection is the answer: counted under HTTP status 0 now.
            let dropped = Outcome {
                http_status: 0,
                status_code: None,
                chat_ended: None,
            };
            inner.counters.response(route, dropped);
            return r;
        }
    };
    // Counted as answered once written (see `written`).
    let mut response = response;
    response.extensions_mut().insert(Ticket { route, outcome });
    response
}

/// While alive, a request whose answer was not made yet: dropped (the client
/// gone mid-delay), it counts the answer as `unwritten`.
struct Unanswered<'a>(&'a super::stats::Counters, Route);

impl Drop for Unanswered<'_> {
    fn drop(&mut self) {
        self.0.unwritten(self.1);
    }
}

fn render((http, envelope): Answer) -> (Outcome, Response<Body>) {
    let outcome = Outcome {
        http_status: http,
        status_code: Some(envelope.status_code),
        chat_ended: envelope.chat_ended,
    };
    (outcome, json(http, &envelope))
}

fn json(http: u16, envelope: &Envelope) -> Response<Body> {
    // An identity-only answer is ~200 bytes: one allocation instead of a doubling chain.
    let mut body = Vec::with_capacity(256 + 160 * envelope.messages.len());
    if serde_json::to_writer(&mut body, envelope).is_err() {
        body.clear();
    }
    with_type(http, Body::from(body), "application/json")
}

fn with_type(http: u16, body: Body, content_type: &'static str) -> Response<Body> {
    let mut r = Response::new(body);
    *r.status_mut() = StatusCode::from_u16(http).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}
