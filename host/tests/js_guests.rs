//! JavaScript scenarios (guests/js, QuickJS) against their Rust twins: the same phases, tags and
//! request counts, and TTFT within the same tolerance, because the host measures whatever the
//! guest's language. Components are built by `just scenarios` from scenarios/*-js/scenario.js.

mod common;

use common::{play, runner, scenario};
use runner_reports::{Summary, metric};

/// One phase as both languages must report it: name, tags, requests, errors, output tokens.
type Row = (String, Vec<(String, String)>, u64, u64, u64);

/// Every phase's [`Row`], in phase order.
fn rows(s: &Summary) -> Vec<Row> {
    s.phases
        .iter()
        .map(|p| {
            let tags = p.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            (p.name.clone(), tags, p.requests, p.errors, p.output_tokens)
        })
        .collect()
}

#[test]
fn ttft_probe_js_matches_its_rust_twin() {
    let args = ["--mock", "ttft=50ms,itl=10ms", "-p", "requests=8", "-p", "vus=2", "-p", "max_tokens=16"];
    let rust = play(&scenario("ttft-probe"), &args);
    let js = play(&scenario("ttft-probe-js"), &args);
    rust.assert_success();
    js.assert_success();
    assert_eq!(rows(js.summary()), rows(rust.summary()));
    for run in [&rust, &js] {
        let p = run.phase("ttft-probe");
        assert_eq!((p.requests, p.errors, p.output_tokens), (16, 0, 16 * 16), "{}", run.stderr);
        assert_eq!(p.checks["output_tokens == max_tokens"].passes, 16);
        // The same tolerance as host/tests/measurements.rs gives the Rust probe.
        let ttft = p.metrics[metric::TTFT];
        assert!((ttft.p50 - 50.0).abs() <= 3.0, "TTFT p50 {} ms, expected 50 ± 3", ttft.p50);
        assert_eq!(p.metrics[metric::ITL].count, 16 * 15);
    }
    let (r, j) = (rust.phase("ttft-probe"), js.phase("ttft-probe"));
    let gap = (r.metrics[metric::TTFT].p50 - j.metrics[metric::TTFT].p50).abs();
    assert!(gap <= 3.0, "TTFT p50 differs by {gap} ms between the Rust and JS probes");
}

#[test]
fn stress_sweep_js_matches_its_rust_twin() {
    // An iteration takes 100 + 7 × 20 = 240 ms, so in 1.1 s each VU starts exactly 5 (at 0, 240,
    // 480, 720 and 960 ms): 35 ms of slack per iteration before a sixth could not start in time.
    let args =
        ["--mock", "ttft=100ms,itl=20ms", "-p", "levels=2,4", "-p", "lengths=8", "-p", "duration=1100ms"];
    let rust = play(&scenario("stress-sweep"), &args);
    let js = play(&scenario("stress-sweep-js"), &args);
    rust.assert_success();
    js.assert_success();
    let (r, j) = (rows(rust.summary()), rows(js.summary()));
    assert_eq!(j, r, "phases, tags, requests, errors and tokens");
    let names: Vec<&str> = j.iter().map(|row| row.0.as_str()).collect();
    assert_eq!(names, ["len8-c2", "len8-c4"]);
    for (name, vus) in [("len8-c2", 2u64), ("len8-c4", 4)] {
        for run in [&rust, &js] {
            let p = run.phase(name);
            assert_eq!((p.requests, p.errors), (5 * vus, 0), "{name}");
            let ttft = p.metrics[metric::TTFT];
            assert!((ttft.p50 - 100.0).abs() <= 5.0, "{name}: TTFT p50 {} ms, expected 100 ± 5", ttft.p50);
        }
    }
}

#[test]
fn hundreds_of_js_vus_run_at_once() {
    let run = play(
        &scenario("stress-sweep-js"),
        &["--mock", "ttft=200ms,itl=1ms", "-p", "levels=300", "-p", "lengths=2", "-p", "duration=500ms"],
    );
    run.assert_success();
    let p = run.phase("len2-c300");
    // Each of the 300 VUs starts one iteration at once (it lasts past the 500 ms only on a slow machine).
    assert!(p.requests >= 300 && p.errors == 0, "{} requests, {} errors", p.requests, p.errors);
    assert_eq!(p.concurrency, Some(300));
}

#[test]
fn a_js_scenario_s_param_kinds_are_checked_before_any_traffic() {
    // The JS SDK declares `levels` an integer list from its default, as the Rust SDK does.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = runner()
        .env("RUNNER_LOG", "off")
        .args(["play", "--quiet", "-p", "levels=2,x", "--out"])
        .arg(dir.path().join("run"))
        .arg(scenario("stress-sweep-js"))
        .output()
        .expect("running runner");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("--param levels=") && stderr.contains("integer-list"), "{stderr}");
    assert!(!dir.path().join("run").join("summary.json").exists(), "no run was started");
}

#[test]
fn inspect_describes_a_js_package() {
    let out = runner().arg("inspect").arg(scenario("stress-sweep-js")).output().expect("running runner");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.starts_with("stress-sweep-js 0.1.0"), "{stdout}");
    assert!(stdout.contains("levels") && stdout.contains("[20,24,32,48,64]"), "{stdout}");
    assert!(stdout.contains("runner:scenario/llm@0.4.0"), "{stdout}");
    assert!(stdout.contains("built for: runner:scenario@0.4.0"), "{stdout}");
    assert!(!stdout.contains("wasi:"), "the QuickJS build imports no WASI: {stdout}");
}
