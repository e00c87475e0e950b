//! Every fault the simulated server can inject ends up in the run summary under one error class,
//! the run still completes (request errors do not fail a run), and no fault can hang or crash the
//! runner. docs/RELIABILITY.md is the table of these results.

mod common;

use std::time::{Duration, Instant};

use common::{Played, play, scenario};

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

#[test]
fn a_malformed_stream_is_malformed_stream() {
    for fault in ["bad-json", "no-done", "garbage", "invalid-utf8"] {
        assert_all_failed_as(fault, "malformed-stream", &[]);
    }
}

#[test]
fn a_malformed_whole_body_is_malformed_stream() {
    for fault in ["bad-json", "garbage", "invalid-utf8"] {
        assert_all_failed_as(fault, "malformed-stream", &["-p", "stream=false"]);
    }
}

/// An event line without `data:` is, by the SSE specification, a field the client must ignore: the
/// request succeeds, one token short, and the runner reports the count disagreeing with `usage`.
#[test]
fn an_event_without_data_prefix_is_ignored_and_shows_as_a_token_disagreement() {
    let run = play_with("no-data-prefix", 3, &[]);
    let p = run.phase("ttft-probe");
    assert_eq!((p.requests, p.errors), (3, 0));
    assert_eq!(p.tokens.disagreements, 3, "usage says 8, the stream carried 7 content events");
}

#[test]
fn a_huge_body_stops_at_the_clients_limit_as_malformed_stream() {
    assert_all_failed_as("huge-body=300MB", "malformed-stream", &["-p", "stream=false"]);
    assert_all_failed_as("huge-body=300MB", "malformed-stream", &[]);
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
