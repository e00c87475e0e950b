//! Prompts from outside the scenario, end to end: `--data` datasets replayed by
//! `scenarios/replay.wasm` against the simulated server (which counts prompt words and generates
//! exactly `max_tokens`, so the summary's token totals show which rows were sent), request traces
//! replayed at their recorded lengths, `--tokenizer` making synthetic prompts exact, and typed
//! parameters checked before any traffic.

mod common;

use std::path::Path;

use common::{play, repo_root, runner, scenario};

fn write(dir: &Path, name: &str, body: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, body).expect("writing a dataset");
    path.to_str().expect("utf-8 path").to_string()
}

/// Plays `replay` with `file` as its dataset into `dir/run`, expecting it refused before any
/// traffic: exit 1, one `error:` line, no run folder. Returns stderr and that line.
fn refused_before_traffic(dir: &Path, file: &str) -> (String, String) {
    let out = runner()
        .arg("play")
        .arg(scenario("replay"))
        .args(["--data", &format!("prompts={file}"), "--out"])
        .arg(dir.join("run"))
        .output()
        .expect("running runner");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    let error = errors[0].to_string();
    assert!(!dir.join("run").join("summary.json").exists(), "nothing ran");
    (stderr, error)
}

#[test]
fn a_jsonl_dataset_is_replayed_row_by_row_and_wraps_around() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    // 2, 3 and 5 prompt words; 4, 6 and 8 output tokens.
    let file = write(
        dir.path(),
        "prompts.jsonl",
        "{\"prompt\": \"one two\", \"max_tokens\": 4}\n\
         {\"prompt\": \"one two three\", \"max_tokens\": 6}\n\
         {\"messages\": [{\"role\": \"user\", \"content\": \"a b c d e\"}], \"output_tokens\": 8}\n",
    );
    let data = format!("prompts={file}");
    let p = play(
        &scenario("replay"),
        &["--quiet", "--mock", "ttft=1ms,itl=1ms", "--data", &data, "-p", "requests=6", "-p", "vus=1"],
    );
    p.assert_success();
    let phase = p.phase("replay");
    assert_eq!((phase.requests, phase.errors), (6, 0));
    assert_eq!(phase.input_tokens, 2 * (2 + 3 + 5), "each row sent twice, in order");
    assert_eq!(phase.output_tokens, 2 * (4 + 6 + 8), "each row's answer length is its max_tokens");
    assert_eq!(phase.tags.get("dataset").map(String::as_str), Some("prompts"));
}

#[test]
fn a_sharegpt_file_sends_the_first_user_turn_and_asks_for_the_recorded_answer_length() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = write(
        dir.path(),
        "sharegpt.json",
        r#"[{"id": "a", "conversations": [{"from": "human", "value": "how are you today"},
                                          {"from": "gpt", "value": "fine thanks and you"}]},
            {"id": "b", "conversations": [{"from": "gpt", "value": "skipped: no question"}]},
            {"id": "c", "conversations": [{"from": "human", "value": "hi"},
                                          {"from": "gpt", "value": "hello there friend"}]}]"#,
    );
    let data = format!("chats={file}");
    let p = play(
        &scenario("replay"),
        &["--quiet", "--mock", "ttft=1ms,itl=1ms", "--data", &data, "-p", "dataset=chats"],
    );
    p.assert_success();
    let phase = p.phase("replay");
    assert_eq!(phase.requests, 2, "requests=0 sends every usable row once");
    assert_eq!(phase.input_tokens, 4 + 1);
    assert_eq!(phase.output_tokens, 4 + 3);
}

#[test]
fn a_missing_dataset_fails_drive_with_the_names_the_run_has() {
    let p = play(&scenario("replay"), &["--quiet", "--mock", "ttft=1ms,itl=1ms"]);
    assert_eq!(p.output.status.code(), Some(3), "{}", p.stderr);
    assert!(p.stderr.contains("no dataset \"prompts\" in this run (it was given no --data)"), "{}", p.stderr);
}

#[test]
fn a_broken_dataset_is_one_line_before_any_traffic() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = write(dir.path(), "bad.jsonl", "{\"prompt\": \"ok\"}\n{\"prompt\": \n");
    let (stderr, error) = refused_before_traffic(dir.path(), &file);
    assert!(error.contains("--data prompts: ") && error.contains("bad.jsonl:2: "), "{stderr}");
}

/// A sample trace's replayed rows as `(input tokens, output tokens)`, read here from the file
/// itself: Mooncake's JSONL, or a CSV with the two columns named; rows with no answer (BurstGPT's
/// failed requests) are left out, as the runner leaves them out.
fn trace_rows(file: &str) -> Vec<(u64, u64)> {
    let text =
        std::fs::read_to_string(repo_root().join("host/tests/data").join(file)).expect("a sample trace");
    let rows: Vec<(u64, u64)> = if file.ends_with(".jsonl") {
        let field = |row: &serde_json::Value, name: &str| row[name].as_u64().expect("a length");
        text.lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("a JSON row"))
            .map(|row| (field(&row, "input_length"), field(&row, "output_length")))
            .collect()
    } else {
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
        let col = |names: [&str; 2]| header.iter().position(|h| names.contains(h)).expect("a length column");
        let (input, output) =
            (col(["ContextTokens", "Request tokens"]), col(["GeneratedTokens", "Response tokens"]));
        lines
            .map(|l| l.split(',').collect::<Vec<_>>())
            .map(|f| (f[input].parse().expect("a number"), f[output].parse().expect("a number")))
            .collect()
    };
    rows.into_iter().filter(|&(_, output)| output > 0).collect()
}

#[test]
fn a_trace_is_replayed_row_by_row_with_its_recorded_lengths() {
    for (file, skipped) in [("trace-mooncake.jsonl", 0), ("trace-azure.csv", 0), ("trace-burstgpt.csv", 1)] {
        let rows = trace_rows(file);
        let path = repo_root().join("host/tests/data").join(file);
        let data = format!("trace={}", path.to_str().expect("utf-8 path"));
        let p = play(
            &scenario("replay"),
            &["--mock", "ttft=1ms,itl=1ms", "--data", &data, "-p", "dataset=trace", "-p", "vus=4"],
        );
        p.assert_success();
        let phase = p.phase("replay");
        assert_eq!((phase.requests, phase.errors), (rows.len() as u64, 0), "{file}: every row once");
        // The simulated server counts prompt words, and the runner's prompts are a word a token
        // without --tokenizer: the totals show each row was sent at its recorded prompt length
        // and asked for its recorded answer length (max_tokens).
        assert_eq!(phase.input_tokens, rows.iter().map(|r| r.0).sum::<u64>(), "{file}");
        assert_eq!(phase.output_tokens, rows.iter().map(|r| r.1).sum::<u64>(), "{file}");
        assert_eq!(
            p.stderr.contains("no input or no output tokens and are not replayed"),
            skipped > 0,
            "{file}: {}",
            p.stderr
        );
    }
}

#[test]
fn a_trace_out_of_time_order_is_one_line_before_any_traffic() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = write(
        dir.path(),
        "late.jsonl",
        "{\"timestamp\": 0, \"input_length\": 5, \"output_length\": 2, \"hash_ids\": [0]}\n\
         {\"timestamp\": 900, \"input_length\": 5, \"output_length\": 2, \"hash_ids\": [0]}\n\
         {\"timestamp\": 300, \"input_length\": 5, \"output_length\": 2, \"hash_ids\": [0]}\n",
    );
    let (stderr, error) = refused_before_traffic(dir.path(), &file);
    assert!(error.contains("late.jsonl:3: it comes 600.000 ms before line 2"), "{stderr}");
}

/// Prompt words the simulated server counted per request.
fn words_per_request(args: &[&str]) -> f64 {
    let mut all = vec!["--quiet", "--mock", "ttft=1ms,itl=1ms", "-p", "requests=3", "-p", "prompt_tokens=40"];
    all.extend_from_slice(args);
    let p = play(&scenario("ttft-probe"), &all);
    p.assert_success();
    let phase = p.phase("ttft-probe");
    phase.input_tokens as f64 / phase.requests as f64
}

#[test]
fn a_tokenizer_makes_synthetic_prompts_exact_in_its_tokens() {
    // Without a tokenizer a 40-token prompt is 40 words. The fixture tokenizer splits most words
    // into several tokens, so 40 of its tokens are far fewer words.
    assert_eq!(words_per_request(&[]), 40.0);
    let tokenizer = repo_root().join("host/tests/data/tokenizer.json");
    let with = words_per_request(&["--tokenizer", tokenizer.to_str().expect("utf-8 path")]);
    assert!(with < 25.0, "40 fixture tokens are ~10–20 words, got {with}");
    let out = runner()
        .args(["play", "scenarios/ttft-probe.wasm", "--tokenizer", "/nonexistent/tokenizer.json"])
        .output()
        .expect("running runner");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error: --tokenizer /nonexistent/tokenizer.json: "), "{stderr}");
}

#[test]
fn a_param_of_the_wrong_kind_is_refused_before_any_traffic_and_inspect_shows_kinds() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (param, expected) in [
        ("requests=five", "expected integer"),
        ("rate=fast", "expected number"),
        ("stream=maybe", "expected boolean"),
    ] {
        let out = runner()
            .arg("play")
            .arg(scenario("replay"))
            .args(["-p", param, "--out"])
            .arg(dir.path().join("run"))
            .output()
            .expect("running runner");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{param}: {stderr}");
        assert!(
            stderr.contains(&format!("--param {}", param.split('=').next().unwrap_or_default())),
            "{stderr}"
        );
        assert!(stderr.contains(expected), "{param}: {stderr}");
        assert!(!dir.path().join("run").exists(), "{param}: nothing ran");
    }
    let out = runner().arg("inspect").arg(scenario("replay")).output().expect("running runner");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("author: runner authors"), "{stdout}");
    assert!(stdout.contains("thresholds: errors:rate<0.01"), "{stdout}");
    let rate = stdout.lines().find(|l| l.trim_start().starts_with("rate ")).unwrap_or_default();
    assert!(rate.contains("number"), "{stdout}");
    assert!(stdout.contains("runner:scenario/data@0.4.0"), "{stdout}");
}

#[test]
fn a_row_without_a_prompt_is_an_error_naming_its_line() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (body, line) in [
        ("{\"prompt\": \"ok\"}\n{\"promt\": \"typo\"}\n{\"prompt\": \"ok\"}\n", ":2: "),
        ("{\"prompt\": \"ok\"}\n\n{\"prompt\": \"\"}\n", ":3: "),
        ("[{\"text\": \"ok\"}, {\"max_tokens\": 3}]", " entry #2: "),
    ] {
        let file = write(dir.path(), "rows.jsonl", body);
        let out = runner()
            .arg("play")
            .arg(scenario("replay"))
            .args(["--data", &format!("prompts={file}"), "--out"])
            .arg(dir.path().join("run"))
            .output()
            .expect("running runner");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{body:?} must be refused, not skipped: {stderr}");
        let error: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(error.len(), 1, "{stderr}");
        assert!(error[0].contains(&format!("rows.jsonl{line}")) && error[0].contains("prompt"), "{stderr}");
    }
}

#[test]
fn conversations_without_a_user_turn_are_skipped_and_counted_aloud() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = write(
        dir.path(),
        "chats.jsonl",
        "{\"conversations\": [{\"from\": \"human\", \"value\": \"hello\"}]}\n\
         {\"conversations\": [{\"from\": \"gpt\", \"value\": \"no question\"}]}\n\
         {\"messages\": [{\"role\": \"system\", \"content\": \"only a system turn\"}]}\n",
    );
    let run = play(
        &scenario("replay"),
        &["--quiet", "--mock", "ttft=1ms,itl=1ms", "--data", &format!("prompts={file}"), "-p", "requests=2"],
    );
    run.assert_success();
    assert!(
        run.stderr.lines().any(|l| l.contains("--data prompts") && l.contains("2 of 3") && l.contains(":2")),
        "the skipped entries are counted, with the first one's line: {}",
        run.stderr
    );
}

#[test]
fn a_tokenizer_file_that_is_json_but_not_a_tokenizer_says_so() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for body in ["{\"a\": 1}", "[]", "{\"version\": \"1.0\", \"model\": 3}"] {
        let file = write(dir.path(), "tokenizer.json", body);
        let out = runner()
            .env("RUNNER_LOG", "off")
            .arg("play")
            .arg(scenario("ttft-probe"))
            .args(["--tokenizer", &file, "--out"])
            .arg(dir.path().join("run"))
            .output()
            .expect("running runner");
        let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with("error: --tokenizer ")
                && stderr.contains("is JSON but not a Hugging Face tokenizer"),
            "{body}: {stderr}"
        );
    }
}
