//! One phase's telemetry as it accumulates: gauges as running (count, sum, max) aggregates, and
//! the cumulative series (server histograms, the preemption and prefix-cache counters) as the
//! snapshots that bracket the phase, subtracted when the report is made.

use std::collections::BTreeMap;

use runner_reports::model::{KeptSeries, TelemetryReport};

use super::Sample;
use super::histogram::{Cumulative, ServerHistogram};
use super::keep::MAX_KEPT_SERIES;

/// Mean and max of one field over the samples that had it.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Agg {
    count: u64,
    sum: f64,
    max: f64,
}

impl Agg {
    pub(super) fn add(&mut self, value: Option<f64>) {
        if let Some(v) = value.filter(|v| v.is_finite()) {
            self.max = if self.count == 0 { v } else { self.max.max(v) };
            self.count += 1;
            self.sum += v;
        }
    }

    pub(super) fn avg(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum / self.count as f64)
    }

    pub(super) fn max(&self) -> Option<f64> {
        (self.count > 0).then_some(self.max)
    }
}

/// The cumulative series of one sample: what a phase subtracts between its bracketing samples.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cumulatives {
    /// The preemption counter.
    pub preemptions: Option<f64>,
    /// The prefix-cache lookups, in prompt tokens.
    pub prefix_cache_queries: Option<f64>,
    /// The prompt tokens the prefix-cache lookups found cached.
    pub prefix_cache_hits: Option<f64>,
    /// The server's latency histograms.
    pub histograms: BTreeMap<ServerHistogram, Cumulative>,
}

impl Cumulatives {
    /// The cumulative part of a sample.
    pub fn of(sample: &Sample) -> Cumulatives {
        Cumulatives {
            preemptions: sample.preemptions_total,
            prefix_cache_queries: sample.prefix_cache_queries_total,
            prefix_cache_hits: sample.prefix_cache_hits_total,
            histograms: sample.histograms.clone(),
        }
    }
}

/// A counter's increase from `start` to `end`; `None` when the end has none.
fn increase(start: Option<f64>, end: Option<f64>) -> Option<f64> {
    end.map(|end| match start {
        Some(start) if end >= start => end - start,
        // A counter that went down restarted with the server: its value is the increase. One
        // that appeared during the phase counted only the phase.
        _ => end,
    })
}

/// The running aggregate of one phase's samples.
#[derive(Debug, Clone, Default)]
pub struct PhaseAggregate {
    samples: u64,
    util: Agg,
    memory: Agg,
    temperature: Agg,
    power: Agg,
    running: Agg,
    waiting: Agg,
    kv_cache: Agg,
    sm_active: Agg,
    sm_clock: Agg,
    process_memory: Agg,
    slots_busy: Agg,
    slots_total: Agg,
    decoded: Agg,
    kept: BTreeMap<String, Agg>,
    /// The cumulative series as of the last sample before the phase started.
    baseline: Option<Cumulatives>,
    /// The cumulative series as of the latest sample in (or just after) the phase.
    latest: Option<Cumulatives>,
}

impl PhaseAggregate {
    /// Folds in one sample taken while the phase ran. `before` is the sample before this one
    /// (if any): the first time, it becomes the phase's baseline, so what the server counted
    /// between that sample and this one is the phase's too.
    pub fn add(&mut self, s: &Sample, before: Option<&Cumulatives>) {
        self.samples += 1;
        self.util.add(s.gpu_util_pct);
        self.memory.add(s.memory_used_mib);
        self.temperature.add(s.temperature_c);
        self.power.add(s.power_w);
        self.running.add(s.running);
        self.waiting.add(s.waiting);
        self.kv_cache.add(s.kv_cache_pct);
        self.sm_active.add(s.sm_active_pct);
        self.sm_clock.add(s.sm_clock_mhz);
        self.process_memory.add(s.process_memory_mib);
        self.slots_busy.add(s.slots_busy);
        self.slots_total.add(s.slots_total);
        self.decoded.add(s.decoded_tokens);
        for (name, value) in &s.kept {
            if self.kept.len() < MAX_KEPT_SERIES || self.kept.contains_key(name) {
                self.kept.entry(name.clone()).or_default().add(Some(*value));
            }
        }
        let now = Cumulatives::of(s);
        if self.baseline.is_none() {
            self.baseline = Some(before.cloned().unwrap_or_else(|| now.clone()));
        }
        self.latest = Some(now);
    }

    /// Records the first sample after the phase ended: the end of its cumulative window, so what
    /// finished between the phase's last sample and its end is counted.
    pub fn close(&mut self, after: &Cumulatives) {
        if self.baseline.is_some() {
            self.latest = Some(after.clone());
        }
    }

    /// The phase's telemetry for the summary.
    pub fn report(&self) -> TelemetryReport {
        let (baseline, latest) = match (&self.baseline, &self.latest) {
            (Some(b), Some(l)) => (b, l),
            _ => (&Cumulatives::default(), &Cumulatives::default()),
        };
        let histogram = |which: ServerHistogram| {
            let end = latest.histograms.get(&which)?;
            let delta = match baseline.histograms.get(&which) {
                Some(start) => end.since(start),
                // The series appeared during the phase (the server's first request): all of it is new.
                None => end.clone(),
            };
            Some(delta.report())
        };
        let preemptions = increase(baseline.preemptions, latest.preemptions);
        let queries = increase(baseline.prefix_cache_queries, latest.prefix_cache_queries);
        let hits = increase(baseline.prefix_cache_hits, latest.prefix_cache_hits);
        // The share of the phase's looked-up tokens that were cached; none when nothing was looked up.
        let hit_rate = match (hits, queries) {
            (Some(h), Some(q)) if q > 0.0 => Some((h / q).clamp(0.0, 1.0)),
            _ => None,
        };
        TelemetryReport {
            samples: self.samples,
            gpu_util_avg_pct: self.util.avg(),
            gpu_util_max_pct: self.util.max(),
            memory_used_max_mib: self.memory.max(),
            temperature_max_c: self.temperature.max(),
            power_avg_w: self.power.avg(),
            queue_waiting_max: self.waiting.max(),
            queue_waiting_avg: self.waiting.avg(),
            queue_running_max: self.running.max(),
            kv_cache_max_pct: self.kv_cache.max(),
            sm_active_avg_pct: self.sm_active.avg(),
            sm_active_max_pct: self.sm_active.max(),
            sm_clock_avg_mhz: self.sm_clock.avg(),
            process_memory_max_mib: self.process_memory.max(),
            slots_busy_avg: self.slots_busy.avg(),
            slots_busy_max: self.slots_busy.max(),
            slots_total: self.slots_total.max(),
            decoded_tokens_max: self.decoded.max(),
            preemptions,
            prefix_cache_queries: queries,
            prefix_cache_hits: hits,
            prefix_cache_hit_rate: hit_rate,
            server_ttft: histogram(ServerHistogram::Ttft),
            server_itl: histogram(ServerHistogram::Itl),
            server_queue_time: histogram(ServerHistogram::QueueTime),
            kept: self
                .kept
                .iter()
                .filter_map(|(k, a)| Some((k.clone(), KeptSeries { avg: a.avg()?, max: a.max()? })))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_fields_stay_absent_and_present_ones_aggregate() {
        let mut agg = PhaseAggregate::default();
        agg.add(&Sample { waiting: Some(2.0), running: Some(4.0), ..Sample::default() }, None);
        agg.add(&Sample { waiting: Some(6.0), running: Some(4.0), ..Sample::default() }, None);
        let r = agg.report();
        assert_eq!(r.samples, 2);
        assert_eq!(r.queue_waiting_max, Some(6.0));
        assert_eq!(r.queue_waiting_avg, Some(4.0));
        assert_eq!(r.queue_running_max, Some(4.0));
        assert_eq!(r.gpu_util_avg_pct, None, "no GPU source: absent, not zero");
        assert_eq!(r.memory_used_max_mib, None);
        assert_eq!(r.preemptions, None);
        assert_eq!(r.server_ttft, None);
        assert!(r.kept.is_empty());
    }

    fn with_counters(preemptions: f64, ttft_in_50ms: f64) -> Sample {
        let mut h = Cumulative::default();
        h.add_bucket(0.05, ttft_in_50ms);
        h.add_bucket(f64::INFINITY, ttft_in_50ms);
        h.count = ttft_in_50ms;
        h.sum = ttft_in_50ms * 0.04;
        Sample {
            preemptions_total: Some(preemptions),
            histograms: [(ServerHistogram::Ttft, h)].into(),
            ..Sample::default()
        }
    }

    #[test]
    fn counters_are_deltas_between_the_samples_that_bracket_the_phase() {
        let before = Cumulatives::of(&with_counters(5.0, 100.0));
        let mut agg = PhaseAggregate::default();
        agg.add(&with_counters(6.0, 110.0), Some(&before));
        agg.add(&with_counters(7.0, 130.0), None);
        agg.close(&Cumulatives::of(&with_counters(9.0, 140.0)));
        let r = agg.report();
        assert_eq!(r.preemptions, Some(4.0), "9 at the end minus 5 before the start");
        let ttft = r.server_ttft.unwrap_or_default();
        assert_eq!(ttft.count, 40);
        assert!(ttft.mean_ms.is_some_and(|m| (m - 40.0).abs() < 1e-9));
        assert!(ttft.p50_ms.is_some_and(|p| (p - 25.0).abs() < 1e-9), "{:?}", ttft.p50_ms);
    }

    fn with_prefix_cache(queries: f64, hits: f64) -> Sample {
        Sample {
            prefix_cache_queries_total: Some(queries),
            prefix_cache_hits_total: Some(hits),
            ..Sample::default()
        }
    }

    #[test]
    fn the_prefix_cache_hit_rate_is_the_phases_hits_over_its_queries() {
        let before = Cumulatives::of(&with_prefix_cache(1000.0, 900.0));
        let mut agg = PhaseAggregate::default();
        agg.add(&with_prefix_cache(1400.0, 1000.0), Some(&before));
        agg.close(&Cumulatives::of(&with_prefix_cache(2000.0, 1300.0)));
        let r = agg.report();
        assert_eq!((r.prefix_cache_queries, r.prefix_cache_hits), (Some(1000.0), Some(400.0)));
        assert_eq!(r.prefix_cache_hit_rate, Some(0.4), "not the 65 % since the server started");
        let mut idle = PhaseAggregate::default();
        idle.add(&with_prefix_cache(1000.0, 900.0), Some(&before));
        assert_eq!(idle.report().prefix_cache_hit_rate, None, "nothing looked up: no rate");
        let mut restarted = PhaseAggregate::default();
        restarted.add(&with_prefix_cache(100.0, 25.0), Some(&before));
        assert_eq!(restarted.report().prefix_cache_hit_rate, Some(0.25), "counters that went down restarted");
        assert_eq!(PhaseAggregate::default().report().prefix_cache_hit_rate, None);
    }

    #[test]
    fn kept_series_aggregate_and_stay_bounded() {
        let mut agg = PhaseAggregate::default();
        let mut s = Sample::default();
        for i in 0..(MAX_KEPT_SERIES + 10) {
            s.kept.insert(format!("k{i:03}"), i as f64);
        }
        agg.add(&s, None);
        s.kept.insert("k000".into(), 10.0);
        agg.add(&s, None);
        let r = agg.report();
        assert_eq!(r.kept.len(), MAX_KEPT_SERIES);
        assert_eq!(r.kept.get("k000"), Some(&KeptSeries { avg: 5.0, max: 10.0 }));
    }
}
