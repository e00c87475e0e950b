//! What the host grants a scenario: one module per WIT interface in `wit/`, each implementing
//! the generated `Host` trait for [`HostState`], the per-instance state of every store.
//!
//! Lifecycle, in three levels: [`RunContext`] (in `run/`) is set up once per run and shared by
//! every instance; [`HostState`] is created per instance (the controller, or one VU); each call
//! then reads the instance's [`Role`] to know which phase its measurements belong to.

pub mod backoff;
pub mod clock;
pub mod data;
pub mod gpu;
pub mod http;
pub mod limits;
pub mod llm;
pub mod load;
pub mod log;
pub mod metrics;
pub mod params;

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::ResourceTable;
use wasmtime::{StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxView, WasiView};

use crate::load::VuFactory;
use crate::run::RunContext;
use crate::stats::{PhaseStats, Tags};

/// Which instance a store holds.
#[derive(Clone)]
pub enum Role {
    /// The instance that runs `describe` and `drive`; the phases it starts get their VUs from
    /// `vus`.
    Controller { vus: Arc<dyn VuFactory> },
    /// A virtual user of a phase.
    Vu { phase: Arc<PhaseStats>, vu: u32 },
}

/// The data of one wasmtime store: WASI's (empty, sandboxed) context and the run's.
pub struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    /// Caps the instance's linear memory (see [`crate::run::RunSettings::guest_memory`]).
    pub limits: StoreLimits,
    pub run: Arc<RunContext>,
    pub role: Role,
    /// This instance's own connection to the target (see [`http::InstanceHttp`]).
    pub plain_http: http::InstanceHttp,
    /// Caps how fast this instance may log (see [`log::LogLimiter`]).
    pub log_limit: log::LogLimiter,
    /// Waits after connections that cannot be opened (see [`backoff`]).
    pub backoff: backoff::Backoff,
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
            backoff: Default::default(),
        }
    }

    /// The phase this instance's measurements belong to.
    pub fn stats(&self) -> &Arc<PhaseStats> {
        match &self.role {
            Role::Controller { .. } => &self.run.drive_stats,
            Role::Vu { phase, .. } => phase,
        }
    }

    /// `phase/vu` for log lines.
    pub fn origin(&self) -> String {
        match &self.role {
            Role::Controller { .. } => "drive".to_string(),
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

impl crate::bindings::runner::scenario::types::Host for HostState {}
