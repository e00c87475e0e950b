//! The runner measures what the simulated server was told to do: TTFT, ITL, TPOT and token
//! counts, an open-loop rate that starts every planned iteration, and sweeps with one row per
//! level. The server's configured delays are the ground truth.

mod common;

use common::{play, scenario};
use runner_reports::metric;

#[test]
fn ttft_probe_measures_the_configured_delays() {
    let run = play(
        &scenario("ttft-probe"),
        &["--mock", "ttft=50ms,itl=10ms", "-p", "requests=8", "-p", "max_tokens=32", "--seed", "1"],
    );
    run.assert_success();
    let p = run.phase("ttft-probe");
    assert_eq!((p.requests, p.errors), (8, 0));
    assert_eq!(p.output_tokens, 8 * 32, "every request got exactly max_tokens");
    assert_eq!(p.tokens.from_usage, 8, "the simulated server sends usage");
    assert_eq!(p.tokens.disagreements, 0);
    let ttft = p.metrics[metric::TTFT];
    assert!((ttft.p50 - 50.0).abs() <= 3.0, "TTFT p50 {} ms, expected 50 ± 3", ttft.p50);
    let itl = p.metrics[metric::ITL];
    assert_eq!(itl.count, 8 * 31, "one gap between each two of the 32 tokens");
    assert!((itl.mean - 10.0).abs() <= 1.0, "ITL mean {} ms, expected 10 ± 1", itl.mean);
    let tpot = p.metrics[metric::TPOT];
    assert!((tpot.mean - 10.0).abs() <= 1.0, "TPOT mean {} ms", tpot.mean);
    let e2e = p.metrics[metric::E2E];
    assert!((e2e.p50 - 360.0).abs() <= 10.0, "E2E p50 {} ms, expected 50 + 31 × 10", e2e.p50);
    assert_eq!(p.checks["output_tokens == max_tokens"].passes, 8);
    let md = run.report_md.as_deref().expect("report.md");
    assert!(md.contains("TTFT") && md.contains("ITL") && md.contains("TPOT"), "{md}");
}

#[test]
fn constant_arrival_rate_starts_every_planned_iteration() {
    let run = play(
        &scenario("rate"),
        &[
            "--mock",
            "ttft=2ms,itl=1ms",
            "-p",
            "rate=200",
            "-p",
            "duration=5s",
            "-p",
            "max_tokens=4",
            "--seed",
            "2",
        ],
    );
    run.assert_success();
    let p = run.phase("rate");
    let i = &p.iterations;
    let started = i.completed + i.failed + i.interrupted;
    assert!((998..=1002).contains(&started), "200/s for 5 s started {started} iterations");
    assert_eq!(i.dropped, 0);
    assert_eq!(p.errors, 0);
    let lag = p.metrics[metric::DISPATCH_LAG];
    assert_eq!(lag.count, started, "every iteration's lateness is recorded");
    let schedule = p.schedule.as_ref().expect("open-loop phases report their schedule");
    assert_eq!(schedule.lag_p99_ms, lag.p99);
    let from_schedule = p.metrics[metric::LATENCY_FROM_SCHEDULE];
    assert!(from_schedule.mean >= p.metrics[metric::E2E].mean, "latency from the schedule includes the lag");
    assert!(run.report_md.as_deref().unwrap_or_default().to_lowercase().contains("dispatch lag"));
}

#[test]
fn poisson_arrivals_are_reproducible_from_the_seed() {
    let args = [
        "--mock",
        "ttft=1ms,itl=1ms",
        "-p",
        "rate=100",
        "-p",
        "duration=2s",
        "-p",
        "max_tokens=2",
        "-p",
        "arrival=poisson",
        "--seed",
        "42",
    ];
    let a = play(&scenario("rate"), &args);
    let b = play(&scenario("rate"), &args);
    a.assert_success();
    let count = |r: &common::Played| r.phase("rate").iterations.completed;
    assert_eq!(count(&a), count(&b), "same seed, same Poisson schedule");
    assert!((120..=280).contains(&count(&a)), "about 200 arrivals expected, got {}", count(&a));
}

#[test]
fn sweep_reports_one_row_per_level_with_the_planned_request_counts() {
    let run = play(
        &scenario("stress-sweep"),
        &["--mock", "ttft=20ms,itl=10ms", "-p", "levels=2,4", "-p", "lengths=8", "-p", "duration=1s"],
    );
    run.assert_success();
    let summary = run.summary();
    let names: Vec<&str> = summary.phases.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["len8-c2", "len8-c4"]);
    for (name, vus) in [("len8-c2", 2u64), ("len8-c4", 4)] {
        let p = run.phase(name);
        assert_eq!(p.concurrency, Some(vus as u32));
        assert_eq!(p.errors, 0);
        // Closed loop: each VU starts iterations back to back until 1 s has passed.
        let per_iteration_ms = p.metrics[metric::ITERATION].mean;
        let per_vu = (1000.0 / per_iteration_ms).ceil() as u64;
        let expected = vus * per_vu;
        assert!(
            p.requests.abs_diff(expected) <= vus,
            "{name}: {} requests, the plan implies {expected} ({vus} VUs × {per_vu})",
            p.requests
        );
        assert_eq!(p.output_tokens, p.requests * 8);
    }
    let md = run.report_md.as_deref().expect("report.md");
    assert!(md.contains("| 2 |") && md.contains("| 4 |"), "one sweep row per level:\n{md}");
}

#[test]
fn goodput_counts_the_requests_that_met_every_slo() {
    let args = |slo: &'static str| {
        ["--mock", "ttft=50ms,itl=10ms", "-p", "requests=4", "-p", "max_tokens=8", "--goodput", slo]
    };
    // Every request: TTFT ≈ 50 ms, E2E ≈ 50 + 7 × 10 = 120 ms.
    let all = play(&scenario("ttft-probe"), &args("ttft=80ms,e2e=200ms"));
    all.assert_success();
    let g = all.phase("ttft-probe").goodput.clone().expect("goodput is reported when SLOs are given");
    assert_eq!((g.good_requests, g.share), (4, 1.0));
    assert_eq!(g.slo, "ttft<=80ms, e2e<=200ms");
    let none = play(&scenario("ttft-probe"), &args("e2e=100ms"));
    assert_eq!(none.phase("ttft-probe").goodput.clone().expect("goodput").good_requests, 0);
    assert!(none.report_md.as_deref().unwrap_or_default().contains("## Goodput"));
    let without = play(&scenario("ttft-probe"), &["-p", "requests=1", "-p", "max_tokens=2"]);
    assert!(without.phase("ttft-probe").goodput.is_none(), "no SLO, no goodput");
}
