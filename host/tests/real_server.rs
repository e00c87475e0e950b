//! The shipped scenarios against a real inference server: llama.cpp's `llama-server` with a real
//! model (SmolLM2-135M-Instruct, Q4_1) on the CPU, started by each test on 127.0.0.1 with an API
//! key and stopped when it ends.
//!
//! Ignored by `just test`: `just test-real` builds the server once per machine
//! (`scripts/llama-server.sh`, cached outside the clone) and runs these with `--ignored`, the
//! binary and the model named by `RUNNER_LLAMA_SERVER` and `RUNNER_LLAMA_MODEL`. Each run is
//! bounded (a few dozen requests of a few tokens; the 500-request one about a minute).

mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Played, play_with_env, scenario};

/// The key the server is started with; handed to the runner through `OPENAI_API_KEY`.
const KEY: &str = "sk-real-7d3e9b0c55aa";

/// `llama-server` on a free port of 127.0.0.1; killed when dropped.
struct LlamaServer {
    child: Child,
    addr: String,
    /// `http://127.0.0.1:PORT`.
    url: String,
    log: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl LlamaServer {
    /// Starts the server as the real-server tier documents it: 4 slots, one thread, a 4096-token
    /// context (1024 per slot), `/metrics` and `/slots` on, guarded by [`KEY`].
    fn start() -> LlamaServer {
        let var = |name: &str| {
            std::env::var(name)
                .unwrap_or_else(|_| panic!("{name} is not set: run these tests with `just test-real`"))
        };
        let (server, model) = (var("RUNNER_LLAMA_SERVER"), var("RUNNER_LLAMA_MODEL"));
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let dir = tempfile::tempdir().expect("a temporary directory");
        let log = dir.path().join("llama-server.log");
        let log_file = std::fs::File::create(&log).expect("the server's log file");
        let child = Command::new(&server)
            .args(["-m", &model, "--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["-np", "4", "-t", "1", "-c", "4096", "--metrics", "--slots", "--api-key", KEY])
            .stdout(log_file.try_clone().expect("the log file"))
            .stderr(log_file)
            .stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {server}: {e}"));
        let addr = format!("127.0.0.1:{port}");
        let mut started = LlamaServer { child, url: format!("http://{addr}"), addr, log, _dir: dir };
        started.wait_until_healthy();
        started
    }

    /// Waits (up to 120 s: loading the model on a busy machine) for `/health` to answer 200.
    fn wait_until_healthy(&mut self) {
        let began = Instant::now();
        while began.elapsed() < Duration::from_secs(120) {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("llama-server exited ({status}) before it was ready:\n{}", self.log_text());
            }
            if self.get("/health", false).is_some_and(|(status, _)| status == 200) {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("llama-server was not healthy within 120 s:\n{}", self.log_text());
    }

    /// One GET with the key (or without), read to the end: the status and body.
    fn get(&self, path: &str, with_key: bool) -> Option<(u16, String)> {
        let mut sock = TcpStream::connect(&self.addr).ok()?;
        sock.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
        let auth = if with_key { format!("authorization: Bearer {KEY}\r\n") } else { String::new() };
        let head = format!("GET {path} HTTP/1.1\r\nhost: {}\r\n{auth}connection: close\r\n\r\n", self.addr);
        sock.write_all(head.as_bytes()).ok()?;
        let mut raw = Vec::new();
        sock.read_to_end(&mut raw).ok()?;
        let text = String::from_utf8_lossy(&raw).into_owned();
        let status = text.split(' ').nth(1)?.parse().ok()?;
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
        Some((status, body))
    }

    /// The server's own counters (`llamacpp:*` in `/metrics`), by name.
    fn counters(&self) -> BTreeMap<String, f64> {
        let (status, body) = self.get("/metrics", true).expect("/metrics answers");
        assert_eq!(status, 200, "{body}");
        body.lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let (name, value) = l.rsplit_once(' ')?;
                Some((name.trim().to_string(), value.trim().parse().ok()?))
            })
            .collect()
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for LlamaServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The runner's output tokens over the run are the tokens the server says it generated in the
/// same time (`llamacpp:tokens_predicted_total`, read before and after).
fn assert_tokens_are_the_servers(
    run: &Played,
    before: &BTreeMap<String, f64>,
    after: &BTreeMap<String, f64>,
) {
    let name = "llamacpp:tokens_predicted_total";
    let served = after.get(name).copied().unwrap_or(0.0) - before.get(name).copied().unwrap_or(0.0);
    let counted: u64 = run.summary().phases.iter().map(|p| p.output_tokens).sum();
    assert_eq!(counted as f64, served, "runner's output tokens vs the server's {name}");
}

/// Plays `name` against `server` with the right key and `args`.
fn play(server: &LlamaServer, name: &str, args: &[&str]) -> Played {
    let mut all = vec!["--target", server.url.as_str(), "--quiet", "--seed", "7", "--timeout", "120s"];
    all.extend_from_slice(args);
    play_with_env(&scenario(name), &all, &[("OPENAI_API_KEY", KEY)])
}

/// Every request of every phase succeeded, every check held, and every output-token count is the
/// server's own (`usage`). The chunks the runner counted may differ from it now and then: llama.cpp
/// sends a token that completes no UTF-8 character with the next one, and one that decodes to
/// nothing not at all; the summary reports that as a discrepancy, and it is not an error.
fn assert_clean(run: &Played) {
    run.assert_success();
    let s = run.summary();
    for p in &s.phases {
        assert_eq!(p.errors, 0, "phase {}: {:?}\n{}", p.name, p.errors_by_class, run.stdout);
        assert!(p.requests > 0, "phase {} sent nothing", p.name);
        for (name, c) in &p.checks {
            assert_eq!(
                c.fails, 0,
                "phase {}: check {name:?} failed {} times\n{}",
                p.name, c.fails, run.stdout
            );
        }
        assert_eq!(p.tokens.from_usage, p.requests, "phase {}: every count from usage", p.name);
        assert!(!p.counters.contains_key("stopped_early"), "phase {}: ignore_eos was honoured", p.name);
    }
    assert!(s.notes.iter().all(|n| !n.contains("refused")), "{:?}", s.notes);
}

#[test]
#[ignore = "needs llama-server: just test-real"]
fn ttft_probe_is_clean_and_its_telemetry_is_filled() {
    let server = LlamaServer::start();
    let before = server.counters();
    let (prom, slots) =
        (format!("prom={}/metrics", server.url), format!("llamacpp-slots={}/slots", server.url));
    let args = ["-p", "requests=8", "-p", "vus=2", "-p", "max_tokens=16", "--telemetry", &prom];
    let run = play(
        &server,
        "ttft-probe",
        &[&args[..], &["--telemetry", &slots, "--sample-interval", "100ms"]].concat(),
    );
    assert_clean(&run);
    assert_tokens_are_the_servers(&run, &before, &server.counters());
    let p = run.phase("ttft-probe");
    assert_eq!((p.requests, p.output_tokens), (16, 16 * 16), "fixed-length answers");
    let model = run.summary().model.as_ref().expect("the model was discovered");
    assert!(model.name.ends_with(".gguf"), "{model:?}");
    let t = p.telemetry.as_ref().expect("telemetry for the phase");
    assert!(t.samples > 0, "{t:?}");
    assert!(
        t.queue_running_max.is_some_and(|r| (1.0..=4.0).contains(&r)),
        "slots or requests_processing: {t:?}"
    );
}

#[test]
#[ignore = "needs llama-server: just test-real"]
fn a_stress_sweep_at_four_concurrent_streams_is_clean() {
    let server = LlamaServer::start();
    let run = play(&server, "stress-sweep", &["-p", "levels=4", "-p", "lengths=64", "-p", "duration=10s"]);
    assert_clean(&run);
    let p = run.phase("len64-c4");
    assert_eq!(p.output_tokens, p.requests * 64);
}

#[test]
#[ignore = "needs llama-server: just test-real"]
fn five_hundred_requests_keep_alive_and_closed_connections_without_one_error() {
    // The pooled client of 0.2 lost 5–22 % of requests to llama-server's keep-alive closes; the
    // VU's own connection and its one resend must lose none. 12 VUs on 4 slots, short answers:
    // connections sit idle while their VU waits in the server's queue, and every connection
    // reaches the server's 100-request limit several times over.
    let server = LlamaServer::start();
    let before = server.counters();
    let args = ["-p", "vus=12", "-p", "requests=504", "-p", "max_tokens=4", "-p", "prompt_tokens=8"];
    let run = play(
        &server,
        "concurrency-test",
        &[&args[..], &["-p", "tpot_p95=10s", "-p", "tpot_p99=10s"]].concat(),
    );
    assert_clean(&run);
    assert_tokens_are_the_servers(&run, &before, &server.counters());
    let p = &run.summary().phases[0];
    assert_eq!(p.requests, 504);
    println!(
        "real-server: {} requests, {} errors, e2e p50 {:.1} ms, p99 {:.1} ms, usage/counted disagreed on {} (net {:+})",
        p.requests,
        p.errors,
        p.metrics["e2e"].p50,
        p.metrics["e2e"].p99,
        p.tokens.disagreements,
        p.tokens.discrepancy
    );
}

#[test]
#[ignore = "needs llama-server: just test-real"]
fn readiness_probes_each_get_an_answer() {
    let server = LlamaServer::start();
    let rows = "timeout,huge-context,malformed-body,unreachable";
    let run = play(&server, "readiness", &["-p", &format!("rows={rows}")]);
    run.assert_success();
    for row in rows.split(',') {
        let p = run.phase(row);
        let checks: u64 = p.checks.values().map(|c| c.passes + c.fails).sum();
        assert_eq!(checks, 1, "row {row}: one check recorded");
    }
    for row in ["timeout", "huge-context", "malformed-body", "unreachable"] {
        let passed = run.phase(row).checks.values().all(|c| c.fails == 0);
        assert!(passed, "row {row} expected to pass against llama-server:\n{}", run.stdout);
    }
}

#[test]
#[ignore = "needs llama-server: just test-real"]
fn replay_of_a_dataset_is_clean() {
    let server = LlamaServer::start();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let data = dir.path().join("prompts.jsonl");
    let rows: String = ["Name a colour.", "Count to three.", "Say hello in French.", "What is 2+2?"]
        .iter()
        .map(|p| format!("{{\"prompt\": \"{p}\", \"output_tokens\": 12}}\n"))
        .collect();
    std::fs::write(&data, rows).expect("the dataset");
    let spec = format!("prompts={}", data.display());
    let run = play(&server, "replay", &["--data", &spec, "-p", "vus=2"]);
    run.assert_success();
    let p = &run.summary().phases[0];
    assert_eq!((p.requests, p.errors), (4, 0), "{:?}", p.errors_by_class);
    assert_eq!(p.tokens.from_usage, 4);
}

#[test]
#[ignore = "needs llama-server: just test-real"]
fn a_wrong_key_is_a_classified_401_and_one_note() {
    let server = LlamaServer::start();
    let all = [
        "--target",
        server.url.as_str(),
        "--quiet",
        "--model",
        "any",
        "-p",
        "requests=5",
        "-p",
        "max_tokens=4",
    ];
    let run = play_with_env(&scenario("ttft-probe"), &all, &[("OPENAI_API_KEY", "sk-wrong")]);
    run.assert_success();
    let p = run.phase("ttft-probe");
    assert_eq!((p.requests, p.errors), (5, 5));
    assert_eq!(p.errors_by_class.get("http-status"), Some(&5), "{:?}", p.errors_by_class);
    let refused: Vec<&String> =
        run.summary().notes.iter().filter(|n| n.contains("refused the credentials")).collect();
    assert_eq!(refused.len(), 1, "{:?}", run.summary().notes);
    assert!(refused[0].contains("401"), "{}", refused[0]);
}

#[test]
#[ignore = "needs llama-server: just test-real"]
fn runner_ttft_and_itl_sit_just_above_the_servers_own_timings() {
    // One request at a time, so neither side counts queueing: the server's prompt time per
    // request is the floor of the runner's TTFT, its generation time per token the centre of the
    // runner's inter-token gaps. What lies between is HTTP, JSON and the event loop on both sides
    // (docs/REAL-SERVERS.md).
    let server = LlamaServer::start();
    let before = server.counters();
    let run =
        play(&server, "ttft-probe", &["-p", "requests=12", "-p", "max_tokens=32", "-p", "prompt_tokens=64"]);
    assert_clean(&run);
    let after = server.counters();
    let delta =
        |name: &str| after.get(name).copied().unwrap_or(0.0) - before.get(name).copied().unwrap_or(0.0);
    let p = run.phase("ttft-probe");
    let requests = p.requests as f64;
    let server_prompt_ms = delta("llamacpp:prompt_seconds_total") * 1000.0 / requests;
    let server_token_ms =
        delta("llamacpp:tokens_predicted_seconds_total") * 1000.0 / delta("llamacpp:tokens_predicted_total");
    let (ttft, itl) = (p.metrics["ttft"].mean, p.metrics["itl"].mean);
    println!(
        "real-server: runner TTFT mean {ttft:.1} ms vs server prompt {server_prompt_ms:.1} ms (+{:.1}); \
         runner ITL mean {itl:.2} ms vs server {server_token_ms:.2} ms/token ({:+.2})",
        ttft - server_prompt_ms,
        itl - server_token_ms
    );
    assert!(server_prompt_ms > 0.0 && server_token_ms > 0.0, "the server timed its work: {after:?}");
    assert!(ttft >= server_prompt_ms, "the first token cannot arrive before the prompt was evaluated");
    assert!(ttft - server_prompt_ms < 100.0, "TTFT {ttft:.1} ms vs prompt {server_prompt_ms:.1} ms");
    assert!(
        (itl - server_token_ms).abs() < server_token_ms * 0.5 + 2.0,
        "ITL {itl:.2} vs {server_token_ms:.2}"
    );
}
