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

use crate::capabilities::{Role, RunContext, RunSettings};
use crate::client::http::{ClientConfig, HttpClient, load_pem_certs};
use crate::engine::bindings::exports::runner::scenario::guest::Info;
use crate::engine::{self, EngineOptions, LoadedScenario};
use crate::load::vu::new_store;
use crate::mock::{MockConfig, MockServer};

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
    let config =
        ClientConfig { default_timeout: timeout, extra_root_certs, insecure: tls.insecure, ..ClientConfig::default() };
    Ok(HttpClient::new(config)?)
}

/// Calls the scenario's `describe` in a throwaway controller instance.
pub async fn describe(scenario: &Arc<LoadedScenario>) -> anyhow::Result<Info> {
    let settings = RunSettings {
        target: String::new(),
        params: BTreeMap::new(),
        seed: 0,
        request_timeout: Duration::from_secs(1),
        iteration_timeout: Duration::from_secs(10),
        lag_bound: Duration::from_millis(10),
    };
    let run = RunContext::new(settings, scenario.clone(), client(Duration::from_secs(1), &TlsOptions::default())?);
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
/// name is an error before any traffic is sent.
pub fn merge_params(info: &Info, given: &[(String, String)]) -> anyhow::Result<BTreeMap<String, String>> {
    let mut params: BTreeMap<String, String> =
        info.params.iter().map(|p| (p.name.clone(), p.default.clone())).collect();
    for (name, value) in given {
        if !params.contains_key(name) {
            let known: Vec<&str> = info.params.iter().map(|p| p.name.as_str()).collect();
            bail!(
                "unknown --param {name:?}: scenario {} takes {}",
                info.name,
                if known.is_empty() { "no parameters".to_string() } else { known.join(", ") }
            );
        }
        params.insert(name.clone(), value.clone());
    }
    Ok(params)
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
    };
    let run = RunContext::new(settings, scenario.clone(), client(opts.request_timeout, &opts.tls)?);
    let started_at = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    let started = Instant::now();

    let mut store = new_store(&run, Role::Controller);
    let controller = scenario
        .pre
        .instantiate_async(&mut store)
        .await
        .map_err(|e| anyhow::anyhow!("cannot instantiate the scenario: {}", engine::one_line(&e)))?;
    let drive_error = match controller.runner_scenario_guest().call_drive(&mut store).await {
        Ok(Ok(())) => None,
        Ok(Err(message)) => Some(message),
        Err(trap) => Some(format!("drive() trapped: {}", engine::one_line(&trap))),
    };
    let mut notes = run.phases.wait_all().await;
    let duration = started.elapsed();
    drop(store);

    let (phases, phase_notes) = run.phases.reports(run.started);
    notes.extend(phase_notes);
    if let Some(e) = &drive_error {
        notes.insert(0, format!("drive() failed: {e}"));
    }
    if run.drive_stats.requests() > 0 {
        notes.push(format!(
            "{} requests were sent by drive() itself, outside any phase; they are not in the phase tables",
            run.drive_stats.requests()
        ));
    }
    let summary = Summary {
        schema_version: runner_reports::SCHEMA_VERSION,
        runner_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: ScenarioInfo {
            name: info.name.clone(),
            version: info.version.clone(),
            description: info.description.clone(),
            wit_version: scenario.wit_version.clone(),
            path: opts.scenario.display().to_string(),
        },
        target,
        target_is_mock: mock.is_some(),
        seed,
        params,
        started_at,
        duration_s: duration.as_secs_f64(),
        phases,
        notes,
    };
    if let Some(m) = mock {
        m.shutdown().await;
    }
    let out_dir = opts.out.clone().unwrap_or_else(|| default_out_dir(&info.name));
    write_run_folder(&out_dir, &summary)?;
    Ok(RunOutcome { summary, out_dir, drive_error })
}

/// Writes `summary.json` and `report.md` into `dir`.
pub fn write_run_folder(dir: &Path, summary: &Summary) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating the run folder {}", dir.display()))?;
    let write = |name: &str, text: String| {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
    };
    write("summary.json", summary.to_json())?;
    write("report.md", runner_reports::render_markdown(summary))?;
    Ok(())
}
