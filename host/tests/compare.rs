//! `runner compare`: two real runs against the simulated server with different TTFTs show the
//! TTFT change as a regression, `--fail-on` turns it into exit code 99, a run compared with
//! itself shows no change, and a folder without summary.json is a one-line error.

mod common;

use common::{play, runner, scenario};

/// The TTFT probe against a simulated server with the given TTFT.
fn probe(ttft: &str) -> common::Played {
    // Tokens 20 ms apart: a few ms of scheduling noise on a busy machine stays far from the 50 %
    // gate in ITL, so only the TTFT difference between the two runs can trip it.
    let mock = format!("ttft={ttft},itl=20ms");
    let run = play(
        &scenario("ttft-probe"),
        &["--mock", &mock, "-p", "requests=4", "-p", "max_tokens=4", "--seed", "3", "-q"],
    );
    run.assert_success();
    run
}

struct Compared {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn compare(args: &[&std::ffi::OsStr]) -> Compared {
    let output = runner().arg("compare").args(args).output().expect("running the runner binary");
    Compared {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The change cell of `metric`'s row in the first table that has it: `["+200.0%", "worse"]`.
fn change_of(stdout: &str, metric: &str) -> Vec<String> {
    let line = stdout
        .lines()
        .find(|l| l.starts_with(&format!("| {metric} ")))
        .unwrap_or_else(|| panic!("no {metric:?} row in:\n{stdout}"));
    let cells: Vec<&str> = line.split('|').map(str::trim).collect();
    // "", metric, A, B, change, ""
    cells[4].split_whitespace().map(String::from).collect()
}

fn percent(cell: &str) -> f64 {
    cell.trim_end_matches('%').parse().unwrap_or_else(|_| panic!("{cell:?} is not a percentage"))
}

#[test]
fn a_slower_ttft_is_a_marked_regression_and_fail_on_gates_it() {
    let fast = probe("20ms");
    let slow = probe("60ms");
    let (a, b) = (fast.out.as_os_str(), slow.out.as_os_str());

    let plain = compare(&[a, b]);
    assert_eq!(plain.code, Some(0), "without --fail-on a regression is only reported:\n{}", plain.stderr);
    let ttft = change_of(&plain.stdout, "TTFT p50 (ms)");
    assert_eq!(ttft.len(), 2, "{ttft:?}");
    let pct = percent(&ttft[0]);
    // 20 → 60 ms is +200%; the client's own overhead on top of each pulls it down a little.
    assert!((150.0..=220.0).contains(&pct), "TTFT p50 change {pct}%, expected about +200%\n{}", plain.stdout);
    assert_eq!(ttft[1], "worse", "{}", plain.stdout);
    assert!(plain.stdout.contains("phase ttft-probe\n"), "{}", plain.stdout);
    assert_eq!(change_of(&plain.stdout, "requests"), ["0.0%"], "both runs sent 4 requests");
    assert!(!plain.stdout.contains("note: different targets"), "mock ports are not a difference");

    let gated = compare(&[a, b, "--fail-on".as_ref(), "50".as_ref()]);
    assert_eq!(gated.code, Some(99), "stdout:\n{}\nstderr:\n{}", gated.stdout, gated.stderr);
    assert!(gated.stderr.contains("phase ttft-probe: TTFT p50 (ms) +"), "{}", gated.stderr);
    assert_eq!(gated.stderr.trim_end().lines().count(), 1, "{}", gated.stderr);

    // The other way round TTFT improved: nothing latency-wise is worse by 50%.
    let reverse = compare(&[b, a, "--fail-on".as_ref(), "50%".as_ref()]);
    assert_eq!(reverse.code, Some(0), "stdout:\n{}\nstderr:\n{}", reverse.stdout, reverse.stderr);
    assert_eq!(change_of(&reverse.stdout, "TTFT p50 (ms)")[1], "better");

    // A run against itself (folder vs. its summary.json): every change is 0.0%.
    let summary = fast.out.join("summary.json");
    let same = compare(&[a, summary.as_os_str(), "--fail-on".as_ref(), "0".as_ref()]);
    assert_eq!(same.code, Some(0), "stdout:\n{}\nstderr:\n{}", same.stdout, same.stderr);
    let rows: Vec<&str> =
        same.stdout.lines().filter(|l| l.starts_with("| ") && !l.starts_with("| metric ")).collect();
    assert!(rows.len() >= 10, "{}", same.stdout);
    for row in rows {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        assert_eq!(cells.get(4), Some(&"0.0%"), "{row}");
    }
    assert!(same.stdout.contains("no latency or throughput got worse by more than 0%"), "{}", same.stdout);
}

#[test]
fn a_folder_without_a_summary_is_a_one_line_error() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let other = tempfile::tempdir().expect("a temporary directory");
    let out = compare(&[dir.path().as_os_str(), other.path().as_os_str()]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert_eq!(out.stderr.trim_end().lines().count(), 1, "{}", out.stderr);
    assert!(out.stderr.contains("has no summary.json: run `runner report "), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);

    let bad = compare(&["a".as_ref(), "b".as_ref(), "--fail-on=-5".as_ref()]);
    assert_eq!(bad.code, Some(2), "{}", bad.stderr);
    assert!(bad.stderr.contains("\"-5\" is not a percentage like 10 or 10%"), "{}", bad.stderr);
}

#[test]
fn fail_on_with_no_phase_in_common_is_an_error_not_a_pass() {
    let run = probe("20ms");
    let dir = tempfile::tempdir().expect("a temporary directory");
    // The same run with its phase renamed: nothing can be paired, so the gate has judged nothing.
    let text = std::fs::read_to_string(run.out.join("summary.json")).expect("reading summary.json");
    let mut json: serde_json::Value = serde_json::from_str(&text).expect("summary.json is JSON");
    json["phases"][0]["name"] = "renamed".into();
    let renamed = dir.path().join("renamed.json");
    std::fs::write(&renamed, json.to_string()).expect("writing the renamed summary");

    let plain = compare(&[run.out.as_os_str(), renamed.as_os_str()]);
    assert_eq!(plain.code, Some(0), "without --fail-on it is only shown:\n{}", plain.stderr);
    assert!(plain.stdout.contains("no phase name is in both runs"), "{}", plain.stdout);

    let gated = compare(&[run.out.as_os_str(), renamed.as_os_str(), "--fail-on".as_ref(), "10".as_ref()]);
    assert_eq!(gated.code, Some(1), "a gate that judged nothing must not pass:\n{}", gated.stderr);
    let lines: Vec<&str> = gated.stderr.trim_end().lines().collect();
    assert_eq!(lines.len(), 1, "{}", gated.stderr);
    assert!(
        lines[0].starts_with("error: --fail-on")
            && lines[0].contains("no phase")
            && lines[0].contains("renamed"),
        "{}",
        lines[0]
    );
    assert!(!gated.stdout.contains("no latency or throughput got worse"), "{}", gated.stdout);
}
