//! The `nvml` source: local NVIDIA GPUs through nvml-wrapper, which loads libnvidia-ml at run
//! time (so the binary runs, and says "nvml unavailable", on machines without the driver).

use std::path::Path;

use nvml_wrapper::Nvml;
use nvml_wrapper::enum_wrappers::device::{Clock, TemperatureSensor};
use nvml_wrapper::enums::device::UsedGpuMemory;

use super::{Sample, TelemetryError};

const MIB: f64 = 1024.0 * 1024.0;

/// An initialised NVML with at least one device.
pub struct NvmlSource {
    nvml: Nvml,
    devices: u32,
}

impl NvmlSource {
    /// Loads NVML (from `lib` when given, else the system's `libnvidia-ml.so`) and initialises it.
    /// Fails when the library is missing, `nvmlInit` fails, or there is no GPU.
    pub fn open(lib: Option<&Path>) -> Result<NvmlSource, TelemetryError> {
        let mut builder = Nvml::builder();
        if let Some(path) = lib {
            builder.lib_path(path.as_os_str());
        }
        let nvml = builder.init().map_err(|e| TelemetryError::Nvml(e.to_string()))?;
        let devices = nvml.device_count().map_err(|e| TelemetryError::Nvml(e.to_string()))?;
        if devices == 0 {
            return Err(TelemetryError::Nvml("no NVIDIA GPU present".to_string()));
        }
        Ok(NvmlSource { nvml, devices })
    }

    /// How many devices are sampled.
    pub fn devices(&self) -> u32 {
        self.devices
    }

    /// Reads every device once; each device's sample, by index. Utilisation and memory are
    /// required; temperature, power, SM clock and the compute processes' memory are left absent
    /// where the driver does not support them (or the library does not export the function:
    /// nvml-wrapper then answers with an error, not a crash).
    pub fn read_devices(&self) -> Result<Vec<Sample>, TelemetryError> {
        let fail = |e: nvml_wrapper::error::NvmlError| TelemetryError::Nvml(e.to_string());
        let mut devices = Vec::with_capacity(self.devices as usize);
        for index in 0..self.devices {
            let device = self.nvml.device_by_index(index).map_err(fail)?;
            let memory = device.memory_info().map_err(fail)?;
            let process_memory = device.running_compute_processes().ok().map(|processes| {
                // A process whose memory the driver cannot tell (WDDM) adds nothing; the figure
                // is the sum of what could be told.
                let bytes: u64 = processes
                    .iter()
                    .map(|p| match p.used_gpu_memory {
                        UsedGpuMemory::Used(b) => b,
                        UsedGpuMemory::Unavailable => 0,
                    })
                    .sum();
                bytes as f64 / MIB
            });
            devices.push(Sample {
                gpu_util_pct: Some(f64::from(device.utilization_rates().map_err(fail)?.gpu)),
                memory_used_mib: Some(memory.used as f64 / MIB),
                memory_total_mib: Some(memory.total as f64 / MIB),
                temperature_c: device.temperature(TemperatureSensor::Gpu).ok().map(f64::from),
                power_w: device.power_usage().ok().map(|mw| f64::from(mw) / 1000.0),
                sm_clock_mhz: device.clock_info(Clock::SM).ok().map(f64::from),
                process_memory_mib: process_memory,
                ..Sample::default()
            });
        }
        Ok(devices)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_library_is_a_clean_error() {
        let err = NvmlSource::open(Some(Path::new("/nonexistent/libnvidia-ml.so"))).err();
        assert!(matches!(err, Some(TelemetryError::Nvml(_))), "{err:?}");
        assert!(err.is_some_and(|e| e.to_string().starts_with("nvml unavailable: ")));
    }
}
