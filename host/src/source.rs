//! Where a scenario comes from — a `.wasm` file, a scenario shipped inside this binary (built
//! and embedded by `host/build.rs`), or an OCI registry (`oci://HOST/NAME:TAG`) — and its bytes,
//! with the digest of exactly what will run. `play`, `inspect`, `play NAME --help` and `k8s`
//! all name scenarios through here, so every verb accepts the same three forms.

use std::fmt;
use std::path::PathBuf;

use crate::engine::{self, LoadError};
use crate::oci::SCHEME as OCI_SCHEME;
use crate::oci::cache::sha256_digest;

/// A scenario compiled into this binary.
#[derive(Debug)]
pub struct Shipped {
    /// What `runner play NAME` calls it: its directory under `scenarios/`.
    pub name: &'static str,
    /// One line, from its crate's description.
    pub description: &'static str,
    /// The component.
    pub bytes: &'static [u8],
}

/// Every scenario this binary ships, by name (empty when built with `RUNNER_EMBED_SCENARIOS=0`).
pub static SHIPPED: &[Shipped] = include!(concat!(env!("OUT_DIR"), "/shipped.rs"));

/// The shipped scenario called `name`.
pub fn shipped(name: &str) -> Option<&'static Shipped> {
    SHIPPED.iter().find(|s| s.name == name)
}

/// A scenario as the command line names it.
#[derive(Debug, Clone)]
pub enum ScenarioRef {
    /// A component file.
    File(PathBuf),
    /// A scenario shipped in this binary.
    Shipped(&'static Shipped),
    /// An OCI reference, the text after `oci://` (`HOST/NAME:TAG`, `HOST/NAME@sha256:…`).
    Oci(String),
}

/// Why a scenario could not be found or read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(
        "no scenario file or shipped scenario is called {0:?}: name a .wasm file, oci://HOST/NAME:TAG, \
         or one of `runner list` ({names})",
        names = shipped_names()
    )]
    Unknown(String),
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("{0}")]
    Oci(String),
}

fn shipped_names() -> String {
    if SHIPPED.is_empty() {
        return "this build ships none".into();
    }
    SHIPPED.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
}

impl ScenarioRef {
    /// Reads a command-line scenario argument. A file wins over a shipped name, so a scenario
    /// of one's own is never shadowed; something that looks like a path (a `/` or a `.wasm`
    /// suffix) stays a path, so a typo says "cannot read" rather than "no shipped scenario".
    pub fn parse(arg: &str) -> Result<Self, SourceError> {
        if let Some(reference) = arg.strip_prefix(OCI_SCHEME) {
            return Ok(Self::Oci(reference.to_string()));
        }
        let path = PathBuf::from(arg);
        if path.is_file() || arg.contains('/') || arg.ends_with(".wasm") {
            return Ok(Self::File(path));
        }
        shipped(arg).map(Self::Shipped).ok_or_else(|| SourceError::Unknown(arg.to_string()))
    }
}

impl fmt::Display for ScenarioRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(path) => write!(f, "{}", path.display()),
            Self::Shipped(s) => write!(f, "{}", s.name),
            Self::Oci(reference) => write!(f, "{OCI_SCHEME}{reference}"),
        }
    }
}

/// A scenario's component, read and identified.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The component.
    pub bytes: Vec<u8>,
    /// Where it came from, as run.json records it: the file's path, `shipped:NAME@VERSION`, or
    /// the OCI reference pinned by the manifest's digest.
    pub origin: String,
    /// `sha256:HEX` of the component's bytes: the identity of what ran, whatever its source.
    pub digest: String,
}

impl Resolved {
    /// Wraps bytes read from `origin`, computing their digest.
    pub fn new(bytes: Vec<u8>, origin: String) -> Self {
        let digest = sha256_digest(&bytes);
        Self { bytes, origin, digest }
    }
}

/// Reads the scenario `r` names: a file from disk, a shipped one from the binary, an OCI one from
/// the registry (or the local cache, for a reference pinned by digest) with the default registry
/// options.
pub async fn resolve(r: &ScenarioRef) -> Result<Resolved, SourceError> {
    resolve_with(r, &crate::oci::RegistryOptions::default()).await
}

/// [`resolve`], reaching registries as `registry` says (`--registry-ca-cert`, `--plain-http`).
pub async fn resolve_with(
    r: &ScenarioRef,
    registry: &crate::oci::RegistryOptions,
) -> Result<Resolved, SourceError> {
    match r {
        ScenarioRef::File(path) => {
            let file = path.clone();
            let bytes = tokio::task::spawn_blocking(move || engine::read_file(&file))
                .await
                .map_err(|e| LoadError::Engine(format!("reading the scenario: {e}")))??;
            Ok(Resolved::new(bytes, path.display().to_string()))
        }
        ScenarioRef::Shipped(s) => {
            Ok(Resolved::new(s.bytes.to_vec(), format!("shipped:{}@{}", s.name, env!("CARGO_PKG_VERSION"))))
        }
        ScenarioRef::Oci(reference) => {
            let pulled = crate::oci::pull(reference, registry)
                .await
                .map_err(|e| SourceError::Oci(format!("cannot pull {OCI_SCHEME}{reference}: {e}")))?;
            Ok(from_pulled(pulled))
        }
    }
}

/// A pulled scenario as run.json records it: the origin pinned by the manifest's digest (what a
/// rerun should name), the digest the component's own (the pull checked the layer against it).
pub fn from_pulled(pulled: crate::oci::Pulled) -> Resolved {
    Resolved { origin: format!("{OCI_SCHEME}{}", pulled.pinned), digest: pulled.digest, bytes: pulled.bytes }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_files_shipped_scenarios_and_oci_references() {
        let name = SHIPPED.first().map(|s| s.name).expect("the build embeds the shipped scenarios");
        assert!(matches!(ScenarioRef::parse(name), Ok(ScenarioRef::Shipped(s)) if s.name == name));
        assert!(matches!(ScenarioRef::parse("./x.wasm"), Ok(ScenarioRef::File(_))));
        assert!(matches!(ScenarioRef::parse("missing.wasm"), Ok(ScenarioRef::File(_))));
        assert!(
            matches!(ScenarioRef::parse("oci://h:5000/a/b:v1"), Ok(ScenarioRef::Oci(r)) if r == "h:5000/a/b:v1")
        );
        let unknown = ScenarioRef::parse("stress-swep").expect_err("no such scenario").to_string();
        assert!(unknown.contains("\"stress-swep\"") && unknown.contains(name), "{unknown}");
    }

    #[test]
    fn every_shipped_scenario_is_a_component_with_a_description() {
        for s in SHIPPED {
            assert!(
                s.bytes.starts_with(b"\0asm") && s.bytes[6..8] == [1, 0],
                "{} is not a component",
                s.name
            );
            assert!(!s.description.is_empty() && !s.description.starts_with("Scenario:"), "{}", s.name);
        }
    }
}
