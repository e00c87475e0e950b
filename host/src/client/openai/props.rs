//! Property tests of the OpenAI chunk handling ([`super::Accumulator`]), fed by the SSE parser as
//! [`super::call`] feeds it, without a network: arbitrary events never panic, a well-formed chat
//! stream split anywhere yields its text, chunk count, token counts and timings, and one that
//! mixes reasoning, content and tool-call pieces yields its answer, its tool calls and TTFO.
//! Bounded so the file runs in about a second.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use serde_json::{Value, json};

use super::super::sse::SseParser;
use super::{Accumulator, Completion, TokenSource, ToolCall};

/// What `call` would make of a 200 response whose body arrived as `chunks`, the i-th chunk at
/// `start + i ms`: the completion, or the message of the malformed-stream error it would raise.
fn accumulate(chunks: &[&[u8]], start: Instant) -> Result<Completion, String> {
    let mut parser = SseParser::new();
    let mut acc = Accumulator::default();
    let mut last = start;
    for (i, chunk) in chunks.iter().enumerate() {
        last = start + Duration::from_millis(i as u64 + 1);
        for event in parser.push(chunk).map_err(|e| e.to_string())? {
            acc.on_event(&event, last)?;
        }
    }
    if let Some(event) = parser.finish().map_err(|e| e.to_string())? {
        acc.on_event(&event, last)?;
    }
    if !acc.done && acc.server_error.is_none() {
        return Err("no [DONE]".into());
    }
    Ok(acc.finish(200, start, last))
}

/// Arbitrary JSON, shallow, with the numbers that break token counts (negative, fractional, huge).
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("JSON has no NaN", |f| f.is_finite()).prop_map(Value::from),
        Just(json!(u64::MAX)),
        ".{0,6}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("choices".to_owned()),
                    Just("delta".to_owned()),
                    Just("content".to_owned()),
                    Just("text".to_owned()),
                    Just("usage".to_owned()),
                    Just("completion_tokens".to_owned()),
                    Just("prompt_tokens".to_owned()),
                    Just("finish_reason".to_owned()),
                    Just("index".to_owned()),
                    Just("error".to_owned()),
                    Just("reasoning_content".to_owned()),
                    Just("tool_calls".to_owned()),
                    Just("function".to_owned()),
                    Just("arguments".to_owned()),
                    Just("usage".to_owned()),
                    Just("prompt_tokens_details".to_owned()),
                    Just("cached_tokens".to_owned()),
                    "[a-z]{1,4}",
                ],
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// One piece of a chat answer: reasoning, content or a piece of tool call `index`'s arguments.
#[derive(Debug, Clone)]
enum Piece {
    Reasoning(String),
    Content(String),
    Tool(u8, String),
}

fn piece() -> impl Strategy<Value = Piece> {
    prop_oneof![
        "[^\r\n]{1,6}".prop_map(Piece::Reasoning),
        "[^\r\n]{1,6}".prop_map(Piece::Content),
        (0u8..3, "[^\r\n]{0,6}").prop_map(|(i, a)| Piece::Tool(i, a)),
    ]
}

/// `bytes` cut at `cuts` (taken modulo its length, sorted).
fn split<'a>(bytes: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    let mut chunks = Vec::new();
    let mut from = 0;
    for cut in cuts {
        chunks.push(&bytes[from..cut]);
        from = cut;
    }
    chunks.push(&bytes[from..]);
    chunks
}

/// One event's data: arbitrary JSON, `[DONE]`, or arbitrary text.
fn event_data() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => json_value().prop_map(|v| v.to_string()),
        1 => Just("[DONE]".to_owned()),
        2 => "[^\r\n]{0,16}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_events_never_panic(
        events in prop::collection::vec(event_data(), 0..8),
        cut in any::<usize>(),
    ) {
        let body: String = events.iter().map(|d| format!("data: {d}\n\n")).collect();
        let bytes = body.as_bytes();
        let cut = cut % (bytes.len() + 1);
        // Either outcome is fine; what matters is that there is one, and that a completion
        // it returns is internally consistent.
        if let Ok(c) = accumulate(&[&bytes[..cut], &bytes[cut..]], Instant::now()) {
            prop_assert_eq!(c.itl.len(), c.chunk_gaps.len());
            prop_assert_eq!(c.chunks as usize, c.chunk_gaps.len() + usize::from(c.chunks > 0));
            prop_assert!(c.ttft.is_none_or(|t| t <= c.e2e));
        }
    }

    #[test]
    fn a_well_formed_chat_stream_split_anywhere_gives_its_answer(
        pieces in prop::collection::vec("[^\r\n]{0,6}", 0..10),
        usage in prop::option::of((0u32..5000, 0u32..5000)),
        cuts in prop::collection::vec(any::<usize>(), 0..6),
    ) {
        let mut body = String::new();
        for p in &pieces {
            let chunk = json!({"choices": [{"index": 0, "delta": {"content": p}, "finish_reason": null}]});
            body.push_str(&format!("data: {chunk}\n\n"));
        }
        body.push_str(&format!("data: {}\n\n", json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})));
        if let Some((prompt, completion)) = usage {
            let chunk = json!({"choices": [], "usage": {"prompt_tokens": prompt, "completion_tokens": completion}});
            body.push_str(&format!("data: {chunk}\n\n"));
        }
        body.push_str("data: [DONE]\n\n");
        let bytes = body.as_bytes();
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
        cuts.sort_unstable();
        let mut chunks = Vec::new();
        let mut from = 0;
        for cut in cuts {
            chunks.push(&bytes[from..cut]);
            from = cut;
        }
        chunks.push(&bytes[from..]);

        let c = accumulate(&chunks, Instant::now()).map_err(TestCaseError::fail)?;
        let content: Vec<&String> = pieces.iter().filter(|p| !p.is_empty()).collect();
        prop_assert_eq!(&c.text, &pieces.concat());
        prop_assert_eq!(c.chunks as usize, content.len());
        prop_assert_eq!(c.finish_reason.as_deref(), Some("stop"));
        prop_assert_eq!(c.ttft.is_some(), !content.is_empty());
        prop_assert!(c.ttft.is_none_or(|t| t <= c.e2e));
        prop_assert_eq!(c.chunk_gaps.len(), content.len().saturating_sub(1));
        match usage {
            Some((prompt, completion)) => {
                prop_assert_eq!(c.input_tokens, Some(prompt));
                prop_assert_eq!(c.output_tokens, completion);
                prop_assert_eq!(c.output_tokens_source, TokenSource::Usage);
            }
            None => {
                prop_assert_eq!(c.output_tokens as usize, content.len());
                prop_assert_eq!(c.output_tokens_source, TokenSource::Counted);
            }
        }
    }

    #[test]
    fn reasoning_content_and_tool_pieces_give_the_answer_its_tool_calls_and_ttfo(
        pieces in prop::collection::vec(piece(), 0..12),
        cuts in prop::collection::vec(any::<usize>(), 0..6),
    ) {
        let mut body = String::new();
        for p in &pieces {
            let delta = match p {
                Piece::Reasoning(r) => json!({"reasoning_content": r}),
                Piece::Content(c) => json!({"content": c}),
                Piece::Tool(i, a) => json!({"tool_calls": [{"index": i, "id": format!("call_{i}"),
                    "function": {"name": format!("f{i}"), "arguments": a}}]}),
            };
            let chunk = json!({"choices": [{"index": 0, "delta": delta, "finish_reason": null}]});
            body.push_str(&format!("data: {chunk}\n\n"));
        }
        body.push_str("data: [DONE]\n\n");
        // Every event in a chunk of its own, one millisecond apart, so each has its own instant.
        let start = Instant::now();
        let events: Vec<String> = body.split_inclusive("\n\n").map(str::to_owned).collect();
        let per_event: Vec<&[u8]> = events.iter().map(|e| e.as_bytes()).collect();
        let c = accumulate(&per_event, start).map_err(TestCaseError::fail)?;
        // The same stream split anywhere gives the same answer.
        let again = accumulate(&split(body.as_bytes(), &cuts), start).map_err(TestCaseError::fail)?;
        prop_assert_eq!(&again.text, &c.text);
        prop_assert_eq!(&again.tool_calls, &c.tool_calls);
        prop_assert_eq!(again.reasoning_chunks, c.reasoning_chunks);

        let content: String = pieces.iter().filter_map(|p| match p {
            Piece::Content(c) => Some(c.as_str()),
            _ => None,
        }).collect();
        prop_assert_eq!(&c.text, &content);
        let reasoning = pieces.iter().filter(|p| matches!(p, Piece::Reasoning(_))).count();
        prop_assert_eq!(c.reasoning_chunks as usize, reasoning);
        prop_assert_eq!(c.chunks as usize, pieces.len());
        let mut calls: Vec<(u8, ToolCall)> = Vec::new();
        for p in &pieces {
            if let Piece::Tool(i, a) = p {
                match calls.iter_mut().find(|(j, _)| j == i) {
                    Some((_, call)) => call.arguments.push_str(a),
                    None => calls.push((*i, ToolCall { id: format!("call_{i}"), name: format!("f{i}"), arguments: a.clone() })),
                }
            }
        }
        let calls: Vec<ToolCall> = calls.into_iter().map(|(_, c)| c).collect();
        prop_assert_eq!(&c.tool_calls, &calls);
        // Event k arrived k + 1 ms after the start: TTFT at the first piece, TTFO at the first
        // that is not reasoning.
        let ms = |k: usize| Duration::from_millis(k as u64 + 1);
        prop_assert_eq!(c.ttft, (!pieces.is_empty()).then(|| ms(0)));
        let first_output = pieces.iter().position(|p| !matches!(p, Piece::Reasoning(_)));
        prop_assert_eq!(c.ttfo, first_output.map(ms));
    }
}
