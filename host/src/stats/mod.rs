//! Recording of every measurement of a phase: HdrHistograms per metric and tag set (bounded
//! memory, whatever the run's length), counters, checks, error classes and token accounting.
//!
//! The parts: [`sample`] is what a request leaves behind (the recorder's own types, so it knows
//! no client), [`series`] one group of histograms, [`iterations`] the lock-free iteration
//! counters, [`custom`] the scenario's own metrics, [`recovery`] outages, and [`report`] turns a
//! phase into its report and notes.
//!
//! Values are recorded in microseconds (three significant digits) and reported in
//! milliseconds. VUs record concurrently: counters are atomics, histograms sit behind one short
//! lock per phase that is never held across an `.await`.

pub mod caps;
mod cpu;
pub mod custom;
pub mod embeddings;
pub mod iterations;
pub mod observe;
pub mod recovery;
pub mod report;
pub mod sample;
pub mod series;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use runner_reports::{Distribution, TokenAccounting, metric};

pub use caps::Caps;
pub use custom::MAX_METRIC_NAMES;
pub use embeddings::EmbeddingSample;
pub use iterations::IterationCounters;
pub use observe::{Observed, Observers, Outcome, RequestKind, RequestObserver};
pub use recovery::Recovery;
pub use report::{PhaseShape, nothing_reached_the_server};
use runner_reports::histogram::distribution;
pub use sample::{HttpSample, LlmSample, Slo};
pub use series::PRESIZED_MAX_US;
use series::{Series, empty_distribution};

use crate::error_class::{self, ErrorClass};

/// Labels of a phase or request.
pub type Tags = BTreeMap<String, String>;

/// How many distinct request tag sets one phase keeps apart; more are merged into the phase's
/// totals only, and the report says so (a guest cannot exhaust the host's memory with tags).
pub const MAX_TAG_SETS: usize = 256;

/// How many distinct iteration-failure messages a phase keeps for its report.
const MAX_FAILURE_SAMPLES: usize = 5;

/// What sits behind the phase's lock.
struct Recorded {
    all: Series,
    by_tags: BTreeMap<Tags, Series>,
    tag_sets_overflowed: u64,
    /// Custom-metric updates dropped because their name was beyond [`MAX_METRIC_NAMES`].
    metric_names_overflowed: u64,
    custom_trend_names: usize,
    errors_by_class: BTreeMap<ErrorClass, u64>,
    tokens: TokenAccounting,
    /// Totals of what the answers' `usage` reported beyond input and output tokens, and their
    /// tool calls.
    reasoning_tokens: u64,
    cached_tokens: u64,
    tool_calls: u64,
    failure_samples: Vec<String>,
    /// The first message of each class that is not the server's doing (`tls`, `client-limit`),
    /// quoted in the report's notes with its fix.
    blame_samples: BTreeMap<ErrorClass, String>,
    /// Requests after which a VU backed off because its connection could not be opened, and how
    /// long it waited in all.
    backoffs: u64,
    backoff_total: Duration,
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
            tokens: TokenAccounting::default(),
            reasoning_tokens: 0,
            cached_tokens: 0,
            tool_calls: 0,
            failure_samples: Vec::new(),
            blame_samples: BTreeMap::new(),
            backoffs: 0,
            backoff_total: Duration::ZERO,
            recovery: Recovery::default(),
            interval: Series::presized(),
        }
    }
}

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
    /// Completed, failed, dropped, interrupted and in-flight iterations.
    pub iterations: IterationCounters,
    started: OnceLock<Instant>,
    ended: OnceLock<Instant>,
    /// The process's CPU time when the phase started and ended (`cpu::process_cpu`).
    cpu_started: OnceLock<Duration>,
    cpu_ended: OnceLock<Duration>,
    /// Guest log lines dropped by the per-instance rate cap.
    log_lines_dropped: AtomicU64,
    /// What the host refused or cut on the guest's behalf, by kind (see [`Caps`]).
    pub caps: Caps,
    /// LLM requests the server refused as unauthorized (HTTP 401 or 403), also counted as errors.
    credentials_refused: AtomicU64,
    requests: AtomicU64,
    errors: AtomicU64,
    input_tokens: AtomicU64,
    output_tokens: AtomicU64,
    slo: Option<Slo>,
    good_requests: AtomicU64,
    /// The run's live outputs, told of every request as it is recorded.
    observers: Observers,
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
            iterations: IterationCounters::default(),
            started: OnceLock::new(),
            ended: OnceLock::new(),
            cpu_started: OnceLock::new(),
            cpu_ended: OnceLock::new(),
            log_lines_dropped: AtomicU64::new(0),
            caps: Caps::default(),
            credentials_refused: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            input_tokens: AtomicU64::new(0),
            output_tokens: AtomicU64::new(0),
            slo: None,
            good_requests: AtomicU64::new(0),
            observers: Observers::default(),
            recorded: Mutex::new(Recorded::default()),
        }
    }

    /// Counts the requests that meet `slo` (goodput).
    pub fn with_slo(mut self, slo: Option<Slo>) -> Self {
        self.slo = slo;
        self
    }

    /// Tells `observers` of every request recorded here.
    pub fn with_observers(mut self, observers: Observers) -> Self {
        self.observers = observers;
        self
    }

    /// Tells the observers about one request, started at `started` (or, when unknown, `took`
    /// before now).
    fn observe(
        &self,
        extra: &Tags,
        kind: RequestKind,
        started: Option<Instant>,
        took: Duration,
        outcome: Outcome<'_>,
    ) {
        if !self.observers.any() {
            return;
        }
        let now = Instant::now();
        // A request that measured its time ends `took` after it was sent, not when it is
        // recorded (that is later by the client's own bookkeeping).
        let (started, ended) = match started {
            Some(sent) if !took.is_zero() => (Some(sent), sent + took),
            Some(sent) => (Some(sent), now),
            None => (now.checked_sub(took), now),
        };
        self.observers.request(&Observed {
            phase: &self.name,
            phase_tags: &self.tags,
            tags: extra,
            kind,
            started,
            ended,
            outcome,
        });
    }

    fn lock(&self) -> MutexGuard<'_, Recorded> {
        // A panic while holding the lock leaves histograms that are still valid: keep going.
        self.recorded.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Marks the instant the phase's traffic began (the first call wins).
    pub fn mark_started(&self, at: Instant) {
        if self.started.set(at).is_ok()
            && let Some(cpu) = cpu::process_cpu()
        {
            let _ = self.cpu_started.set(cpu);
        }
    }

    /// Marks the instant the phase ended (the first call wins).
    pub fn mark_ended(&self, at: Instant) {
        if self.ended.set(at).is_ok()
            && let Some(cpu) = cpu::process_cpu()
        {
            let _ = self.cpu_ended.set(cpu);
        }
    }

    /// The process's CPU time over the phase (to now while it runs); `None` before it started or
    /// where the OS does not say. The whole process's: overlapping phases each see all of it.
    pub fn cpu_used(&self) -> Option<Duration> {
        let start = *self.cpu_started.get()?;
        let end = match self.cpu_ended.get() {
            Some(end) => *end,
            None => cpu::process_cpu()?,
        };
        Some(end.saturating_sub(start))
    }

    pub fn started_at(&self) -> Option<Instant> {
        self.started.get().copied()
    }

    pub fn ended(&self) -> bool {
        self.ended.get().is_some()
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
    pub fn record_llm(&self, extra: &Tags, c: &LlmSample<'_>) {
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
        if c.output_tokens_from_usage {
            r.tokens.from_usage += 1;
        } else {
            r.tokens.counted += 1;
        }
        if let Some(usage) = c.usage_output_tokens
            && c.counted_output_tokens > 0
            && usage != c.counted_output_tokens
        {
            r.tokens.disagreements += 1;
            r.tokens.discrepancy += i64::from(usage) - i64::from(c.counted_output_tokens);
        }
        if c.reasoning_chunks > 0 || c.reasoning_tokens.is_some_and(|n| n > 0) {
            r.tokens.reasoning += 1;
        }
        r.reasoning_tokens += u64::from(c.reasoning_tokens.unwrap_or(0));
        if let Some(cached) = c.cached_tokens {
            r.tokens.cached_reported += 1;
            r.cached_tokens += u64::from(cached);
        }
        r.tool_calls += u64::from(c.tool_calls);
        let n = c.output_tokens.max(1);
        r.each_series(extra, |s| {
            s.requests += 1;
            s.input_tokens += u64::from(c.input_tokens.unwrap_or(0));
            if let Some(cached) = c.cached_tokens {
                s.cached_tokens += u64::from(cached);
                s.cached_reported += 1;
            }
            s.record(metric::E2E, micros(c.e2e));
            s.record(metric::E2E_PER_TOKEN, micros(c.e2e / n));
            if let Some(ttft) = c.ttft {
                s.record(metric::TTFT, micros(ttft));
            }
            if let Some(ttfo) = c.ttfo {
                s.record(metric::TTFO, micros(ttfo));
            }
            if let Some(ttst) = c.ttst {
                s.record(metric::TTST, micros(ttst));
            }
            if let Some(tpot) = c.tpot {
                s.record(metric::TPOT, micros(tpot));
                if !tpot.is_zero() {
                    // The request's decode speed in tokens/s, kept ×1000.
                    let speed = 1.0 / tpot.as_secs_f64();
                    s.record(metric::TOKENS_PER_S, (speed * 1000.0) as u64);
                }
            }
            for gap in c.itl {
                s.record(metric::ITL, micros(*gap));
            }
            for gap in c.chunk_gaps {
                s.record(metric::CHUNK_GAP, micros(*gap));
            }
        });
        r.interval.record(metric::E2E, micros(c.e2e));
        if let Some(ttft) = c.ttft {
            r.interval.record(metric::TTFT, micros(ttft));
        }
        for gap in c.itl {
            r.interval.record(metric::ITL, micros(*gap));
        }
        drop(r);
        self.observe(extra, RequestKind::Llm, c.started, c.e2e, Outcome::Llm(c));
    }

    /// Records a failed request (LLM or HTTP) under its error class.
    pub fn record_error(&self, extra: &Tags, class: ErrorClass) {
        self.record_failure(extra, RequestKind::Llm, class, None, None);
    }

    /// Records a failed request of `kind` under its error class, with the HTTP status when one
    /// was received and the instant it was sent when known.
    pub fn record_failure(
        &self,
        extra: &Tags,
        kind: RequestKind,
        class: ErrorClass,
        status: Option<u16>,
        started: Option<Instant>,
    ) {
        self.observe(
            extra,
            kind,
            started.or_else(|| Some(Instant::now())),
            Duration::ZERO,
            Outcome::Failed { class, status },
        );
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.errors.fetch_add(1, Ordering::Relaxed);
        let mut r = self.lock();
        // The client's own limits, a refused certificate or request are no outage of the server.
        if class.is_servers() {
            r.recovery.on_error(Instant::now());
        }
        *r.errors_by_class.entry(class).or_default() += 1;
        r.each_series(extra, |s| {
            s.requests += 1;
            s.errors += 1;
        });
    }

    /// Keeps the first message of a class the report explains (`tls`, `client-limit`: what is
    /// wrong and how to fix it); other classes are left to `errors_by_class`.
    pub fn record_error_message(&self, class: ErrorClass, message: &str) {
        if matches!(class, ErrorClass::Tls | ErrorClass::ClientLimit) {
            self.lock().blame_samples.entry(class).or_insert_with(|| message.to_string());
        }
    }

    /// Records that a VU waited `waited` before going on, because its connection could not be
    /// opened (see `capabilities/backoff.rs`).
    pub fn record_backoff(&self, waited: Duration) {
        let mut r = self.lock();
        r.backoffs += 1;
        r.backoff_total += waited;
    }

    /// Requests that reached the server: answered (any status), or failed after a connection
    /// was open. Failures that never left the client (`ErrorClass::never_reached_server`) are not.
    pub fn reached_server(&self) -> u64 {
        let never: u64 = self
            .lock()
            .errors_by_class
            .iter()
            .filter(|(class, _)| class.never_reached_server())
            .map(|(_, n)| n)
            .sum();
        self.requests().saturating_sub(never)
    }

    /// Records a plain HTTP exchange that got a response (any status).
    pub fn record_http(&self, extra: &Tags, h: HttpSample) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut r = self.lock();
        r.recovery.on_success(Instant::now);
        r.interval.record(metric::HTTP_TOTAL, micros(h.total));
        r.each_series(extra, |s| {
            s.requests += 1;
            if let Some(connect) = h.connect {
                s.record(metric::HTTP_CONNECT, micros(connect));
            }
            s.record(metric::HTTP_TTFB, micros(h.ttfb));
            s.record(metric::HTTP_TOTAL, micros(h.total));
        });
        drop(r);
        self.observe(extra, RequestKind::Http, None, h.total, Outcome::Http(&h));
    }

    /// Records an open-loop iteration's schedule: how late it started, and how long it took from
    /// its *intended* start (the latency a user arriving on schedule would have seen).
    pub fn record_schedule(&self, lag: Duration, from_schedule: Duration) {
        self.observers.dispatch_lag(&self.name, lag);
        let mut r = self.lock();
        r.all.record(metric::DISPATCH_LAG, micros(lag));
        r.all.record(metric::LATENCY_FROM_SCHEDULE, micros(from_schedule));
    }

    /// Records an iteration that ended after `took`: its duration, its count, and — when it
    /// failed — the reason (the first few distinct ones are kept for the report and logged once).
    pub fn record_iteration(&self, took: Duration, failure: Option<&str>) {
        let mut r = self.lock();
        r.all.record(metric::ITERATION, micros(took));
        let Some(message) = failure else {
            self.iterations.completed();
            return;
        };
        self.iterations.failed();
        if r.failure_samples.len() < MAX_FAILURE_SAMPLES && !r.failure_samples.iter().any(|m| m == message) {
            tracing::warn!("phase {}: iteration failed: {message}", self.name);
            r.failure_samples.push(message.to_string());
        }
    }

    /// Adds a sample to a custom trend.
    pub fn record_trend(&self, name: &str, value: f64, extra: &Tags) {
        self.lock().trend(name, value, extra);
    }

    /// Adds to a custom counter.
    pub fn count(&self, name: &str, delta: u64, extra: &Tags) {
        self.lock().count(name, delta, extra);
    }

    /// Records one outcome of a check.
    pub fn check(&self, name: &str, ok: bool, extra: &Tags) {
        self.lock().check(name, ok, extra);
    }

    /// Counts a guest log line dropped by the rate cap; returns how many were dropped before it.
    pub fn drop_log_line(&self) -> u64 {
        self.log_lines_dropped.fetch_add(1, Ordering::Relaxed)
    }

    /// Counts a request the server refused as unauthorized (HTTP 401 or 403); the error itself
    /// is recorded by [`PhaseStats::record_error`]. The report says so once, with the count.
    pub fn record_credentials_refused(&self) {
        self.credentials_refused.fetch_add(1, Ordering::Relaxed);
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

    /// The distributions of TTFT, ITL, E2E and plain-HTTP total time since the previous call,
    /// which starts a new interval. Metrics without samples in the interval are left out.
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
        self.requests() == 0
            && r.all.metrics.is_empty()
            && r.all.counters.is_empty()
            && r.all.checks.is_empty()
    }

    /// Failed requests so far, by error class.
    pub fn errors_by_class(&self) -> BTreeMap<String, u64> {
        error_class::counts_by_name(&self.lock().errors_by_class)
    }
}

/// `n` per second of `elapsed`; 0 before any time has passed.
fn per_second(n: u64, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 { n as f64 / secs } else { 0.0 }
}

#[cfg(test)]
mod tests;
