//! Blame lands where it belongs: the runner's own limits are never counted as the server's
//! failures. The runner is started with its open-file limit lowered (setrlimit before exec) and
//! more VUs than it can hold connections for, against `runner mock` in a process of its own
//! (whose limit is the ordinary one): the connections it cannot open fail with EMFILE.

mod common;

use std::os::unix::process::CommandExt;

use common::{MockProcess, runner, test_guest};

/// `runner play` with RLIMIT_NOFILE set to `limit` (soft and hard) before it starts.
fn play_with_nofile(
    limit: u64,
    args: &[&str],
    out: &std::path::Path,
) -> (std::process::Output, runner_reports::Summary) {
    let mut cmd = runner();
    cmd.arg("play").args(args).arg("--out").arg(out);
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            let rl = libc::rlimit { rlim_cur: limit, rlim_max: limit };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &rl) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let output = cmd.output().expect("running runner");
    let text = std::fs::read_to_string(out.join("summary.json")).unwrap_or_else(|e| {
        panic!("summary.json ({e}); stderr:\n{}", String::from_utf8_lossy(&output.stderr))
    });
    (output, runner_reports::Summary::from_json(&text).expect("summary parses"))
}

#[test]
fn descriptors_exhausted_are_client_limit_errors_with_the_fix_never_the_servers_connect_errors() {
    let mock = MockProcess::start(&["--ttft-ms", "20", "--itl-ms", "1"]);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let guest = test_guest("misbehaving").display().to_string();
    // 200 VUs, each holding its own connection while the server takes 20 ms to answer, under a
    // limit of 128 descriptors: the runner itself needs some; the rest are the VUs' connections.
    let args = [
        &guest,
        "--quiet",
        "--target",
        &mock.url,
        "--model",
        "m",
        "-p",
        "mode=ok",
        "-p",
        "vus=200",
        "-p",
        "iterations=5",
    ];
    let (output, summary) = play_with_nofile(128, &args, &dir.path().join("run"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let phase = summary.phases.iter().find(|p| p.name == "misbehaving").expect("the phase");
    let by_class = &phase.errors_by_class;
    assert!(
        by_class.get("client-limit").is_some_and(|n| *n > 0),
        "EMFILE counted as client-limit: {by_class:?}\n{stderr}"
    );
    assert_eq!(by_class.get("connect"), None, "never the server's connect errors: {by_class:?}");
    let notes = &summary.notes;
    assert!(
        notes.iter().any(|n| n.contains("class client-limit") && n.contains("ulimit -n")),
        "a note names the limit and its fix: {notes:?}"
    );
    assert!(!notes.iter().any(|n| n.contains("recovered from")), "no server outage: {notes:?}");
    assert!(phase.iterations.completed > 0, "the connections that fit carried load: {:?}", phase.iterations);
}
