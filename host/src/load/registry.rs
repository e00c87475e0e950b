//! The phases of a run: started on the runtime, waited for by handle, listed in start order for
//! the time series, the telemetry and the report.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use runner_reports::PhaseReport;
use tokio::task::JoinHandle;

use super::executor::{self, PhaseEnv};
use super::{PhaseLimits, PhaseSpec, Stop, StopSignal, VuFactory};
use crate::stats::{PhaseShape, PhaseStats};

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
pub struct PhaseRegistry {
    inner: Mutex<Registry>,
    stop: StopSignal,
    limits: PhaseLimits,
}

impl PhaseRegistry {
    /// Phases that stop on `stop` and run within `limits`.
    pub fn new(stop: StopSignal, limits: PhaseLimits) -> Self {
        Self { inner: Mutex::default(), stop, limits }
    }

    fn lock(&self) -> MutexGuard<'_, Registry> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts a phase on the runtime, its iterations on VUs made by `vus`, and returns its handle.
    pub fn start(&self, spec: PhaseSpec, vus: Arc<dyn VuFactory>) -> Result<u32, String> {
        if self.stop.level() > Stop::Running {
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
            PhaseStats::new(spec.name.clone(), spec.tags.clone())
                .with_slo(self.limits.slo.clone())
                .with_observers(self.limits.observers.clone()),
        );
        let shape = spec.shape(self.limits.lag_bound);
        tracing::info!("phase {} started: {}", spec.name, shape.plan);
        reg.phases.push(Entry { stats: stats.clone(), shape });
        let env = PhaseEnv { vus, stop: self.stop.clone(), iteration_timeout: self.limits.iteration_timeout };
        let task = tokio::spawn(executor::run_phase(env, spec, stats.clone()));
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

    /// Waits for every phase still running (those `drive` started but did not wait for) and
    /// returns why any of them failed.
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

    /// The names of the phases running now: their traffic started and they have not ended.
    pub fn active(&self) -> Vec<String> {
        self.lock()
            .phases
            .iter()
            .filter(|e| e.stats.started_at().is_some() && !e.stats.ended())
            .map(|e| e.stats.name.clone())
            .collect()
    }

    /// A phase's statistics by name, running or finished.
    pub fn find(&self, name: &str) -> Option<Arc<PhaseStats>> {
        self.lock().phases.iter().find(|e| e.stats.name == name).map(|e| e.stats.clone())
    }

    /// Every phase's report, in start order, and the notes they raise.
    pub fn reports(&self, run_started: Instant) -> (Vec<PhaseReport>, Vec<String>) {
        let reg = self.lock();
        let notes = reg.phases.iter().flat_map(|e| e.stats.notes()).collect();
        let reports = reg.phases.iter().map(|e| e.stats.report(&e.shape, run_started)).collect();
        (reports, notes)
    }

    /// Every phase's report so far, without the lossless histograms: what `--abort-on-fail`
    /// judges once a second, which need not deflate every histogram under the phases' locks.
    pub fn live_reports(&self, run_started: Instant) -> Vec<PhaseReport> {
        let reg = self.lock();
        reg.phases.iter().map(|e| e.stats.report_with(&e.shape, run_started, false)).collect()
    }
}
