//! The `runner` command line: `play` a scenario, `inspect` a scenario package, or run the
//! built-in simulated server with `mock`. Errors end here as one line and an exit code.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use runner::engine::{self, EngineOptions};
use runner::mock::{MockConfig, MockServer};
use runner::run::{self, PlayOptions};

/// Exit codes (also in the README).
mod exit {
    /// The run could not be performed: bad scenario, unreachable target, I/O error.
    pub const ERROR: u8 = 1;
    /// The command line is wrong (unknown flag, bad value).
    pub const USAGE: u8 = 2;
    /// The scenario's `drive()` returned an error or trapped; the report was still written.
    pub const SCENARIO_FAILED: u8 = 3;
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
    Play(PlayArgs),
    /// Show what a scenario package is: name, version, WIT version, parameters, imports.
    Inspect {
        /// The scenario component (.wasm).
        scenario: PathBuf,
    },
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
    /// The scenario component (.wasm).
    scenario: PathBuf,
    /// Base URL of the server under test, e.g. http://127.0.0.1:8000.
    #[arg(long)]
    target: Option<String>,
    /// A scenario parameter, `name=value` (repeatable); `runner inspect` lists them.
    #[arg(long = "param", short = 'p', value_parser = parse_param)]
    params: Vec<(String, String)>,
    /// Random seed for the scenario and Poisson schedules (default: from the clock; recorded).
    #[arg(long)]
    seed: Option<u64>,
    /// Run folder (default: runs/<scenario>-<timestamp>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Default per-request timeout.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
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
    /// Do not cache compiled components on disk.
    #[arg(long)]
    no_cache: bool,
    /// The built-in simulated server's behaviour (only without --target), as
    /// `ttft=50ms,itl=10ms,jitter=0ms,capacity=0,max-tokens=128` (any subset).
    #[arg(long = "mock", value_name = "SPEC", default_value = "", value_parser = parse_mock_spec)]
    sim: MockArgs,
}

#[derive(Args, Clone)]
struct MockArgs {
    /// Simulated time to first token, in ms.
    #[arg(long, default_value_t = 50)]
    ttft_ms: u64,
    /// Simulated inter-token latency, in ms.
    #[arg(long, default_value_t = 10)]
    itl_ms: u64,
    /// Uniform jitter (±) on every token's time, in ms.
    #[arg(long, default_value_t = 0)]
    jitter_ms: u64,
    /// Concurrent generation slots; requests beyond them queue (0 = unlimited).
    #[arg(long, default_value_t = 0)]
    capacity: usize,
    /// Output tokens when a request gives no max_tokens.
    #[arg(long, default_value_t = 128)]
    default_max_tokens: u32,
}

impl MockArgs {
    fn config(&self, seed: u64) -> MockConfig {
        MockConfig {
            ttft: Duration::from_millis(self.ttft_ms),
            itl: Duration::from_millis(self.itl_ms),
            jitter: Duration::from_millis(self.jitter_ms),
            capacity: self.capacity,
            default_max_tokens: self.default_max_tokens,
            seed,
        }
    }
}

fn parse_mock_spec(spec: &str) -> Result<MockArgs, String> {
    let mut sim = MockArgs { ttft_ms: 50, itl_ms: 10, jitter_ms: 0, capacity: 0, default_max_tokens: 128 };
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (key, value) = item.split_once('=').ok_or_else(|| format!("expected key=value, got {item:?}"))?;
        let millis = || -> Result<u64, String> {
            humantime::parse_duration(value)
                .map(|d| d.as_millis() as u64)
                .map_err(|e| format!("{key}={value}: not a duration like 50ms ({e})"))
        };
        let number = || value.parse::<u64>().map_err(|_| format!("{key}={value}: not a whole number"));
        match key {
            "ttft" => sim.ttft_ms = millis()?,
            "itl" => sim.itl_ms = millis()?,
            "jitter" => sim.jitter_ms = millis()?,
            "capacity" => sim.capacity = number()? as usize,
            "max-tokens" => {
                sim.default_max_tokens = number()?.try_into().map_err(|_| "max-tokens too large")?
            }
            _ => return Err(format!("unknown key {key:?} (known: ttft, itl, jitter, capacity, max-tokens)")),
        }
    }
    Ok(sim)
}

fn parse_param(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("expected name=value, got {s:?}")),
    }
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s)
        .map_err(|e| format!("{s:?} is not a duration like 500ms, 30s or 2m: {e}"))?;
    if d.is_zero() { Err("must be greater than zero".into()) } else { Ok(d) }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
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
            eprintln!("error: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::from(exit::ERROR)
        }
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
        Command::Play(args) => play(args).await,
        Command::Inspect { scenario } => inspect(scenario).await,
        Command::Mock { addr, sim } => mock(addr, sim).await,
    }
}

async fn play(args: PlayArgs) -> anyhow::Result<ExitCode> {
    let opts = PlayOptions {
        scenario: args.scenario,
        target: args.target,
        params: args.params,
        seed: args.seed,
        out: args.out,
        request_timeout: args.timeout,
        iteration_timeout: args.iteration_timeout,
        lag_bound: args.lag_bound,
        mock: args.sim.config(args.seed.unwrap_or(0)),
        tls: run::TlsOptions { ca_cert: args.ca_cert, insecure: args.insecure },
        engine: if args.no_cache { EngineOptions { cache_dir: None } } else { EngineOptions::default() },
    };
    let outcome = run::play(opts).await?;
    print!("{}", runner_reports::render_console(&outcome.summary));
    println!("\nrun folder: {}", outcome.out_dir.display());
    Ok(match outcome.drive_error {
        Some(e) => {
            eprintln!("error: the scenario failed: {e}");
            ExitCode::from(exit::SCENARIO_FAILED)
        }
        None => ExitCode::SUCCESS,
    })
}

async fn inspect(path: PathBuf) -> anyhow::Result<ExitCode> {
    let scenario = run::load_scenario(&path, &EngineOptions::default()).await?;
    let info = run::describe(&scenario).await?;
    println!("{} {}", info.name, info.version);
    println!("{}", info.description);
    println!(
        "built for: {}@{} (this runner: {}@{})",
        engine::WIT_PACKAGE,
        scenario.wit_version,
        engine::WIT_PACKAGE,
        engine::WIT_VERSION
    );
    let ty = scenario.pre.instance_pre().component().component_type();
    let imports: Vec<String> = ty.imports(&scenario.engine).map(|(n, _)| n.to_string()).collect();
    println!("imports: {}", imports.join(", "));
    if info.params.is_empty() {
        println!("parameters: none");
    } else {
        println!("parameters:");
        let width = info.params.iter().map(|p| p.name.len()).max().unwrap_or(0);
        for p in &info.params {
            println!("  {:width$}  {:<12}  {}", p.name, format!("[{}]", p.default), p.help);
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn mock(addr: SocketAddr, sim: MockArgs) -> anyhow::Result<ExitCode> {
    let server =
        MockServer::start(addr, sim.config(0)).await.with_context(|| format!("cannot listen on {addr}"))?;
    eprintln!(
        "simulated OpenAI-compatible server on {} (ttft {} ms, itl {} ms, jitter {} ms, capacity {}); Ctrl-C stops it",
        server.url(),
        sim.ttft_ms,
        sim.itl_ms,
        sim.jitter_ms,
        if sim.capacity == 0 { "unlimited".to_string() } else { sim.capacity.to_string() }
    );
    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
    server.shutdown().await;
    Ok(ExitCode::SUCCESS)
}
