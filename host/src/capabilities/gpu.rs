//! `runner:scenario/gpu`: the newest telemetry sample of every device, for scenarios that react
//! to the GPU (stop a ramp when memory passes a bound). Read from the telemetry sampler's store
//! ([`crate::telemetry::Latest`]): one entry per source and device, absent figures as `none`.

use runner_reports::timeseries::TelemetrySample;

use super::HostState;
use crate::bindings::runner::scenario::gpu::{GpuSample, Host};

/// A store reading as the guest sees it. A source's whole reading (a Prometheus scrape, which
/// has no device of its own) is device `all`.
fn to_guest(r: TelemetrySample) -> GpuSample {
    let field = |name: &str| r.fields.get(name).copied();
    GpuSample {
        utilization_percent: field("gpu_util_pct"),
        memory_used_mib: field("memory_used_mib"),
        memory_total_mib: field("memory_total_mib"),
        temperature_c: field("temperature_c"),
        power_w: field("power_w"),
        requests_running: field("running"),
        requests_waiting: field("waiting"),
        kv_cache_percent: field("kv_cache_pct"),
        at_ms: r.t_ms as f64,
        device: r.device.unwrap_or_else(|| "all".to_string()),
        source: r.source,
    }
}

impl Host for HostState {
    async fn latest(&mut self) -> wasmtime::Result<Vec<GpuSample>> {
        Ok(self.run.telemetry.snapshot().into_iter().map(to_guest).collect())
    }
}
