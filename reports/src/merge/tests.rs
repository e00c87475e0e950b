use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng};

use super::*;
use crate::model::{Distribution, Iterations, ScenarioInfo, SegmentInfo, ThresholdResult};
use crate::timeseries::{PhaseStart, RunStart, Sample};

/// Spread-out samples, reproducibly.
struct Rng(StdRng);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(StdRng::seed_from_u64(seed))
    }
    fn next(&mut self) -> u64 {
        self.0.random()
    }
    /// A latency in µs with a long tail: 1 ms … ~10 s.
    fn latency_us(&mut self) -> u64 {
        let base = 1_000 + self.next() % 50_000;
        if self.next().is_multiple_of(100) { base * (1 + self.next() % 200) } else { base }
    }
}

fn segment(index: u32, count: u32) -> Option<SegmentInfo> {
    Some(SegmentInfo { index, count, host: format!("node-{index}"), start_at: None, start_late_ms: None })
}

fn summary(started_at: &str, segment: Option<SegmentInfo>, phases: Vec<PhaseReport>) -> Summary {
    Summary {
        schema_version: crate::SCHEMA_VERSION,
        scenario: ScenarioInfo { name: "probe".into(), version: "1.0.0".into(), ..ScenarioInfo::default() },
        target: "http://127.0.0.1:1".into(),
        started_at: started_at.into(),
        duration_s: 10.0,
        phases,
        segment,
        ..Summary::default()
    }
}

fn run(name: &str, summary: Summary) -> WorkerRun {
    WorkerRun { name: name.into(), summary, records: Vec::new() }
}

/// A phase whose histograms hold `samples` (metric → µs values).
fn phase(name: &str, samples: &BTreeMap<&str, Vec<u64>>) -> PhaseReport {
    let hists: BTreeMap<String, Histogram<u64>> = samples
        .iter()
        .map(|(k, values)| {
            let mut h = histogram::new_histogram();
            for v in values {
                h.record(*v).expect("auto-resizing");
            }
            (k.to_string(), h)
        })
        .collect();
    let requests = samples.get(metric::E2E).map_or(0, |v| v.len() as u64);
    PhaseReport {
        name: name.into(),
        executor: "constant-vus".into(),
        plan: "2 VUs for 10s".into(),
        concurrency: Some(2),
        start_s: 0.5,
        duration_s: 10.0,
        requests,
        iterations: Iterations { completed: requests, ..Iterations::default() },
        metrics: hists.iter().map(|(k, h)| (k.clone(), histogram::distribution(h))).collect(),
        histograms: hists.iter().map(|(k, h)| (k.clone(), histogram::encode(h))).collect(),
        ..PhaseReport::default()
    }
}

#[test]
fn samples_split_across_workers_merge_to_the_same_counts_and_bit_identical_percentiles() {
    let mut rng = Rng::new(0x5eed_1234_abcd_9876);
    let metrics = [metric::TTFT, metric::ITL, metric::E2E, metric::DISPATCH_LAG];
    let n = 5;
    let mut whole: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    let mut shares: Vec<BTreeMap<&str, Vec<u64>>> = vec![BTreeMap::new(); n];
    for i in 0..20_000usize {
        for m in metrics {
            // ITL has several samples per request, and a few metrics miss on some requests.
            let k = if m == metric::ITL {
                1 + rng.next() % 4
            } else {
                u64::from(!rng.next().is_multiple_of(10) || m == metric::E2E)
            };
            for _ in 0..k {
                let v = rng.latency_us();
                whole.entry(m).or_default().push(v);
                shares[i % n].entry(m).or_default().push(v);
            }
        }
    }
    let one = phase("load", &whole);
    let workers: Vec<WorkerRun> = shares
        .iter()
        .enumerate()
        .map(|(i, s)| {
            run(
                &format!("w{i}"),
                summary("2026-01-01T00:00:00.000Z", segment(i as u32, n as u32), vec![phase("load", s)]),
            )
        })
        .collect();
    // Serialised and read back, as `runner merge` reads the workers' files.
    let workers: Vec<WorkerRun> = workers
        .into_iter()
        .map(|w| WorkerRun { summary: Summary::from_json(&w.summary.to_json()).expect("reads back"), ..w })
        .collect();
    let merged = merge(&workers, "m").expect("merges");
    let p = &merged.summary.phases[0];
    assert_eq!(p.requests, one.requests);
    for m in metrics {
        let a: &Distribution = &p.metrics[m];
        let b: &Distribution = &one.metrics[m];
        assert_eq!(a, b, "{m}");
        assert_eq!(a.count, whole[m].len() as u64);
    }
    // The merged histograms are written again, and give the same numbers.
    let back = histogram::decode(&p.histograms[metric::TTFT]).expect("reads back");
    assert_eq!(histogram::distribution(&back), one.metrics[metric::TTFT]);
    assert_eq!(p.concurrency, Some(2 * n as u32));
}

#[test]
fn counts_are_summed_and_rates_are_over_the_span_from_the_earliest_start_to_the_latest_end() {
    let mut a = phase("load", &BTreeMap::from([(metric::E2E, vec![1_000; 100])]));
    a.errors = 10;
    a.output_tokens = 1_000;
    a.errors_by_class = BTreeMap::from([("timeout".to_string(), 10)]);
    a.counters = BTreeMap::from([("c".to_string(), 3)]);
    let mut b = phase("load", &BTreeMap::from([(metric::E2E, vec![2_000; 50])]));
    b.output_tokens = 500;
    b.counters = BTreeMap::from([("c".to_string(), 4)]);
    // b starts 1 s later (its run started 0.5 s later and its phase 0.5 s further in).
    b.start_s = 1.0;
    let workers = [
        run("a", summary("2026-01-01T00:00:00.000Z", segment(0, 2), vec![a])),
        run("b", summary("2026-01-01T00:00:00.500Z", segment(1, 2), vec![b])),
    ];
    let m = merge(&workers, "m").expect("merges");
    let p = &m.summary.phases[0];
    assert_eq!((p.requests, p.errors, p.output_tokens), (150, 10, 1_500));
    assert_eq!(p.errors_by_class["timeout"], 10);
    assert_eq!(p.counters["c"], 7);
    assert_eq!(p.start_s, 0.5);
    assert_eq!(p.duration_s, 11.0);
    assert!((p.requests_per_s - 140.0 / 11.0).abs() < 1e-9);
    let d = m.summary.distributed.as_ref().expect("distributed");
    assert_eq!(d.phases[0].start_skew_ms, 1_000.0);
    assert_eq!(d.phases[0].workers[1].start_offset_ms, 1_000.0);
    assert_eq!(d.workers[1].host, "node-1");
    assert_eq!(m.summary.started_at, "2026-01-01T00:00:00.000Z");
    assert_eq!(m.summary.duration_s, 10.5);
}

#[test]
fn thresholds_are_judged_again_on_the_merged_run() {
    let fast = phase("load", &BTreeMap::from([(metric::TTFT, vec![10_000; 100])]));
    let slow = phase("load", &BTreeMap::from([(metric::TTFT, vec![300_000; 100])]));
    let judged = |passed| ThresholdResult {
        expression: "ttft:p95<200ms".into(),
        scope: "in every phase".into(),
        observed: None,
        passed,
        note: None,
    };
    let mut a = summary("2026-01-01T00:00:00Z", segment(0, 2), vec![fast]);
    a.thresholds = vec![judged(true)];
    let mut b = summary("2026-01-01T00:00:00Z", segment(1, 2), vec![slow]);
    b.thresholds = vec![judged(false)];
    let m = merge(&[run("a", a), run("b", b)], "m").expect("merges");
    assert_eq!(m.summary.thresholds.len(), 1);
    // Half the requests at 300 ms: the merged p95 is 300 ms, over the limit.
    assert!(!m.summary.thresholds[0].passed);
    assert!(m.summary.thresholds[0].observed.is_some_and(|v| v > 299.0));
}

/// The refusal's message, which must be one line.
fn refusal(workers: &[WorkerRun]) -> String {
    let e = merge(workers, "m").expect_err("refused").to_string();
    assert!(!e.contains('\n'), "one line: {e}");
    e
}

#[test]
fn each_refusal_is_one_line_naming_the_folder() {
    let p = || phase("load", &BTreeMap::from([(metric::E2E, vec![1_000; 3])]));
    let at = "2026-01-01T00:00:00Z";
    assert_eq!(refusal(&[]), "nothing to merge: give at least one worker's run folder");

    let mut bare = p();
    bare.histograms.clear();
    let e = refusal(&[
        run("a", summary(at, segment(0, 2), vec![p()])),
        run("old", summary(at, segment(1, 2), vec![bare])),
    ]);
    assert!(e.starts_with("old: phase load has no histograms"), "{e}");

    let e = refusal(&[
        run("a", summary(at, segment(0, 2), vec![p()])),
        run("b", summary(at, segment(1, 3), vec![p()])),
    ]);
    assert_eq!(e, "segment counts differ: a is segment 0/2, b is segment 1/3");

    let e = refusal(&[
        run("a", summary(at, segment(1, 2), vec![p()])),
        run("b", summary(at, segment(1, 2), vec![p()])),
    ]);
    assert_eq!(e, "segment 1/2 is there twice: a and b");

    let e = refusal(&[
        run("a", summary(at, segment(0, 3), vec![p()])),
        run("c", summary(at, segment(2, 3), vec![p()])),
    ]);
    assert_eq!(e, "segment 1/3 is missing: the 3 workers' folders must all be given (have 0/3, 2/3)");

    let e =
        refusal(&[run("a", summary(at, segment(0, 2), vec![p()])), run("b", summary(at, None, vec![p()]))]);
    assert!(e.starts_with("a ran as segment 0/2 but b has no segment"), "{e}");

    let mut other = summary(at, segment(1, 2), vec![p()]);
    other.scenario.name = "other".into();
    let e = refusal(&[run("a", summary(at, segment(0, 2), vec![p()])), run("b", other)]);
    assert_eq!(e, "a ran probe@1.0.0 but b ran other@1.0.0: merge only the workers of one run");

    let e = refusal(&[run("a", summary("yesterday", segment(0, 1), vec![p()]))]);
    assert_eq!(e, "a: started_at \"yesterday\" is not an RFC 3339 time");

    let mut damaged = p();
    damaged.histograms.insert(metric::E2E.into(), "AAAA".into());
    let e = refusal(&[run("a", summary(at, segment(0, 1), vec![damaged]))]);
    assert!(e.starts_with("a: phase load, histogram e2e: the histogram is not an HdrHistogram"), "{e}");
}

fn wp(segment: &str, lag: f64, cpu: f64, dropped: u64) -> WorkerPhase {
    WorkerPhase {
        segment: segment.into(),
        dispatch_lag_p99_ms: Some(lag),
        cpu_pct: Some(cpu),
        dropped,
        ..WorkerPhase::default()
    }
}

#[test]
fn the_worker_that_set_the_pace_is_named_and_a_level_field_names_none() {
    let level = [wp("0/3", 0.4, 30.0, 0), wp("1/3", 0.5, 35.0, 0), wp("2/3", 0.6, 32.0, 0)];
    assert_eq!(pace(&level, Some(10.0)), None);
    // Lag: above 2 ms and more than 3× the others' median.
    let lagging = [wp("0/3", 0.4, 30.0, 0), wp("1/3", 9.0, 35.0, 0), wp("2/3", 0.6, 32.0, 0)];
    let (seg, why) = pace(&lagging, Some(10.0)).expect("one stands out");
    assert_eq!(seg, "1/3");
    assert!(why.contains("dispatch lag p99 was 9.0 ms"), "{why}");
    // Above 2 ms but everyone is: no one stands out.
    let all_slow = [wp("0/2", 5.0, 30.0, 0), wp("1/2", 6.0, 30.0, 0)];
    assert_eq!(pace(&all_slow, Some(10.0)), None);
    // CPU: a saturated worker among idle ones.
    let busy = [wp("0/3", 0.4, 30.0, 0), wp("1/3", 0.5, 35.0, 0), wp("2/3", 0.6, 97.0, 0)];
    assert_eq!(pace(&busy, None).map(|(s, _)| s).as_deref(), Some("2/3"));
    // Dropped arrivals that the others did not drop.
    let dropping = [wp("0/2", 0.4, 30.0, 12), wp("1/2", 0.5, 35.0, 0)];
    assert_eq!(pace(&dropping, None).map(|(s, _)| s).as_deref(), Some("0/2"));
    // One worker alone sets no pace against anyone.
    assert_eq!(pace(&[wp("0/1", 50.0, 99.0, 5)], None), None);
}

#[test]
fn a_pacing_worker_is_flagged_in_the_summary_notes_and_the_reports() {
    let quick = phase("load", &BTreeMap::from([(metric::DISPATCH_LAG, vec![300; 100])]));
    let late = phase("load", &BTreeMap::from([(metric::DISPATCH_LAG, vec![40_000; 100])]));
    let m = merge(
        &[
            run("a", summary("2026-01-01T00:00:00Z", segment(0, 2), vec![quick])),
            run("b", summary("2026-01-01T00:00:00Z", segment(1, 2), vec![late])),
        ],
        "m",
    )
    .expect("merges");
    assert_eq!(m.summary.distributed.as_ref().and_then(|d| d.phases[0].paced_by.as_deref()), Some("1/2"));
    assert!(
        m.summary.notes.iter().any(|n| n.starts_with("phase load: worker 1/2, not the server, set the pace"))
    );
    let md = crate::render_markdown(&m.summary);
    assert!(md.contains("## Workers"), "{md}");
    assert!(md.contains("**1/2 (paced)**"), "{md}");
    let console = crate::render_console(&m.summary);
    assert!(console.contains("worker 1/2, not the server, set the pace"), "{console}");
}

fn sample(t_s: f64, phase: &str, requests: u64, interval_requests: u64, last: bool) -> Record {
    Record::Sample(Sample {
        t_s,
        phase: phase.into(),
        elapsed_s: t_s,
        last,
        requests,
        interval_s: 1.0,
        interval_requests,
        iterations: Iterations { completed: requests, ..Iterations::default() },
        latency: BTreeMap::from([(
            metric::TTFT.to_string(),
            Distribution {
                count: interval_requests,
                mean: 10.0,
                p50: 10.0,
                p99: 10.0,
                max: 10.0,
                min: 10.0,
                ..Distribution::default()
            },
        )]),
        ..Sample::default()
    })
}

#[test]
fn the_time_series_is_summed_per_wall_clock_second() {
    let p = || phase("load", &BTreeMap::from([(metric::E2E, vec![1_000; 3])]));
    let mut a = run("a", summary("2026-01-01T00:00:00.000Z", segment(0, 2), vec![p()]));
    a.records = vec![
        Record::Run(RunStart { run_id: "a".into() }),
        Record::Phase(PhaseStart {
            t_s: 0.1,
            phase: "load".into(),
            concurrency: Some(2),
            ..PhaseStart::default()
        }),
        sample(1.1, "load", 10, 10, false),
        sample(2.1, "load", 25, 15, true),
    ];
    // b's clock is 0.3 s behind a's: its samples end at wall 1.4 s and 2.4 s.
    let mut b = run("b", summary("2026-01-01T00:00:00.300Z", segment(1, 2), vec![p()]));
    b.records = vec![
        Record::Run(RunStart { run_id: "b".into() }),
        Record::Phase(PhaseStart {
            t_s: 0.1,
            phase: "load".into(),
            concurrency: Some(2),
            ..PhaseStart::default()
        }),
        sample(1.1, "load", 7, 7, false),
        sample(2.1, "load", 9, 2, true),
    ];
    let m = merge(&[a, b], "merged").expect("merges");
    assert_eq!(m.records[0], Record::Run(RunStart { run_id: "merged".into() }));
    let Record::Phase(start) = &m.records[1] else { panic!("a phase start second: {:?}", m.records[1]) };
    assert_eq!((start.t_s, start.concurrency), (0.1, Some(4)));
    let samples: Vec<&Sample> =
        m.records.iter().filter_map(|r| if let Record::Sample(s) = r { Some(s) } else { None }).collect();
    assert_eq!(samples.len(), 2);
    assert_eq!((samples[0].interval_requests, samples[0].requests), (17, 17));
    assert_eq!((samples[1].interval_requests, samples[1].requests), (17, 34));
    assert!((samples[1].t_s - 2.4).abs() < 1e-9);
    assert!(!samples[0].last && samples[1].last);
    assert_eq!(samples[1].latency[metric::TTFT].count, 17);
    // The merged series rebuilds to the merged counts.
    let rebuilt = crate::timeseries::rebuild(m.summary.clone(), &m.records);
    assert_eq!(rebuilt.phases[0].requests, 34);
}
