//! Tests of the answer shapes the mock can send (the `shape` module) over real HTTP on 127.0.0.1:
//! reasoning first, tool calls, several tokens per chunk, cached tokens, and the error event.

use std::time::Duration;

use hyper::{Method, StatusCode};
use serde_json::{Value, json};

use super::fault::{Fault, FaultSpec};
use super::shape::word;
use super::tests::{Event, json, ms, send, server};
use super::{MockConfig, MockServer};

const CHAT: &str = "/v1/chat/completions";

/// A chat request for `max_tokens` with `extra` fields merged in, streamed with usage or not.
fn chat(max_tokens: u32, stream: bool, extra: Value) -> String {
    let mut body = json!({"model": "m", "messages": [{"role": "user", "content": "one two three"}],
        "max_tokens": max_tokens, "stream": stream, "stream_options": {"include_usage": true}});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    body.to_string()
}

/// Every event of a streamed answer.
async fn stream(srv: &MockServer, body: &str) -> Vec<Event> {
    let mut p = send(srv.addr(), Method::POST, CHAT, Some(body)).await;
    assert_eq!(p.status, StatusCode::OK);
    p.events(usize::MAX).await
}

/// A whole answer.
async fn whole(srv: &MockServer, body: &str) -> Value {
    let p = send(srv.addr(), Method::POST, CHAT, Some(body)).await;
    assert_eq!(p.status, StatusCode::OK);
    json(&p.text().await)
}

fn delta(e: &Event) -> Value {
    json(&e.data)["choices"][0]["delta"].clone()
}

fn words(from: u64, to: u64) -> String {
    (from..to).map(word).collect()
}

/// Event `k` of a schedule `ttft + k·itl` arrived on time (the upper slack absorbs a loaded machine).
fn on_time(e: &Event, due: Duration) {
    assert!(e.at >= due && e.at < due + ms(8), "due at {due:?}, came at {:?}", e.at);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reasoning_comes_first_on_the_same_schedule_and_is_reported_in_usage() {
    let srv = server(MockConfig { ttft: ms(30), itl: ms(10), reasoning: 3, ..Default::default() }).await;
    let events = stream(&srv, &chat(6, true, json!({}))).await;
    assert_eq!(events.len(), 8, "6 tokens + usage + [DONE]");
    for (k, e) in events[..6].iter().enumerate() {
        let d = delta(e);
        let (field, other) =
            if k < 3 { ("reasoning_content", "content") } else { ("content", "reasoning_content") };
        assert_eq!(d[field], word(k as u64), "token {k}: {d}");
        assert!(d.get(other).is_none(), "token {k}: {d}");
        on_time(e, ms(30 + 10 * k as u64));
    }
    assert_eq!(delta(&events[0])["role"], "assistant");
    let usage = &json(&events[6].data)["usage"];
    assert_eq!(usage["completion_tokens"], 6, "reasoning counts toward the output, as on real servers");
    assert_eq!(usage["completion_tokens_details"]["reasoning_tokens"], 3);
    assert!(usage.get("prompt_tokens_details").is_none(), "no cached tokens unless asked: {usage}");

    let v = whole(&srv, &chat(6, false, json!({}))).await;
    let message = &v["choices"][0]["message"];
    assert_eq!(
        (message["reasoning_content"].as_str(), message["content"].as_str()),
        (Some("the quick brown "), Some("fox jumps over "))
    );
    assert_eq!(v["usage"]["completion_tokens_details"]["reasoning_tokens"], 3);
    // Completions have no reasoning: plain text, and no details.
    let p = send(srv.addr(), Method::POST, "/v1/completions", Some(r#"{"prompt":"a","max_tokens":4}"#)).await;
    let v = json(&p.text().await);
    assert_eq!(v["choices"][0]["text"], words(0, 4));
    assert!(v["usage"].get("completion_tokens_details").is_none(), "{v}");
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_with_tools_gets_one_streamed_tool_call() {
    let srv = server(MockConfig { ttft: ms(5), itl: ms(2), ..Default::default() }).await;
    let tools = json!({"tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {}}},
        {"type": "function", "function": {"name": "get_time"}}]});
    let events = stream(&srv, &chat(4, true, tools.clone())).await;
    assert_eq!(events.len(), 6, "4 tokens + usage + [DONE]");
    let first = &delta(&events[0])["tool_calls"][0];
    assert_eq!((first["index"].as_u64(), first["id"].as_str()), (Some(0), Some("call_mock_0")));
    assert_eq!(first["function"]["name"], "get_weather");
    let mut arguments = String::new();
    for (k, e) in events[..4].iter().enumerate() {
        let d = delta(e);
        assert!(d.get("content").is_none(), "{d}");
        let call = &d["tool_calls"][0];
        assert_eq!(call["index"], 0);
        if k > 0 {
            assert!(call.get("id").is_none() && call["function"].get("name").is_none(), "{call}");
        }
        arguments.push_str(call["function"]["arguments"].as_str().expect("arguments"));
        let finish = &json(&e.data)["choices"][0]["finish_reason"];
        if k == 3 { assert_eq!(finish, "tool_calls") } else { assert!(finish.is_null(), "{finish}") }
    }
    assert_eq!(serde_json::from_str::<Value>(&arguments).ok(), Some(json!({"input": "quick brown fox "})));

    let v = whole(&srv, &chat(4, false, tools.clone())).await;
    let choice = &v["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    assert!(choice["message"]["content"].is_null());
    let call = &choice["message"]["tool_calls"][0];
    assert_eq!(
        (call["id"].as_str(), call["function"]["name"].as_str()),
        (Some("call_mock_1"), Some("get_weather"))
    );
    let arguments = call["function"]["arguments"].as_str().expect("arguments as JSON text");
    assert_eq!(serde_json::from_str::<Value>(arguments).ok(), Some(json!({"input": "quick brown fox "})));

    // `tool_choice` picks the function; "none" and a tool's result get words.
    let mut named = tools.clone();
    named["tool_choice"] = json!({"type": "function", "function": {"name": "get_time"}});
    let v = whole(&srv, &chat(2, false, named)).await;
    assert_eq!(v["choices"][0]["message"]["tool_calls"][0]["function"]["name"], "get_time");
    let mut none = tools.clone();
    none["tool_choice"] = json!("none");
    let v = whole(&srv, &chat(2, false, none)).await;
    assert_eq!(
        (v["choices"][0]["message"]["content"].as_str(), v["choices"][0]["finish_reason"].as_str()),
        (Some("the quick "), Some("length"))
    );
    let mut answered = tools;
    answered["messages"] = json!([{"role": "user", "content": "weather?"},
        {"role": "assistant", "tool_calls": [{"id": "call_mock_0", "type": "function",
            "function": {"name": "get_weather", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_mock_0", "content": "sunny"}]);
    let v = whole(&srv, &chat(2, false, answered)).await;
    assert_eq!(v["choices"][0]["message"]["content"], "the quick ");
    assert!(v["choices"][0]["message"].get("tool_calls").is_none());
    srv.shutdown().await;
}

/// With `tool_steps = 3` an agent loop gets a tool call for three rounds of results, then words;
/// a round is a run of `tool` messages (a step may answer several calls), counted from the last
/// user message, so the next task's turn starts again from zero.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tool_steps_sets_how_many_rounds_get_a_tool_call() {
    let srv = server(MockConfig { ttft: ms(2), itl: ms(1), tool_steps: 3, ..Default::default() }).await;
    let call = json!({"role": "assistant", "tool_calls": [{"id": "c", "type": "function",
        "function": {"name": "search", "arguments": "{}"}}]});
    let result = json!({"role": "tool", "tool_call_id": "c", "content": "found"});
    let user = json!({"role": "user", "content": "find it"});
    let answer = |messages: Vec<Value>| {
        let body = chat(
            2,
            false,
            json!({"tools": [{"type": "function", "function": {"name": "search"}}],
            "messages": messages}),
        );
        let srv = &srv;
        async move {
            let v = whole(srv, &body).await;
            v["choices"][0]["finish_reason"].as_str().map(str::to_owned)
        }
    };
    let mut messages = vec![user.clone()];
    for round in 0..3 {
        assert_eq!(answer(messages.clone()).await.as_deref(), Some("tool_calls"), "round {round}");
        messages.push(call.clone());
        messages.push(result.clone());
    }
    assert_eq!(answer(messages.clone()).await.as_deref(), Some("length"), "after three rounds: words");
    // Two results in a row are one round: the step answered two calls.
    let two = vec![user.clone(), call.clone(), result.clone(), result.clone()];
    assert_eq!(answer(two).await.as_deref(), Some("tool_calls"));
    // A new user turn starts its own rounds.
    messages.extend([json!({"role": "assistant", "content": "done"}), user]);
    assert_eq!(answer(messages).await.as_deref(), Some("tool_calls"));
    srv.shutdown().await;

    let never = server(MockConfig { tool_steps: 0, ..Default::default() }).await;
    let v =
        whole(&never, &chat(2, false, json!({"tools": [{"type": "function", "function": {"name": "f"}}]})))
            .await;
    assert_eq!(v["choices"][0]["finish_reason"], "length", "tool_steps = 0: never a call");
    never.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reasoning_then_a_tool_call() {
    let srv = server(MockConfig { ttft: ms(5), itl: ms(2), reasoning: 2, ..Default::default() }).await;
    let tools = json!({"tools": [{"type": "function", "function": {"name": "f"}}]});
    let events = stream(&srv, &chat(4, true, tools)).await;
    assert_eq!(delta(&events[0])["reasoning_content"], "the ");
    assert_eq!(delta(&events[1])["reasoning_content"], "quick ");
    let call = &delta(&events[2])["tool_calls"][0];
    assert_eq!(
        (call["function"]["name"].as_str(), call["function"]["arguments"].as_str()),
        (Some("f"), Some(r#"{"input":""#))
    );
    assert_eq!(delta(&events[3])["tool_calls"][0]["function"]["arguments"], r#"fox "}"#);
    srv.shutdown().await;
}

/// Chunks of 4 after the first token: tokens [0], [1–4], [5–8] leave when their last is due.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_tokens_per_chunk_leave_when_their_last_token_is_due() {
    let srv =
        server(MockConfig { ttft: ms(30), itl: ms(10), tokens_per_chunk: 4, ..Default::default() }).await;
    let events = stream(&srv, &chat(9, true, json!({}))).await;
    assert_eq!(events.len(), 5, "3 chunks + usage + [DONE]");
    for (e, (from, to)) in events.iter().zip([(0, 1), (1, 5), (5, 9)]) {
        assert_eq!(delta(e)["content"], words(from, to));
        on_time(e, ms(30 + 10 * (to - 1)));
    }
    assert_eq!(json(&events[2].data)["choices"][0]["finish_reason"], "length");
    assert_eq!(json(&events[3].data)["usage"]["completion_tokens"], 9);
    // A chunk never mixes reasoning and answer: the third reasoning token ends one.
    let srv2 = server(MockConfig {
        ttft: ms(1),
        itl: ms(1),
        tokens_per_chunk: 4,
        reasoning: 3,
        ..Default::default()
    })
    .await;
    let events = stream(&srv2, &chat(9, true, json!({}))).await;
    let shapes: Vec<(String, String)> = events[..4]
        .iter()
        .map(|e| {
            let d = delta(e);
            let field = if d.get("reasoning_content").is_some() { "reasoning_content" } else { "content" };
            (field.to_string(), d[field].as_str().unwrap_or_default().to_string())
        })
        .collect();
    let want = [
        ("reasoning_content", words(0, 1)),
        ("reasoning_content", words(1, 3)),
        ("content", words(3, 5)),
        ("content", words(5, 9)),
    ];
    assert_eq!(shapes, want.map(|(f, w)| (f.to_string(), w)));
    srv.shutdown().await;
    srv2.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_tokens_are_reported_up_to_the_prompt_length() {
    let srv =
        server(MockConfig { ttft: ms(1), itl: ms(1), cached_tokens: Some(5), ..Default::default() }).await;
    let events = stream(&srv, &chat(2, true, json!({}))).await;
    let usage = &json(&events[2].data)["usage"];
    assert_eq!(
        (usage["prompt_tokens"].as_u64(), usage["prompt_tokens_details"]["cached_tokens"].as_u64()),
        (Some(3), Some(3))
    );
    let long = json!({"messages": [{"role": "user", "content": "a b c d e f g h"}]});
    let v = whole(&srv, &chat(2, false, long)).await;
    assert_eq!(
        (v["usage"]["prompt_tokens"].as_u64(), v["usage"]["prompt_tokens_details"]["cached_tokens"].as_u64()),
        (Some(8), Some(5))
    );
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_error_event_fault_ends_a_stream_half_way_and_replaces_a_whole_body() {
    let faults = vec![FaultSpec::new(Fault::ErrorEvent, 1.0).expect("rate")];
    let srv = server(MockConfig { ttft: ms(1), itl: ms(1), faults, ..Default::default() }).await;
    let events = stream(&srv, &chat(8, true, json!({}))).await;
    assert_eq!(events.len(), 6, "4 tokens, the error, [DONE]");
    assert_eq!(delta(&events[3])["content"], word(3));
    let err = json(&events[4].data);
    assert_eq!(
        (err["error"]["code"].as_u64(), err["error"]["type"].as_str()),
        (Some(500), Some("InternalServerError"))
    );
    assert_eq!(events[5].data, "[DONE]");

    let v = whole(&srv, &chat(8, false, json!({}))).await;
    assert!(v["error"]["message"].as_str().is_some_and(|m| m.contains("injected fault")), "{v}");
    assert!(v.get("choices").is_none());
    srv.shutdown().await;
}
