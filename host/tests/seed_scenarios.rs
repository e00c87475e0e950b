//! The scenarios that reproduce today's hand-made benchmark reports (concurrency-test, soak,
//! readiness, breaking-point) play against the simulated server, scaled down, and produce every
//! table those reports hold.

mod common;

use common::{Played, play, scenario};
use runner_reports::{CheckCount, metric};

fn pass_count(run: &Played, phase: &str, check: &str) -> CheckCount {
    let p = run.phase(phase);
    *p.checks.get(check).unwrap_or_else(|| panic!("{phase}: no check {check:?}; checks: {:?}", p.checks))
}

#[test]
fn concurrency_test_shares_a_fixed_number_of_requests() {
    let run = play(
        &scenario("concurrency-test"),
        &[
            "--mock",
            "ttft=10ms,itl=1ms",
            "-p",
            "vus=4",
            "-p",
            "requests=40",
            "-p",
            "max_tokens=16",
            "--threshold",
            "tpot:p95<50ms",
        ],
    );
    run.assert_success();
    assert_eq!(run.summary().phases.len(), 1);
    let p = run.phase("concurrency-test");
    assert_eq!((p.requests, p.iterations.completed, p.errors), (40, 40, 0));
    assert_eq!((p.output_tokens, p.concurrency), (640, Some(4)));
    assert_eq!(
        pass_count(&run, "concurrency-test", "output_tokens == max_tokens"),
        CheckCount { passes: 40, fails: 0 }
    );
    // Every request streamed 16 tokens, so each has a step latency.
    let tpot = p.metrics[&metric::custom("tpot_ms")];
    assert_eq!(tpot.count, 40);
    assert!(tpot.p50 >= 0.5 && tpot.p50 < 20.0, "mock itl is 1 ms, tpot p50 {}", tpot.p50);
    // The command line's threshold, then the three the scenario declares from its parameters.
    let thresholds: Vec<(&str, bool)> =
        run.summary().thresholds.iter().map(|t| (t.expression.as_str(), t.passed)).collect();
    assert_eq!(
        thresholds,
        [("tpot:p95<50ms", true), ("tpot:p99<100ms", true), ("errors:rate<=0", true)],
        "the declared tpot:p95<50ms repeats the command line's and is judged once"
    );
    let md = run.report_md.as_deref().expect("report.md");
    for row in [
        "## End-to-end latency",
        "| Mean latency",
        "| Median (p50) latency",
        "| Std dev",
        "| P95 latency",
        "| P99 latency",
        "| Aggregate throughput",
    ] {
        assert!(md.contains(row), "report.md lacks {row:?}");
    }
}

#[test]
fn soak_alternates_seeded_bursts_with_idle_periods_and_stays_bounded() {
    // time_scale 0.002: 1 h → 7.2 s, bursts every 60 ms during 600 ms stretches, idle 0.6–1.2 s.
    let run = play(
        &scenario("soak"),
        &[
            "--mock",
            "ttft=5ms,itl=1ms",
            "-p",
            "time_scale=0.002",
            "-p",
            "duration=1h",
            "-p",
            "burst_min=2",
            "-p",
            "burst_max=5",
            "-p",
            "max_tokens=4",
        ],
    );
    run.assert_success();
    let s = run.summary();
    assert!(s.duration_s > 7.0 && s.duration_s < 8.5, "7.2 s planned, ran {} s", s.duration_s);
    let bursts: Vec<_> = s.phases.iter().filter(|p| p.name.starts_with("burst-")).collect();
    let idles: Vec<_> = s.phases.iter().filter(|p| p.name.starts_with("idle-")).collect();
    assert!(bursts.len() >= 20, "{} bursts", bursts.len());
    assert!(idles.len() >= 3, "{} idle periods", idles.len());
    for p in &bursts {
        assert!((2..=5).contains(&p.requests), "{}: {} requests", p.name, p.requests);
        assert_eq!((p.errors, p.iterations.completed), (0, p.requests), "{}", p.name);
        // The window tag is the 600 ms slice of the run the burst started in.
        let window: f64 = p.tags["window"].parse().expect("numeric window tag");
        assert!((p.start_s / 0.6 - window).abs() < 1.05, "{} at {} s in window {window}", p.name, p.start_s);
    }
    let sizes: std::collections::BTreeSet<u64> = bursts.iter().map(|p| p.requests).collect();
    assert!(sizes.len() >= 3, "sizes are drawn from the range, got only {sizes:?}");
    for (i, p) in idles.iter().enumerate() {
        assert_eq!((p.executor.as_str(), p.requests), ("pause", 0), "{}", p.name);
        // The last idle period may be cut short by the end of the run.
        let shortest = if i + 1 == idles.len() { 0.0 } else { 0.59 };
        assert!(p.duration_s >= shortest && p.duration_s <= 1.25, "{}: {} s", p.name, p.duration_s);
    }
    let total: u64 = s.phases.iter().map(|p| p.requests).sum();
    let errors: u64 = s.phases.iter().map(|p| p.errors).sum();
    assert_eq!((errors, total), (0, bursts.iter().map(|p| p.requests).sum()));
    // The report judges the soak criteria on the windows.
    let md = run.report_md.as_deref().expect("report.md");
    assert!(md.contains("## Soak windows") && md.contains("## Soak criteria"), "{md}");
    assert!(md.contains("| Errors: none | 0 | ✅ pass |"), "{md}");
}

#[test]
fn readiness_probes_each_row_without_failing_the_run() {
    let run = play(&scenario("readiness"), &["--mock", "ttft=50ms,itl=5ms"]);
    run.assert_success();
    let rows = [
        ("timeout", "timeout: ends in error class timeout", Some(true)),
        ("absurd-max-tokens", "absurd-max-tokens: answers 4xx or caps max_tokens", Some(true)),
        // The mock takes any prompt length, so this row fails there; it must still be recorded.
        ("huge-context", "huge-context: answers 4xx", None),
        ("malformed-body", "malformed-body: answers 4xx", Some(true)),
        ("unreachable", "unreachable: fails with error class connect or denied", Some(true)),
    ];
    let names: Vec<&str> = run.summary().phases.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, rows.map(|r| r.0));
    for (row, check, expect_pass) in rows {
        let c = pass_count(&run, row, check);
        assert_eq!(c.passes + c.fails, 1, "{row}: one probe");
        assert_eq!(run.phase(row).requests, 1, "{row}: one request");
        if let Some(pass) = expect_pass {
            assert_eq!(c.passes == 1, pass, "{row}: {c:?}");
            assert_eq!(run.phase(row).counters.get("probe_passed"), Some(&1), "{row}");
        }
    }
    assert_eq!(run.phase("timeout").errors_by_class.get("timeout"), Some(&1));
}

#[test]
fn readiness_rejects_an_unknown_row() {
    let run = play(&scenario("readiness"), &["-p", "rows=timeout,bogus"]);
    assert!(!run.output.status.success(), "an unknown row is a scenario error");
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(all.contains("unknown row \"bogus\""), "{all}");
}

#[test]
fn breaking_point_finds_the_mock_capacity() {
    // 8 slots, each request holds one for ~150 ms: beyond 8 VUs requests queue and TTFT jumps.
    let run = play(
        &scenario("breaking-point"),
        &[
            "--mock",
            "ttft=20ms,itl=2ms,capacity=8",
            "-p",
            "slo_ttft_p95=100ms",
            "-p",
            "step=1s",
            "-p",
            "max_tokens=64",
        ],
    );
    run.assert_success();
    let s = run.summary();
    let levels: Vec<&str> =
        s.phases.iter().map(|p| p.name.as_str()).filter(|n| n.starts_with("level-")).collect();
    assert_eq!(levels[..3], ["level-4", "level-8", "level-16"], "geometric search first: {levels:?}");
    assert!(levels.len() <= 6, "3 levels and at most 3 bisection steps: {levels:?}");
    for p in s.phases.iter().filter(|p| p.name.starts_with("level-")) {
        assert_eq!(p.tags["concurrency"], p.name["level-".len()..], "{}", p.name);
    }
    let verdict = run.phase("drive");
    let found = verdict.counters["sustainable_concurrency"];
    assert!((4..16).contains(&found), "sustainable concurrency {found}");
    assert_eq!(pass_count(&run, "drive", "found a breaking point"), CheckCount { passes: 1, fails: 0 });
    assert!(s.duration_s < 15.0, "bounded: {} s", s.duration_s);
}

#[test]
fn breaking_point_stops_at_max_level_without_a_break() {
    let run = play(
        &scenario("breaking-point"),
        &["--mock", "ttft=5ms,itl=1ms", "-p", "step=300ms", "-p", "max_level=12", "-p", "max_tokens=4"],
    );
    run.assert_success();
    let names: Vec<&str> = run.summary().phases.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["level-4", "level-8", "level-12", "drive"]);
    assert_eq!(run.phase("drive").counters["sustainable_concurrency"], 12);
    assert_eq!(pass_count(&run, "drive", "found a breaking point"), CheckCount { passes: 0, fails: 1 });
}

#[test]
fn declared_criteria_fail_the_run_with_exit_99() {
    // The mock's 20 ms per token breaks the declared tpot p95 bound of 5 ms.
    let run = play(
        &scenario("concurrency-test"),
        &[
            "--mock",
            "ttft=5ms,itl=20ms",
            "-p",
            "vus=2",
            "-p",
            "requests=4",
            "-p",
            "max_tokens=4",
            "-p",
            "tpot_p95=5ms",
        ],
    );
    assert_eq!(run.output.status.code(), Some(99), "{}", run.stderr);
    let failed: Vec<&str> =
        run.summary().thresholds.iter().filter(|t| !t.passed).map(|t| t.expression.as_str()).collect();
    assert_eq!(failed, ["tpot:p95<5ms"]);
}
