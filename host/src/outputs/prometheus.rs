//! The run's metrics in Prometheus's text format (`--prometheus ADDR` serves `/metrics` while
//! the run goes; `--prometheus-push URL` sends them to a Pushgateway), so a Grafana dashboard
//! watches a benchmark like any other service.
//!
//! Counters and histograms are fed per request by [`RequestObserver`], each on handles cached
//! per phase (a request costs a read lock and a few atomic adds, no allocation); gauges that
//! describe the moment (iterations in flight, phases running, the newest telemetry) are read
//! from the run when scraped. Every series carries the run's `run_id` and `scenario`, so runs
//! stay apart in one Prometheus. Names and labels are listed in docs/OUTPUTS.md.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, OnceLock, RwLock, Weak};
use std::time::Duration;

use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::run::RunContext;
use crate::stats::{Observed, Outcome, RequestKind, RequestObserver};

/// The content type of the text format, version 0.0.4 (what Prometheus and the Pushgateway
/// both read).
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Seconds: 1 ms to 5 min, about three buckets a decade — TTFT and E2E of any LLM server.
const LATENCY_BUCKETS: [f64; 17] =
    [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 60.0, 120.0, 300.0];
/// Seconds: 0.5 ms to 2 s, finer where decode steps fall.
const TOKEN_BUCKETS: [f64; 15] =
    [0.0005, 0.001, 0.002, 0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.2, 0.5, 1.0, 2.0];
/// Seconds: 0.1 ms to 1 s, where a dispatcher's lateness falls.
const LAG_BUCKETS: [f64; 11] = [0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1.0];

type Labels = Vec<(String, String)>;
type Histograms = Family<Labels, Histogram, fn() -> Histogram>;
type FloatGauge = Gauge<f64, AtomicU64>;

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}
fn token_histogram() -> Histogram {
    Histogram::new(TOKEN_BUCKETS)
}
fn lag_histogram() -> Histogram {
    Histogram::new(LAG_BUCKETS)
}

fn kind_index(kind: RequestKind) -> usize {
    match kind {
        RequestKind::Llm => 0,
        RequestKind::Embedding => 1,
        RequestKind::Http => 2,
    }
}

/// The families every series belongs to.
struct Families {
    requests: Family<Labels, Counter>,
    errors: Family<Labels, Counter>,
    input_tokens: Family<Labels, Counter>,
    output_tokens: Family<Labels, Counter>,
    ttft: Histograms,
    ttfo: Histograms,
    tpot: Histograms,
    itl: Histograms,
    e2e: Histograms,
    lag: Histograms,
    in_flight: Family<Labels, Gauge>,
    active: Family<Labels, Gauge>,
    telemetry: Family<Labels, FloatGauge>,
}

/// One phase's handles, so a request finds its series without building labels.
struct PhaseHandles {
    /// Per kind, made at its first request: a phase of completions exposes no empty series
    /// for plain HTTP or embeddings.
    by_kind: [OnceLock<(Counter, Histogram)>; 3],
    ttft: Histogram,
    ttfo: Histogram,
    tpot: Histogram,
    itl: Histogram,
    lag: Histogram,
    input_tokens: Counter,
    output_usage: Counter,
    output_counted: Counter,
}

/// A run's metrics, fed by its requests and read by scrapes and pushes.
pub struct Exporter {
    registry: Registry,
    families: Families,
    phases: RwLock<HashMap<String, Arc<PhaseHandles>>>,
    /// The run, for the gauges read when scraped (weak: the run holds this exporter).
    run: OnceLock<Weak<RunContext>>,
}

fn phase(name: &str) -> Labels {
    vec![("phase".to_string(), name.to_string())]
}

fn with(mut labels: Labels, key: &str, value: &str) -> Labels {
    labels.push((key.to_string(), value.to_string()));
    labels
}

impl Exporter {
    /// An exporter whose every series carries `run_id`, `scenario` and the run's `--label`s
    /// (their keys are Prometheus label names; one named like a series' own label is left out).
    pub fn new(run_id: &str, scenario: &str, labels: &BTreeMap<String, String>) -> Self {
        const OWN: [&str; 7] = ["run_id", "scenario", "phase", "kind", "class", "source", "le"];
        let constant = [("run_id", run_id), ("scenario", scenario)]
            .into_iter()
            .chain(labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).filter(|(k, _)| !OWN.contains(k)))
            .map(|(k, v)| (k.to_string().into(), v.to_string().into()))
            .collect::<Vec<_>>();
        let mut registry = Registry::with_prefix_and_labels("runner", constant.into_iter());
        let families = Families {
            requests: Family::default(),
            errors: Family::default(),
            input_tokens: Family::default(),
            output_tokens: Family::default(),
            ttft: Family::new_with_constructor(latency_histogram),
            ttfo: Family::new_with_constructor(latency_histogram),
            tpot: Family::new_with_constructor(token_histogram),
            itl: Family::new_with_constructor(token_histogram),
            e2e: Family::new_with_constructor(latency_histogram),
            lag: Family::new_with_constructor(lag_histogram),
            in_flight: Family::default(),
            active: Family::default(),
            telemetry: Family::default(),
        };
        let f = &families;
        registry.register(
            "requests",
            "Requests that ended, by phase and kind (llm, embedding, http)",
            f.requests.clone(),
        );
        registry.register("errors", "Failed requests, by phase, kind and error class", f.errors.clone());
        registry.register("input_tokens", "Prompt tokens of successful requests", f.input_tokens.clone());
        registry.register(
            "output_tokens",
            "Output tokens of successful requests, by source (usage: the server said; counted: the client counted)",
            f.output_tokens.clone(),
        );
        registry.register(
            "ttft_seconds",
            "Time to first token (content, reasoning or tool call)",
            f.ttft.clone(),
        );
        registry.register("ttfo_seconds", "Time to first output token (reasoning excluded)", f.ttfo.clone());
        registry.register(
            "tpot_seconds",
            "Time per output token after the first, per request",
            f.tpot.clone(),
        );
        registry.register(
            "itl_seconds",
            "Inter-token latency, every gap between content tokens",
            f.itl.clone(),
        );
        registry.register("e2e_seconds", "Request start to last byte, by phase and kind", f.e2e.clone());
        registry.register(
            "dispatch_lag_seconds",
            "How late open-loop iterations started after their intended instant",
            f.lag.clone(),
        );
        registry.register("in_flight_iterations", "Iterations running now", f.in_flight.clone());
        registry.register("phase_active", "1 while the phase runs, 0 after", f.active.clone());
        registry.register(
            "telemetry",
            "The newest telemetry reading, by source, device and field (docs/TELEMETRY.md)",
            f.telemetry.clone(),
        );
        Self { registry, families, phases: RwLock::default(), run: OnceLock::new() }
    }

    /// Lets scrapes read the run's gauges.
    pub fn attach(&self, run: &Arc<RunContext>) {
        let _ = self.run.set(Arc::downgrade(run));
    }

    fn handles(&self, name: &str) -> Arc<PhaseHandles> {
        if let Some(h) = self.phases.read().unwrap_or_else(|p| p.into_inner()).get(name) {
            return h.clone();
        }
        let f = &self.families;
        let p = phase(name);
        // One handle per statement: `get_or_create` holds its family's read lock until the end of
        // the statement, and a second insert into the same family in that statement would wait
        // for it forever.
        let usage = with(p.clone(), "source", "usage");
        let counted = with(p.clone(), "source", "counted");
        let output_usage = f.output_tokens.get_or_create(&usage).clone();
        let output_counted = f.output_tokens.get_or_create(&counted).clone();
        let ttft = f.ttft.get_or_create(&p).clone();
        let ttfo = f.ttfo.get_or_create(&p).clone();
        let tpot = f.tpot.get_or_create(&p).clone();
        let itl = f.itl.get_or_create(&p).clone();
        let lag = f.lag.get_or_create(&p).clone();
        let input_tokens = f.input_tokens.get_or_create(&p).clone();
        let made = Arc::new(PhaseHandles {
            by_kind: Default::default(),
            ttft,
            ttfo,
            tpot,
            itl,
            lag,
            input_tokens,
            output_usage,
            output_counted,
        });
        self.phases.write().unwrap_or_else(|p| p.into_inner()).entry(name.to_string()).or_insert(made).clone()
    }

    /// The metrics now, in the text format.
    pub fn encode(&self) -> String {
        self.refresh_gauges();
        let mut out = String::with_capacity(16 * 1024);
        // Writing into a String cannot fail.
        let _ = prometheus_text::encode(&mut out, &self.registry);
        out
    }

    /// Reads the moment's gauges from the run.
    fn refresh_gauges(&self) {
        let Some(run) = self.run.get().and_then(Weak::upgrade) else { return };
        let f = &self.families;
        for (stats, _) in run.phases.entries() {
            let labels = phase(&stats.name);
            let in_flight = i64::try_from(stats.iterations.in_flight()).unwrap_or(i64::MAX);
            f.in_flight.get_or_create(&labels).set(in_flight);
            let active = stats.started_at().is_some() && !stats.ended();
            f.active.get_or_create(&labels).set(i64::from(active));
        }
        for sample in run.telemetry.snapshot() {
            let device = sample.device.clone().unwrap_or_default();
            for (field, value) in &sample.fields {
                let labels = vec![
                    ("source".to_string(), sample.source.clone()),
                    ("device".to_string(), device.clone()),
                    ("field".to_string(), field.clone()),
                ];
                f.telemetry.get_or_create(&labels).set(*value);
            }
        }
    }
}

fn seconds(d: Duration) -> f64 {
    d.as_secs_f64()
}

impl RequestObserver for Exporter {
    fn request(&self, r: &Observed<'_>) {
        let h = self.handles(r.phase);
        let (requests, e2e) = h.by_kind[kind_index(r.kind)].get_or_init(|| {
            let labels = with(phase(r.phase), "kind", r.kind.name());
            let requests = self.families.requests.get_or_create(&labels).clone();
            let e2e = self.families.e2e.get_or_create(&labels).clone();
            (requests, e2e)
        });
        requests.inc();
        match r.outcome {
            Outcome::Llm(c) => {
                e2e.observe(seconds(c.e2e));
                if let Some(ttft) = c.ttft {
                    h.ttft.observe(seconds(ttft));
                }
                if let Some(ttfo) = c.ttfo {
                    h.ttfo.observe(seconds(ttfo));
                }
                if let Some(tpot) = c.tpot {
                    h.tpot.observe(seconds(tpot));
                }
                for gap in c.itl {
                    h.itl.observe(seconds(*gap));
                }
                h.input_tokens.inc_by(u64::from(c.input_tokens.unwrap_or(0)));
                let output = if c.output_tokens_from_usage { &h.output_usage } else { &h.output_counted };
                output.inc_by(u64::from(c.output_tokens));
            }
            Outcome::Embedding { e2e: took, input_tokens } => {
                e2e.observe(seconds(took));
                h.input_tokens.inc_by(u64::from(input_tokens.unwrap_or(0)));
            }
            Outcome::Http(s) => e2e.observe(seconds(s.total)),
            Outcome::Failed { class, .. } => {
                let labels = with(with(phase(r.phase), "kind", r.kind.name()), "class", class.as_str());
                self.families.errors.get_or_create(&labels).inc();
            }
        }
    }

    fn dispatch_lag(&self, phase: &str, lag: Duration) {
        self.handles(phase).lag.observe(seconds(lag));
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::error_class::ErrorClass;
    use crate::stats::{LlmSample, Tags};

    /// The value of the series `name` whose labels include every one of `labels`, if exactly
    /// one series matches (label order in the text is the encoder's business).
    pub(crate) fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let mut found = text.lines().filter(|l| !l.starts_with('#')).filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (n, rest) = series.split_once('{').unwrap_or((series, "}"));
            let pairs: Vec<(&str, &str)> = rest
                .trim_end_matches('}')
                .split(',')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k, v.trim_matches('"')))
                .collect();
            (n == name && labels.iter().all(|l| pairs.contains(l))).then(|| value.parse().ok())?
        });
        let first = found.next();
        if found.next().is_some() { None } else { first }
    }

    #[test]
    fn requests_errors_tokens_and_histograms_are_exposed_with_the_run_labels() {
        let labels =
            BTreeMap::from([("gpu".to_string(), "h100".to_string()), ("phase".to_string(), "x".to_string())]);
        let e = Exporter::new("r1", "s", &labels);
        let itl = [Duration::from_millis(10); 4];
        let sample = LlmSample {
            e2e: Duration::from_millis(90),
            ttft: Some(Duration::from_millis(50)),
            itl: &itl,
            input_tokens: Some(12),
            output_tokens: 5,
            output_tokens_from_usage: true,
            ..LlmSample::default()
        };
        let tags = Tags::new();
        let observed = |outcome| Observed {
            phase: "main",
            phase_tags: &tags,
            tags: &tags,
            kind: RequestKind::Llm,
            started: None,
            ended: Instant::now(),
            outcome,
        };
        e.request(&observed(Outcome::Llm(&sample)));
        e.request(&observed(Outcome::Llm(&sample)));
        e.request(&observed(Outcome::Failed { class: ErrorClass::Timeout, status: None }));
        e.dispatch_lag("main", Duration::from_micros(300));
        let text = e.encode();
        let run = [("phase", "main"), ("run_id", "r1"), ("scenario", "s"), ("gpu", "h100")];
        let l = |extra: &[(&'static str, &'static str)]| [&run[..], extra].concat();
        assert_eq!(value(&text, "runner_requests_total", &l(&[("kind", "llm")])), Some(3.0), "{text}");
        let timeouts = l(&[("kind", "llm"), ("class", "timeout")]);
        assert_eq!(value(&text, "runner_errors_total", &timeouts), Some(1.0), "{text}");
        assert_eq!(value(&text, "runner_output_tokens_total", &l(&[("source", "usage")])), Some(10.0));
        assert_eq!(value(&text, "runner_input_tokens_total", &l(&[])), Some(24.0));
        assert_eq!(value(&text, "runner_ttft_seconds_count", &l(&[])), Some(2.0), "{text}");
        assert_eq!(value(&text, "runner_ttft_seconds_bucket", &l(&[("le", "0.05")])), Some(2.0), "{text}");
        assert_eq!(value(&text, "runner_ttft_seconds_bucket", &l(&[("le", "0.02")])), Some(0.0));
        assert_eq!(value(&text, "runner_itl_seconds_count", &l(&[])), Some(8.0));
        assert_eq!(value(&text, "runner_dispatch_lag_seconds_count", &l(&[])), Some(1.0));
        assert!(text.contains("# TYPE runner_ttft_seconds histogram"), "{text}");
        // Kinds the phase never sent have no series.
        assert_eq!(value(&text, "runner_requests_total", &l(&[("kind", "http")])), None);
    }
}
