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

use super::http::{ErrorClass, HttpClient, HttpError, Request};
use super::sse::{SseEvent, SseParser};

/// How much of an error body is quoted in a message.
const BODY_EXCERPT: usize = 200;
/// How much of a non-2xx body is read at all.
const ERROR_BODY_LIMIT: usize = 4096;
/// The largest non-streaming body accepted, matching the SSE parser's per-event cap.
const MAX_BODY: usize = super::sse::DEFAULT_MAX_BUFFERED;

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
    /// Time to the last byte of the response.
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

/// What kind of failure an [`LlmError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LlmErrorClass {
    /// The connection could not be opened.
    Connect,
    /// No complete answer within the timeout, including a stall mid-stream.
    Timeout,
    /// A non-2xx status.
    HttpStatus,
    /// The connection was closed or reset before the answer was complete.
    Reset,
    /// The body was not JSON or server-sent events as the API defines them.
    MalformedStream,
    /// The request could not be built (bad extra_body, bad URL).
    InvalidRequest,
    /// Anything else, including an error object sent by the server mid-stream.
    Other,
}

impl LlmErrorClass {
    /// The class's name as the WIT contract spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            LlmErrorClass::Connect => "connect",
            LlmErrorClass::Timeout => "timeout",
            LlmErrorClass::HttpStatus => "http-status",
            LlmErrorClass::Reset => "reset",
            LlmErrorClass::MalformedStream => "malformed-stream",
            LlmErrorClass::InvalidRequest => "invalid-request",
            LlmErrorClass::Other => "other",
        }
    }
}

impl fmt::Display for LlmErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<ErrorClass> for LlmErrorClass {
    fn from(c: ErrorClass) -> Self {
        match c {
            ErrorClass::Connect => LlmErrorClass::Connect,
            ErrorClass::Timeout => LlmErrorClass::Timeout,
            ErrorClass::Reset => LlmErrorClass::Reset,
            ErrorClass::InvalidRequest => LlmErrorClass::InvalidRequest,
            ErrorClass::Other => LlmErrorClass::Other,
        }
    }
}

/// A failed call.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{class}: {message}")]
pub struct LlmError {
    /// What kind of failure.
    pub class: LlmErrorClass,
    /// The HTTP status, when response headers were received.
    pub status: Option<u16>,
    /// One line of context.
    pub message: String,
}

impl LlmError {
    fn new(class: LlmErrorClass, status: Option<u16>, message: impl Into<String>) -> Self {
        LlmError { class, status, message: message.into() }
    }

    fn from_http(e: HttpError, status: Option<u16>) -> Self {
        LlmError { class: e.class.into(), status, message: e.message }
    }
}

/// The endpoint URL for `api` under `base_url`, which may end in `/`, `/v1` or `/v1/`.
pub fn endpoint_url(base_url: &str, api: Api) -> String {
    let base = base_url.trim_end_matches('/');
    let base = base.strip_suffix("/v1").unwrap_or(base);
    let path = match api {
        Api::Chat => "/v1/chat/completions",
        Api::Completions => "/v1/completions",
    };
    format!("{base}{path}")
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
            |why: String| LlmError::new(LlmErrorClass::InvalidRequest, None, format!("extra_body {why}"));
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

/// Makes one call and measures it.
pub async fn call(client: &HttpClient, base_url: &str, req: &LlmRequest) -> Result<Completion, LlmError> {
    let body = request_body(req)?;
    let accept = if req.stream { "text/event-stream" } else { "application/json" };
    let http_req = Request {
        method: "POST".into(),
        url: endpoint_url(base_url, req.api),
        headers: vec![("content-type".into(), "application/json".into()), ("accept".into(), accept.into())],
        body: Bytes::from(body.to_string()),
        timeout: req.timeout,
    };
    let mut resp = client.start(http_req).await.map_err(|e| LlmError::from_http(e, None))?;
    let status = Some(resp.status);
    if !(200..300).contains(&resp.status) {
        let body = resp.read_to_end(ERROR_BODY_LIMIT).await.map_err(|e| LlmError::from_http(e, status))?;
        return Err(LlmError::new(
            LlmErrorClass::HttpStatus,
            status,
            format!("HTTP {}: {}", resp.status, excerpt(&body)),
        ));
    }
    let mut acc = Accumulator::default();
    let mut last_byte = resp.sent_at + resp.ttfb;
    if req.stream {
        let mut parser = SseParser::new();
        while let Some((bytes, at)) = resp.next_chunk().await.map_err(|e| LlmError::from_http(e, status))? {
            last_byte = at;
            let events = parser.push(&bytes).map_err(|e| malformed(status, e))?;
            for event in events {
                acc.on_event(&event, at).map_err(|m| malformed(status, m))?;
            }
        }
        // A final event without its blank line is accepted: some servers end with `data: [DONE]\n`.
        if let Some(event) = parser.finish().map_err(|e| malformed(status, e))? {
            acc.on_event(&event, last_byte).map_err(|m| malformed(status, m))?;
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
        return Err(LlmError::new(LlmErrorClass::Other, status, format!("the server sent an error: {err}")));
    }
    Ok(acc.finish(resp.status, resp.sent_at, last_byte))
}

fn malformed(status: Option<u16>, why: impl fmt::Display) -> LlmError {
    LlmError::new(LlmErrorClass::MalformedStream, status, why.to_string())
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
            self.content_times.push(at);
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
mod tests {
    use super::super::http::ClientConfig;
    use super::super::test_support::*;
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    fn content(text: &str) -> String {
        format!(
            "data: {}\n\n",
            json!({"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": null}]})
        )
    }

    fn usage(prompt: u32, completion: u32) -> String {
        format!(
            "data: {}\n\n",
            json!({"choices": [], "usage": {"prompt_tokens": prompt, "completion_tokens": completion}})
        )
    }

    fn finish(reason: &str) -> String {
        format!("data: {}\n\n", json!({"choices": [{"index": 0, "delta": {}, "finish_reason": reason}]}))
    }

    fn chat(stream: bool) -> LlmRequest {
        LlmRequest {
            api: Api::Chat,
            model: Some("m".into()),
            messages: vec![("user".into(), "hi".into())],
            prompt: String::new(),
            max_tokens: Some(16),
            stream,
            extra_body: None,
            timeout: Some(Duration::from_secs(5)),
        }
    }

    /// First content after 30 ms, then five more 10 ms apart, then `tail`.
    fn timed_stream(tail: &[String]) -> Vec<Step> {
        let mut s = vec![sse_head(), Step::Sleep(MS(30)), chunk(&content("t0"))];
        for i in 1..6 {
            s.push(Step::Sleep(MS(10)));
            s.push(chunk(&content(&format!("t{i}"))));
        }
        s.extend(tail.iter().map(|t| chunk(t)));
        s.push(end());
        s
    }

    async fn run(script: Vec<Step>, req: &LlmRequest) -> Result<Completion, LlmError> {
        let (addr, _) = script_server(script).await;
        let client = HttpClient::new(ClientConfig::default()).expect("client");
        call(&client, &format!("http://{addr}"), req).await
    }

    fn within(d: Duration, lo: u64, hi: u64) -> bool {
        d >= MS(lo) && d <= MS(hi)
    }

    #[test]
    fn endpoint_handles_slash_and_v1_suffixes() {
        for base in ["http://h:1", "http://h:1/", "http://h:1/v1", "http://h:1/v1/"] {
            assert_eq!(endpoint_url(base, Api::Chat), "http://h:1/v1/chat/completions", "{base}");
            assert_eq!(endpoint_url(base, Api::Completions), "http://h:1/v1/completions", "{base}");
        }
        assert_eq!(endpoint_url("http://h/proxy/v1", Api::Chat), "http://h/proxy/v1/chat/completions");
    }

    #[test]
    fn body_has_fields_and_extra_body_overrides() {
        let mut req = chat(true);
        req.extra_body = Some(r#"{"max_tokens": 4, "temperature": 0}"#.into());
        let body = request_body(&req).expect("body");
        let want = json!({"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4,
            "stream": true, "stream_options": {"include_usage": true}, "temperature": 0});
        assert_eq!(body, want);
        let plain = LlmRequest {
            api: Api::Completions,
            model: None,
            prompt: "p".into(),
            max_tokens: None,
            ..chat(false)
        };
        assert_eq!(request_body(&plain).expect("body"), json!({"prompt": "p", "stream": false}));
    }

    #[tokio::test]
    async fn bad_extra_body_is_invalid_request() {
        for extra in ["[1]", "not json", "\"s\""] {
            let req = LlmRequest { extra_body: Some(extra.into()), ..chat(true) };
            // Port 1 is never contacted: the body is checked first.
            let client = HttpClient::new(ClientConfig::default()).expect("client");
            let e = call(&client, "http://127.0.0.1:1", &req).await.expect_err("invalid");
            assert_eq!((e.class, e.status), (LlmErrorClass::InvalidRequest, None), "{extra}: {}", e.message);
        }
    }

    #[test]
    fn itl_scales_gaps_by_tokens_per_chunk() {
        let gaps = [MS(10), MS(20)];
        assert_eq!(per_token_gaps(&gaps, 3, None), gaps);
        assert_eq!(per_token_gaps(&gaps, 3, Some(3)), gaps);
        assert_eq!(per_token_gaps(&gaps, 3, Some(2)), gaps);
        assert_eq!(per_token_gaps(&gaps, 3, Some(5)), [MS(5), MS(10)]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn streaming_timings_and_counted_tokens() {
        let (addr, mut bodies) =
            script_server(timed_stream(&[finish("stop"), "data: [DONE]\n\n".into()])).await;
        let client = HttpClient::new(ClientConfig::default()).expect("client");
        let c = call(&client, &format!("http://{addr}/v1/"), &chat(true)).await.expect("completion");
        let sent: Value = serde_json::from_slice(&bodies.recv().await.expect("request")).expect("json");
        assert_eq!(sent["stream_options"]["include_usage"], json!(true));
        assert_eq!(c.text, "t0t1t2t3t4t5");
        assert_eq!(c.finish_reason.as_deref(), Some("stop"));
        assert_eq!((c.chunks, c.counted_output_tokens, c.output_tokens), (6, 6, 6));
        assert_eq!(
            (c.output_tokens_source, c.usage_output_tokens, c.input_tokens),
            (TokenSource::Counted, None, None)
        );
        // The server cannot send chunk k before 30 + 10k ms; the upper slack absorbs timer
        // overshoot and scheduling on a loaded machine (the run is shared with compilers).
        let ttft = c.ttft.expect("ttft");
        assert_eq!(c.ttst, Some(ttft + c.chunk_gaps[0]));
        assert_eq!(c.chunk_gaps.len(), 5);
        let mut at = ttft;
        for k in 0..6u64 {
            assert!(
                within(at, 30 + 10 * k, 30 + 10 * k + 15),
                "chunk {k} at {at:?}, gaps {:?}",
                c.chunk_gaps
            );
            if let Some(gap) = c.chunk_gaps.get(k as usize) {
                at += *gap;
            }
        }
        let sum: Duration = c.chunk_gaps.iter().sum();
        assert_eq!(c.itl, c.chunk_gaps);
        assert!(c.e2e >= ttft + sum && c.e2e - (ttft + sum) < MS(5), "e2e {:?}", c.e2e);
        assert_eq!(c.tpot, Some((c.e2e - ttft) / 5));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn usage_sets_tokens_and_multi_token_chunks_scale_itl() {
        let c = run(timed_stream(&[usage(7, 6), "data: [DONE]\n\n".into()]), &chat(true)).await.expect("ok");
        assert_eq!(
            (c.output_tokens, c.output_tokens_source, c.input_tokens),
            (6, TokenSource::Usage, Some(7))
        );
        assert_eq!(c.itl, c.chunk_gaps);

        let c = run(timed_stream(&[usage(7, 11), "data: [DONE]\n\n".into()]), &chat(true)).await.expect("ok");
        assert_eq!((c.output_tokens, c.counted_output_tokens, c.usage_output_tokens), (11, 6, Some(11)));
        let halves: Vec<Duration> = c.chunk_gaps.iter().map(|g| g.mul_f64(0.5)).collect();
        assert_eq!(c.itl, halves);
        let ttft = c.ttft.expect("ttft");
        assert_eq!(c.tpot, Some((c.e2e - ttft) / 10));
    }

    #[tokio::test]
    async fn completions_text_reasoning_and_unterminated_done() {
        let text = |t: &str| {
            format!("data: {}\n\n", json!({"choices": [{"index": 0, "text": t, "finish_reason": null}]}))
        };
        let reasoning = format!(
            "data: {}\n\n",
            json!({"choices": [{"index": 0, "delta": {"reasoning_content": "hmm"}}]})
        );
        let script = vec![
            sse_head(),
            chunk(&text("a")),
            chunk(&reasoning),
            chunk(&text("")),
            chunk(&text("b")),
            chunk(&finish("length")),
            chunk("data: [DONE]"),
            end(),
        ];
        let req = LlmRequest { api: Api::Completions, prompt: "p".into(), ..chat(true) };
        let c = run(script, &req).await.expect("ok");
        assert_eq!((c.text.as_str(), c.chunks, c.finish_reason.as_deref()), ("ab", 3, Some("length")));
    }

    #[tokio::test]
    async fn non_streaming_uses_body_and_usage() {
        let body = json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": "hello"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 2}}).to_string();
        let c = run(vec![full_response(200, "application/json", &body)], &chat(false)).await.expect("ok");
        assert_eq!((c.text.as_str(), c.finish_reason.as_deref()), ("hello", Some("stop")));
        assert_eq!(
            (c.output_tokens, c.output_tokens_source, c.input_tokens),
            (2, TokenSource::Usage, Some(3))
        );
        assert_eq!((c.ttft, c.ttst, c.tpot, c.chunks), (None, None, None, 0));
        assert!(c.chunk_gaps.is_empty() && c.itl.is_empty() && c.e2e > Duration::ZERO);

        let body = json!({"choices": [{"index": 0, "message": {"content": "x"}}]}).to_string();
        let c = run(vec![full_response(200, "application/json", &body)], &chat(false)).await.expect("ok");
        assert_eq!(
            (c.output_tokens, c.output_tokens_source, c.usage_output_tokens),
            (0, TokenSource::Counted, None)
        );
    }

    async fn expect_error(script: Vec<Step>, req: &LlmRequest) -> LlmError {
        run(script, req).await.expect_err("should fail")
    }

    #[tokio::test]
    async fn http_status_error_quotes_the_body() {
        let long = format!("overloaded {}", "x".repeat(400));
        let e = expect_error(vec![full_response(500, "text/plain", &long)], &chat(true)).await;
        assert_eq!((e.class, e.status), (LlmErrorClass::HttpStatus, Some(500)));
        assert!(e.message.contains("HTTP 500: overloaded"), "{}", e.message);
        assert!(e.message.len() < 260, "{}", e.message.len());
    }

    #[tokio::test]
    async fn connection_refused_is_connect() {
        let addr = closed_port().await;
        let client = HttpClient::new(ClientConfig::default()).expect("client");
        let e = call(&client, &format!("http://{addr}"), &chat(true)).await.expect_err("refused");
        assert_eq!((e.class, e.status), (LlmErrorClass::Connect, None));
    }

    #[tokio::test]
    async fn reset_mid_stream_is_reset() {
        let e = expect_error(
            vec![sse_head(), chunk(&content("a")), Step::Sleep(MS(20)), Step::Reset],
            &chat(true),
        )
        .await;
        assert_eq!((e.class, e.status), (LlmErrorClass::Reset, Some(200)), "{}", e.message);
    }

    #[tokio::test]
    async fn malformed_streams_are_classified() {
        let cases: Vec<Vec<Step>> = vec![
            vec![
                sse_head(),
                chunk(&content("a")),
                chunk("data: {not json\n\n"),
                chunk("data: [DONE]\n\n"),
                end(),
            ],
            vec![sse_head(), chunk(&content("a")), end()],
            vec![
                sse_head(),
                Step::Write(b"7\r\ndata: \xff\r\n".to_vec()),
                chunk("\n\ndata: [DONE]\n\n"),
                end(),
            ],
            vec![sse_head(), chunk("data: {\"choices\": 3}\n\n"), chunk("data: [DONE]\n\n"), end()],
            vec![full_response(200, "application/json", "{\"choices\": [")],
        ];
        for (i, script) in cases.into_iter().enumerate() {
            let stream = i < 4;
            let e = expect_error(script, &chat(stream)).await;
            assert_eq!(
                (e.class, e.status),
                (LlmErrorClass::MalformedStream, Some(200)),
                "case {i}: {}",
                e.message
            );
        }
    }

    #[tokio::test]
    async fn server_error_object_is_other() {
        let err = format!("data: {}\n\n", json!({"error": {"message": "out of memory"}}));
        let e = expect_error(vec![sse_head(), chunk(&err), end()], &chat(true)).await;
        assert_eq!(e.class, LlmErrorClass::Other);
        assert!(e.message.contains("out of memory"), "{}", e.message);
    }

    #[tokio::test]
    async fn stall_mid_stream_is_timeout() {
        let req = LlmRequest { timeout: Some(MS(300)), ..chat(true) };
        let script = vec![sse_head(), chunk(&content("a")), Step::Sleep(MS(3000)), end()];
        let started = Instant::now();
        let e = expect_error(script, &req).await;
        assert_eq!((e.class, e.status), (LlmErrorClass::Timeout, Some(200)));
        assert!(started.elapsed() < MS(2000));
    }

    #[test]
    fn class_names_match_the_contract() {
        use LlmErrorClass::*;
        let names: Vec<_> = [Connect, Timeout, HttpStatus, Reset, MalformedStream, InvalidRequest, Other]
            .map(LlmErrorClass::as_str)
            .to_vec();
        assert_eq!(
            names,
            ["connect", "timeout", "http-status", "reset", "malformed-stream", "invalid-request", "other"]
        );
    }
}
