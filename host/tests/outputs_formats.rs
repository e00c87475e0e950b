//! The run's results in other tools' formats, against the real simulated server on 127.0.0.1:
//! `summary.csv` in every run folder (and a merged one), `runner report DIR --format vllm` (the
//! JSON of `vllm bench serve --save-result`), and the run's metadata: `--label`s and what the
//! server told about itself, in summary.json, run.json, the reports and `runner compare`.
//!
//! The simulated server is told TTFT 50 ms and ITL 10 ms, answers `/version` as vLLM does and
//! names itself `runner-mock/VERSION` in its `Server` header: the ground truth checked here.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{Played, play_into, runner, scenario};
use serde_json::Value;

/// ttft-probe's five requests against the simulated server (TTFT 50 ms, ITL 10 ms), with `args`.
fn probe(out: &Path, args: &[&str]) -> Played {
    let mut all = vec!["--quiet", "--seed", "1", "--mock", "ttft=50ms,itl=10ms", "-p", "requests=5"];
    all.extend_from_slice(&["-p", "max_tokens=8"]);
    all.extend_from_slice(args);
    let run = play_into(out, &scenario("ttft-probe"), &all);
    run.assert_success();
    run
}

/// summary.csv's rows, each as column → value, read as a notebook would.
fn csv_rows(dir: &Path) -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(dir.join("summary.csv")).expect("summary.csv in the run folder");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().expect("a header").iter().map(str::to_string).collect();
    reader
        .records()
        .map(|r| {
            header.iter().cloned().zip(r.expect("a well-formed row").iter().map(str::to_string)).collect()
        })
        .collect()
}

fn row<'a>(rows: &'a [BTreeMap<String, String>], metric: &str) -> &'a BTreeMap<String, String> {
    rows.iter()
        .find(|r| r["metric"] == metric && r["tags"].is_empty())
        .unwrap_or_else(|| panic!("no {metric} row"))
}

fn number(r: &BTreeMap<String, String>, column: &str) -> f64 {
    r[column].parse().unwrap_or_else(|_| panic!("{column} of {r:?} is not a number"))
}

#[test]
fn a_run_records_its_labels_and_the_server_and_writes_summary_csv() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("run");
    let run = probe(&out, &["--label", "gpu=h100", "--label", "team=infra"]);
    let summary = run.summary();
    let labels: Vec<(&str, &str)> = summary.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(labels, [("gpu", "h100"), ("team", "infra")]);

    // The server's own say: the simulated server is the runner's build.
    let server = summary.server.as_ref().expect("the server told something");
    assert_eq!(server.software.as_deref(), Some("runner-mock"));
    assert_eq!(server.version.as_deref(), Some(summary.runner_version.as_str()));
    assert_eq!(server.server_header, Some(format!("runner-mock/{}", summary.runner_version)));
    assert_eq!(server.models, ["mock"]);
    assert!(server.answered.iter().any(|a| a == "/version"), "{:?}", server.answered);

    // run.json, written before any traffic, has both too.
    let header: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).expect("run.json"))
            .expect("JSON");
    assert_eq!(header["labels"]["gpu"], "h100");
    assert_eq!(header["server"]["software"], "runner-mock");

    assert!(run.stdout.contains("\nlabels gpu=h100, team=infra\n"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains(&format!("\nserver runner-mock {}; Server: runner-mock/", summary.runner_version))
    );
    let md = run.report_md.as_deref().expect("report.md");
    assert!(md.contains("| Labels | `gpu=h100`, `team=infra` |"), "{md}");
    assert!(md.contains("| Server | runner-mock "), "{md}");

    let rows = csv_rows(&out);
    let ttft = row(&rows, "ttft");
    assert_eq!(
        (ttft["kind"].as_str(), ttft["unit"].as_str(), ttft["phase"].as_str()),
        ("distribution", "ms", "ttft-probe")
    );
    assert_eq!(number(ttft, "count"), 5.0);
    let mean = number(ttft, "mean");
    assert!((50.0..60.0).contains(&mean), "TTFT mean {mean} ms, the server was told 50 ms");
    assert!(number(ttft, "p50") <= number(ttft, "p99") && number(ttft, "p99") <= number(ttft, "max"));
    assert_eq!(number(row(&rows, "requests"), "value"), 5.0);
    assert_eq!(number(row(&rows, "error_rate"), "value"), 0.0);
    assert!(number(row(&rows, "output_token_throughput"), "value") > 0.0);
    assert_eq!(ttft["run_id"], summary.run_id);
    assert_eq!(ttft["labels"], r#"{"gpu":"h100","team":"infra"}"#);
}

#[test]
fn report_format_vllm_writes_vllms_result_fields_with_vllms_types() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("run");
    let run = probe(&out, &["--label", "gpu=h100"]);
    let report = runner().args(["report", "--format", "vllm"]).arg(&out).output().expect("runner report");
    let stdout = String::from_utf8_lossy(&report.stdout);
    assert!(report.status.success(), "{}{}", stdout, String::from_utf8_lossy(&report.stderr));
    assert!(stdout.contains("vllm.json"), "{stdout}");
    let text = std::fs::read_to_string(out.join("vllm.json")).expect("DIR/vllm.json");
    let o: Value = serde_json::from_str(&text).expect("vllm.json is JSON");

    let mean_ttft = o["mean_ttft_ms"].as_f64().expect("mean_ttft_ms is a float");
    assert!((50.0..60.0).contains(&mean_ttft), "mean_ttft_ms {mean_ttft}, the server was told 50 ms");
    // vLLM's ITL is the chunk gap: one token a chunk here, 10 ms apart.
    let itl = o["median_itl_ms"].as_f64().expect("median_itl_ms");
    assert!((9.0..12.0).contains(&itl), "median_itl_ms {itl}");
    for key in
        ["completed", "failed", "num_prompts", "total_input_tokens", "total_output_tokens", "max_concurrency"]
    {
        assert!(o[key].is_u64(), "{key} is an integer in vLLM's file: {}", o[key]);
    }
    for key in ["duration", "request_throughput", "output_throughput", "total_token_throughput", "burstiness"]
    {
        assert!(o[key].is_f64(), "{key} is a float in vLLM's file: {}", o[key]);
    }
    for metric in ["ttft", "tpot", "itl", "e2el"] {
        for stat in ["mean", "median", "std", "p50", "p90", "p95", "p99"] {
            let key = format!("{stat}_{metric}_ms");
            assert!(o[&key].is_f64(), "{key}: {}", o[&key]);
        }
    }
    assert_eq!(
        (o["completed"].as_u64(), o["failed"].as_u64(), o["num_prompts"].as_u64()),
        (Some(5), Some(0), Some(5))
    );
    assert_eq!(o["request_rate"], "inf", "a closed-loop phase, as vLLM writes an unlimited rate");
    assert_eq!(o["max_concurrency"], 1);
    assert_eq!(o["model_id"], "mock");
    assert_eq!(o["request_goodput"], Value::Null);
    assert_eq!(o["gpu"], "h100", "labels are vLLM's --metadata: top-level keys");
    assert_eq!(o["runner_run_id"].as_str(), Some(run.summary().run_id.as_str()));
    assert!(o["date"].as_str().is_some_and(|d| d.len() == 15 && d.as_bytes()[8] == b'-'), "{}", o["date"]);

    // --out -: the same document on standard output; an unknown phase is a one-line usage error.
    let piped = runner()
        .args(["report", "--format", "vllm", "--out", "-"])
        .arg(&out)
        .output()
        .expect("runner report");
    let again: Value = serde_json::from_slice(&piped.stdout).expect("JSON on stdout");
    assert_eq!(again["mean_ttft_ms"], o["mean_ttft_ms"]);
    let wrong = runner()
        .args(["report", "--format", "vllm", "--phase", "nope"])
        .arg(&out)
        .output()
        .expect("runner report");
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert_eq!(wrong.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("ttft-probe"), "the run's phases are listed: {stderr}");
}

#[test]
fn bad_labels_are_one_line_usage_errors() {
    for args in [&["--label", "1gpu=x"][..], &["--label", "gpu"], &["--label", "a=1", "--label", "a=2"]] {
        let out = runner()
            .arg("play")
            .arg(scenario("ttft-probe"))
            .args(args)
            .arg("--quiet")
            .output()
            .expect("runner");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains("label"), "{stderr}");
    }
}

#[test]
fn compare_shows_different_labels_and_merge_keeps_them_with_a_csv() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (a, b, merged) = (dir.path().join("a"), dir.path().join("b"), dir.path().join("merged"));
    probe(&a, &["--label", "gpu=h100"]);
    probe(&b, &["--label", "gpu=a100"]);
    let compared = runner().arg("compare").arg(&a).arg(&b).output().expect("runner compare");
    let stdout = String::from_utf8_lossy(&compared.stdout);
    assert!(compared.status.success(), "{stdout}");
    assert!(stdout.contains("note: different labels: gpu: h100 → a100"), "{stdout}");
    // Both met the same server: nothing to say about it.
    assert!(!stdout.contains("different servers"), "{stdout}");

    let out = runner().arg("merge").arg(&merged).arg(&a).arg(&b).output().expect("runner merge");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let summary = runner_reports::Summary::from_json(
        &std::fs::read_to_string(merged.join("summary.json")).expect("merged"),
    )
    .expect("a summary");
    assert_eq!(summary.labels.get("gpu").map(String::as_str), Some("h100"));
    assert!(summary.notes.iter().any(|n| n.contains("--label sets differ")), "{:?}", summary.notes);
    assert_eq!(summary.server.as_ref().and_then(|s| s.software.as_deref()), Some("runner-mock"));
    let rows = csv_rows(&merged);
    assert_eq!(number(row(&rows, "requests"), "value"), 10.0, "the workers' sum");
}
