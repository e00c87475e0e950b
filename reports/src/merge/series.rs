//! The merged time series: the workers' samples placed by the wall-clock second their interval
//! ended in and summed per phase, their latencies pooled count-weighted (the time series holds no
//! histograms), phase starts and telemetry kept in time order.

use std::collections::BTreeMap;

use super::{add_map, sum_opt};
use crate::timeseries::{PhaseStart, Record, RunStart, Sample};

/// One wall-clock second of one phase: the workers' samples that ended in it, added up.
#[derive(Default)]
struct Bucket {
    /// The latest end of an interval in the second, ms from the merged start.
    end_ms: f64,
    interval_s: f64,
    interval_requests: u64,
    interval_errors: u64,
    interval_output_tokens: u64,
    /// What the workers' cumulative counts grew by in the second (each worker's latest sample in
    /// it, minus its latest before): summed from the start, they are the workers' totals.
    grew: Sample,
    /// In-flight iterations, as the same kind of change.
    in_flight: i64,
    latency: BTreeMap<String, Pooled>,
}

/// Distributions pooled as `runner report` pools per-second ones when it rebuilds a summary
/// (count-weighted means; pooled variance), one part at a time.
#[derive(Clone, Copy)]
struct Pooled {
    count: u64,
    /// Σ count·x for mean, p50, p90, p95, p99, and Σ count·(stddev² + mean²).
    sums: [f64; 6],
    min: f64,
    max: f64,
}

impl Default for Pooled {
    fn default() -> Self {
        Pooled { count: 0, sums: [0.0; 6], min: f64::INFINITY, max: 0.0 }
    }
}

impl Pooled {
    fn add(&mut self, d: &crate::model::Distribution) {
        let n = d.count as f64;
        self.count += d.count;
        for (sum, x) in self.sums.iter_mut().zip([
            d.mean,
            d.p50,
            d.p90,
            d.p95,
            d.p99,
            d.stddev * d.stddev + d.mean * d.mean,
        ]) {
            *sum += x * n;
        }
        self.min = self.min.min(d.min);
        self.max = self.max.max(d.max);
    }

    fn distribution(&self) -> crate::model::Distribution {
        if self.count == 0 {
            return crate::model::Distribution::default();
        }
        let n = self.count as f64;
        let [mean, p50, p90, p95, p99, square] = self.sums.map(|s| s / n);
        crate::model::Distribution {
            count: self.count,
            mean,
            stddev: (square - mean * mean).max(0.0).sqrt(),
            min: self.min,
            p50,
            p90,
            p95,
            p99,
            max: self.max,
        }
    }
}

/// The time series of one phase, merged so far.
#[derive(Default)]
struct PhaseSeries {
    buckets: BTreeMap<i64, Bucket>,
    /// Workers that sampled the phase, and of them those whose last sample was the phase's last.
    workers: usize,
    ended: usize,
}

/// The merged time series, folded one worker at a time, so a merge holds one worker's records
/// and the merged buckets, not every worker's records at once.
pub(super) struct SeriesMerger {
    /// The merged run's start, ms since the Unix epoch.
    t0: f64,
    /// Each phase's earliest start (ms since the epoch) and its record, in first-seen order.
    starts: Vec<(f64, PhaseStart)>,
    phases: BTreeMap<String, PhaseSeries>,
    /// The telemetry of the worker with the most samples so far: (its count, records moved onto
    /// the merged clock).
    telemetry: (usize, Vec<(f64, Record)>),
}

impl SeriesMerger {
    pub(super) fn new(t0: f64) -> Self {
        SeriesMerger { t0, starts: Vec::new(), phases: BTreeMap::new(), telemetry: (0, Vec::new()) }
    }

    /// Folds in one worker's records; `w0` is its start, ms since the epoch.
    pub(super) fn add(&mut self, w0: f64, records: &[Record]) {
        let t0 = self.t0;
        let wall = |t_s: f64| w0 + t_s * 1000.0;
        let mut samples: BTreeMap<&str, Vec<(f64, &Sample)>> = BTreeMap::new();
        let mut telemetry = Vec::new();
        for r in records {
            match r {
                Record::Phase(p) => {
                    let at = wall(p.t_s);
                    match self.starts.iter_mut().find(|(_, s)| s.phase == p.phase) {
                        Some((first, s)) => {
                            s.concurrency = sum_opt([s.concurrency, p.concurrency].into_iter());
                            s.target_rate = sum_opt([s.target_rate, p.target_rate].into_iter());
                            if at < *first {
                                *first = at;
                                s.t_s = (at - t0) / 1000.0;
                            }
                        }
                        None => self.starts.push((at, PhaseStart { t_s: (at - t0) / 1000.0, ..p.clone() })),
                    }
                }
                Record::Sample(s) => samples.entry(&s.phase).or_default().push((wall(s.t_s), s)),
                Record::Telemetry(t) => {
                    let at = t.t_ms as f64 + (w0 - t0);
                    let mut t = t.clone();
                    t.t_ms = at.max(0.0).round() as u64;
                    telemetry.push((at, Record::Telemetry(t)));
                }
                Record::Run(_) => {}
            }
        }
        if telemetry.len() > self.telemetry.0 {
            self.telemetry = (telemetry.len(), telemetry);
        }
        for (phase, mut list) in samples {
            list.sort_by(|a, b| a.0.total_cmp(&b.0));
            let series = self.phases.entry(phase.to_string()).or_default();
            series.workers += 1;
            series.ended += usize::from(list.last().is_some_and(|(_, s)| s.last));
            // The worker's cumulative counts as of its previous second.
            let mut before = Sample::default();
            let mut in_flight_before = 0i64;
            for (at, s) in &list {
                let b = series.buckets.entry((at / 1000.0).floor() as i64).or_default();
                b.end_ms = b.end_ms.max(at - t0);
                b.interval_s = b.interval_s.max(s.interval_s);
                b.interval_requests += s.interval_requests;
                b.interval_errors += s.interval_errors;
                b.interval_output_tokens += s.interval_output_tokens;
                for (k, d) in &s.latency {
                    b.latency.entry(k.clone()).or_default().add(d);
                }
                // Counts only grow; a worker's counts reset (none do) would read as no growth.
                let g = &mut b.grew;
                g.requests += s.requests.saturating_sub(before.requests);
                g.errors += s.errors.saturating_sub(before.errors);
                g.output_tokens += s.output_tokens.saturating_sub(before.output_tokens);
                let (gi, si, bi) = (&mut g.iterations, &s.iterations, &before.iterations);
                gi.completed += si.completed.saturating_sub(bi.completed);
                gi.failed += si.failed.saturating_sub(bi.failed);
                gi.dropped += si.dropped.saturating_sub(bi.dropped);
                gi.interrupted += si.interrupted.saturating_sub(bi.interrupted);
                for (class, n) in &s.errors_by_class {
                    let was = before.errors_by_class.get(class).copied().unwrap_or(0);
                    *g.errors_by_class.entry(class.clone()).or_default() += n.saturating_sub(was);
                }
                let in_flight = if s.last { 0 } else { i64::try_from(s.in_flight).unwrap_or(i64::MAX) };
                b.in_flight += in_flight - in_flight_before;
                in_flight_before = in_flight;
                before = Sample {
                    requests: s.requests,
                    errors: s.errors,
                    output_tokens: s.output_tokens,
                    iterations: s.iterations.clone(),
                    errors_by_class: s.errors_by_class.clone(),
                    ..Sample::default()
                };
            }
        }
    }

    /// The merged records: the run's first, then phase starts, samples and telemetry in time order.
    pub(super) fn finish(self, run_id: &str) -> Vec<Record> {
        let mut out: Vec<(f64, Record)> = self.telemetry.1;
        for (phase, series) in self.phases {
            let start = self.starts.iter().find(|(_, s)| s.phase == phase).map(|(at, _)| at - self.t0);
            let last_bucket = series.buckets.keys().next_back().copied();
            let all_ended = series.ended == series.workers;
            let mut total = Sample::default();
            let mut in_flight = 0i64;
            for (second, b) in series.buckets {
                let g = &b.grew;
                total.requests += g.requests;
                total.errors += g.errors;
                total.output_tokens += g.output_tokens;
                total.iterations.completed += g.iterations.completed;
                total.iterations.failed += g.iterations.failed;
                total.iterations.dropped += g.iterations.dropped;
                total.iterations.interrupted += g.iterations.interrupted;
                add_map(&mut total.errors_by_class, &g.errors_by_class);
                in_flight += b.in_flight;
                let sample = Sample {
                    t_s: b.end_ms / 1000.0,
                    phase: phase.clone(),
                    elapsed_s: (b.end_ms - start.unwrap_or(b.end_ms)).max(0.0) / 1000.0,
                    last: all_ended && Some(second) == last_bucket,
                    requests: total.requests,
                    errors: total.errors,
                    errors_by_class: total.errors_by_class.clone(),
                    output_tokens: total.output_tokens,
                    iterations: total.iterations.clone(),
                    in_flight: u64::try_from(in_flight).unwrap_or(0),
                    interval_s: b.interval_s,
                    interval_requests: b.interval_requests,
                    interval_errors: b.interval_errors,
                    interval_output_tokens: b.interval_output_tokens,
                    latency: b.latency.iter().map(|(k, p)| (k.clone(), p.distribution())).collect(),
                };
                out.push((b.end_ms, Record::Sample(sample)));
            }
        }
        out.extend(self.starts.into_iter().map(|(at, s)| (at - self.t0, Record::Phase(s))));
        // A phase's start sorts before a sample of the same instant.
        out.sort_by(|a, b| {
            a.0.total_cmp(&b.0)
                .then_with(|| matches!(b.1, Record::Phase(_)).cmp(&matches!(a.1, Record::Phase(_))))
        });
        std::iter::once(Record::Run(RunStart { run_id: run_id.to_string() }))
            .chain(out.into_iter().map(|(_, r)| r))
            .collect()
    }
}
