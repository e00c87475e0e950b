//! report.html in a real browser: a short run against the built-in mock, then Debian's
//! Chromium, headless, renders the page — the script runs without errors, the DOM still holds the
//! run's numbers, and the screenshot is a real picture. CI installs Chromium (.ci/run); without
//! it this test fails and says so rather than passing unseen.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{play, scenario};

const CHROMIUM: &str = "chromium";

/// Runs headless Chromium on `page` with `extra` flags, killing it after a minute.
fn chromium(profile: &Path, page: &Path, extra: &[String]) -> Output {
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
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start `{CHROMIUM}` ({e}): install it (`apt-get install -y chromium`; .ci/run does)"
            )
        });
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("polling chromium").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.wait_with_output().expect("chromium's output")
}

/// Console messages, uncaught exceptions and refused loads that Chromium logged while rendering.
/// Chromium logs even `console.error` as `INFO:CONSOLE`, and the page logs nothing on purpose, so
/// any console line counts.
fn page_errors(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught") || l.contains("Refused to"))
        .collect()
}

#[test]
fn the_console_check_sees_script_errors() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let page = tmp.path().join("broken.html");
    std::fs::write(&page, "<!DOCTYPE html><p>x</p><script>console.error('boom'); nosuchfn();</script>")
        .expect("writing a page");
    let out = chromium(&tmp.path().join("profile"), &page, &["--dump-dom".to_string()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors = page_errors(&stderr);
    assert!(errors.iter().any(|l| l.contains("boom")), "console.error not seen: {stderr}");
    assert!(errors.iter().any(|l| l.contains("Uncaught ReferenceError")), "exception not seen: {stderr}");
}

#[test]
fn report_html_renders_in_headless_chromium() {
    let run = play(
        &scenario("rate"),
        &["--mock", "ttft=2ms,itl=1ms", "-p", "rate=20", "-p", "duration=3s", "-p", "max_tokens=4"],
    );
    run.assert_success();
    let page = run.out.join("report.html");
    assert!(page.exists(), "the run folder has report.html");
    let phase = run.phase("rate");
    assert!(phase.requests >= 40, "about 60 requests in 3 s at 20/s, got {}", phase.requests);

    let tmp = tempfile::tempdir().expect("a temporary directory");
    let dom = chromium(&tmp.path().join("profile-dom"), &page, &["--dump-dom".to_string()]);
    let html = String::from_utf8_lossy(&dom.stdout);
    let stderr = String::from_utf8_lossy(&dom.stderr);
    assert!(dom.status.success(), "chromium --dump-dom failed: {stderr}");
    assert!(page_errors(&stderr).is_empty(), "console errors: {:?}", page_errors(&stderr));
    // The script ran to its end and counted the charts: per-phase latency and throughput, and TTFT
    // and ITL percentiles.
    assert!(html.contains("data-charts-ready=\"4\""), "the page script did not finish:\n{html}");
    let row =
        format!("<tr><td>rate</td><td class=\"num\">20/s</td><td class=\"num\">{}</td>", phase.requests);
    assert!(
        html.contains(&row),
        "the rendered phases table holds the request count {}:\n{html}",
        phase.requests
    );
    assert!(html.contains("data-chart=\"latency\" data-phase=\"rate\""), "a latency chart for the phase");

    let shot = tmp.path().join("shot.png");
    let out =
        chromium(&tmp.path().join("profile-shot"), &page, &[format!("--screenshot={}", shot.display())]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "chromium --screenshot failed: {stderr}");
    assert!(page_errors(&stderr).is_empty(), "console errors: {:?}", page_errors(&stderr));
    let size = std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0);
    assert!(size > 10 * 1024, "the screenshot is {size} bytes: the page rendered next to nothing");
    if let Ok(keep) = std::env::var("RUNNER_KEEP_SCREENSHOT") {
        std::fs::copy(&shot, keep).expect("copying the screenshot");
    }
}
