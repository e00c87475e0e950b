//! Sharing scenarios through OCI registries on the command line: the registry flags `push`,
//! `inspect` and `play` share ([`RegistryArgs`]), `runner push x.wasm oci://HOST/NAME:TAG`, and
//! the registry half of `runner inspect oci://…` (the manifest, config and annotations, before the
//! scenario's own description). The protocol, checks and cache are `runner::oci`'s.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use runner::engine::{self, EngineOptions};
use runner::oci::{self, ComponentInfo, Metadata, Pulled, RegistryOptions};
use runner::run;
use runner::source::{self, ScenarioRef};

use crate::exit;

/// How to reach an OCI registry (flattened into `push`, `inspect` and `play`).
#[derive(Args, Debug, Clone, Default)]
pub struct RegistryArgs {
    /// A PEM file of CA certificates to trust for an `oci://` registry's TLS, besides the system's.
    #[arg(long, value_name = "PEM")]
    pub registry_ca_cert: Option<PathBuf>,
    /// Speak plain HTTP to the `oci://` registry (as oras's --plain-http; HTTPS otherwise).
    #[arg(long)]
    pub plain_http: bool,
}

impl RegistryArgs {
    /// The library's options; `cache: false` pulls without the blob cache.
    pub fn options(&self, cache: bool) -> RegistryOptions {
        let defaults = RegistryOptions::default();
        RegistryOptions {
            ca_cert: self.registry_ca_cert.clone(),
            plain_http: self.plain_http,
            cache_dir: if cache { defaults.cache_dir.clone() } else { None },
            ..defaults
        }
    }
}

/// `runner push`'s arguments.
#[derive(Args, Debug)]
pub struct PushArgs {
    /// The scenario component (.wasm).
    scenario: PathBuf,
    /// Where to push it: oci://HOST[:PORT]/NAME:TAG.
    reference: String,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// `runner push x.wasm oci://HOST/NAME:TAG`: checks the component is a scenario (its describe()
/// is read for the annotations), pushes it, and prints the reference pinned by digest.
pub async fn push(args: PushArgs) -> anyhow::Result<ExitCode> {
    let Some(reference) = args.reference.strip_prefix(oci::SCHEME) else {
        eprintln!("error: {:?} is not an oci:// reference (oci://HOST[:PORT]/NAME:TAG)", args.reference);
        return Ok(ExitCode::from(exit::USAGE));
    };
    // Refuse a malformed reference before loading anything.
    if let Err(e) = oci::OciRef::parse(reference) {
        eprintln!("error: {e}");
        return Ok(ExitCode::from(exit::USAGE));
    }
    let resolved = source::resolve(&ScenarioRef::File(args.scenario.clone())).await?;
    let scenario = run::load_scenario(&resolved, &EngineOptions::default()).await?;
    let info = run::describe(&scenario).await?;
    let ty = scenario.pre.instance_pre().component().component_type();
    let names = |it: &mut dyn Iterator<Item = String>| it.collect::<Vec<_>>();
    let meta = Metadata {
        name: info.name.clone(),
        version: info.version.clone(),
        description: info.description.clone(),
        author: info.author.clone(),
        component: ComponentInfo {
            imports: names(&mut ty.imports(&scenario.engine).map(|(n, _)| n.to_string())),
            exports: names(&mut ty.exports(&scenario.engine).map(|(n, _)| n.to_string())),
            target: Some(format!("{}/scenario@{}", engine::WIT_PACKAGE, scenario.wit_version)),
        },
    };
    let pushed = oci::push(resolved.bytes, &meta, reference, &args.registry.options(true)).await?;
    eprintln!(
        "pushed {} {} as {}{reference} (component {})",
        info.name,
        info.version,
        oci::SCHEME,
        pushed.digest
    );
    println!("{}", pushed.pinned);
    Ok(ExitCode::SUCCESS)
}

/// Pulls `reference` (the text after `oci://`) for `inspect` and prints what the registry holds.
pub async fn inspect(reference: &str, registry: &RegistryArgs) -> anyhow::Result<Pulled> {
    let pulled = oci::pull(reference, &registry.options(true)).await?;
    print_artifact(&pulled);
    println!();
    Ok(pulled)
}

fn print_artifact(p: &Pulled) {
    println!("oci: {}{}{}", oci::SCHEME, p.pinned, if p.from_cache { " (from the cache)" } else { "" });
    let m = &p.manifest;
    println!("manifest: {} ({})", p.manifest_digest, m.media_type.as_deref().unwrap_or("no mediaType"));
    println!("config: {} {} ({} bytes)", m.config.digest, m.config.media_type, m.config.size);
    for layer in &m.layers {
        println!("layer: {} {} ({} bytes)", layer.digest, layer.media_type, layer.size);
    }
    let c = &p.config;
    println!("  created: {}", c.created);
    if let Some(author) = &c.author {
        println!("  author: {author}");
    }
    println!("  architecture: {}, os: {}", c.architecture, c.os);
    println!("  layerDigests: {}", c.layer_digests.join(", "));
    if let Some(component) = &c.component {
        if let Some(target) = &component.target {
            println!("  component target: {target}");
        }
        println!("  component exports: {}", component.exports.join(", "));
        println!("  component imports: {}", component.imports.join(", "));
    }
    match m.annotations.as_ref().filter(|a| !a.is_empty()) {
        Some(annotations) => {
            println!("annotations:");
            for (k, v) in annotations {
                println!("  {k}: {v}");
            }
        }
        None => println!("annotations: none"),
    }
}
