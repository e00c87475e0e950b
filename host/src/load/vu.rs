//! What the scheduler runs iterations on. A [`VuFactory`] makes [`Vu`]s for a phase; the load
//! engine knows nothing of Wasm: the run hands it a factory of scenario instances, and tests hand
//! it plain Rust VUs whose behaviour is known. [`PhaseVu`] is a VU as the executors hold it: with
//! its phase, its iteration timer and the accounting every iteration gets.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::deadline::Deadline;
use crate::stats::PhaseStats;

/// A boxed future, as the VU traits return them (they are used as trait objects).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How one iteration ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Completed,
    /// The iteration returned an error; the VU is still usable.
    Failed(String),
    /// The VU trapped or ran past the iteration timeout; it must be replaced.
    Broken(String),
}

/// One virtual user: runs iterations one after another.
pub trait Vu: Send + 'static {
    /// Runs iteration number `iteration` of the phase. The scheduler drops the future when the
    /// iteration timeout passes, and then replaces the VU rather than using it again.
    fn iterate(&mut self, iteration: u64) -> BoxFuture<'_, Outcome>;
}

/// Makes the VUs of a phase.
pub trait VuFactory: Send + Sync + 'static {
    /// VU number `id` of the phase `phase` (its measurements go there). The error says why in
    /// one line.
    fn create<'a>(
        &'a self,
        phase: &'a Arc<PhaseStats>,
        id: u32,
    ) -> BoxFuture<'a, Result<Box<dyn Vu>, String>>;
}

/// A VU bound to one phase, as the executors hold it.
pub struct PhaseVu {
    pub id: u32,
    vu: Box<dyn Vu>,
    phase: Arc<PhaseStats>,
    /// Enforces the iteration timeout without a timer registration per iteration.
    deadline: Deadline,
}

impl PhaseVu {
    /// VU `id` of `phase`, made by `factory`.
    pub async fn new(factory: &dyn VuFactory, phase: &Arc<PhaseStats>, id: u32) -> Result<Self, String> {
        let vu = factory.create(phase, id).await.map_err(|why| {
            // Pool exhaustion reads "... instance limit of N reached ..."; say which knob raises it.
            let hint = if why.contains("limit") { " (more VUs at once need a higher --max-vus)" } else { "" };
            format!("phase {}: cannot create VU {id}: {why}{hint}", phase.name)
        })?;
        Ok(Self { id, vu, phase: phase.clone(), deadline: Deadline::new() })
    }

    /// Runs one iteration, bounded by `timeout`, and accounts for it in the phase's counters.
    pub async fn iterate(&mut self, iteration: u64, timeout: Duration) -> Outcome {
        let phase = &self.phase;
        let _in_flight = phase.iterations.enter();
        let started = Instant::now();
        let outcome = match self.deadline.run(started + timeout, self.vu.iterate(iteration)).await {
            Some(outcome) => outcome,
            None => Outcome::Broken(format!("iteration ran past the iteration timeout ({timeout:?})")),
        };
        let failure = match &outcome {
            Outcome::Completed => None,
            Outcome::Failed(message) | Outcome::Broken(message) => Some(message.as_str()),
        };
        phase.record_iteration(started.elapsed(), failure);
        outcome
    }
}
