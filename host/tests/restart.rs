//! The server under test is killed and restarted in the middle of a run: the run goes on, the
//! failures are counted as connection errors, requests after the restart succeed, and the report
//! gives the recovery time (first error → next success).

mod common;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{runner, scenario};
use runner_reports::Summary;
use runner_reports::timeseries::{self, Record};

/// A port nobody listens on right now (the OS's pick, released at once).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding an ephemeral port");
    listener.local_addr().expect("a local address").port()
}

/// Starts `runner mock` on `addr` and waits until it accepts connections.
fn start_mock(addr: SocketAddr) -> Child {
    let began = Instant::now();
    loop {
        let mut child = runner()
            .args(["mock", "--addr", &addr.to_string(), "--ttft-ms", "2", "--itl-ms", "1"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting runner mock");
        // The address may still be held for a moment by the killed server's sockets: retry.
        while began.elapsed() < Duration::from_secs(10) {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
                return child;
            }
            if child.try_wait().ok().flatten().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        assert!(began.elapsed() < Duration::from_secs(10), "runner mock did not start on {addr}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn kill(child: &mut Child) {
    child.kill().expect("killing the mock");
    child.wait().expect("reaping the mock");
}

#[test]
fn a_server_killed_and_restarted_mid_run_costs_only_the_requests_of_the_outage() {
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("an address");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("run");
    let mut mock = start_mock(addr);
    let play: Child = {
        let mut cmd: Command = runner();
        cmd.arg("play")
            .arg(scenario("rate"))
            .args(["--quiet", "--target", &format!("http://{addr}")])
            .args(["-p", "rate=50", "-p", "duration=6s", "-p", "max_tokens=4", "--timeout", "2s"])
            .arg("--out")
            .arg(&out)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        cmd.spawn().expect("starting runner play")
    };
    let began = Instant::now();
    std::thread::sleep(Duration::from_secs(2));
    kill(&mut mock);
    let killed_at = began.elapsed();
    std::thread::sleep(Duration::from_secs(4).saturating_sub(began.elapsed()));
    let mut mock = start_mock(addr);
    let restarted_at = began.elapsed();
    let output = play.wait_with_output().expect("waiting for runner play");
    kill(&mut mock);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "the run completes: {stderr}");

    let summary =
        Summary::from_json(&std::fs::read_to_string(out.join("summary.json")).expect("summary.json"))
            .expect("summary.json parses");
    let phase = summary.phases.iter().find(|p| p.name == "rate").expect("phase rate");
    assert!(phase.errors > 0, "the outage cost requests");
    for class in phase.errors_by_class.keys() {
        assert!(
            ["connect", "reset"].contains(&class.as_str()),
            "unexpected class in {:?}",
            phase.errors_by_class
        );
    }
    // 2 s of a 6 s run at 50/s were lost; the rest succeeded.
    let ok = phase.requests - phase.errors;
    assert!(ok >= 150, "{ok} successes of {} ({:?})", phase.requests, phase.errors_by_class);
    assert!(phase.errors <= 150, "{} errors for a 2 s outage at 50/s", phase.errors);

    // Requests after the restart succeed: the time series' last second has successes and no errors.
    let text = std::fs::read_to_string(out.join("timeseries.jsonl")).expect("timeseries.jsonl");
    let samples: Vec<_> = timeseries::parse(&text)
        .expect("timeseries.jsonl parses")
        .into_iter()
        .filter_map(|r| match r {
            Record::Sample(s) if s.phase == "rate" => Some(s),
            _ => None,
        })
        .collect();
    let after: Vec<_> = samples.iter().filter(|s| s.elapsed_s > restarted_at.as_secs_f64() + 0.5).collect();
    assert!(!after.is_empty(), "samples after the restart: {samples:?}");
    // (The closing sample may cover a few milliseconds only, too short for an arrival at 50/s.)
    let ok =
        |s: &&timeseries::Sample| s.interval_errors == 0 && (s.interval_requests > 0 || s.interval_s < 0.1);
    assert!(after.iter().all(ok), "{after:?}");

    let note = summary.notes.iter().find(|n| n.contains("recovery time")).cloned();
    let note = note.unwrap_or_else(|| panic!("no recovery note in {:?}", summary.notes));
    let longest: f64 = note
        .split("longest ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no figure in {note:?}"));
    let outage = (restarted_at - killed_at).as_secs_f64();
    println!("outage {outage:.2} s, {} errors {:?}; {note}", phase.errors, phase.errors_by_class);
    assert!(
        longest > outage - 0.5 && longest < outage + 1.0,
        "recovery {longest} s for an outage of {outage:.2} s: {note}"
    );
}
