//! Test certificates made at run time (rcgen): a server CA and its server
//! certificates (good, wrong name, expired), a client CA and a client
//! certificate. Nothing here is checked in; the files live in a temp dir.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use std::path::PathBuf;

/// Names the good server certificate is valid for.
pub const SERVER_NAMES: [&str; 3] = ["127.0.0.1", "localhost", "gms.chatload.test"];

pub struct Pki {
    pub dir: tempfile::TempDir,
    pub ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub wrong_name_cert: PathBuf,
    pub expired_cert: PathBuf,
    pub client_ca: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

fn ca(name: &str) -> (rcgen::Certificate, KeyPair) {
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name.push(DnType::CommonName, name);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    (p.self_signed(&key).unwrap(), key)
}

fn leaf(
    names: &[&str],
    eku: ExtendedKeyUsagePurpose,
    key: &KeyPair,
    issuer: &(rcgen::Certificate, KeyPair),
    expired: bool,
) -> String {
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    let mut p = CertificateParams::new(names).unwrap();
    p.extended_key_usages = vec![eku];
    p.distinguished_name
        .push(DnType::CommonName, "chatload test");
    if expired {
        p.not_before = rcgen::date_time_ymd(2020, 1, 1);
        p.not_after = rcgen::date_time_ymd(2021, 1, 1);
    }
    p.signed_by(key, &issuer.0, &issuer.1).unwrap().pem()
}

pub fn make() -> Pki {
    let dir = tempfile::tempdir().unwrap();
    let path = |n: &str| dir.path().join(n);
    let write = |n: &str, text: &str| std::fs::write(path(n), text).unwrap();
    let server_ca = ca("chatload test server CA");
    let client_ca = ca("chatload test client CA");
    let server_key = KeyPair::generate().unwrap();
    let server = ExtendedKeyUsagePurpose::ServerAuth;
    write("ca.pem", &server_ca.0.pem());
    write(
        "server.pem",
        &leaf(
            &SERVER_NAMES,
            server.clone(),
            &server_key,
            &server_ca,
            false,
        ),
    );
    write("server.key", &server_key.serialize_pem());
    write(
        "wrong.pem",
        &leaf(
            &["other.chatload.test"],
            server.clone(),
            &server_key,
            &server_ca,
            false,
        ),
    );
    write(
        "expired.pem",
        &leaf(&SERVER_NAMES, server, &server_key, &server_ca, true),
    );
    let client_key = KeyPair::generate().unwrap();
    write("client-ca.pem", &client_ca.0.pem());
    write(
        "client.pem",
        &leaf(
            &["customer"],
            ExtendedKeyUsagePurpose::ClientAuth,
            &client_key,
            &client_ca,
            false,
        ),
    );
    write("client.key", &client_key.serialize_pem());
    Pki {
        ca: path("ca.pem"),
        server_cert: path("server.pem"),
        server_key: path("server.key"),
        wrong_name_cert: path("wrong.pem"),
        expired_cert: path("expired.pem"),
        client_ca: path("client-ca.pem"),
        client_cert: path("client.pem"),
        client_key: path("client.key"),
        dir,
    }
}
