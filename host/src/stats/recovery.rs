//! Outages seen by one phase: an outage starts at a failed request after a success (or at the
//! start) and ends at the next successful one; its recovery time is first error → next success.

use std::time::{Duration, Instant};

/// A phase's outages so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    /// When the outage under way began, if the last request failed.
    pub failing_since: Option<Instant>,
    /// Outages that ended in a success.
    pub recovered: u64,
    /// The longest recovery time.
    pub longest: Duration,
    /// All recovery times added up.
    pub total: Duration,
}

impl Recovery {
    pub(super) fn on_error(&mut self, at: Instant) {
        self.failing_since.get_or_insert(at);
    }

    /// `now` is read only when a failure streak ends: the clock is not read per success.
    pub(super) fn on_success(&mut self, now: impl FnOnce() -> Instant) {
        if let Some(since) = self.failing_since.take() {
            let took = now().saturating_duration_since(since);
            self.recovered += 1;
            self.longest = self.longest.max(took);
            self.total += took;
        }
    }
}
