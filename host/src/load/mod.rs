//! The load executors: phases described by `drive` run natively on many VU instances, with
//! exact timing. [`plan`] is the data model (one scheduling abstraction), [`executor`] runs a
//! plan, [`vu`] is one virtual user, and [`PhaseRegistry`] keeps the run's phases.

pub mod executor;
pub mod plan;
pub mod vu;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use runner_reports::PhaseReport;
use tokio::task::JoinHandle;

use crate::capabilities::RunContext;
use crate::stats::{PhaseShape, PhaseStats, Tags};
use plan::{Arrivals, Budget, Plan};

/// A phase as `drive` asked for it, validated.
#[derive(Debug, Clone)]
pub struct PhaseSpec {
    pub name: String,
    pub tags: Tags,
    /// The WIT executor's name (`constant-vus`, ...), for reports.
    pub executor: &'static str,
    pub plan: Plan,
    /// How long in-flight iterations may finish after the phase's time is up.
    pub graceful_stop: Duration,
}

fn secs(d: Duration) -> String {
    humantime::format_duration(Duration::from_millis(d.as_millis() as u64)).to_string()
}

/// A rate without pointless decimals: 200 → "200", 12.5 → "12.5", 1/3 → "0.3333".
fn rate(r: f64) -> String {
    let text = format!("{r:.4}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

impl PhaseSpec {
    /// How the phase was planned, in the words of its report.
    pub fn shape(&self, lag_bound: Duration) -> PhaseShape {
        let mut shape = PhaseShape {
            executor: self.executor.to_string(),
            lag_bound_ms: lag_bound.as_secs_f64() * 1000.0,
            ..PhaseShape::default()
        };
        match &self.plan {
            Plan::Pause(d) => {
                shape.plan = format!("pause {}", secs(*d));
                shape.planned = Some(*d);
            }
            Plan::Open { arrivals: Arrivals::AllAtOnce(n), .. } => {
                shape.plan = format!("{n} at once");
                shape.concurrency = Some(*n);
                shape.open_loop = true;
            }
            Plan::Open { arrivals: Arrivals::Rate { profile, poisson_seed }, max_vus, duration } => {
                let kind = if poisson_seed.is_some() { "poisson" } else { "uniform" };
                shape.plan = format!(
                    "up to {} req/s for {} ({kind}), max {max_vus} VUs, {:.0} arrivals planned",
                    rate(profile.max_rate()),
                    secs(*duration),
                    profile.expected_arrivals()
                );
                shape.target_rate = Some(profile.max_rate());
                shape.open_loop = true;
                shape.planned = Some(*duration);
            }
            Plan::Closed { vus, budget, duration } => {
                let count = if vus.stages.is_empty() {
                    format!("{} VUs", vus.max())
                } else {
                    format!("{} → {} VUs", vus.start, vus.stages.last().map(|s| s.1).unwrap_or(vus.start))
                };
                shape.plan = match budget {
                    Budget::Unlimited => format!("{count} for {}", secs(*duration)),
                    Budget::PerVu(k) => format!("{count} × {k} iterations (max {})", secs(*duration)),
                    Budget::Shared(k) => format!("{count} sharing {k} iterations (max {})", secs(*duration)),
                };
                shape.concurrency = Some(vus.max());
                shape.planned = matches!(budget, Budget::Unlimited).then_some(*duration);
            }
        }
        shape
    }
}

struct Entry {
    stats: Arc<PhaseStats>,
    shape: PhaseShape,
}

/// A started phase that nobody has waited for yet.
struct Running {
    task: JoinHandle<Result<(), String>>,
    stats: Arc<PhaseStats>,
}

#[derive(Default)]
struct Registry {
    phases: Vec<Entry>,
    running: HashMap<u32, Running>,
    next_handle: u32,
}

/// The phases of a run, in the order they started, and the ones still running.
#[derive(Default)]
pub struct PhaseRegistry {
    inner: Mutex<Registry>,
}

impl PhaseRegistry {
    fn lock(&self) -> MutexGuard<'_, Registry> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts a phase on the runtime and returns its handle.
    pub fn start(&self, run: &Arc<RunContext>, spec: PhaseSpec) -> Result<u32, String> {
        if run.stop_level() > crate::capabilities::Stop::Running {
            return Err(format!("phase {:?} not started: the run is stopping (interrupted)", spec.name));
        }
        let mut reg = self.lock();
        if reg.phases.iter().any(|e| e.stats.name == spec.name) {
            return Err(format!(
                "a phase named {:?} already exists in this run: phase names must be unique",
                spec.name
            ));
        }
        let stats = Arc::new(
            PhaseStats::new(spec.name.clone(), spec.tags.clone()).with_slo(run.settings.slo.clone()),
        );
        let shape = spec.shape(run.settings.lag_bound);
        tracing::info!("phase {} started: {}", spec.name, shape.plan);
        reg.phases.push(Entry { stats: stats.clone(), shape });
        let task = tokio::spawn(executor::run_phase(run.clone(), spec, stats.clone()));
        let handle = reg.next_handle;
        reg.next_handle += 1;
        reg.running.insert(handle, Running { task, stats });
        Ok(handle)
    }

    /// Waits for a started phase to end and returns its statistics.
    pub async fn wait(&self, handle: u32) -> Result<Arc<PhaseStats>, String> {
        let Running { task, stats } = self.lock().running.remove(&handle).ok_or_else(|| {
            format!("no running phase has handle {handle} (it may have been waited for already)")
        })?;
        task.await.map_err(|e| format!("phase {} stopped unexpectedly: {e}", stats.name))??;
        Ok(stats)
    }

    /// Waits for every phase still running (those `drive` started but did not wait for).
    pub async fn wait_all(&self) -> Vec<String> {
        let handles: Vec<u32> = self.lock().running.keys().copied().collect();
        let mut errors = Vec::new();
        for h in handles {
            if let Err(e) = self.wait(h).await {
                errors.push(e);
            }
        }
        errors
    }

    /// Every phase started so far, with how it was planned, in start order.
    pub fn entries(&self) -> Vec<(Arc<PhaseStats>, PhaseShape)> {
        self.lock().phases.iter().map(|e| (e.stats.clone(), e.shape.clone())).collect()
    }

    /// A phase's statistics by name, running or finished.
    pub fn find(&self, name: &str) -> Option<Arc<PhaseStats>> {
        self.lock().phases.iter().find(|e| e.stats.name == name).map(|e| e.stats.clone())
    }

    /// Every phase's report, in start order, and the notes they raise.
    pub fn reports(&self, run_started: Instant) -> (Vec<PhaseReport>, Vec<String>) {
        let reg = self.lock();
        let mut notes = Vec::new();
        let reports = reg
            .phases
            .iter()
            .map(|e| {
                for failure in e.stats.failure_samples() {
                    notes.push(format!("phase {}: iteration failed: {failure}", e.stats.name));
                }
                let dropped = e.stats.metric_names_overflowed();
                if dropped > 0 {
                    notes.push(format!(
                        "phase {}: {dropped} custom-metric updates were dropped: their names were beyond the \
                         first {} counters, checks or trends",
                        e.stats.name,
                        crate::stats::MAX_METRIC_NAMES
                    ));
                }
                let overflow = e.stats.tag_sets_overflowed();
                if overflow > 0 {
                    notes.push(format!(
                        "phase {}: {overflow} requests carried tag sets beyond the first {} and were \
                         counted in the phase totals only",
                        e.stats.name,
                        crate::stats::MAX_TAG_SETS
                    ));
                }
                let suppressed = e.stats.suppressed_log_lines.load(std::sync::atomic::Ordering::Relaxed);
                if suppressed > 0 {
                    notes.push(format!(
                        "phase {}: {suppressed} log lines were dropped (cap: {} lines/s per instance)",
                        e.stats.name,
                        crate::capabilities::log::LOG_LINES_PER_S
                    ));
                }
                let recovery = e.stats.recovery();
                // Shorter runs of errors are an ordinary error rate, already in errors_by_class.
                if recovery.longest >= std::time::Duration::from_secs(1) {
                    notes.push(format!(
                        "phase {}: recovered from {} run(s) of failed requests; recovery time (first \
                         error to next success) longest {:.2} s, total {:.2} s",
                        e.stats.name,
                        recovery.recovered,
                        recovery.longest.as_secs_f64(),
                        recovery.total.as_secs_f64()
                    ));
                }
                e.stats.report(&e.shape, run_started)
            })
            .collect();
        (reports, notes)
    }
}
