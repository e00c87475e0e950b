//! Memory stays flat over a long run: `runner play` at a high request rate against the built-in
//! simulated server, its RSS sampled every second from /proc; after a warm-up, the peak may exceed
//! the first steady sample by less than 5 %. `RUNNER_SOAK_S` / `RUNNER_SOAK_RATE` lengthen it
//! (`just soak-self`); the default, 120 s at 1,000 requests/s, is what CI runs.
//!
//! What may grow, and why only the warm-up sees it (docs/RELIABILITY.md, "Memory stays flat"):
//! every VU exists before the first request (`max_vus` is within the executor's preallocation
//! cap, so an arrival finding all of them busy is dropped and counted, not given a new instance);
//! the connection pool holds at most one connection per VU: 16, against ~4 in flight in the
//! steady state, and a stall that first fills it after the warm-up adds at most 12 connections of
//! ~45 KiB (both ends, the server being in-process), ~540 KiB or 2.5 %; the phase's latency histograms are sized for an hour from the start and never
//! resize; the allocator's arenas reach the working set's high-water mark within seconds. A
//! structure that grew with every request would grow for the whole run: at 1,000 requests/s, 10
//! bytes a request is +5 MiB (over 20 %) in the 90 s measured by default.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{runner, scenario};
use runner_reports::Summary;

/// Long enough for the arenas, the histograms' usual range and the pool to settle (the curve's
/// steps all fall in the first ~25 s at 1,000/s).
const WARM_UP_S: u64 = 30;
/// VUs (and so, at most, pooled connections). Within the executor's preallocation cap
/// (`MAX_PREALLOCATED`, 64, in load/executor.rs): all exist before the phase starts.
const VUS: u64 = 16;

/// Resident set size of `pid` in KiB, or `None` once it has exited.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Least-squares slope of `(t, kib)` in KiB per minute.
fn slope_kib_per_min(points: &[(u64, u64)]) -> f64 {
    let n = points.len() as f64;
    let mean_t = points.iter().map(|&(t, _)| t as f64).sum::<f64>() / n;
    let mean_k = points.iter().map(|&(_, k)| k as f64).sum::<f64>() / n;
    let cov: f64 = points.iter().map(|&(t, k)| (t as f64 - mean_t) * (k as f64 - mean_k)).sum();
    let var: f64 = points.iter().map(|&(t, _)| (t as f64 - mean_t).powi(2)).sum();
    if var == 0.0 { 0.0 } else { cov / var * 60.0 }
}

#[test]
fn rss_stays_flat_after_warm_up() {
    let env =
        |name: &str, default: u64| std::env::var(name).ok().and_then(|s| s.parse().ok()).unwrap_or(default);
    let secs = env("RUNNER_SOAK_S", 120);
    let rate = env("RUNNER_SOAK_RATE", 1000);
    assert!(secs >= WARM_UP_S + 30, "RUNNER_SOAK_S must leave 30 s after the {WARM_UP_S} s warm-up");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("run");
    let mut child = runner()
        .arg("play")
        .arg(scenario("rate"))
        .args(["--quiet", "--mock", "ttft=1ms,itl=1ms", "-p", "max_tokens=2"])
        .args(["-p", &format!("max_vus={VUS}"), "-p", &format!("rate={rate}")])
        .args(["-p", &format!("duration={secs}s")])
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting runner play");
    let began = Instant::now();
    let mut samples = Vec::new();
    while let Some(kib) = rss_kib(child.id()) {
        if child.try_wait().expect("polling the runner").is_some() {
            break;
        }
        samples.push((began.elapsed().as_secs(), kib));
        // Sleep to the next whole second, so samples do not drift to fewer than one a second.
        let into = began.elapsed().subsec_nanos();
        std::thread::sleep(Duration::from_nanos(u64::from(1_000_000_000 - into)));
    }
    let status = child.wait().expect("waiting for the runner");
    assert!(status.success(), "the soak run failed: {status:?}");

    let summary = std::fs::read_to_string(out.join("summary.json")).expect("summary.json");
    let summary = Summary::from_json(&summary).expect("summary.json parses");
    let phase = summary.phases.iter().find(|p| p.name == "rate").expect("the rate phase");
    let dropped = phase.iterations.dropped;
    println!(
        "soak: {} requests ({} errors, {dropped} arrivals dropped with every VU busy) of {} planned",
        phase.requests,
        phase.errors,
        secs * rate
    );
    // A soak that did not carry its load says nothing about memory under it.
    assert!(phase.requests * 2 >= secs * rate, "fewer than half the planned requests ran");
    assert_eq!(phase.errors, 0, "errors by class: {:?}", phase.errors_by_class);

    // The phase ends at `secs`; later samples see the report being written, not the steady state.
    let steady: Vec<(u64, u64)> =
        samples.iter().copied().filter(|&(t, _)| t >= WARM_UP_S && t < secs).collect();
    assert!(steady.len() as u64 >= (secs - WARM_UP_S) / 2, "too few samples: {samples:?}");
    let base = steady[0].1;
    let peak = steady.iter().map(|&(_, k)| k).max().unwrap_or(base);
    let last = steady.last().map_or(base, |&(_, k)| k);
    let growth = (peak as f64 - base as f64) / base as f64 * 100.0;
    let half = &steady[steady.len() / 2..];
    let slope = slope_kib_per_min(half);
    println!(
        "soak: {secs} s at {rate}/s: RSS at warm-up ({WARM_UP_S} s) {base} KiB, peak {peak} KiB, last {last} KiB, \
         growth {growth:.2} %, second-half slope {slope:+.1} KiB/min"
    );
    // The curve, one line a minute (min / max of each minute), for docs/bench-results/soak-self.txt.
    for minute in samples.chunk_by(|a, b| a.0 / 60 == b.0 / 60) {
        let (lo, hi) = minute.iter().fold((u64::MAX, 0), |(lo, hi), &(_, k)| (lo.min(k), hi.max(k)));
        println!("soak: minute {:>3}: RSS {lo}..{hi} KiB", minute[0].0 / 60);
    }
    assert!(growth < 5.0, "RSS grew {growth:.2} % ({} KiB) after warm-up: {samples:?}", peak - base);
}
