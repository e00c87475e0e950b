//! Tests of the stream shapes real servers send beyond plain content: reasoning before the answer,
//! tool calls, the usage details (reasoning and cached tokens), and their caps.

use std::time::Instant;

use serde_json::{Value, json};

use super::super::sse::SseEvent;
use super::super::test_support::*;
use super::answer::{Accumulator, MAX_TEXT};
use super::tests::{MS, chat, content, expect_error, finish, run, within};
use super::tools::MAX_TOOL_CALLS;
use super::*;

/// One chunk whose first choice has this `delta`.
fn delta(delta: Value) -> String {
    format!("data: {}\n\n", json!({"choices": [{"index": 0, "delta": delta, "finish_reason": null}]}))
}

/// The final usage chunk with the details some servers add.
fn usage_with_details(prompt: u32, completion: u32, reasoning: u32, cached: u32) -> String {
    let usage = json!({"prompt_tokens": prompt, "completion_tokens": completion,
        "completion_tokens_details": {"reasoning_tokens": reasoning},
        "prompt_tokens_details": {"cached_tokens": cached}});
    format!("data: {}\n\n", json!({"choices": [], "usage": usage}))
}

/// One tool-call piece: `index`, and whichever of id, name and arguments this delta carries.
fn tool_delta(index: u32, id: Option<&str>, name: Option<&str>, arguments: Option<&str>) -> String {
    let mut call = json!({"index": index, "function": {}});
    if let Some(id) = id {
        call["id"] = json!(id);
        call["type"] = json!("function");
    }
    if let Some(name) = name {
        call["function"]["name"] = json!(name);
    }
    if let Some(arguments) = arguments {
        call["function"]["arguments"] = json!(arguments);
    }
    delta(json!({"tool_calls": [call]}))
}

fn tool(id: &str, name: &str, arguments: &str) -> ToolCall {
    ToolCall { id: id.into(), name: name.into(), arguments: arguments.into() }
}

fn event(line: &str) -> SseEvent {
    SseEvent { data: line.trim_start_matches("data: ").trim().to_string(), event: None }
}

/// Three reasoning chunks (both field names vLLM has used), then two content chunks, 10 ms apart
/// after 30 ms: TTFT is the first reasoning chunk, TTFO the first content chunk 30 ms later, and
/// the reasoning is counted but kept out of the text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reasoning_counts_for_ttft_but_not_ttfo_and_stays_out_of_the_text() {
    let script = vec![
        sse_head(),
        chunk(&delta(json!({"role": "assistant", "content": ""}))),
        Step::Sleep(MS(30)),
        chunk(&delta(json!({"reasoning_content": "Let me"}))),
        Step::Sleep(MS(10)),
        chunk(&delta(json!({"reasoning": " think"}))),
        Step::Sleep(MS(10)),
        chunk(&delta(json!({"reasoning_content": ".", "content": null}))),
        Step::Sleep(MS(10)),
        chunk(&content("Paris")),
        Step::Sleep(MS(10)),
        chunk(&content(".")),
        chunk(&finish("stop")),
        chunk(&usage_with_details(7, 5, 3, 4)),
        chunk("data: [DONE]\n\n"),
        end(),
    ];
    let c = run(script, &chat(true)).await.expect("ok");
    assert_eq!(c.text, "Paris.");
    assert_eq!((c.chunks, c.reasoning_chunks, c.chunk_gaps.len(), c.itl.len()), (5, 3, 4, 4));
    assert_eq!((c.reasoning_tokens, c.cached_tokens, c.input_tokens), (Some(3), Some(4), Some(7)));
    assert_eq!((c.output_tokens, c.output_tokens_source), (5, TokenSource::Usage));
    let ttft = c.ttft.expect("ttft");
    let ttfo = c.ttfo.expect("ttfo");
    assert!(within(ttft, 30, 45), "ttft {ttft:?}");
    // TTFO is exactly the first three gaps later: both are instants of the same chunks.
    assert_eq!(ttfo, ttft + c.chunk_gaps[..3].iter().sum::<Duration>());
    assert!(within(ttfo, 60, 80), "ttfo {ttfo:?}");
    assert!(c.tool_calls.is_empty());
}

#[tokio::test]
async fn a_stream_of_reasoning_only_has_a_ttft_and_no_ttfo() {
    let script = vec![
        sse_head(),
        chunk(&delta(json!({"reasoning_content": "hmm"}))),
        chunk(&delta(json!({"reasoning_content": "…"}))),
        chunk(&finish("length")),
        chunk("data: [DONE]\n\n"),
        end(),
    ];
    let c = run(script, &chat(true)).await.expect("ok");
    assert!(c.ttft.is_some());
    assert_eq!((c.ttfo, c.reasoning_chunks, c.chunks, c.text.as_str()), (None, 2, 2, ""));
}

/// Two tool calls streamed interleaved, as OpenAI sends parallel calls: the id and name come once
/// (the first call's name repeated by a server that echoes it), the arguments in pieces. Each
/// piece is output: TTFT, TTFO and the chunk count see them as they see content.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tool_call_deltas_are_output_joined_per_index() {
    let script = vec![
        sse_head(),
        chunk(&delta(json!({"role": "assistant"}))),
        Step::Sleep(MS(20)),
        chunk(&tool_delta(0, Some("call_1"), Some("get_weather"), Some(""))),
        Step::Sleep(MS(10)),
        chunk(&tool_delta(0, None, Some("get_weather"), Some("{\"city\""))),
        chunk(&tool_delta(1, Some("call_2"), Some("get_time"), Some("{}"))),
        chunk(&tool_delta(0, None, None, Some(": \"Paris\"}"))),
        chunk(&finish("tool_calls")),
        chunk("data: [DONE]\n\n"),
        end(),
    ];
    let c = run(script, &chat(true)).await.expect("ok");
    assert_eq!(
        c.tool_calls,
        [tool("call_1", "get_weather", r#"{"city": "Paris"}"#), tool("call_2", "get_time", "{}")]
    );
    assert_eq!((c.text.as_str(), c.finish_reason.as_deref()), ("", Some("tool_calls")));
    assert_eq!((c.chunks, c.reasoning_chunks, c.counted_output_tokens), (4, 0, 4));
    let ttft = c.ttft.expect("ttft");
    assert_eq!(c.ttfo, Some(ttft), "a tool call is output");
    assert!(within(ttft, 20, 35), "ttft {ttft:?}");
    // The script keeps its schedule from the previous step's planned end, so a late first write
    // makes the next gap shorter than 10 ms by as much.
    // On a busy machine the first write has been measured 3.5 ms late: bound from below at 5.
    assert!(within(c.chunk_gaps[0], 5, 25), "gaps {:?}", c.chunk_gaps);
}

/// A whole answer: `message.tool_calls` (arguments as an object, as some servers send them),
/// `reasoning_content` beside the content, and the usage details.
#[tokio::test]
async fn a_whole_answer_keeps_its_tool_calls_and_leaves_reasoning_out() {
    let body = json!({"choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": "Checking.", "reasoning_content": "The user wants weather.",
            "tool_calls": [{"id": "call_9", "type": "function",
                "function": {"name": "get_weather", "arguments": {"city": "Oslo"}}}]}}],
        "usage": {"prompt_tokens": 40, "completion_tokens": 20,
            "completion_tokens_details": {"reasoning_tokens": 12}, "prompt_tokens_details": {"cached_tokens": 0}}})
    .to_string();
    let c = run(vec![full_response(200, "application/json", &body)], &chat(false)).await.expect("ok");
    assert_eq!(c.text, "Checking.");
    assert_eq!(c.tool_calls, [tool("call_9", "get_weather", r#"{"city":"Oslo"}"#)]);
    assert_eq!((c.reasoning_tokens, c.cached_tokens), (Some(12), Some(0)));
    assert_eq!((c.ttft, c.ttfo, c.reasoning_chunks, c.chunks), (None, None, 0, 0));
}

#[tokio::test]
async fn usage_without_details_leaves_them_absent() {
    let body = json!({"choices": [{"index": 0, "message": {"content": "x"}}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "prompt_tokens_details": null}})
    .to_string();
    let c = run(vec![full_response(200, "application/json", &body)], &chat(false)).await.expect("ok");
    assert_eq!((c.reasoning_tokens, c.cached_tokens), (None, None));
    assert!(c.tool_calls.is_empty());
}

#[tokio::test]
async fn tool_calls_or_usage_details_of_the_wrong_shape_are_malformed() {
    let bad_details = json!({"choices": [], "usage": {"prompt_tokens": 1,
        "prompt_tokens_details": {"cached_tokens": -1}}});
    let cases: Vec<(String, &str)> = vec![
        (delta(json!({"tool_calls": 3})), "`delta.tool_calls` is a number, not an array"),
        (delta(json!({"tool_calls": ["call"]})), "an entry of `delta.tool_calls` is a string"),
        (
            format!("data: {bad_details}\n\n"),
            "usage.prompt_tokens_details.cached_tokens is not a token count",
        ),
    ];
    for (i, (bad, why)) in cases.into_iter().enumerate() {
        let script = vec![sse_head(), chunk(&content("a")), chunk(&bad), chunk("data: [DONE]\n\n"), end()];
        let e = expect_error(script, &chat(true)).await;
        assert_eq!((e.class, e.status), (ErrorClass::MalformedStream, Some(200)), "case {i}: {}", e.message);
        assert!(e.message.contains(why), "case {i}: {}", e.message);
    }
}

/// A server that names a new tool call in every event cannot grow the list past the cap, and a
/// tool call's arguments count against the same text cap as content.
#[test]
fn tool_calls_stop_at_their_caps() {
    let at = Instant::now();
    let mut acc = Accumulator::default();
    for i in 0..MAX_TOOL_CALLS as u32 {
        acc.on_event(&event(&tool_delta(i, Some("c"), Some("f"), None)), at).expect("under the cap");
    }
    let e = acc.on_event(&event(&tool_delta(9_999, None, None, Some("{}"))), at).expect_err("over the cap");
    assert!(e.contains("more than 128 tool calls"), "{e}");
    // An index already seen is not a new call, even at the cap.
    acc.on_event(&event(&tool_delta(7, None, None, Some("{}"))), at).expect("a known index");

    let mut acc = Accumulator::default();
    let half = "a".repeat(MAX_TEXT / 2 + 1);
    acc.on_event(&event(&content(&half)), at).expect("half the cap as content");
    let e = acc.on_event(&event(&tool_delta(0, None, None, Some(&half))), at).expect_err("over");
    assert!(e.contains("generated text is larger than"), "{e}");
}

/// Older vLLM sent its mid-stream errors (and error bodies) as the error object itself, with
/// `"object": "error"` and no `error` field: still the server's error, not an ignored event.
#[tokio::test]
async fn an_error_shaped_as_older_vllm_sends_it_is_server_error() {
    let err = json!({"object": "error", "message": "CUDA out of memory", "type": "InternalServerError",
        "param": null, "code": 500});
    let script = vec![
        sse_head(),
        chunk(&content("a")),
        chunk(&format!("data: {err}\n\n")),
        chunk("data: [DONE]\n\n"),
        end(),
    ];
    let e = expect_error(script, &chat(true)).await;
    assert_eq!((e.class, e.status), (ErrorClass::ServerError, Some(200)), "{}", e.message);
    assert!(e.message.contains("CUDA out of memory"), "{}", e.message);
    let e = expect_error(vec![full_response(200, "application/json", &err.to_string())], &chat(false)).await;
    assert_eq!((e.class, e.status), (ErrorClass::ServerError, Some(200)), "{}", e.message);
}
