//! Talking to one registry: `oci-client` does the distribution protocol (the `/v2/` challenge,
//! Basic or bearer-token auth, uploads); the manifest is fetched here with the same credentials
//! and read with a size bound (the client reads a manifest whole, however large), and the layer is
//! streamed with one. Every request has a connect and a read timeout.

use std::time::Duration;

use futures_util::StreamExt;
use http::HeaderValue;
use oci_client::client::{Certificate, CertificateEncoding, ClientConfig, ClientProtocol};
use oci_client::errors::OciDistributionError;
use oci_client::manifest::OciDescriptor;
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, RegistryOperation};

use super::artifact::{Artifact, MANIFEST_MEDIA_TYPE};
use super::auth::{Credentials, credentials_for};
use super::cache::sha256_digest;
use super::reference::OciRef;
use super::{OciError, RegistryOptions};

/// The largest manifest or config read (the distribution registry's own manifest limit).
pub const MAX_MANIFEST_BYTES: u64 = 4 << 20;

/// A connection to the registry of one reference.
pub struct Registry {
    client: Client,
    http: reqwest::Client,
    auth: RegistryAuth,
    credentials: Option<Credentials>,
    scheme: &'static str,
    host: String,
}

impl Registry {
    /// A client for `r`'s registry with `opts`' trust and the credentials found for its host.
    pub fn connect(r: &OciRef, opts: &RegistryOptions) -> Result<Self, OciError> {
        // reqwest is built without a built-in crypto provider (so ring, the tree's one, is used
        // and aws-lc-rs is not built): install ring as the process default once.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let extra = match &opts.ca_cert {
            Some(path) => crate::client::http::load_pem_certs(path)
                .map_err(|e| OciError::CaCert(e.message))?
                .into_iter()
                .map(|der| Certificate { encoding: CertificateEncoding::Der, data: der })
                .collect(),
            None => Vec::new(),
        };
        let mut http = reqwest::Client::builder()
            .connect_timeout(opts.connect_timeout)
            .read_timeout(opts.read_timeout)
            .user_agent(USER_AGENT)
            .redirect(reqwest::redirect::Policy::none());
        for c in &extra {
            let cert =
                reqwest::Certificate::from_der(&c.data).map_err(|e| OciError::CaCert(e.to_string()))?;
            http = http.tls_certs_merge([cert]);
        }
        let http = http.build().map_err(|e| OciError::CaCert(chain(&e)))?;
        let config = ClientConfig {
            protocol: if opts.plain_http { ClientProtocol::Http } else { ClientProtocol::Https },
            extra_root_certificates: extra,
            connect_timeout: Some(opts.connect_timeout),
            read_timeout: Some(opts.read_timeout),
            user_agent: USER_AGENT,
            // Image indexes are not scenarios: refused rather than resolved to a platform.
            platform_resolver: None,
            ..ClientConfig::default()
        };
        let client = Client::try_from(config).map_err(|e| OciError::CaCert(chain(&e)))?;
        let credentials = credentials_for(&r.host)?;
        if let Some(c) = &credentials {
            tracing::debug!("registry {}: user {} from {}", r.host, c.username, c.source);
        }
        let auth = credentials.as_ref().map_or(RegistryAuth::Anonymous, Credentials::to_auth);
        let scheme = if opts.plain_http { "http" } else { "https" };
        Ok(Self { client, http, auth, credentials, scheme, host: r.host.clone() })
    }

    /// The manifest `r` names, at most [`MAX_MANIFEST_BYTES`], and its digest (checked against a
    /// pinned reference's).
    pub async fn manifest(&self, r: &OciRef) -> Result<(Vec<u8>, String), OciError> {
        let image = r.to_client();
        let token = self
            .client
            .auth(&image, &self.auth, RegistryOperation::Pull)
            .await
            .map_err(|e| self.error("pull", r, e))?;
        let by = r.digest.as_deref().or(r.tag.as_deref()).unwrap_or("latest");
        let url = format!("{}://{}/v2/{}/manifests/{by}", self.scheme, r.host, r.name);
        let mut request = self.http.get(&url).header(http::header::ACCEPT, MANIFEST_MEDIA_TYPE);
        request = match (token, &self.auth) {
            (Some(token), _) => request.bearer_auth(token),
            (None, RegistryAuth::Basic(user, password)) => request.basic_auth(user, Some(password)),
            _ => request,
        };
        let response = request.send().await.map_err(|e| self.network("pull", r, &e))?;
        let status = response.status();
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
            return Err(self.unauthorized("pull", r, status.as_u16()));
        }
        if status == reqwest::StatusCode::NOT_FOUND {
            return Err(OciError::NotFound { reference: r.to_string() });
        }
        if !status.is_success() {
            return Err(OciError::Registry {
                host: self.host.clone(),
                op: "pull",
                message: format!("GET {url} answered {status}"),
            });
        }
        let body = read_bounded(response.bytes_stream(), MAX_MANIFEST_BYTES, "manifest")
            .await
            .map_err(|e| self.bounded("pull", r, e))?;
        let digest = sha256_digest(&body);
        if let Some(expected) = &r.digest
            && *expected != digest
        {
            return Err(OciError::DigestMismatch {
                what: "manifest".into(),
                expected: expected.clone(),
                actual: digest,
            });
        }
        Ok((body, digest))
    }

    /// The blob `descriptor` names, at most `limit` bytes, checked against its digest.
    pub async fn blob(
        &self,
        r: &OciRef,
        descriptor: &OciDescriptor,
        what: &str,
        limit: u64,
    ) -> Result<Vec<u8>, OciError> {
        if descriptor.size < 0 || descriptor.size as u64 > limit {
            return Err(OciError::TooLarge { what: what.into(), size: descriptor.size.max(0) as u64, limit });
        }
        let image = r.to_client();
        let stream =
            self.client.pull_blob_stream(&image, descriptor).await.map_err(|e| self.error("pull", r, e))?;
        let body = read_bounded(stream.stream, limit, what).await.map_err(|e| self.bounded("pull", r, e))?;
        let actual = sha256_digest(&body);
        if actual != descriptor.digest {
            return Err(OciError::DigestMismatch {
                what: what.into(),
                expected: descriptor.digest.clone(),
                actual,
            });
        }
        Ok(body)
    }

    /// Uploads the artifact's blobs, then its manifest under `r`'s tag.
    pub async fn push(&self, r: &OciRef, artifact: &Artifact) -> Result<(), OciError> {
        let image = r.to_client();
        self.client
            .auth(&image, &self.auth, RegistryOperation::Push)
            .await
            .map_err(|e| self.error("push", r, e))?;
        for (bytes, digest) in
            [(&artifact.layer, &artifact.layer_digest), (&artifact.config, &artifact.config_digest)]
        {
            self.client
                .push_blob(&image, bytes.clone(), digest)
                .await
                .map_err(|e| self.error("push", r, e))?;
        }
        self.client
            .push_manifest_raw(
                &image,
                artifact.manifest.clone(),
                HeaderValue::from_static(MANIFEST_MEDIA_TYPE),
            )
            .await
            .map_err(|e| self.error("push", r, e))?;
        Ok(())
    }

    fn unauthorized(&self, op: &'static str, r: &OciRef, status: u16) -> OciError {
        OciError::Unauthorized {
            host: self.host.clone(),
            op,
            reference: r.to_string(),
            who: match &self.credentials {
                Some(c) => format!("as {} (from {})", c.username, c.source),
                None => format!(
                    "anonymously (set {} and {}, or `docker login`)",
                    super::auth::USERNAME_ENV,
                    super::auth::PASSWORD_ENV
                ),
            },
            status,
        }
    }

    /// One line for a client error; 401s become [`OciError::Unauthorized`].
    fn error(&self, op: &'static str, r: &OciRef, e: OciDistributionError) -> OciError {
        match &e {
            OciDistributionError::UnauthorizedError { .. }
            | OciDistributionError::AuthenticationFailure(_) => self.unauthorized(op, r, 401),
            OciDistributionError::RegistryError { envelope, .. }
                if envelope.errors.iter().any(|x| format!("{:?}", x.code).contains("Unauthorized")) =>
            {
                self.unauthorized(op, r, 401)
            }
            // An upload refused with a body the client does not parse as an error envelope.
            OciDistributionError::ServerError { code: code @ (401 | 403), .. } => {
                self.unauthorized(op, r, *code)
            }
            OciDistributionError::ImageManifestNotFoundError(_) => {
                OciError::NotFound { reference: r.to_string() }
            }
            _ => OciError::Registry { host: self.host.clone(), op, message: hint(chain(&e)) },
        }
    }

    fn network(&self, op: &'static str, _r: &OciRef, e: &reqwest::Error) -> OciError {
        OciError::Registry { host: self.host.clone(), op, message: hint(chain(e)) }
    }

    fn bounded(&self, op: &'static str, r: &OciRef, e: Bounded) -> OciError {
        match e {
            Bounded::TooLarge { what, limit } => OciError::TooLarge { what, size: limit + 1, limit },
            Bounded::Stream(message) => {
                let _ = r;
                OciError::Registry { host: self.host.clone(), op, message: hint(message) }
            }
        }
    }
}

const USER_AGENT: &str = concat!("runner/", env!("CARGO_PKG_VERSION"));

enum Bounded {
    TooLarge { what: String, limit: u64 },
    Stream(String),
}

/// Reads a body into memory, refusing it as soon as it passes `limit` bytes.
async fn read_bounded<S, B, E>(mut stream: S, limit: u64, what: &str) -> Result<Vec<u8>, Bounded>
where
    S: futures_util::Stream<Item = Result<B, E>> + Unpin,
    B: AsRef<[u8]>,
    E: std::error::Error,
{
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| Bounded::Stream(chain(&e)))?;
        if body.len() as u64 + chunk.as_ref().len() as u64 > limit {
            return Err(Bounded::TooLarge { what: what.into(), limit });
        }
        body.extend_from_slice(chunk.as_ref());
    }
    Ok(body)
}

/// An error and its causes on one line, each said once.
fn chain(e: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next: Option<&dyn std::error::Error> = Some(e);
    while let Some(err) = next {
        let text = err.to_string().replace('\n', " ");
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = err.source();
    }
    parts.join(": ")
}

/// The fix for the usual TLS mistakes, after the message.
fn hint(message: String) -> String {
    let lower = message.to_lowercase();
    if lower.contains("certificate") || lower.contains("unknownissuer") {
        format!("{message} (a registry with a private CA: --registry-ca-cert PEM)")
    } else if lower.contains("invalidcontenttype")
        || lower.contains("corrupt message")
        || lower.contains("wrong version number")
    {
        format!("{message} (a registry that speaks plain HTTP: --plain-http)")
    } else {
        message
    }
}

/// The default connect and read timeouts.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
pub const READ_TIMEOUT: Duration = Duration::from_secs(30);
