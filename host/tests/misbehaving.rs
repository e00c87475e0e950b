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
