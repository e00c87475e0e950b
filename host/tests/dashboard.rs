//! `runner play --dashboard`: the live dashboard of a real run against the built-in mock. Its
//! event stream over plain HTTP (the replay, live records, `end`: the same records as
//! timeseries.jsonl), browsers that never read (they slow neither the run nor its exit), the
//! page in Debian's headless Chromium (it loads without script errors and its charts grow while
//! the run goes), and a bad or taken address refused in one line before any traffic.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::{runner, scenario, spawn_play, wait_for_first_phase};
use runner_reports::Summary;

/// Timing assertions need the machine's cores: the runs of this file go one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// A `runner play --dashboard 127.0.0.1:0` under way.
struct LiveRun {
    child: Child,
    /// `127.0.0.1:PORT`, as the runner said it bound.
    addr: String,
    out: PathBuf,
    /// The rest of the runner's stderr, read to its end.
    stderr: Option<JoinHandle<String>>,
    _dir: tempfile::TempDir,
    _turn: MutexGuard<'static, ()>,
}

impl LiveRun {
    /// Starts a run of `scenario` with `args` and waits for its dashboard's address.
    fn start(scenario: &Path, args: &[&str]) -> LiveRun {
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
        let dir = tempfile::tempdir().expect("a temporary directory");
        let out = dir.path().join("run");
        let mut all = args.to_vec();
        all.extend(["--dashboard", "127.0.0.1:0"]);
        let mut child = spawn_play(scenario, &all, &out);
        let mut lines = BufReader::new(child.stderr.take().expect("piped stderr"));
        let mut said = String::new();
        let addr = loop {
            let mut line = String::new();
            if lines.read_line(&mut line).unwrap_or(0) == 0 {
                let _ = child.kill();
                panic!("the runner never said where its dashboard is; stderr:\n{said}");
            }
            said.push_str(&line);
            if let Some(rest) = line.strip_prefix("live dashboard at http://") {
                break rest.split('/').next().expect("an address").to_string();
            }
        };
        let stderr = std::thread::spawn(move || {
            let mut rest = said;
            let _ = lines.read_to_string(&mut rest);
            rest
        });
        LiveRun { child, addr, out, stderr: Some(stderr), _dir: dir, _turn: turn }
    }

    /// Waits (up to 60 s) for the runner to exit; its status, and when it exited.
    fn wait(&mut self) -> (std::process::ExitStatus, Instant) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().expect("polling the runner") {
                return (status, Instant::now());
            }
            assert!(Instant::now() < deadline, "the runner did not exit within 60 s");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn stderr(&mut self) -> String {
        self.stderr.take().map(|t| t.join().expect("the stderr reader")).unwrap_or_default()
    }

    fn summary(&self) -> Summary {
        let text = std::fs::read_to_string(self.out.join("summary.json")).expect("summary.json");
        Summary::from_json(&text).expect("summary.json parses")
    }

    fn timeseries(&self) -> String {
        std::fs::read_to_string(self.out.join("timeseries.jsonl")).unwrap_or_default()
    }
}

impl Drop for LiveRun {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Opens `GET /events` on the dashboard at `addr`.
fn open_events(addr: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).expect("connecting to the dashboard");
    write!(stream, "GET /events HTTP/1.1\r\nHost: {addr}\r\n\r\n").expect("sending the request");
    stream
}

/// Reads `stream` until it closes (or 60 s pass), handing each new piece to `each`.
fn read_all(stream: &mut TcpStream, mut each: impl FnMut(&str)) -> String {
    stream.set_read_timeout(Some(Duration::from_secs(60))).expect("a read timeout");
    let mut seen = String::new();
    let mut buf = [0u8; 16 << 10];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return seen,
            Ok(n) => {
                let piece = String::from_utf8_lossy(&buf[..n]);
                each(&piece);
                seen.push_str(&piece);
            }
            Err(e) => panic!("reading the event stream: {e}; so far:\n{seen}"),
        }
    }
}

/// The JSON of every `data:` line of a record (the default event type) in `stream`, in order.
fn data_lines(stream: &str) -> Vec<&str> {
    stream.lines().filter_map(|l| l.strip_prefix("data: ")).filter(|d| d.starts_with("{\"kind\":")).collect()
}

#[test]
fn the_event_stream_replays_the_run_then_goes_live_and_ends() {
    let mut run = LiveRun::start(
        &scenario("rate"),
        &["--mock", "ttft=2ms,itl=1ms", "-p", "rate=10", "-p", "duration=4s", "-p", "max_tokens=4"],
    );
    wait_for_first_phase(&run.out);
    let mut stream = open_events(&run.addr);
    let mut ended_at = None;
    let mut text = String::new();
    let seen = read_all(&mut stream, |piece| {
        text.push_str(piece);
        if ended_at.is_none() && text.contains("event: end\n") {
            ended_at = Some(Instant::now());
        }
    });
    let ended_at = ended_at.unwrap_or_else(|| panic!("no end event; the stream:\n{seen}"));
    let (status, exited) = run.wait();
    let stderr = run.stderr();
    assert!(status.success(), "the run failed ({status:?}):\n{stderr}");
    assert!(
        exited.saturating_duration_since(ended_at) < Duration::from_secs(5),
        "the runner exited {:?} after the end event",
        exited.saturating_duration_since(ended_at)
    );

    assert!(seen.starts_with("HTTP/1.1 200 OK\r\n"), "{seen}");
    assert!(seen.contains("content-type: text/event-stream\r\n"), "{seen}");
    let (replay, live) = seen.split_once("event: replayed\n").expect("the replay's end is marked");
    assert!(replay.contains("data: {\"kind\":\"run\""), "the replay starts with the run:\n{replay}");
    assert!(replay.contains("data: {\"kind\":\"phase\""), "the phase had started:\n{replay}");
    let (live, after_end) = live.split_once("event: end\n").expect("an end event");
    assert!(live.contains("data: {\"kind\":\"sample\""), "live samples after the replay:\n{live}");
    assert!(after_end.trim() == "data: {}" || after_end.trim().starts_with("data: {}"), "{after_end}");
    // The stream carried exactly the records of the run's timeseries.jsonl, in order.
    let file = run.timeseries();
    assert_eq!(data_lines(&seen), file.lines().collect::<Vec<_>>());
    let phase = run.summary().phases.into_iter().find(|p| p.name == "rate").expect("the rate phase");
    assert!(phase.requests >= 30, "about 40 requests in 4 s at 10/s, got {}", phase.requests);
}

#[test]
fn browsers_that_never_read_slow_neither_the_run_nor_its_exit() {
    let mut run = LiveRun::start(
        &scenario("rate"),
        &["--mock", "ttft=2ms,itl=1ms", "-p", "rate=20", "-p", "duration=3s", "-p", "max_tokens=4"],
    );
    // One asks for the stream and never reads it; one connects and says nothing; one sends half
    // a request.
    let stalled = [open_events(&run.addr), TcpStream::connect(&run.addr).expect("connecting"), {
        let mut half = TcpStream::connect(&run.addr).expect("connecting");
        half.write_all(b"GET /events HTTP/1.1\r\nHo").expect("sending half a request");
        half
    }];
    // When the phase's last sample reached the time series, and when the runner exited.
    let mut last_sample = None;
    let deadline = Instant::now() + Duration::from_secs(60);
    let (status, exited) = loop {
        if last_sample.is_none() && run.timeseries().contains("\"last\":true") {
            last_sample = Some(Instant::now());
        }
        if let Some(status) = run.child.try_wait().expect("polling the runner") {
            break (status, Instant::now());
        }
        assert!(Instant::now() < deadline, "the runner did not exit within 60 s");
        std::thread::sleep(Duration::from_millis(10));
    };
    let stderr = run.stderr();
    assert!(status.success(), "the run failed ({status:?}):\n{stderr}");
    let last_sample = last_sample.unwrap_or(exited);
    let tail = exited.saturating_duration_since(last_sample);
    // The dashboard gives its streams half a second; the rest is the summary and reports.
    assert!(tail < Duration::from_secs(3), "the runner exited {tail:?} after the phase's last sample");
    let phase = run.summary().phases.into_iter().find(|p| p.name == "rate").expect("the rate phase");
    assert!(phase.requests >= 55, "60 requests planned in 3 s at 20/s, got {}", phase.requests);
    assert_eq!(phase.iterations.dropped, 0, "no arrival was dropped");
    drop(stalled);
}

const CHROMIUM: &str = "chromium";

/// Headless Chromium on `url` with `extra` flags, its own profile, killed after 90 s.
fn chromium(profile: &Path, url: &str, extra: &[&str]) -> Output {
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1280,2000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start `{CHROMIUM}` ({e}): install it (`apt-get install -y chromium`; .ci/run does)"
            )
        });
    // Read both pipes while waiting: a full pipe would stall Chromium.
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let out_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let deadline = Instant::now() + Duration::from_secs(90);
    let status = loop {
        if let Some(status) = child.try_wait().expect("polling chromium") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output {
        status,
        stdout: out_reader.join().expect("chromium's stdout"),
        stderr: err_reader.join().expect("chromium's stderr"),
    }
}

/// Console messages, uncaught exceptions and refused loads that Chromium logged (the page logs
/// nothing on purpose, so any console line counts; see html_report.rs).
fn page_errors(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught") || l.contains("Refused to"))
        .collect()
}

/// The value of `attr` on the first element of the dumped DOM that has `marker` in its tag.
fn attr(dom: &str, marker: &str, attr: &str) -> Option<u64> {
    let at = dom.find(marker)?;
    let start = dom[..at].rfind('<')?;
    let end = at + dom[at..].find('>')?;
    let tag = &dom[start..end];
    let key = format!("{attr}=\"");
    let from = tag.find(&key)? + key.len();
    let value = &tag[from..];
    value[..value.find('"')?].parse().ok()
}

/// The page's DOM after its load, checked for script errors.
fn dump_dom(profile: &Path, url: &str, extra: &[&str]) -> String {
    let mut flags = vec!["--dump-dom"];
    flags.extend(extra);
    let out = chromium(profile, url, &flags);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "chromium --dump-dom failed: {stderr}");
    assert!(page_errors(&stderr).is_empty(), "console errors: {:?}", page_errors(&stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// One plain load of the page, dumped as soon as the replay has arrived (Chromium dumps right
/// after the load event, which may come before it: then it loads again). The points on the
/// requests-per-second chart then.
fn points_after_the_replay(profile: &Path, url: &str) -> u64 {
    let chart = "data-chart=\"requests\"";
    let mut ready = 0;
    for load in 0..20 {
        // A profile per load: a Chromium still exiting holds its profile's lock, and a second
        // one started on it hands the URL to that one and exits at once with nothing dumped.
        let dom = dump_dom(&profile.join(format!("load-{load}")), url, &[]);
        // On a busy machine the dump can come before the page script has run at all: then it
        // is loaded again, as is a replay with no sample yet (the run's first second).
        if dom.contains("data-ready=\"true\"") {
            ready += 1;
            let points = attr(&dom, chart, "data-points").expect("the chart's point count");
            if dom.contains("data-state=\"live\"") && points > 0 {
                return points;
            }
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!("the page never drew a replayed sample in 20 loads (its script finished in {ready} of them)");
}

#[test]
fn the_page_loads_in_headless_chromium_and_its_charts_grow_during_the_run() {
    let mut run = LiveRun::start(
        &scenario("rate"),
        // A fifth of the requests fail, so the errors chart draws a line for their class.
        &[
            "--mock",
            "ttft=2ms,itl=1ms,fault=status=503@0.2",
            "-p",
            "rate=10",
            "-p",
            "duration=10s",
            "-p",
            "max_tokens=4",
        ],
    );
    let url = format!("http://{}/", run.addr);
    wait_for_first_phase(&run.out);
    let tmp = tempfile::tempdir().expect("a temporary directory");

    // One load that stays until the run ends: Chromium's virtual time does not advance while a
    // request is open, so it dumps the page after the event stream's end.
    let whole = {
        let (profile, url) = (tmp.path().join("profile-whole"), url.clone());
        std::thread::spawn(move || dump_dom(&profile, &url, &["--virtual-time-budget=2000"]))
    };
    // The first plain load must find a sample to replay: wait for one in the time series (on a
    // busy machine a second's sleep is not always enough).
    let deadline = Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(run.out.join("timeseries.jsonl"))
        .unwrap_or_default()
        .contains(r#""kind":"sample""#)
    {
        assert!(Instant::now() < deadline, "no sample in the time series within 30 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Two plain loads a few seconds apart: the second is replayed more.
    let first = points_after_the_replay(&tmp.path().join("profile-a"), &url);
    std::thread::sleep(Duration::from_secs(3));
    let second = points_after_the_replay(&tmp.path().join("profile-b"), &url);
    assert!(first >= 1, "the first load drew the replay: {first} points");
    assert!(second > first, "the chart grew between two loads: {first}, then {second} points");

    let dom = whole.join().expect("the whole-run load");
    let (status, _) = run.wait();
    let stderr = run.stderr();
    assert!(status.success(), "the run failed ({status:?}):\n{stderr}");
    assert!(dom.contains("data-ended=\"true\""), "the page got the end event:\n{dom}");
    let replayed = attr(&dom, "<body", "data-replayed").expect("the replayed count");
    let live = attr(&dom, "<body", "data-live").expect("the live count");
    assert!(replayed >= 2, "the load was replayed the run and its phase: {replayed}");
    assert!(live >= 3, "live records arrived after the replay: {live}");
    // Every chart of the run's series grew from live records after the replay.
    for chart in ["ttft", "itl", "e2e", "requests", "tokens", "errors", "in_flight"] {
        let marker = format!("data-chart=\"{chart}\"");
        let points = attr(&dom, &marker, "data-points").unwrap_or(0);
        let from_replay = attr(&dom, &marker, "data-replayed-points").unwrap_or(0);
        assert!(
            points > from_replay,
            "chart {chart}: {from_replay} points after the replay, {points} at the end"
        );
    }
    let errors = dom.find("data-chart=\"errors\"").map(|at| &dom[at..]).unwrap_or("");
    let legend = &errors[..errors.find("</figure>").unwrap_or(0)];
    assert!(legend.contains(">http-status</li>"), "the errors chart has a line for the class:\n{legend}");
    let row = dom.find("data-phase=\"rate\"").map(|at| &dom[at..]).unwrap_or("");
    assert!(row.contains("<td>done</td>"), "the phase's row says it is done:\n{dom}");
}

#[test]
fn a_bad_or_taken_address_is_refused_in_one_line_before_any_traffic() {
    let bad = runner()
        .args(["play", &scenario("rate").display().to_string(), "--dashboard", "nowhere"])
        .output()
        .expect("running the runner");
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(2), "a usage error: {stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains("--dashboard") && stderr.contains("\"nowhere\""), "{stderr}");

    let taken = TcpListener::bind("127.0.0.1:0").expect("a port to hold");
    let addr = taken.local_addr().expect("its address").to_string();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("run");
    let played = runner()
        .env("RUNNER_LOG", "off")
        .args(["play", &scenario("rate").display().to_string(), "--dashboard", &addr, "--out"])
        .arg(&out)
        .output()
        .expect("running the runner");
    let stderr = String::from_utf8_lossy(&played.stderr);
    assert_eq!(played.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line, before the simulated server starts: {stderr}");
    assert!(stderr.starts_with(&format!("error: --dashboard {addr}: cannot listen there: ")), "{stderr}");
    assert!(!out.join("run.json").exists(), "no run was started");
}
