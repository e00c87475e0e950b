//! Telemetry end to end, without a GPU: the real nvml-wrapper path against a fake
//! libnvidia-ml built from host/tests/fake-nvml, and Prometheus scrapes of `runner mock --metrics`.

mod common;

use common::MockProcess;

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use runner_reports::Summary;
use runner_reports::model::TelemetryReport;
use runner_reports::timeseries::{self, Record, TelemetrySample};

/// Builds the fake NVML once per test binary. It has its own target folder inside the shared one:
/// the outer `cargo test` may still hold the main folder's lock.
fn fake_nvml() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| build_fake_nvml("fake-nvml", &[])).clone()
}

/// The fake NVML without its optional functions (SM clock, compute processes): a driver that
/// lacks them. Its own target folder, so the two builds do not overwrite each other.
fn fake_nvml_minimal() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| build_fake_nvml("fake-nvml-minimal", &["--no-default-features"])).clone()
}

fn build_fake_nvml(folder: &str, extra: &[&str]) -> PathBuf {
    let root = common::repo_root();
    let target = root.join("target").join(folder);
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--release", "--quiet", "--manifest-path"])
        .arg(root.join("host/tests/fake-nvml/Cargo.toml"))
        .args(extra)
        .env("CARGO_TARGET_DIR", &target)
        .status()
        .expect("running cargo to build the fake NVML");
    assert!(status.success(), "building host/tests/fake-nvml {extra:?} failed");
    let lib = target.join("release").join("libfake_nvml.so");
    assert!(lib.exists(), "{} was not built", lib.display());
    lib
}

/// The runs share the machine's two cores: one at a time, as in the other test binaries.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

struct Run {
    stderr: String,
    summary: Summary,
    report_md: String,
    report_html: String,
    /// The time series' telemetry records.
    telemetry: Vec<TelemetrySample>,
    success: bool,
}

/// `runner play stress-sweep` with extra arguments and environment, into a temporary folder.
fn sweep(args: &[&str], env: &[(&str, &str)]) -> Run {
    play(&common::scenario("stress-sweep"), args, env)
}

/// `runner play SCENARIO` with extra arguments and environment, into a temporary folder.
fn play(scenario: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("run");
    let mut cmd = common::runner();
    cmd.arg("play").arg(scenario).args(args).arg("--out").arg(&out).arg("--quiet");
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
        report_html: std::fs::read_to_string(out.join("report.html")).expect("report.html"),
        telemetry: timeseries::parse(
            &std::fs::read_to_string(out.join("timeseries.jsonl")).expect("timeseries.jsonl"),
        )
        .expect("timeseries.jsonl parses")
        .into_iter()
        .filter_map(|r| match r {
            Record::Telemetry(t) => Some(t),
            _ => None,
        })
        .collect(),
        success: output.status.success(),
        stderr,
    }
}

fn telemetry<'a>(run: &'a Run, phase: &str) -> &'a TelemetryReport {
    let p = run.summary.phases.iter().find(|p| p.name == phase).unwrap_or_else(|| panic!("no phase {phase}"));
    p.telemetry.as_ref().unwrap_or_else(|| panic!("phase {phase} has no telemetry; stderr:\n{}", run.stderr))
}

const SCRIPT: &str = "count=1,util=73,mem_util=41,mem_used_mib=12345,mem_total_mib=81920,temp=66,power_w=250,\
                      sm_mhz=1410,procs=2,proc_mem_mib=3000";

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
        assert_eq!(t.sm_clock_avg_mhz, Some(1410.0), "{phase}");
        assert_eq!(t.process_memory_max_mib, Some(6000.0), "{phase}: two processes of 3000 MiB");
        assert_eq!(t.queue_waiting_max, None, "{phase}: no server source, so no queue figures");
    }
    assert!(
        run.report_md.contains("| 2 | ") && run.report_md.contains(" | 73 | 12345 |"),
        "{}",
        run.report_md
    );
    assert!(!run.report_md.contains("GPU columns read n/a"), "{}", run.report_md);
    // Every sample is in the time series, per device, on the run's clock.
    let records = &run.telemetry;
    assert!(records.len() >= 6, "{} telemetry records", records.len());
    assert!(records.windows(2).all(|w| w[0].t_ms <= w[1].t_ms), "in time order");
    for r in records {
        assert_eq!((r.source.as_str(), r.device.as_deref()), ("nvml", Some("0")));
        assert_eq!(r.fields.get("gpu_util_pct"), Some(&73.0));
        assert_eq!(r.fields.get("memory_used_mib"), Some(&12345.0));
        assert_eq!(r.fields.get("process_memory_mib"), Some(&6000.0));
        assert_eq!(r.fields.get("waiting"), None, "absent, not zero");
    }
    let duration_ms = run.summary.duration_s * 1000.0;
    assert!(records.last().is_some_and(|r| (r.t_ms as f64) <= duration_ms + 500.0), "run clock");
    assert!(run.report_html.contains("data-chart=\"gpu\""), "a GPU chart in report.html");
    assert!(!run.report_html.contains("data-chart=\"queue\""), "no queue source, no queue chart");
}

#[test]
fn functions_the_library_lacks_read_as_absent_not_as_a_failure() {
    let lib = fake_nvml_minimal();
    let run = sweep(
        &[
            "-p",
            "levels=2",
            "-p",
            "lengths=8",
            "-p",
            "duration=600ms",
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
    assert!(!run.stderr.contains("telemetry:"), "a missing function is not worth a warning:\n{}", run.stderr);
    let t = telemetry(&run, "len8-c2");
    assert_eq!((t.gpu_util_avg_pct, t.memory_used_max_mib), (Some(73.0), Some(12345.0)));
    assert_eq!(t.sm_clock_avg_mhz, None, "no nvmlDeviceGetClockInfo: absent");
    assert_eq!(t.process_memory_max_mib, None, "no nvmlDeviceGetComputeRunningProcesses_v3: absent");
    assert!(run.report_md.contains("## GPU telemetry per phase"), "{}", run.report_md);
    assert!(run.report_md.contains("| len8-c2 | "), "{}", run.report_md);
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
    // The queue over time: the time series has the scrapes, report.html draws them.
    let waiting: Vec<f64> = run.telemetry.iter().filter_map(|r| r.fields.get("waiting").copied()).collect();
    assert!(waiting.len() >= 30, "{} scrapes in 6 s at 100 ms", waiting.len());
    assert!(waiting.iter().any(|&w| w > 4.0), "the 16-VU phase queues more than 4: {waiting:?}");
    assert!(run.telemetry.iter().all(|r| r.source == prom && r.device.is_none()));
    assert!(run.report_html.contains("data-chart=\"queue\""), "a queue chart in report.html");
}

/// The server's own histograms, the DCGM page and `--prom-keep`, against `runner mock --metrics`
/// whose delays are known: TTFT 45 ms (no queue at 2 VUs on 4 slots), tokens 20 ms apart.
#[test]
fn server_histograms_dcgm_and_kept_series_follow_the_mock() {
    let mock = MockProcess::start(&["--metrics", "--capacity", "4", "--ttft-ms", "45", "--itl-ms", "20"]);
    let (vllm, dcgm) = (format!("prom={}/metrics", mock.url), format!("prom={}/metrics/dcgm", mock.url));
    let run = sweep(
        &[
            "-p",
            "levels=2,8",
            "-p",
            "lengths=16",
            "-p",
            "duration=2s",
            "--target",
            &mock.url,
            "--telemetry",
            &vllm,
            "--telemetry",
            &dcgm,
            "--prom-keep",
            "DCGM_FI_DEV_FB_(FREE|TOTAL)",
            "--prom-keep",
            "vllm:num_requests_wait.*",
            "--sample-interval",
            "100ms",
        ],
        &[],
    );
    assert!(run.success, "stderr:\n{}", run.stderr);
    assert!(!run.stderr.contains("telemetry:"), "no telemetry warning expected:\n{}", run.stderr);
    let (c2, c8) = (telemetry(&run, "len16-c2"), telemetry(&run, "len16-c8"));
    let requests =
        |phase: &str| run.summary.phases.iter().find(|p| p.name == phase).map_or(0, |p| p.requests);

    // TTFT 45 ms lies in vLLM's (40, 60] ms bucket: the server-side p50 is interpolated inside it.
    let ttft = c2.server_ttft.as_ref().unwrap_or_else(|| panic!("no server TTFT: {c2:?}"));
    let p50 = ttft.p50_ms.unwrap_or(-1.0);
    assert!((40.0..=60.0).contains(&p50), "server TTFT p50 {p50} ms, configured 45 ms");
    assert!(ttft.mean_ms.is_some_and(|m| (45.0..75.0).contains(&m)), "exact mean from _sum: {ttft:?}");
    // The window brackets the phase by one 100 ms sample each side: at most a request or two of
    // the neighbouring phase, never fewer than the phase's own.
    let n = requests("len16-c2");
    assert!(ttft.count >= n && ttft.count <= n + 12, "server counted {} TTFTs, client sent {n}", ttft.count);
    let itl = c2.server_itl.as_ref().and_then(|h| h.p50_ms).unwrap_or(-1.0);
    assert!((10.0..=25.0).contains(&itl), "ITL 20 ms is in the (10, 25] ms bucket; p50 {itl}");
    // At 8 VUs on 4 slots half the requests wait a whole request (45 + 15·20 = 345 ms) for a slot.
    let q8 = c8.server_queue_time.as_ref().unwrap_or_else(|| panic!("no queue time: {c8:?}"));
    assert!(q8.mean_ms.is_some_and(|m| m > 100.0), "{q8:?}");
    let q2 = c2.server_queue_time.as_ref().and_then(|h| h.mean_ms).unwrap_or(-1.0);
    assert!((0.0..60.0).contains(&q2), "2 VUs on 4 slots: no queueing, mean {q2} ms");
    assert_eq!(c2.preemptions, Some(0.0));

    // The DCGM page follows the slots in use: 2 of 4 at c2 (50 %), all 4 at c8.
    assert_eq!(c2.sm_active_max_pct, Some(50.0), "{c2:?}");
    assert_eq!(c8.sm_active_max_pct, Some(100.0), "{c8:?}");
    assert_eq!(c8.gpu_util_max_pct, Some(100.0));
    assert_eq!(c2.memory_used_max_mib, Some(16384.0 + 2.0 * 512.0));
    assert_eq!(c8.memory_used_max_mib, Some(16384.0 + 4.0 * 512.0));
    assert!(c8.sm_clock_avg_mhz.is_some_and(|c| c > 210.0 && c <= 1410.0), "{c8:?}");

    // Kept by name, with labels; FB_TOTAL is not served, so it is simply absent.
    let free = c8.kept.iter().find(|(k, _)| k.starts_with("DCGM_FI_DEV_FB_FREE{gpu=\"0\""));
    let (_, free) = free.unwrap_or_else(|| panic!("FB_FREE not kept: {:?}", c8.kept.keys()));
    assert!(free.max <= 81920.0 - 16384.0 && free.avg >= 81920.0 - 16384.0 - 4.0 * 512.0, "{free:?}");
    assert!(free.avg <= free.max, "{free:?}");
    let waiting = c8.kept.iter().find(|(k, _)| k.starts_with("vllm:num_requests_waiting{"));
    assert!(waiting.is_some_and(|(_, w)| Some(w.max) == c8.queue_waiting_max), "{:?}", c8.kept);
    assert_eq!(c8.kept.len(), 2, "{:?}", c8.kept.keys());

    // The report answers the queue question and shows the server's view next to the client's.
    assert!(run.report_md.contains("## Server queue per phase"), "{}", run.report_md);
    assert!(run.report_md.contains("| len16-c8 | TTFT |"), "{}", run.report_md);
    assert!(run.report_md.contains("`DCGM_FI_DEV_FB_FREE{gpu=\"0\""), "{}", run.report_md);
}

#[test]
fn a_bad_keep_pattern_is_a_one_line_error() {
    let output = common::runner()
        .args(["play", "--prom-keep", "(unclosed", "--telemetry", "prom=http://127.0.0.1:9/metrics"])
        .arg(common::scenario("stress-sweep"))
        .output()
        .expect("running the runner binary");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--prom-keep \"(unclosed\""), "{stderr}");
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

/// Writes a fake sysfs card `card<index>/device` as the amdgpu driver lays it out.
fn fake_amd_card(root: &std::path::Path, index: u32, busy: u32, used_mib: u64, temp_mc: u32) {
    let device = root.join(format!("card{index}")).join("device");
    let hwmon = device.join("hwmon").join(format!("hwmon{}", index + 2));
    std::fs::create_dir_all(&hwmon).expect("fake sysfs folders");
    let files = [
        (device.join("gpu_busy_percent"), busy.to_string()),
        (device.join("mem_info_vram_used"), (used_mib << 20).to_string()),
        (device.join("mem_info_vram_total"), (24576u64 << 20).to_string()),
        (hwmon.join("temp1_input"), temp_mc.to_string()),
        (hwmon.join("power1_average"), "150000000".to_string()),
    ];
    for (path, value) in files {
        std::fs::write(path, format!("{value}\n")).expect("a fake sysfs file");
    }
    // A connector of the card: not a GPU.
    std::fs::create_dir_all(root.join(format!("card{index}-DP-1"))).expect("a connector folder");
}

#[test]
fn amdgpu_sysfs_figures_reach_the_summary_per_device() {
    let sysfs = tempfile::tempdir().expect("a temporary directory");
    fake_amd_card(sysfs.path(), 0, 90, 4000, 71000);
    fake_amd_card(sysfs.path(), 1, 30, 1000, 55000);
    let root = sysfs.path().to_str().expect("a UTF-8 path");
    let run = sweep(
        &[
            "-p",
            "levels=2",
            "-p",
            "lengths=8",
            "-p",
            "duration=600ms",
            "--mock",
            "ttft=5ms,itl=2ms",
            "--telemetry",
            "amdgpu",
            "--amdgpu-root",
            root,
            "--sample-interval",
            "100ms",
        ],
        &[],
    );
    assert!(run.success, "stderr:\n{}", run.stderr);
    assert!(!run.stderr.contains("telemetry:"), "{}", run.stderr);
    let t = telemetry(&run, "len8-c2");
    assert_eq!(t.gpu_util_avg_pct, Some(60.0), "the mean of 90 % and 30 %");
    assert_eq!(t.memory_used_max_mib, Some(5000.0), "summed over the cards");
    assert_eq!(t.temperature_max_c, Some(71.0), "the hotter card");
    assert_eq!(t.power_avg_w, Some(300.0), "150 W each");
    let devices: Vec<Option<&str>> = run.telemetry.iter().take(2).map(|r| r.device.as_deref()).collect();
    assert_eq!(devices, [Some("0"), Some("1")], "one record per card, in card order");
    assert!(run.telemetry.iter().all(|r| r.source == "amdgpu"));

    // No card under the root: one line, and the run goes on.
    let empty = tempfile::tempdir().expect("a temporary directory");
    let run = sweep(
        &["-p", "levels=1", "-p", "lengths=4", "-p", "duration=200ms", "--mock", "ttft=5ms,itl=2ms"]
            .into_iter()
            .chain(["--telemetry", "amdgpu", "--amdgpu-root", empty.path().to_str().expect("UTF-8")])
            .collect::<Vec<_>>(),
        &[],
    );
    assert!(run.success, "stderr:\n{}", run.stderr);
    let warnings: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("telemetry:")).collect();
    assert_eq!(warnings.len(), 1, "{}", run.stderr);
    assert!(warnings[0].starts_with("telemetry: amdgpu unavailable: no AMD GPU under "), "{}", warnings[0]);
}

#[test]
fn llamacpp_slots_follow_the_mocks_slots() {
    let mock = MockProcess::start(&["--metrics", "--capacity", "4", "--ttft-ms", "20", "--itl-ms", "5"]);
    let slots = format!("llamacpp-slots={}/slots", mock.url);
    let run = sweep(
        &[
            "-p",
            "levels=2,8",
            "-p",
            "lengths=32",
            "-p",
            "duration=1500ms",
            "--target",
            &mock.url,
            "--telemetry",
            &slots,
            "--sample-interval",
            "100ms",
        ],
        &[],
    );
    assert!(run.success, "stderr:\n{}", run.stderr);
    assert!(!run.stderr.contains("telemetry:"), "{}", run.stderr);
    let (c2, c8) = (telemetry(&run, "len32-c2"), telemetry(&run, "len32-c8"));
    assert_eq!((c2.slots_busy_max, c2.slots_total), (Some(2.0), Some(4.0)), "{c2:?}");
    assert_eq!((c8.slots_busy_max, c8.slots_total), (Some(4.0), Some(4.0)), "{c8:?}");
    assert!(c8.slots_busy_avg.is_some_and(|a| a > 2.0 && a <= 4.0), "{c8:?}");
    assert_eq!(c8.decoded_tokens_max, None, "the mock serves no n_decoded: absent, not 0");
    assert_eq!(c8.queue_running_max, Some(4.0), "busy slots are the running requests");
    assert!(run.report_md.contains(" / 4 / 4 |"), "{}", run.report_md);
}

/// The `gpu` interface: a guest's ramp reads `gpu.latest()` between steps and stops once the
/// (fake) GPU's memory passes its bound.
#[test]
fn a_guest_stops_its_ramp_when_gpu_memory_passes_a_bound() {
    let lib = fake_nvml();
    let guest = common::test_guest("gpu-bound");
    let ramp = |bound: &str| {
        play(
            &guest,
            &[
                "-p",
                "levels=1,2,3",
                "-p",
                "step=300ms",
                "-p",
                bound,
                "--mock",
                "ttft=5ms,itl=2ms",
                "--telemetry",
                "nvml",
                "--nvml-lib",
                lib.to_str().expect("a UTF-8 path"),
                "--sample-interval",
                "50ms",
            ],
            &[("FAKE_NVML_SCRIPT", SCRIPT)],
        )
    };
    let names = |run: &Run| run.summary.phases.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
    let drive =
        |run: &Run| run.summary.phases.iter().find(|p| p.name == "drive").cloned().unwrap_or_default();

    let stopped = ramp("bound_mib=10000");
    assert!(stopped.success, "stderr:\n{}", stopped.stderr);
    assert_eq!(names(&stopped), ["step-c1", "drive"], "12345 MiB > 10000: stopped after the first step");
    let d = drive(&stopped);
    assert_eq!(d.counters.get("ramp_stopped"), Some(&1));
    let seen = d.metrics.get("custom:gpu_memory_mib").map(|m| (m.count, m.max));
    // Exactly 12345 as seen; trends keep 3 significant digits (HdrHistogram), hence the 0.1 %.
    assert!(seen.is_some_and(|(n, m)| n == 1 && (m - 12345.0).abs() < 12.4), "the guest saw {seen:?}");

    let full = ramp("bound_mib=20000");
    assert!(full.success, "stderr:\n{}", full.stderr);
    assert_eq!(names(&full)[..3], ["step-c1", "step-c2", "step-c3"], "under the bound the ramp runs out");
    assert_eq!(drive(&full).counters.get("ramp_stopped"), None);

    // Without telemetry the list is empty and nothing stops the ramp.
    let blind = play(
        &guest,
        &["-p", "levels=1,2", "-p", "step=200ms", "-p", "bound_mib=1", "--mock", "ttft=5ms,itl=2ms"],
        &[],
    );
    assert!(blind.success, "stderr:\n{}", blind.stderr);
    assert_eq!(names(&blind)[..2], ["step-c1", "step-c2"]);
}
