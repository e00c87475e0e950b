//! Telemetry end to end (issue 4), without a GPU: the real nvml-wrapper path against a fake
//! libnvidia-ml built from host/tests/fake-nvml, and Prometheus scrapes of `runner mock --metrics`.

mod common;

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use runner_reports::Summary;
use runner_reports::model::TelemetryReport;

/// Builds the fake NVML once per test binary. It has its own target folder inside the shared one:
/// the outer `cargo test` may still hold the main folder's lock.
fn fake_nvml() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let root = common::repo_root();
            let target = root.join("target").join("fake-nvml");
            let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
                .args(["build", "--release", "--quiet", "--manifest-path"])
                .arg(root.join("host/tests/fake-nvml/Cargo.toml"))
                .env("CARGO_TARGET_DIR", &target)
                .status()
                .expect("running cargo to build the fake NVML");
            assert!(status.success(), "building host/tests/fake-nvml failed");
            let lib = target.join("release").join("libfake_nvml.so");
            assert!(lib.exists(), "{} was not built", lib.display());
            lib
        })
        .clone()
}

/// The runs share the machine's two cores: one at a time, as in the other test binaries.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

struct Run {
    stderr: String,
    summary: Summary,
    report_md: String,
    success: bool,
}

/// `runner play stress-sweep` with extra arguments and environment, into a temporary folder.
fn sweep(args: &[&str], env: &[(&str, &str)]) -> Run {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("run");
    let mut cmd = common::runner();
    cmd.arg("play").arg(common::scenario("stress-sweep")).args(args).arg("--out").arg(&out).arg("--quiet");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let output = cmd.output().expect("running the runner binary");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let text = std::fs::read_to_string(out.join("summary.json"))
        .unwrap_or_else(|e| panic!("no summary.json ({e}); stderr:\n{stderr}"));
    Run {
        summary: Summary::from_json(&text).expect("summary.json parses"),
        report_md: std::fs::read_to_string(out.join("report.md")).expect("report.md"),
        success: output.status.success(),
        stderr,
    }
}

fn telemetry<'a>(run: &'a Run, phase: &str) -> &'a TelemetryReport {
    let p = run.summary.phases.iter().find(|p| p.name == phase).unwrap_or_else(|| panic!("no phase {phase}"));
    p.telemetry.as_ref().unwrap_or_else(|| panic!("phase {phase} has no telemetry; stderr:\n{}", run.stderr))
}

const SCRIPT: &str = "count=1,util=73,mem_util=41,mem_used_mib=12345,mem_total_mib=81920,temp=66,power_w=250";

#[test]
fn nvml_figures_reach_the_summary_exactly() {
    let lib = fake_nvml();
    let run = sweep(
        &[
            "-p",
            "levels=2,4",
            "-p",
            "lengths=8",
            "-p",
            "duration=1s",
            "--mock",
            "ttft=5ms,itl=2ms",
            "--telemetry",
            "nvml",
            "--nvml-lib",
            lib.to_str().expect("a UTF-8 path"),
            "--sample-interval",
            "100ms",
        ],
        &[("FAKE_NVML_SCRIPT", SCRIPT)],
    );
    assert!(run.success, "stderr:\n{}", run.stderr);
    assert!(!run.stderr.contains("telemetry:"), "no telemetry warning expected:\n{}", run.stderr);
    for phase in ["len8-c2", "len8-c4"] {
        let t = telemetry(&run, phase);
        assert!(t.samples >= 3, "{phase}: only {} samples in 1 s at 100 ms", t.samples);
        assert_eq!(t.gpu_util_avg_pct, Some(73.0), "{phase}");
        assert_eq!(t.gpu_util_max_pct, Some(73.0), "{phase}");
        assert_eq!(t.memory_used_max_mib, Some(12345.0), "{phase}");
        assert_eq!(t.temperature_max_c, Some(66.0), "{phase}");
        assert_eq!(t.power_avg_w, Some(250.0), "{phase}");
        assert_eq!(t.queue_waiting_max, None, "{phase}: no server source, so no queue figures");
    }
    assert!(
        run.report_md.contains("| 2 | ") && run.report_md.contains(" | 73 | 12345 |"),
        "{}",
        run.report_md
    );
    assert!(!run.report_md.contains("GPU columns read n/a"), "{}", run.report_md);
}

#[test]
fn a_failing_nvml_init_is_one_warning_and_the_run_goes_on() {
    let lib = fake_nvml();
    let run = sweep(
        &[
            "-p",
            "levels=2",
            "-p",
            "lengths=8",
            "-p",
            "duration=500ms",
            "--mock",
            "ttft=5ms,itl=2ms",
            "--telemetry",
            "nvml",
            "--nvml-lib",
            lib.to_str().expect("a UTF-8 path"),
        ],
        &[("FAKE_NVML_FAIL_INIT", "1")],
    );
    assert!(run.success, "stderr:\n{}", run.stderr);
    let warnings: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("telemetry:")).collect();
    assert_eq!(warnings.len(), 1, "{}", run.stderr);
    assert!(warnings[0].starts_with("telemetry: nvml unavailable: "), "{}", warnings[0]);
    let p = &run.summary.phases[0];
    assert!(p.requests > 0, "the run went on");
    assert_eq!(p.telemetry, None, "absent, not zero");
    assert!(run.report_md.contains("| n/a | n/a |"), "{}", run.report_md);
}

/// `runner mock` in its own process; killed when dropped.
struct MockProcess {
    child: Child,
    url: String,
}

impl MockProcess {
    fn start(args: &[&str]) -> MockProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let addr = format!("127.0.0.1:{port}");
        let child = common::runner()
            .args(["mock", "--addr", &addr])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting runner mock");
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(&addr).is_err() {
            assert!(Instant::now() < deadline, "runner mock did not listen on {addr}");
            std::thread::sleep(Duration::from_millis(20));
        }
        MockProcess { child, url: format!("http://{addr}") }
    }
}

impl Drop for MockProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn prometheus_queue_depth_grows_with_concurrency_beyond_capacity() {
    let mock = MockProcess::start(&["--metrics", "--capacity", "4", "--ttft-ms", "20", "--itl-ms", "5"]);
    let prom = format!("prom={}/metrics", mock.url);
    let run = sweep(
        &[
            "-p",
            "levels=2,8,16",
            "-p",
            "lengths=32",
            "-p",
            "duration=2s",
            "--target",
            &mock.url,
            "--telemetry",
            &prom,
            "--sample-interval",
            "100ms",
        ],
        &[],
    );
    assert!(run.success, "stderr:\n{}", run.stderr);
    let (c2, c8, c16) =
        (telemetry(&run, "len32-c2"), telemetry(&run, "len32-c8"), telemetry(&run, "len32-c16"));
    assert_eq!(c2.queue_waiting_max, Some(0.0), "2 VUs fit in 4 slots: nothing waits");
    let (w8, w16) = (c8.queue_waiting_max.unwrap_or(-1.0), c16.queue_waiting_max.unwrap_or(-1.0));
    assert!((1.0..=4.0).contains(&w8), "8 VUs on 4 slots: at most 4 wait, got {w8}");
    assert!(w16 > w8 && w16 <= 12.0, "16 VUs: more wait than at 8 (≤ 12), got {w16} vs {w8}");
    assert!(c16.queue_waiting_avg.is_some_and(|a| a > 0.0 && a <= w16));
    assert_eq!(c16.queue_running_max, Some(4.0), "every slot busy");
    assert!(c16.kv_cache_max_pct.is_some_and(|k| (k - 100.0).abs() < 1e-9));
    assert_eq!(c16.gpu_util_avg_pct, None, "the vLLM page has no GPU series");
}

#[test]
fn the_metrics_page_is_off_unless_asked_for() {
    let mock = MockProcess::start(&[]);
    let status = http_get_status(&mock.url, "/metrics");
    assert_eq!(status, 404, "without --metrics there is no /metrics");
}

/// A plain HTTP/1.1 GET on 127.0.0.1; the status code.
fn http_get_status(url: &str, path: &str) -> u16 {
    use std::io::{Read, Write};
    let addr = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).expect("connect");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").expect("send");
    let mut text = String::new();
    stream.read_to_string(&mut text).expect("read");
    text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}
