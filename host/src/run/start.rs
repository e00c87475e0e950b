//! The second stage: set up the run and write its header before any traffic — the run's
//! context, `run.json` in the run folder (claimed and locked: `folder::claim_*`), the time
//! series (and the live dashboard's feed from it), the telemetry sampler and the controller
//! instance.

use std::sync::Arc;
use std::time::SystemTime;

use anyhow::Context;
use runner_reports::{ScenarioInfo, SegmentInfo, Summary, Threshold};
use wasmtime::Store;

use super::PlayOptions;
use super::context::{RunContext, RunSettings};
use super::folder::{self, RUN_HEADER, RunFolder};
use super::prepare::{Prepared, client};
use crate::bindings::Scenario;
use crate::capabilities::HostState;
use crate::engine::vu::WasmVus;
use crate::outputs::{Bound, LiveOutputs};
use crate::telemetry::{self, Sampler};
use crate::timeline::{Tap, Timeline};

/// A run under way: everything the drive and finish stages use.
pub struct Started {
    pub run: Arc<RunContext>,
    /// `summary.json` as it would be with no phases; the finish stage completes it.
    pub header: Summary,
    /// The run folder, locked until the run has written it.
    pub folder: RunFolder,
    pub timeline: Timeline,
    pub sampler: Option<Sampler>,
    /// `requests.jsonl`, the Prometheus endpoint and pushes, as asked.
    pub outputs: LiveOutputs,
    /// The controller's store and instance, which run `drive`.
    pub controller: (Store<HostState>, Scenario),
}

/// Runs the start stage.
///
/// `claimed` is the folder `--out` named, already claimed; without one, a fresh default folder
/// is claimed here, where the scenario's name is known. `bound` holds the live outputs'
/// listeners.
pub async fn start(
    opts: &PlayOptions,
    prepared: &Prepared,
    claimed: Option<RunFolder>,
    bound: Bound,
) -> anyhow::Result<Started> {
    let seed = opts.seed.unwrap_or_else(|| {
        SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0)
    });
    let settings = RunSettings {
        target: prepared.target.clone(),
        params: prepared.params.clone(),
        model: prepared.model.as_ref().map(|m| m.name.clone()),
        seed,
        request_timeout: opts.request_timeout,
        iteration_timeout: opts.iteration_timeout,
        lag_bound: opts.lag_bound,
        guest_memory: opts.guest_memory,
        allowed_hosts: opts.allowed_hosts.clone(),
        headers: opts.headers.clone(),
        http2: opts.connect.http2,
        slo: opts.slo.clone(),
        datasets: prepared.datasets.clone(),
        tokens: prepared.tokens.clone(),
        segment: opts.segment,
        start_at: opts.start_at,
    };
    let folder = match claimed {
        Some(folder) => folder,
        None => folder::claim_default(&folder::default_out_dir(&prepared.info.name))?,
    };
    if let Some(note) = &folder.note {
        eprintln!("note: {note}");
    }
    let out_dir = &folder.dir;
    let run_id = folder::new_run_id();
    let mut outputs =
        LiveOutputs::open(&opts.outputs, bound, out_dir, &run_id, &prepared.info.name, &opts.labels)?;
    let run = RunContext::new(settings, client(opts.request_timeout, &opts.connect)?, outputs.observers());
    outputs.attach(&run);
    run.declare_thresholds(prepared.declared.iter().cloned());
    let header = header(opts, prepared, run_id, seed, run.started_wall);
    // The run's header goes to disk before any traffic, so even a killed run can be rebuilt.
    folder::write_file(out_dir, RUN_HEADER, &header.to_json())?;
    let mut taps: Vec<Box<dyn Tap>> = Vec::new();
    if let Some(dashboard) = &prepared.dashboard {
        taps.push(Box::new(dashboard.feed()));
    }
    let timeline =
        Timeline::start(run.clone(), out_dir, &header.run_id, opts.progress, abort_on(opts, prepared), taps)
            .with_context(|| format!("creating {}/timeseries.jsonl", out_dir.display()))?;
    let sampler = Sampler::start(
        &opts.telemetry,
        telemetry::Hooks {
            active: active_phases(run.clone()),
            started: run.started,
            records: Some(timeline.sink()),
            latest: run.telemetry.clone(),
            headers_for: {
                let run = run.clone();
                Box::new(move |url| {
                    let settings = &run.settings;
                    if settings.is_target_origin(url) {
                        settings.headers.merged(&[]).into_owned()
                    } else {
                        Vec::new()
                    }
                })
            },
        },
    );
    let controller = WasmVus::new(run.clone(), prepared.scenario.clone())
        .controller()
        .await
        .map_err(anyhow::Error::msg)?;
    Ok(Started { run, header, folder, timeline, sampler, outputs, controller })
}

/// The summary's header: who ran what against which target, when, with which inputs.
fn header(
    opts: &PlayOptions,
    prepared: &Prepared,
    run_id: String,
    seed: u64,
    started: SystemTime,
) -> Summary {
    let info = &prepared.info;
    Summary {
        schema_version: runner_reports::SCHEMA_VERSION,
        runner_version: env!("CARGO_PKG_VERSION").to_string(),
        run_id,
        scenario: ScenarioInfo {
            name: info.name.clone(),
            version: info.version.clone(),
            author: info.author.clone(),
            description: info.description.clone(),
            wit_version: prepared.scenario.wit_version.clone(),
            path: prepared.origin.clone(),
            digest: prepared.digest.clone(),
        },
        target: prepared.target.clone(),
        target_is_mock: prepared.mock.is_some(),
        seed,
        params: prepared.params.clone(),
        model: prepared.model.clone(),
        labels: opts.labels.clone(),
        server: prepared.server.clone(),
        headers: opts.headers.names(),
        // Microseconds: a merge of workers' runs places each run's offsets on the wall clock, and
        // the workers' start skew is itself a figure of a millisecond or two.
        started_at: humantime::format_rfc3339_micros(started).to_string(),
        segment: (!opts.segment.is_whole() || opts.start_at.is_some()).then(|| SegmentInfo {
            index: opts.segment.index(),
            count: opts.segment.count(),
            host: host_name(),
            start_at: opts.start_at.map(|at| humantime::format_rfc3339_nanos(at).to_string()),
            start_late_ms: None,
        }),
        ..Summary::default()
    }
}

/// This machine's name, as a merged run's report names its workers (empty when unknown).
fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname writes at most that many bytes.
    let ok = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0;
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    if ok { String::from_utf8_lossy(&buf[..end]).into_owned() } else { String::new() }
}

/// The thresholds checked live with `--abort-on-fail`: the command line's and the declared ones.
fn abort_on(opts: &PlayOptions, prepared: &Prepared) -> Vec<Threshold> {
    if opts.abort_on_fail {
        opts.thresholds.iter().chain(&prepared.declared).cloned().collect()
    } else {
        Vec::new()
    }
}

/// The names of the phases running now. The telemetry sampler folds each sample into these
/// phases' aggregates, so overlapping phases each get the samples of their window.
fn active_phases(run: Arc<RunContext>) -> telemetry::ActivePhases {
    Box::new(move || run.phases.active())
}
