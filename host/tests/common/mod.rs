//! Shared by the integration tests: locating the components built by `just scenarios`, and
//! running the real `runner` binary against the built-in simulated server on 127.0.0.1.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use runner_reports::{PhaseReport, Summary};

/// Timing assertions need the machine's cores: runs inside one test binary go one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("host/ has a parent").to_path_buf()
}

fn built(path: PathBuf) -> PathBuf {
    assert!(path.exists(), "{} is missing: run `just scenarios` (or `just test`) first", path.display());
    path
}

/// A scenario shipped in scenarios/.
pub fn scenario(name: &str) -> PathBuf {
    built(repo_root().join("scenarios").join(format!("{name}.wasm")))
}

/// A guest only the tests use (host/tests/guests/).
pub fn test_guest(name: &str) -> PathBuf {
    built(repo_root().join("target").join("test-guests").join(format!("{name}.wasm")))
}

/// The `runner` binary with a test-local compile cache, quiet logs, and no API key from the
/// environment of whoever runs the tests.
pub fn runner() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_runner"));
    cmd.env("RUNNER_CACHE_DIR", repo_root().join("target").join("test-cache"))
        .env("RUNNER_LOG", "warn")
        .env_remove("OPENAI_API_KEY")
        .current_dir(repo_root());
    cmd
}

/// What one `runner play` left behind.
pub struct Played {
    pub output: Output,
    pub stdout: String,
    pub stderr: String,
    pub summary: Option<Summary>,
    pub report_md: Option<String>,
    /// The run folder.
    pub out: PathBuf,
    _dir: Option<tempfile::TempDir>,
}

impl Played {
    pub fn summary(&self) -> &Summary {
        self.summary.as_ref().unwrap_or_else(|| panic!("no summary.json; stderr:\n{}", self.stderr))
    }

    pub fn phase(&self, name: &str) -> &PhaseReport {
        let s = self.summary();
        s.phases.iter().find(|p| p.name == name).unwrap_or_else(|| {
            panic!("no phase {name:?}; phases: {:?}", s.phases.iter().map(|p| &p.name).collect::<Vec<_>>())
        })
    }

    pub fn assert_success(&self) {
        assert!(
            self.output.status.success(),
            "runner failed ({:?})\nstdout:\n{}\nstderr:\n{}",
            self.output.status,
            self.stdout,
            self.stderr
        );
    }
}

/// Runs `runner play <scenario> <args…>` into a temporary run folder and reads it.
pub fn play(scenario: &Path, args: &[&str]) -> Played {
    play_with_env(scenario, args, &[])
}

/// Runs `runner play <scenario> <args…> --out <out>` and reads the run folder.
pub fn play_into(out: &Path, scenario: &Path, args: &[&str]) -> Played {
    play_into_with_env(out, scenario, args, &[])
}

/// [`play`] with these environment variables set for the runner.
pub fn play_with_env(scenario: &Path, args: &[&str], env: &[(&str, &str)]) -> Played {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut played = play_into_with_env(&dir.path().join("run"), scenario, args, env);
    played._dir = Some(dir);
    played
}

/// [`play_into`] with these environment variables set for the runner.
pub fn play_into_with_env(out: &Path, scenario: &Path, args: &[&str], env: &[(&str, &str)]) -> Played {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let output = runner()
        .envs(env.iter().copied())
        .arg("play")
        .arg(scenario)
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .expect("running the runner binary");
    let summary = std::fs::read_to_string(out.join("summary.json"))
        .ok()
        .map(|text| Summary::from_json(&text).expect("summary.json parses"));
    Played {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        report_md: std::fs::read_to_string(out.join("report.md")).ok(),
        summary,
        output,
        out: out.to_path_buf(),
        _dir: None,
    }
}

/// Starts `runner play <scenario> --quiet <args…> --out <out>` in the background, for tests that
/// signal or kill it mid-run. Its stderr is piped (read it with `wait_with_output`).
pub fn spawn_play(scenario: &Path, args: &[&str], out: &Path) -> std::process::Child {
    runner()
        .arg("play")
        .arg(scenario)
        .arg("--quiet")
        .args(args)
        .arg("--out")
        .arg(out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("starting runner play")
}

/// Waits (up to 60 s) until the run writing into `out` has recorded its first phase in the time
/// series: from then on it is driving traffic and handles Ctrl-C, whatever the machine's load.
pub fn wait_for_first_phase(out: &Path) {
    let began = std::time::Instant::now();
    while began.elapsed() < std::time::Duration::from_secs(60) {
        let text = std::fs::read_to_string(out.join("timeseries.jsonl")).unwrap_or_default();
        if text.contains(r#""kind":"phase""#) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("no phase started within 60 s in {}", out.display());
}

/// `runner mock` in its own process; killed when dropped.
pub struct MockProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl MockProcess {
    /// Starts `runner mock --addr 127.0.0.1:<free port> <args…>` and waits until it listens.
    pub fn start(args: &[&str]) -> MockProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let addr = format!("127.0.0.1:{port}");
        let child = runner()
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

/// The `/metrics` page of a `runner mock --metrics` at `url`.
pub fn metrics_page(url: &str) -> String {
    let addr = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).expect("connect to the mock");
    write!(stream, "GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").expect("send");
    let mut text = String::new();
    stream.read_to_string(&mut text).expect("read");
    text.split_once("\r\n\r\n").map(|(_, body)| body.to_string()).unwrap_or_default()
}

/// The mock's requests per `x-session-id` value, from its `/metrics` page.
pub fn sessions(page: &str) -> BTreeMap<String, u64> {
    let prefix = "runner_mock_session_requests_total{session_id=\"";
    page.lines()
        .filter_map(|l| {
            let (id, n) = l.strip_prefix(prefix)?.split_once("\"} ")?;
            Some((id.to_string(), n.parse().ok()?))
        })
        .filter(|(id, _)| !id.is_empty())
        .collect()
}
