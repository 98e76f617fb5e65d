//! TLS for https targets: the trust (system store honouring `SSL_CERT_FILE` /
//! `SSL_CERT_DIR`, plus the web roots, plus `--cacert`), the client
//! certificate for mutual TLS, `--insecure`, `tls.server_name` and ALPN
//! (`h2` only with `--http2`), turned into one rustls client config.
//!
//! Also the other direction: [`tls_reason`] finds the rustls error inside a
//! failed request so that it counts as the `tls` transport kind with a short
//! reason (unknown issuer, expired, name mismatch, alert), never as `connect`.
//! Private keys are read here and nowhere else; no message shows their content.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// TLS files read and checked at start (before any request).
#[derive(Clone, Default)]
pub struct TlsSettings {
    /// Extra trusted CAs (`--cacert`), with the file they came from.
    pub ca_file: Option<(PathBuf, Vec<CertificateDer<'static>>)>,
    /// Client certificate chain and key for mutual TLS (`--client-cert`, `--client-key`).
    pub client: Option<ClientIdentity>,
    /// Skip verification of the server's certificate.
    pub insecure: bool,
    /// The name the server's certificate is checked against (instead of the URL's host).
    pub server_name: Option<String>,
    /// Offer HTTP/2 by ALPN.
    pub http2: bool,
}

/// A client certificate chain with its key. `Debug` never shows the key.
#[derive(Clone)]
pub struct ClientIdentity {
    /// Certificate file.
    pub cert_file: PathBuf,
    /// Key file (its path may be shown; its content never).
    pub key_file: PathBuf,
    chain: Vec<CertificateDer<'static>>,
    key: Arc<PrivateKeyDer<'static>>,
}

impl std::fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientIdentity")
            .field("cert_file", &self.cert_file)
            .field("key_file", &self.key_file)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsSettings")
            .field("ca_file", &self.ca_file.as_ref().map(|(p, c)| (p, c.len())))
            .field("client_cert", &self.client.as_ref().map(|c| &c.cert_file))
            .field("client_key", &self.client.as_ref().map(|c| &c.key_file))
            .field("insecure", &self.insecure)
            .field("server_name", &self.server_name)
            .field("http2", &self.http2)
            .finish()
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Read a PEM bundle of CA certificates; at least one certificate.
pub(crate) fn read_certs(path: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let bytes = std::fs::read(path).map_err(|e| {
        format!(
            "cannot read {what} '{}': {e}; check the path",
            path.display()
        )
    })?;
    let mut certs = Vec::new();
    for c in CertificateDer::pem_slice_iter(&bytes) {
        certs.push(c.map_err(|e| {
            format!(
                "'{}' is not a valid PEM file ({e}); give a PEM file with -----BEGIN CERTIFICATE----- blocks",
                path.display()
            )
        })?);
    }
    if certs.is_empty() {
        return Err(format!(
            "'{}' holds no certificate; give a PEM file with -----BEGIN CERTIFICATE----- blocks",
            path.display()
        ));
    }
    Ok(certs)
}

/// Read a client certificate and its private key, and check that they belong together.
pub(crate) fn read_identity(cert_file: &Path, key_file: &Path) -> Result<ClientIdentity, String> {
    let chain = read_certs(cert_file, "client certificate")?;
    let bytes = std::fs::read(key_file).map_err(|e| {
        format!(
            "cannot read client key '{}': {e}; check the path",
            key_file.display()
        )
    })?;
    let key = PrivateKeyDer::from_pem_slice(&bytes).map_err(|_| {
        format!(
            "'{}' holds no private key; give a PEM file with a -----BEGIN PRIVATE KEY----- (PKCS#8, RSA or EC) block",
            key_file.display()
        )
    })?;
    rustls::sign::CertifiedKey::from_der(chain.clone(), key.clone_key(), &provider()).map_err(
        |_| {
            format!(
                "the key in '{}' does not match the certificate in '{}'; give the key the certificate was issued for",
                key_file.display(),
                cert_file.display()
            )
        },
    )?;
    Ok(ClientIdentity {
        cert_file: cert_file.to_path_buf(),
        key_file: key_file.to_path_buf(),
        chain,
        key: Arc::new(key),
    })
}

/// Check a `tls.server_name` value.
pub(crate) fn check_server_name(name: &str) -> Result<(), String> {
    ServerName::try_from(name.to_string())
        .map(|_| ())
        .map_err(|_| format!("'{name}' is not a DNS name or IP address; e.g. gms.example.com"))
}

/// The system trust (honours `SSL_CERT_FILE` / `SSL_CERT_DIR`), the web roots and `--cacert`.
fn roots(settings: &TlsSettings) -> RootCertStore {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    if let Some((_, certs)) = &settings.ca_file {
        roots.add_parsable_certificates(certs.iter().cloned());
    }
    roots
}

/// The rustls client config of a run against an https target.
pub(crate) fn client_config(settings: &TlsSettings) -> anyhow::Result<rustls::ClientConfig> {
    let provider = provider();
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let verifier: Arc<dyn ServerCertVerifier> = if settings.insecure {
        Arc::new(NoVerification(provider.clone()))
    } else {
        let webpki =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots(settings)), provider)
                .build()?;
        match &settings.server_name {
            Some(name) => Arc::new(CheckAs {
                inner: webpki,
                name: ServerName::try_from(name.clone())?,
            }),
            None => webpki,
        }
    };
    let builder = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match &settings.client {
        Some(id) => builder.with_client_auth_cert(id.chain.clone(), id.key.clone_key())?,
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = if settings.http2 {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };
    Ok(config)
}

/// Verification against `name` instead of the URL's host (targets addressed by IP).
#[derive(Debug)]
struct CheckAs {
    inner: Arc<WebPkiServerVerifier>,
    name: ServerName<'static>,
}

impl ServerCertVerifier for CheckAs {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.inner
            .verify_server_cert(end_entity, intermediates, &self.name, ocsp, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// `--insecure`: any certificate is accepted (the handshake signatures are still checked).
#[derive(Debug)]
struct NoVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The TLS cause of a failed request, if it has one: a short reason such as
/// `invalid peer certificate: UnknownIssuer` or `received fatal alert: CertificateRequired`.
pub(crate) fn tls_reason(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cur = Some(err);
    while let Some(e) = cur {
        if let Some(r) = e.downcast_ref::<rustls::Error>() {
            return Some(r.to_string());
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if io.to_string().contains("tls handshake eof") {
                return Some("the server closed the connection during the TLS handshake".into());
            }
            // io::Error::source skips the error it wraps: step into it (may be nested).
            if let Some(inner) = io.get_ref() {
                cur = Some(inner);
                continue;
            }
        }
        cur = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_without_certificates_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("empty.pem");
        std::fs::write(&p, "just text\n").unwrap();
        let e = read_certs(&p, "CA file").unwrap_err();
        assert!(e.contains("holds no certificate"), "{e}");
        let e = read_certs(&dir.path().join("missing.pem"), "CA file").unwrap_err();
        assert!(e.starts_with("cannot read CA file"), "{e}");
    }

    #[test]
    fn a_mismatched_key_is_refused_without_showing_it() {
        let dir = tempfile::tempdir().unwrap();
        let a = rcgen::generate_simple_self_signed(vec!["a.test".into()]).unwrap();
        let b = rcgen::generate_simple_self_signed(vec!["b.test".into()]).unwrap();
        let cert = dir.path().join("a.pem");
        let key = dir.path().join("b.key");
        std::fs::write(&cert, a.cert.pem()).unwrap();
        let key_pem = b.key_pair.serialize_pem();
        std::fs::write(&key, &key_pem).unwrap();
        let e = read_identity(&cert, &key).unwrap_err();
        assert!(e.contains("does not match the certificate"), "{e}");
        assert!(!e.contains("PRIVATE KEY-----\n"), "{e}");
        std::fs::write(&key, a.key_pair.serialize_pem()).unwrap();
        let id = read_identity(&cert, &key).unwrap();
        let shown = format!(
            "{:?}",
            TlsSettings {
                client: Some(id),
                ..TlsSettings::default()
            }
        );
        assert!(!shown.contains("PRIVATE"), "{shown}");
    }

    #[test]
    fn server_names_are_checked() {
        assert!(check_server_name("gms.example.com").is_ok());
        assert!(check_server_name("10.0.0.1").is_ok());
        assert!(check_server_name("bad name!").is_err());
    }
}
