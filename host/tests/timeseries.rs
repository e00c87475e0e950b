//! `timeseries.jsonl` records the run as it goes, and `runner report` rebuilds the summary of a
//! run that was killed before it could write one.

mod common;

use std::time::Duration;

use common::{play, runner, scenario};
use runner_reports::Summary;
use runner_reports::timeseries::{self, Record, Sample};

fn samples(dir: &std::path::Path) -> Vec<Sample> {
    let text = std::fs::read_to_string(dir.join("timeseries.jsonl")).expect("timeseries.jsonl exists");
    timeseries::parse(&text)
        .expect("timeseries.jsonl parses")
        .into_iter()
        .filter_map(|r| match r {
            Record::Sample(s) => Some(s),
            _ => None,
        })
        .collect()
}

#[test]
fn one_sample_per_second_whose_totals_match_the_summary() {
    let run = play(
        &scenario("rate"),
        &["--mock", "ttft=2ms,itl=1ms", "-p", "rate=40", "-p", "duration=3s", "-p", "max_tokens=4"],
    );
    run.assert_success();
    let list = samples(&run.out);
    assert!((3..=5).contains(&list.len()), "a sample a second for 3 s, then the last: {}", list.len());
    let last = list.last().expect("samples");
    assert!(last.last, "the final sample is marked");
    let phase = run.phase("rate");
    assert_eq!(last.requests, phase.requests);
    assert_eq!(list.iter().map(|s| s.interval_requests).sum::<u64>(), phase.requests);
    let ttft_samples: u64 = list.iter().filter_map(|s| s.latency.get("ttft")).map(|d| d.count).sum();
    assert_eq!(ttft_samples, phase.requests, "every request's TTFT lands in exactly one interval");
}

#[test]
fn a_killed_run_is_rebuilt_from_its_time_series() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("run");
    let mut child = common::spawn_play(
        &scenario("rate"),
        &["--mock", "ttft=2ms,itl=1ms", "-p", "rate=50", "-p", "duration=60s", "-p", "max_tokens=4"],
        &out,
    );
    common::wait_for_first_phase(&out);
    std::thread::sleep(Duration::from_millis(2500));
    child.kill().expect("kill -9"); // SIGKILL on Unix: no chance to write anything more
    child.wait().expect("reaping the child");
    assert!(!out.join("summary.json").exists(), "a killed run wrote no summary");

    let recorded = samples(&out).last().expect("at least one sample was flushed").requests;
    assert!((100..=200).contains(&recorded), "about 3 s at 50/s recorded, got {recorded}");

    let report = runner().arg("report").arg(&out).output().expect("running runner report");
    assert!(report.status.success(), "{}", String::from_utf8_lossy(&report.stderr));
    let summary =
        Summary::from_json(&std::fs::read_to_string(out.join("summary.json")).expect("rebuilt summary"))
            .expect("the rebuilt summary parses");
    assert_eq!(summary.scenario.name, "rate");
    assert_eq!(summary.phases[0].requests, recorded, "the report counts what the time series recorded");
    assert!(summary.notes.iter().any(|n| n.contains("interrupted run")), "{:?}", summary.notes);
    assert!(out.join("report.md").exists());
}

#[test]
fn report_rewrites_a_complete_run_from_its_summary() {
    let run = play(&scenario("ttft-probe"), &["-p", "requests=2", "-p", "max_tokens=4"]);
    run.assert_success();
    let out = &run.out;
    std::fs::remove_file(out.join("report.md")).expect("removing report.md");
    let report = runner().arg("report").arg(out).output().expect("running runner report");
    assert!(report.status.success());
    let md = std::fs::read_to_string(out.join("report.md")).expect("report.md rewritten");
    assert!(md.contains("ttft-probe"));
}
