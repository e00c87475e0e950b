//! The load engine: phases described by `drive` run natively on many VUs, with exact timing.
//! It knows nothing of Wasm: it takes a [`VuFactory`] and a [`StopSignal`], so the scheduler can
//! be tested alone with plain Rust VUs.
//!
//! [`plan`] is the data model (one scheduling abstraction), [`spec`] a validated phase,
//! [`executor`] runs a plan, [`vu`] is what iterations run on, [`stop`] the run's stop request
//! and [`registry`] keeps the run's phases. A run split across workers runs one [`segment`] of
//! every phase, each phase starting at its instant on the [`planned`] timeline.

pub mod executor;
pub mod plan;
pub mod planned;
pub mod registry;
pub mod segment;
pub mod spec;
pub mod stop;
pub mod vu;

use std::time::Duration;

pub use planned::PlannedClock;
pub use registry::PhaseRegistry;
pub use segment::Segment;
pub use spec::PhaseSpec;
pub use stop::{Stop, StopSignal};
pub use vu::{BoxFuture, Outcome, Vu, VuFactory};

use crate::stats::{Observers, Slo};

/// The run-wide settings every phase runs within.
#[derive(Debug, Clone)]
pub struct PhaseLimits {
    /// How long one iteration may run before it is interrupted and its VU replaced.
    pub iteration_timeout: Duration,
    /// Dispatch-lag p99 above which an open-loop phase is flagged as behind schedule.
    pub lag_bound: Duration,
    /// Per-request objectives for goodput.
    pub slo: Option<Slo>,
    /// The run's live outputs, told of every request of every phase.
    pub observers: Observers,
}

#[cfg(test)]
mod tests;
