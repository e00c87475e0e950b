//! A phase's iteration counters: how many completed, failed, were dropped (an open-loop arrival
//! with no free VU) or interrupted (cut at the phase's end), and how many run now. Updated by
//! the executors through methods only, read by the time series, `load.snapshot` and the report.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use runner_reports::Iterations;

/// Lock-free iteration counts of one phase.
#[derive(Debug, Default)]
pub struct IterationCounters {
    completed: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
    interrupted: AtomicU64,
    in_flight: AtomicI64,
}

impl IterationCounters {
    /// Counts an iteration as in flight for as long as the guard lives, even when its task is
    /// aborted.
    pub fn enter(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self)
    }

    pub(super) fn completed(&self) {
        self.completed.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn failed(&self) {
        self.failed.fetch_add(1, Ordering::Relaxed);
    }

    /// An open-loop arrival found no free VU: it is lost, and counted (never silently skipped).
    pub fn dropped(&self) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
    }

    /// `n` open-loop arrivals were not started (the phase's time ran out before the dispatcher
    /// reached them): lost, and counted.
    pub fn dropped_many(&self, n: u64) {
        self.dropped.fetch_add(n, Ordering::Relaxed);
    }

    /// Counts every iteration in flight now as interrupted: called when a phase cuts them off.
    pub fn interrupt_in_flight(&self) {
        self.interrupted.fetch_add(self.in_flight(), Ordering::Relaxed);
    }

    /// Iterations running now.
    pub fn in_flight(&self) -> u64 {
        self.in_flight.load(Ordering::Relaxed).max(0) as u64
    }

    /// The counts so far.
    pub fn counts(&self) -> Iterations {
        Iterations {
            completed: self.completed.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            interrupted: self.interrupted.load(Ordering::Relaxed),
        }
    }
}

/// An iteration in flight; see [`IterationCounters::enter`].
pub struct InFlight<'a>(&'a IterationCounters);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}
