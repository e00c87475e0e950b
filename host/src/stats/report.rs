//! A phase's report: how it was planned ([`PhaseShape`]), what it measured (the report model's
//! `PhaseReport`) and the notes it raises (failure reasons, caps reached, outages), in the words
//! the reports use.

use std::time::{Duration, Instant};

use runner_reports::{ClientReport, Goodput, PhaseReport, ScheduleReport, TaggedMetrics, metric};

use super::{MAX_METRIC_NAMES, MAX_TAG_SETS, PhaseStats, distribution, per_second};
use crate::error_class::ErrorClass;

/// How a phase was planned, for its report.
#[derive(Debug, Clone, Default)]
pub struct PhaseShape {
    pub executor: String,
    pub plan: String,
    pub concurrency: Option<u32>,
    pub target_rate: Option<f64>,
    pub open_loop: bool,
    /// Dispatch-lag p99 above which the phase is flagged as "client fell behind", in ms.
    pub lag_bound_ms: f64,
    /// How long the phase is planned to last, when its plan says (not for iteration budgets).
    pub planned: Option<Duration>,
}

/// Runs of failed requests shorter than this are an ordinary error rate (already in the error
/// classes), not an outage worth a note.
const OUTAGE_NOTE_AFTER: Duration = Duration::from_secs(1);

impl PhaseStats {
    /// The phase's report. `shape` says how the phase was planned.
    pub fn report(&self, shape: &PhaseShape, run_started: Instant) -> PhaseReport {
        self.report_with(shape, run_started, true)
    }

    /// The phase's report; with `lossless`, its histograms too (`PhaseReport::histograms`).
    pub fn report_with(&self, shape: &PhaseShape, run_started: Instant, lossless: bool) -> PhaseReport {
        let r = self.lock();
        let elapsed = self.elapsed();
        let schedule = shape.open_loop.then(|| {
            let lag = r.all.metrics.get(metric::DISPATCH_LAG).map(distribution);
            let lag_p99_ms = lag.map(|d| d.p99).unwrap_or(0.0);
            ScheduleReport {
                lag_p99_ms,
                bound_ms: shape.lag_bound_ms,
                behind: lag_p99_ms > shape.lag_bound_ms,
            }
        });
        PhaseReport {
            name: self.name.clone(),
            tags: self.tags.clone(),
            executor: shape.executor.clone(),
            plan: shape.plan.clone(),
            concurrency: shape.concurrency,
            target_rate: shape.target_rate,
            start_s: self
                .started_at()
                .map(|s| s.saturating_duration_since(run_started).as_secs_f64())
                .unwrap_or(0.0),
            duration_s: elapsed.as_secs_f64(),
            iterations: self.iterations.counts(),
            requests: self.requests(),
            errors: self.errors(),
            errors_by_class: crate::error_class::counts_by_name(&r.errors_by_class),
            requests_per_s: self.requests_per_s(),
            output_tokens_per_s: self.output_tokens_per_s(),
            input_tokens: self.input_tokens.load(std::sync::atomic::Ordering::Relaxed),
            output_tokens: self.output_tokens(),
            reasoning_tokens: r.reasoning_tokens,
            cached_tokens: r.cached_tokens,
            tool_calls: r.tool_calls,
            tokens: r.tokens.clone(),
            metrics: r.all.distributions(),
            schedule,
            counters: r.all.counters.clone(),
            checks: r.all.checks.clone(),
            by_tags: r
                .by_tags
                .iter()
                .map(|(tags, s)| TaggedMetrics {
                    tags: tags.clone(),
                    requests: s.requests,
                    errors: s.errors,
                    input_tokens: s.input_tokens,
                    cached_tokens: s.cached_tokens,
                    cached_reported: s.cached_reported,
                    metrics: s.distributions(),
                    counters: s.counters.clone(),
                    checks: s.checks.clone(),
                    histograms: if lossless { s.histograms() } else { Default::default() },
                })
                .collect(),
            goodput: self.slo.as_ref().map(|slo| {
                let good = self.good_requests.load(std::sync::atomic::Ordering::Relaxed);
                let requests = self.requests();
                Goodput {
                    slo: slo.to_string(),
                    good_requests: good,
                    share: if requests == 0 { 0.0 } else { good as f64 / requests as f64 },
                    per_s: per_second(good, elapsed),
                }
            }),
            // Filled in by the run from the telemetry sampler, which sees every phase.
            telemetry: None,
            // Always written, not only by a distributed run's workers: they cost a few KiB of
            // summary.json (measured: `rate` at 50/s for 10 s against the mock, 12 metrics, 5.6 KiB
            // of 11.5 KiB; an hour-long phase with wide spreads, ~21 KiB: scripts/merge-bench.sh),
            // and any run's folder can then be merged or re-analysed exactly.
            histograms: if lossless { r.all.histograms() } else { Default::default() },
            client: self.cpu_used().map(|cpu| ClientReport {
                cpu_s: cpu.as_secs_f64(),
                cpu_pct: if elapsed.is_zero() {
                    0.0
                } else {
                    100.0 * cpu.as_secs_f64() / elapsed.as_secs_f64()
                },
            }),
        }
    }

    /// What the report should say about this phase besides its numbers, each note prefixed with
    /// the phase's name: why iterations failed, which caps were reached, whether the server
    /// refused the credentials, how it recovered from outages.
    pub fn notes(&self) -> Vec<String> {
        let r = self.lock();
        let name = &self.name;
        // A failure that quotes a `tls` or `client-limit` error is said once, by that class's
        // note below, which counts it and ends with its fix.
        let mut notes: Vec<String> = r
            .failure_samples
            .iter()
            .filter(|failure| !r.blame_samples.values().any(|first| failure.contains(first.as_str())))
            .map(|failure| format!("phase {name}: iteration failed: {failure}"))
            .collect();
        if r.metric_names_overflowed > 0 {
            notes.push(format!(
                "phase {name}: {} custom-metric updates were dropped: their names were beyond the first \
                 {MAX_METRIC_NAMES} counters, checks or trends",
                r.metric_names_overflowed
            ));
        }
        if r.tag_sets_overflowed > 0 {
            notes.push(format!(
                "phase {name}: {} requests carried tag sets beyond the first {MAX_TAG_SETS} and were \
                 counted in the phase totals only",
                r.tag_sets_overflowed
            ));
        }
        let dropped_lines = self.log_lines_dropped.load(std::sync::atomic::Ordering::Relaxed);
        if dropped_lines > 0 {
            notes.push(format!(
                "phase {name}: {dropped_lines} log lines were dropped (over the per-instance log rate cap)"
            ));
        }
        notes.extend(self.caps.notes(name));
        let refused = self.credentials_refused.load(std::sync::atomic::Ordering::Relaxed);
        if refused > 0 {
            notes.push(format!(
                "phase {name}: the server refused the credentials of {refused} request(s) (HTTP 401/403): \
                 set the API key's variable (--api-key-env, OPENAI_API_KEY by default) or pass --header"
            ));
        }
        for (class, first) in &r.blame_samples {
            let n = r.errors_by_class.get(class).copied().unwrap_or(0);
            let what = match class {
                ErrorClass::Tls => "failed the TLS handshake (class tls, the server was never reached)",
                _ => "failed on the runner's own limits, not the server's (class client-limit)",
            };
            notes.push(format!("phase {name}: {n} request(s) {what}; the first: {first}"));
        }
        if r.backoffs > 0 {
            notes.push(format!(
                "phase {name}: connections could not be opened, so VUs backed off before going on (10 ms \
                 doubling to 1 s, reset by a success) {} time(s), {:.2} s in all: the request rate here is \
                 not the scenario's",
                r.backoffs,
                r.backoff_total.as_secs_f64()
            ));
        }
        let recovery = &r.recovery;
        if recovery.longest >= OUTAGE_NOTE_AFTER {
            notes.push(format!(
                "phase {name}: recovered from {} run(s) of failed requests; recovery time (first error to \
                 next success) longest {:.2} s, total {:.2} s",
                recovery.recovered,
                recovery.longest.as_secs_f64(),
                recovery.total.as_secs_f64()
            ));
        }
        notes
    }
}

/// The run's headline when requests were made and not one reached the server (every one failed
/// to connect, at the TLS handshake, on the runner's own limits, or was refused by the runner):
/// the numbers then measure no server, and the reader must see that before them.
pub fn nothing_reached_the_server<'a>(
    phases: impl IntoIterator<Item = &'a PhaseStats>,
    target: &str,
) -> Option<String> {
    let (mut requests, mut reached) = (0u64, 0u64);
    let mut classes = std::collections::BTreeMap::<String, u64>::new();
    for p in phases {
        requests += p.requests();
        reached += p.reached_server();
        for (class, n) in p.errors_by_class() {
            *classes.entry(class).or_default() += n;
        }
    }
    if requests == 0 || reached > 0 {
        return None;
    }
    let classes: Vec<String> = classes.iter().map(|(c, n)| format!("{n} {c}")).collect();
    Some(format!(
        "nothing reached the server: all {requests} request(s) to {target} failed before a connection \
         was open ({}); these numbers measure no server (see the notes for the cause and its fix)",
        classes.join(", ")
    ))
}
