//! Bad input ends in one line on stderr and a non-zero exit code: never a panic, never a hang.

mod common;

use std::path::Path;
use std::process::Output;

use common::{runner, scenario, test_guest};

fn run(args: &[&str]) -> Output {
    runner().env("RUNNER_LOG", "off").args(args).output().expect("running the runner binary")
}

/// Asserts a failure with exactly one line on stderr containing every `needle`.
fn assert_one_line_error(out: &Output, code: i32, needles: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    assert_eq!(out.status.code(), Some(code), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line expected, got:\n{stderr}");
    assert!(stderr.starts_with("error:"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "{needle:?} not in: {stderr}");
    }
    assert_no_part_twice(&stderr);
    stderr
}

/// No part of an error line (between ": ") of more than a few words is said twice, as an error
/// followed by the source its own message already quotes would be.
fn assert_no_part_twice(line: &str) {
    let parts: Vec<&str> = line.split(": ").map(str::trim).filter(|p| p.len() > 12).collect();
    for (i, part) in parts.iter().enumerate() {
        assert!(!parts[i + 1..].contains(part), "{part:?} is said twice in: {line}");
    }
}

fn write_temp(name: &str, bytes: &[u8]) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("writing a test file");
    (dir, path.display().to_string())
}

#[test]
fn a_file_that_is_not_wasm() {
    let (_dir, path) = write_temp("hello.wasm", b"hello, world");
    assert_one_line_error(&run(&["play", &path]), 1, &["not a WebAssembly file"]);
}

#[test]
fn a_truncated_component() {
    let bytes = std::fs::read(scenario("ttft-probe")).expect("reading a scenario");
    let (_dir, path) = write_temp("broken.wasm", &bytes[..bytes.len() / 2]);
    assert_one_line_error(&run(&["play", &path]), 1, &["not a valid component"]);
}

#[test]
fn a_core_module_instead_of_a_component() {
    // The smallest valid core module: magic and version 1, no sections.
    let (_dir, path) = write_temp("core.wasm", b"\0asm\x01\0\0\0");
    assert_one_line_error(&run(&["inspect", &path]), 1, &["core WebAssembly module, not a component"]);
}

#[test]
fn a_component_built_for_another_wit_version() {
    let path = test_guest("wrong-version");
    let out = run(&["play", path.to_str().expect("utf-8 path")]);
    assert_one_line_error(&out, 1, &["runner:scenario@0.5.0", "runner:scenario@0.4.0"]);
}

#[test]
fn a_missing_file() {
    assert_one_line_error(
        &run(&["play", "no/such/scenario.wasm"]),
        1,
        &["cannot read", "no/such/scenario.wasm"],
    );
}

#[test]
fn an_unreachable_target() {
    let path = scenario("ttft-probe");
    // Port 1 on loopback: nothing listens there.
    let out = run(&["play", path.to_str().expect("utf-8 path"), "--target", "http://127.0.0.1:1"]);
    assert_one_line_error(&out, 1, &["cannot reach the target", "127.0.0.1:1"]);
}

#[test]
fn bad_flags_and_values() {
    let path = scenario("ttft-probe");
    let path = path.to_str().expect("utf-8 path");
    assert_one_line_error(&run(&["play", path, "--bogus"]), 2, &["--bogus"]);
    assert_one_line_error(&run(&["play", path, "--timeout=-5s"]), 2, &["--timeout"]);
    assert_one_line_error(&run(&["play", path, "--timeout", "0s"]), 2, &["greater than zero"]);
    assert_one_line_error(&run(&["play", path, "--param", "no-equals-sign"]), 2, &["name=value"]);
    assert_one_line_error(&run(&["play", path, "--mock", "ttft=fast"]), 2, &["ttft=fast"]);
    assert_one_line_error(&run(&["play", path, "--mock", "tokens-per-chunk=0"]), 2, &["tokens-per-chunk=0"]);
    assert_one_line_error(&run(&["play", path, "--mock", "reasoning=some"]), 2, &["reasoning=some"]);
    assert_one_line_error(&run(&["mock", "--tokens-per-chunk", "0"]), 2, &["--tokens-per-chunk"]);
    assert_one_line_error(&run(&["frobnicate"]), 2, &["frobnicate"]);
    assert_one_line_error(
        &run(&["play", path, "--target", "ftp://h/"]),
        2,
        &["not an http:// or https:// URL"],
    );
    assert_one_line_error(&run(&["play", path, "--target", "127.0.0.1:8000"]), 2, &["--target"]);
}

#[test]
fn a_target_carrying_credentials_is_refused_without_echoing_them() {
    let path = scenario("ttft-probe");
    let path = path.to_str().expect("utf-8 path");
    for target in ["http://user:s3cr3t-pw@127.0.0.1:1", "https://user:s3cr3t-pw@example.invalid/v1"] {
        let out = run(&["play", path, "--target", target]);
        let stderr = assert_one_line_error(&out, 2, &["carries credentials", "--api-key-env"]);
        assert!(!stderr.contains("s3cr3t-pw"), "the password is echoed: {stderr}");
    }
}

#[test]
fn an_undeclared_param_is_refused_before_any_traffic() {
    let path = scenario("ttft-probe");
    let out = run(&["play", path.to_str().expect("utf-8 path"), "-p", "nope=1"]);
    assert_one_line_error(&out, 1, &["unknown --param \"nope\"", "max_tokens"]);
}

#[test]
fn a_bad_param_value_fails_the_scenario_with_its_message() {
    let path = scenario("rate");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out_dir = dir.path().join("run");
    let out = runner()
        .env("RUNNER_LOG", "off")
        .args(["play", path.to_str().expect("utf-8 path"), "-p", "rate=-3", "--out"])
        .arg(&out_dir)
        .output()
        .expect("running the runner binary");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "drive() failing is exit code 3: {stderr}");
    assert!(stderr.contains("rate"), "{stderr}");
    assert!(Path::new(&out_dir).join("summary.json").exists(), "the run folder is still written");
}

/// `runner play <rate.wasm> -p <param>` into a throwaway folder: the exit code and stderr.
fn play_rate_with(param: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = runner()
        .env("RUNNER_LOG", "off")
        .arg("play")
        .arg(scenario("rate"))
        .args(["-p", param, "-p", "duration=1s", "--out"])
        .arg(dir.path().join("run"))
        .output()
        .expect("running the runner binary");
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_zero_duration_phase_is_refused_by_the_host() {
    // `-p` order matters: the later `duration` wins, so put the zero last.
    let (code, stderr) = play_rate_with("rate=5");
    assert_eq!(code, Some(0), "{stderr}");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = runner()
        .env("RUNNER_LOG", "off")
        .arg("play")
        .arg(scenario("rate"))
        .args(["-p", "duration=0s", "--out"])
        .arg(dir.path().join("run"))
        .output()
        .expect("running the runner binary");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("duration-ms must be greater than 0"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn an_unknown_arrival_process_fails_the_scenario_with_its_message() {
    let (code, stderr) = play_rate_with("arrival=bogus");
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stderr.contains("\"bogus\" is not uniform, poisson or gamma"), "{stderr}");
}

#[test]
fn a_mock_on_a_port_in_use_is_one_line_and_exit_1() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("binding an ephemeral port");
    let addr = taken.local_addr().expect("a local address").to_string();
    let out = run(&["mock", "--addr", &addr]);
    assert_one_line_error(&out, 1, &["cannot listen on", &addr, "in use"]);
}

#[test]
fn a_component_built_for_the_previous_minor_wit_version_is_refused_naming_both() {
    // 0.2.0 changed `describe`'s records and 0.3.0 the `llm` ones, so a 0.1 guest cannot be
    // linked: refused before it runs.
    let path = test_guest("older-version");
    for cmd in ["play", "inspect"] {
        let out = run(&[cmd, path.to_str().expect("utf-8 path")]);
        assert_one_line_error(&out, 1, &["runner:scenario@0.1.0", "runner:scenario@0.4.0", "rebuild"]);
    }
}

/// A file of `len` bytes that starts with `head` and takes no disk space (sparse).
fn sparse_file(dir: &Path, name: &str, head: &[u8], len: u64) -> String {
    let path = dir.join(name);
    std::fs::write(&path, head).expect("writing a test file");
    std::fs::File::options().write(true).open(&path).and_then(|f| f.set_len(len)).expect("growing it");
    path.display().to_string()
}

#[test]
fn files_over_their_size_limits_are_refused_before_they_are_read() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let wasm = sparse_file(dir.path(), "huge.wasm", b"\0asm\x0d\0\x01\0", (256 << 20) + 1);
    assert_one_line_error(&run(&["play", &wasm]), 1, &["huge.wasm", "larger than the 256 MiB limit"]);
    assert_one_line_error(&run(&["inspect", &wasm]), 1, &["larger than the 256 MiB limit"]);

    let probe = scenario("ttft-probe");
    let probe = probe.to_str().expect("utf-8 path");
    let data = sparse_file(dir.path(), "huge.jsonl", b"{\"prompt\": \"a\"}\n", (1 << 30) + 1);
    let out = run(&["play", probe, "--data", &format!("d={data}")]);
    assert_one_line_error(&out, 1, &["--data d: ", "huge.jsonl", "larger than the 1 GiB limit"]);

    let tokenizer = sparse_file(dir.path(), "tokenizer.json", b"{", (128 << 20) + 1);
    let out = run(&["play", probe, "--tokenizer", &tokenizer]);
    assert_one_line_error(&out, 1, &["--tokenizer ", "larger than the 128 MiB limit"]);
}

#[test]
fn a_failing_drive_is_reported_once_on_stderr() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = runner()
        .env("RUNNER_LOG", "info")
        .args(["play", scenario("rate").to_str().expect("utf-8 path"), "-p", "rate=-3", "--out"])
        .arg(dir.path().join("run"))
        .output()
        .expect("running the runner binary");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let message = "rate must be a finite number";
    let times = stdout.matches(message).count() + stderr.matches(message).count();
    assert_eq!(times, 1, "printed once, not {times} times:\nstdout:\n{stdout}\nstderr:\n{stderr}");
    let last = stderr.trim_end().lines().last().unwrap_or_default();
    assert!(last.starts_with("error: the scenario failed: ") && last.contains(message), "{stderr}");
    let summary = std::fs::read_to_string(dir.path().join("run/summary.json")).expect("summary.json written");
    assert!(summary.contains(message), "the run folder keeps it");
}

#[test]
fn extra_body_cannot_replace_what_the_host_builds() {
    let probe = scenario("ttft-probe");
    for (extra, field) in [
        (r#"{"stream": false}"#, "stream"),
        (r#"{"stream_options": {"include_usage": false}}"#, "stream_options"),
        (r#"{"prompt": "other"}"#, "prompt"),
        (r#"{"model": "other"}"#, "model"),
        (r#"{"max_completion_tokens": 1}"#, "max_completion_tokens"),
    ] {
        let param = format!("extra_body={extra}");
        let run =
            common::play(&probe, &["-q", "--mock", "ttft=1ms,itl=1ms", "-p", "requests=2", "-p", &param]);
        run.assert_success();
        let p = run.phase("ttft-probe");
        assert_eq!(p.requests, 2, "{extra}");
        assert_eq!(p.errors_by_class.get("invalid-request"), Some(&2), "{extra}: {:?}", p.errors_by_class);
        let named = format!("`{field}`");
        assert!(
            run.summary().notes.iter().any(|n| n.contains("extra_body") && n.contains(&named)),
            "{extra}: the message names {named}: {:?}",
            run.summary().notes
        );
    }
    // Fields the host does not build pass through.
    let run = common::play(
        &probe,
        &["-q", "--mock", "ttft=1ms,itl=1ms", "-p", "requests=2", "-p", r#"extra_body={"temperature": 0}"#],
    );
    run.assert_success();
    assert_eq!(run.phase("ttft-probe").errors, 0, "{:?}", run.phase("ttft-probe").errors_by_class);
}
