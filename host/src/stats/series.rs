//! One group of HdrHistograms and counts: all requests of a phase, or those with one tag set.
//! Values are kept in microseconds (latencies) or ×1000 (rates, custom trends), three
//! significant digits, and turned into the report's milliseconds by
//! `runner_reports::histogram::distribution` (the one definition, which `runner merge` uses too).

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use runner_reports::histogram::{self, distribution};
use runner_reports::{CheckCount, Distribution, metric};

/// Latencies (µs) up to this fit a phase-level histogram from its creation: one hour.
pub const PRESIZED_MAX_US: u64 = 3_600_000_000;

fn new_histogram() -> Histogram<u64> {
    // Three significant digits, auto-resizing: bounded memory for any range of values.
    histogram::new_histogram()
}

/// Adds a sample: `record` grows an auto-resizing histogram; `saturating_record` alone would
/// clamp to its initial (tiny) range.
fn record(h: &mut Histogram<u64>, value: u64) {
    if h.record(value).is_err() {
        h.saturating_record(value);
    }
}

/// A histogram that holds latencies up to [`PRESIZED_MAX_US`] without resizing (184 KiB of
/// counts), and still auto-resizes beyond. An auto-resizing one starts tiny and grows each time a
/// latency passes a power of two: every growth reallocates its counts (amortised doubling) and
/// leaves the old block behind in the allocator, so on a long run each new latency maximum (a
/// stall on a busy machine widens every latency metric at once) stepped RSS up by ~1 MiB. A
/// histogram that ends a long run at an hour's range holds the same 184 KiB anyway.
fn presized_histogram() -> Histogram<u64> {
    let mut h = Histogram::new_with_max(PRESIZED_MAX_US, histogram::SIGNIFICANT_DIGITS)
        .expect("valid histogram bounds");
    h.auto(true);
    h
}

/// Histograms by metric name, request counts, and the scenario's own counters and checks.
#[derive(Default)]
pub(super) struct Series {
    pub(super) metrics: BTreeMap<String, Histogram<u64>>,
    pub(super) requests: u64,
    pub(super) errors: u64,
    /// Prompt tokens, and those `usage` reported cached, of the successful LLM calls (kept per
    /// tag set: the phase's totals are [`super::PhaseStats`]'s own).
    pub(super) input_tokens: u64,
    pub(super) cached_tokens: u64,
    /// LLM calls whose `usage` reported cached prompt tokens, even 0.
    pub(super) cached_reported: u64,
    pub(super) counters: BTreeMap<String, u64>,
    pub(super) checks: BTreeMap<String, CheckCount>,
    /// Latency histograms start at [`PRESIZED_MAX_US`]: set for the phase's own series (one
    /// each), not for tag sets, which a guest can multiply up to `MAX_TAG_SETS`.
    presized: bool,
}

impl Series {
    pub(super) fn presized() -> Self {
        Series { presized: true, ..Series::default() }
    }

    /// Adds `value` to the histogram `name`, creating it on first use.
    pub(super) fn record(&mut self, name: &str, value: u64) {
        // Look up before inserting: `entry` would allocate the key on every sample (several per
        // request on the hot path), though the histogram almost always exists already.
        if let Some(h) = self.metrics.get_mut(name) {
            record(h, value);
            return;
        }
        let mut h =
            if self.presized && metric::is_millis(name) { presized_histogram() } else { new_histogram() };
        record(&mut h, value);
        self.metrics.insert(name.to_string(), h);
    }

    /// Adds `delta` to the custom counter `name`, saturating: a guest's deltas must not wrap a
    /// counter around to a small number.
    pub(super) fn count(&mut self, name: &str, delta: u64) {
        let counter = self.counters.entry(name.to_string()).or_default();
        *counter = counter.saturating_add(delta);
    }

    /// Records one outcome of the check `name`.
    pub(super) fn check(&mut self, name: &str, ok: bool) {
        let c = self.checks.entry(name.to_string()).or_insert(CheckCount { passes: 0, fails: 0 });
        if ok {
            c.passes += 1;
        } else {
            c.fails += 1;
        }
    }

    /// Every histogram as the report's distribution.
    pub(super) fn distributions(&self) -> BTreeMap<String, Distribution> {
        self.metrics.iter().map(|(k, h)| (k.clone(), distribution(h))).collect()
    }

    /// Every histogram, lossless, as `summary.json` carries it (for `runner merge`).
    pub(super) fn histograms(&self) -> BTreeMap<String, String> {
        self.metrics.iter().map(|(k, h)| (k.clone(), histogram::encode(h))).collect()
    }
}

/// A distribution with no samples.
pub fn empty_distribution() -> Distribution {
    Distribution::default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counter_saturates_instead_of_wrapping() {
        let mut s = Series::default();
        s.count("c", u64::MAX);
        s.count("c", u64::MAX);
        assert_eq!(s.counters["c"], u64::MAX);
    }
}
