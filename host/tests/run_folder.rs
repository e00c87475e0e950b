//! One run folder holds one run, whatever the disk does: an existing folder is refused (or, for
//! the default name, a fresh sibling is taken), a folder another run is writing is refused even
//! with `--force`, `runner report` never takes another run's leftovers for this one's, a full disk
//! loses the folder but not the run, a damaged time series is rebuilt from, and the last partial
//! second of a phase reads as neither a spike nor a dip. Real `runner` processes against the
//! simulated server on 127.0.0.1; the full disk is a file-size limit (RLIMIT_FSIZE), so it needs
//! no root.

mod common;

use std::io::Write as _;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, SystemTime};

use common::{play_into, runner, scenario};
use runner_reports::Summary;
use runner_reports::timeseries::{self, Record, Sample};

/// A short run of the `rate` scenario: `secs` seconds at 40 requests a second, tiny answers.
fn rate_args(secs: &str) -> Vec<String> {
    ["--mock", "ttft=2ms,itl=1ms", "-p", "rate=40", "-p", &format!("duration={secs}"), "-p", "max_tokens=4"]
        .map(String::from)
        .to_vec()
}

fn args(list: &[String]) -> Vec<&str> {
    list.iter().map(String::as_str).collect()
}

fn read_summary(path: &Path) -> Summary {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Summary::from_json(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `run_id` of a JSON document (run.json, summary.json), "" when it has none.
fn run_id(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let value: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    value.get("run_id").and_then(|v| v.as_str()).unwrap_or_default().to_string()
}

fn samples(dir: &Path) -> Vec<Sample> {
    let text = std::fs::read_to_string(dir.join("timeseries.jsonl")).expect("timeseries.jsonl");
    timeseries::parse(&text)
        .expect("timeseries.jsonl parses")
        .into_iter()
        .filter_map(|r| match r {
            Record::Sample(s) => Some(s),
            _ => None,
        })
        .collect()
}

fn report(dir: &Path) -> Output {
    runner().arg("report").arg(dir).output().expect("running runner report")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_second_run_into_the_same_out_is_refused_unless_forced() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("run");
    let first = play_into(&out, &scenario("rate"), &args(&rate_args("1s")));
    first.assert_success();
    let first_id = run_id(&out.join("summary.json"));
    assert!(!first_id.is_empty(), "summary.json names its run");
    assert_eq!(run_id(&out.join("run.json")), first_id);

    let again = play_into(&out, &scenario("rate"), &args(&rate_args("1s")));
    assert_eq!(again.output.status.code(), Some(2), "refused as a usage error:\n{}", again.stderr);
    let errors: Vec<&str> = again.stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "one line: {}", again.stderr);
    assert!(errors[0].contains(&out.display().to_string()) && errors[0].contains("--force"), "{}", errors[0]);
    assert!(again.stdout.is_empty(), "no run: {}", again.stdout);
    assert_eq!(run_id(&out.join("summary.json")), first_id, "the first run is untouched");
    assert_eq!(run_id(&out.join("run.json")), first_id);

    // A stray file of the user's: --force replaces the earlier run's files, and only those.
    std::fs::write(out.join("notes.txt"), "mine").expect("writing a file of the user's");
    let forced = play_into(&out, &scenario("rate"), &[&args(&rate_args("1s"))[..], &["--force"]].concat());
    forced.assert_success();
    let second_id = run_id(&out.join("summary.json"));
    assert_ne!(second_id, first_id, "a new run");
    assert_eq!(run_id(&out.join("run.json")), second_id);
    let first_line = std::fs::read_to_string(out.join("timeseries.jsonl")).expect("timeseries.jsonl");
    let first_line = first_line.lines().next().unwrap_or_default();
    assert!(first_line.contains(&second_id), "the time series names its run: {first_line}");
    assert_eq!(std::fs::read_to_string(out.join("notes.txt")).ok().as_deref(), Some("mine"));
}

#[test]
fn a_folder_another_run_is_writing_is_refused_even_with_force() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("run");
    let mut first = common::spawn_play(&scenario("rate"), &args(&rate_args("30s")), &out);
    common::wait_for_first_phase(&out);
    let before = std::fs::read_to_string(out.join("run.json")).expect("the first run's run.json");

    let second = runner()
        .arg("play")
        .arg(scenario("rate"))
        .args(rate_args("1s"))
        .args(["--quiet", "--force", "--out"])
        .arg(&out)
        .output()
        .expect("running a second runner");
    let stderr = text(&second.stderr);
    // Nor does `runner report` rebuild a summary from half a live run's time series.
    let reported = report(&out);
    let _ = first.kill();
    let _ = first.wait();
    assert_eq!(second.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().filter(|l| l.starts_with("error:")).count(), 1, "{stderr}");
    assert!(stderr.contains("being written by another run") && stderr.contains("run.lock"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(out.join("run.json")).ok(),
        Some(before),
        "the first run's header stands"
    );
    let report_err = text(&reported.stderr);
    assert_eq!(reported.status.code(), Some(1), "{report_err}");
    assert!(report_err.contains("being written by another run"), "{report_err}");
    assert!(!out.join("summary.json").exists(), "report wrote nothing into the live run's folder");
    let phases = std::fs::read_to_string(out.join("timeseries.jsonl")).expect("the first run's time series");
    assert_eq!(phases.matches(r#""kind":"run""#).count(), 1, "one run in the time series:\n{phases}");
}

/// `runs/rate-<UTC timestamp>` as the runner names a default run folder, `secs` from now.
fn default_name(secs: u64) -> String {
    let at = SystemTime::now() + Duration::from_secs(secs);
    let stamp = humantime::format_rfc3339_seconds(at).to_string().replace([':', '-'], "");
    format!("rate-{stamp}")
}

#[test]
fn runs_with_the_default_folder_name_never_share_one() {
    let cwd = tempfile::tempdir().expect("a temporary directory");
    let runs = cwd.path().join("runs");
    // Every default name of the next 20 seconds is taken, by a folder that is not a run's.
    let taken: Vec<PathBuf> = (0..20).map(|s| runs.join(default_name(s))).collect();
    for dir in &taken {
        std::fs::create_dir_all(dir).expect("creating a taken folder");
        std::fs::write(dir.join("keep.txt"), "not a run").expect("writing into it");
    }
    // Two runs at once, neither given --out.
    let spawn = || {
        runner()
            .current_dir(cwd.path())
            .arg("play")
            .arg(scenario("rate"))
            .args(rate_args("1s"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting runner play")
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().expect("run a"), b.wait_with_output().expect("run b"));
    for run in [&a, &b] {
        assert!(run.status.success(), "{}", text(&run.stderr));
        let stderr = text(&run.stderr);
        assert!(stderr.contains("exists: this run writes runs/rate-"), "it says so: {stderr}");
    }
    for dir in &taken {
        let names: Vec<_> =
            std::fs::read_dir(dir).expect("a taken folder").map(|e| e.expect("entry").file_name()).collect();
        assert_eq!(names, ["keep.txt"], "{} was left alone", dir.display());
    }
    let written: Vec<PathBuf> = std::fs::read_dir(&runs)
        .expect("runs/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("summary.json").exists())
        .collect();
    assert_eq!(written.len(), 2, "two runs, two folders: {written:?}");
    assert_ne!(run_id(&written[0].join("summary.json")), run_id(&written[1].join("summary.json")));
    for dir in &written {
        assert_eq!(read_summary(&dir.join("summary.json")).phases[0].requests, 40, "{}", dir.display());
    }
}

#[test]
fn report_never_takes_another_runs_summary_for_the_folders_run() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (old, new) = (dir.path().join("old"), dir.path().join("new"));
    play_into(&old, &scenario("rate"), &[&args(&rate_args("1s"))[..], &["--seed", "1"]].concat())
        .assert_success();
    // A run killed mid-way, then an earlier run's summary.json in its folder beside its run.json.
    let mut killed = common::spawn_play(
        &scenario("rate"),
        &[&args(&rate_args("60s"))[..], &["--seed", "2"]].concat(),
        &new,
    );
    common::wait_for_first_phase(&new);
    std::thread::sleep(Duration::from_millis(1500));
    killed.kill().expect("kill -9");
    killed.wait().expect("reaping it");
    let recorded = samples(&new).last().expect("a sample was flushed").requests;
    std::fs::copy(old.join("summary.json"), new.join("summary.json")).expect("copying the stale summary");

    let rebuilt = report(&new);
    assert!(rebuilt.status.success(), "{}", text(&rebuilt.stderr));
    let summary = read_summary(&new.join("summary.json"));
    assert_eq!(summary.seed, 2, "the folder's own run, not the earlier one");
    assert_eq!(summary.phases[0].requests, recorded);
    assert!(summary.notes.iter().any(|n| n.contains("another run")), "{:?}", summary.notes);

    // A summary.json a full disk left empty is rebuilt too, not refused.
    std::fs::write(new.join("summary.json"), "").expect("emptying summary.json");
    let rebuilt = report(&new);
    assert!(rebuilt.status.success(), "{}", text(&rebuilt.stderr));
    let summary = read_summary(&new.join("summary.json"));
    assert_eq!((summary.seed, summary.phases[0].requests), (2, recorded));
    assert!(summary.notes.iter().any(|n| n.contains("damaged")), "{:?}", summary.notes);
}

/// `runner play` whose files may not grow past `limit` bytes: a write past it fails with EFBIG,
/// as on a full disk (SIGXFSZ, which would kill the process instead, is ignored).
fn play_on_a_small_disk(out: &Path, limit: u64, extra: &[String]) -> Output {
    let mut cmd: Command = runner();
    cmd.arg("play").arg(scenario("rate")).args(extra).arg("--out").arg(out);
    // SAFETY: between fork and exec only async-signal-safe calls (signal, setrlimit).
    unsafe {
        cmd.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let rlimit = libc::rlimit { rlim_cur: limit as libc::rlim_t, rlim_max: limit as libc::rlim_t };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &rlimit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.output().expect("running the runner")
}

#[test]
fn a_full_disk_loses_the_folder_but_not_the_run() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("run");
    // run.json (under 1 KiB) fits; the time series fills 3,000 bytes within a few seconds, and
    // summary.json (over 4 KiB) never fits.
    let run = play_on_a_small_disk(&out, 3_000, &[&rate_args("4s")[..], &["--quiet".to_string()]].concat());
    let (stdout, stderr) = (text(&run.stdout), text(&run.stderr));
    assert_eq!(run.status.code(), Some(1), "a failed folder write fails the run\n{stdout}\n{stderr}");
    // The console summary, whole.
    assert!(stdout.contains("== rate"), "{stdout}");
    assert!(stdout.contains("total: 160 requests, 0 errors"), "every request measured:\n{stdout}");
    assert!(stdout.contains("the time series is incomplete"), "{stdout}");
    // The failed time-series write said at once, one line, once.
    let said = stderr.lines().filter(|l| l.contains("timeseries.jsonl failed")).count();
    assert_eq!(said, 1, "{stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(last.starts_with("error: the run folder") && last.contains("summary.json"), "{stderr}");
    // Never a 0-byte or partial summary.json, nor a temporary file left behind.
    assert!(!out.join("summary.json").exists(), "no summary.json rather than a broken one");
    let names: Vec<String> = std::fs::read_dir(&out)
        .expect("the run folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    assert!(std::fs::metadata(out.join("timeseries.jsonl")).expect("the time series").len() <= 3_000);

    // With room again, `runner report` rebuilds the run from what the time series kept: its torn
    // last line is skipped and counted.
    let rebuilt = report(&out);
    assert!(rebuilt.status.success(), "{}", text(&rebuilt.stderr));
    let summary = read_summary(&out.join("summary.json"));
    assert_eq!(summary.scenario.name, "rate");
    assert!(summary.phases[0].requests > 0);
    assert!(summary.notes.iter().any(|n| n.contains("damaged line")), "{:?}", summary.notes);
}

#[test]
fn a_damaged_time_series_is_rebuilt_with_the_damage_counted() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("run");
    let run = play_into(&out, &scenario("rate"), &args(&rate_args("2s")));
    run.assert_success();
    let requests = run.phase("rate").requests;
    std::fs::remove_file(out.join("summary.json")).expect("as if the run had been killed");
    let text_before = std::fs::read_to_string(out.join("timeseries.jsonl")).expect("timeseries.jsonl");
    let lines: Vec<&str> = text_before.lines().collect();
    let mut damaged = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        damaged.extend_from_slice(line.as_bytes());
        damaged.push(b'\n');
        if i == 1 {
            damaged.extend_from_slice(b"\x00\x00garbage after a crash\n");
            // A line torn inside a two-byte UTF-8 character (the first byte of 'e' acute).
            damaged.extend_from_slice(b"{\"kind\":\"phase\",\"phase\":\"caf\xC3\n");
        }
    }
    let last = lines.last().expect("lines");
    damaged.extend_from_slice(&last.as_bytes()[..last.len() / 2]); // a torn last line
    std::fs::File::create(out.join("timeseries.jsonl"))
        .and_then(|mut f| f.write_all(&damaged))
        .expect("writing the damaged time series");

    let rebuilt = report(&out);
    assert!(rebuilt.status.success(), "{}", text(&rebuilt.stderr));
    let summary = read_summary(&out.join("summary.json"));
    assert_eq!(summary.phases[0].requests, requests, "every intact sample counted");
    let notes: Vec<&String> = summary.notes.iter().filter(|n| n.contains("damaged lines skipped")).collect();
    assert_eq!(notes.len(), 1, "{:?}", summary.notes);
    assert!(notes[0].starts_with("timeseries.jsonl: 3 damaged lines skipped"), "{}", notes[0]);
    assert!(text(&rebuilt.stdout).contains("3 damaged lines skipped"), "the console says so too");
}

/// The rate a plain progress line ends with ("… 40.0 req/s …  done") for `phase`.
fn done_rate(stderr: &str, phase: &str) -> f64 {
    let line = stderr
        .lines()
        .find(|l| l.starts_with(&format!("{phase}  ")) && l.ends_with("done"))
        .unwrap_or_else(|| panic!("no done line for {phase}:\n{stderr}"));
    let before = line.split(" req/s").next().unwrap_or_default();
    before.rsplit(' ').next().and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("{line}"))
}

#[test]
fn the_last_partial_second_of_a_phase_is_neither_a_spike_nor_a_dip() {
    // `short`: 40 requests a second for 2.3 s, each ~35 ms. `long`: one VU whose 128-token
    // answers take ~2.05 s, so its second request runs until ~4.1 s: the run goes on after
    // `short` ends, whose last sample comes at the 3 s tick, 0.7 s after its end; and `long`
    // ends a few milliseconds after the 4 s tick, with one request in that sliver.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("run");
    let run = play_into(
        &out,
        &scenario("mixed"),
        &[
            "--mock",
            "ttft=2ms,itl=16ms",
            "-p",
            "duration=2300ms",
            "-p",
            "short_rate=40",
            "-p",
            "short_tokens=2",
            "-p",
            "long_vus=1",
            "-p",
            "long_tokens=128",
        ],
    );
    run.assert_success();
    let short: Vec<Sample> = samples(&out).into_iter().filter(|s| s.phase == "short").collect();
    let last = short.last().expect("short's samples");
    assert!(last.last);
    assert!(last.interval_s < 0.6, "the last interval covers the phase's last 0.3 s only: {last:?}");
    for s in &short {
        let rate = s.interval_requests as f64 / s.interval_s;
        assert!((28.0..=52.0).contains(&rate), "40/s at every sample, the last included: {s:?}");
    }
    // The live lines' last word on each phase is its rate, not a sliver's.
    let short_done = done_rate(&run.stderr, "short");
    assert!((36.0..=44.0).contains(&short_done), "{short_done}\n{}", run.stderr);
    let long = run.phase("long");
    let long_done = done_rate(&run.stderr, "long");
    assert!(long_done < 2.0, "long ran at ~0.5/s ({} requests), shown as {long_done}", long.requests);
}

#[test]
fn report_on_a_folder_that_is_no_run_folder_says_so_and_leaves_nothing_there() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(dir.path().join("notes.txt"), "not a run").expect("a file of the user's");
    let out = report(dir.path());
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("is not a run folder") && stderr.trim().lines().count() == 1, "{stderr}");
    let names: Vec<_> =
        std::fs::read_dir(dir.path()).expect("the folder").map(|e| e.expect("entry").file_name()).collect();
    assert_eq!(names, ["notes.txt"], "no run.lock or report left in a folder named by mistake");
}
