//! Writes synthetic worker run folders for measuring `runner merge` at scale:
//! `cargo run --release -p runner-reports --example synth_workers -- DIR WORKERS SECONDS`
//! makes DIR/w0 … DIR/w{WORKERS-1}, each one segment of a one-phase open-loop run SECONDS long:
//! a summary.json with the histograms a worker writes (12 metrics, ~20 requests/s per worker)
//! and a timeseries.jsonl with one sample per second (see scripts/merge-bench.sh).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;

use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng};

use runner_reports::histogram;
use runner_reports::model::{Iterations, ScenarioInfo, ScheduleReport, SegmentInfo};
use runner_reports::timeseries::{PhaseStart, Record, RunStart, Sample};
use runner_reports::{Distribution, PhaseReport, SCHEMA_VERSION, Summary, metric};

/// Reproducible spread.
struct Rng(StdRng);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0.random()
    }
    /// Around `median` µs with a long right tail.
    fn around(&mut self, median: u64) -> u64 {
        let spread = 1 + self.next() % 1_000;
        let tail = if self.next().is_multiple_of(50) { 1 + self.next() % 20 } else { 1 };
        median / 2 + median * spread / 1_000 * tail
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, dir, workers, seconds] = args.as_slice() else {
        return Err("usage: synth_workers DIR WORKERS SECONDS".into());
    };
    let (dir, workers, seconds): (PathBuf, u32, u64) = (dir.into(), workers.parse()?, seconds.parse()?);
    let per_s = 20u64;
    for w in 0..workers {
        let mut rng = Rng(StdRng::seed_from_u64(0x9e37_79b9_7f4a_7c15 ^ u64::from(w + 1)));
        let metrics: [(&str, u64, u64); 12] = [
            (metric::TTFT, 80_000, 1),
            (metric::TTFO, 80_000, 1),
            (metric::TTST, 95_000, 1),
            (metric::ITL, 12_000, 20),
            (metric::CHUNK_GAP, 12_000, 20),
            (metric::TPOT, 12_000, 1),
            (metric::E2E, 2_500_000, 1),
            (metric::E2E_PER_TOKEN, 14_000, 1),
            (metric::TOKENS_PER_S, 80_000, 1),
            (metric::ITERATION, 2_600_000, 1),
            (metric::DISPATCH_LAG, 300, 1),
            (metric::LATENCY_FROM_SCHEDULE, 2_600_000, 1),
        ];
        let requests = per_s * seconds;
        let mut hists = BTreeMap::new();
        for (name, median, per_request) in metrics {
            let mut h = histogram::new_histogram();
            // The histogram's shape, not every sample, is what costs: 20,000 draws per metric
            // fill it as an hour would, weighted up to the hour's count.
            let draws = 20_000u64.min(requests * per_request);
            let weight = (requests * per_request / draws).max(1);
            for _ in 0..draws {
                h.record_n(rng.around(median), weight)?;
            }
            hists.insert(name.to_string(), h);
        }
        let started = 1_767_225_600_000u64 + u64::from(w) * 7; // 2026-01-01, 7 ms apart
        let started_at = humantime_millis(started);
        let phase = PhaseReport {
            name: "steady".into(),
            executor: "constant-arrival-rate".into(),
            plan: format!("{per_s} req/s for {seconds}s, max 200 VUs"),
            target_rate: Some(per_s as f64),
            start_s: 0.05,
            duration_s: seconds as f64,
            iterations: Iterations { completed: requests, ..Iterations::default() },
            requests,
            output_tokens: requests * 200,
            input_tokens: requests * 500,
            requests_per_s: per_s as f64,
            output_tokens_per_s: per_s as f64 * 200.0,
            metrics: hists.iter().map(|(k, h)| (k.clone(), histogram::distribution(h))).collect(),
            histograms: hists.iter().map(|(k, h)| (k.clone(), histogram::encode(h))).collect(),
            schedule: Some(ScheduleReport { lag_p99_ms: 1.0, bound_ms: 10.0, behind: false }),
            client: Some(runner_reports::ClientReport { cpu_s: seconds as f64 * 0.2, cpu_pct: 20.0 }),
            ..PhaseReport::default()
        };
        let summary = Summary {
            schema_version: SCHEMA_VERSION,
            runner_version: "0.1.0".into(),
            run_id: format!("w{w}"),
            scenario: ScenarioInfo {
                name: "rate".into(),
                version: "0.1.0".into(),
                ..ScenarioInfo::default()
            },
            target: "http://127.0.0.1:8000".into(),
            started_at,
            duration_s: seconds as f64 + 0.1,
            phases: vec![phase],
            segment: Some(SegmentInfo {
                index: w,
                count: workers,
                host: format!("node-{w}"),
                start_at: None,
                start_late_ms: None,
            }),
            ..Summary::default()
        };
        let out = dir.join(format!("w{w}"));
        std::fs::create_dir_all(&out)?;
        std::fs::write(out.join("summary.json"), summary.to_json())?;
        let mut series = std::io::BufWriter::new(std::fs::File::create(out.join("timeseries.jsonl"))?);
        let mut line = |r: &Record| -> std::io::Result<()> {
            serde_json::to_writer(&mut series, r)?;
            series.write_all(b"\n")
        };
        line(&Record::Run(RunStart { run_id: format!("w{w}") }))?;
        line(&Record::Phase(PhaseStart {
            t_s: 0.05,
            phase: "steady".into(),
            executor: "constant-arrival-rate".into(),
            target_rate: Some(per_s as f64),
            planned_s: Some(seconds as f64),
            ..PhaseStart::default()
        }))?;
        let d = |median: f64, n: u64| Distribution {
            count: n,
            mean: median,
            stddev: median / 4.0,
            min: median / 2.0,
            p50: median,
            p90: median * 1.4,
            p95: median * 1.6,
            p99: median * 2.5,
            max: median * 4.0,
        };
        for s in 1..=seconds {
            line(&Record::Sample(Sample {
                t_s: 0.05 + s as f64,
                phase: "steady".into(),
                elapsed_s: s as f64,
                last: s == seconds,
                requests: per_s * s,
                output_tokens: per_s * s * 200,
                iterations: Iterations { completed: per_s * s, ..Iterations::default() },
                in_flight: 50,
                interval_s: 1.0,
                interval_requests: per_s,
                interval_output_tokens: per_s * 200,
                latency: BTreeMap::from([
                    (metric::TTFT.to_string(), d(80.0, per_s)),
                    (metric::ITL.to_string(), d(12.0, per_s * 20)),
                    (metric::E2E.to_string(), d(2500.0, per_s)),
                ]),
                ..Sample::default()
            }))?;
        }
        series.flush()?;
    }
    Ok(())
}

fn humantime_millis(ms: u64) -> String {
    let t = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(ms);
    humantime::format_rfc3339_millis(t).to_string()
}
