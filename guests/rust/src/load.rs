//! Load phases: builders for the WIT `phase` record and calls that hand them to the host's
//! executors (`run`, `start`/`wait`, `snapshot`, and a [`sweep`] over levels).

use std::time::Duration;

use crate::bindings::runner::scenario::load as raw;
use crate::millis;

pub use raw::{Arrival, Executor, Latency, PhaseSummary};

/// The VU cap of open-loop phases unless [`Phase::max_vus`] says otherwise.
pub const DEFAULT_MAX_VUS: u32 = 100;

/// A phase to run: a name, an executor, tags and a graceful-stop time.
#[derive(Debug, Clone)]
pub struct Phase(raw::Phase);

impl Phase {
    fn new(name: &str, executor: Executor) -> Self {
        Phase(raw::Phase { name: name.to_owned(), executor, tags: Vec::new(), graceful_stop_ms: None })
    }

    /// Closed loop: `vus` VUs run iterations back to back for `duration`.
    pub fn constant_vus(name: &str, vus: u32, duration: Duration) -> Self {
        let exec = raw::ConstantVus { vus, duration_ms: Some(millis(duration)), iterations_per_vu: None };
        Self::new(name, Executor::ConstantVus(exec))
    }

    /// Closed loop: `vus` VUs each run `per_vu` iterations back to back.
    pub fn iterations(name: &str, vus: u32, per_vu: u64) -> Self {
        let exec = raw::ConstantVus { vus, duration_ms: None, iterations_per_vu: Some(per_vu) };
        Self::new(name, Executor::ConstantVus(exec))
    }

    /// `vus` VUs share `total` iterations, each taking the next as soon as it is free.
    pub fn shared(name: &str, vus: u32, total: u64) -> Self {
        let exec = raw::SharedIterations { vus, iterations: total, max_duration_ms: None };
        Self::new(name, Executor::SharedIterations(exec))
    }

    /// Closed loop whose VU count moves linearly through `(duration, target)` stages.
    pub fn ramp(name: &str, start_vus: u32, stages: &[(Duration, u32)]) -> Self {
        let stages =
            stages.iter().map(|&(d, target)| raw::VuStage { duration_ms: millis(d), target }).collect();
        Self::new(name, Executor::RampingVus(raw::RampingVus { start_vus, stages }))
    }

    /// Open loop: `per_sec` evenly spaced arrivals per second for `duration`.
    pub fn rate(name: &str, per_sec: f64, duration: Duration) -> Self {
        let exec = raw::ConstantArrivalRate {
            rate: per_sec,
            duration_ms: millis(duration),
            max_vus: DEFAULT_MAX_VUS,
            arrival: Arrival::Uniform,
        };
        Self::new(name, Executor::ConstantArrivalRate(exec))
    }

    /// Open loop whose rate moves linearly through `(duration, target per second)` stages.
    pub fn ramp_rate(name: &str, start_per_sec: f64, stages: &[(Duration, f64)]) -> Self {
        let stages =
            stages.iter().map(|&(d, target)| raw::RateStage { duration_ms: millis(d), target }).collect();
        let exec = raw::RampingArrivalRate {
            start_rate: start_per_sec,
            stages,
            max_vus: DEFAULT_MAX_VUS,
            arrival: Arrival::Uniform,
        };
        Self::new(name, Executor::RampingArrivalRate(exec))
    }

    /// `n` iterations started at the same instant, one per VU.
    pub fn burst(name: &str, n: u32) -> Self {
        Self::new(name, Executor::Burst(raw::Burst { count: n }))
    }

    /// An idle gap: no traffic for `duration`.
    pub fn pause(name: &str, duration: Duration) -> Self {
        Self::new(name, Executor::Pause(millis(duration)))
    }

    /// Open loop on a recorded schedule (a trace): iteration `i` starts `offsets[i]` after the
    /// phase starts, whatever the server does, and `Context::iteration` is `i`. Offsets must not
    /// decrease; divide them by a speed-up factor to replay a trace faster. See
    /// [`crate::data::arrival_offsets`] for a trace dataset's offsets.
    pub fn scheduled(name: &str, offsets: &[Duration]) -> Self {
        let offsets_ms = offsets.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
        Self::new(name, Executor::Scheduled(raw::Scheduled { offsets_ms, max_vus: DEFAULT_MAX_VUS }))
    }

    /// [`Phase::scheduled`] with offsets in milliseconds, as [`crate::data::arrival_offsets`]
    /// gives them, each divided by `speedup` (2 replays a trace twice as fast).
    pub fn scheduled_ms(name: &str, offsets_ms: &[f64], speedup: f64) -> Self {
        let offsets_ms = offsets_ms.iter().map(|ms| ms / speedup).collect();
        Self::new(name, Executor::Scheduled(raw::Scheduled { offsets_ms, max_vus: DEFAULT_MAX_VUS }))
    }

    /// Caps the VUs of an open-loop phase (arrivals finding none free are dropped and counted).
    /// No effect on other executors.
    pub fn max_vus(mut self, n: u32) -> Self {
        match &mut self.0.executor {
            Executor::ConstantArrivalRate(e) => e.max_vus = n,
            Executor::RampingArrivalRate(e) => e.max_vus = n,
            Executor::Scheduled(e) => e.max_vus = n,
            _ => {}
        }
        self
    }

    /// Spaces an open-loop phase's arrivals as a Poisson process (seeded from the run's seed).
    /// No effect on other executors.
    pub fn poisson(self) -> Self {
        self.arrival(Arrival::Poisson)
    }

    /// Spaces an open-loop phase's arrivals with gamma-distributed gaps of this burstiness
    /// (vLLM's `--burstiness`): 1 is Poisson, below 1 burstier, above 1 more even; the mean rate
    /// stays the phase's. No effect on other executors.
    pub fn burstiness(self, factor: f64) -> Self {
        self.arrival(Arrival::Gamma(factor))
    }

    /// Sets how an open-loop phase spaces its arrivals. No effect on other executors.
    pub fn arrival(mut self, arrival: Arrival) -> Self {
        match &mut self.0.executor {
            Executor::ConstantArrivalRate(e) => e.arrival = arrival,
            Executor::RampingArrivalRate(e) => e.arrival = arrival,
            _ => {}
        }
        self
    }

    /// Bounds an iteration-count phase (`iterations`, `shared`) in time as well.
    /// No effect on other executors.
    pub fn max_duration(mut self, duration: Duration) -> Self {
        match &mut self.0.executor {
            Executor::ConstantVus(e) => e.duration_ms = Some(millis(duration)),
            Executor::SharedIterations(e) => e.max_duration_ms = Some(millis(duration)),
            _ => {}
        }
        self
    }

    /// Adds a tag given to every iteration and attached to every metric of the phase.
    pub fn tag(mut self, key: &str, value: impl ToString) -> Self {
        self.0.tags.push((key.to_owned(), value.to_string()));
        self
    }

    /// How long in-flight iterations may run on after the phase's time is up (host default 30 s).
    pub fn graceful_stop(mut self, duration: Duration) -> Self {
        self.0.graceful_stop_ms = Some(millis(duration));
        self
    }

    /// The phase's name.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The WIT record, as the host receives it.
    pub fn as_raw(&self) -> &raw::Phase {
        &self.0
    }

    /// Unwraps the WIT record.
    pub fn into_raw(self) -> raw::Phase {
        self.0
    }
}

impl From<Phase> for raw::Phase {
    fn from(p: Phase) -> Self {
        p.0
    }
}

/// A phase started with [`start`], running beside the controller.
#[derive(Debug)]
#[must_use = "a started phase should be waited for"]
pub struct Handle {
    id: u32,
    name: String,
}

impl Handle {
    /// Waits for the phase to end and returns its summary.
    pub fn wait(self) -> Result<PhaseSummary, String> {
        raw::wait(self.id)
    }

    /// The live results of the phase so far.
    pub fn snapshot(&self) -> Option<PhaseSummary> {
        snapshot(&self.name)
    }

    /// The phase's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Runs a phase to its end (only from `drive`).
pub fn run(phase: Phase) -> Result<PhaseSummary, String> {
    raw::run(&phase.0)
}

/// Starts a phase and returns at once; phases may overlap.
pub fn start(phase: Phase) -> Result<Handle, String> {
    let name = phase.0.name.clone();
    raw::start(&phase.0).map(|id| Handle { id, name })
}

/// The live results of a running (or finished) phase, by name.
pub fn snapshot(name: &str) -> Option<PhaseSummary> {
    raw::snapshot(name)
}

/// Runs one phase per level, in turn, and returns their summaries in the same order.
///
/// `load::sweep([20, 32, 64], |c| Phase::constant_vus(&format!("c{c}"), c, secs(30)).tag("concurrency", c))`
pub fn sweep<L, I, F>(levels: I, mut phase_for: F) -> Result<Vec<PhaseSummary>, String>
where
    I: IntoIterator<Item = L>,
    F: FnMut(L) -> Phase,
{
    levels.into_iter().map(|level| run(phase_for(level))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_modifiers_apply_to_open_loop_only() {
        let p = Phase::rate("r", 200.0, Duration::from_secs(5)).max_vus(7).poisson();
        let Executor::ConstantArrivalRate(e) = &p.as_raw().executor else { panic!("wrong executor") };
        assert_eq!((e.rate, e.duration_ms, e.max_vus), (200.0, 5_000, 7));
        assert!(matches!(e.arrival, Arrival::Poisson));

        let p = Phase::burst("b", 5).max_vus(9).poisson();
        assert!(matches!(p.as_raw().executor, Executor::Burst(raw::Burst { count: 5 })));

        let p = Phase::ramp_rate("g", 1.0, &[(Duration::from_secs(1), 5.0)]).burstiness(0.5);
        let Executor::RampingArrivalRate(e) = &p.as_raw().executor else { panic!("wrong executor") };
        assert!(matches!(e.arrival, Arrival::Gamma(b) if b == 0.5));
    }

    #[test]
    fn scheduled_takes_offsets_and_a_speedup() {
        let p = Phase::scheduled_ms("t", &[0.0, 100.0, 250.0], 2.0).max_vus(3);
        let Executor::Scheduled(e) = &p.as_raw().executor else { panic!("wrong executor") };
        assert_eq!((e.offsets_ms.as_slice(), e.max_vus), ([0.0, 50.0, 125.0].as_slice(), 3));
        let p = Phase::scheduled("t", &[Duration::from_millis(5)]);
        let Executor::Scheduled(e) = &p.as_raw().executor else { panic!("wrong executor") };
        assert_eq!(e.offsets_ms, [5.0]);
    }

    #[test]
    fn closed_loop_builders() {
        let p = Phase::iterations("i", 2, 10).max_duration(Duration::from_secs(60));
        let Executor::ConstantVus(e) = &p.as_raw().executor else { panic!("wrong executor") };
        assert_eq!((e.vus, e.iterations_per_vu, e.duration_ms), (2, Some(10), Some(60_000)));

        let p = Phase::ramp("r", 1, &[(Duration::from_secs(10), 32), (Duration::from_millis(500), 0)]);
        let Executor::RampingVus(e) = &p.as_raw().executor else { panic!("wrong executor") };
        let stages: Vec<_> = e.stages.iter().map(|s| (s.duration_ms, s.target)).collect();
        assert_eq!((e.start_vus, stages), (1, vec![(10_000, 32), (500, 0)]));
    }

    #[test]
    fn tags_and_graceful_stop() {
        let p = Phase::pause("gap", Duration::from_secs(5))
            .tag("concurrency", 20)
            .tag("kind", "short")
            .graceful_stop(Duration::from_secs(2));
        let raw = p.into_raw();
        assert!(matches!(raw.executor, Executor::Pause(5_000)));
        assert_eq!(raw.tags, vec![("concurrency".into(), "20".into()), ("kind".into(), "short".into())]);
        assert_eq!(raw.graceful_stop_ms, Some(2_000));
    }
}
