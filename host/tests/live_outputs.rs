//! The live outputs against what a team runs: `requests.jsonl` read back line by line against
//! the simulated server's known delays, `/metrics` scraped by a real Prometheus (Debian's
//! `prometheus`) and queried with PromQL, and the final counts pushed to a real Pushgateway
//! (`prometheus-pushgateway`) that the same Prometheus scrapes. Both are started here on
//! 127.0.0.1 and stopped when the test ends; `.ci/run` installs them.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{play, scenario, spawn_play};
use runner_reports::Summary;
use serde_json::Value;

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

#[test]
fn records_hold_one_line_per_request_with_the_servers_delays() {
    let played = play(
        &scenario("rate"),
        &[
            "-p",
            "rate=25",
            "-p",
            "duration=2s",
            "-p",
            "max_tokens=8",
            "--records",
            "--mock",
            "ttft=40ms,itl=5ms,fault=status=503@0.2",
            "--seed",
            "7",
            "-q",
        ],
    );
    played.assert_success();
    let phase = played.phase("rate");
    let records = lines(&played.out.join("requests.jsonl"));
    assert_eq!(records.len() as u64, phase.requests, "one line per request");
    let failed: Vec<&Value> = records.iter().filter(|r| r.get("error").is_some()).collect();
    assert_eq!(failed.len() as u64, phase.errors, "every error has its line");
    assert!(!failed.is_empty(), "the injected 503s are there");
    for f in &failed {
        assert_eq!(f["error"], "http-status", "{f}");
        assert_eq!(f["status"], 503, "{f}");
    }
    for r in records.iter().filter(|r| r.get("error").is_none()) {
        assert_eq!(r["phase"], "rate");
        assert_eq!(r["kind"], "llm");
        assert_eq!(r["status"], 200);
        let ttft = r["ttft_ms"].as_f64().expect("a TTFT");
        // The server waits 40 ms before the first token; the client cannot see it sooner.
        assert!((40.0..200.0).contains(&ttft), "TTFT {ttft} ms against a 40 ms server: {r}");
        assert_eq!(r["output_tokens"], 8, "{r}");
        assert_eq!(r["tokens_source"], "usage", "{r}");
        assert_eq!(r["itl"]["count"], 7, "{r}");
        let itl_p50 = r["itl"]["p50_ms"].as_f64().expect("an ITL p50");
        assert!((4.0..50.0).contains(&itl_p50), "ITL p50 {itl_p50} ms against 5 ms: {r}");
        let (start, end) = (r["start_ms"].as_f64().unwrap(), r["end_ms"].as_f64().unwrap());
        let e2e = r["e2e_ms"].as_f64().unwrap();
        assert!((end - start - e2e).abs() < 1.0, "end − start is the E2E: {r}");
    }
    // Uniform arrivals 40 ms apart: the starts are the schedule, on the time series' clock.
    let mut starts: Vec<f64> = records.iter().map(|r| r["start_ms"].as_f64().unwrap()).collect();
    starts.sort_by(f64::total_cmp);
    assert!(starts[0] < 500.0 && *starts.last().unwrap() < 2_500.0, "{starts:?}");
}

// --- Prometheus and the Pushgateway -------------------------------------------------------

/// A program the test needs, or a panic that says how to install it.
fn program(name: &str) -> String {
    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(name).is_file()))
        .unwrap_or(false);
    assert!(
        found,
        "`{name}` is not installed: apt-get install -y prometheus prometheus-pushgateway (.ci/run does)"
    );
    name.to_string()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

/// A GET on 127.0.0.1: the status and the body.
fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n").ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string())?;
    // Prometheus answers chunked; the API's JSON has no CR/LF of its own, so the chunk sizes are
    // the lines between.
    let body = if text.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        body.split("\r\n").enumerate().filter(|(i, _)| i % 2 == 1).map(|(_, s)| s).collect()
    } else {
        body
    };
    Some((status, body))
}

/// A process killed and reaped when dropped.
struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_ready(port: u16, path: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !matches!(get(port, path), Some((200, _))) {
        assert!(Instant::now() < deadline, "{what} was not ready on 127.0.0.1:{port} within 30 s");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The value of a PromQL query that returns one sample, once it does.
fn promql(port: u16, query: &str, until: impl Fn(f64) -> bool) -> f64 {
    let encoded: String = query
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'-' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = String::new();
    loop {
        if let Some((200, body)) = get(port, &format!("/api/v1/query?query={encoded}")) {
            let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
            if let Some(value) = v["data"]["result"][0]["value"][1].as_str().and_then(|s| s.parse().ok())
                && until(value)
            {
                return value;
            }
            last = body;
        }
        assert!(Instant::now() < deadline, "PromQL {query} never gave the value sought; last answer: {last}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn prometheus_scrapes_a_live_run_and_the_pushgateway_holds_its_final_counts() {
    let prometheus_bin = program("prometheus");
    let gateway_bin = program("prometheus-pushgateway");
    let tmp = tempfile::tempdir().expect("tmp");
    let (runner_port, prom_port, gateway_port) = (free_port(), free_port(), free_port());
    let config = tmp.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             scrape_configs:\n\
             - job_name: runner-live\n  static_configs:\n  - targets: ['127.0.0.1:{runner_port}']\n\
             - job_name: pushgateway\n  honor_labels: true\n  static_configs:\n  - targets: ['127.0.0.1:{gateway_port}']\n"
        ),
    )
    .expect("config");
    let gateway = Daemon(
        Command::new(gateway_bin)
            .arg(format!("--web.listen-address=127.0.0.1:{gateway_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting the Pushgateway"),
    );
    let prometheus = Daemon(
        Command::new(prometheus_bin)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", tmp.path().join("tsdb").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{prom_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting Prometheus"),
    );
    wait_ready(gateway_port, "/-/ready", "the Pushgateway");
    wait_ready(prom_port, "/-/ready", "Prometheus");

    let out = tmp.path().join("run");
    let child = spawn_play(
        &scenario("rate"),
        &[
            "-p",
            "rate=20",
            "-p",
            "duration=4s",
            "-p",
            "max_tokens=8",
            "--mock",
            "ttft=20ms,itl=2ms,fault=status=500@0.25",
            "--seed",
            "3",
            "--prometheus",
            &format!("127.0.0.1:{runner_port}"),
            // Three scrape intervals: the last scrape sees the final counts.
            "--prometheus-linger",
            "3s",
            "--prometheus-push",
            &format!("http://127.0.0.1:{gateway_port}"),
            "--label",
            "gpu=none",
        ],
        &out,
    );
    // While the run goes, Prometheus scrapes it: the live endpoint is up and counting.
    let seen_live = promql(prom_port, r#"sum(runner_requests_total{job="runner-live"})"#, |v| v > 0.0);
    let output = child.wait_with_output().expect("the run");
    assert!(output.status.success(), "runner failed: {}", String::from_utf8_lossy(&output.stderr));
    let summary = Summary::from_json(&std::fs::read_to_string(out.join("summary.json")).expect("summary"))
        .expect("summary parses");
    let phase = &summary.phases[0];
    let (requests, errors) = (phase.requests as f64, phase.errors as f64);
    assert!(errors > 0.0, "the injected 500s were counted");
    assert!(seen_live <= requests);
    // The run's labels are on every series, so a dashboard filters on them.
    let run = format!(r#"run_id="{}",gpu="none""#, summary.run_id);

    // Scraped live, then during the linger: Prometheus holds the run's exact final counts. The
    // endpoint is gone once the runner exited, and Prometheus then marks its series stale: ask for
    // the newest value of the last minutes (a counter's maximum), which staleness does not hide.
    let live = format!(r#"sum(max_over_time(runner_requests_total{{job="runner-live",{run}}}[2m]))"#);
    assert_eq!(promql(prom_port, &live, |v| v >= requests), requests);
    let live_errors = format!(
        r#"sum(max_over_time(runner_errors_total{{job="runner-live",{run},class="http-status"}}[2m]))"#
    );
    assert_eq!(promql(prom_port, &live_errors, |v| v >= errors), errors);
    // Histograms: every successful request has a TTFT, none of them under the server's 20 ms.
    let ttft_count =
        format!(r#"sum(max_over_time(runner_ttft_seconds_count{{job="runner-live",{run}}}[2m]))"#);
    assert_eq!(promql(prom_port, &ttft_count, |v| v >= requests - errors), requests - errors);
    let under_20ms =
        format!(r#"sum(max_over_time(runner_ttft_seconds_bucket{{job="runner-live",{run},le="0.01"}}[2m]))"#);
    assert_eq!(promql(prom_port, &under_20ms, |_| true), 0.0);

    // Pushed at the end (job="runner", kept by honor_labels), scraped from the gateway.
    let pushed = format!(r#"sum(runner_requests_total{{job="runner",{run}}})"#);
    assert_eq!(promql(prom_port, &pushed, |v| v >= requests), requests);
    let (status, page) = get(gateway_port, "/metrics").expect("the gateway's page");
    assert_eq!(status, 200);
    assert!(page.contains(&summary.run_id), "the push is grouped under the run's id");
    drop(prometheus);
    drop(gateway);
}

#[test]
fn a_taken_prometheus_address_is_refused_before_the_run() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let addr = taken.local_addr().expect("addr").to_string();
    let played = play(&scenario("rate"), &["-p", "duration=1s", "--prometheus", &addr, "-q"]);
    assert_eq!(played.output.status.code(), Some(1), "{}", played.stderr);
    let error = played.stderr.lines().find(|l| l.starts_with("error:")).expect("an error line");
    assert!(error.contains("--prometheus") && error.contains("cannot listen"), "{error}");
    assert!(played.summary.is_none() && !played.out.exists(), "nothing was run or claimed");
}

#[test]
fn an_unreachable_pushgateway_is_a_note_not_a_failed_run() {
    let port = free_port();
    let played = play(
        &scenario("rate"),
        &[
            "-p",
            "rate=5",
            "-p",
            "duration=1s",
            "--prometheus-push",
            &format!("http://127.0.0.1:{port}"),
            "-q",
        ],
    );
    played.assert_success();
    assert!(
        played.summary().notes.iter().any(|n| n.contains("not pushed to the Pushgateway")),
        "{:?}",
        played.summary().notes
    );
}
