//! The state one run shares with every instance: the settings from the command line, the HTTP
//! client, the phases, what `drive` records itself, declared thresholds, the newest telemetry
//! and the stop request. Set up once per run (by [`super::start`]), read by the capabilities.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use crate::client::http::{HttpClient, TargetHeaders};
use crate::data::{Datasets, TokenCounter};
use crate::engine::DEFAULT_GUEST_MEMORY;
use crate::load::{PhaseLimits, PhaseRegistry, PlannedClock, Segment, StopSignal};
use crate::sandbox::{AllowedHost, Origin};
use crate::stats::{Observers, PhaseStats, Slo, Tags};

/// The per-request timeout when none is given (`--timeout`): long enough for a 4k-token answer
/// from a loaded server.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(600);

/// Run-wide settings a user gives on the command line.
#[derive(Debug, Clone)]
pub struct RunSettings {
    /// Base URL of the server under test.
    pub target: String,
    /// `--param` values merged over the scenario's declared defaults.
    pub params: BTreeMap<String, String>,
    /// The model of every LLM call that names none (`--model`, the `model` parameter, or the
    /// one the target lists; see [`super::model`]).
    pub model: Option<String>,
    pub seed: u64,
    /// Default per-request timeout.
    pub request_timeout: Duration,
    /// How long one iteration may run before it is interrupted and counted.
    pub iteration_timeout: Duration,
    /// Dispatch-lag p99 above which an open-loop phase is flagged as behind schedule.
    pub lag_bound: Duration,
    /// The most linear memory one instance may grow to; beyond it the iteration fails and the
    /// instance is replaced.
    pub guest_memory: usize,
    /// Hosts (and ports) plain `http` requests may reach besides the target's origin
    /// (`--allow-host`; see [`crate::sandbox`]).
    pub allowed_hosts: Vec<AllowedHost>,
    /// Headers added to every request to the target, and to no other host (`--header`, the API
    /// key). Secret: never recorded, only their names.
    pub headers: TargetHeaders,
    /// `--http2`: every request goes through the pooled client, as HTTP/2; no VU opens a
    /// connection of its own.
    pub http2: bool,
    /// Per-request objectives for goodput (`--goodput`).
    pub slo: Option<Slo>,
    /// Datasets given with `--data`, read by index through `data` and `llm`.
    pub datasets: Datasets,
    /// Counts tokens and builds synthetic prompts: exact with `--tokenizer`.
    pub tokens: Arc<TokenCounter>,
    /// This worker's share of every phase (`--segment I/N`; the whole run by default).
    pub segment: Segment,
    /// When `drive` starts (`--start-at`), the first instant of the planned timeline that
    /// workers sharing the run keep to (see [`crate::load::planned`]).
    pub start_at: Option<SystemTime>,
}

impl Default for RunSettings {
    fn default() -> Self {
        Self {
            target: String::new(),
            params: BTreeMap::new(),
            model: None,
            seed: 0,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            iteration_timeout: Duration::from_secs(600),
            lag_bound: Duration::from_millis(10),
            guest_memory: DEFAULT_GUEST_MEMORY,
            allowed_hosts: Vec::new(),
            headers: TargetHeaders::default(),
            http2: false,
            slo: None,
            datasets: Datasets::default(),
            tokens: Arc::new(TokenCounter::Estimate),
            segment: Segment::WHOLE,
            start_at: None,
        }
    }
}

impl RunSettings {
    /// Whether plain HTTP may go to `origin`: the target's origin (scheme, host and port), or
    /// one that an `--allow-host` allows. The target's other ports are not its origin.
    pub fn allows(&self, origin: &Origin) -> bool {
        Origin::parse(&self.target).as_ref() == Some(origin)
            || self.allowed_hosts.iter().any(|h| h.allows(origin))
    }

    /// Whether `url` is on the target's origin (scheme, host and port, default ports filled in):
    /// only such requests get the run's [`RunSettings::headers`].
    pub fn is_target_origin(&self, url: &str) -> bool {
        Origin::parse(url).is_some_and(|o| Origin::parse(&self.target) == Some(o))
    }

    /// What every phase of the run runs within, and who observes its requests.
    pub fn phase_limits(&self, observers: Observers) -> PhaseLimits {
        PhaseLimits {
            iteration_timeout: self.iteration_timeout,
            lag_bound: self.lag_bound,
            slo: self.slo.clone(),
            observers,
        }
    }
}

/// State shared by every instance of one run.
pub struct RunContext {
    pub settings: RunSettings,
    /// The run's clock starts here: every offset in the time series and the report counts from it.
    pub started: Instant,
    /// The wall-clock time of [`RunContext::started`], read with it: a run's offsets become
    /// wall-clock times (what a merge of workers' runs aligns on) from this one reading.
    pub started_wall: SystemTime,
    /// The drive's planned timeline when workers share the run (`--start-at`); empty otherwise.
    pub planned: PlannedClock,
    pub http: HttpClient,
    pub phases: PhaseRegistry,
    /// Measurements made by `drive` itself, outside any phase.
    pub drive_stats: Arc<PhaseStats>,
    /// Thresholds the scenario declared with `metrics.threshold`, judged at the end.
    declared_thresholds: Mutex<Vec<runner_reports::Threshold>>,
    /// The telemetry sampler's newest readings, for `gpu.latest()` (empty without `--telemetry`).
    pub telemetry: crate::telemetry::Latest,
    /// How far the run has been asked to stop (Ctrl-C, SIGTERM, `--abort-on-fail`).
    pub stop: StopSignal,
}

impl RunContext {
    /// The context of a run whose requests `observers` (the live outputs) see as they end.
    pub fn new(settings: RunSettings, http: HttpClient, observers: Observers) -> Arc<Self> {
        let stop = StopSignal::default();
        Arc::new(Self {
            drive_stats: Arc::new(PhaseStats::new("drive", Tags::new()).with_observers(observers.clone())),
            phases: PhaseRegistry::new(stop.clone(), settings.phase_limits(observers)),
            settings,
            started: Instant::now(),
            started_wall: SystemTime::now(),
            planned: PlannedClock::default(),
            http,
            declared_thresholds: Mutex::new(Vec::new()),
            telemetry: crate::telemetry::Latest::default(),
            stop,
        })
    }

    /// Declares thresholds to judge at the end; an expression declared twice (e.g. from each of
    /// several drives) is judged once.
    pub fn declare_thresholds(&self, thresholds: impl IntoIterator<Item = runner_reports::Threshold>) {
        let mut declared = self.declared_thresholds.lock().unwrap_or_else(|p| p.into_inner());
        for t in thresholds {
            if !declared.iter().any(|d| d.expression == t.expression) {
                declared.push(t);
            }
        }
    }

    /// The thresholds declared so far, in declaration order.
    pub fn declared_thresholds(&self) -> Vec<runner_reports::Threshold> {
        self.declared_thresholds.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}
