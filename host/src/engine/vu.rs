//! Scenario instances: the stores the run's instances live in, and the load engine's VUs as
//! instances of the scenario ([`WasmVus`]). Each VU is its own store and instance, made from the
//! run's pre-linked component; the controller (`describe`, `drive`) is one more instance.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::task::Poll;

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

/// The kind of cap note for iterations a panic of the host ended.
pub const HOST_PANIC: &str =
    "iterations ended in a panic of the runner (a bug: please report it); their VUs were replaced";

/// Polls `fut`, turning a panic inside it into an error instead of unwinding into the task.
async fn catch_unwind<F: Future>(fut: F) -> Result<F::Output, Box<dyn Any + Send>> {
    let mut fut = std::pin::pin!(fut);
    std::future::poll_fn(|cx| match std::panic::catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
        Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
        Ok(Poll::Pending) => Poll::Pending,
        Err(panic) => Poll::Ready(Err(panic)),
    })
    .await
}

/// A panic's message, when it has one.
fn panic_message(panic: &(dyn Any + Send)) -> String {
    let text = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string());
    text.replace('\n', " ")
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
            let call = self.scenario.runner_scenario_guest().call_iteration(&mut self.store, &self.ctx);
            match catch_unwind(call).await {
                Ok(Ok(Ok(()))) => Outcome::Completed,
                Ok(Ok(Err(message))) => Outcome::Failed(message),
                // A trap leaves the instance unusable: the scheduler replaces it.
                Ok(Err(trap)) => Outcome::Broken(one_line(&trap)),
                Err(panic) => {
                    // A host function panicked on this guest's behalf: a bug of the runner. The
                    // iteration fails and is counted, the instance (its store unwound mid-call)
                    // is replaced, and the report says so, instead of the task dying silently
                    // with its VU and the phase reporting nothing.
                    let message = panic_message(panic.as_ref());
                    self.store.data().stats().caps.record(HOST_PANIC, 1, || message.clone());
                    Outcome::Broken(format!(
                        "the runner panicked during this iteration (a runner bug): {message}"
                    ))
                }
            }
        })
    }
}
