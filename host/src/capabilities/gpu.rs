//! `runner:scenario/gpu`: the newest telemetry sample of every device, for scenarios that react
//! to the GPU (stop a ramp when memory passes a bound).

use super::HostState;
use crate::engine::bindings::runner::scenario::gpu::{GpuSample, Host};

impl Host for HostState {
    async fn latest(&mut self) -> wasmtime::Result<Vec<GpuSample>> {
        // Wired to the telemetry sampler's store in the telemetry work (issue 4).
        Ok(Vec::new())
    }
}
