//! `runner:scenario/load`: turns the phases `drive` describes into validated plans, runs them
//! through the run's [`PhaseRegistry`](crate::load::PhaseRegistry) and answers with summaries.

use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use runner_reports::metric;

use super::{HostState, Role, limits, ms, tags};
use crate::bindings::runner::scenario::load::{Arrival, Executor, Host, Latency, Phase, PhaseSummary};
use crate::load::plan::{Arrivals, Budget, Gaps, Plan, RateProfile, VuCurve};
use crate::load::{PhaseSpec, Segment, VuFactory};
use crate::stats::PhaseStats;

/// Default for `graceful-stop-ms`.
pub const DEFAULT_GRACEFUL_STOP: Duration = Duration::from_secs(30);
/// The longest an iteration-bounded phase without a duration may run (k6's `maxDuration`).
pub const DEFAULT_MAX_DURATION: Duration = Duration::from_secs(600);

fn positive_rate(what: &str, r: f64) -> Result<f64, String> {
    limits::rate(what, r)
}

fn nonzero_ms(what: &str, v: u64) -> Result<Duration, String> {
    if v == 0 { Err(format!("{what} must be greater than 0")) } else { limits::duration_ms(what, v) }
}

fn nonzero<T: PartialEq + Default + std::fmt::Display>(what: &str, v: T) -> Result<T, String> {
    if v == T::default() { Err(format!("{what} must be greater than 0")) } else { Ok(v) }
}

/// A VU count that is not zero and not over [`limits::MAX_VUS`].
fn vu_count(what: &str, v: u32) -> Result<u32, String> {
    limits::vus(what, nonzero(what, v)?)
}

/// An optional duration, bounded like every other.
fn optional_ms(what: &str, v: Option<u64>) -> Result<Option<Duration>, String> {
    v.map(|ms| limits::duration_ms(what, ms)).transpose()
}

/// The stages' durations, each and in total within [`limits::MAX_DURATION`] (their sum is the
/// phase's duration: unchecked, it overflows or sets a deadline years away).
fn stage_durations(durations: impl Iterator<Item = u64>, count: usize) -> Result<Vec<Duration>, String> {
    if count > limits::MAX_STAGES {
        return Err(format!("{count} stages; at most {} are accepted", limits::MAX_STAGES));
    }
    let mut total = Duration::ZERO;
    let mut out = Vec::with_capacity(count);
    for ms in durations {
        let d = limits::duration_ms("a stage's duration-ms", ms)?;
        total += d;
        if total > limits::MAX_DURATION {
            return Err(format!(
                "the stages last longer than the maximum of {} in all",
                limits::human(limits::MAX_DURATION)
            ));
        }
        out.push(d);
    }
    Ok(out)
}

/// Validates a phase and maps its executor onto a [`Plan`]. `seed` makes Poisson schedules
/// reproducible: each phase derives its own from the run's seed and its name. Every duration,
/// rate and count is bounded ([`limits`]): a value past a bound refuses the phase with a message
/// the guest gets back from `load.run`, rather than reaching the scheduler's arithmetic.
pub fn to_spec(phase: Phase, seed: u64) -> Result<PhaseSpec, String> {
    let name = phase.name.trim().to_string();
    if name.is_empty() {
        return Err("a phase needs a non-empty name".into());
    }
    limits::name("a phase name", &name)?;
    let context = |e: String| format!("phase {name:?}: {e}");
    limits::tags(&phase.tags).map_err(context)?;
    let phase_seed = {
        let mut h = std::hash::DefaultHasher::new();
        (seed, &name).hash(&mut h);
        h.finish()
    };
    let gaps = |arrival: Arrival| -> Result<Gaps, String> {
        Ok(match arrival {
            Arrival::Uniform => Gaps::Uniform,
            Arrival::Poisson => Gaps::Poisson { seed: phase_seed },
            Arrival::Gamma(b) => Gaps::Gamma { seed: phase_seed, shape: limits::burstiness(b)? },
        })
    };
    let (executor, plan) = match phase.executor {
        Executor::ConstantVus(c) => {
            let vus = vu_count("vus", c.vus).map_err(context)?;
            let (budget, duration) = match (c.duration_ms, c.iterations_per_vu) {
                (Some(d), None) => (Budget::Unlimited, nonzero_ms("duration-ms", d).map_err(context)?),
                (d, Some(k)) => (
                    Budget::PerVu(nonzero("iterations-per-vu", k).map_err(context)?),
                    optional_ms("duration-ms", d).map_err(context)?.unwrap_or(DEFAULT_MAX_DURATION),
                ),
                (None, None) => {
                    return Err(context("constant-vus needs duration-ms or iterations-per-vu".into()));
                }
            };
            ("constant-vus", Plan::Closed { vus: VuCurve::constant(vus), budget, duration })
        }
        Executor::RampingVus(r) => {
            if r.stages.is_empty() {
                return Err(context("ramping-vus needs at least one stage".into()));
            }
            let durations =
                stage_durations(r.stages.iter().map(|s| s.duration_ms), r.stages.len()).map_err(context)?;
            let mut stages = Vec::with_capacity(durations.len());
            for (d, s) in durations.into_iter().zip(&r.stages) {
                stages.push((d, limits::vus("a stage's target", s.target).map_err(context)?));
            }
            let duration = stages.iter().map(|s| s.0).sum::<Duration>();
            let start = limits::vus("start-vus", r.start_vus).map_err(context)?;
            let vus = VuCurve { start, stages };
            if vus.max() == 0 || duration.is_zero() {
                return Err(context("ramping-vus needs a stage with VUs and a non-zero duration".into()));
            }
            ("ramping-vus", Plan::Closed { vus, budget: Budget::Unlimited, duration })
        }
        Executor::ConstantArrivalRate(c) => {
            let rate = nonzero("rate", positive_rate("rate", c.rate).map_err(context)?).map_err(context)?;
            let duration = nonzero_ms("duration-ms", c.duration_ms).map_err(context)?;
            let max_vus = vu_count("max-vus", c.max_vus).map_err(context)?;
            let arrivals = Arrivals::Rate {
                profile: RateProfile::constant(rate, duration),
                gaps: gaps(c.arrival).map_err(context)?,
            };
            ("constant-arrival-rate", Plan::Open { arrivals, max_vus, duration })
        }
        Executor::RampingArrivalRate(r) => {
            let start = positive_rate("start-rate", r.start_rate).map_err(context)?;
            let durations =
                stage_durations(r.stages.iter().map(|s| s.duration_ms), r.stages.len()).map_err(context)?;
            let mut stages = Vec::with_capacity(durations.len());
            for (d, s) in durations.into_iter().zip(&r.stages) {
                stages.push((d, positive_rate("stage target", s.target).map_err(context)?));
            }
            let profile = RateProfile::staged(start, &stages);
            let duration = profile.duration();
            if duration.is_zero() || profile.max_rate() == 0.0 {
                return Err(context(
                    "ramping-arrival-rate needs stages with a rate and a non-zero duration".into(),
                ));
            }
            let max_vus = vu_count("max-vus", r.max_vus).map_err(context)?;
            let arrivals = Arrivals::Rate { profile, gaps: gaps(r.arrival).map_err(context)? };
            ("ramping-arrival-rate", Plan::Open { arrivals, max_vus, duration })
        }
        Executor::Burst(b) => {
            let n = vu_count("count", b.count).map_err(context)?;
            ("burst", Plan::Open { arrivals: Arrivals::AllAtOnce(n), max_vus: n, duration: Duration::ZERO })
        }
        Executor::SharedIterations(s) => {
            let vus = vu_count("vus", s.vus).map_err(context)?;
            let total = nonzero("iterations", s.iterations).map_err(context)?;
            let duration = optional_ms("max-duration-ms", s.max_duration_ms)
                .map_err(context)?
                .unwrap_or(DEFAULT_MAX_DURATION);
            (
                "shared-iterations",
                Plan::Closed { vus: VuCurve::constant(vus), budget: Budget::Shared(total), duration },
            )
        }
        Executor::Scheduled(s) => {
            let offsets = limits::schedule(&s.offsets_ms).map_err(context)?;
            if offsets.is_empty() {
                return Err(context("scheduled needs at least one start offset".into()));
            }
            let max_vus = vu_count("max-vus", s.max_vus).map_err(context)?;
            let duration = offsets.last().copied().unwrap_or_default();
            ("scheduled", Plan::Open { arrivals: Arrivals::Scheduled(offsets.into()), max_vus, duration })
        }
        Executor::Pause(d) => ("pause", Plan::Pause(limits::duration_ms("pause", d).map_err(context)?)),
    };
    let graceful_stop = optional_ms("graceful-stop-ms", phase.graceful_stop_ms)
        .map_err(context)?
        .unwrap_or(DEFAULT_GRACEFUL_STOP);
    Ok(PhaseSpec {
        name,
        tags: tags(phase.tags),
        executor,
        plan,
        graceful_stop,
        segment: Segment::WHOLE,
        start_at: None,
    })
}

fn latency(stats: &PhaseStats, name: &str) -> Latency {
    let d = stats.distribution(name);
    Latency { count: d.count, mean_ms: d.mean, p50_ms: d.p50, p95_ms: d.p95, p99_ms: d.p99, max_ms: d.max }
}

/// The guest's view of a phase's results (live or final).
pub fn summary(stats: &PhaseStats) -> PhaseSummary {
    let counts = stats.iterations.counts();
    PhaseSummary {
        name: stats.name.clone(),
        elapsed_ms: ms(stats.elapsed()),
        iterations: counts.completed,
        failed_iterations: counts.failed,
        dropped_iterations: counts.dropped,
        in_flight: u32::try_from(stats.iterations.in_flight()).unwrap_or(u32::MAX),
        requests: stats.requests(),
        errors: stats.errors(),
        requests_per_second: stats.requests_per_s(),
        output_tokens_per_second: stats.output_tokens_per_s(),
        ttft: latency(stats, metric::TTFT),
        itl: latency(stats, metric::ITL),
        e2e: latency(stats, metric::E2E),
    }
}

impl HostState {
    /// The controller's VU factory; phases are started and waited for only from `drive`.
    fn controller_only(&self, what: &str) -> Result<&Arc<dyn VuFactory>, String> {
        match &self.role {
            Role::Controller { vus } => Ok(vus),
            Role::Vu { .. } => Err(format!("load.{what} is only available in drive(), not in an iteration")),
        }
    }

    /// Validates and starts a phase — its traffic begins at its planned instant when workers
    /// share the run (`--start-at`: see `load/planned.rs`) — and returns its handle.
    fn start_phase(&self, phase: Phase) -> Result<u32, String> {
        self.controller_only("start")?;
        let spec =
            PhaseSpec { segment: self.run.settings.segment, ..to_spec(phase, self.run.settings.seed)? };
        // Each phase keeps its statistics until the report: a `drive` starting phases in a loop
        // would otherwise grow the host without bound.
        if self.run.phases.entries().len() >= limits::MAX_PHASES {
            return Err(format!(
                "phase {:?} not started: a run may start at most {} phases",
                spec.name,
                limits::MAX_PHASES
            ));
        }
        let length = spec.planned_length();
        let planned = self.run.planned.cursor();
        let spec = PhaseSpec { start_at: planned, ..spec };
        let vus = self.controller_only("start")?.clone();
        let handle = self.run.phases.start(spec, vus)?;
        self.run.planned.started(handle, planned, length);
        Ok(handle)
    }

    /// Waits for a started phase; the planned timeline moves past its planned end.
    async fn wait_phase(&mut self, handle: u32) -> Result<PhaseSummary, String> {
        let run = self.run.clone();
        let result = run.phases.wait(handle).await.map(|stats| summary(&stats));
        run.planned.waited(handle);
        result
    }
}

impl Host for HostState {
    async fn run(&mut self, phase: Phase) -> wasmtime::Result<Result<PhaseSummary, String>> {
        let handle = match self.start_phase(phase) {
            Ok(h) => h,
            Err(e) => return Ok(Err(e)),
        };
        Ok(self.wait_phase(handle).await)
    }

    async fn start(&mut self, phase: Phase) -> wasmtime::Result<Result<u32, String>> {
        Ok(self.start_phase(phase))
    }

    async fn wait(&mut self, handle: u32) -> wasmtime::Result<Result<PhaseSummary, String>> {
        if let Err(e) = self.controller_only("wait") {
            return Ok(Err(e));
        }
        Ok(self.wait_phase(handle).await)
    }

    async fn snapshot(&mut self, name: String) -> wasmtime::Result<Option<PhaseSummary>> {
        Ok(self.run.phases.find(&name).map(|stats| summary(&stats)))
    }
}
