//! The scenarios shipped inside the binary: `runner list` names every Rust scenario crate in
//! scenarios/, and each plays by name from any directory, with no .wasm file and no toolchain,
//! recording the digest of exactly what ran.

mod common;

use std::path::Path;
use std::process::Output;

use common::{repo_root, runner, scenario};
use runner_reports::Summary;
use sha2::{Digest, Sha256};

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().fold(String::from("sha256:"), |mut s, b| {
        s.push_str(&format!("{b:02x}"));
        s
    })
}

/// The Rust scenario crates in scenarios/, from the file system.
fn scenario_crates() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(repo_root().join("scenarios"))
        .expect("scenarios/")
        .filter_map(Result::ok)
        .filter(|e| e.path().join("Cargo.toml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// `runner ARGS…` run from `dir`.
fn runner_in(dir: &Path, args: &[&str]) -> Output {
    runner().current_dir(dir).args(args).output().expect("running runner")
}

fn text(out: &Output) -> (String, String) {
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn list_names_every_rust_scenario_crate_with_its_description() {
    let out = runner().arg("list").output().expect("running runner");
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let listed: Vec<&str> =
        stdout.lines().take_while(|l| !l.is_empty()).filter_map(|l| l.split_whitespace().next()).collect();
    assert_eq!(listed, scenario_crates(), "{stdout}");
    let sweep = stdout.lines().find(|l| l.starts_with("stress-sweep ")).expect("stress-sweep listed");
    assert!(sweep.contains("closed-loop concurrency sweeps"), "{sweep}");
    assert!(!stdout.contains("-py") && !stdout.contains("-js"), "the SDK examples are not shipped: {stdout}");
}

#[test]
fn a_shipped_scenario_plays_by_name_outside_the_checkout_and_records_its_digest() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = runner_in(
        dir.path(),
        &["play", "stress-sweep", "-p", "levels=1,2", "-p", "lengths=4", "-p", "duration=1s", "--out", "run"],
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    let summary =
        Summary::from_json(&std::fs::read_to_string(dir.path().join("run/summary.json")).expect("summary"))
            .expect("summary.json parses");
    assert_eq!(summary.scenario.name, "stress-sweep");
    assert_eq!(summary.scenario.path, format!("shipped:stress-sweep@{}", env!("CARGO_PKG_VERSION")));
    // `just scenarios` copies the same build output the binary embeds to scenarios/.
    let file = std::fs::read(scenario("stress-sweep")).expect("scenarios/stress-sweep.wasm");
    assert_eq!(summary.scenario.digest, sha256(&file));
    let run_json = std::fs::read_to_string(dir.path().join("run/run.json")).expect("run.json");
    assert!(run_json.contains(&sha256(&file)), "run.json records the digest: {run_json}");
    assert_eq!(summary.phases.len(), 2, "one phase per level: {stdout}");
    assert!(summary.phases.iter().all(|p| p.requests > 0 && p.errors == 0), "{stdout}");
}

#[test]
fn a_file_wins_over_a_shipped_name_and_a_typo_lists_the_names() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    // A file called like a shipped scenario is the user's own: it is what runs.
    std::fs::copy(scenario("http-get"), dir.path().join("ttft-probe")).expect("copy");
    let out = runner_in(dir.path(), &["inspect", "ttft-probe"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.starts_with("http-get "), "{stdout}");
    assert!(stdout.contains("from: ttft-probe (sha256:"), "{stdout}");

    let out = runner_in(dir.path(), &["play", "stress-swep"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "a usage error: {stderr}");
    assert!(stderr.contains("\"stress-swep\"") && stderr.contains("stress-sweep,"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");

    // Something that looks like a path stays one: "cannot read", not "no shipped scenario".
    let out = runner_in(dir.path(), &["play", "missing.wasm"]);
    let (_, stderr) = text(&out);
    assert!(!out.status.success() && stderr.contains("cannot read missing.wasm"), "{stderr}");
}

#[test]
fn play_name_help_lists_the_shipped_scenarios_parameters() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = runner_in(dir.path(), &["play", "ttft-probe", "--help"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("--target") && stdout.contains("Scenario ttft-probe 0.1.0"), "{stdout}");
    assert!(stdout.contains("max_tokens"), "{stdout}");
}
