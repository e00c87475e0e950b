//! One Ctrl-C or SIGTERM ends a run within the graceful stop, whatever the scenario is doing: a
//! `drive` that sleeps, an iteration that sleeps, the shipped soak scenario between bursts. And
//! a sleep's length, which the guest controls, never reaches host arithmetic unchecked.
//! Every run is a real `runner play` process signalled with `kill`; the run folder is read after.

mod common;

use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use common::{play, test_guest};

fn signal(child: &Child, signal: &str) {
    let status = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("running kill");
    assert!(status.success());
}

/// Waits (up to 60 s) until the run writing into `out` has written `run.json`: it is past
/// preparation, driving, and watching signals.
fn wait_for_start(out: &Path) {
    let began = Instant::now();
    while !out.join("run.json").exists() {
        assert!(began.elapsed() < Duration::from_secs(60), "no run.json in {} within 60 s", out.display());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Sends SIGTERM once the run has gone for `after`, and returns how long the runner took to
/// exit, its stderr and the summary it wrote.
fn terminate(child: Child, out: &Path, after: Duration) -> (Duration, String, runner_reports::Summary) {
    std::thread::sleep(after);
    let began = Instant::now();
    signal(&child, "-TERM");
    let output = child.wait_with_output().expect("waiting for runner");
    let took = began.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(130), "exit 130 after SIGTERM; stderr:\n{stderr}");
    let text = std::fs::read_to_string(out.join("summary.json"))
        .unwrap_or_else(|e| panic!("summary.json written ({e}); stderr:\n{stderr}"));
    let summary = runner_reports::Summary::from_json(&text).expect("summary parses");
    assert!(out.join("report.md").exists(), "report.md written");
    assert!(summary.notes.iter().any(|n| n.contains("interrupted")), "{:?}", summary.notes);
    (took, stderr, summary)
}

#[test]
fn sigterm_ends_a_drive_that_sleeps_at_once() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("run");
    // drive sleeps 60 s before its phase: before the fix the first signal never ended it.
    let child = common::spawn_play(
        &test_guest("sleepy"),
        &["--mock", "ttft=1ms", "-p", "drive_sleep_ms=60000", "-p", "phase=run"],
        &out,
    );
    wait_for_start(&out);
    let (took, stderr, summary) = terminate(child, &out, Duration::from_secs(1));
    // No phase is running: nothing to wait for but the folder to be written.
    assert!(took < Duration::from_secs(5), "ended within 5 s of SIGTERM: {took:?}\n{stderr}");
    assert!(summary.phases.is_empty(), "no phase ran: {:?}", summary.phases);
}

#[test]
fn sigterm_ends_a_drive_that_sleeps_while_its_phase_runs_within_the_graceful_stop() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("run");
    // The phase (60 s, graceful stop 2 s) was started with load.start; drive sleeps 60 s.
    let child = common::spawn_play(
        &test_guest("sleepy"),
        &[
            "--mock",
            "ttft=1ms",
            "-p",
            "phase=start",
            "-p",
            "drive_sleep_ms=60000",
            "-p",
            "iteration_sleep_ms=100",
            "-p",
            "duration=60s",
            "-p",
            "graceful=2s",
        ],
        &out,
    );
    common::wait_for_first_phase(&out);
    let (took, stderr, summary) = terminate(child, &out, Duration::from_secs(1));
    assert!(took < Duration::from_secs(2 + 3), "within the 2 s graceful stop + 3 s: {took:?}\n{stderr}");
    let phase = &summary.phases[0];
    assert!(phase.iterations.completed >= 5, "the phase ran until the signal: {:?}", phase.iterations);
    assert!(phase.duration_s < 5.0, "the phase ended at the signal: {} s", phase.duration_s);
}

#[test]
fn sigterm_ends_an_iteration_that_sleeps_within_its_graceful_stop() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("run");
    let child = common::spawn_play(
        &test_guest("sleepy"),
        &[
            "--mock",
            "ttft=1ms",
            "-p",
            "iteration_sleep_ms=60000",
            "-p",
            "vus=2",
            "-p",
            "duration=60s",
            "-p",
            "graceful=2s",
        ],
        &out,
    );
    common::wait_for_first_phase(&out);
    let (took, stderr, summary) = terminate(child, &out, Duration::from_secs(1));
    assert!(took < Duration::from_secs(2 + 3), "within the 2 s graceful stop + 3 s: {took:?}\n{stderr}");
    let phase = &summary.phases[0];
    assert_eq!(phase.iterations.interrupted, 2, "both sleeping iterations cut: {:?}", phase.iterations);
}

#[test]
fn sigterm_ends_the_shipped_soak_scenario_within_a_containers_stop_grace() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("run");
    // Defaults: a burst every 30 s. After the first burst drive sleeps until the next one.
    let child = common::spawn_play(
        &common::scenario("soak"),
        &["--mock", "ttft=1ms,itl=1ms", "-p", "burst_min=2", "-p", "burst_max=2", "-p", "max_tokens=2"],
        &out,
    );
    common::wait_for_first_phase(&out);
    let (took, stderr, _) = terminate(child, &out, Duration::from_secs(2));
    // Docker's default stop grace before SIGKILL.
    assert!(took < Duration::from_secs(10), "within 10 s of SIGTERM: {took:?}\n{stderr}");
}

#[test]
fn a_sleep_the_host_cannot_honour_fails_drive_with_one_line() {
    for bad in ["1e300", "inf", "NaN", "-inf"] {
        let arg = format!("drive_sleep_ms={bad}");
        let run = play(&test_guest("sleepy"), &["--mock", "ttft=1ms", "-p", &arg, "-p", "phase=none"]);
        assert_eq!(run.output.status.code(), Some(3), "{bad}: drive fails, exit 3\n{}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{bad}: no panic\n{}", run.stderr);
        assert!(
            run.summary().notes.iter().any(|n| n.contains("clock.sleep-ms(")),
            "{bad}: the note names the sleep: {:?}",
            run.summary().notes
        );
    }
}

#[test]
fn a_negative_sleep_returns_at_once() {
    let began = Instant::now();
    let run =
        play(&test_guest("sleepy"), &["--mock", "ttft=1ms", "-p", "drive_sleep_ms=-5", "-p", "phase=none"]);
    run.assert_success();
    assert!(began.elapsed() < Duration::from_secs(20), "{:?}", began.elapsed());
}

#[test]
fn a_huge_sleep_in_an_iteration_fails_that_iteration_and_the_phase_says_so() {
    let run = play(
        &test_guest("sleepy"),
        &["--mock", "ttft=1ms", "-p", "iteration_sleep_ms=1e300", "-p", "duration=1s"],
    );
    run.assert_success();
    assert!(!run.stderr.contains("panicked"), "no panic\n{}", run.stderr);
    let phase = run.phase("sleepy");
    assert!(phase.iterations.failed >= 1, "the iterations failed, counted: {:?}", phase.iterations);
    assert_eq!(phase.iterations.completed, 0, "{:?}", phase.iterations);
    assert!(
        run.summary().notes.iter().any(|n| n.contains("clock.sleep-ms(")),
        "a note names the sleep: {:?}",
        run.summary().notes
    );
}
