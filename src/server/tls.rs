//! HTTPS for the reference server (`serve --tls-cert --tls-key [--tls-client-ca]`):
//! a rustls acceptor that offers `h2` and `http/1.1` by ALPN and, with a
//! client CA, requires client certificates issued by it (mutual TLS).
//! The handshake of each connection runs on its own task, bounded in time.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::RootCertStore;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
pub use tokio_rustls::TlsAcceptor;

/// Longest a client may take to finish the TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

fn certs(path: &Path, flag: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let bytes = std::fs::read(path).map_err(|e| {
        format!(
            "{flag}: cannot read '{}': {e}; check the path",
            path.display()
        )
    })?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{flag}: '{}' is not valid PEM ({e})", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "{flag}: '{}' holds no certificate; give a PEM file with -----BEGIN CERTIFICATE----- blocks",
            path.display()
        ));
    }
    Ok(certs)
}

/// The acceptor for `cert` + `key`, requiring client certificates from `client_ca` when given.
pub fn acceptor(cert: &Path, key: &Path, client_ca: Option<&Path>) -> Result<TlsAcceptor, String> {
    let chain = certs(cert, "--tls-cert")?;
    let key_bytes = std::fs::read(key).map_err(|e| {
        format!(
            "--tls-key: cannot read '{}': {e}; check the path",
            key.display()
        )
    })?;
    let key_der = PrivateKeyDer::from_pem_slice(&key_bytes).map_err(|_| {
        format!(
            "--tls-key: '{}' holds no private key; give a PEM file with a -----BEGIN PRIVATE KEY----- block",
            key.display()
        )
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let builder = match client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            roots.add_parsable_certificates(certs(ca, "--tls-client-ca")?);
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| format!("--tls-client-ca: '{}': {e}", ca.display()))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder.with_single_cert(chain, key_der).map_err(|_| {
        format!(
            "--tls-key: the key in '{}' does not match the certificate in '{}'; give the key the certificate was issued for",
            key.display(),
            cert.display()
        )
    })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
