//! Telemetry on the run's clock (issue 4): a background sampler that reads GPU and server
//! sources every `--sample-interval` and folds each sample into the aggregates of the phases
//! running at that instant. Memory stays bounded: one aggregate per phase, no list of samples.
//!
//! Sources live in their own modules: [`nvml`] (local NVIDIA GPUs through nvml-wrapper) and
//! [`prom`] (a Prometheus text endpoint: vLLM, DCGM exporter, SGLang, TGI, llama.cpp).
//! A source that is absent gives absent fields, never zeros.

pub mod nvml;
pub mod prom;
#[cfg(test)]
mod prom_props;

use std::collections::HashMap;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use runner_reports::model::TelemetryReport;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Why a `--telemetry` value or a source could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("unknown telemetry source {0:?}: expected `nvml` or `prom=URL`")]
    UnknownSource(String),
    #[error("prom={0:?}: not an http:// URL")]
    BadUrl(String),
    #[error("nvml unavailable: {0}")]
    Nvml(String),
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
}

impl FromStr for SourceSpec {
    type Err = TelemetryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once('=') {
            None if s == "nvml" => Ok(SourceSpec::Nvml),
            Some(("prom", url)) if url.starts_with("http://") => Ok(SourceSpec::Prom(url.to_string())),
            Some(("prom", url)) => Err(TelemetryError::BadUrl(url.to_string())),
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
}

/// One reading of every source at one instant. Each field is `None` when no source gave it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
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
    /// Requests the server is generating for.
    pub running: Option<f64>,
    /// Requests queued at the server, waiting for a slot.
    pub waiting: Option<f64>,
    /// KV-cache use, %.
    pub kv_cache_pct: Option<f64>,
}

impl Sample {
    /// Fills the fields this sample lacks from `other` (the first source to give a field wins).
    pub fn fill_from(&mut self, other: &Sample) {
        let pairs = [
            (&mut self.gpu_util_pct, other.gpu_util_pct),
            (&mut self.memory_used_mib, other.memory_used_mib),
            (&mut self.memory_total_mib, other.memory_total_mib),
            (&mut self.temperature_c, other.temperature_c),
            (&mut self.power_w, other.power_w),
            (&mut self.running, other.running),
            (&mut self.waiting, other.waiting),
            (&mut self.kv_cache_pct, other.kv_cache_pct),
        ];
        for (mine, theirs) in pairs {
            if mine.is_none() {
                *mine = theirs;
            }
        }
    }
}

/// Mean and max of one field over the samples that had it.
#[derive(Debug, Clone, Copy, Default)]
struct Agg {
    count: u64,
    sum: f64,
    max: f64,
}

impl Agg {
    fn add(&mut self, value: Option<f64>) {
        if let Some(v) = value.filter(|v| v.is_finite()) {
            self.max = if self.count == 0 { v } else { self.max.max(v) };
            self.count += 1;
            self.sum += v;
        }
    }

    fn avg(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum / self.count as f64)
    }

    fn max(&self) -> Option<f64> {
        (self.count > 0).then_some(self.max)
    }
}

/// The running aggregate of one phase's samples.
#[derive(Debug, Clone, Default)]
pub struct PhaseAggregate {
    samples: u64,
    util: Agg,
    memory: Agg,
    temperature: Agg,
    power: Agg,
    running: Agg,
    waiting: Agg,
    kv_cache: Agg,
}

impl PhaseAggregate {
    /// Folds one sample in.
    pub fn add(&mut self, s: &Sample) {
        self.samples += 1;
        self.util.add(s.gpu_util_pct);
        self.memory.add(s.memory_used_mib);
        self.temperature.add(s.temperature_c);
        self.power.add(s.power_w);
        self.running.add(s.running);
        self.waiting.add(s.waiting);
        self.kv_cache.add(s.kv_cache_pct);
    }

    /// The phase's telemetry for the summary.
    pub fn report(&self) -> TelemetryReport {
        TelemetryReport {
            samples: self.samples,
            gpu_util_avg_pct: self.util.avg(),
            gpu_util_max_pct: self.util.max(),
            memory_used_max_mib: self.memory.max(),
            temperature_max_c: self.temperature.max(),
            power_avg_w: self.power.avg(),
            queue_waiting_max: self.waiting.max(),
            queue_waiting_avg: self.waiting.avg(),
            queue_running_max: self.running.max(),
            kv_cache_max_pct: self.kv_cache.max(),
        }
    }
}

/// One opened source.
enum Source {
    Nvml(Arc<nvml::NvmlSource>),
    Prom(Box<prom::PromSource>),
}

impl Source {
    fn name(&self) -> String {
        match self {
            Source::Nvml(_) => "nvml".to_string(),
            Source::Prom(p) => format!("prom={}", p.url()),
        }
    }

    async fn read(&self) -> Result<Sample, TelemetryError> {
        match self {
            Source::Nvml(n) => {
                // NVML calls block (milliseconds on a real driver): keep them off the runtime's workers.
                let n = n.clone();
                tokio::task::spawn_blocking(move || n.read())
                    .await
                    .map_err(|e| TelemetryError::Nvml(e.to_string()))?
            }
            Source::Prom(p) => p.read().await,
        }
    }
}

/// Which phases are running now, by name; the sampler asks it at every sample.
pub type ActivePhases = Box<dyn Fn() -> Vec<String> + Send + Sync>;

type Aggregates = Arc<Mutex<HashMap<String, PhaseAggregate>>>;

/// The background sampler. [`Sampler::finish`] stops it and hands back the per-phase reports.
pub struct Sampler {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
    aggregates: Aggregates,
}

impl Sampler {
    /// Opens the sources (one warning line per source that cannot be used; the run goes on without
    /// it) and starts sampling. `None` when no source could be opened.
    pub fn start(opts: &TelemetryOptions, active: ActivePhases) -> Option<Sampler> {
        let mut sources = Vec::new();
        for spec in &opts.sources {
            match spec {
                SourceSpec::Nvml => match nvml::NvmlSource::open(opts.nvml_lib.as_deref()) {
                    Ok(n) => sources.push(Source::Nvml(Arc::new(n))),
                    Err(e) => eprintln!("telemetry: {e}"),
                },
                SourceSpec::Prom(url) => match prom::PromSource::new(url) {
                    Ok(p) => sources.push(Source::Prom(Box::new(p))),
                    Err(e) => eprintln!("telemetry: {e}"),
                },
            }
        }
        if sources.is_empty() {
            return None;
        }
        let aggregates: Aggregates = Arc::default();
        let (stop, mut stopped) = oneshot::channel();
        let interval = opts.interval.max(Duration::from_millis(10));
        let task = tokio::spawn({
            let aggregates = aggregates.clone();
            async move {
                let mut warned = vec![false; sources.len()];
                let mut tick = tokio::time::interval(interval);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tokio::select! {
                        _ = tick.tick() => {}
                        _ = &mut stopped => break,
                    }
                    let mut sample = Sample::default();
                    for (i, source) in sources.iter().enumerate() {
                        match source.read().await {
                            Ok(s) => sample.fill_from(&s),
                            Err(e) if !warned[i] => {
                                // Once per source: a scrape failing every second must not flood stderr.
                                warned[i] = true;
                                eprintln!(
                                    "telemetry: {}: {e} (further failures are not shown)",
                                    source.name()
                                );
                            }
                            Err(_) => {}
                        }
                    }
                    if sample == Sample::default() {
                        continue;
                    }
                    let names = active();
                    let mut aggs = aggregates.lock().unwrap_or_else(|p| p.into_inner());
                    for name in names {
                        aggs.entry(name).or_default().add(&sample);
                    }
                }
            }
        });
        Some(Sampler { stop, task, aggregates })
    }

    /// Stops sampling and returns each phase's telemetry by phase name.
    pub async fn finish(self) -> HashMap<String, TelemetryReport> {
        let _ = self.stop.send(());
        let _ = self.task.await;
        let aggs = self.aggregates.lock().unwrap_or_else(|p| p.into_inner());
        aggs.iter().map(|(name, agg)| (name.clone(), agg.report())).collect()
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
    }

    #[test]
    fn absent_fields_stay_absent_and_present_ones_aggregate() {
        let mut agg = PhaseAggregate::default();
        agg.add(&Sample { waiting: Some(2.0), running: Some(4.0), ..Sample::default() });
        agg.add(&Sample { waiting: Some(6.0), running: Some(4.0), ..Sample::default() });
        let r = agg.report();
        assert_eq!(r.samples, 2);
        assert_eq!(r.queue_waiting_max, Some(6.0));
        assert_eq!(r.queue_waiting_avg, Some(4.0));
        assert_eq!(r.queue_running_max, Some(4.0));
        assert_eq!(r.gpu_util_avg_pct, None, "no GPU source: absent, not zero");
        assert_eq!(r.memory_used_max_mib, None);
    }

    #[test]
    fn the_first_source_to_give_a_field_wins() {
        let mut s = Sample { gpu_util_pct: Some(10.0), ..Sample::default() };
        s.fill_from(&Sample { gpu_util_pct: Some(99.0), waiting: Some(3.0), ..Sample::default() });
        assert_eq!((s.gpu_util_pct, s.waiting), (Some(10.0), Some(3.0)));
    }
}
