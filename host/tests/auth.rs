//! Credentials and headers for real endpoints: the API key from the environment and `--header`
//! reach the target (the simulated server refuses requests without the key), a refused key is
//! one note with its count, and no secret is ever written to the run folder or printed.

mod common;

use common::{MockProcess, Played, play_with_env, repo_root, runner, scenario, test_guest};

/// The API key the simulated server requires.
const KEY: &str = "sk-test-5f1c0ffee0ddba11";
/// The value of a secret `--header`.
const HEADER_SECRET: &str = "hdr-secret-9a7b3c";

/// The key a scenario sends in a per-request header, read from a dataset file.
const REQUEST_SECRET: &str = "sk-req-7e3d1a5b9c";

/// Asserts that neither secret appears in the run's output nor in any file of its run folder.
fn assert_no_secret(run: &Played) {
    assert_absent(run, &[KEY, HEADER_SECRET]);
}

/// Asserts that none of `secrets` appears in the run's output nor in any file of its run folder.
fn assert_absent(run: &Played, secrets: &[&str]) {
    for (what, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        for secret in secrets {
            assert!(!text.contains(secret), "{what} holds a secret:\n{text}");
        }
    }
    let mut files = 0;
    let mut dirs = vec![run.out.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("the run folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let bytes = std::fs::read(&path).expect("a file of the run folder");
            let text = String::from_utf8_lossy(&bytes);
            for secret in secrets {
                assert!(!text.contains(secret), "{} holds a secret", path.display());
            }
            files += 1;
        }
    }
    assert!(files >= 5, "run.json, summary.json, report.md, report.html, timeseries.jsonl: {files} files");
}

fn secret_run(name: &str, target: &str, params: &[&str]) -> Played {
    let header = format!("X-Org-Secret: {HEADER_SECRET}");
    let mut args = vec!["--target", target, "--quiet", "-H", &header, "--timeout", "5s", "--seed", "1"];
    args.extend_from_slice(params);
    // Debug logs too: nothing the runner logs may carry a header value.
    let run = play_with_env(&scenario(name), &args, &[("OPENAI_API_KEY", KEY), ("RUNNER_LOG", "debug")]);
    run.assert_success();
    assert_eq!(run.summary().headers, ["x-org-secret", "authorization"], "names only, in order");
    assert_no_secret(&run);
    run
}

#[test]
fn the_key_and_headers_reach_the_target_and_are_never_recorded() {
    let mock = MockProcess::start(&["--api-key", KEY, "--ttft-ms", "5", "--itl-ms", "1"]);
    // LLM calls, through the pooled client.
    let llm = secret_run("ttft-probe", &mock.url, &["-p", "requests=3", "-p", "max_tokens=4"]);
    let p = llm.phase("ttft-probe");
    assert_eq!((p.requests, p.errors), (3, 0), "the key was sent with every call");
    let model = llm.summary().model.as_ref().map(|m| m.name.as_str());
    assert_eq!(model, Some("mock"), "the key was sent to /v1/models too: the model was discovered");
    // Plain HTTP on the VU's own connection: /v1/models needs the key too.
    let http =
        secret_run("http-get", &mock.url, &["-p", "path=/v1/models", "-p", "vus=1", "-p", "duration=500ms"]);
    let p = http.phase("http-get");
    assert!(p.iterations.completed > 0 && p.iterations.failed == 0, "{:?}", p.iterations);
}

#[test]
fn the_right_key_from_the_environment_gives_no_errors() {
    let mock = format!("ttft=5ms,itl=1ms,api-key={KEY}");
    let args = ["--mock", &mock, "-p", "requests=4", "-p", "max_tokens=4", "--quiet"];
    let run = play_with_env(&scenario("ttft-probe"), &args, &[("OPENAI_API_KEY", KEY)]);
    run.assert_success();
    let p = run.phase("ttft-probe");
    assert_eq!((p.requests, p.errors), (4, 0));
    assert!(run.summary().notes.iter().all(|n| !n.contains("credentials")), "{:?}", run.summary().notes);
}

#[test]
fn telemetry_on_the_target_is_scraped_with_the_key_and_elsewhere_without() {
    // Like llama.cpp's server started with --api-key, the simulated one guards /metrics and
    // /slots too: without the key no sample would come back.
    let mock = MockProcess::start(&["--api-key", KEY, "--metrics", "--ttft-ms", "5", "--itl-ms", "1"]);
    let other = MockProcess::start(&["--metrics"]);
    let (prom, slots) = (format!("prom={}/metrics", mock.url), format!("llamacpp-slots={}/slots", mock.url));
    let elsewhere = format!("prom={}/metrics/dcgm", other.url);
    let args = [
        "--target",
        &mock.url,
        "--quiet",
        "-p",
        "requests=6",
        "-p",
        "max_tokens=8",
        "--telemetry",
        &prom,
        "--telemetry",
        &slots,
        "--telemetry",
        &elsewhere,
        "--sample-interval",
        "20ms",
    ];
    let run = play_with_env(&scenario("ttft-probe"), &args, &[("OPENAI_API_KEY", KEY)]);
    run.assert_success();
    assert!(!run.stderr.contains("401"), "every scrape was let in:\n{}", run.stderr);
    let t = run.phase("ttft-probe").telemetry.as_ref().expect("telemetry for the phase");
    assert!(t.samples > 0 && t.queue_running_max.is_some(), "{t:?}");
    assert!(t.gpu_util_avg_pct.is_some(), "the other server's DCGM page was read too: {t:?}");
    assert_no_secret(&run);
}

#[test]
fn a_wrong_key_is_http_status_with_one_note() {
    let mock = format!("ttft=5ms,itl=1ms,api-key={KEY}");
    let args = [
        "--mock",
        &mock,
        "-p",
        "requests=4",
        "-p",
        "max_tokens=4",
        "--quiet",
        "--api-key-env",
        "RUNNER_TEST_KEY",
    ];
    let run = play_with_env(&scenario("ttft-probe"), &args, &[("RUNNER_TEST_KEY", "sk-wrong")]);
    run.assert_success();
    let p = run.phase("ttft-probe");
    assert_eq!((p.requests, p.errors), (4, 4));
    assert_eq!(p.errors_by_class.get("http-status"), Some(&4), "{:?}", p.errors_by_class);
    let refused: Vec<&String> =
        run.summary().notes.iter().filter(|n| n.contains("refused the credentials")).collect();
    assert_eq!(refused.len(), 1, "{:?}", run.summary().notes);
    assert!(refused[0].contains("4 request(s)") && refused[0].contains("401"), "{}", refused[0]);
}

#[test]
fn a_malformed_header_is_a_usage_error_that_quotes_no_value() {
    for bad in ["Bearer sk-no-colon", "Bad Name: sk-value", "x-key: sk-\u{7}bell"] {
        let out = repo_root().join("target").join("auth-test-never-created");
        let output = runner()
            .args(["play"])
            .arg(scenario("ttft-probe"))
            .args(["-H", bad, "--out"])
            .arg(&out)
            .output()
            .expect("running the runner");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{bad:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{bad:?}: one line: {stderr}");
        assert!(stderr.contains("--header #1") && !stderr.contains("sk-"), "{bad:?}: {stderr}");
        assert!(!out.exists(), "no run was started");
    }
}

#[test]
fn a_secret_in_a_per_request_header_reaches_the_target_and_is_never_recorded() {
    // The scenario reads the key from a dataset file (a `--param` would be recorded in run.json)
    // and sends it as its own `Authorization`, replacing the run's wrong one.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let secrets = dir.path().join("secrets.jsonl");
    std::fs::write(&secrets, format!("{{\"text\": \"{REQUEST_SECRET}\"}}\n")).expect("the secrets file");
    let data = format!("d={}", secrets.display());
    let mock = MockProcess::start(&["--api-key", REQUEST_SECRET, "--ttft-ms", "5", "--itl-ms", "1"]);
    let env = [("OPENAI_API_KEY", "sk-wrong-run-key"), ("RUNNER_LOG", "debug")];
    let args = |mode: &'static str| {
        ["--target", mock.url.as_str(), "--model", "mock", "--quiet", "--data", data.as_str(), "-p", mode]
    };
    let ok = play_with_env(&test_guest("request-features"), &args("mode=secret-header"), &env);
    ok.assert_success();
    let p = ok.phase("request");
    assert_eq!(
        (p.requests, p.errors),
        (6, 0),
        "the request's key replaced the run's: {:?}",
        p.errors_by_class
    );
    assert_absent(&ok, &[REQUEST_SECRET]);
    // The same secret in a value HTTP refuses: each call fails before it is sent, and the
    // message the iteration fails with (kept in the report) names the header, not the value.
    let bad = play_with_env(&test_guest("request-features"), &args("mode=bad-header"), &env);
    bad.assert_success();
    let p = bad.phase("request");
    assert_eq!(p.errors_by_class.get("invalid-request"), Some(&6), "{:?}", p.errors_by_class);
    let notes = &bad.summary().notes;
    assert!(notes.iter().any(|n| n.contains("invalid value for header x-api-key")), "{notes:?}");
    assert_absent(&bad, &[REQUEST_SECRET]);
}
