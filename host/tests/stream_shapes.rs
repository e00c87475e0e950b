//! The answer shapes real servers send, end to end: the `stream-shapes` guest (built from
//! host/tests/guests/) against the simulated server told to send each shape. The server's
//! schedule is the ground truth: token k leaves at ttft + k·itl, a chunk of several tokens when
//! its last token is due.

mod common;

use common::{play, test_guest};
use runner_reports::{Distribution, PhaseReport, metric};

fn near(d: &Distribution, what: &str, stat: f64, want: f64, within: f64) {
    assert!((stat - want).abs() <= within, "{what} {stat} ms, expected {want} ± {within}: {d:?}");
}

fn metric<'a>(p: &'a PhaseReport, key: &str) -> &'a Distribution {
    p.metric(key).unwrap_or_else(|| panic!("no {key} in {:?}", p.metrics.keys()))
}

/// Five reasoning tokens before the answer: TTFT is the first reasoning token (40 ms), TTFO the
/// first content token five ITLs later (90 ms); ITL runs over reasoning and answer alike.
#[test]
fn reasoning_first_puts_ttfo_five_itls_after_ttft() {
    let run = play(
        &test_guest("stream-shapes"),
        &["--mock", "ttft=40ms,itl=10ms,reasoning=5", "-p", "requests=6", "-p", "max_tokens=20"],
    );
    run.assert_success();
    let p = run.phase("shapes");
    assert_eq!((p.requests, p.errors), (6, 0));
    let ttft = metric(p, metric::TTFT);
    let ttfo = metric(p, metric::TTFO);
    assert_eq!((ttft.count, ttfo.count), (6, 6));
    near(ttft, "TTFT p50", ttft.p50, 40.0, 3.0);
    near(ttfo, "TTFO p50", ttfo.p50, 90.0, 3.0);
    let reasoning = &p.metrics[&metric::custom("reasoning_ms")];
    near(reasoning, "TTFO − TTFT mean (the guest's view)", reasoning.mean, 50.0, 2.0);
    let itl = metric(p, metric::ITL);
    assert_eq!(itl.count, 6 * 19, "reasoning chunks are gaps too");
    near(itl, "ITL mean", itl.mean, 10.0, 1.0);
    // Usage counts reasoning inside the output, as real servers do.
    assert_eq!((p.output_tokens, p.reasoning_tokens, p.tokens.reasoning), (6 * 20, 6 * 5, 6));
    assert_eq!((p.counters["reasoning_chunks"], p.counters["reasoning_tokens"]), (30, 30));
    assert_eq!(p.tokens.disagreements, 0, "every reasoning chunk is a counted token");
    let md = run.report_md.as_deref().expect("report.md");
    assert!(md.contains("| shapes | TTFO | 6 |"), "{md}");
    assert!(run.stdout.contains("  ttfo "), "{}", run.stdout);
    assert!(run.stdout.contains("reasoning in 6 requests (30 tokens)"), "{}", run.stdout);
}

/// A request with `tools` gets a streamed tool call; the guest answers it with the tool's result
/// and gets words back. A tool call is output: TTFO equals TTFT, and TTFO stays out of the report.
#[test]
fn a_tool_call_is_output_and_the_loop_ends_with_words() {
    let run = play(
        &test_guest("stream-shapes"),
        &["--mock", "ttft=20ms,itl=5ms", "-p", "requests=3", "-p", "max_tokens=8", "-p", "tools=true"],
    );
    run.assert_success();
    let p = run.phase("shapes");
    assert_eq!((p.requests, p.errors, p.tool_calls), (6, 0, 3), "a call, then an answer, three times");
    for check in [
        "tool call is get_weather",
        "tool arguments are a JSON object",
        "answer after the tool result is text",
    ] {
        let c = &p.checks[check];
        assert_eq!((c.passes, c.fails), (3, 0), "{check}");
    }
    let (ttft, ttfo) = (metric(p, metric::TTFT), metric(p, metric::TTFO));
    assert_eq!((ttfo.count, ttfo.p50, ttfo.max), (ttft.count, ttft.p50, ttft.max));
    near(ttft, "TTFT p50", ttft.p50, 20.0, 3.0);
    assert_eq!(metric(p, metric::ITL).count, 6 * 7, "every tool-call piece is a chunk");
    assert_eq!(p.tokens.reasoning, 0);
    let md = run.report_md.as_deref().expect("report.md");
    assert!(!md.contains("TTFO"), "no reasoning, no TTFO row: {md}");
    assert!(md.contains("| Tool calls |"), "{md}");
}

/// Four tokens a chunk after the first: 21 tokens come in 6 chunks, 40 ms apart. The chunk gaps
/// are 40 ms, ITL (scaled by usage) 10 ms, and usage and the counted chunks disagree by 15 per
/// request, which the summary keeps.
#[test]
fn several_tokens_per_chunk_give_chunk_gaps_of_k_itls_and_itl_per_token() {
    let run = play(
        &test_guest("stream-shapes"),
        &["--mock", "ttft=40ms,itl=10ms,tokens-per-chunk=4", "-p", "requests=4", "-p", "max_tokens=21"],
    );
    run.assert_success();
    let p = run.phase("shapes");
    assert_eq!((p.requests, p.errors, p.output_tokens), (4, 0, 84));
    let gaps = metric(p, metric::CHUNK_GAP);
    assert_eq!(gaps.count, 4 * 5);
    near(gaps, "chunk gap mean", gaps.mean, 40.0, 2.0);
    let itl = metric(p, metric::ITL);
    assert_eq!(itl.count, 4 * 5, "one ITL sample per chunk gap");
    near(itl, "ITL mean", itl.mean, 10.0, 1.0);
    let ttft = metric(p, metric::TTFT);
    near(ttft, "TTFT p50", ttft.p50, 40.0, 3.0);
    let tpot = metric(p, metric::TPOT);
    near(tpot, "TPOT mean", tpot.mean, 10.0, 1.0);
    assert_eq!((p.tokens.disagreements, p.tokens.discrepancy), (4, 4 * 15));
}

/// The server reports 4 of the prompt's 7 tokens as cached: the summary keeps the totals and
/// the reports show the share.
#[test]
fn cached_tokens_are_totalled_and_their_share_reported() {
    let run = play(
        &test_guest("stream-shapes"),
        &["--mock", "ttft=5ms,itl=2ms,cached-tokens=4", "-p", "requests=5", "-p", "max_tokens=4"],
    );
    run.assert_success();
    let p = run.phase("shapes");
    assert_eq!((p.input_tokens, p.cached_tokens, p.tokens.cached_reported), (35, 20, 5));
    assert_eq!(p.counters["cached_tokens"], 20, "the guest saw each answer's count");
    assert!(run.stdout.contains("57.1% of input tokens cached (20 of 35)"), "{}", run.stdout);
    let md = run.report_md.as_deref().expect("report.md");
    assert!(md.contains("| 20 (57.1%) |"), "{md}");
}

/// An `{"error": …}` event half-way through a stream, and an error object as a whole 200 body:
/// both fail the call as `server-error`, never as a success or another class.
#[test]
fn an_error_event_mid_stream_or_an_error_body_is_server_error() {
    for stream in ["true", "false"] {
        let param = format!("stream={stream}");
        let run = play(
            &test_guest("stream-shapes"),
            &["--mock", "ttft=5ms,itl=2ms,fault=error-event", "-p", "requests=3", "-p", &param],
        );
        run.assert_success();
        let p = run.phase("shapes");
        assert_eq!((p.requests, p.errors), (3, 3), "stream={stream}");
        assert_eq!(
            p.errors_by_class.get("server-error"),
            Some(&3),
            "stream={stream}: {:?}",
            p.errors_by_class
        );
        assert_eq!(p.iterations.failed, 3);
    }
}
