//! Distributed runs under Slurm, for real: four `runner play --segment I/4` workers launched by
//! `srun` on the one-node cluster of `scripts/slurm.sh`, started together with `--start-at`,
//! against one `runner mock`; then `runner merge`, and the merged summary must add up to the
//! whole plan, with every segment there once.
//!
//! Ignored by `just test`: `just test-slurm` installs and starts the cluster, runs this with
//! `--ignored` and `RUNNER_SLURM=1` (and `SLURM_CONF` pointing at the cluster's config), then
//! stops the cluster whatever happened. Each run is bounded: a few seconds to the common start,
//! a 5 s phase, and a 120 s guard on srun.
//!
//! It also measures what docs/DISTRIBUTED.md quotes: the start skew, the spread of the workers'
//! wall-clock phase starts (the merged `distributed.phases[i].start_skew_ms`), and how late each
//! worker began against `--start-at` (`segment.start_late_ms`), over `RUNNER_SLURM_RUNS` runs
//! (default 3).

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

use common::{MockProcess, repo_root, runner, scenario};

const WORKERS: u64 = 4;
/// The `rate` scenario's plan: uniform arrivals, so exactly `RATE × DURATION_S` of them.
const RATE: u64 = 20;
const DURATION_S: u64 = 5;
/// Far enough ahead for srun to launch four tasks and each to load the (cached) component on a
/// busy two-core machine; the workers then wait for it.
const START_AHEAD: Duration = Duration::from_secs(8);
/// srun is killed (and its job with it) past this.
const SRUN_GUARD: Duration = Duration::from_secs(120);

fn require_cluster() {
    if std::env::var("RUNNER_SLURM").as_deref() != Ok("1") {
        panic!(
            "RUNNER_SLURM is not 1: run this with `just test-slurm` (scripts/slurm.sh starts the cluster)"
        );
    }
    let sinfo = Command::new("sinfo").args(["-h", "-o", "%T"]).output();
    match sinfo {
        Ok(out) if out.status.success() && String::from_utf8_lossy(&out.stdout).contains("idle") => {}
        Ok(out) => panic!(
            "no idle Slurm node (SLURM_CONF={:?}): sinfo said {:?} {}",
            std::env::var("SLURM_CONF").ok(),
            String::from_utf8_lossy(&out.stdout).trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) => panic!("sinfo: {e} (is Slurm installed? scripts/slurm.sh install)"),
    }
}

/// What one distributed run measured.
struct Skew {
    start_skew_ms: f64,
    max_start_late_ms: f64,
}

#[test]
#[ignore = "needs a Slurm cluster: just test-slurm"]
fn four_srun_workers_add_up_to_the_whole_plan() {
    require_cluster();
    let mock = MockProcess::start(&["--ttft-ms", "20", "--itl-ms", "2"]);
    let wasm = scenario("rate");
    // Compile once before the workers do, so four cold compiles on two cores do not eat the
    // head start (they share the test's compile cache).
    let inspect = runner().arg("inspect").arg(&wasm).output().expect("running runner inspect");
    assert!(inspect.status.success(), "runner inspect: {}", String::from_utf8_lossy(&inspect.stderr));

    let runs: usize =
        std::env::var("RUNNER_SLURM_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(3).max(1);
    let mut skews = Vec::new();
    for run in 0..runs {
        let dir = tempfile::tempdir().expect("a temporary directory");
        skews.push(distributed_run(&mock.url, &wasm, dir.path(), run));
    }

    let mut spread: Vec<f64> = skews.iter().map(|s| s.start_skew_ms).collect();
    spread.sort_by(f64::total_cmp);
    let late: f64 = skews.iter().map(|s| s.max_start_late_ms).fold(0.0, f64::max);
    println!(
        "slurm start skew over {runs} runs of {WORKERS} workers: p50 {:.2} ms, max {:.2} ms; \
         latest worker start {late:.2} ms after --start-at",
        spread[spread.len() / 2],
        spread[spread.len() - 1],
    );
}

/// One `srun -n 4` of the `rate` scenario into `dir/worker-I`, merged into `dir/merged`.
fn distributed_run(target: &str, wasm: &Path, dir: &Path, run: usize) -> Skew {
    let start_at = humantime::format_rfc3339_millis(SystemTime::now() + START_AHEAD).to_string();
    // Through `bash -c` so $SLURM_PROCID and $SLURM_NTASKS expand in each task, not here; the
    // fixed arguments travel as "$@", so no path is ever quoted into the script.
    let per_task = r#"out=$1; shift; exec "$@" --segment "$SLURM_PROCID/$SLURM_NTASKS" --out "$out/worker-$SLURM_PROCID""#;
    let mut srun = Command::new("srun");
    srun.args(["-n", &WORKERS.to_string(), "--oversubscribe", "--overcommit", "--kill-on-bad-exit=1"])
        .args(["--job-name", "runner-test", "--time", "3"])
        .args(["bash", "-c", per_task, "bash"])
        .arg(dir)
        .arg(env!("CARGO_BIN_EXE_runner"))
        .arg("play")
        .arg(wasm)
        .args(["--target", target, "--start-at", &start_at, "--quiet"])
        .args(["--param", &format!("rate={RATE}"), "--param", &format!("duration={DURATION_S}s")])
        .args(["--param", "max_tokens=8", "--param", "prompt_tokens=8"])
        // The same environment as common::runner(); srun hands it to every task (--export=ALL).
        .env("RUNNER_CACHE_DIR", repo_root().join("target").join("test-cache"))
        .env("RUNNER_LOG", "warn")
        .env_remove("OPENAI_API_KEY")
        .current_dir(repo_root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let (status, stdout, stderr) = wait_bounded(srun.spawn().expect("starting srun (is Slurm installed?)"));
    assert!(status.success(), "srun failed ({status}), run {run}\nstdout:\n{stdout}\nstderr:\n{stderr}");

    let workers: Vec<Value> = (0..WORKERS).map(|i| read_summary(&dir.join(format!("worker-{i}")))).collect();
    let mut latest_start_ms: f64 = 0.0;
    for (i, worker) in workers.iter().enumerate() {
        let segment = &worker["segment"];
        assert_eq!(segment["index"].as_u64(), Some(i as u64), "worker-{i}'s segment: {segment}");
        assert_eq!(segment["count"].as_u64(), Some(WORKERS), "worker-{i}'s segment: {segment}");
        assert_eq!(
            segment["start_at"].as_str().map(str::is_empty),
            Some(false),
            "worker-{i}'s segment: {segment}"
        );
        let late = segment["start_late_ms"]
            .as_f64()
            .unwrap_or_else(|| panic!("worker-{i} has no start_late_ms: {segment}"));
        latest_start_ms = latest_start_ms.max(late);
        // Arrival j goes to worker j mod N: worker i has the j < RATE×DURATION with j ≡ i.
        let whole = RATE * DURATION_S;
        let share = (whole + WORKERS - 1 - i as u64) / WORKERS;
        assert_eq!(arrivals(&worker["phases"][0]), share, "worker-{i}'s share of {whole} arrivals");
    }

    let merged_dir = dir.join("merged");
    let worker_dirs = (0..WORKERS).map(|i| dir.join(format!("worker-{i}")));
    let merge =
        runner().arg("merge").arg(&merged_dir).args(worker_dirs).output().expect("running runner merge");
    assert!(
        merge.status.success(),
        "runner merge failed ({})\nstderr:\n{}",
        merge.status,
        String::from_utf8_lossy(&merge.stderr)
    );
    let merged = read_summary(&merged_dir);

    // Every segment once, each from its own worker.
    let distributed = &merged["distributed"];
    let mut segments: Vec<String> = distributed["workers"]
        .as_array()
        .unwrap_or_else(|| panic!("merged summary has no distributed.workers: {distributed}"))
        .iter()
        .map(|w| w["segment"].as_str().unwrap_or_default().to_string())
        .collect();
    segments.sort();
    let expected: Vec<String> = (0..WORKERS).map(|i| format!("{i}/{WORKERS}")).collect();
    assert_eq!(segments, expected, "the merged run's workers");

    // The merged phase is the whole plan: every arrival once, none lost or doubled.
    let phase = &merged["phases"][0];
    assert_eq!(phase["name"].as_str(), Some("rate"), "merged phases: {}", merged["phases"]);
    assert_eq!(arrivals(phase), RATE * DURATION_S, "merged iterations of {phase}");
    let completed = phase["iterations"]["completed"].as_u64().unwrap_or(0);
    let requests = phase["requests"].as_u64().unwrap_or(0);
    assert!(
        requests >= completed && completed > 0,
        "merged phase sent {requests} requests for {completed} iterations"
    );
    let worker_requests: u64 = workers.iter().map(|w| w["phases"][0]["requests"].as_u64().unwrap_or(0)).sum();
    assert_eq!(requests, worker_requests, "merged requests are the workers' sum");

    let skew_phase = distributed["phases"]
        .as_array()
        .and_then(|phases| phases.iter().find(|p| p["phase"].as_str() == Some("rate")))
        .unwrap_or_else(|| {
            panic!("merged summary has no distributed.phases entry for `rate`: {distributed}")
        });
    let start_skew_ms =
        skew_phase["start_skew_ms"].as_f64().unwrap_or_else(|| panic!("no start_skew_ms in {skew_phase}"));
    assert!(start_skew_ms >= 0.0, "a negative skew: {start_skew_ms}");
    println!(
        "run {run}: {completed}/{} iterations completed, start skew {start_skew_ms:.2} ms, \
         latest worker {latest_start_ms:.2} ms after --start-at",
        RATE * DURATION_S
    );
    Skew { start_skew_ms, max_start_late_ms: latest_start_ms }
}

/// Every planned arrival of a phase lands in exactly one of these.
fn arrivals(phase: &Value) -> u64 {
    let it = &phase["iterations"];
    ["completed", "failed", "dropped", "interrupted"]
        .iter()
        .map(|k| it[k].as_u64().unwrap_or_else(|| panic!("iterations.{k} missing in {it}")))
        .sum()
}

/// A run folder's summary.json as JSON (the segment and distributed fields are read by name).
fn read_summary(dir: &Path) -> Value {
    let path = dir.join("summary.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Waits for srun up to [`SRUN_GUARD`]; past it srun is killed, which cancels its job.
fn wait_bounded(mut child: std::process::Child) -> (std::process::ExitStatus, String, String) {
    // Drain the pipes on threads so a chatty task cannot block srun on a full pipe.
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut out, &mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut err, &mut s);
        s
    });
    let began = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for srun") {
            break status;
        }
        if began.elapsed() > SRUN_GUARD {
            // SIGTERM first: srun then signals its tasks and ends the job; SIGKILL would leave
            // the job to its --time limit.
            let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
            let grace = Instant::now();
            while grace.elapsed() < Duration::from_secs(10) && matches!(child.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "srun still running after {SRUN_GUARD:?}; killed\nstderr:\n{}",
                err.join().unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    (status, out.join().unwrap_or_default(), err.join().unwrap_or_default())
}
