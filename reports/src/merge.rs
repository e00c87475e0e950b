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
use crate::timeseries::{PhaseStart, Record, RunStart, Sample};

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

/// A dispatch lag p99 at or below this is no sign of a worker falling behind, whatever the
/// others' (a timer's granularity and one scheduler tick).
pub const PACE_LAG_MS: f64 = 2.0;
/// A worker stands out when its lag is more than this many times the others' median.
pub const PACE_LAG_FACTOR: f64 = 3.0;
/// A worker at this much of a core or more is saturated …
pub const PACE_CPU_BUSY_PCT: f64 = 90.0;
/// … when the others' median is below this.
pub const PACE_CPU_IDLE_PCT: f64 = 70.0;

fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    Some(if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 })
}

/// Why worker `i`, and not the server, set the phase's pace; `None` when it did not stand out.
fn pacing_reason(workers: &[WorkerPhase], i: usize, bound_ms: Option<f64>) -> Option<String> {
    let w = &workers[i];
    let others: Vec<&WorkerPhase> =
        workers.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, o)| o).collect();
    if others.is_empty() {
        return None;
    }
    if let Some(lag) = w.dispatch_lag_p99_ms {
        let others_lag = median(others.iter().filter_map(|o| o.dispatch_lag_p99_ms).collect());
        let high = lag > PACE_LAG_MS || bound_ms.is_some_and(|b| lag > b);
        if let Some(med) = others_lag
            && high
            && lag > PACE_LAG_FACTOR * med
        {
            return Some(format!(
                "its dispatch lag p99 was {lag:.1} ms, against a median of {med:.1} ms among the others"
            ));
        }
    }
    if let Some(cpu) = w.cpu_pct {
        let others_cpu = median(others.iter().filter_map(|o| o.cpu_pct).collect());
        if let Some(med) = others_cpu
            && cpu >= PACE_CPU_BUSY_PCT
            && med < PACE_CPU_IDLE_PCT
        {
            return Some(format!(
                "its CPU was {cpu:.0} % of a core, against a median of {med:.0} % among the others"
            ));
        }
    }
    if w.dropped > 0 && others.iter().all(|o| o.dropped == 0) {
        return Some(format!("it dropped {} arrivals (no VU free) and the others none", w.dropped));
    }
    None
}

/// The worker that set the phase's pace, when one stands out: its dispatch lag p99 above
/// [`PACE_LAG_MS`] (or the phase's schedule bound) and more than [`PACE_LAG_FACTOR`]× the others'
/// median; or its CPU at [`PACE_CPU_BUSY_PCT`] while the others' median is below
/// [`PACE_CPU_IDLE_PCT`]; or it alone dropped arrivals. Of several, the one with the highest lag.
/// Its segment, and why.
pub fn pace(workers: &[WorkerPhase], bound_ms: Option<f64>) -> Option<(String, String)> {
    (0..workers.len())
        .filter_map(|i| pacing_reason(workers, i, bound_ms).map(|why| (i, why)))
        .max_by(|(a, _), (b, _)| {
            let lag = |i: usize| workers[i].dispatch_lag_p99_ms.unwrap_or(0.0);
            lag(*a).total_cmp(&lag(*b)).then(b.cmp(a))
        })
        .map(|(i, why)| (workers[i].segment.clone(), why))
}

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
struct SeriesMerger {
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
    fn new(t0: f64) -> Self {
        SeriesMerger { t0, starts: Vec::new(), phases: BTreeMap::new(), telemetry: (0, Vec::new()) }
    }

    /// Folds in one worker's records; `w0` is its start, ms since the epoch.
    fn add(&mut self, w0: f64, records: &[Record]) {
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
    fn finish(self, run_id: &str) -> Vec<Record> {
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

#[cfg(test)]
mod tests;
