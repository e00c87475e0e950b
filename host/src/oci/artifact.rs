//! The CNCF Wasm OCI artifact layout (tag-runtime.cncf.io/wgs/wasm/deliverables/wasm-oci-artifact):
//! an OCI image manifest whose config is `application/vnd.wasm.config.v0+json` and whose one layer
//! is the component, `application/wasm`. `wkg`, wasmtime's and Spin's OCI support and `oras` read
//! the same artifacts, so a scenario pushed here is an ordinary Wasm artifact anywhere.

use std::collections::BTreeMap;

use oci_client::manifest::{OCI_IMAGE_MEDIA_TYPE, OciDescriptor, OciImageManifest};
use serde::{Deserialize, Serialize};

use super::OciError;
use super::cache::sha256_digest;

/// The manifest's media type.
pub const MANIFEST_MEDIA_TYPE: &str = OCI_IMAGE_MEDIA_TYPE;
/// The config's media type.
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.wasm.config.v0+json";
/// The component layer's media type.
pub const LAYER_MEDIA_TYPE: &str = "application/wasm";

/// The config blob (`application/vnd.wasm.config.v0+json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WasmConfig {
    /// When it was pushed (RFC 3339).
    #[serde(default)]
    pub created: String,
    /// The scenario's author, when it names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Always `wasm`.
    #[serde(default)]
    pub architecture: String,
    /// `wasip2` for a component.
    #[serde(default)]
    pub os: String,
    /// The layers' digests, in the manifest's order (so the config, hence its digest, differs for
    /// different components).
    #[serde(default)]
    pub layer_digests: Vec<String>,
    /// What the component imports and exports; required with `os` `wasip2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<ComponentInfo>,
}

/// The config's `component` object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ComponentInfo {
    /// Every export's name (e.g. `runner:scenario/guest@0.4.0`).
    #[serde(default)]
    pub exports: Vec<String>,
    /// Every import's name.
    #[serde(default)]
    pub imports: Vec<String>,
    /// The world the component targets (`runner:scenario/scenario@VERSION`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

/// What `push` records about a scenario besides its bytes: `describe()`'s answers and the
/// component's interface, read by the caller.
#[derive(Debug, Clone, Default)]
pub struct Metadata {
    pub name: String,
    pub version: String,
    pub description: String,
    pub author: String,
    pub component: ComponentInfo,
}

/// One artifact, ready to upload: the blobs and the manifest that names them.
#[derive(Debug, Clone)]
pub struct Artifact {
    pub layer: Vec<u8>,
    pub layer_digest: String,
    pub config: Vec<u8>,
    pub config_digest: String,
    pub manifest: Vec<u8>,
    pub manifest_digest: String,
}

/// Builds the artifact for `component`, created at `created` (RFC 3339). The scenario's name,
/// version and description become the standard `org.opencontainers.image.*` annotations.
pub fn build(component: Vec<u8>, meta: &Metadata, created: &str) -> Result<Artifact, OciError> {
    let layer_digest = sha256_digest(&component);
    let config = WasmConfig {
        created: created.to_string(),
        author: Some(meta.author.clone()).filter(|a| !a.is_empty()),
        architecture: "wasm".into(),
        os: "wasip2".into(),
        layer_digests: vec![layer_digest.clone()],
        component: Some(meta.component.clone()),
    };
    let config = serde_json::to_vec(&config).map_err(|e| OciError::Internal(e.to_string()))?;
    let config_digest = sha256_digest(&config);
    let mut annotations = BTreeMap::new();
    for (key, value) in [
        ("org.opencontainers.image.title", &meta.name),
        ("org.opencontainers.image.version", &meta.version),
        ("org.opencontainers.image.description", &meta.description),
        ("org.opencontainers.image.authors", &meta.author),
        ("org.opencontainers.image.created", &created.to_string()),
    ] {
        if !value.is_empty() {
            annotations.insert(key.to_string(), value.clone());
        }
    }
    let manifest = OciImageManifest {
        schema_version: 2,
        media_type: Some(MANIFEST_MEDIA_TYPE.into()),
        config: descriptor(CONFIG_MEDIA_TYPE, &config_digest, config.len()),
        layers: vec![descriptor(LAYER_MEDIA_TYPE, &layer_digest, component.len())],
        subject: None,
        artifact_type: None,
        annotations: Some(annotations),
    };
    let manifest = serde_json::to_vec(&manifest).map_err(|e| OciError::Internal(e.to_string()))?;
    let manifest_digest = sha256_digest(&manifest);
    Ok(Artifact { layer: component, layer_digest, config, config_digest, manifest, manifest_digest })
}

fn descriptor(media_type: &str, digest: &str, size: usize) -> OciDescriptor {
    OciDescriptor {
        media_type: media_type.into(),
        digest: digest.into(),
        size: size as i64,
        ..OciDescriptor::default()
    }
}

/// Reads a pulled manifest and checks it is a Wasm component artifact: an OCI image manifest
/// (or one without a `mediaType`, which the spec allows), the Wasm config type, and exactly one
/// `application/wasm` layer. `what` names the reference in the one-line refusal.
pub fn check_manifest(bytes: &[u8], what: &str) -> Result<OciImageManifest, OciError> {
    let refuse = |why: String| OciError::NotWasm { reference: what.to_string(), why };
    let manifest: OciImageManifest = serde_json::from_slice(bytes)
        .map_err(|e| refuse(format!("its manifest is not an OCI image manifest ({e})")))?;
    if let Some(t) = manifest.media_type.as_deref().filter(|t| *t != MANIFEST_MEDIA_TYPE) {
        return Err(refuse(format!("its manifest is {t}, not {MANIFEST_MEDIA_TYPE}")));
    }
    if manifest.config.media_type != CONFIG_MEDIA_TYPE {
        return Err(refuse(format!("its config is {}, not {CONFIG_MEDIA_TYPE}", manifest.config.media_type)));
    }
    let wasm = manifest.layers.iter().filter(|l| l.media_type == LAYER_MEDIA_TYPE).count();
    if wasm != 1 || manifest.layers.len() != 1 {
        let types: Vec<&str> = manifest.layers.iter().map(|l| l.media_type.as_str()).collect();
        return Err(refuse(format!(
            "it has {} layer(s) ({}), where a scenario has exactly one {LAYER_MEDIA_TYPE}",
            manifest.layers.len(),
            if types.is_empty() { "none".to_string() } else { types.join(", ") }
        )));
    }
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> Metadata {
        Metadata {
            name: "ttft-probe".into(),
            version: "0.1.0".into(),
            description: "probe".into(),
            author: String::new(),
            component: ComponentInfo {
                exports: vec!["runner:scenario/guest@0.4.0".into()],
                imports: vec!["runner:scenario/llm@0.4.0".into()],
                target: Some("runner:scenario/scenario@0.4.0".into()),
            },
        }
    }

    #[test]
    fn builds_the_cncf_layout() {
        let a = build(b"\0asm\x0d\0\x01\0".to_vec(), &meta(), "2026-12-07T00:00:00Z").expect("build");
        let m: serde_json::Value = serde_json::from_slice(&a.manifest).expect("json");
        assert_eq!(m["mediaType"], MANIFEST_MEDIA_TYPE);
        assert_eq!(m["config"]["mediaType"], CONFIG_MEDIA_TYPE);
        assert_eq!(m["config"]["digest"], a.config_digest.as_str());
        assert_eq!(m["layers"][0]["mediaType"], LAYER_MEDIA_TYPE);
        assert_eq!(m["layers"][0]["size"], 8);
        assert_eq!(m["annotations"]["org.opencontainers.image.title"], "ttft-probe");
        assert!(m["annotations"].get("org.opencontainers.image.authors").is_none(), "empty is left out");
        let c: serde_json::Value = serde_json::from_slice(&a.config).expect("json");
        assert_eq!((c["architecture"].as_str(), c["os"].as_str()), (Some("wasm"), Some("wasip2")));
        assert_eq!(c["layerDigests"][0], a.layer_digest.as_str());
        assert_eq!(c["component"]["target"], "runner:scenario/scenario@0.4.0");
        assert_eq!(c["created"], "2026-12-07T00:00:00Z");
        check_manifest(&a.manifest, "r").expect("our own manifest passes");
    }

    #[test]
    fn refuses_other_shapes_naming_what_it_found() {
        let a = build(b"\0asm".to_vec(), &meta(), "t").expect("build");
        let mut m: serde_json::Value = serde_json::from_slice(&a.manifest).expect("json");
        let layer = m["layers"][0].clone();
        m["layers"] = serde_json::json!([layer.clone(), layer]);
        let e = check_manifest(&serde_json::to_vec(&m).expect("json"), "h/n:v1").expect_err("2 layers");
        assert!(e.to_string().contains("2 layer(s) (application/wasm, application/wasm)"), "{e}");
        m["layers"] = serde_json::json!([layer_of("application/vnd.oci.image.layer.v1.tar")]);
        let e = check_manifest(&serde_json::to_vec(&m).expect("json"), "h/n:v1").expect_err("tar");
        assert!(e.to_string().contains("application/vnd.oci.image.layer.v1.tar"), "{e}");
        m["layers"] = serde_json::json!([layer_of(LAYER_MEDIA_TYPE)]);
        m["config"]["mediaType"] = "application/vnd.oci.image.config.v1+json".into();
        let e = check_manifest(&serde_json::to_vec(&m).expect("json"), "h/n:v1").expect_err("config");
        assert!(e.to_string().contains("its config is application/vnd.oci.image.config.v1+json"), "{e}");
        let e = check_manifest(b"{}", "h/n:v1").expect_err("junk");
        assert!(e.to_string().starts_with("h/n:v1 is not a Wasm scenario artifact"), "{e}");
    }

    fn layer_of(media_type: &str) -> serde_json::Value {
        serde_json::json!({"mediaType": media_type, "digest": format!("sha256:{}", "0".repeat(64)), "size": 1})
    }
}
