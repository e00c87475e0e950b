//! The mock's HTTP surface: routing, request validation, OpenAI-style error objects and the response
//! body type (a whole buffer, or a channel fed by a generator task).

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use serde::Deserialize;
use tokio::sync::mpsc;

use super::conn::Abort;
use super::fault::{self, Fault};
use super::generate;
use super::inject::{self, HugeBody};
use super::shape::{Job, Kind};
use super::{RequestGuard, Shared};

/// Largest request body accepted; far above any real prompt, small enough to bound memory.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// Largest output a request may ask for, standing in for a model's context length.
pub(super) const MAX_TOKENS: u64 = 1 << 20;

/// Events buffered between a generator and its connection; a slow reader applies backpressure beyond.
const STREAM_BUFFER: usize = 16;

/// The id of the only model served.
pub(super) const MODEL: &str = "mock";

/// A response body: either complete up front, or streamed from a generator task.
pub(super) enum MockBody {
    /// A body known in full (gives hyper a Content-Length).
    Full(Full<Bytes>),
    /// SSE events as the generator produces them; dropping it tells the generator to stop.
    Stream(mpsc::Receiver<Bytes>),
    /// A `huge-body` fault's body, produced as it is read.
    Huge(HugeBody),
}

impl Body for MockBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            MockBody::Full(full) => Pin::new(full).poll_frame(cx),
            MockBody::Stream(rx) => rx.poll_recv(cx).map(|event| event.map(|b| Ok(Frame::data(b)))),
            MockBody::Huge(huge) => Poll::Ready(huge.next_frame().map(Ok)),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            MockBody::Full(full) => full.is_end_stream(),
            MockBody::Stream(_) | MockBody::Huge(_) => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            MockBody::Full(full) => full.size_hint(),
            MockBody::Stream(_) | MockBody::Huge(_) => SizeHint::default(),
        }
    }
}

/// Why a request was refused, rendered as an OpenAI-style error object.
#[derive(Debug, thiserror::Error)]
pub(super) enum RequestError {
    /// The body could not be read off the connection.
    #[error("could not read the request body: {0}")]
    Body(String),
    /// The body exceeded [`MAX_BODY`].
    #[error("the request body exceeds {MAX_BODY} bytes")]
    TooLarge,
    /// The body is not JSON, or not the expected shape.
    #[error("invalid request body: {0}")]
    Json(#[from] serde_json::Error),
    /// A required field is absent.
    #[error("'{0}' is a required property")]
    Missing(&'static str),
    /// `max_tokens` is zero or above [`MAX_TOKENS`].
    #[error("max_tokens must be between 1 and {MAX_TOKENS}, got {0}")]
    MaxTokens(u64),
    /// No such path.
    #[error("no route for {0}")]
    NotFound(String),
    /// The request names a model the server does not serve.
    #[error("the model `{0}` does not exist")]
    UnknownModel(String),
    /// A known path with the wrong method.
    #[error("method {0} is not allowed on {1}")]
    Method(Method, String),
    /// The server requires an API key and the request did not carry it.
    #[error("missing or incorrect API key: send it as 'Authorization: Bearer <key>'")]
    Unauthorized,
    /// A field holds something the API does not take (an image part without a usable URL, an
    /// embeddings `input` that is not text or tokens).
    #[error("{1}")]
    Invalid(&'static str, String),
}

impl RequestError {
    fn status(&self) -> StatusCode {
        match self {
            RequestError::Body(_) | RequestError::Json(_) | RequestError::Missing(_) => {
                StatusCode::BAD_REQUEST
            }
            RequestError::MaxTokens(_) | RequestError::Invalid(..) => StatusCode::BAD_REQUEST,
            RequestError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            RequestError::NotFound(_) | RequestError::UnknownModel(_) => StatusCode::NOT_FOUND,
            RequestError::Method(..) => StatusCode::METHOD_NOT_ALLOWED,
            RequestError::Unauthorized => StatusCode::UNAUTHORIZED,
        }
    }

    fn error_type(&self) -> &'static str {
        match self {
            RequestError::NotFound(_) | RequestError::UnknownModel(_) => "not_found_error",
            RequestError::Unauthorized => "authentication_error",
            _ => "invalid_request_error",
        }
    }

    fn param(&self) -> Option<&'static str> {
        match self {
            RequestError::Missing(p) => Some(p),
            RequestError::MaxTokens(_) => Some("max_tokens"),
            RequestError::UnknownModel(_) => Some("model"),
            RequestError::Invalid(param, _) => Some(param),
            _ => None,
        }
    }

    fn into_response(self) -> Response<MockBody> {
        let body = serde_json::json!({
            "error": {
                "message": self.to_string(),
                "type": self.error_type(),
                "param": self.param(),
                "code": self.status().as_u16(),
            }
        });
        json_response(self.status(), Bytes::from(body.to_string()))
    }
}

/// `stream_options` of a request.
#[derive(Debug, Default, Deserialize)]
struct StreamOptions {
    #[serde(default)]
    include_usage: Option<bool>,
}

/// The fields of a chat or completions request that the mock looks at; the rest are ignored.
#[derive(Debug, Deserialize)]
struct GenRequest {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    stream: Option<bool>,
    #[serde(default)]
    max_tokens: Option<u64>,
    #[serde(default)]
    max_completion_tokens: Option<u64>,
    #[serde(default)]
    ignore_eos: Option<bool>,
    #[serde(default)]
    stream_options: Option<StreamOptions>,
    #[serde(default)]
    messages: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    prompt: Option<serde_json::Value>,
    #[serde(default)]
    tools: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    tool_choice: Option<serde_json::Value>,
}

impl GenRequest {
    /// The function a chat answer calls, when it calls one: the one `tool_choice` names, else the
    /// first of `tools`. None without tools, with `tool_choice: "none"`, and once the user's last
    /// turn has had `steps` rounds of tool results (the model then answers in words, so an agent
    /// loop ends after `steps` tool calls; see [`tool_rounds`]).
    fn tool_to_call(&self, steps: u32) -> Option<String> {
        let tools = self.tools.as_deref().filter(|t| !t.is_empty())?;
        if self.tool_choice.as_ref().and_then(|c| c.as_str()) == Some("none") {
            return None;
        }
        if tool_rounds(self.messages.as_deref().unwrap_or_default()) >= u64::from(steps) {
            return None;
        }
        let name = |v: Option<&serde_json::Value>| {
            v.and_then(|v| v.get("function"))
                .and_then(|f| f.get("name"))
                .and_then(|n| n.as_str())
                .map(str::to_owned)
        };
        Some(
            name(self.tool_choice.as_ref())
                .or_else(|| name(tools.first()))
                .unwrap_or_else(|| "tool".to_string()),
        )
    }
}

/// The rounds of tool results since the conversation's last user message: runs of consecutive
/// `tool` messages, one per step of an agent loop however many calls the step answered. What
/// came before the last user turn is an earlier task's, so each user turn gets its own steps.
fn tool_rounds(messages: &[serde_json::Value]) -> u64 {
    let role = |m: &serde_json::Value| m.get("role").and_then(|r| r.as_str()).map(str::to_owned);
    let since_user = messages.iter().rposition(|m| role(m).as_deref() == Some("user")).map_or(0, |at| at + 1);
    let mut rounds = 0;
    let mut in_round = false;
    for m in &messages[since_user..] {
        let tool = role(m).as_deref() == Some("tool");
        if tool && !in_round {
            rounds += 1;
        }
        in_round = tool;
    }
    rounds
}

/// Serves one request. Never fails: every problem becomes an HTTP error response, except the faults
/// that reset the connection through `abort`.
pub(super) async fn handle(
    shared: Arc<Shared>,
    abort: Arc<Abort>,
    req: Request<Incoming>,
) -> Result<Response<MockBody>, Infallible> {
    let guard = RequestGuard::new(shared.counters.clone());
    let Some(path) = unprefixed(&shared.cfg.prefix, req.uri().path()) else {
        let path = req.uri().path().to_string();
        return Ok(finish(guard, RequestError::NotFound(path).into_response()));
    };
    let method = req.method().clone();
    // As llama.cpp's server does with `--api-key`: the API and the pages that show the server's
    // state need the key; the health check does not.
    let guarded = path.starts_with("/v1") || path.starts_with("/metrics") || path == "/slots";
    if guarded && !authorized(shared.cfg.api_key.as_deref(), &req) {
        return Ok(finish(guard, RequestError::Unauthorized.into_response()));
    }
    shared.seen.request(req.headers());
    shared.seen.version(req.version());
    let kind = match (path.as_str(), &method) {
        ("/", &Method::GET) => return Ok(finish(guard, text_response(StatusCode::OK, "ok"))),
        ("/health", &Method::GET) => return Ok(finish(guard, text_response(StatusCode::OK, ""))),
        ("/v1/models", &Method::GET) => return Ok(finish(guard, models(&shared.cfg.models))),
        // As vLLM's: `{"version": "…"}`, not behind the API key.
        ("/version", &Method::GET) => {
            let body = serde_json::json!({ "version": VERSION }).to_string();
            return Ok(finish(guard, json_response(StatusCode::OK, Bytes::from(body))));
        }
        ("/metrics", &Method::GET) if shared.cfg.metrics => {
            return Ok(finish(guard, super::metrics::response(&shared, super::metrics::Page::Vllm)));
        }
        ("/metrics/dcgm", &Method::GET) if shared.cfg.metrics => {
            return Ok(finish(guard, super::metrics::response(&shared, super::metrics::Page::Dcgm)));
        }
        ("/slots", &Method::GET) if shared.cfg.metrics => {
            return Ok(finish(guard, super::metrics::response(&shared, super::metrics::Page::Slots)));
        }
        ("/v1/chat/completions", &Method::POST) => Kind::Chat,
        ("/v1/completions", &Method::POST) => Kind::Completion,
        ("/v1/embeddings", &Method::POST) => {
            let resp = match super::embed::answer(&shared, req).await {
                Ok(body) => json_response(StatusCode::OK, body),
                Err(e) => e.into_response(),
            };
            return Ok(finish(guard, resp));
        }
        (
            "/" | "/health" | "/v1/models" | "/v1/chat/completions" | "/v1/completions" | "/v1/embeddings",
            _,
        ) => {
            return Ok(finish(guard, RequestError::Method(method, path).into_response()));
        }
        _ => return Ok(finish(guard, RequestError::NotFound(path).into_response())),
    };
    let (job, streaming) = match parse(&shared, kind, req).await {
        Ok(parsed) => parsed,
        Err(e) => return Ok(finish(guard, e.into_response())),
    };
    let fault = fault::pick(&shared.cfg.faults, shared.cfg.seed, job.seq);
    if fault.is_some() {
        shared.counters.faulted.fetch_add(1, Ordering::Relaxed);
    }
    match fault {
        Some(Fault::Status(code)) => return Ok(finish(guard, inject::status_response(code))),
        Some(Fault::ResetBeforeHeaders) => {
            abort.fire();
            // The connection task drops this future with the connection; nothing is ever answered.
            return std::future::pending().await;
        }
        Some(Fault::SlowHeaders(delay)) => tokio::time::sleep(delay).await,
        Some(Fault::HugeBody(size)) => {
            let (body, content_type) = HugeBody::new(size, streaming, guard);
            let mut resp = Response::new(MockBody::Huge(body));
            resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
            return Ok(resp);
        }
        _ => {}
    }
    if streaming {
        let (tx, rx) = mpsc::channel(STREAM_BUFFER);
        tokio::spawn(generate::stream(shared, guard, job, tx, fault, abort));
        let mut resp = Response::new(MockBody::Stream(rx));
        let headers = resp.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        return Ok(resp);
    }
    let seed = shared.cfg.seed;
    let seq = job.seq;
    match fault {
        Some(f @ (Fault::ResetMidStream | Fault::StallMidStream(_))) => {
            let body = generate::produce(shared, job).await;
            let rx = inject::split_whole(body, f, abort, guard);
            let mut resp = Response::new(MockBody::Stream(rx));
            resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            Ok(resp)
        }
        Some(f) => {
            let body = generate::complete(shared, guard, job).await;
            Ok(json_response(StatusCode::OK, inject::corrupt_whole(body, f, seed, seq)))
        }
        None => Ok(json_response(StatusCode::OK, generate::complete(shared, guard, job).await)),
    }
}

/// The path under `prefix` (`/` for the prefix itself), or `None` when it is outside it.
fn unprefixed(prefix: &str, path: &str) -> Option<String> {
    let rest = path.strip_prefix(prefix)?;
    match rest {
        "" => Some("/".to_string()),
        _ if rest.starts_with('/') => Some(rest.to_string()),
        _ => None,
    }
}

/// Whether the request carries `Authorization: Bearer <key>`, when a key is required.
fn authorized(key: Option<&str>, req: &Request<Incoming>) -> bool {
    let Some(key) = key else { return true };
    let given = req.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok());
    given.and_then(|v| v.strip_prefix("Bearer ")).is_some_and(|given| given.trim() == key)
}

/// Reads a request's JSON body (at most [`MAX_BODY`] bytes) as a `T`.
pub(super) async fn read_json<T: serde::de::DeserializeOwned>(
    req: Request<Incoming>,
) -> Result<T, RequestError> {
    let bytes = Limited::new(req.into_body(), MAX_BODY)
        .collect()
        .await
        .map_err(|e| {
            if e.is::<http_body_util::LengthLimitError>() {
                RequestError::TooLarge
            } else {
                RequestError::Body(e.to_string())
            }
        })?
        .to_bytes();
    Ok(serde_json::from_slice(&bytes)?)
}

/// Reads and validates a generation request; returns the job and whether it streams.
async fn parse(shared: &Shared, kind: Kind, req: Request<Incoming>) -> Result<(Job, bool), RequestError> {
    let r: GenRequest = read_json(req).await?;
    check_model(&shared.cfg.models, r.model.as_deref())?;
    let cache = shared.prefix_cache.as_ref();
    let (prompt_tokens, blocks) = match kind {
        Kind::Chat => {
            let messages = r.messages.as_deref().ok_or(RequestError::Missing("messages"))?;
            let images = super::images::image_parts(messages)?;
            shared.seen.image_parts.fetch_add(images, Ordering::Relaxed);
            let tokens =
                messages.iter().map(message_words).sum::<u64>() + images * super::images::IMAGE_TOKENS;
            (tokens, cache.map(|c| c.chat_blocks(messages)).unwrap_or_default())
        }
        Kind::Completion => {
            let prompt = r.prompt.as_ref().ok_or(RequestError::Missing("prompt"))?;
            (prompt_words(prompt), cache.map(|c| c.completion_blocks(prompt)).unwrap_or_default())
        }
    };
    let max_tokens = match r.max_completion_tokens.or(r.max_tokens) {
        Some(n) if n == 0 || n > MAX_TOKENS => return Err(RequestError::MaxTokens(n)),
        Some(n) => u32::try_from(n).map_err(|_| RequestError::MaxTokens(n))?,
        None => shared.cfg.default_max_tokens,
    };
    // The model's own end of sequence comes first, unless the request ignores it.
    let (max_tokens, stop) = match shared.cfg.eos {
        Some(eos) if eos < max_tokens && r.ignore_eos != Some(true) => (eos.max(1), true),
        _ => (max_tokens, false),
    };
    let seq = shared.next_seq.fetch_add(1, Ordering::Relaxed);
    let id = match kind {
        Kind::Chat => format!("chatcmpl-mock-{seq}"),
        Kind::Completion => format!("cmpl-mock-{seq}"),
    };
    let created = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let cfg = &shared.cfg;
    // Reasoning and tool calls are chat shapes; `/v1/completions` answers in plain text.
    let chat = kind == Kind::Chat;
    let job = Job {
        kind,
        seq,
        id,
        created,
        reasoning: if chat { cfg.reasoning.min(max_tokens) } else { 0 },
        tool: if chat { r.tool_to_call(cfg.tool_steps) } else { None },
        // With a prefix cache, the cache says, when the request is scheduled.
        cached_tokens: if cache.is_some() { None } else { cfg.cached_tokens },
        blocks,
        tokens_per_chunk: cfg.tokens_per_chunk.max(1),
        model: r.model.unwrap_or_else(|| MODEL.to_string()),
        max_tokens,
        stop,
        prompt_tokens,
        include_usage: r.stream_options.unwrap_or_default().include_usage.unwrap_or(false),
    };
    Ok((job, r.stream.unwrap_or(false)))
}

/// Approximate prompt tokens of one chat message: words of its text content.
fn message_words(message: &serde_json::Value) -> u64 {
    match message.get("content") {
        Some(serde_json::Value::String(s)) => words(s),
        // Multi-part content: count the text parts.
        Some(serde_json::Value::Array(parts)) => {
            parts.iter().filter_map(|p| p.get("text").and_then(|t| t.as_str())).map(words).sum()
        }
        _ => 0,
    }
}

/// Approximate prompt tokens of a completions `prompt` (or an embeddings `input`): a string, strings, token ids, or lists of ids.
pub(super) fn prompt_words(prompt: &serde_json::Value) -> u64 {
    match prompt {
        serde_json::Value::String(s) => words(s),
        serde_json::Value::Array(items) => items
            .iter()
            .map(|item| match item {
                serde_json::Value::String(s) => words(s),
                serde_json::Value::Number(_) => 1,
                serde_json::Value::Array(ids) => ids.len() as u64,
                _ => 0,
            })
            .sum(),
        _ => 0,
    }
}

fn words(s: &str) -> u64 {
    s.split_whitespace().count() as u64
}

fn finish(guard: RequestGuard, resp: Response<MockBody>) -> Response<MockBody> {
    guard.finish();
    resp
}

/// A request's model against the served ones: any (or none) when none are configured.
pub(super) fn check_model(served: &[String], model: Option<&str>) -> Result<(), RequestError> {
    match model {
        _ if served.is_empty() => Ok(()),
        None => Err(RequestError::Missing("model")),
        Some(m) if served.iter().any(|s| s == m) => Ok(()),
        Some(m) => Err(RequestError::UnknownModel(m.to_string())),
    }
}

/// The simulated server's version: the runner's own, which built it.
pub(super) const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The `Server` header of every answer: `runner-mock/VERSION`.
pub(super) fn server_header() -> HeaderValue {
    HeaderValue::from_static(concat!("runner-mock/", env!("CARGO_PKG_VERSION")))
}

/// `/v1/models`: the configured models, or the one default.
fn models(served: &[String]) -> Response<MockBody> {
    let ids: Vec<&str> =
        if served.is_empty() { vec![MODEL] } else { served.iter().map(String::as_str).collect() };
    let data: Vec<serde_json::Value> = ids
        .iter()
        .map(|id| serde_json::json!({ "id": id, "object": "model", "created": 0, "owned_by": "runner" }))
        .collect();
    let body = serde_json::json!({ "object": "list", "data": data });
    json_response(StatusCode::OK, Bytes::from(body.to_string()))
}

fn text_response(status: StatusCode, text: &'static str) -> Response<MockBody> {
    let mut resp = Response::new(MockBody::Full(Full::new(Bytes::from_static(text.as_bytes()))));
    *resp.status_mut() = status;
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    resp
}

pub(super) fn json_response(status: StatusCode, body: Bytes) -> Response<MockBody> {
    let mut resp = Response::new(MockBody::Full(Full::new(body)));
    *resp.status_mut() = status;
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}
