//! Scenarios shared through OCI registries (`oci://HOST[:PORT]/NAME:TAG`): pushing a component as
//! a CNCF Wasm OCI artifact ([`artifact`]), pulling one back with its digests checked, and the
//! local cache by digest ([`cache`]) that lets a reference pinned by digest play with no network.
//! This module owns the reference syntax ([`reference`]), the credentials ([`auth`]) and the
//! registry client ([`registry`], on `oci-client`); the CLI's flags are `cli/registry.rs`'s.
//!
//! A tag always asks the registry (tags move); a digest never needs to once its blobs are cached.
//! Nothing pulled is handed out before its digest is checked, and nothing cached either.

use std::path::PathBuf;
use std::time::Duration;

pub mod artifact;
pub mod auth;
pub mod cache;
pub mod reference;
pub mod registry;

pub use artifact::{ComponentInfo, Metadata, WasmConfig};
pub use reference::{OciRef, SCHEME};

use artifact::check_manifest;
use cache::BlobCache;
use oci_client::manifest::OciImageManifest;
use registry::{MAX_MANIFEST_BYTES, Registry};

use crate::data::read::MAX_SCENARIO_BYTES;

/// Why a push or a pull failed: each is one line, and none holds a credential.
#[derive(Debug, thiserror::Error)]
pub enum OciError {
    #[error("{text:?} is not an OCI reference: {why}")]
    Reference { text: String, why: String },
    #[error("registry credentials: {0}")]
    Credentials(String),
    #[error("--registry-ca-cert: {0}")]
    CaCert(String),
    #[error("the registry {host} refused to let {op} {reference} {who} (HTTP {status})")]
    Unauthorized { host: String, op: &'static str, reference: String, who: String, status: u16 },
    #[error("{reference}: no such manifest in the registry")]
    NotFound { reference: String },
    #[error("cannot {op} at registry {host}: {message}")]
    Registry { host: String, op: &'static str, message: String },
    #[error("{reference} is not a Wasm scenario artifact: {why}")]
    NotWasm { reference: String, why: String },
    #[error("the {what} is over {limit} bytes ({size}): refused")]
    TooLarge { what: String, size: u64, limit: u64 },
    #[error("the {what}'s digest is {actual}, not {expected}: refused, not played")]
    DigestMismatch { what: String, expected: String, actual: String },
    #[error("{0}")]
    Internal(String),
}

/// How to reach registries: trust, protocol, timeouts and the cache.
#[derive(Debug, Clone)]
pub struct RegistryOptions {
    /// A PEM bundle of CAs trusted for registries besides the system's.
    pub ca_cert: Option<PathBuf>,
    /// Speak plain HTTP (only when asked, as `oras --plain-http`).
    pub plain_http: bool,
    /// The pulled-blob cache (`None`: no cache, every pull downloads).
    pub cache_dir: Option<PathBuf>,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
}

impl Default for RegistryOptions {
    fn default() -> Self {
        Self {
            ca_cert: None,
            plain_http: false,
            cache_dir: default_cache_dir(),
            connect_timeout: registry::CONNECT_TIMEOUT,
            read_timeout: registry::READ_TIMEOUT,
        }
    }
}

/// `oci/` under the runner's cache folder (`$RUNNER_CACHE_DIR`, else `$XDG_CACHE_HOME/runner`,
/// else `~/.cache/runner`).
pub fn default_cache_dir() -> Option<PathBuf> {
    crate::engine::default_cache_dir().map(|dir| dir.join("oci"))
}

/// A pulled scenario: the component and where exactly it came from.
#[derive(Debug, Clone)]
pub struct Pulled {
    /// The component.
    pub bytes: Vec<u8>,
    /// `sha256:HEX` of the component (the wasm layer).
    pub digest: String,
    /// `sha256:HEX` of the manifest.
    pub manifest_digest: String,
    /// `HOST/NAME@sha256:<manifest digest>`: the reference that names this content for good.
    pub pinned: String,
    /// The manifest, for `inspect`.
    pub manifest: OciImageManifest,
    /// The config blob, for `inspect`.
    pub config: WasmConfig,
    /// Whether no request was made (a pinned reference answered from the cache).
    pub from_cache: bool,
}

/// Pulls the scenario `reference` names (the text after `oci://`).
pub async fn pull(reference: &str, opts: &RegistryOptions) -> Result<Pulled, OciError> {
    let r = OciRef::parse(reference)?;
    let cache = opts.cache_dir.clone().map(BlobCache::new);
    if let (Some(cache), Some(digest)) = (&cache, &r.digest)
        && let Some(pulled) = from_cache(&r, cache, digest)?
    {
        return Ok(pulled);
    }
    let registry = Registry::connect(&r, opts)?;
    let (manifest_bytes, manifest_digest) = registry.manifest(&r).await?;
    let manifest = check_manifest(&manifest_bytes, &r.to_string())?;
    let cached = |digest: &str, limit: u64| cache.as_ref().and_then(|c| c.get(digest, limit));
    let config_bytes = match cached(&manifest.config.digest, MAX_MANIFEST_BYTES) {
        Some(bytes) => bytes,
        None => registry.blob(&r, &manifest.config, "config", MAX_MANIFEST_BYTES).await?,
    };
    let layer = &manifest.layers[0];
    let bytes = match cached(&layer.digest, MAX_SCENARIO_BYTES) {
        Some(bytes) => bytes,
        None => registry.blob(&r, layer, "wasm layer", MAX_SCENARIO_BYTES).await?,
    };
    let config = parse_config(&config_bytes, &r)?;
    if let Some(cache) = &cache {
        cache.put(&layer.digest, &bytes);
        cache.put(&manifest.config.digest, &config_bytes);
        // The manifest last: a cached manifest promises its blobs are there too.
        cache.put(&manifest_digest, &manifest_bytes);
    }
    Ok(Pulled {
        digest: layer.digest.clone(),
        pinned: r.pinned(&manifest_digest),
        manifest_digest,
        bytes,
        config,
        manifest,
        from_cache: false,
    })
}

/// A pinned reference answered by the cache alone, if every blob it needs is there and intact.
fn from_cache(r: &OciRef, cache: &BlobCache, digest: &str) -> Result<Option<Pulled>, OciError> {
    let Some(manifest_bytes) = cache.get(digest, MAX_MANIFEST_BYTES) else { return Ok(None) };
    let manifest = check_manifest(&manifest_bytes, &r.to_string())?;
    let Some(config_bytes) = cache.get(&manifest.config.digest, MAX_MANIFEST_BYTES) else { return Ok(None) };
    let layer = manifest.layers[0].clone();
    let Some(bytes) = cache.get(&layer.digest, MAX_SCENARIO_BYTES) else { return Ok(None) };
    let config = parse_config(&config_bytes, r)?;
    tracing::debug!("{r}: from the cache ({})", layer.digest);
    Ok(Some(Pulled {
        bytes,
        digest: layer.digest,
        manifest_digest: digest.to_string(),
        pinned: r.pinned(digest),
        manifest,
        config,
        from_cache: true,
    }))
}

fn parse_config(bytes: &[u8], r: &OciRef) -> Result<WasmConfig, OciError> {
    serde_json::from_slice(bytes).map_err(|e| OciError::NotWasm {
        reference: r.to_string(),
        why: format!("its config is not {} JSON ({e})", artifact::CONFIG_MEDIA_TYPE),
    })
}

/// What [`push`] uploaded.
#[derive(Debug, Clone)]
pub struct Pushed {
    /// `HOST/NAME@sha256:<manifest digest>`.
    pub pinned: String,
    /// The component's digest.
    pub digest: String,
    pub manifest_digest: String,
}

/// Pushes `component` to `reference` (`HOST/NAME:TAG`) as a Wasm OCI artifact, created now.
pub async fn push(
    component: Vec<u8>,
    meta: &Metadata,
    reference: &str,
    opts: &RegistryOptions,
) -> Result<Pushed, OciError> {
    let r = OciRef::parse(reference)?;
    if r.digest.is_some() {
        return Err(OciError::Reference {
            text: reference.into(),
            why: "push takes HOST/NAME:TAG (the digest is the registry's answer, not a choice)".into(),
        });
    }
    let created = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let artifact = artifact::build(component, meta, &created)?;
    // Not cached here: the cache holds what was pulled (and checked) only.
    Registry::connect(&r, opts)?.push(&r, &artifact).await?;
    Ok(Pushed {
        pinned: r.pinned(&artifact.manifest_digest),
        digest: artifact.layer_digest,
        manifest_digest: artifact.manifest_digest,
    })
}
