//! The run's newest telemetry: GPU utilisation, memory, temperature and power, and the server's
//! queue, as sampled by the host (`runner play --telemetry ...`).

use crate::bindings::runner::scenario::gpu as raw;

pub use raw::GpuSample;

/// The newest sample of every device and server the run watches; empty without `--telemetry`.
pub fn latest() -> Vec<GpuSample> {
    raw::latest()
}

/// The highest memory in use on any device, in MiB, when a source reports memory.
pub fn max_memory_used_mib() -> Option<f64> {
    latest().iter().filter_map(|s| s.memory_used_mib).reduce(f64::max)
}
