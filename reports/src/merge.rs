//! `runner merge OUT DIR…`: the run folders of a distributed run's workers (`--segment I/N`)
//! made into one run, as if one process had sent all their traffic.
//!
//! [`merge`] takes the workers' summaries and time series (the host reads the folders and writes
//! the result: this crate touches no files) and refuses, in one line, what cannot be merged
//! honestly: no worker, a summary without histograms, segments that do not make one whole (counts
//! that differ, one missing or there twice), workers of different scenarios.
//!
//! The rules. Phases are matched by name, in the order they first appear; a phase some workers
//! did not run is merged from those that did, with a note. Counts (requests, errors and their
//! classes, tokens, iterations, counters, checks, goodput) are summed; histograms are added
//! (exactly: HdrHistogram counts) and every distribution is computed again from the sums with
//! [`crate::histogram::distribution`], the host's own code, so the merged percentiles are those
//! of one process that recorded every sample. A phase starts at its earliest worker's wall-clock
//! start and lasts until its latest worker's end; its rates are over that span. Concurrency and
//! target rates are summed (each worker ran its share). Telemetry is the worker's with the most
//! samples: every worker watches the same server, so theirs are copies, not shares. Thresholds are
//! judged again on the merged summary, from the expressions the workers recorded.
//!
//! The time series: every sample is placed by the wall-clock second its interval ended in, and
//! the workers' samples of one phase in one second are summed. Per-second latency percentiles are
//! the count-weighted means of the workers' (as `runner report` does when it rebuilds a summary
//! from a time series): the time series carries no histograms, which would cost ~1 KiB per phase
//! per second per worker; the summary's percentiles are exact.
//!
//! [`Distributed`] records who ran what: per phase, each worker's requests, dispatch lag p99, CPU
//! and start offset, the start skew, and which worker — when one stands out ([`paced_by`]) — set
//! the pace rather than the server.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use hdrhistogram::Histogram;

use crate::histogram::{self, HistogramError};
use crate::model::{
    CheckCount, ClientReport, Distributed, DistributedPhase, Goodput, PhaseReport, ScheduleReport, Summary,
    TaggedMetrics, WorkerInfo, WorkerPhase, metric,
};
use crate::timeseries::Record;

/// One worker's run folder, read by the caller.
#[derive(Debug, Clone)]
pub struct WorkerRun {
    /// How messages name the worker: its folder, as given.
    pub name: String,
    /// Its `summary.json`.
    pub summary: Summary,
    /// Its `timeseries.jsonl` (empty when it has none, or when [`merge_with`] loads it).
    pub records: Vec<Record>,
}

/// The merged run.
#[derive(Debug, Clone)]
pub struct Merged {
    /// The merged `summary.json`.
    pub summary: Summary,
    /// The merged `timeseries.jsonl`, aligned on wall time.
    pub records: Vec<Record>,
}

/// Why workers' folders could not be merged; each says which folder.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// No folder given.
    #[error("nothing to merge: give at least one worker's run folder")]
    NoWorkers,
    /// A summary without the lossless histograms merge adds up.
    #[error(
        "{worker}: phase {phase} has no histograms (its summary.json was written by an older runner, or \
         rebuilt from a time series), so its percentiles cannot be merged exactly"
    )]
    NoHistograms {
        /// The worker's folder.
        worker: String,
        /// The phase.
        phase: String,
    },
    /// A histogram that does not read back.
    #[error("{worker}: phase {phase}, histogram {metric}: {source}")]
    BadHistogram {
        /// The worker's folder.
        worker: String,
        /// The phase.
        phase: String,
        /// The metric.
        metric: String,
        /// What is wrong with it.
        source: HistogramError,
    },
    /// Some workers ran with `--segment`, some without.
    #[error(
        "{with} ran as segment {segment} but {without} has no segment: merge the workers of one distributed run"
    )]
    MixedSegments {
        /// A worker with a segment.
        with: String,
        /// Its segment.
        segment: String,
        /// A worker without.
        without: String,
    },
    /// Workers that split the run into different numbers of shares.
    #[error("segment counts differ: {a} is segment {a_segment}, {b} is segment {b_segment}")]
    SegmentCounts {
        /// One worker.
        a: String,
        /// Its segment.
        a_segment: String,
        /// Another.
        b: String,
        /// Its segment.
        b_segment: String,
    },
    /// The same share twice.
    #[error("segment {segment} is there twice: {a} and {b}")]
    DuplicateSegment {
        /// The segment.
        segment: String,
        /// One folder.
        a: String,
        /// The other.
        b: String,
    },
    /// A share nobody ran (or whose folder was not given).
    #[error("segment {missing} is missing: the {count} workers' folders must all be given (have {have})")]
    MissingSegment {
        /// The first missing segment, "I/N".
        missing: String,
        /// N.
        count: u32,
        /// The segments given.
        have: String,
    },
    /// Workers of different scenarios.
    #[error("{a} ran {a_scenario} but {b} ran {b_scenario}: merge only the workers of one run")]
    Scenarios {
        /// One worker.
        a: String,
        /// Its scenario.
        a_scenario: String,
        /// Another.
        b: String,
        /// Its scenario.
        b_scenario: String,
    },
    /// A start time that is not RFC 3339.
    #[error("{worker}: started_at {value:?} is not an RFC 3339 time")]
    BadTime {
        /// The worker's folder.
        worker: String,
        /// What it said.
        value: String,
    },
}

/// A worker with what merge works out about it once.
struct Worker<'a> {
    run: &'a WorkerRun,
    /// "I/N", or for workers without `--segment`, their place among the folders given.
    segment: String,
    /// Its `started_at`, ms since the Unix epoch.
    t0_ms: f64,
}

impl Worker<'_> {
    fn wall_ms(&self, run_s: f64) -> f64 {
        self.t0_ms + run_s * 1000.0
    }
}

/// Merges the workers' runs into one; `run_id` is the merged run's.
pub fn merge(workers: &[WorkerRun], run_id: &str) -> Result<Merged, MergeError> {
    merge_with(workers, run_id, |_| None)
}

/// [`merge`], with each worker's time series read by `load` when merge gets to it (`None`: its
/// [`WorkerRun::records`]) and dropped once folded in, so a merge of many long runs holds one
/// worker's records at a time.
pub fn merge_with(
    workers: &[WorkerRun],
    run_id: &str,
    mut load: impl FnMut(&WorkerRun) -> Option<Vec<Record>>,
) -> Result<Merged, MergeError> {
    let workers = check(workers)?;
    let first = &workers[0].run.summary;
    let mut notes: Vec<String> = Vec::new();
    let t0 = workers.iter().map(|w| w.t0_ms).fold(f64::INFINITY, f64::min);
    let end = workers.iter().map(|w| w.wall_ms(w.run.summary.duration_s)).fold(f64::NEG_INFINITY, f64::max);

    let mut names: Vec<&str> = Vec::new();
    for w in &workers {
        for p in &w.run.summary.phases {
            if !names.contains(&p.name.as_str()) {
                names.push(&p.name);
            }
        }
    }
    let mut phases = Vec::new();
    let mut distributed = Vec::new();
    for name in names {
        let ran: Vec<(&Worker, &PhaseReport)> = workers
            .iter()
            .filter_map(|w| w.run.summary.phases.iter().find(|p| p.name == name).map(|p| (w, p)))
            .collect();
        if ran.len() < workers.len() {
            let missing: Vec<String> = workers
                .iter()
                .filter(|w| !ran.iter().any(|(r, _)| std::ptr::eq(*r, *w)))
                .map(|w| format!("{} ({})", w.segment, w.run.name))
                .collect();
            notes.push(format!(
                "merge: phase {name} was not run by {}: it is merged from the {} worker(s) that ran it",
                missing.join(", "),
                ran.len()
            ));
        }
        let (report, dist, phase_notes) = merge_phase(&ran, t0)?;
        notes.extend(phase_notes);
        phases.push(report);
        distributed.push(dist);
    }

    if phases.iter().any(|p| p.telemetry.is_some()) && workers.len() > 1 {
        notes.push(
            "merge: each phase's telemetry is that of the worker with the most samples: every worker \
             watches the same server, so their readings are copies, not shares to add"
                .to_string(),
        );
    }
    if workers.len() > 1 {
        notes.push(
            "merge: per-second latency percentiles in the time series are count-weighted means of the \
             workers'; the summary's percentiles are exact (merged histograms)"
                .to_string(),
        );
    }
    if workers.iter().all(|w| w.run.summary.segment.is_none()) && workers.len() > 1 {
        notes.push(format!(
            "merge: the {} workers ran without --segment: each ran the whole plan, and the merged run is \
             their sum",
            workers.len()
        ));
    }
    let targets: Vec<&str> = dedup(workers.iter().map(|w| w.run.summary.target.as_str()));
    if targets.len() > 1 {
        notes.push(format!("merge: the workers' targets differ: {}", targets.join(", ")));
    }
    if workers.iter().any(|w| w.run.summary.labels != workers[0].run.summary.labels) {
        notes.push(format!(
            "merge: the workers' --label sets differ: the merged run keeps segment {}'s",
            workers[0].segment
        ));
    }

    let mut seen_notes: Vec<String> = Vec::new();
    for n in workers.iter().flat_map(|w| &w.run.summary.notes).chain(&notes) {
        if !seen_notes.contains(n) {
            seen_notes.push(n.clone());
        }
    }
    let headlines: Vec<&str> = dedup(workers.iter().filter_map(|w| w.run.summary.headline.as_deref()));
    let headline = match headlines.as_slice() {
        [] => None,
        [one] if workers.iter().all(|w| w.run.summary.headline.is_some()) => Some(one.to_string()),
        _ => Some(
            workers
                .iter()
                .filter_map(|w| {
                    w.run.summary.headline.as_ref().map(|h| format!("segment {}: {h}", w.segment))
                })
                .collect::<Vec<_>>()
                .join("; "),
        ),
    };
    let mut header_names: Vec<String> = Vec::new();
    for h in workers.iter().flat_map(|w| &w.run.summary.headers) {
        if !header_names.contains(h) {
            header_names.push(h.clone());
        }
    }
    let mut summary = Summary {
        schema_version: first.schema_version,
        runner_version: first.runner_version.clone(),
        run_id: run_id.to_string(),
        scenario: first.scenario.clone(),
        target: first.target.clone(),
        target_is_mock: workers.iter().any(|w| w.run.summary.target_is_mock),
        seed: first.seed,
        params: first.params.clone(),
        model: first.model.clone(),
        // The workers of one run are started with one command line, and asked one server: the
        // first worker's say for all (a worker whose differ is noted below).
        labels: first.labels.clone(),
        server: first.server.clone(),
        headers: header_names,
        started_at: rfc3339_millis(t0),
        duration_s: ((end - t0) / 1000.0).max(0.0),
        phases,
        notes: Vec::new(),
        headline,
        thresholds: Vec::new(),
        segment: None,
        distributed: Some(Distributed {
            workers: workers
                .iter()
                .map(|w| WorkerInfo {
                    segment: w.segment.clone(),
                    host: w.run.summary.segment.as_ref().map(|s| s.host.clone()).unwrap_or_default(),
                    started_at: w.run.summary.started_at.clone(),
                    start_late_ms: w.run.summary.segment.as_ref().and_then(|s| s.start_late_ms),
                })
                .collect(),
            phases: distributed,
        }),
    };
    let mut expressions: Vec<&str> = Vec::new();
    for t in workers.iter().flat_map(|w| &w.run.summary.thresholds) {
        if !expressions.contains(&t.expression.as_str()) {
            expressions.push(&t.expression);
        }
    }
    let mut thresholds = Vec::new();
    for e in expressions {
        match crate::thresholds::parse(e) {
            Ok(t) => thresholds.push(t),
            Err(err) => seen_notes.push(format!("merge: threshold {e} could not be judged again: {err}")),
        }
    }
    summary.thresholds = crate::thresholds::evaluate(&thresholds, &summary);
    summary.notes = seen_notes;
    let mut series = SeriesMerger::new(t0);
    for w in &workers {
        match load(w.run) {
            Some(records) => series.add(w.t0_ms, &records),
            None => series.add(w.t0_ms, &w.run.records),
        }
    }
    Ok(Merged { summary, records: series.finish(run_id) })
}

/// The refusals, and each worker's segment and start, in segment order.
fn check(given: &[WorkerRun]) -> Result<Vec<Worker<'_>>, MergeError> {
    let first = given.first().ok_or(MergeError::NoWorkers)?;
    let scenario = |s: &Summary| format!("{}@{}", s.scenario.name, s.scenario.version);
    for w in given {
        if scenario(&w.summary) != scenario(&first.summary) {
            return Err(MergeError::Scenarios {
                a: first.name.clone(),
                a_scenario: scenario(&first.summary),
                b: w.name.clone(),
                b_scenario: scenario(&w.summary),
            });
        }
        for p in &w.summary.phases {
            let recorded = p.metrics.iter().any(|(_, d)| !d.is_empty());
            let missing = p.metrics.iter().any(|(k, d)| !d.is_empty() && !p.histograms.contains_key(k));
            if (recorded && p.histograms.is_empty()) || missing {
                return Err(MergeError::NoHistograms { worker: w.name.clone(), phase: p.name.clone() });
            }
        }
    }
    let with = given.iter().find(|w| w.summary.segment.is_some());
    let without = given.iter().find(|w| w.summary.segment.is_none());
    let mut workers: Vec<Worker> = match (with, without) {
        (Some(with), Some(without)) => {
            return Err(MergeError::MixedSegments {
                with: with.name.clone(),
                segment: with.summary.segment.as_ref().map(|s| s.label()).unwrap_or_default(),
                without: without.name.clone(),
            });
        }
        (None, _) => given
            .iter()
            .enumerate()
            .map(|(i, run)| Worker { run, segment: format!("{i}/{}", given.len()), t0_ms: 0.0 })
            .collect(),
        (Some(_), None) => {
            let seg = |w: &WorkerRun| w.summary.segment.clone().unwrap_or_default();
            let count = seg(first).count;
            let mut by_index: BTreeMap<u32, &WorkerRun> = BTreeMap::new();
            for w in given {
                let s = seg(w);
                if s.count != count || s.index >= s.count {
                    return Err(MergeError::SegmentCounts {
                        a: first.name.clone(),
                        a_segment: seg(first).label(),
                        b: w.name.clone(),
                        b_segment: s.label(),
                    });
                }
                if let Some(other) = by_index.insert(s.index, w) {
                    return Err(MergeError::DuplicateSegment {
                        segment: s.label(),
                        a: other.name.clone(),
                        b: w.name.clone(),
                    });
                }
            }
            if let Some(missing) = (0..count).find(|i| !by_index.contains_key(i)) {
                let have: Vec<String> = by_index.keys().map(|i| format!("{i}/{count}")).collect();
                return Err(MergeError::MissingSegment {
                    missing: format!("{missing}/{count}"),
                    count,
                    have: have.join(", "),
                });
            }
            by_index.into_values().map(|run| Worker { run, segment: seg(run).label(), t0_ms: 0.0 }).collect()
        }
    };
    for w in &mut workers {
        w.t0_ms = parse_ms(&w.run.summary.started_at).ok_or_else(|| MergeError::BadTime {
            worker: w.run.name.clone(),
            value: w.run.summary.started_at.clone(),
        })?;
    }
    Ok(workers)
}

fn dedup<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

/// RFC 3339 (any fraction of a second) → ms since the Unix epoch.
fn parse_ms(text: &str) -> Option<f64> {
    let t = humantime::parse_rfc3339(text).ok()?;
    Some(t.duration_since(SystemTime::UNIX_EPOCH).ok()?.as_secs_f64() * 1000.0)
}

fn rfc3339_millis(ms: f64) -> String {
    let t = SystemTime::UNIX_EPOCH + Duration::from_secs_f64((ms / 1000.0).max(0.0));
    humantime::format_rfc3339_millis(t).to_string()
}

/// Histograms by metric, added up.
#[derive(Default)]
struct Sums(BTreeMap<String, Histogram<u64>>);

impl Sums {
    fn add(
        &mut self,
        worker: &Worker,
        phase: &str,
        encoded: &BTreeMap<String, String>,
    ) -> Result<(), MergeError> {
        for (metric, text) in encoded {
            let bad = |source| MergeError::BadHistogram {
                worker: worker.run.name.clone(),
                phase: phase.to_string(),
                metric: metric.clone(),
                source,
            };
            let h = histogram::decode(text).map_err(bad)?;
            let sum = self.0.entry(metric.clone()).or_insert_with(histogram::new_histogram);
            histogram::add(sum, &h).map_err(bad)?;
        }
        Ok(())
    }

    fn distributions(&self) -> BTreeMap<String, crate::model::Distribution> {
        self.0.iter().map(|(k, h)| (k.clone(), histogram::distribution(h))).collect()
    }

    fn encoded(&self) -> BTreeMap<String, String> {
        self.0.iter().map(|(k, h)| (k.clone(), histogram::encode(h))).collect()
    }
}

fn add_map(into: &mut BTreeMap<String, u64>, from: &BTreeMap<String, u64>) {
    for (k, v) in from {
        let e = into.entry(k.clone()).or_default();
        *e = e.saturating_add(*v);
    }
}

fn add_checks(into: &mut BTreeMap<String, CheckCount>, from: &BTreeMap<String, CheckCount>) {
    for (k, c) in from {
        let e = into.entry(k.clone()).or_default();
        e.passes += c.passes;
        e.fails += c.fails;
    }
}

fn per_s(n: u64, secs: f64) -> f64 {
    if secs > 0.0 { n as f64 / secs } else { 0.0 }
}

fn sum_opt<T: std::iter::Sum<T>>(items: impl Iterator<Item = Option<T>> + Clone) -> Option<T> {
    items.clone().any(|i| i.is_some()).then(|| items.flatten().sum())
}

/// One phase from the workers that ran it: the merged report, who ran what, and the notes (the
/// workers' plans differ; one worker set the pace).
fn merge_phase(
    ran: &[(&Worker, &PhaseReport)],
    t0: f64,
) -> Result<(PhaseReport, DistributedPhase, Vec<String>), MergeError> {
    let (_, first) = ran[0];
    let starts: Vec<f64> = ran.iter().map(|(w, p)| w.wall_ms(p.start_s)).collect();
    let start = starts.iter().copied().fold(f64::INFINITY, f64::min);
    let latest_start = starts.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let end = ran.iter().map(|(w, p)| w.wall_ms(p.start_s + p.duration_s)).fold(f64::NEG_INFINITY, f64::max);
    let duration_s = ((end - start) / 1000.0).max(0.0);

    let mut m = PhaseReport {
        name: first.name.clone(),
        tags: first.tags.clone(),
        executor: first.executor.clone(),
        plan: first.plan.clone(),
        concurrency: sum_opt(ran.iter().map(|(_, p)| p.concurrency)),
        target_rate: sum_opt(ran.iter().map(|(_, p)| p.target_rate)),
        start_s: ((start - t0) / 1000.0).max(0.0),
        duration_s,
        ..PhaseReport::default()
    };
    let mut sums = Sums::default();
    let mut tagged: Vec<(TaggedMetrics, Sums)> = Vec::new();
    for (w, p) in ran {
        m.iterations.completed += p.iterations.completed;
        m.iterations.failed += p.iterations.failed;
        m.iterations.dropped += p.iterations.dropped;
        m.iterations.interrupted += p.iterations.interrupted;
        m.requests += p.requests;
        m.errors += p.errors;
        add_map(&mut m.errors_by_class, &p.errors_by_class);
        m.input_tokens += p.input_tokens;
        m.output_tokens += p.output_tokens;
        m.reasoning_tokens += p.reasoning_tokens;
        m.cached_tokens += p.cached_tokens;
        m.tool_calls += p.tool_calls;
        let t = &mut m.tokens;
        t.from_usage += p.tokens.from_usage;
        t.counted += p.tokens.counted;
        t.disagreements += p.tokens.disagreements;
        t.discrepancy += p.tokens.discrepancy;
        t.reasoning += p.tokens.reasoning;
        t.cached_reported += p.tokens.cached_reported;
        add_map(&mut m.counters, &p.counters);
        add_checks(&mut m.checks, &p.checks);
        sums.add(w, &p.name, &p.histograms)?;
        for tm in &p.by_tags {
            let at = match tagged.iter().position(|(t, _)| t.tags == tm.tags) {
                Some(i) => i,
                None => {
                    tagged.push((
                        TaggedMetrics { tags: tm.tags.clone(), ..TaggedMetrics::default() },
                        Sums::default(),
                    ));
                    tagged.len() - 1
                }
            };
            let (t, s) = &mut tagged[at];
            t.requests += tm.requests;
            t.errors += tm.errors;
            t.input_tokens += tm.input_tokens;
            t.cached_tokens += tm.cached_tokens;
            t.cached_reported += tm.cached_reported;
            add_map(&mut t.counters, &tm.counters);
            add_checks(&mut t.checks, &tm.checks);
            s.add(w, &p.name, &tm.histograms)?;
        }
    }
    m.metrics = sums.distributions();
    m.histograms = sums.encoded();
    m.by_tags = tagged
        .into_iter()
        .map(|(mut t, s)| {
            t.metrics = s.distributions();
            t.histograms = s.encoded();
            t
        })
        .collect();
    m.requests_per_s = per_s(m.requests.saturating_sub(m.errors), duration_s);
    m.output_tokens_per_s = per_s(m.output_tokens, duration_s);
    let bound = ran.iter().filter_map(|(_, p)| p.schedule.as_ref().map(|s| s.bound_ms)).reduce(f64::max);
    m.schedule = bound.map(|bound_ms| {
        let lag_p99_ms = m.metric(metric::DISPATCH_LAG).map(|d| d.p99).unwrap_or(0.0);
        ScheduleReport { lag_p99_ms, bound_ms, behind: lag_p99_ms > bound_ms }
    });
    m.goodput = ran.iter().find_map(|(_, p)| p.goodput.as_ref()).map(|g| {
        let good: u64 = ran.iter().filter_map(|(_, p)| p.goodput.as_ref()).map(|g| g.good_requests).sum();
        Goodput {
            slo: g.slo.clone(),
            good_requests: good,
            share: if m.requests == 0 { 0.0 } else { good as f64 / m.requests as f64 },
            per_s: per_s(good, duration_s),
        }
    });
    m.telemetry = ran.iter().filter_map(|(_, p)| p.telemetry.as_ref()).max_by_key(|t| t.samples).cloned();
    // The workers' CPU together, over the merged span: in % of one core, as a worker's own is.
    m.client = sum_opt(ran.iter().map(|(_, p)| p.client.map(|c| c.cpu_s))).map(|cpu_s| ClientReport {
        cpu_s,
        cpu_pct: if duration_s > 0.0 { 100.0 * cpu_s / duration_s } else { 0.0 },
    });
    let plans = dedup(ran.iter().map(|(_, p)| p.plan.as_str()));
    let mut notes: Vec<String> = Vec::new();
    if plans.len() > 1 {
        notes.push(format!("merge: phase {}: the workers' plans differ: {}", first.name, plans.join("; ")));
    }

    let workers: Vec<WorkerPhase> = ran
        .iter()
        .zip(&starts)
        .map(|((w, p), s)| WorkerPhase {
            segment: w.segment.clone(),
            start_offset_ms: s - start,
            requests: p.requests,
            errors: p.errors,
            dropped: p.iterations.dropped,
            dispatch_lag_p99_ms: p.metric(metric::DISPATCH_LAG).map(|d| d.p99),
            cpu_pct: p.client.map(|c| c.cpu_pct),
        })
        .collect();
    let paced = pace(&workers, bound);
    if let Some((segment, why)) = &paced {
        notes.push(format!(
            "phase {}: worker {segment}, not the server, set the pace: {why}; its share of the load was \
             late or short, so the merged numbers understate what the server could take",
            first.name
        ));
    }
    let dist = DistributedPhase {
        phase: first.name.clone(),
        start_skew_ms: (latest_start - start).max(0.0),
        workers,
        paced_by: paced.map(|(segment, _)| segment),
    };
    Ok((m, dist, notes))
}

mod pace;
mod series;

pub use pace::{PACE_CPU_BUSY_PCT, PACE_CPU_IDLE_PCT, PACE_LAG_FACTOR, PACE_LAG_MS, pace};
use series::SeriesMerger;

#[cfg(test)]
mod tests;
