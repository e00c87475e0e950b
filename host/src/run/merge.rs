//! `runner merge OUT DIR…`: reads the workers' run folders of a distributed run, merges them
//! (`runner_reports::merge`, where the rules are) and writes OUT as a run folder of its own —
//! `run.json`, `timeseries.jsonl` on the merged wall clock, `summary.json`, `report.md` and
//! `report.html` — claimed as `play --out` claims one: refused when it holds files unless
//! `--force`, and never one of the workers' own folders (which `--force` would empty).

use std::path::{Path, PathBuf};

use anyhow::Context;
use runner_reports::Summary;
use runner_reports::merge::WorkerRun;
use runner_reports::timeseries::Record;

use super::folder::{self, RUN_HEADER, SUMMARY, TIMESERIES};

/// Reads one worker's `summary.json`; its time series is read later, one worker at a time
/// ([`read_series`]).
fn read_worker(dir: &Path) -> anyhow::Result<WorkerRun> {
    let name = dir.display().to_string();
    if !dir.is_dir() {
        anyhow::bail!("{name} is not a run folder");
    }
    let path = dir.join(SUMMARY);
    if !path.exists() {
        anyhow::bail!(
            "{name} is not a finished run folder: it has no {SUMMARY} (a worker still running, or killed: \
             `runner report {name}` rebuilds it, without the histograms a merge needs)"
        );
    }
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let summary = Summary::from_json(&text).with_context(|| path.display().to_string())?;
    Ok(WorkerRun { name, summary, records: Vec::new() })
}

/// A worker's `timeseries.jsonl` (none when it has none, or it is another run's), and what the
/// merged summary's notes should say about it.
fn read_series(dir: &Path, w: &WorkerRun, notes: &mut Vec<String>) -> Vec<Record> {
    let name = &w.name;
    let Ok(bytes) = std::fs::read(dir.join(TIMESERIES)) else {
        notes.push(format!("{name}: no {TIMESERIES}: left out of the merged time series"));
        return Vec::new();
    };
    let parsed = runner_reports::timeseries::read(&bytes);
    if let Some(note) = parsed.note() {
        notes.push(format!("{name}: {note}"));
    }
    // Another run's time series (a folder reused by hand) is not this worker's.
    match parsed.records.first() {
        Some(Record::Run(start)) if start.run_id != w.summary.run_id && !w.summary.run_id.is_empty() => {
            notes.push(format!(
                "{name}: {TIMESERIES} is another run's (run id {:?}): left out of the merged time series",
                start.run_id
            ));
            Vec::new()
        }
        _ => parsed.records,
    }
}

/// The same folder, however it was spelt; `None` when it does not exist.
fn canonical(dir: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(dir).ok()
}

/// Merges the run folders `dirs` into `out`; returns the merged summary.
pub fn merge(out: &Path, dirs: &[PathBuf], force: bool) -> anyhow::Result<Summary> {
    if let Some(out_c) = canonical(out)
        && let Some(dir) = dirs.iter().find(|d| canonical(d).as_ref() == Some(&out_c))
    {
        anyhow::bail!(
            "{} is one of the workers' folders ({}): give another OUT",
            out.display(),
            dir.display()
        );
    }
    // Refused before reading anything, as `play --out` is.
    folder::check_given(out, force)?;
    let workers = dirs.iter().map(|d| read_worker(d)).collect::<anyhow::Result<Vec<_>>>()?;
    let run_id = folder::new_run_id();
    let mut series_notes = Vec::new();
    let mut merged = runner_reports::merge::merge_with(&workers, &run_id, |w| {
        let dir = dirs.iter().find(|d| d.display().to_string() == w.name)?;
        Some(read_series(dir, w, &mut series_notes))
    })?;
    merged.summary.notes.extend(series_notes);
    let claimed = folder::claim_given(out, force)?;
    let dir = &claimed.dir;
    let header = Summary {
        phases: Vec::new(),
        notes: Vec::new(),
        thresholds: Vec::new(),
        headline: None,
        ..merged.summary.clone()
    };
    folder::write_file(dir, RUN_HEADER, &header.to_json())?;
    let mut series = String::new();
    for r in &merged.records {
        // A record always serialises: every map is keyed by String.
        series.push_str(&serde_json::to_string(r).context("writing the merged time series")?);
        series.push('\n');
    }
    folder::write_file(dir, TIMESERIES, &series)?;
    folder::write(dir, &merged.summary)?;
    Ok(merged.summary)
}
