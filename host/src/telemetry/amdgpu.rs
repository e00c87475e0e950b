//! The `amdgpu` source: AMD GPUs through the kernel driver's sysfs files, no library needed.
//! Under the root (`/sys/class/drm`, or `--amdgpu-root DIR`), every `cardN/device` folder with a
//! `gpu_busy_percent` is a GPU; per device it reads `gpu_busy_percent` (%), `mem_info_vram_used`
//! and `mem_info_vram_total` (bytes), and from `hwmon/hwmon*/`: `temp1_input` (m°C, the edge
//! sensor) and `power1_average` (µW). A file that is missing or unreadable leaves its figure absent.

use std::path::{Path, PathBuf};

use super::{Sample, TelemetryError};

/// Where the kernel lists DRM devices.
pub const DEFAULT_ROOT: &str = "/sys/class/drm";

const MIB: f64 = 1024.0 * 1024.0;

/// The AMD GPUs found under a root.
pub struct AmdgpuSource {
    devices: Vec<PathBuf>,
}

impl AmdgpuSource {
    /// Finds the GPUs under `root`; fails when there is none (no amdgpu driver, another vendor).
    pub fn open(root: &Path) -> Result<AmdgpuSource, TelemetryError> {
        let fail = |why: String| TelemetryError::Amdgpu(why);
        let entries =
            std::fs::read_dir(root).map_err(|e| fail(format!("cannot list {}: {e}", root.display())))?;
        let mut cards: Vec<(u32, PathBuf)> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                // `card0` is a GPU; `card0-DP-1` is one of its connectors.
                let index: u32 = name.strip_prefix("card")?.parse().ok()?;
                let device = e.path().join("device");
                device.join("gpu_busy_percent").is_file().then_some((index, device))
            })
            .collect();
        if cards.is_empty() {
            return Err(fail(format!(
                "no AMD GPU under {} (no card*/device/gpu_busy_percent)",
                root.display()
            )));
        }
        cards.sort();
        Ok(AmdgpuSource { devices: cards.into_iter().map(|(_, d)| d).collect() })
    }

    /// How many devices are sampled.
    pub fn devices(&self) -> usize {
        self.devices.len()
    }

    /// Reads every device once; each device's sample, in card order.
    pub fn read_devices(&self) -> Result<Vec<Sample>, TelemetryError> {
        Ok(self.devices.iter().map(|d| read_device(d)).collect())
    }
}

/// A sysfs value: one number, surrounded by whitespace.
fn number(path: &Path) -> Option<f64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// The first `hwmon/hwmon*/<file>` that holds a number.
fn hwmon(device: &Path, file: &str) -> Option<f64> {
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(device.join("hwmon")).ok()?.filter_map(Result::ok).map(|e| e.path()).collect();
    dirs.sort();
    dirs.iter().find_map(|d| number(&d.join(file)))
}

fn read_device(device: &Path) -> Sample {
    Sample {
        gpu_util_pct: number(&device.join("gpu_busy_percent")),
        memory_used_mib: number(&device.join("mem_info_vram_used")).map(|b| b / MIB),
        memory_total_mib: number(&device.join("mem_info_vram_total")).map(|b| b / MIB),
        temperature_c: hwmon(device, "temp1_input").map(|m| m / 1000.0),
        power_w: hwmon(device, "power1_average").map(|uw| uw / 1e6),
        ..Sample::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes a fake sysfs card: `card<index>/device/...`.
    pub(crate) fn fake_card(root: &Path, index: u32, busy: &str, used_mib: u64, temp_mc: Option<u32>) {
        let device = root.join(format!("card{index}")).join("device");
        let write = |p: PathBuf, v: String| {
            std::fs::create_dir_all(p.parent().unwrap_or(root))
                .and_then(|_| std::fs::write(p, v))
                .expect("write")
        };
        write(device.join("gpu_busy_percent"), format!("{busy}\n"));
        write(device.join("mem_info_vram_used"), format!("{}\n", used_mib * 1024 * 1024));
        write(device.join("mem_info_vram_total"), format!("{}\n", 24576u64 * 1024 * 1024));
        if let Some(t) = temp_mc {
            write(device.join("hwmon/hwmon3/temp1_input"), format!("{t}\n"));
        }
    }

    #[test]
    fn reads_a_fake_tree_and_skips_connectors() {
        let dir = tempfile::tempdir().expect("tempdir");
        fake_card(dir.path(), 1, "40", 2048, Some(61000));
        fake_card(dir.path(), 0, "80", 1024, None);
        std::fs::create_dir_all(dir.path().join("card0-DP-1")).expect("connector");
        let src = AmdgpuSource::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(src.devices(), 2);
        let d = src.read_devices().unwrap_or_default();
        assert_eq!(
            (d[0].gpu_util_pct, d[0].memory_used_mib, d[0].temperature_c),
            (Some(80.0), Some(1024.0), None)
        );
        assert_eq!((d[1].gpu_util_pct, d[1].temperature_c), (Some(40.0), Some(61.0)));
        assert_eq!(d[1].memory_total_mib, Some(24576.0));
    }

    #[test]
    fn no_card_is_a_clean_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = AmdgpuSource::open(dir.path()).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.starts_with("amdgpu unavailable: no AMD GPU under "), "{err}");
        assert!(AmdgpuSource::open(Path::new("/nonexistent/drm")).is_err());
    }
}
