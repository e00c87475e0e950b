//! The workloads written as code, played against the simulated server with known answers as
//! ground truth: multi-turn conversations (synthetic and replayed from a dataset), and the
//! executors under them (gamma arrivals, recorded schedules).

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{MockProcess, Played, metrics_page, play, scenario, sessions};
use runner_reports::metric;
use runner_reports::model::TaggedMetrics;

/// The tag sets of phase `name` that carry `turn`, by turn number.
fn turns<'a>(run: &'a Played, name: &str) -> BTreeMap<u64, &'a TaggedMetrics> {
    run.phase(name).by_tags.iter().filter_map(|t| Some((t.tags.get("turn")?.parse().ok()?, t))).collect()
}

fn write(dir: &Path, name: &str, body: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, body).expect("writing a test file");
    path.display().to_string()
}

#[test]
fn synthetic_conversations_grow_their_history_turn_by_turn() {
    let mock = MockProcess::start(&["--metrics", "--ttft-ms", "5", "--itl-ms", "1"]);
    // 4 conversations of 3 turns on 2 VUs; each user message 8 words, each answer 4 tokens.
    let run = play(
        &scenario("multi-turn"),
        &[
            "--target",
            &mock.url,
            "--model",
            "mock",
            "-p",
            "vus=2",
            "-p",
            "duration=0s",
            "-p",
            "conversations=4",
            "-p",
            "turns=3",
            "-p",
            "think_time=20ms",
            "-p",
            "prompt_tokens=8",
            "-p",
            "max_tokens=4",
        ],
    );
    run.assert_success();
    let p = run.phase("conversations");
    assert_eq!((p.iterations.completed, p.requests, p.errors), (4, 12, 0));
    let by_turn = turns(&run, "conversations");
    assert_eq!(by_turn.keys().copied().collect::<Vec<_>>(), [1, 2, 3]);
    for (n, t) in &by_turn {
        assert_eq!(t.requests, 4, "turn {n}");
        assert!(t.metrics.get(metric::TTFT).is_some_and(|d| d.count == 4), "turn {n} has its TTFT");
        // Turn n sends n user messages of 8 words and n - 1 answers of 4 tokens (one word each).
        let prompt = t.metrics.get(&metric::custom("prompt_tokens")).expect("prompt lengths per turn");
        let expected = (8 * n + 4 * (n - 1)) as f64;
        assert!((prompt.p50 - expected).abs() <= 1.0, "turn {n}: prompt p50 {} ≠ {expected}", prompt.p50);
    }
    // One session id per conversation, each seen on its 3 turns.
    let seen = sessions(&metrics_page(&mock.url));
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert!(seen.values().all(|&n| n == 3), "{seen:?}");
    let report = run.report_md.as_deref().expect("report.md");
    assert!(report.contains("## Per turn"), "{report}");
}

#[test]
fn a_dataset_is_replayed_turn_by_turn_with_the_recorded_answer_lengths() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    // A three-turn conversation (answers of 3, 5 and 2 words) and a two-turn one (1 and 4 words).
    let data = write(
        dir.path(),
        "chats.jsonl",
        concat!(
            r#"{"messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "one"}, "#,
            r#"{"role": "assistant", "content": "a b c"}, {"role": "user", "content": "two"}, "#,
            r#"{"role": "assistant", "content": "a b c d e"}, {"role": "user", "content": "three"}, "#,
            r#"{"role": "assistant", "content": "a b"}]}"#,
            "\n",
            r#"{"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "x"}, "#,
            r#"{"from": "human", "value": "again"}, {"from": "gpt", "value": "w x y z"}]}"#,
            "\n"
        ),
    );
    let run = play(
        &scenario("multi-turn"),
        &[
            "--mock",
            "ttft=2ms,itl=1ms",
            "--data",
            &format!("chats={data}"),
            "-p",
            "dataset=chats",
            "-p",
            "vus=2",
            "-p",
            "duration=0s",
            "-p",
            "think_time=10ms",
            "-p",
            "history=recorded",
        ],
    );
    run.assert_success();
    let p = run.phase("conversations");
    assert_eq!((p.iterations.completed, p.requests, p.errors), (2, 5, 0), "every turn of both rows");
    let by_turn = turns(&run, "conversations");
    let counts: Vec<_> = by_turn.iter().map(|(n, t)| (*n, t.requests)).collect();
    assert_eq!(counts, [(1, 2), (2, 2), (3, 1)]);
    // Each turn asked for its recorded answer's length, and the mock answers exactly that many.
    assert_eq!(p.output_tokens, 3 + 5 + 2 + 1 + 4);
}

#[test]
fn gamma_arrivals_keep_the_rate_and_name_their_burstiness() {
    // 200/s for 2 s with shape 0.25 (gaps with a coefficient of variation of 2): about 400
    // arrivals, bunched; the count's standard deviation is about 2·√400 = 40.
    let run = play(
        &scenario("rate"),
        &[
            "--mock",
            "ttft=1ms,itl=1ms",
            "-p",
            "rate=200",
            "-p",
            "duration=2s",
            "-p",
            "arrival=gamma",
            "-p",
            "burstiness=0.25",
            "-p",
            "max_tokens=2",
        ],
    );
    run.assert_success();
    let p = run.phase("rate");
    assert!(p.plan.contains("gamma, burstiness 0.25"), "{}", p.plan);
    let arrivals = p.iterations.completed + p.iterations.failed + p.iterations.dropped;
    assert!((240..=560).contains(&arrivals), "{arrivals} arrivals for an expected 400");
}

#[test]
fn a_burstiness_out_of_range_is_refused_with_its_reason() {
    let run = play(&scenario("rate"), &["--mock", "ttft=1ms", "-p", "arrival=gamma", "-p", "burstiness=0"]);
    assert_eq!(run.output.status.code(), Some(3), "{}", run.stderr);
    assert!(run.stderr.contains("burstiness 0 is outside 0.01..=100"), "{}", run.stderr);
}

/// `(offset ms, input tokens, output tokens)` of each row of the Mooncake sample trace.
fn mooncake_rows(path: &Path) -> Vec<(f64, u64, u64)> {
    let text = std::fs::read_to_string(path).expect("the sample trace");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            let n = |k: &str| v[k].as_f64().unwrap_or_else(|| panic!("{k} in {l}"));
            (n("timestamp"), n("input_length") as u64, n("output_length") as u64)
        })
        .collect()
}

#[test]
fn a_trace_is_replayed_at_its_recorded_offsets_with_its_lengths() {
    let trace = common::repo_root().join("host/tests/data/trace-mooncake.jsonl");
    let rows = mooncake_rows(&trace);
    let first = rows[0].0;
    let span_ms = rows.last().map(|r| r.0 - first).expect("rows");
    let run = play(
        &scenario("trace-replay"),
        &["--mock", "ttft=5ms,itl=1ms", "--data", &format!("trace={}", trace.display()), "-p", "speedup=2"],
    );
    run.assert_success();
    let p = run.phase("trace");
    assert_eq!(p.executor, "scheduled");
    assert_eq!((p.requests, p.errors, p.iterations.dropped), (rows.len() as u64, 0, 0));
    // Each request asked for its row's output length (ignore_eos: the mock generates exactly that).
    assert_eq!(p.output_tokens, rows.iter().map(|r| r.2).sum::<u64>());
    // The prompts have the rows' input lengths (words here, as the mock counts them).
    let input: u64 = rows.iter().map(|r| r.1).sum();
    assert!(p.input_tokens.abs_diff(input) * 100 <= input, "{} input tokens for {input}", p.input_tokens);
    // Started on the recorded schedule, twice as fast: the phase spans the trace's last offset / 2,
    // and no start was later than the lag bound.
    assert!(
        p.duration_s * 1000.0 >= span_ms / 2.0 - 5.0,
        "{} s for a {span_ms} ms trace at 2x",
        p.duration_s
    );
    let lag = p.metric(metric::DISPATCH_LAG).expect("lateness is measured");
    assert_eq!(lag.count, rows.len() as u64);
    let bound = p.schedule.as_ref().map(|s| s.bound_ms).expect("an open-loop schedule report");
    assert!(lag.p99 <= bound, "lateness p99 {} ms over the bound {bound} ms", lag.p99);
    let report = run.report_md.as_deref().expect("report.md");
    assert!(report.contains("## Trace replay lateness"), "{report}");
}

#[test]
fn azure_and_burstgpt_traces_replay_every_row() {
    // The columns of the prompt and answer lengths: a row with either 0 (a failed request in
    // BurstGPT) is left out, as vLLM's loader leaves it out.
    for (file, columns) in [("trace-azure.csv", [1, 2]), ("trace-burstgpt.csv", [2, 3])] {
        let trace = common::repo_root().join("host/tests/data").join(file);
        let text = std::fs::read_to_string(&trace).expect("the sample trace");
        let expected = text
            .lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .filter(|l| {
                let fields: Vec<&str> = l.split(',').collect();
                columns.iter().all(|&c| fields[c].trim() != "0")
            })
            .count() as u64;
        let run = play(
            &scenario("trace-replay"),
            &[
                "--mock",
                "ttft=2ms,itl=1ms",
                "--data",
                &format!("trace={}", trace.display()),
                "-p",
                "speedup=4",
            ],
        );
        run.assert_success();
        let p = run.phase("trace");
        assert_eq!((p.requests, p.errors, p.iterations.dropped), (expected, 0, 0), "{file}");
    }
}

#[test]
fn a_dataset_without_times_is_no_trace() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let data = write(dir.path(), "p.jsonl", "{\"prompt\": \"hi\"}\n");
    let run = play(&scenario("trace-replay"), &["--mock", "ttft=1ms", "--data", &format!("trace={data}")]);
    assert_eq!(run.output.status.code(), Some(3), "{}", run.stderr);
    assert!(run.stderr.contains("has no timestamps"), "{}", run.stderr);
}
