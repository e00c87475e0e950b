//! The plain-HTTP sandbox counts ports: a scenario aimed at the target reaches the target's origin
//! (scheme, host and port), and other ports of the same host only when `--allow-host` names them.
//! Two servers on two ports of 127.0.0.1: the built-in one as the target, and a second one that
//! counts the connections it accepts, so "denied" is checked on the wire, not only in the report.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{play, runner, scenario};

/// A server on a free port of 127.0.0.1 that answers every request `200 ok` and closes the
/// connection; returns its port and the count of connections it accepted.
fn counting_server() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding a free port");
    let port = listener.local_addr().expect("an address").port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            count.fetch_add(1, Ordering::SeqCst);
            let mut head = [0u8; 4096];
            let _ = stream.read(&mut head);
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
        }
    });
    (port, accepted)
}

/// `http-get` aimed at the built-in server (the target), sending every request to `url`.
fn get(url: &str, extra: &[&str]) -> common::Played {
    let path = format!("path={url}");
    let mut args = vec!["-p", "vus=1", "-p", "duration=300ms", "-p", &path, "-q"];
    args.extend_from_slice(extra);
    let run = play(&scenario("http-get"), &args);
    run.assert_success();
    run
}

#[test]
fn another_port_of_the_targets_host_is_denied_unless_allowed_with_its_port() {
    let (port, accepted) = counting_server();
    let url = format!("http://127.0.0.1:{port}/");

    // The target is 127.0.0.1 on another port: the same host is not the same origin.
    for extra in [&[][..], &["--allow-host", "127.0.0.1"][..]] {
        let run = get(&url, extra);
        let p = run.phase("http-get");
        assert!(p.requests > 0, "{extra:?}");
        assert_eq!(p.errors_by_class.get("denied"), Some(&p.requests), "{extra:?}: {:?}", p.errors_by_class);
        assert_eq!(accepted.load(Ordering::SeqCst), 0, "{extra:?}: no connection reached the other port");
    }

    let with_port = format!("127.0.0.1:{port}");
    for allow in [with_port.as_str(), "127.0.0.1:*"] {
        let before = accepted.load(Ordering::SeqCst);
        let run = get(&url, &["--allow-host", allow]);
        let p = run.phase("http-get");
        assert!(p.requests > 0, "{allow}");
        assert_eq!(
            p.errors, 0,
            "--allow-host {allow}: every request reaches the other port: {:?}",
            p.errors_by_class
        );
        assert!(accepted.load(Ordering::SeqCst) > before, "--allow-host {allow}: the server saw them");
    }
}

#[test]
fn the_targets_own_origin_needs_no_allow_list() {
    // A path and the target's absolute URL both stay on the target.
    let run = get("/health", &[]);
    assert_eq!(run.phase("http-get").errors, 0, "{:?}", run.phase("http-get").errors_by_class);
}

#[test]
fn a_malformed_allow_host_is_a_usage_error() {
    let path = scenario("http-get");
    for bad in ["", "127.0.0.1:", "127.0.0.1:http", "127.0.0.1:70000", "http://127.0.0.1", "[::1", "a b"] {
        let out = runner()
            .env("RUNNER_LOG", "off")
            .args(["play", path.to_str().expect("utf-8 path"), "--allow-host", bad])
            .output()
            .expect("running the runner binary");
        let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{bad:?}: {stderr}");
        assert!(stderr.contains("--allow-host"), "{bad:?}: {stderr}");
    }
}
