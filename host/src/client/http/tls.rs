//! TLS settings of the outbound client: which server certificates it trusts (native roots,
//! `--ca-cert` roots, or, when asked, any certificate at all) and reading PEM CA files.
//!
//! A `--ca-cert` certificate is also pinned: a server presenting exactly that certificate as its
//! own is accepted even where WebPKI refuses it. This is what makes the certificate `openssl req
//! -x509` makes by default work (self-signed with `CA:TRUE`, refused by webpki as
//! `CaUsedAsEndEntity`; curl accepts it with `--cacert`): the user handed us that very
//! certificate. Handshake signatures are still verified, so the peer holds its key.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use super::{ClientConfig, HttpError};
use crate::error_class::ErrorClass;

/// Reads every `CERTIFICATE` section of a PEM file as DER, for
/// [`ClientConfig::extra_root_certs`]. A file with no certificate in it is an error.
pub fn load_pem_certs(path: &Path) -> Result<Vec<Vec<u8>>, HttpError> {
    let fail = |cause: &dyn fmt::Display| HttpError {
        class: ErrorClass::Other,
        message: format!("cannot read CA certificates from {}: {cause}", path.display()),
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| fail(&e))?
        .map(|cert| cert.map(|c| c.as_ref().to_vec()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(&e))?;
    if certs.is_empty() {
        return Err(fail(&"no \"BEGIN CERTIFICATE\" section found"));
    }
    Ok(certs)
}

/// The rustls settings for `config`, with the ring provider named explicitly (so a second rustls
/// provider in the build cannot make the process default ambiguous). A machine without a CA
/// bundle gets only the extra roots: plain HTTP still works and HTTPS to other servers fails at
/// the handshake with "unknown issuer".
pub(super) fn client_config(config: &ClientConfig) -> Result<rustls::ClientConfig, HttpError> {
    let fail = |cause: String| HttpError {
        class: ErrorClass::Other,
        message: format!("cannot set up TLS: {cause}"),
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| fail(e.to_string()))?;
    if config.insecure {
        let verifier = Arc::new(AcceptAnyServerCert { provider });
        return Ok(builder.dangerous().with_custom_certificate_verifier(verifier).with_no_client_auth());
    }
    let mut roots = rustls::RootCertStore::empty();
    // Unreadable or unparsable system certificates are skipped, as hyper-rustls does: one bad
    // file in /etc/ssl must not take HTTPS down.
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    for (i, der) in config.extra_root_certs.iter().enumerate() {
        roots
            .add(CertificateDer::from(der.as_slice()))
            .map_err(|e| fail(format!("extra CA certificate #{}: {e}", i + 1)))?;
    }
    if config.extra_root_certs.is_empty() {
        return Ok(builder.with_root_certificates(roots).with_no_client_auth());
    }
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|e| fail(e.to_string()))?;
    let pinned = config.extra_root_certs.iter().map(|der| CertificateDer::from(der.clone())).collect();
    let verifier = Arc::new(PinnedOrWebPki { webpki, pinned });
    Ok(builder.dangerous().with_custom_certificate_verifier(verifier).with_no_client_auth())
}

/// The verifier when `--ca-cert` is given: WebPKI over the native and `--ca-cert` roots, and
/// failing that, a server certificate byte-for-byte equal to one of the `--ca-cert` ones (see
/// the module docs).
#[derive(Debug)]
struct PinnedOrWebPki {
    webpki: Arc<WebPkiServerVerifier>,
    pinned: Vec<CertificateDer<'static>>,
}

impl ServerCertVerifier for PinnedOrWebPki {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Ok(verified) => Ok(verified),
            Err(_) if self.pinned.iter().any(|p| p.as_ref() == end_entity.as_ref()) => {
                Ok(ServerCertVerified::assertion())
            }
            Err(e) => Err(e),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// The verifier behind [`ClientConfig::insecure`]: every certificate passes; handshake
/// signatures are still verified so the connection at least talks to the key holder.
#[derive(Debug)]
struct AcceptAnyServerCert {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for AcceptAnyServerCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
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
            &self.provider.signature_verification_algorithms,
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
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}
