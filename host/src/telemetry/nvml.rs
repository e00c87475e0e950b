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

    /// Reads every device once: utilisation averaged, memory and power summed, temperature max,
    /// SM clock averaged, the compute processes' memory summed. Utilisation and memory are
    /// required; the rest are left absent where the driver does not support them (or the library
    /// does not export the function: nvml-wrapper then answers with an error, not a crash).
    pub fn read(&self) -> Result<Sample, TelemetryError> {
        let fail = |e: nvml_wrapper::error::NvmlError| TelemetryError::Nvml(e.to_string());
        let (mut util, mut used, mut total) = (0.0, 0.0, 0.0);
        let (mut temperature, mut power): (Option<f64>, Option<f64>) = (None, None);
        let (mut clock_sum, mut clocks) = (0.0, 0u32);
        let mut process_memory: Option<f64> = None;
        for index in 0..self.devices {
            let device = self.nvml.device_by_index(index).map_err(fail)?;
            util += f64::from(device.utilization_rates().map_err(fail)?.gpu);
            let memory = device.memory_info().map_err(fail)?;
            used += memory.used as f64 / MIB;
            total += memory.total as f64 / MIB;
            if let Ok(t) = device.temperature(TemperatureSensor::Gpu) {
                temperature = Some(temperature.map_or(f64::from(t), |m: f64| m.max(f64::from(t))));
            }
            if let Ok(milliwatts) = device.power_usage() {
                power = Some(power.unwrap_or(0.0) + f64::from(milliwatts) / 1000.0);
            }
            if let Ok(mhz) = device.clock_info(Clock::SM) {
                clock_sum += f64::from(mhz);
                clocks += 1;
            }
            if let Ok(processes) = device.running_compute_processes() {
                // A process whose memory the driver cannot tell (WDDM) adds nothing, but the
                // figure is still known to be the sum of what could be told.
                let bytes: u64 = processes
                    .iter()
                    .map(|p| match p.used_gpu_memory {
                        UsedGpuMemory::Used(b) => b,
                        UsedGpuMemory::Unavailable => 0,
                    })
                    .sum();
                process_memory = Some(process_memory.unwrap_or(0.0) + bytes as f64 / MIB);
            }
        }
        Ok(Sample {
            gpu_util_pct: Some(util / f64::from(self.devices)),
            memory_used_mib: Some(used),
            memory_total_mib: Some(total),
            temperature_c: temperature,
            power_w: power,
            sm_clock_mhz: (clocks > 0).then(|| clock_sum / f64::from(clocks)),
            process_memory_mib: process_memory,
            ..Sample::default()
        })
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
