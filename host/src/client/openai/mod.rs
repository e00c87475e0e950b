//! One OpenAI-compatible completion call (`/v1/chat/completions` or `/v1/completions`),
//! streamed or not, measured on the host's monotonic clock at the moment bytes arrive.
//!
//! Every duration counts from [`super::http::Streaming::sent_at`], the instant just before the
//! request is handed to hyper. Definitions of each metric: docs/METRICS.md.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;
use thiserror::Error;

use super::http::{BodyStream, Connections, HttpError, Request, RequestHeaders, TargetHeaders};
use super::sse::SseParser;
use crate::error_class::ErrorClass;

mod answer;
mod body;
mod embeddings;
mod tools;

use answer::Accumulator;
use body::request_headers;
pub use body::{MaxTokensField, Message, api_url, endpoint_url, request_body};
pub use embeddings::{EmbeddingRequest, Embeddings, MAX_BATCH, embed, embeddings_body};
pub use tools::ToolCall;

/// How much of an error body is quoted in a message.
const BODY_EXCERPT: usize = 200;
/// How much of a non-2xx body is read at all.
const ERROR_BODY_LIMIT: usize = 4096;
/// The largest non-streaming body accepted, matching the SSE parser's per-event cap.
const MAX_BODY: usize = super::sse::DEFAULT_MAX_BUFFERED;

/// How long the end of a stream's body may take after `data: [DONE]` before the connection is
/// given up. Well-behaved servers end the body at once (often in a separate write): reading that
/// end keeps the connection for the next request (no new TCP or TLS handshake per request).
const BODY_END_AFTER_DONE: Duration = Duration::from_millis(20);

/// Which endpoint to call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Api {
    /// `/v1/chat/completions` with `messages`.
    #[default]
    Chat,
    /// `/v1/completions` with `prompt`.
    Completions,
}

/// What to send. The host adds nothing the guest did not ask for, except `stream_options`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LlmRequest {
    /// Which endpoint.
    pub api: Api,
    /// The model name; `None` leaves the field out.
    pub model: Option<String>,
    /// The conversation (chat).
    pub messages: Vec<Message>,
    /// The prompt (completions).
    pub prompt: String,
    /// The answer-length limit, when set.
    pub max_tokens: Option<u32>,
    /// The body field `max_tokens` is sent in.
    pub max_tokens_field: MaxTokensField,
    /// Ask for server-sent events (needed for TTFT and ITL).
    pub stream: bool,
    /// A JSON object whose fields override the built body.
    pub extra_body: Option<String>,
    /// This request's own headers, sent after the run's; one of the same name replaces the run's.
    /// Never recorded: a value may be a credential.
    pub headers: RequestHeaders,
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
    /// The generated content (`delta.content` / `message.content` / `text`), concatenated;
    /// reasoning is not part of it.
    pub text: String,
    /// The `finish_reason` of the first choice, when the server sent one.
    pub finish_reason: Option<String>,
    /// Time to the first chunk that carried a generated token: content, reasoning or a tool call
    /// (streaming only).
    pub ttft: Option<Duration>,
    /// Time to the first output: the first chunk with content or a tool call, reasoning excluded
    /// (streaming only). Equal to `ttft` when the model did not reason first; absent when the
    /// stream carried reasoning only.
    pub ttfo: Option<Duration>,
    /// Time to the second generated chunk (streaming only).
    pub ttst: Option<Duration>,
    /// Time to the last byte of the response read: for a stream, the chunk that carried
    /// `data: [DONE]`, where reading stops.
    pub e2e: Duration,
    /// `(e2e − ttft) / (output_tokens − 1)`, streaming with at least two tokens only.
    pub tpot: Option<Duration>,
    /// Gaps between consecutive generated chunks.
    pub chunk_gaps: Vec<Duration>,
    /// Per-token inter-token latency estimates: the chunk gaps, each scaled down by the
    /// tokens-per-gap ratio when chunks carried several tokens.
    pub itl: Vec<Duration>,
    /// Generated chunks received (content, reasoning or tool call).
    pub chunks: u32,
    /// `usage.prompt_tokens`, when sent.
    pub input_tokens: Option<u32>,
    /// The usage count when sent, else the counted one.
    pub output_tokens: u32,
    /// Where `output_tokens` came from.
    pub output_tokens_source: TokenSource,
    /// `usage.completion_tokens`, when sent.
    pub usage_output_tokens: Option<u32>,
    /// Generated chunks (0 when not streaming).
    pub counted_output_tokens: u32,
    /// Chunks that carried reasoning (`delta.reasoning_content` / `delta.reasoning`) and no
    /// output (content or a tool call); part of `chunks`.
    pub reasoning_chunks: u32,
    /// `usage.completion_tokens_details.reasoning_tokens`, when sent.
    pub reasoning_tokens: Option<u32>,
    /// `usage.prompt_tokens_details.cached_tokens` (prompt tokens served from the server's prefix
    /// cache), when sent.
    pub cached_tokens: Option<u32>,
    /// The tool calls of the first choice, in the order their `index` first appeared.
    pub tool_calls: Vec<ToolCall>,
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

/// Makes one call to `base_url` with the run's `headers` (the API key, `--header`) over `conns`
/// (a VU's own connection to the target, or the pooled client) and measures it.
pub async fn call(
    conns: Connections<'_>,
    base_url: &str,
    headers: &TargetHeaders,
    req: &LlmRequest,
) -> Result<Completion, LlmError> {
    let body = request_body(req)?;
    let accept = if req.stream { "text/event-stream" } else { "application/json" };
    let url = endpoint_url(base_url, req.api);
    let headers = request_headers(headers, &json_headers(accept), &req.headers)?;
    let mut resp = post_json(conns, url, headers, &body, req.timeout).await?;
    let status = Some(resp.status());
    let mut acc = Accumulator::default();
    let mut last_byte = resp.sent_at() + resp.ttfb();
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
        let (body, at) = read_whole_body(&mut resp, MAX_BODY).await?;
        last_byte = at;
        let value: Value =
            serde_json::from_slice(&body).map_err(|e| malformed(status, format!("body is not JSON: {e}")))?;
        acc.on_whole(&value).map_err(|m| malformed(status, m))?;
    }
    if let Some(err) = acc.server_error.take() {
        return Err(LlmError::new(
            ErrorClass::ServerError,
            status,
            format!("the server sent an error: {err}"),
        ));
    }
    Ok(acc.finish(resp.status(), resp.sent_at(), last_byte))
}

/// The host's own headers of a call: a JSON body, and the answer's type it accepts.
fn json_headers(accept: &str) -> [(String, String); 2] {
    [("content-type".into(), "application/json".into()), ("accept".into(), accept.into())]
}

/// POSTs `body` as JSON to `url` with `headers` (the host's [`json_headers`], the run's and the
/// call's, layered by [`request_headers`]) and returns the answer once its head says 2xx; any other status is
/// [`ErrorClass::HttpStatus`], quoting the start of its body. The request may be sent again when a
/// reused connection was found closed before any byte of the answer (see
/// [`super::http::OwnConnection::start`]): a completion or an embedding is computed from the body
/// alone and changes nothing on the server.
async fn post_json<'c>(
    conns: Connections<'c>,
    url: String,
    headers: Vec<(String, String)>,
    body: &Value,
    timeout: Option<std::time::Duration>,
) -> Result<BodyStream<'c>, LlmError> {
    let http_req =
        Request { method: "POST".into(), url, headers, body: Bytes::from(body.to_string()), timeout };
    let mut resp = conns.start(http_req, true).await.map_err(|e| LlmError::from_http(e, None))?;
    let status = Some(resp.status());
    if !(200..300).contains(&resp.status()) {
        let body = resp.read_to_end(ERROR_BODY_LIMIT).await.map_err(|e| LlmError::from_http(e, status))?;
        return Err(LlmError::new(
            ErrorClass::HttpStatus,
            status,
            format!("HTTP {}: {}", resp.status(), excerpt(&body)),
        ));
    }
    Ok(resp)
}

/// Reads a whole (non-streamed) body of at most `limit` bytes, and the instant of its last byte.
async fn read_whole_body(
    resp: &mut BodyStream<'_>,
    limit: usize,
) -> Result<(Vec<u8>, std::time::Instant), LlmError> {
    let status = Some(resp.status());
    let mut last_byte = resp.sent_at() + resp.ttfb();
    let mut body = Vec::new();
    while let Some((bytes, at)) = resp.next_chunk().await.map_err(|e| LlmError::from_http(e, status))? {
        last_byte = at;
        if body.len() + bytes.len() > limit {
            return Err(malformed(status, format!("body larger than {limit} bytes")));
        }
        body.extend_from_slice(&bytes);
    }
    Ok((body, last_byte))
}

fn malformed(status: Option<u16>, why: impl fmt::Display) -> LlmError {
    LlmError::new(ErrorClass::MalformedStream, status, why.to_string())
}

/// The first bytes of a body as one line of text.
pub(super) fn excerpt(body: &[u8]) -> String {
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
async fn finish_body(resp: &mut BodyStream<'_>) {
    let _ = tokio::time::timeout(BODY_END_AFTER_DONE, async {
        while let Ok(Some(_)) = resp.next_chunk().await {}
    })
    .await;
}

#[cfg(test)]
mod props;
#[cfg(test)]
mod shape_tests;
#[cfg(test)]
mod tests;
