//! Scenario instances: the stores the run's instances live in, and the load engine's VUs as
//! instances of the scenario ([`WasmVus`]). Each VU is its own store and instance, made from the
//! run's pre-linked component; the controller (`describe`, `drive`) is one more instance.

use std::sync::Arc;

use wasmtime::Store;

use super::{LoadedScenario, one_line};
use crate::bindings::Scenario;
use crate::bindings::exports::runner::scenario::guest::IterationContext;
use crate::capabilities::{HostState, Role};
use crate::load::{BoxFuture, Outcome, Vu, VuFactory};
use crate::run::RunContext;
use crate::stats::PhaseStats;

/// Makes instances of one scenario for one run: the controller, and the VUs of its phases.
pub struct WasmVus {
    run: Arc<RunContext>,
    scenario: Arc<LoadedScenario>,
}

impl WasmVus {
    pub fn new(run: Arc<RunContext>, scenario: Arc<LoadedScenario>) -> Arc<Self> {
        Arc::new(Self { run, scenario })
    }

    /// A store for `role`, with the memory cap and the epoch settings that keep guests
    /// preemptible.
    pub fn store(&self, role: Role) -> Store<HostState> {
        let mut store = Store::new(&self.scenario.engine, HostState::new(self.run.clone(), role));
        store.limiter(|state| &mut state.limits);
        // Yield to tokio at every epoch tick: a guest busy computing cannot block other VUs.
        store.set_epoch_deadline(1);
        store.epoch_deadline_async_yield_and_update(1);
        store
    }

    /// The controller instance: it runs `describe` and `drive`, and its phases get their VUs
    /// from `self`.
    pub async fn controller(self: &Arc<Self>) -> Result<(Store<HostState>, Scenario), String> {
        let mut store = self.store(Role::Controller { vus: self.clone() });
        let instance = self
            .scenario
            .pre
            .instantiate_async(&mut store)
            .await
            .map_err(|e| format!("cannot instantiate the scenario: {}", one_line(&e)))?;
        Ok((store, instance))
    }

    /// VU `id` of `phase`, as the concrete type (the benchmarks keep many of them).
    pub async fn vu(&self, phase: &Arc<PhaseStats>, id: u32) -> wasmtime::Result<WasmVu> {
        let mut store = self.store(Role::Vu { phase: phase.clone(), vu: id });
        let scenario = self.scenario.pre.instantiate_async(&mut store).await?;
        let ctx = IterationContext {
            phase: phase.name.clone(),
            tags: phase.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            vu: id,
            iteration: 0,
        };
        Ok(WasmVu { store, scenario, ctx })
    }
}

impl VuFactory for WasmVus {
    fn create<'a>(
        &'a self,
        phase: &'a Arc<PhaseStats>,
        id: u32,
    ) -> BoxFuture<'a, Result<Box<dyn Vu>, String>> {
        Box::pin(async move {
            let vu = self.vu(phase, id).await.map_err(|e| one_line(&e))?;
            Ok(Box::new(vu) as Box<dyn Vu>)
        })
    }
}

/// One VU: an instance of the scenario bound to one phase.
pub struct WasmVu {
    store: Store<HostState>,
    scenario: Scenario,
    /// Built once: only `iteration` changes between calls, so the phase name and tags are not
    /// copied again for every iteration.
    ctx: IterationContext,
}

impl Vu for WasmVu {
    fn iterate(&mut self, iteration: u64) -> BoxFuture<'_, Outcome> {
        self.ctx.iteration = iteration;
        Box::pin(async move {
            match self.scenario.runner_scenario_guest().call_iteration(&mut self.store, &self.ctx).await {
                Ok(Ok(())) => Outcome::Completed,
                Ok(Err(message)) => Outcome::Failed(message),
                // A trap leaves the instance unusable: the scheduler replaces it.
                Err(trap) => Outcome::Broken(one_line(&trap)),
            }
        })
    }
}
