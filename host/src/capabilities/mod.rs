//! What the host grants a scenario: one module per WIT interface in `wit/`, each implementing
//! the generated `Host` trait for [`HostState`], the per-instance state of every store.
//!
//! Lifecycle, in three levels: [`RunContext`] is set up once per run and shared by every
//! instance; [`HostState`] is created per instance (the controller, or one VU); each call then
//! reads the instance's [`Role`] to know which phase its measurements belong to.

pub mod clock;
pub mod http;
pub mod llm;
pub mod load;
pub mod log;
pub mod metrics;
pub mod params;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::client::http::HttpClient;
use crate::engine::LoadedScenario;
use crate::load::PhaseRegistry;
use crate::stats::{PhaseStats, Tags};

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
        })
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
    pub run: Arc<RunContext>,
    pub role: Role,
}

impl HostState {
    pub fn new(run: Arc<RunContext>, role: Role) -> Self {
        // No preopened directories, no environment, no arguments, no stdio: a scenario reaches
        // the outside world only through the runner's own interfaces.
        let wasi = WasiCtx::builder().build();
        Self { wasi, table: ResourceTable::new(), run, role }
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
