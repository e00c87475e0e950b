//! The request side of a call: the endpoint's URL under the target and the JSON body built from
//! an [`LlmRequest`].

use serde_json::{Map, Value, json};

use super::{Api, LlmError, LlmRequest};
use crate::error_class::ErrorClass;

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
