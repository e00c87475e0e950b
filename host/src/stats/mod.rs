//! Recording of every measurement of a phase: HdrHistograms per metric and tag set (bounded
//! memory, whatever the run's length), counters, checks, error classes and token accounting.
//!
//! Values are recorded in microseconds (three significant digits) and reported in
//! milliseconds. VUs record concurrently: counters are atomics, histograms sit behind one short
//! lock per phase that is never held across an `.await`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use runner_reports::{
    CheckCount, Distribution, Goodput, Iterations, PhaseReport, ScheduleReport, TaggedMetrics,
    TokenAccounting, metric,
};

use crate::client::openai::{Completion, TokenSource};
use crate::error_class::{self, ErrorClass};

/// Labels of a phase or request.
pub type Tags = BTreeMap<String, String>;

/// How many distinct request tag sets one phase keeps apart; more are merged into the phase's
/// totals only, and the report says so (a guest cannot exhaust the host's memory with tags).
pub const MAX_TAG_SETS: usize = 256;

/// How many distinct custom counter, check or trend names one phase keeps (each kind apart);
/// updates to names beyond them are dropped and counted, so a guest minting names cannot exhaust
/// the host's memory.
pub const MAX_METRIC_NAMES: usize = 1_000;

/// Custom trends are kept with this many decimals.
const CUSTOM_SCALE: f64 = 1000.0;

/// Latencies (µs) up to this fit a phase-level histogram from its creation: one hour.
pub const PRESIZED_MAX_US: u64 = 3_600_000_000;

fn new_histogram() -> Histogram<u64> {
    // Three significant digits, auto-resizing: bounded memory for any range of values.
    Histogram::new(3).expect("3 significant digits is a valid histogram precision")
}

/// Adds a sample: `record` grows an auto-resizing histogram; `saturating_record` alone would
/// clamp to its initial (tiny) range.
fn record(h: &mut Histogram<u64>, micros: u64) {
    if h.record(micros).is_err() {
        h.saturating_record(micros);
    }
}

/// A histogram that holds latencies up to [`PRESIZED_MAX_US`] without resizing (184 KiB of
/// counts), and still auto-resizes beyond. An auto-resizing one starts tiny and grows each time a
/// latency passes a power of two: every growth reallocates its counts (amortised doubling) and
/// leaves the old block behind in the allocator, so on a long run each new latency maximum (a
/// stall on a busy machine widens every latency metric at once) stepped RSS up by ~1 MiB. A
/// histogram that ends a long run at an hour's range holds the same 184 KiB anyway.
fn presized_histogram() -> Histogram<u64> {
    let mut h = Histogram::new_with_max(PRESIZED_MAX_US, 3).expect("valid histogram bounds");
    h.auto(true);
    h
}

/// Per-request service-level objectives (`--goodput`): a request is *good* when it succeeded
/// and met every bound given. A bound on a metric the request lacks (TTFT of a non-streamed
/// call) is not met.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Slo {
    pub ttft: Option<Duration>,
    pub tpot: Option<Duration>,
    pub e2e: Option<Duration>,
}

impl Slo {
    fn met_by(&self, c: &Completion) -> bool {
        let within = |bound: Option<Duration>, value: Option<Duration>| match bound {
            None => true,
            Some(b) => value.is_some_and(|v| v <= b),
        };
        within(self.ttft, c.ttft) && within(self.tpot, c.tpot) && within(self.e2e, Some(c.e2e))
    }
}

impl std::fmt::Display for Slo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = [("ttft", self.ttft), ("tpot", self.tpot), ("e2e", self.e2e)]
            .into_iter()
            .filter_map(|(name, bound)| bound.map(|b| format!("{name}<={}", humantime::format_duration(b))))
            .collect();
        f.write_str(&parts.join(", "))
    }
}

/// One group of histograms (all requests of a phase, or those with one tag set).
#[derive(Default)]
struct Series {
    metrics: BTreeMap<String, Histogram<u64>>,
    requests: u64,
    errors: u64,
    /// Latency histograms start at [`PRESIZED_MAX_US`]: set for the phase's own series (one
    /// each), not for tag sets, which a guest can multiply up to [`MAX_TAG_SETS`].
    presized: bool,
}

impl Series {
    fn presized() -> Self {
        Series { presized: true, ..Series::default() }
    }

    fn record(&mut self, name: &str, micros: u64) {
        // Look up before inserting: `entry` would allocate the key on every sample (several per
        // request on the hot path), though the histogram almost always exists already.
        if let Some(h) = self.metrics.get_mut(name) {
            record(h, micros);
            return;
        }
        let mut h =
            if self.presized && metric::is_millis(name) { presized_histogram() } else { new_histogram() };
        record(&mut h, micros);
        self.metrics.insert(name.to_string(), h);
    }
}

struct Recorded {
    all: Series,
    by_tags: BTreeMap<Tags, Series>,
    tag_sets_overflowed: u64,
    /// Custom-metric updates dropped because their name was beyond [`MAX_METRIC_NAMES`].
    metric_names_overflowed: u64,
    custom_trend_names: usize,
    errors_by_class: BTreeMap<ErrorClass, u64>,
    counters: BTreeMap<String, u64>,
    checks: BTreeMap<String, CheckCount>,
    tokens: TokenAccounting,
    failure_samples: Vec<String>,
    recovery: Recovery,
    /// The headline latencies since the last [`PhaseStats::take_interval`], for the time series.
    interval: Series,
}

impl Default for Recorded {
    fn default() -> Self {
        Recorded {
            all: Series::presized(),
            by_tags: BTreeMap::new(),
            tag_sets_overflowed: 0,
            metric_names_overflowed: 0,
            custom_trend_names: 0,
            errors_by_class: BTreeMap::new(),
            counters: BTreeMap::new(),
            checks: BTreeMap::new(),
            tokens: TokenAccounting::default(),
            failure_samples: Vec::new(),
            recovery: Recovery::default(),
            interval: Series::presized(),
        }
    }
}

/// How many distinct iteration-failure messages a phase keeps for its report.
const MAX_FAILURE_SAMPLES: usize = 5;

impl Recorded {
    /// Records into the phase totals and, when the request carries its own tags, into that
    /// tag set's series too.
    fn each_series(&mut self, extra: &Tags, mut f: impl FnMut(&mut Series)) {
        f(&mut self.all);
        if extra.is_empty() {
            return;
        }
        if !self.by_tags.contains_key(extra) && self.by_tags.len() >= MAX_TAG_SETS {
            self.tag_sets_overflowed += 1;
            return;
        }
        f(self.by_tags.entry(extra.clone()).or_default());
    }
}

/// Everything measured in one phase. Shared by its VUs, the phase's executor and the controller.
pub struct PhaseStats {
    pub name: String,
    pub tags: Tags,
    started: OnceLock<Instant>,
    ended: OnceLock<Instant>,
    pub iterations: AtomicU64,
    pub failed_iterations: AtomicU64,
    pub dropped_iterations: AtomicU64,
    pub interrupted_iterations: AtomicU64,
    /// Guest log lines dropped by the per-instance rate cap (`capabilities::log`).
    pub suppressed_log_lines: AtomicU64,
    pub in_flight: AtomicI64,
    requests: AtomicU64,
    errors: AtomicU64,
    input_tokens: AtomicU64,
    output_tokens: AtomicU64,
    slo: Option<Slo>,
    good_requests: AtomicU64,
    recorded: Mutex<Recorded>,
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

impl PhaseStats {
    pub fn new(name: impl Into<String>, tags: Tags) -> Self {
        Self {
            name: name.into(),
            tags,
            started: OnceLock::new(),
            ended: OnceLock::new(),
            iterations: AtomicU64::new(0),
            failed_iterations: AtomicU64::new(0),
            dropped_iterations: AtomicU64::new(0),
            interrupted_iterations: AtomicU64::new(0),
            suppressed_log_lines: AtomicU64::new(0),
            in_flight: AtomicI64::new(0),
            requests: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            input_tokens: AtomicU64::new(0),
            output_tokens: AtomicU64::new(0),
            slo: None,
            good_requests: AtomicU64::new(0),
            recorded: Mutex::new(Recorded::default()),
        }
    }

    /// Counts the requests that meet `slo` (goodput).
    pub fn with_slo(mut self, slo: Option<Slo>) -> Self {
        self.slo = slo;
        self
    }

    fn lock(&self) -> MutexGuard<'_, Recorded> {
        // A panic while holding the lock leaves histograms that are still valid: keep going.
        self.recorded.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Marks the instant the phase's traffic began (the first call wins).
    pub fn mark_started(&self, at: Instant) {
        let _ = self.started.set(at);
    }

    /// Marks the instant the phase ended (the first call wins).
    pub fn mark_ended(&self, at: Instant) {
        let _ = self.ended.set(at);
    }

    pub fn started_at(&self) -> Option<Instant> {
        self.started.get().copied()
    }

    /// Time from the phase's start to its end, or to now while it runs.
    pub fn elapsed(&self) -> Duration {
        match (self.started.get(), self.ended.get()) {
            (Some(s), Some(e)) => e.saturating_duration_since(*s),
            (Some(s), None) => s.elapsed(),
            _ => Duration::ZERO,
        }
    }

    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }

    pub fn output_tokens(&self) -> u64 {
        self.output_tokens.load(Ordering::Relaxed)
    }

    /// Records a successful LLM call: every latency metric, token counts and their source.
    pub fn record_completion(&self, extra: &Tags, c: &Completion) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.output_tokens.fetch_add(u64::from(c.output_tokens), Ordering::Relaxed);
        if self.slo.as_ref().is_some_and(|slo| slo.met_by(c)) {
            self.good_requests.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(input) = c.input_tokens {
            self.input_tokens.fetch_add(u64::from(input), Ordering::Relaxed);
        }
        let mut r = self.lock();
        r.recovery.on_success(Instant::now);
        match c.output_tokens_source {
            TokenSource::Usage => r.tokens.from_usage += 1,
            TokenSource::Counted => r.tokens.counted += 1,
        }
        if let Some(usage) = c.usage_output_tokens
            && c.counted_output_tokens > 0
            && usage != c.counted_output_tokens
        {
            r.tokens.disagreements += 1;
            r.tokens.discrepancy += i64::from(usage) - i64::from(c.counted_output_tokens);
        }
        let n = c.output_tokens.max(1);
        r.each_series(extra, |s| {
            s.requests += 1;
            s.record(metric::E2E, micros(c.e2e));
            s.record(metric::E2E_PER_TOKEN, micros(c.e2e / n));
            if let Some(ttft) = c.ttft {
                s.record(metric::TTFT, micros(ttft));
            }
            if let Some(ttst) = c.ttst {
                s.record(metric::TTST, micros(ttst));
            }
            if let Some(tpot) = c.tpot {
                s.record(metric::TPOT, micros(tpot));
                if !tpot.is_zero() {
                    // Decode speed of this request in tokens/s (the seed's "Speed"), kept ×1000.
                    let speed = 1.0 / tpot.as_secs_f64();
                    s.record(metric::TOKENS_PER_S, (speed * 1000.0) as u64);
                }
            }
            for gap in &c.itl {
                s.record(metric::ITL, micros(*gap));
            }
            for gap in &c.chunk_gaps {
                s.record(metric::CHUNK_GAP, micros(*gap));
            }
        });
        r.interval.record(metric::E2E, micros(c.e2e));
        if let Some(ttft) = c.ttft {
            r.interval.record(metric::TTFT, micros(ttft));
        }
        for gap in &c.itl {
            r.interval.record(metric::ITL, micros(*gap));
        }
    }

    /// Records a failed request (LLM or HTTP) under its error class.
    pub fn record_error(&self, extra: &Tags, class: ErrorClass) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.errors.fetch_add(1, Ordering::Relaxed);
        let mut r = self.lock();
        r.recovery.on_error(Instant::now());
        *r.errors_by_class.entry(class).or_default() += 1;
        r.each_series(extra, |s| {
            s.requests += 1;
            s.errors += 1;
        });
    }

    /// Records a plain HTTP exchange that got a response (any status).
    pub fn record_http(&self, extra: &Tags, connect: Option<Duration>, ttfb: Duration, total: Duration) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut r = self.lock();
        r.recovery.on_success(Instant::now);
        r.interval.record(metric::HTTP_TOTAL, micros(total));
        r.each_series(extra, |s| {
            s.requests += 1;
            if let Some(connect) = connect {
                s.record(metric::HTTP_CONNECT, micros(connect));
            }
            s.record(metric::HTTP_TTFB, micros(ttfb));
            s.record(metric::HTTP_TOTAL, micros(total));
        });
    }

    /// Records an open-loop iteration's schedule: how late it started, and how long it took from
    /// its *intended* start (the latency a user arriving on schedule would have seen).
    pub fn record_schedule(&self, lag: Duration, from_schedule: Duration) {
        let mut r = self.lock();
        r.all.record(metric::DISPATCH_LAG, micros(lag));
        r.all.record(metric::LATENCY_FROM_SCHEDULE, micros(from_schedule));
    }

    /// Records a closed-loop or open-loop iteration's own duration.
    pub fn record_iteration(&self, took: Duration) {
        self.lock().all.record(metric::ITERATION, micros(took));
    }

    /// Adds a sample to a custom trend.
    pub fn record_trend(&self, name: &str, value: f64, extra: &Tags) {
        let scaled = if value.is_finite() && value > 0.0 { (value * CUSTOM_SCALE) as u64 } else { 0 };
        let key = metric::custom(name);
        let mut r = self.lock();
        if !r.all.metrics.contains_key(&key) {
            if r.custom_trend_names >= MAX_METRIC_NAMES {
                r.metric_names_overflowed += 1;
                return;
            }
            r.custom_trend_names += 1;
        }
        r.each_series(extra, |s| s.record(&key, scaled));
    }

    /// Adds to a custom counter.
    pub fn count(&self, name: &str, delta: u64) {
        let mut r = self.lock();
        if !r.counters.contains_key(name) && r.counters.len() >= MAX_METRIC_NAMES {
            r.metric_names_overflowed += 1;
            return;
        }
        *r.counters.entry(name.to_string()).or_default() += delta;
    }

    /// Records one outcome of a check.
    pub fn check(&self, name: &str, ok: bool) {
        let mut r = self.lock();
        if !r.checks.contains_key(name) && r.checks.len() >= MAX_METRIC_NAMES {
            r.metric_names_overflowed += 1;
            return;
        }
        let c = r.checks.entry(name.to_string()).or_insert(CheckCount { passes: 0, fails: 0 });
        if ok {
            c.passes += 1;
        } else {
            c.fails += 1;
        }
    }

    /// The distribution of one metric over the phase so far (an empty one when unrecorded).
    pub fn distribution(&self, name: &str) -> Distribution {
        let r = self.lock();
        r.all.metrics.get(name).map(distribution).unwrap_or_else(empty_distribution)
    }

    /// Successful requests per second of the phase's elapsed time (errors are counted apart).
    pub fn requests_per_s(&self) -> f64 {
        per_second(self.requests().saturating_sub(self.errors()), self.elapsed())
    }

    /// Output tokens per second of the phase's elapsed time.
    pub fn output_tokens_per_s(&self) -> f64 {
        per_second(self.output_tokens(), self.elapsed())
    }

    /// The phase's report. `shape` says how the phase was planned.
    pub fn report(&self, shape: &PhaseShape, run_started: Instant) -> PhaseReport {
        let r = self.lock();
        let elapsed = self.elapsed();
        let metrics = |s: &Series| {
            s.metrics.iter().map(|(k, h)| (k.clone(), distribution(h))).collect::<BTreeMap<_, _>>()
        };
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
            iterations: self.iteration_counts(),
            requests: self.requests(),
            errors: self.errors(),
            errors_by_class: error_class::counts_by_name(&r.errors_by_class),
            requests_per_s: self.requests_per_s(),
            output_tokens_per_s: self.output_tokens_per_s(),
            input_tokens: self.input_tokens.load(Ordering::Relaxed),
            output_tokens: self.output_tokens(),
            tokens: r.tokens.clone(),
            metrics: metrics(&r.all),
            schedule,
            counters: r.counters.clone(),
            checks: r.checks.clone(),
            by_tags: r
                .by_tags
                .iter()
                .map(|(tags, s)| TaggedMetrics {
                    tags: tags.clone(),
                    requests: s.requests,
                    errors: s.errors,
                    metrics: metrics(s),
                })
                .collect(),
            goodput: self.slo.as_ref().map(|slo| {
                let good = self.good_requests.load(Ordering::Relaxed);
                let requests = self.requests();
                Goodput {
                    slo: slo.to_string(),
                    good_requests: good,
                    share: if requests == 0 { 0.0 } else { good as f64 / requests as f64 },
                    per_s: per_second(good, elapsed),
                }
            }),
            // Filled in by `run` from the telemetry sampler, which sees every phase.
            telemetry: None,
        }
    }

    /// The distributions of TTFT, ITL, E2E and plain-HTTP total time since the previous call, which starts a new
    /// interval. Metrics without samples in the interval are left out.
    pub fn take_interval(&self) -> BTreeMap<String, Distribution> {
        let mut r = self.lock();
        // Reset in place rather than start new histograms: each keeps the range it has grown to,
        // so a long run does not allocate (and resize, and free) a fresh set every second.
        r.interval
            .metrics
            .iter_mut()
            .filter(|(_, h)| !h.is_empty())
            .map(|(k, h)| {
                let d = distribution(h);
                h.reset();
                (k.clone(), d)
            })
            .collect()
    }

    /// Whether nothing at all was recorded: no request, trend, counter or check.
    pub fn is_empty(&self) -> bool {
        let r = self.lock();
        self.requests() == 0 && r.all.metrics.is_empty() && r.counters.is_empty() && r.checks.is_empty()
    }

    /// Failed requests so far, by error class.
    pub fn errors_by_class(&self) -> BTreeMap<String, u64> {
        error_class::counts_by_name(&self.lock().errors_by_class)
    }

    /// The iteration counters so far.
    pub fn iteration_counts(&self) -> Iterations {
        Iterations {
            completed: self.iterations.load(Ordering::Relaxed),
            failed: self.failed_iterations.load(Ordering::Relaxed),
            dropped: self.dropped_iterations.load(Ordering::Relaxed),
            interrupted: self.interrupted_iterations.load(Ordering::Relaxed),
        }
    }

    /// Iterations started so far: completed, failed or interrupted.
    pub fn iterations_started(&self) -> u64 {
        self.iterations.load(Ordering::Relaxed)
            + self.failed_iterations.load(Ordering::Relaxed)
            + self.interrupted_iterations.load(Ordering::Relaxed)
    }

    pub fn ended(&self) -> bool {
        self.ended.get().is_some()
    }

    /// Keeps the first few distinct reasons iterations failed, and logs each once.
    pub fn note_failure(&self, message: &str) {
        let mut r = self.lock();
        if r.failure_samples.len() < MAX_FAILURE_SAMPLES && !r.failure_samples.iter().any(|m| m == message) {
            tracing::warn!("phase {}: iteration failed: {message}", self.name);
            r.failure_samples.push(message.to_string());
        }
    }

    /// The reasons kept by [`PhaseStats::note_failure`].
    pub fn failure_samples(&self) -> Vec<String> {
        self.lock().failure_samples.clone()
    }

    /// Custom-metric updates dropped because their name was beyond [`MAX_METRIC_NAMES`].
    pub fn metric_names_overflowed(&self) -> u64 {
        self.lock().metric_names_overflowed
    }

    /// Tag sets that were merged into the totals because [`MAX_TAG_SETS`] was reached.
    pub fn tag_sets_overflowed(&self) -> u64 {
        self.lock().tag_sets_overflowed
    }

    /// How the phase recovered from runs of failed requests (a server restarting, say).
    pub fn recovery(&self) -> Recovery {
        self.lock().recovery.clone()
    }
}

/// Outages seen by one phase: an outage starts at a failed request after a success (or at the
/// start) and ends at the next successful one; its recovery time is first error → next success.
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
    fn on_error(&mut self, at: Instant) {
        self.failing_since.get_or_insert(at);
    }

    /// `now` is read only when a failure streak ends: the clock is not read per success.
    fn on_success(&mut self, now: impl FnOnce() -> Instant) {
        if let Some(since) = self.failing_since.take() {
            let took = now().saturating_duration_since(since);
            self.recovered += 1;
            self.longest = self.longest.max(took);
            self.total += took;
        }
    }
}

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

/// `n` per second of `elapsed`; 0 before any time has passed.
fn per_second(n: u64, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 { n as f64 / secs } else { 0.0 }
}

fn empty_distribution() -> Distribution {
    Distribution {
        count: 0,
        mean: 0.0,
        stddev: 0.0,
        min: 0.0,
        p50: 0.0,
        p90: 0.0,
        p95: 0.0,
        p99: 0.0,
        max: 0.0,
    }
}

/// Converts a histogram to the report's distribution. Latencies are kept in µs and reported in
/// ms; tokens/s and custom trends are kept ×1000 and reported as recorded.
fn distribution(h: &Histogram<u64>) -> Distribution {
    // Both scales are ÷1000: µs → ms, and value×1000 → value.
    let scale = 1000.0;
    if h.is_empty() {
        return empty_distribution();
    }
    let q = |p: f64| h.value_at_quantile(p) as f64 / scale;
    Distribution {
        count: h.len(),
        mean: h.mean() / scale,
        stddev: h.stdev() / scale,
        min: h.min() as f64 / scale,
        p50: q(0.50),
        p90: q(0.90),
        p95: q(0.95),
        p99: q(0.99),
        max: h.max() as f64 / scale,
    }
}

#[cfg(test)]
mod tests;
