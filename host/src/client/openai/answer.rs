//! The response side of a call: [`Accumulator`] reads a stream's events (or a whole JSON body)
//! and turns what it saw, with the instant each content chunk arrived, into a [`Completion`].
//!
//! A chunk is *generated* when its first choice carries content (`delta.content`, `text`),
//! reasoning (`delta.reasoning_content`, `delta.reasoning`) or a tool call (`delta.tool_calls`):
//! every such chunk times TTFT, the chunk gaps and ITL, since each carries tokens the server
//! decoded. TTFO, the time to the first *output*, skips reasoning: the reader of the answer sees
//! nothing before it. Reasoning text is never kept (`Completion::text` is the answer only).

use std::time::{Duration, Instant};

use serde_json::Value;

use super::body::json_kind;
use super::tools::ToolCalls;
use super::{Completion, MAX_BODY, TokenSource, excerpt};
use crate::client::sse::SseEvent;

/// The most generated text a streamed answer may carry, across all its events (content and tool
/// calls' ids, names and arguments). Each event is capped by the parser; this bounds a stream of
/// endless small events too.
pub(super) const MAX_TEXT: usize = MAX_BODY;
/// The most content chunks a streamed answer may carry (a timestamp of 16 bytes each is kept,
/// 16 MiB at the cap): more than any model's context holds tokens.
pub(super) const MAX_CONTENT_CHUNKS: usize = 1 << 20;

/// What the stream has told us so far.
#[derive(Default)]
pub(super) struct Accumulator {
    text: String,
    finish_reason: Option<String>,
    /// Arrival of every generated chunk (content, reasoning or tool call).
    pub(super) content_times: Vec<Instant>,
    /// Arrival of the first chunk with content or a tool call.
    first_output: Option<Instant>,
    /// Chunks that carried reasoning and no output.
    reasoning_chunks: u32,
    tool_calls: ToolCalls,
    input_tokens: Option<u32>,
    usage_output: Option<u32>,
    reasoning_tokens: Option<u32>,
    cached_tokens: Option<u32>,
    pub(super) done: bool,
    pub(super) events: u64,
    pub(super) server_error: Option<String>,
}

impl Accumulator {
    pub(super) fn on_event(&mut self, event: &SseEvent, at: Instant) -> Result<(), String> {
        self.events += 1;
        if self.done {
            return Ok(()); // Nothing after `[DONE]` is part of the answer.
        }
        let data = event.data.trim();
        if data == "[DONE]" {
            self.done = true;
            return Ok(());
        }
        let chunk: Value = serde_json::from_str(data)
            .map_err(|e| format!("event {} is not JSON ({e}): {}", self.events, excerpt(data.as_bytes())))?;
        if let Some(err) = server_error(&chunk) {
            self.server_error.get_or_insert(err);
            return Ok(());
        }
        self.read_usage(&chunk)?;
        let Some(choice) = first_choice(&chunk)? else {
            return Ok(());
        };
        let mut output = false;
        let mut reasoning = false;
        if let Some(delta) = choice.get("delta") {
            for field in ["reasoning_content", "reasoning"] {
                reasoning |= delta.get(field).and_then(Value::as_str).is_some_and(|s| !s.is_empty());
            }
            if let Some(content) = delta.get("content").and_then(Value::as_str) {
                output |= !content.is_empty();
                self.text.push_str(content);
            }
            output |= self.tool_calls.read(delta.get("tool_calls"), "delta")?;
        }
        if let Some(text) = choice.get("text").and_then(Value::as_str) {
            output |= !text.is_empty();
            self.text.push_str(text);
        }
        if output || reasoning {
            if self.content_times.len() >= MAX_CONTENT_CHUNKS {
                return Err(format!("the stream carried more than {MAX_CONTENT_CHUNKS} content chunks"));
            }
            self.content_times.push(at);
            if output {
                self.first_output.get_or_insert(at);
            } else {
                // Bounded by the chunk cap just above.
                self.reasoning_chunks += 1;
            }
        }
        self.check_size()?;
        self.read_finish(choice);
        Ok(())
    }

    pub(super) fn on_whole(&mut self, body: &Value) -> Result<(), String> {
        if let Some(err) = server_error(body) {
            self.server_error = Some(err);
            return Ok(());
        }
        self.read_usage(body)?;
        let choice = first_choice(body)?.ok_or("the response has no choices")?;
        let message = choice.get("message");
        let content = message.and_then(|m| m.get("content")).or_else(|| choice.get("text"));
        if let Some(text) = content.and_then(Value::as_str) {
            self.text.push_str(text);
        }
        if let Some(message) = message {
            self.tool_calls.read(message.get("tool_calls"), "message")?;
        }
        self.check_size()?;
        self.read_finish(choice);
        Ok(())
    }

    /// Generated text (content and tool calls) within [`MAX_TEXT`].
    fn check_size(&self) -> Result<(), String> {
        if self.text.len() + self.tool_calls.bytes() > MAX_TEXT {
            return Err(format!("the generated text is larger than {MAX_TEXT} bytes"));
        }
        Ok(())
    }

    fn read_usage(&mut self, v: &Value) -> Result<(), String> {
        let Some(usage) = v.get("usage").filter(|u| !u.is_null()) else {
            return Ok(());
        };
        // `details` is `completion_tokens_details` or `prompt_tokens_details`, or none for the
        // top level; a detail object that is null or absent holds no count.
        let count = |details: Option<&str>, field: &str| -> Result<Option<u32>, String> {
            let (object, path) = match details {
                None => (Some(usage), format!("usage.{field}")),
                Some(d) => (usage.get(d), format!("usage.{d}.{field}")),
            };
            match object.and_then(|o| o.get(field)) {
                None | Some(Value::Null) => Ok(None),
                Some(n) => n
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .map(Some)
                    .ok_or_else(|| format!("{path} is not a token count: {n}")),
            }
        };
        if let Some(n) = count(None, "prompt_tokens")? {
            self.input_tokens = Some(n);
        }
        if let Some(n) = count(None, "completion_tokens")? {
            self.usage_output = Some(n);
        }
        if let Some(n) = count(Some("completion_tokens_details"), "reasoning_tokens")? {
            self.reasoning_tokens = Some(n);
        }
        if let Some(n) = count(Some("prompt_tokens_details"), "cached_tokens")? {
            self.cached_tokens = Some(n);
        }
        Ok(())
    }

    fn read_finish(&mut self, choice: &Value) {
        if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
            self.finish_reason = Some(reason.to_owned());
        }
    }

    pub(super) fn finish(self, status: u16, sent_at: Instant, last_byte: Instant) -> Completion {
        let since = |t: Instant| t.saturating_duration_since(sent_at);
        let e2e = since(last_byte);
        let counted = u32::try_from(self.content_times.len()).unwrap_or(u32::MAX);
        let (output_tokens, source) = match self.usage_output {
            Some(n) => (n, TokenSource::Usage),
            None => (counted, TokenSource::Counted),
        };
        let ttft = self.content_times.first().map(|&t| since(t));
        let ttfo = self.first_output.map(since);
        let ttst = self.content_times.get(1).map(|&t| since(t));
        let tpot = match ttft {
            Some(ttft) if output_tokens >= 2 => Some(e2e.saturating_sub(ttft) / (output_tokens - 1)),
            _ => None,
        };
        let chunk_gaps: Vec<Duration> =
            self.content_times.windows(2).map(|w| w[1].saturating_duration_since(w[0])).collect();
        let itl = per_token_gaps(&chunk_gaps, counted, self.usage_output);
        Completion {
            status,
            text: self.text,
            finish_reason: self.finish_reason,
            ttft,
            ttfo,
            ttst,
            e2e,
            tpot,
            chunk_gaps,
            itl,
            chunks: counted,
            input_tokens: self.input_tokens,
            output_tokens,
            output_tokens_source: source,
            usage_output_tokens: self.usage_output,
            counted_output_tokens: counted,
            reasoning_chunks: self.reasoning_chunks,
            reasoning_tokens: self.reasoning_tokens,
            cached_tokens: self.cached_tokens,
            tool_calls: self.tool_calls.into_vec(),
        }
    }
}

/// Per-token gaps: when the server's count `n` exceeds the `c ≥ 2` content chunks, each chunk
/// gap spans `(n−1)/(c−1)` tokens on average, so it is divided by that ratio. Otherwise (no
/// usage, equal counts, or fewer tokens than chunks) the chunk gaps are the best estimate.
pub(super) fn per_token_gaps(chunk_gaps: &[Duration], counted: u32, usage: Option<u32>) -> Vec<Duration> {
    match usage {
        Some(n) if counted >= 2 && n > counted => {
            let scale = f64::from(counted - 1) / f64::from(n - 1);
            chunk_gaps.iter().map(|g| g.mul_f64(scale)).collect()
        }
        _ => chunk_gaps.to_vec(),
    }
}

/// The error a 2xx body or event reports instead of an answer, quoted: an `error` object (OpenAI,
/// current vLLM and SGLang), or an object that is itself the error, `"object": "error"` (older
/// vLLM, whose stream sent its error events that way).
fn server_error(v: &Value) -> Option<String> {
    let err = match v.get("error").filter(|e| !e.is_null()) {
        Some(err) => err,
        None if v.get("object").and_then(Value::as_str) == Some("error") => v,
        None => return None,
    };
    Some(excerpt(err.to_string().as_bytes()))
}

/// The choice with index 0 (or the first listed); `None` when `choices` is absent or empty,
/// as in the final usage-only chunk.
fn first_choice(v: &Value) -> Result<Option<&Value>, String> {
    match v.get("choices") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(choices)) => Ok(choices
            .iter()
            .find(|c| c.get("index").and_then(Value::as_u64) == Some(0))
            .or_else(|| choices.first())),
        Some(other) => Err(format!("`choices` is {}, not an array", json_kind(other))),
    }
}
