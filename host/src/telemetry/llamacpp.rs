//! The `llamacpp-slots=URL` source: llama.cpp's server dropped its KV-cache figures from
//! `/metrics`, but its `/slots` endpoint still shows each slot's state. Polled every sample:
//! slots busy (and in all), and the tokens decoded so far by the requests in the busy slots.
//!
//! Both shapes llama.cpp has served are read: `is_processing` (a boolean, current) or `state`
//! (0 idle, 1 processing, older builds), and `n_decoded` inside `next_token` (an object, or an
//! array of one in some builds) or at the slot's top level.

use serde_json::Value;

use super::prom::HttpGet;
use super::{Sample, TelemetryError};

/// A polled `/slots` endpoint.
pub struct SlotsSource {
    get: HttpGet,
}

impl SlotsSource {
    /// Checks the URL and the headers sent with it; nothing is sent until the first sample.
    pub fn new(url: &str, headers: Vec<(String, String)>) -> Result<SlotsSource, TelemetryError> {
        Ok(SlotsSource { get: HttpGet::new(url, headers)? })
    }

    /// The endpoint's URL.
    pub fn url(&self) -> &str {
        self.get.url()
    }

    /// Polls once.
    pub async fn read(&self) -> Result<Sample, TelemetryError> {
        let body = self.get.fetch().await?;
        parse(&body).map_err(|reason| TelemetryError::Scrape { url: self.url().to_string(), reason })
    }
}

/// Reads a `/slots` body: `slots_busy`, `slots_total`, `decoded_tokens` and `running` (the busy
/// slots: llama.cpp runs one request per slot).
pub fn parse(body: &[u8]) -> Result<Sample, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    let slots = value.as_array().ok_or("not a JSON array of slots (is this llama.cpp's /slots?)")?;
    let (mut busy, mut decoded) = (0u32, None::<f64>);
    for slot in slots {
        let processing = slot
            .get("is_processing")
            .and_then(Value::as_bool)
            .or_else(|| slot.get("state").and_then(Value::as_u64).map(|s| s != 0))
            .unwrap_or(false);
        if !processing {
            continue;
        }
        busy += 1;
        let next = slot.get("next_token").map(|n| n.as_array().and_then(|a| a.first()).unwrap_or(n));
        let n = next.and_then(|n| n.get("n_decoded")).or_else(|| slot.get("n_decoded"));
        if let Some(n) = n.and_then(Value::as_f64) {
            decoded = Some(decoded.unwrap_or(0.0) + n);
        }
    }
    let busy = f64::from(busy);
    Ok(Sample {
        slots_busy: Some(busy),
        slots_total: Some(slots.len() as f64),
        decoded_tokens: decoded,
        running: Some(busy),
        ..Sample::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_current_and_the_older_shapes() {
        let current = br#"[
            {"id":0,"n_ctx":4096,"is_processing":true,"next_token":{"has_next_token":true,"n_remain":-1,"n_decoded":17}},
            {"id":1,"n_ctx":4096,"is_processing":false,"next_token":{"n_decoded":99}},
            {"id":2,"n_ctx":4096,"is_processing":true,"next_token":[{"n_decoded":3}]}
        ]"#;
        let s = parse(current).unwrap_or_default();
        assert_eq!((s.slots_busy, s.slots_total, s.decoded_tokens), (Some(2.0), Some(3.0), Some(20.0)));
        assert_eq!(s.running, Some(2.0));
        let older = br#"[{"id":0,"state":1,"n_decoded":5},{"id":1,"state":0}]"#;
        let s = parse(older).unwrap_or_default();
        assert_eq!((s.slots_busy, s.slots_total, s.decoded_tokens), (Some(1.0), Some(2.0), Some(5.0)));
    }

    #[test]
    fn other_bodies_are_clear_errors() {
        let bare = parse(br#"[{"id":0,"is_processing":true}]"#).unwrap_or_default();
        assert_eq!((bare.slots_busy, bare.decoded_tokens), (Some(1.0), None), "no n_decoded: absent");
        assert!(parse(b"{\"error\":\"slots endpoint disabled\"}").is_err_and(|e| e.contains("/slots")));
        assert!(parse(b"<html>").is_err_and(|e| e.starts_with("not JSON")));
    }
}
