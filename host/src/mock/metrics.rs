//! `runner mock --metrics`: Prometheus text pages read from the server's real state, so telemetry
//! scrapes can be tested against known behaviour.
//!
//! `/metrics` is shaped like vLLM's:
//! - `vllm:num_requests_running`: requests holding a generation slot (with unlimited capacity:
//!   requests in flight minus those waiting, minus this scrape itself).
//! - `vllm:num_requests_waiting`: generation requests queued for a slot.
//! - `vllm:kv_cache_usage_perc`: running / capacity, a fraction as vLLM publishes it; left out
//!   with unlimited capacity, where there is no cache size to be a fraction of.
//! - `vllm:time_to_first_token_seconds`, `vllm:inter_token_latency_seconds`,
//!   `vllm:request_queue_time_seconds`: histograms (vLLM's bucket bounds) of the delays the mock
//!   actually produced, measured from each request's arrival as vLLM measures them.
//! - `vllm:num_preemptions_total`: always 0 (the mock never preempts).
//! - `vllm:prefix_cache_queries_total`, `vllm:prefix_cache_hits_total`: prompt tokens looked up
//!   in and found in the prefix cache, as vLLM v1 counts them; only with a prefix cache (see the
//!   `prefix_cache` module).
//!
//! Then the `runner_mock_*` series of what requests carried (see the `seen` module).
//!
//! `/slots` is shaped like llama.cpp's: one entry per slot, `is_processing` for those in use.
//!
//! `/metrics/dcgm` is shaped like NVIDIA's DCGM exporter, with values that follow the load: one
//! GPU whose utilisation is 100 % while any request runs, whose SM activity is the share of busy
//! slots, and whose memory, clock, temperature and power rise with it (see [`dcgm`]).

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Response, StatusCode};

use super::Shared;
use super::api::MockBody;

/// The model name the page's series carry, as vLLM labels them.
const MODEL: &str = "mock";

/// vLLM's bucket bounds (seconds) for time to first token.
const TTFT_BOUNDS: &[f64] = &[
    0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0,
    80.0, 160.0, 640.0, 2560.0,
];
/// vLLM's bucket bounds (seconds) for inter-token latency.
const ITL_BOUNDS: &[f64] = &[
    0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0,
];
/// vLLM's bucket bounds (seconds) for request-level times such as the queue time.
const QUEUE_BOUNDS: &[f64] = &[
    0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0,
    960.0, 1920.0, 7680.0,
];

/// One lock-free histogram: a count per bucket (not cumulative; summed when rendered), the
/// observations' count and their sum in nanoseconds.
#[derive(Debug)]
pub(super) struct Histogram {
    bounds: &'static [f64],
    /// One per bound, then the `+Inf` bucket.
    buckets: Vec<AtomicU64>,
    count: AtomicU64,
    sum_ns: AtomicU64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Histogram {
        Histogram {
            bounds,
            buckets: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            count: AtomicU64::new(0),
            sum_ns: AtomicU64::new(0),
        }
    }

    /// Records one observation.
    pub(super) fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        let at = self.bounds.partition_point(|&le| le < secs);
        if let Some(bucket) = self.buckets.get(at) {
            bucket.fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_ns.fetch_add(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    fn render(&self, page: &mut String, name: &str, help: &str) {
        let _ = writeln!(page, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (i, bucket) in self.buckets.iter().enumerate() {
            cumulative += bucket.load(Ordering::Relaxed);
            let le = self.bounds.get(i).map_or_else(|| "+Inf".to_string(), |b| b.to_string());
            let _ = writeln!(page, "{name}_bucket{{le=\"{le}\",model_name=\"{MODEL}\"}} {cumulative}");
        }
        let sum = self.sum_ns.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(page, "{name}_sum{{model_name=\"{MODEL}\"}} {sum}");
        let _ =
            writeln!(page, "{name}_count{{model_name=\"{MODEL}\"}} {}", self.count.load(Ordering::Relaxed));
    }
}

/// The delays the mock produced, as vLLM's histograms count them.
#[derive(Debug)]
pub(super) struct Observed {
    /// Arrival to first token (queue time included).
    pub ttft: Histogram,
    /// Between consecutive tokens of a stream.
    pub itl: Histogram,
    /// Arrival to getting a slot.
    pub queue: Histogram,
}

impl Default for Observed {
    fn default() -> Self {
        Observed {
            ttft: Histogram::new(TTFT_BOUNDS),
            itl: Histogram::new(ITL_BOUNDS),
            queue: Histogram::new(QUEUE_BOUNDS),
        }
    }
}

/// Requests holding a slot now (with unlimited capacity: in flight, not waiting, not this scrape).
fn running(shared: &Shared) -> u64 {
    let waiting = shared.counters.waiting.load(Ordering::Relaxed);
    let in_flight = shared.counters.in_flight.load(Ordering::Relaxed);
    match &shared.slots {
        Some(slots) => shared.cfg.capacity.saturating_sub(slots.available_permits()) as u64,
        None => in_flight.saturating_sub(waiting).saturating_sub(1),
    }
}

/// Renders the vLLM page from the counters as of now.
pub(super) fn render(shared: &Shared) -> String {
    let waiting = shared.counters.waiting.load(Ordering::Relaxed);
    let running = running(shared);
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
    let _ = write!(
        page,
        "# HELP vllm:num_preemptions_total Cumulative number of preemption from the engine.\n\
         # TYPE vllm:num_preemptions_total counter\n\
         vllm:num_preemptions_total{{model_name=\"{MODEL}\",engine=\"0\"}} 0\n"
    );
    let seen = &shared.observed;
    seen.ttft.render(
        &mut page,
        "vllm:time_to_first_token_seconds",
        "Histogram of time to first token in seconds.",
    );
    seen.itl.render(
        &mut page,
        "vllm:inter_token_latency_seconds",
        "Histogram of inter-token latency in seconds.",
    );
    seen.queue.render(
        &mut page,
        "vllm:request_queue_time_seconds",
        "Histogram of time spent in WAITING phase for request.",
    );
    if let Some(cache) = &shared.prefix_cache {
        cache.render(&mut page, MODEL);
    }
    shared.seen.render(&mut page);
    page
}

/// The simulated GPU's readings at a given share of busy slots (`busy`, 0…1) and running count.
pub(super) struct Gpu {
    /// `DCGM_FI_DEV_GPU_UTIL`, %: 100 while any request runs, as a real GPU reports a busy kernel.
    pub util: f64,
    /// `DCGM_FI_PROF_SM_ACTIVE`, ratio: the share of busy slots.
    pub sm_active: f64,
    /// `DCGM_FI_DEV_FB_USED`, MiB: 16 GiB of weights plus 512 MiB of KV cache per running request.
    pub fb_used: f64,
    /// `DCGM_FI_DEV_SM_CLOCK`, MHz: idle 210, busy 1410.
    pub sm_clock: f64,
    /// `DCGM_FI_DEV_GPU_TEMP`, °C: 40 + 30 × busy.
    pub temp: f64,
    /// `DCGM_FI_DEV_POWER_USAGE`, W: 100 + 300 × busy.
    pub power: f64,
}

/// The simulated GPU's total memory, MiB.
const FB_TOTAL_MIB: f64 = 81920.0;

/// The GPU readings for a load of `running` requests on `capacity` slots (0: unlimited, where any
/// running request makes the GPU fully busy).
pub(super) fn dcgm(running: u64, capacity: usize) -> Gpu {
    let busy = match capacity {
        0 => f64::from(u8::from(running > 0)),
        c => (running as f64 / c as f64).min(1.0),
    };
    Gpu {
        util: if running > 0 { 100.0 } else { 0.0 },
        sm_active: busy,
        fb_used: 16384.0 + 512.0 * running as f64,
        sm_clock: if running > 0 { 1410.0 } else { 210.0 },
        temp: 40.0 + 30.0 * busy,
        power: 100.0 + 300.0 * busy,
    }
}

/// Renders the DCGM-exporter page as of now.
pub(super) fn render_dcgm(shared: &Shared) -> String {
    let g = dcgm(running(shared), shared.cfg.capacity);
    let labels = r#"gpu="0",UUID="GPU-00000000-0000-0000-0000-000000000000",device="nvidia0",modelName="Mock GPU",Hostname="mock""#;
    let mut page = String::new();
    for (name, kind, value) in [
        ("DCGM_FI_DEV_SM_CLOCK", "gauge", g.sm_clock),
        ("DCGM_FI_DEV_GPU_TEMP", "gauge", g.temp),
        ("DCGM_FI_DEV_POWER_USAGE", "gauge", g.power),
        ("DCGM_FI_DEV_GPU_UTIL", "gauge", g.util),
        ("DCGM_FI_DEV_FB_FREE", "gauge", FB_TOTAL_MIB - g.fb_used),
        ("DCGM_FI_DEV_FB_USED", "gauge", g.fb_used),
        ("DCGM_FI_PROF_SM_ACTIVE", "gauge", g.sm_active),
    ] {
        let _ = write!(page, "# HELP {name} {name}\n# TYPE {name} {kind}\n{name}{{{labels}}} {value}\n");
    }
    page
}

/// llama.cpp's `/slots` as of now: one entry per slot (with unlimited capacity, one per running
/// request), the first `running` processing. The mock does not count tokens per slot, so the
/// entries carry no `n_decoded` rather than a made-up one.
pub(super) fn render_slots(shared: &Shared) -> String {
    let running = running(shared);
    let total = if shared.cfg.capacity > 0 { shared.cfg.capacity as u64 } else { running };
    let slots: Vec<String> = (0..total)
        .map(|id| format!(r#"{{"id":{id},"id_task":-1,"n_ctx":4096,"is_processing":{}}}"#, id < running))
        .collect();
    format!("[{}]", slots.join(","))
}

/// Which page a scrape asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Page {
    /// `/metrics`, vLLM-shaped.
    Vllm,
    /// `/metrics/dcgm`, DCGM-exporter-shaped.
    Dcgm,
    /// `/slots`, llama.cpp-shaped JSON.
    Slots,
}

/// The response for one of the pages.
pub(super) fn response(shared: &Shared, page: Page) -> Response<MockBody> {
    let (body, content_type) = match page {
        Page::Vllm => (render(shared), "text/plain; version=0.0.4; charset=utf-8"),
        Page::Dcgm => (render_dcgm(shared), "text/plain; version=0.0.4; charset=utf-8"),
        Page::Slots => (render_slots(shared), "application/json"),
    };
    let mut resp = Response::new(MockBody::Full(Full::new(Bytes::from(body))));
    *resp.status_mut() = StatusCode::OK;
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_land_in_vllms_buckets_cumulatively() {
        let h = Histogram::new(TTFT_BOUNDS);
        h.observe(Duration::from_millis(45));
        h.observe(Duration::from_millis(60));
        h.observe(Duration::from_secs(5000));
        let mut page = String::new();
        h.render(&mut page, "t", "h");
        assert!(page.contains("t_bucket{le=\"0.04\",model_name=\"mock\"} 0\n"), "{page}");
        assert!(page.contains("t_bucket{le=\"0.06\",model_name=\"mock\"} 2\n"), "60 ms is ≤ 0.06: {page}");
        assert!(page.contains("t_bucket{le=\"2560\",model_name=\"mock\"} 2\n"), "{page}");
        assert!(page.contains("t_bucket{le=\"+Inf\",model_name=\"mock\"} 3\n"), "{page}");
        assert!(page.contains("t_count{model_name=\"mock\"} 3\n"), "{page}");
        assert!(page.contains("t_sum{model_name=\"mock\"} 5000.105\n"), "{page}");
    }

    #[test]
    fn the_gpu_follows_the_load() {
        let idle = dcgm(0, 4);
        assert_eq!((idle.util, idle.sm_active, idle.sm_clock), (0.0, 0.0, 210.0));
        let half = dcgm(2, 4);
        assert_eq!((half.util, half.sm_active, half.fb_used), (100.0, 0.5, 17408.0));
        assert_eq!(dcgm(9, 4).sm_active, 1.0);
        assert_eq!(dcgm(3, 0).sm_active, 1.0, "unlimited capacity: any request saturates");
    }
}
