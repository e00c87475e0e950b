//! The `nvml` source: local NVIDIA GPUs through nvml-wrapper, which loads libnvidia-ml at run
//! time (so the binary runs, and says "nvml unavailable", on machines without the driver).

use std::path::Path;

use nvml_wrapper::Nvml;
use nvml_wrapper::enum_wrappers::device::TemperatureSensor;

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

    /// Reads every device once: utilisation averaged, memory and power summed, temperature max.
    /// Utilisation and memory are required; temperature and power are skipped where unsupported.
    pub fn read(&self) -> Result<Sample, TelemetryError> {
        let fail = |e: nvml_wrapper::error::NvmlError| TelemetryError::Nvml(e.to_string());
        let (mut util, mut used, mut total) = (0.0, 0.0, 0.0);
        let (mut temperature, mut power): (Option<f64>, Option<f64>) = (None, None);
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
        }
        Ok(Sample {
            gpu_util_pct: Some(util / f64::from(self.devices)),
            memory_used_mib: Some(used),
            memory_total_mib: Some(total),
            temperature_c: temperature,
            power_w: power,
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
