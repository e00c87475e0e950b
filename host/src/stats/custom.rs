//! The scenario's own metrics (`metrics.trend`, `count`, `check`): recorded into the phase's
//! series and, with tags, into that tag set's series too. A phase keeps at most
//! [`MAX_METRIC_NAMES`] names of each kind; updates to names beyond are dropped and counted, so
//! a guest minting names cannot exhaust the host's memory.

use runner_reports::metric;

use super::{Recorded, Tags};

/// How many distinct custom counter, check or trend names one phase keeps (each kind apart).
pub const MAX_METRIC_NAMES: usize = 1_000;

/// Custom trends are kept with this many decimals.
const CUSTOM_SCALE: f64 = 1000.0;

impl Recorded {
    /// Whether a name beyond the cap is asked for; counts the dropped update if so.
    fn over_cap(&mut self, known: bool, names: usize) -> bool {
        let over = !known && names >= MAX_METRIC_NAMES;
        if over {
            self.metric_names_overflowed += 1;
        }
        over
    }

    pub(super) fn trend(&mut self, name: &str, value: f64, extra: &Tags) {
        let scaled = if value.is_finite() && value > 0.0 { (value * CUSTOM_SCALE) as u64 } else { 0 };
        let key = metric::custom(name);
        let known = self.all.metrics.contains_key(&key);
        if self.over_cap(known, self.custom_trend_names) {
            return;
        }
        if !known {
            self.custom_trend_names += 1;
        }
        self.each_series(extra, |s| s.record(&key, scaled));
    }

    pub(super) fn count(&mut self, name: &str, delta: u64, extra: &Tags) {
        if self.over_cap(self.all.counters.contains_key(name), self.all.counters.len()) {
            return;
        }
        self.each_series(extra, |s| s.count(name, delta));
    }

    pub(super) fn check(&mut self, name: &str, ok: bool, extra: &Tags) {
        if self.over_cap(self.all.checks.contains_key(name), self.all.checks.len()) {
            return;
        }
        self.each_series(extra, |s| s.check(name, ok));
    }
}
