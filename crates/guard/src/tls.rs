//! TLS on both sides of the guard: the certificate it serves to its clients
//! (`[tls]`), and an `https://` upstream's, verified against the system's
//! trust store and `upstream_ca`. The files are read at start and at each
//! reload (SIGHUP), so a renewed certificate is served, and a new CA
//! trusted, from then on; a file that cannot be used is an error that names
//! it, and a reload that meets one keeps what was in force.

use crate::config::{GuardConfig, TlsConfig};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::Arc;

/// A PEM file holds certificates and keys, never megabytes: read at most
/// this much (a wrong path to a large file is an error, not a long read).
const MAX_PEM: u64 = 1 << 20;

/// The one crypto library of the project, named rather than left to a
/// process-wide default (which panics where two providers are built in).
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// `path`'s bytes, bounded; `what` names the setting in the message.
fn read_pem(path: &Path, what: &str) -> Result<Vec<u8>, String> {
    crate::proxy::read_bounded(path, what, MAX_PEM, "give a PEM file")
}

/// The certificates of a PEM file, at least one.
fn certificates(path: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let bytes = read_pem(path, what)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{what} {} is not PEM ({e})", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "{what} {} holds no certificate: give a PEM file with -----BEGIN CERTIFICATE----- blocks",
            path.display()
        ));
    }
    Ok(certs)
}

/// What the guard serves to its clients: TLS 1.2 and 1.3, HTTP/2 or
/// HTTP/1.1 as the client offers by ALPN.
pub(crate) fn acceptor(t: &TlsConfig) -> Result<tokio_rustls::TlsAcceptor, String> {
    let chain = certificates(&t.cert, "tls.cert")?;
    let key_bytes = read_pem(&t.key, "tls.key")?;
    // The key's own words never go into a message: only that it is not one.
    let key = PrivateKeyDer::from_pem_slice(&key_bytes).map_err(|_| {
        format!(
            "tls.key {} holds no private key: give the PEM key (-----BEGIN PRIVATE KEY-----, RSA or EC) of tls.cert",
            t.key.display()
        )
    })?;
    let builder = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS cannot be set up: {e}"))?;
    // Client certificates, where a CA for them is given: asked for, and
    // verified when presented; a client without one goes on.
    let builder = match &t.client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            for c in certificates(ca, "tls.client_ca")? {
                roots.add(c).map_err(|e| {
                    format!(
                        "tls.client_ca {} holds a certificate that cannot be a CA ({e})",
                        ca.display()
                    )
                })?;
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider(),
            )
            .allow_unauthenticated()
            .build()
            .map_err(|e| format!("tls.client_ca {} cannot verify clients ({e})", ca.display()))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder
        .with_single_cert(chain, key)
        .map_err(|e| {
            format!(
                "tls.key {} cannot serve tls.cert {} ({e}): give the key the certificate was issued for",
                t.key.display(),
                t.cert.display()
            )
        })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// How the guard speaks TLS to an `https://` upstream: the system's trust
/// store, and `upstream_ca`'s certificates beside it. For an `http://`
/// upstream nothing is read (the connector never starts TLS).
/// The thumbprint of the client certificate a TLS connection presented
/// (RFC 8705 §3.1: base64url of the SHA-256 of its DER), if it presented
/// one.
pub(crate) fn presented(conn: &rustls::ServerConnection) -> Option<crate::PresentedCertificate> {
    let leaf = conn.peer_certificates()?.first()?;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, leaf.as_ref());
    Some(crate::PresentedCertificate(authdoctor_jose::b64::encode(
        digest.as_ref(),
    )))
}

pub(crate) fn upstream(c: &GuardConfig) -> Result<Arc<rustls::ClientConfig>, String> {
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS cannot be set up: {e}"))?;
    let https = c
        .upstream
        .get(..6)
        .is_some_and(|s| s.eq_ignore_ascii_case("https:"));
    if !https {
        return Ok(Arc::new(
            builder
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth(),
        ));
    }
    let extra = match &c.upstream_ca {
        Some(p) => certificates(p, "upstream_ca")?,
        None => Vec::new(),
    };
    let verifier = rustls_platform_verifier::Verifier::new_with_extra_roots(extra, provider())
        .map_err(|e| format!("the certificates to trust for the upstream cannot be loaded: {e}"))?;
    Ok(Arc::new(
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth(),
    ))
}
