//! Every fault the simulated server can inject ends up in the run summary under one error class,
//! the run still completes (request errors do not fail a run), and no fault can hang or crash the
//! runner. docs/RELIABILITY.md is the table of these results.

mod common;

use std::time::{Duration, Instant};

use common::{MockProcess, Played, play, scenario};

/// No faulted run may take longer than this, whatever the fault.
const BOUND: Duration = Duration::from_secs(30);

/// Plays ttft-probe for `requests` streaming requests of 8 tokens against the simulated server with
/// `fault`, with a 2 s request timeout, and checks the run was bounded and exited 0.
fn play_with(fault: &str, requests: u32, extra: &[&str]) -> Played {
    let mock = format!("ttft=5ms,itl=2ms,fault={fault}");
    let requests = format!("requests={requests}");
    let mut args =
        vec!["--mock", &mock, "-p", &requests, "-p", "max_tokens=8", "--timeout", "2s", "--seed", "1"];
    args.extend_from_slice(extra);
    let started = Instant::now();
    let run = play(&scenario("ttft-probe"), &args);
    let took = started.elapsed();
    assert!(took < BOUND, "{fault}: the run took {took:?}");
    assert!(!run.stderr.contains("panicked"), "{fault}: the runner panicked:\n{}", run.stderr);
    run.assert_success();
    run
}

/// Asserts that every one of the probe's 3 requests failed, all with `class`.
fn assert_all_failed_as(fault: &str, class: &str, extra: &[&str]) {
    let run = play_with(fault, 3, extra);
    let p = run.phase("ttft-probe");
    let classes: Vec<(&str, u64)> =
        p.errors_by_class.iter().filter(|(_, n)| **n > 0).map(|(c, n)| (c.as_str(), *n)).collect();
    assert_eq!(classes, [(class, 3)], "{fault} {extra:?}: errors by class");
    assert_eq!((p.requests, p.errors), (3, 3), "{fault} {extra:?}");
    assert_eq!(p.iterations.failed, 3, "{fault} {extra:?}: each failed request fails its iteration");
}

#[test]
fn an_error_status_is_http_status() {
    for code in ["429", "500", "503"] {
        assert_all_failed_as(&format!("status={code}"), "http-status", &[]);
    }
}

#[test]
fn a_reset_before_the_headers_is_reset() {
    assert_all_failed_as("reset-before-headers", "reset", &[]);
}

#[test]
fn a_reset_mid_stream_is_reset() {
    assert_all_failed_as("reset-mid-stream", "reset", &[]);
    assert_all_failed_as("reset-mid-stream", "reset", &["-p", "stream=false"]);
}

#[test]
fn a_stall_mid_stream_is_timeout() {
    assert_all_failed_as("stall-mid-stream=10s", "timeout", &[]);
}

#[test]
fn headers_later_than_the_timeout_are_timeout() {
    assert_all_failed_as("slow-headers=10s", "timeout", &[]);
}

#[test]
fn headers_within_the_timeout_are_only_slow() {
    let run = play_with("slow-headers=300ms", 3, &[]);
    let p = run.phase("ttft-probe");
    assert_eq!((p.requests, p.errors), (3, 0));
    let ttft = p.metrics[runner_reports::metric::TTFT];
    assert!(ttft.min >= 300.0, "TTFT includes the header delay: min {} ms", ttft.min);
}

/// A server that sends `[DONE]` and then keeps the response open: each answer ends at `[DONE]`, far
/// below the 2 s timeout, and the VU's next request does not wait behind the held connection.
#[test]
fn a_stream_held_open_after_done_ends_at_done() {
    let run = play_with("hold-after-done", 3, &[]);
    let p = run.phase("ttft-probe");
    assert_eq!((p.requests, p.errors, p.output_tokens), (3, 0, 24), "{:?}", p.errors_by_class);
    assert_eq!(p.iterations.completed, 3, "the one VU's three requests, one after another");
    // The server sends token k at ttft + k·itl after the request arrives: the 8th at 5 + 7·2 = 19 ms,
    // then `[DONE]` at once. The upper bound leaves room for a loaded machine, not for the timeout.
    let e2e = p.metrics[runner_reports::metric::E2E];
    assert!(e2e.min >= 19.0, "E2E includes every token: min {} ms", e2e.min);
    assert!(e2e.max < 500.0, "E2E ends at [DONE], not at the 2 s timeout: max {} ms", e2e.max);
}

#[test]
fn a_malformed_stream_is_malformed_stream() {
    for fault in ["bad-json", "no-data-prefix", "no-done", "garbage", "invalid-utf8"] {
        assert_all_failed_as(fault, "malformed-stream", &[]);
    }
}

#[test]
fn a_malformed_whole_body_is_malformed_stream() {
    for fault in ["bad-json", "garbage", "invalid-utf8"] {
        assert_all_failed_as(fault, "malformed-stream", &["-p", "stream=false"]);
    }
}

/// `no-data-prefix` changes only streams: a whole body is left intact and succeeds.
#[test]
fn no_data_prefix_leaves_a_whole_body_alone() {
    let run = play_with("no-data-prefix", 3, &["-p", "stream=false"]);
    let p = run.phase("ttft-probe");
    assert_eq!((p.requests, p.errors, p.output_tokens), (3, 0, 24));
}

#[test]
fn a_huge_body_stops_at_the_clients_limit_as_malformed_stream() {
    assert_all_failed_as("huge-body=300MB", "malformed-stream", &["-p", "stream=false"]);
    assert_all_failed_as("huge-body=300MB", "malformed-stream", &[]);
}

/// Peak resident memory (`VmHWM`, KiB) of a `runner play` of ttft-probe against a `runner mock`
/// with `fault` in its own process, so the figure is the client's alone (an in-process mock's
/// buffers for the 300 MB body would be counted too), polled until it exits (the high-water mark
/// only rises, so any read after the peak sees it).
fn peak_rss_kib(fault: &str, extra: &[&str]) -> u64 {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mock = MockProcess::start(&["--ttft-ms", "5", "--itl-ms", "2", "--fault", fault]);
    let mut child = common::runner()
        // One malloc arena: with glibc's default of one per thread, buffers freed on one tokio worker
        // are kept in its arena while the other allocates anew, and the peak swings 35–69 MiB from
        // run to run for the same buffering (36 MiB every time with one arena). The test is about
        // what the client buffers, not about glibc's retention.
        .env("MALLOC_ARENA_MAX", "1")
        .arg("play")
        .arg(scenario("ttft-probe"))
        .args(["--quiet", "--target", &mock.url, "-p", "requests=3", "-p", "max_tokens=8", "--timeout", "5s"])
        .args(extra)
        .arg("--out")
        .arg(dir.path().join("run"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("starting runner play");
    let mut peak = 0;
    let started = Instant::now();
    while child.try_wait().expect("polling the runner").is_none() {
        assert!(started.elapsed() < BOUND, "{fault}: the run took longer than {BOUND:?}");
        let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
        let hwm = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.split_whitespace().next().and_then(|n| n.parse::<u64>().ok()));
        peak = peak.max(hwm.unwrap_or(0));
        std::thread::sleep(Duration::from_millis(5));
    }
    peak
}

/// A 300 MB answer costs the client at most its 16 MiB limit (checked before a byte past it is
/// buffered), not 300 MB: against a run with a small answer, the peak grows by less than 40 MiB
/// (16 MiB buffered, plus the allocator's and hyper's slack).
#[test]
fn a_huge_body_is_read_in_bounded_memory() {
    let small = peak_rss_kib("status=500", &[]);
    for extra in [&[][..], &["-p", "stream=false"][..]] {
        let huge = peak_rss_kib("huge-body=300MB", extra);
        println!("peak RSS {extra:?}: small answers {small} KiB, 300 MB answers {huge} KiB");
        assert!(huge < small + 40 * 1024, "{extra:?}: peak {huge} KiB against {small} KiB for small answers");
    }
}

#[test]
fn half_the_requests_fail_at_rate_one_half() {
    let run = play_with("status=503@0.5", 40, &[]);
    let p = run.phase("ttft-probe");
    assert_eq!(p.requests, 40);
    let failed = p.errors_by_class.get("http-status").copied().unwrap_or(0);
    assert!((10..=30).contains(&failed), "{failed} of 40 failed at rate 0.5");
    assert_eq!(p.errors, failed, "no other class of error");
    assert_eq!(p.iterations.completed, 40 - failed, "the rest succeeded");
    assert_eq!(p.output_tokens, (40 - failed) * 8);
}

#[test]
fn a_bad_fault_spec_is_a_usage_error() {
    let run = play(&scenario("ttft-probe"), &["--mock", "fault=status=200"]);
    assert_eq!(run.output.status.code(), Some(2), "{}", run.stderr);
    assert!(run.stderr.contains("400 to 599"), "{}", run.stderr);
    let run = play(&scenario("ttft-probe"), &["--mock", "fault=no-done@0.6,fault=garbage@0.6"]);
    assert_eq!(run.output.status.code(), Some(2), "{}", run.stderr);
    assert!(run.stderr.contains("more than 1"), "{}", run.stderr);
}
