//! `runner mock --metrics`: a Prometheus text page at `/metrics` shaped like vLLM's, read from the
//! server's real slot queue, so telemetry scrapes can be tested against known behaviour.
//!
//! - `vllm:num_requests_running`: requests holding a generation slot (with unlimited capacity:
//!   requests in flight minus those waiting, minus this scrape itself).
//! - `vllm:num_requests_waiting`: generation requests queued for a slot.
//! - `vllm:kv_cache_usage_perc`: running / capacity, a fraction as vLLM publishes it; left out
//!   with unlimited capacity, where there is no cache size to be a fraction of.

use std::fmt::Write;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Response, StatusCode};

use super::Shared;
use super::api::MockBody;

/// The model name the page's series carry, as vLLM labels them.
const MODEL: &str = "mock";

/// Renders the page from the counters as of now.
pub(super) fn render(shared: &Shared) -> String {
    let waiting = shared.counters.waiting.load(Ordering::Relaxed);
    let in_flight = shared.counters.in_flight.load(Ordering::Relaxed);
    let running = match &shared.slots {
        Some(slots) => shared.cfg.capacity.saturating_sub(slots.available_permits()) as u64,
        None => in_flight.saturating_sub(waiting).saturating_sub(1),
    };
    let mut page = String::new();
    let mut gauge = |name: &str, help: &str, value: f64| {
        let _ = write!(
            page,
            "# HELP {name} {help}\n# TYPE {name} gauge\n{name}{{model_name=\"{MODEL}\",engine=\"0\"}} {value}\n"
        );
    };
    gauge("vllm:num_requests_running", "Number of requests in model execution batches.", running as f64);
    gauge("vllm:num_requests_waiting", "Number of requests waiting to be processed.", waiting as f64);
    if shared.cfg.capacity > 0 {
        let usage = running as f64 / shared.cfg.capacity as f64;
        gauge("vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.", usage);
    }
    page
}

/// The `/metrics` response.
pub(super) fn response(shared: &Shared) -> Response<MockBody> {
    let mut resp = Response::new(MockBody::Full(Full::new(Bytes::from(render(shared)))));
    *resp.status_mut() = StatusCode::OK;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    resp
}
