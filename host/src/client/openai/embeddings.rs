//! One embeddings call (`/v1/embeddings`): a batch of texts out, one vector per text back, timed
//! like a non-streamed completion (E2E to the last byte of the body, from the instant the request
//! was handed to hyper). The vectors themselves are counted and measured, never kept: a batch of
//! large vectors is megabytes of JSON, and a benchmark needs only how many came back and how long
//! they are.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde_json::{Map, Value, json};

use super::super::http::{Connections, RequestHeaders, TargetHeaders};
use super::body::{api_url, merge_extra, request_headers};
use super::{LlmError, excerpt, json_headers, malformed, post_json, read_whole_body};
use crate::error_class::ErrorClass;

/// The most texts one call may carry (OpenAI's limit for one `input` list).
pub const MAX_BATCH: u32 = 2048;

/// The largest embeddings answer read: a batch of large vectors is far bigger than a completion.
const MAX_EMBEDDINGS_BODY: usize = 64 * 1024 * 1024;

/// What to send.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EmbeddingRequest {
    /// The model name; `None` leaves the field out.
    pub model: Option<String>,
    /// The texts, sent as one `input` list (at least one, at most [`MAX_BATCH`]).
    pub inputs: Vec<String>,
    /// A JSON object whose fields override the built body.
    pub extra_body: Option<String>,
    /// This request's own headers, as for a completion.
    pub headers: RequestHeaders,
    /// Per-call timeout; `None` uses the client's default.
    pub timeout: Option<Duration>,
}

/// A finished embeddings call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Embeddings {
    /// The HTTP status (2xx).
    pub status: u16,
    /// Time to the last byte of the body.
    pub e2e: Duration,
    /// `usage.prompt_tokens`, when sent.
    pub input_tokens: Option<u32>,
    /// Vectors returned.
    pub vectors: u32,
    /// The length of the first vector; 0 when none came back or it was sent as base64 text.
    pub dimensions: u32,
}

/// The JSON body: `model`, `input` (always a list, even of one text), then `extra_body`'s fields.
pub fn embeddings_body(req: &EmbeddingRequest) -> Result<Value, LlmError> {
    let invalid = |why: String| LlmError::new(ErrorClass::InvalidRequest, None, why);
    if req.inputs.is_empty() {
        return Err(invalid("an embeddings request needs at least one input text".into()));
    }
    if req.inputs.len() > MAX_BATCH as usize {
        return Err(invalid(format!(
            "{} input texts, more than {MAX_BATCH} in one request",
            req.inputs.len()
        )));
    }
    let mut body = Map::new();
    if let Some(model) = &req.model {
        body.insert("model".into(), json!(model));
    }
    body.insert("input".into(), json!(req.inputs));
    merge_extra(&mut body, req.extra_body.as_deref())?;
    Ok(Value::Object(body))
}

/// Makes one embeddings call to `base_url` with the run's `headers` and measures it.
pub async fn embed(
    conns: Connections<'_>,
    base_url: &str,
    headers: &TargetHeaders,
    req: &EmbeddingRequest,
) -> Result<Embeddings, LlmError> {
    let body = embeddings_body(req)?;
    let headers = request_headers(headers, &json_headers("application/json"), &req.headers)?;
    let mut resp = post_json(conns, api_url(base_url, "embeddings"), headers, &body, req.timeout).await?;
    let status = Some(resp.status());
    let (body, last_byte) = read_whole_body(&mut resp, MAX_EMBEDDINGS_BODY).await?;
    let answer: Answer = serde_json::from_slice(&body)
        .map_err(|e| malformed(status, format!("body is not an embeddings answer: {e}")))?;
    if let Some(err) = answer.error.filter(|e| !e.is_null()) {
        let message = format!("the server sent an error: {}", excerpt(err.to_string().as_bytes()));
        return Err(LlmError::new(ErrorClass::ServerError, status, message));
    }
    let data = answer.data.ok_or_else(|| malformed(status, "the answer has no `data` list"))?;
    let input_tokens = match answer.usage.and_then(|u| u.prompt_tokens) {
        None => None,
        Some(n) => Some(
            u32::try_from(n)
                .map_err(|_| malformed(status, format!("usage.prompt_tokens is not a token count: {n}")))?,
        ),
    };
    Ok(Embeddings {
        status: resp.status(),
        e2e: last_byte.saturating_duration_since(resp.sent_at()),
        input_tokens,
        vectors: data.vectors,
        dimensions: data.dimensions,
    })
}

/// The fields of an answer that are read; the rest is skipped without being kept.
#[derive(Deserialize)]
struct Answer {
    data: Option<Data>,
    usage: Option<Usage>,
    error: Option<Value>,
}

#[derive(Deserialize)]
struct Usage {
    prompt_tokens: Option<u64>,
}

/// `data`: how many vectors, and the first one's length.
struct Data {
    vectors: u32,
    dimensions: u32,
}

impl<'de> Deserialize<'de> for Data {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct DataVisitor;
        impl<'de> Visitor<'de> for DataVisitor {
            type Value = Data;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of embeddings")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Data, A::Error> {
                let mut data = Data { vectors: 0, dimensions: 0 };
                while let Some(item) = seq.next_element::<Item>()? {
                    if data.vectors == 0 {
                        data.dimensions = item.embedding.0;
                    }
                    data.vectors = data.vectors.saturating_add(1);
                }
                Ok(data)
            }
        }
        d.deserialize_seq(DataVisitor)
    }
}

/// One entry of `data`.
#[derive(Deserialize)]
struct Item {
    embedding: Dimensions,
}

/// A vector's length: the numbers of a list, counted without keeping them, or 0 for a vector
/// sent as base64 text (`encoding_format: "base64"`), whose length the host does not decode.
struct Dimensions(u32);

impl<'de> Deserialize<'de> for Dimensions {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct DimensionsVisitor;
        impl<'de> Visitor<'de> for DimensionsVisitor {
            type Value = Dimensions;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a vector (a list of numbers, or base64 text)")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Dimensions, A::Error> {
                let mut n: u32 = 0;
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    n = n.saturating_add(1);
                }
                Ok(Dimensions(n))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Dimensions, E> {
                Ok(Dimensions(0))
            }
        }
        d.deserialize_any(DimensionsVisitor)
    }
}

#[cfg(test)]
mod tests;
