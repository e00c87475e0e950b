//! The first stage of a run, before any traffic: load the component, ask it to describe itself,
//! check the parameters and thresholds it declares against the command line, load datasets and
//! the tokenizer, find the target (the built-in simulated server when none is given), and ask it
//! what it is (`server_info`) and which model it serves (`model`).
//! Everything that can be refused is refused here, in one line. The live dashboard's address is
//! bound first, so a taken one is refused before anything else.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::context::{RunContext, RunSettings};
use super::{ConnectOptions, PlayOptions};
use super::{model, server_info};
use crate::bindings::exports::runner::scenario::guest::{Info, ParamKind};
use crate::client::http::{ClientConfig, HttpClient, load_pem_certs};
use crate::data::{Datasets, TokenCounter};
use crate::engine::vu::WasmVus;
use crate::engine::{self, EngineOptions, LoadedScenario};
use crate::mock::MockServer;
use crate::outputs::dashboard::Dashboard;
use crate::source::{self, Resolved};

/// What the run needs before it starts: the checked inputs and the target.
pub struct Prepared {
    pub scenario: Arc<LoadedScenario>,
    /// Where the component came from (`Resolved::origin`) and its `sha256:` digest.
    pub origin: String,
    pub digest: String,
    pub info: Info,
    /// The declared parameters' defaults overlaid with `--param` (and `--model`, or the
    /// discovered model, when the scenario declares a `model` parameter).
    pub params: BTreeMap<String, String>,
    /// The model of every LLM call that names none, and where it came from.
    pub model: Option<runner_reports::RunModel>,
    /// What the target told about itself (`run/server_info.rs`); `None` when it told nothing.
    pub server: Option<runner_reports::ServerInfo>,
    /// The thresholds `describe` declares.
    pub declared: Vec<runner_reports::Threshold>,
    pub datasets: Datasets,
    pub tokens: Arc<TokenCounter>,
    pub target: String,
    /// The built-in simulated server, when there was no `--target`.
    pub mock: Option<MockServer>,
    /// The live dashboard (`--dashboard`), serving from now on.
    pub dashboard: Option<Dashboard>,
}

/// Runs the prepare stage.
pub async fn prepare(opts: &PlayOptions) -> anyhow::Result<Prepared> {
    let dashboard = match opts.dashboard {
        Some(addr) => {
            let dashboard = Dashboard::bind(addr).await?;
            eprintln!(
                "live dashboard at {} (no authentication; it stops when the run ends)",
                dashboard.url()
            );
            Some(dashboard)
        }
        None => None,
    };
    let resolved = source::resolve_with(&opts.scenario, &opts.registry).await?;
    let scenario = load_scenario(&resolved, &opts.engine).await?;
    let Resolved { origin, digest, .. } = resolved;
    let info = describe(&scenario).await?;
    let mut params = merge_params(&info, &opts.params)?;
    let given_model = model::from_inputs(opts.model.as_deref(), &mut params);
    let declared = declared_thresholds(&info)?;
    let tokens = Arc::new(match &opts.tokenizer {
        Some(path) => TokenCounter::from_file(path)?,
        None => TokenCounter::Estimate,
    });
    let datasets = Datasets::load(&opts.data, &tokens)?;
    let mock = match &opts.target {
        Some(_) => None,
        None => Some(start_mock(opts).await?),
    };
    let target = match (&opts.target, &mock) {
        (Some(t), _) => t.clone(),
        (None, Some(m)) => m.url(),
        (None, None) => unreachable!("a mock is started whenever no target is given"),
    };
    preflight(&target).await?;
    // Asked once, before any traffic, whatever the model: what the server is is worth recording.
    let probed =
        server_info::probe(&client(opts.request_timeout, &opts.connect)?, &target, &opts.headers).await;
    let model = match given_model {
        Some(m) => Some(m),
        None => model::discover(&probed.listing, &probed.models_url, &mut params),
    };
    let server = probed.info;
    Ok(Prepared {
        scenario,
        origin,
        digest,
        info,
        params,
        model,
        server,
        declared,
        datasets,
        tokens,
        target,
        mock,
        dashboard,
    })
}

async fn start_mock(opts: &PlayOptions) -> anyhow::Result<MockServer> {
    let addr: SocketAddr = ([127, 0, 0, 1], 0).into();
    let server = MockServer::start(addr, opts.mock.clone()).await.context("starting the simulated server")?;
    let capacity = match opts.mock.capacity {
        0 => "unlimited".to_string(),
        n => n.to_string(),
    };
    eprintln!(
        "no --target: playing against the built-in simulated server at {} (ttft {:?}, itl {:?}, capacity {capacity})",
        server.url(),
        opts.mock.ttft,
        opts.mock.itl,
    );
    Ok(server)
}

/// Compiles a resolved scenario on a blocking thread (compiling is CPU-bound).
pub async fn load_scenario(
    resolved: &Resolved,
    options: &EngineOptions,
) -> anyhow::Result<Arc<LoadedScenario>> {
    let (component, options) = (resolved.clone(), options.clone());
    let began = Instant::now();
    let loaded = tokio::task::spawn_blocking(move || {
        engine::load_bytes(Path::new(&component.origin), &component.bytes, &options)
    })
    .await??;
    tracing::info!(
        "loaded {} in {:.0?} ({})",
        resolved.origin,
        began.elapsed(),
        if loaded.from_cache { "compiled code from the cache" } else { "compiled" }
    );
    Ok(Arc::new(loaded))
}

/// The run's pooled HTTP client, trusting and speaking what `connect` says.
pub fn client(timeout: Duration, connect: &ConnectOptions) -> anyhow::Result<HttpClient> {
    let extra_root_certs = match &connect.ca_cert {
        Some(path) => load_pem_certs(path)?,
        None => Vec::new(),
    };
    let config = ClientConfig {
        default_timeout: timeout,
        extra_root_certs,
        insecure: connect.insecure,
        http2: connect.http2,
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
    let run = RunContext::new(
        settings,
        client(Duration::from_secs(1), &ConnectOptions::default())?,
        Default::default(),
    );
    let (mut store, instance) =
        WasmVus::new(run, scenario.clone()).controller().await.map_err(anyhow::Error::msg)?;
    instance
        .runner_scenario_guest()
        .call_describe(&mut store)
        .await
        .map_err(|e| anyhow::anyhow!("the scenario's describe() failed: {}", engine::one_line(&e)))
        .and_then(|info| {
            crate::capabilities::limits::describe(&info)
                .map_err(|e| anyhow::anyhow!("the scenario's describe() is refused: {e}"))?;
            Ok(info)
        })
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
