//! `--threshold`: a failed criterion exits 99 with the run folder written and the failure in
//! summary.json; criteria that hold exit 0; a malformed one is a usage error before any run.

mod common;

use common::{play, runner, scenario};

/// The TTFT probe against a simulated server whose TTFT is 50 ms, plus `extra` arguments.
fn probe(extra: &[&str]) -> common::Played {
    let mut args =
        vec!["--mock", "ttft=50ms,itl=1ms", "-p", "requests=4", "-p", "max_tokens=4", "--seed", "3"];
    args.extend_from_slice(extra);
    play(&scenario("ttft-probe"), &args)
}

#[test]
fn a_failed_threshold_exits_99_and_is_recorded_with_the_observed_value() {
    let run = probe(&["--threshold", "ttft:p95<20ms", "--threshold", "errors:rate==0"]);
    assert_eq!(run.output.status.code(), Some(99), "stdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);
    let results = &run.summary().thresholds;
    assert_eq!(results.len(), 2);
    let ttft = &results[0];
    assert_eq!((ttft.expression.as_str(), ttft.passed), ("ttft:p95<20ms", false));
    let observed = ttft.observed.expect("an observed TTFT");
    assert!((observed - 50.0).abs() <= 5.0, "observed TTFT p95 {observed} ms, expected about 50");
    assert!(results[1].passed, "{:?}", results[1]);
    assert!(run.stderr.contains("1 threshold(s) failed: ttft:p95<20ms"), "{}", run.stderr);
    assert!(run.stdout.contains("thresholds: 1 of 2 FAILED"), "{}", run.stdout);
    let md = run.report_md.as_deref().expect("report.md is written even when a threshold fails");
    assert!(md.contains("| `ttft:p95<20ms` | in every phase |"), "{md}");
    assert!(md.contains("❌") && md.contains("**1 of 2 failed.**"), "{md}");
}

#[test]
fn thresholds_that_hold_exit_0() {
    let run = probe(&["--threshold", "ttft:p95<500ms", "--threshold", "errors:rate==0"]);
    run.assert_success();
    let results = &run.summary().thresholds;
    assert_eq!(results.len(), 2);
    assert!(results.iter().all(|r| r.passed), "{results:?}");
    assert_eq!(results[1].observed, Some(0.0));
    assert!(run.stdout.contains("thresholds: all 2 passed"), "{}", run.stdout);
}

#[test]
fn a_malformed_threshold_is_a_one_line_usage_error_before_any_run() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("run");
    let output = runner()
        .args(["play", "scenarios/ttft-probe.wasm", "--threshold", "ttft:p99<<2", "--out"])
        .arg(&out)
        .output()
        .expect("running the runner binary");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("threshold 'ttft:p99<<2': '<2' is not a number"), "{stderr}");
    assert!(!out.exists(), "nothing was run");
}

#[test]
fn abort_on_fail_stops_the_run_at_the_first_failed_threshold() {
    let began = std::time::Instant::now();
    let run = common::play(
        &common::scenario("rate"),
        &[
            "--mock",
            "ttft=50ms,itl=1ms",
            "-p",
            "rate=20",
            "-p",
            "duration=60s",
            "-p",
            "max_tokens=2",
            "--threshold",
            "ttft:p95<20ms",
            "--abort-on-fail",
        ],
    );
    assert_eq!(run.output.status.code(), Some(99), "{}", run.stderr);
    assert!(began.elapsed().as_secs() < 20, "stopped early: {:?}", began.elapsed());
    let s = run.summary();
    assert!(
        s.notes[0].starts_with("aborted by --abort-on-fail: threshold ttft:p95<20ms failed"),
        "{:?}",
        s.notes
    );
    assert!(s.phases[0].duration_s < 10.0, "the phase was cut short: {} s", s.phases[0].duration_s);
    assert!(!s.thresholds[0].passed);
}
