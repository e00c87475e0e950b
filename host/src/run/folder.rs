//! A run folder on disk: `run.json` (the header, written before any traffic),
//! `timeseries.jsonl` (appended while the run goes), and at the end `summary.json`, `report.md`
//! and `report.html`. `runner report DIR` rewrites the reports, or rebuilds the summary of a
//! run that was killed before writing one.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::Context;
use runner_reports::Summary;

/// The run's header: `summary.json` as it would be with no phases, written when the run starts.
pub const RUN_HEADER: &str = "run.json";
/// The run's summary, written when it ends.
pub const SUMMARY: &str = "summary.json";
/// The time series, appended while the run goes.
pub const TIMESERIES: &str = "timeseries.jsonl";

/// `runs/<scenario>-<UTC timestamp>`.
pub fn default_out_dir(scenario: &str) -> PathBuf {
    let stamp = humantime::format_rfc3339_seconds(SystemTime::now()).to_string().replace([':', '-'], "");
    PathBuf::from("runs").join(format!("{scenario}-{stamp}"))
}

/// Creates the run folder (and its parents).
pub fn create(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating the run folder {}", dir.display()))
}

/// Writes `text` to `dir/name`.
pub fn write_file(dir: &Path, name: &str, text: String) -> anyhow::Result<()> {
    let path = dir.join(name);
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
}

/// Writes `summary.json`, `report.md` and `report.html` into `dir`.
pub fn write(dir: &Path, summary: &Summary) -> anyhow::Result<()> {
    create(dir)?;
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
    write_file(dir, "report.html", runner_reports::render_html(summary, &records))
}

/// `runner report DIR`: the summary of a run folder — its own `summary.json`, or, for a run that
/// was killed before writing one, a summary rebuilt from `run.json` and `timeseries.jsonl`.
/// Either way `summary.json`, `report.md` and `report.html` are (re)written.
pub fn rebuild(dir: &Path) -> anyhow::Result<Summary> {
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
    write(dir, &summary)?;
    Ok(summary)
}
