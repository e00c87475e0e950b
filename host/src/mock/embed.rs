//! `/v1/embeddings`: one vector per text, unit length, the same for the same text whatever the
//! request (a real model's property that caching tests rely on), `dim` long. The answer takes a
//! generation slot and is ready `ttft + (input tokens) × itl / 100` after getting it: an
//! embedding is one prefill, which goes about a hundred times as fast per token as decoding.

use std::fmt::Write;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use hyper::Request;
use hyper::body::Incoming;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Deserialize;
use serde_json::Value;

use super::Shared;
use super::api::{MODEL, RequestError, check_model, prompt_words, read_json};
use super::generate::acquire_slot;

/// Input tokens that cost one inter-token latency.
const TOKENS_PER_ITL: u32 = 100;

/// The fields of an embeddings request the mock reads.
#[derive(Debug, Deserialize)]
struct EmbedRequest {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    input: Option<Value>,
    #[serde(default)]
    encoding_format: Option<String>,
}

/// Reads, checks and answers one embeddings request (the whole JSON body).
pub(super) async fn answer(shared: &Arc<Shared>, req: Request<Incoming>) -> Result<Bytes, RequestError> {
    let r: EmbedRequest = read_json(req).await?;
    check_model(&shared.cfg.models, r.model.as_deref())?;
    let input = r.input.ok_or(RequestError::Missing("input"))?;
    let texts = texts(&input)?;
    let base64 = match r.encoding_format.as_deref() {
        None | Some("float") => false,
        Some("base64") => true,
        Some(other) => {
            let why = format!("encoding_format must be float or base64, got {other:?}");
            return Err(RequestError::Invalid("encoding_format", why));
        }
    };
    let tokens: u64 = texts.iter().map(|t| prompt_words(t)).sum();
    shared.seen.embedding_inputs.fetch_add(texts.len() as u64, Ordering::Relaxed);
    let _slot = acquire_slot(shared).await;
    let per_token = shared.cfg.itl / TOKENS_PER_ITL;
    let delay =
        shared.cfg.ttft.saturating_add(per_token.saturating_mul(u32::try_from(tokens).unwrap_or(u32::MAX)));
    tokio::time::sleep(delay).await;
    let mut body = String::from(r#"{"object":"list","data":["#);
    for (i, text) in texts.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        let v = vector(text, shared.cfg.embedding_dim);
        let _ = write!(body, r#"{{"object":"embedding","index":{i},"embedding":"#);
        if base64 {
            let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
            let _ = write!(body, "\"{}\"}}", STANDARD.encode(bytes));
        } else {
            let numbers: Vec<String> = v.iter().map(|x| format!("{x:.6}")).collect();
            let _ = write!(body, "[{}]}}", numbers.join(","));
        }
    }
    let model = serde_json::to_string(r.model.as_deref().unwrap_or(MODEL)).unwrap_or_else(|_| "\"\"".into());
    let _ =
        write!(body, r#"],"model":{model},"usage":{{"prompt_tokens":{tokens},"total_tokens":{tokens}}}}}"#);
    Ok(Bytes::from(body))
}

/// The texts of `input`: a string, a list of strings, token ids (one text) or lists of ids.
fn texts(input: &Value) -> Result<Vec<&Value>, RequestError> {
    let invalid = |why: &str| Err(RequestError::Invalid("input", why.to_string()));
    match input {
        Value::String(_) => Ok(vec![input]),
        Value::Array(list) if list.is_empty() => invalid("input must not be empty"),
        Value::Array(list) if list.iter().all(Value::is_number) => Ok(vec![input]),
        Value::Array(list)
            if list.iter().all(|v| {
                v.is_string() || v.as_array().is_some_and(|ids| ids.iter().all(Value::is_number))
            }) =>
        {
            Ok(list.iter().collect())
        }
        _ => invalid("input must be a string, a list of strings, token ids or lists of token ids"),
    }
}

/// The unit vector of `text`: `dim` numbers drawn from a generator seeded by the text's hash.
fn vector(text: &Value, dim: u32) -> Vec<f32> {
    // FNV-1a: stable across runs and builds, unlike the standard library's hasher.
    let hash = text
        .to_string()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    let mut rng = StdRng::seed_from_u64(hash);
    let mut v: Vec<f32> = (0..dim).map(|_| rng.random_range(-1.0f32..1.0)).collect();
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}
