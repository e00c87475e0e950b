//! The llm request side end to end: a real Wasm guest (host/tests/guests/request-features)
//! against the simulated server over HTTP on 127.0.0.1 — per-request headers, the
//! `max_completion_tokens` field, images (inline, with a synthetic prompt, from a dataset's
//! files) and embeddings (inline, dataset rows, synthetic; recorded like non-streamed calls).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{MockProcess, Played, metrics_page, play, runner, sessions, test_guest};
use runner_reports::PhaseReport;

/// Prompt tokens the simulated server counts per image part.
const IMAGE_TOKENS: u64 = 85;

fn guest() -> PathBuf {
    test_guest("request-features")
}

/// Plays the guest in `mode` with `args`, and requires a clean exit.
fn play_mode(mode: &str, args: &[&str]) -> Played {
    let mode = format!("mode={mode}");
    let mut all = vec!["--quiet", "--seed", "1", "-p", &mode];
    all.extend_from_slice(args);
    let run = play(&guest(), &all);
    run.assert_success();
    run
}

fn phase(run: &Played) -> &PhaseReport {
    run.phase("request")
}

/// The value of the series whose name and labels are `series` exactly.
fn value(page: &str, series: &str) -> Option<u64> {
    page.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// `a` then `b`.
fn cat<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<&'a str> {
    [a, b].concat()
}

fn write(dir: &Path, name: &str, body: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, body).expect("writing a test file");
    path.display().to_string()
}

#[test]
fn per_request_headers_reach_the_server_once_replacing_the_runs() {
    let mock = MockProcess::start(&["--metrics", "--ttft-ms", "1", "--itl-ms", "1"]);
    let args =
        ["--target", &mock.url, "--model", "mock", "-H", "X-Session-Id: run-wide", "-p", "max_tokens=2"];
    let run = play_mode("session", &args);
    let p = phase(&run);
    assert_eq!((p.requests, p.errors), (6, 0), "{:?}", p.errors_by_class);
    assert_eq!(run.summary().headers, ["x-session-id"], "the run's header is recorded by name only");
    let mut seen = sessions(&metrics_page(&mock.url));
    // The prepare stage's questions to the server carry the run's headers, as every request does.
    assert_eq!(seen.remove("run-wide"), Some(runner::run::server_info::REQUESTS as u64));
    assert_eq!(seen.len(), 2, "one session per VU, the run's replaced: {seen:?}");
    assert!(
        seen.iter().all(|(id, n)| id.starts_with("vu-") && *n == 3),
        "each VU's 3 requests, once each: {seen:?}"
    );
}

#[test]
fn max_completion_tokens_limits_the_answer() {
    let run =
        play_mode("max-completion", &["--mock", "ttft=1ms,itl=1ms,max-tokens=64", "-p", "max_tokens=5"]);
    let p = phase(&run);
    assert_eq!((p.requests, p.errors, p.output_tokens), (6, 0, 6 * 5), "the server honoured the field");
    let check = &p.checks["answer as long as asked"];
    assert_eq!((check.passes, check.fails), (6, 0));
}

#[test]
fn images_go_as_content_parts_from_the_scenario_and_from_dataset_files() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    write(dir.path(), "cat.png", &[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a]);
    let rows = "{\"prompt\": \"what is this\", \"image\": \"cat.png\"}\n\
                {\"prompt\": \"and these two\", \"images\": [\"cat.png\", \"https://example.com/dog.jpg\"]}\n";
    let data = format!("d={}", write(dir.path(), "vision.jsonl", rows.as_bytes()));
    let mock = MockProcess::start(&["--metrics", "--ttft-ms", "1", "--itl-ms", "1"]);
    let one_vu = [
        "--target",
        mock.url.as_str(),
        "--model",
        "mock",
        "-p",
        "vus=1",
        "-p",
        "iterations=2",
        "-p",
        "max_tokens=2",
    ];

    // Rows 0 and 1: 3 words and one image, 3 words and two images (the file read into a data: URL
    // the server decodes, the https URL as it is).
    let p = phase(&play_mode("dataset", &cat(&one_vu, &["--data", &data]))).clone();
    assert_eq!((p.requests, p.errors, p.input_tokens), (2, 0, 3 + IMAGE_TOKENS + 3 + 2 * IMAGE_TOKENS));
    let inline =
        play_mode("image", &cat(&one_vu, &["-p", "image=data:image/gif;base64,R0lGODlhAQABAAAAACw="]));
    assert_eq!((phase(&inline).errors, phase(&inline).input_tokens), (0, 2 * (4 + IMAGE_TOKENS)));
    let synthetic = play_mode("synthetic-image", &cat(&one_vu, &["-p", "image=https://example.com/x.webp"]));
    assert_eq!((phase(&synthetic).errors, phase(&synthetic).input_tokens), (0, 2 * (16 + IMAGE_TOKENS)));
    assert_eq!(value(&metrics_page(&mock.url), "runner_mock_image_parts_total"), Some(3 + 2 + 2));

    // A broken data: URL reaches the server, which refuses it as a vision server would.
    let broken = play_mode("image", &cat(&one_vu, &["-p", "image=data:image/png;base64,***"]));
    assert_eq!(
        phase(&broken).errors_by_class.get("http-status"),
        Some(&2),
        "{:?}",
        phase(&broken).errors_by_class
    );
}

#[test]
fn an_oversized_or_missing_dataset_image_is_one_line_before_any_traffic() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::File::create(dir.path().join("big.png"))
        .and_then(|f| f.set_len(21 << 20))
        .expect("a sparse file");
    for (image, why) in [("big.png", "big.png: larger than 20 MiB"), ("gone.jpg", "gone.jpg: cannot read it")]
    {
        let rows = format!("{{\"prompt\": \"ok\"}}\n{{\"prompt\": \"x\", \"image\": \"{image}\"}}\n");
        let data = format!("d={}", write(dir.path(), "v.jsonl", rows.as_bytes()));
        let out = runner()
            .arg("play")
            .arg(guest())
            .args(["--mock", "ttft=1ms", "--data", &data, "--out"])
            .arg(dir.path().join("run"))
            .output()
            .expect("running runner");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        let error: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(error.len(), 1, "{stderr}");
        assert!(
            error[0].contains("--data d: ")
                && error[0].contains("v.jsonl:2: image ")
                && error[0].contains(why),
            "{stderr}"
        );
        assert!(!dir.path().join("run").join("summary.json").exists(), "nothing ran");
    }
}

#[test]
fn embeddings_are_recorded_like_non_streamed_calls() {
    let run = play_mode("embed", &["--mock", "ttft=2ms,itl=1ms,embedding-dim=16"]);
    let p = phase(&run);
    assert_eq!((p.requests, p.errors, p.output_tokens), (6, 0, 0));
    assert_eq!(p.input_tokens, 6 * (3 + 2), "usage.prompt_tokens of both texts");
    let e2e = &p.metrics["e2e"];
    assert_eq!(e2e.count, 6);
    assert!(e2e.min >= 2.0, "at least the server's ttft: {e2e:?}");
    assert!(
        !p.metrics.contains_key("ttft") && !p.metrics.contains_key("e2e_per_token"),
        "{:?}",
        p.metrics.keys()
    );
    assert_eq!(p.checks["one vector a text"].passes, 6);
    let dimensions = &p.metrics["custom:dimensions"];
    // Trends keep three significant digits.
    assert!((dimensions.min - 16.0).abs() < 0.02 && (dimensions.max - 16.0).abs() < 0.02, "{dimensions:?}");
    let tagged: Vec<_> =
        p.by_tags.iter().map(|t| (t.tags.get("api").map(String::as_str), t.requests)).collect();
    assert_eq!(tagged, [(Some("embeddings"), 6)]);
}

#[test]
fn embeddings_texts_made_on_the_host_from_dataset_rows_and_synthetic_prompts() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    // Row i has i + 1 words.
    let rows: String =
        (0..10).map(|i| format!("{{\"text\": \"{}\"}}\n", vec!["w"; i + 1].join(" "))).collect();
    let data = format!("d={}", write(dir.path(), "docs.jsonl", rows.as_bytes()));
    let mock = MockProcess::start(&["--metrics", "--ttft-ms", "1", "--itl-ms", "1"]);
    let one_vu = [
        "--target",
        mock.url.as_str(),
        "--model",
        "mock",
        "-p",
        "vus=1",
        "-p",
        "iterations=3",
        "-p",
        "batch=4",
    ];
    let run = play_mode("embed-dataset", &cat(&one_vu, &["--data", &data]));
    let p = phase(&run);
    assert_eq!((p.requests, p.errors), (3, 0));
    assert_eq!(p.checks["one vector a text"].passes, 3, "4 vectors each");
    // Rows 0..12, wrapping after 10: 1 + 2 + … + 10, then rows 0 and 1 again.
    assert_eq!(p.input_tokens, 55 + 1 + 2);
    assert_eq!(value(&metrics_page(&mock.url), "runner_mock_embedding_inputs_total"), Some(12));
    let run = play_mode("embed-synthetic", &one_vu);
    let p = phase(&run);
    assert_eq!((p.requests, p.errors, p.input_tokens), (3, 0, 3 * 4 * 32));
    let bad = play_mode("embed-synthetic", &cat(&one_vu, &["-p", "batch=0"]));
    assert_eq!(phase(&bad).errors_by_class.get("invalid-request"), Some(&3));
}

#[test]
fn a_phase_mixing_chat_and_embeddings_keeps_them_apart_by_tag() {
    let run = play_mode("mixed", &["--mock", "ttft=3ms,itl=1ms", "-p", "max_tokens=2"]);
    let p = phase(&run);
    assert_eq!((p.requests, p.errors), (12, 0));
    let by_api: BTreeMap<&str, _> =
        p.by_tags.iter().map(|t| (t.tags.get("api").map(String::as_str).unwrap_or("-"), t)).collect();
    assert_eq!(by_api.keys().copied().collect::<Vec<_>>(), ["chat", "embeddings"]);
    assert_eq!((by_api["chat"].requests, by_api["embeddings"].requests), (6, 6));
    assert_eq!(by_api["chat"].metrics["ttft"].count, 6);
    assert!(!by_api["embeddings"].metrics.contains_key("ttft"), "embeddings have E2E only");
    assert_eq!(by_api["embeddings"].metrics["e2e"].count, 6);
}

#[test]
fn ignore_eos_gets_every_answer_its_full_length_and_without_it_short_answers_are_counted_not_failed() {
    // The simulated model ends its answers after 5 tokens unless the request says ignore_eos, as a
    // real model stops at its end of sequence. ttft-probe sends it by default (`ignore_eos=true`).
    let base = ["--quiet", "--mock", "ttft=2ms,itl=1ms,eos=5", "-p", "requests=4", "-p", "max_tokens=12"];
    let run = play(&common::scenario("ttft-probe"), &base);
    run.assert_success();
    let p = run.phase("ttft-probe");
    assert_eq!((p.requests, p.errors, p.output_tokens), (4, 0, 4 * 12), "ignore_eos honoured");
    let check = &p.checks["output_tokens == max_tokens"];
    assert_eq!((check.passes, check.fails), (4, 0));
    assert_eq!(p.counters.get("stopped_early"), None);

    let run = play(&common::scenario("ttft-probe"), &[&base[..], &["-p", "ignore_eos=false"]].concat());
    run.assert_success();
    let p = run.phase("ttft-probe");
    assert_eq!((p.requests, p.errors, p.output_tokens), (4, 0, 4 * 5), "the model stopped at 5");
    assert_eq!(p.counters.get("stopped_early"), Some(&4), "{:?}", p.counters);
    assert!(p.checks.get("output_tokens == max_tokens").is_none_or(|c| c.fails == 0), "{:?}", p.checks);
}

#[test]
fn http2_only_with_the_flag_for_llm_calls_and_plain_requests() {
    // Without --http2 every request is HTTP/1.1 (each VU on its own connection); with it every
    // request goes as HTTP/2 (prior knowledge over http://), which the simulated server also
    // speaks and counts.
    for (flag, http2) in [(None, false), (Some("--http2"), true)] {
        let mock = MockProcess::start(&["--metrics", "--ttft-ms", "2", "--itl-ms", "1"]);
        let mut args =
            vec!["--quiet", "--target", mock.url.as_str(), "-p", "requests=3", "-p", "max_tokens=4"];
        args.extend(flag);
        let run = play(&common::scenario("ttft-probe"), &args);
        run.assert_success();
        let p = run.phase("ttft-probe");
        assert_eq!((p.requests, p.errors), (3, 0), "{flag:?}");
        let mut args = vec!["--quiet", "--target", mock.url.as_str(), "-p", "vus=1", "-p", "duration=300ms"];
        args.extend(flag);
        let get = play(&common::scenario("http-get"), &args);
        get.assert_success();
        let gets = get.phase("http-get").requests;
        assert!(gets > 0);
        // Each run's questions to the server (/v1/models, /version…), the three calls and the GETs.
        let h2 = value(&metrics_page(&mock.url), "runner_mock_http2_requests_total").expect("the counter");
        let probes = 2 * runner::run::server_info::REQUESTS as u64;
        let want = if http2 { probes + 3 + gets } else { 0 };
        assert_eq!(h2, want, "{flag:?}: HTTP/2 requests");
    }
}
