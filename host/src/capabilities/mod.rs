//! What the host grants a scenario: one module per WIT interface in `wit/`, each implementing
//! the generated `Host` trait for [`HostState`], the per-instance state of every store.
//!
//! Lifecycle, in three levels: [`RunContext`] is set up once per run and shared by every
//! instance; [`HostState`] is created per instance (the controller, or one VU); each call then
//! reads the instance's [`Role`] to know which phase its measurements belong to.

pub mod clock;
pub mod data;
pub mod gpu;
pub mod http;
pub mod llm;
pub mod load;
pub mod log;
pub mod metrics;
pub mod params;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use wasmtime::component::ResourceTable;
use wasmtime::{StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxView, WasiView};

use crate::client::http::HttpClient;
use crate::data::{Datasets, TokenCounter};
use crate::engine::LoadedScenario;
use crate::load::PhaseRegistry;
use crate::stats::{PhaseStats, Slo, Tags};

/// Run-wide settings a user gives on the command line.
#[derive(Debug, Clone)]
pub struct RunSettings {
    /// Base URL of the server under test.
    pub target: String,
    /// `--param` values merged over the scenario's declared defaults.
    pub params: BTreeMap<String, String>,
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
    /// Hosts plain `http` requests may reach besides the target's (`--allow-host`).
    pub allowed_hosts: Vec<String>,
    /// Per-request objectives for goodput (`--goodput`).
    pub slo: Option<Slo>,
    /// Datasets given with `--data`, read by index through `data` and `llm`.
    pub datasets: Datasets,
    /// Counts tokens and builds synthetic prompts: exact with `--tokenizer`.
    pub tokens: Arc<TokenCounter>,
}

/// Default for [`RunSettings::guest_memory`]: 64 MiB.
pub const DEFAULT_GUEST_MEMORY: usize = 64 << 20;

impl Default for RunSettings {
    fn default() -> Self {
        Self {
            target: String::new(),
            params: BTreeMap::new(),
            seed: 0,
            request_timeout: Duration::from_secs(60),
            iteration_timeout: Duration::from_secs(600),
            lag_bound: Duration::from_millis(10),
            guest_memory: DEFAULT_GUEST_MEMORY,
            allowed_hosts: Vec::new(),
            slo: None,
            datasets: Datasets::default(),
            tokens: Arc::new(TokenCounter::Estimate),
        }
    }
}

impl RunSettings {
    /// Whether plain HTTP may go to `host`: the target's host, or one given with `--allow-host`.
    pub fn allows_host(&self, host: &str) -> bool {
        let target_host = self.target.parse::<hyper::Uri>().ok().and_then(|u| u.host().map(str::to_string));
        target_host.as_deref() == Some(host)
            || self.allowed_hosts.iter().any(|h| h.eq_ignore_ascii_case(host))
    }
}

/// State shared by every instance of one run.
pub struct RunContext {
    pub settings: RunSettings,
    pub started: Instant,
    pub scenario: Arc<LoadedScenario>,
    pub http: HttpClient,
    pub phases: PhaseRegistry,
    /// Measurements made by `drive` itself, outside any phase.
    pub drive_stats: Arc<PhaseStats>,
    /// Thresholds the scenario declared with `metrics.threshold`, judged at the end.
    pub declared_thresholds: std::sync::Mutex<Vec<runner_reports::Threshold>>,
    stop: watch::Sender<Stop>,
}

/// How far a run has been asked to stop (by Ctrl-C or SIGTERM).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stop {
    /// Keep going.
    Running,
    /// Start nothing new; in-flight iterations get their phase's graceful stop.
    Graceful,
    /// Interrupt everything now; the report is still written.
    Now,
}

impl RunContext {
    pub fn new(settings: RunSettings, scenario: Arc<LoadedScenario>, http: HttpClient) -> Arc<Self> {
        Arc::new(Self {
            settings,
            started: Instant::now(),
            scenario,
            http,
            phases: PhaseRegistry::default(),
            drive_stats: Arc::new(PhaseStats::new("drive", Tags::new())),
            declared_thresholds: std::sync::Mutex::new(Vec::new()),
            stop: watch::Sender::new(Stop::Running),
        })
    }

    /// Asks the run to stop at `level` (never lowers an earlier request).
    pub fn request_stop(&self, level: Stop) {
        self.stop.send_if_modified(|current| {
            let raise = level > *current;
            if raise {
                *current = level;
            }
            raise
        });
    }

    /// How far the run has been asked to stop.
    pub fn stop_level(&self) -> Stop {
        *self.stop.borrow()
    }

    /// Resolves once the run has been asked to stop at `level` or beyond.
    pub async fn until(&self, level: Stop) {
        let mut rx = self.stop.subscribe();
        // The sender lives as long as `self`, so waiting cannot fail.
        let _ = rx.wait_for(|current| *current >= level).await;
    }
}

/// Which instance a store holds.
#[derive(Clone)]
pub enum Role {
    /// The instance that runs `describe` and `drive`.
    Controller,
    /// A virtual user of a phase.
    Vu { phase: Arc<PhaseStats>, vu: u32 },
}

/// The data of one wasmtime store: WASI's (empty, sandboxed) context and the run's.
pub struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    /// Caps the instance's linear memory (see [`RunSettings::guest_memory`]).
    pub limits: StoreLimits,
    pub run: Arc<RunContext>,
    pub role: Role,
    /// This instance's own connection to a plain-`http://` target (see [`http::InstanceHttp`]).
    pub plain_http: http::InstanceHttp,
    /// Caps how fast this instance may log (see [`log::LogLimiter`]).
    pub log_limit: log::LogLimiter,
}

impl HostState {
    pub fn new(run: Arc<RunContext>, role: Role) -> Self {
        // No preopened directories, no environment, no arguments, no stdio, no date: a scenario
        // reaches the outside world only through the runner's own interfaces.
        let wasi = WasiCtx::builder()
            .wall_clock(FrozenWallClock)
            .monotonic_clock(RunClock(run.started))
            .insecure_random_seed(u128::from(run.settings.seed))
            .build();
        let limits = StoreLimitsBuilder::new()
            .memory_size(run.settings.guest_memory)
            .trap_on_grow_failure(true)
            .build();
        Self {
            wasi,
            table: ResourceTable::new(),
            limits,
            run,
            role,
            plain_http: Default::default(),
            log_limit: Default::default(),
        }
    }

    /// The phase this instance's measurements belong to.
    pub fn stats(&self) -> &Arc<PhaseStats> {
        match &self.role {
            Role::Controller => &self.run.drive_stats,
            Role::Vu { phase, .. } => phase,
        }
    }

    /// `phase/vu` for log lines.
    pub fn origin(&self) -> String {
        match &self.role {
            Role::Controller => "drive".to_string(),
            Role::Vu { phase, vu } => format!("{}/vu{vu}", phase.name),
        }
    }
}

/// WASI's wall clock for guests: frozen at the Unix epoch. Time is the host's to measure, and a
/// scenario that needs "now" has the run's monotonic clock (`clock.now-ms`).
struct FrozenWallClock;

impl HostWallClock for FrozenWallClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }

    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

/// WASI's monotonic clock for guests: the run's own, counted from its start (what `clock.now-ms`
/// reads), so `Instant` in a guest neither leaks the host's uptime nor disagrees with the run.
struct RunClock(Instant);

impl HostMonotonicClock for RunClock {
    fn resolution(&self) -> u64 {
        1
    }

    fn now(&self) -> u64 {
        u64::try_from(self.0.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

/// Turns WIT tags into the recorder's.
pub fn tags(list: Vec<(String, String)>) -> Tags {
    list.into_iter().collect()
}

/// Milliseconds (as the WIT carries them) from a duration.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

impl crate::engine::bindings::runner::scenario::types::Host for HostState {}
