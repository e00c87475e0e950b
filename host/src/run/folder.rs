//! A run folder on disk: `run.json` (the header, written before any traffic),
//! `timeseries.jsonl` (appended while the run goes), and at the end `summary.json`,
//! `summary.csv`, `report.md` and `report.html`. `runner report DIR` rewrites the reports, or rebuilds the summary of a
//! run that was killed before writing one.
//!
//! One folder holds one run. [`claim`] refuses a folder that already holds files (unless
//! `--force`, which then removes the earlier run's files), picks a fresh sibling of the default
//! `runs/<scenario>-<timestamp>` instead, and holds an exclusive lock (`run.lock`) for as long as
//! the run writes, which no `--force` takes. The run's id is in `run.json`, `summary.json` and the
//! time series' first record, so [`rebuild`] never takes one run's leftovers for another's. Every
//! file but the time series is written whole or not at all ([`write_file`]).

use std::fs::{File, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::Context;
use runner_reports::Summary;

/// The run's header: `summary.json` as it would be with no phases, written when the run starts.
pub const RUN_HEADER: &str = "run.json";
/// The run's summary, written when it ends.
pub const SUMMARY: &str = "summary.json";
/// The summary as one long table (docs/OUTPUTS.md), written with it.
pub const SUMMARY_CSV: &str = "summary.csv";
/// A phase as vLLM's benchmark result, written by `runner report DIR --format vllm`.
pub const VLLM_JSON: &str = "vllm.json";
/// The time series, appended while the run goes.
pub const TIMESERIES: &str = "timeseries.jsonl";
/// The lock a run holds on its folder while it writes it. The file stays behind (removing it
/// would let a second run lock a new file while the first still holds the old one).
pub const LOCK: &str = "run.lock";
/// The files a run writes: what `--force` removes before a new run writes its own.
const RUN_FILES: [&str; 8] = [
    RUN_HEADER,
    SUMMARY,
    SUMMARY_CSV,
    TIMESERIES,
    "report.md",
    "report.html",
    VLLM_JSON,
    crate::outputs::RECORDS,
];

/// Why a run folder was refused.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    /// The folder already holds files, and `--force` was not given.
    #[error(
        "the run folder {} already holds files (an earlier run's?): give another --out, or --force to replace that run",
        .0.display()
    )]
    Exists(PathBuf),
    /// Another run holds the folder's lock.
    #[error(
        "the run folder {} is being written by another run (it holds {}/{LOCK}): wait for it to end, or give another --out (--force does not take it)",
        .0.display(), .0.display()
    )]
    Locked(PathBuf),
}

/// A run folder claimed for one run: locked until this is dropped.
#[derive(Debug)]
pub struct RunFolder {
    pub dir: PathBuf,
    /// Why the run writes somewhere other than where it would have (a default name taken).
    pub note: Option<String>,
    _lock: File,
}

/// `runs/<scenario>-<UTC timestamp>`.
pub fn default_out_dir(scenario: &str) -> PathBuf {
    let stamp = humantime::format_rfc3339_seconds(SystemTime::now()).to_string().replace([':', '-'], "");
    PathBuf::from("runs").join(format!("{scenario}-{stamp}"))
}

/// A fresh id for a run: the clock in nanoseconds and the process id, in hex.
pub fn new_run_id() -> String {
    let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{:016x}-{:x}", nanos as u64, std::process::id())
}

/// Whether [`claim_given`] would refuse `dir`, checked before the run prepares (so a refused
/// folder costs no preparation, nor a request to the target) without creating anything: a run
/// whose preparation then fails leaves no folder behind. The claim itself comes later.
pub fn check_given(dir: &Path, force: bool) -> anyhow::Result<()> {
    if dir.exists() && !dir.is_dir() {
        anyhow::bail!("--out {} is a file, not a folder", dir.display());
    }
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(()) };
    let mut occupied = false;
    for entry in entries.filter_map(Result::ok) {
        if entry.file_name() != LOCK {
            occupied = true;
            continue;
        }
        // Open, never create: a lock taken here is released when `file` is dropped.
        if let Ok(file) = File::open(entry.path())
            && let Err(TryLockError::WouldBlock) = file.try_lock()
        {
            return Err(FolderError::Locked(dir.to_path_buf()).into());
        }
    }
    if occupied && !force {
        return Err(FolderError::Exists(dir.to_path_buf()).into());
    }
    Ok(())
}

/// Claims the run folder `--out` named: created if missing, locked, and refused if it holds
/// anything but the lock — unless `force`, which removes the earlier run's files (only those: a
/// folder is never emptied of what a run did not write).
pub fn claim_given(dir: &Path, force: bool) -> anyhow::Result<RunFolder> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating the run folder {}", dir.display()))?;
    let lock = lock(dir)?;
    let occupied = std::fs::read_dir(dir)
        .with_context(|| format!("reading the run folder {}", dir.display()))?
        .filter_map(Result::ok)
        .any(|entry| entry.file_name() != LOCK);
    if occupied {
        if !force {
            return Err(FolderError::Exists(dir.to_path_buf()).into());
        }
        for name in RUN_FILES.iter().map(|n| n.to_string()).chain(RUN_FILES.iter().map(|n| temp_name(n))) {
            match std::fs::remove_file(dir.join(&name)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(e).with_context(|| format!("removing {}/{name} (--force)", dir.display()));
                }
                _ => {}
            }
        }
    }
    Ok(RunFolder { dir: dir.to_path_buf(), note: None, _lock: lock })
}

/// Claims a fresh default run folder: `base`, or when that exists (two runs of one scenario in
/// the same second) the first free `base-2`, `base-3`, …; creating the folder is the claim, so
/// two runs never get the same one.
pub fn claim_default(base: &Path) -> anyhow::Result<RunFolder> {
    if let Some(parent) = base.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    for n in 1..=1000u32 {
        let dir = if n == 1 { base.to_path_buf() } else { PathBuf::from(format!("{}-{n}", base.display())) };
        match std::fs::create_dir(&dir) {
            Ok(()) => {
                let note = (n > 1)
                    .then(|| format!("{} exists: this run writes {} instead", base.display(), dir.display()));
                return Ok(RunFolder { _lock: lock(&dir)?, dir, note });
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("creating the run folder {}", dir.display())),
        }
    }
    anyhow::bail!("{} and 999 siblings exist: give --out", base.display())
}

/// Takes the folder's exclusive lock, without waiting.
fn lock(dir: &Path) -> anyhow::Result<File> {
    let path = dir.join(LOCK);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("creating {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(FolderError::Locked(dir.to_path_buf()).into()),
        Err(TryLockError::Error(e)) => Err(e).with_context(|| format!("locking {}", path.display())),
    }
}

fn temp_name(name: &str) -> String {
    format!(".{name}.tmp")
}

/// Writes `text` to `dir/name` whole or not at all: into a temporary file beside it, synced,
/// then renamed over it. A full disk leaves the earlier file (or none), never a 0-byte or a
/// partial one.
pub fn write_file(dir: &Path, name: &str, text: &str) -> anyhow::Result<()> {
    let path = dir.join(name);
    let temp = dir.join(temp_name(name));
    let written = File::create(&temp)
        .and_then(|mut file| {
            file.write_all(text.as_bytes())?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&temp, &path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(e).with_context(|| format!("writing {}", path.display()));
    }
    // The rename is durable once the folder's entry is.
    if let Ok(folder) = File::open(dir) {
        let _ = folder.sync_all();
    }
    Ok(())
}

/// Writes `summary.json`, `summary.csv`, `report.md` and `report.html` into `dir`, stopping at
/// the first that fails.
pub fn write(dir: &Path, summary: &Summary) -> anyhow::Result<()> {
    write_file(dir, SUMMARY, &summary.to_json())?;
    write_file(dir, SUMMARY_CSV, &runner_reports::render_csv(summary))?;
    write_file(dir, "report.md", &runner_reports::render_markdown(summary))?;
    // The charts over time need the time series; the lines a crash or a full disk damaged are
    // left out. A folder without one still gets every table and the other charts.
    let records = match std::fs::read(dir.join(TIMESERIES)) {
        Ok(bytes) => runner_reports::timeseries::read(&bytes).records,
        Err(_) => Vec::new(),
    };
    write_file(dir, "report.html", &runner_reports::render_html(summary, &records))
}

/// `runner report DIR`: the summary of a run folder — its own `summary.json`, or one rebuilt
/// from `run.json` and `timeseries.jsonl` when the run was killed before writing it, when it is
/// damaged, or when it is another run's (its run id is not `run.json`'s). Either way
/// `summary.json`, `summary.csv`, `report.md` and `report.html` are (re)written. A folder a run
/// is still writing is refused: a summary rebuilt from half its time series would later pass for
/// the run's own.
pub fn rebuild(dir: &Path) -> anyhow::Result<Summary> {
    if !dir.is_dir() {
        anyhow::bail!("{} is not a run folder", dir.display());
    }
    // Checked before the lock, which would leave a run.lock in any folder named by mistake.
    if !dir.join(RUN_HEADER).exists() && !dir.join(SUMMARY).exists() {
        anyhow::bail!("{} is not a run folder: it has neither {RUN_HEADER} nor {SUMMARY}", dir.display());
    }
    let _lock = lock(dir)?;
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
    };
    let header = || -> anyhow::Result<Summary> {
        Summary::from_json(&read(RUN_HEADER)?).with_context(|| format!("{}/{RUN_HEADER}", dir.display()))
    };
    // Why the folder's own summary.json is not the run's, when it is there but not usable.
    let set_aside = if dir.join(SUMMARY).exists() {
        let own = Summary::from_json(&read(SUMMARY)?);
        let run = dir.join(RUN_HEADER).exists().then(header).transpose()?;
        match (own, run) {
            (Ok(summary), Some(run)) if summary.run_id != run.run_id => Some(format!(
                "{SUMMARY} was another run's (run id {:?}, not {:?}) and was replaced",
                summary.run_id, run.run_id
            )),
            (Ok(summary), _) => {
                write(dir, &summary)?;
                return Ok(summary);
            }
            (Err(e), Some(_)) => Some(format!("{SUMMARY} was damaged ({e}) and was replaced")),
            (Err(e), None) => return Err(e).with_context(|| format!("{}/{SUMMARY}", dir.display())),
        }
    } else {
        None
    };
    let header = header()?;
    let path = dir.join(TIMESERIES);
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let parsed = runner_reports::timeseries::read(&bytes);
    let mut summary = runner_reports::timeseries::rebuild(header, &parsed.records);
    summary.notes.extend(set_aside.into_iter().chain(parsed.note()));
    write(dir, &summary)?;
    Ok(summary)
}
