//! Builds the shipped Rust scenarios (every crate under `scenarios/`) to Wasm components and embeds
//! them in the `runner` binary, so `runner play stress-sweep` works from an installed binary with
//! no Rust, Node or Python toolchain and no checkout.
//!
//! The components are built by a nested `cargo build --target wasm32-wasip2 --profile scenario`
//! into `<target>/scenarios`: its own target directory, because the outer cargo holds the lock
//! of its own, and the one `just scenarios` also uses, so neither builds them twice.
//! `RUNNER_EMBED_SCENARIOS=0` skips it (the binary then ships none; `runner list` says so).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=RUNNER_EMBED_SCENARIOS");
    println!("cargo:rerun-if-changed=build.rs");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let manifest =
        PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let workspace = manifest.parent().expect("host/ sits in the workspace").to_path_buf();

    let shipped = if std::env::var("RUNNER_EMBED_SCENARIOS").is_ok_and(|v| v == "0") {
        Vec::new()
    } else if !workspace.join("scenarios").is_dir() {
        // Built outside the repository (e.g. from a packaged crate): nothing to embed.
        println!("cargo:warning=no scenarios/ beside host/: this runner ships no scenarios");
        Vec::new()
    } else {
        let scenarios = scenario_crates(&workspace.join("scenarios"));
        build(&workspace, &scenarios);
        scenarios
    };
    write_table(&out.join("shipped.rs"), &workspace, &shipped);
}

/// One shipped scenario: its crate directory's name and its Cargo.toml description.
struct Scenario {
    name: String,
    description: String,
}

/// Every Rust scenario crate under `scenarios/`, by name. The JavaScript and Python scenarios
/// there are SDK examples built by their own toolchains, not shipped in the binary.
fn scenario_crates(dir: &Path) -> Vec<Scenario> {
    let mut found: Vec<Scenario> = std::fs::read_dir(dir)
        .expect("scenarios/ is readable")
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let toml = std::fs::read_to_string(entry.path().join("Cargo.toml")).ok()?;
            let name = entry.file_name().to_string_lossy().into_owned();
            // Watch the crate's sources, not scenarios/ itself: `just scenarios` writes its
            // .wasm outputs there, which must not make this script run again.
            println!("cargo:rerun-if-changed={}", entry.path().display());
            Some(Scenario { description: description(&toml), name })
        })
        .collect();
    found.sort_by(|a, b| a.name.cmp(&b.name));
    found
}

/// The manifest's `description = "…"` without its "Scenario: " prefix. One line of a file this
/// repository writes, so a line match is enough (no TOML parser in the build for one field).
fn description(toml: &str) -> String {
    toml.lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("description")?
                .trim_start()
                .strip_prefix('=')?
                .trim()
                .strip_prefix('"')?
                .strip_suffix('"')
                .map(str::to_string)
        })
        .map(|d| d.strip_prefix("Scenario: ").map(str::to_string).unwrap_or(d))
        .unwrap_or_default()
}

fn target_dir(workspace: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace.join("target"), PathBuf::from)
        .join("scenarios")
}

fn build(workspace: &Path, scenarios: &[Scenario]) {
    for watched in ["guests/rust", "wit", "Cargo.lock", "Cargo.toml"] {
        println!("cargo:rerun-if-changed={}", workspace.join(watched).display());
    }
    assert!(
        wasm_target_installed(),
        "the shipped scenarios need the wasm32-wasip2 target: run `rustup target add wasm32-wasip2` \
         (or build with RUNNER_EMBED_SCENARIOS=0 for a runner without them)"
    );
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace)
        .args(["build", "--target", "wasm32-wasip2", "--profile", "scenario", "--target-dir"])
        .arg(target_dir(workspace));
    for s in scenarios {
        cmd.args(["-p", &s.name]);
    }
    // What cargo told this script about the host build is not for the Wasm one: flags for
    // this target, and clippy's wrapper under `cargo clippy`. The jobserver (CARGO_MAKEFLAGS)
    // stays, so the nested build shares the outer one's cores.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_TARGET_DIR",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd.status().expect("cannot run cargo to build the shipped scenarios");
    assert!(
        status.success(),
        "building the shipped scenarios failed (above); RUNNER_EMBED_SCENARIOS=0 builds runner without them"
    );
}

/// Whether this toolchain has the Wasm target's standard library: asked up front, so a missing
/// target is one sentence saying what to run instead of pages of "can't find crate for `core`".
fn wasm_target_installed() -> bool {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let Ok(out) = Command::new(rustc).args(["--print", "sysroot"]).output() else { return true };
    let sysroot = String::from_utf8_lossy(&out.stdout).trim().to_string();
    // When the sysroot cannot be told, let cargo try and say what it says.
    sysroot.is_empty() || Path::new(&sysroot).join("lib/rustlib/wasm32-wasip2").is_dir()
}

fn write_table(file: &Path, workspace: &Path, scenarios: &[Scenario]) {
    let dir = target_dir(workspace).join("wasm32-wasip2").join("scenario");
    let mut table = String::from("&[\n");
    for s in scenarios {
        let wasm = dir.join(format!("{}.wasm", s.name.replace('-', "_")));
        writeln!(
            table,
            "    Shipped {{ name: {:?}, description: {:?}, bytes: include_bytes!({:?}) }},",
            s.name,
            s.description,
            wasm.display().to_string()
        )
        .expect("writing to a String");
    }
    table.push(']');
    std::fs::write(file, table).expect("cannot write the shipped-scenario table to OUT_DIR");
}
