//! Benchmark: what an idle virtual user costs. Instantiates N VUs of a real scenario through the
//! runner library, keeps them alive, and reports the resident memory each adds beyond the loaded
//! module and the time each instantiation takes, for wasmtime's on-demand allocator and for the
//! pooling allocator.
//!
//! Every (allocator, N) pair runs in a fresh child process (this same binary, re-executed with
//! `--child`), so one measurement's freed-but-retained memory cannot flatter the next.
//!
//! ```text
//! cargo bench -p runner --bench vus -- [--scenario scenarios/stress-sweep.wasm]
//!     [--vus 1000,10000] [--allocators runner,on-demand,pooling] [--markdown]
//! ```
//!
//! Allocators: `runner` is whatever `runner::engine::load` configures (what `runner play` uses);
//! `on-demand` and `pooling` build their own engine with the same settings as the runner's
//! except the allocation strategy, so the two can be compared whatever `load` currently picks.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use runner::bindings::{Scenario, ScenarioPre};
use runner::capabilities::{HostState, Role};
use runner::client::http::{ClientConfig, HttpClient};
use runner::engine::vu::{WasmVu, WasmVus};
use runner::engine::{EngineOptions, engine_config};
use runner::run::{RunContext, RunSettings};
use runner::stats::{PhaseStats, Tags};
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Engine, Store};

/// Guest memory cap per instance under the pooling allocator (the scenario's heap must fit).
/// Linux's default `vm.max_map_count`; above it a process cannot map more regions.
const DEFAULT_MAX_MAP_COUNT: u64 = 65_530;

#[derive(Debug, thiserror::Error)]
enum BenchError {
    #[error("{0}")]
    Usage(String),
    #[error("cannot read {what}: {source}")]
    Proc { what: &'static str, source: std::io::Error },
    #[error("{0}")]
    Wasm(String),
    #[error("child process for {label} failed: {detail}")]
    Child { label: String, detail: String },
}

fn wasm_err(context: &str, e: impl std::fmt::Display) -> BenchError {
    BenchError::Wasm(format!("{context}: {e:#}"))
}

/// One measurement, as a child prints it (tab-separated, on a line starting with `RESULT`).
#[derive(Debug, Clone, PartialEq)]
struct Measurement {
    allocator: String,
    vus: u32,
    /// Resident set after loading the module and one warm-up VU, KiB.
    base_rss_kib: u64,
    /// Resident set growth over the N VUs, KiB.
    delta_rss_kib: u64,
    /// Memory mappings added over the N VUs.
    delta_maps: i64,
    /// Memory mappings of the whole process at the end (pools map their slots up front).
    maps: i64,
    /// Wall time to instantiate the N VUs, one after the other.
    elapsed: Duration,
    /// Wall time of `Engine::new` (a pool maps its slots there) plus compiling and linking.
    setup: Duration,
}

impl Measurement {
    fn rss_per_vu_kib(&self) -> f64 {
        self.delta_rss_kib as f64 / f64::from(self.vus.max(1))
    }
    fn micros_per_vu(&self) -> f64 {
        self.elapsed.as_secs_f64() * 1e6 / f64::from(self.vus.max(1))
    }
    fn maps_per_vu(&self) -> f64 {
        self.delta_maps as f64 / f64::from(self.vus.max(1))
    }

    fn to_line(&self) -> String {
        format!(
            "RESULT\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            self.allocator,
            self.vus,
            self.base_rss_kib,
            self.delta_rss_kib,
            self.delta_maps,
            self.maps,
            self.elapsed.as_nanos(),
            self.setup.as_nanos()
        )
    }

    fn from_line(line: &str) -> Option<Measurement> {
        let mut f = line.strip_prefix("RESULT\t")?.split('\t');
        Some(Measurement {
            allocator: f.next()?.to_string(),
            vus: f.next()?.parse().ok()?,
            base_rss_kib: f.next()?.parse().ok()?,
            delta_rss_kib: f.next()?.parse().ok()?,
            delta_maps: f.next()?.parse().ok()?,
            maps: f.next()?.parse().ok()?,
            elapsed: Duration::from_nanos(f.next()?.parse().ok()?),
            setup: Duration::from_nanos(f.next()?.parse().ok()?),
        })
    }
}

/// `VmRSS` from `/proc/self/status`, in KiB (the same figure as `statm`'s resident pages, but
/// already in KiB whatever the page size).
fn rss_kib() -> Result<u64, BenchError> {
    let status = std::fs::read_to_string("/proc/self/status")
        .map_err(|source| BenchError::Proc { what: "/proc/self/status", source })?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| BenchError::Usage("no VmRSS line in /proc/self/status".into()))
}

fn map_count() -> Result<i64, BenchError> {
    let maps = std::fs::read_to_string("/proc/self/maps")
        .map_err(|source| BenchError::Proc { what: "/proc/self/maps", source })?;
    Ok(maps.lines().count() as i64)
}

fn link(engine: &Engine, path: &std::path::Path) -> Result<ScenarioPre<HostState>, BenchError> {
    let bytes = std::fs::read(path).map_err(|source| BenchError::Proc { what: "the scenario", source })?;
    let component = Component::new(engine, &bytes).map_err(|e| wasm_err("compiling", e))?;
    let mut linker: Linker<HostState> = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(|e| wasm_err("linking WASI", e))?;
    Scenario::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |s| s)
        .map_err(|e| wasm_err("linking runner", e))?;
    let pre = linker.instantiate_pre(&component).map_err(|e| wasm_err("pre-instantiating", e))?;
    ScenarioPre::new(pre).map_err(|e| wasm_err("not a scenario", e))
}

/// What one VU holds when instantiated outside `WasmVus::vu` (a store and its instance).
type RawVu = (Store<HostState>, Scenario);

async fn raw_vu(
    engine: &Engine,
    pre: &ScenarioPre<HostState>,
    run: &Arc<RunContext>,
    phase: &Arc<PhaseStats>,
    id: u32,
) -> Result<RawVu, BenchError> {
    // The same store set-up as `runner::engine::vu::WasmVus::store`, on this benchmark's own engine.
    let mut store =
        Store::new(engine, HostState::new(run.clone(), Role::Vu { phase: phase.clone(), vu: id }));
    store.set_epoch_deadline(1);
    store.epoch_deadline_async_yield_and_update(1);
    let scenario = pre.instantiate_async(&mut store).await.map_err(|e| wasm_err("instantiating", e))?;
    Ok((store, scenario))
}

/// Measures one (allocator, N) pair in this process.
async fn child(scenario: PathBuf, allocator: String, vus: u32) -> Result<Measurement, BenchError> {
    // The runner's own engine, its pool sized for this many VUs plus the controller and warm-up VU.
    let options = EngineOptions { cache_dir: None, max_instances: vus + 2, ..EngineOptions::default() };
    let setup_began = Instant::now();
    let loaded = Arc::new(runner::engine::load(&scenario, &options).map_err(|e| wasm_err("loading", e))?);
    let settings = RunSettings {
        target: "http://127.0.0.1:9".into(),
        request_timeout: Duration::from_secs(1),
        iteration_timeout: Duration::from_secs(10),
        ..RunSettings::default()
    };
    let http = HttpClient::new(ClientConfig::default()).map_err(|e| wasm_err("HTTP client", e))?;
    let run = RunContext::new(settings, http, Default::default());
    let factory = WasmVus::new(run.clone(), loaded);
    let phase = Arc::new(PhaseStats::new("idle", Tags::new()));
    let mut setup = setup_began.elapsed();

    let own = match allocator.as_str() {
        "runner" => None,
        "on-demand" | "pooling" => {
            // The controller and the warm-up VU need slots too.
            let pool = (allocator == "pooling").then_some(vus + 2);
            // Only this engine's set-up counts for these rows, not the runner's one above.
            let began = Instant::now();
            let config =
                engine_config(&EngineOptions { max_instances: pool.unwrap_or(0), ..options.clone() });
            let engine = Engine::new(&config).map_err(|e| wasm_err("engine", e))?;
            let pre = link(&engine, &scenario)?;
            setup = began.elapsed();
            Some((engine, pre))
        }
        other => return Err(BenchError::Usage(format!("unknown allocator {other:?}"))),
    };

    // One VU first, so lazily initialised state (code pages, the module's image, the first
    // stack) counts as the module's cost, not the VUs'.
    let mut runner_vus: Vec<WasmVu> = Vec::new();
    let mut raw_vus: Vec<RawVu> = Vec::new();
    let mut add = async |id: u32| -> Result<(), BenchError> {
        match &own {
            None => runner_vus.push(factory.vu(&phase, id).await.map_err(|e| wasm_err("WasmVus::vu", e))?),
            Some((engine, pre)) => raw_vus.push(raw_vu(engine, pre, &run, &phase, id).await?),
        }
        Ok(())
    };
    add(0).await?;
    let (base_rss, base_maps) = (rss_kib()?, map_count()?);
    let began = Instant::now();
    for id in 1..=vus {
        add(id).await?;
    }
    let elapsed = began.elapsed();
    let (rss, maps) = (rss_kib()?, map_count()?);
    // Keep every VU alive until after the measurement.
    assert_eq!(runner_vus.len() + raw_vus.len(), vus as usize + 1);
    Ok(Measurement {
        allocator,
        vus,
        base_rss_kib: base_rss,
        delta_rss_kib: rss.saturating_sub(base_rss),
        delta_maps: maps - base_maps,
        maps,
        elapsed,
        setup,
    })
}

struct Args {
    scenario: PathBuf,
    vus: Vec<u32>,
    allocators: Vec<String>,
    markdown: bool,
    child: bool,
}

fn parse_args() -> Result<Args, BenchError> {
    let mut args = Args {
        // `cargo bench` runs in host/, so the default is found from the manifest, not the cwd.
        scenario: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios/stress-sweep.wasm")),
        vus: vec![1_000, 10_000],
        allocators: vec!["runner".into(), "on-demand".into(), "pooling".into()],
        markdown: false,
        child: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or_else(|| BenchError::Usage(format!("{a} needs a value")));
        match a.as_str() {
            "--scenario" => args.scenario = PathBuf::from(value()?),
            "--vus" => {
                args.vus = value()?
                    .split(',')
                    .map(|v| v.trim().parse().map_err(|_| BenchError::Usage(format!("bad VU count {v:?}"))))
                    .collect::<Result<_, _>>()?;
            }
            "--allocators" => args.allocators = value()?.split(',').map(|s| s.trim().to_string()).collect(),
            "--markdown" => args.markdown = true,
            "--child" => args.child = true,
            // `cargo bench` passes `--bench` to every bench target; harmless here.
            "--bench" => {}
            other => return Err(BenchError::Usage(format!("unknown argument {other:?}"))),
        }
    }
    Ok(args)
}

fn max_map_count() -> u64 {
    std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(DEFAULT_MAX_MAP_COUNT)
}

/// A configuration that could not be measured: its allocator, VU count and why.
type Failure = (String, u32, String);

fn table(results: &[Measurement], failures: &[Failure], markdown: bool) -> String {
    let limit = max_map_count() as f64;
    let mut out = String::new();
    if markdown {
        out.push_str(
            "| allocator | VUs | engine set-up (ms) | module RSS (MiB) | RSS per VU (KiB) | µs per VU | maps per VU | maps at end | VUs that fit in max_map_count |\n",
        );
        out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    } else {
        out.push_str(&format!(
            "{:<10} {:>7} {:>9} {:>11} {:>11} {:>10} {:>8} {:>12} {:>12}\n",
            "allocator",
            "VUs",
            "setup ms",
            "module MiB",
            "KiB per VU",
            "µs per VU",
            "maps/VU",
            "maps at end",
            "VUs fit"
        ));
    }
    for m in results {
        // What the map limit leaves for VUs once the process's other mappings (including a
        // pool's up-front ones) are counted.
        let fixed = m.maps as f64 - m.delta_maps as f64;
        let fit = if m.maps_per_vu() > 0.0 {
            format!("{:.0}", ((limit - fixed) / m.maps_per_vu()).max(0.0))
        } else {
            "-".into()
        };
        let base = m.base_rss_kib as f64 / 1024.0;
        let setup = m.setup.as_secs_f64() * 1e3;
        let (a, n, kib, us, mpv, maps) =
            (&m.allocator, m.vus, m.rss_per_vu_kib(), m.micros_per_vu(), m.maps_per_vu(), m.maps);
        if markdown {
            out.push_str(&format!(
                "| {a} | {n} | {setup:.0} | {base:.1} | {kib:.1} | {us:.1} | {mpv:.2} | {maps} | {fit} |\n"
            ));
        } else {
            out.push_str(&format!(
                "{a:<10} {n:>7} {setup:>9.0} {base:>11.1} {kib:>11.1} {us:>10.1} {mpv:>8.2} {maps:>12} {fit:>12}\n"
            ));
        }
    }
    for (a, n, why) in failures {
        if markdown {
            out.push_str(&format!("| {a} | {n} | failed: {why} | | | | | | |\n"));
        } else {
            out.push_str(&format!("{a:<10} {n:>7} failed: {why}\n"));
        }
    }
    out
}

fn run_children(args: &Args) -> Result<(Vec<Measurement>, Vec<Failure>), BenchError> {
    let exe = std::env::current_exe().map_err(|source| BenchError::Proc { what: "current_exe", source })?;
    let (mut results, mut failures) = (Vec::new(), Vec::new());
    for &n in &args.vus {
        for allocator in &args.allocators {
            let label = format!("{allocator} × {n}");
            let out = Command::new(&exe)
                .arg("--child")
                .args(["--scenario", &args.scenario.to_string_lossy()])
                .args(["--vus", &n.to_string(), "--allocators", allocator])
                .output()
                .map_err(|e| BenchError::Child { label: label.clone(), detail: e.to_string() })?;
            let stdout = String::from_utf8_lossy(&out.stdout);
            match stdout.lines().find_map(Measurement::from_line) {
                Some(m) if out.status.success() => results.push(m),
                _ => {
                    // One configuration failing (e.g. the map limit) must not hide the others.
                    let err = String::from_utf8_lossy(&out.stderr);
                    let why = err.lines().last().unwrap_or("no output").trim().to_string();
                    eprintln!("{label}: failed ({}): {why}", out.status);
                    failures.push((allocator.clone(), n, why));
                }
            }
        }
    }
    Ok((results, failures))
}

fn main() -> Result<(), BenchError> {
    let args = parse_args()?;
    if args.child {
        let (Some(&vus), Some(allocator)) = (args.vus.first(), args.allocators.first()) else {
            return Err(BenchError::Usage("--child needs --vus N and --allocators NAME".into()));
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|source| BenchError::Proc { what: "a tokio runtime", source })?;
        let m = rt.block_on(child(args.scenario.clone(), allocator.clone(), vus))?;
        println!("{}", m.to_line());
        return Ok(());
    }
    if !args.scenario.exists() {
        return Err(BenchError::Usage(format!(
            "{} not found: run `just scenarios` first (or pass --scenario)",
            args.scenario.display()
        )));
    }
    let (results, failures) = run_children(&args)?;
    print!("{}", table(&results, &failures, args.markdown));
    if results.is_empty() {
        return Err(BenchError::Usage("every configuration failed".into()));
    }
    Ok(())
}
