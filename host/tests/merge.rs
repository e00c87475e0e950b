//! `runner merge`: workers' run folders made into one run, against one shared simulated server.
//!
//! Two workers play `--segment 0/2` and `1/2` of one plan at the same `--start-at`: their counts
//! must add up to the plan's, and the merged percentiles must be those of the workers'
//! histograms added together. The refusals edit copies of the workers' summary.json.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, SystemTime};

use common::{MockProcess, runner, scenario};
use runner_reports::histogram;
use runner_reports::timeseries::{self, Record};
use runner_reports::{Summary, metric};

/// The plan both workers share: 30 arrivals/s for 2 s, evenly spaced: exactly 60.
const RATE: u64 = 30;
const SECONDS: u64 = 2;

/// Two open-loop workers, each a segment of one plan, started together against one shared mock,
/// in `dir`/w0 and `dir`/w1.
fn two_workers(dir: &Path) -> Vec<PathBuf> {
    let mock = MockProcess::start(&["--ttft-ms", "20", "--itl-ms", "2"]);
    // Far enough ahead for both to load the scenario on a busy machine.
    let at = humantime::format_rfc3339_millis(SystemTime::now() + Duration::from_secs(4)).to_string();
    let (rate, duration) = (format!("rate={RATE}"), format!("duration={SECONDS}s"));
    let workers: Vec<_> = (0..2)
        .map(|i| {
            let out = dir.join(format!("w{i}"));
            let child = runner()
                .arg("play")
                .arg(scenario("rate"))
                .args(["--target", &mock.url, "--quiet", "-p", &rate, "-p", &duration, "-p", "max_tokens=8"])
                .args(["--threshold", "ttft:p99<10s", "--segment", &format!("{i}/2"), "--start-at", &at])
                .arg("--out")
                .arg(&out)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("starting runner play");
            (out, child)
        })
        .collect();
    workers
        .into_iter()
        .map(|(out, child)| {
            let o = child.wait_with_output().expect("runner play ends");
            assert!(o.status.success(), "worker {} failed: {}", out.display(), stderr(&o));
            out
        })
        .collect()
}

fn merge(out: &Path, dirs: &[PathBuf], extra: &[&str]) -> Output {
    runner().arg("merge").arg(out).args(dirs).args(extra).output().expect("running runner merge")
}

fn read(dir: &Path) -> Summary {
    let text = std::fs::read_to_string(dir.join("summary.json")).expect("summary.json");
    Summary::from_json(&text).expect("summary.json parses")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn merged_counts_are_the_workers_sums_and_percentiles_those_of_the_added_histograms() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let workers = two_workers(dir.path());
    let out = dir.path().join("merged");
    let o = merge(&out, &workers, &[]);
    assert!(o.status.success(), "merge failed: {}", stderr(&o));
    let merged = read(&out);
    let parts: Vec<Summary> = workers.iter().map(|w| read(w)).collect();
    let p = &merged.phases[0];
    let wp: Vec<_> = parts.iter().map(|s| &s.phases[0]).collect();
    // Each worker ran its own half of the 60 arrivals; together, the plan.
    for (i, w) in wp.iter().enumerate() {
        assert_eq!(w.iterations.completed, RATE * SECONDS / 2, "worker {i}: {:?}", w.iterations);
        assert_eq!(parts[i].segment.as_ref().map(|s| (s.index, s.count)), Some((i as u32, 2)));
    }
    assert_eq!(p.iterations.completed, RATE * SECONDS);
    assert_eq!(p.target_rate, Some(RATE as f64), "the workers' rates add up to the plan's");
    assert_eq!(p.requests, wp.iter().map(|w| w.requests).sum::<u64>());
    assert_eq!(p.output_tokens, wp.iter().map(|w| w.output_tokens).sum::<u64>());
    assert_eq!(p.metrics[metric::TTFT].count, wp.iter().map(|w| w.metrics[metric::TTFT].count).sum::<u64>());
    // Every merged distribution is that of the workers' histograms added: bit-identical.
    for key in [metric::TTFT, metric::ITL, metric::E2E, metric::DISPATCH_LAG] {
        let mut sum = histogram::new_histogram();
        for w in &wp {
            let h = histogram::decode(&w.histograms[key]).expect("a worker's histogram reads back");
            histogram::add(&mut sum, &h).expect("adds");
        }
        let (got, want) = (p.metrics[key], histogram::distribution(&sum));
        // Read back from summary.json: serde_json (without `float_roundtrip`) may parse a float 1
        // ULP off, which only the computed mean and stddev can show; the percentiles, min, max
        // and count are values of the histogram's buckets and must be identical.
        let quantiles =
            |d: &runner_reports::Distribution| (d.count, d.min, d.p50, d.p90, d.p95, d.p99, d.max);
        assert_eq!(quantiles(&got), quantiles(&want), "{key}");
        for (a, b) in [(got.mean, want.mean), (got.stddev, want.stddev)] {
            assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{key}: {a} vs {b}");
        }
    }
    // Each worker wrote its own CPU; the distributed section carries it per worker.
    assert!(wp.iter().all(|w| w.client.is_some_and(|c| c.cpu_s > 0.0)), "{:?}", wp[0].client);
    let d = merged.distributed.as_ref().expect("a merged run says it is one");
    assert_eq!(d.workers.len(), 2);
    assert_eq!(d.phases[0].workers.iter().map(|w| w.requests).sum::<u64>(), p.requests);
    // The workers started together: the merged phase spans about one worker's, not two. (How
    // close they start is a measurement, docs/DISTRIBUTED.md; a shared machine only bounds it.)
    assert!(d.phases[0].start_skew_ms < 1_000.0, "{}", d.phases[0].start_skew_ms);
    assert!(p.duration_s < wp[0].duration_s.max(wp[1].duration_s) + 1.0, "{}", p.duration_s);
    assert_eq!(merged.thresholds.len(), 1);
    assert!(merged.thresholds[0].passed);
    // The merged time series adds up to the merged counts, and `runner report` reads the folder.
    let series = timeseries::read(&std::fs::read(out.join("timeseries.jsonl")).expect("timeseries.jsonl"));
    assert!(series.skipped.is_empty(), "{:?}", series.skipped);
    let interval: u64 = series
        .records
        .iter()
        .filter_map(|r| if let Record::Sample(s) = r { Some(s.interval_requests) } else { None })
        .sum();
    assert_eq!(interval, p.requests);
    let md = std::fs::read_to_string(out.join("report.md")).expect("report.md");
    assert!(md.contains("## Workers"), "{md}");
    let report = runner().arg("report").arg(&out).output().expect("runner report");
    assert!(report.status.success(), "{}", stderr(&report));

    // OUT is a run folder now: a second merge into it is refused unless --force.
    let again = merge(&out, &workers, &[]);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(stderr(&again).contains("already holds files"), "{}", stderr(&again));
    let forced = merge(&out, &workers, &["--force"]);
    assert!(forced.status.success(), "{}", stderr(&forced));
}

/// Rewrites a worker's summary.json through `edit` (as JSON, so fields this build has can be
/// removed the way an older runner would have left them out).
fn edit_summary(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = dir.join("summary.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("summary.json")).expect("JSON");
    edit(&mut v);
    std::fs::write(&path, serde_json::to_string_pretty(&v).expect("JSON")).expect("write summary.json");
}

fn set_segment(dir: &Path, index: u32, count: u32) {
    edit_summary(dir, |v| {
        v["segment"] = serde_json::json!({"index": index, "count": count, "host": "h", "start_at": null, "start_late_ms": null});
    });
}

/// Copies a worker's folder (its files only) to a new one.
fn copy(from: &Path, to: &Path) -> PathBuf {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir").filter_map(Result::ok) {
        std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
    }
    to.to_path_buf()
}

/// One line on stderr, exit 1, and no OUT written.
fn refused(out: &Path, dirs: &[PathBuf], expected: &str) {
    let o = merge(out, dirs, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.contains(expected), "expected {expected:?} in: {err}");
    assert!(!out.join("summary.json").exists(), "a refused merge writes nothing");
}

#[test]
fn what_cannot_be_merged_is_refused_in_one_line() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let workers = two_workers(dir.path());
    let out = dir.path().join("merged");
    let d = |name: &str| copy(&workers[0], &dir.path().join(name));

    refused(&out, &[], "nothing to merge: give at least one worker's run folder");
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).expect("mkdir");
    refused(&out, std::slice::from_ref(&empty), "is not a finished run folder: it has no summary.json");
    refused(&out, &[dir.path().join("nowhere")], "is not a run folder");

    let old = d("old");
    edit_summary(&old, |v| {
        for p in v["phases"].as_array_mut().expect("phases") {
            p.as_object_mut().expect("a phase").remove("histograms");
        }
    });
    refused(&out, &[old.clone(), workers[1].clone()], "phase rate has no histograms");

    let (a, b, c) = (d("a"), d("b"), d("c"));
    set_segment(&a, 0, 2);
    set_segment(&b, 1, 3);
    refused(&out, &[a.clone(), b.clone()], "segment counts differ");
    set_segment(&b, 0, 2);
    refused(&out, &[a.clone(), b.clone()], "segment 0/2 is there twice");
    set_segment(&c, 0, 3);
    set_segment(&b, 2, 3);
    refused(&out, &[c.clone(), b.clone()], "segment 1/3 is missing");
    let plain = d("plain");
    edit_summary(&plain, |v| {
        v.as_object_mut().expect("a summary").remove("segment");
    });
    refused(&out, &[plain, workers[1].clone()], "has no segment");

    let other = d("other");
    edit_summary(&other, |v| v["scenario"]["name"] = "something-else".into());
    refused(&out, &[other, workers[1].clone()], "merge only the workers of one run");

    // OUT may not be a worker's own folder: --force would remove that worker's files.
    let o = merge(&workers[0], &workers, &["--force"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("is one of the workers' folders"), "{}", stderr(&o));
    assert!(workers[0].join("summary.json").exists());
}
