//! One virtual user: its own store and instance of the scenario, created from the run's
//! pre-linked component, and the bookkeeping around each iteration it runs.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use wasmtime::Store;

use crate::capabilities::{HostState, Role, RunContext};
use crate::deadline::Deadline;
use crate::engine::Scenario;
use crate::engine::bindings::exports::runner::scenario::guest::IterationContext;
use crate::stats::PhaseStats;

/// How one iteration ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Completed,
    /// The guest returned an error; the instance is still usable.
    Failed(String),
    /// The guest trapped or ran past the iteration timeout; the instance must be replaced.
    Broken(String),
}

/// A VU: an instance of the scenario bound to one phase.
pub struct Vu {
    pub id: u32,
    store: Store<HostState>,
    scenario: Scenario,
    phase: Arc<PhaseStats>,
    /// Built once: only `iteration` changes between calls, so the phase name and tags are not
    /// copied again for every iteration.
    ctx: IterationContext,
    /// Enforces the iteration timeout without a timer registration per iteration.
    deadline: Deadline,
}

/// Creates a store for `role`, with the epoch settings that keep guests preemptible.
pub fn new_store(run: &Arc<RunContext>, role: Role) -> Store<HostState> {
    let mut store = Store::new(&run.scenario.engine, HostState::new(run.clone(), role));
    store.limiter(|state| &mut state.limits);
    // Yield to tokio at every epoch tick: a guest busy computing cannot block other VUs.
    store.set_epoch_deadline(1);
    store.epoch_deadline_async_yield_and_update(1);
    store
}

impl Vu {
    pub async fn new(run: &Arc<RunContext>, phase: &Arc<PhaseStats>, id: u32) -> wasmtime::Result<Self> {
        let mut store = new_store(run, Role::Vu { phase: phase.clone(), vu: id });
        let scenario = run.scenario.pre.instantiate_async(&mut store).await?;
        let ctx = IterationContext {
            phase: phase.name.clone(),
            tags: phase.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            vu: id,
            iteration: 0,
        };
        Ok(Self { id, store, scenario, phase: phase.clone(), ctx, deadline: Deadline::new() })
    }

    /// Runs one iteration and accounts for it in the phase's counters.
    pub async fn iterate(&mut self, iteration: u64, timeout: Duration) -> Outcome {
        self.ctx.iteration = iteration;
        let phase = &self.phase;
        let _in_flight = InFlight::enter(phase);
        let started = Instant::now();
        let call = self.scenario.runner_scenario_guest().call_iteration(&mut self.store, &self.ctx);
        let outcome = match self.deadline.run(started + timeout, call).await {
            Some(Ok(Ok(()))) => Outcome::Completed,
            Some(Ok(Err(message))) => Outcome::Failed(message),
            Some(Err(trap)) => Outcome::Broken(crate::engine::one_line(&trap)),
            None => Outcome::Broken(format!("iteration ran past the iteration timeout ({timeout:?})")),
        };
        phase.record_iteration(started.elapsed());
        match &outcome {
            Outcome::Completed => {
                phase.iterations.fetch_add(1, Ordering::Relaxed);
            }
            Outcome::Failed(message) | Outcome::Broken(message) => {
                phase.failed_iterations.fetch_add(1, Ordering::Relaxed);
                phase.note_failure(message);
            }
        }
        outcome
    }
}

/// Counts an iteration as in flight for as long as it lives, even when its task is aborted.
struct InFlight<'a>(&'a PhaseStats);

impl<'a> InFlight<'a> {
    fn enter(phase: &'a PhaseStats) -> Self {
        phase.in_flight.fetch_add(1, Ordering::Relaxed);
        Self(phase)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}
