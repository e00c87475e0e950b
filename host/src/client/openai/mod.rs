//! One OpenAI-compatible completion call (`/v1/chat/completions` or `/v1/completions`),
//! streamed or not, measured on the host's monotonic clock at the moment bytes arrive.
//!
//! Every duration counts from [`super::http::Streaming::sent_at`], the instant just before the
//! request is handed to hyper. Definitions of each metric: docs/METRICS.md.

use std::fmt;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::{Map, Value, json};
use thiserror::Error;

use super::http::{HttpClient, HttpError, Request, Streaming, TargetHeaders};
use super::sse::{SseEvent, SseParser};
use crate::error_class::ErrorClass;

/// How much of an error body is quoted in a message.
const BODY_EXCERPT: usize = 200;
/// How much of a non-2xx body is read at all.
const ERROR_BODY_LIMIT: usize = 4096;
/// The largest non-streaming body accepted, matching the SSE parser's per-event cap.
const MAX_BODY: usize = super::sse::DEFAULT_MAX_BUFFERED;
/// The most generated text a streamed answer may carry, across all its events. Each event is
/// capped by the parser; this bounds a stream of endless small events too.
const MAX_TEXT: usize = MAX_BODY;
/// The most content chunks a streamed answer may carry (a timestamp of 16 bytes each is kept,
/// 16 MiB at the cap): more than any model's context holds tokens.
const MAX_CONTENT_CHUNKS: usize = 1 << 20;

/// How long the end of a stream's body may take after `data: [DONE]` before the connection is
/// given up. Well-behaved servers end the body at once (often in a separate write): reading that
/// end keeps the connection for the next request (no new TCP or TLS handshake per request).
const BODY_END_AFTER_DONE: Duration = Duration::from_millis(20);

/// Which endpoint to call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// `/v1/chat/completions` with `messages`.
    Chat,
    /// `/v1/completions` with `prompt`.
    Completions,
}

/// What to send. The host adds nothing the guest did not ask for, except `stream_options`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LlmRequest {
    /// Which endpoint.
    pub api: Api,
    /// The model name; `None` leaves the field out.
    pub model: Option<String>,
    /// `(role, content)` pairs (chat).
    pub messages: Vec<(String, String)>,
    /// The prompt (completions).
    pub prompt: String,
    /// `max_tokens`, when set.
    pub max_tokens: Option<u32>,
    /// Ask for server-sent events (needed for TTFT and ITL).
    pub stream: bool,
    /// A JSON object whose fields override the built body.
    pub extra_body: Option<String>,
    /// Per-call timeout; `None` uses the client's default.
    pub timeout: Option<Duration>,
}

/// Where `output_tokens` came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    /// The server's `usage.completion_tokens`.
    Usage,
    /// Counted by the host: one per content chunk.
    Counted,
}

/// A finished call and its measurements (all from the instant the request was handed to hyper).
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    /// The HTTP status (2xx).
    pub status: u16,
    /// The generated content (`delta.content` / `message.content` / `text`), concatenated.
    pub text: String,
    /// The `finish_reason` of the first choice, when the server sent one.
    pub finish_reason: Option<String>,
    /// Time to the first content chunk (streaming only).
    pub ttft: Option<Duration>,
    /// Time to the second content chunk (streaming only).
    pub ttst: Option<Duration>,
    /// Time to the last byte of the response read: for a stream, the chunk that carried
    /// `data: [DONE]`, where reading stops.
    pub e2e: Duration,
    /// `(e2e − ttft) / (output_tokens − 1)`, streaming with at least two tokens only.
    pub tpot: Option<Duration>,
    /// Gaps between consecutive content chunks.
    pub chunk_gaps: Vec<Duration>,
    /// Per-token inter-token latency estimates: the chunk gaps, each scaled down by the
    /// tokens-per-gap ratio when chunks carried several tokens.
    pub itl: Vec<Duration>,
    /// Content chunks received.
    pub chunks: u32,
    /// `usage.prompt_tokens`, when sent.
    pub input_tokens: Option<u32>,
    /// The usage count when sent, else the counted one.
    pub output_tokens: u32,
    /// Where `output_tokens` came from.
    pub output_tokens_source: TokenSource,
    /// `usage.completion_tokens`, when sent.
    pub usage_output_tokens: Option<u32>,
    /// Content chunks (0 when not streaming).
    pub counted_output_tokens: u32,
}

/// A failed call.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{class}: {message}")]
pub struct LlmError {
    /// What kind of failure.
    pub class: ErrorClass,
    /// The HTTP status, when response headers were received.
    pub status: Option<u16>,
    /// One line of context.
    pub message: String,
}

impl LlmError {
    fn new(class: ErrorClass, status: Option<u16>, message: impl Into<String>) -> Self {
        LlmError { class, status, message: message.into() }
    }

    fn from_http(e: HttpError, status: Option<u16>) -> Self {
        LlmError { class: e.class, status, message: e.message }
    }
}

/// The endpoint URL for `api` under `base_url` (see [`api_url`]).
pub fn endpoint_url(base_url: &str, api: Api) -> String {
    let path = match api {
        Api::Chat => "chat/completions",
        Api::Completions => "completions",
    };
    api_url(base_url, path)
}

/// The URL of `path` (relative to the API's `/v1`, e.g. `models`) under `base_url`. A base
/// whose path ends in `/v1` is the API's root; any other base, prefix or not, gets `/v1`
/// appended to its path. Trailing slashes are ignored: `http://h/openai/v1/` and
/// `http://h/openai` both give `http://h/openai/v1/{path}`.
pub fn api_url(base_url: &str, path: &str) -> String {
    let base = base_url.trim_end_matches('/');
    let root = base.strip_suffix("/v1").unwrap_or(base);
    format!("{root}/v1/{}", path.trim_start_matches('/'))
}

/// The JSON request body: the built fields, then `extra_body`'s fields over them.
pub fn request_body(req: &LlmRequest) -> Result<Value, LlmError> {
    let mut body = Map::new();
    if let Some(model) = &req.model {
        body.insert("model".into(), json!(model));
    }
    match req.api {
        Api::Chat => {
            let messages: Vec<Value> = req
                .messages
                .iter()
                .map(|(role, content)| json!({"role": role, "content": content}))
                .collect();
            body.insert("messages".into(), Value::Array(messages));
        }
        Api::Completions => {
            body.insert("prompt".into(), json!(req.prompt));
        }
    }
    if let Some(max) = req.max_tokens {
        body.insert("max_tokens".into(), json!(max));
    }
    body.insert("stream".into(), json!(req.stream));
    if req.stream {
        // Without this, most servers send no token counts when streaming.
        body.insert("stream_options".into(), json!({"include_usage": true}));
    }
    if let Some(extra) = &req.extra_body {
        let invalid =
            |why: String| LlmError::new(ErrorClass::InvalidRequest, None, format!("extra_body {why}"));
        match serde_json::from_str::<Value>(extra) {
            Ok(Value::Object(fields)) => body.extend(fields),
            Ok(other) => {
                return Err(invalid(format!("must be a JSON object, not {}", json_kind(&other))));
            }
            Err(e) => return Err(invalid(format!("is not valid JSON: {e}"))),
        }
    }
    Ok(Value::Object(body))
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Makes one call to `base_url` with the run's `headers` (the API key, `--header`) and measures it.
pub async fn call(
    client: &HttpClient,
    base_url: &str,
    headers: &TargetHeaders,
    req: &LlmRequest,
) -> Result<Completion, LlmError> {
    let body = request_body(req)?;
    let accept = if req.stream { "text/event-stream" } else { "application/json" };
    let own = [("content-type".into(), "application/json".into()), ("accept".into(), accept.into())];
    let http_req = Request {
        method: "POST".into(),
        url: endpoint_url(base_url, req.api),
        headers: headers.merged(&own).into_owned(),
        body: Bytes::from(body.to_string()),
        timeout: req.timeout,
    };
    let mut resp = client.start(http_req).await.map_err(|e| LlmError::from_http(e, None))?;
    let status = Some(resp.status);
    if !(200..300).contains(&resp.status) {
        let body = resp.read_to_end(ERROR_BODY_LIMIT).await.map_err(|e| LlmError::from_http(e, status))?;
        return Err(LlmError::new(
            ErrorClass::HttpStatus,
            status,
            format!("HTTP {}: {}", resp.status, excerpt(&body)),
        ));
    }
    let mut acc = Accumulator::default();
    let mut last_byte = resp.sent_at + resp.ttfb;
    if req.stream {
        // Strict: an OpenAI-compatible stream has only `data:` lines (and comments); a payload
        // without its prefix would otherwise be dropped in silence.
        let mut parser = SseParser::new().strict();
        while let Some((bytes, at)) = resp.next_chunk().await.map_err(|e| LlmError::from_http(e, status))? {
            last_byte = at;
            let events = parser.push(&bytes).map_err(|e| malformed(status, e))?;
            for event in events {
                acc.on_event(&event, at).map_err(|m| malformed(status, m))?;
            }
            if acc.done {
                // The answer ends at `[DONE]`: nothing after it is part of it, and some servers keep
                // the response open after it. See `finish_body` for what becomes of the rest.
                finish_body(&mut resp).await;
                break;
            }
        }
        // A final event without its blank line is accepted: some servers end with `data: [DONE]\n`.
        if !acc.done
            && let Some(event) = parser.finish().map_err(|e| malformed(status, e))?
        {
            acc.on_event(&event, last_byte).map_err(|m| malformed(status, m))?;
        }
        if acc.events == 0 {
            return Err(malformed(status, "the stream ended without a single `data:` event"));
        }
        if !acc.done && acc.server_error.is_none() {
            return Err(malformed(status, "the stream ended without `data: [DONE]`"));
        }
    } else {
        let mut body = Vec::new();
        while let Some((bytes, at)) = resp.next_chunk().await.map_err(|e| LlmError::from_http(e, status))? {
            last_byte = at;
            if body.len() + bytes.len() > MAX_BODY {
                return Err(malformed(status, format!("body larger than {MAX_BODY} bytes")));
            }
            body.extend_from_slice(&bytes);
        }
        let value: Value =
            serde_json::from_slice(&body).map_err(|e| malformed(status, format!("body is not JSON: {e}")))?;
        acc.on_whole(&value).map_err(|m| malformed(status, m))?;
    }
    if let Some(err) = acc.server_error.take() {
        return Err(LlmError::new(ErrorClass::Other, status, format!("the server sent an error: {err}")));
    }
    Ok(acc.finish(resp.status, resp.sent_at, last_byte))
}

fn malformed(status: Option<u16>, why: impl fmt::Display) -> LlmError {
    LlmError::new(ErrorClass::MalformedStream, status, why.to_string())
}

/// The first bytes of a body as one line of text.
fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut end = text.len().min(BODY_EXCERPT);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = text[..end].replace(['\n', '\r'], " ");
    if end < text.len() {
        out.push('…');
    }
    out
}

/// Reads what is left of a body after `[DONE]`, for at most [`BODY_END_AFTER_DONE`], without
/// measuring it. When the body ends in time the connection goes back to the pool; when it does
/// not (a server holding the response open) the rest is dropped with the response, and hyper then
/// closes the connection, so no later request is written on one whose response was not read to
/// its end.
async fn finish_body(resp: &mut Streaming) {
    let _ = tokio::time::timeout(BODY_END_AFTER_DONE, async {
        while let Ok(Some(_)) = resp.next_chunk().await {}
    })
    .await;
}

/// What the stream has told us so far.
#[derive(Default)]
struct Accumulator {
    text: String,
    finish_reason: Option<String>,
    content_times: Vec<Instant>,
    input_tokens: Option<u32>,
    usage_output: Option<u32>,
    done: bool,
    events: u64,
    server_error: Option<String>,
}

impl Accumulator {
    fn on_event(&mut self, event: &SseEvent, at: Instant) -> Result<(), String> {
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
        if let Some(err) = chunk.get("error").filter(|e| !e.is_null()) {
            self.server_error.get_or_insert_with(|| excerpt(err.to_string().as_bytes()));
            return Ok(());
        }
        self.read_usage(&chunk)?;
        let Some(choice) = first_choice(&chunk)? else {
            return Ok(());
        };
        let mut is_content = false;
        if let Some(delta) = choice.get("delta") {
            for field in ["reasoning_content", "reasoning"] {
                is_content |= delta.get(field).and_then(Value::as_str).is_some_and(|s| !s.is_empty());
            }
            if let Some(content) = delta.get("content").and_then(Value::as_str) {
                is_content |= !content.is_empty();
                self.text.push_str(content);
            }
        }
        if let Some(text) = choice.get("text").and_then(Value::as_str) {
            is_content |= !text.is_empty();
            self.text.push_str(text);
        }
        if is_content {
            if self.content_times.len() >= MAX_CONTENT_CHUNKS {
                return Err(format!("the stream carried more than {MAX_CONTENT_CHUNKS} content chunks"));
            }
            self.content_times.push(at);
        }
        if self.text.len() > MAX_TEXT {
            return Err(format!("the generated text is larger than {MAX_TEXT} bytes"));
        }
        self.read_finish(choice);
        Ok(())
    }

    fn on_whole(&mut self, body: &Value) -> Result<(), String> {
        if let Some(err) = body.get("error").filter(|e| !e.is_null()) {
            self.server_error = Some(excerpt(err.to_string().as_bytes()));
            return Ok(());
        }
        self.read_usage(body)?;
        let choice = first_choice(body)?.ok_or("the response has no choices")?;
        let content = choice.get("message").and_then(|m| m.get("content")).or_else(|| choice.get("text"));
        if let Some(text) = content.and_then(Value::as_str) {
            self.text.push_str(text);
        }
        self.read_finish(choice);
        Ok(())
    }

    fn read_usage(&mut self, v: &Value) -> Result<(), String> {
        let Some(usage) = v.get("usage").filter(|u| !u.is_null()) else {
            return Ok(());
        };
        let count = |field: &str| -> Result<Option<u32>, String> {
            match usage.get(field) {
                None | Some(Value::Null) => Ok(None),
                Some(n) => n
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .map(Some)
                    .ok_or_else(|| format!("usage.{field} is not a token count: {n}")),
            }
        };
        if let Some(n) = count("prompt_tokens")? {
            self.input_tokens = Some(n);
        }
        if let Some(n) = count("completion_tokens")? {
            self.usage_output = Some(n);
        }
        Ok(())
    }

    fn read_finish(&mut self, choice: &Value) {
        if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
            self.finish_reason = Some(reason.to_owned());
        }
    }

    fn finish(self, status: u16, sent_at: Instant, last_byte: Instant) -> Completion {
        let since = |t: Instant| t.saturating_duration_since(sent_at);
        let e2e = since(last_byte);
        let counted = u32::try_from(self.content_times.len()).unwrap_or(u32::MAX);
        let (output_tokens, source) = match self.usage_output {
            Some(n) => (n, TokenSource::Usage),
            None => (counted, TokenSource::Counted),
        };
        let ttft = self.content_times.first().map(|&t| since(t));
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
        }
    }
}

/// Per-token gaps: when the server's count `n` exceeds the `c ≥ 2` content chunks, each chunk
/// gap spans `(n−1)/(c−1)` tokens on average, so it is divided by that ratio. Otherwise (no
/// usage, equal counts, or fewer tokens than chunks) the chunk gaps are the best estimate.
fn per_token_gaps(chunk_gaps: &[Duration], counted: u32, usage: Option<u32>) -> Vec<Duration> {
    match usage {
        Some(n) if counted >= 2 && n > counted => {
            let scale = f64::from(counted - 1) / f64::from(n - 1);
            chunk_gaps.iter().map(|g| g.mul_f64(scale)).collect()
        }
        _ => chunk_gaps.to_vec(),
    }
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

#[cfg(test)]
mod props;
#[cfg(test)]
mod tests;
