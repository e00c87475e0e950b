//! One `runner play`: load the component, pick the target (the built-in simulated server when
//! none is given), check the parameters against what the scenario declares, run `drive`, and
//! write the run folder (`summary.json`, `report.md`).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, bail};
use runner_reports::{ScenarioInfo, Summary};

use crate::capabilities::{Role, RunContext, RunSettings, Stop};
use crate::client::http::{ClientConfig, HttpClient, load_pem_certs};
use crate::engine::bindings::exports::runner::scenario::guest::{Info, ParamKind};
use crate::engine::{self, EngineOptions, LoadedScenario};
use crate::load::vu::new_store;
use crate::mock::{MockConfig, MockServer};
use crate::stats::PhaseShape;
use crate::timeline::{Progress, Timeline};

/// Everything `runner play` takes.
#[derive(Debug, Clone)]
pub struct PlayOptions {
    pub scenario: PathBuf,
    /// The server under test; `None` starts the built-in simulated server.
    pub target: Option<String>,
    /// `--param name=value`, in command-line order.
    pub params: Vec<(String, String)>,
    pub seed: Option<u64>,
    /// The run folder; `None` means `runs/<scenario>-<timestamp>`.
    pub out: Option<PathBuf>,
    pub request_timeout: Duration,
    pub iteration_timeout: Duration,
    pub lag_bound: Duration,
    /// How the built-in simulated server behaves when there is no target.
    pub mock: MockConfig,
    pub engine: EngineOptions,
    pub tls: TlsOptions,
    /// Live progress on stderr.
    pub progress: Progress,
    /// Linear-memory cap per instance, in bytes.
    pub guest_memory: usize,
    /// Hosts plain `http` requests may reach besides the target's.
    pub allowed_hosts: Vec<String>,
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
}

/// How the client trusts HTTPS targets.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// A PEM file of CA certificates trusted besides the system's (private ingresses).
    pub ca_cert: Option<PathBuf>,
    /// Accept any server certificate. For test servers only.
    pub insecure: bool,
}

/// What a finished run produced.
pub struct RunOutcome {
    pub summary: Summary,
    pub out_dir: PathBuf,
    /// The error `drive` returned (or trapped with), if any; the report is written regardless.
    pub drive_error: Option<String>,
    /// Whether the run was cut short by Ctrl-C or SIGTERM.
    pub interrupted: bool,
}

/// First Ctrl-C (or SIGTERM): start nothing new and let in-flight iterations finish within their
/// graceful stop. Second: stop at once. Either way the run folder is written.
async fn watch_interrupts(run: Arc<RunContext>) {
    let Ok(mut terminate) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) else {
        return;
    };
    let mut interrupt = async || {
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.is_ok(),
            r = terminate.recv() => r.is_some(),
        }
    };
    if !interrupt().await {
        return;
    }
    eprintln!(
        "interrupted: starting nothing new, in-flight iterations may finish; interrupt again to stop at once"
    );
    run.request_stop(Stop::Graceful);
    if interrupt().await {
        eprintln!("stopping at once");
        run.request_stop(Stop::Now);
    }
}

/// Loads a scenario on a blocking thread (compiling is CPU-bound).
pub async fn load_scenario(path: &Path, options: &EngineOptions) -> anyhow::Result<Arc<LoadedScenario>> {
    let (file, options) = (path.to_path_buf(), options.clone());
    let began = Instant::now();
    let loaded = tokio::task::spawn_blocking(move || engine::load(&file, &options)).await??;
    tracing::info!(
        "loaded {} in {:.0?} ({})",
        path.display(),
        began.elapsed(),
        if loaded.from_cache { "compiled code from the cache" } else { "compiled" }
    );
    Ok(Arc::new(loaded))
}

fn client(timeout: Duration, tls: &TlsOptions) -> anyhow::Result<HttpClient> {
    let extra_root_certs = match &tls.ca_cert {
        Some(path) => load_pem_certs(path)?,
        None => Vec::new(),
    };
    let config = ClientConfig {
        default_timeout: timeout,
        extra_root_certs,
        insecure: tls.insecure,
        ..ClientConfig::default()
    };
    Ok(HttpClient::new(config)?)
}

/// Calls the scenario's `describe` in a throwaway controller instance.
pub async fn describe(scenario: &Arc<LoadedScenario>) -> anyhow::Result<Info> {
    let settings = RunSettings {
        request_timeout: Duration::from_secs(1),
        iteration_timeout: Duration::from_secs(10),
        ..RunSettings::default()
    };
    let run =
        RunContext::new(settings, scenario.clone(), client(Duration::from_secs(1), &TlsOptions::default())?);
    let mut store = new_store(&run, Role::Controller);
    let instance = scenario
        .pre
        .instantiate_async(&mut store)
        .await
        .map_err(|e| anyhow::anyhow!("cannot instantiate the scenario: {}", engine::one_line(&e)))?;
    instance
        .runner_scenario_guest()
        .call_describe(&mut store)
        .await
        .map_err(|e| anyhow::anyhow!("the scenario's describe() failed: {}", engine::one_line(&e)))
}

/// The scenario's declared defaults overlaid with the command line's values. An undeclared
/// name, or a value that is not of the parameter's kind, is an error before any traffic is sent.
pub fn merge_params(info: &Info, given: &[(String, String)]) -> anyhow::Result<BTreeMap<String, String>> {
    let mut params: BTreeMap<String, String> =
        info.params.iter().map(|p| (p.name.clone(), p.default.clone())).collect();
    // An empty default means "not set", whatever the kind.
    for p in info.params.iter().filter(|p| !p.default.is_empty()) {
        if let Err(reason) = check_kind(p.kind, &p.default) {
            bail!(
                "scenario {} declares parameter {} as {} but its default {:?} is not one: {reason}",
                info.name,
                p.name,
                kind_name(p.kind),
                p.default
            );
        }
    }
    for (name, value) in given {
        let Some(declared) = info.params.iter().find(|p| &p.name == name) else {
            let known: Vec<&str> = info.params.iter().map(|p| p.name.as_str()).collect();
            bail!(
                "unknown --param {name:?}: scenario {} takes {}",
                info.name,
                if known.is_empty() { "no parameters".to_string() } else { known.join(", ") }
            );
        };
        if let Err(reason) = check_kind(declared.kind, value) {
            bail!("--param {name}={value:?}: {reason} (expected {})", kind_name(declared.kind));
        }
        params.insert(name.clone(), value.clone());
    }
    Ok(params)
}

/// The thresholds `describe` declares, parsed; a bad one is the scenario's bug, named before
/// any traffic is sent.
pub fn declared_thresholds(info: &Info) -> anyhow::Result<Vec<runner_reports::Threshold>> {
    info.thresholds
        .iter()
        .map(|t| {
            runner_reports::thresholds::parse(t).map_err(|e| {
                anyhow::anyhow!("scenario {} declares an invalid threshold {t:?}: {e}", info.name)
            })
        })
        .collect()
}

/// Whether `value` parses as `kind`, with the contract's parsers (what the guest will use).
fn check_kind(kind: ParamKind, value: &str) -> Result<(), String> {
    runner_contract::params::check_kind(kind_name(kind), value)
}

/// The kind's WIT name, as `inspect` prints it.
pub fn kind_name(kind: ParamKind) -> &'static str {
    match kind {
        ParamKind::Text => "text",
        ParamKind::Integer => "integer",
        ParamKind::Number => "number",
        ParamKind::Boolean => "boolean",
        ParamKind::Duration => "duration",
        ParamKind::IntegerList => "integer-list",
    }
}

/// Fails fast, with one line, when nothing listens at the target.
async fn preflight(target: &str) -> anyhow::Result<()> {
    let uri: hyper::Uri = target.parse().with_context(|| format!("--target {target:?} is not a URL"))?;
    let host = uri.host().with_context(|| format!("--target {target:?} has no host"))?;
    let port = uri.port_u16().unwrap_or(if uri.scheme_str() == Some("https") { 443 } else { 80 });
    let connect = tokio::net::TcpStream::connect((host.trim_matches(['[', ']']), port));
    match tokio::time::timeout(Duration::from_secs(5), connect).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => bail!("cannot reach the target {target}: {e}"),
        Err(_) => bail!("cannot reach the target {target}: no answer to a TCP connect within 5 s"),
    }
}

fn default_out_dir(scenario: &str) -> PathBuf {
    let stamp = humantime::format_rfc3339_seconds(SystemTime::now()).to_string().replace([':', '-'], "");
    PathBuf::from("runs").join(format!("{scenario}-{stamp}"))
}

/// Runs a scenario from start to finish.
pub async fn play(opts: PlayOptions) -> anyhow::Result<RunOutcome> {
    let scenario = load_scenario(&opts.scenario, &opts.engine).await?;
    let info = describe(&scenario).await?;
    let params = merge_params(&info, &opts.params)?;
    let declared = declared_thresholds(&info)?;
    let tokens = match &opts.tokenizer {
        Some(path) => crate::data::TokenCounter::from_file(path)?,
        None => crate::data::TokenCounter::Estimate,
    };
    let datasets = crate::data::Datasets::load(&opts.data, &tokens)?;

    let mock = match &opts.target {
        Some(_) => None,
        None => {
            let addr: SocketAddr = ([127, 0, 0, 1], 0).into();
            let server =
                MockServer::start(addr, opts.mock.clone()).await.context("starting the simulated server")?;
            eprintln!(
                "no --target: playing against the built-in simulated server at {} (ttft {:?}, itl {:?}, capacity {})",
                server.url(),
                opts.mock.ttft,
                opts.mock.itl,
                if opts.mock.capacity == 0 {
                    "unlimited".to_string()
                } else {
                    opts.mock.capacity.to_string()
                }
            );
            Some(server)
        }
    };
    let target = match (&opts.target, &mock) {
        (Some(t), _) => t.clone(),
        (None, Some(m)) => m.url(),
        (None, None) => unreachable!("a mock is started whenever no target is given"),
    };
    preflight(&target).await?;

    let seed = opts.seed.unwrap_or_else(|| {
        SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0)
    });
    let settings = RunSettings {
        target: target.clone(),
        params: params.clone(),
        seed,
        request_timeout: opts.request_timeout,
        iteration_timeout: opts.iteration_timeout,
        lag_bound: opts.lag_bound,
        guest_memory: opts.guest_memory,
        allowed_hosts: opts.allowed_hosts.clone(),
        slo: opts.slo.clone(),
        datasets,
        tokens: Arc::new(tokens),
    };
    let run = RunContext::new(settings, scenario.clone(), client(opts.request_timeout, &opts.tls)?);
    run.declared_thresholds.lock().unwrap_or_else(|p| p.into_inner()).extend(declared.iter().cloned());
    let started = Instant::now();
    // The run's header goes to disk before any traffic, so even a killed run can be rebuilt.
    let header = Summary {
        schema_version: runner_reports::SCHEMA_VERSION,
        runner_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: ScenarioInfo {
            name: info.name.clone(),
            version: info.version.clone(),
            author: info.author.clone(),
            description: info.description.clone(),
            wit_version: scenario.wit_version.clone(),
            path: opts.scenario.display().to_string(),
        },
        target,
        target_is_mock: mock.is_some(),
        seed,
        params,
        started_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        ..Summary::default()
    };
    let out_dir = opts.out.clone().unwrap_or_else(|| default_out_dir(&info.name));
    std::fs::create_dir_all(&out_dir)
        .with_context(|| format!("creating the run folder {}", out_dir.display()))?;
    write_file(&out_dir, RUN_HEADER, header.to_json())?;
    let abort_on = if opts.abort_on_fail {
        opts.thresholds.iter().chain(&declared).cloned().collect()
    } else {
        Vec::new()
    };
    let timeline = Timeline::start(run.clone(), &out_dir, opts.progress, abort_on)
        .with_context(|| format!("creating {}/timeseries.jsonl", out_dir.display()))?;

    let sampler = crate::telemetry::Sampler::start(
        &opts.telemetry,
        crate::telemetry::Hooks {
            active: active_phases(run.clone()),
            started: run.started,
            records: Some(timeline.sink()),
            latest: run.telemetry.clone(),
        },
    );

    let mut store = new_store(&run, Role::Controller);
    let controller = scenario
        .pre
        .instantiate_async(&mut store)
        .await
        .map_err(|e| anyhow::anyhow!("cannot instantiate the scenario: {}", engine::one_line(&e)))?;
    let interrupts = tokio::spawn(watch_interrupts(run.clone()));
    run.drive_stats.mark_started(Instant::now());
    let drive = controller.runner_scenario_guest().call_drive(&mut store);
    let drive_error = tokio::select! {
        result = drive => match result {
            Ok(Ok(())) => None,
            Ok(Err(message)) => Some(message),
            Err(trap) => Some(format!("drive() trapped: {}", engine::one_line(&trap))),
        },
        _ = run.until(Stop::Now) => Some("stopped at once by a second interrupt".to_string()),
    };
    let mut notes = run.phases.wait_all().await;
    interrupts.abort();
    let duration = started.elapsed();
    drop(store);
    // Before the time series closes, so the telemetry's last sample is written into it.
    let telemetry = match sampler {
        Some(sampler) => Some(sampler.finish().await),
        None => None,
    };
    let aborted = match timeline.finish().await {
        Ok(aborted) => aborted,
        Err(e) => {
            notes.push(format!("the time series is incomplete: {e}"));
            None
        }
    };
    // A stop that no threshold asked for came from Ctrl-C or SIGTERM.
    let interrupted = run.stop_level() > Stop::Running && aborted.is_none();
    if interrupted {
        notes.insert(
            0,
            "the run was interrupted (Ctrl-C or SIGTERM): it covers what ran until then".to_string(),
        );
    }
    if let Some(why) = aborted {
        notes.insert(0, why);
    }

    let (mut phases, phase_notes) = run.phases.reports(run.started);
    notes.extend(phase_notes);
    if let Some(mut by_phase) = telemetry {
        for p in &mut phases {
            p.telemetry = by_phase.remove(&p.name);
        }
    }
    if let Some(e) = &drive_error {
        notes.insert(0, format!("drive() failed: {e}"));
    }
    // What drive() recorded itself (a breaking-point search's verdict, a warm-up request) is a
    // row of its own, after the phases.
    if !run.drive_stats.is_empty() {
        run.drive_stats.mark_ended(Instant::now());
        let shape = PhaseShape {
            executor: "drive".into(),
            plan: "recorded by drive() itself, outside any phase".into(),
            ..PhaseShape::default()
        };
        phases.push(run.drive_stats.report(&shape, run.started));
    }
    let mut summary = Summary { duration_s: duration.as_secs_f64(), phases, notes, ..header };
    // The command line's thresholds first, then those the scenario declared.
    let mut thresholds = opts.thresholds.clone();
    for declared in run.declared_thresholds.lock().unwrap_or_else(|p| p.into_inner()).iter() {
        if !thresholds.iter().any(|t| t.expression == declared.expression) {
            thresholds.push(declared.clone());
        }
    }
    summary.thresholds = runner_reports::thresholds::evaluate(&thresholds, &summary);
    if let Some(m) = mock {
        m.shutdown().await;
    }
    write_run_folder(&out_dir, &summary)?;
    Ok(RunOutcome { summary, out_dir, drive_error, interrupted })
}

/// The names of the phases running now: started, not yet ended. The telemetry sampler folds each
/// sample into these phases' aggregates, so overlapping phases each get the samples of their window.
fn active_phases(run: Arc<RunContext>) -> crate::telemetry::ActivePhases {
    Box::new(move || {
        run.phases
            .entries()
            .into_iter()
            .filter(|(stats, _)| stats.started_at().is_some() && !stats.ended())
            .map(|(stats, _)| stats.name.clone())
            .collect()
    })
}

/// The run's header: `summary.json` as it would be with no phases, written when the run starts.
pub const RUN_HEADER: &str = "run.json";
/// The run's summary, written when it ends.
pub const SUMMARY: &str = "summary.json";
/// The time series, appended while the run goes.
pub const TIMESERIES: &str = "timeseries.jsonl";

fn write_file(dir: &Path, name: &str, text: String) -> anyhow::Result<()> {
    let path = dir.join(name);
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
}

/// Writes `summary.json`, `report.md` and `report.html` into `dir`.
pub fn write_run_folder(dir: &Path, summary: &Summary) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating the run folder {}", dir.display()))?;
    write_file(dir, SUMMARY, summary.to_json())?;
    write_file(dir, "report.md", runner_reports::render_markdown(summary))?;
    // The charts over time need the time series. A folder without one (or with a damaged one)
    // still gets every table and the other charts: the report is not worth failing a run over.
    let records = match std::fs::read_to_string(dir.join(TIMESERIES)) {
        Ok(text) => runner_reports::timeseries::parse(&text).unwrap_or_else(|e| {
            tracing::warn!("report.html has no charts over time: {e}");
            Vec::new()
        }),
        Err(_) => Vec::new(),
    };
    write_file(dir, "report.html", runner_reports::render_html(summary, &records))?;
    Ok(())
}

/// `runner report DIR`: the summary of a run folder — its own `summary.json`, or, for a run that
/// was killed before writing one, a summary rebuilt from `run.json` and `timeseries.jsonl`.
/// Either way `summary.json` and `report.md` are (re)written.
pub fn rebuild_run_folder(dir: &Path) -> anyhow::Result<Summary> {
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
    };
    let summary = if dir.join(SUMMARY).exists() {
        Summary::from_json(&read(SUMMARY)?).with_context(|| format!("{}/{SUMMARY}", dir.display()))?
    } else {
        let header = Summary::from_json(&read(RUN_HEADER)?)
            .with_context(|| format!("{}/{RUN_HEADER}", dir.display()))?;
        let records = runner_reports::timeseries::parse(&read(TIMESERIES)?).map_err(anyhow::Error::msg)?;
        runner_reports::timeseries::rebuild(header, &records)
    };
    write_run_folder(dir, &summary)?;
    Ok(summary)
}
