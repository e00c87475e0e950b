//! A guest that panics, spins or fails costs its iteration, never the run.

mod common;

use std::time::Instant;

use common::{play, test_guest};

#[test]
fn panicking_iterations_are_counted_and_the_run_goes_on() {
    let run = play(&test_guest("misbehaving"), &["-p", "mode=panic", "-p", "vus=2", "-p", "iterations=3"]);
    run.assert_success();
    let p = run.phase("misbehaving");
    assert_eq!(p.iterations.failed, 6, "each VU's instance is replaced after a trap and goes on");
    assert!(run.summary().notes.iter().any(|n| n.contains("iteration failed")), "{:?}", run.summary().notes);
}

#[test]
fn failing_iterations_keep_their_message() {
    let run = play(&test_guest("misbehaving"), &["-p", "mode=fail", "-p", "iterations=2"]);
    run.assert_success();
    assert_eq!(run.phase("misbehaving").iterations.failed, 2);
}

#[test]
fn an_endless_loop_is_interrupted_by_the_iteration_timeout() {
    let began = Instant::now();
    let run = play(
        &test_guest("misbehaving"),
        &["-p", "mode=loop", "-p", "iterations=2", "--iteration-timeout", "300ms"],
    );
    run.assert_success();
    assert_eq!(run.phase("misbehaving").iterations.failed, 2);
    assert!(began.elapsed().as_secs() < 20, "no hang: {:?}", began.elapsed());
}

#[test]
fn a_drive_that_traps_still_writes_the_report() {
    let run = play(&test_guest("misbehaving"), &["-p", "drive_mode=panic"]);
    assert_eq!(run.output.status.code(), Some(3), "{}", run.stderr);
    assert!(run.summary().notes.iter().any(|n| n.contains("drive() trapped")), "{:?}", run.summary().notes);
}

#[test]
fn a_guest_over_its_memory_cap_fails_its_iteration_and_is_replaced() {
    let guest = test_guest("misbehaving");
    // 128 MiB against a 64 MiB cap: every iteration traps; within the cap they succeed.
    let over = play(
        &guest,
        &["-p", "mode=alloc", "-p", "alloc_mib=128", "-p", "iterations=3", "--guest-memory", "64MiB"],
    );
    over.assert_success();
    assert_eq!(over.phase("misbehaving").iterations.failed, 3);
    let within = play(
        &guest,
        &["-p", "mode=alloc", "-p", "alloc_mib=16", "-p", "iterations=3", "--guest-memory", "64MiB"],
    );
    within.assert_success();
    assert_eq!(within.phase("misbehaving").iterations.completed, 3);
}

#[test]
fn http_to_a_host_off_the_allow_list_is_refused_and_counted() {
    // 127.0.0.2 is not the target's host (127.0.0.1): refused before any byte is sent.
    let run = play(
        &common::scenario("http-get"),
        &["-p", "vus=1", "-p", "duration=300ms", "-p", "path=http://127.0.0.2:9/"],
    );
    run.assert_success();
    let p = run.phase("http-get");
    assert!(p.requests > 0);
    assert_eq!(p.errors_by_class.get("denied"), Some(&p.requests), "{:?}", p.errors_by_class);
    let allowed = play(
        &common::scenario("http-get"),
        &[
            "-p",
            "vus=1",
            "-p",
            "duration=300ms",
            "-p",
            "path=http://127.0.0.2:9/",
            "--allow-host",
            "127.0.0.2:9",
        ],
    );
    assert_eq!(allowed.phase("http-get").errors_by_class.get("denied"), None, "allowed hosts are reached");
}

/// Sends `signal` to the child with the `kill` command (std has no signal API but SIGKILL).
fn signal(child: &std::process::Child, signal: &str) {
    let status = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("running kill");
    assert!(status.success());
}

#[test]
fn ctrl_c_stops_scheduling_and_still_writes_the_report() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("run");
    let child = common::spawn_play(
        &common::scenario("rate"),
        &["--mock", "ttft=2ms,itl=1ms", "-p", "rate=50", "-p", "duration=60s", "-p", "max_tokens=4"],
        &out,
    );
    common::wait_for_first_phase(&out);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let began = Instant::now();
    signal(&child, "-INT");
    let output = child.wait_with_output().expect("waiting for runner");
    assert!(began.elapsed().as_secs() < 10, "stopped promptly: {:?}", began.elapsed());
    assert_eq!(output.status.code(), Some(130), "{}", String::from_utf8_lossy(&output.stderr));
    let text = std::fs::read_to_string(out.join("summary.json")).expect("summary.json written");
    let summary = runner_reports::Summary::from_json(&text).expect("summary parses");
    let phase = &summary.phases[0];
    assert!((50..=250).contains(&phase.requests), "about 2.5 s at 50/s: {}", phase.requests);
    assert!(phase.duration_s < 10.0, "the phase ended at the interrupt: {} s", phase.duration_s);
    assert!(summary.notes.iter().any(|n| n.contains("interrupted")), "{:?}", summary.notes);
}

#[test]
fn a_second_interrupt_stops_at_once() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("run");
    // Iterations sleep 60 s: only a second interrupt can end this quickly.
    let child = common::spawn_play(
        &test_guest("misbehaving"),
        &["-p", "mode=sleep", "-p", "sleep=60s", "-p", "vus=2"],
        &out,
    );
    common::wait_for_first_phase(&out);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let began = Instant::now();
    signal(&child, "-INT");
    std::thread::sleep(std::time::Duration::from_millis(300));
    signal(&child, "-TERM");
    let output = child.wait_with_output().expect("waiting for runner");
    assert!(began.elapsed().as_secs() < 10, "stopped at once: {:?}", began.elapsed());
    assert_eq!(output.status.code(), Some(130));
    let summary = runner_reports::Summary::from_json(
        &std::fs::read_to_string(out.join("summary.json")).expect("summary"),
    )
    .expect("summary parses");
    assert_eq!(summary.phases[0].iterations.interrupted, 2, "both sleeping iterations were cut");
}

#[test]
fn a_guest_logging_in_a_tight_loop_is_capped_and_the_report_says_so() {
    let lines = 20_000u64;
    let run = play(&test_guest("misbehaving"), &["-p", "mode=log-flood", "-p", &format!("lines={lines}")]);
    run.assert_success();
    assert_eq!(run.phase("misbehaving").iterations.completed, 1);
    let printed = run.stderr.lines().filter(|l| l.contains("flood line")).count() as u64;
    let note = run.summary().notes.iter().find(|n| n.contains("log lines were dropped")).cloned();
    let note = note.unwrap_or_else(|| panic!("no cap note in {:?}", run.summary().notes));
    let dropped: u64 = note
        .split_whitespace()
        .find_map(|w| w.parse().ok())
        .unwrap_or_else(|| panic!("no count in {note:?}"));
    // The burst (100) plus 100/s for however long the loop took: a few hundred lines at most.
    assert!((100..1_000).contains(&printed), "{printed} lines reached the host's log");
    assert_eq!(printed + dropped, lines, "every line is either logged or counted: {note}");
}

#[test]
fn a_guest_sees_no_date_and_only_the_runs_own_monotonic_clock() {
    let run = play(&test_guest("misbehaving"), &["-p", "mode=clock", "-p", "iterations=1"]);
    run.assert_success();
    let p = run.phase("misbehaving");
    assert_eq!(
        p.metrics[&runner_reports::metric::custom("wall_clock_s")].max,
        0.0,
        "the wall clock is frozen at the epoch"
    );
    let now = p.metrics[&runner_reports::metric::custom("clock_now_ms")].max;
    assert!(now > 0.0 && now < 60_000.0, "clock.now-ms counts from the run's start: {now}");
}

#[test]
fn a_guest_minting_metric_names_is_capped_and_the_report_says_so() {
    let run = play(&test_guest("misbehaving"), &["-p", "mode=metric-flood", "-p", "lines=1500"]);
    run.assert_success();
    let p = run.phase("misbehaving");
    assert_eq!(p.counters.len(), runner::stats::MAX_METRIC_NAMES);
    assert!(
        run.summary().notes.iter().any(|n| n.contains("500 custom-metric updates were dropped")),
        "{:?}",
        run.summary().notes
    );
}
