//! The verbs about scenarios themselves rather than runs: `inspect` (what a scenario declares),
//! `list` (what this binary ships) and `play NAME --help` (the play flags, then the scenario's
//! parameters).

use std::process::ExitCode;

use runner::bindings::exports::runner::scenario::guest::Info;
use runner::engine::{self, EngineOptions};
use runner::run;
use runner::source::{self, SHIPPED, ScenarioRef};

use super::registry::RegistryArgs;

/// clap's parser for a scenario argument.
pub fn parse_scenario(arg: &str) -> Result<ScenarioRef, String> {
    ScenarioRef::parse(arg).map_err(|e| e.to_string())
}

/// `runner play SCENARIO --help`: the scenario whose parameters should follow the help, when the
/// arguments name an existing `.wasm` file or a shipped scenario.
pub fn help_request() -> Option<ScenarioRef> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let wants_help = args.iter().any(|a| a == "--help" || a == "-h");
    if args.first().map(String::as_str) != Some("play") || !wants_help {
        return None;
    }
    args.iter().skip(1).find_map(|arg| {
        let is_file = arg.ends_with(".wasm") && std::path::Path::new(arg).is_file();
        if is_file {
            Some(ScenarioRef::File(arg.into()))
        } else {
            source::shipped(arg).map(ScenarioRef::Shipped)
        }
    })
}

/// `runner list`: the shipped scenarios, one line each.
pub fn list() -> anyhow::Result<ExitCode> {
    if SHIPPED.is_empty() {
        println!("this runner was built without its shipped scenarios (RUNNER_EMBED_SCENARIOS=0)");
        return Ok(ExitCode::SUCCESS);
    }
    let width = SHIPPED.iter().map(|s| s.name.len()).max().unwrap_or(0);
    for s in SHIPPED {
        println!("{:width$}  {}", s.name, s.description);
    }
    println!("\nplay one with `runner play NAME [--target URL]`; `runner inspect NAME` lists its parameters");
    Ok(ExitCode::SUCCESS)
}

/// `runner inspect SCENARIO`: name, version, WIT version, imports, parameters and thresholds.
pub async fn inspect(scenario: &ScenarioRef, registry: &RegistryArgs) -> anyhow::Result<ExitCode> {
    // An OCI artifact is shown first (digests, config, annotations), then what it declares.
    let resolved = match scenario {
        ScenarioRef::Oci(reference) => {
            source::from_pulled(super::registry::inspect(reference, registry).await?)
        }
        other => source::resolve_with(other, &registry.options(true)).await?,
    };
    let loaded = run::load_scenario(&resolved, &EngineOptions::default()).await?;
    let info = run::describe(&loaded).await?;
    println!("{} {}", info.name, info.version);
    println!("{}", info.description);
    if !info.author.is_empty() {
        println!("author: {}", info.author);
    }
    println!("from: {} ({})", resolved.origin, resolved.digest);
    println!(
        "built for: {}@{} (this runner: {}@{})",
        engine::WIT_PACKAGE,
        loaded.wit_version,
        engine::WIT_PACKAGE,
        engine::WIT_VERSION
    );
    let ty = loaded.pre.instance_pre().component().component_type();
    let imports: Vec<String> = ty.imports(&loaded.engine).map(|(n, _)| n.to_string()).collect();
    println!("imports: {}", imports.join(", "));
    print_params(&info);
    if info.thresholds.is_empty() {
        println!("thresholds: none declared in describe (drive may still declare some)");
    } else {
        println!("thresholds: {}", info.thresholds.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}

/// The scenario's parameters with their defaults, for `inspect` and `play NAME --help`.
pub fn print_params(info: &Info) {
    if info.params.is_empty() {
        println!("parameters: none");
        return;
    }
    println!("parameters (--param NAME=VALUE):");
    let width = info.params.iter().map(|p| p.name.len()).max().unwrap_or(0);
    for p in &info.params {
        let kind = run::kind_name(p.kind);
        println!("  {:width$}  {kind:<12}  {:<12}  {}", p.name, format!("[{}]", p.default), p.help);
    }
}
