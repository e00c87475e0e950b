//! The Wasm engine: wasmtime's configuration, loading scenario components (through an on-disk
//! cache of compiled code), checking the WIT version a component was built against, and linking
//! the capabilities so VU instances can be created cheaply from one [`ScenarioPre`].
//!
//! A cache entry is machine code the host will jump into, so it is checked before use: each
//! entry starts with a magic and the SHA-256 of the serialized component after it, and only
//! bytes that match their digest are handed to wasmtime. An entry that fails the check (a
//! flipped bit, a torn or truncated write, an entry of an older runner) is never executed: the
//! component is compiled again, the entry replaced (written whole to a temporary file, then
//! renamed over it) and the user told in one line.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::bindings::{Scenario, ScenarioPre};
use crate::capabilities::HostState;
use crate::data::read::{MAX_SCENARIO_BYTES, ReadError, read_limited};

pub mod vu;

/// The WIT package this host implements. Components built against a semver-compatible version
/// run; others are refused before instantiation with a message naming both versions.
pub const WIT_PACKAGE: &str = "runner:scenario";
/// The version of [`WIT_PACKAGE`] in `wit/`.
pub const WIT_VERSION: &str = "0.4.0";

/// How often the epoch ticks: a guest that computes without calling the host yields to the
/// scheduler at least this often, so one busy VU cannot starve the others or the timers.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Why a `.wasm` file could not be turned into a runnable scenario.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path} {source}")]
    TooLarge { path: PathBuf, source: ReadError },
    #[error("{path} is not a WebAssembly file (no `\\0asm` header)")]
    NotWasm { path: PathBuf },
    #[error(
        "{path} is a core WebAssembly module, not a component: build it for wasm32-wasip2 \
         (or run it through `wasm-tools component new`)"
    )]
    CoreModule { path: PathBuf },
    #[error("{path} is not a valid component: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("{path} is not a runner scenario: it does not export {WIT_PACKAGE}/guest")]
    NotAScenario { path: PathBuf },
    #[error(
        "{path} was built for {WIT_PACKAGE}@{found}, but this runner provides \
         {WIT_PACKAGE}@{WIT_VERSION}: rebuild the scenario against this version's wit/"
    )]
    IncompatibleVersion { path: PathBuf, found: String },
    #[error("{path} imports {import}, which this runner does not provide")]
    UnknownImport { path: PathBuf, import: String },
    #[error("internal engine error: {0}")]
    Engine(String),
}

/// A compiled scenario, ready to instantiate as many times as the run needs.
pub struct LoadedScenario {
    pub engine: Engine,
    pub pre: ScenarioPre<HostState>,
    /// The `runner:scenario` version the component was built against.
    pub wit_version: String,
    /// Whether the compiled code came from the on-disk cache.
    pub from_cache: bool,
    ticker: Arc<AtomicBool>,
}

impl Drop for LoadedScenario {
    fn drop(&mut self) {
        self.ticker.store(true, Ordering::Relaxed);
    }
}

/// Options for [`load`].
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Where compiled components are cached; `None` disables the cache.
    pub cache_dir: Option<PathBuf>,
    /// Instances alive at once (VUs plus the controller): sizes the pooling allocator.
    /// `0` uses on-demand allocation instead.
    pub max_instances: u32,
    /// The largest linear memory one instance may have, in bytes.
    pub guest_memory: usize,
}

/// Default for [`EngineOptions::guest_memory`]: 64 MiB.
pub const DEFAULT_GUEST_MEMORY: usize = 64 << 20;

/// Default for [`EngineOptions::max_instances`]: 1,000 VUs and some headroom.
pub const DEFAULT_MAX_INSTANCES: u32 = 1_024;

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            cache_dir: default_cache_dir(),
            max_instances: DEFAULT_MAX_INSTANCES,
            guest_memory: DEFAULT_GUEST_MEMORY,
        }
    }
}

/// `$RUNNER_CACHE_DIR`, else `$XDG_CACHE_HOME/runner`, else `$HOME/.cache/runner`.
pub fn default_cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("RUNNER_CACHE_DIR") {
        return Some(PathBuf::from(dir));
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
        return Some(PathBuf::from(dir).join("runner"));
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache").join("runner"))
}

/// The engine's configuration. With `max_instances > 0` instances come from a pooling
/// allocator sized for that many: each instance then costs ~4 memory mappings instead of ~7
/// (Linux's default `vm.max_map_count` of 65,530 caps a process near 9,400 on-demand instances,
/// near 10,900 pooled ones) and its slots are reserved once, up front.
pub fn engine_config(options: &EngineOptions) -> Config {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    // Component-model async is not used by the WIT (its functions are synchronous for every
    // guest language); turning it off makes each host call cheaper.
    config.concurrency_support(false);
    // Python guests start from a snapshot of an initialised interpreter (~11 MiB of data):
    // mapped copy-on-write, the DESIGN prototype measured ~1 ms an instance; copied in, 8 ms and
    // 11 MiB. Wasmtime only
    // builds a CoW image for sparse data up to this size, so make it the largest memory a guest
    // may have. The value changes the compiled code, hence its place in `cache_key`.
    config.memory_init_cow(true);
    config.memory_guaranteed_dense_image_size(options.guest_memory as u64);
    let n = options.max_instances;
    if n > 0 {
        let mut pool = PoolingAllocationConfig::new();
        // A Rust wasip2 component instantiates 3 core modules (the program and the canonical-ABI
        // shims); a QuickJS one 8 to 11 with up to 3 memories and tables
        // (docs/bench-results/guest-js.md); a componentize-py (Python) one 14 with 1 memory and
        // 2 tables (docs/bench-results/guest-python.md): 16 core instances and 4 memories and
        // tables each. The pool only counts core instances, so that headroom is free.
        pool.total_component_instances(n)
            .total_core_instances(n.saturating_mul(16))
            .total_memories(n.saturating_mul(4))
            .total_tables(n.saturating_mul(4))
            .total_stacks(n)
            .max_memory_size(options.guest_memory);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        // Slots of the guest-memory cap rather than 4 GiB keep 10,000 of them well inside the
        // address space (bounds checks become explicit, a small cost for thin scenario code).
        config.memory_reservation(options.guest_memory as u64);
    }
    config
}

/// An engine for `options`, falling back to on-demand allocation when the pool cannot be
/// reserved (e.g. under a tight `ulimit -v`).
fn new_engine(options: &EngineOptions) -> Result<Engine, LoadError> {
    match Engine::new(&engine_config(options)) {
        Ok(engine) => Ok(engine),
        Err(e) if options.max_instances > 0 => {
            tracing::warn!(
                "cannot reserve the instance pool ({}); allocating instances on demand",
                one_line(&e)
            );
            Engine::new(&engine_config(&EngineOptions { max_instances: 0, ..options.clone() }))
                .map_err(engine_error)
        }
        Err(e) => Err(engine_error(e)),
    }
}

fn engine_error(e: impl std::fmt::Display) -> LoadError {
    LoadError::Engine(e.to_string())
}

/// Reads, compiles (or fetches from the cache), checks and links a scenario component.
pub fn load(path: &Path, options: &EngineOptions) -> Result<LoadedScenario, LoadError> {
    let bytes = read_file(path)?;
    load_bytes(path, &bytes, options)
}

/// Reads a scenario file whole, refusing one over [`MAX_SCENARIO_BYTES`] before reading it.
pub fn read_file(path: &Path) -> Result<Vec<u8>, LoadError> {
    read_limited(path, MAX_SCENARIO_BYTES, "a scenario file").map_err(|e| match e {
        ReadError::Io(source) => LoadError::Read { path: path.into(), source },
        source => LoadError::TooLarge { path: path.into(), source },
    })
}

/// Compiles and checks a component held in memory (a file read, a shipped or a pulled
/// scenario); `path` names it in errors: the file, or what stands for one (`shipped:NAME`).
pub fn load_bytes(path: &Path, bytes: &[u8], options: &EngineOptions) -> Result<LoadedScenario, LoadError> {
    let engine = new_engine(options)?;
    let (component, from_cache) = compile(&engine, path, bytes, options)?;
    let wit_version = check_contract(&engine, &component, path)?;

    let mut linker: Linker<HostState> = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(engine_error)?;
    Scenario::add_to_linker::<HostState, wasmtime::component::HasSelf<HostState>>(&mut linker, |s| s)
        .map_err(engine_error)?;
    let instance_pre = linker
        .instantiate_pre(&component)
        .map_err(|e| LoadError::Invalid { path: path.into(), message: one_line(&e) })?;
    let pre = ScenarioPre::new(instance_pre).map_err(|_| LoadError::NotAScenario { path: path.into() })?;

    let ticker = Arc::new(AtomicBool::new(false));
    spawn_epoch_ticker(engine.clone(), ticker.clone())?;
    Ok(LoadedScenario { engine, pre, wit_version, from_cache, ticker })
}

/// The error chain on one line, for messages a user reads.
pub fn one_line(e: &wasmtime::Error) -> String {
    format!("{e:#}").replace('\n', " ")
}

fn compile(
    engine: &Engine,
    path: &Path,
    bytes: &[u8],
    options: &EngineOptions,
) -> Result<(Component, bool), LoadError> {
    if !bytes.starts_with(b"\0asm") {
        return Err(LoadError::NotWasm { path: path.into() });
    }
    // A core module has version 1 and layer 0 in its header; a component has layer 1.
    if bytes.len() >= 8 && bytes[6..8] == [0, 0] {
        return Err(LoadError::CoreModule { path: path.into() });
    }
    let cached = options.cache_dir.as_ref().map(|dir| dir.join(cache_key(engine, bytes)));
    let mut rejected = None;
    if let Some(file) = &cached {
        match read_cache(engine, file) {
            Ok(Some(component)) => return Ok((component, true)),
            Ok(None) => {}
            Err(why) => rejected = Some(why),
        }
    }
    let component = Component::new(engine, bytes)
        .map_err(|e| LoadError::Invalid { path: path.into(), message: one_line(&e) })?;
    if let Some(file) = cached {
        // The cache is an optimisation: failing to write it is not an error of the run, but a
        // bad entry that stays is worth saying.
        let written = write_cache(&component, &file);
        if let Some(why) = rejected {
            let replaced = match written {
                Ok(()) => "the entry was replaced".to_string(),
                Err(e) => format!("the entry could not be replaced: {e}"),
            };
            tracing::warn!(
                "the compile cache entry {} {why}: it was not used; {} was compiled again and {replaced}",
                file.display(),
                path.display()
            );
        }
    }
    Ok((component, false))
}

/// What an entry's digest file (`<entry>.sha256`) holds: this magic, then the SHA-256 of the
/// entry (the component exactly as `Component::serialize` wrote it). The digest lives beside the
/// entry, not in it, so that a checked entry is still mapped from its file
/// (`Component::deserialize_file`): its code and memory images are then the page cache's, shared by
/// every process, instead of copies (and memfds) per process. A new layout takes a new magic.
const CACHE_MAGIC: &[u8; 8] = b"runner\x01\n";

/// The digest file of the cache entry `file`.
fn digest_file(file: &Path) -> std::path::PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".sha256");
    name.into()
}

/// The cached component at `file`: `Ok(None)` when there is no entry, `Err(why)` when there is
/// one that must not be used.
fn read_cache(engine: &Engine, file: &Path) -> Result<Option<Component>, String> {
    let bytes = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot be read ({e})")),
    };
    let Ok(header) = std::fs::read(digest_file(file)) else {
        return Err("failed its integrity check (no digest file beside it)".into());
    };
    let Some(digest) = header.strip_prefix(CACHE_MAGIC.as_slice()).filter(|d| d.len() == 32) else {
        return Err("failed its integrity check (its digest file is not one)".into());
    };
    if Sha256::digest(&bytes).as_slice() != digest {
        return Err("failed its integrity check (its contents do not match their SHA-256)".into());
    }
    // SAFETY: the file holds the bytes `Component::serialize` wrote from this same engine
    // configuration (the file's name holds the engine's compatibility hash and the component's
    // digest) into the user's own cache folder, unchanged since: their SHA-256, written beside
    // them, matches. Entries are only ever replaced whole, by a rename, so the file mapped is one
    // whole entry. Wasmtime checks the engine settings recorded in it once more.
    match unsafe { Component::deserialize_file(engine, file) } {
        Ok(component) => Ok(Some(component)),
        Err(e) => Err(format!("was refused by wasmtime ({})", one_line(&e))),
    }
}

fn cache_key(engine: &Engine, bytes: &[u8]) -> String {
    let mut hasher = std::hash::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    // Not covered by wasmtime's hash, but decides whether the memory image is built.
    engine.get_memory_guaranteed_dense_image_size().hash(&mut hasher);
    let digest = Sha256::digest(bytes);
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("{hex}-{:016x}.cwasm", hasher.finish())
}

/// Writes the entry whole to a temporary file, flushed to disk, then renames it over `file`: a
/// crash or a full disk mid-write leaves at worst a temporary file, never a torn entry.
fn write_cache(component: &Component, file: &Path) -> std::io::Result<()> {
    use std::io::Write;
    let serialized = component.serialize().map_err(std::io::Error::other)?;
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = file.with_extension(format!("tmp{}", std::process::id()));
    let tmp_digest = file.with_extension(format!("sha256.tmp{}", std::process::id()));
    let write = |path: &Path, parts: &[&[u8]]| -> std::io::Result<()> {
        let mut out = std::fs::File::create(path)?;
        for part in parts {
            out.write_all(part)?;
        }
        out.sync_all()
    };
    // The digest first: an entry and a digest from two different writers, or a crash between
    // the two renames, fail the check and are rebuilt; they are never run.
    let written = write(&tmp, &[&serialized])
        .and_then(|()| write(&tmp_digest, &[CACHE_MAGIC, &Sha256::digest(&serialized)]))
        .and_then(|()| std::fs::rename(&tmp_digest, digest_file(file)))
        .and_then(|()| std::fs::rename(&tmp, file));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
        let _ = std::fs::remove_file(&tmp_digest);
    }
    written
}

/// Checks that the component speaks our contract: it exports `runner:scenario/guest` and every
/// `runner:scenario/*` import or export has a version this host is compatible with. Returns
/// the version found.
fn check_contract(engine: &Engine, component: &Component, path: &Path) -> Result<String, LoadError> {
    let ty = component.component_type();
    let ours = format!("{WIT_PACKAGE}/");
    let mut found: Option<String> = None;
    let names = ty
        .imports(engine)
        .map(|(n, _)| n.to_string())
        .chain(ty.exports(engine).map(|(n, _)| n.to_string()))
        .collect::<Vec<_>>();
    for name in &names {
        let Some(rest) = name.strip_prefix(&ours) else { continue };
        let version = rest.split_once('@').map(|(_, v)| v.to_string()).unwrap_or_default();
        if !compatible(&version) {
            return Err(LoadError::IncompatibleVersion { path: path.into(), found: version });
        }
        found.get_or_insert(version);
    }
    let exports_guest =
        ty.exports(engine).any(|(n, _)| n.strip_prefix(&ours).is_some_and(|r| r.starts_with("guest")));
    if !exports_guest {
        return Err(LoadError::NotAScenario { path: path.into() });
    }
    for name in ty.imports(engine).map(|(n, _)| n) {
        if !(name.starts_with(&ours) || name.starts_with("wasi:")) {
            return Err(LoadError::UnknownImport { path: path.into(), import: name.to_string() });
        }
    }
    Ok(found.unwrap_or_else(|| WIT_VERSION.to_string()))
}

/// Semver compatibility with [`WIT_VERSION`]: same major (and, before 1.0, same minor), and not
/// newer than the host (a newer guest may call functions this host lacks).
pub fn compatible(guest: &str) -> bool {
    let (Ok(g), Ok(h)) = (semver::Version::parse(guest), semver::Version::parse(WIT_VERSION)) else {
        return false;
    };
    g.major == h.major && (h.major > 0 || g.minor == h.minor) && g <= h
}

fn spawn_epoch_ticker(engine: Engine, stop: Arc<AtomicBool>) -> Result<(), LoadError> {
    std::thread::Builder::new()
        .name("runner-epoch".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(EPOCH_TICK);
                engine.increment_epoch();
            }
        })
        .map(drop)
        .map_err(|e| LoadError::Engine(format!("cannot start the epoch thread: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wit_version_matches_the_wit_files() {
        let world = include_str!("../../../wit/world.wit");
        assert!(world.contains(&format!("package {WIT_PACKAGE}@{WIT_VERSION};")));
    }

    #[test]
    fn semver_rules() {
        assert!(compatible("0.4.0"));
        assert!(
            !compatible("0.3.0"),
            "0.4.0 changed the load executor and arrival types 0.3 guests were built with"
        );
        assert!(!compatible("0.1.1"));
        assert!(!compatible("0.5.0"));
        assert!(!compatible("1.2.0"));
        assert!(!compatible("0.4.1"), "a newer patch may use imports this host lacks");
        assert!(!compatible(""));
    }
}
