//! `chatload conformance` reaches what `run` reaches, with the same flags
//! (`TargetArgs`): HTTPS behind a private CA with a client certificate, and a
//! CONNECT proxy. Through the binary, against the reference server; its
//! counters are the ground truth.

use super::{net, pki};
use std::path::Path;

/// `chatload conformance --flex-probe off` with `flags`; (exit code, stderr, conformance.json).
async fn conformance(
    target: &str,
    out: &Path,
    flags: &[&std::ffi::OsStr],
) -> (Option<i32>, String, Option<serde_json::Value>) {
    let o = tokio::process::Command::new(env!("CARGO_BIN_EXE_chatload"))
        .args(["conformance", "--target", target, "--flex-probe", "off"])
        .args(["--request-timeout", "5s", "--out"])
        .arg(out)
        .args(flags)
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .output()
        .await
        .unwrap();
    let json = std::fs::read_to_string(out.join("conformance.json"))
        .ok()
        .map(|t| serde_json::from_str(&t).unwrap());
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    (o.status.code(), err, json)
}

/// No rule failed, and the suite's requests equal the server's.
fn assert_clean(json: &serde_json::Value, srv: &net::Running) {
    assert_eq!(json["counts"]["fail"], 0, "{json:#}");
    assert!(json["counts"]["pass"].as_u64().unwrap() >= 10, "{json:#}");
    let sent: u64 = json["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["count"].as_u64().unwrap())
        .sum();
    let seen: u64 = srv.server.stats().requests.values().sum();
    assert_eq!(sent, seen, "requests sent = requests the server saw");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_over_mutual_tls_with_a_private_ca() {
    let pki = pki::make();
    let srv = net::tls_server(&pki.server_cert, &pki.server_key, Some(&pki.client_ca)).await;
    let target = format!("https://127.0.0.1:{}", srv.addr.port());
    let dir = tempfile::tempdir().unwrap();
    let tls = [
        "--cacert".as_ref(),
        pki.ca.as_os_str(),
        "--client-cert".as_ref(),
        pki.client_cert.as_os_str(),
        "--client-key".as_ref(),
        pki.client_key.as_os_str(),
    ];
    let (code, err, json) = conformance(&target, &dir.path().join("ok"), &tls).await;
    assert_eq!(code, Some(0), "{err}");
    assert_clean(&json.unwrap(), &srv);

    // Without the private CA the certificate is refused: exit 3, the TLS reason, the fix.
    let before: u64 = srv.server.stats().requests.values().sum();
    let (code, err, _) = conformance(&target, &dir.path().join("no-ca"), &tls[2..]).await;
    assert_eq!(code, Some(3), "{err}");
    assert!(
        err.contains("got no answer (tls): invalid peer certificate") && err.contains("--cacert"),
        "{err}"
    );
    assert_eq!(srv.server.stats().requests.values().sum::<u64>(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_goes_through_a_connect_proxy() {
    let pki = pki::make();
    let srv = net::tls_server(&pki.server_cert, &pki.server_key, None).await;
    let proxy = net::connect_proxy(srv.addr).await;
    // Nothing listens at the target's own port: only the proxy's tunnel reaches the server.
    let target = format!("https://127.0.0.1:{}", net::dead_port().await);
    let p = format!("http://{}", proxy.addr);
    let dir = tempfile::tempdir().unwrap();
    let flags = [
        "--cacert".as_ref(),
        pki.ca.as_os_str(),
        "--proxy".as_ref(),
        p.as_ref(),
    ];
    let (code, err, json) = conformance(&target, dir.path(), &flags).await;
    assert_eq!(code, Some(0), "{err}");
    assert_clean(&json.unwrap(), &srv);
    assert!(proxy.tunnels() >= 1);
}
