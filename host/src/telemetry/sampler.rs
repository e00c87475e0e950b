//! The background sampler: opens the `--telemetry` sources, reads them all every
//! `--sample-interval`, folds each sample into the running phases' aggregates ([`super::Folder`])
//! and hands each source's reading (each device's, for NVML) to the time series.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use runner_reports::model::TelemetryReport;
use runner_reports::timeseries::{Record, TelemetrySample};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::{
    Folder, Latest, Sample, SourceSpec, TelemetryError, TelemetryOptions, amdgpu, combine, llamacpp, nvml,
    prom,
};

/// Which phases are running now, by name; the sampler asks it at every sample.
pub type ActivePhases = Box<dyn Fn() -> Vec<String> + Send + Sync>;

/// Where telemetry records go to be written into `timeseries.jsonl`.
pub type RecordSink = mpsc::UnboundedSender<Record>;

/// What the sampler is wired to in a run.
pub struct Hooks {
    /// The phases running now.
    pub active: ActivePhases,
    /// The run's start: records carry milliseconds since it.
    pub started: Instant,
    /// The time series, when the run writes one.
    pub records: Option<RecordSink>,
    /// Where the newest readings go for the guest's `gpu.latest()`.
    pub latest: Latest,
    /// The headers a scraped URL is sent with: the run's target headers (the API key,
    /// `--header`) when the URL is on the target's origin, as a server started with an API key
    /// (llama.cpp's) guards `/metrics` and `/slots` with it too; none elsewhere.
    pub headers_for: HeadersFor,
}

/// See [`Hooks::headers_for`].
pub type HeadersFor = Box<dyn Fn(&str) -> Vec<(String, String)> + Send>;

/// One reading of one source: its sample, and for per-device sources each device's.
struct Reading {
    sample: Sample,
    devices: Vec<Sample>,
}

/// One opened source.
enum Source {
    Nvml(Arc<nvml::NvmlSource>),
    Prom(Box<prom::PromSource>),
    Amdgpu(Arc<amdgpu::AmdgpuSource>),
    Slots(Box<llamacpp::SlotsSource>),
}

impl Source {
    fn name(&self) -> String {
        match self {
            Source::Nvml(_) => "nvml".to_string(),
            Source::Prom(p) => format!("prom={}", p.url()),
            Source::Amdgpu(_) => "amdgpu".to_string(),
            Source::Slots(s) => format!("llamacpp-slots={}", s.url()),
        }
    }

    async fn read(&self) -> Result<Reading, TelemetryError> {
        match self {
            Source::Nvml(n) => {
                // NVML calls block (milliseconds on a real driver): keep them off the runtime's workers.
                let n = n.clone();
                let devices = tokio::task::spawn_blocking(move || n.read_devices())
                    .await
                    .map_err(|e| TelemetryError::Nvml(e.to_string()))??;
                Ok(Reading { sample: combine(&devices), devices })
            }
            Source::Amdgpu(a) => {
                // sysfs reads are quick but still blocking file I/O.
                let a = a.clone();
                let devices = tokio::task::spawn_blocking(move || a.read_devices())
                    .await
                    .map_err(|e| TelemetryError::Amdgpu(e.to_string()))??;
                Ok(Reading { sample: combine(&devices), devices })
            }
            Source::Prom(p) => Ok(Reading { sample: p.read().await?, devices: Vec::new() }),
            Source::Slots(s) => Ok(Reading { sample: s.read().await?, devices: Vec::new() }),
        }
    }
}

/// The opened sources, read together into one sample.
struct Sources {
    sources: Vec<Source>,
    warned: Vec<bool>,
}

impl Sources {
    /// Reads every source once: the merged sample (the first source to give a field wins) and a
    /// record per source (per device for NVML) stamped `t_ms`. A source's first failure is one
    /// line on stderr, later ones silent (a scrape failing every second must not flood the terminal).
    async fn read(&mut self, started: Instant) -> (Sample, Vec<TelemetrySample>) {
        let mut sample = Sample::default();
        let mut records = Vec::new();
        for (source, warned) in self.sources.iter().zip(self.warned.iter_mut()) {
            let t_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            match source.read().await {
                Ok(reading) => {
                    sample.fill_from(&reading.sample);
                    let name = source.name();
                    if reading.devices.is_empty() {
                        let fields = reading.sample.fields();
                        records.push(TelemetrySample { t_ms, source: name.clone(), device: None, fields });
                    }
                    for (i, device) in reading.devices.iter().enumerate() {
                        records.push(TelemetrySample {
                            t_ms,
                            source: name.clone(),
                            device: Some(i.to_string()),
                            fields: device.fields(),
                        });
                    }
                }
                Err(e) if !*warned => {
                    *warned = true;
                    eprintln!("telemetry: {}: {e} (further failures are not shown)", source.name());
                }
                Err(_) => {}
            }
        }
        (sample, records)
    }
}

/// The background sampler. [`Sampler::finish`] stops it and hands back the per-phase reports.
pub struct Sampler {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
    folder: Arc<Mutex<Folder>>,
}

impl Sampler {
    /// Opens the sources (one warning line per source that cannot be used; the run goes on without
    /// it) and starts sampling. `None` when no source could be opened.
    pub fn start(opts: &TelemetryOptions, hooks: Hooks) -> Option<Sampler> {
        let Hooks { active, started, records, latest, headers_for } = hooks;
        let mut sources = Vec::new();
        for spec in &opts.sources {
            match spec {
                SourceSpec::Nvml => match nvml::NvmlSource::open(opts.nvml_lib.as_deref()) {
                    Ok(n) => sources.push(Source::Nvml(Arc::new(n))),
                    Err(e) => eprintln!("telemetry: {e}"),
                },
                SourceSpec::Prom(url) => {
                    match prom::PromSource::new(url, opts.prom_keep.clone(), headers_for(url)) {
                        Ok(p) => sources.push(Source::Prom(Box::new(p))),
                        Err(e) => eprintln!("telemetry: {e}"),
                    }
                }
                SourceSpec::Amdgpu => {
                    let root = opts.amdgpu_root.clone().unwrap_or_else(|| amdgpu::DEFAULT_ROOT.into());
                    match amdgpu::AmdgpuSource::open(&root) {
                        Ok(a) => sources.push(Source::Amdgpu(Arc::new(a))),
                        Err(e) => eprintln!("telemetry: {e}"),
                    }
                }
                SourceSpec::LlamacppSlots(url) => match llamacpp::SlotsSource::new(url, headers_for(url)) {
                    Ok(s) => sources.push(Source::Slots(Box::new(s))),
                    Err(e) => eprintln!("telemetry: {e}"),
                },
            }
        }
        if sources.is_empty() {
            return None;
        }
        let mut sources = Sources { warned: vec![false; sources.len()], sources };
        let folder: Arc<Mutex<Folder>> = Arc::default();
        let (stop, mut stopped) = oneshot::channel();
        let interval = opts.interval.max(Duration::from_millis(10));
        let task = tokio::spawn({
            let folder = folder.clone();
            async move {
                let mut tick = tokio::time::interval(interval);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    let last = tokio::select! {
                        _ = tick.tick() => false,
                        _ = &mut stopped => true,
                    };
                    // Asked before the read: a phase listed here had started before the values
                    // were read, and one that ended is over by the time its closing sample is read.
                    let running = if last { Vec::new() } else { active() };
                    let (sample, readings) = sources.read(started).await;
                    latest.update(&readings);
                    if let Some(sink) = &records {
                        for r in readings {
                            // The time series may have stopped on a write error; it said so.
                            let _ = sink.send(Record::Telemetry(r));
                        }
                    }
                    if sample == Sample::default() {
                        if last {
                            break;
                        }
                        continue;
                    }
                    let mut folder = folder.lock().unwrap_or_else(|p| p.into_inner());
                    if last {
                        // The run is over: this sample ends the window of every phase still open.
                        folder.close_all(&sample);
                        break;
                    }
                    folder.fold(&sample, running);
                }
            }
        });
        Some(Sampler { stop, task, folder })
    }

    /// Takes a last sample, stops sampling and returns each phase's telemetry by phase name.
    pub async fn finish(self) -> HashMap<String, TelemetryReport> {
        let _ = self.stop.send(());
        let _ = self.task.await;
        self.folder.lock().unwrap_or_else(|p| p.into_inner()).reports()
    }
}
