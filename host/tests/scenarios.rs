//! Every shipped scenario plays against the simulated server, and `inspect` describes packages.

mod common;

use common::{play, runner, scenario};
use runner_reports::metric;

#[test]
fn inspect_shows_name_version_wit_and_parameters() {
    let out = runner().arg("inspect").arg(scenario("stress-sweep")).output().expect("running runner");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.starts_with("stress-sweep 0.1.0"), "{stdout}");
    assert!(stdout.contains("built for: runner:scenario@0.4.0"), "{stdout}");
    assert!(stdout.contains("levels") && stdout.contains("[20,24,32,48,64]"), "{stdout}");
    assert!(stdout.contains("runner:scenario/llm@0.4.0"), "imports are listed: {stdout}");
}

#[test]
fn a_second_load_comes_from_the_compile_cache() {
    let cache = tempfile::tempdir().expect("a temporary directory");
    let inspect = || {
        let out = runner()
            .env("RUNNER_CACHE_DIR", cache.path())
            .env("RUNNER_LOG", "info")
            .arg("inspect")
            .arg(scenario("burst"))
            .output()
            .expect("running runner");
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    assert!(inspect().contains("(compiled)"));
    assert!(inspect().contains("compiled code from the cache"));
}

#[test]
fn burst_starts_each_burst_at_once_with_gaps_between() {
    let run = play(
        &scenario("burst"),
        &[
            "--mock",
            "ttft=10ms,itl=1ms",
            "-p",
            "bursts=2",
            "-p",
            "size=20",
            "-p",
            "gap=300ms",
            "-p",
            "max_tokens=4",
        ],
    );
    run.assert_success();
    let names: Vec<&str> = run.summary().phases.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["burst-1", "gap-1", "burst-2"]);
    for name in ["burst-1", "burst-2"] {
        let p = run.phase(name);
        assert_eq!((p.requests, p.iterations.completed, p.errors), (20, 20, 0), "{name}");
        // All 20 were released at the same instant, so none waited for another.
        assert!(p.metrics[metric::DISPATCH_LAG].max < 50.0, "{name}: {:?}", p.metrics[metric::DISPATCH_LAG]);
    }
    let gap = run.phase("gap-1");
    assert_eq!(gap.requests, 0);
    assert!((gap.duration_s - 0.3).abs() < 0.05, "the gap lasted {} s", gap.duration_s);
}

#[test]
fn mixed_runs_short_and_long_traffic_side_by_side() {
    let run = play(
        &scenario("mixed"),
        &[
            "--mock",
            "ttft=5ms,itl=2ms",
            "-p",
            "duration=1s",
            "-p",
            "short_rate=20",
            "-p",
            "short_tokens=4",
            "-p",
            "long_vus=2",
            "-p",
            "long_tokens=32",
        ],
    );
    run.assert_success();
    let (short, long) = (run.phase("short"), run.phase("long"));
    assert!((short.start_s - long.start_s).abs() < 0.2, "both phases start together");
    assert!((18..=22).contains(&short.requests), "20/s for 1 s: {}", short.requests);
    assert!(long.requests >= 2 && long.output_tokens == long.requests * 32);
    assert_eq!(short.output_tokens, short.requests * 4);
}

#[test]
fn ramp_rises_and_falls() {
    let run = play(
        &scenario("ramp"),
        &[
            "--mock",
            "ttft=5ms,itl=1ms",
            "-p",
            "start=1",
            "-p",
            "peak=6",
            "-p",
            "up=500ms",
            "-p",
            "hold=500ms",
            "-p",
            "down=300ms",
            "-p",
            "max_tokens=4",
        ],
    );
    run.assert_success();
    let p = run.phase("ramp");
    assert_eq!(p.concurrency, Some(6));
    assert!(p.requests > 50 && p.errors == 0, "{} requests", p.requests);
}

#[test]
fn http_get_times_plain_requests() {
    // The simulated server answers GET / with "ok"; the scenario checks the status.
    let run = play(&scenario("http-get"), &["-p", "vus=4", "-p", "duration=1s"]);
    run.assert_success();
    let p = run.phase("http-get");
    assert!(p.requests > 100 && p.errors == 0, "{} requests, {} errors", p.requests, p.errors);
    assert_eq!(p.iterations.failed, 0);
    assert_eq!(p.metrics[metric::HTTP_TOTAL].count, p.requests);
    let connect = p.metrics[metric::HTTP_CONNECT];
    assert!(
        connect.count >= 1 && connect.count <= 4,
        "pooled connections: {} connects for 4 VUs",
        connect.count
    );
}

#[test]
fn play_help_with_a_scenario_lists_its_parameters() {
    let out = runner().args(["play"]).arg(scenario("rate")).arg("--help").output().expect("running runner");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("--target"), "the play flags come first: {stdout}");
    assert!(stdout.contains("Scenario rate 0.1.0"), "{stdout}");
    assert!(
        stdout.contains("arrival") && stdout.contains("[uniform]"),
        "then the scenario's parameters: {stdout}"
    );
}
