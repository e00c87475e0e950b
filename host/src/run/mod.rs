//! One `runner play`, in explicit stages: [`prepare`] (load, describe, parameters, datasets,
//! target), [`start`] (context, header, time series, telemetry, controller), [`drive`] (the
//! scenario's `drive()` and the phases it starts), [`finish`] (reports → [`Summary`] → the run
//! folder). [`context`] is the state one run shares with every instance; [`summary`] the one
//! place that orders notes and merges thresholds; [`folder`] the run folder on disk.

pub mod context;
pub mod drive;
pub mod finish;
pub mod folder;
pub mod merge;
pub mod model;
pub mod prepare;
pub mod server_info;
pub mod start;
pub mod summary;

use std::path::PathBuf;
use std::time::Duration;

use runner_reports::Summary;

pub use context::{DEFAULT_REQUEST_TIMEOUT, RunContext, RunSettings};
pub use folder::{FolderError, RUN_HEADER, SUMMARY, TIMESERIES};
pub use prepare::{describe, kind_name, load_scenario, merge_params};

use crate::engine::EngineOptions;
use crate::mock::MockConfig;
use crate::timeline::Progress;

/// Everything `runner play` takes.
#[derive(Debug, Clone)]
pub struct PlayOptions {
    /// The scenario: a file, a shipped one or an OCI reference.
    pub scenario: crate::source::ScenarioRef,
    /// How an `oci://` scenario's registry is reached (trust, plain HTTP, the blob cache).
    pub registry: crate::oci::RegistryOptions,
    /// The server under test; `None` starts the built-in simulated server.
    pub target: Option<String>,
    /// `--param name=value`, in command-line order.
    pub params: Vec<(String, String)>,
    /// `--model`: the model of every LLM call that names none; overrides the `model` parameter.
    pub model: Option<String>,
    /// `--label key=value`: recorded in `run.json`, `summary.json` and every output.
    pub labels: std::collections::BTreeMap<String, String>,
    pub seed: Option<u64>,
    /// This worker's share of every phase (`--segment I/N`).
    pub segment: crate::load::Segment,
    /// `--start-at`: when `drive` starts, and the planned timeline's origin.
    pub start_at: Option<std::time::SystemTime>,
    /// The run folder; `None` means a fresh `runs/<scenario>-<timestamp>`.
    pub out: Option<PathBuf>,
    /// `--force`: write into an `out` that holds an earlier run, removing that run's files.
    pub force: bool,
    pub request_timeout: Duration,
    pub iteration_timeout: Duration,
    pub lag_bound: Duration,
    /// How the built-in simulated server behaves when there is no target.
    pub mock: MockConfig,
    pub engine: EngineOptions,
    pub connect: ConnectOptions,
    /// Live progress on stderr.
    pub progress: Progress,
    /// Linear-memory cap per instance, in bytes.
    pub guest_memory: usize,
    /// Hosts plain `http` requests may reach besides the target's.
    pub allowed_hosts: Vec<crate::sandbox::AllowedHost>,
    /// Headers for every request to the target: `--header`, and the API key's `Authorization`.
    pub headers: crate::client::http::TargetHeaders,
    /// Per-request objectives for goodput.
    pub slo: Option<crate::stats::Slo>,
    /// `--threshold` criteria, checked on the summary before the run folder is written.
    pub thresholds: Vec<runner_reports::Threshold>,
    /// Also check the thresholds every second and stop the run at the first failure.
    pub abort_on_fail: bool,
    /// `--telemetry` sources sampled on the run's clock; none by default.
    pub telemetry: crate::telemetry::TelemetryOptions,
    /// `--data NAME=PATH`, in command-line order.
    pub data: Vec<String>,
    /// `--tokenizer`: a Hugging Face tokenizer.json.
    pub tokenizer: Option<PathBuf>,
    /// Live outputs: `--records`, `--prometheus`, `--prometheus-push`.
    pub outputs: crate::outputs::OutputOptions,
    /// `--dashboard`: serve the live dashboard there while the run goes.
    pub dashboard: Option<std::net::SocketAddr>,
}

/// How the client connects to servers: whom it trusts over HTTPS, and which HTTP version.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// A PEM file of CA certificates trusted besides the system's (private ingresses).
    pub ca_cert: Option<PathBuf>,
    /// Accept any server certificate. For test servers only.
    pub insecure: bool,
    /// HTTP/2 for every request (ALPN over TLS, prior knowledge over plain `http://`) instead of
    /// HTTP/1.1: requests then share the pooled client's multiplexed connections.
    pub http2: bool,
}

/// What a finished run produced.
pub struct RunOutcome {
    pub summary: Summary,
    pub out_dir: PathBuf,
    /// What could not be written into the run folder (the time series, the summary, the
    /// reports), one line; the summary above is whole regardless.
    pub folder_error: Option<String>,
    /// The error `drive` returned (or trapped with), if any; the report is written regardless.
    pub drive_error: Option<String>,
    /// Whether the run was cut short by Ctrl-C or SIGTERM.
    pub interrupted: bool,
}

/// Runs a scenario from start to finish.
pub async fn play(opts: PlayOptions) -> anyhow::Result<RunOutcome> {
    // A folder named with --out that would be refused is refused first, before any preparation
    // or request to the target; it is claimed (created, locked) once the run is prepared.
    if let Some(dir) = &opts.out {
        folder::check_given(dir, opts.force)?;
    }
    // So is an address the live outputs cannot listen on.
    let bound = opts.outputs.bind().map_err(anyhow::Error::msg)?;
    let prepared = prepare::prepare(&opts).await?;
    let claimed = opts.out.as_deref().map(|dir| folder::claim_given(dir, opts.force)).transpose()?;
    let mut started = start::start(&opts, &prepared, claimed, bound).await?;
    let driven = drive::drive(&mut started).await;
    let out_dir = started.folder.dir.clone();
    let drive_error = driven.error.clone();
    let finished = finish::finish(&opts, prepared, started, driven).await?;
    Ok(RunOutcome {
        summary: finished.summary,
        out_dir,
        folder_error: finished.folder_error,
        drive_error,
        interrupted: finished.interrupted,
    })
}
