//! Values a scenario or a flag hands the host — durations, rates, counts, sizes, names — are
//! bounded before they reach host arithmetic or allocation: refused with one line (the guest
//! sees the error, or the run exits 2 for a flag), or cut with a note in the report. Each test
//! plays the `hostile` test guest (host/tests/guests/hostile) with one `case`; every one of them
//! crashed, hung, allocated gigabytes or wrote unrenderable names before the bounds existed.

mod common;

use std::time::{Duration, Instant};

use common::{Played, play, runner, test_guest};

fn hostile(case: &str, extra: &[&str]) -> Played {
    let case = format!("case={case}");
    let mut args = vec!["-p", case.as_str(), "-q"];
    args.extend_from_slice(extra);
    play(&test_guest("hostile"), &args)
}

/// A `drive` case: `load.run` refuses the phase, `drive` fails with the host's message (exit 3),
/// within seconds, and the message says what the bound is.
fn assert_refused(case: &str, expected: &str) {
    let began = Instant::now();
    let run = hostile(case, &[]);
    assert_eq!(run.output.status.code(), Some(3), "{case}: {}", run.stderr);
    let line = run.stderr.lines().find(|l| l.starts_with("error: the scenario failed")).unwrap_or_default();
    assert!(line.contains(expected), "{case}: expected {expected:?} in: {}", run.stderr);
    assert!(began.elapsed() < Duration::from_secs(30), "{case} took {:?}", began.elapsed());
}

#[test]
fn an_absurd_arrival_rate_is_refused_with_the_maximum() {
    // 2e7/s for 1 s used to be accepted and ran ~6 s (the dispatcher worked through its backlog).
    assert_refused("rate", "rate of 20000000/s is over the maximum of 100000/s per phase");
}

#[test]
fn durations_past_a_week_are_refused_instead_of_run() {
    // Each of these ran "forever" (u64::MAX ms) or set deadlines centuries away.
    assert_refused("duration", "duration-ms of 18446744073709551615 ms is longer than the maximum of 7days");
    assert_refused("stages", "a stage's duration-ms of 9223372036854775808 ms is longer than the maximum");
    assert_refused(
        "rate-stages",
        "a stage's duration-ms of 18446744073709551615 ms is longer than the maximum",
    );
    assert_refused("graceful", "graceful-stop-ms of 18446744073709551615 ms is longer than the maximum");
}

#[test]
fn a_vu_count_past_the_maximum_is_refused_before_any_instance_is_made() {
    assert_refused("vus", "vus of 4294967295 is over the maximum of 100000 VUs per phase");
}

#[test]
fn phase_names_and_tags_that_cannot_be_rendered_are_refused() {
    assert_refused("phase-name", "a phase name \"red\\u{1b}[31m\\nphase\" holds the control character");
    assert_refused("phase-tags", "tag \"model\"'s value is 100000 bytes long; at most 256 are accepted");
}

#[test]
fn a_drive_starting_phases_in_a_loop_is_stopped_at_the_maximum() {
    let run = hostile("phases", &["-p", "count=300"]);
    assert_eq!(run.output.status.code(), Some(3), "{}", run.stderr);
    assert!(
        run.stderr.contains("phase \"p256\" not started: a run may start at most 256 phases"),
        "{}",
        run.stderr
    );
    assert_eq!(run.summary().phases.len(), 256, "the phases that ran are all reported");
}

#[test]
fn declared_thresholds_are_capped() {
    let run = hostile("thresholds", &["-p", "count=300"]);
    // They all fail (the phase makes no requests): exit 99, and the report judges each one.
    assert_eq!(run.output.status.code(), Some(99), "{}", run.stderr);
    assert_eq!(run.summary().thresholds.len(), 256, "the first 256 are kept; drive saw the rest refused");
}

#[test]
fn a_huge_synthetic_prompt_is_cut_with_a_note_not_allocated() {
    // A billion tokens used to be ~5 GB of text built on the host (and a trap copying it into
    // the guest, after ~15 s per iteration).
    let began = Instant::now();
    let run = hostile("huge-prompt", &["-p", "iterations=2"]);
    run.assert_success();
    let p = run.phase("hostile");
    assert_eq!(p.iterations.completed, 2, "{:?}", run.summary().notes);
    let bytes = &p.metrics["custom:prompt_bytes"];
    assert!(bytes.max > 1e6 && bytes.max < 8e6, "about 6 MB: {}", bytes.max);
    assert!(
        run.summary()
            .notes
            .iter()
            .any(|n| n.contains("2 synthetic prompts were cut to the maximum of 1048576 tokens")),
        "{:?}",
        run.summary().notes
    );
    assert!(began.elapsed() < Duration::from_secs(30), "{:?}", began.elapsed());
}

#[test]
fn a_huge_synthetic_prompt_source_is_an_invalid_request_the_guest_sees() {
    // It used to abort the process: "memory allocation of 25769803770 bytes failed".
    let run = hostile("huge-prompt-llm", &["-p", "iterations=2"]);
    run.assert_success();
    let p = run.phase("hostile");
    assert_eq!(p.errors_by_class.get("invalid-request"), Some(&2), "{:?}", p.errors_by_class);
    assert_eq!(p.counters.get("class_invalid-request"), Some(&2), "the guest got the class back");
    assert!(
        run.summary().notes.iter().any(|n| n.contains("over the maximum of 1048576 tokens")),
        "{:?}",
        run.summary().notes
    );
}

#[test]
fn request_values_out_of_bounds_are_invalid_requests_never_sent() {
    for case in ["llm-timeout", "request-tags"] {
        let run = hostile(case, &["-p", "iterations=2"]);
        run.assert_success();
        let p = run.phase("hostile");
        assert_eq!(p.errors_by_class.get("invalid-request"), Some(&2), "{case}: {:?}", p.errors_by_class);
        assert_eq!(p.counters.get("class_invalid-request"), Some(&2), "{case}: {:?}", p.counters);
    }
}

#[test]
fn a_host_panic_inside_an_iteration_is_counted_never_lost() {
    // clock.sleep-ms(1e300) panicked in the host (`Duration::from_secs_f64`): the task died with
    // its VU and the phase reported zero iterations, with no note. Whatever the sleep does now,
    // both iterations must be accounted for.
    let run = hostile("huge-sleep", &["-p", "iterations=2", "--iteration-timeout", "1s"]);
    run.assert_success();
    let i = &run.phase("hostile").iterations;
    assert_eq!(i.completed + i.failed + i.interrupted, 2, "{i:?}; notes {:?}", run.summary().notes);
    if i.failed > 0 && run.summary().notes.iter().any(|n| n.contains("panic")) {
        assert!(
            run.summary().notes.iter().any(|n| n.contains("iterations ended in a panic of the runner")),
            "{:?}",
            run.summary().notes
        );
    }
}

#[test]
fn metric_names_and_tags_that_cannot_be_rendered_are_refused_and_noted() {
    let run = hostile("metric-names", &[]);
    run.assert_success();
    let p = run.phase("hostile");
    assert_eq!(
        p.counters.keys().collect::<Vec<_>>(),
        ["big_counter", "good_counter"],
        "only the renderable names are kept"
    );
    assert!(p.checks.is_empty() && !p.metrics.contains_key("custom:fine"), "{:?}", p.checks);
    assert_eq!(p.counters["big_counter"], u64::MAX, "a counter saturates, never wraps around");
    assert!(
        !p.metrics.contains_key("custom:nan_trend"),
        "a NaN is not recorded as 0: {:?}",
        p.metrics.keys()
    );
    assert!(
        run.summary()
            .notes
            .iter()
            .any(|n| n.contains("1 custom trend values were refused: not a finite number")),
        "{:?}",
        run.summary().notes
    );
    assert!(
        run.summary().notes.iter().any(|n| n.contains("5 custom-metric updates were refused")),
        "{:?}",
        run.summary().notes
    );
}

#[test]
fn a_huge_log_line_is_cut_and_log_bytes_are_capped() {
    // Two 8 MiB lines used to reach stderr whole (16 MiB of output).
    let run = hostile("log-bytes", &["-p", "iterations=2"]);
    run.assert_success();
    assert!(run.stderr.len() < 64 * 1024, "{} bytes of output", run.stderr.len());
    assert!(run.stderr.contains("more bytes cut)"), "the cut line says so");
    // The guest's own escape sequence (clear the screen) reaches the terminal escaped, never raw.
    assert!(
        !run.stderr.contains("\u{1b}[2J") && run.stderr.contains("hostile-escape \\x1b[2J"),
        "{}",
        run.stderr
    );
    assert!(
        run.summary().notes.iter().any(|n| n.contains("2 log lines were cut to 4096 bytes")),
        "{:?}",
        run.summary().notes
    );
}

#[test]
fn a_describe_that_declares_too_much_is_refused_in_one_line() {
    for command in ["inspect", "play"] {
        let out = runner()
            .arg(command)
            .arg(test_guest("hostile-describe"))
            .output()
            .expect("running the runner binary");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{command}: {stderr}");
        let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(
            errors,
            [
                "error: the scenario's describe() is refused: it declares 10000 parameters; at most 256 are accepted"
            ],
            "{command}: {stderr}"
        );
    }
}

#[test]
fn command_line_values_past_their_bounds_are_usage_errors() {
    let guest = test_guest("hostile");
    let guest = guest.to_str().expect("a UTF-8 path");
    for (flags, expected) in [
        (&["--timeout", "100000000000s"][..], "longer than the maximum of 7days"),
        (&["--iteration-timeout", "30days"][..], "longer than the maximum of 7days"),
        (&["--max-vus", "4000000000"][..], "not a VU count from 1 to 100000"),
        (&["--sample-interval", "1ns"][..], "shorter than the minimum of 10ms"),
        (&["--guest-memory", "1000GiB"][..], "over the maximum of 4GiB"),
        (
            &["--mock", "capacity=18446744073709551615"][..],
            "capacity 18446744073709551615 is over the maximum",
        ),
        (&["--mock", "embedding-dim=4000000000"][..], "embedding-dim 4000000000 must be from 1 to 65536"),
        (&["--mock", "itl=1000days"][..], "itl of 86400000000 ms is longer than the maximum of 7days"),
    ] {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let out = runner()
            .args(["play", guest, "-q", "--out"])
            .arg(dir.path().join("run"))
            .args(flags)
            .output()
            .expect("running the runner binary");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{flags:?}: one line: {stderr}");
        assert!(stderr.contains(expected), "{flags:?}: expected {expected:?} in {stderr}");
    }
    // `runner mock` used to panic at start (tokio's semaphore) on this capacity.
    let out = runner()
        .args(["mock", "--addr", "127.0.0.1:0", "--capacity", "18446744073709551615"])
        .output()
        .expect("running the runner binary");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is over the maximum of 1000000") && !stderr.contains("panicked"), "{stderr}");
}
