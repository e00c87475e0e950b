//! Telemetry on the run's clock: a background sampler that reads GPU and server
//! sources every `--sample-interval` and folds each sample into the aggregates of the phases
//! running at that instant. Memory stays bounded: one aggregate per phase, no list of samples.
//!
//! Sources live in their own modules: [`nvml`] (local NVIDIA GPUs through nvml-wrapper),
//! [`amdgpu`] (AMD GPUs through sysfs), [`prom`] (a Prometheus text endpoint: vLLM, DCGM
//! exporter, SGLang, TGI, llama.cpp) and [`llamacpp`] (llama.cpp's `/slots`). [`histogram`]
//! turns server histograms into per-phase deltas; [`keep`] is `--prom-keep`.
//! A source that is absent gives absent fields, never zeros.

mod aggregate;
pub mod amdgpu;
pub mod histogram;
pub mod keep;
pub mod llamacpp;
pub mod nvml;
pub mod prom;
#[cfg(test)]
mod prom_props;
mod sampler;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use runner_reports::model::TelemetryReport;
use runner_reports::timeseries::TelemetrySample;

pub use aggregate::{Cumulatives, PhaseAggregate};
use histogram::{Cumulative, ServerHistogram};
pub use sampler::{ActivePhases, Hooks, RecordSink, Sampler};

/// Why a `--telemetry` value or a source could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("unknown telemetry source {0:?}: expected `nvml`, `amdgpu`, `prom=URL` or `llamacpp-slots=URL`")]
    UnknownSource(String),
    #[error("prom={0:?}: not an http:// URL")]
    BadUrl(String),
    #[error("nvml unavailable: {0}")]
    Nvml(String),
    #[error("amdgpu unavailable: {0}")]
    Amdgpu(String),
    #[error("scrape of {url} failed: {reason}")]
    Scrape { url: String, reason: String },
}

/// One `--telemetry` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    /// Local NVIDIA GPUs through NVML.
    Nvml,
    /// A Prometheus text-format endpoint.
    Prom(String),
    /// AMD GPUs through sysfs.
    Amdgpu,
    /// llama.cpp's `/slots` endpoint.
    LlamacppSlots(String),
}

impl FromStr for SourceSpec {
    type Err = TelemetryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once('=') {
            None if s == "nvml" => Ok(SourceSpec::Nvml),
            None if s == "amdgpu" => Ok(SourceSpec::Amdgpu),
            Some(("prom", url)) if url.starts_with("http://") => Ok(SourceSpec::Prom(url.to_string())),
            Some(("llamacpp-slots", url)) if url.starts_with("http://") => {
                Ok(SourceSpec::LlamacppSlots(url.to_string()))
            }
            Some(("prom" | "llamacpp-slots", url)) => Err(TelemetryError::BadUrl(url.to_string())),
            _ => Err(TelemetryError::UnknownSource(s.to_string())),
        }
    }
}

/// What `runner play` was asked to sample, and how.
#[derive(Debug, Clone, Default)]
pub struct TelemetryOptions {
    pub sources: Vec<SourceSpec>,
    /// Time between two samples.
    pub interval: Duration,
    /// `--nvml-lib`: a specific libnvidia-ml to load instead of the system's.
    pub nvml_lib: Option<PathBuf>,
    /// `--prom-keep`: unknown Prometheus series to keep by name.
    pub prom_keep: Vec<keep::KeepPattern>,
    /// `--amdgpu-root`: where to look for `card*/device` instead of `/sys/class/drm`.
    pub amdgpu_root: Option<PathBuf>,
}

/// One reading of every source at one instant. Each field is `None` (or empty) when no source gave it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sample {
    /// GPU utilisation, %, averaged over the devices.
    pub gpu_util_pct: Option<f64>,
    /// Memory used, MiB, summed over the devices.
    pub memory_used_mib: Option<f64>,
    /// Memory in total, MiB, summed over the devices.
    pub memory_total_mib: Option<f64>,
    /// Hottest device, °C.
    pub temperature_c: Option<f64>,
    /// Power drawn, W, summed over the devices.
    pub power_w: Option<f64>,
    /// Streaming multiprocessors active, %, averaged over the devices (DCGM profiling).
    pub sm_active_pct: Option<f64>,
    /// SM clock, MHz, averaged over the devices.
    pub sm_clock_mhz: Option<f64>,
    /// GPU memory held by processes, MiB, summed over processes and devices.
    pub process_memory_mib: Option<f64>,
    /// Requests the server is generating for.
    pub running: Option<f64>,
    /// Requests queued at the server, waiting for a slot.
    pub waiting: Option<f64>,
    /// KV-cache use, %.
    pub kv_cache_pct: Option<f64>,
    /// llama.cpp slots processing a request.
    pub slots_busy: Option<f64>,
    /// llama.cpp slots in all.
    pub slots_total: Option<f64>,
    /// Tokens decoded so far by the requests in llama.cpp's busy slots.
    pub decoded_tokens: Option<f64>,
    /// The server's preemption counter (cumulative since it started).
    pub preemptions_total: Option<f64>,
    /// The server's prefix-cache lookups, in prompt tokens (vLLM's `prefix_cache_queries`,
    /// cumulative since it started).
    pub prefix_cache_queries_total: Option<f64>,
    /// The prompt tokens those lookups found cached (vLLM's `prefix_cache_hits`, cumulative).
    pub prefix_cache_hits_total: Option<f64>,
    /// The server's latency histograms (cumulative since it started).
    pub histograms: BTreeMap<ServerHistogram, Cumulative>,
    /// Series kept by `--prom-keep`, by [`keep::key`].
    pub kept: BTreeMap<String, f64>,
}

impl Sample {
    /// The fields this sample has, by name, for the time series (kept series under their own
    /// names; the histograms, cumulative buckets, are left to the per-phase deltas).
    pub fn fields(&self) -> BTreeMap<String, f64> {
        let named = [
            ("gpu_util_pct", self.gpu_util_pct),
            ("memory_used_mib", self.memory_used_mib),
            ("memory_total_mib", self.memory_total_mib),
            ("temperature_c", self.temperature_c),
            ("power_w", self.power_w),
            ("sm_active_pct", self.sm_active_pct),
            ("sm_clock_mhz", self.sm_clock_mhz),
            ("process_memory_mib", self.process_memory_mib),
            ("running", self.running),
            ("waiting", self.waiting),
            ("kv_cache_pct", self.kv_cache_pct),
            ("slots_busy", self.slots_busy),
            ("slots_total", self.slots_total),
            ("decoded_tokens", self.decoded_tokens),
            ("preemptions_total", self.preemptions_total),
            ("prefix_cache_queries_total", self.prefix_cache_queries_total),
            ("prefix_cache_hits_total", self.prefix_cache_hits_total),
        ];
        let mut fields: BTreeMap<String, f64> =
            named.into_iter().filter_map(|(k, v)| Some((k.to_string(), v?))).collect();
        for (k, v) in &self.kept {
            fields.entry(k.clone()).or_insert(*v);
        }
        fields
    }

    /// Fills the fields this sample lacks from `other` (the first source to give a field wins).
    pub fn fill_from(&mut self, other: &Sample) {
        let pairs = [
            (&mut self.gpu_util_pct, other.gpu_util_pct),
            (&mut self.memory_used_mib, other.memory_used_mib),
            (&mut self.memory_total_mib, other.memory_total_mib),
            (&mut self.temperature_c, other.temperature_c),
            (&mut self.power_w, other.power_w),
            (&mut self.sm_active_pct, other.sm_active_pct),
            (&mut self.sm_clock_mhz, other.sm_clock_mhz),
            (&mut self.process_memory_mib, other.process_memory_mib),
            (&mut self.running, other.running),
            (&mut self.waiting, other.waiting),
            (&mut self.kv_cache_pct, other.kv_cache_pct),
            (&mut self.slots_busy, other.slots_busy),
            (&mut self.slots_total, other.slots_total),
            (&mut self.decoded_tokens, other.decoded_tokens),
            (&mut self.preemptions_total, other.preemptions_total),
            (&mut self.prefix_cache_queries_total, other.prefix_cache_queries_total),
            (&mut self.prefix_cache_hits_total, other.prefix_cache_hits_total),
        ];
        for (mine, theirs) in pairs {
            if mine.is_none() {
                *mine = theirs;
            }
        }
        for (which, h) in &other.histograms {
            self.histograms.entry(*which).or_insert_with(|| h.clone());
        }
        for (name, v) in &other.kept {
            self.kept.entry(name.clone()).or_insert(*v);
        }
    }
}

/// The machine's figures from its devices': utilisation and SM clock averaged, memory, power
/// and process memory summed, temperature the hottest. A figure no device gave stays absent.
pub fn combine(devices: &[Sample]) -> Sample {
    let values = |f: fn(&Sample) -> Option<f64>| devices.iter().filter_map(f).collect::<Vec<f64>>();
    let sum = |f| {
        let v = values(f);
        (!v.is_empty()).then(|| v.iter().sum::<f64>())
    };
    let mean = |f| {
        let v = values(f);
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    };
    let max = |f| values(f).into_iter().reduce(f64::max);
    Sample {
        gpu_util_pct: mean(|s| s.gpu_util_pct),
        memory_used_mib: sum(|s| s.memory_used_mib),
        memory_total_mib: sum(|s| s.memory_total_mib),
        temperature_c: max(|s| s.temperature_c),
        power_w: sum(|s| s.power_w),
        sm_clock_mhz: mean(|s| s.sm_clock_mhz),
        process_memory_mib: sum(|s| s.process_memory_mib),
        ..Sample::default()
    }
}

/// The newest reading of every source (every device, for per-device sources), for the guest's
/// `gpu.latest()`. Cheap to clone: one shared map, replaced entry by entry at each sample.
#[derive(Clone, Default)]
pub struct Latest(Arc<Mutex<BTreeMap<Origin, TelemetrySample>>>);

/// A reading's source and device (none for a source's whole reading).
type Origin = (String, Option<String>);

impl Latest {
    /// Records the newest readings.
    pub fn update(&self, readings: &[TelemetrySample]) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        for r in readings {
            map.insert((r.source.clone(), r.device.clone()), r.clone());
        }
    }

    /// The newest reading of every source and device, in source then device order.
    pub fn snapshot(&self) -> Vec<TelemetrySample> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).values().cloned().collect()
    }
}

/// Folds samples into the aggregates of the phases running at each instant, and brackets each
/// phase's cumulative series with the sample just before it started and the one just after it
/// ended (so nothing the server counted while the phase ran falls between two samples).
#[derive(Default)]
pub struct Folder {
    phases: HashMap<String, PhaseAggregate>,
    /// The cumulative series of the previous sample.
    previous: Option<Cumulatives>,
    /// The phases that were running at the previous sample.
    was_active: HashSet<String>,
}

impl Folder {
    /// Folds one sample taken while `active` phases ran.
    pub fn fold(&mut self, sample: &Sample, active: Vec<String>) {
        let now = Cumulatives::of(sample);
        for name in self.was_active.iter().filter(|n| !active.contains(n)) {
            if let Some(agg) = self.phases.get_mut(name) {
                agg.close(&now);
            }
        }
        for name in &active {
            self.phases.entry(name.clone()).or_default().add(sample, self.previous.as_ref());
        }
        self.previous = Some(now);
        self.was_active = active.into_iter().collect();
    }

    /// Closes every phase still open with a last sample (taken when the run ended).
    pub fn close_all(&mut self, sample: &Sample) {
        let now = Cumulatives::of(sample);
        for name in self.was_active.drain() {
            if let Some(agg) = self.phases.get_mut(&name) {
                agg.close(&now);
            }
        }
    }

    /// Each phase's telemetry by phase name.
    pub fn reports(&self) -> HashMap<String, TelemetryReport> {
        self.phases.iter().map(|(name, agg)| (name.clone(), agg.report())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_parse() {
        assert_eq!("nvml".parse::<SourceSpec>().ok(), Some(SourceSpec::Nvml));
        assert_eq!(
            "prom=http://h:1/metrics".parse::<SourceSpec>().ok(),
            Some(SourceSpec::Prom("http://h:1/metrics".into()))
        );
        assert!(matches!("prom=h:1".parse::<SourceSpec>(), Err(TelemetryError::BadUrl(_))));
        assert!(matches!("dcgm".parse::<SourceSpec>(), Err(TelemetryError::UnknownSource(_))));
        assert_eq!("amdgpu".parse::<SourceSpec>().ok(), Some(SourceSpec::Amdgpu));
        assert_eq!(
            "llamacpp-slots=http://h:8080/slots".parse::<SourceSpec>().ok(),
            Some(SourceSpec::LlamacppSlots("http://h:8080/slots".into()))
        );
        assert!(matches!("llamacpp-slots=h".parse::<SourceSpec>(), Err(TelemetryError::BadUrl(_))));
    }

    #[test]
    fn the_first_source_to_give_a_field_wins() {
        let mut s = Sample { gpu_util_pct: Some(10.0), ..Sample::default() };
        s.fill_from(&Sample { gpu_util_pct: Some(99.0), waiting: Some(3.0), ..Sample::default() });
        assert_eq!((s.gpu_util_pct, s.waiting), (Some(10.0), Some(3.0)));
    }

    #[test]
    fn phases_get_the_samples_of_their_window_and_bracketing_counters() {
        let at = |preemptions: f64, util: f64| Sample {
            gpu_util_pct: Some(util),
            preemptions_total: Some(preemptions),
            ..Sample::default()
        };
        let mut f = Folder::default();
        f.fold(&at(1.0, 10.0), vec![]);
        f.fold(&at(2.0, 20.0), vec!["a".into()]);
        f.fold(&at(4.0, 30.0), vec!["a".into(), "b".into()]);
        f.fold(&at(7.0, 40.0), vec!["b".into()]);
        f.close_all(&at(11.0, 50.0));
        let r = f.reports();
        let (a, b) = (&r["a"], &r["b"]);
        assert_eq!((a.samples, a.gpu_util_avg_pct), (2, Some(25.0)));
        assert_eq!((b.samples, b.gpu_util_max_pct), (2, Some(40.0)));
        assert_eq!(a.preemptions, Some(6.0), "from the sample before a (1) to the one after it (7)");
        assert_eq!(b.preemptions, Some(9.0), "from 2 to the run's last sample, 11");
    }

    #[test]
    fn devices_combine_into_the_machine() {
        let a = Sample {
            gpu_util_pct: Some(80.0),
            memory_used_mib: Some(100.0),
            temperature_c: Some(60.0),
            ..Sample::default()
        };
        let b = Sample {
            gpu_util_pct: Some(40.0),
            memory_used_mib: Some(50.0),
            power_w: Some(200.0),
            ..Sample::default()
        };
        let m = combine(&[a, b]);
        assert_eq!(
            (m.gpu_util_pct, m.memory_used_mib, m.temperature_c),
            (Some(60.0), Some(150.0), Some(60.0))
        );
        assert_eq!(m.power_w, Some(200.0), "the device that gave it");
        assert_eq!(m.sm_clock_mhz, None, "no device gave it: absent");
    }
}
