//! The request side of a call: the endpoint's URL under the target, the JSON body built from
//! an [`LlmRequest`] and the headers it goes with.
//!
//! `extra_body` adds fields to the body. It may not set one the host builds from the request's
//! own fields, since those decide how the answer is read and what is recorded: `stream` and
//! `stream_options` always; `model`, and `max_tokens` / `max_completion_tokens` (one limit under
//! two names), when the request sets them; an embeddings request's `input`; and the other API's
//! prompt field (`prompt` on a chat request, `messages` on a completion). Such an `extra_body`
//! fails the call as `invalid-request`, naming the field, before anything is sent.
//!
//! One documented precedence: the API's own prompt field (`messages` for chat, `prompt` for
//! completions) given in `extra_body` is sent instead of the built one. It is how a scenario
//! sends what a WIT request cannot say: an agent loop's assistant tool calls and tool results,
//! a prompt as token ids.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::super::http::TargetHeaders;
use super::{Api, LlmError, LlmRequest};
use crate::error_class::ErrorClass;

/// One turn of a chat conversation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    /// `system`, `user` or `assistant`.
    pub role: String,
    /// The text.
    pub content: String,
    /// Image URLs (`https://` or `data:`) sent after the text as content parts. Shared: a
    /// dataset's image, read once as a `data:` URL, may be megabytes that every request sends.
    pub images: Vec<Arc<str>>,
}

impl Message {
    /// A turn of text only.
    pub fn text(role: impl Into<String>, content: impl Into<String>) -> Self {
        Message { role: role.into(), content: content.into(), images: Vec::new() }
    }
}

/// The body field that carries the answer-length limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MaxTokensField {
    /// `max_tokens`: every OpenAI-compatible server.
    #[default]
    MaxTokens,
    /// `max_completion_tokens`: OpenAI's newer name for chat.
    MaxCompletionTokens,
}

impl MaxTokensField {
    /// The field's name in the body.
    pub fn name(self) -> &'static str {
        match self {
            MaxTokensField::MaxTokens => "max_tokens",
            MaxTokensField::MaxCompletionTokens => "max_completion_tokens",
        }
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

/// Fields of a completion body the host always owns, set or not: the answer's shape (`stream`,
/// and `stream_options`, which asks for the usage counts when streaming).
const HOST_OWNED: &[&str] = &["stream", "stream_options"];

/// The JSON request body: the built fields, then `extra_body`'s fields beside them (none may
/// replace a built one; see the module's doc).
pub fn request_body(req: &LlmRequest) -> Result<Value, LlmError> {
    let mut body = Map::new();
    if let Some(model) = &req.model {
        body.insert("model".into(), json!(model));
    }
    match req.api {
        Api::Chat => {
            let messages: Vec<Value> = req.messages.iter().map(message).collect();
            body.insert("messages".into(), Value::Array(messages));
        }
        Api::Completions => {
            if req.messages.iter().any(|m| !m.images.is_empty()) {
                return Err(LlmError::new(
                    ErrorClass::InvalidRequest,
                    None,
                    "images are sent with chat requests only (api chat), not completions",
                ));
            }
            body.insert("prompt".into(), json!(req.prompt));
        }
    }
    if let Some(max) = req.max_tokens {
        body.insert(req.max_tokens_field.name().into(), json!(max));
    }
    body.insert("stream".into(), json!(req.stream));
    if req.stream {
        // Without this, most servers send no token counts when streaming.
        body.insert("stream_options".into(), json!({"include_usage": true}));
    }
    let limit: &[&str] = match req.max_tokens {
        Some(_) => &["max_tokens", "max_completion_tokens"],
        None => &[],
    };
    // The API's prompt field may be replaced (see the module's doc); the other API's may not be
    // added.
    let (prompt_field, other_api) = match req.api {
        Api::Chat => ("messages", "prompt"),
        Api::Completions => ("prompt", "messages"),
    };
    let built_prompt = body.remove(prompt_field);
    merge_extra_reserving(&mut body, req.extra_body.as_deref(), &[HOST_OWNED, limit, &[other_api]].concat())?;
    if let Some(built) = built_prompt {
        body.entry(prompt_field).or_insert(built);
    }
    Ok(Value::Object(body))
}

/// A chat message as the API takes it: `content` a plain string, or, with images, content
/// parts (the text, then one `image_url` part per image).
fn message(m: &Message) -> Value {
    if m.images.is_empty() {
        return json!({"role": m.role, "content": m.content});
    }
    let mut parts = Vec::with_capacity(1 + m.images.len());
    parts.push(json!({"type": "text", "text": m.content}));
    for url in &m.images {
        parts.push(json!({"type": "image_url", "image_url": {"url": &**url}}));
    }
    json!({"role": m.role, "content": parts})
}

/// Adds the fields of `extra` (the scenario's `extra_body`, a JSON object) to `body`; one that
/// `body` already has is refused, never silently replaced.
pub(super) fn merge_extra(body: &mut Map<String, Value>, extra: Option<&str>) -> Result<(), LlmError> {
    merge_extra_reserving(body, extra, &[])
}

/// [`merge_extra`], refusing the `reserved` fields too, whether `body` has them or not.
fn merge_extra_reserving(
    body: &mut Map<String, Value>,
    extra: Option<&str>,
    reserved: &[&str],
) -> Result<(), LlmError> {
    let Some(extra) = extra else { return Ok(()) };
    let invalid = |why: String| LlmError::new(ErrorClass::InvalidRequest, None, format!("extra_body {why}"));
    match serde_json::from_str::<Value>(extra) {
        Ok(Value::Object(fields)) => {
            if let Some(field) =
                fields.keys().find(|k| body.contains_key(*k) || reserved.contains(&k.as_str()))
            {
                return Err(invalid(format!(
                    "may not set `{field}`: the host builds it from the request's own fields \
                     (stream, model, max-tokens, the API's prompt field, inputs)"
                )));
            }
            body.extend(fields);
            Ok(())
        }
        Ok(other) => Err(invalid(format!("must be a JSON object, not {}", json_kind(&other)))),
        Err(e) => Err(invalid(format!("is not valid JSON: {e}"))),
    }
}

/// The headers of a call: the client's `own` (content type, accept), the run's, then the
/// request's, checked (an `invalid-request` that names no value; see [`TargetHeaders::layered`]).
pub(super) fn request_headers(
    run: &TargetHeaders,
    own: &[(String, String)],
    request: &[(String, String)],
) -> Result<Vec<(String, String)>, LlmError> {
    run.layered(own, request).map_err(|e| LlmError::new(ErrorClass::InvalidRequest, None, e.to_string()))
}

pub(super) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests;
