//! The `runner` command line: `play` a scenario, `inspect` a scenario package, or run the
//! built-in simulated server with `mock`. Errors end here as one line and an exit code.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use runner::client::http::TargetHeaders;
use runner::engine::{self, EngineOptions};
use runner::mock::MockServer;
use runner::run::{self, PlayOptions};
use runner::source::ScenarioRef;
use runner::stats::Slo;
use runner::timeline::Progress;

mod cli;

use cli::mock_args::{MockArgs, parse_mock_spec};
use cli::scenarios::parse_scenario;
use cli::values::{
    check_target, parse_allowed_host, parse_duration, parse_fail_on, parse_label, parse_listen_addr,
    parse_max_vus, parse_param, parse_sample_interval, parse_size, parse_slo, parse_start_at,
};

/// Exit codes (also in the README).
mod exit {
    /// The run could not be performed (bad scenario, unreachable target, I/O error, a run folder
    /// another run holds), or its folder could not be written (the summary is printed anyway).
    pub const ERROR: u8 = 1;
    /// The command line is wrong (unknown flag, bad value, an --out holding an earlier run).
    pub const USAGE: u8 = 2;
    /// The scenario's `drive()` returned an error or trapped; the report was still written.
    pub const SCENARIO_FAILED: u8 = 3;
    /// Interrupted by Ctrl-C or SIGTERM (128 + SIGINT); the report was still written.
    pub const INTERRUPTED: u8 = 130;
    /// At least one `--threshold` failed (k6's code); the report was still written.
    pub const THRESHOLDS_FAILED: u8 = 99;
}

#[derive(Parser)]
#[command(
    name = "runner",
    version,
    about = "A WebAssembly-scriptable benchmark runner for LLM inference servers"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Play a scenario against a server (the built-in simulated one when no --target is given).
    Play(Box<PlayArgs>),
    /// Show what a scenario package is: name, version, WIT version, parameters, imports. For an
    /// oci:// reference, first the artifact: manifest and layer digests, config, annotations.
    Inspect {
        /// The scenario: a component file (.wasm), a shipped scenario's name (`runner list`), or
        /// oci://HOST/NAME:TAG.
        #[arg(value_parser = parse_scenario)]
        scenario: ScenarioRef,
        #[command(flatten)]
        registry: cli::registry::RegistryArgs,
    },
    /// Push a scenario component to an OCI registry as a Wasm OCI artifact (the CNCF layout that
    /// wkg, wasmtime and oras read); prints the reference pinned by digest (HOST/NAME@sha256:…).
    Push(cli::registry::PushArgs),
    /// The scenarios shipped in this binary, which play by name (`runner play stress-sweep`).
    List,
    /// (Re)write summary.json, summary.csv, report.md and report.html of a run folder; rebuilds
    /// a killed run's summary from its time series. With --format vllm, also write a phase as the
    /// JSON of `vllm bench serve --save-result`.
    Report(cli::report::ReportArgs),
    /// Merge the run folders of a distributed run's workers (`play --segment I/N`) into one run
    /// folder OUT: counts summed, histograms added (exact percentiles), phases on one wall clock,
    /// and a Workers section that says which worker, if any, set the pace. Exits 99 when a
    /// threshold the workers recorded fails on the merged run.
    Merge {
        /// The merged run folder to write (refused when it holds files, unless --force).
        out: PathBuf,
        /// The workers' run folders, one per segment.
        dirs: Vec<PathBuf>,
        /// Replace the run in OUT.
        #[arg(long)]
        force: bool,
    },
    /// Compare two runs phase by phase: A is the baseline, B the candidate. Exits 99 when
    /// --fail-on is given and a latency or throughput got worse by more than that.
    Compare {
        /// Run A (the baseline): a run folder or its summary.json.
        a: PathBuf,
        /// Run B (the candidate): a run folder or its summary.json.
        b: PathBuf,
        /// Exit 99 if any latency rose, or throughput fell, by more than this many percent
        /// (e.g. 10 or 10%) in any phase both runs share.
        #[arg(long, value_name = "PCT", value_parser = parse_fail_on)]
        fail_on: Option<f64>,
    },
    /// Write a new scenario project that builds with one command (`cargo build --release
    /// --target wasm32-wasip2`) and plays against the simulated server as it is.
    New {
        /// The scenario's name (letters, digits, '-', '_').
        name: String,
        /// The guest language: rust, js or python.
        #[arg(long, default_value = "rust")]
        lang: String,
        /// The folder to create (default: ./NAME).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Depend on the SDK in this folder (a runner checkout's guests/rust, or guests/js or
        /// guests/python with --lang) instead of the published runner-sdk of this version.
        #[arg(long, value_name = "PATH")]
        sdk: Option<PathBuf>,
    },
    /// Write Kubernetes manifests that play a scenario on N worker pods at once (an Indexed
    /// Job, each pod one `--segment`), merge their results, and a run.sh that applies them.
    K8s(Box<cli::k8s::K8sArgs>),
    /// Run the built-in simulated OpenAI-compatible server until interrupted.
    Mock {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8000")]
        addr: SocketAddr,
        #[command(flatten)]
        sim: MockArgs,
    },
}

#[derive(Args)]
struct PlayArgs {
    /// The scenario: a component file (.wasm), a shipped scenario's name (`runner list`), or
    /// oci://HOST/NAME:TAG (or @sha256:DIGEST).
    #[arg(value_parser = parse_scenario)]
    scenario: ScenarioRef,
    #[command(flatten)]
    registry: cli::registry::RegistryArgs,
    /// Base URL of the server under test, e.g. http://127.0.0.1:8000. A path prefix is kept:
    /// a base ending in /v1 is the API's root, any other gets /v1 appended
    /// (http://h/openai → http://h/openai/v1/chat/completions).
    #[arg(long)]
    target: Option<String>,
    /// A scenario parameter, `name=value` (repeatable); `runner inspect` lists them.
    #[arg(long = "param", short = 'p', value_parser = parse_param)]
    params: Vec<(String, String)>,
    /// The model of every LLM call that names none; sets the scenario's `model` parameter
    /// (not together with -p model=). Without either, the one model the target lists at
    /// /v1/models, if it lists exactly one.
    #[arg(long, value_name = "NAME")]
    model: Option<String>,
    /// A label for the run, `key=value` (repeatable; the key a Prometheus label name): recorded
    /// in run.json and summary.json and shown in every report, summary.csv, vllm.json and compare.
    #[arg(long = "label", value_name = "KEY=VALUE", value_parser = parse_label)]
    labels: Vec<(String, String)>,
    /// Random seed for the scenario and Poisson schedules (default: from the clock, or with
    /// --segment from --start-at, so every worker draws the same schedule; recorded).
    #[arg(long)]
    seed: Option<u64>,
    /// Run the I-th of N equal shares of every phase (0-based: $SLURM_PROCID/$SLURM_NTASKS,
    /// $JOB_COMPLETION_INDEX/N): VUs, arrivals and iteration budgets are striped so the N
    /// workers add up to the whole run exactly. Merge the workers' folders with `runner merge`.
    #[arg(long, value_name = "I/N", value_parser = runner::load::Segment::parse)]
    segment: Option<runner::load::Segment>,
    /// Start drive() at this wall-clock time (RFC 3339, e.g. 2026-12-07T18:00:00Z), and each
    /// phase at its planned offset from it: workers given the same time run in step.
    #[arg(long, value_name = "TIME", value_parser = parse_start_at)]
    start_at: Option<std::time::SystemTime>,
    /// Run folder (default: a fresh runs/<scenario>-<timestamp>). One that already holds files
    /// is refused (exit 2) unless --force; one another run is writing is always refused.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write into an --out folder that holds an earlier run, removing that run's files first.
    #[arg(long)]
    force: bool,
    /// Default per-request timeout (a scenario may set its own per request).
    #[arg(long, default_value = "10m", value_parser = parse_duration)]
    timeout: Duration,
    /// How long one iteration may run before it is interrupted and counted as failed.
    #[arg(long, default_value = "10m", value_parser = parse_duration)]
    iteration_timeout: Duration,
    /// Open-loop phases whose dispatch-lag p99 exceeds this are flagged "behind schedule".
    #[arg(long, default_value = "10ms", value_parser = parse_duration)]
    lag_bound: Duration,
    /// A PEM file of CA certificates to trust for an https target, besides the system's.
    #[arg(long, value_name = "PEM")]
    ca_cert: Option<PathBuf>,
    /// Accept any TLS certificate (self-signed test servers only: this disables verification).
    #[arg(long)]
    insecure: bool,
    /// Speak HTTP/2 to every server (ALPN over https, prior knowledge over http). Without it,
    /// every request is HTTP/1.1, as OpenAI-compatible clients send them; LLM calls and plain
    /// requests to the target each go over the virtual user's own keep-alive connection.
    #[arg(long)]
    http2: bool,
    /// The most VUs alive at once over all phases (sizes the instance pool; a phase asking for
    /// more fails with a clear error).
    #[arg(long, default_value_t = 1_000, value_parser = parse_max_vus)]
    max_vus: u32,
    /// Linear memory one scenario instance may use (e.g. 64MiB); past it the iteration fails.
    #[arg(long, default_value = "64MiB", value_parser = parse_size)]
    guest_memory: usize,
    /// Another origin plain HTTP requests may reach besides the target's (repeatable): HOST (its
    /// default ports, 80 for http and 443 for https), HOST:PORT, or HOST:* (any port). The
    /// target's own host on another port needs one too.
    #[arg(long = "allow-host", value_name = "HOST[:PORT|:*]", value_parser = parse_allowed_host)]
    allowed_hosts: Vec<runner::sandbox::AllowedHost>,
    /// A header sent with every request to the target (LLM calls and plain HTTP), never to hosts
    /// reached through --allow-host, as 'Name: value' (repeatable). A header the scenario sets
    /// on a request wins. Values are never recorded, only names.
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// The environment variable that holds the API key. When it is set and not empty, every
    /// request to the target gets `Authorization: Bearer <key>` (unless a --header gives an
    /// Authorization). The key is read from the environment only, never from a flag.
    #[arg(long, value_name = "VAR", default_value = "OPENAI_API_KEY")]
    api_key_env: String,
    /// Per-request objectives for goodput (vLLM's --goodput), e.g. `ttft=200ms,tpot=50ms,e2e=2s`:
    /// each phase reports the share and rate of requests that met all of them.
    #[arg(long, value_name = "SLO", value_parser = parse_slo)]
    goodput: Option<Slo>,
    /// No live progress on stderr.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Do not cache compiled components on disk.
    #[arg(long)]
    no_cache: bool,
    /// A pass/fail criterion on the results, e.g. 'ttft:p95<200ms' or 'errors:rate==0'
    /// (repeatable); a failed one makes the exit code 99. See docs/THRESHOLDS.md.
    #[arg(long = "threshold", value_name = "EXPR", value_parser = runner_reports::thresholds::parse)]
    thresholds: Vec<runner_reports::Threshold>,
    /// Check the thresholds every second while the run goes, and stop it gracefully at the first
    /// one that fails on observed values (exit 99).
    #[arg(long)]
    abort_on_fail: bool,
    /// The built-in simulated server's behaviour (only without --target), as
    /// `ttft=50ms,itl=10ms,jitter=0ms,capacity=0,max-tokens=128` (any subset), plus
    /// `fault=KIND[=ARG][@RATE]` (repeatable), `api-key=KEY` (require that bearer key),
    /// `model=NAME` (repeatable: serve these models only), `prefix=/PATH` (serve under it),
    /// `embedding-dim=N` (the length of /v1/embeddings vectors), and the answers' shape:
    /// `reasoning=N` (N reasoning tokens first), `tokens-per-chunk=K`, `cached-tokens=N` (report
    /// N cached prompt tokens), `eos=N` (stop after N tokens unless `ignore_eos`), `tool-steps=N`
    /// (answer a request with tools with a tool call for N agent steps, then words), and a prefix
    /// cache: `prefix-cache=BLOCK|on` (cache prompt blocks of BLOCK tokens, 16 with `on`),
    /// `prefix-cache-capacity=TOKENS`, `prefill-per-token=DURATION` (TTFT grows with the uncached
    /// prompt). See docs/METRICS.md.
    #[arg(long = "mock", value_name = "SPEC", default_value = "", value_parser = parse_mock_spec)]
    sim: MockArgs,
    /// Sample a telemetry source during the run (repeatable): `nvml` (local NVIDIA GPUs),
    /// `amdgpu` (AMD GPUs through sysfs), `prom=URL` (a Prometheus endpoint: vLLM, DCGM exporter,
    /// …) or `llamacpp-slots=URL` (llama.cpp's /slots). See docs/TELEMETRY.md.
    #[arg(long = "telemetry", value_name = "SOURCE")]
    telemetry: Vec<runner::telemetry::SourceSpec>,
    /// Time between two telemetry samples (at least 10ms).
    #[arg(long, default_value = "1s", value_parser = parse_sample_interval)]
    sample_interval: Duration,
    /// The NVML library to load for `--telemetry nvml` (default: the system's libnvidia-ml.so).
    #[arg(long, value_name = "PATH")]
    nvml_lib: Option<PathBuf>,
    /// Keep Prometheus series whose whole name matches REGEX (repeatable), reported per phase
    /// (mean and max) next to the mapped ones.
    #[arg(long = "prom-keep", value_name = "REGEX")]
    prom_keep: Vec<runner::telemetry::keep::KeepPattern>,
    /// Where `--telemetry amdgpu` looks for card*/device (default /sys/class/drm).
    #[arg(long, value_name = "DIR")]
    amdgpu_root: Option<PathBuf>,
    /// A dataset the scenario reads by name (repeatable): a JSONL file of prompts or messages, a
    /// ShareGPT-style JSON file, or a request trace (Mooncake JSONL, Azure or BurstGPT CSV). See
    /// docs/SCENARIOS.md.
    #[arg(long = "data", value_name = "NAME=PATH")]
    data: Vec<String>,
    /// A Hugging Face tokenizer.json: exact token counts, and synthetic prompts of exactly the
    /// requested length (without it, about one token a word).
    #[arg(long, value_name = "PATH")]
    tokenizer: Option<PathBuf>,
    /// Write requests.jsonl into the run folder: one JSON line per request (phase, tags, start,
    /// status, error class, TTFT, ITL summary, tokens and their source), streamed with bounded
    /// memory. See docs/OUTPUTS.md.
    #[arg(long)]
    records: bool,
    /// Serve the run's metrics for Prometheus at http://ADDR/metrics while it runs (requests,
    /// errors by class, TTFT/TTFO/ITL/E2E histograms, tokens, dispatch lag, telemetry gauges).
    /// No authentication: keep it on 127.0.0.1 or a trusted network.
    #[arg(long, value_name = "ADDR", value_parser = parse_listen_addr)]
    prometheus: Option<SocketAddr>,
    /// Keep serving /metrics this long after the run ends, so the last scrape (at Prometheus's
    /// scrape interval) sees the final counts; the summary follows.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, requires = "prometheus")]
    prometheus_linger: Option<Duration>,
    /// Push the run's metrics to a Prometheus Pushgateway (e.g. http://127.0.0.1:9091) every
    /// 10 s and when the run ends, grouped as job="runner", run_id=<the run's id>.
    #[arg(long, value_name = "URL", value_parser = runner::outputs::parse_push_url)]
    prometheus_push: Option<String>,
    /// Serve a live dashboard of the run at http://ADDR/ while it goes (e.g. 127.0.0.1:5665, or
    /// port 0 for a free one): latency, throughput, errors, in-flight and telemetry charts, pushed
    /// from the run as server-sent events at /events; it stops when the run ends. The page has no
    /// authentication: anyone who can reach ADDR can watch the run, so bind a non-loopback
    /// address only on a network you trust. See docs/OUTPUTS.md.
    #[arg(long, value_name = "ADDR", value_parser = parse_listen_addr)]
    dashboard: Option<SocketAddr>,
}

fn main() -> ExitCode {
    if let Some(scenario) = cli::scenarios::help_request() {
        die_quietly_on_closed_stdout();
        let mut play = <Cli as clap::CommandFactory>::command();
        if let Some(cmd) = play.find_subcommand_mut("play") {
            println!("{}", cmd.render_help());
        }
        return match tokio::runtime::Runtime::new().map_err(anyhow::Error::from).and_then(|rt| {
            rt.block_on(async {
                let resolved = runner::source::resolve(&scenario).await?;
                let loaded = run::load_scenario(&resolved, &EngineOptions::default()).await?;
                let info = run::describe(&loaded).await?;
                println!("Scenario {} {}: {}\n", info.name, info.version, info.description);
                cli::scenarios::print_params(&info);
                anyhow::Ok(())
            })
        }) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {}", one_line(&e));
                ExitCode::from(exit::ERROR)
            }
        };
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    if !matches!(cli.command, Command::Play(_) | Command::Mock { .. }) {
        die_quietly_on_closed_stdout();
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RUNNER_LOG").unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(exit::ERROR);
        }
    };
    match runtime.block_on(dispatch(cli.command)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
            ExitCode::from(exit::ERROR)
        }
    }
}

/// An error and its causes on one line, each cause once: an error whose message already quotes
/// its source (`cannot read F: No such file…`, the usual thiserror shape) is not followed by that
/// source again, as anyhow's `{:#}` would.
fn one_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line.replace('\n', " ")
}

/// `runner inspect x.wasm | head -1`: like any Unix tool, end silently when the reader goes away
/// instead of panicking in `println!`. Not for `play` (its results must reach the run folder
/// whatever happens to stdout) nor `mock`.
fn die_quietly_on_closed_stdout() {
    // SAFETY: restoring the default disposition of SIGPIPE, before any thread is started.
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Help and version go out as clap writes them; a usage error becomes one line.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            ExitCode::from(exit::USAGE)
        }
        _ => {
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("error: invalid arguments");
            eprintln!("{first} (see runner --help)");
            ExitCode::from(exit::USAGE)
        }
    }
}

async fn dispatch(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Play(args) => play(*args).await,
        Command::Inspect { scenario, registry } => cli::scenarios::inspect(&scenario, &registry).await,
        Command::Push(args) => cli::registry::push(args).await,
        Command::List => cli::scenarios::list(),
        Command::Report(args) => cli::report::run(args),
        Command::Merge { out, dirs, force } => merge(&out, &dirs, force),
        Command::New { name, lang, out, sdk } => new_project(name, lang, out, sdk),
        Command::Compare { a, b, fail_on } => compare(&a, &b, fail_on),
        Command::Mock { addr, sim } => mock(addr, sim).await,
        Command::K8s(args) => cli::k8s::run(*args),
    }
}

/// The run's seed: `--seed`; else, for one worker of a split run (`--segment`), one derived from
/// `--start-at`, since every worker must draw the same schedule (it keeps its own arrivals of
/// it) and the same synthetic prompts; else none (the run takes one from the clock).
fn segment_seed(args: &PlayArgs) -> Result<Option<u64>, String> {
    match (args.seed, args.segment, args.start_at) {
        (Some(seed), ..) => Ok(Some(seed)),
        (None, Some(seg), _) if seg.is_whole() => Ok(None),
        (None, Some(_), Some(at)) => {
            Ok(Some(at.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0)))
        }
        (None, Some(seg), None) => Err(format!(
            "--segment {seg} needs --seed or --start-at: every worker must draw the same schedule"
        )),
        (None, None, _) => Ok(None),
    }
}

/// The headers for every request to the target: each `--header`, then the API key from the
/// environment. A malformed one is a usage error whose message quotes no value.
fn target_headers(args: &PlayArgs) -> Result<TargetHeaders, String> {
    let mut headers = TargetHeaders::default();
    for (i, spec) in args.headers.iter().enumerate() {
        headers.push(spec).map_err(|e| format!("--header #{}: {e}", i + 1))?;
    }
    let var = &args.api_key_env;
    match std::env::var_os(var) {
        Some(key) if !key.is_empty() => {
            let key = key.to_str().ok_or_else(|| format!("the API key in ${var} is not UTF-8"))?;
            headers
                .add_bearer(key)
                .map_err(|_| format!("the API key in ${var} holds a character a header cannot carry"))?;
        }
        _ => {}
    }
    Ok(headers)
}

async fn play(args: PlayArgs) -> anyhow::Result<ExitCode> {
    let checked = run::model::check_flag(args.model.as_deref(), &args.params)
        .and_then(|()| args.target.as_deref().map_or(Ok(()), check_target))
        .and_then(|()| {
            Ok((segment_seed(&args)?, target_headers(&args)?, cli::values::labels(&args.labels)?))
        });
    let (seed, headers, labels) = match checked {
        Ok(checked) => checked,
        Err(why) => {
            eprintln!("error: {why} (see runner --help)");
            return Ok(ExitCode::from(exit::USAGE));
        }
    };
    let opts = PlayOptions {
        registry: args.registry.options(!args.no_cache),
        scenario: args.scenario,
        target: args.target,
        params: args.params,
        model: args.model,
        labels,
        seed,
        segment: args.segment.unwrap_or(runner::load::Segment::WHOLE),
        start_at: args.start_at,
        out: args.out,
        force: args.force,
        request_timeout: args.timeout,
        iteration_timeout: args.iteration_timeout,
        lag_bound: args.lag_bound,
        mock: args.sim.config(args.seed.unwrap_or(0)),
        slo: args.goodput,
        guest_memory: args.guest_memory,
        allowed_hosts: args.allowed_hosts,
        headers,
        progress: if args.quiet { Progress::Quiet } else { Progress::Auto },
        connect: run::ConnectOptions { ca_cert: args.ca_cert, insecure: args.insecure, http2: args.http2 },
        thresholds: args.thresholds,
        abort_on_fail: args.abort_on_fail,
        data: args.data,
        tokenizer: args.tokenizer,
        outputs: runner::outputs::OutputOptions {
            records: args.records,
            prometheus: args.prometheus,
            prometheus_push: args.prometheus_push,
            prometheus_linger: args.prometheus_linger.unwrap_or_default(),
        },
        dashboard: args.dashboard,
        telemetry: runner::telemetry::TelemetryOptions {
            sources: args.telemetry,
            interval: args.sample_interval,
            nvml_lib: args.nvml_lib,
            prom_keep: args.prom_keep,
            amdgpu_root: args.amdgpu_root,
        },
        engine: EngineOptions {
            cache_dir: if args.no_cache { None } else { engine::default_cache_dir() },
            // The controller, `describe` and VUs being replaced need instances too.
            max_instances: args.max_vus.saturating_add(64),
            guest_memory: args.guest_memory,
        },
    };
    let outcome = match run::play(opts).await {
        Ok(outcome) => outcome,
        // A run folder that holds an earlier run: the command line's to fix (another --out, or
        // --force), like any usage error.
        Err(e) if matches!(e.downcast_ref(), Some(run::FolderError::Exists(_))) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(exit::USAGE));
        }
        Err(e) => return Err(e),
    };
    // A failed drive() ends with its own error line below; the console summary leaves out the
    // note that repeats it (summary.json and the reports keep it), so it is printed once.
    let mut console = outcome.summary.clone();
    if let Some(e) = &outcome.drive_error
        && !outcome.interrupted
    {
        console.notes.retain(|n| !(n.starts_with("drive() failed: ") && n.ends_with(e.as_str())));
    }
    print!("{}", runner_reports::render_console(&console));
    println!("\nrun folder: {}", outcome.out_dir.display());
    // The summary above is the run's whatever happened to its folder; a folder that could not be
    // written is still a failed run (exit 1).
    if let Some(missing) = &outcome.folder_error {
        eprintln!("error: the run folder {} is incomplete: {missing}", outcome.out_dir.display());
    }
    let failed: Vec<&str> =
        outcome.summary.thresholds.iter().filter(|t| !t.passed).map(|t| t.expression.as_str()).collect();
    if !failed.is_empty() {
        eprintln!("error: {} threshold(s) failed: {}", failed.len(), failed.join(", "));
    }
    // An interrupted run is incomplete, and a broken scenario's numbers are not worth judging:
    // both outrank a failed threshold.
    Ok(match outcome.drive_error {
        _ if outcome.interrupted => ExitCode::from(exit::INTERRUPTED),
        Some(e) => {
            eprintln!("error: the scenario failed: {e}");
            ExitCode::from(exit::SCENARIO_FAILED)
        }
        None if outcome.folder_error.is_some() => ExitCode::from(exit::ERROR),
        None if !failed.is_empty() => ExitCode::from(exit::THRESHOLDS_FAILED),
        None => ExitCode::SUCCESS,
    })
}

fn new_project(
    name: String,
    lang: String,
    out: Option<PathBuf>,
    sdk: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let dir = out.unwrap_or_else(|| PathBuf::from(&name));
    let project = runner::new::NewProject { name, lang, dir, sdk };
    for file in runner::new::create(&project)? {
        println!("wrote {}", file.display());
    }
    println!("{}", runner::new::next_steps(&project));
    Ok(ExitCode::SUCCESS)
}

/// `runner merge OUT DIR…`: the merged run's console summary; exit 99 when a threshold fails.
fn merge(out: &std::path::Path, dirs: &[PathBuf], force: bool) -> anyhow::Result<ExitCode> {
    let summary = match run::merge::merge(out, dirs, force) {
        Ok(summary) => summary,
        // An OUT that holds an earlier run is a usage error, as with `play --out`.
        Err(e) if matches!(e.downcast_ref::<run::FolderError>(), Some(run::FolderError::Exists(_))) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(exit::USAGE));
        }
        Err(e) => return Err(e),
    };
    print!("{}", runner_reports::render_console(&summary));
    println!("\nrun folder: {}", out.display());
    let failed: Vec<&str> =
        summary.thresholds.iter().filter(|t| !t.passed).map(|t| t.expression.as_str()).collect();
    if !failed.is_empty() {
        eprintln!("error: {} threshold(s) failed: {}", failed.len(), failed.join(", "));
        return Ok(ExitCode::from(exit::THRESHOLDS_FAILED));
    }
    Ok(ExitCode::SUCCESS)
}

/// `runner compare A B [--fail-on PCT]`: the regression table, and the CI gate.
fn compare(a: &std::path::Path, b: &std::path::Path, fail_on: Option<f64>) -> anyhow::Result<ExitCode> {
    let read = |path: &std::path::Path| -> anyhow::Result<runner_reports::Summary> {
        let file = if path.is_dir() { path.join(run::SUMMARY) } else { path.to_path_buf() };
        if path.is_dir() && !file.exists() {
            let dir = path.display();
            anyhow::bail!("{dir} has no {}: run `runner report {dir}` first", run::SUMMARY);
        }
        let text =
            std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
        runner_reports::Summary::from_json(&text).with_context(|| file.display().to_string())
    };
    let (sa, sb) = (read(a)?, read(b)?);
    let mut comparison = runner_reports::compare(&sa, &sb);
    comparison.a_label = format!("{} ({})", a.display(), comparison.a_label);
    comparison.b_label = format!("{} ({})", b.display(), comparison.b_label);
    print!("{}", runner_reports::render_comparison(&comparison));
    let Some(limit) = fail_on else { return Ok(ExitCode::SUCCESS) };
    if comparison.gated_rows() == 0 {
        // A gate that could compare nothing must not pass as "no regression".
        let why = if comparison.phases.is_empty() {
            let names = |s: &runner_reports::Summary| match s.phases.len() {
                0 => "none".to_string(),
                _ => s.phases.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", "),
            };
            format!("no phase name is in both runs (A has {}; B has {})", names(&sa), names(&sb))
        } else {
            "no latency or throughput has a value in both runs".to_string()
        };
        eprintln!("error: --fail-on {limit}%: {why}: nothing was compared");
        return Ok(ExitCode::from(exit::ERROR));
    }
    let regressions = comparison.regressions(limit);
    if regressions.is_empty() {
        println!("\nno latency or throughput got worse by more than {limit}%");
        return Ok(ExitCode::SUCCESS);
    }
    let list: Vec<String> = regressions
        .iter()
        .map(|r| {
            let change = r.row.change.map_or_else(|| "n/a".into(), runner_reports::compare::signed_percent);
            format!("phase {}: {} {change}", r.phase, r.row.metric)
        })
        .collect();
    eprintln!("error: {} regression(s) beyond {limit}%: {}", list.len(), list.join(", "));
    Ok(ExitCode::from(exit::THRESHOLDS_FAILED))
}

async fn mock(addr: SocketAddr, sim: MockArgs) -> anyhow::Result<ExitCode> {
    if let Err(e) = sim.check() {
        eprintln!("error: {e}");
        return Ok(ExitCode::from(exit::USAGE));
    }
    let server =
        MockServer::start(addr, sim.config(0)).await.with_context(|| format!("cannot listen on {addr}"))?;
    eprintln!(
        "simulated OpenAI-compatible server on {} (ttft {} ms, itl {} ms, jitter {} ms, capacity {}{}); Ctrl-C stops it",
        server.url(),
        sim.ttft_ms,
        sim.itl_ms,
        sim.jitter_ms,
        if sim.capacity == 0 { "unlimited".to_string() } else { sim.capacity.to_string() },
        if sim.api_key.is_some() { ", API key required" } else { "" }
    );
    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
    server.shutdown().await;
    Ok(ExitCode::SUCCESS)
}
