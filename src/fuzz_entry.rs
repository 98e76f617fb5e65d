//! One entry point per fuzz target (`fuzz/fuzz_targets/*`), shared with the stable
//! test that replays the checked-in corpus (`tests/fuzz_corpus.rs`), so CI runs
//! every target's inputs without nightly. Each must return for any bytes, never panic.

use crate::engine::client::classify as classify_answer;

/// The classifier: the first two bytes pick the HTTP status, the rest is the body.
pub fn classify(data: &[u8]) {
    let (status, body) = match data {
        [a, b, rest @ ..] => (u16::from_be_bytes([*a, *b]) % 600, rest),
        _ => (200, data),
    };
    let _ = classify_answer(status, body);
}

/// The scenario file parser and the whole flags + file validation.
pub fn scenario(data: &[u8]) {
    let text = String::from_utf8_lossy(data).into_owned();
    if let Ok(file) = crate::engine::scenario::ScenarioFile::parse("fuzz.toml", text) {
        let _ = crate::engine::config::build(&crate::cli::RunArgs::default(), Some(&file));
    }
}

/// The threshold expression parser.
pub fn threshold(data: &[u8]) {
    let _ = crate::gate::parse_threshold(&String::from_utf8_lossy(data));
}

/// The summary.json loader.
pub fn summary(data: &[u8]) {
    let _ = crate::report::json::read_json(data);
}

/// The reference server's router: line 1 `METHOD PATH`, line 2 content type, the rest the body.
pub async fn router(data: &[u8]) {
    use tower::ServiceExt;
    let text = String::from_utf8_lossy(data);
    let mut lines = text.splitn(3, '\n');
    let first = lines.next().unwrap_or("");
    let (method, path) = first.split_once(' ').unwrap_or(("POST", first));
    let ct = lines.next().unwrap_or("");
    let body = lines.next().unwrap_or("").to_string();
    let Ok(req) = axum::http::Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", ct)
        .body(axum::body::Body::from(body))
    else {
        return;
    };
    let server = crate::server::ReferenceServer::new(crate::server::ServerConfig::default());
    let Ok(resp) = server.router().oneshot(req).await;
    let _ = axum::body::to_bytes(resp.into_body(), 1 << 20).await;
}
